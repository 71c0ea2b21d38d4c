/* aggregate.c — one cell's repetitions into its object of results.json: medians with mean and CV
 * per figure, latency from the repetitions' histograms merged (never averaged percentiles), summed
 * counts, the per-second series and the Redis counters. */
#include "run_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_hist.h"

/* A per-request figure of the schema and where the load's JSON has it: the sum of one or two
 * fields (dotted paths), times scale. */
typedef struct figure_map {
    const char *schema;
    const char *load, *load2;
    double scale;
} figure_map;

static const figure_map figures[] = {
    {"client_bytes_out_per_req", "client_bytes_out_per_req", NULL, 1},
    {"client_bytes_in_per_req", "client_bytes_in_per_req", NULL, 1},
    {"credential_bytes", "credential_bytes", NULL, 1},
    {"server_cpu_us_per_req", "server_cpu_us_per_req", NULL, 1},
    {"auth_cpu_us_per_req", "auth_cpu_ns_per_req", NULL, 1e-3},
    {"store_round_trips_per_req", "store_round_trips_per_req", NULL, 1},
    {"store_net_bytes_per_req", "store_net_bytes_out_per_req", "store_net_bytes_in_per_req", 1},
    {"store_ops_per_req", "store_ops_per_req", NULL, 1},
    {"disk_bytes_read_per_req", "disk_bytes_read_per_req", NULL, 1},
    {"disk_bytes_written_per_req", "disk_bytes_written_per_req", NULL, 1},
    {"fsyncs_per_req", "fsyncs_per_req", NULL, 1},
    {"store_syscalls_per_req", "store_syscalls_per_req", NULL, 1},
};
#define N_FIGURES (sizeof figures / sizeof figures[0])

/* The load JSON's fields for the other figures (schema authbench-load/1). */
#define LOAD_RPS "requests_per_sec"
#define LOAD_REQUESTS "requests"
#define LOAD_AUTH_FAILURES "auth_failures"
#define LOAD_ERRORS "errors"
#define LOAD_LATENCY "latency_us"
#define LOAD_HIST "histograms.latency_ns"
#define LOAD_HIST_UNC "histograms.latency_uncorrected_ns"
#define LOAD_SERIES "timeseries"
#define LOAD_SERIES_SECOND "t_s"

const cJSON *ab_run_json_path(const cJSON *obj, const char *path)
{
    char key[64];
    while (obj != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        ab_run_fmt(key, sizeof key, "%.*s", (int)n, path);
        obj = cJSON_GetObjectItemCaseSensitive(obj, key);
        path += n + (path[n] == '.');
    }
    return obj;
}

/* A number at a path: 1 and *v set, or 0 when absent or null. */
static int json_num(const cJSON *obj, const char *path, double *v)
{
    const cJSON *it = ab_run_json_path(obj, path);
    if (!cJSON_IsNumber(it))
        return 0;
    *v = it->valuedouble;
    return 1;
}

/* Sorts doubles ascending (qsort callback). */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void ab_run_summarize(const double *v, size_t n, ab_run_summary *out)
{
    double *s, sum = 0, ss = 0;
    size_t i;
    out->mean = out->median = 0;
    out->cv = -1;
    if (n == 0 || (s = malloc(n * sizeof *s)) == NULL)
        return;
    for (i = 0; i < n; i++)
        sum += (s[i] = v[i]);
    qsort(s, n, sizeof *s, cmp_double);
    out->mean = sum / (double)n;
    out->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    for (i = 0; i < n; i++)
        ss += (s[i] - out->mean) * (s[i] - out->mean);
    if (n >= 2 && out->mean != 0)
        out->cv = sqrt(ss / (double)(n - 1)) / fabs(out->mean);
    free(s);
}

/* Adds key: number, or null when the figure was not measured (has == 0). */
static void add_num_or_null(cJSON *o, const char *key, int has, double v)
{
    if (has)
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* Collects a figure over the repetitions (those that have it). Returns how many had it. */
static size_t collect(const ab_run_rep *reps, size_t n, const char *path, double *vals)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        if (reps[i].load != NULL && json_num(reps[i].load, path, &vals[k]))
            k++;
    return k;
}

/* Collects a mapped figure: its field(s) summed and scaled; the run's own probe of the credential
 * when the load does not report it. Returns how many repetitions had it. */
static size_t collect_figure(const ab_run_rep *reps, size_t n, const figure_map *f, double *vals)
{
    double extra;
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        if (reps[i].load == NULL || !json_num(reps[i].load, f->load, &vals[k])) {
            if (strcmp(f->schema, "credential_bytes") == 0 && reps[i].credential_bytes > 0)
                vals[k++] = (double)reps[i].credential_bytes;
            continue;
        }
        if (f->load2 != NULL && json_num(reps[i].load, f->load2, &extra))
            vals[k] += extra;
        vals[k++] *= f->scale;
    }
    return k;
}

/* Adds the figure as its median, and {mean, median, cv, values} to stats; flags a high CV. */
static void add_figure(cJSON *cell, cJSON *stats, cJSON *high, const char *key, const double *v, size_t k)
{
    ab_run_summary s;
    cJSON *o, *vals;
    size_t i;
    ab_run_summarize(v, k, &s);
    add_num_or_null(cell, key, k > 0, s.median);
    if (k == 0)
        return;
    o = cJSON_AddObjectToObject(stats, key);
    cJSON_AddNumberToObject(o, "mean", s.mean);
    cJSON_AddNumberToObject(o, "median", s.median);
    add_num_or_null(o, "cv", s.cv >= 0, s.cv);
    vals = cJSON_AddArrayToObject(o, "values");
    for (i = 0; i < k; i++)
        cJSON_AddItemToArray(vals, cJSON_CreateNumber(v[i]));
    if (s.cv > AB_RUN_HIGH_CV)
        cJSON_AddItemToArray(high, cJSON_CreateString(key));
}

/* Throughput: median, mean, CV and the high_cv flag (on throughput's CV). */
static void add_throughput(cJSON *cell, cJSON *stats, cJSON *high, const ab_run_rep *reps, size_t n)
{
    double v[128] = {0};
    size_t k = collect(reps, n < 128 ? n : 128, LOAD_RPS, v);
    ab_run_summary s;
    ab_run_summarize(v, k, &s);
    add_figure(cell, stats, high, "requests_per_sec", v, k);
    add_num_or_null(cell, "requests_per_sec_mean", k > 0, s.mean);
    add_num_or_null(cell, "requests_per_sec_cv", s.cv >= 0, s.cv);
    cJSON_AddBoolToObject(cell, "high_cv", s.cv > AB_RUN_HIGH_CV);
}

/* Merges the repetitions' encoded histograms at key; NULL when any is missing or malformed. */
static ab_hist *merge_hists(const ab_run_rep *reps, size_t n, const char *key)
{
    ab_hist *sum = NULL;
    size_t i;
    for (i = 0; i < n; i++) {
        const cJSON *t = ab_run_json_path(reps[i].load, key);
        ab_hist *h = cJSON_IsString(t) ? ab_hist_decode(t->valuestring) : NULL;
        if (h == NULL || (sum != NULL && ab_hist_merge(sum, h) != 0)) {
            ab_hist_free(h);
            ab_hist_free(sum);
            return NULL;
        }
        if (sum == NULL)
            sum = h;
        else
            ab_hist_free(h);
    }
    return sum;
}

/* {p50 … p9999, max, mean} in µs from a histogram in ns. */
static cJSON *latency_object(const ab_hist *h)
{
    static const struct { const char *key; double p; } ps[] = {
        {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}, {"p9999", 99.99}};
    cJSON *o = cJSON_CreateObject();
    size_t i;
    for (i = 0; i < sizeof ps / sizeof ps[0]; i++)
        cJSON_AddNumberToObject(o, ps[i].key, (double)ab_hist_percentile(h, ps[i].p) / 1000.0);
    cJSON_AddNumberToObject(o, "max", (double)ab_hist_max(h) / 1000.0);
    cJSON_AddNumberToObject(o, "mean", ab_hist_mean(h) / 1000.0);
    return o;
}

/* Latency (and the merged histogram) of hist_key into cell[out_key]; a single repetition without
 * a histogram falls back to its own percentiles. */
static void add_latency(cJSON *cell, const ab_run_rep *reps, size_t n, const char *hist_key,
                        const char *lat_key, const char *out_key, const char *out_hist)
{
    ab_hist *h = merge_hists(reps, n, hist_key);
    const cJSON *own = n == 1 ? ab_run_json_path(reps[0].load, lat_key) : NULL;
    char *enc;
    if (h != NULL && ab_hist_count(h) > 0) {
        cJSON_AddItemToObject(cell, out_key, latency_object(h));
        if (out_hist != NULL && (enc = ab_hist_encode(h)) != NULL) {
            cJSON_AddStringToObject(cell, out_hist, enc);
            free(enc);
        }
    } else if (cJSON_IsObject(own)) {
        cJSON_AddItemToObject(cell, out_key, cJSON_Duplicate(own, 1));
    } else {
        cJSON_AddNullToObject(cell, out_key);
    }
    if (out_hist != NULL && !cJSON_HasObjectItem(cell, out_hist))
        cJSON_AddNullToObject(cell, out_hist);
    ab_hist_free(h);
}

/* Sums a count over the repetitions (null when none has it). */
static void add_sum(cJSON *cell, const char *key, const ab_run_rep *reps, size_t n, const char *path)
{
    double v, sum = 0;
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        if (json_num(reps[i].load, path, &v))
            sum += v, k++;
    add_num_or_null(cell, key, k > 0, sum);
}

/* errors: every kind the load reported, summed over repetitions. */
static void add_errors(cJSON *cell, const ab_run_rep *reps, size_t n)
{
    cJSON *errs = cJSON_AddObjectToObject(cell, "errors");
    const cJSON *it;
    size_t i;
    for (i = 0; i < n; i++)
        cJSON_ArrayForEach(it, ab_run_json_path(reps[i].load, LOAD_ERRORS)) {
            cJSON *have = cJSON_GetObjectItemCaseSensitive(errs, it->string);
            if (!cJSON_IsNumber(it))
                continue;
            if (have != NULL)
                cJSON_SetNumberValue(have, have->valuedouble + it->valuedouble);
            else
                cJSON_AddNumberToObject(errs, it->string, it->valuedouble);
        }
}

/* redis_commands_per_req (and the bytes) from the INFO deltas over the measured windows. */
static void add_redis(cJSON *cell, const ab_run_cell *c, const ab_run_rep *reps, size_t n)
{
    double calls = 0, bytes = 0, req = 0;
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        if (reps[i].have_redis) {
            calls += (double)reps[i].redis_delta.calls;
            bytes += (double)(reps[i].redis_delta.net_in + reps[i].redis_delta.net_out);
            req += (double)reps[i].server_requests;
            k++;
        }
    add_num_or_null(cell, "redis_commands_per_req", k > 0 && req > 0 && strncmp(c->store, "redis", 5) == 0,
                    calls / (req > 0 ? req : 1));
    add_num_or_null(cell, "redis_net_bytes_per_req", k > 0 && req > 0 && strncmp(c->store, "redis", 5) == 0,
                    bytes / (req > 0 ? req : 1));
}

/* The per-second series of every repetition, with its repetition number. */
static void add_series(cJSON *cell, const ab_run_rep *reps, size_t n)
{
    static const char *const keys[] = {"requests", "errors", "auth_failures", "p50_us", "p99_us"};
    cJSON *out = cJSON_AddArrayToObject(cell, "timeseries");
    const cJSON *row;
    size_t i, k;
    for (i = 0; i < n; i++) {
        int second = 0;
        cJSON_ArrayForEach(row, ab_run_json_path(reps[i].load, LOAD_SERIES)) {
            cJSON *o = cJSON_CreateObject();
            double v;
            cJSON_AddNumberToObject(o, "rep", (double)(i + 1));
            cJSON_AddNumberToObject(o, "second", json_num(row, LOAD_SERIES_SECOND, &v) ? v : second);
            for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                int has = json_num(row, keys[k], &v);
                add_num_or_null(o, keys[k], has, v);
            }
            cJSON_AddItemToArray(out, o);
            second++;
        }
    }
}

/* The cell's parameters (the same for a finished and a failed cell). */
static cJSON *cell_params(const ab_run_cell *c)
{
    cJSON *o = cJSON_CreateObject(), *mix;
    cJSON_AddStringToObject(o, "id", c->id);
    cJSON_AddStringToObject(o, "label", c->label);
    cJSON_AddStringToObject(o, "mechanism", c->mechanism);
    cJSON_AddStringToObject(o, "family", c->family);
    c->store[0] ? (void)cJSON_AddStringToObject(o, "store", c->store) : (void)cJSON_AddNullToObject(o, "store");
    c->alg[0] ? (void)cJSON_AddStringToObject(o, "alg", c->alg) : (void)cJSON_AddNullToObject(o, "alg");
    cJSON_AddNumberToObject(o, "store_delay_us", (double)c->store_delay_us);
    cJSON_AddNumberToObject(o, "store_jitter_us", (double)c->store_jitter_us);
    c->disk_mode[0] ? (void)cJSON_AddStringToObject(o, "disk_mode", c->disk_mode)
                    : (void)cJSON_AddNullToObject(o, "disk_mode");
    cJSON_AddNumberToObject(o, "servers", c->servers);
    cJSON_AddStringToObject(o, "lb", c->lb);
    cJSON_AddNumberToObject(o, "connections", c->connections);
    cJSON_AddNumberToObject(o, "threads", c->threads);
    cJSON_AddNumberToObject(o, "server_threads", c->server_threads);
    add_num_or_null(o, "rate_per_sec", c->rate_per_sec > 0, c->rate_per_sec);
    cJSON_AddNumberToObject(o, "users", c->users);
    cJSON_AddStringToObject(o, "key_dist", c->key_dist);
    mix = cJSON_AddObjectToObject(o, "mix");
    cJSON_AddNumberToObject(mix, "login", c->mix_login);
    cJSON_AddNumberToObject(mix, "request", c->mix_request);
    cJSON_AddNumberToObject(mix, "logout", c->mix_logout);
    cJSON_AddStringToObject(o, "mix_name", c->mix_name);
    c->fault[0] ? (void)cJSON_AddStringToObject(o, "fault", c->fault) : (void)cJSON_AddNullToObject(o, "fault");
    add_num_or_null(o, "fault_for_s", ab_run_fault_find(c->fault) != NULL &&
                                          ab_run_fault_find(c->fault)->span == AB_RUN_FAULT_FOR,
                    (double)c->fault_for_us / 1e6);
    cJSON_AddNumberToObject(o, "duration_s", (double)c->duration_us / 1e6);
    cJSON_AddNumberToObject(o, "warmup_s", (double)c->warmup_us / 1e6);
    cJSON_AddNumberToObject(o, "repetitions", c->repetitions);
    cJSON_AddNumberToObject(o, "group", c->group);
    return o;
}

/* A string field of a cell object into out ("" for null). */
static void cell_str(const cJSON *o, const char *key, char *out, size_t len)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    ab_run_fmt(out, len, "%s", v != NULL ? v : "");
}

/* A number field of a cell object clamped to 0..max (0 for null), so that casting it is defined. */
static double cell_num(const cJSON *o, const char *path, double max)
{
    double v = 0;
    if (!json_num(o, path, &v) || !(v > 0))
        return 0;
    return v < max ? v : max;
}

int ab_run_cell_from_json(const cJSON *o, ab_run_cell *c)
{
    memset(c, 0, sizeof *c);
    cell_str(o, "id", c->id, sizeof c->id);
    cell_str(o, "label", c->label, sizeof c->label);
    cell_str(o, "mechanism", c->mechanism, sizeof c->mechanism);
    cell_str(o, "family", c->family, sizeof c->family);
    cell_str(o, "store", c->store, sizeof c->store);
    cell_str(o, "alg", c->alg, sizeof c->alg);
    cell_str(o, "disk_mode", c->disk_mode, sizeof c->disk_mode);
    cell_str(o, "lb", c->lb, sizeof c->lb);
    cell_str(o, "key_dist", c->key_dist, sizeof c->key_dist);
    cell_str(o, "mix_name", c->mix_name, sizeof c->mix_name);
    cell_str(o, "fault", c->fault, sizeof c->fault);
    c->mix_login = (unsigned)cell_num(o, "mix.login", 1e6);
    c->mix_request = (unsigned)cell_num(o, "mix.request", 1e6);
    c->mix_logout = (unsigned)cell_num(o, "mix.logout", 1e6);
    c->servers = (unsigned)cell_num(o, "servers", 1e6);
    c->connections = (unsigned)cell_num(o, "connections", 1e9);
    c->threads = (unsigned)cell_num(o, "threads", 1e6);
    c->server_threads = (unsigned)cell_num(o, "server_threads", 1e6);
    c->users = (unsigned)cell_num(o, "users", 1e9);
    c->repetitions = (unsigned)cell_num(o, "repetitions", 1e3);
    c->rate_per_sec = cell_num(o, "rate_per_sec", 1e12);
    c->store_delay_us = (uint64_t)cell_num(o, "store_delay_us", 1e12);
    c->store_jitter_us = (uint64_t)cell_num(o, "store_jitter_us", 1e12);
    c->duration_us = (uint64_t)llround(cell_num(o, "duration_s", 1e9) * 1e6);
    c->warmup_us = (uint64_t)llround(cell_num(o, "warmup_s", 1e9) * 1e6);
    c->fault_for_us = (uint64_t)llround(cell_num(o, "fault_for_s", 1e9) * 1e6);
    c->group = (int)cell_num(o, "group", 1e6);
    return c->id[0] != '\0' && c->mechanism[0] != '\0' && c->repetitions > 0 ? 0 : -1;
}

/* fault_at_s: when the fault began in the measured window (median over repetitions). */
static void add_fault_at(cJSON *cell, const ab_run_cell *c, const ab_run_rep *reps, size_t n)
{
    double v[128] = {0};
    size_t i, k = 0;
    ab_run_summary s;
    for (i = 0; i < n && k < 128; i++)
        if (reps[i].fault_at_s >= 0)
            v[k++] = reps[i].fault_at_s;
    ab_run_summarize(v, k, &s);
    add_num_or_null(cell, "fault_at_s", c->fault[0] != '\0' && k > 0, s.median);
}

/* Every measured field of a finished cell. */
static void cell_measured(cJSON *o, const ab_run_cell *c, const ab_run_rep *reps, size_t n)
{
    cJSON *stats = cJSON_CreateObject(), *high = cJSON_CreateArray();
    double v[128] = {0};
    size_t i;
    add_throughput(o, stats, high, reps, n);
    add_latency(o, reps, n, LOAD_HIST, LOAD_LATENCY, "latency_us", "histogram");
    if (c->rate_per_sec > 0)
        add_latency(o, reps, n, LOAD_HIST_UNC, "latency_uncorrected_us", "latency_uncorrected_us", NULL);
    else
        cJSON_AddNullToObject(o, "latency_uncorrected_us");
    add_sum(o, "requests", reps, n, LOAD_REQUESTS);
    add_errors(o, reps, n);
    add_sum(o, "auth_failures", reps, n, LOAD_AUTH_FAILURES);
    for (i = 0; i < N_FIGURES; i++)
        add_figure(o, stats, high, figures[i].schema, v, collect_figure(reps, n < 128 ? n : 128, &figures[i], v));
    add_redis(o, c, reps, n);
    add_series(o, reps, n);
    cJSON_AddItemToObject(o, "repetition_stats", stats);
    cJSON_AddItemToObject(o, "high_cv_figures", high);
}

cJSON *ab_run_cell_result(const ab_run_cell *c, const ab_run_rep *reps, size_t nreps, const char *err)
{
    cJSON *o = cell_params(c);
    add_fault_at(o, c, reps, err ? 0 : nreps);
    cJSON_AddStringToObject(o, "status", err ? "failed" : "ok");
    err ? (void)cJSON_AddStringToObject(o, "error", err) : (void)cJSON_AddNullToObject(o, "error");
    if (err == NULL)
        cell_measured(o, c, reps, nreps);
    if (err == NULL && c->fault[0] != '\0')
        cJSON_AddItemToObject(o, "fault_outcome", ab_run_fault_outcome(c, reps, nreps));
    return o;
}

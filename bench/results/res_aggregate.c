/* res_aggregate.c — one cell's repetitions into its object of results.json: medians with mean and
 * CV per figure, latency from the repetitions' histograms merged (never averaged percentiles), summed
 * counts, the per-second series, the Redis counters and each repetition's measured window. */
#include "res_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_hist.h"
#include "ab_json.h"

/* The load JSON's fields for the other figures (schema authbench-load/1; the failed answers' and
 * goodput's since issue 14). */
#define LOAD_RPS "requests_per_sec"
#define LOAD_REQUESTS "requests"
#define LOAD_AUTH_FAILURES "auth_failures"
#define LOAD_ERRORS "errors"
#define LOAD_LATENCY "latency_us"
#define LOAD_HIST "histograms.latency_ns"
#define LOAD_HIST_UNC "histograms.latency_uncorrected_ns"
#define LOAD_SERIES "timeseries"
#define LOAD_SERIES_SECOND "t_s"
#define LOAD_GOODPUT "goodput_per_sec"
#define LOAD_OK_RATE "ok_per_sec"
#define LOAD_FAILED "failed_answers"
#define LOAD_HIST_FAILED "histogram_failed"
#define LOAD_LATENCY_FAILED "latency_failed_us"

/* Collects a figure over the repetitions (those that have it). Returns how many had it. */
static size_t collect(const ab_res_rep *reps, size_t n, const char *path, double *vals)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        if (reps[i].load != NULL && ab_json_num(reps[i].load, path, &vals[k]))
            k++;
    return k;
}

/* Collects a mapped figure: its field(s) summed and scaled; the run's own probe of the credential
 * when the load does not report it. Returns how many repetitions had it. */
static size_t collect_figure(const ab_res_rep *reps, size_t n, const ab_res_figure *f, double *vals)
{
    double extra;
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        if (reps[i].load == NULL || !ab_json_num(reps[i].load, f->source, &vals[k])) {
            if (strcmp(f->name, "credential_bytes") == 0 && reps[i].credential_bytes > 0)
                vals[k++] = (double)reps[i].credential_bytes;
            continue;
        }
        if (f->source2 != NULL && ab_json_num(reps[i].load, f->source2, &extra))
            vals[k] += extra;
        vals[k++] *= f->scale;
    }
    return k;
}

/* Where a cell's figures go: the cell object, its repetition_stats, its high_cv_figures. */
typedef struct res_agg {
    cJSON *cell, *stats, *high;
    const char *id;       /* seeds each figure's bootstrap */
} res_agg;

/* {mean, median, cv, ci95_low, ci95_high, values} of a figure into stats (nothing when k is 0);
 * flags a high CV. The interval is seeded from the cell id and the figure: rewriting the same
 * repetitions gives the same interval. */
static void add_stats(const res_agg *a, const char *key, const double *v, size_t k)
{
    ab_res_summary s;
    double lo, hi;
    cJSON *o, *vals;
    size_t i;
    int has_ci;
    if (k == 0)
        return;
    ab_res_summarize(v, k, &s);
    has_ci = ab_res_bootstrap_median_ci(v, k, ab_res_seed(a->id, key), &lo, &hi) == 0;
    o = cJSON_AddObjectToObject(a->stats, key);
    cJSON_AddNumberToObject(o, "mean", s.mean);
    cJSON_AddNumberToObject(o, "median", s.median);
    ab_res_add_num_or_null(o, "cv", s.cv >= 0, s.cv);
    ab_res_add_num_or_null(o, "ci95_low", has_ci, lo);
    ab_res_add_num_or_null(o, "ci95_high", has_ci, hi);
    vals = cJSON_AddArrayToObject(o, "values");
    for (i = 0; i < k; i++)
        cJSON_AddItemToArray(vals, cJSON_CreateNumber(v[i]));
    if (s.cv > AB_RES_HIGH_CV)
        cJSON_AddItemToArray(a->high, cJSON_CreateString(key));
}

/* Adds the figure as its median (null when no repetition had it) and its repetition_stats. */
static void add_figure(const res_agg *a, const char *key, const double *v, size_t k)
{
    ab_res_summary s;
    ab_res_summarize(v, k, &s);
    ab_res_add_num_or_null(a->cell, key, k > 0, s.median);
    add_stats(a, key, v, k);
}

/* Throughput: median, mean, CV and the high_cv flag (on throughput's CV). */
static void add_throughput(const res_agg *a, const ab_res_rep *reps, size_t n)
{
    double v[AB_RES_MAX_REPS] = {0};
    size_t k = collect(reps, n < AB_RES_MAX_REPS ? n : AB_RES_MAX_REPS, LOAD_RPS, v);
    ab_res_summary s;
    ab_res_summarize(v, k, &s);
    add_figure(a, "requests_per_sec", v, k);
    ab_res_add_num_or_null(a->cell, "requests_per_sec_mean", k > 0, s.mean);
    ab_res_add_num_or_null(a->cell, "requests_per_sec_cv", s.cv >= 0, s.cv);
    cJSON_AddBoolToObject(a->cell, "high_cv", s.cv > AB_RES_HIGH_CV);
}

/* Goodput (2xx answers per second): the load's goodput_per_sec, or its ok_per_sec (the same count,
 * named so before schema 3). */
static void add_goodput(const res_agg *a, const ab_res_rep *reps, size_t n)
{
    double v[AB_RES_MAX_REPS] = {0};
    size_t i, k = 0;
    for (i = 0; i < n && i < AB_RES_MAX_REPS; i++)
        if (ab_json_num(reps[i].load, LOAD_GOODPUT, &v[k]) || ab_json_num(reps[i].load, LOAD_OK_RATE, &v[k]))
            k++;
    add_figure(a, "goodput_per_sec", v, k);
}

/* The percentile p of one repetition's own latency in µs: from its histogram, or, without one,
 * its own reported percentile (key of latency_us). 1, or 0 when it has neither or timed nothing. */
static int rep_percentile(const ab_res_rep *r, double p, const char *key, double *out)
{
    const cJSON *t = ab_json_at(r->load, LOAD_HIST);
    ab_hist *h = cJSON_IsString(t) ? ab_hist_decode(t->valuestring) : NULL;
    char path[48];
    int ok;
    if (h != NULL) {
        ok = ab_hist_count(h) > 0;
        if (ok)
            *out = (double)ab_hist_percentile(h, p) / 1000.0;
        ab_hist_free(h);
        return ok;
    }
    ab_fmt(path, sizeof path, "%s.count", LOAD_LATENCY);
    if (ab_json_num_or(r->load, path, 1) <= 0)
        return 0;
    ab_fmt(path, sizeof path, "%s.%s", LOAD_LATENCY, key);
    return ab_json_num(r->load, path, out);
}

/* repetition_stats of p50_us, p99_us and p999_us: each repetition's own percentiles, so that the
 * spread between repetitions (and its interval) is known; the cell's latency_us stays the one of
 * the histograms merged. */
static void add_latency_stats(const res_agg *a, const ab_res_rep *reps, size_t n)
{
    static const struct { const char *key, *own; double p; } ps[] = {
        {"p50_us", "p50", 50}, {"p99_us", "p99", 99}, {"p999_us", "p999", 99.9}};
    double v[AB_RES_MAX_REPS];
    size_t i, j, k;
    for (j = 0; j < sizeof ps / sizeof ps[0]; j++) {
        for (i = 0, k = 0; i < n && i < AB_RES_MAX_REPS; i++)
            k += (size_t)rep_percentile(&reps[i], ps[j].p, ps[j].own, &v[k]);
        add_stats(a, ps[j].key, v, k);
    }
}

/* Merges the repetitions' encoded histograms at key; NULL when any is missing or malformed. */
static ab_hist *merge_hists(const ab_res_rep *reps, size_t n, const char *key)
{
    ab_hist *sum = NULL;
    size_t i;
    for (i = 0; i < n; i++) {
        const cJSON *t = ab_json_at(reps[i].load, key);
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
 * a histogram falls back to its own percentiles; null when no answer was timed (none failed, for
 * the failed answers' latency). */
static void add_latency(cJSON *cell, const ab_res_rep *reps, size_t n, const char *hist_key,
                        const char *lat_key, const char *out_key, const char *out_hist)
{
    ab_hist *h = merge_hists(reps, n, hist_key);
    const cJSON *own = n == 1 ? ab_json_at(reps[0].load, lat_key) : NULL;
    char *enc;
    if (h != NULL && ab_hist_count(h) > 0) {
        cJSON_AddItemToObject(cell, out_key, latency_object(h));
        if (out_hist != NULL && (enc = ab_hist_encode(h)) != NULL) {
            cJSON_AddStringToObject(cell, out_hist, enc);
            free(enc);
        }
    } else if (cJSON_IsObject(own) && ab_json_num_or(own, "count", 1) > 0) {
        cJSON_AddItemToObject(cell, out_key, cJSON_Duplicate(own, 1));
    } else {
        cJSON_AddNullToObject(cell, out_key);
    }
    if (out_hist != NULL && !cJSON_HasObjectItem(cell, out_hist))
        cJSON_AddNullToObject(cell, out_hist);
    ab_hist_free(h);
}

/* Sums a count over the repetitions (null when none has it). */
static void add_sum(cJSON *cell, const char *key, const ab_res_rep *reps, size_t n, const char *path)
{
    double v, sum = 0;
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        if (ab_json_num(reps[i].load, path, &v))
            sum += v, k++;
    ab_res_add_num_or_null(cell, key, k > 0, sum);
}

/* errors: every kind the load reported, summed over repetitions. */
static void add_errors(cJSON *cell, const ab_res_rep *reps, size_t n)
{
    cJSON *errs = cJSON_AddObjectToObject(cell, "errors");
    const cJSON *it;
    size_t i;
    for (i = 0; i < n; i++)
        cJSON_ArrayForEach(it, ab_json_at(reps[i].load, LOAD_ERRORS)) {
            cJSON *have = cJSON_GetObjectItemCaseSensitive(errs, it->string);
            if (!cJSON_IsNumber(it))
                continue;
            if (have != NULL)
                cJSON_SetNumberValue(have, have->valuedouble + it->valuedouble);
            else
                cJSON_AddNumberToObject(errs, it->string, it->valuedouble);
        }
}

/* redis_commands_per_req, the bytes and Redis's CPU from the INFO deltas over the measured windows. */
static void add_redis(cJSON *cell, const ab_res_cell *c, const ab_res_rep *reps, size_t n)
{
    double calls = 0, bytes = 0, req = 0, cpu = 0;
    size_t i, k = 0;
    for (i = 0; i < n; i++)
        if (reps[i].have_redis) {
            calls += (double)reps[i].redis_delta.calls;
            bytes += (double)(reps[i].redis_delta.net_in + reps[i].redis_delta.net_out);
            cpu += (double)reps[i].redis_delta.cpu_us;
            req += (double)reps[i].server_requests;
            k++;
        }
    ab_res_add_num_or_null(cell, "redis_commands_per_req", k > 0 && req > 0 && strncmp(c->store, "redis", 5) == 0,
                    calls / (req > 0 ? req : 1));
    ab_res_add_num_or_null(cell, "redis_net_bytes_per_req", k > 0 && req > 0 && strncmp(c->store, "redis", 5) == 0,
                    bytes / (req > 0 ? req : 1));
    ab_res_add_num_or_null(cell, "redis_cpu_us_per_req", k > 0 && req > 0 && strncmp(c->store, "redis", 5) == 0,
                    cpu / (req > 0 ? req : 1));
}

/* The per-second series of every repetition, with its repetition number. */
static void add_series(cJSON *cell, const ab_res_rep *reps, size_t n)
{
    static const char *const keys[] = {"requests", "ok", "errors", "auth_failures", "p50_us", "p99_us"};
    cJSON *out = cJSON_AddArrayToObject(cell, "timeseries");
    const cJSON *row;
    size_t i, k;
    for (i = 0; i < n; i++) {
        int second = 0;
        cJSON_ArrayForEach(row, ab_json_at(reps[i].load, LOAD_SERIES)) {
            cJSON *o = cJSON_CreateObject();
            double v = 0;
            cJSON_AddNumberToObject(o, "rep", (double)(i + 1));
            cJSON_AddNumberToObject(o, "second", ab_json_num(row, LOAD_SERIES_SECOND, &v) ? v : second);
            for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                int has = ab_json_num(row, keys[k], &v);
                ab_res_add_num_or_null(o, keys[k], has, v);
            }
            cJSON_AddItemToArray(out, o);
            second++;
        }
    }
}

/* fault_at_s: when the fault began in the measured window (median over repetitions). */
static void add_fault_at(cJSON *cell, const ab_res_cell *c, const ab_res_rep *reps, size_t n)
{
    double v[AB_RES_MAX_REPS] = {0};
    size_t i, k = 0;
    ab_res_summary s;
    for (i = 0; i < n && k < AB_RES_MAX_REPS; i++)
        if (reps[i].fault_at_s >= 0)
            v[k++] = reps[i].fault_at_s;
    ab_res_summarize(v, k, &s);
    ab_res_add_num_or_null(cell, "fault_at_s", c->fault[0] != '\0' && k > 0, s.median);
}

/* windows: each repetition's measured window as the load announced it, its fault's times, the
 * servers' requests and Redis commands counted over it (null when the store's counters are unknown),
 * and the machine's other work before and during it (the noise record, per repetition). */
static void add_windows(cJSON *cell, const ab_res_rep *reps, size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(cell, "windows");
    size_t i;
    for (i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        double w = 0;
        cJSON_AddNumberToObject(o, "rep", (double)(i + 1));
        ab_res_add_num_or_null(o, "start_unix_ms", reps[i].window_start_unix_ms >= 0, reps[i].window_start_unix_ms);
        ab_res_add_num_or_null(o, "window_s", ab_json_num(reps[i].load, "window_s", &w), w);
        ab_res_add_num_or_null(o, "fault_at_s", reps[i].fault_at_s >= 0, reps[i].fault_at_s);
        ab_res_add_num_or_null(o, "fault_end_s", reps[i].fault_end_s >= 0, reps[i].fault_end_s);
        ab_res_add_num_or_null(o, "server_requests", reps[i].have_redis, (double)reps[i].server_requests);
        ab_res_add_num_or_null(o, "redis_calls", reps[i].have_redis, (double)reps[i].redis_delta.calls);
        ab_res_add_num_or_null(o, "redis_cpu_us", reps[i].have_redis, (double)reps[i].redis_delta.cpu_us);
        ab_res_add_num_or_null(o, "other_cpu_frac", reps[i].other_cpu_frac >= 0, reps[i].other_cpu_frac);
        ab_res_add_num_or_null(o, "other_cpu_window_frac", reps[i].other_cpu_window_frac >= 0,
                               reps[i].other_cpu_window_frac);
        reps[i].counters_note[0] != '\0' ? (void)cJSON_AddStringToObject(o, "counters_note", reps[i].counters_note)
                                          : (void)cJSON_AddNullToObject(o, "counters_note");
        cJSON_AddItemToArray(arr, o);
    }
}

/* Every measured field of a finished cell. */
static void cell_measured(cJSON *o, const ab_res_cell *c, const ab_res_rep *reps, size_t n)
{
    res_agg a = {o, cJSON_CreateObject(), cJSON_CreateArray(), c->id};
    double v[AB_RES_MAX_REPS] = {0};
    size_t i, nfig, nrep = n < AB_RES_MAX_REPS ? n : AB_RES_MAX_REPS;
    const ab_res_figure *figs = ab_res_figures(&nfig);
    add_throughput(&a, reps, n);
    add_goodput(&a, reps, n);
    add_latency(o, reps, n, LOAD_HIST, LOAD_LATENCY, "latency_us", "histogram");
    add_latency_stats(&a, reps, n);
    if (c->rate_per_sec > 0)
        add_latency(o, reps, n, LOAD_HIST_UNC, "latency_uncorrected_us", "latency_uncorrected_us", NULL);
    else
        cJSON_AddNullToObject(o, "latency_uncorrected_us");
    add_sum(o, "requests", reps, n, LOAD_REQUESTS);
    add_errors(o, reps, n);
    add_sum(o, "auth_failures", reps, n, LOAD_AUTH_FAILURES);
    add_sum(o, "failed_answers", reps, n, LOAD_FAILED);
    add_latency(o, reps, n, LOAD_HIST_FAILED, LOAD_LATENCY_FAILED, LOAD_LATENCY_FAILED, LOAD_HIST_FAILED);
    for (i = 0; i < nfig; i++)
        add_figure(&a, figs[i].name, v, collect_figure(reps, nrep, &figs[i], v));
    add_redis(o, c, reps, n);
    ab_res_add_rate(o, c, reps, n);
    ab_res_add_noise(o, reps, n);
    add_series(o, reps, n);
    add_windows(o, reps, n);
    ab_res_add_store_fill(o, reps, n);
    ab_res_add_extra(o, reps, n);
    cJSON_AddItemToObject(o, "repetition_stats", a.stats);
    cJSON_AddItemToObject(o, "high_cv_figures", a.high);
}

cJSON *ab_res_cell_result(const ab_res_cell *c, const ab_res_rep *reps, size_t nreps, const char *err)
{
    cJSON *o = ab_res_cell_params(c);
    add_fault_at(o, c, reps, err ? 0 : nreps);
    cJSON_AddStringToObject(o, "status", err ? "failed" : "ok");
    err ? (void)cJSON_AddStringToObject(o, "error", err) : (void)cJSON_AddNullToObject(o, "error");
    if (err == NULL)
        cell_measured(o, c, reps, nreps);
    if (err == NULL && c->fault[0] != '\0')
        cJSON_AddItemToObject(o, "fault_outcome", ab_res_fault_outcome(c, reps, nreps));
    if (!cJSON_HasObjectItem(o, "store_sweep")) /* a repetition's extra (a merge's) takes precedence */
        cJSON_AddItemToObject(o, "store_sweep", c->sweep_expired > 0 ? ab_res_store_sweep(c, reps, err ? 0 : nreps)
                                                                     : cJSON_CreateNull());
    return o;
}

void ab_res_reps_free(ab_res_rep *reps, size_t n)
{
    size_t i;
    for (i = 0; reps != NULL && i < n; i++) {
        cJSON_Delete(reps[i].load);
        cJSON_Delete(reps[i].extra);
        reps[i].load = reps[i].extra = NULL;
    }
}

void ab_res_rep_init(ab_res_rep *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->window_start_unix_ms = -1;
    rep->fault_at_s = rep->fault_end_s = -1;
    rep->credential_bytes = -1;
    rep->load_avg_1m = rep->steal_frac = rep->other_cpu_frac = rep->other_cpu_window_frac = -1;
    rep->proxy_delay_mean_us = rep->proxy_delay_p99_us = -1;
    rep->sessions_live = rep->store_bytes_per_session = rep->sweep_removed = rep->sweep_ms = -1;
    rep->sweep_at_s = rep->sweep_end_s = NAN;
}

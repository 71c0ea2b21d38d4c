/* load_json.c — the run's results as JSON: units in every name, percentiles in microseconds, the
 * encoded histograms (nanoseconds, per second too) so that runs from several machines can be merged
 * later (load_parse.c reads them back). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "load_int.h"
#include "load_report.h"

/* Adds {"p50":…,"p90":…,…,"max":…} (ab_hist.h's table) and the moments, in microseconds from a
 * nanosecond histogram. */
static void add_latency(cJSON *o, const char *name, const ab_hist *h)
{
    cJSON *l = cJSON_AddObjectToObject(o, name);
    uint64_t v[AB_HIST_NPCT];
    size_t i;
    ab_hist_percentiles(h, v);
    for (i = 0; i < AB_HIST_NPCT; i++)
        cJSON_AddNumberToObject(l, ab_hist_pct_keys[i], (double)v[i] / 1e3);
    cJSON_AddNumberToObject(l, "min", ab_hist_count(h) ? (double)ab_hist_min(h) / 1e3 : 0);
    cJSON_AddNumberToObject(l, "mean", round(ab_hist_mean(h)) / 1e3);
    cJSON_AddNumberToObject(l, "stddev", round(ab_hist_stddev(h)) / 1e3);
    cJSON_AddNumberToObject(l, "count", (double)ab_hist_count(h));
    cJSON_AddNumberToObject(l, "clamped", (double)ab_hist_clamped(h));
}

/* A number, or null when the figure is not available. */
static void add_num_or_null(cJSON *o, const char *name, double v, int ok)
{
    if (ok)
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

/* The share of the load this generator drove: {"index": I (null when merged), "count": N,
 * "users_first", "users", "rate_rps"}. */
static void add_shard(cJSON *config, const ab_load_result *r)
{
    cJSON *o = cJSON_AddObjectToObject(config, "shard");
    add_num_or_null(o, "index", r->cfg.shard_index, r->cfg.shard_index > 0);
    cJSON_AddNumberToObject(o, "count", r->cfg.shard_count);
    cJSON_AddNumberToObject(o, "users_first", (double)r->users_first);
    cJSON_AddNumberToObject(o, "users", (double)r->users_n);
    add_num_or_null(o, "rate_rps", r->rate_eff, r->rate_eff > 0);
}

/* The configuration as run. */
static void add_config(cJSON *root, const ab_load_result *r)
{
    const ab_load_config *c = &r->cfg;
    cJSON *o = cJSON_AddObjectToObject(root, "config"), *t = cJSON_AddArrayToObject(o, "targets");
    cJSON *mix;
    char dist[48];
    size_t i;
    for (i = 0; i < c->ntargets; i++)
        cJSON_AddItemToArray(t, cJSON_CreateString(c->targets[i].name));
    cJSON_AddStringToObject(o, "lb", abl_lb_name(c->lb));
    cJSON_AddStringToObject(o, "mode", c->rate > 0 ? "open" : "closed");
    add_num_or_null(o, "rate_rps", c->rate, c->rate > 0);
    cJSON_AddNumberToObject(o, "connections", c->connections);
    cJSON_AddNumberToObject(o, "threads", c->threads);
    cJSON_AddNumberToObject(o, "duration_s", (double)c->duration_us / 1e6);
    cJSON_AddNumberToObject(o, "warmup_s", (double)c->warmup_us / 1e6);
    cJSON_AddNumberToObject(o, "users", c->users);
    abl_key_dist_name(c, dist, sizeof dist);
    cJSON_AddStringToObject(o, "key_dist", dist);
    mix = cJSON_AddObjectToObject(o, "mix");
    cJSON_AddNumberToObject(mix, "login", c->mix_login);
    cJSON_AddNumberToObject(mix, "request", c->mix_request);
    cJSON_AddNumberToObject(mix, "logout", c->mix_logout);
    cJSON_AddStringToObject(o, "path", c->path);
    cJSON_AddNumberToObject(o, "timeout_ms", (double)c->timeout_us / 1e3);
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
    add_num_or_null(o, "start_at_unix_s", c->start_at, c->start_at > 0);
    add_shard(o, r);
}

/* {"connect": n, …, "total": n} under "errors". */
static void add_error_kinds(cJSON *parent, const abl_stats *s)
{
    cJSON *e = cJSON_AddObjectToObject(parent, "errors_by_kind");
    size_t i;
    for (i = 0; i < ABL_ERR_COUNT; i++)
        cJSON_AddNumberToObject(e, abl_err_names[i], (double)s->errors[i]);
    cJSON_AddNumberToObject(e, "total", (double)abl_stats_errors(s));
}

/* Errors by kind, the client-side byte counts per request, per operation. */
static void add_counts(cJSON *root, const ab_load_result *r)
{
    const abl_stats *s = &r->stats;
    cJSON *e = cJSON_AddObjectToObject(root, "errors"), *ops = cJSON_AddObjectToObject(root, "by_op");
    abl_io io;
    size_t i;
    for (i = 0; i < ABL_ERR_COUNT; i++)
        cJSON_AddNumberToObject(e, abl_err_names[i], (double)s->errors[i]);
    cJSON_AddNumberToObject(e, "total", (double)abl_stats_errors(s));
    for (i = 0; i < ABL_OP_COUNT; i++) {
        cJSON *o = cJSON_AddObjectToObject(ops, abl_op_names[i]);
        cJSON_AddNumberToObject(o, "count", (double)s->by_op[i]);
        cJSON_AddNumberToObject(o, "client_bytes_out_per_req", s->by_op[i] ? (double)s->bytes_out[i] / (double)s->by_op[i] : 0);
        cJSON_AddNumberToObject(o, "client_bytes_in_per_req", s->by_op[i] ? (double)s->bytes_in[i] / (double)s->by_op[i] : 0);
    }
    abl_client_io(s, &io);
    cJSON_AddNumberToObject(root, "client_bytes_out_per_req", io.out_per_req);
    cJSON_AddNumberToObject(root, "client_bytes_in_per_req", io.in_per_req);
}

/* The per-request server figures (null when no target answered /stats) and the raw deltas. */
static void add_server(cJSON *root, const ab_load_result *r)
{
    abl_server_fig f;
    cJSON *arr = cJSON_AddArrayToObject(root, "servers");
    size_t i;
    int ok = abl_server_figures(r, &f);
    for (i = 0; i < ABL_NSERVER_FIG; i++)
        add_num_or_null(root, abl_server_fig_names[i], f.v[i], ok);
    add_num_or_null(root, "server_requests", f.requests, ok);
    for (i = 0; i < r->cfg.ntargets; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "target", r->cfg.targets[i].name);
        if (r->server_delta[i] != NULL)
            cJSON_AddItemToObject(o, "stats_delta", cJSON_Duplicate(r->server_delta[i], 1));
        else
            cJSON_AddStringToObject(o, "error", r->server_err[i][0] ? r->server_err[i] : "not fetched");
        cJSON_AddItemToArray(arr, o);
    }
}

/* The per-second series of the measured window, each second's histogram encoded. 0 or -1. */
static int add_timeseries(cJSON *root, const ab_load_result *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "timeseries");
    size_t i;
    for (i = 0; i < r->stats.nsecs; i++) {
        const abl_second *s = &r->stats.secs[i];
        cJSON *o = cJSON_CreateObject();
        char *enc = ab_hist_encode(s->lat);
        if (enc == NULL)
            return -1;
        cJSON_AddNumberToObject(o, "t_s", (double)i);
        cJSON_AddNumberToObject(o, "requests", (double)s->requests);
        cJSON_AddNumberToObject(o, "errors", (double)s->errors);
        cJSON_AddNumberToObject(o, "auth_failures", (double)s->auth_failures);
        cJSON_AddNumberToObject(o, "p50_us", (double)ab_hist_percentile(s->lat, 50) / 1e3);
        cJSON_AddNumberToObject(o, "p99_us", (double)ab_hist_percentile(s->lat, 99) / 1e3);
        cJSON_AddStringToObject(o, "latency_ns", enc);
        free(enc);
        cJSON_AddItemToArray(arr, o);
    }
    return 0;
}

/* The encoded histograms (ab_hist_encode), for merging runs. 0 or -1. */
static int add_histograms(cJSON *root, const ab_load_result *r)
{
    cJSON *o = cJSON_AddObjectToObject(root, "histograms");
    char *a = ab_hist_encode(r->stats.lat), *b = ab_hist_encode(r->stats.lat_unc);
    int rc = a != NULL && b != NULL ? 0 : -1;
    cJSON_AddStringToObject(o, "unit", "ns");
    if (rc == 0) {
        cJSON_AddStringToObject(o, "latency_ns", a);
        cJSON_AddStringToObject(o, "latency_uncorrected_ns", b);
    }
    free(a);
    free(b);
    return rc;
}

/* "window": the measured window as announced (AB_LOAD_WINDOW_LINE), when this generator ran it. */
static void add_window(cJSON *root, const ab_load_result *r)
{
    cJSON *o;
    if (r->window_start_mono_us == 0)
        return;
    o = cJSON_AddObjectToObject(root, "window");
    cJSON_AddNumberToObject(o, "start_mono_us", (double)r->window_start_mono_us);
    cJSON_AddNumberToObject(o, "end_mono_us", (double)r->window_end_mono_us);
    cJSON_AddNumberToObject(o, "start_unix_ms", round(r->window_start_unix_ms));
    cJSON_AddNumberToObject(o, "end_unix_ms", round(r->window_start_unix_ms + r->window_s * 1e3));
}

/* The headline figures: throughput, latency, failures. */
static void add_headline(cJSON *root, const ab_load_result *r)
{
    const abl_stats *s = &r->stats;
    double w = r->window_s > 0 ? r->window_s : 1;
    cJSON *warm, *login;
    cJSON_AddNumberToObject(root, "window_s", r->window_s);
    cJSON_AddNumberToObject(root, "window_start_unix_ms", round(r->window_start_unix_ms));
    add_window(root, r);
    cJSON_AddBoolToObject(root, "interrupted", r->interrupted);
    cJSON_AddNumberToObject(root, "requests", (double)s->requests);
    cJSON_AddNumberToObject(root, "ok", (double)s->ok);
    cJSON_AddNumberToObject(root, "requests_per_sec", (double)s->requests / w);
    cJSON_AddNumberToObject(root, "ok_per_sec", (double)s->ok / w);
    cJSON_AddBoolToObject(root, "latency_corrected", r->cfg.rate > 0);
    add_latency(root, "latency_us", s->lat);
    if (r->cfg.rate > 0)
        add_latency(root, "latency_uncorrected_us", s->lat_unc);
    cJSON_AddNumberToObject(root, "auth_failures", (double)s->auth_failures);
    cJSON_AddNumberToObject(root, "auth_failure_ratio", s->requests ? (double)s->auth_failures / (double)s->requests : 0);
    cJSON_AddNumberToObject(root, "away_from_login_server", (double)s->away);
    cJSON_AddNumberToObject(root, "mix_deferred", (double)s->mix_deferred);
    cJSON_AddNumberToObject(root, "connections_opened", (double)s->connects);
    cJSON_AddNumberToObject(root, "in_flight_at_end", (double)s->in_flight_at_end);
    login = cJSON_AddObjectToObject(root, "initial_logins");
    cJSON_AddNumberToObject(login, "ok", (double)r->login_ok);
    cJSON_AddNumberToObject(login, "failed", (double)r->login_failed);
    cJSON_AddNumberToObject(login, "seconds", r->login_s);
    warm = cJSON_AddObjectToObject(root, "warmup");
    cJSON_AddNumberToObject(warm, "requests", (double)r->warm.requests);
    cJSON_AddNumberToObject(warm, "errors", (double)abl_stats_errors(&r->warm));
    add_error_kinds(warm, &r->warm);
    cJSON_AddNumberToObject(warm, "auth_failures", (double)r->warm.auth_failures);
}

cJSON *ab_load_result_doc(const ab_load_result *r)
{
    cJSON *root = cJSON_CreateObject();
    char started[32];
    if (root == NULL)
        return NULL;
    cJSON_AddStringToObject(root, "schema", "authbench-load/1");
    cJSON_AddStringToObject(root, "started_utc", ab_fmt_utc(r->started_unix, started, sizeof started));
    if (r->environment != NULL)
        cJSON_AddItemToObject(root, "environment", cJSON_Duplicate(r->environment, 1));
    add_config(root, r);
    add_headline(root, r);
    add_counts(root, r);
    add_server(root, r);
    if (add_timeseries(root, r) == 0 && add_histograms(root, r) == 0)
        return root;
    cJSON_Delete(root);
    return NULL;
}

char *ab_load_result_json(const ab_load_result *r)
{
    cJSON *root = ab_load_result_doc(r);
    char *text = root != NULL ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    return text;
}

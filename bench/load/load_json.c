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

/* Adds h encoded (ab_hist_encode) as o.name. 0 or -1 when out of memory. */
static int add_encoded(cJSON *o, const char *name, const ab_hist *h)
{
    char *enc = ab_hist_encode(h);
    if (enc == NULL)
        return -1;
    cJSON_AddStringToObject(o, name, enc);
    free(enc);
    return 0;
}

/* The per-second series of the measured window, each second's histogram (successful answers)
 * encoded. 0 or -1. */
static int add_timeseries(cJSON *root, const ab_load_result *r)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "timeseries");
    size_t i;
    for (i = 0; i < r->stats.nsecs; i++) {
        const abl_second *s = &r->stats.secs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddNumberToObject(o, "t_s", (double)i);
        cJSON_AddNumberToObject(o, "requests", (double)s->requests);
        cJSON_AddNumberToObject(o, "ok", (double)s->ok);
        cJSON_AddNumberToObject(o, "errors", (double)s->errors);
        cJSON_AddNumberToObject(o, "auth_failures", (double)s->auth_failures);
        cJSON_AddNumberToObject(o, "p50_us", (double)ab_hist_percentile(s->lat, 50) / 1e3);
        cJSON_AddNumberToObject(o, "p99_us", (double)ab_hist_percentile(s->lat, 99) / 1e3);
        if (add_encoded(o, "latency_ns", s->lat) != 0)
            return -1;
    }
    return 0;
}

/* The encoded histograms, for merging runs: under "histograms" (ns) the successful answers' and the
 * schedule lag; the failed answers' as "histogram_failed" at the top. 0 or -1. */
static int add_histograms(cJSON *root, const ab_load_result *r)
{
    cJSON *o = cJSON_AddObjectToObject(root, "histograms");
    cJSON_AddStringToObject(o, "unit", "ns");
    if (add_encoded(o, "latency_ns", r->stats.lat) != 0 || add_encoded(o, "latency_uncorrected_ns", r->stats.lat_unc) != 0 ||
        add_encoded(o, "schedule_lag_ns", r->stats.lag) != 0)
        return -1;
    return add_encoded(root, "histogram_failed", r->stats.lat_failed);
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

/* The honest rates: target, achieved, sent, reached, the schedule lag (open loop; null when closed),
 * goodput. */
static void add_rates(cJSON *root, const ab_load_result *r, const abl_rates *x)
{
    cJSON *lag;
    add_num_or_null(root, "target_rate_per_sec", x->target, x->target > 0);
    cJSON_AddNumberToObject(root, "achieved_rate_per_sec", x->achieved);
    cJSON_AddNumberToObject(root, "sent", (double)r->stats.sent);
    cJSON_AddNumberToObject(root, "sent_per_sec", x->sent);
    if (x->reached < 0)
        cJSON_AddNullToObject(root, "rate_reached");
    else
        cJSON_AddBoolToObject(root, "rate_reached", x->reached);
    if (x->target > 0) {
        lag = cJSON_AddObjectToObject(root, "schedule_lag_us");
        cJSON_AddNumberToObject(lag, "p50", x->lag_p50_us);
        cJSON_AddNumberToObject(lag, "p95", x->lag_late_us);
        cJSON_AddNumberToObject(lag, "p99", x->lag_p99_us);
        cJSON_AddNumberToObject(lag, "max", x->lag_max_us);
        cJSON_AddNumberToObject(lag, "backlog_at_end", x->backlog_us);
        cJSON_AddBoolToObject(lag, "behind", x->behind);
    } else {
        cJSON_AddNullToObject(root, "schedule_lag_us");
    }
    cJSON_AddNumberToObject(root, "goodput_per_sec", x->goodput);
}

/* Failed answers: their count and latency (null when none failed), apart from the successful ones. */
static void add_failed(cJSON *root, const abl_stats *s)
{
    cJSON_AddNumberToObject(root, "failed_answers", (double)ab_hist_count(s->lat_failed));
    if (ab_hist_count(s->lat_failed) > 0)
        add_latency(root, "latency_failed_us", s->lat_failed);
    else
        cJSON_AddNullToObject(root, "latency_failed_us");
}

/* The load generator's own CPU over the window: {"cpu_s", "util" (0..1), "us_per_req" (null when
 * nothing completed), "threads", "bottleneck"}. */
static void add_loadgen_cpu(cJSON *root, const ab_load_result *r, const abl_rates *x)
{
    cJSON *o = cJSON_AddObjectToObject(root, "loadgen_cpu");
    cJSON_AddNumberToObject(o, "cpu_s", x->cpu_s);
    cJSON_AddNumberToObject(o, "util", x->cpu_util);
    add_num_or_null(o, "us_per_req", x->cpu_us_per_req, x->cpu_us_per_req >= 0);
    cJSON_AddNumberToObject(o, "threads", r->cfg.threads);
    cJSON_AddBoolToObject(o, "bottleneck", x->cpu_util >= AB_LOAD_CPU_BOTTLENECK);
}

/* The headline figures: throughput, latency, failures. */
static void add_headline(cJSON *root, const ab_load_result *r)
{
    const abl_stats *s = &r->stats;
    double w = r->window_s > 0 ? r->window_s : 1;
    cJSON *warm, *login;
    abl_rates x;
    cJSON_AddNumberToObject(root, "window_s", r->window_s);
    cJSON_AddNumberToObject(root, "window_start_unix_ms", round(r->window_start_unix_ms));
    add_window(root, r);
    cJSON_AddBoolToObject(root, "interrupted", r->interrupted);
    cJSON_AddNumberToObject(root, "requests", (double)s->requests);
    cJSON_AddNumberToObject(root, "ok", (double)s->ok);
    cJSON_AddNumberToObject(root, "requests_per_sec", (double)s->requests / w);
    cJSON_AddNumberToObject(root, "ok_per_sec", (double)s->ok / w);
    abl_rates_of(r, &x);
    add_rates(root, r, &x);
    cJSON_AddBoolToObject(root, "latency_corrected", r->cfg.rate > 0);
    add_latency(root, "latency_us", s->lat);
    if (r->cfg.rate > 0)
        add_latency(root, "latency_uncorrected_us", s->lat_unc);
    add_failed(root, s);
    add_loadgen_cpu(root, r, &x);
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

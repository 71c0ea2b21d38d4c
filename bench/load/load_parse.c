/* load_parse.c — a result read back from the JSON load_json.c wrote (schema authbench-load/1): the
 * configuration, counters, histograms of the window and of every second, the servers' /stats
 * deltas. What `authbench merge` combines (load_merge.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ab_cli.h"
#include "load_int.h"
#include "load_server.h"

/* The reason given for a field that documents written by an older authbench load lack. */
#define ABL_OLDER_DOC "missing (written by an older authbench load: run it again)"

/* Where parsing is: the document and the first problem met. */
typedef struct abl_reader {
    const cJSON *doc;
    char *err;
    size_t errlen;
    int bad;
} abl_reader;

/* Records the first problem: a field missing or malformed. Returns 0 (a value to use meanwhile). */
static double bad_field(abl_reader *rd, const char *path, const char *what)
{
    if (!rd->bad)
        snprintf(rd->err, rd->errlen, "%s: %s", path, what);
    rd->bad = 1;
    return 0;
}

/* The number at path (relative to obj, or the document when obj is NULL). */
static double num(abl_reader *rd, const cJSON *obj, const char *path)
{
    const cJSON *v = ab_json_at(obj != NULL ? obj : rd->doc, path);
    return cJSON_IsNumber(v) ? v->valuedouble : bad_field(rd, path, "missing or not a number");
}

/* A count at path: a whole number >= 0. */
static uint64_t count(abl_reader *rd, const cJSON *obj, const char *path)
{
    double v = num(rd, obj, path);
    if (v < 0 || v != floor(v) || v > 9e15)
        return (uint64_t)bad_field(rd, path, "not a count");
    return (uint64_t)v;
}

/* The number at path, or dflt when it is null or absent. */
static double num_or(abl_reader *rd, const cJSON *obj, const char *path, double dflt)
{
    const cJSON *v = ab_json_at(obj != NULL ? obj : rd->doc, path);
    return v == NULL || cJSON_IsNull(v) ? dflt : num(rd, obj, path);
}

/* The string at path ("" when bad). */
static const char *str(abl_reader *rd, const cJSON *obj, const char *path)
{
    const cJSON *v = ab_json_at(obj != NULL ? obj : rd->doc, path);
    if (cJSON_IsString(v))
        return v->valuestring;
    bad_field(rd, path, "missing or not a string");
    return "";
}

/* The balancer and key distribution from their names. */
static void read_policies(abl_reader *rd, ab_load_config *cfg)
{
    const char *lb = str(rd, NULL, "config.lb"), *kd = str(rd, NULL, "config.key_dist");
    int i;
    for (i = AB_LOAD_LB_RR; i <= AB_LOAD_LB_STICKY && strcmp(abl_lb_name((ab_load_lb)i), lb) != 0; i++)
        ;
    cfg->lb = (ab_load_lb)i;
    if (i > AB_LOAD_LB_STICKY)
        bad_field(rd, "config.lb", "not rr, random or sticky");
    if (strcmp(kd, "uniform") != 0 && (strncmp(kd, "zipf:", 5) != 0 || ab_parse_double(kd + 5, 0.01, 10, &cfg->zipf_theta) != 0))
        bad_field(rd, "config.key_dist", "not uniform or zipf:THETA");
}

/* The configuration (targets by name into targets[], ntargets of them). */
static void read_config(abl_reader *rd, ab_load_config *cfg, ab_load_target *targets, size_t ntargets)
{
    const cJSON *t;
    size_t i = 0;
    ab_load_config_defaults(cfg);
    cJSON_ArrayForEach(t, ab_json_at(rd->doc, "config.targets")) {
        if (!cJSON_IsString(t) || strlen(t->valuestring) >= sizeof targets[i].name)
            bad_field(rd, "config.targets", "not a list of HOST:PORT");
        else
            snprintf(targets[i].name, sizeof targets[i].name, "%s", t->valuestring);
        i++;
    }
    cfg->targets = targets;
    cfg->ntargets = ntargets;
    read_policies(rd, cfg);
    cfg->rate = num_or(rd, NULL, "config.rate_rps", 0);
    cfg->connections = (unsigned)count(rd, NULL, "config.connections");
    cfg->threads = (unsigned)count(rd, NULL, "config.threads");
    cfg->duration_us = (uint64_t)llround(fmin(fmax(0, num(rd, NULL, "config.duration_s")), 1e9) * 1e6);
    cfg->warmup_us = (uint64_t)llround(fmin(fmax(0, num(rd, NULL, "config.warmup_s")), 1e9) * 1e6);
    cfg->users = (unsigned)count(rd, NULL, "config.users");
    cfg->mix_login = num(rd, NULL, "config.mix.login");
    cfg->mix_request = num(rd, NULL, "config.mix.request");
    cfg->mix_logout = num(rd, NULL, "config.mix.logout");
    snprintf(cfg->path, sizeof cfg->path, "%s", str(rd, NULL, "config.path"));
    cfg->timeout_us = (uint64_t)llround(fmin(fmax(0, num(rd, NULL, "config.timeout_ms")), 1e9) * 1e3);
    cfg->seed = (uint64_t)fmin(fmax(0, num(rd, NULL, "config.seed")), 1.8e19);
    cfg->start_at = num_or(rd, NULL, "config.start_at_unix_s", 0);
    cfg->shard_index = cJSON_IsNull(ab_json_at(rd->doc, "config.shard.index")) ? 0
                       : (unsigned)count(rd, NULL, "config.shard.index");
    cfg->shard_count = (unsigned)count(rd, NULL, "config.shard.count");
    if (cfg->duration_us == 0 || cfg->duration_us > 24ull * 3600 * 1000000 || cfg->shard_count < 1 ||
        cfg->shard_count > 1000 || cfg->shard_index > cfg->shard_count)
        bad_field(rd, "config", "duration or shard out of range");
}

/* Adds the encoded histogram at path (under obj) into h. */
static void read_hist(abl_reader *rd, const cJSON *obj, const char *path, ab_hist *h)
{
    ab_hist *x = ab_hist_decode(str(rd, obj, path));
    if (!rd->bad && (x == NULL || ab_hist_merge(h, x) != 0))
        bad_field(rd, path, x == NULL ? "not an encoded histogram" : "a histogram of another range or precision");
    ab_hist_free(x);
}

/* Errors by kind from obj (an "errors" or "errors_by_kind" object) into errors[]. */
static void read_errors(abl_reader *rd, const cJSON *obj, uint64_t *errors)
{
    size_t i;
    for (i = 0; i < ABL_ERR_COUNT; i++)
        errors[i] = count(rd, obj, abl_err_names[i]);
}

/* Per operation: counts, and the bytes their per-request figures stand for. */
static void read_ops(abl_reader *rd, abl_stats *s)
{
    char path[64];
    size_t i;
    for (i = 0; i < ABL_OP_COUNT; i++) {
        snprintf(path, sizeof path, "by_op.%s.count", abl_op_names[i]);
        s->by_op[i] = count(rd, NULL, path);
        snprintf(path, sizeof path, "by_op.%s.client_bytes_out_per_req", abl_op_names[i]);
        s->bytes_out[i] = (uint64_t)llround(fmin(fmax(0, num(rd, NULL, path)), 1e9) * (double)s->by_op[i]);
        snprintf(path, sizeof path, "by_op.%s.client_bytes_in_per_req", abl_op_names[i]);
        s->bytes_in[i] = (uint64_t)llround(fmin(fmax(0, num(rd, NULL, path)), 1e9) * (double)s->by_op[i]);
    }
}

/* The per-second series: one row per second of the window, each with its histogram. */
static void read_seconds(abl_reader *rd, abl_stats *s)
{
    const cJSON *series = ab_json_at(rd->doc, "timeseries"), *row;
    size_t i = 0;
    if (cJSON_GetArraySize(series) != (int)s->nsecs) {
        bad_field(rd, "timeseries", "not one row per second of the window");
        return;
    }
    cJSON_ArrayForEach(row, series) {
        s->secs[i].requests = count(rd, row, "requests");
        s->secs[i].errors = count(rd, row, "errors");
        s->secs[i].auth_failures = count(rd, row, "auth_failures");
        /* a document from before "ok": its transport errors cannot be told from failed answers, so
         * every error is taken as answered (the figure the old documents' readers computed) */
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(row, "ok")))
            s->secs[i].ok = count(rd, row, "ok");
        else {
            uint64_t failed = s->secs[i].auth_failures + s->secs[i].errors;
            s->secs[i].ok = failed < s->secs[i].requests ? s->secs[i].requests - failed : 0;
        }
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(row, "latency_ns")))
            bad_field(rd, "timeseries[].latency_ns", ABL_OLDER_DOC);
        read_hist(rd, row, "latency_ns", s->secs[i++].lat);
    }
}

/* The rates, failed answers and the generator's CPU: sends, the schedule lag, the backlog at the
 * end (null in closed loop), the failed answers' histogram, the CPU seconds. */
static void read_honest(abl_reader *rd, abl_stats *s)
{
    static const char *const needed[] = {"histogram_failed", "histograms.schedule_lag_ns", "loadgen_cpu.cpu_s"};
    const cJSON *lag = ab_json_at(rd->doc, "schedule_lag_us");
    size_t i;
    for (i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (ab_json_at(rd->doc, needed[i]) == NULL) {
            bad_field(rd, needed[i], ABL_OLDER_DOC);
            return;
        }
    s->sent = count(rd, NULL, "sent");
    read_hist(rd, NULL, "histograms.schedule_lag_ns", s->lag);
    read_hist(rd, NULL, "histogram_failed", s->lat_failed);
    s->backlog_ns = cJSON_IsObject(lag) ? (uint64_t)llround(fmin(fmax(0, num(rd, lag, "backlog_at_end")), 1e12) * 1e3) : 0;
    s->cpu_ns = (uint64_t)llround(fmin(fmax(0, num(rd, NULL, "loadgen_cpu.cpu_s")), 1e9) * 1e9);
}

/* The measured window's statistics. */
static void read_stats(abl_reader *rd, abl_stats *s)
{
    s->requests = count(rd, NULL, "requests");
    s->ok = count(rd, NULL, "ok");
    s->auth_failures = count(rd, NULL, "auth_failures");
    read_errors(rd, ab_json_at(rd->doc, "errors"), s->errors);
    read_ops(rd, s);
    s->mix_deferred = count(rd, NULL, "mix_deferred");
    s->away = count(rd, NULL, "away_from_login_server");
    s->connects = count(rd, NULL, "connections_opened");
    s->in_flight_at_end = count(rd, NULL, "in_flight_at_end");
    read_hist(rd, NULL, "histograms.latency_ns", s->lat);
    read_hist(rd, NULL, "histograms.latency_uncorrected_ns", s->lat_unc);
    read_seconds(rd, s);
    read_honest(rd, s);
}

/* The warm-up's counts (the JSON keeps no warm-up histogram). */
static void read_warmup(abl_reader *rd, abl_stats *w)
{
    w->requests = count(rd, NULL, "warmup.requests");
    w->auth_failures = count(rd, NULL, "warmup.auth_failures");
    read_errors(rd, ab_json_at(rd->doc, "warmup.errors_by_kind"), w->errors);
}

/* Each target's /stats delta, or why it has none. */
static void read_servers(abl_reader *rd, ab_load_result *r)
{
    const cJSON *srv = ab_json_at(rd->doc, "servers"), *o;
    size_t i = 0;
    if (cJSON_GetArraySize(srv) != (int)r->cfg.ntargets) {
        bad_field(rd, "servers", "not one entry per target");
        return;
    }
    cJSON_ArrayForEach(o, srv) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "stats_delta");
        const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "error"));
        if (cJSON_IsObject(d))
            r->server_delta[i] = cJSON_Duplicate(d, 1);
        else
            snprintf(r->server_err[i], sizeof r->server_err[i], "%s", why != NULL ? why : "not fetched");
        i++;
    }
}

/* The run's own figures: window, times, logins, shard, environment. */
static void read_run(abl_reader *rd, ab_load_result *r)
{
    const char *started = str(rd, NULL, "started_utc");
    const cJSON *env = ab_json_at(rd->doc, "environment");
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strptime(started, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
        bad_field(rd, "started_utc", "not a UTC time like 2026-11-29T15:00:00Z");
    r->started_unix = (int64_t)timegm(&tm);
    r->window_s = num(rd, NULL, "window_s");
    r->interrupted = cJSON_IsTrue(ab_json_at(rd->doc, "interrupted"));
    r->window_start_unix_ms = num(rd, NULL, "window_start_unix_ms");
    r->login_ok = count(rd, NULL, "initial_logins.ok");
    r->login_failed = count(rd, NULL, "initial_logins.failed");
    r->login_s = num(rd, NULL, "initial_logins.seconds");
    r->users_first = (size_t)count(rd, NULL, "config.shard.users_first");
    r->users_n = (size_t)count(rd, NULL, "config.shard.users");
    r->rate_eff = num_or(rd, NULL, "config.shard.rate_rps", 0);
    if (cJSON_IsObject(env))
        r->environment = cJSON_Duplicate(env, 1);
}

ab_load_result *ab_load_result_from_doc(const cJSON *doc, char *err, size_t errlen)
{
    abl_reader rd = {doc, err, errlen, 0};
    int ntargets = cJSON_GetArraySize(ab_json_at(doc, "config.targets"));
    ab_load_target *targets = calloc(ntargets > 0 ? (size_t)ntargets : 1, sizeof *targets);
    ab_load_result *r = NULL;
    ab_load_config cfg;
    if (targets == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (strcmp(str(&rd, NULL, "schema"), "authbench-load/1") != 0 || ntargets < 1)
        bad_field(&rd, "schema", "not an authbench load --json document (authbench-load/1 with targets)");
    if (!rd.bad)
        read_config(&rd, &cfg, targets, (size_t)ntargets);
    if (!rd.bad && (r = abl_result_new(&cfg)) == NULL)
        snprintf(err, errlen, "out of memory");
    if (r != NULL) {
        read_run(&rd, r);
        read_stats(&rd, &r->stats);
        read_warmup(&rd, &r->warm);
        read_servers(&rd, r);
    }
    free(targets);
    if (rd.bad) {
        ab_load_result_free(r);
        return NULL;
    }
    return r;
}

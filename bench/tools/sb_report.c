/* sb_report.c — store-bench's report: the text lines and the JSON object (bench/run/extras.c and
 * the tests read its fields), with the store URI's password masked. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "sb_int.h"

/* Per-operation value of a counter. */
static double per_op(uint64_t v, uint64_t ops)
{
    return ops ? (double)v / (double)ops : 0;
}

/* Per-operation value of a measured quantity. */
static double per_op_d(double v, uint64_t ops)
{
    return ops ? v / (double)ops : 0;
}

/* Bytes per stored session, from the store's growth over the run's fill + sessions; -1 when not
 * measured or when the run changed how many there are (create, delete, mix, a sweep). */
static double bytes_per_session(const sb_cfg *cfg, const sb_result *r)
{
    if (r->bytes_before < 0 || r->bytes_after < 0 || (cfg->op != SB_GET && cfg->op != SB_TOUCH) || cfg->sweep > 0)
        return -1;
    return (double)(r->bytes_after - r->bytes_before) / (double)(cfg->fill + cfg->sessions);
}

/* Prints the latency line: the reported percentiles (p99.9 written so), max and mean in µs. */
static void print_latency(const ab_hist *h)
{
    uint64_t v[AB_HIST_NPCT];
    size_t i;
    ab_hist_percentiles(h, v);
    printf("  latency µs  ");
    for (i = 0; i < AB_HIST_NPCT; i++)
        if (i == AB_HIST_MAX)
            printf(" max %.1f ", (double)v[i] / 1000.0);
        else
            printf(" p%g %.1f ", ab_hist_pcts[i], (double)v[i] / 1000.0);
    printf(" mean %.1f\n", ab_hist_mean(h) / 1000.0);
}

static void print_text(const sb_cfg *cfg, const char *backend, const sb_result *r)
{
    char uri[512];
    unsigned k;
    ab_mask_secrets(cfg->uri, uri, sizeof uri);
    printf("store-bench: %s (%s) op=%s threads=%u clients=%u pipeline=%u sessions=%llu claims=%llu B\n", backend,
           uri, sb_op_names[cfg->op], cfg->threads, cfg->clients, cfg->pipeline, (unsigned long long)cfg->sessions,
           (unsigned long long)cfg->value_bytes);
    printf("  measured     %.2f s (warm-up %.2f s not counted)%s\n", r->seconds, (double)cfg->warmup_us / 1e6,
           r->interrupted ? ", interrupted" : "");
    printf("  throughput   %.1f ops/s (%llu ops, %llu not found, %llu errors)\n",
           r->seconds > 0 ? (double)r->t.ops / r->seconds : 0, (unsigned long long)r->t.ops,
           (unsigned long long)r->t.not_found, (unsigned long long)r->t.errors);
    for (k = 0; k < SSTORE_STATUS__COUNT; k++)
        if (r->t.by_status[k] != 0)
            printf("  errors       %s: %llu\n", sstore_status_name((sstore_status)k),
                   (unsigned long long)r->t.by_status[k]);
    print_latency(r->t.hist);
    printf("  I/O per op   round trips %.3f  net out %.1f B  net in %.1f B  disk read %.1f B  disk written %.1f B"
           "  fsyncs %.3f  syscalls %.2f\n", per_op(r->t.io.round_trips, r->t.ops),
           per_op(r->t.io.net_bytes_out, r->t.ops), per_op(r->t.io.net_bytes_in, r->t.ops),
           per_op(r->t.io.disk_bytes_read, r->t.ops), per_op(r->t.io.disk_bytes_written, r->t.ops),
           per_op(r->t.io.fsyncs, r->t.ops), per_op(r->t.io.syscalls, r->t.ops));
    printf("  pipelining   %.2f ops per round trip (%u in flight per connection at most)\n",
           per_op(r->t.io.ops, r->t.io.round_trips), cfg->pipeline);
    printf("  client CPU   %.2f µs per op (user + sys of store-bench's threads)\n", per_op_d(r->cpu_us, r->t.ops));
    if (r->t.io.reconnects != 0 || r->t.io.redirects != 0)
        printf("  reconnects   %llu  redirects %llu\n", (unsigned long long)r->t.io.reconnects,
               (unsigned long long)r->t.io.redirects);
    if (r->sweep_ran && r->sweep_hist != NULL) {
        uint64_t v[AB_HIST_NPCT];
        ab_hist_percentiles(r->sweep_hist, v);
        printf("  sweep        removed %ld of %llu expired sessions in %.1f ms mid-window; %llu ops completed meanwhile: "
               "p50 %.1f µs  p99 %.1f µs  max %.1f µs\n", r->swept, (unsigned long long)cfg->sweep, r->sweep_ms,
               (unsigned long long)ab_hist_count(r->sweep_hist), (double)v[AB_HIST_P50] / 1000.0,
               (double)v[AB_HIST_P99] / 1000.0, (double)v[AB_HIST_MAX] / 1000.0);
    }
    if (cfg->fill > 0)
        printf("  fill         %llu sessions stored before the run in %.1f s (%.0f/s)\n", (unsigned long long)cfg->fill,
               r->fill_s, r->fill_s > 0 ? (double)cfg->fill / r->fill_s : 0);
    if (r->bytes_after >= 0 && bytes_per_session(cfg, r) >= 0)
        printf("  store size   %lld B after the run, %lld B before the sessions: %.0f B per session\n", r->bytes_after,
               r->bytes_before, bytes_per_session(cfg, r));
    else if (r->bytes_after >= 0)
        printf("  store size   %lld B after the run, %lld B before the sessions\n", r->bytes_after, r->bytes_before);
}

/* The "latency_us" object: the reported percentiles (ab_hist.h's table, max last) and the mean. */
static cJSON *latency_json(const ab_hist *h)
{
    cJSON *o = cJSON_CreateObject();
    uint64_t v[AB_HIST_NPCT];
    size_t i;
    ab_hist_percentiles(h, v);
    for (i = 0; i < AB_HIST_NPCT; i++)
        cJSON_AddNumberToObject(o, ab_hist_pct_keys[i], (double)v[i] / 1000.0);
    cJSON_AddNumberToObject(o, "mean", ab_hist_mean(h) / 1000.0);
    return o;
}

/* Adds the I/O counters per operation (and the totals that are events, not rates). */
static void io_json(cJSON *root, const sb_result *r)
{
    cJSON_AddNumberToObject(root, "round_trips_per_op", per_op(r->t.io.round_trips, r->t.ops));
    cJSON_AddNumberToObject(root, "ops_per_round_trip", per_op(r->t.io.ops, r->t.io.round_trips));
    cJSON_AddNumberToObject(root, "net_bytes_out_per_op", per_op(r->t.io.net_bytes_out, r->t.ops));
    cJSON_AddNumberToObject(root, "net_bytes_in_per_op", per_op(r->t.io.net_bytes_in, r->t.ops));
    cJSON_AddNumberToObject(root, "disk_bytes_read_per_op", per_op(r->t.io.disk_bytes_read, r->t.ops));
    cJSON_AddNumberToObject(root, "disk_bytes_written_per_op", per_op(r->t.io.disk_bytes_written, r->t.ops));
    cJSON_AddNumberToObject(root, "fsyncs_per_op", per_op(r->t.io.fsyncs, r->t.ops));
    cJSON_AddNumberToObject(root, "syscalls_per_op", per_op(r->t.io.syscalls, r->t.ops));
    cJSON_AddNumberToObject(root, "client_cpu_us_per_op", per_op_d(r->cpu_us, r->t.ops));
    cJSON_AddNumberToObject(root, "reconnects", (double)r->t.io.reconnects);
    cJSON_AddNumberToObject(root, "redirects", (double)r->t.io.redirects);
}

/* A figure, or null when it was not measured (negative). */
static cJSON *figure(double v)
{
    return v >= 0 ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* Adds --fill's figures and the store's size. */
static void size_json(cJSON *root, const sb_cfg *cfg, const sb_result *r)
{
    cJSON_AddNumberToObject(root, "fill_sessions", (double)cfg->fill);
    cJSON_AddItemToObject(root, "fill_s", figure(cfg->fill > 0 ? r->fill_s : -1));
    cJSON_AddItemToObject(root, "stored_bytes_before", figure((double)r->bytes_before));
    cJSON_AddItemToObject(root, "stored_bytes", figure((double)r->bytes_after));
    cJSON_AddItemToObject(root, "stored_bytes_per_session", figure(bytes_per_session(cfg, r)));
}

/* Adds --sweep's figures: what it removed, how long it took, the latency of what completed meanwhile. */
static void sweep_json(cJSON *root, const sb_cfg *cfg, const sb_result *r)
{
    int ran = r->sweep_ran && r->sweep_hist != NULL;
    uint64_t n = ran ? ab_hist_count(r->sweep_hist) : 0;
    cJSON_AddNumberToObject(root, "sweep_sessions", (double)cfg->sweep);
    cJSON_AddItemToObject(root, "swept", ran && r->swept >= 0 ? cJSON_CreateNumber((double)r->swept) : cJSON_CreateNull());
    cJSON_AddItemToObject(root, "sweep_ms", figure(ran ? r->sweep_ms : -1));
    cJSON_AddNumberToObject(root, "ops_during_sweep", (double)n);
    cJSON_AddItemToObject(root, "latency_during_sweep_us", n > 0 ? latency_json(r->sweep_hist) : cJSON_CreateNull());
}

/* Prints the run as one JSON object. 0, or -1 when out of memory. */
static int print_json(const sb_cfg *cfg, const char *backend, const sb_result *r)
{
    cJSON *root = cJSON_CreateObject(), *errs = cJSON_CreateObject();
    char uri[512], *text, *hist = ab_hist_encode(r->t.hist);
    unsigned k;
    ab_mask_secrets(cfg->uri, uri, sizeof uri);
    cJSON_AddStringToObject(root, "store", uri);
    cJSON_AddStringToObject(root, "backend", backend);
    cJSON_AddStringToObject(root, "op", sb_op_names[cfg->op]);
    cJSON_AddStringToObject(root, "engine", "event-loop");
    cJSON_AddNumberToObject(root, "threads", cfg->threads);
    cJSON_AddNumberToObject(root, "clients", cfg->clients);
    cJSON_AddNumberToObject(root, "pipeline", cfg->pipeline);
    cJSON_AddNumberToObject(root, "sessions", (double)cfg->sessions);
    cJSON_AddNumberToObject(root, "value_bytes", (double)cfg->value_bytes);
    cJSON_AddNumberToObject(root, "duration_s", r->seconds);
    cJSON_AddNumberToObject(root, "warmup_s", (double)cfg->warmup_us / 1e6);
    cJSON_AddBoolToObject(root, "interrupted", r->interrupted);
    cJSON_AddNumberToObject(root, "ops", (double)r->t.ops);
    cJSON_AddNumberToObject(root, "ops_per_sec", r->seconds > 0 ? (double)r->t.ops / r->seconds : 0);
    cJSON_AddNumberToObject(root, "not_found", (double)r->t.not_found);
    cJSON_AddNumberToObject(root, "errors", (double)r->t.errors);
    for (k = 0; k < SSTORE_STATUS__COUNT; k++)
        if (r->t.by_status[k] != 0)
            cJSON_AddNumberToObject(errs, sstore_status_name((sstore_status)k), (double)r->t.by_status[k]);
    cJSON_AddItemToObject(root, "errors_by_status", errs);
    cJSON_AddItemToObject(root, "latency_us", latency_json(r->t.hist));
    cJSON_AddStringToObject(root, "latency_recorded", "per operation, from its submit to its completion");
    io_json(root, r);
    size_json(root, cfg, r);
    sweep_json(root, cfg, r);
    cJSON_AddStringToObject(root, "latency_hist_ns", hist != NULL ? hist : "");
    text = cJSON_PrintUnformatted(root);
    if (text != NULL)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(root);
    free(hist);
    return text != NULL ? 0 : -1;
}

int sb_report(const sb_cfg *cfg, const char *backend, const sb_result *r)
{
    if (cfg->json)
        return print_json(cfg, backend, r);
    print_text(cfg, backend, r);
    return fflush(stdout) == 0 ? 0 : -1;
}


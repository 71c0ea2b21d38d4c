/* load_summary.c — the human summary of a run (every number with its unit) and the figures it
 * shares with the JSON output (per-request server figures, the rates and whether they were reached). */
#include <stdio.h>
#include <string.h>

#include "load_report.h"
#include "load_server.h"

/* The /stats counters summed for each figure (NULL-terminated), in the order of abl_server_fig_id. */
static const char *const server_fig_paths[ABL_NSERVER_FIG][3] = {
#define FIG_(id, name, path, path2) {path, path2, NULL},
#define STORE_FIG_(name, figure, desc) {"store." #name, NULL, NULL},
#define MECH_FIG_(name, desc) {#name, NULL, NULL},
    ABL_SERVER_FIGS(FIG_)
    SSTORE_COUNTERS(STORE_FIG_)
    AB_MECH_COUNTERS(MECH_FIG_)
#undef FIG_
#undef STORE_FIG_
#undef MECH_FIG_
};
const char *const abl_server_fig_names[ABL_NSERVER_FIG] = {
#define FIG_(id, name, path, path2) name,
#define STORE_FIG_(name, figure, desc) #figure "_per_req",
#define MECH_FIG_(name, desc) #name "_per_req",
    ABL_SERVER_FIGS(FIG_)
    SSTORE_COUNTERS(STORE_FIG_)
    AB_MECH_COUNTERS(MECH_FIG_)
#undef FIG_
#undef STORE_FIG_
#undef MECH_FIG_
};

void abl_client_io(const abl_stats *s, abl_io *io)
{
    uint64_t n = 0, out = 0, in = 0;
    size_t i;
    for (i = 0; i < ABL_OP_COUNT; i++) {
        n += s->by_op[i];
        out += s->bytes_out[i];
        in += s->bytes_in[i];
    }
    io->out_per_req = n ? (double)out / (double)n : 0;
    io->in_per_req = n ? (double)in / (double)n : 0;
}

int abl_server_figures(const ab_load_result *r, abl_server_fig *f)
{
    size_t t, i, k;
    int any = 0;
    memset(f, 0, sizeof *f);
    for (t = 0; t < r->cfg.ntargets; t++) {
        const cJSON *d = r->server_delta[t];
        if (d == NULL)
            continue;
        any = 1;
        f->requests += ab_json_num_or(d, "requests", 0);
        for (i = 0; i < ABL_NSERVER_FIG; i++)
            for (k = 0; k < 3 && server_fig_paths[i][k] != NULL; k++)
                f->v[i] += ab_json_num_or(d, server_fig_paths[i][k], 0);
    }
    for (i = 0; i < ABL_NSERVER_FIG; i++)
        f->v[i] = f->requests > 0 ? f->v[i] / f->requests : 0;
    return any;
}

void abl_rates_of(const ab_load_result *r, abl_rates *x)
{
    const abl_stats *s = &r->stats;
    double w = r->window_s > 0 ? r->window_s : 1;
    memset(x, 0, sizeof *x);
    x->target = r->cfg.rate > 0 ? r->rate_eff : 0;
    x->achieved = (double)s->requests / w;
    x->sent = (double)s->sent / w;
    x->goodput = (double)s->ok / w;
    x->lag_p50_us = (double)ab_hist_percentile(s->lag, 50) / 1e3;
    x->lag_late_us = (double)ab_hist_percentile(s->lag, 100 * (1 - AB_LOAD_LATE_SHARE)) / 1e3;
    x->lag_p99_us = (double)ab_hist_percentile(s->lag, 99) / 1e3;
    x->lag_max_us = (double)ab_hist_max(s->lag) / 1e3;
    x->backlog_us = (double)s->backlog_ns / 1e3;
    x->behind = x->target > 0 && (x->lag_late_us > AB_LOAD_BEHIND_US || x->backlog_us > AB_LOAD_BEHIND_US);
    x->reached = x->target > 0 ? x->achieved >= AB_LOAD_RATE_REACHED_FRACTION * x->target && !x->behind : -1;
    x->cpu_s = (double)s->cpu_ns / 1e9;
    x->cpu_util = r->window_s > 0 && r->cfg.threads > 0 ? x->cpu_s / (r->window_s * r->cfg.threads) : 0;
    x->cpu_us_per_req = s->requests ? x->cpu_s * 1e6 / (double)s->requests : -1;
}

int ab_load_result_rate_reached(const ab_load_result *r)
{
    abl_rates x;
    abl_rates_of(r, &x);
    return x.reached;
}

void abl_key_dist_name(const ab_load_config *cfg, char *buf, size_t len)
{
    if (cfg->zipf_theta > 0)
        snprintf(buf, len, "zipf:%g", cfg->zipf_theta);
    else
        snprintf(buf, len, "uniform");
}

/* Prints the share of the load a shard drove (nothing for a whole, unsharded run). */
static void print_shard(FILE *out, const ab_load_result *r)
{
    const ab_load_config *c = &r->cfg;
    char idx[32] = "merged";
    if (c->shard_count <= 1 && c->shard_index != 0)
        return;
    if (c->shard_index > 0)
        snprintf(idx, sizeof idx, "%u of %u", c->shard_index, c->shard_count);
    fprintf(out, "  %-14s %s: %zu users from user%zu", "shard", idx, r->users_n, r->users_first);
    if (r->rate_eff > 0)
        fprintf(out, ", %.1f req/s", r->rate_eff);
    fprintf(out, "\n");
}

/* Prints one latency line in microseconds. */
static void print_latency(FILE *out, const char *label, const ab_hist *h)
{
    uint64_t v[AB_HIST_NPCT];
    size_t i;
    ab_hist_percentiles(h, v);
    fprintf(out, "  %-14s", label);
    for (i = 0; i < AB_HIST_NPCT; i++)
        fprintf(out, "%s%s %.1f us", i == AB_HIST_MAX ? "  " : " ", ab_hist_pct_keys[i], (double)v[i] / 1e3);
    fprintf(out, "  mean %.1f us\n", ab_hist_mean(h) / 1e3);
}

/* Open loop: the rate line (target, achieved, sent, the schedule lag) and, when the target was not
 * reached, the line that says so, before any latency is shown. */
static void print_rates(FILE *out, const abl_rates *x)
{
    if (x->target <= 0)
        return;
    fprintf(out, "  %-14s target %.1f req/s, achieved %.1f req/s (%.0f %%), sent %.1f req/s; schedule lag p50 "
            "%.1f us, p95 %.1f us, p99 %.1f us, max %.1f us, %.1f us behind at the end\n", "rate", x->target,
            x->achieved, 100.0 * x->achieved / x->target, x->sent, x->lag_p50_us, x->lag_late_us, x->lag_p99_us,
            x->lag_max_us, x->backlog_us);
    if (x->reached)
        return;
    fprintf(out, "  target rate NOT reached: %.0f of %.0f req/s (%.0f %%)", x->achieved, x->target,
            100.0 * x->achieved / x->target);
    if (x->behind)
        fprintf(out, ", the sender fell behind its schedule (%.1f ms behind at the end, lag p%.0f %.1f ms; bound "
                "%.0f ms)", x->backlog_us / 1e3, 100 * (1 - AB_LOAD_LATE_SHARE), x->lag_late_us / 1e3,
                AB_LOAD_BEHIND_US / 1e3);
    fprintf(out, "; latencies below are not latencies at %.0f req/s\n", x->target);
}

/* The load generator's own CPU, with a warning when it may have been the bottleneck. */
static void print_loadgen(FILE *out, const ab_load_result *r, const abl_rates *x)
{
    fprintf(out, "  %-14s %.3f s CPU over %u threads = %.0f %% of their time", "load generator", x->cpu_s,
            r->cfg.threads, 100.0 * x->cpu_util);
    if (x->cpu_us_per_req >= 0)
        fprintf(out, ", %.1f us CPU/req", x->cpu_us_per_req);
    fprintf(out, "%s\n", x->cpu_util >= AB_LOAD_CPU_BOTTLENECK ? " (BUSY: the load generator may be the bottleneck)" : "");
}

/* Prints the errors line: the total and each non-zero kind. */
static void print_errors(FILE *out, const abl_stats *s)
{
    size_t i;
    fprintf(out, "  %-14s %llu", "errors", (unsigned long long)abl_stats_errors(s));
    for (i = 0; i < ABL_ERR_COUNT; i++)
        if (s->errors[i])
            fprintf(out, "  %s %llu", abl_err_names[i], (unsigned long long)s->errors[i]);
    fprintf(out, "\n");
}

/* Prints the server-side costs per request, or why they are missing. */
static void print_server(FILE *out, const ab_load_result *r)
{
    abl_server_fig f;
    if (!abl_server_figures(r, &f)) {
        fprintf(out, "  %-14s n/a (%s)\n", "server", r->server_err[0][0] ? r->server_err[0] : "--no-server-stats");
        return;
    }
    fprintf(out, "  %-14s %.1f us CPU/req, auth %.0f ns CPU/req, %.0f B/req in, %.0f B/req out (%.0f requests counted)\n",
            "server", f.v[ABL_FIG_CPU], f.v[ABL_FIG_AUTH_CPU], f.v[ABL_FIG_BYTES_IN], f.v[ABL_FIG_BYTES_OUT],
            f.requests);
    fprintf(out, "  %-14s %.2f ops/req, %.2f round trips/req, %.0f B/req sent, %.0f B/req received, "
            "disk %.0f B/req read, %.0f B/req written, %.3f fsyncs/req",
            "store", f.v[ABL_FIG_STORE_ops], f.v[ABL_FIG_STORE_round_trips], f.v[ABL_FIG_STORE_net_bytes_out],
            f.v[ABL_FIG_STORE_net_bytes_in], f.v[ABL_FIG_STORE_disk_bytes_read],
            f.v[ABL_FIG_STORE_disk_bytes_written], f.v[ABL_FIG_STORE_fsyncs]);
    if (f.v[ABL_FIG_STORE_fsyncs] > 0)
        fprintf(out, " (%.0f us each)", f.v[ABL_FIG_STORE_fsync_ns] / f.v[ABL_FIG_STORE_fsyncs] / 1e3);
    fprintf(out, "\n");
}

void ab_load_result_print(const ab_load_result *r, FILE *out)
{
    const ab_load_config *c = &r->cfg;
    const abl_stats *s = &r->stats;
    char dist[48];
    abl_io io;
    abl_rates x;
    abl_key_dist_name(c, dist, sizeof dist);
    abl_client_io(s, &io);
    if (c->rate > 0)
        fprintf(out, "authbench load: open loop at %.0f req/s", c->rate);
    else
        fprintf(out, "authbench load: closed loop");
    fprintf(out, ", %u threads, %u connections, %s over %zu target(s), %u users (%s)\n", c->threads,
            c->connections, abl_lb_name(c->lb), c->ntargets, c->users, dist);
    print_shard(out, r);
    fprintf(out, "  %-14s %.2f s measured after %.2f s warm-up%s; %llu users logged in first (%llu failed) in %.2f s\n",
            "window", r->window_s, (double)c->warmup_us / 1e6, r->interrupted ? " (INTERRUPTED)" : "",
            (unsigned long long)r->login_ok, (unsigned long long)r->login_failed, r->login_s);
    abl_rates_of(r, &x);
    fprintf(out, "  %-14s %llu (%.1f req/s), 2xx %llu (goodput %.1f req/s), failed answers %llu\n", "requests",
            (unsigned long long)s->requests, x.achieved, (unsigned long long)s->ok, x.goodput,
            (unsigned long long)ab_hist_count(s->lat_failed));
    print_rates(out, &x);
    print_latency(out, "latency", s->lat);
    fprintf(out, "  %-14s (above: successful answers%s)\n", "",
            c->rate > 0 ? ", from the intended send time, coordinated omission corrected" : "");
    if (c->rate > 0)
        print_latency(out, "uncorrected", s->lat_unc);
    if (ab_hist_count(s->lat_failed) > 0)
        print_latency(out, "failed", s->lat_failed);
    fprintf(out, "  %-14s %llu (%.2f%% of requests); %llu requests went to a server the user had not logged in at\n",
            "auth failures", (unsigned long long)s->auth_failures,
            s->requests ? 100.0 * (double)s->auth_failures / (double)s->requests : 0, (unsigned long long)s->away);
    print_errors(out, s);
    fprintf(out, "  %-14s %.0f B/req client->server, %.0f B/req server->client\n", "client I/O", io.out_per_req,
            io.in_per_req);
    print_loadgen(out, r, &x);
    print_server(out, r);
}

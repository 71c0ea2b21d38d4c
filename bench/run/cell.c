/* cell.c — one cell: for each repetition start what it needs (a private Redis, PostgreSQL or memcached
 * for a fault acting on its store, the store's sessions, the latency proxy, N `authbench serve`), run
 * the repetition (rep.c), then stop everything. */
#include "run_exec.h"
#include "run_revoke.h"
#include "ab_opt.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SERVE_READY_MS 15000

/* Removes one entry of a tree (nftw callback). */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Removes a directory tree (best effort: it only held sessions of a finished repetition). */
static void rmtree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Splits "listening on HOST:PORT" into host and port. 0 or -1. */
static int parse_listening(const char *line, char *host, size_t hlen, int *port)
{
    const char *hp = line + strlen("listening on "), *colon = strrchr(hp, ':');
    if (colon == NULL || (size_t)(colon - hp) >= hlen || (*port = atoi(colon + 1)) <= 0)
        return -1;
    ab_fmt(host, hlen, "%.*s", (int)(colon - hp), hp);
    return 0;
}

/* Starts the latency proxy in front of the store at e->store_host:port (Redis, PostgreSQL, memcached). 0, or -1 with err. */
static int start_proxy(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, char *err, size_t errlen)
{
    char up[96], delay[32], jitter[32], log[AB_RUN_PATH_MAX];
    char *argv[] = {ctx->self, "proxy", "--listen", "127.0.0.1:0", "--upstream", up, "--delay", delay,
                    "--threads", "1", NULL, NULL, NULL, NULL, NULL};
    int k = 10;
    ab_fmt(up, sizeof up, "%s:%d", e->store_host, e->store_port);
    ab_fmt(delay, sizeof delay, "%lluus", (unsigned long long)c->store_delay_us);
    if (c->store_jitter_us > 0) {
        ab_fmt(jitter, sizeof jitter, "%lluus", (unsigned long long)c->store_jitter_us);
        argv[k++] = "--jitter", argv[k++] = jitter;
    }
    ab_fmt(e->proxy_stats, sizeof e->proxy_stats, "%s/rep%u-proxy-stats.json", e->cell_dir, e->rep);
    argv[k++] = "--stats-file", argv[k++] = e->proxy_stats; /* its achieved delay, written as it stops */
    ab_fmt(log, sizeof log, "%s/rep%u-proxy.log", e->cell_dir, e->rep);
    if (ab_run_proc_start(&e->proxy, "authbench proxy", argv, log, NULL, err, errlen) != 0 ||
        ab_run_proc_wait_ready(&e->proxy, "listening on ", SERVE_READY_MS, err, errlen) != 0)
        return -1;
    ab_run_pin(&ctx->placement, AB_RUN_ROLE_STORES, e->proxy.pid);
    if (parse_listening(e->proxy.ready, e->store_host, sizeof e->store_host, &e->store_port) != 0) {
        ab_fmt(err, errlen, "authbench proxy: unexpected ready line '%s'", e->proxy.ready);
        return -1;
    }
    return 0;
}

/* The run's Redis Cluster, flushed, for a session:redis-cluster cell. 0, or -1 with err. */
static int pick_cluster(ab_run_ctx *ctx, ab_run_rep_env *e, char *err, size_t errlen)
{
    if (!ctx->cluster.running || ab_run_cluster_flush(&ctx->cluster) != 0) {
        ab_fmt(err, errlen, "%s", ctx->cluster.running ? "the run's Redis Cluster stopped answering"
                                                          : "no Redis Cluster for this cell");
        return -1;
    }
    e->cluster = &ctx->cluster;
    return 0;
}

/* A PostgreSQL or memcached of the cell's own for a fault that kills its store (e->srv then points
 * to it). 0, or -1 with err. */
static int own_srv(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, char *err, size_t errlen)
{
    char log[AB_RUN_PATH_MAX];
    int pg = strcmp(c->store, "postgres") == 0;
    ab_fmt(log, sizeof log, "%s/rep%u-%s.log", e->cell_dir, e->rep, c->store);
    if ((pg ? ab_run_pg_start(&e->own_srv, ctx->tmp, log, err, errlen)
            : ab_run_mc_start(&e->own_srv, ctx->tmp, log, err, errlen)) != 0)
        return -1;
    ab_run_pin(&ctx->placement, AB_RUN_ROLE_STORES, e->own_srv.proc.pid);
    e->srv = &e->own_srv;
    return 0;
}

/* The Redis a cell uses: a private one for a fault acting on Redis (it will be stopped or paused),
 * else the run's; behind the latency proxy for a store delay or a fault that needs it. */
static int pick_redis(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, char *err, size_t errlen)
{
    const ab_res_fault *f = ab_res_fault_find(c->fault);
    char log[AB_RUN_PATH_MAX];
    if (ab_run_cell_needs_cluster(c))
        return pick_cluster(ctx, e, err, errlen);
    if ((e->srv = ab_run_pgmc_of(&ctx->pg, &ctx->mc, c->store)) != NULL) { /* emptied; the proxy as for Redis */
        if (f != NULL && (f->needs & AB_RES_FAULT_OWN_REDIS) ? own_srv(ctx, e, c, err, errlen) != 0
                                                              : ab_run_srv_flush(e->srv, err, errlen) != 0)
            return -1;
        ab_fmt(e->store_host, sizeof e->store_host, "%s", e->srv->host);
        e->store_port = e->srv->port;
        return c->store_delay_us == 0 && (f == NULL || !(f->needs & AB_RES_FAULT_PROXY)) ? 0
                                                                                         : start_proxy(ctx, e, c, err, errlen);
    }
    if (!ab_run_cell_needs_redis(c))
        return 0;
    if (f != NULL && (f->needs & AB_RES_FAULT_OWN_REDIS)) {
        ab_fmt(log, sizeof log, "%s/rep%u-redis.log", e->cell_dir, e->rep);
        if (ab_run_redis_start(&e->own_redis, ctx->tmp, log, err, errlen) != 0)
            return -1;
        ab_run_pin(&ctx->placement, AB_RUN_ROLE_STORES, e->own_redis.proc.pid);
        e->redis = &e->own_redis;
    } else if (ctx->redis.running) {
        e->redis = &ctx->redis;
        if (ab_run_redis_flush(e->redis) != 0) {
            ab_fmt(err, errlen, "the run's Redis stopped answering");
            return -1;
        }
    } else {
        ab_fmt(err, errlen, "no Redis for this cell (redis-server missing and no --redis-url)");
        return -1;
    }
    ab_fmt(e->store_host, sizeof e->store_host, "%s", e->redis->host);
    e->store_port = e->redis->port;
    if (!c->via_proxy) /* a delay, a 0-delay control, or a fault that needs the proxy */
        return 0;
    return start_proxy(ctx, e, c, err, errlen);
}

/* The serve --mechanism spec of server i (its own disk directory for a file store). */
static int mech_spec(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, unsigned i,
                     char *out, size_t len, char *err, size_t errlen)
{
    static const struct { const char *mode, *query; } modes[] = {
        {"pagecache", "fsync=never&direct=0&lock=flock"}, {"direct", "fsync=never&direct=1&lock=flock"},
        {"fsync", "fsync=always&direct=0&lock=flock"}};
    char uri[sizeof e->cluster->uri + sizeof c->mechanism];
    const char *opts = strchr(c->mechanism, '?'); /* its options ride on the spec (ab_mech.h) */
    size_t k;
    if (opts == NULL)
        opts = "";
    if (strcmp(c->store, "redis") == 0)
        ab_run_redis_uri(e->redis, e->store_host, e->store_port, uri, sizeof uri);
    else if (ab_run_cell_needs_cluster(c))
        ab_fmt(uri, sizeof uri, "%s", e->cluster->uri);
    else if (e->srv != NULL)
        ab_run_srv_uri(e->srv, e->store_host, e->store_port, uri, sizeof uri);
    else
        ab_fmt(uri, sizeof uri, "memory://");
    if (*opts != '\0' && strcmp(c->store, "file") != 0) /* after the URI's own query, if any */
        ab_fmt(uri + strlen(uri), sizeof uri - strlen(uri), "%c%s", strchr(uri, '?') ? '&' : '?', opts + 1);
    if (strcmp(c->family, "none") == 0)
        return ab_fmt(out, len, "none"), 0;
    if (strcmp(c->family, "jwt") == 0)
        return ab_fmt(out, len, "jwt:%s%s", c->alg, opts), 0;
    if (strcmp(c->family, "jwt+denylist") == 0 || strcmp(c->family, "jwt+pushed-denylist") == 0 ||
        strcmp(c->family, "jwt+refresh") == 0)
        return ab_fmt(out, len, "%s:%s,%s", c->family, c->alg, uri), 0;
    if (strcmp(c->store, "file") != 0)
        return ab_fmt(out, len, "session:%s", uri), 0;
    ab_fmt(e->disk, sizeof e->disk, "%s/%s/rep%u-s%u", ctx->disk_dir, c->id, e->rep, i + 1);
    if (ab_mkdirs(e->disk, 0700) != 0) {
        ab_fmt(err, errlen, "cannot make disk store directory %s: %s", e->disk, strerror(errno));
        return -1;
    }
    for (k = 0; k < sizeof modes / sizeof modes[0]; k++)
        if (strcmp(c->disk_mode, modes[k].mode) == 0)
            ab_fmt(out, len, "session:file://%s?%s%s%s", e->disk, modes[k].query, *opts ? "&" : "",
                   *opts ? opts + 1 : "");
    return 0;
}

/* Starts server i and appends its address to e->targets. 0, or -1 with err. */
static int start_server(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, unsigned i,
                        char *err, size_t errlen)
{
    char spec[AB_RUN_PATH_MAX + 128], threads[16], log[AB_RUN_PATH_MAX], host[64], key[AB_RUN_PATH_MAX];
    char spec_file[AB_RUN_PATH_MAX + 64]; /* the spec may hold a store password: a 0600 file, not argv */
    char *argv[] = {ctx->self, "serve", "--mechanism-file", spec_file, "--listen", "127.0.0.1:0",
                    "--threads", threads, "--model", (char *)c->server_model, NULL, NULL, NULL, NULL, NULL};
    int k = 10;
    int port, rc;
    size_t n = strlen(e->targets);
    if (mech_spec(ctx, e, c, i, spec, sizeof spec, err, errlen) != 0)
        return -1;
    ab_fmt(spec_file, sizeof spec_file, "%s/%s-rep%u-serve%u.mechanism", ctx->tmp, c->id, e->rep, i + 1);
    if (ab_opt_write_secret_file(spec_file, spec) != 0) {
        ab_fmt(err, errlen, "cannot write %s: %s", spec_file, strerror(errno));
        return -1;
    }
    if (c->alg[0] != '\0') {
        if (ab_run_key_for(ctx, c->alg, key, sizeof key, err, errlen) != 0)
            return -1;
        argv[k++] = "--key", argv[k++] = key;
    }
    if (strcmp(c->server_model, "pool") == 0) /* a worker per thread the cell gives a server */
        argv[k++] = "--workers", argv[k++] = threads;
    ab_fmt(threads, sizeof threads, "%u", c->server_threads);
    ab_fmt(log, sizeof log, "%s/rep%u-serve%u.log", e->cell_dir, e->rep, i + 1);
    rc = ab_run_proc_start(&e->servers[i], "authbench serve", argv, log, NULL, err, errlen) != 0 ||
         ab_run_proc_wait_ready(&e->servers[i], "listening on ", SERVE_READY_MS, err, errlen) != 0;
    unlink(spec_file); /* read before the server is ready */
    if (rc)
        return -1;
    ab_run_pin(&ctx->placement, AB_RUN_ROLE_SERVERS, e->servers[i].pid); /* its threads are up */
    if (parse_listening(e->servers[i].ready, host, sizeof host, &port) != 0) {
        ab_fmt(err, errlen, "authbench serve: unexpected ready line '%s'", e->servers[i].ready);
        return -1;
    }
    ab_fmt(e->targets + n, sizeof e->targets - n, "%s%s:%d", n ? "," : "", host, port);
    e->nservers = i + 1;
    return 0;
}

/* Stops everything a repetition started, servers first, and removes its disk directories. */
static void rep_teardown(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c)
{
    char dir[AB_RUN_PATH_MAX];
    unsigned i;
    for (i = 0; i < AB_RUN_MAX_SERVERS; i++)
        ab_run_proc_stop(&e->servers[i], SIGTERM, 5000);
    ab_run_proc_stop(&e->proxy, SIGTERM, 5000);
    ab_run_redis_stop(&e->own_redis);
    ab_run_srv_stop(&e->own_srv);
    if (strcmp(c->store, "file") == 0) {
        ab_fmt(dir, sizeof dir, "%s/%s", ctx->disk_dir, c->id);
        rmtree(dir);
    }
}

/* Starts the store (filled with the cell's sessions), proxy and servers of repetition e->rep. 0, or
 * -1 with err. */
static int rep_setup(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, ab_res_rep *rep, char *err,
                     size_t errlen)
{
    unsigned i;
    if (pick_redis(ctx, e, c, err, errlen) != 0 || ab_run_fill_rep(ctx, e, c, rep, err, errlen) != 0)
        return -1;
    for (i = 0; i < c->servers; i++)
        if (start_server(ctx, e, c, i, err, errlen) != 0)
            return -1;
    return 0;
}

/* The proxy's achieved one-way delay from its stats file (written at its exit) into rep. */
static void read_proxy_stats(const ab_run_rep_env *e, ab_res_rep *rep)
{
    char *text = e->proxy_stats[0] != '\0' ? ab_read_file(e->proxy_stats, 1u << 20, NULL) : NULL;
    cJSON *j = text != NULL ? cJSON_Parse(text) : NULL;
    rep->proxy_delay_mean_us = ab_json_num_or(j, "achieved_delay_us.mean", -1);
    rep->proxy_delay_p99_us = ab_json_num_or(j, "achieved_delay_us.p99", -1);
    cJSON_Delete(j);
    free(text);
}

/* The placement and the machine's load when the repetition starts. */
static void rep_noise_start(const ab_run_ctx *ctx, unsigned round, ab_res_rep *rep)
{
    rep->round = (int)round;
    rep->load_avg_1m = ab_run_load_avg_1m();
    /* Nothing of this cell runs yet (the last repetition's processes are stopped): what keeps the
     * CPUs busy now is other work (AB_RUN_OTHER_CPU_PROBE_MS of it). */
    rep->other_cpu_frac = ab_run_other_cpu_frac(AB_RUN_OTHER_CPU_PROBE_MS);
    rep->isolated = ctx->placement.pin && ctx->placement.isolated;
    ab_fmt(rep->placement, sizeof rep->placement, "%s", ctx->placement.text);
}

int ab_run_cell_rep(ab_run_ctx *ctx, const ab_res_cell *c, unsigned k, ab_res_rep *reps, char *err,
                    size_t errlen)
{
    ab_res_rep *rep = &reps[k - 1];
    ab_run_rep_env *e = calloc(1, sizeof *e);
    int rc;
    if (e == NULL) {
        ab_fmt(err, errlen, "out of memory");
        return -1;
    }
    e->rep = k;
    rep_noise_start(ctx, k, rep);
    ab_fmt(e->cell_dir, sizeof e->cell_dir, "%s/cells/%s", ctx->dir, c->id);
    if (ab_mkdirs(e->cell_dir, 0755) != 0) {
        ab_fmt(err, errlen, "cannot make %s: %s", e->cell_dir, strerror(errno));
        free(e);
        return -1;
    }
    rc = rep_setup(ctx, e, c, rep, err, errlen);
    if (rc == 0)
        rc = ab_run_rep_execute(ctx, e, c, rep, err, errlen);
    if (rc == 0)
        ab_run_revoke_rep(e, c, reps, k - 1);
    rep_teardown(ctx, e, c);
    read_proxy_stats(e, rep);
    if (ab_run_stop_signal != 0) {
        ab_fmt(err, errlen, "interrupted");
        rc = -1;
    }
    free(e);
    return rc;
}

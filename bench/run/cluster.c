/* cluster.c — the run's Redis Cluster: three masters started here (redis-server --cluster-enabled
 * yes on free loopback ports, joined by redis-cli --cluster create) or the user's, found from a
 * seed; flushed between cells and counted (INFO) as the single Redis is, summed over the masters.
 * Each master is an ab_run_redis (redis.c). */
#include "run_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLUSTER_READY_MS 20000
#define CLUSTER_CREATE_MS 30000
#define CLUSTER_SCHEME "redis-cluster://"

int ab_run_cell_needs_cluster(const ab_res_cell *c)
{
    return strcmp(c->store, "redis-cluster") == 0;
}

/* Starts master i with cluster mode on and a bus port of its own (port + 10000 may not exist). */
static int node_start(ab_run_cluster *c, size_t i, const char *tmp_base, const char *log_dir, char *err,
                      size_t errlen)
{
    char bus[16], log[AB_RUN_PATH_MAX + 32];
    char *extra[] = {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", bus,
                     "--cluster-node-timeout", "5000", NULL};
    int port = ab_run_free_port();
    if (port < 0) {
        ab_fmt(err, errlen, "no free port for a cluster bus");
        return -1;
    }
    ab_fmt(bus, sizeof bus, "%d", port);
    ab_fmt(log, sizeof log, "%s/redis-cluster-%zu.log", log_dir, i + 1);
    return ab_run_redis_start_ex(&c->masters[i], tmp_base, log, extra, err, errlen);
}

/* redis-cli --cluster create over the masters, no replicas. 0, or -1 with err. */
static int cluster_create(const ab_run_cluster *c, char *err, size_t errlen)
{
    char hp[AB_RUN_CLUSTER_NODES][80], *out, tail[160] = "";
    char *argv[AB_RUN_CLUSTER_NODES + 8] = {"redis-cli", "--cluster", "create"};
    int n = 3, rc;
    size_t i;
    for (i = 0; i < c->nmasters; i++) {
        ab_fmt(hp[i], sizeof hp[i], "%s:%d", c->masters[i].host, c->masters[i].port);
        argv[n++] = hp[i];
    }
    argv[n++] = "--cluster-replicas", argv[n++] = "0", argv[n++] = "--cluster-yes", argv[n] = NULL;
    if ((out = malloc(65536)) == NULL) {
        ab_fmt(err, errlen, "out of memory");
        return -1;
    }
    rc = ab_run_capture(argv, out, 65536, CLUSTER_CREATE_MS);
    if (rc != 0 && strstr(out, "[ERR]") != NULL)
        ab_fmt(tail, sizeof tail, ": %.*s", (int)strcspn(strstr(out, "[ERR]"), "\r\n"), strstr(out, "[ERR]"));
    free(out);
    if (rc == 0)
        return 0;
    ab_fmt(err, errlen, "redis-cli --cluster create failed (%s)%s", rc < 0 ? "did not finish" : "non-zero exit",
               tail);
    return -1;
}

/* 1 when master r reports cluster_state:ok with every slot assigned and n nodes known. */
static int node_ready(const ab_run_redis *r, size_t n)
{
    char info[4096], known[48];
    ab_fmt(known, sizeof known, "cluster_known_nodes:%zu\r", n);
    return ab_run_redis_text(r, "CLUSTER INFO", info, sizeof info) == 0 && strstr(info, "cluster_state:ok") != NULL &&
           strstr(info, "cluster_slots_assigned:16384") != NULL && strstr(info, known) != NULL;
}

/* Waits until every master is ready. 0, or -1 with err. */
static int cluster_wait_ready(const ab_run_cluster *c, const char *log_dir, char *err, size_t errlen)
{
    unsigned waited;
    size_t i;
    int ok;
    for (waited = 0; waited < CLUSTER_READY_MS; waited += 50) {
        for (i = 0, ok = 1; i < c->nmasters && ok; i++)
            ok = node_ready(&c->masters[i], c->nmasters);
        if (ok)
            return 0;
        if (ab_run_sleep_ms(50) != 0) {
            ab_fmt(err, errlen, "interrupted");
            return -1;
        }
    }
    ab_fmt(err, errlen, "the Redis Cluster did not reach cluster_state:ok within %u s (see %s/redis-cluster-1.log)",
               CLUSTER_READY_MS / 1000, log_dir);
    return -1;
}

/* "redis-cluster://h:p,h:p,…" of the masters into c->uri. */
static void own_uri(ab_run_cluster *c)
{
    size_t i, n = 0;
    n += (size_t)snprintf(c->uri, sizeof c->uri, "%s", CLUSTER_SCHEME);
    for (i = 0; i < c->nmasters && n < sizeof c->uri; i++)
        n += (size_t)snprintf(c->uri + n, sizeof c->uri - n, "%s%s:%d", i ? "," : "", c->masters[i].host,
                              c->masters[i].port);
}

int ab_run_cluster_start(ab_run_cluster *c, const char *tmp_base, const char *log_dir, char *err, size_t errlen)
{
    char prog[AB_RUN_PATH_MAX];
    memset(c, 0, sizeof *c);
    if (!ab_run_find_program("redis-cli", prog, sizeof prog)) {
        ab_fmt(err, errlen, "redis-cli not found: run scripts/setup.sh (or apt-get install redis-tools)");
        return -1;
    }
    c->own = 1;
    for (c->nmasters = 0; c->nmasters < AB_RUN_CLUSTER_NODES; c->nmasters++)
        if (node_start(c, c->nmasters, tmp_base, log_dir, err, errlen) != 0)
            goto fail;
    if (cluster_create(c, err, errlen) != 0 || cluster_wait_ready(c, log_dir, err, errlen) != 0)
        goto fail;
    own_uri(c);
    ab_fmt(c->version, sizeof c->version, "%s", c->masters[0].version);
    c->running = 1;
    return 0;
fail:
    ab_run_cluster_stop(c);
    return -1;
}

/* Adds the master at hostport ("host:port") of the user's cluster, reached with auth ("" or
 * "user:pass@"). 0, or -1 with err. */
static int add_master(ab_run_cluster *c, const char *auth, const char *hostport, char *err, size_t errlen)
{
    char url[512];
    if (c->nmasters == AB_RUN_CLUSTER_MAX) {
        ab_fmt(err, errlen, "--redis-cluster-url: the cluster has more than %d masters", AB_RUN_CLUSTER_MAX);
        return -1;
    }
    ab_fmt(url, sizeof url, "redis://%s%s", auth, hostport);
    if (ab_run_redis_use(&c->masters[c->nmasters], url, err, errlen) != 0)
        return -1;
    c->nmasters++;
    return 0;
}

/* Adds every master with slots listed in CLUSTER NODES text ("<id> <ip:port@bus> <flags> <master>
 * <ping> <pong> <epoch> <link> <slot>…"); an empty ip is the seed's host. 0, or -1 with err. */
static int add_masters(ab_run_cluster *c, const char *auth, const char *seed_host, char *nodes, char *err,
                       size_t errlen)
{
    char *save = NULL, *line, addr[320];
    for (line = strtok_r(nodes, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char id[64], hp[256], flags[128], master[64], ping[32], pong[32], epoch[32], link[32], slot[32];
        if (sscanf(line, "%63s %255s %127s %63s %31s %31s %31s %31s %31s", id, hp, flags, master, ping, pong, epoch,
                   link, slot) != 9 || strstr(flags, "master") == NULL || strstr(flags, "fail") != NULL)
            continue;
        hp[strcspn(hp, "@")] = '\0';
        ab_fmt(addr, sizeof addr, "%s%s", hp[0] == ':' ? seed_host : "", hp);
        if (add_master(c, auth, addr, err, errlen) != 0)
            return -1;
    }
    if (c->nmasters == 0) {
        ab_fmt(err, errlen, "--redis-cluster-url: CLUSTER NODES lists no master with slots");
        return -1;
    }
    return 0;
}

/* Asks one seed ("host:port") for the masters. 0, or -1 with err. */
static int discover(ab_run_cluster *c, const char *auth, const char *seed, char *err, size_t errlen)
{
    ab_run_redis r;
    char url[512], host[256], *nodes = malloc(1u << 20);
    int rc = -1;
    ab_fmt(url, sizeof url, "redis://%s%s", auth, seed);
    ab_fmt(host, sizeof host, "%.*s", (int)(strrchr(seed, ':') ? strrchr(seed, ':') - seed : 0), seed);
    if (nodes == NULL)
        ab_fmt(err, errlen, "out of memory");
    else if (ab_run_redis_use(&r, url, err, errlen) == 0 && ab_run_redis_text(&r, "CLUSTER NODES", nodes, 1u << 20) != 0)
        ab_fmt(err, errlen, "--redis-cluster-url: %s answers, but not CLUSTER NODES (not a cluster node?)", seed);
    else if (r.running)
        rc = add_masters(c, auth, host, nodes, err, errlen);
    free(nodes);
    return rc;
}

int ab_run_cluster_use(ab_run_cluster *c, const char *url, char *err, size_t errlen)
{
    char auth[160] = "", seeds[768], *save = NULL, *seed;
    const char *hp = url + strlen(CLUSTER_SCHEME), *at;
    size_t len;
    memset(c, 0, sizeof *c);
    len = strcspn(hp, "/?");
    at = memchr(hp, '@', len);
    if (strncmp(url, CLUSTER_SCHEME, strlen(CLUSTER_SCHEME)) != 0 || len == 0 || len >= sizeof seeds ||
        (at != NULL && (size_t)(at - hp) + 2 > sizeof auth)) {
        ab_fmt(err, errlen, "--redis-cluster-url: expected redis-cluster://[user:pass@]host:port[,host:port…]");
        return -1;
    }
    if (at != NULL)
        ab_fmt(auth, sizeof auth, "%.*s@", (int)(at - hp), hp), len -= (size_t)(at + 1 - hp), hp = at + 1;
    ab_fmt(seeds, sizeof seeds, "%.*s", (int)len, hp);
    for (seed = strtok_r(seeds, ",", &save); seed != NULL; seed = strtok_r(NULL, ",", &save))
        if (discover(c, auth, seed, err, errlen) == 0)
            break;
    if (c->nmasters == 0)
        return -1;
    ab_fmt(c->uri, sizeof c->uri, "%s", url);
    ab_fmt(c->version, sizeof c->version, "%s", c->masters[0].version);
    c->running = 1;
    return 0;
}

void ab_run_cluster_stop(ab_run_cluster *c)
{
    size_t i;
    for (i = 0; i < c->nmasters; i++)
        ab_run_redis_stop(&c->masters[i]);
    c->running = 0;
}

int ab_run_cluster_flush(const ab_run_cluster *c)
{
    size_t i;
    for (i = 0; i < c->nmasters; i++)
        if (ab_run_redis_flush(&c->masters[i]) != 0)
            return -1;
    return 0;
}

int ab_run_cluster_snapshot(const ab_run_cluster *c, ab_res_redis_counts *out)
{
    ab_res_redis_counts one;
    size_t i;
    memset(out, 0, sizeof *out);
    for (i = 0; i < c->nmasters; i++) {
        if (ab_run_redis_snapshot(&c->masters[i], &one) != 0)
            return -1;
        out->calls += one.calls;
        out->net_in += one.net_in;
        out->net_out += one.net_out;
        out->cpu_us += one.cpu_us;
    }
    return 0;
}

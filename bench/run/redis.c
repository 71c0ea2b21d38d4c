/* redis.c — the run's Redis: a private redis-server on a free loopback port (or the user's), its
 * version, FLUSHALL between cells, and INFO commandstats / INFO stats snapshots. cluster.c builds
 * the run's Redis Cluster from the same pieces. */
#include "run_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

/* Sends AUTH for "user:pass", ":pass" or "pass" (the userinfo of a redis:// URL). */
static redisReply *redis_auth(redisContext *c, const char *auth)
{
    const char *colon = strchr(auth, ':');
    if (colon == NULL)
        return redisCommand(c, "AUTH %s", auth);
    if (colon == auth)
        return redisCommand(c, "AUTH %s", colon + 1);
    return redisCommand(c, "AUTH %b %s", auth, (size_t)(colon - auth), colon + 1);
}

/* Connects to r with a 2 s timeout and authenticates; NULL on failure (message in err). */
static redisContext *redis_connect(const ab_run_redis *r, char *err, size_t errlen)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout(r->host, r->port, tv);
    redisReply *rep;
    if (c == NULL || c->err) {
        ab_fmt(err, errlen, "cannot connect to Redis at %s:%d: %s", r->host, r->port,
                 c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (r->auth[0] == '\0')
        return c;
    rep = redis_auth(c, r->auth);
    if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
        ab_fmt(err, errlen, "Redis at %s:%d refused AUTH", r->host, r->port);
        freeReplyObject(rep);
        redisFree(c);
        return NULL;
    }
    freeReplyObject(rep);
    return c;
}

/* Runs one command and returns its reply (the caller frees), NULL on failure. */
static redisReply *redis_cmd(const ab_run_redis *r, const char *cmd)
{
    char err[256];
    redisContext *c = redis_connect(r, err, sizeof err);
    redisReply *rep;
    if (c == NULL)
        return NULL;
    if (r->db != 0) {
        rep = redisCommand(c, "SELECT %d", r->db);
        freeReplyObject(rep);
    }
    rep = redisCommand(c, cmd);
    redisFree(c);
    if (rep != NULL && rep->type == REDIS_REPLY_ERROR) {
        freeReplyObject(rep);
        return NULL;
    }
    return rep;
}

/* The value of "field:" in INFO text as a number; 0 when absent. */
static uint64_t info_u64(const char *info, const char *field)
{
    size_t n = strlen(field);
    const char *p = info;
    while ((p = strstr(p, field)) != NULL) {
        if ((p == info || p[-1] == '\n') && p[n] == ':')
            return strtoull(p + n + 1, NULL, 10);
        p += n;
    }
    return 0;
}

/* Sets r->version from INFO server. */
static void redis_read_version(ab_run_redis *r)
{
    redisReply *rep = redis_cmd(r, "INFO server");
    const char *v;
    ab_fmt(r->version, sizeof r->version, "unknown");
    if (rep != NULL && rep->type == REDIS_REPLY_STRING && (v = strstr(rep->str, "redis_version:")))
        ab_fmt(r->version, sizeof r->version, "%.*s", (int)strcspn(v + 14, "\r\n"), v + 14);
    freeReplyObject(rep);
}

/* Waits up to 5 s for r to answer PING. 0 or -1. */
static int redis_wait_ping(ab_run_redis *r)
{
    int i;
    for (i = 0; i < 500; i++) {
        redisReply *rep = redis_cmd(r, "PING");
        int ok = rep != NULL;
        freeReplyObject(rep);
        if (ok)
            return 0;
        if (r->own && ab_run_proc_poll(&r->proc))
            return -1;
        if (ab_run_sleep_ms(10) != 0)
            return -1;
    }
    return -1;
}

/* Starts redis-server on r->port in r->dir, with extra "--name value" arguments (NULL-terminated,
 * at most 16, may be NULL). 0, or -1 with err. */
static int redis_spawn(ab_run_redis *r, const char *log_path, char *const extra[], char *err, size_t errlen)
{
    char port[16];
    char *argv[32] = {"redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", r->dir,
                      "--save", "", "--appendonly", "no", "--daemonize", "no",
                      "--protected-mode", "yes", NULL};
    int n = 15;
    while (extra != NULL && *extra != NULL && n < 31)
        argv[n++] = *extra++;
    argv[n] = NULL;
    ab_fmt(port, sizeof port, "%d", r->port);
    if (ab_run_proc_start(&r->proc, "redis-server", argv, log_path, NULL, err, errlen) != 0)
        return -1;
    if (redis_wait_ping(r) == 0)
        return 0;
    if (ab_run_stop_signal != 0)
        ab_fmt(err, errlen, "interrupted");
    else {
        char tail[200];
        ab_fmt(err, errlen, "redis-server did not answer on port %d: %s", r->port,
                 ab_run_log_tail(log_path, tail, sizeof tail));
    }
    ab_run_proc_stop(&r->proc, SIGKILL, 1000);
    return -1;
}

int ab_run_redis_start(ab_run_redis *r, const char *tmp_base, const char *log_path, char *err,
                       size_t errlen)
{
    return ab_run_redis_start_ex(r, tmp_base, log_path, NULL, err, errlen);
}

int ab_run_redis_start_ex(ab_run_redis *r, const char *tmp_base, const char *log_path, char *const extra[],
                          char *err, size_t errlen)
{
    char prog[AB_RUN_PATH_MAX];
    int attempt;
    memset(r, 0, sizeof *r);
    if (!ab_run_find_program("redis-server", prog, sizeof prog)) {
        ab_fmt(err, errlen, "redis-server not found: run scripts/setup.sh (or apt-get install redis-server)");
        return -1;
    }
    ab_fmt(r->dir, sizeof r->dir, "%s/redis-XXXXXX", tmp_base);
    if (mkdtemp(r->dir) == NULL) {
        ab_fmt(err, errlen, "cannot make a directory for redis-server under %s: %s", tmp_base,
                 strerror(errno));
        return -1;
    }
    ab_fmt(r->host, sizeof r->host, "127.0.0.1");
    r->own = 1;
    for (attempt = 0; attempt < 3; attempt++) { /* the free port may be taken in between */
        r->port = ab_run_free_port();
        if (r->port > 0 && redis_spawn(r, log_path, extra, err, errlen) == 0) {
            r->running = 1;
            redis_read_version(r);
            return 0;
        }
        if (ab_run_stop_signal != 0)
            break;
    }
    rmdir(r->dir);
    return -1;
}

int ab_run_redis_restart(ab_run_redis *r, const char *log_path, char *err, size_t errlen)
{
    if (!r->own || r->running) {
        ab_fmt(err, errlen, "%s", r->running ? "Redis is still running" : "not a Redis of the run's own");
        return -1;
    }
    if (redis_spawn(r, log_path, NULL, err, errlen) != 0)
        return -1;
    r->running = 1;
    return 0;
}

/* Parses redis://[user:pass@]host:port[/db] into r. 0 or -1. */
static int redis_parse_url(ab_run_redis *r, const char *url)
{
    const char *hp, *at, *colon, *slash;
    char *end;
    long port;
    if (strncmp(url, "redis://", 8) != 0)
        return -1;
    hp = url + 8;
    at = strchr(hp, '@');
    if (at != NULL) {
        if ((size_t)(at - hp) >= sizeof r->auth)
            return -1;
        ab_fmt(r->auth, sizeof r->auth, "%.*s", (int)(at - hp), hp);
        hp = at + 1;
    }
    colon = strchr(hp, ':');
    if (colon == NULL || colon == hp || (size_t)(colon - hp) >= sizeof r->host)
        return -1;
    ab_fmt(r->host, sizeof r->host, "%.*s", (int)(colon - hp), hp);
    port = strtol(colon + 1, &end, 10);
    if (port <= 0 || port > 65535 || (*end != '\0' && *end != '/'))
        return -1;
    r->port = (int)port;
    slash = *end == '/' ? end + 1 : NULL;
    r->db = slash != NULL ? atoi(slash) : 0;
    return 0;
}

int ab_run_redis_use(ab_run_redis *r, const char *url, char *err, size_t errlen)
{
    redisContext *c;
    memset(r, 0, sizeof *r);
    if (redis_parse_url(r, url) != 0) {
        ab_fmt(err, errlen, "--redis-url: expected redis://[user:pass@]host:port[/db], got '%s'", url);
        return -1;
    }
    c = redis_connect(r, err, errlen);
    if (c == NULL)
        return -1;
    redisFree(c);
    r->running = 1;
    redis_read_version(r);
    return 0;
}

/* Removes the files redis-server may have left in its directory, then the directory. */
static void redis_rmdir(const char *dir)
{
    static const char *const names[] = {"dump.rdb", "appendonly.aof", "temp.rdb", "nodes.conf"};
    char path[AB_RUN_PATH_MAX + 32];
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        ab_fmt(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

void ab_run_redis_stop(ab_run_redis *r)
{
    if (r->own) {
        ab_run_proc_stop(&r->proc, SIGTERM, 5000);
        if (r->dir[0] != '\0')
            redis_rmdir(r->dir);
        r->dir[0] = '\0';
    }
    r->running = 0;
}

void ab_run_redis_uri(const ab_run_redis *r, const char *host, int port, char *out, size_t len)
{
    char db[16] = "";
    if (r->db != 0)
        ab_fmt(db, sizeof db, "/%d", r->db);
    if (r->auth[0] != '\0')
        ab_fmt(out, len, "redis://%s@%s:%d%s", r->auth, host, port, db);
    else
        ab_fmt(out, len, "redis://%s:%d%s", host, port, db);
}

int ab_run_redis_text(const ab_run_redis *r, const char *cmd, char *out, size_t len)
{
    redisReply *rep = redis_cmd(r, cmd);
    int ok = rep != NULL && (rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS);
    if (ok)
        ab_fmt(out, len, "%s", rep->str);
    freeReplyObject(rep);
    return ok ? 0 : -1;
}

int ab_run_redis_flush(const ab_run_redis *r)
{
    redisReply *rep;
    if (!r->own || !r->running)
        return 0;
    rep = redis_cmd(r, "FLUSHALL");
    if (rep == NULL)
        return -1;
    freeReplyObject(rep);
    return 0;
}

/* The value of "field:" in INFO text as seconds with a fraction, in µs; 0 when absent. */
static uint64_t info_s_as_us(const char *info, const char *field)
{
    size_t n = strlen(field);
    const char *p = info;
    while ((p = strstr(p, field)) != NULL) {
        if ((p == info || p[-1] == '\n') && p[n] == ':')
            return (uint64_t)(strtod(p + n + 1, NULL) * 1e6 + 0.5);
        p += n;
    }
    return 0;
}

/* Sums calls= of every cmdstat_ line except the commands the run itself sends. */
static uint64_t commandstats_calls(const char *info)
{
    static const char *const ours[] = {"cmdstat_info:", "cmdstat_ping:", "cmdstat_flushall:",
                                       "cmdstat_auth:", "cmdstat_select:"};
    const char *p = info;
    uint64_t total = 0;
    while ((p = strstr(p, "cmdstat_")) != NULL) {
        const char *calls = strstr(p, "calls=");
        size_t i, mine = 0;
        for (i = 0; i < sizeof ours / sizeof ours[0]; i++)
            mine |= strncmp(p, ours[i], strlen(ours[i])) == 0;
        if (calls != NULL && !mine && calls < p + strcspn(p, "\n"))
            total += strtoull(calls + 6, NULL, 10);
        p += 8;
    }
    return total;
}

int ab_run_redis_snapshot(const ab_run_redis *r, ab_res_redis_counts *out)
{
    redisReply *cmd = redis_cmd(r, "INFO commandstats");
    redisReply *stats = cmd != NULL ? redis_cmd(r, "INFO stats") : NULL;
    redisReply *cpu = stats != NULL ? redis_cmd(r, "INFO cpu") : NULL;
    int ok = cmd != NULL && stats != NULL && cpu != NULL && cmd->type == REDIS_REPLY_STRING &&
             stats->type == REDIS_REPLY_STRING && cpu->type == REDIS_REPLY_STRING;
    if (ok) {
        out->calls = commandstats_calls(cmd->str);
        out->net_in = info_u64(stats->str, "total_net_input_bytes");
        out->net_out = info_u64(stats->str, "total_net_output_bytes");
        /* Redis's whole CPU (its main thread and background ones): the store's cores per request,
         * which the report's cost model needs; the run's own INFO calls are a few per window. */
        out->cpu_us = info_s_as_us(cpu->str, "used_cpu_user") + info_s_as_us(cpu->str, "used_cpu_sys");
    }
    freeReplyObject(cmd);
    freeReplyObject(stats);
    freeReplyObject(cpu);
    return ok ? 0 : -1;
}

/* store_test.c — helpers shared by the session-store tests (see store_test.h). */
#include "store_test.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tsupport.h"

sstore *st_open_ok(const char *uri)
{
    sstore *s = sstore_open(uri);
    assert_non_null(s);
    if (sstore_err(s) != SSTORE_OK)
        fail_msg("sstore_open(%s): %s: %s", uri, sstore_status_name(sstore_err(s)), sstore_errstr(s));
    return s;
}

sstore_conn *st_conn_ok(sstore *s)
{
    sstore_conn *c = sstore_connect(s);
    assert_non_null(c);
    if (sstore_conn_err(c) != SSTORE_OK)
        fail_msg("sstore_connect: %s: %s", sstore_status_name(sstore_conn_err(c)), sstore_conn_errstr(c));
    return c;
}

size_t st_claims(char *buf, size_t cap, const char *sub, size_t min_len)
{
    int n = snprintf(buf, cap, "{\"sub\":\"%s\",\"iss\":\"authbench\",\"aud\":\"app\",\"roles\":[\"user\"],\"pad\":\"", sub);
    size_t len;
    assert_true(n > 0 && (size_t)n + 3 < cap);
    len = (size_t)n;
    while (len + 2 < min_len && len + 3 < cap)
        buf[len++] = 'x';
    assert_true(len + 3 <= cap);
    memcpy(buf + len, "\"}", 3);
    return len + 2;
}

void st_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long long st_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* qsort comparison of two ids. */
static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

void st_assert_unique(char (*ids)[SSTORE_ID_LEN + 1], size_t n)
{
    size_t i;
    qsort(ids, n, sizeof ids[0], cmp_id);
    for (i = 1; i < n; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("id %s generated twice among %zu", ids[i], n);
}

int st_server_start(ab_run_srv *s, int pg)
{
    char *dir = tsupport_tmpdir(pg ? "pglog" : "mclog"), log[600], err[512];
    const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    int rc;
    memset(s, 0, sizeof *s);
    if (dir == NULL)
        return -1;
    snprintf(log, sizeof log, "%s/server.log", dir);
    rc = pg ? ab_run_pg_start(s, tmp, log, err, sizeof err) : ab_run_mc_start(s, tmp, log, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "cannot start a private %s: %s\n", pg ? "PostgreSQL" : "memcached", err);
        tsupport_rmtree(dir);
    }
    free(dir);
    return rc;
}

void st_server_stop(ab_run_srv *s)
{
    char *slash = strrchr(s->log, '/');
    ab_run_srv_stop(s);
    if (slash != NULL && strstr(s->log, "log-") != NULL) { /* the log's own temporary directory */
        *slash = '\0';
        tsupport_rmtree(s->log);
    }
    s->log[0] = '\0';
}

int st_servers_start(st_servers *s)
{
    memset(s, 0, sizeof *s);
    if (tsupport_redis_start(&s->redis, NULL) != 0 ||
        tsupport_redis_cmd(&s->redis, "ACL SETUSER suite on >s3cret@x ~sess:* +@all") != 0 ||
        tsupport_cluster_start(&s->cluster) != 0 || st_server_start(&s->pg, 1) != 0 || st_server_start(&s->mc, 0) != 0) {
        fprintf(stderr, "cannot start a private redis-server, Redis Cluster, PostgreSQL and memcached\n");
        st_servers_stop(s);
        return -1;
    }
    return 0;
}

void st_servers_stop(st_servers *s)
{
    st_server_stop(&s->mc);
    st_server_stop(&s->pg);
    tsupport_cluster_stop(&s->cluster);
    tsupport_redis_stop(&s->redis);
}

int st_case_uri(char *out, size_t cap, const char *fmt, int on, const st_servers *s, char **dir)
{
    if (on == ST_CLUSTER)
        snprintf(out, cap, fmt, s->cluster.nodes[0].port, s->cluster.nodes[1].port);
    else if (on != ST_NONE)
        snprintf(out, cap, fmt, on == ST_POSTGRES ? s->pg.port : on == ST_MEMCACHED ? s->mc.port : s->redis.port);
    else if (strncmp(fmt, "file", 4) == 0) {
        if ((*dir = tsupport_tmpdir("conformance")) == NULL)
            return -1;
        snprintf(out, cap, fmt, *dir);
    } else
        snprintf(out, cap, "%s", fmt);
    return 0;
}

void st_case_dir_free(char **dir)
{
    if (*dir != NULL)
        tsupport_rmtree(*dir);
    free(*dir);
    *dir = NULL;
}

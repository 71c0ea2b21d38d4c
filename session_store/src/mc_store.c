/* mc_store.c — the memcached:// backend: opening (memcached://host:port[?timeouts]) and the backend
 * table; the protocol runs in mc_async.c for both APIs (the blocking one through async_sync.c). */
#include "mc_store.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "async_sync.h"

static int mc_open(sstore *st, sstore_uri *u)
{
    mc_store *ms = calloc(1, sizeof *ms);
    char err[SSTORE_ERRSTR_LEN - 32];
    if (ms == NULL)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    st->impl = ms;
    if (u->authority[0] == '\0' || strchr(u->authority, ',') != NULL)
        return sstore_set_err(st, SSTORE_ERR_ARG, "memcached:// needs one host:port (e.g. memcached://127.0.0.1:11211)");
    if (u->user != NULL || u->pass != NULL)
        return sstore_set_err(st, SSTORE_ERR_ARG, "memcached://: no credentials: the text protocol has no "
                              "authentication");
    if (u->path[0] != '\0' && strcmp(u->path, "/") != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "memcached://: path '%s': memcached has no databases", u->path);
    if (sstore_uri_hostport(u->authority, strlen(u->authority), &ms->cfg.host, &ms->cfg.port, MC_DEFAULT_PORT, err,
                            sizeof err) != 0 ||
        rlink_cfg_parse_timeouts(&ms->cfg, u, 1000, err, sizeof err) != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "memcached://: %s", err);
    snprintf(ms->where, sizeof ms->where, "memcached %s:%d", ms->cfg.host, ms->cfg.port);
    return SSTORE_OK;
}

static void mc_close(sstore *st)
{
    mc_store *ms = st->impl;
    if (ms == NULL)
        return;
    rlink_cfg_free(&ms->cfg);
    free(ms);
    st->impl = NULL;
}

/* memcached drops expired items itself (lazily, and its LRU crawler): nothing to sweep here. */
static long mc_sweep(sstore_conn *c)
{
    (void)c;
    return 0;
}

/* "stats" on a blocking socket of its own (timeout_ms each way) into buf, up to its END. 0 or -1 (set on c). */
static int stats_text(sstore_conn *c, const mc_store *ms, char *buf, size_t cap)
{
    struct addrinfo hints, *ai = NULL;
    struct timeval tv = {ms->cfg.timeout_ms / 1000, (ms->cfg.timeout_ms % 1000) * 1000};
    char port[8];
    size_t n = 0;
    ssize_t k = 0;
    int fd = -1, ok = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", ms->cfg.port);
    if (getaddrinfo(ms->cfg.host, port, &hints, &ai) == 0 && (fd = socket(ai->ai_family, SOCK_STREAM, 0)) >= 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
        send(fd, "stats\r\n", 7, MSG_NOSIGNAL) == 7) {
        c->ctr.round_trips++, c->ctr.net_bytes_out += 7;
        while (n + 1 < cap && (k = recv(fd, buf + n, cap - 1 - n, 0)) > 0) {
            n += (size_t)k, buf[n] = '\0', c->ctr.net_bytes_in += (uint64_t)k;
            if ((ok = n >= 5 && strcmp(buf + n - 5, "END\r\n") == 0))
                break;
        }
    }
    if (ai != NULL)
        freeaddrinfo(ai);
    if (fd >= 0)
        close(fd);
    if (!ok)
        sstore_conn_set_err(c, SSTORE_ERR_IO, "%s: stats: no answer", ms->where);
    return ok ? 0 : -1;
}

/* memcached's "STAT bytes": the bytes its items take. */
static long long mc_stored_bytes(sstore_conn *c)
{
    char buf[8192], *p;
    if (stats_text(c, c->st->impl, buf, sizeof buf) != 0)
        return -1;
    if ((p = strstr(buf, "\r\nSTAT bytes ")) == NULL) {
        sstore_conn_set_err(c, SSTORE_ERR_PROTOCOL, "%s: stats has no bytes", ((mc_store *)c->st->impl)->where);
        return -1;
    }
    return atoll(p + 13);
}

const sstore_backend_ops sstore_memcached_backend = {
    .name = "memcached",
    .scheme = "memcached",
    .open = mc_open,
    .close = mc_close,
    .conn_open = sstore_sync_conn_open,
    .conn_close = sstore_sync_conn_close,
    .put = sstore_sync_put,
    .get = sstore_sync_get,
    .touch = sstore_sync_touch,
    .del = sstore_sync_del,
    .sweep = mc_sweep,
    .get_batch = sstore_sync_get_batch,
    .stored_bytes = mc_stored_bytes,
};

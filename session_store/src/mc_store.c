/* mc_store.c — the memcached:// backend: opening (memcached://host:port[?timeouts]) and the backend
 * table; the protocol runs in mc_async.c for both APIs (the blocking one through async_sync.c). */
#include "mc_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        rlink_cfg_parse_timeouts(&ms->cfg, u, err, sizeof err) != 0)
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
};

/* cluster_store.c — the redis-cluster:// transport under the redis backend (see cluster.h).
 *
 * Debian 12's hiredis is 0.14, which the hiredis-cluster library does not support, so this routing
 * is ours, and deliberately small: a slot map from CLUSTER SLOTS, one counted link per master per
 * connection (redis_link.c: the same handshake, timeouts, reconnect backoff and byte counting as
 * redis://), keys routed by CRC16 mod 16384 with hash tags (cluster_slots.c), MOVED followed with a
 * map refresh, ASK followed once with ASKING, TRYAGAIN/CLUSTERDOWN retried with bounded backoff.
 * Reads always go to masters (no READONLY replica reads): a session read must see its create. */
#include "cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster_slots.h"

#define RCL_MAX_NODES 4096 /* slot_node holds index + 1 in 16 bits */

typedef struct rcl_node {
    rlink_cfg cfg; /* the store's credentials and timeouts, with this node's host (owned) and port */
    rlink link;
} rcl_node;

struct rcl_conn {
    sstore_conn *owner;
    const rlink_cfg *base;
    rcl_node **nodes;  /* every node met: seeds, masters, redirect targets */
    size_t nnodes, cap;
    int stale;         /* a link failed or the cluster was down: read the map before the next command */
    uint16_t slot_node[SSTORE_CLUSTER_SLOTS]; /* index + 1 of the master serving each slot; 0 unknown */
};

/* Where one command goes next and what it has been through. */
typedef struct rcl_route {
    unsigned slot;
    rcl_node *ask;    /* after ASK: the node to ask, this once */
    int redirects;
    int wait_ms;      /* the next TRYAGAIN/CLUSTERDOWN wait */
    int64_t deadline; /* monotonic ms: no more waiting after this */
} rcl_route;

int rcl_seeds_parse(rcl_seeds *s, const char *authority, char *err, size_t errlen)
{
    const char *p = authority;
    memset(s, 0, sizeof *s);
    if (*p == '\0') {
        snprintf(err, errlen, "redis-cluster:// needs at least one host:port "
                              "(e.g. redis-cluster://127.0.0.1:7000,127.0.0.1:7001)");
        return -1;
    }
    for (;;) {
        size_t len = strcspn(p, ",");
        rcl_seed *v = realloc(s->v, (s->n + 1) * sizeof *v);
        if (v == NULL) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        s->v = v;
        if (sstore_uri_hostport(p, len, &v[s->n].host, &v[s->n].port, RLINK_DEFAULT_PORT, err, errlen) != 0)
            goto fail;
        s->n++;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
fail:
    rcl_seeds_free(s);
    return -1;
}

void rcl_seeds_free(rcl_seeds *s)
{
    size_t i;
    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        free(s->v[i].host);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Sleeps ms milliseconds. */
static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A command ended well: errors recorded on the way (a map refresh that failed) are cleared. */
static int command_ok(rcl_conn *cl)
{
    return sstore_conn_set_err(cl->owner, SSTORE_OK, "%s", "");
}

/* The index of the node at host:port through *idx: 1 when known, else 0. */
static int node_find(const rcl_conn *cl, const char *host, int port, size_t *idx)
{
    size_t i;
    for (i = 0; i < cl->nnodes; i++)
        if (cl->nodes[i]->cfg.port == port && strcmp(cl->nodes[i]->cfg.host, host) == 0) {
            *idx = i;
            return 1;
        }
    return 0;
}

/* The node at host:port (its index through *idx), added and connected when new. A refused connect
 * is no error here: the link retries when it is used. SSTORE_OK or an error set on the owner. */
static int node_get(rcl_conn *cl, const char *host, int port, size_t *idx)
{
    rcl_node *n;
    if (node_find(cl, host, port, idx))
        return SSTORE_OK;
    if (cl->nnodes == RCL_MAX_NODES)
        return sstore_conn_set_err(cl->owner, SSTORE_ERR_PROTOCOL, "redis-cluster: more than %d nodes", RCL_MAX_NODES);
    if (cl->nnodes == cl->cap) {
        size_t cap = cl->cap ? cl->cap * 2 : 8;
        rcl_node **v = realloc(cl->nodes, cap * sizeof *v);
        if (v == NULL)
            return sstore_conn_set_err(cl->owner, SSTORE_ERR_NOMEM, "out of memory");
        cl->nodes = v, cl->cap = cap;
    }
    if ((n = calloc(1, sizeof *n)) == NULL)
        return sstore_conn_set_err(cl->owner, SSTORE_ERR_NOMEM, "out of memory");
    n->cfg = *cl->base;
    n->cfg.port = port;
    if ((n->cfg.host = strdup(host)) == NULL) {
        free(n);
        return sstore_conn_set_err(cl->owner, SSTORE_ERR_NOMEM, "out of memory");
    }
    cl->nodes[cl->nnodes] = n;
    *idx = cl->nnodes++;
    rlink_init(&n->link, &n->cfg, cl->owner);
    return SSTORE_OK;
}

/* Replaces the slot map with the masters' ranges. SSTORE_OK or an error set on the owner. */
static int map_apply(rcl_conn *cl, const sstore_cluster_range *rg, size_t n)
{
    size_t i, idx;
    unsigned s;
    int st;
    memset(cl->slot_node, 0, sizeof cl->slot_node);
    for (i = 0; i < n; i++) {
        if ((st = node_get(cl, rg[i].host, rg[i].port, &idx)) != SSTORE_OK)
            return st;
        for (s = rg[i].first; s <= rg[i].last; s++)
            cl->slot_node[s] = (uint16_t)(idx + 1);
    }
    return SSTORE_OK;
}

/* Reads the slot map from node n (CLUSTER SLOTS). SSTORE_OK or an error set on the owner. */
static int map_read(rcl_conn *cl, rcl_node *n)
{
    const char *argv[2] = {"CLUSTER", "SLOTS"};
    sstore_cluster_range *rg = NULL;
    redisReply *r = NULL;
    char err[160];
    size_t nr = 0;
    int st = rlink_append(&n->link, 2, argv, NULL);
    if (st == SSTORE_OK)
        st = rlink_roundtrip(&n->link, 1, &r);
    if (st != SSTORE_OK)
        return st;
    if (sstore_cluster_slots_parse(r, n->cfg.host, &rg, &nr, err, sizeof err) != 0)
        st = sstore_conn_set_err(cl->owner, SSTORE_ERR_PROTOCOL, "redis-cluster %s:%d: %s", n->cfg.host, n->cfg.port, err);
    else if (nr == 0)
        st = sstore_conn_set_err(cl->owner, SSTORE_ERR_IO, "redis-cluster %s:%d: CLUSTER SLOTS lists no slot "
                                 "(cluster not created yet?)", n->cfg.host, n->cfg.port);
    else
        st = map_apply(cl, rg, nr);
    freeReplyObject(r);
    free(rg);
    return st;
}

/* Reads the slot map from the first node that answers: first (may be NULL), then every known one. */
static int map_refresh(rcl_conn *cl, rcl_node *first)
{
    int st = first != NULL ? map_read(cl, first) : -1;
    size_t i;
    for (i = 0; st != SSTORE_OK && i < cl->nnodes; i++)
        if (cl->nodes[i] != first)
            st = map_read(cl, cl->nodes[i]);
    if (st == -1)
        st = sstore_conn_set_err(cl->owner, SSTORE_ERR_IO, "redis-cluster: no node to read the slot map from");
    if (st == SSTORE_OK)
        cl->stale = 0;
    return st;
}

/* The master serving slot (the map read again first when stale or when the slot is unknown), or
 * NULL with an error set on the owner. */
static rcl_node *slot_owner(rcl_conn *cl, unsigned slot)
{
    if (cl->stale || cl->slot_node[slot] == 0)
        map_refresh(cl, NULL); /* a failure leaves the old map, which may still serve this slot */
    if (cl->slot_node[slot] != 0)
        return cl->nodes[cl->slot_node[slot] - 1];
    if (cl->owner->err == SSTORE_OK)
        sstore_conn_set_err(cl->owner, SSTORE_ERR_IO, "redis-cluster: no master serves slot %u", slot);
    return NULL;
}

/* Sends one command to n, after ASKING when asking (one round trip), and reads its reply. */
static int send_to(rcl_node *n, int asking, int argc, const char **argv, const size_t *argvlen, redisReply **reply)
{
    const char *ask[1] = {"ASKING"};
    redisReply *r[2] = {NULL, NULL};
    int st = asking ? rlink_append(&n->link, 1, ask, NULL) : SSTORE_OK;
    if (st == SSTORE_OK)
        st = rlink_append(&n->link, argc, argv, argvlen);
    if (st == SSTORE_OK)
        st = rlink_roundtrip(&n->link, asking ? 2 : 1, r);
    else
        rlink_discard(&n->link);
    if (st != SSTORE_OK)
        return st;
    if (asking)
        freeReplyObject(r[0]); /* +OK; a refused ASKING shows in the command's own reply */
    *reply = r[asking ? 1 : 0];
    return SSTORE_OK;
}

/* 1 when r is an error reply the routing acts on (MOVED, ASK, TRYAGAIN, CLUSTERDOWN). */
static int is_cluster_error(const redisReply *r)
{
    return r->type == REDIS_REPLY_ERROR &&
           (strncmp(r->str, "MOVED ", 6) == 0 || strncmp(r->str, "ASK ", 4) == 0 ||
            strncmp(r->str, "TRYAGAIN", 8) == 0 || strncmp(r->str, "CLUSTERDOWN", 11) == 0);
}

/* Follows a MOVED (the slot's new owner into the map, then the whole map read again from it) or an
 * ASK (the next try goes to that node, after ASKING). SSTORE_OK or an error set on the owner. */
static int follow_redirect(rcl_conn *cl, rcl_route *rt, sstore_cluster_redirect kind, unsigned slot,
                           const char *host, int port, const char *msg)
{
    size_t idx;
    int st;
    if (++rt->redirects > RCL_MAX_REDIRECTS)
        return sstore_conn_set_err(cl->owner, SSTORE_ERR_IO, "redis-cluster: slot %u still redirected after %d "
                                   "hops (last: %s)", rt->slot, RCL_MAX_REDIRECTS, msg);
    cl->owner->ctr.redirects++;
    if ((st = node_get(cl, host, port, &idx)) != SSTORE_OK)
        return st;
    if (kind == SSTORE_CLUSTER_ASK) {
        rt->ask = cl->nodes[idx];
        return SSTORE_OK;
    }
    cl->slot_node[slot] = (uint16_t)(idx + 1);
    map_refresh(cl, cl->nodes[idx]); /* other slots moved too, most likely; on failure the update stands */
    return SSTORE_OK;
}

/* TRYAGAIN (keys of a multi-key command mid-migration) or CLUSTERDOWN: waits, doubling the wait,
 * until the command's deadline. SSTORE_OK to try again, or an error set on the owner. */
static int wait_retry(rcl_conn *cl, rcl_route *rt, const rcl_node *from, const char *msg)
{
    if (rlink_mono_ms() + rt->wait_ms > rt->deadline)
        return sstore_conn_set_err(cl->owner, SSTORE_ERR_IO, "redis-cluster %s:%d: %s (still after %d ms)",
                                   from->cfg.host, from->cfg.port, msg, from->cfg.timeout_ms);
    sleep_ms(rt->wait_ms);
    rt->wait_ms = rt->wait_ms * 2 > RCL_RETRY_MAX_MS ? RCL_RETRY_MAX_MS : rt->wait_ms * 2;
    if (strncmp(msg, "CLUSTERDOWN", 11) == 0)
        cl->stale = 1; /* a failover may be reassigning slots */
    return SSTORE_OK;
}

/* Acts on the reply n gave: *again = 0 to keep it, or 1 when it was a redirect or a retry (the
 * reply is then freed). SSTORE_OK, or an error set on the owner (the reply freed). */
static int route_reply(rcl_conn *cl, rcl_route *rt, const rcl_node *n, redisReply **reply, int *again)
{
    char host[SSTORE_CLUSTER_HOST_MAX];
    sstore_cluster_redirect kind;
    unsigned slot;
    int port, st;
    *again = 0;
    if (!is_cluster_error(*reply))
        return SSTORE_OK;
    kind = sstore_cluster_redirect_parse((*reply)->str, n->cfg.host, &slot, host, sizeof host, &port);
    if (kind != SSTORE_CLUSTER_NO_REDIRECT)
        st = follow_redirect(cl, rt, kind, slot, host, port, (*reply)->str);
    else if (strncmp((*reply)->str, "MOVED ", 6) == 0 || strncmp((*reply)->str, "ASK ", 4) == 0)
        st = sstore_conn_set_err(cl->owner, SSTORE_ERR_PROTOCOL, "redis-cluster %s:%d: malformed redirect '%s'",
                                 n->cfg.host, n->cfg.port, (*reply)->str);
    else
        st = wait_retry(cl, rt, n, (*reply)->str);
    freeReplyObject(*reply);
    *reply = NULL;
    *again = st == SSTORE_OK;
    return st;
}

int rcl_command(rcl_conn *cl, int keyi, int argc, const char **argv, const size_t *argvlen, redisReply **reply)
{
    size_t klen = argvlen != NULL ? argvlen[keyi] : strlen(argv[keyi]);
    rcl_route rt = {sstore_cluster_keyslot(argv[keyi], klen), NULL, 0, RCL_RETRY_MIN_MS,
                    rlink_mono_ms() + cl->base->timeout_ms};
    int st, again = 1;
    *reply = NULL;
    while (again) {
        rcl_node *n = rt.ask != NULL ? rt.ask : slot_owner(cl, rt.slot);
        int asking = rt.ask != NULL;
        if (n == NULL)
            return cl->owner->err;
        rt.ask = NULL;
        if ((st = send_to(n, asking, argc, argv, argvlen, reply)) != SSTORE_OK) {
            cl->stale = 1; /* the node may have failed over */
            return st;
        }
        if ((st = route_reply(cl, &rt, n, reply, &again)) != SSTORE_OK)
            return st;
    }
    return command_ok(cl);
}

/* Sends the GETs of the keys routed to node j in one round trip; their replies into replies[]. */
static int batch_node(rcl_conn *cl, size_t j, const char *const *keys, const size_t *keylens, size_t n,
                      const size_t *where, redisReply **tmp, redisReply **replies)
{
    rcl_node *node = cl->nodes[j];
    const char *argv[2] = {"GET", NULL};
    size_t argvlen[2] = {3, 0}, i, m = 0;
    int st = SSTORE_OK;
    for (i = 0; i < n && st == SSTORE_OK; i++)
        if (where[i] == j) {
            argv[1] = keys[i], argvlen[1] = keylens[i];
            if ((st = rlink_append(&node->link, 2, argv, argvlen)) == SSTORE_OK)
                m++;
        }
    if (st != SSTORE_OK || m == 0) {
        rlink_discard(&node->link);
        return st;
    }
    if ((st = rlink_roundtrip(&node->link, m, tmp)) != SSTORE_OK) {
        cl->stale = 1;
        return st;
    }
    for (i = 0, m = 0; i < n; i++)
        if (where[i] == j)
            replies[i] = tmp[m++];
    return SSTORE_OK;
}

/* A key not routed with its batch (slot unknown) or redirected meanwhile: GET it alone. */
static int batch_fixup(rcl_conn *cl, const char *key, size_t keylen, redisReply **reply)
{
    const char *argv[2] = {"GET", key};
    size_t argvlen[2] = {3, keylen};
    if (*reply != NULL && !is_cluster_error(*reply))
        return SSTORE_OK;
    if (*reply != NULL)
        freeReplyObject(*reply);
    return rcl_command(cl, 1, 2, argv, argvlen, reply);
}

/* Runs the batch with where[] and tmp[] allocated. */
static int batch_run(rcl_conn *cl, const char *const *keys, const size_t *keylens, size_t n, size_t *where,
                     redisReply **tmp, redisReply **replies)
{
    size_t i, j;
    int st = SSTORE_OK;
    if (cl->stale)
        map_refresh(cl, NULL);
    for (i = 0; i < n; i++) {
        unsigned slot = sstore_cluster_keyslot(keys[i], keylens[i]);
        where[i] = cl->slot_node[slot] != 0 ? (size_t)cl->slot_node[slot] - 1 : (size_t)-1;
    }
    for (j = 0; j < cl->nnodes && st == SSTORE_OK; j++)
        st = batch_node(cl, j, keys, keylens, n, where, tmp, replies);
    for (i = 0; i < n && st == SSTORE_OK; i++)
        st = batch_fixup(cl, keys[i], keylens[i], &replies[i]);
    return st;
}

int rcl_get_batch(rcl_conn *cl, const char *const *keys, const size_t *keylens, size_t n, redisReply **replies)
{
    size_t *where = malloc(n * sizeof *where), i;
    redisReply **tmp = malloc(n * sizeof *tmp);
    int st;
    memset(replies, 0, n * sizeof *replies);
    if (where == NULL || tmp == NULL)
        st = sstore_conn_set_err(cl->owner, SSTORE_ERR_NOMEM, "out of memory");
    else
        st = batch_run(cl, keys, keylens, n, where, tmp, replies);
    for (i = 0; st != SSTORE_OK && i < n; i++) {
        if (replies[i] != NULL)
            freeReplyObject(replies[i]);
        replies[i] = NULL;
    }
    free(where);
    free(tmp);
    return st == SSTORE_OK ? command_ok(cl) : st;
}

/* After discovery: every slot has a master and every master is connected, or the first problem. */
static int open_check(rcl_conn *cl)
{
    unsigned s, missing = 0;
    for (s = 0; s < SSTORE_CLUSTER_SLOTS; s++)
        missing += cl->slot_node[s] == 0;
    if (missing > 0)
        return sstore_conn_set_err(cl->owner, SSTORE_ERR_IO, "redis-cluster: %u of %d slots have no master "
                                   "(cluster not ready?)", missing, SSTORE_CLUSTER_SLOTS);
    for (s = 0; s < SSTORE_CLUSTER_SLOTS; s++) {
        const rcl_node *n = cl->nodes[cl->slot_node[s] - 1];
        if (n->link.ctx == NULL)
            return sstore_conn_set_err(cl->owner, n->link.down_status, "%s", n->link.down_msg);
    }
    return command_ok(cl);
}

int rcl_conn_open(rcl_conn **out, const rlink_cfg *base, const rcl_seeds *seeds, sstore_conn *owner)
{
    rcl_conn *cl = calloc(1, sizeof *cl);
    size_t i, idx;
    int st = SSTORE_OK;
    *out = cl;
    if (cl == NULL)
        return sstore_conn_set_err(owner, SSTORE_ERR_NOMEM, "out of memory");
    cl->owner = owner;
    cl->base = base;
    for (i = 0; i < seeds->n && st == SSTORE_OK; i++)
        st = node_get(cl, seeds->v[i].host, seeds->v[i].port, &idx);
    if (st == SSTORE_OK)
        st = map_refresh(cl, NULL);
    return st == SSTORE_OK ? open_check(cl) : st;
}

void rcl_conn_free(rcl_conn *cl)
{
    size_t i;
    if (cl == NULL)
        return;
    for (i = 0; i < cl->nnodes; i++) {
        rlink_close(&cl->nodes[i]->link);
        free(cl->nodes[i]->cfg.host);
        free(cl->nodes[i]);
    }
    free(cl->nodes);
    free(cl);
}

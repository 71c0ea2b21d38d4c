/* async_redis.c — the non-blocking API over redis:// and redis-cluster:// (see sstore.h): the same
 * commands as redis_store.c, each operation's command kept in RESP so that it can be sent again; one
 * pipelined link (alink.c) for redis://, one per master for redis-cluster://, where the router
 * follows MOVED (the slot updated, then the whole map read again), ASK (ASKING first, this once)
 * and waits out TRYAGAIN / CLUSTERDOWN with the blocking store's bounded backoff. The map is read
 * blocking once, at connect (as sstore_connect does); afterwards — after a MOVED, a CLUSTERDOWN, a
 * link that went down, or a connect that found no map — with a CLUSTER SLOTS of its own on a link,
 * never waiting. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alink.h"
#include "cluster_slots.h"
#include "record.h"
#include "redis_store.h"

#define ARED_MAX_NODES 4096 /* slot_node holds index + 1 in 16 bits */

typedef struct anode {
    rlink_cfg cfg; /* redis-cluster://: the store's options with this node's host (owned) and port */
    alink link;
} anode;

typedef struct ared {
    const redis_store *rs;
    int cluster;
    anode **nodes;
    size_t nnodes, cap;
    sstore_aop *waiting; /* TRYAGAIN / CLUSTERDOWN: re-sent at their retry_at */
    int stale;           /* the map should be read again */
    int refreshing;      /* a CLUSTER SLOTS is in flight */
    uint16_t slot_node[SSTORE_CLUSTER_SLOTS]; /* index + 1 of the master of each slot; 0 unknown */
} ared;

static void on_reply(alink *l, sstore_aop *op, const alink_reply *r);

/* A cluster link went down: the master may have failed over. */
static void on_down(alink *l)
{
    ared *d = l->data;
    d->stale = d->cluster;
}

/* The node at host:port (its index through *idx), added when new (it connects when first used). */
static int node_get(ared *d, sstore_async *a, const char *host, int port, size_t *idx)
{
    anode *n;
    for (*idx = 0; *idx < d->nnodes; (*idx)++)
        if (d->nodes[*idx]->cfg.port == port && strcmp(d->nodes[*idx]->cfg.host, host) == 0)
            return SSTORE_OK;
    if (d->nnodes == ARED_MAX_NODES)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_PROTOCOL, "redis-cluster: more than %d nodes", ARED_MAX_NODES);
    if (d->nnodes == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        anode **v = realloc(d->nodes, cap * sizeof *v);
        if (v == NULL)
            return sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "out of memory");
        d->nodes = v, d->cap = cap;
    }
    if ((n = calloc(1, sizeof *n)) == NULL || (n->cfg = d->rs->cfg, n->cfg.host = strdup(host)) == NULL) {
        free(n);
        return sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "out of memory");
    }
    n->cfg.port = port;
    alink_init(&n->link, &n->cfg, a, on_reply, d);
    n->link.on_down = on_down;
    n->link.script = redis_touch_script; /* no NOSCRIPT round trip, which would re-queue a touch
                                          * behind operations submitted after it */
    d->nodes[d->nnodes] = n;
    *idx = d->nnodes++;
    return SSTORE_OK;
}

/* 1 when an operation of slot is on its way on l. */
static int slot_in_flight(const alink *l, unsigned slot)
{
    const sstore_aop *op;
    for (op = l->head; op != NULL; op = op->next)
        if (!AOP_INTERNAL(op->kind) && op->slot == slot)
            return 1;
    return 0;
}

/* Replaces the slot map with the masters' ranges rg[0..nr) — except a slot with operations still
 * on their way to its old master: those will come back MOVED and take the slot's followers with
 * them (move_followers), so that no later operation of a key overtakes them. SSTORE_OK or an error
 * set on a. */
static int map_apply(ared *d, sstore_async *a, const sstore_cluster_range *rg, size_t nr)
{
    static _Thread_local uint16_t next[SSTORE_CLUSTER_SLOTS];
    size_t i, idx;
    unsigned s;
    int st = SSTORE_OK;
    memset(next, 0, sizeof next);
    for (i = 0; st == SSTORE_OK && i < nr; i++)
        if ((st = node_get(d, a, rg[i].host, rg[i].port, &idx)) == SSTORE_OK)
            for (s = rg[i].first; s <= rg[i].last; s++)
                next[s] = (uint16_t)(idx + 1);
    for (s = 0; st == SSTORE_OK && s < SSTORE_CLUSTER_SLOTS; s++)
        if (next[s] == d->slot_node[s] || d->slot_node[s] == 0 ||
            !slot_in_flight(&d->nodes[d->slot_node[s] - 1]->link, s))
            d->slot_node[s] = next[s];
    return st;
}

/* Reads a CLUSTER SLOTS reply r (from host:port) into the map. SSTORE_OK or an error set on a. */
static int map_take(ared *d, sstore_async *a, const redisReply *r, const char *host, int port)
{
    sstore_cluster_range *rg = NULL;
    size_t nr = 0;
    char err[160];
    int st;
    if (sstore_cluster_slots_parse(r, host, &rg, &nr, err, sizeof err) != 0)
        st = sstore_conn_set_err(&a->c, SSTORE_ERR_PROTOCOL, "redis-cluster %s:%d: %s", host, port, err);
    else if (nr == 0)
        st = sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "redis-cluster %s:%d: CLUSTER SLOTS lists no slot (cluster "
                                 "not created yet?)", host, port);
    else
        st = map_apply(d, a, rg, nr);
    free(rg);
    if (st == SSTORE_OK)
        d->stale = 0;
    return st;
}

/* Reads the slot map from one seed with a blocking link, as sstore_connect does. */
static int map_from(ared *d, sstore_async *a, const rcl_seed *seed)
{
    const char *argv[2] = {"CLUSTER", "SLOTS"};
    rlink_cfg cfg = d->rs->cfg;
    redisReply *r = NULL;
    rlink l;
    int st;
    cfg.host = seed->host, cfg.port = seed->port;
    if ((st = rlink_init(&l, &cfg, &a->c)) == SSTORE_OK && (st = rlink_append(&l, 2, argv, NULL)) == SSTORE_OK)
        st = rlink_roundtrip(&l, 1, &r);
    rlink_close(&l);
    if (st == SSTORE_OK)
        st = map_take(d, a, r, seed->host, seed->port);
    if (r != NULL)
        freeReplyObject(r);
    return st;
}

/* redis-cluster://: the slot map from the first seed that answers, then every master connecting. */
static int cluster_start(ared *d, sstore_async *a)
{
    int st = SSTORE_ERR_IO;
    size_t i;
    size_t idx;
    for (i = 0; st != SSTORE_OK && i < d->rs->seeds.n; i++)
        st = map_from(d, a, &d->rs->seeds.v[i]);
    if (st == SSTORE_OK)
        sstore_conn_set_err(&a->c, SSTORE_OK, "%s", "");
    for (i = 0; st == SSTORE_OK && i < d->nnodes; i++)
        alink_connect(&d->nodes[i]->link);
    for (i = 0; st != SSTORE_OK && i < d->rs->seeds.n; i++) /* no map yet: the seeds will be asked again */
        if (node_get(d, a, d->rs->seeds.v[i].host, d->rs->seeds.v[i].port, &idx) == SSTORE_OK)
            d->stale = 1;
    return st;
}

static int ared_open(sstore_async *a)
{
    ared *d = calloc(1, sizeof *d);
    size_t idx;
    int st;
    if (d == NULL)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "out of memory");
    d->rs = a->st->impl;
    d->cluster = d->rs->seeds.n > 0;
    a->impl = d;
    if (d->cluster)
        return cluster_start(d, a);
    if ((st = node_get(d, a, d->rs->cfg.host, d->rs->cfg.port, &idx)) != SSTORE_OK)
        return st;
    d->nodes[0]->cfg.db = d->rs->cfg.db;
    return alink_connect(&d->nodes[0]->link);
}

static void ared_close(sstore_async *a)
{
    ared *d = a->impl;
    sstore_aop *op;
    size_t i;
    while ((op = d->waiting) != NULL) {
        d->waiting = op->next;
        sstore_conn_set_err(&a->c, SSTORE_ERR_CLOSED, "store connection freed with the operation in flight");
        sstore_aop_done(op, SSTORE_ERR_CLOSED, NULL, NULL);
    }
    for (i = 0; i < d->nnodes; i++) {
        alink_close(&d->nodes[i]->link, SSTORE_ERR_CLOSED, "store connection freed with the operation in flight");
        free(d->nodes[i]->cfg.host);
        free(d->nodes[i]);
    }
    free(d->nodes);
    free(d);
    a->impl = NULL;
}

/* Writes op's command (argv/argvlen) into op->cmd. SSTORE_OK or NOMEM. */
static int put_cmd(sstore_aop *op, int argc, const char **argv, const size_t *argvlen)
{
    if (sstore_buf_reserve(&op->cmd, &op->cmd_cap, rlink_resp_size(argc, argv, argvlen)) != 0)
        return sstore_conn_set_err(&op->a->c, SSTORE_ERR_NOMEM, "out of memory");
    op->cmd_len = rlink_resp_write(op->cmd, argc, argv, argvlen);
    return SSTORE_OK;
}

/* SET sess:<id> <record> EX <ttl> NX. */
static int format_put(sstore_aop *op, const char *key, size_t klen)
{
    sstore_record r = {0, 0, 0, op->claims, op->claims_len, 0};
    char ttl[24];
    const char *argv[6] = {"SET", key, NULL, "EX", ttl, "NX"}; /* TTLs are whole seconds */
    size_t argvlen[6] = {3, klen, 0, 2, 0, 2};
    if (sstore_buf_reserve(&op->data, &op->data_cap, op->claims_len + SSTORE_RECORD_OVERHEAD) != 0)
        return sstore_conn_set_err(&op->a->c, SSTORE_ERR_NOMEM, "out of memory");
    r.created_ms = r.last_seen_ms = sstore_now_ms();
    r.expires_ms = r.created_ms + op->ttl_ms;
    argv[2] = op->data;
    argvlen[2] = sstore_record_encode(op->data, op->data_cap, &r);
    argvlen[4] = (size_t)snprintf(ttl, sizeof ttl, "%" PRId64, op->ttl_ms / 1000);
    return put_cmd(op, 6, argv, argvlen);
}

/* EVALSHA <sha> 1 sess:<id> now expires ttl (EVAL <script> … after NOSCRIPT). */
static int format_touch(sstore_aop *op, const char *key, const char *sha)
{
    char now[24], exp[24], ttl[24];
    int64_t t = sstore_now_ms();
    const char *argv[7] = {"EVALSHA", sha, "1", key, now, exp, ttl};
    if (op->touch_eval)
        argv[0] = "EVAL", argv[1] = redis_touch_script;
    snprintf(now, sizeof now, "%" PRId64, t);
    snprintf(exp, sizeof exp, "%" PRId64, t + op->ttl_ms);
    snprintf(ttl, sizeof ttl, "%" PRId64, op->ttl_ms / 1000);
    return put_cmd(op, 7, argv, NULL);
}

/* The command of op into op->cmd (kept for re-sends). SSTORE_OK or NOMEM. */
static int format_op(const ared *d, sstore_aop *op)
{
    char key[REDIS_KEY_BUF];
    size_t klen = redis_make_key(key, op->id);
    const char *argv[2] = {op->kind == AOP_GET ? "GET" : "DEL", key};
    size_t argvlen[2] = {3, klen};
    if (op->kind == AOP_PUT)
        return format_put(op, key, klen);
    if (op->kind == AOP_TOUCH)
        return format_touch(op, key, d->rs->touch_sha);
    return put_cmd(op, 2, argv, argvlen);
}

/* The link op goes to: its slot's master (cluster) or the one link; NULL with an error set. */
static alink *route(ared *d, sstore_async *a, sstore_aop *op)
{
    char key[REDIS_KEY_BUF];
    if (!d->cluster)
        return &d->nodes[0]->link;
    op->slot = sstore_cluster_keyslot(key, redis_make_key(key, op->id));
    if (d->slot_node[op->slot] != 0)
        return &d->nodes[d->slot_node[op->slot] - 1]->link;
    sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "redis-cluster: no master serves slot %u", op->slot);
    return NULL;
}

/* Sends op on l, or keeps its failure for the next timer. */
static void send_on(sstore_async *a, alink *l, sstore_aop *op)
{
    int st = l != NULL ? alink_send(l, op) : a->c.err;
    if (st != SSTORE_OK)
        sstore_aop_later(op, st);
}

/* The end of a CLUSTER SLOTS of the router's own. */
static void refresh_done(void *arg, int status, const sstore_result *r)
{
    ared *d = arg;
    (void)r;
    d->refreshing = 0;
    if (status != SSTORE_OK)
        d->stale = 1;
}

/* Sends a CLUSTER SLOTS on first (NULL: any node that takes it) unless one is in flight. */
static void refresh_start(ared *d, sstore_async *a, alink *first)
{
    const char *argv[2] = {"CLUSTER", "SLOTS"};
    sstore_aop *op;
    size_t i;
    if (d->refreshing || (op = sstore_aop_internal(a, AOP_SLOTS, refresh_done, d)) == NULL)
        return;
    if (put_cmd(op, 2, argv, NULL) != SSTORE_OK) {
        sstore_aop_done(op, SSTORE_ERR_NOMEM, NULL, NULL);
        return;
    }
    op->deadline = rlink_mono_ms() + d->rs->cfg.timeout_ms;
    d->refreshing = first != NULL && alink_send(first, op) == SSTORE_OK;
    for (i = 0; !d->refreshing && i < d->nnodes; i++)
        d->refreshing = alink_send(&d->nodes[i]->link, op) == SSTORE_OK;
    if (!d->refreshing)
        sstore_aop_done(op, SSTORE_ERR_IO, NULL, NULL);
}

/* The reply to the router's CLUSTER SLOTS: the map read again (kept as it was on failure). */
static void slots_reply(ared *d, sstore_aop *op, const alink *l, const alink_reply *r)
{
    int st = r->obj != NULL ? map_take(d, op->a, r->obj, l->cfg->host, l->cfg->port) : SSTORE_ERR_PROTOCOL;
    sstore_aop_done(op, st, NULL, NULL);
}

static void ared_submit(sstore_async *a, sstore_aop *op)
{
    ared *d = a->impl;
    int st;
    if (op->deadline == 0)
        op->deadline = sstore_async_mono_ms(a) + d->rs->cfg.timeout_ms;
    if (op->cmd_len == 0 && (st = format_op(d, op)) != SSTORE_OK) {
        sstore_aop_later(op, st);
        return;
    }
    if (d->stale)
        refresh_start(d, a, NULL); /* ahead of op on its link when it goes to the same one */
    send_on(a, route(d, a, op), op);
}

/* Completes op with the error reply r to what. */
static void error_reply(sstore_aop *op, const alink *l, const alink_reply *r, const char *what)
{
    int st = r->type == '-' ? rlink_error_status(r->str) : SSTORE_ERR_PROTOCOL;
    if (r->type == '-')
        sstore_conn_set_err(&op->a->c, st, "redis %s:%d: %s: %.*s", l->cfg->host, l->cfg->port, what, (int)r->len,
                            r->str);
    else
        sstore_conn_set_err(&op->a->c, st, "redis %s: unexpected reply type '%c'", what, r->type);
    sstore_aop_done(op, st, NULL, NULL);
}

/* A GET reply: the session straight from the receive buffer. */
static void get_reply(sstore_aop *op, const alink *l, const alink_reply *r)
{
    sstore_session s;
    int st;
    if (r->type != '$') {
        error_reply(op, l, r, "GET");
        return;
    }
    memset(&s, 0, sizeof s);
    st = redis_take_value(&op->a->c, op->id, r->str, r->len, sstore_async_wall_ms(op->a), &s);
    sstore_aop_done(op, st, &s, NULL);
}

/* A touch reply: 1, nil (absent), AB_CORRUPT, or NOSCRIPT (the script sent itself, again). */
static void touch_reply(sstore_aop *op, alink *l, const alink_reply *r)
{
    if (r->type == '-' && !op->touch_eval && r->len >= 8 && memcmp(r->str, "NOSCRIPT", 8) == 0) {
        op->touch_eval = 1; /* first touch since the server started */
        op->cmd_len = 0;
        ared_submit(op->a, op);
    } else if (r->type == '$' && r->str == NULL) {
        sstore_aop_done(op, SSTORE_NOT_FOUND, NULL, NULL);
    } else if (r->type == '-' && r->len >= 10 && memmem(r->str, r->len, "AB_CORRUPT", 10) != NULL) {
        sstore_conn_set_err(&op->a->c, SSTORE_ERR_CORRUPT, "redis: session %s: corrupt record (touch)", op->id);
        sstore_aop_done(op, SSTORE_ERR_CORRUPT, NULL, NULL);
    } else if (r->type == ':' && r->integer == 1) {
        sstore_aop_done(op, SSTORE_OK, NULL, NULL);
    } else {
        error_reply(op, l, r, "EVALSHA touch");
    }
}

/* The reply of a put or a delete. */
static void write_reply(sstore_aop *op, alink *l, const alink_reply *r)
{
    if (op->kind == AOP_PUT && r->type == '$' && r->str == NULL)
        sstore_aop_done(op, SSTORE_EXISTS, NULL, NULL);
    else if (op->kind == AOP_PUT && r->type == '+' && r->len == 2 && memcmp(r->str, "OK", 2) == 0)
        sstore_aop_done(op, SSTORE_OK, NULL, NULL);
    else if (op->kind == AOP_DEL && r->type == ':')
        sstore_aop_done(op, r->integer == 0 ? SSTORE_NOT_FOUND : SSTORE_OK, NULL, NULL);
    else
        error_reply(op, l, r, op->kind == AOP_PUT ? "SET" : "DEL");
}

/* 1 when r is an error reply the cluster routing acts on. */
static int is_cluster_error(const alink_reply *r)
{
    return r->type == '-' && ((r->len > 6 && memcmp(r->str, "MOVED ", 6) == 0) ||
                              (r->len > 4 && memcmp(r->str, "ASK ", 4) == 0) ||
                              (r->len >= 8 && memcmp(r->str, "TRYAGAIN", 8) == 0) ||
                              (r->len >= 11 && memcmp(r->str, "CLUSTERDOWN", 11) == 0));
}

/* TRYAGAIN / CLUSTERDOWN: op waits (10 ms doubling to 160 ms) unless that passes its deadline. */
static void wait_retry(ared *d, sstore_aop *op, const alink *l, const char *msg)
{
    int64_t now = rlink_mono_ms();
    if (op->wait_ms == 0)
        op->wait_ms = RCL_RETRY_MIN_MS;
    if (now + op->wait_ms > op->deadline) {
        sstore_conn_set_err(&op->a->c, SSTORE_ERR_IO, "redis-cluster %s:%d: %s (still after %d ms)", l->cfg->host,
                            l->cfg->port, msg, l->cfg->timeout_ms);
        sstore_aop_done(op, SSTORE_ERR_IO, NULL, NULL);
        return;
    }
    if (msg[0] == 'C')
        d->stale = 1; /* a failover may be reassigning slots */
    op->retry_at = now + op->wait_ms;
    op->wait_ms = op->wait_ms * 2 > RCL_RETRY_MAX_MS ? RCL_RETRY_MAX_MS : op->wait_ms * 2;
    op->next = d->waiting;
    d->waiting = op;
}

/* A slot that moved, for alink_steal: the operations of slot still queued on the old master. */
typedef struct moved_slot {
    sstore_async *a;
    unsigned slot;
} moved_slot;

static int in_moved_slot(const sstore_aop *op, void *arg)
{
    return !AOP_INTERNAL(op->kind) && op->slot == ((const moved_slot *)arg)->slot;
}

/* A ghost's reply (the old master's MOVED for an operation already re-sent) is dropped. */
static void ghost_done(void *arg, int status, const sstore_result *r)
{
    (void)arg;
    (void)status;
    (void)r;
}

static sstore_aop *make_ghost(void *arg)
{
    return sstore_aop_internal(((moved_slot *)arg)->a, AOP_GHOST, ghost_done, NULL);
}

/* After a MOVED of slot from `from` to `to`: the slot's other operations still on their way to
 * `from` are re-sent to `to` at once, behind the one redirected, so that one submitted now (routed
 * to `to` by the new map) cannot overtake them: a key's operations keep their order. */
static void move_followers(sstore_async *a, alink *from, alink *to, unsigned slot)
{
    moved_slot ms = {a, slot};
    sstore_aop *op = alink_steal(from, in_moved_slot, make_ghost, &ms), *next;
    for (; op != NULL; op = next) {
        next = op->next;
        a->c.ctr.redirects++;
        send_on(a, to, op);
    }
}

/* MOVED (the slot's new master into the map) or ASK (this once, after ASKING): op re-sent there. */
static void redirect(ared *d, sstore_aop *op, alink *l, const char *msg)
{
    char host[SSTORE_CLUSTER_HOST_MAX];
    sstore_async *a = op->a;
    sstore_cluster_redirect kind;
    unsigned slot;
    size_t idx;
    int port;
    kind = sstore_cluster_redirect_parse(msg, l->cfg->host, &slot, host, sizeof host, &port);
    if (kind == SSTORE_CLUSTER_NO_REDIRECT || slot >= SSTORE_CLUSTER_SLOTS) {
        sstore_conn_set_err(&a->c, SSTORE_ERR_PROTOCOL, "redis-cluster %s:%d: malformed redirect '%s'", l->cfg->host,
                            l->cfg->port, msg);
        sstore_aop_done(op, SSTORE_ERR_PROTOCOL, NULL, NULL);
        return;
    }
    if (++op->redirects > RCL_MAX_REDIRECTS) {
        sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "redis-cluster: slot %u still redirected after %d hops (last: %s)",
                            slot, RCL_MAX_REDIRECTS, msg);
        sstore_aop_done(op, SSTORE_ERR_IO, NULL, NULL);
        return;
    }
    a->c.ctr.redirects++;
    if (node_get(d, a, host, port, &idx) != SSTORE_OK) {
        sstore_aop_done(op, a->c.err, NULL, NULL);
        return;
    }
    if (kind == SSTORE_CLUSTER_MOVED)
        d->slot_node[slot] = (uint16_t)(idx + 1);
    op->asking = kind == SSTORE_CLUSTER_ASK;
    send_on(a, &d->nodes[idx]->link, op);
    if (kind == SSTORE_CLUSTER_MOVED && &d->nodes[idx]->link != l) {
        move_followers(a, l, &d->nodes[idx]->link, slot);
        d->stale = 1; /* other slots moved too, most likely */
        refresh_start(d, a, &d->nodes[idx]->link);
    }
}

/* The routing's part of a cluster error reply (msg NUL-terminated). */
static void cluster_error(ared *d, sstore_aop *op, alink *l, const alink_reply *r)
{
    char msg[SSTORE_CLUSTER_HOST_MAX + 64];
    snprintf(msg, sizeof msg, "%.*s", (int)r->len, r->str);
    if (msg[0] == 'M' || (msg[0] == 'A' && msg[1] == 'S'))
        redirect(d, op, l, msg);
    else
        wait_retry(d, op, l, msg);
}

static void on_reply(alink *l, sstore_aop *op, const alink_reply *r)
{
    ared *d = l->data;
    if (op->kind == AOP_GHOST)
        sstore_aop_done(op, SSTORE_OK, NULL, NULL);
    else if (op->kind == AOP_SLOTS)
        slots_reply(d, op, l, r);
    else if (d->cluster && is_cluster_error(r))
        cluster_error(d, op, l, r);
    else if (op->kind == AOP_GET)
        get_reply(op, l, r);
    else if (op->kind == AOP_TOUCH)
        touch_reply(op, l, r);
    else
        write_reply(op, l, r);
}

/* The node whose socket is fd, or NULL. */
static alink *link_of(ared *d, int fd)
{
    size_t i;
    for (i = 0; fd >= 0 && i < d->nnodes; i++)
        if (alink_fd(&d->nodes[i]->link) == fd)
            return &d->nodes[i]->link;
    return NULL;
}

static void ared_readable(sstore_async *a, int fd)
{
    alink *l = link_of(a->impl, fd);
    if (l != NULL)
        alink_readable(l);
}

static void ared_writable(sstore_async *a, int fd)
{
    alink *l = link_of(a->impl, fd);
    if (l != NULL)
        alink_writable(l);
}

static int64_t ared_deadline(const sstore_async *a)
{
    const ared *d = a->impl;
    const sstore_aop *op;
    int64_t t = -1, x;
    size_t i;
    for (i = 0; i < d->nnodes; i++)
        if ((x = alink_deadline(&d->nodes[i]->link)) >= 0 && (t < 0 || x < t))
            t = x;
    for (op = d->waiting; op != NULL; op = op->next)
        if (t < 0 || op->retry_at < t)
            t = op->retry_at;
    return t;
}

/* Re-sends the waiting operations that are due (in the order they began to wait). */
static void resend_due(ared *d, sstore_async *a, int64_t now_ms)
{
    sstore_aop **pp = &d->waiting, *due = NULL, *op;
    while ((op = *pp) != NULL) {
        if (op->retry_at <= now_ms) {
            *pp = op->next;
            op->next = due;
            due = op;
        } else {
            pp = &op->next;
        }
    }
    while ((op = due) != NULL && !a->closing) {
        due = op->next;
        if (op->kind == AOP_TOUCH)
            op->cmd_len = 0; /* its times are taken again */
        send_on(a, route(d, a, op), op);
    }
    for (; (op = due) != NULL; due = op->next)
        op->next = d->waiting, d->waiting = op;
}

static void ared_timer(sstore_async *a, int64_t now_ms)
{
    ared *d = a->impl;
    size_t i;
    for (i = 0; i < d->nnodes && !a->closing; i++)
        alink_timer(&d->nodes[i]->link, now_ms);
    if (!a->closing)
        resend_due(d, a, now_ms);
}

const sstore_async_ops sstore_redis_async = {
    .open = ared_open,
    .close = ared_close,
    .submit = ared_submit,
    .on_readable = ared_readable,
    .on_writable = ared_writable,
    .next_deadline = ared_deadline,
    .on_timer = ared_timer,
};

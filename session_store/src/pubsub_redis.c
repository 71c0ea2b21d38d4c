/* pubsub_redis.c — publish/subscribe on redis:// (pubsub_int.h): a set of ids with an expiry
 * (SET … EX … NX), added to and announced on a channel (PUBLISH) in one round trip, listed with
 * SCAN, and heard by subscribers (SUBSCRIBE), over a link of its own (redis_link.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pubsub_int.h"
#include "redis_store.h"

#define PUBSUB_SCAN_COUNT "1000"

/* p->impl of a redis:// store. */
typedef struct redis_pubsub {
    rlink link;
    redisReply *last;    /* the message handed out by the last next */
} redis_pubsub;

#define RP(p) ((redis_pubsub *)(p)->impl)

static int rp_open(sstore_pubsub *p)
{
    redis_pubsub *r = calloc(1, sizeof *r);
    if (r == NULL)
        return pubsub_fail(p, SSTORE_ERR_NOMEM, "out of memory");
    p->impl = r;
    return rlink_init(&r->link, &((redis_store *)p->owner.st->impl)->cfg, &p->owner);
}

static void rp_close(sstore_pubsub *p)
{
    redis_pubsub *r = RP(p);
    if (r->last != NULL)
        freeReplyObject(r->last);
    rlink_close(&r->link);
    free(r);
    p->impl = NULL;
}

/* Frees n replies. */
static void free_all(redisReply **r, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (r[i] != NULL)
            freeReplyObject(r[i]);
}

/* SET <set><id> msg EX ttl NX, PUBLISH channel msg: one round trip. */
static int rp_add_publish(sstore_pubsub *p, const char *set, const char *id, const char *msg, int64_t ttl_s,
                          const char *channel, long *heard)
{
    char key[SSTORE_KEY_MAX + 80], ttl[24];
    const char *set_argv[] = {"SET", key, msg, "EX", ttl, "NX"}, *pub_argv[] = {"PUBLISH", channel, msg};
    redisReply *r[2] = {NULL, NULL};
    rlink *l = &RP(p)->link;
    int st;
    snprintf(key, sizeof key, "%s%s", set, id);
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_s);
    if ((st = rlink_append(l, 6, set_argv, NULL)) == SSTORE_OK && (st = rlink_append(l, 3, pub_argv, NULL)) == SSTORE_OK)
        st = rlink_roundtrip(l, 2, r);
    if (st == SSTORE_OK && (r[0]->type == REDIS_REPLY_ERROR || r[1]->type == REDIS_REPLY_ERROR))
        st = rlink_reply_error(l, r[0]->type == REDIS_REPLY_ERROR ? r[0] : r[1], "SET/PUBLISH");
    else if (st == SSTORE_OK && r[0]->type == REDIS_REPLY_NIL)
        st = SSTORE_EXISTS;
    if (r[1] != NULL && heard != NULL && r[1]->type == REDIS_REPLY_INTEGER)
        *heard = (long)r[1]->integer;
    free_all(r, 2);
    return st;
}

/* One SCAN step from cursor (updated): the keys' values handed to fn. SSTORE_OK or an error. */
static int scan_step(rlink *l, const char *pattern, char *cursor, size_t cap, sstore_pubsub_fn fn, void *arg,
                     size_t *n)
{
    const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", PUBSUB_SCAN_COUNT};
    redisReply *r = NULL, *v = NULL, *keys;
    const char **mget = NULL;
    size_t i;
    int st = rlink_append(l, 6, argv, NULL);
    if (st == SSTORE_OK)
        st = rlink_roundtrip(l, 1, &r);
    if (st == SSTORE_OK && (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
                            r->element[1]->type != REDIS_REPLY_ARRAY || r->element[0]->len >= cap))
        st = r->type == REDIS_REPLY_ERROR ? rlink_reply_error(l, r, "SCAN")
                                          : sstore_conn_set_err(l->owner, SSTORE_ERR_PROTOCOL, "redis: unexpected reply to SCAN");
    keys = st == SSTORE_OK ? r->element[1] : NULL;
    if (keys != NULL && keys->elements > 0 && (mget = malloc((keys->elements + 1) * sizeof *mget)) == NULL)
        st = sstore_conn_set_err(l->owner, SSTORE_ERR_NOMEM, "out of memory");
    if (mget != NULL) {
        mget[0] = "MGET";
        for (i = 0; i < keys->elements; i++)
            mget[i + 1] = keys->element[i]->str;
        if ((st = rlink_append(l, (int)keys->elements + 1, mget, NULL)) == SSTORE_OK)
            st = rlink_roundtrip(l, 1, &v);
    }
    for (i = 0; st == SSTORE_OK && v != NULL && v->type == REDIS_REPLY_ARRAY && i < v->elements; i++)
        if (v->element[i]->type == REDIS_REPLY_STRING) { /* nil: expired since the SCAN */
            fn(arg, v->element[i]->str, v->element[i]->len);
            (*n)++;
        }
    if (st == SSTORE_OK)
        memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
    free(mget);
    free_all(&v, 1);
    free_all(&r, 1);
    return st;
}

/* SCAN MATCH <set>* COUNT 1000 and an MGET of each batch, until the cursor is back at 0. */
static int rp_scan(sstore_pubsub *p, const char *set, sstore_pubsub_fn fn, void *arg, size_t *n)
{
    char pattern[SSTORE_KEY_MAX + 8], cursor[32] = "0";
    int st = SSTORE_OK;
    snprintf(pattern, sizeof pattern, "%s*", set);
    while (st == SSTORE_OK) {
        st = scan_step(&RP(p)->link, pattern, cursor, sizeof cursor, fn, arg, n);
        if (strcmp(cursor, "0") == 0)
            break;
    }
    return st;
}

/* SUBSCRIBE channel and its confirmation (the set is the publishers' business here). */
static int rp_subscribe(sstore_pubsub *p, const char *set, const char *channel)
{
    const char *argv[] = {"SUBSCRIBE", channel};
    redisReply *r = NULL;
    rlink *l = &RP(p)->link;
    int st = rlink_append(l, 2, argv, NULL);
    (void)set;
    if (st == SSTORE_OK)
        st = rlink_roundtrip(l, 1, &r);
    if (st == SSTORE_OK && (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING ||
                            strcmp(r->element[0]->str, "subscribe") != 0))
        st = r->type == REDIS_REPLY_ERROR ? rlink_reply_error(l, r, "SUBSCRIBE")
                                          : pubsub_fail(p, SSTORE_ERR_PROTOCOL, "redis: unexpected reply to SUBSCRIBE");
    free_all(&r, 1);
    return st;
}

static int rp_fd(const sstore_pubsub *p)
{
    const redis_pubsub *r = p->impl;
    return r->link.ctx != NULL ? r->link.ctx->fd : -1;
}

/* Messages are pushed: wait on the fd. */
static int rp_wait_ms(const sstore_pubsub *p)
{
    (void)p;
    return -1;
}

/* The subscription broke: closes the link (a subscriber never reconnects by itself: what was
 * published meanwhile is lost, and only its owner can catch up). Returns st. */
static int broken(sstore_pubsub *p, int st, const char *why)
{
    const rlink_cfg *cfg = RP(p)->link.cfg;
    pubsub_fail(p, st, "redis %s:%d: subscription lost: %s", cfg->host, cfg->port, why);
    rp_close(p);
    return st;
}

/* Reads what the socket holds now into the reply reader. SSTORE_OK (maybe nothing), or an error. */
static int read_ready(sstore_pubsub *p, int *got)
{
    rlink *l = &RP(p)->link;
    struct pollfd pfd = {l->ctx->fd, POLLIN, 0};
    ssize_t k;
    *got = 0;
    if (poll(&pfd, 1, 0) <= 0)
        return SSTORE_OK;
    k = recv(pfd.fd, l->ibuf, sizeof l->ibuf, MSG_DONTWAIT);
    p->owner.ctr.syscalls++;
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
        return SSTORE_OK;
    if (k <= 0)
        return broken(p, SSTORE_ERR_IO, k == 0 ? "closed by the server" : strerror(errno));
    p->owner.ctr.net_bytes_in += (uint64_t)k;
    if (redisReaderFeed(l->ctx->reader, l->ibuf, (size_t)k) != REDIS_OK)
        return broken(p, SSTORE_ERR_NOMEM, "out of memory");
    *got = 1;
    return SSTORE_OK;
}

/* 1 when r is a pushed message ["message", channel, payload]. */
static int is_message(const redisReply *r)
{
    return r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_STRING &&
           strcmp(r->element[0]->str, "message") == 0 && r->element[2]->type == REDIS_REPLY_STRING;
}

static int rp_next(sstore_pubsub *p, const char **msg, size_t *len)
{
    redis_pubsub *rp = RP(p);
    void *r = NULL;
    int got = 1, st;
    if (rp->last != NULL)
        freeReplyObject(rp->last);
    rp->last = NULL;
    if (rp->link.ctx == NULL)
        return broken(p, SSTORE_ERR_IO, "not connected");
    while (got) {
        if (redisReaderGetReply(rp->link.ctx->reader, &r) != REDIS_OK)
            return broken(p, SSTORE_ERR_PROTOCOL, rp->link.ctx->reader->errstr);
        if (r != NULL && is_message(r)) {
            rp->last = r;
            *msg = rp->last->element[2]->str;
            *len = rp->last->element[2]->len;
            return SSTORE_OK;
        }
        if (r != NULL) { /* a confirmation or a ping: not a message */
            freeReplyObject(r);
            r = NULL;
            continue;
        }
        if ((st = read_ready(p, &got)) != SSTORE_OK)
            return st;
    }
    return SSTORE_NOT_FOUND;
}

const pubsub_ops sstore_pubsub_redis = {
    "redis", "pubsub", rp_open, rp_close, rp_add_publish, rp_scan, rp_subscribe, rp_fd, rp_wait_ms, rp_next,
};

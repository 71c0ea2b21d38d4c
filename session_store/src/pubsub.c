/* pubsub.c — publish/subscribe on a store (sstore.h, "Publish / subscribe"): a set of ids with an
 * expiry, added to and announced on a channel in one round trip, listed with SCAN, and heard by
 * subscribers. redis:// only, over a link of its own (redis_link.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "redis_store.h"

#define PUBSUB_MSG_MAX 1024
#define PUBSUB_SCAN_COUNT "1000"

struct sstore_pubsub {
    sstore_conn owner;   /* where the link records its errors and counters (no backend state) */
    rlink link;
    int ready;           /* the link was set up (rlink_init ran): it must be closed */
    int subscribed;
    redisReply *last;    /* the message handed out by the last sstore_pubsub_next */
};

/* Fails p with a formatted error (sstore_conn_set_err on its owner). Returns st. */
#define pubsub_fail(p, st, ...) sstore_conn_set_err(&(p)->owner, (st), __VA_ARGS__)

sstore_pubsub *sstore_pubsub_connect(sstore *st)
{
    sstore_pubsub *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->owner.st = st;
    if (st->err != SSTORE_OK)
        pubsub_fail(p, st->err, "%s", st->errstr);
    else if (st->be == NULL || strcmp(st->be->name, "redis") != 0)
        pubsub_fail(p, SSTORE_ERR_ARG, "%s has no publish/subscribe (redis:// only)",
                    st->be != NULL ? st->be->name : "this store");
    else {
        p->ready = 1;
        rlink_init(&p->link, &((redis_store *)st->impl)->cfg, &p->owner);
    }
    return p;
}

void sstore_pubsub_free(sstore_pubsub *p)
{
    if (p == NULL)
        return;
    if (p->last != NULL)
        freeReplyObject(p->last);
    if (p->ready)
        rlink_close(&p->link);
    free(p);
}

int sstore_pubsub_err(const sstore_pubsub *p) { return p->owner.err; }
const char *sstore_pubsub_errstr(const sstore_pubsub *p) { return p->owner.errstr; }
void sstore_pubsub_counters(const sstore_pubsub *p, sstore_counters *out) { *out = p->owner.ctr; }

/* Starts a call: clears the error, counts the operation. SSTORE_OK, or why p cannot make it. */
static int begin(sstore_pubsub *p, int subscriber)
{
    int was = p->owner.err;
    p->owner.ctr.ops++;
    if (!p->ready)
        return pubsub_fail(p, was != SSTORE_OK ? was : SSTORE_ERR_ARG, "%s", p->owner.errstr);
    if (p->subscribed != subscriber)
        return pubsub_fail(p, SSTORE_ERR_ARG, "%s", subscriber ? "not a subscriber" : "a subscriber only listens");
    p->owner.err = SSTORE_OK;
    p->owner.errstr[0] = '\0';
    return SSTORE_OK;
}

/* Counts an error outcome; returns st. */
static int done(sstore_pubsub *p, int st)
{
    if (st != SSTORE_OK && st != SSTORE_NOT_FOUND && st != SSTORE_EXISTS)
        p->owner.ctr.errors++;
    return st;
}

/* Frees n replies. */
static void free_all(redisReply **r, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (r[i] != NULL)
            freeReplyObject(r[i]);
}

/* "<set><id>" into key (cap bytes). SSTORE_OK or SSTORE_ERR_ARG. */
static int make_key(sstore_pubsub *p, char *key, size_t cap, const char *set, const char *id)
{
    int n = snprintf(key, cap, "%s%s", set, id);
    if (n <= 0 || (size_t)n >= cap || !sstore_id_valid(id))
        return pubsub_fail(p, SSTORE_ERR_ARG, "not a usable id for set %s", set);
    return SSTORE_OK;
}

int sstore_pubsub_add_publish(sstore_pubsub *p, const char *set, const char *id, const char *msg,
                              int64_t ttl_s, const char *channel, long *heard)
{
    char key[SSTORE_KEY_MAX + 64], ttl[24];
    const char *set_argv[] = {"SET", key, msg, "EX", ttl, "NX"}, *pub_argv[] = {"PUBLISH", channel, msg};
    redisReply *r[2] = {NULL, NULL};
    int st = begin(p, 0);
    if (st == SSTORE_OK && (strlen(msg) > PUBSUB_MSG_MAX || ttl_s < 1 || ttl_s > SSTORE_TTL_MAX))
        st = pubsub_fail(p, SSTORE_ERR_ARG, "message over %d bytes or ttl out of range", PUBSUB_MSG_MAX);
    if (st == SSTORE_OK)
        st = make_key(p, key, sizeof key, set, id);
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_s);
    if (st == SSTORE_OK && (st = rlink_append(&p->link, 6, set_argv, NULL)) == SSTORE_OK &&
        (st = rlink_append(&p->link, 3, pub_argv, NULL)) == SSTORE_OK)
        st = rlink_roundtrip(&p->link, 2, r);
    if (st == SSTORE_OK && (r[0]->type == REDIS_REPLY_ERROR || r[1]->type == REDIS_REPLY_ERROR))
        st = rlink_reply_error(&p->link, r[0]->type == REDIS_REPLY_ERROR ? r[0] : r[1], "SET/PUBLISH");
    else if (st == SSTORE_OK && r[0]->type == REDIS_REPLY_NIL)
        st = SSTORE_EXISTS;
    if (r[1] != NULL && heard != NULL && r[1]->type == REDIS_REPLY_INTEGER)
        *heard = (long)r[1]->integer;
    free_all(r, 2);
    return done(p, st);
}

/* One SCAN step from cursor (updated): the keys' values handed to fn. SSTORE_OK or an error. */
static int scan_step(sstore_pubsub *p, const char *pattern, char *cursor, size_t cap, sstore_pubsub_fn fn,
                     void *arg, size_t *n)
{
    const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", PUBSUB_SCAN_COUNT};
    redisReply *r = NULL, *v = NULL, *keys;
    const char **mget = NULL;
    size_t i;
    int st = rlink_append(&p->link, 6, argv, NULL);
    if (st == SSTORE_OK)
        st = rlink_roundtrip(&p->link, 1, &r);
    if (st == SSTORE_OK && (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
                            r->element[1]->type != REDIS_REPLY_ARRAY || r->element[0]->len >= cap))
        st = r->type == REDIS_REPLY_ERROR ? rlink_reply_error(&p->link, r, "SCAN")
                                          : pubsub_fail(p, SSTORE_ERR_PROTOCOL, "redis: unexpected reply to SCAN");
    keys = st == SSTORE_OK ? r->element[1] : NULL;
    if (keys != NULL && keys->elements > 0 && (mget = malloc((keys->elements + 1) * sizeof *mget)) == NULL)
        st = pubsub_fail(p, SSTORE_ERR_NOMEM, "out of memory");
    if (mget != NULL) {
        mget[0] = "MGET";
        for (i = 0; i < keys->elements; i++)
            mget[i + 1] = keys->element[i]->str;
        if ((st = rlink_append(&p->link, (int)keys->elements + 1, mget, NULL)) == SSTORE_OK)
            st = rlink_roundtrip(&p->link, 1, &v);
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

int sstore_pubsub_scan(sstore_pubsub *p, const char *set, sstore_pubsub_fn fn, void *arg, size_t *n)
{
    char pattern[SSTORE_KEY_MAX + 8], cursor[32] = "0";
    size_t count = 0;
    int st = begin(p, 0);
    if (st == SSTORE_OK && (strlen(set) >= SSTORE_KEY_MAX || strpbrk(set, "*?[]\\") != NULL))
        st = pubsub_fail(p, SSTORE_ERR_ARG, "a set name must be shorter than %d characters, without glob characters",
                         SSTORE_KEY_MAX);
    snprintf(pattern, sizeof pattern, "%s*", set);
    while (st == SSTORE_OK) {
        st = scan_step(p, pattern, cursor, sizeof cursor, fn, arg, &count);
        if (strcmp(cursor, "0") == 0)
            break;
    }
    if (n != NULL)
        *n = count;
    return done(p, st);
}

int sstore_pubsub_subscribe(sstore_pubsub *p, const char *channel)
{
    const char *argv[] = {"SUBSCRIBE", channel};
    redisReply *r = NULL;
    int st = begin(p, 0);
    if (st == SSTORE_OK && (st = rlink_append(&p->link, 2, argv, NULL)) == SSTORE_OK)
        st = rlink_roundtrip(&p->link, 1, &r);
    if (st == SSTORE_OK && (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING ||
                            strcmp(r->element[0]->str, "subscribe") != 0))
        st = r->type == REDIS_REPLY_ERROR ? rlink_reply_error(&p->link, r, "SUBSCRIBE")
                                          : pubsub_fail(p, SSTORE_ERR_PROTOCOL, "redis: unexpected reply to SUBSCRIBE");
    free_all(&r, 1);
    if (st == SSTORE_OK)
        p->subscribed = 1;
    return done(p, st);
}

int sstore_pubsub_fd(const sstore_pubsub *p)
{
    return p->ready && p->link.ctx != NULL ? p->link.ctx->fd : -1;
}

/* The subscription broke: closes the link (a subscriber never reconnects by itself: what was
 * published meanwhile is lost, and only its owner can catch up). Returns st. */
static int broken(sstore_pubsub *p, int st, const char *why)
{
    pubsub_fail(p, st, "redis %s:%d: subscription lost: %s", p->link.cfg->host, p->link.cfg->port, why);
    rlink_close(&p->link);
    p->ready = 0;
    return st;
}

/* Reads what the socket holds now into the reply reader. SSTORE_OK (maybe nothing), or an error. */
static int read_ready(sstore_pubsub *p, int *got)
{
    struct pollfd pfd = {p->link.ctx->fd, POLLIN, 0};
    ssize_t k;
    *got = 0;
    if (poll(&pfd, 1, 0) <= 0)
        return SSTORE_OK;
    k = recv(pfd.fd, p->link.ibuf, sizeof p->link.ibuf, MSG_DONTWAIT);
    p->owner.ctr.syscalls++;
    if (k < 0 && (errno == EAGAIN || errno == EINTR))
        return SSTORE_OK;
    if (k <= 0)
        return broken(p, SSTORE_ERR_IO, k == 0 ? "closed by the server" : strerror(errno));
    p->owner.ctr.net_bytes_in += (uint64_t)k;
    if (redisReaderFeed(p->link.ctx->reader, p->link.ibuf, (size_t)k) != REDIS_OK)
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

int sstore_pubsub_next(sstore_pubsub *p, const char **msg, size_t *len)
{
    void *r = NULL;
    int got = 1, st;
    if (p->last != NULL)
        freeReplyObject(p->last);
    p->last = NULL;
    if (!p->ready || !p->subscribed)
        return pubsub_fail(p, p->owner.err != SSTORE_OK ? p->owner.err : SSTORE_ERR_ARG, "%s",
                           p->owner.err != SSTORE_OK ? p->owner.errstr : "not a subscriber");
    while (got) {
        if (redisReaderGetReply(p->link.ctx->reader, &r) != REDIS_OK)
            return broken(p, SSTORE_ERR_PROTOCOL, p->link.ctx->reader->errstr);
        if (r != NULL && is_message(r)) {
            p->last = r;
            *msg = p->last->element[2]->str;
            *len = p->last->element[2]->len;
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

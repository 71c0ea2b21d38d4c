/* pubsub.c — publish/subscribe on a store (sstore.h, "Publish / subscribe"): the face every backend
 * shares — the backend picked by the store's name, the argument checks, the subscriber state and
 * the counters — in front of pubsub_redis.c, pubsub_pg.c and pubsub_mc.c (pubsub_int.h). */
#include "pubsub_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "redis_link.h"

#define PUBSUB_NAME_MAX 63 /* a set or channel name (PostgreSQL's identifiers: NAMEDATALEN - 1) */

static const pubsub_ops *const backends[] = {&sstore_pubsub_redis, &sstore_pubsub_pg, &sstore_pubsub_mc};

/* The backend serving stores named name, or NULL. */
static const pubsub_ops *backend_named(const char *name)
{
    size_t i;
    for (i = 0; name != NULL && i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->backend, name) == 0)
            return backends[i];
    return NULL;
}

const char *sstore_pubsub_channel(const char *backend)
{
    const pubsub_ops *o = backend_named(backend);
    return o != NULL ? o->channel : NULL;
}

sstore_pubsub *sstore_pubsub_connect(sstore *st)
{
    sstore_pubsub *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->owner.st = st;
    p->sync_ms = SSTORE_PUBSUB_SYNC_MS_DEFAULT;
    p->ops = backend_named(st->be != NULL ? st->be->name : NULL);
    if (st->err != SSTORE_OK)
        pubsub_fail(p, st->err, "%s", st->errstr);
    else if (p->ops == NULL)
        pubsub_fail(p, SSTORE_ERR_ARG, "%s has no publish/subscribe (redis://, postgres:// and memcached:// have)",
                    st->be != NULL ? st->be->name : "this store");
    else if (p->ops->open(p) == SSTORE_ERR_NOMEM && p->impl == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

void sstore_pubsub_free(sstore_pubsub *p)
{
    if (p == NULL)
        return;
    if (p->impl != NULL)
        p->ops->close(p);
    free(p);
}

int sstore_pubsub_err(const sstore_pubsub *p) { return p->owner.err; }
const char *sstore_pubsub_errstr(const sstore_pubsub *p) { return p->owner.errstr; }
void sstore_pubsub_counters(const sstore_pubsub *p, sstore_counters *out) { *out = p->owner.ctr; }
uint64_t sstore_pubsub_gaps(const sstore_pubsub *p) { return p->gaps; }

int sstore_pubsub_set_sync_ms(sstore_pubsub *p, unsigned ms)
{
    if (ms < 1 || ms > SSTORE_PUBSUB_SYNC_MS_MAX)
        return pubsub_fail(p, SSTORE_ERR_ARG, "sync interval %u ms: expected 1..%d", ms, SSTORE_PUBSUB_SYNC_MS_MAX);
    p->sync_ms = ms;
    return SSTORE_OK;
}

int pubsub_wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd f = {fd, events, 0};
    int64_t left;
    int k;
    while ((left = deadline - rlink_mono_ms()) > 0)
        if ((k = poll(&f, 1, (int)left)) != 0 || errno != EINTR)
            return k > 0 ? 1 : k;
    return 0;
}

/* Starts a call: clears the error, counts the operation. SSTORE_OK, or why p cannot make it. */
static int begin(sstore_pubsub *p, int subscriber)
{
    int was = p->owner.err;
    p->owner.ctr.ops++;
    if (p->impl == NULL)
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

/* SSTORE_OK when name (a set or channel) is 1..PUBSUB_NAME_MAX of [A-Za-z0-9:_-]: a key prefix for
 * every backend (no glob, LIKE or space characters), a PostgreSQL channel once quoted. */
static int check_name(sstore_pubsub *p, const char *what, const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > PUBSUB_NAME_MAX || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_-") != n)
        return pubsub_fail(p, SSTORE_ERR_ARG, "%s '%s': expected 1..%d characters of [A-Za-z0-9:_-]", what, name,
                           PUBSUB_NAME_MAX);
    return SSTORE_OK;
}

int sstore_pubsub_add_publish(sstore_pubsub *p, const char *set, const char *id, const char *msg,
                              int64_t ttl_s, const char *channel, long *heard)
{
    int st = begin(p, 0);
    if (heard != NULL)
        *heard = -1;
    if (st == SSTORE_OK && (strlen(msg) > PUBSUB_MSG_MAX || ttl_s < 1 || ttl_s > SSTORE_TTL_MAX))
        st = pubsub_fail(p, SSTORE_ERR_ARG, "message over %d bytes or ttl out of range", PUBSUB_MSG_MAX);
    if (st == SSTORE_OK && !sstore_id_valid(id))
        st = pubsub_fail(p, SSTORE_ERR_ARG, "not a usable id for set %s", set);
    if (st == SSTORE_OK && (st = check_name(p, "set", set)) == SSTORE_OK &&
        (st = check_name(p, "channel", channel)) == SSTORE_OK)
        st = p->ops->add_publish(p, set, id, msg, ttl_s, channel, heard);
    return done(p, st);
}

int sstore_pubsub_scan(sstore_pubsub *p, const char *set, sstore_pubsub_fn fn, void *arg, size_t *n)
{
    size_t count = 0;
    int st = begin(p, 0);
    if (st == SSTORE_OK && (st = check_name(p, "set", set)) == SSTORE_OK)
        st = p->ops->scan(p, set, fn, arg, &count);
    if (n != NULL)
        *n = count;
    return done(p, st);
}

int sstore_pubsub_subscribe(sstore_pubsub *p, const char *set, const char *channel)
{
    int st = begin(p, 0);
    if (st == SSTORE_OK && (st = check_name(p, "set", set)) == SSTORE_OK &&
        (st = check_name(p, "channel", channel)) == SSTORE_OK && (st = p->ops->subscribe(p, set, channel)) == SSTORE_OK)
        p->subscribed = 1;
    return done(p, st);
}

int sstore_pubsub_fd(const sstore_pubsub *p)
{
    return p->impl != NULL && p->subscribed ? p->ops->fd(p) : -1;
}

int sstore_pubsub_wait_ms(const sstore_pubsub *p)
{
    return p->impl != NULL && p->subscribed ? p->ops->wait_ms(p) : -1;
}

int sstore_pubsub_next(sstore_pubsub *p, const char **msg, size_t *len)
{
    if (p->impl == NULL || !p->subscribed)
        return pubsub_fail(p, p->owner.err != SSTORE_OK ? p->owner.err : SSTORE_ERR_ARG, "%s",
                           p->owner.err != SSTORE_OK ? p->owner.errstr : "not a subscriber");
    return p->ops->next(p, msg, len);
}

/* pubsub_int.h — the publish/subscribe backends (sstore.h, "Publish / subscribe") behind one face:
 * pubsub.c checks the arguments and picks the backend by the store's name; pubsub_redis.c (PUBLISH,
 * SUBSCRIBE, SCAN), pubsub_pg.c (a table, NOTIFY, LISTEN) and pubsub_mc.c (a revocation log polled
 * every sync_ms: memcached has no pub/sub) speak to the store (private to session_store). */
#ifndef SSTORE_PUBSUB_INT_H
#define SSTORE_PUBSUB_INT_H

#include "sstore_int.h"

#define PUBSUB_MSG_MAX 1024

typedef struct pubsub_ops pubsub_ops;

struct sstore_pubsub {
    sstore_conn owner;      /* where errors and counters are recorded (no backend state) */
    const pubsub_ops *ops;  /* NULL: the store has no publish/subscribe */
    void *impl;             /* the backend's connection state (NULL: not set up) */
    int subscribed;
    unsigned sync_ms;       /* a polling backend's interval (sstore_pubsub_set_sync_ms) */
    uint64_t gaps;          /* a polling backend's log entries gone before they were read */
};

/* A backend. Contract of the int functions: an sstore_status, errors recorded on p->owner
 * (pubsub_fail) before returning; the arguments were checked by pubsub.c (a valid id, msg at most
 * PUBSUB_MSG_MAX bytes, ttl in range, a set name of [A-Za-z0-9:_-]). open sets p->impl and may
 * return an error with p->impl usable (the store is down: the next call retries); it returns
 * SSTORE_ERR_NOMEM only with p->impl NULL. next is called only on a subscriber. */
struct pubsub_ops {
    const char *backend;  /* sstore_backend() of the stores it serves */
    const char *channel;  /* sstore_pubsub_channel(): "pubsub", "notify" or "poll" */
    int (*open)(sstore_pubsub *p);
    void (*close)(sstore_pubsub *p); /* frees p->impl (may be NULL) */
    int (*add_publish)(sstore_pubsub *p, const char *set, const char *id, const char *msg, int64_t ttl_s,
                       const char *channel, long *heard);
    int (*scan)(sstore_pubsub *p, const char *set, sstore_pubsub_fn fn, void *arg, size_t *n);
    int (*subscribe)(sstore_pubsub *p, const char *set, const char *channel);
    int (*fd)(const sstore_pubsub *p);      /* -1: nothing to poll (down, or a polling backend) */
    int (*wait_ms)(const sstore_pubsub *p); /* sstore_pubsub_wait_ms() of a subscriber */
    int (*next)(sstore_pubsub *p, const char **msg, size_t *len);
};

extern const pubsub_ops sstore_pubsub_redis;
extern const pubsub_ops sstore_pubsub_pg;
extern const pubsub_ops sstore_pubsub_mc;

/* Waits until fd is ready for events (POLLIN, POLLOUT) or deadline (rlink_mono_ms() time): 1
 * ready, 0 timed out, -1 error (the blocking connections of pubsub_pg.c and pubsub_mc.c). */
int pubsub_wait_fd(int fd, short events, int64_t deadline);

/* Fails p with a formatted error (sstore_conn_set_err on its owner). Returns st. */
#define pubsub_fail(p, st, ...) sstore_conn_set_err(&(p)->owner, (st), __VA_ARGS__)

#endif /* SSTORE_PUBSUB_INT_H */

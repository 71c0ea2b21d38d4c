/* async_int.h — internals of the non-blocking API (sstore.h): the handle, one operation in flight,
 * and the table each backend fills to run operations without blocking (private to session_store). */
#ifndef SSTORE_ASYNC_INT_H
#define SSTORE_ASYNC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sstore_int.h"

/* Internal kinds (not counted, no caller to answer): AOP_SLOTS the cluster router's own CLUSTER
 * SLOTS; AOP_GHOST the place, in a link's queue, of an operation re-sent elsewhere before its reply
 * came (it takes that reply and drops it). */
typedef enum sstore_aop_kind { AOP_GET, AOP_PUT, AOP_TOUCH, AOP_DEL, AOP_SLOTS, AOP_GHOST } sstore_aop_kind;
#define AOP_INTERNAL(k) ((k) >= AOP_SLOTS)

/* One operation, from submit to its completion. Kept on the handle's free list afterwards with
 * its buffers, so that a busy connection allocates nothing per operation. It is in at most one
 * queue at a time (next). */
typedef struct sstore_aop {
    struct sstore_aop *next;
    sstore_async *a;
    sstore_aop_kind kind;
    int create;             /* a put on behalf of create: SSTORE_EXISTS draws a fresh id */
    int tries;              /* ids drawn by create */
    char id[SSTORE_KEY_MAX + 1];
    char *claims;           /* put/create: a copy of the claims */
    size_t claims_len, claims_cap;
    int64_t ttl_ms;
    int64_t deadline;       /* monotonic ms by which it fails with SSTORE_ERR_TIMEOUT; 0 none (yet) */
    sstore_async_cb cb;
    void *arg;
    /* An outcome kept for later delivery (file workers, failures at submit). */
    int status;
    char errmsg[SSTORE_ERRSTR_LEN];
    sstore_session session;
    char *data;             /* file: the claims read; redis: the record being encoded */
    size_t data_cap;
    sstore_counters io;     /* file: the I/O a worker did for it */
    /* redis / redis-cluster */
    char *cmd;              /* the command in RESP, kept to re-send it after a redirect */
    size_t cmd_len, cmd_cap;
    int asking;             /* ASK: sent after ASKING, whose reply is skipped */
    int touch_eval;         /* touch: the script itself (EVAL) after NOSCRIPT */
    int redirects;
    unsigned slot;          /* redis-cluster: the hash slot of its key */
    int wait_ms;            /* the next TRYAGAIN/CLUSTERDOWN wait */
    int64_t retry_at;       /* monotonic ms: re-sent then */
    /* memcached:// (an operation may take several commands: add, then gets and cas) */
    int step;               /* the command whose reply comes next (mc_async.c's MC_STEP_*) */
    int replies;            /* replies still due for the commands sent */
    int live;               /* delete: the gets ahead of it found a live session */
    int rounds;             /* gets/cas/add rounds taken (bounded: a key rewritten under us forever fails) */
    uint64_t cas;           /* the unique of the gets, for its cas */
} sstore_aop;

/* A backend's non-blocking face. Contract: submit takes op and completes it exactly once, with
 * sstore_aop_done() (now, its data then valid during the callback) or sstore_aop_later();
 * close completes every operation the backend still holds with sstore_aop_done(op,
 * SSTORE_ERR_CLOSED, …) and frees a->impl; open sets a->impl (or leaves an error on a->c and
 * NULL, or a usable impl and an error, as conn_open). The fd entry points ignore fds they do not
 * own. next_deadline is the earliest monotonic ms at which on_timer has work, or -1. counters,
 * optional, adds to out (a copy of a->c.ctr) what the backend counts only when asked, changing
 * nothing (postgres: the socket's bytes from TCP_INFO, a system call it spares every reply). */
typedef struct sstore_async_ops {
    int (*open)(sstore_async *a);
    void (*close)(sstore_async *a);
    void (*submit)(sstore_async *a, sstore_aop *op);
    void (*on_readable)(sstore_async *a, int fd);
    void (*on_writable)(sstore_async *a, int fd);
    int64_t (*next_deadline)(const sstore_async *a);
    void (*on_timer)(sstore_async *a, int64_t now_ms);
    void (*counters)(const sstore_async *a, sstore_counters *out);
} sstore_async_ops;

extern const sstore_async_ops sstore_memory_async;
extern const sstore_async_ops sstore_file_async;
extern const sstore_async_ops sstore_redis_async; /* redis:// and redis-cluster:// */
extern const sstore_async_ops sstore_postgres_async;
extern const sstore_async_ops sstore_memcached_async;

struct sstore_async {
    sstore *st;
    sstore_conn c;          /* errors and counters; memory://: the backend's connection state too */
    sstore_loop loop;
    const sstore_async_ops *ao;
    void *impl;
    sstore_aop *free_ops;
    sstore_aop *later, *later_tail; /* completed at submit, delivered by on_timer */
    size_t pending;         /* submitted, not yet completed */
    int depth;              /* sstore_async calls on the stack (callbacks may re-enter) */
    int64_t mono_ms, wall_ms; /* the clocks as first read in the outermost call on the stack (0: unread) */
    int closing;            /* sstore_async_free was called */
};

/* Completes op: counts an error, records it (msg, or a->c's message when NULL) on the handle, runs
 * the callback with s (NULL: none) and recycles op. A create that met SSTORE_EXISTS is submitted
 * again with a fresh id instead. */
void sstore_aop_done(sstore_aop *op, int status, const sstore_session *s, const char *msg);
/* A fresh internal operation of the backend's (AOP_SLOTS, AOP_GHOST): sstore_aop_done() runs cb and counts
 * nothing, records no error. NULL when out of memory. */
sstore_aop *sstore_aop_internal(sstore_async *a, sstore_aop_kind kind, sstore_async_cb cb, void *arg);
/* Keeps op's failure (status, a->c's current message) for the next sstore_async_on_timer. */
void sstore_aop_later(sstore_aop *op, int status);

/* The monotonic and wall clocks (ms), read once per outermost sstore_async call and reused by every
 * operation submitted or answered inside it: a pipelined batch of replies, and the submits its callbacks
 * make, cost one clock read each instead of one per operation. They lag the real clock by at most the
 * time that call has run (its callbacks included) — negligible beside timeout_ms and whole-second
 * expiry. Outside any call (depth 0) each use reads the clock. */
int64_t sstore_async_mono_ms(sstore_async *a);
int64_t sstore_async_wall_ms(sstore_async *a);

/* Appends op to the queue *head / *tail (op->next is reset). */
void sstore_aop_push(sstore_aop **head, sstore_aop **tail, sstore_aop *op);

/* The loop's hooks, called only when given. */
void sstore_async_want(sstore_async *a, int fd, int read, int on);
void sstore_async_forget(sstore_async *a, int fd);

#endif /* SSTORE_ASYNC_INT_H */

/* alink.h — one non-blocking, pipelined Redis connection of an sstore_async: connect and handshake
 * without waiting, commands queued and written in one go when the socket is writable, replies
 * framed in the receive buffer and matched to the operations in order, timeouts, reconnect with
 * bounded backoff (private to session_store; the blocking twin is redis_link.h). */
#ifndef SSTORE_ALINK_H
#define SSTORE_ALINK_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "async_int.h"
#include "nblink.h"
#include "redis_link.h"

/* One reply, framed in the receive buffer: type is the RESP type byte ('+', '-', ':', '$', '*').
 * str/len: a status or error line, or a bulk string (str NULL: nil); integer for ':'; obj: an
 * array as a hiredis object (freed by the link after the callback). Valid during the callback. */
typedef struct alink_reply {
    char type;
    const char *str;
    size_t len;
    long long integer;
    redisReply *obj;
} alink_reply;

typedef struct alink alink;
/* Called with each operation's reply, in order; the op is out of the link's queue. */
typedef void (*alink_reply_fn)(alink *l, sstore_aop *op, const alink_reply *r);
/* Called when the link goes down, before the operations on it fail. */
typedef void (*alink_down_fn)(alink *l);

struct alink {
    const rlink_cfg *cfg;
    sstore_async *a;          /* hooks, errors and counters */
    alink_reply_fn on_reply;
    alink_down_fn on_down;    /* may be NULL */
    const char *script;       /* loaded (SCRIPT LOAD) with every handshake; may be NULL */
    void *data;               /* the owner's (the router) */
    redisContext *ctx;        /* NULL while down; its fd is ours to read and write */
    int state;                /* ALINK_DOWN, ALINK_CONNECTING, ALINK_UP */
    int want_write;           /* write interest is registered */
    int ever_tried;
    sstore_backoff bo;        /* why it is down, when it may connect again */
    int64_t connect_deadline;
    char who[96];             /* "redis host:port", for messages */
    int hs_left, hs_next;     /* handshake replies still due, and which is next */
    sstore_aop *head, *tail;  /* in flight, in the order their replies come */
    char *obuf;               /* written from osent on */
    size_t olen, osent, ocap;
    char *in;                 /* received, not yet taken */
    size_t inlen, incap;
    redisReader *reader;      /* builds the objects of array replies */
};

/* Sets up l (down, nothing sent). */
void alink_init(alink *l, const rlink_cfg *cfg, sstore_async *a, alink_reply_fn on_reply, void *data);
/* Fails every operation on l with status (msg the reason), closes the socket, frees l's buffers. */
void alink_close(alink *l, int status, const char *msg);
/* Starts connecting when down and the backoff allows (no wait). SSTORE_OK when up or on its way,
 * else the reason (set on the handle). */
int alink_connect(alink *l);
/* Queues op (its command in op->cmd; after ASKING when op->asking) to be written with the next
 * flush. SSTORE_OK (its reply goes to on_reply, or it fails with the link), or the reason the
 * link cannot take it now (set on the handle; op not taken). */
int alink_send(alink *l, sstore_aop *op);
/* Takes out of l's queue, in order, every operation for which match(op, arg) is true, leaving in
 * its place a ghost (AOP_GHOST, made by ghost(arg), NULL: left in place) to take and drop its reply.
 * Returns the list taken (linked by next) for the caller to send elsewhere. */
sstore_aop *alink_steal(alink *l, int (*match)(const sstore_aop *op, void *arg), sstore_aop *(*ghost)(void *arg),
                        void *arg);
/* The socket, or -1 while down. */
int alink_fd(const alink *l);
void alink_readable(alink *l);
void alink_writable(alink *l);
/* The earliest deadline of what is in flight (connect included), or -1. */
int64_t alink_deadline(const alink *l);
/* Fails everything on l with SSTORE_ERR_TIMEOUT when something is past its deadline. */
void alink_timer(alink *l, int64_t now_ms);

#endif /* SSTORE_ALINK_H */

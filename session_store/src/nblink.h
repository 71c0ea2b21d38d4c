/* nblink.h — what every non-blocking store link shares (alink.c for Redis, mc_async.c for memcached,
 * pg_async.c for PostgreSQL): the reconnect backoff, the counted socket writes, reads and connect
 * completion of the links that own their socket, and what those links do when their socket is
 * writable or readable (private to session_store). */
#ifndef SSTORE_NBLINK_H
#define SSTORE_NBLINK_H

#include <stddef.h>
#include <stdint.h>

#include "async_int.h"

/* Why a link is down and when it may connect again. */
typedef struct sstore_backoff {
    int backoff_ms;            /* the wait after the next failed connect */
    int64_t retry_at;          /* monotonic ms: no connect before this */
    int down_status;           /* why it is down (SSTORE_OK: up, or never tried) */
    char down_msg[SSTORE_ERRSTR_LEN];
} sstore_backoff;

/* Ready to connect at once. */
void sstore_backoff_init(sstore_backoff *b);
/* The link went down with status and msg; after a failed connect (connecting) the next attempt
 * waits the backoff, which doubles up to max_ms. */
void sstore_backoff_down(sstore_backoff *b, int status, const char *msg, int connecting, int max_ms);
/* SSTORE_OK when a connect may start now, else the down status with "<msg> (reconnecting: next
 * attempt in N ms)" set on a. */
int sstore_backoff_check(const sstore_backoff *b, sstore_async *a);
/* The link is up: the backoff starts over, and a link that had been down counts a reconnect on a. */
void sstore_backoff_up(sstore_backoff *b, sstore_async *a);

/* Writes buf[*sent..len) to fd, counting bytes and syscalls on a (who names the store in
 * messages). SSTORE_OK when all is written or the socket is full (*sent < len: wait for writable),
 * or the error set on a. */
int sstore_sock_send(sstore_async *a, int fd, const char *buf, size_t len, size_t *sent, const char *who);
/* One recv into *in (grown to leave room; *inlen bytes held), counting on a: 1 more may follow, 0
 * drained, -1 failed (closed by the server, an error, out of memory: set on a). */
int sstore_sock_recv(sstore_async *a, int fd, char **in, size_t *inlen, size_t *incap, const char *who);
/* Whether a non-blocking connect on fd finished: 1 connected, 0 still in progress, -1 refused (set on a). */
int sstore_sock_connected(sstore_async *a, int fd, const char *who);

/* The states of a link that owns its socket (alink.c, mc_async.c): its state field holds one. */
#define SSTORE_LINK_DOWN 0
#define SSTORE_LINK_CONNECTING 1 /* TCP connect in progress */
#define SSTORE_LINK_UP 2

/* The steps of such a link, a const table per kind of link; each is called on the link it was given. */
typedef struct sstore_link_steps {
    /* The TCP connect finished (the link's state is then SSTORE_LINK_UP) or not yet: SSTORE_OK, or
     * the refusal (set on the link's handle). */
    int (*connect_done)(void *link);
    /* Writes what is queued: SSTORE_OK (all written, or the socket is full), or an error. */
    int (*flush)(void *link);
    /* Takes the link down with status, failing every operation on it; connecting: a connect failed
     * (the next attempt backs off). */
    void (*fail)(void *link, int status, int connecting);
} sstore_link_steps;

/* The link's socket is writable: a connect in progress (*state is the link's state) is finished
 * first, then what is queued is written; a failure takes the link down through steps->fail. */
void sstore_link_writable(void *link, const int *state, const sstore_link_steps *steps);
/* The link's socket is readable: a connect in progress is finished first (a refused connect shows as
 * readable too). 1 when the link is up and may read, 0 when not (still connecting, or down). */
int sstore_link_readable(void *link, const int *state, const sstore_link_steps *steps);

#endif /* SSTORE_NBLINK_H */

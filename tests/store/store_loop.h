/* store_loop.h — a small epoll loop for the store tests: an adapter filling sstore_loop's hooks,
 * driving one sstore_async, and a tally of completions that fails a test on a second one. */
#ifndef STORE_LOOP_H
#define STORE_LOOP_H

#include <stddef.h>

#include "sstore.h"

#define ST_LOOP_FDS 32

typedef struct st_loop {
    int epfd;
    int fd[ST_LOOP_FDS];       /* the fds the library told about (-1: free) */
    unsigned mask[ST_LOOP_FDS]; /* their EPOLLIN / EPOLLOUT interest */
    sstore_async *a;           /* the handle it drives; a callback that frees it sets this NULL */
} st_loop;

/* Creates the epoll set (fails the test otherwise). */
void st_loop_init(st_loop *L);
/* The hooks to give sstore_async_connect. */
sstore_loop st_loop_hooks(st_loop *L);
/* Connects an async handle on s through L and fails the test unless it is clean. */
sstore_async *st_async_ok(st_loop *L, sstore *s);
/* One turn: waits for an event (at most max_ms, less when the library needs its timer), then
 * dispatches readable / writable and the timer. */
void st_loop_once(st_loop *L, int max_ms);
/* Turns until *count reaches want; fails the test after timeout_ms. Returns the ms it took. */
long long st_loop_until(st_loop *L, const size_t *count, size_t want, int timeout_ms);
/* The fds with interest registered now (for a test that breaks a socket). Returns how many. */
int st_loop_fds(const st_loop *L, int *out, int max);
void st_loop_close(st_loop *L);

/* One expected completion: the callback records its status (and a get's claims) and fails the
 * test when it runs twice. */
typedef struct st_done {
    int calls;
    int status;
    char id[SSTORE_KEY_MAX + 1];
    char data[1024];
    size_t data_len;
    int64_t created, last_seen, expires; /* a get's session times */
    size_t *count;             /* incremented on every call (may be NULL) */
} st_done;

/* The completion callback for an st_done (arg). */
void st_done_cb(void *arg, int status, const sstore_result *r);

#endif /* STORE_LOOP_H */

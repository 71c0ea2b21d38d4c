/* async_sync.c — the blocking API over a backend's non-blocking face (see async_sync.h).
 *
 * Why one protocol engine for both APIs: postgres:// runs on libpq's pipeline mode and memcached://
 * on our own protocol code (mc_async.c); a second, blocking copy of each would be a second client to
 * keep honest. Here a connection owns one sstore_async whose loop hooks record the fd interest, and
 * each call waits in poll() for exactly its operations — the timeouts, reconnects and counters are
 * the non-blocking engine's. */
#include "async_sync.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYNC_FDS 4

typedef struct sync_conn {
    sstore_async *a;
    int fd[SYNC_FDS];     /* -1: free */
    short events[SYNC_FDS];
    char *buf;            /* the data of the last get/batch, copied out of the callbacks */
    size_t cap, used;
} sync_conn;

/* One operation waited for. */
typedef struct sync_wait {
    sync_conn *sc;
    int done, status;
    size_t off, len;      /* get: where its data sits in sc->buf */
    sstore_session s;
    char errmsg[SSTORE_ERRSTR_LEN];
} sync_wait;

/* The slot of fd (add: a free one when absent), or -1. */
static int slot_of(sync_conn *sc, int fd, int add)
{
    int i;
    for (i = 0; i < SYNC_FDS; i++)
        if (sc->fd[i] == fd)
            return i;
    for (i = 0; add && i < SYNC_FDS; i++)
        if (sc->fd[i] < 0) {
            sc->fd[i] = fd, sc->events[i] = 0;
            return i;
        }
    return -1;
}

static void want(void *data, int fd, short ev, int on)
{
    int i = slot_of(data, fd, on);
    sync_conn *sc = data;
    if (i >= 0)
        sc->events[i] = on ? (short)(sc->events[i] | ev) : (short)(sc->events[i] & ~ev);
}

static void add_read(void *data, int fd) { want(data, fd, POLLIN, 1); }
static void del_read(void *data, int fd) { want(data, fd, POLLIN, 0); }
static void add_write(void *data, int fd) { want(data, fd, POLLOUT, 1); }
static void del_write(void *data, int fd) { want(data, fd, POLLOUT, 0); }

static void forget(void *data, int fd)
{
    int i = slot_of(data, fd, 0);
    if (i >= 0)
        ((sync_conn *)data)->fd[i] = -1;
}

static int wait_all(sstore_conn *c, sync_wait *w, size_t n);
static void wait_cb(void *arg, int status, const sstore_result *r);

/* The engines connect without waiting; a blocking connect waits for its handshake, as redis://'s
 * PING does: one get of an id no session has, whose round trip (and the handshake's) count on c
 * like any I/O, and whose failure is the connect's error. */
static int probe(sstore_conn *c, sync_conn *sc)
{
    sync_wait w;
    int st;
    memset(&w, 0, sizeof w);
    w.sc = sc;
    if ((st = sstore_async_get(sc->a, "connect-probe", wait_cb, &w)) != SSTORE_OK)
        return sstore_conn_set_err(c, st, "%s", sstore_async_errstr(sc->a));
    st = wait_all(c, &w, 1);
    return st == SSTORE_NOT_FOUND || st == SSTORE_OK ? SSTORE_OK : st;
}

int sstore_sync_conn_open(sstore_conn *c)
{
    sync_conn *sc = calloc(1, sizeof *sc);
    sstore_loop hooks = {NULL, add_read, del_read, add_write, del_write, forget};
    int i;
    if (sc == NULL)
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    for (i = 0; i < SYNC_FDS; i++)
        sc->fd[i] = -1;
    hooks.data = sc;
    c->impl = sc;
    if ((sc->a = sstore_async_connect(c->st, &hooks)) == NULL)
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    return probe(c, sc);
}

void sstore_sync_conn_close(sstore_conn *c)
{
    sync_conn *sc = c->impl;
    if (sc == NULL)
        return;
    sstore_async_free(sc->a);
    free(sc->buf);
    free(sc);
    c->impl = NULL;
}

/* The engine's I/O counters onto c (ops and errors are store.c's). */
static void take_counters(sstore_conn *c, const sync_conn *sc)
{
    uint64_t ops = c->ctr.ops, errors = c->ctr.errors;
    sstore_async_counters(sc->a, &c->ctr);
    c->ctr.ops = ops, c->ctr.errors = errors;
}

#define SYNC_TURN_MAX 8 /* handles one turn may wait on (sstore_fill's connections) */

/* One poll() turn over the n handles' loops: the fds' events, then each timer that is due. */
static void turn_many(sync_conn *const *v, size_t n)
{
    struct pollfd p[SYNC_TURN_MAX * SYNC_FDS];
    size_t k, m = 0, owner[SYNC_TURN_MAX * SYNC_FDS], slot[SYNC_TURN_MAX * SYNC_FDS];
    int i, tmo = -1, t;
    for (k = 0; k < n; k++) {
        if ((t = sstore_async_timeout_ms(v[k]->a)) >= 0 && (tmo < 0 || t < tmo))
            tmo = t;
        for (i = 0; i < SYNC_FDS; i++)
            if (v[k]->fd[i] >= 0 && v[k]->events[i] != 0) {
                p[m].fd = v[k]->fd[i], p[m].events = v[k]->events[i], p[m].revents = 0;
                owner[m] = k, slot[m++] = (size_t)i;
            }
    }
    if (m == 0 && tmo < 0)
        tmo = 10; /* nothing to wait on: should not happen; the timers are tried again */
    if (poll(p, (nfds_t)m, tmo) < 0 && errno != EINTR)
        return;
    for (k = 0; k < m; k++) {
        sync_conn *sc = v[owner[k]];
        if (p[k].revents & (POLLIN | POLLERR | POLLHUP))
            sstore_async_on_readable(sc->a, p[k].fd);
        if ((p[k].revents & POLLOUT) && sc->fd[slot[k]] == p[k].fd)
            sstore_async_on_writable(sc->a, p[k].fd);
    }
    for (k = 0; k < n; k++)
        if (sstore_async_timeout_ms(v[k]->a) == 0)
            sstore_async_on_timer(v[k]->a);
}

/* One turn of one handle's loop. */
static void turn(sync_conn *sc)
{
    turn_many(&sc, 1);
}

static void wait_cb(void *arg, int status, const sstore_result *r)
{
    sync_wait *w = arg;
    sync_conn *sc = w->sc;
    w->done = 1;
    w->status = status;
    snprintf(w->errmsg, sizeof w->errmsg, "%s", r->errstr);
    if (status != SSTORE_OK || r->session.data == NULL)
        return;
    w->s = r->session;
    if (sstore_buf_reserve(&sc->buf, &sc->cap, sc->used + r->session.data_len + 1) != 0) {
        w->status = SSTORE_ERR_NOMEM;
        snprintf(w->errmsg, sizeof w->errmsg, "out of memory copying a session");
        return;
    }
    memcpy(sc->buf + sc->used, r->session.data, r->session.data_len);
    w->off = sc->used, w->len = r->session.data_len;
    sc->used += r->session.data_len;
}

/* Runs the loop until the n waits are done; then the counters and the last failure onto c. */
static int wait_all(sstore_conn *c, sync_wait *w, size_t n)
{
    sync_conn *sc = c->impl;
    size_t i, left = n;
    int st = SSTORE_OK;
    while (left > 0) {
        turn(sc);
        for (i = 0, left = 0; i < n; i++)
            left += !w[i].done;
    }
    take_counters(c, sc);
    for (i = 0; i < n; i++)
        if (w[i].status != SSTORE_OK && w[i].status != SSTORE_NOT_FOUND && w[i].status != SSTORE_EXISTS)
            st = sstore_conn_set_err(c, w[i].status, "%s", w[i].errmsg);
    return n == 1 ? w[0].status : st;
}

/* A submit's own refusal (closed, out of memory) as the call's error. */
static int refused(sstore_conn *c, sync_wait *w, int st)
{
    sync_conn *sc = c->impl;
    w->done = 1;
    w->status = st;
    snprintf(w->errmsg, sizeof w->errmsg, "%s", sstore_async_errstr(sc->a));
    take_counters(c, sc);
    return sstore_conn_set_err(c, st, "%s", w->errmsg);
}

/* A fresh wait on c. */
static void wait_init(sync_wait *w, sstore_conn *c)
{
    memset(w, 0, sizeof *w);
    w->sc = c->impl;
}

int sstore_sync_put(sstore_conn *c, const char *id, const char *claims, size_t claims_len, int64_t ttl_ms)
{
    sync_wait w;
    int st;
    wait_init(&w, c);
    st = sstore_async_put(w.sc->a, id, claims, claims_len, ttl_ms / 1000, wait_cb, &w);
    return st != SSTORE_OK ? refused(c, &w, st) : wait_all(c, &w, 1);
}

int sstore_sync_get(sstore_conn *c, const char *id, sstore_session *out)
{
    sync_wait w;
    int st;
    wait_init(&w, c);
    w.sc->used = 0;
    if ((st = sstore_async_get(w.sc->a, id, wait_cb, &w)) != SSTORE_OK)
        return refused(c, &w, st);
    if ((st = wait_all(c, &w, 1)) == SSTORE_OK) {
        *out = w.s;
        out->data = w.sc->buf + w.off;
    }
    return st;
}

int sstore_sync_touch(sstore_conn *c, const char *id, int64_t ttl_ms)
{
    sync_wait w;
    int st;
    wait_init(&w, c);
    st = sstore_async_touch(w.sc->a, id, ttl_ms / 1000, wait_cb, &w);
    return st != SSTORE_OK ? refused(c, &w, st) : wait_all(c, &w, 1);
}

int sstore_sync_del(sstore_conn *c, const char *id)
{
    sync_wait w;
    int st;
    wait_init(&w, c);
    st = sstore_async_delete(w.sc->a, id, wait_cb, &w);
    return st != SSTORE_OK ? refused(c, &w, st) : wait_all(c, &w, 1);
}

int sstore_sync_get_batch(sstore_conn *c, const char *const *ids, size_t n, sstore_session *out, int *status)
{
    sync_conn *sc = c->impl;
    sync_wait *w = calloc(n, sizeof *w);
    size_t i;
    int st;
    if (w == NULL)
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory in a batch of %zu gets", n);
    sc->used = 0;
    for (i = 0; i < n; i++) {
        wait_init(&w[i], c);
        if ((st = sstore_check_id(c, ids[i])) != SSTORE_OK || (st = sstore_async_get(sc->a, ids[i], wait_cb, &w[i])) != SSTORE_OK)
            w[i].done = 1, w[i].status = st, snprintf(w[i].errmsg, sizeof w[i].errmsg, "%s", c->errstr);
    }
    wait_all(c, w, n);
    for (i = 0; i < n; i++) {
        status[i] = w[i].status;
        if (status[i] == SSTORE_OK) {
            out[i] = w[i].s;
            out[i].data = sc->buf + w[i].off;
        }
    }
    free(w);
    return SSTORE_OK;
}

/* ---- sstore_fill: n creates over a few non-blocking handles, inflight deep in all ---- */

#define FILL_CONNS 8 /* several connections: a store that commits each write (PostgreSQL) groups the
                      * commits of concurrent connections into one flush, never those of one */

typedef struct fill_run fill_run;

/* One handle of the fill and its loop. */
typedef struct fill_lane {
    fill_run *f;
    sync_conn sc;
} fill_lane;

struct fill_run {
    fill_lane lane[FILL_CONNS];
    sync_conn *loops[FILL_CONNS];
    unsigned nlanes;
    uint64_t n, submitted, done, ok, next_report;
    const char *claims;
    size_t claims_len;
    int64_t ttl_s;
    int failed;
    char err[SSTORE_ERRSTR_LEN];
    void (*progress)(void *arg, uint64_t done, uint64_t n);
    void *arg;
};

static void fill_cb(void *arg, int status, const sstore_result *r);

/* Submits the next create on lane l unless all are out or one failed. */
static void fill_next(fill_lane *l)
{
    fill_run *f = l->f;
    int st;
    if (f->failed || f->submitted == f->n)
        return;
    f->submitted++;
    if ((st = sstore_async_create(l->sc.a, f->claims, f->claims_len, f->ttl_s, fill_cb, l)) != SSTORE_OK) {
        f->failed = st;
        snprintf(f->err, sizeof f->err, "%s", sstore_async_errstr(l->sc.a));
        f->done++;
    }
}

static void fill_cb(void *arg, int status, const sstore_result *r)
{
    fill_lane *l = arg;
    fill_run *f = l->f;
    f->done++;
    f->ok += status == SSTORE_OK;
    if (status != SSTORE_OK && !f->failed) {
        f->failed = status;
        snprintf(f->err, sizeof f->err, "%s", r->errstr);
    }
    if (f->progress != NULL && (f->done >= f->next_report || f->done == f->n)) {
        f->progress(f->arg, f->done, f->n);
        f->next_report += f->n / 10 > 0 ? f->n / 10 : 1;
    }
    fill_next(l);
}

/* Opens lane k's handle on st. 0, or -1 (out of memory). */
static int lane_open(fill_run *f, unsigned k, sstore *st)
{
    sstore_loop hooks = {NULL, add_read, del_read, add_write, del_write, forget};
    fill_lane *l = &f->lane[k];
    int i;
    l->f = f;
    for (i = 0; i < SYNC_FDS; i++)
        l->sc.fd[i] = -1;
    hooks.data = &l->sc;
    f->loops[k] = &l->sc;
    return (l->sc.a = sstore_async_connect(st, &hooks)) != NULL ? 0 : -1;
}

long long sstore_fill(sstore *st, uint64_t n, const char *claims, size_t claims_len, int64_t ttl_s, unsigned inflight,
                      void (*progress)(void *arg, uint64_t done, uint64_t n), void *arg, char *err, size_t errlen)
{
    fill_run *f = calloc(1, sizeof *f);
    unsigned i, k;
    long long rc = -1;
    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    inflight = inflight > 0 ? inflight : 1;
    f->nlanes = inflight < FILL_CONNS ? inflight : FILL_CONNS;
    f->n = n, f->claims = claims, f->claims_len = claims_len, f->ttl_s = ttl_s;
    f->progress = progress, f->arg = arg, f->next_report = n / 10 > 0 ? n / 10 : 1;
    for (k = 0; k < f->nlanes; k++)
        if (lane_open(f, k, st) != 0) {
            f->failed = SSTORE_ERR_NOMEM;
            snprintf(f->err, sizeof f->err, "out of memory");
            f->nlanes = k;
        }
    for (i = 0; i < inflight; i++)
        fill_next(&f->lane[i % (f->nlanes > 0 ? f->nlanes : 1)]);
    while (f->done < f->submitted)
        turn_many(f->loops, f->nlanes);
    for (k = 0; k < f->nlanes; k++)
        sstore_async_free(f->lane[k].sc.a);
    if (f->failed)
        snprintf(err, errlen, "%s (after %llu of %llu sessions)", f->err, (unsigned long long)f->ok,
                 (unsigned long long)n);
    else
        rc = (long long)n;
    free(f);
    return rc;
}

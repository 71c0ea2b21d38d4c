/* sb_loop.c — store-bench's engine: --threads event loops (epoll), each driving its share of the
 * --clients sstore_async handles (one store connection each) with --pipeline operations in flight on
 * each; when one completes, the next is submitted (as redis-benchmark -P and memtier_benchmark
 * --pipeline do). The main thread moves the phases on: prepopulate, warm up, measure, stop.
 *
 * The blocking API is still used for one thing: the sessions created before the run (set-up, never
 * measured) go through one sstore_conn per thread, which also reports an unreachable store at once. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_net.h"
#include "ab_rng.h"
#include "sb_int.h"

#define SB_TICK_US 200000          /* the main thread's progress/stop check interval */
#define SB_PROGRESS_MIN_US 3000000 /* runs longer than this show progress on stderr */
#define SB_EVENTS 256              /* epoll events taken per wait */
#define SB_TIMER_MS 10             /* the handles' timers are looked at this often (and the phase) */

/* READY: the threads create their sessions, then wait; the main thread moves the phases on. */
enum sb_phase { SB_READY, SB_WARMUP, SB_MEASURE, SB_STOP };

/* What every thread shares. */
typedef struct sb_run {
    const sb_cfg *cfg;
    sstore *store;
    const char *claims;
    size_t claims_len;
    atomic_int phase;
    atomic_uint ready;    /* threads done creating their sessions */
    atomic_uint finished; /* threads whose loop ended (nothing left to do, or an error) */
    atomic_int failed;    /* a thread could not set up */
    atomic_int sweeping;  /* --sweep: the sweep is running */
} sb_run;

typedef struct sb_thread sb_thread;

/* One store connection: its handle, its share of the sessions (mix creates and deletes in it). */
typedef struct sb_conn {
    sb_thread *t;
    sstore_async *a;
    char (*ids)[SSTORE_ID_LEN + 1];
    size_t nids;
    size_t cap;
    uint64_t share;     /* sessions it creates before the run */
    sstore_counters c0; /* counters at the start of the measured window */
} sb_conn;

/* One lane of a connection's pipeline: at most one operation in flight in it. */
typedef struct sb_slot {
    sb_conn *c;
    uint64_t t0_ns;  /* when the operation in flight was submitted */
    enum sb_op op;   /* which operation it is (mix: the one drawn) */
} sb_slot;

/* The interest the library asked for on one fd, what epoll has of it, and its connection. */
typedef struct sb_fd {
    sb_conn *c;
    unsigned mask;    /* asked for */
    unsigned applied; /* told to epoll */
    int dirty;        /* in the thread's list of changes to tell */
} sb_fd;

/* One event-loop thread: its epoll set, connections, pipeline lanes and tally. */
struct sb_thread {
    pthread_t tid;
    sb_run *run;
    int epfd;
    sb_conn *conns;
    unsigned nconns;
    sb_slot *slots;        /* nconns * pipeline */
    sb_slot **queue;       /* lanes ready for their next operation: a ring of nslots */
    size_t nslots, qhead, qlen;
    sb_fd *fds;            /* indexed by fd */
    int nfds, watched;     /* size of fds; fds with any interest */
    int *dirty;            /* fds whose interest changed since the last wait */
    size_t ndirty, dirty_cap;
    size_t inflight;
    ab_rng rng;
    sb_tally tally;
    ab_hist *sweep_hist;   /* --sweep: what completed while the sweep ran (ns) */
    atomic_uint_fast64_t live_ops; /* completed, for the progress line */
    int measuring, stopping, hook_errno;
    int in_submit;         /* inside a submit: a completion now is inline (memory) */
    uint64_t turn_ns;      /* when the loop's wait returned: the time of the completions it delivers */
    uint64_t end_us;       /* when the loop ended */
    uint64_t timers_due_us; /* the next look at the handles' timers */
};

volatile sig_atomic_t sb_interrupted;

/* Sleeps a millisecond (waiting for a phase change). */
static void nap(void)
{
    struct timespec ts = {0, 1000000L};
    (void)nanosleep(&ts, NULL); /* EINTR (Ctrl-C) only shortens the nap */
}

/* ---- the loop's hooks: interest per fd in the thread's epoll set ---- */

/* The entry of fd, growing the table. NULL when out of memory. */
static sb_fd *fd_entry(sb_thread *t, int fd)
{
    if (fd >= t->nfds) {
        int n = fd + 64;
        sb_fd *g = realloc(t->fds, (size_t)n * sizeof *g);
        if (g == NULL)
            return NULL;
        memset(g + t->nfds, 0, (size_t)(n - t->nfds) * sizeof *g);
        t->fds = g;
        t->nfds = n;
    }
    return &t->fds[fd];
}

/* Tells epoll fd's interest as asked (a failure fails the thread's loop). */
static void apply_interest(sb_thread *t, int fd)
{
    sb_fd *e = &t->fds[fd];
    struct epoll_event ev;
    e->dirty = 0;
    if (e->mask == e->applied)
        return;
    memset(&ev, 0, sizeof ev);
    ev.events = e->mask;
    ev.data.fd = fd;
    if (epoll_ctl(t->epfd, e->applied == 0 ? EPOLL_CTL_ADD : e->mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD, fd, &ev) != 0)
        t->hook_errno = errno;
    e->applied = e->mask;
}

/* Tells epoll the interest changed since the last wait. A connection that is up (its read interest
 * told before) and now asks to write is first offered the write at once, as libuv's try-write does:
 * the successors its replies' callbacks queued go out in this turn, and the write interest, dropped
 * again by the library, costs no system call (a full socket just keeps asking; never for a socket
 * still connecting). Callbacks may add to the list meanwhile. */
static void flush_interest(sb_thread *t)
{
    size_t i;
    for (i = 0; i < t->ndirty; i++) {
        int fd = t->dirty[i];
        sb_fd *e = &t->fds[fd];
        if (e->c != NULL && (e->applied & EPOLLIN) && (e->mask & EPOLLOUT) && !(e->applied & EPOLLOUT))
            sstore_async_on_writable(e->c->a, fd);
        apply_interest(t, fd);
    }
    t->ndirty = 0;
}

/* Makes room for more entries in the list of changed fds. 0, or -1 when out of memory. */
static int grow_dirty(sb_thread *t)
{
    size_t n = t->dirty_cap ? t->dirty_cap * 2 : 16;
    int *g = realloc(t->dirty, n * sizeof *g);
    if (g == NULL)
        return -1;
    t->dirty = g;
    t->dirty_cap = n;
    return 0;
}

/* Turns bit on or off in fd's interest, told to epoll before the loop's next wait. */
static void set_interest(sb_conn *c, int fd, unsigned bit, int on)
{
    sb_thread *t = c->t;
    sb_fd *e = fd_entry(t, fd);
    unsigned old;
    if (e == NULL || (!e->dirty && t->ndirty == t->dirty_cap && grow_dirty(t) != 0)) {
        t->hook_errno = ENOMEM;
        return;
    }
    old = e->mask;
    e->c = c;
    e->mask = on ? old | bit : old & ~bit;
    t->watched += old == 0 && e->mask != 0 ? 1 : old != 0 && e->mask == 0 ? -1 : 0;
    if (old != e->mask && !e->dirty) {
        e->dirty = 1;
        t->dirty[t->ndirty++] = fd;
    }
}

static void add_read(void *data, int fd)
{
    set_interest(data, fd, EPOLLIN, 1);
}

static void del_read(void *data, int fd)
{
    set_interest(data, fd, EPOLLIN, 0);
}

static void add_write(void *data, int fd)
{
    set_interest(data, fd, EPOLLOUT, 1);
}

static void del_write(void *data, int fd)
{
    set_interest(data, fd, EPOLLOUT, 0);
}

/* fd is about to be closed: out of the epoll set and the table. */
static void forget_fd(void *data, int fd)
{
    sb_conn *c = data;
    if (fd >= c->t->nfds)
        return;
    set_interest(c, fd, EPOLLIN | EPOLLOUT, 0);
    apply_interest(c->t, fd); /* now: the fd number may come back for another socket */
    c->t->fds[fd].c = NULL;
}

/* ---- operations ---- */

/* Adds id to the connection's share. 0, or -1 when out of memory. */
static int push_id(sb_conn *c, const char *id)
{
    if (c->nids == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        void *n = realloc(c->ids, ncap * sizeof *c->ids);
        if (n == NULL)
            return -1;
        c->ids = n;
        c->cap = ncap;
    }
    memcpy(c->ids[c->nids++], id, SSTORE_ID_LEN + 1);
    return 0;
}

/* A random session of the connection's share (nids > 0). */
static const char *pick(sb_conn *c)
{
    return c->ids[ab_rng_below(&c->t->rng, c->nids)];
}

/* Takes session k out of the share into id (the last one fills the gap). */
static void take_id(sb_conn *c, size_t k, char id[SSTORE_ID_LEN + 1])
{
    memcpy(id, c->ids[k], SSTORE_ID_LEN + 1);
    if (k != --c->nids)
        memcpy(c->ids[k], c->ids[c->nids], SSTORE_ID_LEN + 1);
}

/* The mix: get 80%, touch 10%, create 5%, delete 5% (a delete needs two sessions left). */
static enum sb_op mix_draw(sb_conn *c)
{
    unsigned r = (unsigned)ab_rng_below(&c->t->rng, 100);
    if (r < 80 || (r >= 95 && c->nids <= 1))
        return SB_GET;
    return r < 90 ? SB_TOUCH : r < 95 ? SB_CREATE : SB_DELETE;
}

/* Counts one completed operation of the measured window. */
static void account(sb_tally *t, int st, uint64_t ns)
{
    if (st == SSTORE_OK || st == SSTORE_NOT_FOUND) {
        t->ops++;
        t->not_found += st == SSTORE_NOT_FOUND;
        ab_hist_record(t->hist, ns);
    } else {
        t->errors++;
        t->by_status[st < SSTORE_STATUS__COUNT && st >= 0 ? st : SSTORE_ERR_PROTOCOL]++;
    }
}

/* Puts a lane in the ready queue (each lane is in it at most once). */
static void enqueue(sb_thread *t, sb_slot *s)
{
    t->queue[(t->qhead + t->qlen++) % t->nslots] = s;
}

static int submit(sb_slot *s);

/* The completion of a lane's operation: counted, and the lane's next operation submitted — at once
 * when the store completed it from its own event (Redis: the next commands then share one write
 * with the rest of the replies' successors), or in the loop's next round when it completed inline
 * (memory: a chain of inline completions would never hand the loop back). A completion the loop's
 * wait delivered is timed at the wait's return, and its successor submitted then (one clock read a
 * turn, not two an operation: the successor's latency includes the rest of the turn); an inline one
 * is timed on the spot. */
static void on_done(void *arg, int status, const sstore_result *res)
{
    sb_slot *s = arg;
    sb_thread *t = s->c->t;
    t->inflight--;
    atomic_fetch_add_explicit(&t->live_ops, 1, memory_order_relaxed);
    if (s->op == SB_CREATE && status == SSTORE_OK && t->run->cfg->op == SB_MIX && push_id(s->c, res->id) != 0)
        status = SSTORE_ERR_NOMEM;
    if (t->measuring) {
        uint64_t ns = (t->in_submit ? ab_now_ns() : t->turn_ns) - s->t0_ns;
        account(&t->tally, status, ns);
        if (t->sweep_hist != NULL && (status == SSTORE_OK || status == SSTORE_NOT_FOUND) &&
            atomic_load_explicit(&t->run->sweeping, memory_order_relaxed))
            ab_hist_record(t->sweep_hist, ns);
    }
    if (t->stopping)
        return;
    if (t->in_submit) {
        enqueue(t, s);
    } else {
        s->t0_ns = t->turn_ns;
        (void)submit(s); /* a lane without a next operation stays idle */
    }
}

/* Submits the lane's next operation, timed from s->t0_ns. 0, or -1 when it has none (delete: the
 * share is gone) or the submit failed at once (counted as an error). */
static int submit(sb_slot *s)
{
    sb_conn *c = s->c;
    const sb_run *run = c->t->run;
    int64_t ttl = (int64_t)run->cfg->ttl_s;
    char id[SSTORE_ID_LEN + 1];
    int st = SSTORE_ERR_ARG;
    s->op = run->cfg->op == SB_MIX ? mix_draw(c) : run->cfg->op;
    if (s->op == SB_DELETE && c->nids == 0)
        return -1;
    if (s->op == SB_DELETE)
        take_id(c, run->cfg->op == SB_MIX ? ab_rng_below(&c->t->rng, c->nids) : c->nids - 1, id);
    c->t->inflight++;
    c->t->in_submit = 1;
    switch (s->op) {
    case SB_GET: st = sstore_async_get(c->a, pick(c), on_done, s); break;
    case SB_CREATE: st = sstore_async_create(c->a, run->claims, run->claims_len, ttl, on_done, s); break;
    case SB_TOUCH: st = sstore_async_touch(c->a, pick(c), ttl, on_done, s); break;
    case SB_DELETE: st = sstore_async_delete(c->a, id, on_done, s); break;
    case SB_MIX: break;
    }
    c->t->in_submit = 0;
    if (st == SSTORE_OK)
        return 0;
    c->t->inflight--; /* not taken: its callback never runs */
    if (c->t->measuring)
        account(&c->t->tally, st, 0);
    return -1;
}

/* Submits the next operation of every lane that was ready when called (inline completions, as
 * memory's, queue their lanes again for the next round). */
static void submit_ready(sb_thread *t)
{
    size_t n = t->qlen;
    while (n-- > 0 && !t->stopping) {
        sb_slot *s = t->queue[t->qhead];
        t->qhead = (t->qhead + 1) % t->nslots;
        t->qlen--;
        s->t0_ns = ab_now_ns();
        (void)submit(s); /* a lane without a next operation stays idle */
    }
}

/* ---- the loop ---- */

/* Runs the timers of the handles that need it now, at most once per SB_TIMER_MS (a handle's
 * timeout scans its operations in flight: not for every turn of the loop). */
static void run_timers(sb_thread *t)
{
    uint64_t now = t->turn_ns / 1000;
    unsigned k;
    if (now < t->timers_due_us)
        return;
    t->timers_due_us = now + SB_TIMER_MS * 1000;
    for (k = 0; k < t->nconns; k++)
        if (sstore_async_timeout_ms(t->conns[k].a) == 0)
            sstore_async_on_timer(t->conns[k].a);
}

/* The epoll wait's timeout: 0 when lanes are ready, else until the next timer scan. */
static int wait_ms(const sb_thread *t)
{
    uint64_t now = ab_now_us();
    if (t->qlen > 0 || now >= t->timers_due_us)
        return 0;
    return (int)((t->timers_due_us - now + 999) / 1000);
}

/* Hands one epoll event to the connection that owns its fd (looked up again in between: a
 * callback may drop the fd). */
static void dispatch(sb_thread *t, const struct epoll_event *ev)
{
    int fd = ev->data.fd;
    if (fd < t->nfds && t->fds[fd].c != NULL && (t->fds[fd].mask & EPOLLIN) &&
        (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        sstore_async_on_readable(t->fds[fd].c->a, fd);
    if (fd < t->nfds && t->fds[fd].c != NULL && (t->fds[fd].mask & EPOLLOUT) &&
        (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        sstore_async_on_writable(t->fds[fd].c->a, fd);
}

/* One turn of the loop: wait for the store's fds (not when only inline stores and ready lanes
 * are there), dispatch, run the store timers. 0, or -1 with the reason printed. */
static int poll_once(sb_thread *t)
{
    struct epoll_event ev[SB_EVENTS];
    char err[128];
    int ms = wait_ms(t), n = 0, i;
    flush_interest(t);
    if ((t->watched > 0 || ms > 0) && (n = ab_net_wait(t->epfd, ev, SB_EVENTS, ms, err, sizeof err)) < 0) {
        ab_err(SB_CMD, "%s", err);
        return -1;
    }
    t->turn_ns = ab_now_ns();
    for (i = 0; i < n; i++)
        dispatch(t, &ev[i]);
    run_timers(t);
    if (t->hook_errno != 0) {
        ab_err(SB_CMD, "epoll_ctl: %s", strerror(t->hook_errno));
        return -1;
    }
    return 0;
}

/* Starts the measured window: a fresh tally, the connections' counters snapshot. */
static void begin_measuring(sb_thread *t)
{
    unsigned i;
    ab_hist *h = t->tally.hist;
    ab_hist_reset(h);
    memset(&t->tally, 0, sizeof t->tally);
    t->tally.hist = h;
    for (i = 0; i < t->nconns; i++)
        sstore_async_counters(t->conns[i].a, &t->conns[i].c0);
    t->measuring = 1;
}

/* Ends the measured window: the connections' I/O over it into the tally; no more submits. */
static void end_measuring(sb_thread *t)
{
    unsigned i;
    if (!t->measuring) /* stopped (Ctrl-C, or nothing left to do) during the warm-up */
        begin_measuring(t);
    for (i = 0; i < t->nconns; i++) {
        sstore_counters c1, d;
        sstore_async_counters(t->conns[i].a, &c1);
        sstore_counters_diff(&t->conns[i].c0, &c1, &d);
        sstore_counters_add(&t->tally.io, &d);
    }
    t->measuring = 0;
    t->stopping = 1;
    t->end_us = ab_now_us();
}

/* Runs the lanes until the stop, or until none has anything left to do. */
static void loop(sb_thread *t)
{
    int phase;
    size_t i;
    for (i = 0; i < t->nslots; i++)
        enqueue(t, &t->slots[i]);
    while ((phase = atomic_load_explicit(&t->run->phase, memory_order_relaxed)) != SB_STOP && !sb_interrupted) {
        if (phase == SB_MEASURE && !t->measuring)
            begin_measuring(t);
        if (t->qlen == 0 && t->inflight == 0)
            break; /* delete: every lane's share is gone */
        submit_ready(t);
        if (poll_once(t) != 0)
            break;
    }
    end_measuring(t);
}

/* ---- set-up: sessions, handles ---- */

/* Creates the thread's sessions before the run through one blocking connection (set-up, not
 * measured), dealt to its connections' shares. 0, or -1 with the reason printed. */
static int prepopulate(sb_thread *t)
{
    const sb_run *run = t->run;
    sstore_conn *bc = sstore_connect(run->store);
    char id[SSTORE_ID_LEN + 1];
    int rc = 0;
    unsigned i;
    uint64_t k;
    if (bc == NULL || sstore_conn_err(bc) != SSTORE_OK) {
        ab_err(SB_CMD, "cannot connect to the store: %s", bc != NULL ? sstore_conn_errstr(bc) : "out of memory");
        rc = -1;
    }
    for (i = 0; i < t->nconns && rc == 0 && run->cfg->op != SB_CREATE; i++)
        for (k = 0; k < t->conns[i].share && rc == 0; k++) {
            int st = sstore_create(bc, run->claims, run->claims_len, (int64_t)run->cfg->ttl_s, id);
            if (st != SSTORE_OK) {
                ab_err(SB_CMD, "creating the sessions before the run: %s: %s", sstore_status_name(st),
                       sstore_conn_errstr(bc));
                rc = -1;
            } else if (push_id(&t->conns[i], id) != 0) {
                ab_err(SB_CMD, "out of memory");
                rc = -1;
            }
        }
    sstore_conn_free(bc);
    return rc;
}

/* Opens the thread's non-blocking handles, hooked to its epoll set. 0, or -1 with the reason printed. */
static int open_handles(sb_thread *t)
{
    unsigned i;
    for (i = 0; i < t->nconns; i++) {
        sstore_loop hooks = {&t->conns[i], add_read, del_read, add_write, del_write, forget_fd};
        if ((t->conns[i].a = sstore_async_connect(t->run->store, &hooks)) == NULL) {
            ab_err(SB_CMD, "out of memory");
            return -1;
        }
        if (sstore_async_err(t->conns[i].a) != SSTORE_OK) {
            ab_err(SB_CMD, "cannot connect to the store: %s", sstore_async_errstr(t->conns[i].a));
            return -1;
        }
    }
    return 0;
}

/* Frees the handles (what is in flight completes with SSTORE_ERR_CLOSED, not counted) and the
 * epoll set; the tally stays for the merge. */
static void close_handles(sb_thread *t)
{
    unsigned i;
    t->stopping = 1;
    for (i = 0; i < t->nconns; i++) {
        sstore_async_free(t->conns[i].a);
        t->conns[i].a = NULL;
    }
    if (t->epfd >= 0)
        (void)close(t->epfd);
    t->epfd = -1;
}

static void *thread_main(void *arg)
{
    sb_thread *t = arg;
    sb_run *run = t->run;
    int ok = prepopulate(t) == 0 && open_handles(t) == 0;
    if (!ok)
        atomic_store(&run->failed, 1);
    atomic_fetch_add(&run->ready, 1);
    while (atomic_load_explicit(&run->phase, memory_order_relaxed) == SB_READY && !sb_interrupted)
        nap();
    if (ok)
        loop(t); /* ends the measured window */
    t->end_us = ok ? t->end_us : ab_now_us();
    close_handles(t);
    atomic_fetch_add(&run->finished, 1);
    return NULL;
}

/* Sets up thread ti: nconns connections (the first being connection first of the run), their
 * shares of the sessions, the lanes and the histogram. 0, or -1 when out of memory. */
static int thread_init(sb_thread *t, sb_run *run, unsigned ti, unsigned first, unsigned nconns)
{
    const sb_cfg *cfg = run->cfg;
    unsigned i, j;
    t->run = run;
    t->nconns = nconns;
    t->nslots = (size_t)nconns * cfg->pipeline;
    ab_rng_seed(&t->rng, 0x9E3779B97F4A7C15ull * (ti + 1));
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    t->conns = calloc(nconns, sizeof *t->conns);
    t->slots = calloc(t->nslots, sizeof *t->slots);
    t->queue = calloc(t->nslots, sizeof *t->queue);
    t->tally.hist = ab_hist_new(SB_HIST_HIGHEST_NS, 3);
    if (cfg->sweep > 0 && (t->sweep_hist = ab_hist_new(SB_HIST_HIGHEST_NS, 3)) == NULL)
        return -1;
    if (t->epfd < 0 || !t->conns || !t->slots || !t->queue || !t->tally.hist)
        return -1;
    for (i = 0; i < nconns; i++) {
        unsigned g = first + i;
        t->conns[i].t = t;
        t->conns[i].share = cfg->sessions / cfg->clients + (g < cfg->sessions % cfg->clients);
        for (j = 0; j < cfg->pipeline; j++)
            t->slots[(size_t)i * cfg->pipeline + j].c = &t->conns[i];
    }
    return 0;
}

static void thread_free(sb_thread *t)
{
    unsigned i;
    for (i = 0; t->conns != NULL && i < t->nconns; i++) {
        sstore_async_free(t->conns[i].a);
        free(t->conns[i].ids);
    }
    if (t->epfd >= 0)
        (void)close(t->epfd);
    free(t->conns);
    free(t->slots);
    free(t->queue);
    free(t->fds);
    free(t->dirty);
    ab_hist_free(t->tally.hist);
    ab_hist_free(t->sweep_hist);
}

/* ---- the main thread: phases, progress, merge ---- */

/* This process's CPU time so far (user + sys of every thread), in microseconds. */
static double process_cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* The sum of the threads' completed operations (progress line only). */
static uint64_t live_ops(sb_thread *t, unsigned n)
{
    uint64_t sum = 0;
    unsigned i;
    for (i = 0; i < n; i++)
        sum += atomic_load_explicit(&t[i].live_ops, memory_order_relaxed);
    return sum;
}

/* Sleeps up to one tick (less when a phase boundary comes first) and redraws the progress line. */
static void tick(ab_progress *pr, sb_thread *t, unsigned n, uint64_t sleep_us, uint64_t start_us, uint64_t total_us,
                 uint64_t *last_ops, uint64_t *last_us)
{
    struct timespec ts = {(time_t)(sleep_us / 1000000), (long)(sleep_us % 1000000) * 1000L};
    uint64_t ops, now;
    char extra[64];
    (void)nanosleep(&ts, NULL); /* EINTR (Ctrl-C) only shortens the tick */
    now = ab_now_us();
    ops = live_ops(t, n);
    snprintf(extra, sizeof extra, "%.0f ops/s",
             now > *last_us ? (double)(ops - *last_ops) * 1e6 / (double)(now - *last_us) : 0.0);
    ab_progress_update(pr, SB_CMD, (double)(now - start_us), (double)total_us, extra);
    *last_ops = ops;
    *last_us = now;
}

/* Runs the warm-up and then exactly cfg->duration_us measured (less on Ctrl-C or when every loop
 * ran out of work: a delete run out of sessions); sets r->interrupted and returns when the
 * measured window began (0: never). */
static uint64_t drive(sb_run *run, sb_thread *t, sb_result *r)
{
    const sb_cfg *cfg = run->cfg;
    uint64_t start = ab_now_us(), total = cfg->warmup_us + cfg->duration_us, last_ops = 0, last_us = start;
    uint64_t t_measure = 0, now, next;
    sb_sweeper sw = {cfg, run->store, &run->sweeping, r, 0, 0};
    ab_progress pr;
    ab_progress_init(&pr, total > SB_PROGRESS_MIN_US);
    atomic_store(&run->phase, SB_WARMUP);
    while (!sb_interrupted) {
        now = ab_now_us();
        if (t_measure == 0 && now >= start + cfg->warmup_us) {
            t_measure = now;
            r->cpu_us = process_cpu_us();
            atomic_store(&run->phase, SB_MEASURE);
        }
        next = t_measure == 0 ? start + cfg->warmup_us : t_measure + cfg->duration_us;
        if (now >= next)
            break;
        sb_sweep_maybe_start(&sw, t_measure, now);
        if (cfg->sweep > 0 && !sw.started && t_measure != 0 && now < t_measure + cfg->duration_us / 2)
            next = t_measure + cfg->duration_us / 2; /* wake for the sweep's start */
        tick(&pr, t, cfg->threads, next - now < SB_TICK_US ? next - now : SB_TICK_US, start, total, &last_ops, &last_us);
        if (atomic_load(&run->finished) == cfg->threads) {
            if (cfg->op == SB_DELETE)
                ab_err(SB_CMD, "every session was deleted before the end: measured a shorter window (raise --sessions)");
            break;
        }
    }
    atomic_store(&run->phase, SB_STOP);
    r->cpu_us = t_measure != 0 ? process_cpu_us() - r->cpu_us : 0;
    sb_sweep_join(&sw); /* a sweep past the window: its end is waited for */
    ab_progress_done(&pr);
    r->interrupted = sb_interrupted != 0;
    return t_measure;
}

/* The measured seconds: from the window's start until the stop, or until the last loop ran out
 * of work if that came first (delete). */
static double measured_seconds(const sb_thread *t, unsigned n, uint64_t t_measure, uint64_t t_stop)
{
    uint64_t last = 0;
    unsigned i;
    for (i = 0; i < n; i++)
        if (t[i].end_us > last)
            last = t[i].end_us;
    if (last < t_stop)
        t_stop = last;
    return t_measure != 0 && t_stop > t_measure ? (double)(t_stop - t_measure) / 1e6 : 0;
}

/* Merges the threads' tallies into r. 0, or -1 when out of memory. */
static int merge_threads(const sb_thread *t, unsigned n, sb_result *r)
{
    unsigned i, k;
    if ((r->t.hist = ab_hist_new(SB_HIST_HIGHEST_NS, 3)) == NULL ||
        (t[0].sweep_hist != NULL && (r->sweep_hist = ab_hist_new(SB_HIST_HIGHEST_NS, 3)) == NULL))
        return -1;
    for (i = 0; i < n; i++) {
        ab_hist_merge(r->t.hist, t[i].tally.hist);
        if (r->sweep_hist != NULL)
            ab_hist_merge(r->sweep_hist, t[i].sweep_hist);
        r->t.ops += t[i].tally.ops;
        r->t.errors += t[i].tally.errors;
        r->t.not_found += t[i].tally.not_found;
        for (k = 0; k < SSTORE_STATUS__COUNT; k++)
            r->t.by_status[k] += t[i].tally.by_status[k];
        sstore_counters_add(&r->t.io, &t[i].tally.io);
    }
    return 0;
}

/* Starts the threads (their connections dealt out in turn), waits for their set-up; 0, or -1
 * (message printed). *started gets how many run. */
static int start_threads(sb_run *run, sb_thread *t, unsigned *started)
{
    const sb_cfg *cfg = run->cfg;
    unsigned i, first = 0;
    int rc = 0;
    for (i = 0; i < cfg->threads && rc == 0; i++) {
        unsigned n = cfg->clients / cfg->threads + (i < cfg->clients % cfg->threads);
        if (thread_init(&t[i], run, i, first, n) != 0) {
            ab_err(SB_CMD, "out of memory");
            rc = -1;
        } else if ((rc = pthread_create(&t[i].tid, NULL, thread_main, &t[i])) != 0) {
            ab_err(SB_CMD, "cannot start loop thread %u: %s", i, strerror(rc));
        } else {
            (*started)++;
        }
        first += n;
    }
    while (rc == 0 && atomic_load(&run->ready) < *started && !sb_interrupted)
        nap();
    return rc == 0 && !atomic_load(&run->failed) ? 0 : -1;
}

int sb_loop_run(const sb_cfg *cfg, sstore *st, const char *claims, size_t claims_len, sb_result *r)
{
    sb_run run = {cfg, st, claims, claims_len, SB_READY, 0, 0, 0, 0};
    sb_thread *t = calloc(cfg->threads, sizeof *t);
    uint64_t t_measure = 0, t_stop;
    unsigned i, started = 0;
    int rc;
    if (t == NULL) {
        ab_err(SB_CMD, "out of memory");
        return -1;
    }
    for (i = 0; i < cfg->threads; i++)
        t[i].epfd = -1;
    if ((rc = start_threads(&run, t, &started)) == 0)
        t_measure = drive(&run, t, r);
    t_stop = ab_now_us();
    atomic_store(&run.phase, SB_STOP);
    for (i = 0; i < started; i++)
        if ((errno = pthread_join(t[i].tid, NULL)) != 0)
            ab_err(SB_CMD, "joining loop thread %u: %s", i, strerror(errno));
    r->seconds = measured_seconds(t, started, t_measure, t_stop);
    if (rc == 0 && merge_threads(t, cfg->threads, r) != 0) {
        ab_err(SB_CMD, "out of memory");
        rc = -1;
    }
    for (i = 0; i < cfg->threads; i++)
        thread_free(&t[i]);
    free(t);
    return rc;
}

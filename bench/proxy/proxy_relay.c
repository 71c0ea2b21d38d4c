/* proxy_relay.c — the proxy's event loop: accepts clients, connects each to the upstream, and
 * relays every chunk read from one side to the other no earlier than its deadline (read time +
 * one-way delay ± jitter), keeping each direction's chunks in order, and records the delay each
 * chunk got (proxy_stats.c). */
#include "proxy_int.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_net.h"

enum { ABP_CLIENT = 0, ABP_UPSTREAM = 1 };

struct abp_chunk {
    abp_chunk *next;
    uint64_t arrival_ns; /* when it was read */
    uint64_t due_ns;
    uint32_t len;
    uint32_t off;
    int eof; /* carries the sender's FIN instead of bytes */
    char data[ABP_CHUNK_BYTES];
};

/* One socket of a pair; its address is the epoll cookie. */
typedef struct abp_end {
    abp_pair *pair;
    int side;
    int fd;
    uint32_t events; /* interest currently registered */
} abp_end;

/* The bytes read from end[s], waiting to be written to end[1-s]. */
typedef struct abp_dir {
    ab_timer timer; /* queued while the head waits for its deadline */
    abp_pair *pair;
    int side; /* the end the bytes are read from */
    abp_chunk *head;
    abp_chunk *tail;
    size_t queued;
    uint64_t last_due;
    int blocked;  /* head is due but the destination cannot take it yet */
    int eof_read; /* the source sent FIN: stop reading it */
    int done;     /* FIN passed on */
} abp_dir;

struct abp_pair {
    abp_thread *t;
    abp_end end[2];
    abp_dir dir[2];
    int connecting;
    int dead;
    abp_pair *next; /* graveyard link */
    abp_pair *live_prev;
    abp_pair *live_next;
};

static void pair_close(abp_pair *p);

/* A chunk from the thread's free list, or a new one; NULL when out of memory. */
static abp_chunk *chunk_get(abp_thread *t)
{
    abp_chunk *c = t->free_chunks;
    if (c != NULL)
        t->free_chunks = c->next;
    else if ((c = malloc(sizeof *c)) == NULL)
        return NULL;
    c->next = NULL;
    c->len = c->off = 0;
    c->eof = 0;
    return c;
}

/* Returns a chunk to the thread's free list. */
static void chunk_put(abp_thread *t, abp_chunk *c)
{
    c->next = t->free_chunks;
    t->free_chunks = c;
}

/* Registers or updates the epoll interest of one end to what its directions need now. */
static void end_update(abp_end *e)
{
    abp_pair *p = e->pair;
    abp_dir *in = &p->dir[e->side], *out = &p->dir[1 - e->side];
    struct epoll_event ev;
    uint32_t want = 0;
    if (!in->eof_read && in->queued < ABP_DIR_MAX_QUEUED)
        want |= EPOLLIN;
    if (out->blocked || (e->side == ABP_UPSTREAM && p->connecting))
        want |= EPOLLOUT;
    if (want == e->events || p->dead)
        return;
    ev.events = want;
    ev.data.ptr = e;
    if (epoll_ctl(p->t->epfd, EPOLL_CTL_MOD, e->fd, &ev) != 0) {
        pair_close(p);
        return;
    }
    e->events = want;
}

/* The deadline of a chunk read now from direction d: delay ± jitter, never before the previous
 * chunk of the same direction. */
static uint64_t chunk_due(abp_thread *t, abp_dir *d, uint64_t arrival)
{
    const abp_config *cfg = t->cfg;
    uint64_t due = arrival + cfg->delay_ns;
    if (cfg->jitter_ns > 0)
        due = due - cfg->jitter_ns + ab_rng_below(&t->rng, 2 * cfg->jitter_ns + 1);
    if (due < d->last_due)
        due = d->last_due;
    d->last_due = due;
    return due;
}

/* Appends a chunk read from end[s] and schedules the direction if the chunk is its head. */
static void dir_push(abp_pair *p, int s, abp_chunk *c)
{
    abp_dir *d = &p->dir[s];
    c->arrival_ns = ab_now_ns();
    c->due_ns = chunk_due(p->t, d, c->arrival_ns);
    if (d->tail != NULL)
        d->tail->next = c;
    else
        d->head = c;
    d->tail = c;
    d->queued += c->len;
    if (d->head == c && !d->blocked && ab_timerq_add(p->t->timers, &d->timer, c->due_ns) != 0)
        pair_close(p);
}

/* Drops the head chunk of a direction after it was written. */
static void dir_pop(abp_pair *p, abp_dir *d)
{
    abp_chunk *c = d->head;
    d->head = c->next;
    if (d->head == NULL)
        d->tail = NULL;
    d->queued -= c->len;
    chunk_put(p->t, c);
}

/* Writes the due head of d to dst. 1 fully written, 0 would block, -1 the pair must close. */
static int dir_write_head(abp_pair *p, abp_dir *d, abp_end *dst, uint64_t *bytes)
{
    abp_chunk *c = d->head;
    if (c->eof) {
        if (shutdown(dst->fd, SHUT_WR) != 0 && errno != ENOTCONN)
            return -1;
        d->done = 1;
        dir_pop(p, d);
        return 1;
    }
    while (c->off < c->len) {
        ssize_t n = send(dst->fd, c->data + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        c->off += (uint32_t)n;
        *bytes += (uint64_t)n;
    }
    abp_delay_record(p->t->delay, c->arrival_ns, c->due_ns, ab_now_ns());
    dir_pop(p, d);
    return 1;
}

/* Writes every chunk of direction s that is due at now, then re-schedules the rest. */
static void dir_flush(abp_pair *p, int s, uint64_t now)
{
    abp_dir *d = &p->dir[s];
    abp_end *dst = &p->end[1 - s];
    uint64_t *bytes = s == ABP_CLIENT ? &p->t->counters.bytes_up : &p->t->counters.bytes_down;
    int r = 1;
    int was_full = d->queued >= ABP_DIR_MAX_QUEUED;
    if (dst->side == ABP_UPSTREAM && p->connecting)
        r = 0;
    while (r == 1 && d->head != NULL && d->head->due_ns <= now)
        r = dir_write_head(p, d, dst, bytes);
    if (r < 0) {
        pair_close(p);
        return;
    }
    d->blocked = r == 0;
    if (!d->blocked && d->head != NULL && ab_timerq_add(p->t->timers, &d->timer, d->head->due_ns) != 0) {
        pair_close(p);
        return;
    }
    end_update(dst);
    if (was_full && !p->dead)
        end_update(&p->end[s]);
    if (p->dir[0].done && p->dir[1].done)
        pair_close(p);
}

/* Reads one chunk from end e (data, FIN, or nothing yet) and queues it. */
static void end_read(abp_end *e)
{
    abp_pair *p = e->pair;
    abp_chunk *c = chunk_get(p->t);
    ssize_t n;
    if (c == NULL) {
        pair_close(p);
        return;
    }
    do
        n = read(e->fd, c->data, sizeof c->data);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        chunk_put(p->t, c);
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            pair_close(p);
        return;
    }
    c->len = (uint32_t)n;
    c->eof = n == 0;
    p->dir[e->side].eof_read = n == 0;
    dir_push(p, e->side, c);
    if (!p->dead)
        end_update(e);
}

/* The upstream socket became writable while connecting: the connect finished, well or not. */
static void upstream_connected(abp_pair *p)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(p->end[ABP_UPSTREAM].fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        p->t->counters.upstream_failures++;
        pair_close(p);
        return;
    }
    p->connecting = 0;
    if (p->dir[ABP_CLIENT].blocked)
        dir_flush(p, ABP_CLIENT, ab_now_ns());
    else
        end_update(&p->end[ABP_UPSTREAM]);
}

/* Handles the epoll events of one end of a pair. */
static void end_event(abp_end *e, uint32_t ev)
{
    abp_pair *p = e->pair;
    if (p->dead)
        return;
    if (ev & EPOLLERR) {
        if (e->side == ABP_UPSTREAM && p->connecting)
            p->t->counters.upstream_failures++;
        pair_close(p);
        return;
    }
    if (e->side == ABP_UPSTREAM && p->connecting && (ev & (EPOLLOUT | EPOLLHUP))) {
        upstream_connected(p);
        return;
    }
    if ((ev & EPOLLOUT) && p->dir[1 - e->side].blocked)
        dir_flush(p, 1 - e->side, ab_now_ns());
    if (!p->dead && (ev & (EPOLLIN | EPOLLHUP)) && !p->dir[e->side].eof_read)
        end_read(e);
    else if (!p->dead && (ev & EPOLLHUP))
        pair_close(p); /* both halves gone and we read everything */
}

/* Sets TCP_NODELAY: the proxy forwards each chunk as it is due, not when Nagle allows. */
static int set_nodelay(int fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Registers both ends of a new pair with the thread's epoll. 0 or -1. */
static int pair_register(abp_pair *p)
{
    int s;
    for (s = 0; s < 2; s++) {
        struct epoll_event ev;
        p->end[s].events = s == ABP_CLIENT ? EPOLLIN : EPOLLIN | EPOLLOUT;
        ev.events = p->end[s].events;
        ev.data.ptr = &p->end[s];
        if (epoll_ctl(p->t->epfd, EPOLL_CTL_ADD, p->end[s].fd, &ev) != 0)
            return -1;
    }
    return 0;
}

/* Opens the upstream socket and starts a non-blocking connect. The fd, or -1. */
static int upstream_open(const abp_config *cfg)
{
    int fd = socket(cfg->upstream_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (set_nodelay(fd) != 0 ||
        (connect(fd, (const struct sockaddr *)&cfg->upstream_addr, cfg->upstream_len) != 0 &&
         errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Makes the pair for an accepted client socket. Closes cfd on failure. */
static void pair_open(abp_thread *t, int cfd)
{
    abp_pair *p = calloc(1, sizeof *p);
    int ufd = -1;
    if (p == NULL || set_nodelay(cfd) != 0)
        goto fail;
    if ((ufd = upstream_open(t->cfg)) < 0) {
        t->counters.upstream_failures++;
        goto fail;
    }
    p->t = t;
    p->connecting = 1;
    p->end[ABP_CLIENT] = (abp_end){p, ABP_CLIENT, cfd, 0};
    p->end[ABP_UPSTREAM] = (abp_end){p, ABP_UPSTREAM, ufd, 0};
    p->dir[ABP_CLIENT].pair = p->dir[ABP_UPSTREAM].pair = p;
    p->dir[ABP_UPSTREAM].side = ABP_UPSTREAM;
    if (pair_register(p) != 0)
        goto fail;
    p->live_next = t->live;
    if (t->live != NULL)
        t->live->live_prev = p;
    t->live = p;
    return;
fail:
    if (ufd >= 0)
        close(ufd);
    close(cfd);
    free(p);
}

/* A drop request: every open pair is reset (SO_LINGER 0, so both peers get a TCP reset, as when a
 * network path or a middlebox fails) and closed. */
static void drop_all(abp_thread *t)
{
    static const struct linger reset = {1, 0};
    int s;
    t->drop_seen = *t->drop_gen;
    while (t->live != NULL) {
        for (s = 0; s < 2; s++) /* best effort: a socket that cannot linger gets a FIN instead */
            (void)setsockopt(t->live->end[s].fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        t->counters.dropped++;
        pair_close(t->live);
    }
}

/* Closes both sockets, drops queued chunks and moves the pair to the graveyard (freed after the
 * current epoll batch, whose events may still point at it). */
static void pair_close(abp_pair *p)
{
    abp_thread *t = p->t;
    int s;
    if (p->dead)
        return;
    p->dead = 1;
    for (s = 0; s < 2; s++) {
        ab_timerq_remove(t->timers, &p->dir[s].timer);
        while (p->dir[s].head != NULL)
            dir_pop(p, &p->dir[s]);
        close(p->end[s].fd);
    }
    if (p->live_prev != NULL)
        p->live_prev->live_next = p->live_next;
    else
        t->live = p->live_next;
    if (p->live_next != NULL)
        p->live_next->live_prev = p->live_prev;
    p->next = t->graveyard;
    t->graveyard = p;
    t->counters.closed++;
}

/* Frees the pairs closed during the last epoll batch. */
static void bury(abp_thread *t)
{
    while (t->graveyard != NULL) {
        abp_pair *p = t->graveyard;
        t->graveyard = p->next;
        free(p);
    }
}

/* Accepts the pending clients on the shared listening socket (another thread may win them). */
static void accept_clients(abp_thread *t)
{
    int k;
    for (k = 0; k < 64; k++) {
        int cfd = accept4(t->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0)
            return; /* EAGAIN, or a transient error (EMFILE, ECONNABORTED): try on the next event */
        t->counters.accepted++;
        pair_open(t, cfd);
    }
}

/* Writes every direction whose head is due, or due within the wake-up latency (waiting for the
 * timer would overshoot it by that much). */
static void timers_fire(abp_thread *t)
{
    uint64_t horizon = ab_now_ns() + t->lead_ns;
    ab_timer *tm;
    while ((tm = ab_timerq_pop_due(t->timers, horizon)) != NULL) {
        abp_dir *d = (abp_dir *)(void *)((char *)tm - offsetof(abp_dir, timer));
        if (!d->pair->dead)
            dir_flush(d->pair, d->side, horizon);
    }
}

/* Creates the thread's epoll and timer queue and watches the listener, the stop event and the
 * timer. 0, or -1 with t->err set. */
static int loop_open(abp_thread *t)
{
    struct epoll_event ev;
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    t->timers = ab_timerq_new();
    if (t->epfd < 0 || t->timers == NULL) {
        snprintf(t->err, sizeof t->err, "epoll/timerfd: %s", strerror(errno));
        return -1;
    }
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.ptr = &t->listen_fd;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->listen_fd, &ev) != 0)
        goto fail;
    ev.events = EPOLLIN;
    ev.data.ptr = &t->stop_fd;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stop_fd, &ev) != 0)
        goto fail;
    ev.data.ptr = t->timers;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, ab_timerq_fd(t->timers), &ev) != 0)
        goto fail;
    ev.events = EPOLLIN | EPOLLET; /* every write wakes every thread; none reads it */
    ev.data.ptr = &t->drop_fd;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->drop_fd, &ev) != 0)
        goto fail;
    return 0;
fail:
    snprintf(t->err, sizeof t->err, "epoll_ctl: %s", strerror(errno));
    return -1;
}

/* Folds one measured timer wake-up latency into the lead (EWMA 1/8), capped at half the delay and
 * 200 us so a chunk never leaves much before its deadline. */
static void lead_learn(abp_thread *t, uint64_t late_ns)
{
    uint64_t cap = t->cfg->delay_ns / 2 < 200000u ? t->cfg->delay_ns / 2 : 200000u;
    t->lead_ns = (7 * t->lead_ns + late_ns) / 8;
    if (t->lead_ns > cap)
        t->lead_ns = cap;
}

/* Dispatches one epoll event. 1 when the stop event fired, -1 on a timer error, else 0. */
static int loop_event(abp_thread *t, const struct epoll_event *ev)
{
    if (ev->data.ptr == &t->stop_fd)
        return 1;
    if (ev->data.ptr == &t->listen_fd) {
        accept_clients(t);
    } else if (ev->data.ptr == &t->drop_fd) {
        if (*t->drop_gen != t->drop_seen)
            drop_all(t);
    } else if (ev->data.ptr == t->timers) {
        uint64_t armed, now = ab_now_ns();
        if (ab_timerq_ack(t->timers, &armed) != 0)
            return -1;
        if (armed != 0 && now > armed)
            lead_learn(t, now - armed);
    } else {
        end_event(ev->data.ptr, ev->events);
    }
    return 0;
}

int abp_thread_run(abp_thread *t)
{
    struct epoll_event evs[256];
    int r = 0;
    /* The default 50 us timer slack would blur sub-millisecond delays. */
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0 || loop_open(t) != 0) {
        if (t->err[0] == '\0')
            snprintf(t->err, sizeof t->err, "prctl(PR_SET_TIMERSLACK): %s", strerror(errno));
        return -1;
    }
    while (r == 0) {
        int i, n = ab_net_wait(t->epfd, evs, (int)(sizeof evs / sizeof evs[0]), -1, t->err, sizeof t->err);
        if (n < 0)
            return -1;
        for (i = 0; i < n && r == 0; i++)
            r = loop_event(t, &evs[i]);
        if (r == 0)
            timers_fire(t); /* chunks due now (no delay) leave without a timer round trip */
        bury(t);
        if (r >= 0 && ab_timerq_arm(t->timers, t->lead_ns) != 0)
            r = -1;
    }
    if (r < 0)
        snprintf(t->err, sizeof t->err, "timerfd: %s", strerror(errno));
    return r < 0 ? -1 : 0;
}

void abp_thread_cleanup(abp_thread *t)
{
    while (t->live != NULL)
        pair_close(t->live);
    bury(t);
    while (t->free_chunks != NULL) {
        abp_chunk *c = t->free_chunks;
        t->free_chunks = c->next;
        free(c);
    }
    ab_timerq_free(t->timers);
    t->timers = NULL;
    if (t->epfd >= 0)
        close(t->epfd);
    t->epfd = -1;
}

/* srv_loop.c — one server thread: its epoll loop, accepting, reading, writing, idle timeouts, and
 * the connections whose pending job comes back (from a pool worker or the mechanism). */
#include "srv.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_net.h"

#define SRV_EVENTS 256

int srv_listen(const struct sockaddr *addr, socklen_t len)
{
    int one = 1, fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, addr, len) != 0 || listen(fd, 1024) != 0)
        goto err;
    return fd;
err:
    one = errno;
    close(fd);
    errno = one;
    return -1;
}

/* Moves c to the tail of t's list (most recently active). */
static void conn_touch(srv_thread *t, srv_conn *c, uint64_t now_us)
{
    c->last_us = now_us;
    if (t->tail == c)
        return;
    if (c->prev != NULL)
        c->prev->next = c->next;
    else if (t->head == c)
        t->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->prev = t->tail;
    c->next = NULL;
    if (t->tail != NULL)
        t->tail->next = c;
    t->tail = c;
    if (t->head == NULL)
        t->head = c;
}

srv_conn *srv_conn_new(srv_thread *t, int fd)
{
    srv_conn *c = calloc(1, sizeof *c);
    if (c == NULL || (c->rbuf = malloc(SRV_RBUF_INIT)) == NULL) {
        free(c);
        return NULL;
    }
    c->fd = fd;
    c->t = t;
    c->rcap = SRV_RBUF_INIT;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    return c;
}

void srv_conn_free(srv_conn *c)
{
    if (c == NULL)
        return;
    free(c->rbuf);
    ab_buf_free(&c->out);
    free(c->job.copy);
    free(c->job.out);
    free(c);
}

/* Unlinks and closes c, and frees it unless its job is pending (then it is freed when the job
 * comes back, marked dead). */
static void conn_close(srv_thread *t, srv_conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        t->tail = c->prev;
    close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    if (c->pending)
        c->dead = 1;
    else
        srv_conn_free(c);
    t->live.closed++;
}

/* Makes the state of an accepted socket and registers it (edge-triggered). 0 or -1. */
static int conn_open(srv_thread *t, int fd)
{
    struct epoll_event ev;
    int one = 1;
    srv_conn *c = srv_conn_new(t, fd);
    if (c == NULL)
        goto err;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        goto err;
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = c;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        goto err;
    conn_touch(t, c, ab_now_us());
    t->live.accepted++;
    return 0;
err:
    srv_conn_free(c);
    close(fd);
    return -1;
}

/* Turns the listening socket's events on or off (off while out of descriptors). */
static void accept_enable(srv_thread *t, int on)
{
    struct epoll_event ev;
    ev.events = on ? EPOLLIN : 0;
    ev.data.ptr = t;
    if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, t->lfd, &ev) != 0)
        ab_err("serve", "epoll_ctl on the listening socket: %s", strerror(errno));
    t->accept_paused = !on;
}

/* Accepts what is pending on the listening socket. */
static void accept_all(srv_thread *t)
{
    int k;
    for (k = 0; k < 64; k++) {
        int fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            conn_open(t, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            ab_err("serve", "accept: %s: pausing accepts for a second", strerror(errno));
            accept_enable(t, 0);
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            ab_err("serve", "accept: %s", strerror(errno));
        }
        return;
    }
}

/* Sends pending output. SRV_OK when all is sent, SRV_RETRY when the socket is full, SRV_ERR. */
static int conn_flush(srv_conn *c)
{
    if (c->out.len == 0)
        return SRV_OK; /* the common case at the top of conn_io's loop */
    while (c->woff < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->woff, c->out.len - c->woff, MSG_NOSIGNAL);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? SRV_RETRY : SRV_ERR;
    }
    c->woff = 0;
    ab_buf_clear(&c->out);
    return SRV_OK;
}

/* Reads what the socket holds into the buffer. SRV_OK (data; *drained when the read came short,
 * so with edge triggering there is nothing left to read), SRV_RETRY, or SRV_ERR (EOF, error). */
static int conn_fill(srv_conn *c, int *drained)
{
    for (;;) {
        size_t room;
        ssize_t n;
        if (c->rlen == c->rcap && srv_conn_room(c) != 0)
            return SRV_OK; /* close_after is set; the error response is queued */
        room = c->rcap - c->rlen;
        n = recv(c->fd, c->rbuf + c->rlen, room, 0);
        if (n > 0) {
            c->rlen += (size_t)n;
            *drained = (size_t)n < room;
            return SRV_OK;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? SRV_RETRY : SRV_ERR;
    }
}

/* Serves c until its socket would block: send output, parse what is buffered, read more. A short
 * read ends the turn unless the peer hung up (then the next read must see the EOF now). */
static void conn_io(srv_thread *t, srv_conn *c, int hup)
{
    int drained = 0, r;
    for (;;) {
        r = conn_flush(c);
        if (r == SRV_ERR || (r == SRV_OK && c->close_after && !c->pending))
            break;
        if (r == SRV_RETRY || c->pending)
            return; /* a pending job: read on when it comes back (conn_resume) */
        if (c->parsed < c->rlen) { /* left unparsed while output was backed up */
            srv_http_process(c);
            continue;
        }
        if (drained && !hup)
            return;
        r = conn_fill(c, &drained);
        if (r == SRV_ERR)
            break;
        if (r == SRV_RETRY)
            return;
        srv_http_process(c);
    }
    conn_close(t, c);
}

void srv_post_done(srv_conn *c)
{
    srv_thread *t = c->t;
    uint64_t one = 1;
    int wake;
    pthread_mutex_lock(&t->done_lock);
    wake = t->done == NULL;
    c->job.next = t->done;
    t->done = c;
    pthread_mutex_unlock(&t->done_lock);
    if (wake && write(t->done_fd, &one, sizeof one) != (ssize_t)sizeof one)
        ab_err("serve", "thread %d: eventfd write: %s", t->idx, strerror(errno));
}

/* Takes t's done list (newest first). */
static srv_conn *take_done(srv_thread *t)
{
    srv_conn *c;
    pthread_mutex_lock(&t->done_lock);
    c = t->done;
    t->done = NULL;
    pthread_mutex_unlock(&t->done_lock);
    return c;
}

/* Answers the jobs of list (linked by job.next) and serves their connections on (freeing those
 * closed while their job was out). Runs after an event batch, so no later event of the batch sees a
 * freed connection. */
static void resume(srv_thread *t, srv_conn *c, uint64_t now_us)
{
    srv_conn *next;
    for (; c != NULL; c = next) {
        next = c->job.next;
        if (c->dead) {
            srv_conn_free(c);
            continue;
        }
        srv_http_finish(c);
        conn_touch(t, c, now_us);
        conn_io(t, c, 0);
    }
}

/* Resumes what workers handed back (the eventfd said so). */
static void resume_done(srv_thread *t, uint64_t now_us)
{
    uint64_t n;
    if (read(t->done_fd, &n, sizeof n) < 0 && errno != EAGAIN)
        ab_err("serve", "thread %d: eventfd read: %s", t->idx, strerror(errno));
    resume(t, take_done(t), now_us);
}

void srv_thread_drain_done(srv_thread *t)
{
    srv_conn *c = take_done(t), *next;
    for (; c != NULL; c = next) {
        next = c->job.next;
        srv_conn_free(c); /* every connection is closed by now */
    }
}

/* Closes connections idle for longer than the timeout (the list's head is the least active). A
 * connection accepted during this event batch was stamped after now_us: it is not idle (unsigned
 * now_us - last_us would wrap, and closed a thread's first connection now and then). Nor is one
 * whose request waits for a worker or the store: it goes to the tail, stamped now. */
static void sweep_idle(srv_thread *t, uint64_t now_us)
{
    srv_conn *c;
    while ((c = t->head) != NULL && now_us > c->last_us && now_us - c->last_us > t->s->idle_us) {
        if (c->pending)
            conn_touch(t, c, now_us);
        else
            conn_close(t, c);
    }
}

void srv_stats_park(srv_conn *c)
{
    c->pending = 1;
    c->job.next = c->t->stats_wait;
    c->t->stats_wait = c;
}

/* Takes the /stats requests whose publications have all been made, and those closed meanwhile
 * (all of them with finish: the thread stops), off t's waiting list (linked by job.next). */
static srv_conn *take_stats(srv_thread *t, int finish)
{
    srv_conn *c = t->stats_wait, *next, *ready = NULL;
    t->stats_wait = NULL;
    for (; c != NULL; c = next) {
        next = c->job.next;
        if (finish || c->dead || srv_stats_published(t, c->job.stats_gen)) {
            c->job.next = ready;
            ready = c;
        } else {
            c->job.next = t->stats_wait;
            t->stats_wait = c;
        }
    }
    return ready;
}

/* Dispatches one epoll event. */
static void handle_event(srv_thread *t, struct epoll_event *ev, uint64_t now_us)
{
    srv_conn *c;
    if (ev->data.ptr == t) {
        accept_all(t);
        return;
    }
    if (t->mech_waits && srv_watch_event(t, ev)) /* a handle that never waits watches no fd */
        return;
    c = ev->data.ptr;
    if (c->dead)
        return;
    if (ev->events & EPOLLERR) {
        conn_close(t, c);
        return;
    }
    conn_touch(t, c, now_us);
    conn_io(t, c, (ev->events & (EPOLLRDHUP | EPOLLHUP)) != 0);
}

int srv_thread_setup(srv_thread *t)
{
    struct epoll_event ev;
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (t->epfd < 0)
        return -1;
    ev.events = EPOLLIN;
    ev.data.ptr = t;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->lfd, &ev) != 0)
        return -1;
    ev.data.ptr = t->s;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->s->stop_fd, &ev) != 0)
        return -1;
    if ((t->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
        return -1;
    ev.data.ptr = &t->done_fd;
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->done_fd, &ev) != 0)
        return -1;
    srv_watch_all(t); /* what the mechanism handle asked for while it connected */
    return 0;
}

/* The thread stops: closes its connections, then frees its mechanism handle here, on its own
 * thread (what it has in flight completes now, for connections closed already), and those. */
static void thread_finish(srv_thread *t)
{
    while (t->head != NULL)
        conn_close(t, t->head);
    ab_mech_ctx_free(t->mech);
    t->mech = NULL;
    resume(t, srv_take_ready(t), 0);
    resume(t, take_stats(t, 1), 0);
}

void *srv_thread_main(void *arg)
{
    srv_thread *t = arg;
    struct epoll_event evs[SRV_EVENTS];
    uint64_t last_tick = ab_now_us();
    for (;;) {
        char why[96];
        /* a /stats waiting for the other threads' publications looks again within 1 ms */
        int wait_ms = srv_mech_wait_ms(t, t->stats_wait != NULL ? 1 : (int)t->s->tick_ms);
        int i, done = 0, n = ab_net_wait(t->epfd, evs, SRV_EVENTS, wait_ms, why, sizeof why);
        uint64_t now = ab_now_us();
        if (n < 0) {
            ab_err("serve", "thread %d: %s", t->idx, why);
            break;
        }
        for (i = 0; i < n; i++) {
            if (evs[i].data.ptr == t->s)
                goto out;
            if (evs[i].data.ptr == &t->done_fd)
                done = 1;
            else
                handle_event(t, &evs[i], now);
        }
        srv_mech_timer(t);
        resume(t, srv_take_ready(t), now);
        if (done)
            resume_done(t, now);
        if (t->stats_wait != NULL)
            resume(t, take_stats(t, 0), now);
        if (now - last_tick >= t->s->tick_ms * 1000u) {
            last_tick = now;
            sweep_idle(t, now);
            if (t->accept_paused)
                accept_enable(t, 1);
        }
        srv_stats_publish_asked(t); /* after this turn's responses were sent */
    }
out:
    thread_finish(t);
    return NULL;
}

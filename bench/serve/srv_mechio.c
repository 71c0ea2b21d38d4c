/* srv_mechio.c — the async model's side of the mechanism: the loop hooks a thread gives its
 * mechanism handle (read/write interest on the store's fds, kept in the thread's watch table and
 * its epoll set), their events and timer handed back, and the answers that completed later. */
#include "srv.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "ab_cli.h"

/* t's watch entry for fd; with make, a free one taken for it. NULL when none (or the table is full). */
static srv_watch *watch_find(srv_thread *t, int fd, int make)
{
    srv_watch *free_slot = NULL;
    int i;
    for (i = 0; i < SRV_WATCH_MAX; i++) {
        if (t->watch[i].used && t->watch[i].fd == fd)
            return &t->watch[i];
        if (!t->watch[i].used && free_slot == NULL)
            free_slot = &t->watch[i];
    }
    if (!make || free_slot == NULL) {
        if (make)
            ab_err("serve", "thread %d: more than %d store descriptors to watch", t->idx, SRV_WATCH_MAX);
        return NULL;
    }
    *free_slot = (srv_watch){1, fd, 0, 0};
    return free_slot;
}

/* Tells epoll what w now wants (nothing before the thread's epoll set exists: srv_watch_all). */
static void watch_apply(srv_thread *t, srv_watch *w)
{
    struct epoll_event ev;
    int op = w->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (t->epfd < 0)
        return;
    ev.events = w->events;
    ev.data.ptr = w;
    if (epoll_ctl(t->epfd, op, w->fd, &ev) != 0)
        ab_err("serve", "thread %d: epoll_ctl on a store descriptor: %s", t->idx, strerror(errno));
    else
        w->registered = 1;
}

/* Turns interest bits on or off for fd. */
static void watch_set(void *data, int fd, uint32_t bits, int on)
{
    srv_thread *t = data;
    srv_watch *w = watch_find(t, fd, on);
    if (w == NULL)
        return;
    w->events = on ? w->events | bits : w->events & ~bits;
    watch_apply(t, w);
}

/* The hooks themselves. */
static void hook_add_read(void *data, int fd) { watch_set(data, fd, EPOLLIN, 1); }
static void hook_del_read(void *data, int fd) { watch_set(data, fd, EPOLLIN, 0); }
static void hook_add_write(void *data, int fd) { watch_set(data, fd, EPOLLOUT, 1); }
static void hook_del_write(void *data, int fd) { watch_set(data, fd, EPOLLOUT, 0); }

/* fd is about to be closed: out of the epoll set and the table. */
static void hook_cleanup(void *data, int fd)
{
    srv_thread *t = data;
    srv_watch *w = watch_find(t, fd, 0);
    if (w == NULL)
        return;
    if (w->registered && t->epfd >= 0)
        epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL);
    w->used = w->registered = 0;
    w->fd = -1;
}

void srv_mech_hooks(srv_thread *t, ab_mech_loop *out)
{
    *out = (ab_mech_loop){t, hook_add_read, hook_del_read, hook_add_write, hook_del_write, hook_cleanup};
}

void srv_watch_all(srv_thread *t)
{
    int i;
    for (i = 0; i < SRV_WATCH_MAX; i++)
        if (t->watch[i].used && !t->watch[i].registered)
            watch_apply(t, &t->watch[i]);
}

int srv_watch_event(srv_thread *t, struct epoll_event *ev)
{
    srv_watch *w = ev->data.ptr;
    if (w < t->watch || w >= t->watch + SRV_WATCH_MAX)
        return 0;
    if (w->used && (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        ab_mech_ctx_on_readable(t->mech, w->fd); /* an error is found by reading */
    if (w->used && (ev->events & EPOLLOUT))
        ab_mech_ctx_on_writable(t->mech, w->fd);
    return 1;
}

int srv_mech_wait_ms(srv_thread *t, int tick_ms)
{
    int ms = t->mech != NULL ? ab_mech_ctx_timeout_ms(t->mech) : -1;
    return ms >= 0 && ms < tick_ms ? ms : tick_ms;
}

void srv_mech_timer(srv_thread *t)
{
    if (t->mech != NULL && ab_mech_ctx_timeout_ms(t->mech) == 0)
        ab_mech_ctx_on_timer(t->mech);
}

void srv_post_ready(srv_conn *c)
{
    c->job.next = c->t->ready;
    c->t->ready = c;
}

srv_conn *srv_take_ready(srv_thread *t)
{
    srv_conn *c = t->ready;
    t->ready = NULL;
    return c;
}

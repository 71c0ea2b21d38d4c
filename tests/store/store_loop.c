/* store_loop.c — the store tests' epoll loop and completion tally (see store_loop.h). */
#include "store_loop.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_test.h"

/* The slot of fd, or of a free one when add is set; -1 when none. */
static int slot_of(st_loop *L, int fd, int add)
{
    int i, free_slot = -1;
    for (i = 0; i < ST_LOOP_FDS; i++) {
        if (L->fd[i] == fd)
            return i;
        if (L->fd[i] < 0 && free_slot < 0)
            free_slot = i;
    }
    if (add && free_slot >= 0) {
        L->fd[free_slot] = fd;
        L->mask[free_slot] = 0;
    }
    return add ? free_slot : -1;
}

/* Sets fd's interest to mask in the epoll set. */
static void set_mask(st_loop *L, int fd, unsigned mask, int on)
{
    int i = slot_of(L, fd, 1);
    unsigned old;
    struct epoll_event ev;
    assert_true(i >= 0);
    old = L->mask[i];
    L->mask[i] = on ? old | mask : old & ~mask;
    memset(&ev, 0, sizeof ev);
    ev.events = L->mask[i];
    ev.data.fd = fd;
    if (old == 0 && L->mask[i] != 0)
        assert_int_equal(epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev), 0);
    else if (old != 0 && L->mask[i] == 0)
        assert_int_equal(epoll_ctl(L->epfd, EPOLL_CTL_DEL, fd, NULL), 0);
    else if (old != L->mask[i])
        assert_int_equal(epoll_ctl(L->epfd, EPOLL_CTL_MOD, fd, &ev), 0);
}

static void add_read(void *data, int fd)
{
    set_mask(data, fd, EPOLLIN, 1);
}

static void del_read(void *data, int fd)
{
    set_mask(data, fd, EPOLLIN, 0);
}

static void add_write(void *data, int fd)
{
    set_mask(data, fd, EPOLLOUT, 1);
}

static void del_write(void *data, int fd)
{
    set_mask(data, fd, EPOLLOUT, 0);
}

static void cleanup(void *data, int fd)
{
    st_loop *L = data;
    int i = slot_of(L, fd, 0);
    if (i < 0)
        return;
    if (L->mask[i] != 0)
        assert_int_equal(epoll_ctl(L->epfd, EPOLL_CTL_DEL, fd, NULL), 0);
    L->fd[i] = -1;
    L->mask[i] = 0;
}

void st_loop_init(st_loop *L)
{
    int i;
    memset(L, 0, sizeof *L);
    for (i = 0; i < ST_LOOP_FDS; i++)
        L->fd[i] = -1;
    L->epfd = epoll_create1(EPOLL_CLOEXEC);
    assert_true(L->epfd >= 0);
}

sstore_loop st_loop_hooks(st_loop *L)
{
    sstore_loop h = {L, add_read, del_read, add_write, del_write, cleanup};
    return h;
}

sstore_async *st_async_ok(st_loop *L, sstore *s)
{
    sstore_loop h = st_loop_hooks(L);
    L->a = sstore_async_connect(s, &h);
    assert_non_null(L->a);
    if (sstore_async_err(L->a) != SSTORE_OK)
        fail_msg("sstore_async_connect: %s: %s", sstore_status_name(sstore_async_err(L->a)), sstore_async_errstr(L->a));
    return L->a;
}

/* Dispatches one epoll event (the handle may be freed by a callback in between). */
static void dispatch(st_loop *L, const struct epoll_event *ev)
{
    int i = slot_of(L, ev->data.fd, 0);
    if (L->a != NULL && i >= 0 && (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && (L->mask[i] & EPOLLIN))
        sstore_async_on_readable(L->a, ev->data.fd);
    i = slot_of(L, ev->data.fd, 0);
    if (L->a != NULL && i >= 0 && (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && (L->mask[i] & EPOLLOUT))
        sstore_async_on_writable(L->a, ev->data.fd);
}

void st_loop_once(st_loop *L, int max_ms)
{
    struct epoll_event ev[ST_LOOP_FDS];
    int t = L->a != NULL ? sstore_async_timeout_ms(L->a) : -1, n, i;
    if (t < 0 || t > max_ms)
        t = max_ms;
    n = epoll_wait(L->epfd, ev, ST_LOOP_FDS, t);
    assert_true(n >= 0 || errno == EINTR);
    for (i = 0; i < n; i++)
        dispatch(L, &ev[i]);
    if (L->a != NULL && sstore_async_timeout_ms(L->a) == 0)
        sstore_async_on_timer(L->a);
}

long long st_loop_until(st_loop *L, const size_t *count, size_t want, int timeout_ms)
{
    long long t0 = st_now_ms();
    while (*count < want) {
        if (st_now_ms() - t0 > timeout_ms)
            fail_msg("only %zu of %zu operations completed within %d ms", *count, want, timeout_ms);
        st_loop_once(L, 50);
    }
    return st_now_ms() - t0;
}

int st_loop_fds(const st_loop *L, int *out, int max)
{
    int i, n = 0;
    for (i = 0; i < ST_LOOP_FDS && n < max; i++)
        if (L->fd[i] >= 0 && L->mask[i] != 0)
            out[n++] = L->fd[i];
    return n;
}

void st_loop_close(st_loop *L)
{
    if (L->epfd >= 0)
        (void)close(L->epfd); /* the epoll set only */
    L->epfd = -1;
}

void st_done_cb(void *arg, int status, const sstore_result *r)
{
    st_done *d = arg;
    if (++d->calls > 1)
        fail_msg("an operation completed %d times (status %s)", d->calls, sstore_status_name(status));
    d->status = status;
    snprintf(d->id, sizeof d->id, "%s", r->id);
    d->data_len = 0;
    if (status == SSTORE_OK && r->session.data != NULL && r->session.data_len < sizeof d->data) {
        memcpy(d->data, r->session.data, r->session.data_len);
        d->data_len = r->session.data_len;
        d->created = r->session.created;
        d->last_seen = r->session.last_seen;
        d->expires = r->session.expires;
    }
    if (status != SSTORE_OK && status != SSTORE_NOT_FOUND && status != SSTORE_EXISTS)
        assert_true(r->errstr[0] != '\0');
    if (d->count != NULL)
        (*d->count)++;
}

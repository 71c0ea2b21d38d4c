/* nblink.c — the reconnect backoff, counted socket I/O and socket readiness steps of the
 * non-blocking links (see nblink.h). */
#include "nblink.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "redis_link.h"

#define NBLINK_IN_ROOM 16384

void sstore_backoff_init(sstore_backoff *b)
{
    memset(b, 0, sizeof *b);
    b->backoff_ms = RLINK_BACKOFF_MIN_MS;
}

void sstore_backoff_down(sstore_backoff *b, int status, const char *msg, int connecting, int max_ms)
{
    b->down_status = status;
    snprintf(b->down_msg, sizeof b->down_msg, "%s", msg);
    if (!connecting)
        return;
    b->retry_at = rlink_mono_ms() + b->backoff_ms;
    b->backoff_ms = b->backoff_ms * 2 > max_ms ? max_ms : b->backoff_ms * 2;
}

int sstore_backoff_check(const sstore_backoff *b, sstore_async *a)
{
    int64_t now = rlink_mono_ms();
    if (now >= b->retry_at)
        return SSTORE_OK;
    return sstore_conn_set_err(&a->c, b->down_status, "%s (reconnecting: next attempt in %lld ms)", b->down_msg,
                               (long long)(b->retry_at - now));
}

void sstore_backoff_up(sstore_backoff *b, sstore_async *a)
{
    b->backoff_ms = RLINK_BACKOFF_MIN_MS;
    if (b->down_status != SSTORE_OK)
        a->c.ctr.reconnects++;
    b->down_status = SSTORE_OK;
}

int sstore_sock_send(sstore_async *a, int fd, const char *buf, size_t len, size_t *sent, const char *who)
{
    while (*sent < len) {
        ssize_t k = send(fd, buf + *sent, len - *sent, MSG_NOSIGNAL);
        a->c.ctr.syscalls++;
        if (k > 0) {
            a->c.ctr.net_bytes_out += (uint64_t)k;
            *sent += (size_t)k;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return SSTORE_OK;
        } else if (k < 0 && errno != EINTR) {
            return sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "%s: send: %s", who, strerror(errno));
        }
    }
    return SSTORE_OK;
}

int sstore_sock_recv(sstore_async *a, int fd, char **in, size_t *inlen, size_t *incap, const char *who)
{
    ssize_t k;
    size_t room;
    if (sstore_buf_reserve(in, incap, *inlen + NBLINK_IN_ROOM) != 0) {
        sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "%s: out of memory reading a reply", who);
        return -1;
    }
    room = *incap - *inlen;
    while ((k = recv(fd, *in + *inlen, room, 0)) < 0 && errno == EINTR)
        a->c.ctr.syscalls++;
    a->c.ctr.syscalls++;
    if (k > 0) {
        a->c.ctr.net_bytes_in += (uint64_t)k;
        *inlen += (size_t)k;
        return (size_t)k == room;
    }
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (k == 0)
        sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "%s: connection closed by the server", who);
    else
        sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "%s: recv: %s", who, strerror(errno));
    return -1;
}

int sstore_sock_connected(sstore_async *a, int fd, const char *who)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err == EINPROGRESS)
        return 0;
    if (err != 0) {
        sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "%s: cannot connect: %s", who, strerror(err));
        return -1;
    }
    return 1;
}

void sstore_link_writable(void *link, const int *state, const sstore_link_steps *steps)
{
    int st = SSTORE_OK;
    if (*state == SSTORE_LINK_CONNECTING &&
        ((st = steps->connect_done(link)) != SSTORE_OK || *state == SSTORE_LINK_CONNECTING)) {
        if (st != SSTORE_OK)
            steps->fail(link, st, 1);
        return;
    }
    if ((st = steps->flush(link)) != SSTORE_OK)
        steps->fail(link, st, 0);
}

int sstore_link_readable(void *link, const int *state, const sstore_link_steps *steps)
{
    if (*state == SSTORE_LINK_CONNECTING)
        sstore_link_writable(link, state, steps);
    return *state == SSTORE_LINK_UP;
}

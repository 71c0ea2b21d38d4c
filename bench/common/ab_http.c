/* ab_http.c — the side channels' blocking HTTP/1.1 client: connect, send, one answer. */
#include "ab_http.h"

#include <errno.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Waits until fd is ready for events within timeout_ms. 0, or -1 with errno (ETIMEDOUT). */
static int wait_fd(int fd, short events, int timeout_ms)
{
    struct pollfd p = {fd, events, 0};
    int n;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        errno = ETIMEDOUT;
    return n > 0 ? 0 : -1;
}

int ab_http_connect(const struct sockaddr_storage *addr, socklen_t len, int timeout_ms)
{
    int one = 1, e = 0;
    socklen_t elen = sizeof e;
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)addr, len) != 0 &&
        (errno != EINPROGRESS || wait_fd(fd, POLLOUT, timeout_ms) != 0))
        goto fail;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0) {
        errno = e != 0 ? e : errno;
        goto fail;
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        goto fail;
    return fd;
fail:
    e = errno;
    close(fd);
    errno = e;
    return -1;
}

int ab_http_send(int fd, const char *data, size_t len, int timeout_ms)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (n > 0)
            off += (size_t)n;
        else if (n < 0 && errno != EINTR && (errno != EAGAIN || wait_fd(fd, POLLOUT, timeout_ms) != 0))
            return -1;
    }
    return 0;
}

/* What the parser's callbacks fill: the body, and whether the answer is whole. */
typedef struct http_answer {
    ab_buf *body;
    int complete;
} http_answer;

/* http_parser: keeps the body (over the buffer's bound stops the parser). */
static int on_body(http_parser *p, const char *at, size_t len)
{
    http_answer *a = p->data;
    return ab_buf_append(a->body, at, len) == 0 ? 0 : 1;
}

/* http_parser: the answer is whole; pause so bytes of a later one are not taken. */
static int on_complete(http_parser *p)
{
    ((http_answer *)p->data)->complete = 1;
    http_parser_pause(p, 1);
    return 0;
}

/* Feeds n bytes (0: the peer closed, which ends a close-delimited body). The bytes the answer took
 * (up to its end: the rest belongs to a later answer), or -1 with the reason in err. */
static long feed(http_parser *p, const http_parser_settings *st, const char *buf, size_t n, char *err, size_t errlen)
{
    size_t used = http_parser_execute(p, st, buf, n);
    enum http_errno e = HTTP_PARSER_ERRNO(p);
    if (n == 0 && !((http_answer *)p->data)->complete) {
        snprintf(err, errlen, "closed the connection");
        return -1;
    }
    if (e != HPE_OK && e != HPE_PAUSED) {
        snprintf(err, errlen, "not an HTTP answer (%s)", http_errno_name(e));
        return -1;
    }
    return (long)used;
}

int ab_http_recv(int fd, ab_buf *body, int timeout_ms, int *keep_alive, char *err, size_t errlen)
{
    http_parser_settings st;
    http_parser p;
    http_answer a = {body, 0};
    char buf[8192];
    memset(&st, 0, sizeof st);
    st.on_body = on_body;
    st.on_message_complete = on_complete;
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = &a;
    ab_buf_clear(body);
    while (!a.complete) {
        /* peeked, then only what the answer took is consumed: a later answer stays on the socket */
        ssize_t n = recv(fd, buf, sizeof buf, MSG_PEEK);
        long used;
        if (n < 0 && (errno == EINTR || (errno == EAGAIN && wait_fd(fd, POLLIN, timeout_ms) == 0)))
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s", strerror(errno));
            return -1;
        }
        if ((used = feed(&p, &st, buf, (size_t)n, err, errlen)) < 0)
            return -1;
        if (used > 0 && recv(fd, buf, (size_t)used, 0) != (ssize_t)used) {
            snprintf(err, errlen, "recv: %s", strerror(errno));
            return -1;
        }
    }
    if (keep_alive != NULL)
        *keep_alive = http_should_keep_alive(&p);
    return (int)p.status_code;
}

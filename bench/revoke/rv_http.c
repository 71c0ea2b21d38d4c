/* rv_http.c — the revocation probes' HTTP/1.1 client: one blocking keep-alive connection per
 * server, one request at a time, answers framed by libhttp-parser. */
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_net.h"
#include "rv_int.h"

int rv_conn_init(rv_conn *c, const char *name, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    ab_buf_init(&c->req, 0);
    ab_buf_init(&c->body, RV_BODY_MAX);
    if (strlen(name) >= sizeof c->name) {
        snprintf(err, errlen, "target '%.40s…' is too long", name);
        return -1;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    return ab_net_resolve(name, &c->addr, &c->addrlen, err, errlen);
}

/* Closes the connection (the next send reconnects). */
static void conn_close(rv_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void rv_conn_free(rv_conn *c)
{
    conn_close(c);
    ab_buf_free(&c->req);
    ab_buf_free(&c->body);
}

/* Waits until fd is ready for events within RV_TIMEOUT_MS. 0, or -1 with errno (ETIMEDOUT). */
static int wait_fd(int fd, short events)
{
    struct pollfd p = {fd, events, 0};
    int n;
    do
        n = poll(&p, 1, RV_TIMEOUT_MS);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        errno = ETIMEDOUT;
    return n > 0 ? 0 : -1;
}

/* Opens c's connection: non-blocking connect within the timeout, TCP_NODELAY (a probe is one
 * small write: Nagle would hold it). 0, or -1 with errno. */
static int conn_open(rv_conn *c)
{
    int one = 1, e = 0;
    socklen_t elen = sizeof e;
    c->fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    if (connect(c->fd, (struct sockaddr *)&c->addr, c->addrlen) != 0 &&
        (errno != EINPROGRESS || wait_fd(c->fd, POLLOUT) != 0))
        goto fail;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0) {
        errno = e != 0 ? e : errno;
        goto fail;
    }
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        goto fail;
    return 0;
fail:
    e = errno;
    conn_close(c);
    errno = e;
    return -1;
}

/* Writes all of c->req. 0, or -1 with errno. */
static int send_all(rv_conn *c)
{
    size_t off = 0;
    while (off < c->req.len) {
        ssize_t n = send(c->fd, c->req.data + off, c->req.len - off, MSG_NOSIGNAL);
        if (n > 0)
            off += (size_t)n;
        else if (n < 0 && errno != EINTR && (errno != EAGAIN || wait_fd(c->fd, POLLOUT) != 0))
            return -1;
    }
    return 0;
}

int rv_send(rv_conn *c, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    int n;
    ab_buf_clear(&c->req);
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ab_buf_reserve(&c->req, (size_t)n) != 0) {
        snprintf(err, errlen, "%s: out of memory", c->name);
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(c->req.data, (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->req.len = (size_t)n;
    if ((c->fd < 0 && conn_open(c) != 0) || send_all(c) != 0) {
        snprintf(err, errlen, "%s: %s", c->name, strerror(errno));
        conn_close(c);
        return -1;
    }
    return 0;
}

/* http_parser: keeps the body (over RV_BODY_MAX stops the parser). */
static int on_body(http_parser *p, const char *at, size_t len)
{
    rv_conn *c = p->data;
    return ab_buf_append(&c->body, at, len) == 0 ? 0 : 1;
}

/* http_parser: the answer is whole; pause so bytes of a later one are not taken. */
static int on_complete(http_parser *p)
{
    rv_conn *c = p->data;
    c->complete = 1;
    http_parser_pause(p, 1);
    return 0;
}

int rv_recv(rv_conn *c, char *err, size_t errlen)
{
    http_parser_settings st;
    http_parser p;
    char buf[8192];
    memset(&st, 0, sizeof st);
    st.on_body = on_body;
    st.on_message_complete = on_complete;
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = c;
    c->complete = 0;
    ab_buf_clear(&c->body);
    while (!c->complete) {
        ssize_t n = c->fd >= 0 ? recv(c->fd, buf, sizeof buf, 0) : -1;
        if (n < 0 && (errno == EINTR || (errno == EAGAIN && wait_fd(c->fd, POLLIN) == 0)))
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s: %s", c->name, n == 0 ? "closed the connection" : strerror(errno));
            conn_close(c);
            return -1;
        }
        http_parser_execute(&p, &st, buf, (size_t)n);
        if (HTTP_PARSER_ERRNO(&p) != HPE_OK && HTTP_PARSER_ERRNO(&p) != HPE_PAUSED) {
            snprintf(err, errlen, "%s: not an HTTP answer (%s)", c->name, http_errno_name(HTTP_PARSER_ERRNO(&p)));
            conn_close(c);
            return -1;
        }
    }
    c->status = (int)p.status_code;
    if (!http_should_keep_alive(&p))
        conn_close(c);
    return 0;
}

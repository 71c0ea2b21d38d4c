/* rv_http.c — the revocation probes' HTTP/1.1 client: one blocking keep-alive connection per
 * server, one request at a time (bench/common/ab_http.h connects, sends and frames the answers). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ab_http.h"
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
    if ((c->fd < 0 && (c->fd = ab_http_connect(&c->addr, c->addrlen, RV_TIMEOUT_MS)) < 0) ||
        ab_http_send(c->fd, c->req.data, c->req.len, RV_TIMEOUT_MS) != 0) {
        snprintf(err, errlen, "%s: %s", c->name, strerror(errno));
        conn_close(c);
        return -1;
    }
    return 0;
}

int rv_recv(rv_conn *c, char *err, size_t errlen)
{
    char why[96];
    int keep_alive = 0;
    c->status = c->fd >= 0 ? ab_http_recv(c->fd, &c->body, RV_TIMEOUT_MS, &keep_alive, why, sizeof why) : -1;
    if (c->status < 0) {
        snprintf(err, errlen, "%s: %s", c->name, c->fd >= 0 ? why : "not connected");
        conn_close(c);
        return -1;
    }
    if (!keep_alive)
        conn_close(c);
    return 0;
}

/* load_server.c — blocking side-channel to the targets: a reachability probe before the run, and
 * GET /stats before and after the measured window, with the difference of every counter. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ab_buf.h"
#include "ab_cli.h"
#include "load_server.h"

#define ABL_STATS_MAX (1u << 20)

/* Connects to tg within timeout_ms. The connected (blocking) fd, or -1 with errno set. */
static int connect_timeout(const ab_load_target *tg, int timeout_ms)
{
    struct pollfd pfd;
    int err = 0;
    socklen_t len = sizeof err;
    int fd = socket(tg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&tg->addr, tg->addrlen) != 0 && errno != EINPROGRESS)
        goto fail;
    pfd.fd = fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, timeout_ms) <= 0) {
        errno = errno ? errno : ETIMEDOUT;
        goto fail;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        errno = err ? err : errno;
        goto fail;
    }
    if (fcntl(fd, F_SETFL, 0) != 0)
        goto fail;
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

int abl_server_probe(const ab_load_target *tg, char *err, size_t errlen)
{
    int fd = connect_timeout(tg, 2000);
    if (fd < 0) {
        snprintf(err, errlen, "target %s unreachable: %s", tg->name, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

/* The body the parser gathers (at most ABL_STATS_MAX bytes) and whether the answer is complete. */
typedef struct abl_fetch {
    ab_buf body;
    int done;
} abl_fetch;

/* http_parser: appends body bytes; a body over the bound stops the parser. */
static int fetch_body(http_parser *p, const char *at, size_t len)
{
    abl_fetch *f = p->data;
    return ab_buf_append(&f->body, at, len) == 0 ? 0 : 1;
}

/* http_parser: the answer is complete. */
static int fetch_done(http_parser *p)
{
    ((abl_fetch *)p->data)->done = 1;
    return 0;
}

/* Sends req and reads one answer into f with a receive timeout. The HTTP status, or -1. */
static int fetch(int fd, const char *req, abl_fetch *f)
{
    http_parser_settings st;
    http_parser p;
    struct timeval tv = {2, 0};
    char buf[8192];
    memset(&st, 0, sizeof st);
    st.on_body = fetch_body;
    st.on_message_complete = fetch_done;
    http_parser_init(&p, HTTP_RESPONSE);
    p.data = f;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
        return -1;
    while (!f->done) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        http_parser_execute(&p, &st, buf, (size_t)n);
        if (HTTP_PARSER_ERRNO(&p) != HPE_OK || (n == 0 && !f->done))
            return -1;
    }
    return (int)p.status_code;
}

cJSON *abl_server_stats(const ab_load_target *tg, char *err, size_t errlen)
{
    char req[256];
    abl_fetch f = {.done = 0};
    cJSON *j = NULL;
    int status = -1, fd = connect_timeout(tg, 2000);
    ab_buf_init(&f.body, ABL_STATS_MAX);
    snprintf(req, sizeof req, "GET /stats HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", tg->name);
    if (fd >= 0)
        status = fetch(fd, req, &f);
    if (status == 200 && f.body.data != NULL)
        j = cJSON_ParseWithLength(f.body.data, f.body.len);
    if (j == NULL || !cJSON_IsObject(j)) {
        snprintf(err, errlen, "GET /stats from %s: %s", tg->name,
                 fd < 0 ? strerror(errno) : status < 0 ? "no valid answer" : status != 200 ? "not HTTP 200" : "not a JSON object");
        cJSON_Delete(j);
        j = NULL;
    }
    if (fd >= 0)
        close(fd);
    ab_buf_free(&f.body);
    return j;
}

/* Adds to out the difference after - before of every number, recursing into objects. */
static int delta_into(cJSON *out, const cJSON *before, const cJSON *after)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, after)
    {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(before, a->string);
        cJSON *d = NULL;
        if (cJSON_IsNumber(a))
            d = cJSON_CreateNumber(a->valuedouble - (cJSON_IsNumber(b) ? b->valuedouble : 0));
        else if (cJSON_IsObject(a) && (d = cJSON_CreateObject()) != NULL && delta_into(d, b, a) != 0) {
            cJSON_Delete(d);
            return -1;
        }
        if (d != NULL && !cJSON_AddItemToObject(out, a->string, d)) {
            cJSON_Delete(d);
            return -1;
        }
        if (d == NULL && (cJSON_IsNumber(a) || cJSON_IsObject(a)))
            return -1;
    }
    return 0;
}

cJSON *abl_json_delta(const cJSON *before, const cJSON *after)
{
    cJSON *out = cJSON_CreateObject();
    if (out != NULL && delta_into(out, before, after) != 0) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

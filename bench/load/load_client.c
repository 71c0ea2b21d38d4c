/* load_client.c — the HTTP/1.1 client state machine of one simulated client: a keep-alive socket
 * per target (opened on first use), non-blocking connect, write, and response framing with
 * libhttp-parser. No allocation per request: requests are prebuilt per user, the read buffer is the
 * loop's. It knows nothing of its owner: it is given an abl_client_env (epoll set, read buffer,
 * targets) and reports the end of every request through env->done, as hiredis's async adapters are
 * given their hooks. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ab_cli.h"
#include "load_int.h"

/* http_parser: keeps the body of answers the client wants (logins). */
static int on_body(http_parser *p, const char *at, size_t len)
{
    abl_client *c = ((abl_sock *)p->data)->c;
    size_t room = sizeof c->body - 1 - c->body_len;
    if (c->capture) {
        if (len > room)
            len = room;
        memcpy(c->body + c->body_len, at, len);
        c->body_len += len;
        c->body[c->body_len] = '\0';
    }
    return 0;
}

/* http_parser: marks the answer complete. */
static int on_message_complete(http_parser *p)
{
    ((abl_sock *)p->data)->c->done = 1;
    return 0;
}

void abl_client_env_init(abl_client_env *env, const ab_load_config *cfg, int epfd, char *rbuf, size_t rbuf_len,
                         abl_client_done_fn done)
{
    memset(env, 0, sizeof *env);
    env->cfg = cfg;
    env->epfd = epfd;
    env->rbuf = rbuf;
    env->rbuf_len = rbuf_len;
    env->settings.on_body = on_body;
    env->settings.on_message_complete = on_message_complete;
    env->done = done;
}

void abl_client_init(abl_client *c, const abl_client_env *env, abl_sock *socks)
{
    size_t i;
    memset(c, 0, sizeof *c);
    c->env = env;
    c->socks = socks;
    for (i = 0; i < env->cfg->ntargets; i++) {
        socks[i].c = c;
        socks[i].fd = -1;
        socks[i].target = (unsigned)i;
    }
}

/* Closes one socket (epoll forgets it with the close). */
static void sock_close(abl_sock *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->connecting = 0;
    s->events = 0;
}

void abl_client_close_all(abl_client *c)
{
    size_t i;
    for (i = 0; c->socks != NULL && i < c->env->cfg->ntargets; i++)
        sock_close(&c->socks[i]);
}

/* Sets the socket's epoll interest to want (adds it when new). 0 or -1. */
static int sock_watch(abl_sock *s, uint32_t want, int add)
{
    struct epoll_event ev;
    if (!add && want == s->events)
        return 0;
    ev.events = want;
    ev.data.ptr = s;
    if (epoll_ctl(s->c->env->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s->fd, &ev) != 0)
        return -1;
    s->events = want;
    return 0;
}

/* Opens a non-blocking connection to the socket's target. 0 or -1 (socket left closed). */
static int sock_open(abl_sock *s)
{
    const ab_load_target *tg = &s->c->env->cfg->targets[s->target];
    int one = 1;
    s->fd = socket(tg->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return -1;
    if (setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        goto fail;
    if (connect(s->fd, (const struct sockaddr *)&tg->addr, tg->addrlen) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        s->connecting = 1;
    }
    if (sock_watch(s, EPOLLIN | (s->connecting ? EPOLLOUT : 0), 1) != 0)
        goto fail;
    http_parser_init(&s->parser, HTTP_RESPONSE);
    s->parser.data = s;
    return 0;
fail:
    sock_close(s);
    return -1;
}

/* Ends the current request with a transport error: closes its socket, tells the owner. */
static void client_fail(abl_client *c, abl_err err)
{
    sock_close(c->cur);
    c->state = ABL_C_IDLE;
    c->env->done(c, ab_now_ns(), 0, err);
}

/* Writes what is left of the request; moves to RECV once all of it is out. */
static void client_write(abl_client *c)
{
    abl_sock *s = c->cur;
    if (c->woff == 0)
        c->sent_ns = ab_now_ns();
    while (c->woff < c->wlen) {
        ssize_t n = send(s->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (sock_watch(s, EPOLLIN | EPOLLOUT, 0) != 0)
                client_fail(c, ABL_ERR_WRITE);
            return;
        }
        if (n < 0) {
            client_fail(c, ABL_ERR_WRITE);
            return;
        }
        c->woff += (size_t)n;
    }
    c->state = ABL_C_RECV;
    if (sock_watch(s, EPOLLIN, 0) != 0)
        client_fail(c, ABL_ERR_READ);
}

int abl_client_send(abl_client *c, uint64_t now)
{
    abl_sock *s = c->cur;
    int opened = 0;
    c->state = ABL_C_SEND;
    c->woff = 0;
    c->rbytes = 0;
    c->done = 0;
    c->body_len = 0;
    c->sent_ns = now;
    c->capture = c->op == ABL_OP_LOGIN || c->op == ABL_OP_REFRESH; /* their answer is a credential */
    if (s->fd < 0) {
        if (sock_open(s) != 0) {
            c->state = ABL_C_IDLE;
            c->env->done(c, now, 0, ABL_ERR_CONNECT);
            return 0;
        }
        opened = 1;
    }
    if (!s->connecting)
        client_write(c);
    return opened;
}

/* The answer is complete: closes the socket unless it may be kept alive, tells the owner. */
static void client_complete(abl_client *c)
{
    abl_sock *s = c->cur;
    int status = (int)s->parser.status_code;
    if (!http_should_keep_alive(&s->parser))
        sock_close(s);
    c->state = ABL_C_IDLE;
    c->env->done(c, ab_now_ns(), status, ABL_ERR_NONE);
}

/* Reads what the socket has and feeds it to the parser. */
static void sock_read(abl_sock *s)
{
    abl_client *c = s->c;
    int active = c->cur == s && (c->state == ABL_C_RECV || c->state == ABL_C_SEND);
    ssize_t n;
    do
        n = recv(s->fd, c->env->rbuf, c->env->rbuf_len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (!active) { /* the server closed an idle keep-alive socket, or sent what nobody asked for */
        sock_close(s);
        return;
    }
    if (n <= 0) {
        if (n == 0)
            http_parser_execute(&s->parser, &c->env->settings, NULL, 0); /* EOF may end a body */
        if (c->done)
            client_complete(c);
        else
            client_fail(c, ABL_ERR_READ);
        return;
    }
    c->rbytes += (uint64_t)n;
    http_parser_execute(&s->parser, &c->env->settings, c->env->rbuf, (size_t)n);
    if (HTTP_PARSER_ERRNO(&s->parser) != HPE_OK)
        client_fail(c, ABL_ERR_PARSE);
    else if (c->done)
        client_complete(c);
}

/* The non-blocking connect finished: writes the request, or fails it. */
static void sock_connected(abl_sock *s)
{
    abl_client *c = s->c;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        if (c->cur == s && c->state == ABL_C_SEND)
            client_fail(c, ABL_ERR_CONNECT);
        else
            sock_close(s);
        return;
    }
    s->connecting = 0;
    if (c->cur == s && c->state == ABL_C_SEND)
        client_write(c);
    else if (sock_watch(s, EPOLLIN, 0) != 0)
        sock_close(s);
}

void abl_client_event(abl_sock *s, uint32_t events)
{
    abl_client *c = s->c;
    if (s->fd < 0)
        return;
    if (s->connecting) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            sock_connected(s);
        return;
    }
    if ((events & EPOLLOUT) && c->cur == s && c->state == ABL_C_SEND) {
        client_write(c);
        if (s->fd < 0 || c->cur != s)
            return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        sock_read(s);
}

void abl_client_check_timeout(abl_client *c, uint64_t now)
{
    /* now may predate sent_ns: the tick runs with the batch's time, after clients that sent in it */
    if ((c->state == ABL_C_SEND || c->state == ABL_C_RECV) && now > c->sent_ns &&
        now - c->sent_ns > c->env->cfg->timeout_us * 1000u)
        client_fail(c, ABL_ERR_TIMEOUT);
}

/* alink.c — one non-blocking Redis connection (see alink.h).
 *
 * Why not hiredis's async API: Debian 12's hiredis 0.14 has no per-command timeout in its async
 * API, does its own reads and writes (so the bytes and round trips that cross the socket could not
 * be counted where they cross it, as redis_link.c counts them) and builds a reply object (mallocs)
 * for every GET. So, as redis_link.c does for the blocking store, hiredis only connects (without
 * waiting) and builds objects for array replies; we frame replies ourselves in one receive buffer
 * and hand a GET's bulk string to its operation straight from there.
 *
 * Counting, as redis_link.c: net_bytes_out / net_bytes_in are what send() / recv() returned,
 * handshakes included; syscalls counts send and recv calls; round_trips counts one per flush — a
 * write of everything queued since the last one (a partial write finished later is the same
 * flush) — so operations pipelined into one write share one round trip. */
#include "alink.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ALINK_DOWN SSTORE_LINK_DOWN
#define ALINK_CONNECTING SSTORE_LINK_CONNECTING /* TCP connect in progress */
#define ALINK_UP SSTORE_LINK_UP                 /* connected; the handshake may still be answering (hs_left) */
#define ALINK_DEPTH_MAX 8  /* nesting of array replies we frame */

void alink_init(alink *l, const rlink_cfg *cfg, sstore_async *a, alink_reply_fn on_reply, void *data)
{
    memset(l, 0, sizeof *l);
    l->cfg = cfg;
    l->a = a;
    l->on_reply = on_reply;
    l->data = data;
    sstore_backoff_init(&l->bo);
    snprintf(l->who, sizeof l->who, "redis %s:%d", cfg->host, cfg->port);
}

int alink_fd(const alink *l)
{
    return l->ctx != NULL ? l->ctx->fd : -1;
}

/* Closes the socket (the loop told to forget it first) and clears the buffers. */
static void drop_socket(alink *l)
{
    if (l->ctx != NULL) {
        sstore_async_forget(l->a, l->ctx->fd);
        redisFree(l->ctx);
    }
    l->ctx = NULL;
    l->state = ALINK_DOWN;
    l->want_write = 0;
    l->olen = l->osent = l->inlen = 0;
    l->hs_left = 0;
    if (l->reader != NULL)
        redisReaderFree(l->reader);
    l->reader = NULL;
}

/* Takes the link down with status (the handle's message); a failed connect or handshake schedules
 * the next attempt (doubling backoff). Then fails every operation that was on it, in order. */
static void link_fail(void *link, int status, int connecting)
{
    alink *l = link;
    sstore_aop *op = l->head;
    char msg[SSTORE_ERRSTR_LEN];
    snprintf(msg, sizeof msg, "%s", l->a->c.errstr);
    connecting = connecting || l->state == ALINK_CONNECTING || l->hs_left > 0;
    drop_socket(l);
    l->head = l->tail = NULL;
    sstore_backoff_down(&l->bo, status, msg, connecting, l->cfg->reconnect_max_ms);
    if (l->on_down != NULL)
        l->on_down(l);
    while (op != NULL) {
        sstore_aop *next = op->next;
        sstore_aop_done(op, status, NULL, msg);
        op = next;
    }
}

void alink_close(alink *l, int status, const char *msg)
{
    sstore_conn_set_err(&l->a->c, status, "%s", msg);
    link_fail(l, status, 0);
    free(l->obuf);
    free(l->in);
    l->obuf = l->in = NULL;
    l->ocap = l->incap = 0;
}

/* Appends one command to the output. SSTORE_OK or NOMEM (set on the handle). */
static int out_append(alink *l, int argc, const char **argv, const size_t *argvlen)
{
    if (sstore_buf_reserve(&l->obuf, &l->ocap, l->olen + rlink_resp_size(argc, argv, argvlen)) != 0)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_NOMEM, "redis: out of memory formatting a command");
    l->olen += rlink_resp_write(l->obuf + l->olen, argc, argv, argvlen);
    return SSTORE_OK;
}

/* Appends raw RESP bytes to the output. SSTORE_OK or NOMEM. */
static int out_raw(alink *l, const char *p, size_t len)
{
    if (sstore_buf_reserve(&l->obuf, &l->ocap, l->olen + len) != 0)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_NOMEM, "redis: out of memory formatting a command");
    memcpy(l->obuf + l->olen, p, len);
    l->olen += len;
    return SSTORE_OK;
}

/* Queues the handshake (AUTH, SELECT, SCRIPT LOAD, PING) ahead of everything. SSTORE_OK or NOMEM. */
static int handshake_queue(alink *l)
{
    const char *argv[3];
    char db[16];
    int argc = 0, st = SSTORE_OK;
    if (l->cfg->pass != NULL) {
        argv[argc++] = "AUTH";
        if (l->cfg->user != NULL)
            argv[argc++] = l->cfg->user;
        argv[argc++] = l->cfg->pass;
        st = out_append(l, argc, argv, NULL);
        l->hs_left++;
    }
    if (st == SSTORE_OK && l->cfg->db != 0) {
        snprintf(db, sizeof db, "%d", l->cfg->db);
        argv[0] = "SELECT", argv[1] = db;
        st = out_append(l, 2, argv, NULL);
        l->hs_left++;
    }
    if (st == SSTORE_OK && l->script != NULL) {
        argv[0] = "SCRIPT", argv[1] = "LOAD", argv[2] = l->script;
        st = out_append(l, 3, argv, NULL);
        l->hs_left++;
    }
    argv[0] = "PING";
    l->hs_left++;
    l->hs_next = 0;
    return st == SSTORE_OK ? out_append(l, 1, argv, NULL) : st;
}

/* Asks for write interest (once). */
static void want_write(alink *l)
{
    if (!l->want_write && l->ctx != NULL) {
        l->want_write = 1;
        sstore_async_want(l->a, l->ctx->fd, 0, 1);
    }
}

/* Opens the socket without waiting and queues the handshake. SSTORE_OK or the error. */
static int start_connect(alink *l)
{
    int one = 1;
    l->ever_tried = 1;
    if ((l->ctx = redisConnectNonBlock(l->cfg->host, l->cfg->port)) == NULL)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_NOMEM, "redis: out of memory");
    if (l->ctx->err != 0)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_IO, "redis %s:%d: cannot connect: %s", l->cfg->host,
                                   l->cfg->port, l->ctx->errstr);
    (void)setsockopt(l->ctx->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* latency only */
    if ((l->reader = redisReaderCreate()) == NULL)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_NOMEM, "redis: out of memory");
    l->state = ALINK_CONNECTING;
    l->connect_deadline = rlink_mono_ms() + l->cfg->connect_timeout_ms;
    sstore_async_want(l->a, l->ctx->fd, 1, 1);
    want_write(l);
    return handshake_queue(l);
}

int alink_connect(alink *l)
{
    int st;
    if (l->state != ALINK_DOWN) /* no clock read for a link that is up */
        return SSTORE_OK;
    if ((st = sstore_backoff_check(&l->bo, l->a)) != SSTORE_OK)
        return st;
    if ((st = start_connect(l)) != SSTORE_OK)
        link_fail(l, st, 1);
    return st;
}

sstore_aop *alink_steal(alink *l, int (*match)(const sstore_aop *op, void *arg), sstore_aop *(*ghost)(void *arg),
                        void *arg)
{
    sstore_aop *taken = NULL, *taken_tail = NULL, **pp = &l->head, *op, *g;
    l->tail = NULL;
    while ((op = *pp) != NULL) {
        if (match(op, arg) && (g = ghost(arg)) != NULL) {
            g->next = op->next;
            g->asking = op->asking; /* an ASKING sent ahead of it is still the ghost's to skip */
            g->deadline = op->deadline;
            op->asking = 0;
            *pp = g;
            sstore_aop_push(&taken, &taken_tail, op);
            op = g;
        }
        l->tail = op;
        pp = &op->next;
    }
    return taken;
}

/* The TCP connect finished: SSTORE_OK, or the refusal (set on the handle). */
static int connect_done(void *link)
{
    alink *l = link;
    int k = sstore_sock_connected(l->a, l->ctx->fd, l->who);
    if (k < 0)
        return l->a->c.err;
    if (k > 0)
        l->state = ALINK_UP;
    return SSTORE_OK;
}

/* Writes what is queued. SSTORE_OK (all written, or the socket is full), or an error. */
static int flush(void *link)
{
    alink *l = link;
    int st;
    if (l->osent == 0 && l->olen > 0)
        l->a->c.ctr.round_trips++;
    if ((st = sstore_sock_send(l->a, l->ctx->fd, l->obuf, l->olen, &l->osent, l->who)) != SSTORE_OK ||
        l->osent < l->olen)
        return st;
    l->olen = l->osent = 0;
    if (l->want_write) {
        l->want_write = 0;
        sstore_async_want(l->a, l->ctx->fd, 0, 0);
    }
    return SSTORE_OK;
}

int alink_send(alink *l, sstore_aop *op)
{
    static const char asking[] = "*1\r\n$6\r\nASKING\r\n";
    int st = alink_connect(l), idle = l->head == NULL && l->state == ALINK_UP && l->hs_left == 0;
    if (st == SSTORE_OK && op->asking)
        st = out_raw(l, asking, sizeof asking - 1);
    if (st == SSTORE_OK)
        st = out_raw(l, op->cmd, op->cmd_len);
    if (st != SSTORE_OK)
        return st;
    sstore_aop_push(&l->head, &l->tail, op);
    /* Nothing in flight: written now, saving the loop a turn. Otherwise it waits for the writable
     * socket with whatever else is submitted meanwhile: one write. A failed write is met again
     * (and the link failed) there, so no callback runs inside a submit. */
    if (!idle || flush(l) != SSTORE_OK || l->olen > 0)
        want_write(l);
    return SSTORE_OK;
}

/* What sstore_link_writable/_readable do on a Redis link. */
static const sstore_link_steps alink_steps = {connect_done, flush, link_fail};

void alink_writable(alink *l)
{
    if (l->ctx != NULL)
        sstore_link_writable(l, &l->state, &alink_steps);
}

/* The end of the line at p[0..avail) ("\r\n" included) through *len: 1, 0 incomplete, -1 bad. */
static int resp_line_end(const char *p, size_t avail, size_t *len)
{
    const char *nl = memchr(p, '\n', avail);
    if (nl == NULL)
        return avail > 65536 ? -1 : 0;
    if (nl == p || nl[-1] != '\r')
        return -1;
    *len = (size_t)(nl - p) + 1;
    return 1;
}

/* The signed number on the RESP line p (type byte first). 0, or -1 when it is not one. */
static int resp_number(const char *p, size_t linelen, long long *v)
{
    char *end = NULL;
    char tmp[32];
    if (linelen < 4 || linelen - 2 > sizeof tmp - 1)
        return -1;
    memcpy(tmp, p + 1, linelen - 3);
    tmp[linelen - 3] = '\0';
    *v = strtoll(tmp, &end, 10);
    return end != tmp && *end == '\0' ? 0 : -1;
}

/* Frames one complete reply at p[0..avail): 1 with its size in *used, 0 incomplete, -1 malformed. */
static int resp_scan(const char *p, size_t avail, size_t *used, int depth)
{
    size_t line = 0, off, sub = 0;
    long long n = 0, i;
    int r;
    if (avail == 0)
        return 0;
    if ((r = resp_line_end(p, avail, &line)) != 1)
        return r;
    if (p[0] == '+' || p[0] == '-' || p[0] == ':')
        return *used = line, 1;
    if ((p[0] != '$' && p[0] != '*') || resp_number(p, line, &n) != 0 || n < -1 || depth > ALINK_DEPTH_MAX)
        return -1;
    if (p[0] == '$') {
        if (n == -1)
            return *used = line, 1;
        if (avail - line < (size_t)n + 2)
            return 0;
        return memcmp(p + line + n, "\r\n", 2) == 0 ? (*used = line + (size_t)n + 2, 1) : -1;
    }
    for (i = 0, off = line; i < n; i++, off += sub)
        if ((r = resp_scan(p + off, avail - off, &sub, depth + 1)) != 1)
            return r;
    return *used = off, 1;
}

/* Reads the framed reply p[0..used) into *r (an array through the hiredis reader). SSTORE_OK or an error. */
static int reply_view(alink *l, const char *p, size_t used, alink_reply *r)
{
    void *obj = NULL;
    size_t line = 0;
    memset(r, 0, sizeof *r);
    r->type = p[0];
    (void)resp_line_end(p, used, &line);
    if (p[0] == '+' || p[0] == '-')
        r->str = p + 1, r->len = line - 3;
    else if (p[0] == ':' && resp_number(p, line, &r->integer) != 0)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_PROTOCOL, "redis %s:%d: bad integer reply", l->cfg->host,
                                   l->cfg->port);
    else if (p[0] == '$' && p[1] != '-')
        r->str = p + line, r->len = used - line - 2;
    if (p[0] != '*')
        return SSTORE_OK;
    if (redisReaderFeed(l->reader, p, used) != REDIS_OK || redisReaderGetReply(l->reader, &obj) != REDIS_OK ||
        obj == NULL)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_PROTOCOL, "redis %s:%d: bad array reply", l->cfg->host,
                                   l->cfg->port);
    r->obj = obj;
    return SSTORE_OK;
}

/* Checks the next handshake reply (AUTH, SELECT, SCRIPT LOAD, then PING; a refused SCRIPT LOAD is
 * no failure: EVALSHA then meets NOSCRIPT and sends the script). SSTORE_OK or the failure (hs_left
 * then still counts it: a failed handshake is a failed connect, backed off). */
static int handshake_reply(alink *l, const alink_reply *r)
{
    int idx = l->hs_next++, auth = l->cfg->pass != NULL, sel = l->cfg->db != 0;
    if (auth && idx == 0 && r->type == '-')
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_AUTH, "redis %s:%d: AUTH%s%s refused: %.*s", l->cfg->host,
                                   l->cfg->port, l->cfg->user ? " as " : "", l->cfg->user ? l->cfg->user : "",
                                   (int)r->len, r->str);
    if (sel && idx == auth && r->type == '-')
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_ARG, "redis %s:%d: SELECT %d refused: %.*s", l->cfg->host,
                                   l->cfg->port, l->cfg->db, (int)r->len, r->str);
    if (l->hs_left == 1 && r->type != '+')
        return sstore_conn_set_err(&l->a->c, r->type == '-' ? rlink_error_status(r->str) : SSTORE_ERR_PROTOCOL,
                                   "redis %s:%d: unexpected reply to PING: not a Redis server?", l->cfg->host,
                                   l->cfg->port);
    if (--l->hs_left == 0)
        sstore_backoff_up(&l->bo, l->a);
    return SSTORE_OK;
}

/* Hands one framed reply to the handshake or to the operation at the head. SSTORE_OK or an error. */
static int take_one(alink *l, const char *p, size_t used)
{
    alink_reply r;
    sstore_aop *op = l->head;
    int st;
    if (l->hs_left == 0 && op == NULL)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_PROTOCOL, "redis %s:%d: a reply nobody asked for",
                                   l->cfg->host, l->cfg->port);
    if (l->hs_left == 0 && op->asking) {
        op->asking = 0; /* ASKING's +OK; a refusal shows in the command's own reply */
        return SSTORE_OK;
    }
    if ((st = reply_view(l, p, used, &r)) != SSTORE_OK)
        return st;
    if (l->hs_left > 0)
        return handshake_reply(l, &r);
    if ((l->head = op->next) == NULL)
        l->tail = NULL;
    l->on_reply(l, op, &r);
    if (r.obj != NULL)
        freeReplyObject(r.obj);
    return SSTORE_OK;
}

/* Takes every complete reply in the receive buffer, then keeps the partial rest. */
static void take_replies(alink *l)
{
    size_t pos = 0, used = 0;
    int r = 1, st = SSTORE_OK;
    while (st == SSTORE_OK && !l->a->closing && l->ctx != NULL &&
           (r = resp_scan(l->in + pos, l->inlen - pos, &used, 0)) == 1) {
        st = take_one(l, l->in + pos, used);
        pos += used;
    }
    if (st == SSTORE_OK && r < 0)
        st = sstore_conn_set_err(&l->a->c, SSTORE_ERR_PROTOCOL, "redis %s:%d: protocol error: malformed reply",
                                 l->cfg->host, l->cfg->port);
    if (st != SSTORE_OK) {
        link_fail(l, st, 0);
        return;
    }
    if (l->ctx == NULL || l->a->closing)
        return;
    memmove(l->in, l->in + pos, l->inlen - pos);
    l->inlen -= pos;
}

/* One recv into the receive buffer: 1 more may follow, 0 drained, -1 failed (link down). */
static int recv_some(alink *l)
{
    int k = sstore_sock_recv(l->a, l->ctx->fd, &l->in, &l->inlen, &l->incap, l->who);
    if (k < 0)
        link_fail(l, l->a->c.err, 0);
    return k;
}

void alink_readable(alink *l)
{
    int more;
    if (l->ctx == NULL || !sstore_link_readable(l, &l->state, &alink_steps))
        return;
    do
        more = recv_some(l);
    while (more == 1);
    if (more == 0)
        take_replies(l);
}

int64_t alink_deadline(const alink *l)
{
    int64_t d = -1;
    const sstore_aop *op;
    if (l->state == ALINK_CONNECTING || l->hs_left > 0)
        d = l->connect_deadline;
    for (op = l->head; op != NULL; op = op->next)
        if (op->deadline > 0 && (d < 0 || op->deadline < d))
            d = op->deadline;
    return d;
}

void alink_timer(alink *l, int64_t now_ms)
{
    int64_t d = alink_deadline(l);
    if (d < 0 || d > now_ms)
        return;
    if (l->state == ALINK_CONNECTING || (l->hs_left > 0 && l->connect_deadline <= now_ms))
        link_fail(l, sstore_conn_set_err(&l->a->c, SSTORE_ERR_TIMEOUT, "redis %s:%d: cannot connect: timed out "
                                         "after %d ms", l->cfg->host, l->cfg->port, l->cfg->connect_timeout_ms), 1);
    else
        link_fail(l, sstore_conn_set_err(&l->a->c, SSTORE_ERR_TIMEOUT, "redis %s:%d: no reply within %d ms",
                                         l->cfg->host, l->cfg->port, l->cfg->timeout_ms), 0);
}

/* mc_async.c — memcached:// on the caller's event loop: one non-blocking socket speaking the text
 * protocol (mc_proto.h), commands pipelined in one write, replies matched in order.
 *
 * Why not libmemcached: its non-blocking mode (MEMCACHED_BEHAVIOR_NO_BLOCK) still waits inside
 * each call (memcached_get polls its sockets until the reply is in) and it has no completion
 * callbacks and no way to hand its fds' read/write interest to someone else's loop — nothing fits
 * sstore_async's hooks. And as with Redis (alink.c), counting bytes and round trips where they
 * cross the socket needs the socket to be ours. The protocol is small; mc_proto.c frames it.
 *
 * Operations and their commands (sessions are "sess:<id>" items holding the record of record.h):
 *   get     get; a record past its expires_ms is NOT_FOUND (memcached keeps it up to a second longer)
 *   put     add (STORED: done); NOT_STORED: gets, and an expired record is replaced with cas
 *           (a live one is EXISTS); an item gone meanwhile is added again
 *   touch   gets, then cas of the record with its times rewritten (a framework's rolling session
 *           write); EXISTS on the cas (written under us) retries from the gets
 *   delete  gets and delete pipelined in one write: OK only when the gets found a live record
 * TTLs: memcached's exptime is whole seconds on a clock that ticks once a second, so an item can
 * go up to a second early; items get exptime = ceil(ttl) + 1 s and the record's millisecond
 * expires_ms decides what is live (exptime beyond 30 days is written as absolute Unix time, as
 * memcached reads it). Expired sessions are memcached's to drop: sstore_sweep() returns 0.
 *
 * Counting as alink.c: bytes as send()/recv() returned them, syscalls the sends and recvs,
 * round_trips one per flush of queued commands. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "async_int.h"
#include "mc_proto.h"
#include "nblink.h"
#include "mc_store.h"
#include "record.h"

#define MCL_DOWN SSTORE_LINK_DOWN
#define MCL_CONNECTING SSTORE_LINK_CONNECTING
#define MCL_UP SSTORE_LINK_UP
#define MC_ROUNDS_MAX 64 /* gets/cas rounds before giving up on a key rewritten under us: every lost
                          * round is another client's write that won, so 64 in a row is a livelock */

enum { MC_STEP_GET, MC_STEP_ADD, MC_STEP_GETS, MC_STEP_CAS, MC_STEP_DEL };

typedef struct mcl {
    const mc_store *ms;
    sstore_async *a;
    int fd;
    int state;
    int want_write;
    sstore_backoff bo;
    int64_t connect_deadline;
    sstore_aop *head, *tail; /* waiting for replies, in order */
    char *obuf;
    size_t olen, osent, ocap;
    char *in;
    size_t inlen, incap;
} mcl;

/* Closes the socket (the loop told to forget it first). */
static void drop_socket(mcl *l)
{
    if (l->fd >= 0) {
        sstore_async_forget(l->a, l->fd);
        close(l->fd);
    }
    l->fd = -1;
    l->state = MCL_DOWN;
    l->want_write = 0;
    l->olen = l->osent = l->inlen = 0;
}

/* Takes the link down with status (the handle's message), backing off after a failed connect, and
 * fails every operation on it in order. */
static void link_fail(void *link, int status, int connecting)
{
    mcl *l = link;
    sstore_aop *op = l->head;
    char msg[SSTORE_ERRSTR_LEN];
    snprintf(msg, sizeof msg, "%s", l->a->c.errstr);
    connecting = connecting || l->state == MCL_CONNECTING;
    drop_socket(l);
    l->head = l->tail = NULL;
    sstore_backoff_down(&l->bo, status, msg, connecting, l->ms->cfg.reconnect_max_ms);
    while (op != NULL) {
        sstore_aop *next = op->next;
        sstore_aop_done(op, status, NULL, msg);
        op = next;
    }
}

static void want_write(mcl *l, int on)
{
    if (l->fd >= 0 && l->want_write != on) {
        l->want_write = on;
        sstore_async_want(l->a, l->fd, 0, on);
    }
}

/* Opens the socket and starts connecting without waiting. SSTORE_OK or the error. */
static int start_connect(mcl *l)
{
    struct addrinfo hints, *ai = NULL;
    char port[8];
    int one = 1, rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", l->ms->cfg.port);
    if ((rc = getaddrinfo(l->ms->cfg.host, port, &hints, &ai)) != 0)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_IO, "%s: cannot resolve: %s", l->ms->where, gai_strerror(rc));
    l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || (connect(l->fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)) {
        int e = errno;
        freeaddrinfo(ai);
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_IO, "%s: cannot connect: %s", l->ms->where, strerror(e));
    }
    freeaddrinfo(ai);
    (void)setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* latency only */
    l->state = MCL_CONNECTING;
    l->connect_deadline = rlink_mono_ms() + l->ms->cfg.connect_timeout_ms;
    sstore_async_want(l->a, l->fd, 1, 1);
    want_write(l, 1);
    return SSTORE_OK;
}

/* Connects when down and the backoff allows. SSTORE_OK when up or on its way, else the reason. */
static int mcl_connect(mcl *l)
{
    int st;
    if (l->state != MCL_DOWN)
        return SSTORE_OK;
    if ((st = sstore_backoff_check(&l->bo, l->a)) != SSTORE_OK)
        return st;
    if ((st = start_connect(l)) != SSTORE_OK)
        link_fail(l, st, 1);
    return st;
}

/* Writes what is queued. SSTORE_OK (all written, or the socket is full), or an error. */
static int flush(void *link)
{
    mcl *l = link;
    int st;
    if (l->state != MCL_UP)
        return SSTORE_OK;
    if (l->osent == 0 && l->olen > 0)
        l->a->c.ctr.round_trips++;
    if ((st = sstore_sock_send(l->a, l->fd, l->obuf, l->olen, &l->osent, l->ms->where)) != SSTORE_OK)
        return st;
    if (l->osent < l->olen) {
        want_write(l, 1);
        return SSTORE_OK;
    }
    l->olen = l->osent = 0;
    want_write(l, 0);
    return SSTORE_OK;
}

/* memcached's exptime for a TTL (see the top of the file). */
static long long exptime_of(sstore_async *a, int64_t ttl_ms)
{
    long long s = (long long)((ttl_ms + 999) / 1000) + 1;
    return s > 2592000 ? sstore_async_wall_ms(a) / 1000 + s : s;
}

/* Writes op's next command(s) (op->step) to the output. SSTORE_OK or NOMEM. */
static int format_step(mcl *l, sstore_aop *op)
{
    char key[sizeof MC_KEY_PREFIX + SSTORE_KEY_MAX];
    size_t klen = (size_t)snprintf(key, sizeof key, MC_KEY_PREFIX "%s", op->id), vlen = 0;
    if (op->step == MC_STEP_ADD) {
        int64_t t = sstore_async_wall_ms(l->a);
        sstore_record r = {t, t, t + op->ttl_ms, op->claims, op->claims_len, 0};
        if (sstore_buf_reserve(&op->data, &op->data_cap, op->claims_len + SSTORE_RECORD_OVERHEAD) != 0)
            return sstore_conn_set_err(&l->a->c, SSTORE_ERR_NOMEM, "out of memory");
        op->cmd_len = sstore_record_encode(op->data, op->data_cap, &r); /* the record's length */
    }
    if (op->step == MC_STEP_ADD || op->step == MC_STEP_CAS)
        vlen = op->cmd_len;
    if (sstore_buf_reserve(&l->obuf, &l->ocap, l->olen + 2 * mc_cmd_size(klen, vlen)) != 0)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_NOMEM, "out of memory");
    op->replies = op->step == MC_STEP_DEL ? 2 : 1;
    if (op->step == MC_STEP_ADD || op->step == MC_STEP_CAS)
        l->olen += mc_cmd_store(l->obuf + l->olen, op->step == MC_STEP_ADD ? "add" : "cas", key, klen,
                                exptime_of(l->a, op->ttl_ms), op->data, vlen, op->cas);
    else
        l->olen += mc_cmd_key(l->obuf + l->olen, op->step == MC_STEP_GET ? "get" : "gets", key, klen);
    if (op->step == MC_STEP_DEL)
        l->olen += mc_cmd_key(l->obuf + l->olen, "delete", key, klen);
    return SSTORE_OK;
}

/* Queues op's next command(s); written now when nothing else is in flight, else with the next
 * flush. SSTORE_OK, or why the link cannot take it (op not taken). */
static int send_step(mcl *l, sstore_aop *op)
{
    int st = mcl_connect(l), idle = l->head == NULL && l->state == MCL_UP;
    if (st == SSTORE_OK)
        st = format_step(l, op);
    if (st != SSTORE_OK)
        return st;
    sstore_aop_push(&l->head, &l->tail, op);
    if (!idle || flush(l) != SSTORE_OK || l->olen > 0)
        want_write(l, 1);
    return SSTORE_OK;
}

/* The next step of op, from inside a reply: a link that cannot take it fails op. */
static void next_step(mcl *l, sstore_aop *op, int step)
{
    int st;
    if (++op->rounds > MC_ROUNDS_MAX) {
        sstore_conn_set_err(&l->a->c, SSTORE_ERR_IO, "%s: session %s rewritten under us %d times in a row",
                            l->ms->where, op->id, MC_ROUNDS_MAX);
        sstore_aop_done(op, SSTORE_ERR_IO, NULL, NULL);
        return;
    }
    op->step = step;
    if ((st = send_step(l, op)) != SSTORE_OK)
        sstore_aop_done(op, st, NULL, NULL);
}

/* Decodes a VALUE's record: 1 live (times read into *rec), 0 expired, -1 corrupt (error set). */
static int take_record(mcl *l, const sstore_aop *op, const mc_reply *r, sstore_record *rec)
{
    char err[160];
    if (sstore_record_decode(r->data, r->data_len, rec, err, sizeof err) != 0) {
        sstore_conn_set_err(&l->a->c, SSTORE_ERR_CORRUPT, "%s: session %s: corrupt record: %s", l->ms->where, op->id,
                            err);
        return -1;
    }
    return rec->expires_ms > sstore_async_wall_ms(l->a);
}

/* An error reply (or an unexpected one) to op: op fails, the link stays. */
static void error_reply(mcl *l, sstore_aop *op, const mc_reply *r)
{
    int st = r->kind == MC_SERVER_ERROR && r->data_len >= 13 && memcmp(r->data, "out of memory", 13) == 0
                 ? SSTORE_ERR_FULL : SSTORE_ERR_PROTOCOL;
    if (r->kind == MC_ERROR || r->kind == MC_CLIENT_ERROR || r->kind == MC_SERVER_ERROR)
        sstore_conn_set_err(&l->a->c, st, "%s: %s%.*s", l->ms->where,
                            r->kind == MC_ERROR ? "ERROR" : r->kind == MC_CLIENT_ERROR ? "CLIENT_ERROR " : "SERVER_ERROR ",
                            (int)r->data_len, r->data != NULL ? r->data : "");
    else
        sstore_conn_set_err(&l->a->c, st, "%s: unexpected reply (kind %d) to session %s", l->ms->where, (int)r->kind,
                            op->id);
    sstore_aop_done(op, st, NULL, NULL);
}

static void get_reply(mcl *l, sstore_aop *op, const mc_reply *r)
{
    sstore_record rec;
    sstore_session s;
    int live;
    if (r->kind == MC_END) {
        sstore_aop_done(op, SSTORE_NOT_FOUND, NULL, NULL);
    } else if (r->kind != MC_VALUE) {
        error_reply(l, op, r);
    } else if ((live = take_record(l, op, r, &rec)) < 0) {
        sstore_aop_done(op, SSTORE_ERR_CORRUPT, NULL, NULL);
    } else if (live == 0) {
        sstore_aop_done(op, SSTORE_NOT_FOUND, NULL, NULL);
    } else {
        sstore_record_to_session(&rec, &s);
        sstore_aop_done(op, SSTORE_OK, &s, NULL);
    }
}

/* The record op's cas will write: put's fresh one, or touch's with the times rewritten. */
static int cas_record(mcl *l, sstore_aop *op, const sstore_record *old)
{
    int64_t t = sstore_async_wall_ms(l->a);
    sstore_record r = {t, t, t + op->ttl_ms, op->claims, op->claims_len, 0};
    if (op->kind == AOP_TOUCH)
        r = *old, r.last_seen_ms = t, r.expires_ms = t + op->ttl_ms;
    if (sstore_buf_reserve(&op->data, &op->data_cap, r.claims_len + SSTORE_RECORD_OVERHEAD) != 0)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_NOMEM, "out of memory");
    op->cmd_len = sstore_record_encode(op->data, op->data_cap, &r);
    return SSTORE_OK;
}

/* The gets of a put or a touch. */
static void gets_reply(mcl *l, sstore_aop *op, const mc_reply *r)
{
    sstore_record rec;
    int live = 0, put = op->kind == AOP_PUT;
    if (r->kind != MC_END && r->kind != MC_VALUE) {
        error_reply(l, op, r);
        return;
    }
    if (r->kind == MC_VALUE && (live = take_record(l, op, r, &rec)) < 0) {
        sstore_aop_done(op, SSTORE_ERR_CORRUPT, NULL, NULL);
    } else if (r->kind == MC_END) {
        if (put)
            next_step(l, op, MC_STEP_ADD); /* gone since the add: add again */
        else
            sstore_aop_done(op, SSTORE_NOT_FOUND, NULL, NULL);
    } else if (live == put) {
        sstore_aop_done(op, put ? SSTORE_EXISTS : SSTORE_NOT_FOUND, NULL, NULL);
    } else if (cas_record(l, op, &rec) != SSTORE_OK) {
        sstore_aop_done(op, SSTORE_ERR_NOMEM, NULL, NULL);
    } else {
        op->cas = r->cas;
        next_step(l, op, MC_STEP_CAS);
    }
}

/* The reply of an add or a cas. */
static void store_reply(mcl *l, sstore_aop *op, const mc_reply *r)
{
    if (r->kind == MC_STORED)
        sstore_aop_done(op, SSTORE_OK, NULL, NULL);
    else if (r->kind == MC_NOT_STORED && op->step == MC_STEP_ADD)
        next_step(l, op, MC_STEP_GETS); /* present: live, or expired and ours to replace */
    else if (r->kind == MC_EXISTS && op->step == MC_STEP_CAS)
        next_step(l, op, MC_STEP_GETS); /* written under us: look again */
    else if (r->kind == MC_NOT_FOUND && op->step == MC_STEP_CAS && op->kind == AOP_PUT)
        next_step(l, op, MC_STEP_ADD);
    else if (r->kind == MC_NOT_FOUND && op->step == MC_STEP_CAS)
        sstore_aop_done(op, SSTORE_NOT_FOUND, NULL, NULL);
    else
        error_reply(l, op, r);
}

/* The two replies of a delete: the gets (is it live?), then the delete's. */
static void del_reply(mcl *l, sstore_aop *op, const mc_reply *r)
{
    sstore_record rec;
    if (op->replies == 1) {
        op->live = r->kind == MC_VALUE ? take_record(l, op, r, &rec) : r->kind == MC_END ? 0 : -2;
        return;
    }
    if (op->live == -2 || (r->kind != MC_DELETED && r->kind != MC_NOT_FOUND))
        error_reply(l, op, r);
    else
        sstore_aop_done(op, op->live == 1 && r->kind == MC_DELETED ? SSTORE_OK : SSTORE_NOT_FOUND, NULL, NULL);
}

/* Hands one framed reply to the operation at the head. SSTORE_OK or an error (the link fails). */
static int take_one(mcl *l, const mc_reply *r)
{
    sstore_aop *op = l->head;
    if (op == NULL)
        return sstore_conn_set_err(&l->a->c, SSTORE_ERR_PROTOCOL, "%s: a reply nobody asked for", l->ms->where);
    if (--op->replies == 0 && (l->head = op->next) == NULL)
        l->tail = NULL;
    if (op->step == MC_STEP_GET)
        get_reply(l, op, r);
    else if (op->step == MC_STEP_GETS)
        gets_reply(l, op, r);
    else if (op->step == MC_STEP_DEL)
        del_reply(l, op, r);
    else
        store_reply(l, op, r);
    return SSTORE_OK;
}

/* Takes every complete reply in the receive buffer, then keeps the partial rest. */
static void take_replies(mcl *l)
{
    size_t pos = 0, used = 0;
    mc_reply r;
    int k = 1, st = SSTORE_OK;
    while (st == SSTORE_OK && !l->a->closing && l->fd >= 0 &&
           (k = mc_reply_parse(l->in + pos, l->inlen - pos, &r, &used)) == 1) {
        pos += used;
        st = take_one(l, &r);
    }
    if (st == SSTORE_OK && k < 0)
        st = sstore_conn_set_err(&l->a->c, SSTORE_ERR_PROTOCOL, "%s: protocol error: malformed reply", l->ms->where);
    if (st != SSTORE_OK) {
        link_fail(l, st, 0);
        return;
    }
    if (l->fd < 0 || l->a->closing)
        return;
    memmove(l->in, l->in + pos, l->inlen - pos);
    l->inlen -= pos;
}

/* One recv: 1 more may follow, 0 drained, -1 failed (link down). */
static int recv_some(mcl *l)
{
    int k = sstore_sock_recv(l->a, l->fd, &l->in, &l->inlen, &l->incap, l->ms->where);
    if (k < 0)
        link_fail(l, l->a->c.err, 0);
    return k;
}

/* The TCP connect finished (or not yet). SSTORE_OK or the refusal. */
static int connect_done(void *link)
{
    mcl *l = link;
    int k = sstore_sock_connected(l->a, l->fd, l->ms->where);
    if (k < 0)
        return l->a->c.err;
    if (k > 0) {
        l->state = MCL_UP;
        sstore_backoff_up(&l->bo, l->a);
    }
    return SSTORE_OK;
}

/* What sstore_link_writable/_readable do on a memcached link. */
static const sstore_link_steps mcl_steps = {connect_done, flush, link_fail};

static void mcl_writable(sstore_async *a, int fd)
{
    mcl *l = a->impl;
    if (fd == l->fd && fd >= 0)
        sstore_link_writable(l, &l->state, &mcl_steps);
}

static void mcl_readable(sstore_async *a, int fd)
{
    mcl *l = a->impl;
    int more;
    if (fd != l->fd || fd < 0 || !sstore_link_readable(l, &l->state, &mcl_steps))
        return;
    do
        more = recv_some(l);
    while (more == 1);
    if (more == 0)
        take_replies(l);
}

static int mcl_open(sstore_async *a)
{
    mcl *l = calloc(1, sizeof *l);
    if (l == NULL)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "out of memory");
    l->ms = a->st->impl;
    l->a = a;
    l->fd = -1;
    sstore_backoff_init(&l->bo);
    a->impl = l;
    return mcl_connect(l);
}

static void mcl_close(sstore_async *a)
{
    mcl *l = a->impl;
    sstore_conn_set_err(&a->c, SSTORE_ERR_CLOSED, "store connection freed with the operation in flight");
    link_fail(l, SSTORE_ERR_CLOSED, 0);
    free(l->obuf);
    free(l->in);
    free(l);
    a->impl = NULL;
}

static void mcl_submit(sstore_async *a, sstore_aop *op)
{
    mcl *l = a->impl;
    int st;
    if (op->deadline == 0)
        op->deadline = sstore_async_mono_ms(a) + l->ms->cfg.timeout_ms;
    op->rounds = 0;
    op->step = op->kind == AOP_GET ? MC_STEP_GET : op->kind == AOP_PUT ? MC_STEP_ADD
             : op->kind == AOP_TOUCH ? MC_STEP_GETS : MC_STEP_DEL;
    if ((st = send_step(l, op)) != SSTORE_OK)
        sstore_aop_later(op, st);
}

static int64_t mcl_deadline(const sstore_async *a)
{
    const mcl *l = a->impl;
    const sstore_aop *op;
    int64_t d = l->state == MCL_CONNECTING ? l->connect_deadline : -1;
    for (op = l->head; op != NULL; op = op->next)
        if (op->deadline > 0 && (d < 0 || op->deadline < d))
            d = op->deadline;
    return d;
}

static void mcl_timer(sstore_async *a, int64_t now_ms)
{
    mcl *l = a->impl;
    int64_t d = mcl_deadline(a);
    if (d < 0 || d > now_ms)
        return;
    if (l->state == MCL_CONNECTING)
        link_fail(l, sstore_conn_set_err(&a->c, SSTORE_ERR_TIMEOUT, "%s: cannot connect: timed out after %d ms",
                                         l->ms->where, l->ms->cfg.connect_timeout_ms), 1);
    else
        link_fail(l, sstore_conn_set_err(&a->c, SSTORE_ERR_TIMEOUT, "%s: no reply within %d ms", l->ms->where,
                                         l->ms->cfg.timeout_ms), 0);
}

const sstore_async_ops sstore_memcached_async = {
    .open = mcl_open,
    .close = mcl_close,
    .submit = mcl_submit,
    .on_readable = mcl_readable,
    .on_writable = mcl_writable,
    .next_deadline = mcl_deadline,
    .on_timer = mcl_timer,
};

/* pg_async.c — the non-blocking engine of postgres:// (see pg_store.h): one libpq connection in
 * non-blocking and pipeline mode, driven by the caller's loop hooks like alink.c drives Redis.
 *
 * Every operation is one PQsendQueryPrepared followed by its own PQpipelineSync, so that each runs
 * in its own implicit transaction (as an autocommit client's statement does): a batch is never one
 * transaction whose error would roll back operations already answered. An operation completes when
 * its Sync's ReadyForQuery arrives — after its commit, so a write reported OK is as durable as
 * synchronous_commit makes it. libpq 15's PQpipelineSync flushes at once, one send() per operation;
 * the operations queued since the last flush are written under TCP_CORK, so they leave in the same
 * segments (one round trip), as alink.c's single write does.
 *
 * Counting: round_trips one per flush of queued operations (and one for the prepares of a new
 * connection); net_bytes_out / net_bytes_in from the kernel's TCP_INFO (tcpi_bytes_sent /
 * tcpi_bytes_received) of the socket, since libpq does its own reads and writes: read when the
 * counters are read (sstore_async_counters) and before the socket closes, handshakes included —
 * not on every reply, where the getsockopt was a third system call beside libpq's send and recv
 * (store-bench's GET against pgbench's, scripts/compare-pgbench.sh); syscalls are libpq's and not
 * counted. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/tcp.h>

#include <libpq-fe.h>

#include "async_int.h"
#include "nblink.h"
#include "pg_store.h"
#include "record.h"

#define PGA_DOWN 0
#define PGA_CONNECTING 1
#define PGA_UP 2

#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

static const char *const stmt_name[PG_NSTMTS] = {"ab_get", "ab_put", "ab_touch", "ab_del"};
static const int stmt_nparams[PG_NSTMTS] = {1, 4, 3, 2};
static const unsigned stmt_types[PG_NSTMTS][4] = {
    {OID_TEXT}, {OID_TEXT, OID_BYTEA, OID_INT8, OID_INT8}, {OID_TEXT, OID_INT8, OID_INT8}, {OID_TEXT, OID_INT8}};

typedef struct pga {
    pg_store *ps;
    sstore_async *a;
    PGconn *pg;
    int fd;                   /* the socket the loop was told about, -1 none */
    int want_read, want_write;
    int state;
    int broken;               /* a send failed inside a submit: failed at the next timer */
    sstore_backoff bo;
    int64_t connect_deadline;
    sstore_aop *unsent, *unsent_tail; /* submitted, not yet handed to libpq */
    sstore_aop *head, *tail;  /* sent, in the order their results come */
    int prep_left;            /* the connection's prepares still ahead of head in the results */
    int phase;                /* of the first item: 0 its result, 1 the NULL after it, 2 its Sync */
    PGresult *held;           /* its result, kept until the Sync */
    uint64_t tcp_out, tcp_in; /* TCP_INFO byte counts already counted */
} pga;

/* Asks the loop for exactly (rd, wr) interest on the socket. */
static void interest(pga *p, int rd, int wr)
{
    if (p->fd < 0)
        return;
    if (rd != p->want_read)
        sstore_async_want(p->a, p->fd, 1, rd);
    if (wr != p->want_write)
        sstore_async_want(p->a, p->fd, 0, wr);
    p->want_read = rd, p->want_write = wr;
}

/* Follows libpq's socket (it may change while connecting). */
static void follow_fd(pga *p)
{
    int fd = p->pg != NULL ? PQsocket(p->pg) : -1;
    if (fd == p->fd)
        return;
    if (p->fd >= 0)
        sstore_async_forget(p->a, p->fd);
    p->fd = fd;
    p->want_read = p->want_write = 0;
    p->tcp_out = p->tcp_in = 0;
}

/* The bytes the kernel moved on the socket since the last count into out/in. 0, or -1 when there
 * is no socket or TCP_INFO fails (nothing added). */
static int tcp_moved(const pga *p, uint64_t *out, uint64_t *in)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (p->fd < 0 || getsockopt(p->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return -1;
    *out = ti.tcpi_bytes_sent >= p->tcp_out ? ti.tcpi_bytes_sent - p->tcp_out : 0;
    *in = ti.tcpi_bytes_received >= p->tcp_in ? ti.tcpi_bytes_received - p->tcp_in : 0;
    return 0;
}

/* Counts the bytes moved on the socket since the last count (before it closes). */
static void count_bytes(pga *p)
{
    uint64_t out, in;
    if (tcp_moved(p, &out, &in) != 0)
        return;
    p->a->c.ctr.net_bytes_out += out, p->a->c.ctr.net_bytes_in += in;
    p->tcp_out += out, p->tcp_in += in;
}

/* Closes the connection (the loop told to forget its fd first). */
static void drop_conn(pga *p)
{
    count_bytes(p);
    if (p->fd >= 0)
        sstore_async_forget(p->a, p->fd);
    p->fd = -1;
    p->want_read = p->want_write = 0;
    PQfinish(p->pg);
    p->pg = NULL;
    PQclear(p->held);
    p->held = NULL;
    p->state = PGA_DOWN;
    p->prep_left = p->phase = p->broken = 0;
}

/* Fails the ops of list with status (msg the reason). */
static void fail_list(sstore_aop *op, int status, const char *msg)
{
    while (op != NULL) {
        sstore_aop *next = op->next;
        sstore_aop_done(op, status, NULL, msg);
        op = next;
    }
}

/* Takes the connection down with status (the handle's message); a failed connect schedules the next
 * attempt (doubling backoff). Then fails every operation it held, sent first, in order. */
static void link_fail(pga *p, int status, int connecting)
{
    sstore_aop *sent = p->head, *unsent = p->unsent;
    char msg[SSTORE_ERRSTR_LEN];
    snprintf(msg, sizeof msg, "%s", p->a->c.errstr);
    connecting = connecting || p->state == PGA_CONNECTING;
    drop_conn(p);
    p->head = p->tail = p->unsent = p->unsent_tail = NULL;
    sstore_backoff_down(&p->bo, status, msg, connecting, p->ps->cfg.reconnect_max_ms);
    if (status == SSTORE_ERR_PROTOCOL)
        p->ps->table_ready = 0; /* the table may have gone: created again before the next connect */
    fail_list(sent, status, msg);
    fail_list(unsent, status, msg);
}

/* The libpq connection's last message, first line only. */
static const char *pq_msg(const pga *p, char *buf, size_t len)
{
    const char *m = p->pg != NULL ? PQerrorMessage(p->pg) : "no connection";
    snprintf(buf, len, "%.*s", (int)strcspn(m, "\n"), m);
    return buf;
}

/* Fails the connection with an I/O error about what. */
static void io_fail(pga *p, const char *what)
{
    char m[200];
    link_fail(p, sstore_conn_set_err(&p->a->c, SSTORE_ERR_IO, "%s: %s: %s", p->ps->where, what,
                                     pq_msg(p, m, sizeof m)), 0);
}

/* Writes what libpq holds; keeps write interest while some is left. SSTORE_OK or an error set. */
static int flush_out(pga *p)
{
    int r = PQflush(p->pg);
    char m[200];
    if (r < 0)
        return sstore_conn_set_err(&p->a->c, SSTORE_ERR_IO, "%s: send: %s", p->ps->where, pq_msg(p, m, sizeof m));
    interest(p, 1, r == 1);
    return SSTORE_OK;
}

/* Hands op to libpq: its statement and a Sync. 1 when libpq took both. */
static int send_op(pga *p, sstore_aop *op)
{
    char now[24], exp[24];
    const char *v[4] = {op->id, now, exp, NULL};
    int len[4] = {0, 0, 0, 0}, fmt[4] = {0, 0, 0, 0}, k = op->kind == AOP_GET ? PG_GET : op->kind == AOP_PUT ? PG_PUT
                                                                  : op->kind == AOP_TOUCH ? PG_TOUCH : PG_DEL;
    int64_t t;
    if (k == PG_GET) /* the id alone: no clock, no formatting */
        return PQsendQueryPrepared(p->pg, stmt_name[k], 1, v, len, fmt, 1) == 1 && PQpipelineSync(p->pg) == 1;
    t = sstore_async_wall_ms(p->a);
    snprintf(now, sizeof now, "%" PRId64, t);
    snprintf(exp, sizeof exp, "%" PRId64, t + op->ttl_ms);
    if (k == PG_PUT) {
        sstore_record r = {t, t, t + op->ttl_ms, op->claims, op->claims_len, 0};
        if (sstore_buf_reserve(&op->data, &op->data_cap, op->claims_len + SSTORE_RECORD_OVERHEAD) != 0)
            return 0;
        v[1] = op->data, len[1] = (int)sstore_record_encode(op->data, op->data_cap, &r), fmt[1] = 1;
        v[2] = now, v[3] = exp;
    }
    return PQsendQueryPrepared(p->pg, stmt_name[k], stmt_nparams[k], v, len, fmt, 1) == 1 &&
           PQpipelineSync(p->pg) == 1;
}

/* Sends every queued operation in one write (corked when there are several). SSTORE_OK or an error
 * set on the handle. */
static int send_batch(pga *p)
{
    int on = 1, off = 0, cork;
    sstore_aop *op;
    if (p->state != PGA_UP || p->unsent == NULL)
        return SSTORE_OK;
    if ((cork = p->unsent->next != NULL))
        (void)setsockopt(p->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
    while ((op = p->unsent) != NULL) {
        if ((p->unsent = op->next) == NULL)
            p->unsent_tail = NULL;
        sstore_aop_push(&p->head, &p->tail, op);
        if (!send_op(p, op))
            break;
    }
    if (cork)
        (void)setsockopt(p->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    p->a->c.ctr.round_trips++;
    if (op != NULL) {
        char m[200];
        return sstore_conn_set_err(&p->a->c, SSTORE_ERR_IO, "%s: send: %s", p->ps->where, pq_msg(p, m, sizeof m));
    }
    return flush_out(p);
}

/* The connection is made: pipeline mode, the prepares (each with its Sync), then what waited. */
static void conn_up(pga *p)
{
    int i, ok = PQenterPipelineMode(p->pg) == 1;
    for (i = 0; ok && i < PG_NSTMTS; i++)
        ok = PQsendPrepare(p->pg, stmt_name[i], p->ps->sql[i], stmt_nparams[i], stmt_types[i]) == 1 &&
             PQpipelineSync(p->pg) == 1;
    if (!ok) {
        io_fail(p, "prepare");
        return;
    }
    p->a->c.ctr.round_trips++;
    p->state = PGA_UP;
    p->prep_left = PG_NSTMTS;
    p->phase = 0;
    sstore_backoff_up(&p->bo, p->a);
    if (send_batch(p) != SSTORE_OK)
        link_fail(p, p->a->c.err, 0);
}

/* One step of the connect handshake (the socket was ready). */
static void connect_step(pga *p)
{
    PostgresPollingStatusType s = PQconnectPoll(p->pg);
    char m[200];
    follow_fd(p);
    if (s == PGRES_POLLING_FAILED) {
        const char *txt = pq_msg(p, m, sizeof m);
        link_fail(p, sstore_conn_set_err(&p->a->c, strstr(txt, "authentication") ? SSTORE_ERR_AUTH : SSTORE_ERR_IO,
                                         "%s: cannot connect: %s", p->ps->where, txt), 1);
    } else if (s == PGRES_POLLING_OK) {
        conn_up(p);
    } else {
        interest(p, s == PGRES_POLLING_READING, s == PGRES_POLLING_WRITING);
    }
}

/* Starts a connect without waiting (the table made first, once, blocking). SSTORE_OK or the error. */
static int start_connect(pga *p)
{
    const char *keys[10], *vals[10];
    char port[8];
    int st;
    if ((st = pg_ensure_table(p->ps, &p->a->c)) != SSTORE_OK)
        return st;
    pg_conninfo(p->ps, port, keys, vals);
    if ((p->pg = PQconnectStartParams(keys, vals, 0)) == NULL)
        return sstore_conn_set_err(&p->a->c, SSTORE_ERR_NOMEM, "out of memory");
    pg_quiet(p->pg);
    if (PQstatus(p->pg) == CONNECTION_BAD || PQsetnonblocking(p->pg, 1) != 0) {
        char m[200];
        return sstore_conn_set_err(&p->a->c, SSTORE_ERR_IO, "%s: cannot connect: %s", p->ps->where,
                                   pq_msg(p, m, sizeof m));
    }
    p->state = PGA_CONNECTING;
    p->connect_deadline = rlink_mono_ms() + p->ps->cfg.connect_timeout_ms;
    follow_fd(p);
    interest(p, 0, 1);
    return SSTORE_OK;
}

/* Connects when down and the backoff allows. SSTORE_OK when up or on its way, else the reason. */
static int pga_connect(pga *p)
{
    int st;
    if (p->state != PGA_DOWN)
        return SSTORE_OK;
    if ((st = sstore_backoff_check(&p->bo, p->a)) != SSTORE_OK)
        return st;
    if ((st = start_connect(p)) != SSTORE_OK)
        link_fail(p, st, 1);
    return st;
}

static int pga_open(sstore_async *a)
{
    pga *p = calloc(1, sizeof *p);
    if (p == NULL)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "out of memory");
    p->ps = a->st->impl;
    p->a = a;
    p->fd = -1;
    sstore_backoff_init(&p->bo);
    a->impl = p;
    return pga_connect(p);
}

static void pga_close(sstore_async *a)
{
    pga *p = a->impl;
    sstore_conn_set_err(&a->c, SSTORE_ERR_CLOSED, "store connection freed with the operation in flight");
    link_fail(p, SSTORE_ERR_CLOSED, 0);
    free(p);
    a->impl = NULL;
}

static void pga_submit(sstore_async *a, sstore_aop *op)
{
    pga *p = a->impl;
    int st;
    if (op->deadline == 0)
        op->deadline = sstore_async_mono_ms(a) + p->ps->cfg.timeout_ms;
    if (p->broken || (st = pga_connect(p)) != SSTORE_OK) {
        sstore_aop_later(op, p->broken ? SSTORE_ERR_IO : st);
        return;
    }
    sstore_aop_push(&p->unsent, &p->unsent_tail, op);
    if (p->state != PGA_UP)
        return;
    if (p->head == NULL && p->prep_left == 0) { /* idle: written now, saving the loop a turn */
        if (send_batch(p) != SSTORE_OK)
            p->broken = 1; /* failed at the next timer: no callback runs inside a submit */
    } else {
        interest(p, 1, 1);
    }
}

/* 8 bytes of a binary int8 column, or -1 when the column is not that. */
static int be64(const PGresult *r, int col, int64_t *v)
{
    const unsigned char *b = (const unsigned char *)PQgetvalue(r, 0, col);
    uint64_t x = 0;
    int i;
    if (PQgetisnull(r, 0, col) || PQgetlength(r, 0, col) != 8)
        return -1;
    for (i = 0; i < 8; i++)
        x = x << 8 | b[i];
    *v = (int64_t)x;
    return 0;
}

/* A get's row: the record checked, the times from the columns, expired rows not found. */
static void get_row(pga *p, sstore_aop *op, const PGresult *r)
{
    sstore_record rec;
    sstore_session s;
    int64_t last, exp;
    char err[160];
    if (PQntuples(r) == 0) {
        sstore_aop_done(op, SSTORE_NOT_FOUND, NULL, NULL);
        return;
    }
    if (PQnfields(r) != 3 || be64(r, 1, &last) != 0 || be64(r, 2, &exp) != 0 ||
        sstore_record_decode(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0), &rec, err, sizeof err) != 0) {
        if (PQnfields(r) != 3)
            snprintf(err, sizeof err, "%d columns", PQnfields(r));
        sstore_conn_set_err(&p->a->c, SSTORE_ERR_CORRUPT, "%s: session %s: corrupt row: %s", p->ps->where, op->id, err);
        sstore_aop_done(op, SSTORE_ERR_CORRUPT, NULL, NULL);
        return;
    }
    if (exp <= sstore_async_wall_ms(p->a)) {
        sstore_aop_done(op, SSTORE_NOT_FOUND, NULL, NULL);
        return;
    }
    sstore_record_to_session(&rec, &s);
    s.last_seen = last / 1000, s.expires = exp / 1000;
    sstore_aop_done(op, SSTORE_OK, &s, NULL);
}

/* Completes op with its statement's result r (and its Sync's, sync). */
static void deliver(pga *p, sstore_aop *op, const PGresult *r, const PGresult *sync)
{
    ExecStatusType rs = PQresultStatus(r);
    const PGresult *bad = rs == PGRES_FATAL_ERROR ? r : PQresultStatus(sync) == PGRES_FATAL_ERROR ? sync : NULL;
    if (bad != NULL || rs == PGRES_PIPELINE_ABORTED) {
        const char *m = bad != NULL ? PQresultErrorField(bad, PG_DIAG_MESSAGE_PRIMARY) : "pipeline aborted";
        int st = bad != NULL ? pg_error_status(PQresultErrorField(bad, PG_DIAG_SQLSTATE)) : SSTORE_ERR_IO;
        sstore_conn_set_err(&p->a->c, st, "%s: %s: %s", p->ps->where, stmt_name[op->kind], m != NULL ? m : "error");
        sstore_aop_done(op, st, NULL, NULL);
    } else if (op->kind == AOP_GET && rs == PGRES_TUPLES_OK) {
        get_row(p, op, r);
    } else if (op->kind == AOP_DEL && rs == PGRES_TUPLES_OK) {
        sstore_aop_done(op, PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 1 ? SSTORE_OK : SSTORE_NOT_FOUND, NULL,
                        NULL);
    } else if ((op->kind == AOP_PUT || op->kind == AOP_TOUCH) && rs == PGRES_COMMAND_OK) {
        int hit = strcmp(PQcmdTuples((PGresult *)r), "1") == 0;
        sstore_aop_done(op, hit ? SSTORE_OK : op->kind == AOP_PUT ? SSTORE_EXISTS : SSTORE_NOT_FOUND, NULL, NULL);
    } else {
        sstore_conn_set_err(&p->a->c, SSTORE_ERR_PROTOCOL, "%s: unexpected result %s", p->ps->where, PQresStatus(rs));
        sstore_aop_done(op, SSTORE_ERR_PROTOCOL, NULL, NULL);
    }
}

/* The first item's Sync came: a prepare checked, or an operation completed. SSTORE_OK or an error. */
static int item_done(pga *p, PGresult *sync)
{
    PGresult *r = p->held;
    sstore_aop *op = p->head;
    int st = SSTORE_OK;
    p->held = NULL;
    if (p->prep_left > 0) {
        p->prep_left--;
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            st = sstore_conn_set_err(&p->a->c, SSTORE_ERR_PROTOCOL, "%s: prepare: %s", p->ps->where,
                                     PQresultErrorMessage(r));
    } else {
        if ((p->head = op->next) == NULL)
            p->tail = NULL;
        deliver(p, op, r, sync);
    }
    PQclear(r);
    PQclear(sync);
    return st;
}

/* Takes every complete result libpq has framed. SSTORE_OK or an error (the connection is then failed). */
static int take_results(pga *p)
{
    PGresult *r;
    int st = SSTORE_OK;
    while (st == SSTORE_OK && p->state == PGA_UP && !p->a->closing && (p->prep_left > 0 || p->head != NULL) &&
           !PQisBusy(p->pg)) {
        r = PQgetResult(p->pg);
        if (p->phase == 0 && r == NULL)
            st = sstore_conn_set_err(&p->a->c, SSTORE_ERR_PROTOCOL, "%s: a result went missing", p->ps->where);
        else if (p->phase == 0)
            p->held = r, p->phase = 1;
        else if (p->phase == 1 && r != NULL)
            PQclear(r); /* a second result of one statement: none of ours has one */
        else if (p->phase == 1)
            p->phase = 2;
        else if (p->phase = 0, PQresultStatus(r) != PGRES_PIPELINE_SYNC && PQresultStatus(r) != PGRES_FATAL_ERROR)
            st = sstore_conn_set_err(&p->a->c, SSTORE_ERR_PROTOCOL, "%s: expected a pipeline sync, got %s",
                                     p->ps->where, PQresStatus(PQresultStatus(r))), PQclear(r);
        else
            st = item_done(p, r);
    }
    return st;
}

static void pga_readable(sstore_async *a, int fd)
{
    pga *p = a->impl;
    char m[200];
    if (fd != p->fd || p->pg == NULL)
        return;
    if (p->state == PGA_CONNECTING) {
        connect_step(p);
        return;
    }
    if (PQconsumeInput(p->pg) != 1) {
        io_fail(p, pq_msg(p, m, sizeof m)[0] ? "connection lost" : "connection closed by the server");
        return;
    }
    if (take_results(p) != SSTORE_OK)
        link_fail(p, a->c.err, 0);
}

static void pga_writable(sstore_async *a, int fd)
{
    pga *p = a->impl;
    if (fd != p->fd || p->pg == NULL)
        return;
    if (p->state == PGA_CONNECTING) {
        connect_step(p);
        return;
    }
    if ((p->unsent != NULL ? send_batch(p) : flush_out(p)) != SSTORE_OK)
        link_fail(p, a->c.err, 0);
}

/* The earliest deadline of the ops in list, or d. */
static int64_t list_deadline(const sstore_aop *op, int64_t d)
{
    for (; op != NULL; op = op->next)
        if (op->deadline > 0 && (d < 0 || op->deadline < d))
            d = op->deadline;
    return d;
}

static int64_t pga_deadline(const sstore_async *a)
{
    const pga *p = a->impl;
    if (p->broken)
        return 0;
    return list_deadline(p->unsent, list_deadline(p->head, p->state == PGA_CONNECTING ? p->connect_deadline : -1));
}

static void pga_timer(sstore_async *a, int64_t now_ms)
{
    pga *p = a->impl;
    int64_t d = pga_deadline(a);
    if (p->broken) {
        io_fail(p, "send");
    } else if (d < 0 || d > now_ms) {
        return;
    } else if (p->state == PGA_CONNECTING && p->connect_deadline <= now_ms) {
        link_fail(p, sstore_conn_set_err(&a->c, SSTORE_ERR_TIMEOUT, "%s: cannot connect: timed out after %d ms",
                                         p->ps->where, p->ps->cfg.connect_timeout_ms), 1);
    } else {
        link_fail(p, sstore_conn_set_err(&a->c, SSTORE_ERR_TIMEOUT, "%s: no reply within %d ms", p->ps->where,
                                         p->ps->cfg.timeout_ms), 0);
    }
}

/* The socket's bytes not yet counted, onto a snapshot of the counters. */
static void pga_counters(const sstore_async *a, sstore_counters *out)
{
    uint64_t o, i;
    if (tcp_moved(a->impl, &o, &i) == 0)
        out->net_bytes_out += o, out->net_bytes_in += i;
}

const sstore_async_ops sstore_postgres_async = {
    .open = pga_open,
    .close = pga_close,
    .submit = pga_submit,
    .on_readable = pga_readable,
    .on_writable = pga_writable,
    .next_deadline = pga_deadline,
    .on_timer = pga_timer,
    .counters = pga_counters,
};

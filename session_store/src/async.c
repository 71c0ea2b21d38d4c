/* async.c — the non-blocking API (sstore.h): the handle, argument checks, operations from submit to
 * their one completion, the re-entrancy guard (callbacks may submit or free), and dispatch of the
 * loop's events to the backend's async table (async_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async_int.h"
#include "redis_link.h"

#define CREATE_TRIES 4 /* fresh ids tried when one collides, as the blocking create */

/* The async table of st's backend, or NULL. */
static const sstore_async_ops *async_ops_of(const sstore *st)
{
    if (st->be == &sstore_memory_backend)
        return &sstore_memory_async;
    if (st->be == &sstore_file_backend)
        return &sstore_file_async;
    if (st->be == &sstore_redis_backend || st->be == &sstore_cluster_backend)
        return &sstore_redis_async;
    if (st->be == &sstore_postgres_backend)
        return &sstore_postgres_async;
    if (st->be == &sstore_memcached_backend)
        return &sstore_memcached_async;
    return NULL;
}

int sstore_completes_inline(const sstore *st)
{
    return st->err == SSTORE_OK && async_ops_of(st) == &sstore_memory_async;
}

sstore_async *sstore_async_connect(sstore *st, const sstore_loop *loop)
{
    sstore_async *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->st = st;
    a->c.st = st;
    a->loop = *loop;
    if (st->err != SSTORE_OK) {
        sstore_conn_set_err(&a->c, st->err, "store not open: %s", st->errstr);
        return a;
    }
    a->ao = async_ops_of(st);
    a->depth = 1;
    if (a->ao->open(a) == SSTORE_ERR_NOMEM && a->impl == NULL) {
        free(a);
        return NULL;
    }
    a->depth = 0;
    return a;
}

/* Fails every undelivered failure with SSTORE_ERR_CLOSED, closes the backend and frees a. */
static void teardown(sstore_async *a)
{
    sstore_aop *op;
    a->depth = 1; /* nested frees and submits from the callbacks below are refused */
    while ((op = a->later) != NULL) {
        a->later = op->next;
        sstore_conn_set_err(&a->c, SSTORE_ERR_CLOSED, "store connection freed with the operation in flight");
        sstore_aop_done(op, SSTORE_ERR_CLOSED, NULL, NULL);
    }
    if (a->ao != NULL && a->impl != NULL)
        a->ao->close(a);
    while ((op = a->free_ops) != NULL) {
        a->free_ops = op->next;
        free(op->claims);
        free(op->data);
        free(op->cmd);
        free(op);
    }
    free(a);
}

void sstore_async_free(sstore_async *a)
{
    if (a == NULL || a->closing)
        return;
    a->closing = 1;
    if (a->depth == 0)
        teardown(a);
}

/* Entering and leaving a call that may run callbacks: the last to leave a freed handle frees it.
 * The outermost call starts and ends with the clocks unread (sstore_async_mono_ms). */
static void enter(sstore_async *a)
{
    if (a->depth++ == 0)
        a->mono_ms = a->wall_ms = 0;
}

static void leave(sstore_async *a)
{
    if (--a->depth == 0) {
        a->mono_ms = a->wall_ms = 0;
        if (a->closing)
            teardown(a);
    }
}

int64_t sstore_async_mono_ms(sstore_async *a)
{
    if (a->mono_ms == 0)
        a->mono_ms = rlink_mono_ms();
    return a->mono_ms;
}

int64_t sstore_async_wall_ms(sstore_async *a)
{
    if (a->wall_ms == 0)
        a->wall_ms = sstore_now_ms();
    return a->wall_ms;
}

int sstore_async_err(const sstore_async *a)
{
    return a->c.err;
}

const char *sstore_async_errstr(const sstore_async *a)
{
    return a->c.err ? a->c.errstr : "";
}

void sstore_async_want(sstore_async *a, int fd, int read, int on)
{
    void (*hook)(void *, int) = read ? (on ? a->loop.add_read : a->loop.del_read)
                                     : (on ? a->loop.add_write : a->loop.del_write);
    if (hook != NULL)
        hook(a->loop.data, fd);
}

void sstore_async_forget(sstore_async *a, int fd)
{
    if (a->loop.cleanup != NULL)
        a->loop.cleanup(a->loop.data, fd);
}

/* A fresh operation (from the free list when it has one), or NULL. */
static sstore_aop *aop_new(sstore_async *a, sstore_aop_kind kind, sstore_async_cb cb, void *arg)
{
    sstore_aop *op = a->free_ops;
    if (op != NULL)
        a->free_ops = op->next;
    else if ((op = calloc(1, sizeof *op)) == NULL)
        return NULL;
    op->next = NULL;
    op->a = a;
    op->kind = kind;
    op->create = op->tries = op->asking = op->touch_eval = op->redirects = 0;
    op->id[0] = '\0';
    op->claims_len = op->cmd_len = 0;
    op->ttl_ms = op->deadline = op->retry_at = 0;
    op->wait_ms = op->step = op->replies = op->live = op->rounds = 0;
    op->cas = 0;
    op->cb = cb;
    op->arg = arg;
    op->status = SSTORE_OK;
    op->errmsg[0] = '\0';
    return op;
}

static void aop_recycle(sstore_aop *op)
{
    sstore_async *a = op->a;
    op->next = a->free_ops;
    a->free_ops = op;
}

/* Draws a fresh id into op for create. SSTORE_OK or SSTORE_ERR_IO set on the handle. */
static int draw_id(sstore_aop *op)
{
    op->tries++;
    op->cmd_len = 0; /* the command names the id: format it again */
    if (sstore_id_new(op->id) != SSTORE_OK)
        return sstore_conn_set_err(&op->a->c, SSTORE_ERR_IO, "RAND_bytes failed: no session id");
    return SSTORE_OK;
}

/* A create whose id existed: submitted again with a fresh one. 1 when it was, 0 when op is done. */
static int create_again(sstore_aop *op, int *status)
{
    if (!op->create || *status != SSTORE_EXISTS)
        return 0;
    if (op->tries == CREATE_TRIES) {
        *status = sstore_conn_set_err(&op->a->c, SSTORE_ERR_IO, "%d fresh session ids all existed: broken random "
                                      "source?", CREATE_TRIES);
        return 0;
    }
    if ((*status = draw_id(op)) != SSTORE_OK)
        return 0;
    op->deadline = 0;
    op->a->ao->submit(op->a, op);
    return 1;
}

sstore_aop *sstore_aop_internal(sstore_async *a, sstore_aop_kind kind, sstore_async_cb cb, void *arg)
{
    return aop_new(a, kind, cb, arg);
}

void sstore_aop_done(sstore_aop *op, int status, const sstore_session *s, const char *msg)
{
    sstore_async *a = op->a;
    sstore_result r;
    if (create_again(op, &status))
        return;
    memset(&r, 0, sizeof r);
    if (AOP_INTERNAL(op->kind)) {
        r.id = r.errstr = "";
        op->cb(op->arg, status, &r);
        aop_recycle(op);
        return;
    }
    r.id = op->create && status != SSTORE_OK ? "" : op->id;
    r.errstr = "";
    if (status == SSTORE_OK && s != NULL && op->kind == AOP_GET)
        r.session = *s;
    if (status != SSTORE_OK && status != SSTORE_NOT_FOUND && status != SSTORE_EXISTS) {
        a->c.ctr.errors++;
        if (msg != NULL && msg != a->c.errstr)
            sstore_conn_set_err(&a->c, status, "%s", msg);
        a->c.err = status;
        r.errstr = a->c.errstr;
    }
    a->pending--;
    op->cb(op->arg, status, &r);
    aop_recycle(op);
}

void sstore_aop_push(sstore_aop **head, sstore_aop **tail, sstore_aop *op)
{
    op->next = NULL;
    if (*tail != NULL)
        (*tail)->next = op;
    else
        *head = op;
    *tail = op;
}

/* Appends op to the failures awaiting delivery. */
static void later_push(sstore_async *a, sstore_aop *op)
{
    sstore_aop_push(&a->later, &a->later_tail, op);
}

void sstore_aop_later(sstore_aop *op, int status)
{
    op->status = status;
    snprintf(op->errmsg, sizeof op->errmsg, "%s", op->a->c.errstr);
    later_push(op->a, op);
}

/* Checks the handle before a submit: SSTORE_OK, or why it takes no operation (set on it). */
static int submit_check(sstore_async *a, sstore_async_cb cb)
{
    if (a->closing)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_CLOSED, "store connection is being freed");
    if (cb == NULL)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_ARG, "no completion callback");
    if (a->impl == NULL)
        return sstore_conn_set_err(&a->c, a->st->err ? a->st->err : SSTORE_ERR_ARG, "store not open: %s",
                                   a->st->err ? a->st->errstr : "no backend");
    return SSTORE_OK;
}

/* Copies claims into op. SSTORE_OK or NOMEM set on the handle. */
static int take_claims(sstore_aop *op, const char *claims, size_t len)
{
    if (sstore_buf_reserve(&op->claims, &op->claims_cap, len + 1) != 0)
        return sstore_conn_set_err(&op->a->c, SSTORE_ERR_NOMEM, "out of memory");
    memcpy(op->claims, claims, len);
    op->claims_len = len;
    return SSTORE_OK;
}

/* Fills op from the arguments (checked first) and hands it to the backend; op is recycled on error. */
static int submit(sstore_async *a, sstore_aop *op, const char *id, const char *claims, size_t claims_len,
                  int64_t ttl_s)
{
    int st = SSTORE_OK, stores = op->kind == AOP_PUT;
    if (!op->create && (st = sstore_check_id(&a->c, id)) == SSTORE_OK)
        memcpy(op->id, id, strlen(id) + 1);
    if (st == SSTORE_OK && (stores || op->kind == AOP_TOUCH))
        st = sstore_check_ttl(&a->c, ttl_s);
    if (st == SSTORE_OK && stores && (st = sstore_check_claims(&a->c, claims, claims_len)) == SSTORE_OK)
        st = take_claims(op, claims, claims_len);
    if (st == SSTORE_OK && op->create)
        st = draw_id(op);
    if (st != SSTORE_OK) {
        aop_recycle(op);
        return st;
    }
    op->ttl_ms = ttl_s * 1000;
    a->c.ctr.ops++;
    a->pending++;
    enter(a);
    a->ao->submit(a, op);
    leave(a);
    return SSTORE_OK;
}

/* The common start of every submit: the handle's check and a fresh operation. */
static int begin(sstore_async *a, sstore_aop_kind kind, sstore_async_cb cb, void *arg, sstore_aop **op)
{
    int st = submit_check(a, cb);
    if (st != SSTORE_OK)
        return st;
    if ((*op = aop_new(a, kind, cb, arg)) == NULL)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "out of memory");
    return SSTORE_OK;
}

int sstore_async_get(sstore_async *a, const char *id, sstore_async_cb cb, void *arg)
{
    sstore_aop *op;
    int st = begin(a, AOP_GET, cb, arg, &op);
    return st == SSTORE_OK ? submit(a, op, id, NULL, 0, 0) : st;
}

int sstore_async_put(sstore_async *a, const char *id, const char *claims, size_t claims_len, int64_t ttl_s,
                     sstore_async_cb cb, void *arg)
{
    sstore_aop *op;
    int st = begin(a, AOP_PUT, cb, arg, &op);
    return st == SSTORE_OK ? submit(a, op, id, claims, claims_len, ttl_s) : st;
}

int sstore_async_create(sstore_async *a, const char *claims, size_t claims_len, int64_t ttl_s, sstore_async_cb cb,
                        void *arg)
{
    sstore_aop *op;
    int st = begin(a, AOP_PUT, cb, arg, &op);
    if (st != SSTORE_OK)
        return st;
    op->create = 1;
    return submit(a, op, NULL, claims, claims_len, ttl_s);
}

int sstore_async_touch(sstore_async *a, const char *id, int64_t ttl_s, sstore_async_cb cb, void *arg)
{
    sstore_aop *op;
    int st = begin(a, AOP_TOUCH, cb, arg, &op);
    return st == SSTORE_OK ? submit(a, op, id, NULL, 0, ttl_s) : st;
}

int sstore_async_delete(sstore_async *a, const char *id, sstore_async_cb cb, void *arg)
{
    sstore_aop *op;
    int st = begin(a, AOP_DEL, cb, arg, &op);
    return st == SSTORE_OK ? submit(a, op, id, NULL, 0, 0) : st;
}

void sstore_async_on_readable(sstore_async *a, int fd)
{
    if (a->impl == NULL || a->closing)
        return;
    enter(a);
    a->ao->on_readable(a, fd);
    leave(a);
}

void sstore_async_on_writable(sstore_async *a, int fd)
{
    if (a->impl == NULL || a->closing)
        return;
    enter(a);
    a->ao->on_writable(a, fd);
    leave(a);
}

int sstore_async_timeout_ms(const sstore_async *a)
{
    int64_t d, now;
    if (a->later != NULL)
        return 0;
    if (a->impl == NULL || (d = a->ao->next_deadline(a)) < 0)
        return -1;
    now = rlink_mono_ms();
    return d <= now ? 0 : (d - now > 86400000 ? 86400000 : (int)(d - now));
}

/* Delivers the failures kept since the last timer (not those kept while delivering). */
static void deliver_later(sstore_async *a)
{
    sstore_aop *op = a->later;
    a->later = a->later_tail = NULL;
    while (op != NULL && !a->closing) {
        sstore_aop *next = op->next;
        sstore_aop_done(op, op->status, NULL, op->errmsg);
        op = next;
    }
    while (op != NULL) { /* freed by a callback: the rest back in line for the teardown */
        sstore_aop *next = op->next;
        later_push(a, op);
        op = next;
    }
}

void sstore_async_on_timer(sstore_async *a)
{
    if (a->impl == NULL || a->closing)
        return;
    enter(a);
    deliver_later(a);
    if (!a->closing)
        a->ao->on_timer(a, rlink_mono_ms());
    leave(a);
}

size_t sstore_async_pending(const sstore_async *a)
{
    return a->pending;
}

void sstore_async_counters(const sstore_async *a, sstore_counters *out)
{
    *out = a->c.ctr;
    if (a->impl != NULL && a->ao->counters != NULL)
        a->ao->counters(a, out);
}

/* mech_async.c — the mechanism calls of an event loop: the _async calls, the operations that wait
 * on a non-blocking store (mech_op) and their completion, and the loop's entry points. */
#include "mech_private.h"

#include <stdlib.h>
#include <string.h>

/* An operation record for one call (from the free list, or new). NULL when out of memory. */
static mech_op *op_take(ab_mech_ctx *c, ab_mech_done_fn done, void *arg, uint64_t *ok_counter)
{
    mech_op *op = c->free_ops;
    if (op != NULL)
        c->free_ops = op->next;
    else if ((op = malloc(sizeof *op)) == NULL)
        return NULL;
    memset(op, 0, offsetof(mech_op, key));
    op->key[0] = '\0';
    op->c = c;
    op->done = done;
    op->arg = arg;
    op->ok_counter = ok_counter;
    op->in_submit = 1;
    return op;
}

/* Back on the free list. */
static void op_give(ab_mech_ctx *c, mech_op *op)
{
    op->next = c->free_ops;
    c->free_ops = op;
}

/* After the family's call returned st: an answer at once (also when the store answered inside its
 * submit, as memory does) is counted and returned; otherwise AB_MECH_PENDING. */
static int op_started(ab_mech_ctx *c, mech_op *op, int st)
{
    op->in_submit = 0;
    if (st == AB_MECH_PENDING && op->finished)
        st = op->status;
    if (st == AB_MECH_PENDING)
        return st;
    op_give(c, op);
    return mech_count(c, st, op->ok_counter);
}

void mech_op_cb(void *arg, int status, const sstore_result *r)
{
    mech_op *op = arg;
    ab_mech_ctx *c = op->c;
    ab_mech_done_fn done = op->done;
    void *done_arg = op->arg;
    int st = op->finish(c, op, status, r);
    if (st == AB_MECH_PENDING) /* the family chained another store operation on op (a touch) */
        return;
    if (op->in_submit) {
        op->finished = 1;
        op->status = st;
        return;
    }
    mech_count(c, st, op->ok_counter);
    op_give(c, op);
    done(done_arg, st);
}

int mech_submit_failed(ab_mech_ctx *c, int st, const char *what)
{
    return mech_ctx_fail(c, mech_store_status(st, AB_MECH_STORE_ERROR), "%s: %s", what,
                         sstore_async_errstr(c->async));
}

/* 1 when the call goes through the family's _async function fn (a loop handle on a store). */
static int waits(const ab_mech_ctx *c, int has_fn)
{
    return c->async != NULL && c->m->err == 0 && c->m->ops != NULL && has_fn;
}

/* The answer to a call whose operation record could not be made. */
static int no_op(ab_mech_ctx *c, uint64_t *ok_counter)
{
    return mech_count(c, mech_ctx_fail(c, AB_MECH_INTERNAL, "out of memory"), ok_counter);
}

int ab_mech_authenticate_async(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out,
                               ab_mech_done_fn done, void *arg)
{
    mech_op *op;
    if (!waits(c, c->m->ops != NULL && c->m->ops->authenticate_async != NULL))
        return ab_mech_authenticate(c, cred, len, out);
    if ((op = op_take(c, done, arg, &c->n.authenticated)) == NULL)
        return no_op(c, &c->n.authenticated);
    op->who = out;
    return op_started(c, op, c->m->ops->authenticate_async(c, op, cred, len));
}

int ab_mech_issue_async(ab_mech_ctx *c, const char *user, char *out, size_t cap, size_t *out_len,
                        ab_mech_done_fn done, void *arg)
{
    size_t n = 0;
    mech_op *op;
    int st;
    if (!waits(c, c->m->ops != NULL && c->m->ops->issue_async != NULL))
        return ab_mech_issue(c, user, out, cap, out_len);
    if ((st = mech_issue_claims(c, user, &n)) != AB_MECH_OK)
        return mech_count(c, st, &c->n.issued);
    if ((op = op_take(c, done, arg, &c->n.issued)) == NULL)
        return no_op(c, &c->n.issued);
    op->out = out;
    op->cap = cap;
    op->out_len = out_len;
    return op_started(c, op, c->m->ops->issue_async(c, op, c->claims, n));
}

int ab_mech_revoke_async(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_done_fn done,
                         void *arg)
{
    mech_op *op;
    if (!waits(c, c->m->ops != NULL && c->m->ops->revoke_async != NULL))
        return ab_mech_revoke(c, cred, len);
    if ((op = op_take(c, done, arg, &c->n.revoked)) == NULL)
        return no_op(c, &c->n.revoked);
    return op_started(c, op, c->m->ops->revoke_async(c, op, cred, len));
}

int ab_mech_ctx_async(const ab_mech_ctx *c)
{
    return c->async != NULL;
}

void ab_mech_ctx_on_readable(ab_mech_ctx *c, int fd)
{
    if (c->async != NULL)
        sstore_async_on_readable(c->async, fd);
}

void ab_mech_ctx_on_writable(ab_mech_ctx *c, int fd)
{
    if (c->async != NULL)
        sstore_async_on_writable(c->async, fd);
}

int ab_mech_ctx_timeout_ms(const ab_mech_ctx *c)
{
    return c->async != NULL ? sstore_async_timeout_ms(c->async) : -1;
}

void ab_mech_ctx_on_timer(ab_mech_ctx *c)
{
    if (c->async != NULL)
        sstore_async_on_timer(c->async);
}

mech_op *mech_op_begin(ab_mech_ctx *c, ab_mech_done_fn done, void *arg, uint64_t *ok_counter)
{
    return op_take(c, done, arg, ok_counter);
}

int mech_op_start(ab_mech_ctx *c, mech_op *op, int st)
{
    return op_started(c, op, st);
}

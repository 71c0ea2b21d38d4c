/* async_local.c — the non-blocking API over the local stores: memory:// completes inline (a queue
 * keeps callbacks that submit again from recursing), file:// runs the blocking calls on a small
 * worker pool, as libuv does for file system work, and completes on the caller's loop through an
 * eventfd it watches, so that an fsync never stalls the loop. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "async_int.h"

#define AFILE_WORKERS 2

/* Runs op with the backend's blocking call on c; a get's session into *s. Returns its status. */
static int run_blocking(sstore_conn *c, sstore_aop *op, sstore_session *s)
{
    const sstore_backend_ops *be = c->st->be;
    memset(s, 0, sizeof *s);
    switch (op->kind) {
    case AOP_GET:
        return be->get(c, op->id, s);
    case AOP_PUT:
        return be->put(c, op->id, op->claims, op->claims_len, op->ttl_ms);
    case AOP_TOUCH:
        return be->touch(c, op->id, op->ttl_ms);
    case AOP_DEL:
        return be->del(c, op->id);
    case AOP_SLOTS:
    case AOP_GHOST:
        break;
    }
    return sstore_conn_set_err(c, SSTORE_ERR_ARG, "unknown operation");
}

/* Completes every operation of a queue with SSTORE_ERR_CLOSED. */
static void queue_close(sstore_async *a, sstore_aop *op)
{
    while (op != NULL) {
        sstore_aop *next = op->next;
        sstore_conn_set_err(&a->c, SSTORE_ERR_CLOSED, "store connection freed with the operation in flight");
        sstore_aop_done(op, SSTORE_ERR_CLOSED, NULL, NULL);
        op = next;
    }
}

/* ---- memory:// ---- */

typedef struct amem {
    sstore_aop *todo, *todo_tail; /* submitted from a callback: run once it returns */
    int running;
} amem;

static int amem_open(sstore_async *a)
{
    amem *m = calloc(1, sizeof *m);
    int st;
    if (m == NULL)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "out of memory");
    if ((st = a->st->be->conn_open(&a->c)) != SSTORE_OK) {
        free(m);
        return st;
    }
    a->impl = m;
    return SSTORE_OK;
}

static void amem_close(sstore_async *a)
{
    amem *m = a->impl;
    sstore_aop *todo = m->todo;
    m->todo = m->todo_tail = NULL;
    queue_close(a, todo);
    a->st->be->conn_close(&a->c);
    free(m);
    a->impl = NULL;
}

/* Queues op and, unless a callback further up is already running the queue, runs it dry. */
static void amem_submit(sstore_async *a, sstore_aop *op)
{
    amem *m = a->impl;
    sstore_session s;
    sstore_aop_push(&m->todo, &m->todo_tail, op);
    if (m->running)
        return;
    m->running = 1;
    while ((op = m->todo) != NULL && !a->closing) {
        int st;
        if ((m->todo = op->next) == NULL)
            m->todo_tail = NULL;
        st = run_blocking(&a->c, op, &s);
        sstore_aop_done(op, st, &s, NULL);
    }
    m->running = 0;
}

/* Memory has nothing to wait for: no fds, no timers. */
static void amem_fd(sstore_async *a, int fd)
{
    (void)a;
    (void)fd;
}

static int64_t amem_deadline(const sstore_async *a)
{
    (void)a;
    return -1;
}

static void amem_timer(sstore_async *a, int64_t now_ms)
{
    (void)a;
    (void)now_ms;
}

const sstore_async_ops sstore_memory_async = {
    .open = amem_open,
    .close = amem_close,
    .submit = amem_submit,
    .on_readable = amem_fd,
    .on_writable = amem_fd,
    .next_deadline = amem_deadline,
    .on_timer = amem_timer,
};

/* ---- file:// ---- */

typedef struct afile {
    sstore_async *a;
    int efd;                       /* eventfd: a worker finished something */
    pthread_t th[AFILE_WORKERS];
    int nth;
    pthread_mutex_t mu;
    pthread_cond_t cv[AFILE_WORKERS];
    sstore_aop *jobs[AFILE_WORKERS], *jobs_tail[AFILE_WORKERS]; /* each worker's to run (under mu) */
    sstore_aop *done, *done_tail;  /* ran, to complete on the loop (under mu) */
    int stop;
} afile;

/* Runs op on a worker's connection: outcome, message, data copy and I/O counters into op. */
static void afile_run(sstore_conn *c, sstore_aop *op)
{
    sstore_counters before = c->ctr;
    sstore_session s;
    c->err = SSTORE_OK;
    op->status = run_blocking(c, op, &s);
    snprintf(op->errmsg, sizeof op->errmsg, "%s", c->err ? c->errstr : "");
    memset(&op->session, 0, sizeof op->session);
    if (op->status == SSTORE_OK && op->kind == AOP_GET) {
        if (sstore_buf_reserve(&op->data, &op->data_cap, s.data_len + 1) != 0) {
            op->status = SSTORE_ERR_NOMEM;
            snprintf(op->errmsg, sizeof op->errmsg, "out of memory");
        } else {
            memcpy(op->data, s.data, s.data_len);
            op->session = s;
            op->session.data = op->data;
        }
    }
    sstore_counters_diff(&before, &c->ctr, &op->io);
}

/* Worker w's next job, or NULL once stopping. */
static sstore_aop *afile_next(afile *f, int w)
{
    sstore_aop *op;
    pthread_mutex_lock(&f->mu);
    while (f->jobs[w] == NULL && !f->stop)
        pthread_cond_wait(&f->cv[w], &f->mu);
    if ((op = f->jobs[w]) != NULL && (f->jobs[w] = op->next) == NULL)
        f->jobs_tail[w] = NULL;
    pthread_mutex_unlock(&f->mu);
    return op;
}

/* Hands a finished op back and wakes the loop. */
static void afile_finish(afile *f, sstore_aop *op)
{
    uint64_t one = 1;
    pthread_mutex_lock(&f->mu);
    sstore_aop_push(&f->done, &f->done_tail, op);
    pthread_mutex_unlock(&f->mu);
    while (write(f->efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

/* What a worker thread starts with: the pool and its index. */
typedef struct afile_start {
    afile *f;
    int w;
} afile_start;

static void *afile_worker(void *arg)
{
    afile_start *start = arg;
    afile *f = start->f;
    int w = start->w;
    sstore_conn *c = sstore_connect(f->a->st);
    sstore_aop *op;
    free(start);
    while ((op = afile_next(f, w)) != NULL) {
        if (c == NULL) {
            op->status = SSTORE_ERR_NOMEM;
            snprintf(op->errmsg, sizeof op->errmsg, "out of memory");
        } else {
            afile_run(c, op);
        }
        afile_finish(f, op);
    }
    sstore_conn_free(c);
    return NULL;
}

/* Stops and joins the workers (each finishes the job it is running). */
static void afile_stop(afile *f)
{
    int i;
    pthread_mutex_lock(&f->mu);
    f->stop = 1;
    for (i = 0; i < AFILE_WORKERS; i++)
        pthread_cond_broadcast(&f->cv[i]);
    pthread_mutex_unlock(&f->mu);
    for (i = 0; i < f->nth; i++)
        pthread_join(f->th[i], NULL);
    f->nth = 0;
}

static void afile_close(sstore_async *a)
{
    afile *f = a->impl;
    int i;
    afile_stop(f);
    for (i = 0; i < AFILE_WORKERS; i++)
        queue_close(a, f->jobs[i]);
    queue_close(a, f->done);
    if (f->efd >= 0) {
        sstore_async_forget(a, f->efd);
        (void)close(f->efd); /* an eventfd: nothing to flush */
    }
    pthread_mutex_destroy(&f->mu);
    for (i = 0; i < AFILE_WORKERS; i++)
        pthread_cond_destroy(&f->cv[i]);
    free(f);
    a->impl = NULL;
}

/* Starts worker w. SSTORE_OK or an error set on the handle. */
static int afile_spawn(afile *f, int w)
{
    afile_start *start = malloc(sizeof *start);
    if (start == NULL)
        return sstore_conn_set_err(&f->a->c, SSTORE_ERR_NOMEM, "out of memory");
    start->f = f, start->w = w;
    if ((errno = pthread_create(&f->th[w], NULL, afile_worker, start)) != 0) {
        free(start);
        return sstore_conn_set_err(&f->a->c, SSTORE_ERR_IO, "file store: worker thread: %s", strerror(errno));
    }
    return SSTORE_OK;
}

static int afile_open(sstore_async *a)
{
    afile *f = calloc(1, sizeof *f);
    int st = SSTORE_OK, i;
    if (f == NULL)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_NOMEM, "out of memory");
    f->a = a;
    pthread_mutex_init(&f->mu, NULL);
    for (i = 0; i < AFILE_WORKERS; i++)
        pthread_cond_init(&f->cv[i], NULL);
    a->impl = f;
    if ((f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "file store: eventfd: %s", strerror(errno));
    while (f->nth < AFILE_WORKERS && (st = afile_spawn(f, f->nth)) == SSTORE_OK)
        f->nth++;
    sstore_async_want(a, f->efd, 1, 1);
    return st;
}

/* The worker of a session: one session's operations run in the order they were submitted. */
static int afile_worker_of(const afile *f, const char *id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *id != '\0'; id++)
        h = (h ^ (uint8_t)*id) * 16777619u;
    return (int)(h % (uint32_t)f->nth);
}

static void afile_submit(sstore_async *a, sstore_aop *op)
{
    afile *f = a->impl;
    int w;
    if (f->nth == 0) {
        sstore_conn_set_err(&a->c, SSTORE_ERR_IO, "file store: no worker thread");
        sstore_aop_later(op, SSTORE_ERR_IO);
        return;
    }
    w = afile_worker_of(f, op->id);
    pthread_mutex_lock(&f->mu);
    sstore_aop_push(&f->jobs[w], &f->jobs_tail[w], op);
    pthread_cond_signal(&f->cv[w]);
    pthread_mutex_unlock(&f->mu);
}

/* Completes what the workers finished; what a freeing callback leaves goes back for the close. */
static void afile_readable(sstore_async *a, int fd)
{
    afile *f = a->impl;
    sstore_aop *op, *rest;
    uint64_t n;
    if (fd != f->efd)
        return;
    while (read(f->efd, &n, sizeof n) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&f->mu);
    op = f->done;
    f->done = f->done_tail = NULL;
    pthread_mutex_unlock(&f->mu);
    for (; op != NULL && !a->closing; op = rest) {
        rest = op->next;
        sstore_counters_add(&a->c.ctr, &op->io);
        sstore_aop_done(op, op->status, &op->session, op->errmsg[0] ? op->errmsg : NULL);
    }
    pthread_mutex_lock(&f->mu);
    for (; op != NULL; op = rest) {
        rest = op->next;
        sstore_aop_push(&f->done, &f->done_tail, op);
    }
    pthread_mutex_unlock(&f->mu);
}

const sstore_async_ops sstore_file_async = {
    .open = afile_open,
    .close = afile_close,
    .submit = afile_submit,
    .on_readable = afile_readable,
    .on_writable = amem_fd,
    .next_deadline = amem_deadline,
    .on_timer = amem_timer,
};

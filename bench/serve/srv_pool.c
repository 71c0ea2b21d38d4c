/* srv_pool.c — the pool model's workers: threads that each run one request's blocking mechanism
 * call at a time, fed from one shared queue (any idle worker takes the next job), as PHP-FPM,
 * gunicorn's sync workers, Puma and Tomcat's thread pool do. */
#include "srv.h"

#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"

/* One worker: its thread, its mechanism handle (its own store connection), its published counters. */
typedef struct srv_worker {
    srv_pool *p;
    pthread_t tid;
    int started;
    ab_mech_ctx *mech;
    pthread_mutex_t pub_lock; /* guards pub */
    ab_mech_counters pub;
} srv_worker;

struct srv_pool {
    srv *s;
    pthread_mutex_t lock;     /* guards head, tail, stop */
    pthread_cond_t ready;     /* a job was queued, or stop */
    srv_conn *head, *tail;    /* queued jobs, oldest first (linked by job.next) */
    int stop;
    int n;
    srv_worker *w;
};

const char *srv_model_name(int model)
{
    return model == SRV_MODEL_POOL ? "pool" : "async";
}

void srv_pool_submit(srv_pool *p, srv_conn *c)
{
    c->job.next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->tail != NULL)
        p->tail->job.next = c;
    else
        p->head = c;
    p->tail = c;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

/* The next queued job, waiting for one; NULL once the pool stops. */
static srv_conn *next_job(srv_pool *p)
{
    srv_conn *c = NULL;
    pthread_mutex_lock(&p->lock);
    while (!p->stop && p->head == NULL)
        pthread_cond_wait(&p->ready, &p->lock);
    if (!p->stop) {
        c = p->head;
        p->head = c->job.next;
        if (p->head == NULL)
            p->tail = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    return c;
}

/* A worker: runs jobs blocking, publishes its counters, hands each connection back to its loop. */
static void *worker_main(void *arg)
{
    srv_worker *w = arg;
    srv_conn *c;
    while ((c = next_job(w->p)) != NULL) {
        srv_job_run(w->mech, &c->job, c->t->cred_cap);
        pthread_mutex_lock(&w->pub_lock);
        ab_mech_ctx_counters(w->mech, &w->pub); /* visible to /stats before the answer leaves */
        pthread_mutex_unlock(&w->pub_lock);
        srv_post_done(c);
    }
    return NULL;
}

/* Gives w its mechanism handle. 0 or -1 (message printed). */
static int worker_init(srv_pool *p, srv_worker *w)
{
    if (pthread_mutex_init(&w->pub_lock, NULL) != 0) {
        ab_err("serve", "pthread_mutex_init failed");
        return -1;
    }
    w->p = p; /* marks the mutex as made */
    w->mech = ab_mech_ctx_new(p->s->mech);
    if (w->mech == NULL) {
        ab_err("serve", "out of memory");
        return -1;
    }
    if (ab_mech_ctx_err(w->mech) != 0) {
        ab_err("serve", "%s: %s", ab_mech_spec(p->s->mech), ab_mech_ctx_errstr(w->mech));
        return -1;
    }
    return 0;
}

/* Makes the pool's queue and worker slots. NULL when out of memory (message printed). */
static srv_pool *pool_new(srv *s)
{
    srv_pool *p = calloc(1, sizeof *p);
    if (p != NULL && (p->w = calloc((size_t)s->nworkers, sizeof *p->w)) == NULL) {
        free(p);
        p = NULL;
    }
    if (p == NULL || pthread_mutex_init(&p->lock, NULL) != 0 || pthread_cond_init(&p->ready, NULL) != 0) {
        ab_err("serve", "cannot make the worker pool: out of memory");
        if (p != NULL)
            free(p->w);
        free(p);
        return NULL;
    }
    p->s = s;
    return p;
}

int srv_pool_start(srv *s)
{
    int e;
    srv_pool *p = s->pool = pool_new(s);
    if (p == NULL)
        return -1;
    for (; p->n < s->nworkers; p->n++) {
        srv_worker *w = &p->w[p->n];
        if (worker_init(p, w) != 0) {
            p->n++; /* its handle is freed with the others */
            return -1;
        }
        if ((e = pthread_create(&w->tid, NULL, worker_main, w)) != 0) {
            ab_err("serve", "pthread_create: %s", strerror(e));
            p->n++;
            return -1;
        }
        w->started = 1;
    }
    return 0;
}

/* Frees the connections still queued: the loops closed them all before the pool stops. */
static void drop_queued(srv_pool *p)
{
    srv_conn *c = p->head, *next;
    for (; c != NULL; c = next) {
        next = c->job.next;
        srv_conn_free(c);
    }
    p->head = p->tail = NULL;
}

void srv_pool_stop(srv *s)
{
    srv_pool *p = s->pool;
    int i;
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < p->n; i++) {
        if (p->w[i].started)
            pthread_join(p->w[i].tid, NULL);
        ab_mech_ctx_free(p->w[i].mech);
        if (p->w[i].p != NULL)
            pthread_mutex_destroy(&p->w[i].pub_lock);
    }
    drop_queued(p);
    pthread_cond_destroy(&p->ready);
    pthread_mutex_destroy(&p->lock);
    free(p->w);
    free(p);
    s->pool = NULL;
}

void srv_pool_counters(srv *s, ab_mech_counters *acc)
{
    srv_pool *p = s->pool;
    int i;
    for (i = 0; p != NULL && i < p->n; i++) {
        ab_mech_counters m;
        if (p->w[i].p == NULL)
            continue;
        pthread_mutex_lock(&p->w[i].pub_lock);
        m = p->w[i].pub;
        pthread_mutex_unlock(&p->w[i].pub_lock);
        ab_mech_counters_add(acc, &m);
    }
}

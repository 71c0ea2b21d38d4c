/* mem_store.c — the memory:// backend: a hash table in 64 lock stripes, TTLs, a sweeper thread,
 * and a hard bound on sessions and bytes (refusal when full: SSTORE_ERR_FULL). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sstore_int.h"

#define MEM_STRIPES 64                   /* power of two; a stripe is picked by the hash's low bits */
#define MEM_BUCKETS_MIN 64               /* initial buckets per stripe (power of two) */
#define MEM_DEFAULT_MAX 1000000
#define MEM_DEFAULT_MAX_BYTES (256ull << 20)
#define MEM_DEFAULT_SWEEP_MS 1000

typedef struct mem_entry {
    struct mem_entry *next;
    uint64_t hash;
    int64_t created_ms;
    int64_t last_seen_ms;
    int64_t expires_ms;
    size_t klen;
    size_t vlen;
    char data[]; /* the id, NUL, then the claims */
} mem_entry;

typedef struct mem_stripe {
    _Alignas(64) pthread_mutex_t lock;
    mem_entry **buckets;
    size_t nbuckets;
    size_t count;
} mem_stripe;

typedef struct mem_store {
    mem_stripe stripes[MEM_STRIPES];
    int nlocks;                /* stripes whose mutex was initialised */
    _Atomic uint64_t count;    /* sessions held, expired-but-unswept included */
    _Atomic uint64_t bytes;    /* their accounted bytes (entry_bytes) */
    uint64_t max;
    uint64_t max_bytes;
    uint64_t sweep_ms;         /* 0: no sweeper thread */
    int sweeper_running;
    pthread_t sweeper;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    int stop;
} mem_store;

typedef struct mem_conn {
    char *scratch; /* SSTORE_CLAIMS_MAX bytes: the last get's claims */
} mem_conn;

/* FNV-1a, 64 bits. */
static uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i;
    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 0x100000001b3ull;
    return h;
}

/* Bytes charged against max_bytes for an entry. */
static uint64_t entry_bytes(const mem_entry *e)
{
    return sizeof *e + e->klen + 1 + e->vlen;
}

/* Takes a slot and its bytes from the bounds; 0, or -1 when either is exhausted. */
static int bounds_take(mem_store *m, uint64_t bytes)
{
    uint64_t n = atomic_fetch_add(&m->count, 1) + 1;
    uint64_t b = atomic_fetch_add(&m->bytes, bytes) + bytes;
    if (n <= m->max && b <= m->max_bytes)
        return 0;
    atomic_fetch_sub(&m->count, 1);
    atomic_fetch_sub(&m->bytes, bytes);
    return -1;
}

/* Frees an entry already unlinked from its stripe and gives back its slot. */
static void entry_release(mem_store *m, mem_entry *e)
{
    atomic_fetch_sub(&m->count, 1);
    atomic_fetch_sub(&m->bytes, entry_bytes(e));
    free(e);
}

/* The link pointing at key's entry in stripe s (*link NULL when absent). Caller holds s->lock. */
static mem_entry **stripe_find(mem_stripe *s, uint64_t h, const char *key, size_t klen)
{
    mem_entry **link = &s->buckets[(h / MEM_STRIPES) & (s->nbuckets - 1)];
    while (*link != NULL && ((*link)->hash != h || (*link)->klen != klen || memcmp((*link)->data, key, klen) != 0))
        link = &(*link)->next;
    return link;
}

/* Doubles the buckets of s when it is loaded past one entry per bucket (no-op without memory). */
static void stripe_grow(mem_stripe *s)
{
    size_t n = s->nbuckets * 2, i;
    mem_entry **nb;
    if (s->count <= s->nbuckets || (nb = calloc(n, sizeof *nb)) == NULL)
        return;
    for (i = 0; i < s->nbuckets; i++)
        while (s->buckets[i] != NULL) {
            mem_entry *e = s->buckets[i];
            s->buckets[i] = e->next;
            e->next = nb[(e->hash / MEM_STRIPES) & (n - 1)];
            nb[(e->hash / MEM_STRIPES) & (n - 1)] = e;
        }
    free(s->buckets);
    s->buckets = nb;
    s->nbuckets = n;
}

/* Unlinks *link from s and releases it. Caller holds s->lock. */
static void stripe_remove(mem_store *m, mem_stripe *s, mem_entry **link)
{
    mem_entry *e = *link;
    *link = e->next;
    s->count--;
    entry_release(m, e);
}

/* Removes the expired entries of one stripe; returns how many. */
static long stripe_sweep(mem_store *m, mem_stripe *s, int64_t now)
{
    long n = 0;
    size_t i;
    pthread_mutex_lock(&s->lock);
    for (i = 0; i < s->nbuckets; i++) {
        mem_entry **link = &s->buckets[i];
        while (*link != NULL) {
            if ((*link)->expires_ms <= now) {
                stripe_remove(m, s, link);
                n++;
            } else {
                link = &(*link)->next;
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Sweeps every stripe; returns how many sessions were removed. */
static long sweep_all(mem_store *m)
{
    int64_t now = sstore_now_ms();
    long n = 0;
    int i;
    for (i = 0; i < MEM_STRIPES; i++)
        n += stripe_sweep(m, &m->stripes[i], now);
    return n;
}

/* The sweeper thread: sweeps every sweep_ms until close() sets stop. */
static void *sweeper_main(void *arg)
{
    mem_store *m = arg;
    struct timespec ts;
    pthread_mutex_lock(&m->stop_lock);
    while (!m->stop) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t)(m->sweep_ms / 1000);
        ts.tv_nsec += (long)(m->sweep_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!m->stop && pthread_cond_timedwait(&m->stop_cond, &m->stop_lock, &ts) == 0)
            ;
        if (m->stop)
            break;
        pthread_mutex_unlock(&m->stop_lock);
        sweep_all(m);
        pthread_mutex_lock(&m->stop_lock);
    }
    pthread_mutex_unlock(&m->stop_lock);
    return NULL;
}

/* Starts the sweeper thread with a monotonic-clock condition variable. SSTORE_OK or an error on st. */
static int sweeper_start(sstore *st, mem_store *m)
{
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);
    if (rc == 0 && (rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) == 0 &&
        (rc = pthread_cond_init(&m->stop_cond, &ca)) == 0) {
        if ((rc = pthread_create(&m->sweeper, NULL, sweeper_main, m)) == 0)
            m->sweeper_running = 1;
        else
            pthread_cond_destroy(&m->stop_cond);
    }
    pthread_condattr_destroy(&ca);
    return rc == 0 ? SSTORE_OK : sstore_set_err(st, SSTORE_ERR_NOMEM, "memory store: cannot start the sweeper thread");
}

/* Reads the memory:// options into m. SSTORE_OK or an ARG error on st. */
static int mem_options(sstore *st, sstore_uri *u, mem_store *m)
{
    char err[160];
    if (u->authority[0] != '\0' || u->path[0] != '\0' || u->user != NULL || u->pass != NULL)
        return sstore_set_err(st, SSTORE_ERR_ARG, "memory:// takes no host or path, only ?max=…&max_bytes=…&ttl_sweep_ms=…");
    if (sstore_uri_u64(u, "max", 1, UINT32_MAX, MEM_DEFAULT_MAX, &m->max, err, sizeof err) != 0 ||
        sstore_uri_u64(u, "max_bytes", 1024, UINT64_MAX / 2, MEM_DEFAULT_MAX_BYTES, &m->max_bytes, err, sizeof err) != 0 ||
        sstore_uri_u64(u, "ttl_sweep_ms", 0, 3600000, MEM_DEFAULT_SWEEP_MS, &m->sweep_ms, err, sizeof err) != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "memory://: %s", err);
    return SSTORE_OK;
}

static int mem_open(sstore *st, sstore_uri *u)
{
    mem_store *m = calloc(1, sizeof *m);
    int i;
    if (m == NULL)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    st->impl = m;
    if (mem_options(st, u, m) != SSTORE_OK)
        return st->err;
    for (i = 0; i < MEM_STRIPES; i++, m->nlocks++) {
        m->stripes[i].nbuckets = MEM_BUCKETS_MIN;
        m->stripes[i].buckets = calloc(MEM_BUCKETS_MIN, sizeof(mem_entry *));
        if (m->stripes[i].buckets == NULL || pthread_mutex_init(&m->stripes[i].lock, NULL) != 0)
            return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    }
    if (pthread_mutex_init(&m->stop_lock, NULL) != 0)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    m->nlocks++; /* stop_lock counts as the last one */
    return m->sweep_ms > 0 ? sweeper_start(st, m) : SSTORE_OK;
}

/* Stops and joins the sweeper thread if it runs. */
static void sweeper_stop(mem_store *m)
{
    if (!m->sweeper_running)
        return;
    pthread_mutex_lock(&m->stop_lock);
    m->stop = 1;
    pthread_cond_signal(&m->stop_cond);
    pthread_mutex_unlock(&m->stop_lock);
    pthread_join(m->sweeper, NULL);
    pthread_cond_destroy(&m->stop_cond);
    m->sweeper_running = 0;
}

static void mem_close(sstore *st)
{
    mem_store *m = st->impl;
    int i;
    size_t b;
    if (m == NULL)
        return;
    sweeper_stop(m);
    for (i = 0; i < MEM_STRIPES; i++) {
        for (b = 0; m->stripes[i].buckets != NULL && b < m->stripes[i].nbuckets; b++)
            while (m->stripes[i].buckets[b] != NULL) {
                mem_entry *e = m->stripes[i].buckets[b];
                m->stripes[i].buckets[b] = e->next;
                free(e);
            }
        free(m->stripes[i].buckets);
        if (i < m->nlocks)
            pthread_mutex_destroy(&m->stripes[i].lock);
    }
    if (m->nlocks > MEM_STRIPES)
        pthread_mutex_destroy(&m->stop_lock);
    free(m);
    st->impl = NULL;
}

static int mem_conn_open(sstore_conn *c)
{
    mem_conn *mc = calloc(1, sizeof *mc);
    if (mc == NULL || (mc->scratch = malloc(SSTORE_CLAIMS_MAX)) == NULL) {
        free(mc);
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    }
    c->impl = mc;
    return SSTORE_OK;
}

static void mem_conn_close(sstore_conn *c)
{
    mem_conn *mc = c->impl;
    if (mc == NULL)
        return;
    free(mc->scratch);
    free(mc);
    c->impl = NULL;
}

/* The stripe of a key hash. */
static mem_stripe *stripe_of(sstore_conn *c, uint64_t h)
{
    return &((mem_store *)c->st->impl)->stripes[h & (MEM_STRIPES - 1)];
}

/* A new unlinked entry for id and claims, or NULL when out of memory. */
static mem_entry *entry_new(const char *id, size_t klen, const char *claims, size_t vlen, int64_t ttl_ms)
{
    mem_entry *e = malloc(sizeof *e + klen + 1 + vlen);
    if (e == NULL)
        return NULL;
    e->next = NULL;
    e->hash = hash_key(id, klen);
    e->created_ms = e->last_seen_ms = sstore_now_ms();
    e->expires_ms = e->created_ms + ttl_ms;
    e->klen = klen;
    e->vlen = vlen;
    memcpy(e->data, id, klen + 1);
    memcpy(e->data + klen + 1, claims, vlen);
    return e;
}

static int mem_put(sstore_conn *c, const char *id, const char *claims, size_t claims_len, int64_t ttl_ms)
{
    mem_store *m = c->st->impl;
    mem_entry *e = entry_new(id, strlen(id), claims, claims_len, ttl_ms), **link;
    mem_stripe *s;
    int st = SSTORE_OK;
    if (e == NULL)
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    s = stripe_of(c, e->hash);
    pthread_mutex_lock(&s->lock);
    link = stripe_find(s, e->hash, id, e->klen);
    if (*link != NULL && (*link)->expires_ms > e->created_ms)
        st = SSTORE_EXISTS;
    else if (*link != NULL)
        stripe_remove(m, s, link); /* an expired holder of the id gives way */
    if (st == SSTORE_OK && bounds_take(m, entry_bytes(e)) != 0)
        st = sstore_conn_set_err(c, SSTORE_ERR_FULL, "memory store full: max=%llu sessions, max_bytes=%llu",
                                 (unsigned long long)m->max, (unsigned long long)m->max_bytes);
    if (st == SSTORE_OK) {
        e->next = s->buckets[(e->hash / MEM_STRIPES) & (s->nbuckets - 1)];
        s->buckets[(e->hash / MEM_STRIPES) & (s->nbuckets - 1)] = e;
        s->count++;
        stripe_grow(s);
        e = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    free(e);
    return st;
}

/* Locks key's stripe and finds its live entry: returns the link (*link non-NULL) with the stripe
 * locked, or NULL (stripe unlocked) when absent; an expired entry is removed on the way. */
static mem_entry **find_live(sstore_conn *c, const char *id, mem_stripe **sp)
{
    size_t klen = strlen(id);
    uint64_t h = hash_key(id, klen);
    mem_stripe *s = stripe_of(c, h);
    mem_entry **link;
    pthread_mutex_lock(&s->lock);
    link = stripe_find(s, h, id, klen);
    if (*link != NULL && (*link)->expires_ms <= sstore_now_ms())
        stripe_remove(c->st->impl, s, link);
    if (*link == NULL) {
        pthread_mutex_unlock(&s->lock);
        return NULL;
    }
    *sp = s;
    return link;
}

static int mem_get(sstore_conn *c, const char *id, sstore_session *out)
{
    mem_conn *mc = c->impl;
    mem_stripe *s;
    mem_entry **link = find_live(c, id, &s), *e;
    if (link == NULL)
        return SSTORE_NOT_FOUND;
    e = *link;
    memcpy(mc->scratch, e->data + e->klen + 1, e->vlen);
    out->data = mc->scratch;
    out->data_len = e->vlen;
    out->created = e->created_ms / 1000;
    out->last_seen = e->last_seen_ms / 1000;
    out->expires = e->expires_ms / 1000;
    pthread_mutex_unlock(&s->lock);
    return SSTORE_OK;
}

static int mem_touch(sstore_conn *c, const char *id, int64_t ttl_ms)
{
    mem_stripe *s;
    mem_entry **link = find_live(c, id, &s);
    if (link == NULL)
        return SSTORE_NOT_FOUND;
    (*link)->last_seen_ms = sstore_now_ms();
    (*link)->expires_ms = (*link)->last_seen_ms + ttl_ms;
    pthread_mutex_unlock(&s->lock);
    return SSTORE_OK;
}

static int mem_del(sstore_conn *c, const char *id)
{
    mem_stripe *s;
    mem_entry **link = find_live(c, id, &s);
    if (link == NULL)
        return SSTORE_NOT_FOUND;
    stripe_remove(c->st->impl, s, link);
    pthread_mutex_unlock(&s->lock);
    return SSTORE_OK;
}

static long mem_sweep(sstore_conn *c)
{
    return sweep_all(c->st->impl);
}

/* The bytes charged against max_bytes (ids, claims, per-entry overhead) of every entry held. */
static long long mem_stored_bytes(sstore_conn *c)
{
    return (long long)atomic_load(&((mem_store *)c->st->impl)->bytes);
}

const sstore_backend_ops sstore_memory_backend = {
    .name = "memory",
    .scheme = "memory",
    .open = mem_open,
    .close = mem_close,
    .conn_open = mem_conn_open,
    .conn_close = mem_conn_close,
    .put = mem_put,
    .get = mem_get,
    .touch = mem_touch,
    .del = mem_del,
    .sweep = mem_sweep,
    .get_batch = NULL,
    .stored_bytes = mem_stored_bytes,
};

/* mech_pushed.c — "jwt+pushed-denylist:<ALG>,<URI>": a JWT whose revocations are pushed to every
 * server. Logout writes the jti into the store (with the token's remaining lifetime) and announces
 * it — Redis: SET + PUBLISH, one round trip; PostgreSQL: INSERT + pg_notify, one statement;
 * memcached, which has no pub/sub: an entry in a revocation log, two round trips (sstore.h,
 * "Publish / subscribe"). Each server process listens on a thread of its own (memcached: polls the
 * log every sync_ms) and keeps the denylist in memory (a hash set), so authenticate() is a
 * signature check plus a memory lookup: no store round trip per request.
 *
 * On every (re)subscribe the thread first subscribes, then lists the store's denylist into the
 * set: what is published during the listing is heard after it, so nothing falls between. While
 * the channel is down (a memcached poll that fails counts as down) the servers keep serving from
 * the set they have; a revocation published meanwhile is missed until the next catch-up, which
 * comes at most the reconnect backoff (10 ms doubling to 1 s) after the store answers again. The
 * mechanism does not open until its first catch-up is done (a server must not accept a token
 * revoked before it started). */
#include "mech_private.h"

#include <ab_cli.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PUSHED_SET "deny:"                  /* the denylist's keys in the store */
#define PUSHED_CHANNEL "authbench:denylist" /* where revocations are announced */
#define PUSHED_OPEN_WAIT_MS 5000            /* how long open waits for the first catch-up */
#define PUSHED_BACKOFF_MAX_MS 1000

/* One denylisted jti and the exp of its token (after which the entry is useless). */
typedef struct pushed_entry {
    char *jti;
    int64_t exp;
} pushed_entry;

/* The family's shared state: the subscriber thread and the in-memory denylist. */
typedef struct mech_pushed {
    sstore *store;
    pthread_t thread;
    int running;
    int stop_pipe[2];          /* written to stop the thread */
    pthread_rwlock_t lock;     /* the set: readers are the servers' threads, the writer is the subscriber */
    pushed_entry *slots;       /* open addressing, cap a power of two */
    size_t cap, n;
    pthread_mutex_t mu;        /* what follows */
    pthread_cond_t cv;
    int attempts;              /* subscribe attempts made (synced or not) */
    int synced;                /* subscribed and caught up now */
    char why[MECH_ERRSTR];     /* the last attempt's failure */
    int adding_missed;         /* a catch-up after a re-subscribe is running: new entries were missed */
    unsigned sync_ms;          /* a polled store's interval (memcached), 0 when the store pushes */
    ab_mech_shared_counters shared; /* under mu (push_denylist is read from n under the lock) */
} mech_pushed;

/* The slot number of a jti: its first 8 characters as a number. A jti is 128 random bits
 * (sstore_id_new, base64url) and only verified tokens are looked up, so those characters are as
 * good as a hash of it. */
static uint64_t jti_hash(const char *s, size_t len)
{
    uint64_t h = len;
    memcpy(&h, s, len < sizeof h ? len : sizeof h);
    return h * 0x9e3779b97f4a7c15ull; /* spread over the low bits the table uses */
}

/* The slot of jti (len bytes): its entry, or the empty slot where it would go. */
static pushed_entry *set_slot(pushed_entry *slots, size_t cap, const char *jti, size_t len)
{
    size_t i = (size_t)jti_hash(jti, len) & (cap - 1);
    while (slots[i].jti != NULL && (strncmp(slots[i].jti, jti, len) != 0 || slots[i].jti[len] != '\0'))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

/* Grows (or first makes) the table, dropping entries past their exp. 0 or -1 (out of memory). */
static int set_grow(mech_pushed *p, int64_t now)
{
    size_t cap = p->cap == 0 ? 1024 : p->cap * 2, i;
    pushed_entry *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    p->n = 0;
    for (i = 0; i < p->cap; i++) {
        if (p->slots[i].jti == NULL)
            continue;
        if (p->slots[i].exp < now) {
            free(p->slots[i].jti);
            continue;
        }
        *set_slot(slots, cap, p->slots[i].jti, strlen(p->slots[i].jti)) = p->slots[i];
        p->n++;
    }
    free(p->slots);
    p->slots = slots;
    p->cap = cap;
    return 0;
}

/* Adds jti (len bytes) until exp, under the write lock. 1 added, 0 it was there, -1 out of memory. */
static int set_add(mech_pushed *p, const char *jti, size_t len, int64_t exp)
{
    pushed_entry *e;
    int rc = 0;
    pthread_rwlock_wrlock(&p->lock);
    if (2 * (p->n + 1) > p->cap && set_grow(p, ab_wall_s()) != 0)
        rc = -1;
    else if ((e = set_slot(p->slots, p->cap, jti, len))->jti == NULL) {
        if ((e->jti = strndup(jti, len)) == NULL)
            rc = -1;
        else {
            e->exp = exp;
            p->n++;
            rc = 1;
        }
    }
    pthread_rwlock_unlock(&p->lock);
    return rc;
}

/* 1 when jti is on the denylist. */
static int set_has(mech_pushed *p, const char *jti)
{
    int found;
    pthread_rwlock_rdlock(&p->lock);
    found = p->cap > 0 && set_slot(p->slots, p->cap, jti, strlen(jti))->jti != NULL;
    pthread_rwlock_unlock(&p->lock);
    return found;
}

/* A message "<jti> <exp>" (from the channel or a stored value) into the set. 1 when it was new. */
static int take_entry(mech_pushed *p, const char *msg, size_t len)
{
    const char *sp = memchr(msg, ' ', len);
    int64_t exp = 0;
    char num[24];
    size_t n = sp != NULL ? len - (size_t)(sp - msg) - 1 : 0;
    if (sp == NULL || n == 0 || n >= sizeof num)
        return 0;
    memcpy(num, sp + 1, n);
    num[n] = '\0';
    return ab_parse_i64(num, 0, INT64_MAX, &exp) == 0 && set_add(p, msg, (size_t)(sp - msg), exp) == 1;
}

/* Adds one to a counter under mu. */
static void count(mech_pushed *p, uint64_t *counter)
{
    pthread_mutex_lock(&p->mu);
    (*counter)++;
    pthread_mutex_unlock(&p->mu);
}

/* A stored entry listed by a catch-up (sstore_pubsub_fn): new after a re-subscribe is a missed one. */
static void take_stored(void *arg, const char *msg, size_t len)
{
    mech_pushed *p = arg;
    if (take_entry(p, msg, len) && p->adding_missed)
        count(p, &p->shared.push_missed);
}

/* Records an attempt's outcome and wakes open(). */
static void note_attempt(mech_pushed *p, int synced, const char *why, uint64_t catchup_us)
{
    pthread_mutex_lock(&p->mu);
    p->attempts++;
    p->synced = synced;
    if (why != NULL)
        snprintf(p->why, sizeof p->why, "%s", why);
    if (synced) {
        p->shared.push_catchups++;
        p->shared.push_last_catchup_us = catchup_us;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Subscribes, then catches up from the store. SSTORE_OK with sub subscribed, or an error (why). */
static int subscribe_and_catch_up(mech_pushed *p, sstore_pubsub *sub, sstore_pubsub *scan)
{
    uint64_t t0 = ab_now_us();
    size_t n = 0;
    int st = sstore_pubsub_err(sub);
    if (st == SSTORE_OK && p->sync_ms > 0)
        st = sstore_pubsub_set_sync_ms(sub, p->sync_ms);
    if (st == SSTORE_OK)
        st = sstore_pubsub_subscribe(sub, PUSHED_SET, PUSHED_CHANNEL);
    if (st != SSTORE_OK) {
        note_attempt(p, 0, sstore_pubsub_errstr(sub), 0);
        return st;
    }
    p->adding_missed = p->shared.push_catchups > 0; /* the first catch-up loads what came before the start */
    if ((st = sstore_pubsub_scan(scan, PUSHED_SET, take_stored, p, &n)) != SSTORE_OK) {
        note_attempt(p, 0, sstore_pubsub_errstr(scan), 0);
        return st;
    }
    note_attempt(p, 1, NULL, ab_now_us() - t0);
    return SSTORE_OK;
}

/* Takes every message that has arrived (a polled store: syncs when due), and the subscriber's
 * gaps on top of those of the subscriptions before (gaps0). 0, or -1 when the subscription broke. */
static int drain(mech_pushed *p, sstore_pubsub *sub, uint64_t gaps0)
{
    const char *msg;
    size_t len;
    int st;
    while ((st = sstore_pubsub_next(sub, &msg, &len)) == SSTORE_OK) {
        take_entry(p, msg, len);
        count(p, &p->shared.push_heard);
    }
    pthread_mutex_lock(&p->mu);
    p->shared.push_gaps = gaps0 + sstore_pubsub_gaps(sub);
    pthread_mutex_unlock(&p->mu);
    return st == SSTORE_NOT_FOUND ? 0 : -1;
}

/* Listens (or polls) until the subscription breaks (0) or the thread is stopped (1). */
static int listen_channel(mech_pushed *p, sstore_pubsub *sub)
{
    uint64_t gaps0 = p->shared.push_gaps; /* only this thread writes it */
    for (;;) {
        struct pollfd f[2] = {{sstore_pubsub_fd(sub), POLLIN, 0}, {p->stop_pipe[0], POLLIN, 0}};
        if (drain(p, sub, gaps0) != 0)
            return 0;
        if (poll(f, 2, sstore_pubsub_wait_ms(sub)) < 0 && errno != EINTR)
            return 0;
        if (f[1].revents != 0)
            return 1;
    }
}

/* Waits ms or until stopped. 1 when stopped. */
static int wait_or_stop(mech_pushed *p, int ms)
{
    struct pollfd f = {p->stop_pipe[0], POLLIN, 0};
    return poll(&f, 1, ms) > 0;
}

/* The subscriber thread: subscribe, catch up, listen; again after a break, with backoff. */
static void *subscriber(void *arg)
{
    mech_pushed *p = arg;
    sstore_pubsub *scan = sstore_pubsub_connect(p->store);
    int backoff = 10, stopped = 0;
    while (!stopped) {
        sstore_pubsub *sub = sstore_pubsub_connect(p->store);
        if (sub == NULL || scan == NULL)
            note_attempt(p, 0, "out of memory", 0);
        else if (subscribe_and_catch_up(p, sub, scan) == SSTORE_OK) {
            backoff = 10;
            stopped = listen_channel(p, sub);
            note_attempt(p, 0, sstore_pubsub_errstr(sub), 0);
            if (!stopped)
                count(p, &p->shared.push_breaks);
        }
        sstore_pubsub_free(sub);
        if (!stopped)
            stopped = wait_or_stop(p, backoff);
        backoff = backoff * 2 > PUSHED_BACKOFF_MAX_MS ? PUSHED_BACKOFF_MAX_MS : backoff * 2;
    }
    sstore_pubsub_free(scan);
    return NULL;
}

/* Waits for the first attempt (up to PUSHED_OPEN_WAIT_MS). 0 when caught up, else -1 with why. */
static int wait_first_sync(ab_mech *m, mech_pushed *p)
{
    struct timespec until;
    int rc;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += PUSHED_OPEN_WAIT_MS / 1000;
    pthread_mutex_lock(&p->mu);
    while (p->attempts == 0 && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0)
        ;
    rc = p->synced ? 0 : mech_fail(m, AB_MECH_STORE_ERROR, "%s: denylist subscription: %s", m->spec,
                                   p->attempts == 0 ? "no answer from the store" : p->why);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Starts the subscriber thread with every signal blocked (the program's signals are for its own
 * threads: serve takes SIGTERM with sigwait). 0, or an errno. */
static int start_thread(mech_pushed *p)
{
    sigset_t all, old;
    int e;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    e = pthread_create(&p->thread, NULL, subscriber, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return e;
}

/* Starts the state and the thread (sync_ms: a polled store's interval, 0 when it pushes). 0 or -1. */
static int pushed_start(ab_mech *m, unsigned sync_ms)
{
    mech_pushed *p = calloc(1, sizeof *p);
    int e = 0;
    if (p == NULL)
        return mech_fail(m, AB_MECH_INTERNAL, "out of memory");
    m->family_state = p;
    p->store = m->store;
    p->sync_ms = sync_ms;
    p->shared.push_sync_ms = sync_ms;
    p->stop_pipe[0] = p->stop_pipe[1] = -1;
    pthread_rwlock_init(&p->lock, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pipe(p->stop_pipe) != 0 || (e = start_thread(p)) != 0)
        return mech_fail(m, AB_MECH_INTERNAL, "cannot start the denylist subscriber: %s", strerror(e ? e : errno));
    p->running = 1;
    return wait_first_sync(m, p);
}

/* Opens "jwt+pushed-denylist:<ALG>,<URI>" on a store with a channel (sstore_pubsub_channel). */
static int pushed_open(ab_mech *m, const char *arg)
{
    const char *comma = strchr(arg, ','), *channel;
    if (comma == NULL || comma[1] == '\0')
        return mech_fail(m, AB_MECH_MALFORMED, "%s: expected jwt+pushed-denylist:<ALG>,<URI> (redis://, "
                         "postgres:// or memcached://)", m->spec);
    if (mech_jwt_open_alg(m, arg, (size_t)(comma - arg)) != 0 || mech_open_store(m, comma + 1) != 0)
        return -1;
    if ((channel = sstore_pubsub_channel(sstore_backend(m->store))) == NULL)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: the pushed denylist publishes through the store: it needs "
                         "redis:// (pub/sub), postgres:// (LISTEN/NOTIFY) or memcached:// (a polled log)", m->spec);
    if (m->set.sync_ms != 0 && strcmp(channel, "poll") != 0)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: sync_ms= is for a store without pub/sub (memcached://); "
                         "%s pushes revocations", m->spec, sstore_backend(m->store));
    if (pushed_start(m, strcmp(channel, "poll") != 0 ? 0
                        : m->set.sync_ms != 0 ? m->set.sync_ms : SSTORE_PUBSUB_SYNC_MS_DEFAULT) != 0)
        return -1;
    return 0;
}

/* Stops the thread, frees the set, then the JWT state and the store. */
static void pushed_close(ab_mech *m)
{
    mech_pushed *p = m->family_state;
    size_t i;
    if (p != NULL) {
        if (p->running && write(p->stop_pipe[1], "x", 1) == 1)
            pthread_join(p->thread, NULL);
        for (i = 0; i < p->cap; i++)
            free(p->slots[i].jti);
        free(p->slots);
        if (p->stop_pipe[0] >= 0)
            close(p->stop_pipe[0]), close(p->stop_pipe[1]);
        pthread_rwlock_destroy(&p->lock);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
    }
    mech_jwt_close(m);
}

/* Per-thread verification state and a publishing connection (an unreachable store is the
 * handle's error: logout then fails with 503, requests go on). */
static int pushed_ctx_init(ab_mech_ctx *c)
{
    c->vctx = ajwt_vctx_new(c->m->verifier);
    c->pubsub = sstore_pubsub_connect(c->m->store);
    if (c->vctx == NULL || c->pubsub == NULL) {
        mech_ctx_fail(c, AB_MECH_INTERNAL, "out of memory");
        return -1;
    }
    if (sstore_pubsub_err(c->pubsub) != SSTORE_OK)
        mech_ctx_fail(c, AB_MECH_STORE_ERROR, "denylist: %s", sstore_pubsub_errstr(c->pubsub));
    return 0;
}

/* Frees the thread's state. */
static void pushed_ctx_free(ab_mech_ctx *c)
{
    ajwt_vctx_free(c->vctx);
    sstore_pubsub_free(c->pubsub);
}

/* Verifies, then looks the jti up in memory: on the denylist is REVOKED. */
static int pushed_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    const char *jti;
    int st = mech_jwt_verify(c, cred, len, out);
    if (st != AB_MECH_OK)
        return st;
    if ((jti = mech_jwt_jti(c)) == NULL)
        return AB_MECH_INVALID_CLAIMS;
    if (set_has(c->m->family_state, jti))
        return mech_ctx_fail(c, AB_MECH_REVOKED, "token revoked (its jti is on the pushed denylist)");
    return AB_MECH_OK;
}

/* Verifies, writes and publishes the jti until the token's exp (one round trip, memcached two; it
 * blocks a loop for it: logouts are rare), and puts it in this server's set at once. */
static int pushed_revoke(ab_mech_ctx *c, const char *cred, size_t len)
{
    ab_mech_principal who;
    char jti[SSTORE_KEY_MAX + 1], msg[SSTORE_KEY_MAX + 32];
    const char *j;
    int64_t exp = 0, ttl;
    int st = mech_jwt_verify(c, cred, len, &who);
    if (st != AB_MECH_OK)
        return st;
    if ((j = mech_jwt_jti(c)) == NULL || !ajwt_vctx_claim_int(c->vctx, "exp", &exp))
        return mech_ctx_fail(c, AB_MECH_INVALID_CLAIMS, "token without a usable jti and exp");
    snprintf(jti, sizeof jti, "%s", j);
    snprintf(msg, sizeof msg, "%s %lld", jti, (long long)exp);
    ttl = exp - ab_wall_s() < 1 ? 1 : exp - ab_wall_s();
    st = sstore_pubsub_add_publish(c->pubsub, PUSHED_SET, jti, msg, ttl, PUSHED_CHANNEL, NULL);
    if (st == SSTORE_EXISTS)
        return mech_ctx_fail(c, AB_MECH_REVOKED, "token already revoked");
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_STORE_ERROR), "denylist: %s",
                             sstore_pubsub_errstr(c->pubsub));
    if (set_add(c->m->family_state, jti, strlen(jti), exp) < 0)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "out of memory");
    return AB_MECH_OK;
}

void ab_mech_shared(const ab_mech *m, ab_mech_shared_counters *out)
{
    mech_pushed *p = m->ops == &ab_mech_pushed_ops ? m->family_state : NULL;
    memset(out, 0, sizeof *out);
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    *out = p->shared;
    pthread_mutex_unlock(&p->mu);
    pthread_rwlock_rdlock(&p->lock);
    out->push_denylist = p->n;
    pthread_rwlock_unlock(&p->lock);
}

const mech_ops ab_mech_pushed_ops = {
    "jwt+pushed-denylist", "jwt+pushed-denylist:", AB_MECH_BEARER, 1,
    pushed_open, pushed_close, pushed_ctx_init, pushed_ctx_free, mech_jwt_issue, pushed_authenticate,
    pushed_revoke, NULL, NULL, NULL, MECH_OPT_CLAIMS | MECH_OPT_SYNC | MECH_OPT_STORE,
};

/* store_fill.c — what a cell's shared store holds besides the sessions its load logs in (issue 16):
 * the scenario's "sessions" filled before the servers start (sstore_fill on the run's own
 * connections, progress on stderr; a PostgreSQL table then vacuumed and checkpointed, as a production
 * one is), the store's bytes per session, and for a store-sweep cell the
 * expired sessions and their sweep `at` into the measured window — PostgreSQL's DELETE of expired
 * rows on a thread and connection of the run's own, Redis's own expiry (the fill's TTL ends then:
 * followed through INFO's expired_keys), memcached's lazy expiry (nothing runs: said so). */
#include "run_exec.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ab_mech.h>
#include <sstore.h>

#define FILL_INFLIGHT 64      /* creates in flight over sstore_fill's connections (as store-bench) */
#define FILL_LIVE_TTL_S 86400 /* the live sessions outlive any run */
#define EXPIRED_TTL_S 1       /* PostgreSQL's and memcached's expired sessions: a second after stored */
#define REDIS_POLL_US 20000u  /* INFO stats while Redis expires the sessions (the watch loop's pace) */
#define FILL_TIMEOUT_OPTION "timeout_ms=30000" /* a round trip of the fill or sweep may take 30 s */
#define FILL_BATCH 25000u     /* sessions per sstore_fill call (7 s of PostgreSQL's), then the stop flag */
#define FILL_QUIET_BELOW 10000 /* a smaller fill takes a moment: its last progress line only */

/* What the fill's progress lines need. */
typedef struct fill_progress {
    ab_run_ctx *ctx;
    const char *id, *what;
    uint64_t t0;
    uint64_t base, n;           /* sessions stored by the batches before this one, and in all */
    uint64_t next_line;         /* the count of the next line: every tenth of n */
} fill_progress;

/* sstore_fill's progress in one batch (done of its batch): a line on stderr every tenth of the whole
 * fill (its last only, for a fill under FILL_QUIET_BELOW). */
static void fill_line(void *arg, uint64_t done, uint64_t batch)
{
    fill_progress *p = arg;
    double s = (double)(ab_now_us() - p->t0) / 1e6;
    uint64_t all = p->base + done;
    (void)batch;
    ab_run_progress_tick(&p->ctx->progress); /* the bar moves through the fill too */
    if (p->ctx->quiet || all < p->next_line || (p->n < FILL_QUIET_BELOW && all < p->n))
        return;
    p->next_line = all + (p->n / 10 > 0 ? p->n / 10 : 1);
    ab_progress_done(&p->ctx->progress.bar); /* the bar's line ends before ours */
    fprintf(stderr, "authbench run: %s: stored %llu of %llu %s sessions (%.1f s, %.0f sessions/s)\n", p->id,
            (unsigned long long)all, (unsigned long long)p->n, p->what, s, s > 0 ? (double)all / s : 0);
}

/* The store URI of the cell's store as the run reaches it itself (never through the proxy). */
static void direct_uri(const ab_run_rep_env *e, char *out, size_t len)
{
    if (e->cluster != NULL)
        ab_fmt(out, len, "%s", e->cluster->uri);
    else if (e->srv != NULL)
        ab_fmt(out, len, "%s", e->srv->url);
    else if (e->redis != NULL)
        ab_run_redis_uri(e->redis, e->redis->host, e->redis->port, out, len);
    else
        out[0] = '\0';
    /* the fill is never measured: a checkpoint or autovacuum stalling a commit for seconds on a busy
     * machine must not fail it (10^6 PostgreSQL sessions once failed at 904,122 on the 2 s default) */
    if (out[0] != '\0')
        ab_fmt(out + strlen(out), len - strlen(out), "%c%s", strchr(out, '?') ? '&' : '?', FILL_TIMEOUT_OPTION);
}

/* What the store reports holding (sstore_stored_bytes), or -1. */
static long long stored_bytes(sstore *st)
{
    sstore_conn *c = sstore_connect(st);
    long long n = c != NULL && sstore_conn_err(c) == SSTORE_OK ? sstore_stored_bytes(c) : -1;
    sstore_conn_free(c);
    return n;
}

/* n sessions of ttl_s into st, with the cell's claims, in batches of FILL_BATCH (so an interruption
 * is heard within one). 0, or -1 with err. */
static int fill(ab_run_ctx *ctx, sstore *st, const ab_res_cell *c, uint64_t n, int64_t ttl_s,
                const char *what, char *err, size_t errlen)
{
    char claims[AB_MECH_CLAIMS_LIMIT + 1], why[512], jti[SSTORE_ID_LEN + 1];
    size_t len;
    fill_progress p = {ctx, c->id, what, ab_now_us(), 0, n, n / 10 > 0 ? n / 10 : 1};
    /* the claims a login issues, of the cell's size (a jti as long as a real one); one set for all */
    len = n > 0 && sstore_id_new(jti) == SSTORE_OK
              ? ab_mech_claims_sized("fill", (int64_t)time(NULL), ttl_s, jti, c->claims_bytes, claims, sizeof claims)
              : 0;
    for (; p.base < n && ab_run_stop_signal == 0; p.base += FILL_BATCH) {
        uint64_t batch = n - p.base < FILL_BATCH ? n - p.base : FILL_BATCH;
        if (len == 0 || sstore_fill(st, batch, claims, len, ttl_s, FILL_INFLIGHT, fill_line, &p, why, sizeof why) < 0) {
            ab_fmt(err, errlen, "filling %llu %s sessions: %s (after %llu)", (unsigned long long)n, what,
                   len == 0 ? "no claims" : why, (unsigned long long)p.base);
            return -1;
        }
    }
    if (ab_run_stop_signal != 0)
        return ab_fmt(err, errlen, "interrupted"), -1;
    return 0;
}

/* Redis's expired_keys counter (INFO stats), or -1. */
static long long redis_expired_keys(const ab_run_redis *r)
{
    char text[4096];
    const char *k;
    if (r == NULL || ab_run_redis_text(r, "INFO stats", text, sizeof text) != 0 ||
        (k = strstr(text, "expired_keys:")) == NULL)
        return -1;
    return atoll(k + strlen("expired_keys:"));
}

/* Seconds from now until the load's window begins, as the estimate has it: the servers start, the
 * load logs its users in (15,000 a second for sessions, matrix.c), then warms up. */
static double window_lead_s(const ab_res_cell *c)
{
    return 0.3 + 0.05 * c->servers + (double)c->users / 15000.0 + (double)c->warmup_us / 1e6;
}

/* The expired sessions of a store-sweep cell and how they will go. 0, or -1 with err. */
static int fill_expired(ab_run_ctx *ctx, ab_run_rep_env *e, sstore *st, const ab_res_cell *c, char *err,
                        size_t errlen)
{
    ab_run_sweep *sw = &e->sweep;
    int64_t ttl = EXPIRED_TTL_S;
    sw->active = 1;
    if (e->srv == NULL) { /* Redis: its TTL ends `at` into the window (the fill's first session's) */
        double fill_s = (double)c->sweep_expired / AB_RUN_FILL_RATE_REDIS;
        ttl = (int64_t)ceil(fill_s + window_lead_s(c) + (double)c->sweep_at_us / 1e6);
        ab_fmt(sw->method, sizeof sw->method, "redis-expiry");
    } else
        ab_fmt(sw->method, sizeof sw->method, "%s", strcmp(c->store, "postgres") == 0 ? "delete" : "memcached-lazy");
    sw->expired_keys0 = e->srv == NULL ? redis_expired_keys(e->redis) : -1;
    if (fill(ctx, st, c, c->sweep_expired, ttl, "expired", err, errlen) != 0)
        return -1;
    sw->filled_us = ab_now_us();
    return 0;
}

int ab_run_fill_rep(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, ab_res_rep *rep, char *err,
                    size_t errlen)
{
    sstore *st;
    long long before, after;
    int rc = 0;
    memset(&e->sweep, 0, sizeof e->sweep);
    if (c->sessions == 0 && c->sweep_expired == 0)
        return 0;
    direct_uri(e, e->sweep.uri, sizeof e->sweep.uri);
    if ((st = sstore_open(e->sweep.uri)) == NULL || sstore_err(st) != SSTORE_OK) {
        ab_fmt(err, errlen, "cannot open the cell's store to fill it: %s", st != NULL ? sstore_errstr(st) : "out of memory");
        sstore_close(st);
        return -1;
    }
    before = stored_bytes(st);
    rc = fill(ctx, st, c, c->sessions, FILL_LIVE_TTL_S, "live", err, errlen);
    if (rc == 0 && c->sweep_expired > 0)
        rc = fill_expired(ctx, e, st, c, err, errlen);
    if (rc == 0 && e->srv != NULL && strcmp(c->store, "postgres") == 0 && ab_run_pg_settle(e->srv) != 0) {
        ab_fmt(err, errlen, "the filled table: VACUUM ANALYZE and CHECKPOINT failed");
        rc = -1;
    }
    after = rc == 0 ? stored_bytes(st) : -1;
    if (rc == 0 && before >= 0 && after > before)
        rep->store_bytes_per_session = (double)(after - before) / (double)(c->sessions + c->sweep_expired);
    rep->sessions_live = (double)c->sessions + (strcmp(c->family, "session") == 0 ? c->users : 0);
    sstore_close(st);
    return rc;
}

/* The sweep thread: sstore_sweep() on a connection of its own, timed. */
static void *sweep_main(void *arg)
{
    ab_run_sweep *sw = arg;
    sstore *st = sstore_open(sw->uri);
    sstore_conn *c = st != NULL && sstore_err(st) == SSTORE_OK ? sstore_connect(st) : NULL;
    uint64_t ready = sw->filled_us + EXPIRED_TTL_S * 1000000u + 100000u, now = ab_now_us();
    struct timespec ts;
    if (now < ready) { /* the last of them expires a second after it was stored */
        ts.tv_sec = (time_t)((ready - now) / 1000000u);
        ts.tv_nsec = (long)((ready - now) % 1000000u) * 1000;
        nanosleep(&ts, NULL);
    }
    sw->start_us = ab_now_us();
    sw->removed = c != NULL && sstore_conn_err(c) == SSTORE_OK ? sstore_sweep(c) : -1;
    sw->end_us = ab_now_us();
    if (sw->removed < 0)
        ab_fmt(sw->note, sizeof sw->note, "the sweep failed: %s",
               c != NULL ? sstore_conn_errstr(c) : st != NULL ? sstore_errstr(st) : "out of memory");
    sstore_conn_free(c);
    sstore_close(st);
    return NULL;
}

/* Redis: follows its expired_keys from the window's start until all the expired sessions are gone:
 * the sweep began after the last poll that saw none expired and ended by the first that saw all
 * (its length an upper bound at the polls' 20 ms resolution). */
static void redis_follow(ab_run_rep_env *e, const ab_res_cell *c, uint64_t now)
{
    ab_run_sweep *sw = &e->sweep;
    long long k;
    if (sw->end_us != 0 || now < sw->polled_us + REDIS_POLL_US || (k = redis_expired_keys(e->redis)) < 0)
        return;
    if (sw->polled_us == 0 && k > sw->expired_keys0)
        ab_fmt(sw->note, sizeof sw->note, "Redis began expiring them before the window (its TTL, from an "
                                          "estimate of the logins and warm-up, ended early)");
    sw->removed = k - sw->expired_keys0;
    if (sw->removed > 0 && sw->start_us == 0) /* it began after the last poll that saw none */
        sw->start_us = sw->polled_us != 0 ? sw->polled_us : now;
    sw->polled_us = now;
    if (sw->removed >= (long long)c->sweep_expired)
        sw->end_us = now;
}

void ab_run_sweep_watch(ab_run_rep_env *e, const ab_res_cell *c, uint64_t window_us, uint64_t now)
{
    ab_run_sweep *sw = &e->sweep;
    if (!sw->active || window_us == 0)
        return;
    if (strcmp(sw->method, "redis-expiry") == 0) {
        redis_follow(e, c, now);
        return;
    }
    if (sw->started || now < window_us + c->sweep_at_us)
        return;
    sw->started = 1;
    if (strcmp(sw->method, "memcached-lazy") == 0) { /* memcached drops an item when it is next read */
        sw->start_us = sw->end_us = now;
        ab_fmt(sw->note, sizeof sw->note, "memcached expires items lazily (when read) and by its LRU crawler: "
                                          "nothing ran at the sweep's time, removed unknown");
        return;
    }
    sw->thread = pthread_create(&sw->tid, NULL, sweep_main, sw) == 0;
    if (!sw->thread)
        ab_fmt(sw->note, sizeof sw->note, "cannot start the sweep's thread");
}

void ab_run_sweep_finish(ab_run_rep_env *e, const ab_res_cell *c, uint64_t window_us, ab_res_rep *rep)
{
    ab_run_sweep *sw = &e->sweep;
    if (!sw->active)
        return;
    if (sw->thread)
        pthread_join(sw->tid, NULL);
    sw->thread = 0;
    if (strcmp(sw->method, "redis-expiry") == 0 && sw->end_us == 0) {
        redis_follow(e, c, ab_now_us() + REDIS_POLL_US); /* the last count, at the load's exit */
        if (sw->start_us != 0 && sw->end_us == 0)
            ab_fmt(sw->note, sizeof sw->note, "Redis had expired %lld of %llu sessions when the window ended",
                   sw->removed, (unsigned long long)c->sweep_expired);
        sw->end_us = sw->start_us != 0 ? ab_now_us() : 0;
    }
    ab_fmt(rep->sweep_method, sizeof rep->sweep_method, "%s", sw->method);
    ab_fmt(rep->sweep_note, sizeof rep->sweep_note, "%s", sw->note);
    if (sw->start_us == 0 || window_us == 0) {
        if (rep->sweep_note[0] == '\0')
            ab_fmt(rep->sweep_note, sizeof rep->sweep_note, "the sweep did not run in the window");
        return;
    }
    rep->sweep_at_s = ((double)sw->start_us - (double)window_us) / 1e6;
    rep->sweep_end_s = ((double)sw->end_us - (double)window_us) / 1e6;
    if (strcmp(sw->method, "memcached-lazy") != 0) {
        rep->sweep_removed = sw->removed >= 0 ? (double)sw->removed : -1;
        rep->sweep_ms = ((double)sw->end_us - (double)sw->start_us) / 1e3;
    }
}

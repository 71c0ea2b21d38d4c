/* load_run.c — one run of the load generator: probes the targets, starts the threads, lets them log
 * the users in, sets one common timeline (warm-up, measured window), shows progress, snapshots the
 * servers' /stats around the window, joins and merges. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ab_cli.h"
#include "load_int.h"
#include "load_server.h"

static volatile sig_atomic_t abl_never_stop;

void ab_load_config_defaults(ab_load_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->lb = AB_LOAD_LB_RR;
    cfg->connections = 10;
    cfg->threads = 2;
    cfg->duration_us = 10000000u;
    cfg->warmup_us = 1000000u;
    cfg->users = 100;
    cfg->mix_request = 1;
    snprintf(cfg->path, sizeof cfg->path, "/api/x");
    cfg->timeout_us = 2000000u;
    cfg->seed = 1;
    cfg->shard_index = cfg->shard_count = 1;
    cfg->fetch_stats = 1;
}

void ab_load_result_free(ab_load_result *r)
{
    size_t i;
    if (r == NULL)
        return;
    abl_stats_free(&r->stats);
    abl_stats_free(&r->warm);
    for (i = 0; r->server_delta != NULL && i < r->cfg.ntargets; i++)
        cJSON_Delete(r->server_delta[i]);
    free(r->server_delta);
    free(r->server_err);
    free(r->targets);
    cJSON_Delete(r->environment);
    free(r);
}

ab_load_result *abl_result_new(const ab_load_config *cfg)
{
    ab_load_result *r = calloc(1, sizeof *r);
    size_t nsecs = (size_t)((cfg->duration_us + 999999u) / 1000000u);
    if (r == NULL)
        return NULL;
    r->cfg = *cfg;
    r->targets = calloc(cfg->ntargets, sizeof *r->targets);
    r->server_delta = calloc(cfg->ntargets, sizeof *r->server_delta);
    r->server_err = calloc(cfg->ntargets, sizeof *r->server_err);
    if (r->targets == NULL || r->server_delta == NULL || r->server_err == NULL ||
        abl_stats_init(&r->stats, nsecs) != 0 || abl_stats_init(&r->warm, 0) != 0) {
        ab_load_result_free(r);
        return NULL;
    }
    memcpy(r->targets, cfg->targets, cfg->ntargets * sizeof *r->targets);
    r->cfg.targets = r->targets;
    r->started_unix = ab_wall_s();
    abl_shard_users(cfg, &r->users_first, &r->users_n);
    r->rate_eff = abl_shard_rate(cfg);
    return r;
}

/* Sleeps until the monotonic time at_ns (or returns at once when it is past). */
static void sleep_until(uint64_t at_ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(at_ns / 1000000000u);
    ts.tv_nsec = (long)(at_ns % 1000000000u);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* The threads and what they share. */
typedef struct abl_run {
    const ab_load_config *cfg;
    ab_load_result *r;
    abl_thread *ts;
    pthread_t *ids;
    unsigned started;
    abl_sync sync;
    cJSON **before; /* /stats per target at the start of the window */
} abl_run;

/* Creates and sets up the threads' state (users and clients spread evenly). 0 or -1 with err. */
static int threads_setup(abl_run *run, char *err, size_t errlen)
{
    const ab_load_config *cfg = run->cfg;
    unsigned i, T = cfg->threads;
    for (i = 0; i < T; i++) {
        abl_thread *t = &run->ts[i];
        size_t first = run->r->users_first, n = run->r->users_n;
        size_t u0 = first + n * i / T, u1 = first + n * (i + 1) / T;
        unsigned c0 = (unsigned)((uint64_t)cfg->connections * i / T);
        unsigned c1 = (unsigned)((uint64_t)cfg->connections * (i + 1) / T);
        t->cfg = cfg;
        t->index = i;
        t->sync = &run->sync;
        t->stop = cfg->stop != NULL ? cfg->stop : &abl_never_stop;
        if (abl_thread_setup(t, u0, u1 - u0, c0, c1 - c0) != 0) {
            snprintf(err, errlen, "%s", t->err);
            return -1;
        }
    }
    return 0;
}

/* Waits until every started thread finished its logins; sums them. 0 when the run can go on
 * (some users may have failed: they log in again during the run), or -1 with err. */
static int await_logins(abl_run *run, char *err, size_t errlen)
{
    ab_load_result *r = run->r;
    const char *fatal = NULL, *some = "no answer";
    unsigned i;
    pthread_mutex_lock(&run->sync.mu);
    while (run->sync.logged_in < run->started)
        pthread_cond_wait(&run->sync.cv, &run->sync.mu);
    pthread_mutex_unlock(&run->sync.mu);
    for (i = 0; i < run->started; i++) {
        abl_thread *t = &run->ts[i];
        r->login_ok += t->login_ok;
        r->login_failed += t->login_failed;
        if (t->err[0] || t->login_fatal)
            fatal = t->err[0] ? t->err : t->login_err;
        else if (t->login_failed)
            some = t->login_err;
    }
    if (run->cfg->stop != NULL && *run->cfg->stop)
        snprintf(err, errlen, "interrupted while logging the users in");
    else if (fatal != NULL)
        snprintf(err, errlen, "initial login failed: %s", fatal);
    else if (r->login_ok == 0)
        snprintf(err, errlen, "no user could log in: %s", some);
    else
        return 0;
    return -1;
}

/* The wall clock in Unix seconds, with its fraction. */
static double wall_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* When the warm-up starts (monotonic ns) into *t0: in 2 ms (every thread back in its loop), or at
 * --start-at. 0, or -1 with err when --start-at has passed already. */
static int gate_time(const ab_load_config *cfg, uint64_t *t0, char *err, size_t errlen)
{
    uint64_t now = ab_now_ns();
    double wait = cfg->start_at > 0 ? cfg->start_at - wall_now_s() : 0;
    *t0 = now + 2000000u;
    if (cfg->start_at <= 0)
        return 0;
    if (wait < 0.002) {
        snprintf(err, errlen, "--start-at was %.3f s ago when the users were logged in: give a later time",
                 -wait);
        return -1;
    }
    *t0 = now + (uint64_t)(wait * 1e9);
    return 0;
}

/* {"hostname", "cores"}: the machine this generator ran on (merged runs list theirs). */
static cJSON *host_environment(void)
{
    char host[256];
    cJSON *o = cJSON_CreateObject();
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    cJSON_AddStringToObject(o, "hostname", host);
    cJSON_AddNumberToObject(o, "cores", (double)sysconf(_SC_NPROCESSORS_ONLN));
    return o;
}

/* Opens the gate: sets one timeline from t0 for every thread (end_ns 0 = abort) and wakes them. */
static void open_gate(abl_run *run, uint64_t t0, int abort_run)
{
    unsigned i;
    for (i = 0; i < run->started; i++) {
        abl_thread *t = &run->ts[i];
        t->run_ns = t0;
        t->measure_ns = t0 + run->cfg->warmup_us * 1000u;
        t->end_ns = abort_run ? 0 : t->measure_ns + run->cfg->duration_us * 1000u;
    }
    run->r->window_start_unix_ms = (wall_now_s() + ((double)run->ts[0].measure_ns - (double)ab_now_ns()) / 1e9) * 1e3;
    run->r->window_start_mono_us = run->ts[0].measure_ns / 1000u;
    if (!abort_run)
        fprintf(stderr, AB_LOAD_WINDOW_LINE " start_mono_us=%llu end_mono_us=%llu start_unix_ms=%.0f\n",
                (unsigned long long)(run->ts[0].measure_ns / 1000u), (unsigned long long)(run->ts[0].end_ns / 1000u),
                run->r->window_start_unix_ms);
    pthread_mutex_lock(&run->sync.mu);
    run->sync.go = 1;
    pthread_cond_broadcast(&run->sync.cv);
    pthread_mutex_unlock(&run->sync.mu);
}

/* GET /stats from every target; a target that fails keeps NULL and its reason. */
static void snapshot(abl_run *run, cJSON **out)
{
    size_t i;
    for (i = 0; i < run->cfg->ntargets; i++)
        out[i] = abl_server_stats(&run->cfg->targets[i], run->r->server_err[i], sizeof run->r->server_err[i]);
}

/* Progress until the end of the window (or a stop); takes the "before" snapshot at its start. */
static void watch(abl_run *run)
{
    const ab_load_config *cfg = run->cfg;
    ab_progress pg;
    uint64_t run_ns = run->ts[0].run_ns, measure_ns = run->ts[0].measure_ns, end_ns = run->ts[0].end_ns;
    uint64_t last_n = 0, last_t = ab_now_ns();
    int snapped = !cfg->fetch_stats;
    char extra[64] = "";
    ab_progress_init(&pg, cfg->progress);
    for (;;) {
        uint64_t now = ab_now_ns(), n = 0, next;
        unsigned i;
        if (!snapped && now >= measure_ns) {
            snapshot(run, run->before);
            snapped = 1;
        }
        if (now >= end_ns || (cfg->stop != NULL && *cfg->stop))
            break;
        for (i = 0; i < run->started; i++)
            n += atomic_load_explicit(&run->ts[i].live_requests, memory_order_relaxed);
        if (now > last_t + 500000000u) {
            snprintf(extra, sizeof extra, "%.0f req/s", (double)(n - last_n) * 1e9 / (double)(now - last_t));
            last_n = n;
            last_t = now;
        }
        ab_progress_update(&pg, now < run_ns ? "start-at" : now < measure_ns ? "warm-up" : "measure",
                           now > run_ns ? (double)(now - run_ns) / 1e9 : 0,
                           (double)(end_ns - run_ns) / 1e9, extra);
        next = now + 100000000u;
        sleep_until(!snapped && measure_ns < next ? measure_ns : next < end_ns ? next : end_ns);
    }
    ab_progress_done(&pg);
}

/* Joins the threads; merges their statistics into the result. 0, or -1 with err. */
static int join_merge(abl_run *run, char *err, size_t errlen)
{
    unsigned i;
    int rc = 0;
    for (i = 0; i < run->started; i++) {
        void *res = NULL;
        if (pthread_join(run->ids[i], &res) != 0)
            res = &run->ts[i];
        if (res != NULL && rc == 0) {
            snprintf(err, errlen, "thread %u: %s", i, run->ts[i].err);
            rc = -1;
        }
        if (abl_stats_merge(&run->r->stats, &run->ts[i].stats) != 0 ||
            abl_stats_merge(&run->r->warm, &run->ts[i].warm) != 0) {
            snprintf(err, errlen, "cannot merge thread statistics");
            rc = -1;
        }
    }
    run->started = 0;
    return rc;
}

/* The "after" snapshot and the per-target differences. */
static void server_deltas(abl_run *run)
{
    size_t i;
    for (i = 0; i < run->cfg->ntargets; i++) {
        cJSON *after;
        if (run->before[i] == NULL)
            continue;
        after = abl_server_stats(&run->cfg->targets[i], run->r->server_err[i], sizeof run->r->server_err[i]);
        if (after != NULL)
            run->r->server_delta[i] = abl_json_delta(run->before[i], after);
        cJSON_Delete(after);
    }
}

/* Starts the threads (counted in run->started). 0 or -1 with err. */
static int threads_start(abl_run *run, char *err, size_t errlen)
{
    for (run->started = 0; run->started < run->cfg->threads; run->started++) {
        if (pthread_create(&run->ids[run->started], NULL, abl_thread_main, &run->ts[run->started]) != 0) {
            snprintf(err, errlen, "cannot start thread %u", run->started);
            return -1;
        }
    }
    return 0;
}

/* Probes every target. 0, or -1 with err and *unreachable set. */
static int probe_all(const ab_load_config *cfg, int *unreachable, char *err, size_t errlen)
{
    size_t i;
    for (i = 0; i < cfg->ntargets; i++) {
        if (abl_server_probe(&cfg->targets[i], err, errlen) != 0) {
            *unreachable = 1;
            return -1;
        }
    }
    return 0;
}

/* Login phase, timeline, window, join: the body of ab_load_run once the threads exist. */
static int run_phases(abl_run *run, char *err, size_t errlen)
{
    uint64_t t0 = ab_now_ns(), end_ns, gate = 0;
    int rc = threads_start(run, err, errlen);
    if (rc == 0)
        rc = await_logins(run, err, errlen);
    else
        await_logins(run, err + strlen(err), 0);
    run->r->login_s = (double)(ab_now_ns() - t0) / 1e9;
    if (rc == 0)
        rc = gate_time(run->cfg, &gate, err, errlen);
    open_gate(run, gate, rc != 0);
    if (rc == 0)
        watch(run);
    end_ns = ab_now_ns();
    if (join_merge(run, err, errlen) != 0 || rc != 0)
        return -1;
    run->r->interrupted = end_ns < run->ts[0].end_ns;
    if (end_ns > run->ts[0].end_ns)
        end_ns = run->ts[0].end_ns;
    run->r->window_s = end_ns > run->ts[0].measure_ns ? (double)(end_ns - run->ts[0].measure_ns) / 1e9 : 0;
    run->r->window_end_mono_us = (end_ns > run->ts[0].measure_ns ? end_ns : run->ts[0].measure_ns) / 1000u;
    if (run->cfg->fetch_stats)
        server_deltas(run);
    return 0;
}

ab_load_result *ab_load_run(const ab_load_config *cfg, int *unreachable, char *err, size_t errlen)
{
    abl_run run;
    unsigned i;
    int rc = -1;
    memset(&run, 0, sizeof run);
    *unreachable = 0;
    run.cfg = cfg;
    if (pthread_mutex_init(&run.sync.mu, NULL) != 0 || pthread_cond_init(&run.sync.cv, NULL) != 0) {
        snprintf(err, errlen, "cannot create the thread rendezvous");
        return NULL; /* nothing else exists yet (both are plain in-memory objects on Linux) */
    }
    if (probe_all(cfg, unreachable, err, errlen) != 0)
        goto done;
    run.r = abl_result_new(cfg);
    run.ts = calloc(cfg->threads, sizeof *run.ts);
    run.ids = calloc(cfg->threads, sizeof *run.ids);
    run.before = calloc(cfg->ntargets, sizeof *run.before);
    if (run.r == NULL || run.ts == NULL || run.ids == NULL || run.before == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    run.cfg = &run.r->cfg;
    run.r->environment = host_environment();
    if (threads_setup(&run, err, errlen) == 0)
        rc = run_phases(&run, err, errlen);
done:
    for (i = 0; run.ts != NULL && i < cfg->threads; i++)
        abl_thread_cleanup(&run.ts[i]);
    for (i = 0; run.before != NULL && i < cfg->ntargets; i++)
        cJSON_Delete(run.before[i]);
    free(run.before);
    free(run.ts);
    free(run.ids);
    pthread_mutex_destroy(&run.sync.mu);
    pthread_cond_destroy(&run.sync.cv);
    if (rc != 0) {
        ab_load_result_free(run.r);
        return NULL;
    }
    return run.r;
}

/* load_thread.c — one load thread's state machine and event loop: its share of users and clients,
 * the initial logins, and the run (closed loop: next request when the answer arrives; open loop:
 * each client paced at rate/connections, latency from the intended send time), with its own
 * counters and histograms; epoll + one timerfd, a housekeeping tick (timeouts, stop flag,
 * progress), setup and teardown. Its clients (load_client.c) report back through on_done. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_net.h"
#include "load_int.h"

/* Queues c's timer for due; a failed allocation ends the thread's run. */
static void client_wait(abl_client *c, uint64_t due)
{
    c->state = ABL_C_WAIT;
    if (ab_timerq_add(c->t->timers, &c->timer, due) != 0) {
        snprintf(c->t->err, sizeof c->t->err, "out of memory");
        c->t->phase = ABL_PHASE_DONE;
    }
}

/* Chooses a user and an operation: a user drawn from the key distribution (the next free one if it
 * is busy logging in or out), logged in first if it is logged out; a login/logout drawn for a user
 * with requests in flight becomes a request (counted in mix_deferred). NULL when every user is busy. */
static abl_user *pick_user(abl_thread *t, abl_op *op, uint64_t now)
{
    abl_op want = abl_mix_sample(t->cfg, &t->rng);
    size_t k = abl_keys_sample(&t->keys, &t->rng), probe;
    for (probe = 0; probe < t->nusers; probe++) {
        abl_user *u = &t->users[(k + probe) % t->nusers];
        if (u->state == ABL_USER_BUSY)
            continue;
        if (u->state == ABL_USER_OUT) {
            *op = ABL_OP_LOGIN;
            return u;
        }
        *op = u->stale && u->refresh != NULL && u->inflight == 0 ? ABL_OP_REFRESH : want;
        if (*op != ABL_OP_REQUEST && *op != ABL_OP_REFRESH && u->inflight > 0) {
            *op = ABL_OP_REQUEST;
            (now >= t->measure_ns ? &t->stats : &t->warm)->mix_deferred++;
        }
        return u;
    }
    return NULL;
}

/* Counts a send of the run (warm-up or window) and, in open loop, how late it went out. */
static void count_send(abl_thread *t, uint64_t intended, uint64_t now)
{
    abl_stats *s = now >= t->measure_ns ? &t->stats : &t->warm;
    s->sent++;
    if (t->interval_ns)
        ab_hist_record(s->lag, now > intended ? now - intended : 0);
}

/* Starts c's request for user u: the balancer picks the target, the prebuilt buffer goes out. */
static void start(abl_client *c, abl_user *u, abl_op op, uint64_t intended, uint64_t now)
{
    abl_thread *t = c->t;
    c->user = u;
    c->op = op;
    c->cur = &c->socks[abl_lb_pick(t->cfg, u, &t->rr, &t->rng)];
    c->intended_ns = intended;
    c->away = op != ABL_OP_LOGIN && c->cur->target != u->home;
    if (op == ABL_OP_REQUEST) {
        u->inflight++;
        c->wbuf = u->req;
        c->wlen = u->req_len;
    } else {
        u->state = ABL_USER_BUSY;
        c->wbuf = op == ABL_OP_LOGIN ? u->login : op == ABL_OP_REFRESH ? u->refresh : u->logout;
        c->wlen = op == ABL_OP_LOGIN ? u->login_len : op == ABL_OP_REFRESH ? u->refresh_len : u->logout_len;
    }
    if (t->phase == ABL_PHASE_RUN)
        count_send(t, intended, now);
    if (abl_client_send(c, now))
        t->stats.connects += t->phase == ABL_PHASE_RUN && now >= t->measure_ns;
}

/* Sends c's next request now (its timer fired, or it is due). */
static void fire(abl_client *c, uint64_t now)
{
    abl_thread *t = c->t;
    abl_op op;
    abl_user *u;
    if (now >= t->end_ns || t->phase != ABL_PHASE_RUN) {
        c->state = ABL_C_IDLE;
        return;
    }
    if ((u = pick_user(t, &op, now)) == NULL) {
        client_wait(c, now + 100000u); /* every user busy: fewer users than clients */
        return;
    }
    if (t->interval_ns == 0) {
        start(c, u, op, now, now);
        return;
    }
    c->next_ns += t->interval_ns;
    start(c, u, op, c->next_ns - t->interval_ns, now);
}

/* Picks and sends c's next request, at once or at its open-loop time. */
static void thread_next(abl_client *c, uint64_t now)
{
    uint64_t due = c->t->interval_ns ? c->next_ns : now;
    if (due > now)
        client_wait(c, due);
    else
        fire(c, now);
}

/* Sends the next initial login of this thread's users on c, if any is left. */
static void login_next(abl_client *c, uint64_t now)
{
    abl_thread *t = c->t;
    if (t->login_fatal || t->login_next >= t->nusers || *t->stop) {
        c->state = ABL_C_IDLE;
        return;
    }
    t->login_pending++;
    start(c, &t->users[t->login_next++], ABL_OP_LOGIN, now, now);
}

/* Updates the user after its operation ended; 1 when a login gave a usable credential. */
static int user_done(abl_client *c, int status)
{
    abl_user *u = c->user;
    if (c->op == ABL_OP_REQUEST) {
        u->inflight--;
        u->stale |= status == 401 && u->refresh != NULL;
        return 0;
    }
    if (c->op == ABL_OP_REFRESH && status != 200) { /* refused (logged out elsewhere): log in again */
        abl_user_clear_credential(u);
        u->state = ABL_USER_OUT;
        return 0;
    }
    if (c->op == ABL_OP_LOGOUT) {
        abl_user_clear_credential(u);
        u->state = ABL_USER_OUT;
        return 0;
    }
    if (status == 200 && abl_user_set_credential(u, c->body, c->body_len, c->t->cfg) == 0) {
        u->state = ABL_USER_IN;
        u->home = c->cur->target;
        return 1;
    }
    u->state = u->req != NULL ? ABL_USER_IN : ABL_USER_OUT;
    return 0;
}

/* Counts the answer (or error) into the warm-up or the measured statistics. A successful answer
 * (2xx) is timed in the main histograms; a failed one (any other status, 401 too; a timeout; a
 * login answered without a credential) in lat_failed alone, so that fast refusals or slow timeouts
 * never pass for the latency of served requests. Transport errors are counted, not timed. */
static void record(abl_thread *t, abl_client *c, uint64_t now, int status, abl_err err)
{
    abl_stats *s = now >= t->measure_ns ? &t->stats : &t->warm;
    abl_second *sec = NULL;
    uint64_t lat = now > c->intended_ns ? now - c->intended_ns : 0;
    int ok = err == ABL_ERR_NONE && status >= 200 && status < 300;
    if (now < t->run_ns || now >= t->end_ns)
        return;
    if (s == &t->stats && (now - t->measure_ns) / 1000000000u < s->nsecs)
        sec = &s->secs[(now - t->measure_ns) / 1000000000u];
    if (err != ABL_ERR_NONE)
        s->errors[err]++;
    else if (ok)
        s->ok++;
    else if (status == 401)
        s->auth_failures++;
    else
        s->errors[status >= 500 ? ABL_ERR_HTTP_5XX : status >= 400 ? ABL_ERR_HTTP_4XX : ABL_ERR_HTTP_OTHER]++;
    if (sec != NULL) {
        sec->errors += err != ABL_ERR_NONE || (status != 401 && !ok);
        sec->auth_failures += status == 401;
        sec->ok += ok;
    }
    if (err != ABL_ERR_NONE && err != ABL_ERR_TIMEOUT && err != ABL_ERR_LOGIN)
        return; /* no answer, no latency: transport errors are counted, not timed */
    s->requests++;
    s->by_op[c->op]++; /* per operation, bytes per request: over requests that were answered */
    s->away += (uint64_t)c->away;
    s->bytes_out[c->op] += c->woff;
    s->bytes_in[c->op] += c->rbytes;
    if (sec != NULL)
        sec->requests++;
    if (!ok) {
        ab_hist_record(s->lat_failed, lat);
        return;
    }
    ab_hist_record(s->lat, lat);
    ab_hist_record(s->lat_unc, now > c->sent_ns ? now - c->sent_ns : 0);
    if (sec != NULL)
        ab_hist_record(sec->lat, lat);
}

/* One initial login ended: counts it and moves c to the next one. */
static void login_done(abl_client *c, uint64_t now, int status, abl_err err, int usable)
{
    abl_thread *t = c->t;
    const char *target = t->cfg->targets[c->cur->target].name;
    t->login_pending--;
    if (err != ABL_ERR_NONE) {
        t->login_fatal = 1;
        snprintf(t->login_err, sizeof t->login_err, "%s: %s error while logging %s in", target,
                 abl_err_names[err], c->user->name);
    } else if (usable) {
        t->login_ok++;
    } else {
        t->login_failed++;
        snprintf(t->login_err, sizeof t->login_err, "%s answered HTTP %d to POST /login?user=%s%s", target,
                 status, c->user->name, status == 200 ? " without a usable credential" : "");
    }
    login_next(c, now);
}

/* The clients' hook (abl_client_done_fn): an answer, or an error, ended c's request. */
static void on_done(abl_client *c, uint64_t now, int status, abl_err err)
{
    abl_thread *t = c->t;
    int usable = user_done(c, status);
    if (err == ABL_ERR_NONE && status == 200 && c->op == ABL_OP_LOGIN && !usable)
        err = ABL_ERR_LOGIN;
    if (t->phase == ABL_PHASE_LOGIN) {
        login_done(c, now, status, err == ABL_ERR_LOGIN ? ABL_ERR_NONE : err, usable);
        return;
    }
    record(t, c, now, status, err);
    if (err != ABL_ERR_NONE && err != ABL_ERR_LOGIN) {
        uint64_t retry = now + (err == ABL_ERR_CONNECT ? ABL_RETRY_NS : 1);
        client_wait(c, t->interval_ns && c->next_ns > retry ? c->next_ns : retry);
        return;
    }
    thread_next(c, now);
}

/* The initial logins of this thread's users, as many at once as it has clients. */
static void login_start(abl_thread *t)
{
    uint64_t now = ab_now_ns();
    unsigned i;
    t->phase = ABL_PHASE_LOGIN;
    t->login_start_ns = now;
    for (i = 0; i < t->nclients; i++)
        login_next(&t->clients[i], now);
}

/* The run from t->run_ns: every client waits for its first send time. */
static void run_start(abl_thread *t)
{
    uint64_t clients = t->cfg->connections;
    unsigned i;
    t->phase = ABL_PHASE_RUN;
    t->cpu_mark_ns = -1;
    if (ab_timerq_add(t->timers, &t->mark, t->measure_ns) != 0) {
        snprintf(t->err, sizeof t->err, "out of memory");
        t->phase = ABL_PHASE_DONE;
        return;
    }
    for (i = 0; i < t->nclients; i++) {
        abl_client *c = &t->clients[i];
        /* open loop: clients start spread over one interval, so the rate is smooth from the start */
        c->next_ns = t->run_ns + (t->interval_ns ? t->interval_ns * c->gindex / clients : 0);
        client_wait(c, c->next_ns);
    }
}

/* Housekeeping every ABL_TICK_NS: timeouts, the stop flag, the end of the run, progress. */
static void tick(abl_thread *t, uint64_t now)
{
    unsigned i;
    for (i = 0; i < t->nclients; i++)
        abl_client_check_timeout(&t->clients[i], now);
    atomic_store_explicit(&t->live_requests, t->stats.requests + t->warm.requests, memory_order_relaxed);
    if (t->phase == ABL_PHASE_LOGIN && !t->login_fatal && now - t->login_start_ns > ABL_LOGIN_MAX_NS) {
        t->login_fatal = 1; /* bounded: a server that answers logins too slowly ends the run */
        snprintf(t->login_err, sizeof t->login_err, "%zu of %zu users still not logged in after %llu s",
                 t->nusers - (size_t)t->login_ok, t->nusers, ABL_LOGIN_MAX_NS / 1000000000ull);
    }
    if (*t->stop || (t->phase == ABL_PHASE_RUN && now >= t->end_ns)) {
        if (t->phase == ABL_PHASE_RUN)
            t->phase = ABL_PHASE_DONE;
        if (*t->stop)
            return;
    }
    if (t->phase == ABL_PHASE_DONE)
        return;
    if (ab_timerq_add(t->timers, &t->tick,
                      t->phase == ABL_PHASE_RUN && t->end_ns < now + ABL_TICK_NS ? t->end_ns : now + ABL_TICK_NS) != 0)
        t->phase = ABL_PHASE_DONE;
}

/* This thread's CPU time (user + system), ns. */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs every timer that is due. */
static void timers_fire(abl_thread *t)
{
    uint64_t now = ab_now_ns();
    ab_timer *tm;
    while ((tm = ab_timerq_pop_due(t->timers, now)) != NULL) {
        if (tm == &t->tick) {
            tick(t, now);
        } else if (tm == &t->mark) {
            t->cpu_mark_ns = (int64_t)thread_cpu_ns();
        } else {
            abl_client *c = (abl_client *)(void *)((char *)tm - offsetof(abl_client, timer));
            thread_next(c, now);
        }
    }
}

/* 1 while the login phase has work: logins left to send or answers to wait for. */
static int login_busy(const abl_thread *t)
{
    return !*t->stop && (t->login_pending > 0 || (!t->login_fatal && t->login_next < t->nusers));
}

/* Runs the event loop while busy(t). 0, or -1 with t->err set. */
static int loop(abl_thread *t, int login)
{
    struct epoll_event evs[256];
    while (login ? login_busy(t) : t->phase == ABL_PHASE_RUN) {
        int i, n = ab_net_wait(t->epfd, evs, (int)(sizeof evs / sizeof evs[0]), -1, t->err, sizeof t->err);
        if (n < 0)
            return -1;
        for (i = 0; i < n; i++) {
            if (evs[i].data.ptr != t->timers) {
                abl_client_event(evs[i].data.ptr, evs[i].events);
            } else if (ab_timerq_ack(t->timers, NULL) == 0) {
                timers_fire(t);
            }
        }
        if (ab_timerq_arm(t->timers, 0) != 0) {
            snprintf(t->err, sizeof t->err, "timerfd_settime: %s", strerror(errno));
            return -1;
        }
    }
    return t->err[0] ? -1 : 0;
}

/* The window's end figures: the thread's CPU over the window, how far behind its schedule the most
 * behind client was (open loop: the intended time of its next request, not yet sent), the requests
 * still in flight; closes every socket. */
static void finish_run(abl_thread *t)
{
    uint64_t now = ab_now_ns(), end = now < t->end_ns ? now : t->end_ns;
    unsigned i;
    if (t->cpu_mark_ns >= 0)
        t->stats.cpu_ns = thread_cpu_ns() - (uint64_t)t->cpu_mark_ns;
    ab_timerq_remove(t->timers, &t->mark);
    for (i = 0; i < t->nclients; i++) {
        abl_client *c = &t->clients[i];
        t->stats.in_flight_at_end += c->state == ABL_C_SEND || c->state == ABL_C_RECV;
        if (t->interval_ns && end >= t->measure_ns && c->next_ns < end && end - c->next_ns > t->stats.backlog_ns)
            t->stats.backlog_ns = end - c->next_ns;
        ab_timerq_remove(t->timers, &c->timer);
        abl_client_close_all(c);
    }
    atomic_store_explicit(&t->live_requests, t->stats.requests + t->warm.requests, memory_order_relaxed);
}

void *abl_thread_main(void *arg)
{
    abl_thread *t = arg;
    int rc;
    /* open-loop send times are sub-millisecond: do not let the default 50 us slack blur them */
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
        snprintf(t->err, sizeof t->err, "prctl(PR_SET_TIMERSLACK): %s", strerror(errno));
    login_start(t);
    rc = t->err[0] ? -1 : ab_timerq_add(t->timers, &t->tick, ab_now_ns() + ABL_TICK_NS);
    if (rc == 0 && (rc = loop(t, 1)) == 0 && ab_timerq_arm(t->timers, 0) != 0)
        rc = -1;
    if (rc != 0)
        t->login_fatal = 1;
    pthread_mutex_lock(&t->sync->mu); /* report the logins done, wait for the run times */
    t->sync->logged_in++;
    pthread_cond_broadcast(&t->sync->cv);
    while (!t->sync->go)
        pthread_cond_wait(&t->sync->cv, &t->sync->mu);
    pthread_mutex_unlock(&t->sync->mu);
    if (t->end_ns == 0)
        return rc != 0 ? t : NULL;
    run_start(t);
    rc = loop(t, 0);
    finish_run(t);
    return rc != 0 ? t : NULL;
}

/* Creates the epoll and the timer queue, watches the timerfd, and gives the clients' environment
 * the epoll set. 0 or -1. */
static int loop_open(abl_thread *t)
{
    struct epoll_event ev;
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (t->epfd < 0 || (t->timers = ab_timerq_new()) == NULL)
        return -1;
    ev.events = EPOLLIN;
    ev.data.ptr = t->timers;
    abl_client_env_init(&t->env, t->cfg, t->epfd, t->rbuf, sizeof t->rbuf, on_done);
    return epoll_ctl(t->epfd, EPOLL_CTL_ADD, ab_timerq_fd(t->timers), &ev);
}

/* Allocates the users, their key distribution, the clients and their sockets. 0 or -1. */
static int alloc_work(abl_thread *t, size_t first_user, size_t nusers, unsigned first_client, unsigned nclients)
{
    const ab_load_config *cfg = t->cfg;
    abl_sock *socks;
    unsigned i;
    t->nusers = nusers;
    t->nclients = nclients;
    t->users = calloc(nusers ? nusers : 1, sizeof *t->users);
    t->clients = calloc(nclients ? nclients : 1, sizeof *t->clients);
    socks = calloc((size_t)nclients * cfg->ntargets + 1, sizeof *socks);
    if (t->users == NULL || t->clients == NULL || socks == NULL) {
        free(socks);
        return -1;
    }
    for (i = 0; i < nclients; i++) {
        abl_client_init(&t->clients[i], &t->env, socks + (size_t)i * cfg->ntargets);
        t->clients[i].t = t;
        t->clients[i].gindex = first_client + i;
    }
    if (nclients == 0)
        free(socks);
    return abl_users_init(t->users, first_user, nusers, cfg) != 0 ||
                   abl_keys_init(&t->keys, nusers, cfg->zipf_theta) != 0
               ? -1
               : 0;
}

int abl_thread_setup(abl_thread *t, size_t first_user, size_t nusers, unsigned first_client, unsigned nclients)
{
    const ab_load_config *cfg = t->cfg;
    size_t nsecs = (size_t)((cfg->duration_us + 999999u) / 1000000u);
    t->epfd = -1;
    ab_rng_seed(&t->rng, cfg->seed * 0x9E3779B97F4A7C15ull + t->index + 1);
    t->rr = t->index % (unsigned)cfg->ntargets;
    if (cfg->rate > 0)
        t->interval_ns = (uint64_t)((double)cfg->connections * 1e9 / abl_shard_rate(cfg));
    if (loop_open(t) != 0 || alloc_work(t, first_user, nusers, first_client, nclients) != 0 ||
        abl_stats_init(&t->stats, nsecs) != 0 || abl_stats_init(&t->warm, 0) != 0) {
        snprintf(t->err, sizeof t->err, "thread setup: %s", strerror(errno ? errno : ENOMEM));
        return -1;
    }
    return 0;
}

void abl_thread_cleanup(abl_thread *t)
{
    unsigned i;
    for (i = 0; t->clients != NULL && i < t->nclients; i++)
        abl_client_close_all(&t->clients[i]);
    if (t->clients != NULL && t->nclients > 0)
        free(t->clients[0].socks);
    free(t->clients);
    t->clients = NULL;
    abl_users_free(t->users, t->nusers);
    t->users = NULL;
    abl_keys_free(&t->keys);
    abl_stats_free(&t->stats);
    abl_stats_free(&t->warm);
    ab_timerq_free(t->timers);
    t->timers = NULL;
    if (t->epfd >= 0)
        close(t->epfd);
    t->epfd = -1;
}

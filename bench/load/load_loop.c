/* load_loop.c — a load thread's event loop (epoll + one timerfd), its housekeeping tick (timeouts,
 * stop flag, progress counter) and its setup and teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ab_cli.h"
#include "load_int.h"

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

/* Runs every timer that is due. */
static void timers_fire(abl_thread *t)
{
    uint64_t now = ab_now_ns();
    ab_timer *tm;
    while ((tm = ab_timerq_pop_due(t->timers, now)) != NULL) {
        if (tm == &t->tick) {
            tick(t, now);
        } else {
            abl_client *c = (abl_client *)(void *)((char *)tm - offsetof(abl_client, timer));
            abl_thread_next(c, now);
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
        int i, n = epoll_wait(t->epfd, evs, (int)(sizeof evs / sizeof evs[0]), -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(t->err, sizeof t->err, "epoll_wait: %s", strerror(errno));
            return -1;
        }
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

/* Counts the requests still in flight when the window closed, and closes every socket. */
static void finish_run(abl_thread *t)
{
    unsigned i;
    for (i = 0; i < t->nclients; i++) {
        abl_client *c = &t->clients[i];
        t->stats.in_flight_at_end += c->state == ABL_C_SEND || c->state == ABL_C_RECV;
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
    abl_thread_login_start(t);
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
    abl_thread_run_start(t);
    rc = loop(t, 0);
    finish_run(t);
    return rc != 0 ? t : NULL;
}

/* Creates the epoll and the timer queue and watches the timerfd. 0 or -1. */
static int loop_open(abl_thread *t)
{
    struct epoll_event ev;
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (t->epfd < 0 || (t->timers = ab_timerq_new()) == NULL)
        return -1;
    ev.events = EPOLLIN;
    ev.data.ptr = t->timers;
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
    for (i = 0; i < nclients; i++)
        abl_client_init(&t->clients[i], t, socks + (size_t)i * cfg->ntargets, first_client + i);
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
    abl_settings_init(&t->settings);
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

/* load_thread.c — one load thread: its share of users and clients, the initial logins, and the
 * run loop (closed loop: next request when the answer arrives; open loop: each client paced at
 * rate/connections, latency from the intended send time), with its own counters and histograms. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ab_cli.h"
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
        *op = want;
        if (want != ABL_OP_REQUEST && u->inflight > 0) {
            *op = ABL_OP_REQUEST;
            (now >= t->measure_ns ? &t->stats : &t->warm)->mix_deferred++;
        }
        return u;
    }
    return NULL;
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
        c->wbuf = op == ABL_OP_LOGIN ? u->login : u->logout;
        c->wlen = op == ABL_OP_LOGIN ? u->login_len : u->logout_len;
    }
    abl_client_send(c, now);
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

void abl_thread_next(abl_client *c, uint64_t now)
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

/* Counts the answer (or error) into the warm-up or the measured statistics. */
static void record(abl_thread *t, abl_client *c, uint64_t now, int status, abl_err err)
{
    abl_stats *s = now >= t->measure_ns ? &t->stats : &t->warm;
    abl_second *sec = NULL;
    if (now < t->run_ns || now >= t->end_ns)
        return;
    if (s == &t->stats && (now - t->measure_ns) / 1000000000u < s->nsecs)
        sec = &s->secs[(now - t->measure_ns) / 1000000000u];
    if (err != ABL_ERR_COUNT)
        s->errors[err]++;
    else if (status >= 200 && status < 300)
        s->ok++;
    else if (status == 401)
        s->auth_failures++;
    else
        s->errors[status >= 500 ? ABL_ERR_HTTP_5XX : status >= 400 ? ABL_ERR_HTTP_4XX : ABL_ERR_HTTP_OTHER]++;
    if (sec != NULL) {
        sec->errors += err != ABL_ERR_COUNT || (status != 401 && (status < 200 || status >= 300));
        sec->auth_failures += status == 401;
    }
    if (err != ABL_ERR_COUNT && err != ABL_ERR_TIMEOUT && err != ABL_ERR_LOGIN)
        return; /* no answer, no latency: transport errors are counted, not timed */
    s->requests++;
    s->by_op[c->op]++; /* per operation, bytes per request: over requests that were answered */
    s->away += (uint64_t)c->away;
    s->bytes_out[c->op] += c->woff;
    s->bytes_in[c->op] += c->rbytes;
    ab_hist_record(s->lat, now > c->intended_ns ? now - c->intended_ns : 0);
    ab_hist_record(s->lat_unc, now > c->sent_ns ? now - c->sent_ns : 0);
    if (sec != NULL) {
        sec->requests++;
        ab_hist_record(sec->lat, now > c->intended_ns ? now - c->intended_ns : 0);
    }
}

/* One initial login ended: counts it and moves c to the next one. */
static void login_done(abl_client *c, uint64_t now, int status, abl_err err, int usable)
{
    abl_thread *t = c->t;
    const char *target = t->cfg->targets[c->cur->target].name;
    t->login_pending--;
    if (err != ABL_ERR_COUNT) {
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

void abl_thread_finish(abl_client *c, uint64_t now, int status, abl_err err)
{
    abl_thread *t = c->t;
    int usable = user_done(c, status);
    if (err == ABL_ERR_COUNT && status == 200 && c->op == ABL_OP_LOGIN && !usable)
        err = ABL_ERR_LOGIN;
    c->state = ABL_C_IDLE;
    if (t->phase == ABL_PHASE_LOGIN) {
        login_done(c, now, status, err == ABL_ERR_LOGIN ? ABL_ERR_COUNT : err, usable);
        return;
    }
    record(t, c, now, status, err);
    if (err != ABL_ERR_COUNT && err != ABL_ERR_LOGIN) {
        uint64_t retry = now + (err == ABL_ERR_CONNECT ? ABL_RETRY_NS : 1);
        client_wait(c, t->interval_ns && c->next_ns > retry ? c->next_ns : retry);
        return;
    }
    abl_thread_next(c, now);
}

void abl_thread_login_start(abl_thread *t)
{
    uint64_t now = ab_now_ns();
    unsigned i;
    t->phase = ABL_PHASE_LOGIN;
    t->login_start_ns = now;
    for (i = 0; i < t->nclients; i++)
        login_next(&t->clients[i], now);
}

void abl_thread_run_start(abl_thread *t)
{
    uint64_t clients = t->cfg->connections;
    unsigned i;
    t->phase = ABL_PHASE_RUN;
    for (i = 0; i < t->nclients; i++) {
        abl_client *c = &t->clients[i];
        /* open loop: clients start spread over one interval, so the rate is smooth from the start */
        c->next_ns = t->run_ns + (t->interval_ns ? t->interval_ns * c->gindex / clients : 0);
        client_wait(c, c->next_ns);
    }
}

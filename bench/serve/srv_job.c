/* srv_job.c — the mechanism call of one request (login, api, logout), run blocking by a pool worker
 * or started through the _async calls by an event loop, with the sampled thread-CPU timing. */
#include "srv.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Thread CPU time in ns (a system call here, hence sampled). */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* j's call itself: blocking when done is NULL, else the _async variant. */
static int job_call(ab_mech_ctx *m, srv_job *j, size_t out_cap, ab_mech_done_fn done, void *arg)
{
    switch (j->route) {
    case SRV_ROUTE_LOGIN:
        return done == NULL ? ab_mech_issue(m, j->user, j->out, out_cap, &j->out_len)
                            : ab_mech_issue_async(m, j->user, j->out, out_cap, &j->out_len, done, arg);
    case SRV_ROUTE_LOGOUT:
        return done == NULL ? ab_mech_revoke(m, j->cred, j->cred_len)
                            : ab_mech_revoke_async(m, j->cred, j->cred_len, done, arg);
    case SRV_ROUTE_REFRESH: /* jwt+refresh: the credential is the refresh token */
        return done == NULL ? ab_mech_refresh(m, j->cred, j->cred_len, j->out, out_cap, &j->out_len)
                            : ab_mech_refresh_async(m, j->cred, j->cred_len, j->out, out_cap, &j->out_len, done, arg);
    default:
        return done == NULL ? ab_mech_authenticate(m, j->cred, j->cred_len, &j->who)
                            : ab_mech_authenticate_async(m, j->cred, j->cred_len, &j->who, done, arg);
    }
}

/* Calls with thread-CPU timing and, next to it, an empty pair of clock reads (the clock is a system
 * call costing more than "none" does). The empty pair goes before the timed call on odd samples
 * (timed 1) and after it on even ones: whichever pair comes first runs colder, and alternating
 * cancels that bias in the sums. */
static int job_call_timed(ab_mech_ctx *m, srv_job *j, size_t out_cap, ab_mech_done_fn done, void *arg)
{
    int first = j->timed == 1;
    uint64_t t0 = thread_cpu_ns(), t1 = first ? thread_cpu_ns() : 0, t2, t3;
    int st = job_call(m, j, out_cap, done, arg);
    t2 = thread_cpu_ns();
    t3 = first ? t2 : thread_cpu_ns();
    j->clock_ns = first ? t1 - t0 : t3 - t2;
    j->cpu_gross_ns = first ? t2 - t1 : t2 - t0;
    return st;
}

/* Runs or starts the call, timed when j->timed (which sets the CPU figures; they stay 0 otherwise). */
static int job_go(ab_mech_ctx *m, srv_job *j, size_t out_cap, ab_mech_done_fn done, void *arg)
{
    return j->timed ? job_call_timed(m, j, out_cap, done, arg) : job_call(m, j, out_cap, done, arg);
}

void srv_job_run(ab_mech_ctx *m, srv_job *j, size_t out_cap)
{
    j->status = job_go(m, j, out_cap, NULL, NULL);
}

int srv_job_start(ab_mech_ctx *m, srv_job *j, size_t out_cap, ab_mech_done_fn done, void *arg)
{
    int st = job_go(m, j, out_cap, done, arg);
    if (st != AB_MECH_PENDING)
        j->status = st;
    return st;
}

int srv_job_keep_cred(srv_job *j)
{
    if (j->cred_len > j->copy_cap) {
        char *p = realloc(j->copy, j->cred_len);
        if (p == NULL)
            return -1;
        j->copy = p;
        j->copy_cap = j->cred_len;
    }
    if (j->cred_len > 0)
        memcpy(j->copy, j->cred, j->cred_len);
    j->cred = j->copy;
    return 0;
}

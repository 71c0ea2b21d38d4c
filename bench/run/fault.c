/* fault.c — injecting and lifting the faults a cell can have in its measured window (a scenario
 * group's "fault", described in bench/results' ab_res_fault table): the Redis killed (for good, or
 * restarted after fault_for), paused, the cell's own PostgreSQL or memcached killed for good, the latency proxy resetting every store connection, the disk
 * full for the file store's servers, a server killed. */
#include "run_exec.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Sets the soft file size limit of every server of e (the hard one stays). 0, or -1 with note. */
static int servers_fsize(ab_run_rep_env *e, int full, char *note, size_t len)
{
    unsigned i;
    for (i = 0; i < e->nservers; i++) {
        struct rlimit rl;
        if (e->servers[i].pid <= 0)
            continue;
        if (prlimit(e->servers[i].pid, RLIMIT_FSIZE, NULL, &rl) != 0)
            return ab_fmt(note, len, "prlimit: cannot read server %u's limit", i + 1), -1;
        rl.rlim_cur = full ? 0 : rl.rlim_max;
        if (prlimit(e->servers[i].pid, RLIMIT_FSIZE, &rl, NULL) != 0)
            return ab_fmt(note, len, "prlimit: cannot set server %u's file size limit", i + 1), -1;
    }
    return 0;
}

/* CLIENT PAUSE for the fault's length (at least 1 ms). 0, or -1 with note. */
static int redis_pause(ab_run_rep_env *e, const ab_res_cell *c, char *note, size_t len)
{
    char cmd[64], reply[32];
    ab_fmt(cmd, sizeof cmd, "CLIENT PAUSE %llu ALL",
               (unsigned long long)(c->fault_for_us >= 1000 ? c->fault_for_us / 1000 : 1));
    if (ab_run_redis_text(e->redis, cmd, reply, sizeof reply) != 0 || strcmp(reply, "OK") != 0)
        return ab_fmt(note, len, "Redis refused CLIENT PAUSE"), -1;
    return 0;
}

int ab_run_fault_inject(ab_run_rep_env *e, const ab_res_cell *c, char *note, size_t len)
{
    const ab_res_fault *f = ab_res_fault_find(c->fault);
    note[0] = '\0';
    if (f == NULL)
        return ab_fmt(note, len, "unknown fault '%s'", c->fault), -1;
    if ((f->needs & AB_RES_FAULT_OWN_REDIS) && e->srv != NULL) /* PostgreSQL, memcached: outage only */
        return strcmp(f->name, "store-outage") == 0 && e->srv == &e->own_srv && ab_run_srv_signal(e->srv, SIGKILL) == 0
                   ? 0 : (ab_fmt(note, len, "no %s of the cell's own to kill", c->store), -1);
    if ((f->needs & AB_RES_FAULT_OWN_REDIS) && (e->redis == NULL || !e->redis->running))
        return ab_fmt(note, len, "no Redis of the cell's own to act on"), -1;
    if (strcmp(f->name, "store-outage") == 0 || strcmp(f->name, "redis-restart") == 0) {
        ab_run_proc_stop(&e->redis->proc, SIGKILL, 1000);
        e->redis->running = 0;
        return 0;
    }
    if (strcmp(f->name, "redis-pause") == 0)
        return redis_pause(e, c, note, len);
    if (strcmp(f->name, "proxy-drop") == 0) {
        if (e->proxy.pid <= 0)
            return ab_fmt(note, len, "no store connection to reset: the mechanism keeps none"), 0;
        return kill(e->proxy.pid, SIGUSR1) == 0 ? 0 : (ab_fmt(note, len, "cannot signal the proxy"), -1);
    }
    if (strcmp(f->name, "disk-full") == 0)
        return servers_fsize(e, 1, note, len);
    if (e->nservers == 0)
        return ab_fmt(note, len, "no server to kill"), -1;
    ab_run_proc_stop(&e->servers[e->nservers - 1], SIGKILL, 1000);
    return 0;
}

int ab_run_fault_lift(ab_run_rep_env *e, const ab_res_cell *c, char *note, size_t len)
{
    char log[AB_RUN_PATH_MAX];
    note[0] = '\0';
    if (strcmp(c->fault, "redis-restart") == 0) {
        ab_fmt(log, sizeof log, "%s/rep%u-redis.log", e->cell_dir, e->rep);
        return e->redis != NULL ? ab_run_redis_restart(e->redis, log, note, len) : -1;
    }
    if (strcmp(c->fault, "disk-full") == 0)
        return servers_fsize(e, 0, note, len);
    return 0; /* a pause ends by itself */
}

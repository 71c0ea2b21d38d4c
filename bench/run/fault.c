/* fault.c — the faults a cell can inject into its measured window (a scenario group's "fault"):
 * the Redis killed (for good, or restarted after fault_for), paused, the latency proxy resetting
 * every store connection, the disk full for the file store's servers, a server killed; and what
 * each did to the requests, from the per-second series of the load. */
#include "run_int.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static const ab_run_fault faults[] = {
    {"store-outage", "outage", "store outage", "the cell's Redis killed (SIGKILL), never restarted",
     AB_RUN_FAULT_OWN_REDIS, AB_RUN_FAULT_LASTING},
    {"redis-restart", "restart", "Redis restart",
     "the cell's Redis killed (SIGKILL), then started again on its port, empty (no persistence)",
     AB_RUN_FAULT_OWN_REDIS, AB_RUN_FAULT_FOR},
    {"redis-pause", "pause", "Redis paused", "CLIENT PAUSE on the cell's Redis: every command waits",
     AB_RUN_FAULT_OWN_REDIS, AB_RUN_FAULT_FOR},
    {"proxy-drop", "drop", "store connections reset",
     "the latency proxy in front of Redis resets every store connection at once (SIGUSR1)", AB_RUN_FAULT_PROXY,
     AB_RUN_FAULT_INSTANT},
    {"disk-full", "diskfull", "disk full",
     "every server's file size limit (RLIMIT_FSIZE) at 0: each write of a session file fails",
     0, AB_RUN_FAULT_FOR},
    {"server-kill", "kill", "server killed", "the last app server killed (SIGKILL), never restarted", 0,
     AB_RUN_FAULT_LASTING},
};

const ab_run_fault *ab_run_fault_find(const char *name)
{
    size_t i;
    for (i = 0; name != NULL && i < sizeof faults / sizeof faults[0]; i++)
        if (strcmp(name, faults[i].name) == 0)
            return &faults[i];
    return NULL;
}

/* Sets the soft file size limit of every server of e (the hard one stays). 0, or -1 with note. */
static int servers_fsize(ab_run_rep_env *e, int full, char *note, size_t len)
{
    unsigned i;
    for (i = 0; i < e->nservers; i++) {
        struct rlimit rl;
        if (e->servers[i].pid <= 0)
            continue;
        if (prlimit(e->servers[i].pid, RLIMIT_FSIZE, NULL, &rl) != 0)
            return ab_run_fmt(note, len, "prlimit: cannot read server %u's limit", i + 1), -1;
        rl.rlim_cur = full ? 0 : rl.rlim_max;
        if (prlimit(e->servers[i].pid, RLIMIT_FSIZE, &rl, NULL) != 0)
            return ab_run_fmt(note, len, "prlimit: cannot set server %u's file size limit", i + 1), -1;
    }
    return 0;
}

/* CLIENT PAUSE for the fault's length (at least 1 ms). 0, or -1 with note. */
static int redis_pause(ab_run_rep_env *e, const ab_run_cell *c, char *note, size_t len)
{
    char cmd[64], reply[32];
    ab_run_fmt(cmd, sizeof cmd, "CLIENT PAUSE %llu ALL",
               (unsigned long long)(c->fault_for_us >= 1000 ? c->fault_for_us / 1000 : 1));
    if (ab_run_redis_text(e->redis, cmd, reply, sizeof reply) != 0 || strcmp(reply, "OK") != 0)
        return ab_run_fmt(note, len, "Redis refused CLIENT PAUSE"), -1;
    return 0;
}

int ab_run_fault_inject(ab_run_rep_env *e, const ab_run_cell *c, char *note, size_t len)
{
    const ab_run_fault *f = ab_run_fault_find(c->fault);
    note[0] = '\0';
    if (f == NULL)
        return ab_run_fmt(note, len, "unknown fault '%s'", c->fault), -1;
    if ((f->needs & AB_RUN_FAULT_OWN_REDIS) && (e->redis == NULL || !e->redis->running))
        return ab_run_fmt(note, len, "no Redis of the cell's own to act on"), -1;
    if (strcmp(f->name, "store-outage") == 0 || strcmp(f->name, "redis-restart") == 0) {
        ab_run_proc_stop(&e->redis->proc, SIGKILL, 1000);
        e->redis->running = 0;
        return 0;
    }
    if (strcmp(f->name, "redis-pause") == 0)
        return redis_pause(e, c, note, len);
    if (strcmp(f->name, "proxy-drop") == 0) {
        if (e->proxy.pid <= 0)
            return ab_run_fmt(note, len, "no store connection to reset: the mechanism keeps none"), 0;
        return kill(e->proxy.pid, SIGUSR1) == 0 ? 0 : (ab_run_fmt(note, len, "cannot signal the proxy"), -1);
    }
    if (strcmp(f->name, "disk-full") == 0)
        return servers_fsize(e, 1, note, len);
    if (e->nservers == 0)
        return ab_run_fmt(note, len, "no server to kill"), -1;
    ab_run_proc_stop(&e->servers[e->nservers - 1], SIGKILL, 1000);
    return 0;
}

int ab_run_fault_lift(ab_run_rep_env *e, const ab_run_cell *c, char *note, size_t len)
{
    char log[AB_RUN_PATH_MAX];
    note[0] = '\0';
    if (strcmp(c->fault, "redis-restart") == 0) {
        ab_run_fmt(log, sizeof log, "%s/rep%u-redis.log", e->cell_dir, e->rep);
        return e->redis != NULL ? ab_run_redis_restart(e->redis, log, note, len) : -1;
    }
    if (strcmp(c->fault, "disk-full") == 0)
        return servers_fsize(e, 0, note, len);
    return 0; /* a pause ends by itself */
}

/* ---- outcome ----------------------------------------------------------------------------------- */

/* What one repetition's per-second series says about the fault. */
typedef struct fault_rep {
    double requests, errors, auth_failures; /* from the fault's second to the window's end */
    double errors_before_per_s;             /* baseline: errors per second before it */
    double recovery_s;                      /* NaN when the errors never stopped */
} fault_rep;

/* The fault's end in window seconds: when it was lifted, its injection for an instant or unknown
 * end, NaN for a lasting fault (nothing to recover from but the fault itself). */
static double fault_end(const ab_run_fault *f, const ab_run_cell *c, const ab_run_rep *r)
{
    if (f->span == AB_RUN_FAULT_LASTING)
        return NAN;
    if (r->fault_end_s >= r->fault_at_s)
        return r->fault_end_s;
    return f->span == AB_RUN_FAULT_FOR ? r->fault_at_s + (double)c->fault_for_us / 1e6 : r->fault_at_s;
}

/* A number of a series row; 0 when absent. */
static double row_num(const cJSON *row, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Sums one repetition's series around the fault. 0, or -1 without a series or a fault time. */
static int fault_rep_read(const ab_run_fault *f, const ab_run_cell *c, const ab_run_rep *r, fault_rep *out)
{
    const cJSON *row;
    double first = floor(r->fault_at_s), last_bad = -1, last = -1, before = 0, nbefore = 0;
    memset(out, 0, sizeof *out);
    if (r->fault_at_s < 0 || !cJSON_IsArray(ab_run_json_path(r->load, "timeseries")))
        return -1;
    cJSON_ArrayForEach(row, ab_run_json_path(r->load, "timeseries")) {
        double t = row_num(row, "t_s"), err = row_num(row, "errors");
        last = t > last ? t : last;
        if (t < first) {
            before += err, nbefore++;
            continue;
        }
        out->requests += row_num(row, "requests"), out->errors += err;
        out->auth_failures += row_num(row, "auth_failures");
        if (err > 0)
            last_bad = t;
    }
    out->errors_before_per_s = nbefore > 0 ? before / nbefore : 0;
    if (last_bad < 0)
        out->recovery_s = 0; /* no error second after it: nothing to recover from */
    else if (last_bad >= last || isnan(fault_end(f, c, r)))
        out->recovery_s = NAN; /* errors until the window ended, or a fault that lasts */
    else
        out->recovery_s = fmax(0, last_bad + 1 - fault_end(f, c, r));
    return 0;
}

/* The median of v[0..n) into o as key (null when n is 0). */
static void add_median(cJSON *o, const char *key, double *v, size_t n)
{
    ab_run_summary s;
    ab_run_summarize(v, n, &s);
    n > 0 && !isnan(s.median) ? (void)cJSON_AddNumberToObject(o, key, s.median) : (void)cJSON_AddNullToObject(o, key);
}

cJSON *ab_run_fault_outcome(const ab_run_cell *c, const ab_run_rep *reps, size_t n)
{
    const ab_run_fault *f = ab_run_fault_find(c->fault);
    cJSON *o = cJSON_CreateObject();
    double req[128], err[128], auth[128], base[128], rec[128];
    size_t i, k = 0, nrec = 0, stuck = 0;
    const char *note = "";
    for (i = 0; f != NULL && i < n && k < 128; i++) {
        fault_rep fr;
        if (reps[i].fault_note[0] != '\0')
            note = reps[i].fault_note;
        if (fault_rep_read(f, c, &reps[i], &fr) != 0)
            continue;
        req[k] = fr.requests, err[k] = fr.errors, auth[k] = fr.auth_failures, base[k++] = fr.errors_before_per_s;
        isnan(fr.recovery_s) ? (void)stuck++ : (void)(rec[nrec++] = fr.recovery_s);
    }
    cJSON_AddStringToObject(o, "what", f != NULL ? f->what : "unknown fault");
    cJSON_AddBoolToObject(o, "injected", k > 0 && note[0] == '\0');
    note[0] != '\0' ? (void)cJSON_AddStringToObject(o, "note", note) : (void)cJSON_AddNullToObject(o, "note");
    add_median(o, "requests_after", req, k);
    add_median(o, "errors_after", err, k);
    add_median(o, "auth_failures_after", auth, k);
    add_median(o, "errors_per_s_before", base, k);
    cJSON_AddBoolToObject(o, "recovered", k > 0 && stuck == 0);
    add_median(o, "recovery_s", rec, stuck == 0 ? nrec : 0);
    return o;
}

/* placement.c — where a run's processes execute and what else the machine was doing: CPU sets for
 * the load generator, the app servers and the stores + proxy (disjoint when the machine has the
 * cores, so one does not steal the others' time), pinned with sched_setaffinity on every thread of
 * a child; the steal time, recorded per repetition (with env.c's load average). */
#include "run_exec.h"

#include <dirent.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CORES_TO_ISOLATE 4 /* one for the load, two for servers, one for the stores */

static const char *const role_names[AB_RUN_NROLES] = {"load", "servers", "stores"};

/* The CPUs this process may run on. */
static int cpus_online(cpu_set_t *all)
{
    CPU_ZERO(all);
    if (sched_getaffinity(0, sizeof *all, all) != 0)
        return (int)sysconf(_SC_NPROCESSORS_ONLN);
    return CPU_COUNT(all);
}

/* The i-th CPU (0-based) of set, or -1. */
static int nth_cpu(const cpu_set_t *set, int i)
{
    int cpu;
    for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, set) && i-- == 0)
            return cpu;
    return -1;
}

/* Appends set as "0-2+5" to out. */
static void set_text(const cpu_set_t *set, char *out, size_t len)
{
    int cpu, first = -1;
    size_t n;
    for (cpu = 0; cpu <= CPU_SETSIZE; cpu++) {
        int in = cpu < CPU_SETSIZE && CPU_ISSET(cpu, set);
        if (in && first < 0)
            first = cpu;
        if (!in && first >= 0) {
            n = strlen(out);
            if (first == cpu - 1)
                ab_fmt(out + n, len - n, "%s%d", out[n - 1] == '=' ? "" : "+", first);
            else
                ab_fmt(out + n, len - n, "%s%d-%d", out[n - 1] == '=' ? "" : "+", first, cpu - 1);
            first = -1;
        }
    }
}

/* The placement's text and whether its sets are disjoint. */
static void placement_describe(ab_run_placement *p)
{
    cpu_set_t both;
    int a, b;
    size_t n;
    p->text[0] = '\0';
    p->isolated = 1;
    for (a = 0; a < AB_RUN_NROLES; a++) {
        n = strlen(p->text);
        ab_fmt(p->text + n, sizeof p->text - n, "%s%s=", a ? " " : "", role_names[a]);
        set_text(&p->sets[a], p->text, sizeof p->text);
        for (b = a + 1; b < AB_RUN_NROLES; b++) {
            CPU_AND(&both, &p->sets[a], &p->sets[b]);
            if (CPU_COUNT(&both) > 0)
                p->isolated = 0;
        }
    }
}

/* Parses one "a", "a-b" or "a-b+c" CPU list into set (CPUs must be online). 0 or -1. */
static int parse_cpu_list(const char *s, size_t len, const cpu_set_t *all, cpu_set_t *set)
{
    char buf[64], *tok, *save = NULL;
    CPU_ZERO(set);
    if (len == 0 || len >= sizeof buf)
        return -1;
    ab_fmt(buf, sizeof buf, "%.*s", (int)len, s);
    for (tok = strtok_r(buf, "+", &save); tok != NULL; tok = strtok_r(NULL, "+", &save)) {
        uint64_t lo, hi;
        char *dash = strchr(tok, '-');
        if (dash != NULL)
            *dash = '\0';
        if (ab_parse_u64(tok, 0, CPU_SETSIZE - 1, &lo) != 0 ||
            ab_parse_u64(dash ? dash + 1 : tok, lo, CPU_SETSIZE - 1, &hi) != 0)
            return -1;
        for (; lo <= hi; lo++) {
            if (!CPU_ISSET((int)lo, all))
                return -1;
            CPU_SET((int)lo, set);
        }
    }
    return CPU_COUNT(set) > 0 ? 0 : -1;
}

/* Reads --cpus "load=L,servers=S,stores=T" into p. 0, or -1 with err. */
static int placement_parse(ab_run_placement *p, const char *spec, const cpu_set_t *all, char *err, size_t errlen)
{
    unsigned seen = 0;
    const char *s = spec;
    while (*s != '\0') {
        size_t n = strcspn(s, ","), k = strcspn(s, "=");
        int r;
        for (r = 0; r < AB_RUN_NROLES; r++)
            if (k < n && strlen(role_names[r]) == k && strncmp(s, role_names[r], k) == 0)
                break;
        if (r == AB_RUN_NROLES || parse_cpu_list(s + k + 1, n - k - 1, all, &p->sets[r]) != 0) {
            ab_fmt(err, errlen, "--cpus: '%.*s': expected load=, servers= or stores= with online CPUs "
                                "(N, N-M, joined by '+')", (int)n, s);
            return -1;
        }
        seen |= 1u << r;
        s += n + (s[n] == ',');
    }
    if (seen != (1u << AB_RUN_NROLES) - 1) {
        ab_fmt(err, errlen, "--cpus: give all of load=, servers= and stores= (e.g. load=0,servers=1-2,stores=3)");
        return -1;
    }
    return 0;
}

/* Disjoint sets from the machine's CPUs: a quarter (at least one) each for the load and the
 * stores, the rest for the servers. */
static void placement_split(ab_run_placement *p, const cpu_set_t *all, int ncpu)
{
    int edge = ncpu / 4 > 0 ? ncpu / 4 : 1, i;
    for (i = 0; i < AB_RUN_NROLES; i++)
        CPU_ZERO(&p->sets[i]);
    for (i = 0; i < ncpu; i++) {
        int role = i < edge ? AB_RUN_ROLE_LOAD : i >= ncpu - edge ? AB_RUN_ROLE_STORES : AB_RUN_ROLE_SERVERS;
        CPU_SET(nth_cpu(all, i), &p->sets[role]);
    }
}

int ab_run_placement_init(ab_run_placement *p, const char *spec, char *err, size_t errlen)
{
    cpu_set_t all;
    int ncpu = cpus_online(&all);
    memset(p, 0, sizeof *p);
    if (spec != NULL) {
        if (placement_parse(p, spec, &all, err, errlen) != 0)
            return -1;
    } else if (ncpu >= MIN_CORES_TO_ISOLATE) {
        placement_split(p, &all, ncpu);
    } else {
        ab_fmt(p->text, sizeof p->text, "%d cores: too few to isolate load, servers and stores (needs %d)",
               ncpu, MIN_CORES_TO_ISOLATE);
        return 0;
    }
    p->pin = 1;
    placement_describe(p);
    return 0;
}

int ab_run_pin(const ab_run_placement *p, int role, pid_t pid)
{
    char dir[64];
    struct dirent *d;
    DIR *tasks;
    int rc = 0;
    if (!p->pin || pid <= 0)
        return 0;
    ab_fmt(dir, sizeof dir, "/proc/%d/task", (int)pid);
    if ((tasks = opendir(dir)) == NULL)
        return sched_setaffinity(pid, sizeof p->sets[role], &p->sets[role]);
    while ((d = readdir(tasks)) != NULL) { /* every thread: an affinity is per thread */
        int tid = atoi(d->d_name);
        if (tid > 0 && sched_setaffinity(tid, sizeof p->sets[role], &p->sets[role]) != 0)
            rc = -1;
    }
    closedir(tasks);
    return rc;
}

void ab_run_cpu_times_read(ab_run_cpu_times *t)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    int i;
    memset(t, 0, sizeof *t);
    if (f == NULL)
        return;
    /* cpu user nice system idle iowait irq softirq steal (guest time is inside user already) */
    t->ok = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7]) == 8;
    fclose(f);
    for (i = 0; i < 8; i++)
        t->total += v[i];
    t->steal = v[7];
    t->idle = v[3] + v[4];
    t->task = v[0] + v[1] + v[2];
}

/* One /proc/<pid>/stat: its parent and its CPU ticks (utime + stime + cutime + cstime). 0, or -1
 * (the process is gone, or not a process). The command name may hold spaces and parentheses, so
 * the fields are read after its last ')'. */
static int proc_ticks(const char *pid, long *ppid, unsigned long long *ticks)
{
    char path[64], buf[1024], *p;
    unsigned long long ut, st;
    long long cut, cst;
    size_t n;
    FILE *f;
    ab_fmt(path, sizeof path, "/proc/%s/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if ((p = strrchr(buf, ')')) == NULL)
        return -1;
    /* ") state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime" */
    if (sscanf(p + 1, " %*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", ppid, &ut, &st,
               &cut, &cst) != 5)
        return -1;
    *ticks = ut + st + (unsigned long long)(cut > 0 ? cut : 0) + (unsigned long long)(cst > 0 ? cst : 0);
    return 0;
}

/* Why by hand: no Debian library walks a process tree's CPU time (procps's libproc2 is not packaged
 * for bookworm with headers of a stable API), and /proc/<pid>/stat is two numbers a process. */
void ab_run_cpu_times_read_tree(ab_run_cpu_times *t)
{
    enum { MAX_PROCS = 8192 };
    static long pids[MAX_PROCS], ppids[MAX_PROCS];
    static unsigned long long ticks[MAX_PROCS];
    static unsigned char in[MAX_PROCS];
    size_t n = 0, i;
    int grew = 1;
    struct dirent *d;
    DIR *dir;
    ab_run_cpu_times_read(t);
    if ((dir = opendir("/proc")) == NULL)
        return;
    while ((d = readdir(dir)) != NULL && n < MAX_PROCS)
        if (d->d_name[0] >= '1' && d->d_name[0] <= '9' && proc_ticks(d->d_name, &ppids[n], &ticks[n]) == 0) {
            pids[n] = atol(d->d_name);
            in[n] = pids[n] == (long)getpid();
            n++;
        }
    closedir(dir);
    while (grew) { /* mark descendants until nothing changes (a tree a few levels deep) */
        grew = 0;
        for (i = 0; i < n; i++) {
            size_t j;
            if (in[i])
                continue;
            for (j = 0; j < n && !(in[j] && pids[j] == ppids[i]); j++)
                ;
            if (j < n)
                in[i] = 1, grew = 1;
        }
    }
    t->tree = 0;
    for (i = 0; i < n; i++)
        t->tree += in[i] ? ticks[i] : 0;
    t->tree_ok = n < MAX_PROCS;
}

double ab_run_other_cpu_window_frac(const ab_run_cpu_times *a, const ab_run_cpu_times *b)
{
    double other;
    if (!a->ok || !b->ok || !a->tree_ok || !b->tree_ok || b->total <= a->total || b->task < a->task)
        return -1;
    other = ((double)(b->task - a->task) - ((double)b->tree - (double)a->tree)) / (double)(b->total - a->total);
    return other < 0 ? 0 : other; /* the two counters tick apart: a few jiffies either way are noise */
}

double ab_run_steal_frac(const ab_run_cpu_times *a, const ab_run_cpu_times *b)
{
    if (!a->ok || !b->ok || b->total <= a->total || b->steal < a->steal)
        return -1;
    return (double)(b->steal - a->steal) / (double)(b->total - a->total);
}

double ab_run_other_cpu_frac(unsigned ms)
{
    ab_run_cpu_times a, b;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    unsigned long long busy_a, busy_b;
    ab_run_cpu_times_read(&a);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    ab_run_cpu_times_read(&b);
    if (!a.ok || !b.ok || b.total <= a.total)
        return -1;
    busy_a = a.total - a.idle - a.steal;
    busy_b = b.total - b.idle - b.steal;
    return busy_b >= busy_a ? (double)(busy_b - busy_a) / (double)(b.total - a.total) : -1;
}

/* run_exec.h — the run itself: its options and context (cmd_run.c, runner.c), the progress line
 * (progress.c), one cell and its repetitions (cell.c, rep.c), keys, store capacity and
 * micro-benchmarks (extras.c), fault injection (fault.c). Cells, repetitions and their results are
 * bench/results' (ab_results.h).
 *
 * Calls go one way: cmd_run -> runner -> cell -> rep -> fault, each using proc, store, progress and
 * the results module below it; nothing calls back up. *
 * Prefix: ab_run_ / AB_RUN_. Not a public API: only bench/run/ and tests/run/ include it. */
#ifndef AB_RUN_EXEC_H
#define AB_RUN_EXEC_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "ab_cli.h"
#include "ab_json.h"
#include "ab_results.h"
#include "run_env.h"
#include "run_pgmc.h"
#include "run_proc.h"
#include "run_scenario.h"
#include "run_store.h"

/* ---- the run (cmd_run.c, runner.c), cells (cell.c, rep.c), extras (extras.c) ------------------- */

/* The command line of `authbench run`. Overrides are kept as "field=json" strings (owned). */
typedef struct ab_run_opts {
    const char *scenario_file, *out, *mechanisms, *micro, *requirements;
    const char *shard;  /* "I/N": each cell's load is shard I of N (authbench load --shard), or NULL */
    const char *cpus;   /* --cpus load=L,servers=S,stores=T: a forced placement, or NULL */
    int quick, dry_run, dump, no_report, no_micro, quiet;
    char *sets[64];
    int nsets;
} ab_run_opts;

/* The progress line (progress.c): a bar over the estimated seconds of every repetition of every
 * cell, in the order of the interleaved rounds. */
typedef struct ab_run_progress {
    ab_progress bar;
    int enabled;                    /* 0 with --quiet: no bar and no repetition lines */
    double done_s, total_s;         /* estimated seconds done / in all */
    double rep_est_s;               /* estimate of the repetition in flight */
    uint64_t rep_start_us;
    uint64_t last_tick_us;          /* last redraw, 0 before the first */
    unsigned round, nrounds;        /* 1-based */
    size_t index, count;            /* position in the round (0-based) and the round's length */
    const char *cell_id;            /* borrowed from the cell in flight */
} ab_run_progress;

/* Starts the progress of a run of nrounds rounds estimated at total_s seconds. */
void ab_run_progress_start(ab_run_progress *p, int enabled, double total_s, unsigned nrounds);
/* A repetition begins: round (1-based), its place index (0-based) of count in the round, the cell's
 * id (borrowed), estimated at est_s seconds; redraws. */
void ab_run_progress_rep(ab_run_progress *p, unsigned round, size_t index, size_t count, const char *id,
                         double est_s);
/* Redraws the bar for the repetition in flight (at most five times a second; from wait loops). */
void ab_run_progress_tick(ab_run_progress *p);
/* The repetition in flight ended: its estimate counts as done, and its line is printed: throughput,
 * p99 and the rate it was measured at from the load document, or err when it failed (both NULL:
 * interrupted, no line). */
void ab_run_progress_rep_done(ab_run_progress *p, const cJSON *load, const char *err);
/* Ends the bar (its line is left as it is). */
void ab_run_progress_end(ab_run_progress *p);

/* ---- CPU placement and the noise record (placement.c) ---------------------------------------- */

enum { AB_RUN_ROLE_LOAD, AB_RUN_ROLE_SERVERS, AB_RUN_ROLE_STORES, AB_RUN_NROLES };

/* Where the run's processes go: the load generator, the app servers, the stores and the proxy. */
typedef struct ab_run_placement {
    int pin;                        /* 1: children are pinned to sets[role] */
    int isolated;                   /* 1: the three sets are disjoint */
    cpu_set_t sets[AB_RUN_NROLES];
    char text[160];                 /* "load=0 servers=1-2 stores=3", or why nothing is pinned */
} ab_run_placement;

/* The placement: spec (--cpus "load=0,servers=1,stores=1": CPUs or ranges "a-b", joined by '+'),
 * else disjoint sets when the machine has at least 4 CPUs, else none (text says why). 0, or -1
 * with err for a bad spec. */
int ab_run_placement_init(ab_run_placement *p, const char *spec, char *err, size_t errlen);
/* Pins every thread of pid to the role's set (nothing when not pinning). 0, or -1 when the kernel
 * refused (the child may have exited). */
int ab_run_pin(const ab_run_placement *p, int role, pid_t pid);
/* The machine's CPU time counters (/proc/stat "cpu" line), in jiffies; with
 * ab_run_cpu_times_read_tree also the CPU time of this run and every process it started (its
 * descendants' utime + stime, and what those reaped: cutime + cstime), in the same clock ticks. */
typedef struct ab_run_cpu_times {
    unsigned long long steal, idle, total; /* idle: idle + iowait */
    unsigned long long task;  /* user + nice + system: what processes' utime + stime account for */
    unsigned long long tree;  /* the run's process tree (ab_run_cpu_times_read_tree), else 0 */
    int ok, tree_ok;
} ab_run_cpu_times;
void ab_run_cpu_times_read(ab_run_cpu_times *t);
void ab_run_cpu_times_read_tree(ab_run_cpu_times *t);
/* The share of all CPUs other work kept busy between two ab_run_cpu_times_read_tree readings: the
 * task time of the machine (user + nice + system; interrupts left out, since loopback traffic's
 * softirq time belongs to the run as much as to anyone) less the run's own tree's, over all the
 * CPUs' time. -1 when either reading failed. It is measured over the repetition's own window,
 * where the probe before it (ab_run_other_cpu_frac) only sees the 50 ms before. */
double ab_run_other_cpu_window_frac(const ab_run_cpu_times *a, const ab_run_cpu_times *b);
/* The steal fraction between two readings (steal jiffies / all jiffies), or -1. */
double ab_run_steal_frac(const ab_run_cpu_times *a, const ab_run_cpu_times *b);
/* The share of all CPUs busy (not idle, not waiting on I/O, not stolen) over ms milliseconds from
 * now, or -1: called while the run has nothing running, it is the machine's other work. */
double ab_run_other_cpu_frac(unsigned ms);
#define AB_RUN_OTHER_CPU_PROBE_MS 50 /* the probe before every repetition: 10 jiffies of 2 CPUs */

/* ---- interleaved rounds (rounds.c) ------------------------------------------------------------ */

/* How many rounds the cells need: their largest repetitions. */
unsigned ab_run_rounds(const ab_res_cell *cells, size_t n);
/* The cells of round (1-based: those with at least that many repetitions) as indexes into cells,
 * shuffled from seed and the round, each cell with a sweep_of after that capacity cell when both
 * are in the round. order has room for n. Returns how many. */
size_t ab_run_round_order(const ab_res_cell *cells, size_t n, uint64_t seed, unsigned round, size_t *order);

typedef struct ab_run_ctx {
    char self[AB_RUN_PATH_MAX];     /* the authbench program */
    const char *shard;              /* "I/N" passed to every load (--shard), or NULL */
    char dir[AB_RUN_PATH_MAX];      /* the run directory */
    char tmp[AB_RUN_PATH_MAX];      /* private temporary directory (keys, Redis dirs), 0700 */
    char disk_dir[AB_RUN_PATH_MAX]; /* base of the disk stores' directories */
    char disk_fs[32];
    int disk_made;                  /* 1 when the run made disk_dir (so removes it when empty) */
    ab_run_redis redis;             /* the shared Redis (own or the user's) */
    ab_run_cluster cluster;         /* the Redis Cluster of session:redis-cluster cells (own or the user's) */
    ab_run_srv pg, mc;              /* the PostgreSQL / memcached of session:postgres|memcached cells (run_pgmc.h) */
    int quiet;
    ab_run_progress progress;
    ab_run_placement placement;
} ab_run_ctx;

#define AB_RUN_MAX_SERVERS 64

/* What one repetition started (cell.c) and uses (rep.c). */
typedef struct ab_run_rep_env {
    unsigned rep;                       /* 1-based */
    char cell_dir[AB_RUN_PATH_MAX];     /* <run>/cells/<id> */
    ab_run_redis own_redis;             /* a private Redis for a fault cell */
    ab_run_redis *redis;                /* the Redis the cell uses, or NULL */
    ab_run_cluster *cluster;            /* the Redis Cluster the cell uses, or NULL */
    ab_run_srv *srv;                    /* the PostgreSQL or memcached the cell uses, or NULL */
    ab_run_proc proxy;
    char store_host[64];                /* where servers reach the store: Redis or the proxy */
    int store_port;
    ab_run_proc servers[AB_RUN_MAX_SERVERS];
    unsigned nservers;
    char targets[AB_RUN_MAX_SERVERS * 24]; /* HOST:PORT,… */
    char disk[AB_RUN_PATH_MAX];         /* the last server's disk directory */
    char proxy_stats[AB_RUN_PATH_MAX];  /* the proxy's --stats-file, or "" */
} ab_run_rep_env;

/* Runs the matrix: run directory, Redis, environment, store capacity, cells, micro-benchmarks,
 * results and the report. Returns the exit status. */
int ab_run_execute(const ab_run_opts *o, const cJSON *sc, const ab_res_cell *cells, size_t n);
/* Estimated seconds of what a run does besides its cells (store capacity, micro, report). */
double ab_run_extras_estimate_s(const cJSON *sc, const ab_run_opts *o);

/* Runs repetition k (1-based) of cell c into reps[k - 1] (initialised by the caller; reps[0..k-2]
 * are the cell's earlier repetitions, which the revocation step sums over): starts its stores,
 * proxy and servers, runs the load, measures revocation, stops them. 0, or -1 with err. */
int ab_run_cell_rep(ab_run_ctx *ctx, const ab_res_cell *c, unsigned k, ab_res_rep *reps, char *err,
                    size_t errlen);
/* Runs `authbench load` against e's servers for one repetition (rep.c): watches the login phase,
 * snapshots Redis and the servers' /stats at the window, injects the cell's fault, reads the JSON.
 * 0, or -1 with err. */
int ab_run_rep_execute(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, ab_res_rep *rep,
                       char *err, size_t errlen);
/* Generates the run's key for alg (once) and writes its path. 0, or -1 with err. */
int ab_run_key_for(ab_run_ctx *ctx, const char *alg, char *path, size_t len, char *err, size_t errlen);
/* Measures the Redis's GET capacity with `authbench store-bench`. A store_capacity object, or
 * NULL with a note in err. */
cJSON *ab_run_store_capacity(ab_run_ctx *ctx, const cJSON *sc, char *err, size_t errlen);
/* Runs authbench_micro into <run>/micro.json. A "micro" object for results.json saying what ran
 * (or why not). Never NULL. */
cJSON *ab_run_micro(ab_run_ctx *ctx, const cJSON *sc, const char *micro_path);
/* Estimated seconds of the scenario's micro-benchmarks (it asks the program how many it has). */
double ab_run_micro_estimate_s(const cJSON *sc, const char *micro_path);

/* ---- faults (fault.c) ------------------------------------------------------------------------- */

/* Injects (lifts) the cell's fault on what repetition e started. 0, or -1 with why in note. */
int ab_run_fault_inject(ab_run_rep_env *e, const ab_res_cell *c, char *note, size_t len);
int ab_run_fault_lift(ab_run_rep_env *e, const ab_res_cell *c, char *note, size_t len);

#endif /* AB_RUN_EXEC_H */

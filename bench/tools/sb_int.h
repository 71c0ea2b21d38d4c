/* sb_int.h — what the parts of `authbench store-bench` share: the run's settings, the tallies
 * the event-loop engine (sb_loop.c) fills, and the report (sb_report.c) prints. Prefix sb_. */
#ifndef SB_INT_H
#define SB_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "ab_hist.h"
#include "sstore.h"

#define SB_CMD "store-bench"
#define SB_HIST_HIGHEST_NS 60000000000ull /* latencies above a minute are clamped (and counted) */

enum sb_op { SB_GET, SB_CREATE, SB_TOUCH, SB_DELETE, SB_MIX };
extern const char *const sb_op_names[]; /* "get", "create", "touch", "delete", "mix", NULL */

/* The run's settings, from the command line. */
typedef struct sb_cfg {
    char *uri; /* malloc'd: --store's copy (argv then hides its password) or --store-file's line */
    enum sb_op op;
    unsigned threads;  /* event-loop threads */
    unsigned clients;  /* store connections in all, spread over the threads */
    unsigned pipeline; /* operations in flight per connection */
    uint64_t sessions;
    uint64_t value_bytes;
    uint64_t ttl_s;
    uint64_t duration_us;
    uint64_t warmup_us;
    int json;
    uint64_t fill;     /* --fill: sessions stored before the run that the run never touches */
    uint64_t sweep;    /* --sweep: expired sessions stored before the run, swept mid-window */
} sb_cfg;

/* Counts of the measured window: operations, errors by status, latencies, the store's I/O. */
typedef struct sb_tally {
    ab_hist *hist; /* nanoseconds, submit to completion */
    uint64_t ops;  /* completed without error (not_found included) */
    uint64_t errors;
    uint64_t not_found;
    uint64_t by_status[SSTORE_STATUS__COUNT];
    sstore_counters io;
} sb_tally;

/* The merged results of a run. */
typedef struct sb_result {
    sb_tally t;
    double seconds;
    double cpu_us; /* this process's CPU time (user + sys, all threads) in the measured window */
    int interrupted;
    double fill_s;             /* how long --fill took */
    long long bytes_before;    /* sstore_stored_bytes before --fill and the sessions; -1 not measured */
    long long bytes_after;     /* and after the run */
    /* --sweep: sstore_sweep() run once from its own connection at the middle of the window */
    ab_hist *sweep_hist;       /* latencies of the operations that completed while it ran (ns) */
    long swept;                /* sessions it removed (-1: it failed; 0 where the store expires by itself) */
    double sweep_ms;           /* how long it ran */
    int sweep_ran;
} sb_result;

/* Set by SIGINT: the run ends early and the report covers what was measured. */
extern volatile sig_atomic_t sb_interrupted;

/* Runs the benchmark on the open store st with claims of claims_len bytes: the threads' loops
 * prepopulate, warm up and measure; r (zeroed by the caller) gets the merged results, r->t.hist
 * allocated (the caller frees it). 0, or -1 with the reason printed. */
int sb_loop_run(const sb_cfg *cfg, sstore *st, const char *claims, size_t claims_len, sb_result *r);

/* --sweep (sb_sweep.c): one sstore_sweep() from a connection of its own, started when the measured
 * window is half through; *sweeping is 1 while it runs (the loops then also record what completes
 * into r->sweep_hist), and r gets what it removed and how long it took. */
typedef struct sb_sweeper {
    const sb_cfg *cfg;
    sstore *store;
    atomic_int *sweeping;
    sb_result *r;
    pthread_t tid;
    int started;
} sb_sweeper;
/* Starts the sweep when --sweep was given and now is past the middle of the window begun at
 * t_measure (0: not begun); once. */
void sb_sweep_maybe_start(sb_sweeper *sw, uint64_t t_measure, uint64_t now);
/* Waits for a started sweep to end. */
void sb_sweep_join(sb_sweeper *sw);

/* Prints the report of r, as text or JSON per cfg. 0, or -1 when out of memory or stdout fails. */
int sb_report(const sb_cfg *cfg, const char *backend, const sb_result *r);

#endif /* SB_INT_H */

/* ab_load.h — the authbench load generator and load balancer: configuration, one run, its results
 * (mergeable histograms, counters, per-second series) as a summary and as JSON, and the results of
 * several generators (machines) read back from their JSON and merged into one. */
#ifndef AB_LOAD_H
#define AB_LOAD_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the balancer picks the server for each request. */
typedef enum ab_load_lb {
    AB_LOAD_LB_RR = 0,     /* round robin, per thread */
    AB_LOAD_LB_RANDOM = 1, /* uniform random */
    AB_LOAD_LB_STICKY = 2  /* user -> server by a hash of the user name */
} ab_load_lb;

typedef struct ab_load_target {
    char name[128]; /* as given: "HOST:PORT" */
    struct sockaddr_storage addr;
    socklen_t addrlen;
} ab_load_target;

typedef struct ab_load_config {
    ab_load_target *targets; /* caller-owned */
    size_t ntargets;
    ab_load_lb lb;
    unsigned connections;  /* simulated clients, in total over all threads */
    unsigned threads;
    uint64_t duration_us;  /* measured window */
    uint64_t warmup_us;    /* run before the window, never counted */
    double rate;           /* requests/s in total; 0 = closed loop */
    unsigned users;
    double zipf_theta;     /* 0 = uniform key distribution */
    double mix_login, mix_request, mix_logout; /* weights */
    char path[256];        /* GET path of a "request", e.g. /api/x */
    uint64_t timeout_us;   /* a request unanswered this long counts as a timeout error */
    uint64_t seed;
    unsigned shard_index;  /* 1-based: this generator is shard i of shard_count (several machines): */
    unsigned shard_count;  /* it drives users [U(i-1)/n, Ui/n) and rate/n; connections as given */
    double start_at;       /* Unix time (s) the warm-up starts at (windows aligned across machines
                              by their clocks); 0 = as soon as the users are logged in */
    int progress;          /* progress on stderr */
    int fetch_stats;       /* GET /stats from every target before and after the window */
    volatile sig_atomic_t *stop; /* optional: becomes non-zero to end the run early (SIGINT) */
} ab_load_config;

/* Fills the defaults: rr, 10 connections, 2 threads, 10 s, 1 s warm-up, closed loop, 100 users,
 * uniform, request only, /api/x, 2 s timeout, server stats on, shard 1/1. Targets left empty. */
void ab_load_config_defaults(ab_load_config *cfg);

typedef struct ab_load_result ab_load_result;

/* The line a run announces on stderr when its timeline is set (before the warm-up), with the exact
 * measured window on CLOCK_MONOTONIC (the same clock for every process of the machine) and the
 * wall clock: AB_LOAD_WINDOW_LINE " start_mono_us=%llu end_mono_us=%llu start_unix_ms=%.0f".
 * The JSON's "window" object repeats it (end_mono_us there is when measuring actually stopped). */
#define AB_LOAD_WINDOW_LINE "authbench load: measured window"

/* Runs the load: checks every target answers, logs every user in, warms up, measures, stops.
 * Returns the results (free with ab_load_result_free), or NULL with a one-line reason in err;
 * *unreachable is set to 1 when the reason is a target that cannot be reached. */
ab_load_result *ab_load_run(const ab_load_config *cfg, int *unreachable, char *err, size_t errlen);
void ab_load_result_free(ab_load_result *r);

/* Honest rates. Open loop, every send is measured against its intended time (its client's slot
 * in the schedule): its schedule lag is how late it went out. A client whose previous request is
 * still unanswered cannot send, so an overloaded target (or a starved generator) makes the lag
 * grow and the offered rate fall short. The run reached its target rate (rate_reached) when:
 *   - achieved_rate_per_sec (answers and timeouts completed in the window / window s) is at least
 *     AB_LOAD_RATE_REACHED_FRACTION of target_rate_per_sec, and
 *   - the sender did not fall behind its schedule, i.e. neither
 *       the backlog at the end of the window (how long ago the next request of the most behind
 *       client was due) exceeds AB_LOAD_BEHIND_US — it was behind and never caught up, nor
 *       more than AB_LOAD_LATE_SHARE of the sends went out more than AB_LOAD_BEHIND_US late
 *       (schedule lag p95 > AB_LOAD_BEHIND_US) — it was behind for a good part of the window.
 *   A short stall it recovers from (the machine took the CPU away for 50 ms) is neither: its
 *   effect is in the corrected latency, which is then still a latency at the target rate.
 * A run that did not reach its rate says so in the summary; its latencies were measured at the
 * achieved rate under overload and are never latencies at the target rate. Closed loop has no
 * target: rate_reached is null. */
#define AB_LOAD_RATE_REACHED_FRACTION 0.95
#define AB_LOAD_BEHIND_US 10000.0
#define AB_LOAD_LATE_SHARE 0.05
/* The load generator's threads used at least this share of their CPU over the window: it may have
 * been the bottleneck (loadgen_cpu.util; the summary warns). */
#define AB_LOAD_CPU_BOTTLENECK 0.9

/* 1 reached, 0 not reached (see above), -1 closed loop (no target). */
int ab_load_result_rate_reached(const ab_load_result *r);

/* The human summary, every number with its unit. */
void ab_load_result_print(const ab_load_result *r, FILE *out);
/* The whole result as JSON text (malloc'd; the caller frees it), NULL when out of memory. */
char *ab_load_result_json(const ab_load_result *r);
/* The same as a cJSON document (the caller deletes it), NULL when out of memory. */
cJSON *ab_load_result_doc(const ab_load_result *r);

/* Reads a result back from the JSON document ab_load_result_json wrote (schema authbench-load/1,
 * with its encoded histograms, per second too). NULL with a one-line reason in err. */
ab_load_result *ab_load_result_from_doc(const cJSON *doc, char *err, size_t errlen);
/* Merges the results of n generators that ran the same load at the same time (shards of one run,
 * or several machines each with its own share) into a new result: histograms added, counts summed,
 * the per-second series summed second by second, connections and rates summed, users the union
 * of their slices; per-request figures then follow from the summed totals (the doc's window is the
 * runs' mean, which is every run's: interrupted runs are refused). shared_targets: the generators
 * drove the same servers, so targets are one set by name and a server's /stats delta is counted
 * once (the one with the most requests: each generator's covers the others' traffic too); else
 * every run had servers of its own (authbench run on each machine), all kept, named "<run>/<name>".
 * Refuses (NULL, reason in err) results of different loads (mode, durations, balancer, mix, key
 * distribution, path, timeout, users, shard count), a shard given twice, and interrupted runs.
 * Appends what a reader must know (shards missing, users driven twice, windows started apart) to
 * notes, a cJSON array (may be NULL). */
ab_load_result *ab_load_results_merge(ab_load_result *const *rs, size_t n, int shared_targets, cJSON *notes,
                                      char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* AB_LOAD_H */

/* ab_results.h — the results model of authbench: cells, repetitions, their aggregation and the files
 * of a run (results.json, results.csv, timeseries.csv), written and read in one versioned schema.
 *
 * Prefix: ab_res_ / AB_RES_. Used by bench/run (which measures), bench/merge (which rebuilds cells
 * of runs made on several machines) and bench/report (which reads them).
 *
 * Object model: an ab_res_cell is one cell's parameters (plain data, copied freely); an ab_res_rep
 * is one repetition's figures (owns its load document: ab_res_reps_free). Aggregation turns a
 * cell and its repetitions into the cell object of results.json (a cJSON tree the caller owns). An
 * ab_res_doc is results.json being built (opaque, one owner, ab_res_doc_free accepts NULL); errors
 * come back as a one-line message in the caller's err buffer. The schema is AB_RES_SCHEMA with
 * "schema_version" AB_RES_SCHEMA_VERSION; results/README.md documents every field and each change.
 * Every per-request figure is declared once, in AB_RES_FIGURES: adding one is one line there. */
#ifndef AB_RESULTS_H
#define AB_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_RES_SCHEMA "authbench.results/3"
#define AB_RES_SCHEMA_VERSION 3
#define AB_RES_SCHEMA_OLDEST 1   /* the oldest version the readers accept (its missing fields read as absent) */
#define AB_RES_HIGH_CV 0.10      /* a figure whose coefficient of variation exceeds this is flagged */
#define AB_RES_MAX_REPS 128      /* repetitions aggregated per cell (more are ignored) */

/* The noise record's flags. A repetition ran on a busy machine when, as it started, the 1-minute
 * load average was above this share of the cores (tasks queued for them: the previous cell's too,
 * for a minute's average, so it is a flag to read the cell with care, not a correction), or when
 * the hypervisor took more than this share of the window away (steal time). The load generator
 * limited the cell when its threads were busy at least this share of the window: the rate is then
 * what the generator could send, not what the server could serve. */
#define AB_RES_BUSY_LOAD_PER_CORE 0.7
#define AB_RES_BUSY_STEAL_FRAC 0.05
/* The load average counts the run's own processes too (a 2-core machine running a cell has one of
 * 1.5-2.5 by itself), so where the run measured it the rule is instead the machine's CPU busy while
 * the run had nothing running, sampled just before the repetition started (other_cpu_frac): other
 * work above this share of all CPUs makes the repetition one of a busy machine. */
#define AB_RES_BUSY_OTHER_CPU_FRAC 0.25
/* The same bound applies to other work during the measured window (other_cpu_window_frac): the
 * probe before a repetition misses a build that starts inside it. */
#define AB_RES_LOADGEN_BOTTLENECK_UTIL 0.9

/* Confidence intervals: a percentile bootstrap of the median over repetitions with this many
 * resamples (Efron and Tibshirani ask for 1000 or more for percentile intervals: fewer leave the
 * 2.5th and 97.5th percentiles themselves noisy), at 95 % unless the caller says otherwise. */
#define AB_RES_BOOTSTRAP_B 2000
#define AB_RES_CI_ALPHA 0.05

/* ---- per-request figures ----------------------------------------------------------------------- */

/* X(name, unit, source, source2, scale, what): the cell field of results.json (and its results.csv
 * column), its unit, the dotted path(s) of the `authbench load --json` document whose sum times
 * scale gives it (source2 NULL when there is one), what it is. Each is kept as the median over the
 * repetitions with its {mean, median, cv, values} in repetition_stats. The figures of the store's
 * counters follow these, one per X of session_store's SSTORE_COUNTERS ("<figure>_per_req", the
 * load's own name for it): a store counter added there is a figure here with no edit; and so do the
 * mechanism's, one per X of bench/mech's AB_MECH_COUNTERS ("<name>_per_req": l1_hits_per_req …). */
#define AB_RES_FIGURES(X)                                                                          \
    X(client_bytes_out_per_req, "bytes", "client_bytes_out_per_req", NULL, 1,                      \
      "request bytes on the wire, credential included")                                           \
    X(client_bytes_in_per_req, "bytes", "client_bytes_in_per_req", NULL, 1, "answer bytes on the wire") \
    X(credential_bytes, "bytes", "credential_bytes", NULL, 1, "the cookie value or token alone")  \
    X(server_cpu_us_per_req, "us", "server_cpu_us_per_req", NULL, 1,                               \
      "user+sys CPU of all server processes")                                                     \
    X(auth_cpu_us_per_req, "us", "auth_cpu_ns_per_req", NULL, 1e-3, "CPU inside authenticate()")   \
    X(store_net_bytes_per_req, "bytes", "store_net_bytes_out_per_req", "store_net_bytes_in_per_req", 1, \
      "bytes between servers and store, both ways")                                              \
    X(device_read_bytes_per_req, "bytes", "proc_read_bytes_per_req", NULL, 1,                      \
      "bytes the servers read from the block device (/proc/<pid>/io read_bytes), not read()'s")    \
    X(device_write_bytes_per_req, "bytes", "proc_write_bytes_per_req", NULL, 1,                    \
      "bytes the servers sent to the block device (/proc/<pid>/io write_bytes)")

/* One per-request figure: a row of AB_RES_FIGURES or one of a store counter. */
typedef struct ab_res_figure {
    const char *name;
    const char *unit;   /* "bytes", "us" …; NULL for a store counter's (ab_res_figure_unit) */
    const char *source, *source2;
    double scale;
    const char *what;
} ab_res_figure;

/* The table of every per-request figure (static: AB_RES_FIGURES, then the store counters) and its
 * length. */
const ab_res_figure *ab_res_figures(size_t *n);
/* A figure's unit: its own, or for a store counter's the one its name says ("…bytes…" bytes,
 * "…_ns_per_req" ns, else a count). Static, never NULL. */
const char *ab_res_figure_unit(const ab_res_figure *f);

/* ---- faults ------------------------------------------------------------------------------------ */

enum { AB_RES_FAULT_OWN_REDIS = 1, AB_RES_FAULT_PROXY = 2 };          /* what a fault cell needs */
enum { AB_RES_FAULT_LASTING, AB_RES_FAULT_FOR, AB_RES_FAULT_INSTANT }; /* how long a fault lasts */

/* A fault a scenario group can inject ("fault": name) fault_at into the measured window. */
typedef struct ab_res_fault {
    const char *name;   /* scenario name */
    const char *id;     /* part of the cell id */
    const char *label;  /* qualifier of the cell label */
    const char *what;   /* what it does, in words (results.json, the report) */
    unsigned needs;     /* AB_RES_FAULT_OWN_REDIS: a Redis of the cell's own; _PROXY: the latency proxy */
    int span;           /* lasting, lifted after fault_for, or instant */
    int ends_itself;    /* 1: it ends by itself fault_for after injection (its end is known, not observed) */
} ab_res_fault;

/* The fault of that name (static), or NULL. */
const ab_res_fault *ab_res_fault_find(const char *name);

/* ---- cells and repetitions --------------------------------------------------------------------- */

/* One cell of the matrix: everything `authbench load` and the servers need, in schema terms. */
typedef struct ab_res_cell {
    char id[128];           /* unique, [a-z0-9-] */
    char label[128];        /* for legends */
    char mechanism[64];     /* schema name: session:redis, jwt:HS256, jwt+denylist:HS256,redis … */
    char family[24];        /* none | session | jwt | jwt+denylist | jwt+pushed-denylist | jwt+refresh */
    char store[16];         /* memory | redis | file | "" (none) */
    char alg[8];            /* JWT algorithm or "" */
    char disk_mode[16];     /* pagecache | direct | fsync | "" */
    char lb[8];             /* rr | random | sticky */
    char key_dist[32];
    char mix_name[32];
    char fault[16];         /* "" or a fault name (ab_res_fault_find) */
    char server_model[8];   /* async | pool: how the servers wait for the store (serve --model) */
    unsigned mix_login, mix_request, mix_logout;
    unsigned servers, connections, threads, server_threads, users, repetitions;
    double rate_per_sec;    /* 0 = closed loop */
    uint64_t store_delay_us, store_jitter_us, fault_at_us, duration_us, warmup_us;
    uint64_t fault_for_us;  /* how long a fault that ends lasts (redis-restart, redis-pause, disk-full) */
    int group;              /* index of the scenario group it came from */
    /* --- measured at a stated load (issue 14); the JSON names are in results/README.md --- */
    char kind[16];          /* capacity (closed loop) | deployment (open loop at the deployment's
                               per-server rate) | sweep (open loop, a rate of a sweep) | control (the
                               proxied 0-delay twin of a store-distance cell) | fault | store-sweep */
    int via_proxy;          /* the store is reached through the latency proxy (a control: at 0 delay) */
    double rate_fraction;   /* sweep: the fraction of the capacity cell's measured rate, 0 otherwise */
    char sweep_of[128];     /* sweep/deployment: id of the capacity cell the rate was taken from, or "" */
    /* --- mechanism options (issues 16, 17) --- */
    char touch[16];         /* session expiry: never | always | after:S; "" when not a session */
    unsigned claims_bytes;  /* claims=BYTES: the claims JSON each credential / session record is
                               padded to (ab_mech.h); 0 = the default claims (~250 B) */
    /* --- realistic session counts and store sweeps (issue 16) --- */
    uint64_t sessions;      /* live sessions filled into the shared store before the warm-up, 0 none */
    uint64_t sweep_expired; /* store-sweep: expired sessions the store holds, 0 = no sweep */
    uint64_t sweep_at_us;   /* store-sweep: when into the measured window the sweep runs */
} ab_res_cell;

/* Redis counters (at an instant, or their change over the measured window). */
typedef struct ab_res_redis_counts {
    uint64_t calls;      /* commands served, ours (INFO, PING, FLUSHALL …) excluded */
    uint64_t net_in, net_out;
    uint64_t cpu_us;     /* used_cpu_user + used_cpu_sys (INFO cpu): the server's whole CPU, µs */
} ab_res_redis_counts;

/* One repetition's figures, from the load's JSON and the run's own counters. */
typedef struct ab_res_rep {
    cJSON *load;          /* the `authbench load --json` document (owned) */
    int have_redis;       /* redis_delta and server_requests valid */
    ab_res_redis_counts redis_delta; /* over the measured window the load announced */
    uint64_t server_requests; /* requests the servers counted over the same window (/stats) */
    char counters_note[96]; /* "" or why redis_delta and server_requests are not known */
    double window_start_unix_ms; /* the window as the load announced it, or -1 */
    double fault_at_s;    /* seconds into the measured window when the fault began, or -1 */
    double fault_end_s;   /* when it was lifted (its start for an instant fault), or -1 */
    char fault_note[160]; /* "" or why the fault could not be (fully) injected or lifted */
    long credential_bytes; /* the credential a login issued (the run's own probe), or -1 */
    /* --- the noise record and the placement of the repetition (issue 14) --- */
    double load_avg_1m;   /* /proc/loadavg's first figure when the repetition started, or -1 */
    double other_cpu_frac; /* share of all CPUs busy while the run ran nothing, sampled just before
                              the repetition (other work on the machine), or -1 */
    double steal_frac;    /* steal jiffies / all jiffies over the measured window (/proc/stat), or -1 */
    double other_cpu_window_frac; /* share of all CPUs other work kept busy during the measured window:
                              the machine's task time less the run's own process tree's, or -1 */
    char placement[160];  /* CPU sets as placed: "load=0 servers=1 stores=1", or why not isolated */
    int isolated;         /* 1 when load, servers and stores ran on disjoint CPU sets */
    double proxy_delay_mean_us, proxy_delay_p99_us; /* the proxy's achieved one-way delay, or -1 */
    int round;            /* the interleaved round this repetition ran in (1-based), 0 unknown */
    unsigned cores;       /* online CPUs of the machine it ran on (busy_machine), 0 = this machine's */
    /* --- the store's fill and sweep (issue 16); -1 = not measured --- */
    double sessions_live;  /* sessions filled + sessions the load logged in, at the window's start */
    double store_bytes_per_session; /* sstore_stored_bytes() growth over the fill / sessions filled */
    double sweep_removed;  /* sessions the sweep removed (sstore_sweep, Redis's expired_keys) */
    double sweep_ms;       /* how long the sweep ran */
    double sweep_at_s, sweep_end_s; /* when it began and ended, seconds into the window (NaN: not
                              known; before the window is negative) */
    char sweep_method[16]; /* delete | file-sweep | redis-expiry | memcached-lazy, or "" */
    char sweep_note[160];  /* "" or why the sweep did not (fully) run */
    cJSON *extra;         /* NULL, or cell fields measured beside the load (e.g. revocation_latency_us):
                             each member replaces the cell's field of that name; owned (ab_res_reps_free) */
} ab_res_rep;

/* A cell's parameters read back from its object in results.json (the inverse of what
 * ab_res_cell_result writes; fault_at_us is not kept there and stays 0). 0, or -1 when it lacks an
 * id, a mechanism or repetitions. */
int ab_res_cell_from_json(const cJSON *o, ab_res_cell *c);
/* The cell object of results.json from its repetitions (status ok), or a failed cell (err not
 * NULL). The caller owns it. Never NULL. */
cJSON *ab_res_cell_result(const ab_res_cell *c, const ab_res_rep *reps, size_t nreps, const char *err);
/* 1 when repetition r ran on a busy machine: other work kept more than AB_RES_BUSY_OTHER_CPU_FRAC
 * of the CPUs busy just before it or during its window, or steal took more than
 * AB_RES_BUSY_STEAL_FRAC of the window; in a repetition without either probe (merged from an older
 * run), its load average was above AB_RES_BUSY_LOAD_PER_CORE of its machine's cores. The one rule
 * behind a cell's busy_machine and the run's re-measuring of disturbed repetitions. */
int ab_res_rep_busy(const ab_res_rep *r);
/* Appends to cell's "remeasured" record (made on first use) repetition rep (1-based) that ran busy
 * (old) and its re-measure, the cell's repetition by (its raw files rep<by>.json; again), with
 * whether the re-measure took its place (it ran quiet). */
void ab_res_add_remeasured(cJSON *cell, unsigned rep, const ab_res_rep *old, unsigned by, const ab_res_rep *again,
                           int replaced);
/* Clears a repetition before it is filled: every figure "not measured" (-1), no load document. */
void ab_res_rep_init(ab_res_rep *rep);
/* Frees the load (and extra) documents reps hold (reps itself is the caller's). NULL-safe. */
void ab_res_reps_free(ab_res_rep *reps, size_t n);

/* Mean, median and coefficient of variation (stddev/mean, sample stddev) of n values. cv is -1
 * when n < 2 or the mean is 0. */
typedef struct ab_res_summary { double mean, median, cv; } ab_res_summary;
void ab_res_summarize(const double *v, size_t n, ab_res_summary *out);

/* The percentile bootstrap 95 % interval of the median of v[0..n): AB_RES_BOOTSTRAP_B resamples of n
 * values drawn with replacement, the 2.5th and 97.5th percentiles of their medians. The same seed
 * gives the same interval (seed it with ab_res_seed of what the values are). 0, or -1 with *lo and
 * *hi NaN when n < 2. */
int ab_res_bootstrap_median_ci(const double *v, size_t n, uint64_t seed, double *lo, double *hi);
/* The (1 - alpha) bootstrap interval of median(b) / median(a) - 1, the relative change from a to b:
 * each side resampled on its own AB_RES_BOOTSTRAP_B times. 0, or -1 with NaN when a side has fewer
 * than 2 values, or a resampled median of a is 0. */
int ab_res_bootstrap_change_ci(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                               double alpha, double *lo, double *hi);
/* A seed from two strings (FNV-1a; b may be NULL): a cell id and a figure name, so that rewriting the
 * same data gives the same intervals on every machine. */
uint64_t ab_res_seed(const char *a, const char *b);

/* The fault_outcome object of a fault cell from its repetitions' per-second series: requests,
 * errors and 401s from the fault's second on (medians), whether the errors stopped and how long
 * after the fault's end. The caller owns it. Never NULL. */
cJSON *ab_res_fault_outcome(const ab_res_cell *c, const ab_res_rep *reps, size_t n);
/* The store_sweep object of a store-sweep cell (res_store.c): the expired and live counts, at_s and
 * method, the sessions removed and the sweep's length (medians over the repetitions), and the p99 of
 * the seconds before the sweep, the seconds it ran and the seconds after (each repetition's
 * per-second histograms merged over those seconds, then the median over repetitions; null where
 * a repetition has no such second). n = 0 for a failed cell: the measured fields are null. The
 * caller owns it. Never NULL. */
cJSON *ab_res_store_sweep(const ab_res_cell *c, const ab_res_rep *reps, size_t n);
/* The realistic-session-count fields of a cell into o: sessions_live and store_bytes_per_session
 * (medians over the repetitions; null when not measured). */
void ab_res_add_store_fill(cJSON *o, const ab_res_rep *reps, size_t n);

/* ---- the run's files --------------------------------------------------------------------------- */

typedef struct ab_res_doc ab_res_doc;

/* Starts results.json with the header fields: name, schema, a copy of the scenario as shown (sc,
 * passwords already masked by the caller), environment (taken over). NULL when out of memory. */
ab_res_doc *ab_res_doc_new(const char *name, const cJSON *scenario_shown, cJSON *environment);
/* Sets a top-level field (takes ownership of value; replaces). */
void ab_res_doc_set(ab_res_doc *d, const char *key, cJSON *value);
/* Appends a cell object (takes ownership). */
void ab_res_doc_add_cell(ab_res_doc *d, cJSON *cell);
/* Inserts a cell object at position pos (appends when pos is out of range; takes ownership): a run
 * whose cells finish out of order (interleaved rounds) keeps them in the order of its matrix. */
void ab_res_doc_insert_cell(ab_res_doc *d, int pos, cJSON *cell);
/* Replaces the cell object at position pos (takes ownership; deletes the old one; appends when pos
 * is out of range): a cell measured again after the last round. */
void ab_res_doc_replace_cell(ab_res_doc *d, int pos, cJSON *cell);
/* How many cells the document holds. */
int ab_res_doc_ncells(const ab_res_doc *d);
/* The "sweeps" array of results.json from the cells of kind "sweep" (cells: the "cells" array): one
 * entry per swept option (cells of one mechanism, store distance, server count, server model and
 * capacity cell), its points by rate, and capacity_at_slo_per_sec: the highest achieved rate of a
 * point that reached its rate with p99 <= slo_p99_ms (null when none did, or slo_p99_ms <= 0, not
 * known). The caller owns it. Never NULL. */
cJSON *ab_res_sweeps(const cJSON *cells, double slo_p99_ms);
/* Writes results.json, results.csv and timeseries.csv atomically into dir, with complete set and
 * finished_utc: now when final, null while the run goes on, or the given UTC text when finished
 * is not NULL (a merge keeps the runs' finish); "sweeps" is computed from the cells first
 * (ab_res_sweeps, with the "slo_p99_ms" set by ab_res_doc_set). 0, or -1 with err. */
int ab_res_doc_write(ab_res_doc *d, const char *dir, int complete, int final, const char *finished,
                     char *err, size_t errlen);
void ab_res_doc_free(ab_res_doc *d);

/* Reads and parses <dir>/results.json and checks its schema (AB_RES_SCHEMA_OLDEST up to
 * AB_RES_SCHEMA_VERSION). The document (the caller deletes it), or NULL with a one-line err. */
cJSON *ab_res_read(const char *dir, char *err, size_t errlen);
/* The schema version of a results document (1 for "authbench.results/1"), or 0 when it is none. */
int ab_res_schema_version(const cJSON *doc);
/* Writes a cJSON document to path atomically (pretty-printed). 0, or -1 with errno. */
int ab_res_write_json(const char *path, const cJSON *doc);

#ifdef __cplusplus
}
#endif

#endif /* AB_RESULTS_H */

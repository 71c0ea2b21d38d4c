/* run_int.h — internals of `authbench run`, shared by the files of bench/run/ and its tests.
 *
 * Prefix: ab_run_ / AB_RUN_. Not a public API: only bench/run/, tests/run/ and bench/merge/ (which
 * rebuilds the cells of runs made on several machines with this same aggregation) include it.
 *
 * Flow: scenario.c parses a scenario (a file or a built-in) into a normalised cJSON document with
 * command-line overrides applied; matrix.c expands its groups into cells; cmd_run.c drives the
 * run: extras.c (keys, store capacity, micro-benchmarks), cell.c (one cell, its repetitions),
 * aggregate.c (repetitions -> one cell object of results.json), results.c (the files). */
#ifndef AB_RUN_INT_H
#define AB_RUN_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "ab_cli.h"
#include "ab_json.h"
#include "ab_results.h"

#define AB_RUN_CMD "run"
#define AB_RUN_PATH_MAX 1024


/* ---- scenario and matrix (scenario.c, scenario_builtin.c, matrix.c) ------------------------- */

/* Parses scenario JSON text (origin names it in messages). Returns a new normalised document,
 * or NULL with a one-line message naming the field in err. The caller frees it (cJSON_Delete). */
cJSON *ab_run_scenario_parse(const char *text, const char *origin, char *err, size_t errlen);
/* The built-in scenario text for name "quick" or "default"; NULL for another name. Static. */
const char *ab_run_scenario_builtin(const char *name);
/* Applies one override "field=value" (value JSON, or a bare string) to sc: a group field is set in
 * every group, a top-level field at the top. 0, or -1 with err. */
int ab_run_scenario_set(cJSON *sc, const char *assignment, char *err, size_t errlen);
/* Keeps only the mechanisms matching one of the comma-separated names (a mechanism name or a
 * family, e.g. "jwt", "session:redis"); drops groups left empty. 0, or -1 with err when nothing
 * matches. */
int ab_run_scenario_filter(cJSON *sc, const char *list, char *err, size_t errlen);
/* Validates sc after overrides (every field of every group). 0, or -1 with err. */
int ab_run_scenario_check(const cJSON *sc, char *err, size_t errlen);
/* A duration item: a string with a unit ("250us", "2s") or a number of seconds. 0 or -1. */
int ab_run_json_duration_us(const cJSON *it, uint64_t *us);
/* An axis field is a value or a list of values: its length, and its i-th value. */
int ab_run_axis_len(const cJSON *it);
const cJSON *ab_run_axis_get(const cJSON *it, int i);
/* A copy of sc to show or write (scenario.json, results.json, --dump-scenario): the passwords of
 * redis_url and redis_cluster_url shown as "***". The caller deletes it; NULL when out of memory. */
cJSON *ab_run_scenario_shown(const cJSON *sc);
/* Top-level accessors (defaults when absent). */
const char *ab_run_scenario_name(const cJSON *sc);

/* Expands the groups of a checked scenario into cells (malloc'd array in *out, count in *n).
 * 0, or -1 with err. */
int ab_run_matrix_expand(const cJSON *sc, ab_res_cell **out, size_t *n, char *err, size_t errlen);
/* Estimated seconds a cell takes (all repetitions, set-up included). */
double ab_run_cell_estimate_s(const ab_res_cell *c);
/* Prints the matrix as a table and the estimated total time. */
void ab_run_matrix_print(FILE *out, const ab_res_cell *cells, size_t n, double extra_s);
/* 1 when the cell needs a Redis (session:redis, jwt+denylist:…,redis, or a fault acting on one). */
int ab_run_cell_needs_redis(const ab_res_cell *c);

/* ---- processes (proc.c) ----------------------------------------------------------------------- */

/* Set by the SIGINT/SIGTERM handler to the signal number; every wait loop checks it. */
extern volatile sig_atomic_t ab_run_stop_signal;

/* A child process in its own process group, stdout and stderr appended to a log file. */
typedef struct ab_run_proc {
    pid_t pid;                    /* 0 when not running */
    int status;                   /* waitpid status once reaped */
    char name[48];
    char log[AB_RUN_PATH_MAX];
    char ready[256];              /* the ready line, once seen */
} ab_run_proc;

/* Installs the SIGINT/SIGTERM handlers (a second signal kills every child and exits). */
void ab_run_signals_install(void);
/* Starts argv (argv[0] a path or a name looked up in PATH) with "NAME=value" strings from env
 * (NULL-terminated, may be NULL) added to its environment. 0, or -1 with err. */
int ab_run_proc_start(ab_run_proc *p, const char *name, char *const argv[], const char *log_path,
                      char *const env[], char *err, size_t errlen);
/* Waits until the log holds a line starting with prefix (copied to p->ready), the child exits, the
 * timeout passes or a stop signal arrives. 0, or -1 with err (quoting the log's last line). */
int ab_run_proc_wait_ready(ab_run_proc *p, const char *prefix, unsigned timeout_ms, char *err,
                           size_t errlen);
/* Reaps the child if it has exited: 1 exited (p->status set, p->pid 0), 0 still running. */
int ab_run_proc_poll(ab_run_proc *p);
/* Sends sig to the group, waits up to grace_ms, then SIGKILL; reaps. Safe on a stopped proc. */
void ab_run_proc_stop(ab_run_proc *p, int sig, unsigned grace_ms);
/* SIGKILLs every child group still registered and reaps them (for failure paths and exit). */
void ab_run_proc_kill_all(void);
/* Runs argv to completion (at most timeout_ms) and captures its stdout (NUL-terminated, truncated
 * to cap-1). Returns the exit status (0..255), or -1 when it could not run or timed out. */
int ab_run_capture(char *const argv[], char *out, size_t cap, unsigned timeout_ms);
/* The last non-empty line of a log file into buf ("" when none). Returns buf. */
char *ab_run_log_tail(const char *path, char *buf, size_t len);
/* 1 when name resolves to an executable in PATH (or is an executable path). */
int ab_run_find_program(const char *name, char *path, size_t len);
/* Sleeps ms milliseconds unless a stop signal arrives. 0, or -1 when stopped. */
int ab_run_sleep_ms(unsigned ms);
/* A TCP port on 127.0.0.1 that was free a moment ago, or -1. */
int ab_run_free_port(void);

/* ---- Redis (redis.c) -------------------------------------------------------------------------- */

typedef struct ab_run_redis {
    int running;                 /* 1 when reachable (own and started, or the user's) */
    int own;                     /* 1 when started by us (ours to flush and stop) */
    char host[64];
    int port;
    char auth[128];              /* "user:pass@" or "" (from the user's URL) */
    int db;
    char dir[AB_RUN_PATH_MAX];   /* own: its temporary directory */
    char version[32];
    ab_run_proc proc;
} ab_run_redis;

/* Starts redis-server on a free loopback port in a new directory under tmp_base. 0, or -1. */
int ab_run_redis_start(ab_run_redis *r, const char *tmp_base, const char *log_path, char *err,
                       size_t errlen);
/* ab_run_redis_start with extra "--name value" redis-server arguments (NULL-terminated, may be
 * NULL). */
int ab_run_redis_start_ex(ab_run_redis *r, const char *tmp_base, const char *log_path, char *const extra[],
                          char *err, size_t errlen);
/* Runs cmd (INFO, CLUSTER INFO, CLUSTER NODES …) and copies its text reply into out (truncated to
 * len - 1). 0, or -1 when Redis does not answer or the reply is no text. */
int ab_run_redis_text(const ab_run_redis *r, const char *cmd, char *out, size_t len);
/* Starts an own Redis again on its port and directory (after it was killed). 0, or -1 with err. */
int ab_run_redis_restart(ab_run_redis *r, const char *log_path, char *err, size_t errlen);
/* Uses an existing Redis at url (redis://[user:pass@]host:port[/db]): checks it answers. 0 / -1. */
int ab_run_redis_use(ab_run_redis *r, const char *url, char *err, size_t errlen);
/* Stops an own Redis and removes its directory; forgets a user's. Safe twice. */
void ab_run_redis_stop(ab_run_redis *r);
/* The store URI for host:port (the proxy's or Redis's own), with r's credentials and db. */
void ab_run_redis_uri(const ab_run_redis *r, const char *host, int port, char *out, size_t len);
/* FLUSHALL on an own Redis (never on a user's). 0 or -1. */
int ab_run_redis_flush(const ab_run_redis *r);
/* Snapshot of the counters. 0, or -1 when Redis does not answer. */
int ab_run_redis_snapshot(const ab_run_redis *r, ab_res_redis_counts *out);

/* ---- Redis Cluster (cluster.c) ---------------------------------------------------------------- */

#define AB_RUN_CLUSTER_NODES 3    /* masters of the run's own cluster */
#define AB_RUN_CLUSTER_MAX 16     /* masters of a user's cluster we follow */

typedef struct ab_run_cluster {
    int running;                  /* 1 when reachable (own and started, or the user's) */
    int own;                      /* 1 when started by us (ours to flush and stop) */
    char uri[1024];               /* the store URI servers get: redis-cluster://host:port,… */
    ab_run_redis masters[AB_RUN_CLUSTER_MAX]; /* own: the nodes started; the user's: as discovered */
    size_t nmasters;
    char version[32];
} ab_run_cluster;

/* Starts a 3-master cluster (no replicas): three redis-server --cluster-enabled yes on free loopback
 * ports in directories under tmp_base (logs <log_dir>/redis-cluster-<i>.log), joined with
 * redis-cli --cluster create, ready when every node reports cluster_state:ok. 0, or -1 with err
 * (nothing left running). */
int ab_run_cluster_start(ab_run_cluster *c, const char *tmp_base, const char *log_dir, char *err, size_t errlen);
/* Uses the user's cluster at url (redis-cluster://[user:pass@]host:port[,…]): finds its masters
 * (CLUSTER NODES on the first seed that answers). 0, or -1 with err. */
int ab_run_cluster_use(ab_run_cluster *c, const char *url, char *err, size_t errlen);
/* Stops an own cluster and removes its directories; forgets a user's. Safe twice. */
void ab_run_cluster_stop(ab_run_cluster *c);
/* FLUSHALL on every master of an own cluster (never on a user's). 0 or -1. */
int ab_run_cluster_flush(const ab_run_cluster *c);
/* The masters' counters summed. 0, or -1 when one does not answer. */
int ab_run_cluster_snapshot(const ab_run_cluster *c, ab_res_redis_counts *out);
/* 1 when the cell's mechanism keeps its sessions in the Redis Cluster. */
int ab_run_cell_needs_cluster(const ab_res_cell *c);

/* ---- environment (env.c) ---------------------------------------------------------------------- */

/* The environment object of results.json. redis_version may be NULL. Never NULL (OOM aborts). */
cJSON *ab_run_environment(const char *redis_version, const char *disk_dir, const char *disk_fs);
/* Picks a directory for disk-store cells: preferred if it is on a real filesystem (not tmpfs or
 * overlay) or was chosen explicitly by the user, else /var/tmp. Writes the chosen base and its
 * filesystem type. 0, or -1 with err. */
int ab_run_pick_disk_dir(const char *preferred, int explicit_dir, char *out, size_t len, char *fs,
                         size_t fslen, char *err, size_t errlen);

/* ---- the run (cmd_run.c, runner.c), cells (cell.c, rep.c), extras (extras.c) ------------------- */

/* The command line of `authbench run`. Overrides are kept as "field=json" strings (owned). */
typedef struct ab_run_opts {
    const char *scenario_file, *out, *mechanisms, *micro, *requirements;
    const char *shard;  /* "I/N": each cell's load is shard I of N (authbench load --shard), or NULL */
    int quick, dry_run, dump, no_report, no_micro, quiet;
    char *sets[64];
    int nsets;
} ab_run_opts;

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
    int quiet;
    ab_progress progress;
    double done_s, total_s;         /* estimated seconds done / in all, for the progress bar */
    double cell_est_s;              /* estimate of the cell in flight */
    uint64_t cell_start_us;
    uint64_t last_tick_us;          /* last progress redraw */
    size_t cell_index, ncells;
    const char *cell_id;
} ab_run_ctx;

#define AB_RUN_MAX_SERVERS 64

/* What one repetition started (cell.c) and uses (rep.c). */
typedef struct ab_run_rep_env {
    unsigned rep;                       /* 1-based */
    char cell_dir[AB_RUN_PATH_MAX];     /* <run>/cells/<id> */
    ab_run_redis own_redis;             /* a private Redis for a fault cell */
    ab_run_redis *redis;                /* the Redis the cell uses, or NULL */
    ab_run_cluster *cluster;            /* the Redis Cluster the cell uses, or NULL */
    ab_run_proc proxy;
    char store_host[64];                /* where servers reach the store: Redis or the proxy */
    int store_port;
    ab_run_proc servers[AB_RUN_MAX_SERVERS];
    unsigned nservers;
    char targets[AB_RUN_MAX_SERVERS * 24]; /* HOST:PORT,… */
    char disk[AB_RUN_PATH_MAX];         /* the last server's disk directory */
} ab_run_rep_env;

/* Runs the matrix: run directory, Redis, environment, store capacity, cells, micro-benchmarks,
 * results and the report. Returns the exit status. */
int ab_run_execute(const ab_run_opts *o, const cJSON *sc, const ab_res_cell *cells, size_t n);
/* Estimated seconds of what a run does besides its cells (store capacity, micro, report). */
double ab_run_extras_estimate_s(const cJSON *sc, const ab_run_opts *o);
/* Redraws the progress line for the cell in flight (called from wait loops). */
void ab_run_progress_tick(ab_run_ctx *ctx);

/* Runs every repetition of cell c into reps (c->repetitions entries, zeroed by the caller).
 * 0 when all ran; -1 with err when the cell failed (reps hold what finished). */
int ab_run_cell_execute(ab_run_ctx *ctx, const ab_res_cell *c, ab_res_rep *reps, char *err,
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

/* ---- faults (fault.c) ------------------------------------------------------------------------- */

/* Injects (lifts) the cell's fault on what repetition e started. 0, or -1 with why in note. */
int ab_run_fault_inject(ab_run_rep_env *e, const ab_res_cell *c, char *note, size_t len);
int ab_run_fault_lift(ab_run_rep_env *e, const ab_res_cell *c, char *note, size_t len);
#endif /* AB_RUN_INT_H */

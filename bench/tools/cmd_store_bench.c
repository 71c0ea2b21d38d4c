/* cmd_store_bench.c — `authbench store-bench`: N client threads drive a session store directly (no
 * HTTP) and report throughput, latency percentiles, errors and I/O per operation. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ab_cli.h"
#include "ab_hist.h"
#include "ab_opt.h"
#include "ab_rng.h"
#include "commands.h"
#include "sstore.h"

#define CMD "store-bench"
#define SB_MAX_CLIENTS 1024
#define SB_MAX_PIPELINE 1024
#define SB_HIST_HIGHEST_NS 60000000000ull /* latencies above a minute are clamped (and counted) */
#define SB_TICK_US 200000                 /* the main thread's progress/stop check interval */
#define SB_PROGRESS_MIN_US 3000000        /* runs longer than this show progress on stderr */

static const char usage_text[] =
    "usage: authbench store-bench --store URI | --store-file FILE [--op create|get|touch|delete|mix]\n"
    "                             [--clients N]\n"
    "                             [--pipeline P] [--sessions K] [--value-bytes B] [--ttl S]\n"
    "                             [--duration S] [--warmup S] [--json]\n"
    "\n"
    "Drives a session store directly (no HTTP): N client threads, one store connection each, issue\n"
    "operations back to back for the duration, after a warm-up that is never counted. Prints\n"
    "throughput, latency percentiles, errors and the store's I/O per operation.\n"
    "\n"
    "  --store URI        memory://…, redis://[user:pass@]host:port[/db],\n"
    "                     redis-cluster://host:port[,host:port…], file:///dir?… (see sstore.h);\n"
    "                     a password given here shows in ps until it is parsed\n"
    "  --store-file FILE  URI from the first line of FILE, which must be yours and mode 0600 (no\n"
    "                     access for group or others): a store password never on argv\n"
    "  --op OP            get (default), create, touch (sliding expiry), delete, or mix: each operation\n"
    "                     a get (80%), touch (10%), create (5%) or delete (5%) of the thread's sessions\n"
    "  --clients N        client threads (default 1)\n"
    "  --pipeline P       gets per batch (sstore_get_batch: one round trip on Redis); --op get only.\n"
    "                     Each get of a batch is recorded with the batch's time, as redis-benchmark -P\n"
    "                     does; ops/s counts gets, not batches (default 1)\n"
    "  --sessions K       sessions created before the run, split among the clients, for get, touch,\n"
    "                     delete and mix; each client uses its own share (default 10000)\n"
    "  --value-bytes B    size of each session's claims JSON (default 256, at least 64)\n"
    "  --ttl S            session lifetime in seconds; sessions are left to expire (default 3600)\n"
    "  --duration S       measured time: 10s, 500ms, 1m (default 10s)\n"
    "  --warmup S         time run first and not counted (default 2s)\n"
    "  --json             one JSON object on stdout instead of the text report\n"
    "\n"
    "Counted: ops completed without error (a get of a missing session counts, as not_found; a delete\n"
    "run stops early once every session is deleted). Latency: each such operation, in a log-linear\n"
    "histogram (3 significant digits), merged across threads. I/O per op: the store's counters\n"
    "(round trips, socket bytes, disk bytes, fsyncs, syscalls) over the measured window / ops;\n"
    "client CPU: store-bench's own CPU time (all threads, user + sys) in the window / ops.\n"
    "Exit status: 0 done, 1 the store could not be opened or reached or no operation succeeded,\n"
    "2 bad usage.\n";

enum sb_op { SB_GET, SB_CREATE, SB_TOUCH, SB_DELETE, SB_MIX };
static const char *const op_names[] = {"get", "create", "touch", "delete", "mix", NULL};

/* The run's settings, from the command line. */
typedef struct sb_cfg {
    char *uri; /* malloc'd: --store's copy (argv then hides its password) or --store-file's line */
    enum sb_op op;
    unsigned clients;
    unsigned pipeline;
    uint64_t sessions;
    uint64_t value_bytes;
    uint64_t ttl_s;
    uint64_t duration_us;
    uint64_t warmup_us;
    int json;
} sb_cfg;

/* READY: the clients create their sessions, then wait; the main thread moves the phases on. */
enum sb_phase { SB_READY, SB_WARMUP, SB_MEASURE, SB_STOP };

/* What every client thread shares. */
typedef struct sb_run {
    const sb_cfg *cfg;
    sstore *store;
    char *claims;
    size_t claims_len;
    atomic_int phase;
    atomic_uint ready;  /* clients done creating their sessions */
    atomic_int failed;  /* a client could not create its sessions */
} sb_run;

/* One client thread: its connection, its sessions, its histogram and counts. */
typedef struct sb_client {
    pthread_t tid;
    sb_run *run;
    sstore_conn *c;
    char (*ids)[SSTORE_ID_LEN + 1]; /* its share of the sessions (mix creates and deletes in it) */
    size_t nids;
    size_t cap;
    ab_hist *hist;                  /* nanoseconds */
    ab_rng rng;
    atomic_uint_fast64_t live_ops;  /* for the progress line */
    uint64_t ops;                   /* measured, without error */
    uint64_t errors;
    uint64_t not_found;
    uint64_t by_status[SSTORE_STATUS__COUNT];
    sstore_counters c0;             /* counters at the start of the measured window */
    sstore_counters c1;             /* … and at its end */
    int measuring;
    uint64_t share;                 /* sessions it creates before the run */
    uint64_t end_us;                /* when the thread stopped */
    const char **batch_ids;         /* --pipeline scratch */
    sstore_session *batch_sess;
    int *batch_status;
} sb_client;

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Checks the combination of options. */
static void check_cfg(const sb_cfg *cfg)
{
    if (cfg->uri == NULL)
        ab_usage_fail(CMD, "--store URI is required (or --store-file FILE)");
    if (cfg->pipeline > 1 && cfg->op != SB_GET)
        ab_usage_fail(CMD, "--pipeline batches gets: use it with --op get");
    if (cfg->op != SB_CREATE && cfg->sessions < cfg->clients)
        ab_usage_fail(CMD, "--sessions %llu is fewer than --clients %u: every client needs sessions",
                      (unsigned long long)cfg->sessions, cfg->clients);
}

/* Prints --help. */
static void usage(void)
{
    fputs(usage_text, stdout);
}

/* Takes the store URI of --store (hidden in argv then) or --store-file; once only. */
static void take_store(const ab_opt *p, sb_cfg *cfg, int from_file)
{
    if (cfg->uri != NULL)
        ab_opt_fail(p, "give --store or --store-file once");
    cfg->uri = from_file ? ab_opt_secret_file(p) : ab_opt_secret(p);
}

/* Parses the command line into cfg (cfg->uri is malloc'd); usage failures exit 2, --help 0. */
static void parse_args(int argc, char **argv, sb_cfg *cfg)
{
    enum { O_STORE = 256, O_STORE_FILE, O_OP, O_CLIENTS, O_PIPELINE, O_SESSIONS, O_VALUE, O_TTL, O_DURATION,
           O_WARMUP, O_JSON };
    static const struct option opts[] = {
        {"store", required_argument, NULL, O_STORE}, {"store-file", required_argument, NULL, O_STORE_FILE},
        {"op", required_argument, NULL, O_OP}, {"clients", required_argument, NULL, O_CLIENTS},
        {"pipeline", required_argument, NULL, O_PIPELINE}, {"sessions", required_argument, NULL, O_SESSIONS},
        {"value-bytes", required_argument, NULL, O_VALUE}, {"ttl", required_argument, NULL, O_TTL},
        {"duration", required_argument, NULL, O_DURATION}, {"warmup", required_argument, NULL, O_WARMUP},
        {"json", no_argument, NULL, O_JSON}, {NULL, 0, NULL, 0}};
    ab_opt p;
    int c;
    *cfg = (sb_cfg){NULL, SB_GET, 1, 1, 10000, 256, 3600, 10000000, 2000000, 0};
    ab_opt_init(&p, CMD, usage, opts, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case O_STORE: take_store(&p, cfg, 0); break;
        case O_STORE_FILE: take_store(&p, cfg, 1); break;
        case O_OP: cfg->op = (enum sb_op)ab_opt_choice(&p, op_names); break;
        case O_CLIENTS: cfg->clients = (unsigned)ab_opt_u64(&p, 1, SB_MAX_CLIENTS); break;
        case O_PIPELINE: cfg->pipeline = (unsigned)ab_opt_u64(&p, 1, SB_MAX_PIPELINE); break;
        case O_SESSIONS: cfg->sessions = ab_opt_u64(&p, 1, 100000000); break;
        case O_VALUE: cfg->value_bytes = ab_opt_u64(&p, 64, SSTORE_CLAIMS_MAX); break;
        case O_TTL: cfg->ttl_s = ab_opt_u64(&p, 1, SSTORE_TTL_MAX); break;
        case O_DURATION: cfg->duration_us = ab_opt_duration_us(&p); break;
        case O_WARMUP: cfg->warmup_us = ab_opt_duration_us(&p); break;
        case O_JSON: cfg->json = 1; break;
        }
    }
    if (cfg->duration_us == 0)
        ab_opt_fail(&p, "--duration must be more than 0");
    check_cfg(cfg);
}

/* Claims JSON of exactly len bytes (len >= 64): the usual fields, padded. malloc'd. */
static char *make_claims(size_t len)
{
    char *buf = malloc(len + 1);
    int n;
    if (buf == NULL)
        return NULL;
    n = snprintf(buf, len + 1, "{\"sub\":\"user-0042\",\"iss\":\"authbench\",\"roles\":[\"user\"],\"pad\":\"");
    memset(buf + n, 'x', len - (size_t)n - 2);
    memcpy(buf + len - 2, "\"}", 3);
    return buf;
}

/* The URI with any password replaced by "***", for printing. */
static void masked_uri(const char *uri, char *out, size_t len)
{
    const char *auth = strstr(uri, "://"), *at, *secret;
    snprintf(out, len, "%s", uri);
    if (auth == NULL)
        return;
    auth += 3;
    if ((at = memrchr(auth, '@', strcspn(auth, "/?#"))) == NULL)
        return;
    secret = memchr(auth, ':', (size_t)(at - auth)); /* user:pass@ hides pass; pass@ hides it all */
    secret = secret != NULL ? secret + 1 : auth;
    snprintf(out, len, "%.*s***%s", (int)(secret - uri), uri, at);
}

/* Adds id to the client's share. 0, or -1 when out of memory. */
static int push_id(sb_client *cl, const char *id)
{
    if (cl->nids == cl->cap) {
        size_t ncap = cl->cap ? cl->cap * 2 : 64;
        void *n = realloc(cl->ids, ncap * sizeof *cl->ids);
        if (n == NULL)
            return -1;
        cl->ids = n;
        cl->cap = ncap;
    }
    memcpy(cl->ids[cl->nids++], id, SSTORE_ID_LEN + 1);
    return 0;
}

/* Creates the client's share of the sessions before the run (in its thread). 0, or -1 with a
 * message printed. */
static int prepopulate(sb_client *cl, uint64_t count)
{
    char id[SSTORE_ID_LEN + 1];
    uint64_t i;
    for (i = 0; i < count; i++) {
        int st = sstore_create(cl->c, cl->run->claims, cl->run->claims_len, (int64_t)cl->run->cfg->ttl_s, id);
        if (st != SSTORE_OK) {
            ab_err(CMD, "creating the sessions before the run: %s: %s", sstore_status_name(st), sstore_conn_errstr(cl->c));
            return -1;
        }
        if (push_id(cl, id) != 0) {
            ab_err(CMD, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* A random session of the client's share (nids > 0). */
static const char *pick(sb_client *cl)
{
    return cl->ids[ab_rng_below(&cl->rng, cl->nids)];
}

/* The mix: get 80%, touch 10%, create 5%, delete 5% (created and deleted ids join and leave the share). */
static int op_mix(sb_client *cl, sstore_session *s)
{
    unsigned r = (unsigned)ab_rng_below(&cl->rng, 100);
    char id[SSTORE_ID_LEN + 1];
    size_t k;
    int st;
    if (r < 80 || (r >= 95 && cl->nids <= 1))
        return sstore_get(cl->c, pick(cl), s);
    if (r < 90)
        return sstore_touch(cl->c, pick(cl), (int64_t)cl->run->cfg->ttl_s);
    if (r < 95) {
        st = sstore_create(cl->c, cl->run->claims, cl->run->claims_len, (int64_t)cl->run->cfg->ttl_s, id);
        return st == SSTORE_OK && push_id(cl, id) != 0 ? SSTORE_ERR_NOMEM : st;
    }
    k = ab_rng_below(&cl->rng, cl->nids);
    st = sstore_delete(cl->c, cl->ids[k]);
    if (k != --cl->nids) /* the last id fills the gap */
        memcpy(cl->ids[k], cl->ids[cl->nids], SSTORE_ID_LEN + 1);
    return st;
}

/* One operation; returns its status, or -1 when the client has nothing left to delete. */
static int one_op(sb_client *cl)
{
    const sb_cfg *cfg = cl->run->cfg;
    char id[SSTORE_ID_LEN + 1];
    sstore_session s;
    switch (cfg->op) {
    case SB_GET: return sstore_get(cl->c, pick(cl), &s);
    case SB_CREATE: return sstore_create(cl->c, cl->run->claims, cl->run->claims_len, (int64_t)cfg->ttl_s, id);
    case SB_TOUCH: return sstore_touch(cl->c, pick(cl), (int64_t)cfg->ttl_s);
    case SB_DELETE: return cl->nids == 0 ? -1 : sstore_delete(cl->c, cl->ids[--cl->nids]);
    case SB_MIX: return op_mix(cl, &s);
    }
    return SSTORE_ERR_ARG;
}

/* Starts the measured window for this client when the phase turned: fresh histogram and counts. */
static void begin_measuring(sb_client *cl)
{
    ab_hist_reset(cl->hist);
    cl->ops = cl->errors = cl->not_found = 0;
    memset(cl->by_status, 0, sizeof cl->by_status);
    sstore_conn_counters(cl->c, &cl->c0);
    cl->measuring = 1;
}

/* Accounts for n operations that ended with status st and took ns each. */
static void account(sb_client *cl, int st, uint64_t n, uint64_t ns)
{
    if (n == 0)
        return;
    if (st == SSTORE_OK || st == SSTORE_NOT_FOUND) {
        cl->ops += n;
        cl->not_found += st == SSTORE_NOT_FOUND ? n : 0;
        ab_hist_record_n(cl->hist, ns, n);
    } else {
        cl->errors += n;
        cl->by_status[st] += n;
    }
}

/* One single operation, timed and accounted. 0, or -1 when the client has nothing left to do. */
static int step_single(sb_client *cl)
{
    uint64_t t0 = ab_now_ns();
    int st = one_op(cl);
    if (st < 0)
        return -1;
    atomic_fetch_add_explicit(&cl->live_ops, 1, memory_order_relaxed);
    if (cl->measuring)
        account(cl, st, 1, ab_now_ns() - t0);
    return 0;
}

/* One batch of --pipeline gets, timed as a whole: each get is recorded with the batch's time. */
static int step_batch(sb_client *cl)
{
    unsigned i, p = cl->run->cfg->pipeline;
    uint64_t t0, ns, n_ok = 0, n_missing = 0;
    int st;
    for (i = 0; i < p; i++)
        cl->batch_ids[i] = pick(cl);
    t0 = ab_now_ns();
    st = sstore_get_batch(cl->c, cl->batch_ids, p, cl->batch_sess, cl->batch_status);
    ns = ab_now_ns() - t0;
    atomic_fetch_add_explicit(&cl->live_ops, p, memory_order_relaxed);
    if (!cl->measuring)
        return 0;
    for (i = 0; i < p; i++) {
        if (cl->batch_status[i] == SSTORE_OK)
            n_ok++;
        else if (cl->batch_status[i] == SSTORE_NOT_FOUND)
            n_missing++;
        else
            account(cl, cl->batch_status[i], 1, 0);
    }
    (void)st; /* a failed batch has every item's status set to its error */
    account(cl, SSTORE_OK, n_ok, ns);
    account(cl, SSTORE_NOT_FOUND, n_missing, ns);
    return 0;
}

/* Sleeps a millisecond (waiting for a phase change). */
static void nap(void)
{
    struct timespec ts = {0, 1000000L};
    (void)nanosleep(&ts, NULL); /* EINTR (Ctrl-C) only shortens the nap */
}

static void *client_main(void *arg)
{
    sb_client *cl = arg;
    int phase, pipelined = cl->run->cfg->pipeline > 1;
    if (cl->run->cfg->op != SB_CREATE && prepopulate(cl, cl->share) != 0)
        atomic_store(&cl->run->failed, 1);
    atomic_fetch_add(&cl->run->ready, 1);
    while ((phase = atomic_load_explicit(&cl->run->phase, memory_order_relaxed)) == SB_READY)
        nap();
    for (; phase != SB_STOP; phase = atomic_load_explicit(&cl->run->phase, memory_order_relaxed)) {
        if (phase == SB_MEASURE && !cl->measuring)
            begin_measuring(cl);
        if ((pipelined ? step_batch(cl) : step_single(cl)) != 0)
            break; /* delete: this client's share is gone */
    }
    if (!cl->measuring) /* stopped (Ctrl-C, or out of sessions) during the warm-up */
        begin_measuring(cl);
    sstore_conn_counters(cl->c, &cl->c1);
    cl->end_us = ab_now_us();
    return NULL;
}

/* Sets up client i: connection, histogram, batch buffers, and its share of the sessions. 0 or -1. */
static int client_init(sb_client *cl, unsigned i, sb_run *run)
{
    const sb_cfg *cfg = run->cfg;
    uint64_t share = cfg->sessions / cfg->clients + (i < cfg->sessions % cfg->clients);
    memset(cl, 0, sizeof *cl);
    cl->run = run;
    ab_rng_seed(&cl->rng, 0x9E3779B97F4A7C15ull * (i + 1));
    cl->c = sstore_connect(run->store);
    cl->hist = ab_hist_new(SB_HIST_HIGHEST_NS, 3);
    cl->batch_ids = calloc(cfg->pipeline, sizeof *cl->batch_ids);
    cl->batch_sess = calloc(cfg->pipeline, sizeof *cl->batch_sess);
    cl->batch_status = calloc(cfg->pipeline, sizeof *cl->batch_status);
    if (cl->c == NULL || cl->hist == NULL || !cl->batch_ids || !cl->batch_sess || !cl->batch_status) {
        ab_err(CMD, "out of memory");
        return -1;
    }
    if (sstore_conn_err(cl->c) != SSTORE_OK) {
        ab_err(CMD, "cannot connect to the store: %s", sstore_conn_errstr(cl->c));
        return -1;
    }
    cl->share = share;
    return 0;
}

static void client_free(sb_client *cl)
{
    sstore_conn_free(cl->c);
    ab_hist_free(cl->hist);
    free(cl->ids);
    free(cl->batch_ids);
    free(cl->batch_sess);
    free(cl->batch_status);
}

/* The merged results of a run. */
typedef struct sb_result {
    ab_hist *hist;
    uint64_t ops, errors, not_found, by_status[SSTORE_STATUS__COUNT];
    sstore_counters io;
    double seconds;
    double cpu_us;      /* this process's CPU time (user + sys, all threads) in the measured window */
    int interrupted;
} sb_result;

/* This process's CPU time so far (user + sys of every thread), in microseconds. */
static double process_cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Merges the clients' histograms, counts and I/O counters into r. 0, or -1 when out of memory. */
static int merge_clients(sb_client *cl, unsigned n, sb_result *r)
{
    unsigned i, k;
    if ((r->hist = ab_hist_new(SB_HIST_HIGHEST_NS, 3)) == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        sstore_counters d;
        ab_hist_merge(r->hist, cl[i].hist);
        r->ops += cl[i].ops;
        r->errors += cl[i].errors;
        r->not_found += cl[i].not_found;
        for (k = 0; k < SSTORE_STATUS__COUNT; k++)
            r->by_status[k] += cl[i].by_status[k];
        sstore_counters_diff(&cl[i].c0, &cl[i].c1, &d);
        sstore_counters_add(&r->io, &d);
    }
    return 0;
}

/* The sum of the clients' live operation counts (progress line only). */
static uint64_t live_ops(sb_client *cl, unsigned n)
{
    uint64_t sum = 0;
    unsigned i;
    for (i = 0; i < n; i++)
        sum += atomic_load_explicit(&cl[i].live_ops, memory_order_relaxed);
    return sum;
}

/* Sleeps up to one tick (less when a phase boundary comes first) and redraws the progress line. */
static void tick(ab_progress *pr, sb_client *cl, unsigned n, uint64_t sleep_us, uint64_t start_us, uint64_t total_us,
                 uint64_t *last_ops, uint64_t *last_us)
{
    struct timespec ts = {(time_t)(sleep_us / 1000000), (long)(sleep_us % 1000000) * 1000L};
    uint64_t ops, now;
    char extra[64];
    (void)nanosleep(&ts, NULL); /* EINTR (Ctrl-C) only shortens the tick */
    now = ab_now_us();
    ops = live_ops(cl, n);
    snprintf(extra, sizeof extra, "%.0f ops/s",
             now > *last_us ? (double)(ops - *last_ops) * 1e6 / (double)(now - *last_us) : 0.0);
    ab_progress_update(pr, CMD, (double)(now - start_us), (double)total_us, extra);
    *last_ops = ops;
    *last_us = now;
}

/* Runs the warm-up and then exactly cfg->duration_us measured (less on Ctrl-C or when a delete run
 * runs out of sessions); sets r->interrupted and returns when the measured window began (0: never). */
static uint64_t drive(sb_run *run, sb_client *cl, sb_result *r)
{
    const sb_cfg *cfg = run->cfg;
    uint64_t start = ab_now_us(), total = cfg->warmup_us + cfg->duration_us, last_ops = 0, last_us = start;
    uint64_t t_measure = 0, now, next;
    ab_progress pr;
    ab_progress_init(&pr, total > SB_PROGRESS_MIN_US);
    atomic_store(&run->phase, SB_WARMUP);
    while (!interrupted) {
        now = ab_now_us();
        if (t_measure == 0 && now >= start + cfg->warmup_us) {
            t_measure = now;
            r->cpu_us = process_cpu_us();
            atomic_store(&run->phase, SB_MEASURE);
        }
        next = t_measure == 0 ? start + cfg->warmup_us : t_measure + cfg->duration_us;
        if (now >= next)
            break;
        tick(&pr, cl, cfg->clients, next - now < SB_TICK_US ? next - now : SB_TICK_US, start, total, &last_ops, &last_us);
        if (cfg->op == SB_DELETE && live_ops(cl, cfg->clients) >= cfg->sessions) {
            ab_err(CMD, "every session was deleted before the end: measured a shorter window (raise --sessions)");
            break;
        }
    }
    atomic_store(&run->phase, SB_STOP);
    r->cpu_us = t_measure != 0 ? process_cpu_us() - r->cpu_us : 0;
    ab_progress_done(&pr);
    r->interrupted = interrupted != 0;
    return t_measure;
}

/* The measured seconds: from the window's start until the stop, or until the last client ran
 * out of sessions if that came first (delete). */
static double measured_seconds(const sb_client *cl, unsigned n, uint64_t t_measure, uint64_t t_stop)
{
    uint64_t last = 0;
    unsigned i;
    for (i = 0; i < n; i++)
        if (cl[i].end_us > last)
            last = cl[i].end_us;
    if (last < t_stop)
        t_stop = last;
    return t_measure != 0 && t_stop > t_measure ? (double)(t_stop - t_measure) / 1e6 : 0;
}

/* Per-operation value of a counter. */
static double per_op(uint64_t v, uint64_t ops)
{
    return ops ? (double)v / (double)ops : 0;
}

/* Per-operation value of a measured quantity. */
static double per_op_d(double v, uint64_t ops)
{
    return ops ? v / (double)ops : 0;
}

/* Prints the latency line: the reported percentiles (p99.9 written so), max and mean in µs. */
static void print_latency(const ab_hist *h)
{
    uint64_t v[AB_HIST_NPCT];
    size_t i;
    ab_hist_percentiles(h, v);
    printf("  latency µs  ");
    for (i = 0; i < AB_HIST_NPCT; i++)
        if (i == AB_HIST_MAX)
            printf(" max %.1f ", (double)v[i] / 1000.0);
        else
            printf(" p%g %.1f ", ab_hist_pcts[i], (double)v[i] / 1000.0);
    printf(" mean %.1f\n", ab_hist_mean(h) / 1000.0);
}

static void print_text(const sb_cfg *cfg, const char *backend, const sb_result *r)
{
    char uri[512];
    unsigned k;
    masked_uri(cfg->uri, uri, sizeof uri);
    printf("store-bench: %s (%s) op=%s clients=%u pipeline=%u sessions=%llu claims=%llu B\n", backend, uri,
           op_names[cfg->op], cfg->clients, cfg->pipeline, (unsigned long long)cfg->sessions,
           (unsigned long long)cfg->value_bytes);
    printf("  measured     %.2f s (warm-up %.2f s not counted)%s\n", r->seconds, (double)cfg->warmup_us / 1e6,
           r->interrupted ? ", interrupted" : "");
    printf("  throughput   %.1f ops/s (%llu ops, %llu not found, %llu errors)\n",
           r->seconds > 0 ? (double)r->ops / r->seconds : 0, (unsigned long long)r->ops,
           (unsigned long long)r->not_found, (unsigned long long)r->errors);
    for (k = 0; k < SSTORE_STATUS__COUNT; k++)
        if (r->by_status[k] != 0)
            printf("  errors       %s: %llu\n", sstore_status_name((sstore_status)k), (unsigned long long)r->by_status[k]);
    print_latency(r->hist);
    printf("  I/O per op   round trips %.3f  net out %.1f B  net in %.1f B  disk read %.1f B  disk written %.1f B"
           "  fsyncs %.3f  syscalls %.2f\n", per_op(r->io.round_trips, r->ops), per_op(r->io.net_bytes_out, r->ops),
           per_op(r->io.net_bytes_in, r->ops), per_op(r->io.disk_bytes_read, r->ops),
           per_op(r->io.disk_bytes_written, r->ops), per_op(r->io.fsyncs, r->ops), per_op(r->io.syscalls, r->ops));
    printf("  client CPU   %.2f µs per op (user + sys of store-bench's threads)\n", per_op_d(r->cpu_us, r->ops));
    if (r->io.reconnects != 0 || r->io.redirects != 0)
        printf("  reconnects   %llu  redirects %llu\n", (unsigned long long)r->io.reconnects,
               (unsigned long long)r->io.redirects);
}

/* The "latency_us" object: the reported percentiles (ab_hist.h's table, max last) and the mean. */
static cJSON *latency_json(const ab_hist *h)
{
    cJSON *o = cJSON_CreateObject();
    uint64_t v[AB_HIST_NPCT];
    size_t i;
    ab_hist_percentiles(h, v);
    for (i = 0; i < AB_HIST_NPCT; i++)
        cJSON_AddNumberToObject(o, ab_hist_pct_keys[i], (double)v[i] / 1000.0);
    cJSON_AddNumberToObject(o, "mean", ab_hist_mean(h) / 1000.0);
    return o;
}

/* Adds the I/O counters per operation (and the totals that are events, not rates). */
static void io_json(cJSON *root, const sb_result *r)
{
    cJSON_AddNumberToObject(root, "round_trips_per_op", per_op(r->io.round_trips, r->ops));
    cJSON_AddNumberToObject(root, "net_bytes_out_per_op", per_op(r->io.net_bytes_out, r->ops));
    cJSON_AddNumberToObject(root, "net_bytes_in_per_op", per_op(r->io.net_bytes_in, r->ops));
    cJSON_AddNumberToObject(root, "disk_bytes_read_per_op", per_op(r->io.disk_bytes_read, r->ops));
    cJSON_AddNumberToObject(root, "disk_bytes_written_per_op", per_op(r->io.disk_bytes_written, r->ops));
    cJSON_AddNumberToObject(root, "fsyncs_per_op", per_op(r->io.fsyncs, r->ops));
    cJSON_AddNumberToObject(root, "syscalls_per_op", per_op(r->io.syscalls, r->ops));
    cJSON_AddNumberToObject(root, "client_cpu_us_per_op", per_op_d(r->cpu_us, r->ops));
    cJSON_AddNumberToObject(root, "reconnects", (double)r->io.reconnects);
    cJSON_AddNumberToObject(root, "redirects", (double)r->io.redirects);
}

/* Prints the run as one JSON object. 0, or -1 when out of memory. */
static int print_json(const sb_cfg *cfg, const char *backend, const sb_result *r)
{
    cJSON *root = cJSON_CreateObject(), *errs = cJSON_CreateObject();
    char uri[512], *text, *hist = ab_hist_encode(r->hist);
    unsigned k;
    masked_uri(cfg->uri, uri, sizeof uri);
    cJSON_AddStringToObject(root, "store", uri);
    cJSON_AddStringToObject(root, "backend", backend);
    cJSON_AddStringToObject(root, "op", op_names[cfg->op]);
    cJSON_AddNumberToObject(root, "clients", cfg->clients);
    cJSON_AddNumberToObject(root, "pipeline", cfg->pipeline);
    cJSON_AddNumberToObject(root, "sessions", (double)cfg->sessions);
    cJSON_AddNumberToObject(root, "value_bytes", (double)cfg->value_bytes);
    cJSON_AddNumberToObject(root, "duration_s", r->seconds);
    cJSON_AddNumberToObject(root, "warmup_s", (double)cfg->warmup_us / 1e6);
    cJSON_AddBoolToObject(root, "interrupted", r->interrupted);
    cJSON_AddNumberToObject(root, "ops", (double)r->ops);
    cJSON_AddNumberToObject(root, "ops_per_sec", r->seconds > 0 ? (double)r->ops / r->seconds : 0);
    cJSON_AddNumberToObject(root, "not_found", (double)r->not_found);
    cJSON_AddNumberToObject(root, "errors", (double)r->errors);
    for (k = 0; k < SSTORE_STATUS__COUNT; k++)
        if (r->by_status[k] != 0)
            cJSON_AddNumberToObject(errs, sstore_status_name((sstore_status)k), (double)r->by_status[k]);
    cJSON_AddItemToObject(root, "errors_by_status", errs);
    cJSON_AddItemToObject(root, "latency_us", latency_json(r->hist));
    cJSON_AddStringToObject(root, "latency_recorded", cfg->pipeline > 1 ? "per get, each carrying its batch's time"
                                                                         : "per operation");
    io_json(root, r);
    cJSON_AddStringToObject(root, "latency_hist_ns", hist != NULL ? hist : "");
    text = cJSON_PrintUnformatted(root);
    if (text != NULL)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(root);
    free(hist);
    return text != NULL ? 0 : -1;
}

/* Prints the report, as text or JSON. 0, or -1 when out of memory. */
static int report(const sb_cfg *cfg, const char *backend, const sb_result *r)
{
    if (cfg->json)
        return print_json(cfg, backend, r);
    print_text(cfg, backend, r);
    return fflush(stdout) == 0 ? 0 : -1;
}

/* Starts the clients, runs, joins them and merges into r. 0, or -1 (message printed). */
static int run_clients(sb_run *run, sb_client *cl, sb_result *r)
{
    unsigned i, started = 0;
    uint64_t t_measure = 0, t_stop;
    int rc = 0;
    for (i = 0; i < run->cfg->clients && rc == 0; i++) {
        if ((rc = client_init(&cl[i], i, run)) != 0)
            break;
        if ((rc = pthread_create(&cl[i].tid, NULL, client_main, &cl[i])) != 0)
            ab_err(CMD, "cannot start client thread %u: %s", i, strerror(rc));
        else
            started++;
    }
    while (rc == 0 && atomic_load(&run->ready) < started && !interrupted)
        nap();
    if (rc == 0 && atomic_load(&run->failed))
        rc = -1;
    if (rc == 0)
        t_measure = drive(run, cl, r);
    t_stop = ab_now_us();
    atomic_store(&run->phase, SB_STOP);
    for (i = 0; i < started; i++)
        if ((errno = pthread_join(cl[i].tid, NULL)) != 0)
            ab_err(CMD, "joining client thread %u: %s", i, strerror(errno));
    r->seconds = measured_seconds(cl, started, t_measure, t_stop);
    if (rc == 0 && merge_clients(cl, run->cfg->clients, r) != 0) {
        ab_err(CMD, "out of memory");
        rc = -1;
    }
    for (i = 0; i < run->cfg->clients; i++)
        client_free(&cl[i]); /* calloc'd: the ones never set up free nothing */
    return rc == 0 ? 0 : -1;
}

/* Ctrl-C ends the run early; the report covers what was measured. 0 or -1. */
static int catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
        ab_err(CMD, "cannot catch SIGINT: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens the store and runs the benchmark; prints the report. An exit status. */
static int bench(const sb_cfg *cfg)
{
    sb_run run = {cfg, NULL, NULL, cfg->value_bytes, SB_READY, 0, 0};
    sb_result r;
    sb_client *cl = NULL;
    char why[512];
    int rc = AB_EXIT_FAIL;
    memset(&r, 0, sizeof r);
    run.store = sstore_open(cfg->uri);
    if (run.store == NULL || (run.claims = make_claims(cfg->value_bytes)) == NULL ||
        (cl = calloc(cfg->clients, sizeof *cl)) == NULL)
        ab_err(CMD, "out of memory");
    else if (sstore_err(run.store) != SSTORE_OK)
        ab_err(CMD, "--store: %s", ab_mask_secrets(sstore_errstr(run.store), why, sizeof why));
    else if (run_clients(&run, cl, &r) == 0 && r.ops == 0)
        ab_err(CMD, "no operation succeeded (%llu errors)", (unsigned long long)r.errors);
    else if (r.hist != NULL)
        rc = report(cfg, sstore_backend(run.store), &r) == 0 ? AB_EXIT_OK : AB_EXIT_FAIL;
    ab_hist_free(r.hist);
    free(cl);
    free(run.claims);
    sstore_close(run.store);
    return rc;
}

int ab_cmd_store_bench(int argc, char **argv)
{
    sb_cfg cfg;
    int rc = AB_EXIT_FAIL;
    parse_args(argc, argv, &cfg);
    if (catch_sigint() == 0)
        rc = bench(&cfg);
    free(cfg.uri);
    return rc;
}

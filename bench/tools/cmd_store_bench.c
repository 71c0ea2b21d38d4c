/* cmd_store_bench.c — `authbench store-bench`: event-loop threads drive many non-blocking
 * connections to a session store directly (no HTTP), operations pipelined on each, and report
 * throughput, latency percentiles, errors and I/O per operation. This file: the options and the
 * run's outline; the engine is sb_loop.c, the report sb_report.c. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ab_cli.h"
#include "ab_opt.h"
#include "commands.h"
#include "sb_int.h"
#include "sstore.h"

#define CMD SB_CMD
#define SB_MAX_CLIENTS 1024
#define SB_MAX_THREADS 64
#define SB_MAX_PIPELINE 1024

static const char usage_text[] =
    "usage: authbench store-bench --store URI | --store-file FILE [--op create|get|touch|delete|mix]\n"
    "                             [--threads T] [--clients C] [--pipeline P]\n"
    "                             [--sessions K] [--value-bytes B] [--ttl S]\n"
    "                             [--duration S] [--warmup S] [--fill N] [--sweep N] [--json]\n"
    "\n"
    "Drives a session store directly (no HTTP), as an asynchronous application server does: T event-\n"
    "loop threads (epoll) each drive their share of C non-blocking store connections (sstore_async),\n"
    "with P operations in flight on every connection; when one completes, the next is submitted (as\n"
    "redis-benchmark -P and memtier_benchmark --pipeline do). Operations run back to back for the\n"
    "duration, after a warm-up that is never counted. Prints throughput, latency percentiles, errors\n"
    "and the store's I/O per operation.\n"
    "\n"
    "  --store URI        memory://…, redis://[user:pass@]host:port[/db],\n"
    "                     redis-cluster://host:port[,host:port…], file:///dir?…,\n"
    "                     postgres://user[:pass]@host:port/db?…, memcached://host:port (see sstore.h);\n"
    "                     a password given here shows in ps until it is parsed\n"
    "  --store-file FILE  URI from the first line of FILE, which must be yours and mode 0600 (no\n"
    "                     access for group or others): a store password never on argv\n"
    "  --op OP            get (default), create, touch (sliding expiry), delete, or mix: each operation\n"
    "                     a get (80%), touch (10%), create (5%) or delete (5%) of the connection's sessions\n"
    "  --threads T        event-loop threads, at most --clients (default 1, as redis-benchmark)\n"
    "  --clients C        store connections in all, spread evenly over the threads (default 1)\n"
    "  --pipeline P       operations in flight per connection (default 1: one waits for the other).\n"
    "                     Redis writes what was submitted while others were in flight in one go, so\n"
    "                     the I/O shows ops per round trip; memory completes inline; file runs on the\n"
    "                     handle's worker threads (2 per connection)\n"
    "  --sessions K       sessions created before the run (blocking calls, not measured), split among\n"
    "                     the connections, for get, touch, delete and mix; each connection uses its own\n"
    "                     share (default 10000)\n"
    "  --value-bytes B    size of each session's claims JSON (default 256, at least 64)\n"
    "  --ttl S            session lifetime in seconds; sessions are left to expire (default 3600)\n"
    "  --duration S       measured time: 10s, 500ms, 1m (default 10s)\n"
    "  --warmup S         time run first and not counted (default 2s)\n"
    ;
/* The rest of --help (one string literal would pass C99's 4095-character limit). */
static const char usage_more[] =
    "  --fill N           N more sessions stored before the run and never touched by it (default 0):\n"
    "                     a production store's population (10^5-10^6), written through 8\n"
    "                     non-blocking connections, 64 in flight in all (sstore_fill), with\n"
    "                     progress on stderr every tenth\n"
    "  --sweep N          N sessions stored before the run with a 1 s TTL, left to expire, and one\n"
    "                     sstore_sweep() from a connection of its own at the middle of the window\n"
    "                     (PostgreSQL: DELETE … WHERE expires_at < now(); files, memory: their\n"
    "                     sweeps; Redis, memcached: 0, they expire by themselves): how many it\n"
    "                     removed, how long it ran, and the latency of the operations that\n"
    "                     completed while it ran beside the whole window's (default 0: none)\n"
    "  --json             one JSON object on stdout instead of the text report\n"
    "\n"
    "Counted: ops completed without error in the measured window (a get of a missing session counts,\n"
    "as not_found; a delete run stops early once every session is deleted). Latency: each such\n"
    "operation from its submit to its completion (queueing behind the P-1 others included), in a\n"
    "log-linear histogram (3 significant digits), merged across threads. I/O per op: the\n"
    "connections' counters (round trips = writes of what was queued, socket bytes, disk bytes,\n"
    "fsyncs, syscalls) over the measured window / ops; pipelining: ops issued / round trips.\n"
    "Client CPU: store-bench's own CPU time (all threads, user + sys) in the window / ops.\n"
    "Store size: what the store reports holding (sstore_stored_bytes: PostgreSQL's table size,\n"
    "memcached's item bytes, Redis's used_memory, memory's accounted bytes; not measured for files\n"
    "and clusters) before --fill and after the run; for get and touch runs, which leave the sessions\n"
    "as they were, its growth / (fill + sessions) is the bytes per session.\n"
    "Exit status: 0 done, 1 the store could not be opened or reached or no operation succeeded,\n"
    "2 bad usage.\n";

const char *const sb_op_names[] = {"get", "create", "touch", "delete", "mix", NULL};

static void on_sigint(int sig)
{
    (void)sig;
    sb_interrupted = 1;
}

/* Checks the combination of options. */
static void check_cfg(const sb_cfg *cfg)
{
    if (cfg->uri == NULL)
        ab_usage_fail(CMD, "--store URI is required (or --store-file FILE)");
    if (cfg->threads > cfg->clients)
        ab_usage_fail(CMD, "--threads %u is more than --clients %u: every thread drives a connection at least",
                      cfg->threads, cfg->clients);
    if (cfg->op != SB_CREATE && cfg->sessions < cfg->clients)
        ab_usage_fail(CMD, "--sessions %llu is fewer than --clients %u: every client needs sessions",
                      (unsigned long long)cfg->sessions, cfg->clients);
}

/* Prints --help. */
static void usage(void)
{
    fputs(usage_text, stdout);
    fputs(usage_more, stdout);
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
    enum { O_STORE = 256, O_STORE_FILE, O_OP, O_THREADS, O_CLIENTS, O_PIPELINE, O_SESSIONS, O_VALUE, O_TTL,
           O_DURATION, O_WARMUP, O_JSON, O_FILL, O_SWEEP };
    static const struct option opts[] = {
        {"store", required_argument, NULL, O_STORE}, {"store-file", required_argument, NULL, O_STORE_FILE},
        {"op", required_argument, NULL, O_OP}, {"threads", required_argument, NULL, O_THREADS},
        {"clients", required_argument, NULL, O_CLIENTS},
        {"pipeline", required_argument, NULL, O_PIPELINE}, {"sessions", required_argument, NULL, O_SESSIONS},
        {"value-bytes", required_argument, NULL, O_VALUE}, {"ttl", required_argument, NULL, O_TTL},
        {"duration", required_argument, NULL, O_DURATION}, {"warmup", required_argument, NULL, O_WARMUP},
        {"json", no_argument, NULL, O_JSON}, {"fill", required_argument, NULL, O_FILL},
        {"sweep", required_argument, NULL, O_SWEEP}, {NULL, 0, NULL, 0}};
    ab_opt p;
    int c;
    *cfg = (sb_cfg){NULL, SB_GET, 1, 1, 1, 10000, 256, 3600, 10000000, 2000000, 0, 0, 0};
    ab_opt_init(&p, CMD, usage, opts, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case O_STORE: take_store(&p, cfg, 0); break;
        case O_STORE_FILE: take_store(&p, cfg, 1); break;
        case O_OP: cfg->op = (enum sb_op)ab_opt_choice(&p, sb_op_names); break;
        case O_THREADS: cfg->threads = (unsigned)ab_opt_u64(&p, 1, SB_MAX_THREADS); break;
        case O_CLIENTS: cfg->clients = (unsigned)ab_opt_u64(&p, 1, SB_MAX_CLIENTS); break;
        case O_PIPELINE: cfg->pipeline = (unsigned)ab_opt_u64(&p, 1, SB_MAX_PIPELINE); break;
        case O_SESSIONS: cfg->sessions = ab_opt_u64(&p, 1, 100000000); break;
        case O_VALUE: cfg->value_bytes = ab_opt_u64(&p, 64, SSTORE_CLAIMS_MAX); break;
        case O_TTL: cfg->ttl_s = ab_opt_u64(&p, 1, SSTORE_TTL_MAX); break;
        case O_DURATION: cfg->duration_us = ab_opt_duration_us(&p); break;
        case O_WARMUP: cfg->warmup_us = ab_opt_duration_us(&p); break;
        case O_JSON: cfg->json = 1; break;
        case O_FILL: cfg->fill = ab_opt_u64(&p, 0, 100000000); break;
        case O_SWEEP: cfg->sweep = ab_opt_u64(&p, 0, 100000000); break;
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

/* What the store reports holding now, or -1 (not measured, or it did not answer). */
static long long stored_bytes(sstore *st)
{
    sstore_conn *c = sstore_connect(st);
    long long n = c != NULL && sstore_conn_err(c) == SSTORE_OK ? sstore_stored_bytes(c) : -1;
    sstore_conn_free(c);
    return n;
}

/* --fill's progress line on stderr. */
static void fill_progress(void *arg, uint64_t done, uint64_t n)
{
    double s = (double)(ab_now_us() - *(const uint64_t *)arg) / 1e6;
    fprintf(stderr, "%s: stored %llu of %llu fill sessions (%.1f s, %.0f/s)\n", CMD, (unsigned long long)done,
            (unsigned long long)n, s, s > 0 ? (double)done / s : 0);
}

/* n sessions of ttl_s stored through sstore_fill, for option what. 0, or -1 with the reason printed. */
static int store_many(sstore *st, uint64_t n, const char *claims, size_t len, int64_t ttl_s, const char *what)
{
    uint64_t t0 = ab_now_us();
    char err[512], why[600];
    if (n == 0 || sstore_fill(st, n, claims, len, ttl_s, 64, fill_progress, &t0, err, sizeof err) >= 0)
        return 0;
    ab_err(CMD, "%s: %s", what, ab_mask_secrets(err, why, sizeof why));
    return -1;
}

/* --fill (the sessions the run never touches) and --sweep (the expired ones it sweeps), before it.
 * 0, or -1 with the reason printed. */
static int fill(const sb_cfg *cfg, sstore *st, const char *claims, sb_result *r)
{
    uint64_t t0 = ab_now_us();
    r->bytes_before = stored_bytes(st);
    if (store_many(st, cfg->fill, claims, cfg->value_bytes, (int64_t)cfg->ttl_s, "--fill") != 0)
        return -1;
    r->fill_s = (double)(ab_now_us() - t0) / 1e6;
    if (store_many(st, cfg->sweep, claims, cfg->value_bytes, 1, "--sweep") != 0)
        return -1;
    if (cfg->sweep > 0) { /* the last of them expires a second after it was stored */
        struct timespec ts = {1, 100000000L};
        (void)nanosleep(&ts, NULL);
    }
    return 0;
}

/* Opens the store and runs the benchmark; prints the report. An exit status. */
static int bench(const sb_cfg *cfg)
{
    sstore *st = sstore_open(cfg->uri);
    char why[512], *claims = make_claims(cfg->value_bytes);
    sb_result r;
    int rc = AB_EXIT_FAIL;
    memset(&r, 0, sizeof r);
    r.bytes_before = r.bytes_after = -1;
    if (st == NULL || claims == NULL)
        ab_err(CMD, "out of memory");
    else if (sstore_err(st) != SSTORE_OK)
        ab_err(CMD, "--store: %s", ab_mask_secrets(sstore_errstr(st), why, sizeof why));
    else if (fill(cfg, st, claims, &r) != 0)
        ;
    else if (sb_loop_run(cfg, st, claims, cfg->value_bytes, &r) == 0 && r.t.ops == 0)
        ab_err(CMD, "no operation succeeded (%llu errors)", (unsigned long long)r.t.errors);
    else if (r.t.hist != NULL && (r.bytes_after = stored_bytes(st), 1))
        rc = sb_report(cfg, sstore_backend(st), &r) == 0 ? AB_EXIT_OK : AB_EXIT_FAIL;
    ab_hist_free(r.t.hist);
    ab_hist_free(r.sweep_hist);
    free(claims);
    sstore_close(st);
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

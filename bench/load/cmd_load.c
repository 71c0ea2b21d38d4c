/* cmd_load.c — `authbench load`: option parsing, signals, the run, the summary and the JSON file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_load.h"
#include "ab_net.h"
#include "ab_opt.h"
#include "commands.h"

#define CMD "load"
#define ABL_MAX_TARGETS 64

static volatile sig_atomic_t abl_stop;

/* Prints --help. */
static void usage(void)
{
    printf(
        "usage: authbench load --targets HOST:PORT[,HOST:PORT...] [options]\n\n"
        "The load generator, which is also the load balancer in front of the simulated app servers.\n"
        "It logs every user in first (each login goes where the balancer sends it), then runs a warm-up\n"
        "that is never counted, then the measured window. Each of the C connections is one simulated\n"
        "client of the balancer with one keep-alive socket per target it has used; per request the\n"
        "policy picks the target.\n\n"
        "  --targets LIST     servers (authbench serve) as HOST:PORT, comma-separated\n"
        "  --lb POLICY        rr | random | sticky (sticky: user -> server by a hash of its name)  [rr]\n"
        "  --connections C    clients in total, spread over the threads                            [10]\n"
        "  --threads T        threads, each with its own event loop, counters and histograms      [2]\n"
        "  --duration D       measured window: 10, 10s, 500ms, 2m                                  [10s]\n"
        "  --warmup D         warm-up before the window, never counted                            [1s]\n"
        "  --rate R           open loop: R requests/s in total, each client paced at R/C; latency is\n"
        "                     measured from the intended send time (coordinated omission corrected),\n"
        "                     the uncorrected histogram (from the actual send) is kept too.\n"
        "                     Without --rate: closed loop, each client sends its next request when\n"
        "                     the previous answer arrives (max throughput; latency from the send).\n"
        "  --users U          simulated users, split evenly over the threads                       [100]\n"
        "  --key-dist K       uniform | zipf:THETA (which user makes each request, within a thread's\n"
        "                     share of the users)                                                  [uniform]\n"
        "  --mix M            weights, e.g. login=1,request=98,logout=1; after a logout the user logs\n"
        "                     in again before its next request; a user whose request got a 401 while\n"
        "                     it holds a refresh token (jwt+refresh) sends POST /refresh next      [request=1]\n"
        "  --path P           what a request GETs                                                  [/api/x]\n"
        "  --timeout D        a request unanswered this long is a timeout error; it is recorded in\n"
        "                     the failed answers' histogram at the time it was abandoned (a lower\n"
        "                     bound)                                                               [2s]\n"
        "  --seed N           random seed (user and target choices)                               [1]\n"
        "  --shard I/N        this generator is shard I of N driving one target from N machines: it\n"
        "                     takes users [U(I-1)/N, UI/N) of --users U (disjoint slices, so no two\n"
        "                     machines share a user) and R/N of --rate R; --connections stay as given\n"
        "                     (per machine). Merge the N JSON files with `authbench merge`.      [1/1]\n"
        "  --start-at T       start the warm-up at Unix time T (seconds, e.g. $(( $(date +%%s) + 30 ))),\n"
        "                     once the users are logged in, so that the windows of generators on\n"
        "                     several machines line up as well as their clocks do (NTP); the run\n"
        "                     fails if T has passed by then\n"
        "  --json FILE        write every figure as JSON (atomically)\n"
        "  --no-server-stats  do not GET /stats from the targets before and after the window\n"
        "  --no-progress      no progress line on stderr\n\n");
    printf( /* two strings: C99 compilers need only take 4095 characters in one */
        "Counted: answers (any status) and timeouts are requests; 401 answers are auth failures; other\n"
        "non-2xx answers and transport failures are errors by kind (connect, read, write, timeout,\n"
        "parse, http_4xx, http_5xx, http_other, login). Goodput is the 2xx answers per second. The\n"
        "latency histograms hold successful (2xx) answers only; failed answers (any other status, 401\n"
        "included, timeouts, logins answered without a credential) have their own (latency_failed_us,\n"
        "histogram_failed), so fast refusals never pass for fast service. Histograms are in nanoseconds\n"
        "with 3 significant digits; the summary and JSON give microseconds. Server costs per request\n"
        "come from the difference of every target's GET /stats around the window.\n\n"
        "Honest rates (open loop): the JSON has target_rate_per_sec, achieved_rate_per_sec (answers and\n"
        "timeouts completed in the window / its seconds), sent, schedule_lag_us {p50, p95, p99, max,\n"
        "backlog_at_end, behind} (how late each send went out against its intended time; the backlog is\n"
        "how long ago the next request of the most behind client was due when the window closed) and\n"
        "rate_reached: true when achieved >= 95 %% of the target and the sender did not fall behind\n"
        "(backlog at the end <= 10 ms and lag p95 <= 10 ms: a short stall it recovers from is in the\n"
        "corrected latency, not a miss). When it is false the summary prints 'target rate NOT reached'\n"
        "before the latencies: they were measured under overload, not at the target rate. Closed loop:\n"
        "target_rate_per_sec, rate_reached and schedule_lag_us are null.\n"
        "The generator's own CPU over the window (its threads' CPU clocks): loadgen_cpu {cpu_s, util =\n"
        "cpu_s / (window s x threads), us_per_req, threads, bottleneck (util >= 0.9: it may have been\n"
        "what limited the run; the summary warns)}.\n"
        "Exit status: 0 done, 1 a target is unreachable or the run failed, 2 bad usage.\n");
}

/* Parses "HOST:PORT,…" into targets. Exits 2 on bad input. */
static size_t parse_targets(const char *list, ab_load_target *out)
{
    char *copy = strdup(list), *save = NULL, *tok, err[200];
    size_t n = 0;
    if (copy == NULL)
        ab_fail(CMD, "out of memory");
    for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (n == ABL_MAX_TARGETS)
            ab_usage_fail(CMD, "--targets: more than %d targets", ABL_MAX_TARGETS);
        if (strlen(tok) >= sizeof out[n].name ||
            ab_net_resolve(tok, &out[n].addr, &out[n].addrlen, err, sizeof err) != 0)
            ab_usage_fail(CMD, "--targets: %s", strlen(tok) >= sizeof out[n].name ? "name too long" : err);
        snprintf(out[n].name, sizeof out[n].name, "%s", tok);
        n++;
    }
    free(copy);
    if (n == 0)
        ab_usage_fail(CMD, "--targets: no target given");
    return n;
}

/* Parses "login=W,request=W,logout=W" (any subset, any order). Exits 2 on bad input. */
static void parse_mix(const char *s, ab_load_config *cfg)
{
    char *copy = strdup(s), *save = NULL, *tok;
    if (copy == NULL)
        ab_fail(CMD, "out of memory");
    cfg->mix_login = cfg->mix_request = cfg->mix_logout = 0;
    for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        double *w = NULL;
        if (eq != NULL) {
            *eq = '\0';
            w = strcmp(tok, "login") == 0 ? &cfg->mix_login
                : strcmp(tok, "request") == 0 ? &cfg->mix_request
                : strcmp(tok, "logout") == 0 ? &cfg->mix_logout : NULL;
        }
        if (w == NULL || ab_parse_double(eq + 1, 0, 1e9, w) != 0)
            ab_usage_fail(CMD, "--mix: '%s' is not login=W, request=W or logout=W", s);
    }
    free(copy);
    if (cfg->mix_login + cfg->mix_request + cfg->mix_logout <= 0)
        ab_usage_fail(CMD, "--mix: the weights add up to 0");
}

/* Parses "uniform" or "zipf:THETA". Exits 2 on bad input. */
static void parse_key_dist(const char *s, ab_load_config *cfg)
{
    if (strcmp(s, "uniform") == 0)
        cfg->zipf_theta = 0;
    else if (strncmp(s, "zipf:", 5) != 0 || ab_parse_double(s + 5, 0.01, 10, &cfg->zipf_theta) != 0)
        ab_usage_fail(CMD, "--key-dist: '%s' is not uniform or zipf:THETA (0.01..10)", s);
}

enum { O_TARGETS = 256, O_LB, O_CONNECTIONS, O_THREADS, O_DURATION, O_WARMUP, O_RATE, O_USERS, O_KEY_DIST,
       O_MIX, O_PATH, O_TIMEOUT, O_SEED, O_SHARD, O_START_AT, O_JSON, O_NO_STATS, O_NO_PROGRESS };

static const struct option load_options[] = {
    {"targets", required_argument, NULL, O_TARGETS}, {"lb", required_argument, NULL, O_LB},
    {"connections", required_argument, NULL, O_CONNECTIONS}, {"threads", required_argument, NULL, O_THREADS},
    {"duration", required_argument, NULL, O_DURATION}, {"warmup", required_argument, NULL, O_WARMUP},
    {"rate", required_argument, NULL, O_RATE}, {"users", required_argument, NULL, O_USERS},
    {"key-dist", required_argument, NULL, O_KEY_DIST}, {"mix", required_argument, NULL, O_MIX},
    {"path", required_argument, NULL, O_PATH}, {"timeout", required_argument, NULL, O_TIMEOUT},
    {"seed", required_argument, NULL, O_SEED}, {"shard", required_argument, NULL, O_SHARD},
    {"start-at", required_argument, NULL, O_START_AT}, {"json", required_argument, NULL, O_JSON},
    {"no-server-stats", no_argument, NULL, O_NO_STATS}, {"no-progress", no_argument, NULL, O_NO_PROGRESS},
    {NULL, 0, NULL, 0}};

/* Sets --path. Exits 2 on a path that is not absolute or holds spaces. */
static void parse_path(const ab_opt *p, ab_load_config *cfg)
{
    const char *v = ab_opt_value(p);
    if (v[0] != '/' || strlen(v) >= sizeof cfg->path || strpbrk(v, " \t\r\n") != NULL)
        ab_opt_bad(p, "'%s' is not an absolute path without spaces", v);
    snprintf(cfg->path, sizeof cfg->path, "%s", v);
}

/* Handles option c of the table. */
static void parse_opt(const ab_opt *p, int c, ab_load_config *cfg, ab_load_target *targets, const char **json)
{
    static const char *const lbs[] = {"rr", "random", "sticky", NULL};
    static const ab_load_lb lb_of[] = {AB_LOAD_LB_RR, AB_LOAD_LB_RANDOM, AB_LOAD_LB_STICKY};
    const char *v = ab_opt_value(p);
    switch (c) {
    case O_TARGETS: cfg->ntargets = parse_targets(v, targets); break;
    case O_LB: cfg->lb = lb_of[ab_opt_choice(p, lbs)]; break;
    case O_CONNECTIONS: cfg->connections = (unsigned)ab_opt_u64(p, 1, 100000); break;
    case O_THREADS: cfg->threads = (unsigned)ab_opt_u64(p, 1, 256); break;
    case O_DURATION: cfg->duration_us = ab_opt_duration_us(p); break;
    case O_WARMUP: cfg->warmup_us = ab_opt_duration_us(p); break;
    case O_RATE: cfg->rate = ab_opt_double(p, 0.001, 1e9); break;
    case O_USERS: cfg->users = (unsigned)ab_opt_u64(p, 1, 1000000); break;
    case O_KEY_DIST: parse_key_dist(v, cfg); break;
    case O_MIX: parse_mix(v, cfg); break;
    case O_PATH: parse_path(p, cfg); break;
    case O_TIMEOUT: cfg->timeout_us = ab_opt_duration_us(p); break;
    case O_SEED: cfg->seed = ab_opt_u64(p, 0, UINT64_MAX); break;
    case O_SHARD: ab_opt_shard(p, &cfg->shard_index, &cfg->shard_count); break;
    case O_START_AT: cfg->start_at = ab_opt_double(p, 1e9, 1e11); break;
    case O_JSON: *json = v; break;
    case O_NO_STATS: cfg->fetch_stats = 0; break;
    case O_NO_PROGRESS: cfg->progress = 0; break;
    }
}

/* Checks what single options cannot. Exits 2 on bad usage. */
static void check_config(const ab_load_config *cfg)
{
    if (cfg->ntargets == 0)
        ab_usage_fail(CMD, "--targets is required");
    if (cfg->duration_us == 0 || cfg->timeout_us == 0)
        ab_usage_fail(CMD, "--duration and --timeout must be more than 0");
    if (cfg->threads > cfg->connections)
        ab_usage_fail(CMD, "--threads (%u) is more than --connections (%u)", cfg->threads, cfg->connections);
    if ((uint64_t)cfg->users * cfg->shard_index / cfg->shard_count -
            (uint64_t)cfg->users * (cfg->shard_index - 1) / cfg->shard_count < cfg->threads)
        ab_usage_fail(CMD, "--users (%u%s) is fewer than --threads (%u)", cfg->users,
                      cfg->shard_count > 1 ? ", this shard's share of them" : "", cfg->threads);
    if (cfg->duration_us > 24ull * 3600 * 1000000 || cfg->warmup_us > 24ull * 3600 * 1000000)
        ab_usage_fail(CMD, "--duration and --warmup are limited to 24h");
    if (cfg->start_at > (double)ab_wall_s() + 24 * 3600)
        ab_usage_fail(CMD, "--start-at is more than a day ahead (it is a Unix time in seconds)");
}

/* Parses argv into cfg. Exits 0 after --help, 2 on bad usage. */
static void parse_args(int argc, char **argv, ab_load_config *cfg, ab_load_target *targets, const char **json)
{
    ab_opt p;
    int c;
    ab_load_config_defaults(cfg);
    cfg->targets = targets;
    cfg->progress = 1;
    ab_opt_init(&p, CMD, usage, load_options, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END)
        parse_opt(&p, c, cfg, targets, json);
    check_config(cfg);
}

/* SIGINT/SIGTERM: end the run early; the results cover what was measured. */
static void on_signal(int sig)
{
    (void)sig;
    abl_stop = 1;
}

/* Installs the stop handlers and ignores SIGPIPE. 0 or -1. */
static int install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

/* Writes the JSON file atomically. 0, or -1 (message printed). */
static int write_json(const ab_load_result *r, const char *path)
{
    char *text = ab_load_result_json(r);
    int rc = 0;
    if (text == NULL || ab_write_file_atomic(path, text, strlen(text)) != 0) {
        ab_err(CMD, "cannot write %s: %s", path, text == NULL ? "out of memory" : strerror(errno));
        rc = -1;
    }
    free(text);
    return rc;
}

int ab_cmd_load(int argc, char **argv)
{
    static ab_load_target targets[ABL_MAX_TARGETS];
    ab_load_config cfg;
    ab_load_result *r;
    const char *json = NULL;
    char err[256];
    int unreachable = 0, rc = AB_EXIT_OK;
    parse_args(argc, argv, &cfg, targets, &json);
    cfg.stop = &abl_stop;
    if (install_signals() != 0)
        ab_fail(CMD, "sigaction: %s", strerror(errno));
    r = ab_load_run(&cfg, &unreachable, err, sizeof err);
    if (r == NULL) {
        ab_err(CMD, "%s", err);
        return AB_EXIT_FAIL;
    }
    ab_load_result_print(r, stdout);
    fflush(stdout);
    if (json != NULL && write_json(r, json) != 0)
        rc = AB_EXIT_FAIL;
    ab_load_result_free(r);
    return rc;
}

/* cmd_run.c — `authbench run`: options, the scenario as run (built-in or file, with overrides),
 * --dry-run / --dump-scenario, then the run itself (runner.c). */
#include "run_exec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_opt.h"
#include "commands.h"

#define MAX_SETS 64

/* Prints the usage text. */
static void usage(void)
{
    printf(
        "usage: authbench run [--quick | --scenario FILE] [options]\n"
        "\n"
        "Runs a benchmark matrix end to end: starts redis-server, the latency proxy and N simulated\n"
        "app servers per cell, drives them with `authbench load`, and writes results/<UTC time>-<name>/\n"
        "(results.json, results.csv, timeseries.csv, scenario.json, micro.json, the report).\n"
        "Without --quick or --scenario it runs the built-in default (full) scenario.\n"
        "\n"
        "scenario:\n"
        "  --quick               the built-in quick scenario (about 3 minutes on 2 cores)\n"
        "  --scenario FILE       a scenario file (format: bench/run/SCENARIO.md)\n"
        "  --dump-scenario       print the scenario as it would run (JSON) and exit\n"
        "  --dry-run             print the matrix of cells and the estimated time; start nothing\n"
        "overrides (applied to every group of the scenario):\n"
        "  --name NAME  --duration D  --warmup D  --repetitions N  --servers 1,2,4\n"
        "  --connections C[,C…]  --rate R[,R…]|none  --users U  --threads T  --server-threads T\n"
        "  --server-model async|pool  (the servers' model: serve --model; pool gets T workers)\n"
        "  --lb rr|random|sticky  --key-dist uniform|zipf:θ  --mix NAME|login=L,request=R,logout=O\n"
        "  --store-delay D[,D…]  --set FIELD=VALUE (any scenario field; VALUE is JSON or a string)\n"
        "  --sessions N          live sessions filled into each cell's shared store (Redis, Redis\n"
        "                        Cluster, PostgreSQL, memcached) before its servers start, 0..10^7\n"
        "                        (a memory or file store is refused: each server has its own)\n"
        "  --mechanisms a,b,…    keep only these mechanisms or families (jwt, session:redis, …)\n"
        "  --seed N              the seed of the shuffled order of every round of repetitions\n"
        "                        (scenario \"seed\", default 1; recorded as repetition_order)\n"
        "  --requirements FILE   the decision drivers (bench/report/DECISION.md): their\n"
        "                        peak_requests_per_sec / servers become the scenario's deployment\n"
        "                        (the open-loop cells' rate), slo_p99_ms its SLO; also passed to the\n"
        "                        report\n"
        "placement:\n"
        "  --cpus load=L,servers=S,stores=T  pin the load generator, the app servers and the stores +\n"
        "                        proxy to these CPUs (N, N-M, joined by '+'); default: disjoint sets\n"
        "                        with 4 or more CPUs, no pinning with fewer (results say so)\n");
    printf( /* a second literal: one would pass C99's 4095 characters */
        "environment:\n"
        "  --out DIR             the run directory (default results/<UTC time>-<name>)\n"
        "  --redis-url URL       use this Redis (redis://[user:pass@]host:port[/db]) instead of\n"
        "                        starting one; it is never flushed (outage cells still start their own)\n"
        "  --redis-cluster-url URL  use this Redis Cluster (redis-cluster://[user:pass@]host:port[,…])\n"
        "                        for session:redis-cluster cells instead of starting a local one of\n"
        "                        3 masters; it is never flushed\n"
        "  --postgres-url URL    use this PostgreSQL (postgres://user[:pass]@host:port/db) for\n"
        "                        session:postgres cells instead of starting one (initdb in a temporary\n"
        "                        directory, a free loopback port); its table is never emptied\n"
        "  --memcached-url URL   use this memcached (memcached://host:port) for session:memcached\n"
        "                        cells instead of starting one; it is never flushed\n"
        "                        (a password in either URL, or in --set, is hidden from ps once\n"
        "                        parsed; servers and store-bench read their URIs from 0600 files\n"
        "                        in the run's private temporary directory, never from argv)\n"
        "  --shard I/N           this machine is shard I of N running the same scenario at the same\n"
        "                        time against one shared store: every cell's load takes its share of\n"
        "                        the users and the rate (authbench load --shard); merge the N run\n"
        "                        directories with `authbench merge` (see bench/merge/README.md)\n"
        "  --disk-dir DIR        where disk-store cells keep their files (default <out>/disk, or\n"
        "                        /var/tmp when that is tmpfs/overlay)\n"
        "  --micro PATH          the authbench_micro program (default: next to authbench)\n"
        "  --no-micro            skip the micro-benchmarks\n"
        "  --no-report           do not write the report at the end\n"
        "  --progress | --quiet  progress on stderr (default) or only errors\n"
        "\n"
        "Exit status: 0 when the run completed (failed cells are recorded in results, with their\n"
        "error), 1 on failure (or when every cell failed), 2 on bad usage or a malformed scenario,\n"
        "128+signal when interrupted (130 for Ctrl-C): everything started is stopped, finished cells\n"
        "are kept and results.json says \"complete\": false.\n");
}

/* One list item as JSON: a number, null for "none", else a string. */
static cJSON *item_to_json(const char *item)
{
    char *end;
    strtod(item, &end);
    if (strcmp(item, "none") == 0 || strcmp(item, "null") == 0)
        return cJSON_CreateNull();
    if (*item != '\0' && *end == '\0')
        return cJSON_CreateNumber(strtod(item, NULL));
    return cJSON_CreateString(item);
}

/* Turns "1,2,4" / "2s,1ms" / "none" into JSON text: a list, or one value when there is no comma. */
static int list_to_json(const char *list, char *out, size_t len)
{
    cJSON *v = strchr(list, ',') != NULL ? cJSON_CreateArray() : NULL;
    char item[256], *text;
    int rc;
    while (*list != '\0' || v == NULL) {
        size_t n = strcspn(list, ",");
        cJSON *x;
        ab_fmt(item, sizeof item, "%.*s", (int)n, list);
        x = item_to_json(item);
        if (v == NULL) {
            v = x;
            break;
        }
        cJSON_AddItemToArray(v, x);
        list += n + (list[n] == ',');
    }
    text = cJSON_PrintUnformatted(v);
    rc = text != NULL ? ab_fmt(out, len, "%s", text) : -1;
    free(text);
    cJSON_Delete(v);
    return rc;
}

/* Turns "login=10,request=80,logout=10" into a mix object; other text stays a mix name. */
static void mix_to_json(const char *mix, char *out, size_t len)
{
    unsigned l = 0, r = 0, o = 0;
    int n = 0;
    if (strchr(mix, '=') == NULL || sscanf(mix, "login=%u,request=%u,logout=%u%n", &l, &r, &o, &n) != 3 ||
        mix[n] != '\0')
        ab_fmt(out, len, "\"%s\"", mix);
    else
        ab_fmt(out, len, "{\"login\":%u,\"request\":%u,\"logout\":%u}", l, r, o);
}

/* Records "--flag VALUE" as the override field=json. */
static void add_set(ab_run_opts *o, const char *field, const char *value, int as_list)
{
    char json[1024], *s;
    size_t len;
    if (o->nsets >= MAX_SETS)
        ab_usage_fail(AB_RUN_CMD, "too many overrides");
    if (as_list == 2)
        mix_to_json(value, json, sizeof json);
    else if (as_list)
        list_to_json(value, json, sizeof json) != 0 ? ab_usage_fail(AB_RUN_CMD, "%s: too long", field) : (void)0;
    else
        ab_fmt(json, sizeof json, "\"%s\"", value);
    len = strlen(field) + strlen(json) + 2;
    if ((s = malloc(len)) == NULL)
        ab_fail(AB_RUN_CMD, "out of memory");
    ab_fmt(s, len, "%s=%s", field, json);
    o->sets[o->nsets++] = s;
}

/* Options that become scenario overrides: flag, field, and how the value is turned into JSON. */
static const struct { const char *flag, *field; int kind; /* 0 string, 1 list/number, 2 mix */ } set_flags[] = {
    {"--duration", "duration", 0}, {"--warmup", "warmup", 0}, {"--repetitions", "repetitions", 1},
    {"--servers", "servers", 1}, {"--connections", "connections", 1}, {"--rate", "rate", 1},
    {"--users", "users", 1}, {"--threads", "threads", 1}, {"--server-threads", "server_threads", 1},
    {"--server-model", "server_model", 0},
    {"--lb", "lb", 1}, {"--key-dist", "key_dist", 0}, {"--mix", "mix", 2},
    {"--store-delay", "store_delay", 1}, {"--name", "name", 0}, {"--redis-url", "redis_url", 0},
    {"--redis-cluster-url", "redis_cluster_url", 0}, {"--postgres-url", "postgres_url", 0},
    {"--memcached-url", "memcached_url", 0},
    {"--disk-dir", "disk_dir", 0}, {"--seed", "seed", 1}, {"--sessions", "sessions", 1},
};

enum { O_SET = 256, O_SCENARIO, O_OUT, O_MECHANISMS, O_MICRO, O_REQUIREMENTS, O_SHARD, O_CPUS, O_QUICK, O_DRY_RUN, O_DUMP,
       O_NO_REPORT, O_NO_MICRO, O_QUIET, O_PROGRESS, O_OVERRIDE /* + the index in set_flags */ };

static const struct option run_options[] = {
    {"set", required_argument, NULL, O_SET}, {"scenario", required_argument, NULL, O_SCENARIO},
    {"out", required_argument, NULL, O_OUT}, {"mechanisms", required_argument, NULL, O_MECHANISMS},
    {"micro", required_argument, NULL, O_MICRO}, {"requirements", required_argument, NULL, O_REQUIREMENTS},
    {"shard", required_argument, NULL, O_SHARD}, {"cpus", required_argument, NULL, O_CPUS},
    {"quick", no_argument, NULL, O_QUICK},
    {"dry-run", no_argument, NULL, O_DRY_RUN}, {"dump-scenario", no_argument, NULL, O_DUMP},
    {"no-report", no_argument, NULL, O_NO_REPORT}, {"no-micro", no_argument, NULL, O_NO_MICRO},
    {"quiet", no_argument, NULL, O_QUIET}, {"progress", no_argument, NULL, O_PROGRESS}};

/* Fills opts with run_options and one entry per override flag. */
static void option_table(struct option *opts)
{
    size_t n = sizeof run_options / sizeof run_options[0], i;
    memcpy(opts, run_options, sizeof run_options);
    for (i = 0; i < sizeof set_flags / sizeof set_flags[0]; i++)
        opts[n + i] = (struct option){set_flags[i].flag + 2, required_argument, NULL, O_OVERRIDE + (int)i};
    opts[n + i] = (struct option){NULL, 0, NULL, 0};
}

/* Records --set FIELD=VALUE (copied; a password in it is hidden from ps then). */
static void add_raw_set(const ab_opt *p, ab_run_opts *o)
{
    if (o->nsets >= MAX_SETS)
        ab_opt_fail(p, "too many overrides");
    o->sets[o->nsets++] = ab_opt_secret(p);
}

/* Handles option c of the table. */
static void parse_opt(const ab_opt *p, int c, ab_run_opts *o)
{
    const char *v = ab_opt_value(p);
    unsigned shard_i, shard_n;
    switch (c) {
    case O_SET: add_raw_set(p, o); break;
    case O_SCENARIO: o->scenario_file = v; break;
    case O_OUT: o->out = v; break;
    case O_MECHANISMS: o->mechanisms = v; break;
    case O_MICRO: o->micro = v; break;
    case O_REQUIREMENTS: o->requirements = v; break;
    case O_SHARD: ab_opt_shard(p, &shard_i, &shard_n), o->shard = v; break; /* passed on to load */
    case O_CPUS: o->cpus = v; break;
    case O_QUICK: o->quick = 1; break;
    case O_DRY_RUN: o->dry_run = 1; break;
    case O_DUMP: o->dump = 1; break;
    case O_NO_REPORT: o->no_report = 1; break;
    case O_NO_MICRO: o->no_micro = 1; break;
    case O_QUIET: o->quiet = 1; break;
    case O_PROGRESS: o->quiet = 0; break;
    default: /* an override: its value is copied into the set, so argv can hide a password */
        add_set(o, set_flags[c - O_OVERRIDE].field, v, set_flags[c - O_OVERRIDE].kind);
        ab_opt_hide_secrets((char *)v);
    }
}

/* Parses argv into o; exits 2 on bad usage, 0 after --help. */
static void parse_args(int argc, char **argv, ab_run_opts *o)
{
    struct option opts[sizeof run_options / sizeof run_options[0] + sizeof set_flags / sizeof set_flags[0] + 1];
    ab_opt p;
    int c;
    memset(o, 0, sizeof *o);
    option_table(opts);
    ab_opt_init(&p, AB_RUN_CMD, usage, opts, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END)
        parse_opt(&p, c, o);
    if (o->quick && o->scenario_file != NULL)
        ab_opt_fail(&p, "--quick and --scenario exclude each other");
}

/* The scenario text: a file, or a built-in. Exits 2 when the file cannot be read. */
static char *scenario_text(const ab_run_opts *o, const char **origin)
{
    char *text;
    if (o->scenario_file == NULL) {
        *origin = o->quick ? "quick" : "default";
        return strdup(ab_run_scenario_builtin(*origin));
    }
    *origin = o->scenario_file;
    text = ab_read_file(o->scenario_file, 4u << 20, NULL);
    if (text == NULL)
        ab_usage_fail(AB_RUN_CMD, "--scenario %s: %s", o->scenario_file, strerror(errno));
    return text;
}

/* Builds the scenario as run: parsed, overridden, filtered, checked. Exits 2 on any error. */
static cJSON *scenario_load(const ab_run_opts *o)
{
    char err[512];
    const char *origin;
    char *text = scenario_text(o, &origin);
    cJSON *sc = text ? ab_run_scenario_parse(text, origin, err, sizeof err) : NULL;
    int i;
    free(text);
    if (sc == NULL)
        goto bad;
    for (i = 0; i < o->nsets; i++)
        if (ab_run_scenario_set(sc, o->sets[i], err, sizeof err) != 0)
            goto bad;
    if (o->no_micro)
        ab_run_scenario_set(sc, "micro=false", err, sizeof err);
    if (o->mechanisms != NULL && ab_run_scenario_filter(sc, o->mechanisms, err, sizeof err) != 0)
        goto bad;
    if (o->requirements != NULL && ab_run_scenario_requirements(sc, o->requirements, err, sizeof err) != 0)
        goto bad;
    if (ab_run_scenario_check(sc, err, sizeof err) != 0)
        goto bad;
    return sc;
bad:
    cJSON_Delete(sc);
    ab_err(AB_RUN_CMD, "%s", text ? err : "out of memory");
    exit(AB_EXIT_USAGE);
}

/* Prints the scenario as it would run (passwords masked). */
static int dump_scenario(const cJSON *sc)
{
    cJSON *shown = ab_run_scenario_shown(sc);
    char *text = shown != NULL ? cJSON_Print(shown) : NULL;
    cJSON_Delete(shown);
    if (text == NULL)
        return AB_EXIT_FAIL;
    printf("%s\n", text);
    free(text);
    return AB_EXIT_OK;
}

int ab_cmd_run(int argc, char **argv)
{
    ab_run_placement placement;
    ab_run_opts o;
    ab_res_cell *cells = NULL;
    size_t n = 0;
    char err[512];
    cJSON *sc;
    int rc, i;
    parse_args(argc, argv, &o);
    if (ab_run_placement_init(&placement, o.cpus, err, sizeof err) != 0)
        ab_usage_fail(AB_RUN_CMD, "%s", err);
    sc = scenario_load(&o);
    if (ab_run_matrix_expand(sc, &cells, &n, err, sizeof err) != 0) {
        ab_err(AB_RUN_CMD, "%s", err);
        rc = AB_EXIT_FAIL;
    } else if (o.dump) {
        rc = dump_scenario(sc);
    } else if (o.dry_run) {
        ab_run_matrix_print(stdout, cells, n, ab_run_extras_estimate_s(sc, &o));
        printf("%u interleaved rounds (seed %.0f); deployment %.0f req/s per server; SLO p99 %g ms; "
               "placement: %s\n", ab_run_rounds(cells, n), ab_json_num_or(sc, "seed", 1),
               ab_run_deployment_per_server(sc), ab_json_num_or(sc, "slo_p99_ms", 0), placement.text);
        rc = AB_EXIT_OK;
    } else {
        rc = ab_run_execute(&o, sc, cells, n);
    }
    free(cells);
    cJSON_Delete(sc);
    for (i = 0; i < o.nsets; i++)
        free(o.sets[i]);
    return rc;
}

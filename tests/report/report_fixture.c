/* report_fixture.c — builds the decision tests' run (see report_fixture.h) from one table of cells. */
#include "report_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_results.h"
#include "tsupport.h"

#define RF_REPS 5

/* One cell: parameters and its central figures; the rest is derived in rf_cell_json. */
typedef struct rf_spec {
    const char *id, *label, *mechanism, *family, *store, *alg, *kind;
    double delay_us;
    int via_proxy;
    double rate;        /* 0 = closed loop */
    double p99_us;      /* median of the repetitions' p99 */
    double spread;      /* relative half-width of the repetitions around it */
    double cpu_us;      /* server CPU per request */
    double rt;          /* store round trips per request */
    double cred;        /* credential bytes */
    double rps;         /* achieved requests/s */
    double redis_cpu;   /* Redis CPU µs per request (INFO), < 0 = not recorded */
} rf_spec;

static const rf_spec specs[] = {
    /* closed-loop capacity cells, 1 server */
    {"none-s1", "none", "none", "none", NULL, NULL, "capacity", 0, 0, 0, 900, 0.05, 19, 0, 5, 52000, -1},
    {"jwt-hs256-s1", "jwt HS256", "jwt:HS256", "jwt", NULL, "HS256", "capacity", 0, 0, 0, 980, 0.05, 24, 0, 262, 43000, -1},
    {"jwt-es256-s1", "jwt ES256", "jwt:ES256", "jwt", NULL, "ES256", "capacity", 0, 0, 0, 2600, 0.05, 108, 0, 196, 9800, -1},
    {"session-memory-s1", "session memory (sticky)", "session:memory", "session", "memory", NULL, "capacity", 0, 0, 0, 930,
     0.05, 21, 0, 22, 47000, -1},
    {"session-redis-s1", "session redis", "session:redis", "session", "redis", NULL, "capacity", 0, 0, 0, 2900, 0.05, 34, 1,
     22, 30000, 6.1},
    {"jwt-denylist-es256-redis-s1", "jwt ES256 + denylist", "jwt+denylist:ES256,redis", "jwt+denylist", "redis", "ES256",
     "capacity", 0, 0, 0, 3100, 0.05, 126, 1, 196, 7900, 6.3},
    /* open-loop deployment cells at 1250 req/s per server */
    {"none-dep-s1", "none", "none", "none", NULL, NULL, "deployment", 0, 0, 1250, 180, 0.04, 21, 0, 5, 1250, -1},
    {"jwt-hs256-dep-s1", "jwt HS256", "jwt:HS256", "jwt", NULL, "HS256", "deployment", 0, 0, 1250, 215, 0.04, 27, 0, 262,
     1250, -1},
    {"jwt-es256-dep-s1", "jwt ES256", "jwt:ES256", "jwt", NULL, "ES256", "deployment", 0, 0, 1250, 420, 0.04, 112, 0, 196,
     1250, -1},
    {"session-memory-dep-s1", "session memory (sticky)", "session:memory", "session", "memory", NULL, "deployment", 0, 0,
     1250, 200, 0.04, 23, 0, 22, 1250, -1},
    {"session-redis-dep-s1", "session redis", "session:redis", "session", "redis", NULL, "deployment", 0, 0, 1250, 350, 0.04,
     36, 1, 22, 1250, 6.0},
    {"session-redis-dep-p0-s1", "session redis (proxy, 0 ms)", "session:redis", "session", "redis", NULL, "control", 0, 1,
     1250, 420, 0.04, 39, 1, 22, 1250, 6.0},
    {"session-redis-d250us-dep-s1", "session redis (0.25 ms)", "session:redis", "session", "redis", NULL, "deployment", 250,
     1, 1250, 1000, 0.04, 46, 1, 22, 1250, 6.2},
    {"jwt-denylist-es256-redis-dep-p0-s1", "jwt ES256 + denylist (proxy, 0 ms)", "jwt+denylist:ES256,redis", "jwt+denylist",
     "redis", "ES256", "control", 0, 1, 1250, 640, 0.04, 130, 1, 196, 1250, 6.3},
    {"jwt-denylist-es256-redis-d250us-dep-s1", "jwt ES256 + denylist (0.25 ms)", "jwt+denylist:ES256,redis", "jwt+denylist",
     "redis", "ES256", "deployment", 250, 1, 1250, 1180, 0.04, 139, 1, 196, 1250, 6.4},
    {"jwt-denylist-hs256-redis-d250us-dep-s1", "jwt HS256 + denylist (0.25 ms)", "jwt+denylist:HS256,redis", "jwt+denylist",
     "redis", "HS256", "deployment", 250, 1, 1250, 980, 0.04, 52, 1, 262, 1250, 6.4},
    /* a sweep of the session at 250 µs (kind sweep; the top-level sweeps summarise them) */
    {"session-redis-d250us-sw50-s1", "session redis (0.25 ms)", "session:redis", "session", "redis", NULL, "sweep", 250, 1,
     4500, 1400, 0.05, 44, 1, 22, 4500, 6.1},
    {"session-redis-d250us-sw90-s1", "session redis (0.25 ms)", "session:redis", "session", "redis", NULL, "sweep", 250, 1,
     8100, 68000, 0.10, 41, 1, 22, 7400, 6.0},
};

/* {median, ci95_low, ci95_high, values[5]} around m with relative half-width s. */
static cJSON *stat_json(double m, double s)
{
    static const double at[RF_REPS] = {-1, -0.5, 0, 0.5, 1};
    double v[RF_REPS];
    int i;
    cJSON *o = cJSON_CreateObject();
    for (i = 0; i < RF_REPS; i++)
        v[i] = m * (1 + s * at[i]);
    cJSON_AddNumberToObject(o, "mean", m);
    cJSON_AddNumberToObject(o, "median", m);
    cJSON_AddNumberToObject(o, "cv", s / 1.6);
    cJSON_AddNumberToObject(o, "ci95_low", v[1]);
    cJSON_AddNumberToObject(o, "ci95_high", v[3]);
    cJSON_AddItemToObject(o, "values", cJSON_CreateDoubleArray(v, RF_REPS));
    return o;
}

/* The latency object of a cell from its p99. */
static cJSON *latency_json(double p99)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "p50", p99 * 0.45);
    cJSON_AddNumberToObject(o, "p90", p99 * 0.7);
    cJSON_AddNumberToObject(o, "p99", p99);
    cJSON_AddNumberToObject(o, "p999", p99 * 1.5);
    cJSON_AddNumberToObject(o, "p9999", p99 * 1.9);
    cJSON_AddNumberToObject(o, "max", p99 * 2.2);
    cJSON_AddNumberToObject(o, "mean", p99 * 0.5);
    return o;
}

/* A string member or null. */
static void add_str(cJSON *o, const char *name, const char *v)
{
    if (v != NULL)
        cJSON_AddStringToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

/* The repetition_stats of a cell. */
static cJSON *rep_stats(const rf_spec *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "requests_per_sec", stat_json(s->rps, 0.01));
    cJSON_AddItemToObject(o, "goodput_per_sec", stat_json(s->rps, 0.01));
    cJSON_AddItemToObject(o, "p50_us", stat_json(s->p99_us * 0.45, s->spread));
    cJSON_AddItemToObject(o, "p99_us", stat_json(s->p99_us, s->spread));
    cJSON_AddItemToObject(o, "p999_us", stat_json(s->p99_us * 1.5, s->spread * 1.5));
    cJSON_AddItemToObject(o, "server_cpu_us_per_req", stat_json(s->cpu_us, 0.03));
    return o;
}

/* The parameters of a cell. */
static void cell_params(cJSON *o, const rf_spec *s)
{
    cJSON *mix = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", s->id);
    cJSON_AddStringToObject(o, "label", s->label);
    cJSON_AddStringToObject(o, "mechanism", s->mechanism);
    cJSON_AddStringToObject(o, "family", s->family);
    add_str(o, "store", s->store);
    add_str(o, "alg", s->alg);
    cJSON_AddStringToObject(o, "kind", s->kind);
    cJSON_AddBoolToObject(o, "via_proxy", s->via_proxy);
    cJSON_AddNumberToObject(o, "store_delay_us", s->delay_us);
    cJSON_AddNumberToObject(o, "servers", 1);
    cJSON_AddStringToObject(o, "lb", strcmp(s->mechanism, "session:memory") == 0 ? "sticky" : "rr");
    cJSON_AddNumberToObject(o, "connections", 32);
    cJSON_AddNumberToObject(o, "threads", 2);
    if (s->rate > 0)
        cJSON_AddNumberToObject(o, "rate_per_sec", s->rate);
    else
        cJSON_AddNullToObject(o, "rate_per_sec");
    cJSON_AddNumberToObject(o, "users", 1000);
    cJSON_AddNumberToObject(mix, "login", 0);
    cJSON_AddNumberToObject(mix, "request", 100);
    cJSON_AddNumberToObject(mix, "logout", 0);
    cJSON_AddItemToObject(o, "mix", mix);
    cJSON_AddStringToObject(o, "mix_name", "read");
    cJSON_AddNullToObject(o, "fault");
    cJSON_AddNumberToObject(o, "duration_s", 2);
    cJSON_AddNumberToObject(o, "warmup_s", 1);
    cJSON_AddNumberToObject(o, "repetitions", RF_REPS);
}

/* The figures of a cell. */
static void cell_figures(cJSON *o, const rf_spec *s)
{
    cJSON_AddStringToObject(o, "status", "ok");
    cJSON_AddNullToObject(o, "error");
    cJSON_AddNumberToObject(o, "requests_per_sec", s->rps);
    cJSON_AddNumberToObject(o, "requests_per_sec_cv", 0.01);
    cJSON_AddBoolToObject(o, "high_cv", 0);
    if (s->rate > 0) {
        cJSON_AddNumberToObject(o, "target_rate_per_sec", s->rate);
        cJSON_AddNumberToObject(o, "achieved_rate_per_sec", s->rps);
        cJSON_AddBoolToObject(o, "rate_reached", s->rps >= 0.98 * s->rate);
    }
    cJSON_AddNumberToObject(o, "goodput_per_sec", s->rps);
    cJSON_AddItemToObject(o, "latency_us", latency_json(s->p99_us));
    cJSON_AddNumberToObject(o, "requests", s->rps * 2 * RF_REPS);
    cJSON_AddNumberToObject(o, "auth_failures", 0);
    cJSON_AddNumberToObject(o, "credential_bytes", s->cred);
    cJSON_AddNumberToObject(o, "server_cpu_us_per_req", s->cpu_us);
    cJSON_AddNumberToObject(o, "auth_cpu_us_per_req", s->cpu_us * 0.4);
    cJSON_AddNumberToObject(o, "store_round_trips_per_req", s->rt);
    cJSON_AddNumberToObject(o, "store_ops_per_req", s->rt);
    cJSON_AddNumberToObject(o, "client_bytes_out_per_req", 130 + s->cred);
    cJSON_AddNumberToObject(o, "store_net_bytes_per_req", s->rt * 180);
    if (s->redis_cpu >= 0)
        cJSON_AddNumberToObject(o, "redis_cpu_us_per_req", s->redis_cpu);
    cJSON_AddNumberToObject(o, "load_avg_1m", 1.1);
    cJSON_AddNumberToObject(o, "steal_frac", 0);
    cJSON_AddBoolToObject(o, "busy_machine", 0);
    cJSON_AddNumberToObject(o, "loadgen_cpu_util", 0.2);
    cJSON_AddBoolToObject(o, "loadgen_bottleneck", 0);
    cJSON_AddItemToObject(o, "repetition_stats", rep_stats(s));
}

/* One sweep point of the summary. */
static cJSON *sweep_point(const rf_spec *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "cell", s->id);
    cJSON_AddNumberToObject(o, "target_rate_per_sec", s->rate);
    cJSON_AddNumberToObject(o, "achieved_rate_per_sec", s->rps);
    cJSON_AddBoolToObject(o, "rate_reached", s->rps >= 0.98 * s->rate);
    cJSON_AddNumberToObject(o, "p50_us", s->p99_us * 0.45);
    cJSON_AddNumberToObject(o, "p99_us", s->p99_us);
    cJSON_AddItemToObject(o, "p99_ci95", cJSON_CreateDoubleArray((double[]){s->p99_us * 0.98, s->p99_us * 1.02}, 2));
    return o;
}

/* The top-level sweeps: the deployment point and the swept points of the session at 250 µs. */
static cJSON *sweeps_json(void)
{
    cJSON *a = cJSON_CreateArray(), *sw = cJSON_CreateObject(), *pts = cJSON_CreateArray();
    size_t i;
    cJSON_AddStringToObject(sw, "label", "session redis (0.25 ms)");
    cJSON_AddStringToObject(sw, "mechanism", "session:redis");
    cJSON_AddNumberToObject(sw, "store_delay_us", 250);
    cJSON_AddNumberToObject(sw, "servers", 1);
    cJSON_AddStringToObject(sw, "capacity_cell", "session-redis-s1");
    for (i = 0; i < sizeof specs / sizeof *specs; i++)
        if (strcmp(specs[i].mechanism, "session:redis") == 0 && specs[i].delay_us == 250)
            cJSON_AddItemToArray(pts, sweep_point(&specs[i]));
    cJSON_AddItemToObject(sw, "points", pts);
    cJSON_AddNumberToObject(sw, "capacity_at_slo_per_sec", 4500);
    cJSON_AddItemToArray(a, sw);
    return a;
}

/* The header fields: environment, store capacity, deployment, SLO. */
static void header(cJSON *doc)
{
    cJSON *env = cJSON_AddObjectToObject(doc, "environment"), *cap = cJSON_AddObjectToObject(doc, "store_capacity");
    cJSON *dep = cJSON_AddObjectToObject(doc, "deployment");
    cJSON_AddStringToObject(env, "cpu_model", "Fixture CPU (test data)");
    cJSON_AddNumberToObject(env, "cores", 2);
    cJSON_AddStringToObject(env, "build_type", "Release");
    cJSON_AddStringToObject(env, "git_commit", "0000000");
    cJSON_AddBoolToObject(env, "git_dirty", 0);
    cJSON_AddNumberToObject(cap, "redis_get_ops_per_sec", 150000);
    cJSON_AddNumberToObject(cap, "redis_cluster_get_ops_per_sec", 240000);
    cJSON_AddNumberToObject(cap, "redis_cluster_masters", 3);
    cJSON_AddNumberToObject(dep, "peak_rate_per_sec", 5000);
    cJSON_AddNumberToObject(dep, "servers", 4);
    cJSON_AddNumberToObject(dep, "per_server_rate_per_sec", 1250);
    cJSON_AddStringToObject(dep, "source", "scenario");
    cJSON_AddNumberToObject(doc, "slo_p99_ms", 50);
}

/* One cell of the table as results.json has it. */
static cJSON *cell_json(const rf_spec *s)
{
    cJSON *o = cJSON_CreateObject();
    cell_params(o, s);
    cell_figures(o, s);
    return o;
}

cJSON *rf_results(void)
{
    cJSON *doc = cJSON_CreateObject(), *cells;
    size_t i;
    cJSON_AddStringToObject(doc, "schema", AB_RES_SCHEMA);
    cJSON_AddNumberToObject(doc, "schema_version", AB_RES_SCHEMA_VERSION);
    cJSON_AddStringToObject(doc, "name", "decision-fixture");
    cJSON_AddBoolToObject(doc, "complete", 1);
    cJSON_AddStringToObject(doc, "started_utc", "2026-12-04T10:00:00Z");
    cJSON_AddStringToObject(doc, "finished_utc", "2026-12-04T10:05:00Z");
    header(doc);
    cJSON_AddItemToObject(doc, "sweeps", sweeps_json());
    cells = cJSON_AddArrayToObject(doc, "cells");
    for (i = 0; i < sizeof specs / sizeof *specs; i++)
        cJSON_AddItemToArray(cells, cell_json(&specs[i]));
    return doc;
}

/* The store-outage group of the default scenario (ES256, the asymmetric class), open loop at the
 * deployment's rate: the store stopped 4 s into a 12 s window and never restarted. */
static const rf_spec outage_specs[] = {
    {"session-redis-outage-s1", "session redis (store outage)", "session:redis", "session", "redis", NULL, "fault", 0, 0,
     1250, 900, 0.05, 36, 1, 22, 1250, 6.0},
    {"jwt-es256-outage-s1", "jwt ES256 (store outage)", "jwt:ES256", "jwt", NULL, "ES256", "fault", 0, 0, 1250, 430, 0.05,
     112, 0, 196, 1250, -1},
    {"jwt-denylist-es256-redis-on-store-error-closed-outage-s1", "jwt+denylist ES256 redis (on_store_error=closed, store "
     "outage)", "jwt+denylist:ES256,redis?on_store_error=closed", "jwt+denylist", "redis", "ES256", "fault", 0, 0, 1250, 700,
     0.05, 130, 1, 196, 1250, 6.3},
    {"jwt-denylist-es256-redis-on-store-error-open-outage-s1", "jwt+denylist ES256 redis (on_store_error=open, store outage)",
     "jwt+denylist:ES256,redis?on_store_error=open", "jwt+denylist", "redis", "ES256", "fault", 0, 0, 1250, 650, 0.05, 130, 1,
     196, 1250, 6.3},
    {"jwt-pushed-denylist-es256-redis-outage-s1", "jwt+pushed-denylist ES256 redis (store outage)",
     "jwt+pushed-denylist:ES256,redis", "jwt+pushed-denylist", "redis", "ES256", "fault", 0, 0, 1250, 440, 0.05, 113, 0, 196,
     1250, -1},
    {"jwt-es256-cache-10000-outage-s1", "jwt ES256 (cache=10000, store outage)", "jwt:ES256?cache=10000", "jwt", NULL,
     "ES256", "fault", 0, 0, 1250, 250, 0.05, 40, 0, 196, 1250, -1},
    {"session-redis-l1-1s-outage-s1", "session redis (l1=1s, store outage)", "session:redis?l1=1s", "session", "redis",
     NULL, "fault", 0, 0, 1250, 600, 0.05, 36, 1, 22, 1250, 6.0},
};
/* What each outage cell kept: goodput per second through the outage and the errors per second. */
static const double outage_goodput[] = {0.5, 1250, 0, 1250, 1250, 1250, 300};

/* Replaces (or adds) member name of o. */
static void put_item(cJSON *o, const char *name, cJSON *v)
{
    if (cJSON_GetObjectItem(o, name) != NULL)
        cJSON_ReplaceItemInObject(o, name, v);
    else
        cJSON_AddItemToObject(o, name, v);
}

/* RF_REPS repetitions × seconds rows of the per-second series: requests, errors and p99 per second. */
static cJSON *timeseries(int seconds, double rate, int from, double errors, int p99_from, int p99_to, double p99_in,
                         double p99_out)
{
    cJSON *a = cJSON_CreateArray();
    int rep, sec;
    for (rep = 1; rep <= RF_REPS; rep++)
        for (sec = 0; sec < seconds; sec++) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddNumberToObject(r, "rep", rep);
            cJSON_AddNumberToObject(r, "second", sec);
            cJSON_AddNumberToObject(r, "requests", rate);
            cJSON_AddNumberToObject(r, "errors", sec >= from ? errors : 0);
            cJSON_AddNumberToObject(r, "auth_failures", 0);
            cJSON_AddNumberToObject(r, "p50_us", p99_out * 0.4);
            cJSON_AddNumberToObject(r, "p99_us", (sec >= p99_from && sec < p99_to ? p99_in : p99_out) * (1 + 0.01 * rep));
            cJSON_AddItemToArray(a, r);
        }
    return a;
}

/* One outage cell: the fault, its outcome from the per-second series, the mechanism's own counters. */
static cJSON *outage_cell(const rf_spec *s, double goodput)
{
    cJSON *o = cell_json(s), *fo = cJSON_CreateObject(), *errs;
    double failing = 1250 - goodput;
    put_item(o, "fault", cJSON_CreateString("store-outage"));
    put_item(o, "fault_at_s", cJSON_CreateNumber(4.0001));
    put_item(o, "fault_for_s", cJSON_CreateNull());
    put_item(o, "duration_s", cJSON_CreateNumber(12));
    put_item(o, "requests", cJSON_CreateNumber(1250 * 12 * RF_REPS));
    errs = cJSON_AddObjectToObject(o, "errors");
    cJSON_AddNumberToObject(errs, "connect", 0);
    cJSON_AddNumberToObject(errs, "read", 0);
    cJSON_AddNumberToObject(errs, "timeout", 0);
    cJSON_AddNumberToObject(errs, "http_5xx", failing * 8 * RF_REPS); /* 503s from the fault on */
    cJSON_AddStringToObject(fo, "what", "the cell's Redis killed (SIGKILL), never restarted");
    cJSON_AddBoolToObject(fo, "injected", 1);
    cJSON_AddNullToObject(fo, "note");
    cJSON_AddNumberToObject(fo, "requests_after", 1250 * 8);
    cJSON_AddNumberToObject(fo, "errors_after", failing * 8);
    cJSON_AddNumberToObject(fo, "auth_failures_after", 0);
    cJSON_AddNumberToObject(fo, "errors_per_s_before", 0);
    cJSON_AddBoolToObject(fo, "recovered", failing == 0);
    cJSON_AddItemToObject(fo, "recovery_s", failing == 0 ? cJSON_CreateNumber(0) : cJSON_CreateNull());
    cJSON_AddNumberToObject(fo, "goodput_after_per_s", goodput);
    cJSON_AddNumberToObject(fo, "unavailable_frac", goodput < 625 ? 1 : 0);
    cJSON_AddItemToObject(fo, "detect_s", failing > 0 ? cJSON_CreateNumber(0.9999) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "fault_outcome", fo);
    cJSON_AddItemToObject(o, "timeseries", timeseries(12, 1250, 4, failing, 0, 0, 0, s->p99_us));
    if (strstr(s->mechanism, "on_store_error=open") != NULL)
        cJSON_AddNumberToObject(o, "fail_open_per_req", 8.0 / 12); /* every request from the fault on */
    if (strcmp(s->family, "jwt+pushed-denylist") == 0) {
        cJSON *pd = cJSON_AddObjectToObject(o, "pushed_denylist");
        cJSON_AddNumberToObject(pd, "heard", 0);
        cJSON_AddNumberToObject(pd, "missed", 0);
        cJSON_AddNumberToObject(pd, "breaks", RF_REPS);
        cJSON_AddStringToObject(pd, "channel", "pubsub");
        cJSON_AddNullToObject(pd, "sync_ms");
    }
    return o;
}

/* The store-sweep cells: PostgreSQL's DELETE and Redis's own expiry, 100,000 expired among 100,000 live. */
static const rf_spec sweep_specs[] = {
    {"session-postgres-sweep-s1", "session postgres (store sweep)", "session:postgres", "session", "postgres", NULL,
     "store-sweep", 0, 0, 1250, 2400, 0.10, 60, 1, 22, 1250, -1},
    {"session-redis-sweep-s1", "session redis (store sweep)", "session:redis", "session", "redis", NULL, "store-sweep", 0,
     0, 1250, 900, 0.05, 36, 1, 22, 1250, 6.0},
    {"session-memcached-sweep-s1", "session memcached (store sweep)", "session:memcached", "session", "memcached", NULL,
     "store-sweep", 0, 0, 1250, 700, 0.05, 33, 1, 22, 1250, -1},
};
/* memcached runs no sweep (it drops an item when read): removed and sweep_ms null (< 0 here) */
static const char *const sweep_methods[] = {"delete", "redis-expiry", "memcached-lazy"};
static const double sweep_removed[] = {100000, 99650, -1}, sweep_ms[] = {1830, 2000, -1}, sweep_bytes[] = {412, 178, 96};
static const double sweep_started[] = {2.04, -1, -1};
static const double sweep_p99[][3] = {{520, 14500, 560}, {380, 900, 390}, {300, 310, 305}};

/* A number member, or null when v < 0 (not measured). */
static void add_num_or_null(cJSON *o, const char *name, double v)
{
    if (v >= 0)
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

/* One store-sweep cell: its sessions, the sweep's record and the per-second series it came from. */
static cJSON *sweep_cell(size_t i)
{
    cJSON *o = cell_json(&sweep_specs[i]), *sw = cJSON_CreateObject();
    put_item(o, "duration_s", cJSON_CreateNumber(6));
    cJSON_AddNumberToObject(o, "sessions_live", 100000);
    cJSON_AddNumberToObject(o, "store_bytes_per_session", sweep_bytes[i]);
    cJSON_AddNumberToObject(sw, "expired", 100000);
    cJSON_AddNumberToObject(sw, "live", 100000);
    cJSON_AddNumberToObject(sw, "at_s", 2);
    cJSON_AddStringToObject(sw, "method", sweep_methods[i]);
    add_num_or_null(sw, "started_s", sweep_started[i]);
    add_num_or_null(sw, "removed", sweep_removed[i]);
    add_num_or_null(sw, "sweep_ms", sweep_ms[i]);
    cJSON_AddNumberToObject(sw, "p99_before_us", sweep_p99[i][0]);
    cJSON_AddNumberToObject(sw, "p99_during_us", sweep_p99[i][1]);
    cJSON_AddNumberToObject(sw, "p99_after_us", sweep_p99[i][2]);
    cJSON_AddNullToObject(sw, "note");
    cJSON_AddItemToObject(o, "store_sweep", sw);
    cJSON_AddItemToObject(o, "timeseries", timeseries(6, 1250, 99, 0, 2, 4, sweep_p99[i][1], sweep_p99[i][0]));
    return o;
}

void rf_add_store_failures(cJSON *doc)
{
    cJSON *cells = cJSON_GetObjectItem(doc, "cells");
    size_t i;
    for (i = 0; i < sizeof outage_specs / sizeof *outage_specs; i++)
        cJSON_AddItemToArray(cells, outage_cell(&outage_specs[i], outage_goodput[i]));
    for (i = 0; i < sizeof sweep_specs / sizeof *sweep_specs; i++)
        cJSON_AddItemToArray(cells, sweep_cell(i));
}

/* The pushed denylist through each store at the drivers' distance: Redis pub/sub, PostgreSQL
 * LISTEN/NOTIFY, Memcached polled every 100 ms; the denylist hybrid over PostgreSQL. */
static const rf_spec pushed_specs[] = {
    {"jwt-pushed-denylist-es256-redis-d250us-dep-s1", "jwt ES256 + pushed denylist redis (0.25 ms)",
     "jwt+pushed-denylist:ES256,redis", "jwt+pushed-denylist", "redis", "ES256", "deployment", 250, 1, 1250, 430, 0.04, 113,
     0, 196, 1250, -1},
    {"jwt-pushed-denylist-es256-postgres-d250us-dep-s1", "jwt ES256 + pushed denylist postgres (0.25 ms)",
     "jwt+pushed-denylist:ES256,postgres", "jwt+pushed-denylist", "postgres", "ES256", "deployment", 250, 1, 1250, 436, 0.04,
     114, 0, 196, 1250, -1},
    {"jwt-pushed-denylist-es256-memcached-sync-ms-100-d250us-dep-s1", "jwt ES256 + pushed denylist memcached (0.25 ms)",
     "jwt+pushed-denylist:ES256,memcached?sync_ms=100", "jwt+pushed-denylist", "memcached", "ES256", "deployment", 250, 1,
     1250, 441, 0.04, 115, 0, 196, 1250, -1},
    {"jwt-denylist-es256-postgres-d250us-dep-s1", "jwt ES256 + denylist postgres (0.25 ms)", "jwt+denylist:ES256,postgres",
     "jwt+denylist", "postgres", "ES256", "deployment", 250, 1, 1250, 1900, 0.04, 150, 1, 196, 1250, -1},
};
static const char *const pushed_channels[] = {"pubsub", "notify", "poll", NULL};
static const double pushed_max_us[] = {900, 2100, 98000, 400}, pushed_bound_us[] = {1519, 2519, 101519, -1};

void rf_add_pushed_variants(cJSON *doc)
{
    cJSON *cells = cJSON_GetObjectItem(doc, "cells");
    size_t i;
    for (i = 0; i < sizeof pushed_specs / sizeof *pushed_specs; i++) {
        cJSON *o = cell_json(&pushed_specs[i]), *rl = cJSON_AddObjectToObject(o, "revocation_latency_us");
        cJSON_AddNumberToObject(rl, "p50", pushed_max_us[i] * 0.4);
        cJSON_AddNumberToObject(rl, "p99", pushed_max_us[i] * 0.95);
        cJSON_AddNumberToObject(rl, "max", pushed_max_us[i]);
        cJSON_AddNumberToObject(rl, "n", 50);
        if (pushed_bound_us[i] > 0)
            cJSON_AddNumberToObject(rl, "bound_us", pushed_bound_us[i]);
        else
            cJSON_AddNullToObject(rl, "bound_us");
        cJSON_AddStringToObject(rl, "method", "probed");
        if (pushed_channels[i] != NULL) {
            cJSON *pd = cJSON_AddObjectToObject(o, "pushed_denylist");
            cJSON_AddNumberToObject(pd, "heard", 50);
            cJSON_AddNumberToObject(pd, "missed", 0);
            cJSON_AddNumberToObject(pd, "breaks", 0);
            cJSON_AddStringToObject(pd, "channel", pushed_channels[i]);
            add_num_or_null(pd, "sync_ms", strcmp(pushed_channels[i], "poll") == 0 ? 100 : -1);
            cJSON_AddNumberToObject(pd, "gaps", strcmp(pushed_channels[i], "poll") == 0 ? 2 : 0); /* 2 evicted */
        }
        cJSON_AddItemToArray(cells, o);
    }
}

void rf_write(const char *dir, const cJSON *doc)
{
    char path[4096], *text = cJSON_Print(doc);
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (text == NULL || tsupport_write_file(path, text, strlen(text)) != 0)
        abort();
    free(text);
}

char *rf_run_dir(void)
{
    char *dir = tsupport_tmpdir("decision");
    cJSON *doc = rf_results();
    rf_write(dir, doc);
    cJSON_Delete(doc);
    return dir;
}

cJSON *rf_cell(cJSON *doc, const char *id)
{
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cells"))
        if (strcmp(cJSON_GetObjectItem(c, "id")->valuestring, id) == 0)
            return c;
    fprintf(stderr, "fixture has no cell %s\n", id);
    abort();
}

/* Sets (replacing) a number member of o. */
static void put_num(cJSON *o, const char *name, double v)
{
    if (cJSON_GetObjectItem(o, name) != NULL)
        cJSON_ReplaceItemInObject(o, name, cJSON_CreateNumber(v));
    else
        cJSON_AddNumberToObject(o, name, v);
}

void rf_set_p99(cJSON *doc, const char *id, double median, double lo, double hi)
{
    cJSON *c = rf_cell(doc, id), *st = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "repetition_stats"), "p99_us");
    put_num(st, "median", median);
    put_num(st, "ci95_low", lo);
    put_num(st, "ci95_high", hi);
    put_num(cJSON_GetObjectItem(c, "latency_us"), "p99", median);
}

void rf_set_num(cJSON *doc, const char *id, const char *name, double v)
{
    put_num(rf_cell(doc, id), name, v);
}

void rf_set_bool(cJSON *doc, const char *id, const char *name, int v)
{
    cJSON *c = rf_cell(doc, id);
    cJSON_DeleteItemFromObject(c, name);
    cJSON_AddBoolToObject(c, name, v);
}

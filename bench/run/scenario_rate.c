/* scenario_rate.c — the scenario fields that say at which load a cell is measured (issue 14): the
 * deployment and its per-server rate, the SLO, the seed of the interleaved rounds, a group's
 * open-loop, sweep and controls fields, a requirements file as the deployment's source, and the
 * refusal of a fault that would fall outside its measured window. Format: bench/run/SCENARIO.md. */
#include "run_scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SWEEP_POINTS 32
#define MAX_SEED 9007199254740991.0 /* 2^53 - 1: every seed survives a JSON round trip */

/* The report's built-in decision drivers (bench/report/DECISION.md), used when a requirements file
 * leaves them out, as the report does. */
#define REQ_DEFAULT_PEAK 5000.0
#define REQ_DEFAULT_SERVERS 4.0

/* 1 when it is a number in [min, max] (whole when whole is set). */
static int num_in(const cJSON *it, double min, double max, int whole)
{
    return cJSON_IsNumber(it) && it->valuedouble >= min && it->valuedouble <= max &&
           (!whole || it->valuedouble == floor(it->valuedouble));
}

int ab_run_sweep_ok(const cJSON *v)
{
    const cJSON *rates = cJSON_GetObjectItemCaseSensitive(v, "rates"), *it;
    const cJSON *list = cJSON_IsArray(v) ? v : rates;
    int n = 0;
    if (cJSON_IsNull(v))
        return 0;
    if (cJSON_IsObject(v) && (cJSON_GetArraySize(v) != 1 || !cJSON_IsArray(rates)))
        return -1; /* {"rates": […]} and nothing else */
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0 || cJSON_GetArraySize(list) > MAX_SWEEP_POINTS)
        return -1;
    cJSON_ArrayForEach(it, list) {
        if (list == v ? !num_in(it, 0.001, 2, 0) : !num_in(it, 1, 1e8, 0))
            return -1;
        n++;
    }
    return n > 0 ? 0 : -1;
}

/* Checks deployment {"peak_rate_per_sec", "servers"[, "source"]}. 0, or -1 with err. */
static int deployment_check(const cJSON *d, char *err, size_t errlen)
{
    const cJSON *it;
    int ok = cJSON_IsObject(d) && num_in(cJSON_GetObjectItemCaseSensitive(d, "peak_rate_per_sec"), 1, 1e9, 0) &&
             num_in(cJSON_GetObjectItemCaseSensitive(d, "servers"), 1, 100000, 1);
    for (it = ok ? d->child : NULL; it != NULL; it = it->next) {
        if (strcmp(it->string, "peak_rate_per_sec") != 0 && strcmp(it->string, "servers") != 0 &&
            !(strcmp(it->string, "source") == 0 && cJSON_IsString(it)))
            ok = 0;
    }
    if (!ok)
        ab_fmt(err, errlen, "scenario: deployment: expected {\"peak_rate_per_sec\": requests/s (1..1e9), "
                            "\"servers\": 1..100000}");
    return ok ? 0 : -1;
}

/* The fault window of group g (index gi): a fault must begin, and one that ends must end, inside the
 * measured window, or its cell would report coming through a fault that never happened. */
static int fault_window_check(const cJSON *g, int gi, char *err, size_t errlen)
{
    const ab_res_fault *f = ab_res_fault_find(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "fault")));
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(g, "fault_at");
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(g, "fault_for");
    uint64_t dur = 0, at_us, for_us = 1000000u;
    if (f == NULL || ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(g, "duration"), &dur) != 0)
        return 0;
    at_us = dur / 2;
    if (!cJSON_IsNull(at) && at != NULL)
        ab_run_json_duration_us(at, &at_us);
    if (!cJSON_IsNull(len) && len != NULL)
        ab_run_json_duration_us(len, &for_us);
    if (at_us >= dur || (f->span == AB_RES_FAULT_FOR && at_us + for_us > dur)) {
        ab_fmt(err, errlen, "scenario: groups[%d]: fault %s at %gs%s does not fit the measured window of %gs "
                            "(a shorter --duration than the scenario's?): refused, lengthen the duration or "
                            "move fault_at", gi, f->name, (double)at_us / 1e6,
               f->span == AB_RES_FAULT_FOR ? " lasting fault_for" : "", (double)dur / 1e6);
        return -1;
    }
    return 0;
}

/* 1 when the rate axis of g holds a closed-loop value (null): a capacity cell to sweep from. */
static int has_closed_loop(const cJSON *g)
{
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(g, "rate");
    int i;
    for (i = 0; i < ab_run_axis_len(rate); i++)
        if (cJSON_IsNull(ab_run_axis_get(rate, i)))
            return 1;
    return 0;
}

/* The open_loop / sweep fields of group gi against its fault and rate fields. 0, or -1 with err. */
static int group_rate_check(const cJSON *g, int gi, char *err, size_t errlen)
{
    const cJSON *sweep = cJSON_GetObjectItemCaseSensitive(g, "sweep");
    int fault = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(g, "fault"));
    int open = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "open_loop"));
    if (fault && (open || !cJSON_IsNull(sweep))) {
        ab_fmt(err, errlen, "scenario: groups[%d].%s: not available in a fault group (fault cells run open "
                            "loop at the deployment's rate already)", gi, open ? "open_loop" : "sweep");
        return -1;
    }
    if ((open || !cJSON_IsNull(sweep)) && !has_closed_loop(g)) {
        ab_fmt(err, errlen, "scenario: groups[%d].%s: needs a closed-loop cell (a null in \"rate\") to "
                            "add its open-loop cells to (with --rate, keep one: --rate none,2000)", gi,
               open ? "open_loop" : "sweep");
        return -1;
    }
    return fault_window_check(g, gi, err, errlen);
}

int ab_run_scenario_check_rates(const cJSON *sc, char *err, size_t errlen)
{
    const cJSON *slo = cJSON_GetObjectItemCaseSensitive(sc, "slo_p99_ms");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(sc, "seed"), *g;
    int gi = 0;
    if (deployment_check(cJSON_GetObjectItemCaseSensitive(sc, "deployment"), err, errlen) != 0)
        return -1;
    if (!num_in(slo, 0.001, 1e6, 0)) {
        ab_fmt(err, errlen, "scenario: slo_p99_ms: expected a p99 latency objective in milliseconds (> 0)");
        return -1;
    }
    if (!num_in(seed, 0, MAX_SEED, 1)) {
        ab_fmt(err, errlen, "scenario: seed: expected a whole number in 0..2^53-1");
        return -1;
    }
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(sc, "groups")) {
        if (group_rate_check(g, gi++, err, errlen) != 0)
            return -1;
    }
    return 0;
}

double ab_run_deployment_per_server(const cJSON *sc)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(sc, "deployment");
    return ab_json_num_or(d, "peak_rate_per_sec", REQ_DEFAULT_PEAK) / ab_json_num_or(d, "servers", REQ_DEFAULT_SERVERS);
}

cJSON *ab_run_deployment_json(const cJSON *sc)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(sc, "deployment");
    const char *src = ab_json_str(d, "source");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "peak_rate_per_sec", ab_json_num_or(d, "peak_rate_per_sec", REQ_DEFAULT_PEAK));
    cJSON_AddNumberToObject(o, "servers", ab_json_num_or(d, "servers", REQ_DEFAULT_SERVERS));
    cJSON_AddNumberToObject(o, "per_server_rate_per_sec", ab_run_deployment_per_server(sc));
    cJSON_AddStringToObject(o, "source", src != NULL ? src : "scenario");
    return o;
}

/* A number member of the requirements document, or dflt when absent; -1 when of the wrong type. */
static int req_num(const cJSON *req, const char *key, double min, double max, double *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(req, key);
    if (it == NULL)
        return 0;
    if (!num_in(it, min, max, 0))
        return -1;
    *out = it->valuedouble;
    return 0;
}

int ab_run_scenario_requirements(cJSON *sc, const char *path, char *err, size_t errlen)
{
    double peak = REQ_DEFAULT_PEAK, servers = REQ_DEFAULT_SERVERS, slo = -1;
    char *text = ab_read_file(path, 1u << 20, NULL), src[AB_RUN_REQ_SOURCE_MAX];
    cJSON *req = text != NULL ? cJSON_Parse(text) : NULL, *d;
    int rc = -1, readable = text != NULL;
    free(text);
    if (!cJSON_IsObject(req))
        ab_fmt(err, errlen, "--requirements %s: %s", path, readable ? "not a JSON object" : "cannot be read");
    else if (req_num(req, "peak_requests_per_sec", 1, 1e9, &peak) != 0 ||
             req_num(req, "servers", 1, 100000, &servers) != 0 || servers != floor(servers) ||
             req_num(req, "slo_p99_ms", 0.001, 1e6, &slo) != 0)
        ab_fmt(err, errlen, "--requirements %s: peak_requests_per_sec, servers or slo_p99_ms out of range "
                            "(bench/report/DECISION.md)", path);
    else
        rc = 0;
    cJSON_Delete(req);
    if (rc != 0)
        return -1;
    ab_fmt(src, sizeof src, "requirements %s", path);
    d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "peak_rate_per_sec", peak);
    cJSON_AddNumberToObject(d, "servers", servers);
    cJSON_AddStringToObject(d, "source", src);
    cJSON_DeleteItemFromObjectCaseSensitive(sc, "deployment");
    cJSON_AddItemToObject(sc, "deployment", d);
    if (slo > 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(sc, "slo_p99_ms");
        cJSON_AddNumberToObject(sc, "slo_p99_ms", slo);
    }
    return 0;
}

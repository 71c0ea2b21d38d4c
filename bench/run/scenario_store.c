/* scenario_store.c — the scenario fields of a cell's store contents (issue 16): "sessions", the live
 * sessions filled into a shared store before the warm-up, and "store_sweep", N expired sessions the
 * store sweeps `at` into the window. Which mechanisms take them, and their values. */
#include "run_scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_EXPIRED_MAX 10000000

/* The store a mechanism name keeps its state in: after "session:" or after the ','; "" for none. */
static void mech_store(const char *m, char *out, size_t len)
{
    const char *comma = strchr(m, ',');
    size_t n;
    if (strncmp(m, "session:", 8) == 0)
        m += 8;
    else if (comma != NULL)
        m = comma + 1;
    else
        m = "";
    n = strcspn(m, "?");
    ab_fmt(out, len, "%.*s", (int)n, m);
    if (strncmp(out, "file-", 5) == 0)
        ab_fmt(out, len, "file");
}

/* 1 when a store is one every server of a cell shares (so the run can fill it beside them). */
static int store_shared(const char *store)
{
    return strcmp(store, "redis") == 0 || strcmp(store, "redis-cluster") == 0 || strcmp(store, "postgres") == 0 ||
           strcmp(store, "memcached") == 0;
}

int ab_run_store_sweep_ok(const cJSON *v)
{
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(v, "expired"), *it;
    uint64_t us;
    if (cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v) || !cJSON_IsNumber(exp) || exp->valuedouble < 1 || exp->valuedouble > SWEEP_EXPIRED_MAX ||
        exp->valuedouble != (double)(uint64_t)exp->valuedouble ||
        ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(v, "at"), &us) != 0)
        return -1;
    cJSON_ArrayForEach(it, v) {
        if (strcmp(it->string, "expired") != 0 && strcmp(it->string, "at") != 0)
            return -1;
    }
    return 0;
}

/* Checks that every mechanism of group gi has a shared store for "sessions" and a sweepable one
 * (session:redis, session:postgres, session:memcached) for "store_sweep". 0, or -1 with err. */
static int stores_check(const cJSON *g, int gi, int sweep, char *err, size_t errlen)
{
    const cJSON *mechs = cJSON_GetObjectItemCaseSensitive(g, "mechanisms");
    char store[32];
    int i;
    for (i = 0; i < ab_run_axis_len(mechs); i++) {
        const char *m = cJSON_GetStringValue(ab_run_axis_get(mechs, i));
        if (m == NULL)
            continue;
        mech_store(m, store, sizeof store);
        if (sweep && (strncmp(m, "session:", 8) != 0 || !store_shared(store) || strcmp(store, "redis-cluster") == 0)) {
            ab_fmt(err, errlen, "scenario: groups[%d].store_sweep: %s: a store sweep needs a session mechanism "
                                "over the run's Redis, PostgreSQL or Memcached (session:redis, session:postgres, "
                                "session:memcached)", gi, m);
            return -1;
        }
        if (store[0] != '\0' && !store_shared(store)) {
            ab_fmt(err, errlen, "scenario: groups[%d].sessions: %s keeps its sessions in each server, not in a "
                                "shared store the run can fill (redis, redis-cluster, postgres, memcached)", gi, m);
            return -1;
        }
    }
    return 0;
}

int ab_run_scenario_check_stores(const cJSON *sc, char *err, size_t errlen)
{
    const cJSON *g;
    int gi = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(sc, "groups")) {
        const cJSON *sweep = cJSON_GetObjectItemCaseSensitive(g, "store_sweep");
        double live = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "sessions"));
        uint64_t at = 0, dur = 0;
        int has_sweep = cJSON_IsObject(sweep);
        if ((live > 0 || has_sweep) && stores_check(g, gi, has_sweep, err, errlen) != 0)
            return -1;
        if (has_sweep && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(g, "fault"))) {
            ab_fmt(err, errlen, "scenario: groups[%d].store_sweep: not available in a fault group (one event per "
                                "window, so its latency is the sweep's)", gi);
            return -1;
        }
        if (has_sweep && (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "open_loop")) ||
                          !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(g, "sweep")))) {
            ab_fmt(err, errlen, "scenario: groups[%d].store_sweep: not available with open_loop or sweep (store-sweep "
                                "cells run open loop at the deployment's rate already)", gi);
            return -1;
        }
        ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(sweep, "at"), &at);
        ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(g, "duration"), &dur);
        if (has_sweep && at >= dur) {
            ab_fmt(err, errlen, "scenario: groups[%d].store_sweep: at %.3gs is not inside the %.3gs window", gi,
                   (double)at / 1e6, (double)dur / 1e6);
            return -1;
        }
        gi++;
    }
    return 0;
}

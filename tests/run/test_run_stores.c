/* test_run_stores.c — `authbench run` with a store's realistic contents end to end (issue 16): live
 * sessions filled into the run's own Redis and PostgreSQL before the warm-up (sessions_live, the
 * store's bytes per session), and a store-sweep cell on each — PostgreSQL's DELETE of the expired
 * rows removing every one of them, Redis expiring them itself — with the kind, id and the p99s
 * around the sweep; and the store outage of a cell's own PostgreSQL and memcached. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "ab_json.h"
#include "test_load_util.h"
#include "tsupport.h"

#define LIVE 2000
#define EXPIRED 3000
#define USERS 50

/* Four cells of 3 s: live sessions and a sweep 1 s into the window on PostgreSQL and Redis, and the
 * PostgreSQL and memcached of a cell's own killed 1 s into it (no re-measure: the test stays short
 * on a busy machine). */
static const char store_scenario[] =
    "{\"name\": \"stores\", \"store_capacity\": false, \"micro\": false, \"remeasure\": 0,\n"
    " \"defaults\": {\"connections\": 4, \"users\": 50, \"duration\": \"3s\", \"warmup\": \"0.3s\",\n"
    "              \"repetitions\": 1, \"servers\": 1, \"sessions\": 2000},\n"
    " \"groups\": [\n"
    "   {\"mechanisms\": [\"session:postgres\", \"session:redis\"],\n"
    "    \"store_sweep\": {\"expired\": 3000, \"at\": \"1s\"}},\n"
    "   {\"mechanisms\": [\"session:postgres\", \"session:memcached\"], \"fault\": \"store-outage\",\n"
    "    \"fault_at\": \"1s\", \"sessions\": 0}\n"
    " ]}\n";

/* A finished cell of that id, with its live sessions and the store's bytes per session. */
static const cJSON *filled_cell(const cJSON *res, const char *id)
{
    const cJSON *c = tload_cell(res, id);
    if (strcmp(cJSON_GetStringValue(ab_json_at(c, "status")), "ok") != 0)
        fail_msg("cell %s failed: %s", id, cJSON_GetStringValue(ab_json_at(c, "error")));
    assert_int_equal((int)tload_num(c, "sessions"), LIVE);
    assert_int_equal((int)tload_num(c, "sessions_live"), LIVE + USERS);
    if (!(tload_num(c, "store_bytes_per_session") > 0))
        fail_msg("cell %s: store_bytes_per_session %g", id, tload_num(c, "store_bytes_per_session"));
    return c;
}

/* A sweep cell: its kind, its p99 before the sweep, and what its store did. */
static const cJSON *sweep_cell(const cJSON *res, const char *id, const char *method)
{
    const cJSON *c = filled_cell(res, id);
    assert_string_equal(cJSON_GetStringValue(ab_json_at(c, "kind")), "store-sweep");
    assert_string_equal(cJSON_GetStringValue(ab_json_at(c, "store_sweep.method")), method);
    assert_int_equal((int)tload_num(c, "store_sweep.expired"), EXPIRED);
    assert_int_equal((int)tload_num(c, "store_sweep.live"), LIVE);
    assert_true(tload_num(c, "store_sweep.at_s") == 1);
    assert_true(tload_num(c, "store_sweep.p99_during_us") > 0);
    assert_true(tload_num(c, "rate_per_sec") > 0); /* open loop at the deployment's rate */
    return c;
}

/* A store-outage cell over a PostgreSQL or memcached of its own: killed, and the sessions fail to the
 * end of the window. */
static void check_outage(const cJSON *res, const char *id)
{
    const cJSON *c = tload_cell(res, id);
    if (strcmp(cJSON_GetStringValue(ab_json_at(c, "status")), "ok") != 0)
        fail_msg("cell %s failed: %s", id, cJSON_GetStringValue(ab_json_at(c, "error")));
    if (!cJSON_IsTrue(ab_json_at(c, "fault_outcome.injected")))
        fail_msg("cell %s: not injected: %s", id, cJSON_GetStringValue(ab_json_at(c, "fault_outcome.note")));
    assert_true(tload_num(c, "fault_outcome.errors_after") > 0);
    assert_true(cJSON_IsFalse(ab_json_at(c, "fault_outcome.recovered")));
    assert_true(tload_num(c, "fault_outcome.requests_after") > 0);
}

static void a_run_should_fill_its_stores_and_sweep_them_in_the_window(void **state)
{
    static const char *const no_report[] = {"--no-report", NULL};
    const cJSON *pg, *redis;
    tload_scenario_run r;
    (void)state;
    tload_run_scenario(&r, "stores", store_scenario, no_report, 100000);
    pg = sweep_cell(r.results, "session-postgres-n2k-sweep-s1", "delete");
    assert_int_equal((int)tload_num(pg, "store_sweep.removed"), EXPIRED); /* every expired row, no live one */
    assert_true(tload_num(pg, "store_sweep.sweep_ms") > 0);
    assert_true(tload_num(pg, "store_sweep.p99_before_us") > 0 && tload_num(pg, "store_sweep.p99_after_us") > 0);
    redis = sweep_cell(r.results, "session-redis-n2k-sweep-s1", "redis-expiry");
    assert_in_range((unsigned)tload_num(redis, "store_sweep.removed"), 1, EXPIRED); /* Redis's pace, not ours */
    check_outage(r.results, "session-postgres-outage-s1");
    check_outage(r.results, "session-memcached-outage-s1");
    tload_scenario_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_run_should_fill_its_stores_and_sweep_them_in_the_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

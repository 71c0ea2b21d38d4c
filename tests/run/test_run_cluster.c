/* test_run_cluster.c — `authbench run` with session:redis-cluster cells: a local 3-master cluster
 * started and stopped by the run, results labelled store "redis-cluster" beside the single Redis's,
 * the cluster's capacity measured; a user's cluster (--redis-cluster-url) used and never flushed;
 * a store outage on a cluster cell refused as bad usage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "test_load_util.h"
#include "tsupport.h"

/* One cell on the single Redis, one on the cluster, a short store capacity measure. */
static const char local_scenario[] =
    "{\"name\": \"cluster\", \"store_capacity\": {\"clients\": 8, \"duration\": \"0.5s\"}, \"micro\": false,\n"
    " \"defaults\": {\"connections\": 4, \"users\": 100, \"duration\": \"1s\", \"warmup\": \"0.2s\",\n"
    "              \"repetitions\": 1, \"servers\": 1},\n"
    " \"groups\": [{\"mechanisms\": [\"session:redis\", \"session:redis-cluster\"]}]}\n";

static const char user_scenario[] =
    "{\"name\": \"users-cluster\", \"store_capacity\": false, \"micro\": false,\n"
    " \"defaults\": {\"connections\": 4, \"users\": 50, \"duration\": \"1s\", \"warmup\": \"0.2s\",\n"
    "              \"repetitions\": 1, \"servers\": 2},\n"
    " \"groups\": [{\"mechanisms\": [\"session:redis-cluster\"]}]}\n";

static const char outage_scenario[] =
    "{\"groups\": [{\"mechanisms\": [\"session:redis-cluster\"], \"fault\": \"store-outage\"}]}\n";

/* Writes scenario into a fresh temporary directory and runs `authbench run` on it with extra
 * arguments (NULL-terminated); returns the exit status and the directory (*dir, malloc'd). */
static int run_scenario(const char *scenario, const char *const *extra, char **dir, char **err)
{
    char path[512], out[512];
    char *argv[16] = {(char *)tload_bin(), "run", "--scenario", path, "--out", out, "--no-report", "--quiet"};
    int i, rc;
    *dir = tsupport_tmpdir("runcluster");
    assert_non_null(*dir);
    snprintf(path, sizeof path, "%s/scenario.json", *dir);
    snprintf(out, sizeof out, "%s/out", *dir);
    assert_int_equal(tsupport_write_file(path, scenario, strlen(scenario)), 0);
    for (i = 0; extra != NULL && extra[i] != NULL && i < 6; i++)
        argv[8 + i] = (char *)extra[i];
    rc = tload_run(argv, 90000, NULL, err);
    return rc;
}

/* The results.json of a run directory made by run_scenario. */
static cJSON *results_of(const char *dir)
{
    char path[600], *text;
    cJSON *j;
    snprintf(path, sizeof path, "%s/out/results.json", dir);
    text = tsupport_read_file(path, NULL);
    assert_non_null(text);
    j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

/* A number at obj.key, failing when absent. */
static double num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        fail_msg("\"%s\" is not a number", key);
    return v->valuedouble;
}

/* Checks a finished Redis-backed cell: served, no error, one store operation and one Redis
 * command per request; the async server pipelines, so at most one round trip per request. */
static void check_store_cell(const cJSON *c, const char *store)
{
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(c, "errors");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "status")), "ok");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "store")), store);
    assert_true(num(c, "requests_per_sec") > 0);
    assert_int_equal((int)num(errors, "total"), 0);
    assert_int_equal((int)num(c, "auth_failures"), 0);
    assert_true(num(c, "store_ops_per_req") > 0.95 && num(c, "store_ops_per_req") < 1.05);
    assert_true(num(c, "store_round_trips_per_req") > 0 && num(c, "store_round_trips_per_req") < 1.05);
    assert_true(num(c, "redis_commands_per_req") > 0.95 && num(c, "redis_commands_per_req") < 1.2);
}

static void a_local_cluster_is_started_and_its_cells_sit_beside_the_single_redis(void **state)
{
    char *dir = NULL, *err = NULL;
    const cJSON *cells, *cap;
    cJSON *res;
    (void)state;
    if (run_scenario(local_scenario, NULL, &dir, &err) != 0)
        fail_msg("authbench run failed: %s", err);
    res = results_of(dir);
    cells = cJSON_GetObjectItemCaseSensitive(res, "cells");
    assert_int_equal(cJSON_GetArraySize(cells), 2);
    check_store_cell(cJSON_GetArrayItem(cells, 0), "redis");
    check_store_cell(cJSON_GetArrayItem(cells, 1), "redis-cluster");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cells, 1), "id")),
                        "session-redis-cluster-s1");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cells, 1), "label")),
                        "session redis-cluster");
    cap = cJSON_GetObjectItemCaseSensitive(res, "store_capacity");
    assert_true(num(cap, "redis_get_ops_per_sec") > 0 && num(cap, "redis_cluster_get_ops_per_sec") > 0);
    assert_int_equal((int)num(cap, "redis_cluster_masters"), 3);
    cJSON_Delete(res);
    tsupport_rmtree(dir);
    free(dir);
    free(err);
}

/* Sets the marker key on the master that owns it (the others answer MOVED); returns that master. */
static int set_marker(const tsupport_cluster *cl)
{
    char reply[256];
    int i;
    for (i = 0; i < TSUPPORT_CLUSTER_NODES; i++)
        if (tsupport_redis_query(cl->nodes[i].port, "SET marker kept", reply, sizeof reply) == 0 &&
            strcmp(reply, "+OK\r\n") == 0)
            return i;
    fail_msg("no master took the marker key");
    return -1;
}

static void a_users_cluster_is_used_and_never_flushed(void **state)
{
    tsupport_cluster cl;
    char seeds[128], url[160], *dir = NULL, *err = NULL, reply[256];
    const char *extra[] = {"--redis-cluster-url", url, NULL};
    cJSON *res;
    int owner;
    (void)state;
    assert_int_equal(tsupport_cluster_start(&cl), 0);
    snprintf(url, sizeof url, "redis-cluster://%s", tsupport_cluster_seeds(&cl, 1, seeds, sizeof seeds));
    owner = set_marker(&cl);
    if (run_scenario(user_scenario, extra, &dir, &err) != 0)
        fail_msg("authbench run failed: %s", err);
    res = results_of(dir);
    check_store_cell(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "cells"), 0), "redis-cluster");
    assert_int_equal(tsupport_redis_query(cl.nodes[owner].port, "EXISTS marker", reply, sizeof reply), 0);
    assert_string_equal(reply, ":1\r\n");
    cJSON_Delete(res);
    tsupport_cluster_stop(&cl);
    tsupport_rmtree(dir);
    free(dir);
    free(err);
}

static void a_store_outage_on_a_cluster_cell_is_bad_usage(void **state)
{
    char *dir = NULL, *err = NULL;
    (void)state;
    assert_int_equal(run_scenario(outage_scenario, NULL, &dir, &err), 2);
    assert_non_null(strstr(err, "not available for session:redis-cluster"));
    assert_int_equal(tload_lines(err), 1);
    tsupport_rmtree(dir);
    free(dir);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_local_cluster_is_started_and_its_cells_sit_beside_the_single_redis),
        cmocka_unit_test(a_users_cluster_is_used_and_never_flushed),
        cmocka_unit_test(a_store_outage_on_a_cluster_cell_is_bad_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_micro_store.c — the BM_store_* micro-benchmarks run, succeed and are all there (Redis ones
 * against a private redis-server named by AUTHBENCH_REDIS_URL, as the benchmark script does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "tsupport.h"

/* Runs the store micro-benchmarks briefly and returns their JSON report (caller frees). */
static cJSON *run_micro(const char *redis_url)
{
    const char *bin = getenv("AUTHBENCH_MICRO");
    char cmd[1024], *text;
    FILE *p;
    size_t len = 0, cap = 1 << 20;
    cJSON *root;
    assert_non_null(bin);
    snprintf(cmd, sizeof cmd, "AUTHBENCH_REDIS_URL='%s' '%s' --benchmark_filter='^BM_(store|floor_file)' "
             "--benchmark_min_time=0.01 --benchmark_format=json 2>/dev/null", redis_url, bin);
    assert_non_null(p = popen(cmd, "r"));
    assert_non_null(text = malloc(cap + 1));
    while (len < cap && !feof(p) && !ferror(p))
        len += fread(text + len, 1, cap - len, p);
    text[len] = '\0';
    assert_int_equal(pclose(p), 0);
    root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);
    return root;
}

static void every_store_benchmark_runs_and_its_operations_succeed(void **state)
{
    static const char *const names[] = {"BM_store_get/memory", "BM_store_create/memory", "BM_store_get/file_pagecache",
                                        "BM_store_create/file_pagecache", "BM_store_get/file_fsync",
                                        "BM_store_create/file_fsync", "BM_store_get/redis", "BM_store_create/redis",
                                        "BM_floor_file_read/file_pagecache"};
    tsupport_redis redis;
    char url[64];
    cJSON *root, *b;
    size_t i, found = 0;
    (void)state;
    assert_int_equal(tsupport_redis_start(&redis, NULL), 0);
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", redis.port);
    root = run_micro(url);
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(root, "benchmarks")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(b, "name"));
        if (cJSON_IsTrue(cJSON_GetObjectItem(b, "error_occurred")))
            fail_msg("%s: %s", name, cJSON_GetStringValue(cJSON_GetObjectItem(b, "error_message")));
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            found += name != NULL && strcmp(name, names[i]) == 0;
        assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "items_per_second")) > 0);
    }
    assert_int_equal(found, sizeof names / sizeof names[0]);
    cJSON_Delete(root);
    tsupport_redis_stop(&redis);
}

static void without_a_reachable_redis_the_redis_benchmarks_are_not_registered(void **state)
{
    char url[64];
    cJSON *root, *b;
    (void)state;
    snprintf(url, sizeof url, "redis://127.0.0.1:%d?connect_timeout_ms=200", tsupport_free_port());
    root = run_micro(url);
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(root, "benchmarks"))
        assert_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(b, "name")), "/redis"));
    cJSON_Delete(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_store_benchmark_runs_and_its_operations_succeed),
        cmocka_unit_test(without_a_reachable_redis_the_redis_benchmarks_are_not_registered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

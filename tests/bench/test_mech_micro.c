/* test_mech_micro.c — the BM_mech_* micro-benchmarks (bench/micro/micro_mech.cc) run, succeed, are
 * all there, and the cache ones measure what their names say: every call of /hit a cache hit,
 * none of /miss (their counters; the times are for the reader, never asserted). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "tsupport.h"

/* The JSON report of the mechanism benchmarks, run briefly into a file (the caller frees it). */
static cJSON *mech_benchmarks(void)
{
    const char *bin = getenv("AUTHBENCH_MICRO");
    char cmd[1024], *dir = tsupport_tmpdir("mech-micro"), *text;
    cJSON *root;
    assert_non_null(bin);
    assert_non_null(dir);
    snprintf(cmd, sizeof cmd, "'%s' --benchmark_filter='^BM_mech_' --benchmark_min_time=0.01 "
             "--benchmark_out='%s/out.json' --benchmark_out_format=json >/dev/null 2>&1", bin, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/out.json", dir);
    text = tsupport_read_file(cmd, NULL);
    assert_non_null(text);
    root = cJSON_Parse(text);
    free(text);
    tsupport_rmtree(dir);
    free(dir);
    assert_non_null(root);
    return root;
}

/* 1 when name is one the header of micro_mech.cc promises. */
static int promised(const char *name)
{
    static const char *const algs[] = {"HS256", "ES256", "RS256"};
    static const char *const sizes[] = {"300", "1000", "4000"};
    char want[64];
    size_t a, s;
    for (a = 0; a < 3; a++)
        for (s = 0; s < 4; s++) {
            if (s < 3)
                snprintf(want, sizeof want, "BM_mech_verify/%s/%s", algs[a], sizes[s]);
            else
                snprintf(want, sizeof want, "BM_mech_session/memory/%s", sizes[a]);
            if (strcmp(name, want) == 0)
                return 1;
        }
    for (a = 0; a < 3; a++)
        for (s = 0; s < 2; s++) {
            snprintf(want, sizeof want, "BM_mech_cache/%s/%s", algs[a], s ? "miss" : "hit");
            if (strcmp(name, want) == 0)
                return 1;
        }
    return 0;
}

static void every_mechanism_benchmark_runs_and_measures_what_it_names(void **state)
{
    cJSON *root = mech_benchmarks(), *b;
    int found = 0;
    (void)state;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(root, "benchmarks")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(b, "name"));
        double hits = cJSON_GetNumberValue(cJSON_GetObjectItem(b, "cache_hits_per_call"));
        assert_non_null(name);
        if (cJSON_IsTrue(cJSON_GetObjectItem(b, "error_occurred")))
            fail_msg("%s: %s", name, cJSON_GetStringValue(cJSON_GetObjectItem(b, "error_message")));
        assert_true(promised(name));
        found++;
        assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "items_per_second")) > 0);
        if (strstr(name, "/hit") != NULL)
            assert_true(hits == 1); /* the token is in the cache before the timing */
        if (strstr(name, "/miss") != NULL)
            assert_true(hits == 0);
        if (strncmp(name, "BM_mech_verify/", 15) == 0) /* the token carries the claims */
            assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "token_bytes")) > atof(strrchr(name, '/') + 1));
    }
    assert_int_equal(found, 18);
    cJSON_Delete(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_mechanism_benchmark_runs_and_measures_what_it_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

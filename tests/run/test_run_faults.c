/* test_run_faults.c — `authbench run` through every fault end to end: a tiny scenario with a Redis
 * restarted, paused, killed for good, its connections reset by the proxy, the disk full and a
 * server killed, each open loop at the deployment's rate; the run completes, every cell is kept
 * with its fault, when it began and its outcome (goodput, unavailable share, time to detect), and
 * the report names every fault cell. */
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

/* Seven cells of 4 s, each fault at 1 s into the window; the ones that end last 1 s. */
static const char fault_scenario[] =
    "{\"name\": \"faults\", \"store_capacity\": false, \"micro\": false,\n"
    " \"defaults\": {\"connections\": 4, \"users\": 50, \"duration\": \"4s\", \"warmup\": \"0.3s\",\n"
    "              \"repetitions\": 1, \"servers\": 1, \"fault_at\": \"1s\", \"fault_for\": \"1s\"},\n"
    " \"groups\": [\n"
    "   {\"mechanisms\": [\"session:redis\", \"jwt:HS256\"], \"fault\": \"redis-restart\"},\n"
    "   {\"mechanisms\": [\"session:redis\"], \"fault\": \"redis-pause\"},\n"
    "   {\"mechanisms\": [\"session:redis\"], \"fault\": \"store-outage\"},\n"
    "   {\"mechanisms\": [\"session:redis\"], \"fault\": \"proxy-drop\"},\n"
    "   {\"mechanisms\": [\"session:file-pagecache\"], \"fault\": \"disk-full\", \"mix\": \"churn\", \"lb\": \"sticky\"},\n"
    "   {\"mechanisms\": [\"jwt:HS256\"], \"fault\": \"server-kill\", \"servers\": 2}\n"
    " ]}\n";

/* A number at a dotted path of a cell ("fault_outcome.errors_after"); fails when absent. */
static double num(const cJSON *c, const char *path)
{
    char key[64];
    const cJSON *v = c;
    while (*path != '\0' && v != NULL) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        v = cJSON_GetObjectItemCaseSensitive(v, key);
        path += n + (path[n] == '.');
    }
    if (!cJSON_IsNumber(v))
        fail_msg("%s: not a number", key);
    return v->valuedouble;
}

/* 1 when the outcome says the errors stopped. */
static int recovered(const cJSON *c)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c, "fault_outcome"),
                                                         "recovered"));
}

/* Every cell finished, with its fault injected about 1 s into the window. */
static void check_every_cell(const cJSON *res)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "cells")) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"));
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(c, "fault_outcome");
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "status")), "ok") != 0)
            fail_msg("cell %s failed: %s", id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "error")));
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "fault")));
        assert_in_range((unsigned)(num(c, "fault_at_s") * 10), 5, 25);
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "injected")))
            fail_msg("cell %s: fault not injected: %s", id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "note")));
        assert_true(num(c, "fault_outcome.requests_after") > 0);
        assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "what")));
    }
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "cells")), 7);
}

/* What each fault did: what must fail fails, what must come back comes back. */
static void check_outcomes(const cJSON *res)
{
    const cJSON *restart = tload_cell(res, "session-redis-restart-s1");
    const cJSON *pause = tload_cell(res, "session-redis-pause-s1");
    const cJSON *outage = tload_cell(res, "session-redis-outage-s1");
    const cJSON *disk = tload_cell(res, "session-file-pagecache-churn-diskfull-s1");
    const cJSON *kill = tload_cell(res, "jwt-hs256-kill-s2"), *jwt = tload_cell(res, "jwt-hs256-restart-s1");
    assert_true(num(restart, "fault_outcome.errors_after") > 0);       /* 503s while Redis is down */
    assert_true(num(restart, "fault_outcome.auth_failures_after") > 0); /* its sessions are gone after */
    assert_true(recovered(restart));
    assert_in_range((unsigned)(num(restart, "fault_for_s") * 10), 10, 10);
    assert_true(num(jwt, "fault_outcome.errors_after") == 0 && recovered(jwt)); /* a JWT needs no store */
    assert_true(num(pause, "latency_us.max") >= 500000); /* every command waited out the 1 s pause */
    assert_true(recovered(pause));
    assert_true(num(outage, "fault_outcome.errors_after") > 0 && !recovered(outage));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(outage, "fault_for_s")));
    /* at the deployment's fixed rate: the sessions down from the fault's second to the end */
    assert_true(num(outage, "rate_per_sec") > 0);
    assert_true(num(outage, "fault_outcome.unavailable_frac") > 0.5);
    assert_true(num(outage, "fault_outcome.detect_s") <= 2);
    assert_true(num(outage, "fault_outcome.goodput_after_per_s") < num(jwt, "fault_outcome.goodput_after_per_s"));
    assert_true(num(jwt, "fault_outcome.unavailable_frac") < 0.5); /* nothing to detect for a JWT */
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(jwt, "fault_outcome"),
                                                              "detect_s")));
    assert_true(num(disk, "fault_outcome.errors_after") > 0 && recovered(disk)); /* logins failed, then worked */
    assert_true(num(kill, "fault_outcome.errors_after") > 0 && !recovered(kill));
}

/* The proxy of the proxy-drop cell reset the store connections. */
static void check_proxy_log(const char *out)
{
    char path[700], *log, *at;
    snprintf(path, sizeof path, "%s/cells/session-redis-drop-s1/rep1-proxy.log", out);
    log = tsupport_read_file(path, NULL);
    assert_non_null(log);
    at = strstr(log, " reset on SIGUSR1");
    assert_non_null(at);
    while (at > log && at[-1] >= '0' && at[-1] <= '9')
        at--;
    assert_true(atoi(at) >= 1);
    free(log);
}

/* report.md names every fault cell and what happened to it. */
static void check_report(const char *out, const cJSON *res)
{
    char path[700], *md;
    const cJSON *c;
    snprintf(path, sizeof path, "%s/report.md", out);
    md = tsupport_read_file(path, NULL);
    assert_non_null(md);
    assert_non_null(strstr(md, "Through the injected faults"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "cells")) {
        char want[160];
        snprintf(want, sizeof want, "`%s` (", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id")));
        if (strstr(md, want) == NULL)
            fail_msg("report.md does not describe %s", want);
    }
    free(md);
}

static void a_run_through_every_fault_should_complete_and_record_each(void **state)
{
    tload_scenario_run run;
    (void)state;
    tload_run_scenario(&run, "faults", fault_scenario, NULL, 170000);
    check_every_cell(run.results);
    check_outcomes(run.results);
    check_proxy_log(run.out);
    check_report(run.out, run.results);
    tload_scenario_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_run_through_every_fault_should_complete_and_record_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

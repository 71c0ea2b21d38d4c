/* test_decision.c — the decision of `authbench report` on a generated schema-3 run (report_fixture.c):
 * one estimation method for every option, hard requirements whose answer is unambiguous, the
 * significance gate deciding with separated intervals and refusing with overlapping ones, the
 * indicative banner, cost and capacity at the SLO, flip points, decision.json rewritten by the
 * command, and schema-2 runs read as runs without deployment cells. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ab_report.h"
#include "report_check.h"
#include "report_fixture.h"
#include "tsupport.h"

/* Writes the report of dir with the requirements text (NULL = defaults); returns decision.json. */
static cJSON *decide(const char *dir, const char *requirements)
{
    char err[1024] = "", path[4096];
    snprintf(path, sizeof path, "%s/req.json", dir);
    if (requirements != NULL)
        rc_write(dir, "req.json", requirements);
    if (ab_report_write(dir, requirements ? path : NULL, err, sizeof err) != 0)
        fail_msg("ab_report_write: %s", err);
    return rc_json(dir, "decision.json");
}

/* The decision of the fixture run, changed by edit (may be NULL), for the requirements. */
static cJSON *decide_fixture(void (*edit)(cJSON *), const char *requirements)
{
    char *dir = tsupport_tmpdir("decision");
    cJSON *doc = rf_results(), *d;
    if (edit != NULL)
        edit(doc);
    rf_write(dir, doc);
    cJSON_Delete(doc);
    d = decide(dir, requirements);
    assert_non_null(d);
    tsupport_rmtree(dir);
    free(dir);
    return d;
}

/* The options[] entry with this id (the test fails when there is none). */
static const cJSON *option(const cJSON *d, const char *id)
{
    const cJSON *o = rc_option(d, id);
    if (o == NULL)
        fail_msg("decision.json has no option %s", id);
    return o;
}

/* A string at a dotted path, "" when absent. */
static const char *str_at(const cJSON *o, const char *path)
{
    const char *dot;
    char part[128];
    while (o != NULL && (dot = strchr(path, '.')) != NULL) {
        snprintf(part, sizeof part, "%.*s", (int)(dot - path), path);
        o = cJSON_GetObjectItem(o, part);
        path = dot + 1;
    }
    o = o ? cJSON_GetObjectItem(o, path) : NULL;
    return cJSON_IsString(o) ? o->valuestring : "";
}

/* Asserts every option of d has the method want. */
static void assert_one_method(const cJSON *d, const char *want)
{
    const cJSON *o;
    assert_string_equal(str_at(d, "method"), want);
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(d, "options"))
        if (strcmp(str_at(o, "method"), want) != 0)
            fail_msg("option %s: method %s, the run's is %s", str_at(o, "id"), str_at(o, "method"), want);
}

/* The first source cell of option id. */
static const char *source_cell(const cJSON *d, const char *id)
{
    const cJSON *a = cJSON_GetObjectItem(option(d, id), "source_cells");
    return cJSON_GetArraySize(a) > 0 ? cJSON_GetArrayItem(a, 0)->valuestring : "";
}

static void default_drivers_should_pick_the_stateless_jwt_through_the_gate(void **state)
{
    cJSON *d = decide_fixture(NULL, NULL);
    (void)state;
    assert_string_equal(str_at(d, "verdict"), "jwt_stateless");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "gate"), "separated")));
    assert_string_equal(str_at(d, "gate.runner_up"), "session_shared_store");
    assert_one_method(d, "deployment_cell");
    assert_string_equal(source_cell(d, "jwt_stateless"), "jwt-es256-dep-s1"); /* asymmetric by default */
    assert_string_equal(str_at(option(d, "jwt_stateless"), "estimate.alg"), "ES256");
    assert_string_equal(str_at(cJSON_GetObjectItem(option(d, "jwt_stateless"), "hmac_beside"), "alg"), "HS256");
    assert_string_equal(source_cell(d, "session_shared_store"), "session-redis-d250us-dep-s1"); /* measured at 250 µs */
    assert_string_equal(source_cell(d, "jwt_denylist"), "jwt-denylist-es256-redis-d250us-dep-s1"); /* the JWT's class */
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(d, "indicative")));
    cJSON_Delete(d);
}

static void instant_revocation_should_rule_a_900_s_token_out(void **state)
{
    cJSON *d = decide_fixture(NULL, "{\"instant_revocation\": true, \"revocation_delay_s\": 60, \"access_token_lifetime_s\": 900}");
    (void)state;
    assert_non_null(strstr(str_at(option(d, "jwt_stateless"), "out"), "revocation"));
    assert_string_equal(str_at(d, "verdict"), "session_shared_store");
    assert_one_method(d, "deployment_cell");
    cJSON_Delete(d);
}

static void regions_30_ms_apart_should_rule_a_cross_region_session_store_out_by_latency(void **state)
{
    cJSON *d = decide_fixture(NULL, "{\"instant_revocation\": true, \"multi_region\": true, \"region_distance_us\": 30000}");
    const cJSON *s;
    (void)state;
    s = option(d, "session_shared_store");
    assert_non_null(strstr(str_at(s, "out"), "latency"));
    assert_true(rc_num(s, "estimate.p99_us") > 60000); /* 2 × 30 ms per request on top */
    assert_string_equal(str_at(d, "verdict"), "jwt_denylist");
    assert_one_method(d, "deployment_cell_plus_round_trips"); /* 30 ms was not measured: one rule for all */
    assert_string_equal(source_cell(d, "session_shared_store"), "session-redis-dep-p0-s1"); /* from the proxied control */
    cJSON_Delete(d);
}

/* Widens the JWT's p99 interval over the session's. */
static void overlap(cJSON *doc)
{
    rf_set_p99(doc, "jwt-es256-dep-s1", 420, 380, 990);
}

static void overlapping_intervals_should_give_no_measurable_difference(void **state)
{
    char *dir = tsupport_tmpdir("decision"), path[4096], *md;
    cJSON *doc = rf_results(), *d;
    size_t n = 0;
    const cJSON *x;
    (void)state;
    overlap(doc);
    rf_write(dir, doc);
    d = decide(dir, NULL);
    assert_string_equal(str_at(d, "verdict"), "no_measurable_difference");
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "gate"), "separated")));
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(d, "non_numeric_drivers"))
        n++;
    assert_true(n >= 3);
    snprintf(path, sizeof path, "%s/report.md", dir);
    md = tsupport_read_file(path, NULL);
    assert_non_null(strstr(md, "Verdict `no_measurable_difference`"));
    assert_non_null(strstr(md, "key distribution"));
    assert_null(strstr(md, "Chosen option:"));
    free(md);
    cJSON_Delete(d);
    cJSON_Delete(doc);
    tsupport_rmtree(dir);
    free(dir);
}

/* A machine with noise and a dirty, debug build. */
static void noisy(cJSON *doc)
{
    cJSON *env = cJSON_GetObjectItem(doc, "environment");
    rf_set_bool(doc, "session-redis-d250us-dep-s1", "busy_machine", 1);
    rf_set_num(doc, "jwt-es256-dep-s1", "repetitions", 2);
    cJSON_ReplaceItemInObject(env, "git_dirty", cJSON_CreateTrue());
    cJSON_ReplaceItemInObject(env, "build_type", cJSON_CreateString("Debug"));
}

static void noise_and_environment_problems_should_make_it_indicative(void **state)
{
    cJSON *d = decide_fixture(noisy, NULL);
    const char *why, *env;
    (void)state;
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "indicative")));
    why = str_at(d, "indicative_because");
    assert_non_null(strstr(why, "busy machine"));
    assert_non_null(strstr(why, "fewer than 3"));
    env = str_at(d, "environment_problems");
    assert_non_null(strstr(env, "git_dirty"));
    assert_non_null(strstr(env, "Debug"));
    cJSON_Delete(d);
}

/* The session at 250 µs did not reach its rate. */
static void unreached(cJSON *doc)
{
    rf_set_bool(doc, "session-redis-d250us-dep-s1", "rate_reached", 0);
    rf_set_num(doc, "session-redis-d250us-dep-s1", "achieved_rate_per_sec", 1100);
}

static void a_rate_not_reached_should_not_stand_for_latency_at_that_rate(void **state)
{
    cJSON *d = decide_fixture(unreached, NULL);
    (void)state;
    assert_non_null(strstr(str_at(option(d, "session_shared_store"), "out"), "did not reach its rate"));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "indicative")));
    cJSON_Delete(d);
}

/* A run whose scenario set a tight SLO. */
static void tight_slo(cJSON *doc)
{
    cJSON_ReplaceItemInObject(doc, "slo_p99_ms", cJSON_CreateNumber(0.9));
}

static void the_run_s_own_slo_should_stand_when_the_file_has_none(void **state)
{
    cJSON *d = decide_fixture(tight_slo, NULL), *f;
    (void)state;
    assert_true(rc_num(d, "drivers.slo_p99_ms") == 0.9);
    assert_non_null(strstr(str_at(option(d, "session_shared_store"), "out"), "above the SLO of 0.9 ms"));
    cJSON_Delete(d);
    f = decide_fixture(tight_slo, "{\"slo_p99_ms\": 20}"); /* the file wins */
    assert_true(rc_num(f, "drivers.slo_p99_ms") == 20);
    assert_string_equal(str_at(option(f, "session_shared_store"), "out"), "");
    cJSON_Delete(f);
}

static void the_hmac_class_should_be_a_requirement(void **state)
{
    cJSON *d = decide_fixture(NULL, "{\"jwt_alg_class\": \"hmac\"}");
    (void)state;
    assert_string_equal(source_cell(d, "jwt_stateless"), "jwt-hs256-dep-s1");
    assert_string_equal(source_cell(d, "jwt_denylist"), "jwt-denylist-hs256-redis-d250us-dep-s1");
    assert_null(cJSON_GetObjectItem(option(d, "jwt_stateless"), "hmac_beside"));
    cJSON_Delete(d);
}

static void cost_should_come_from_the_deployment_cell_and_say_not_measured(void **state)
{
    cJSON *d = decide_fixture(NULL, NULL);
    const cJSON *s, *j;
    (void)state;
    s = option(d, "session_shared_store");
    j = option(d, "jwt_stateless");
    assert_true(fabs(rc_num(s, "cost.app_cores_per_10k_rps") - 46.0 / 100) < 1e-9);
    assert_true(fabs(rc_num(s, "cost.store_cores_per_10k_rps") - 6.2 / 100) < 1e-9); /* Redis CPU from INFO */
    assert_true(rc_num(s, "cost.app_cores_ci95.0") < rc_num(s, "cost.app_cores_per_10k_rps"));
    assert_non_null(strstr(str_at(j, "cost.store_cores_note"), "not measured"));
    assert_true(fabs(rc_num(s, "capacity_at_slo_per_sec") - 4500) < 1e-9);
    assert_string_equal(str_at(s, "capacity_at_slo_from"), "sweep");
    assert_true(fabs(rc_num(j, "capacity_at_slo_per_sec") - 1250) < 1e-9); /* no sweep: its deployment cell */
    assert_string_equal(str_at(j, "capacity_at_slo_from"), "cells (a lower bound)");
    cJSON_Delete(d);
}

/* The steps of the flip point of driver. */
static const cJSON *flip_steps(const cJSON *d, const char *driver)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(d, "flip_points"))
        if (strcmp(str_at(f, "driver"), driver) == 0)
            return cJSON_GetObjectItem(f, "steps");
    fail_msg("no flip point for %s", driver);
    return NULL;
}

static void flip_points_should_find_the_revocation_delay_and_distance(void **state)
{
    cJSON *d = decide_fixture(NULL, NULL);
    const cJSON *rev, *dist, *map;
    (void)state;
    rev = flip_steps(d, "revocation_delay_s");
    assert_int_equal(cJSON_GetArraySize(rev), 2);
    assert_string_equal(str_at(cJSON_GetArrayItem(rev, 0), "verdict"), "session_shared_store");
    assert_true(rc_num(cJSON_GetArrayItem(rev, 1), "from") == 900); /* the token's lifetime */
    assert_string_equal(str_at(cJSON_GetArrayItem(rev, 1), "verdict"), "jwt_stateless");
    dist = flip_steps(d, "store_distance_us");
    assert_true(cJSON_GetArraySize(dist) >= 2); /* at 0 µs the two cannot be told apart */
    map = cJSON_GetObjectItem(d, "winner_map");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(map, "model_based")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(map, "verdict")),
                     cJSON_GetArraySize(cJSON_GetObjectItem(map, "store_distance_us")));
    cJSON_Delete(d);
}

static void the_command_should_rewrite_decision_json(void **state)
{
    char *dir = rf_run_dir(), *err = NULL, req[4096];
    cJSON *d;
    int rc;
    (void)state;
    rc = rc_run((const char *const[]){"report", "-q", dir, NULL}, NULL, &err);
    assert_int_equal(rc, 0);
    free(err);
    d = rc_json(dir, "decision.json");
    assert_string_equal(str_at(d, "verdict"), "jwt_stateless");
    cJSON_Delete(d);
    snprintf(req, sizeof req, "%s/req.json", dir);
    rc_write(dir, "req.json", "{\"instant_revocation\": true}");
    rc = rc_run((const char *const[]){"report", "--requirements", req, "-q", dir, NULL}, NULL, &err);
    assert_int_equal(rc, 0);
    free(err);
    d = rc_json(dir, "decision.json");
    assert_string_equal(str_at(d, "verdict"), "session_shared_store");
    assert_string_equal(str_at(d, "schema"), "authbench.decision/1");
    cJSON_Delete(d);
    rc_write(dir, "req.json", "{\"jwt_alg_class\": \"rsa\"}");
    rc = rc_run((const char *const[]){"report", "--requirements", req, "-q", dir, NULL}, NULL, &err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "jwt_alg_class"));
    free(err);
    tsupport_rmtree(dir);
    free(dir);
}

/* results/reference's results.json in the shape of a schema-2 run: the closed-loop cells only, none
 * of the fields schema 3 added to say at what load a cell ran (kind, rates, deployment, sweeps). */
static char *as_schema_2(const char *text)
{
    static const char *const top[] = {"deployment", "sweeps", "slo_p99_ms", "repetition_order"};
    static const char *const per_cell[] = {"kind", "target_rate_per_sec", "achieved_rate_per_sec", "rate_reached",
                                           "via_proxy", "sweep_of", "rate_fraction"};
    cJSON *doc = cJSON_Parse(text), *cells, *c;
    char *out;
    size_t i;
    int k;
    assert_non_null(doc);
    for (i = 0; i < sizeof top / sizeof top[0]; i++)
        cJSON_DeleteItemFromObject(doc, top[i]);
    cJSON_ReplaceItemInObject(doc, "schema", cJSON_CreateString("authbench.results/2"));
    cJSON_ReplaceItemInObject(doc, "schema_version", cJSON_CreateNumber(2));
    cells = cJSON_GetObjectItem(doc, "cells");
    for (k = cJSON_GetArraySize(cells) - 1; k >= 0; k--) {
        c = cJSON_GetArrayItem(cells, k);
        if (strcmp(str_at(c, "kind"), "capacity") != 0 && strcmp(str_at(c, "kind"), "fault") != 0) {
            cJSON_DeleteItemFromArray(cells, k);
            continue;
        }
        for (i = 0; i < sizeof per_cell / sizeof per_cell[0]; i++)
            cJSON_DeleteItemFromObject(c, per_cell[i]);
    }
    out = cJSON_Print(doc);
    cJSON_Delete(doc);
    assert_non_null(out);
    return out;
}

/* Copies results/reference's results.json (as a schema-2 run) and micro.json to a temp dir. */
static char *reference_copy(void)
{
    const char *src = getenv("AUTHBENCH_SOURCE_DIR");
    char path[4096], *dir = tsupport_tmpdir("reference"), *text, *v2;
    static const char *const names[] = {"results.json", "micro.json"};
    size_t i, len;
    for (i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/results/reference/%s", src ? src : ".", names[i]);
        text = tsupport_read_file(path, &len);
        assert_non_null(text);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        v2 = i == 0 ? as_schema_2(text) : NULL;
        assert_int_equal(tsupport_write_file(path, v2 ? v2 : text, v2 ? strlen(v2) : len), 0);
        free(v2);
        free(text);
    }
    return dir;
}

static void a_schema_2_run_should_be_read_as_without_deployment_cells(void **state)
{
    char *dir = reference_copy(), path[4096], *md;
    cJSON *d = decide(dir, NULL);
    (void)state;
    assert_non_null(d);
    assert_one_method(d, "closed_loop_cell_plus_round_trips");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "indicative")));
    assert_non_null(strstr(str_at(d, "indicative_because"), "no deployment cells"));
    snprintf(path, sizeof path, "%s/report.md", dir);
    md = tsupport_read_file(path, NULL);
    assert_non_null(strstr(md, "**Indicative only.**"));
    free(md);
    cJSON_Delete(d);
    tsupport_rmtree(dir);
    free(dir);
}

static void every_figure_of_the_decision_should_trace_to_results_json(void **state)
{
    char *dir = rf_run_dir(), path[4096], *md, why[1400];
    const char *keep = getenv("AUTHBENCH_REPORT_FIXTURE_OUT"); /* to look at the report: a directory to copy it to */
    cJSON *d = decide(dir, NULL), *results = rc_json(dir, "results.json");
    int n;
    (void)state;
    snprintf(path, sizeof path, "%s/report.md", dir);
    md = tsupport_read_file(path, NULL);
    n = rc_check_figures(md, results, NULL, why, sizeof why);
    if (n < 0)
        fail_msg("%s", why);
    assert_true(n > 20);
    assert_non_null(strstr(md, "Chosen option: \"Stateless JWT\" (`jwt_stateless`)"));
    if (keep != NULL) {
        char cmd[8400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", keep, dir, keep);
        assert_int_equal(system(cmd), 0);
    }
    free(md);
    cJSON_Delete(d);
    cJSON_Delete(results);
    tsupport_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_drivers_should_pick_the_stateless_jwt_through_the_gate),
        cmocka_unit_test(instant_revocation_should_rule_a_900_s_token_out),
        cmocka_unit_test(regions_30_ms_apart_should_rule_a_cross_region_session_store_out_by_latency),
        cmocka_unit_test(overlapping_intervals_should_give_no_measurable_difference),
        cmocka_unit_test(noise_and_environment_problems_should_make_it_indicative),
        cmocka_unit_test(a_rate_not_reached_should_not_stand_for_latency_at_that_rate),
        cmocka_unit_test(the_run_s_own_slo_should_stand_when_the_file_has_none),
        cmocka_unit_test(the_hmac_class_should_be_a_requirement),
        cmocka_unit_test(cost_should_come_from_the_deployment_cell_and_say_not_measured),
        cmocka_unit_test(flip_points_should_find_the_revocation_delay_and_distance),
        cmocka_unit_test(the_command_should_rewrite_decision_json),
        cmocka_unit_test(a_schema_2_run_should_be_read_as_without_deployment_cells),
        cmocka_unit_test(every_figure_of_the_decision_should_trace_to_results_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_run_matrix.c — `authbench run`'s scenario reader and matrix: built-ins parse and expand to
 * unique cells, overrides and filters apply, the server model marks its cells, bad fields are
 * named, repetition statistics are right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "run_scenario.h"

/* Parses a scenario, failing the test with the message when it does not parse. */
static cJSON *parse_ok(const char *text)
{
    char err[512] = "";
    cJSON *sc = ab_run_scenario_parse(text, "test", err, sizeof err);
    if (sc == NULL)
        fail_msg("scenario did not parse: %s", err);
    return sc;
}

/* Expands sc into cells (the caller frees them). */
static ab_res_cell *expand_ok(const cJSON *sc, size_t *n)
{
    char err[512] = "";
    ab_res_cell *cells = NULL;
    assert_int_equal(ab_run_matrix_expand(sc, &cells, n, err, sizeof err), 0);
    return cells;
}

/* The cell with this id, or NULL. */
static const ab_res_cell *find_cell(const ab_res_cell *cells, size_t n, const char *id)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(cells[i].id, id) == 0)
            return &cells[i];
    return NULL;
}

static void builtins_should_expand_to_unique_valid_ids(void **state)
{
    static const char *const names[] = {"quick", "default"};
    size_t k, i, j, n;
    (void)state;
    for (k = 0; k < 2; k++) {
        cJSON *sc = parse_ok(ab_run_scenario_builtin(names[k]));
        ab_res_cell *cells = expand_ok(sc, &n);
        assert_true(n > 20);
        for (i = 0; i < n; i++) {
            assert_int_equal(strspn(cells[i].id, "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(cells[i].id));
            for (j = i + 1; j < n; j++)
                assert_string_not_equal(cells[i].id, cells[j].id);
        }
        free(cells);
        cJSON_Delete(sc);
    }
}

static void default_should_cover_the_matrix_of_issue_5(void **state)
{
    static const char *const ids[] = {
        "none-s4", "session-memory-s1", "session-memory-rr-s2", "session-redis-s4",
        "session-redis-d250us-s2", "session-redis-d1000us-s4", "session-file-pagecache-s1",
        "session-file-direct-s2", "session-file-fsync-s4", "jwt-hs256-s1", "jwt-rs256-s2",
        "jwt-ps256-s4", "jwt-es256-s1", "jwt-eddsa-s2", "jwt-denylist-hs256-redis-s4",
        "jwt-rs256-login-heavy-s1", "session-redis-outage-s2", "jwt-hs256-outage-s2"};
    cJSON *sc = parse_ok(ab_run_scenario_builtin("default"));
    size_t i, n;
    ab_res_cell *cells = expand_ok(sc, &n);
    (void)state;
    for (i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (find_cell(cells, n, ids[i]) == NULL)
            fail_msg("default scenario lacks cell %s", ids[i]);
    assert_string_equal(find_cell(cells, n, "session-redis-outage-s2")->fault, "store-outage");
    assert_int_equal(find_cell(cells, n, "session-redis-d250us-s2")->store_delay_us, 250);
    assert_string_equal(find_cell(cells, n, "session-redis-d1000us-s4")->label, "session redis (1 ms)");
    free(cells);
    cJSON_Delete(sc);
}

static void store_delay_should_apply_only_to_redis_mechanisms(void **state)
{
    cJSON *sc = parse_ok("{\"groups\":[{\"mechanisms\":[\"jwt:HS256\",\"session:redis\"],"
                         "\"store_delay\":[\"0\",\"1ms\"],\"servers\":[1,2]}]}");
    size_t n;
    ab_res_cell *cells = expand_ok(sc, &n);
    (void)state;
    assert_int_equal(n, 6); /* jwt × 2 servers, redis × 2 delays × 2 servers */
    assert_non_null(find_cell(cells, n, "jwt-hs256-s2"));
    assert_non_null(find_cell(cells, n, "session-redis-d1000us-s1"));
    assert_null(find_cell(cells, n, "jwt-hs256-d1000us-s1"));
    free(cells);
    cJSON_Delete(sc);
}

static void the_server_model_should_default_to_async_and_mark_pool_cells(void **state)
{
    cJSON *sc = parse_ok("{\"groups\":[{\"mechanisms\":\"session:redis\"},"
                         "{\"mechanisms\":\"session:redis\",\"server_model\":\"pool\"}]}");
    size_t n;
    ab_res_cell *cells = expand_ok(sc, &n);
    (void)state;
    assert_int_equal(n, 2); /* the same cell in both models: distinct ids */
    assert_string_equal(find_cell(cells, n, "session-redis-s1")->server_model, "async");
    assert_string_equal(find_cell(cells, n, "session-redis-pool-s1")->server_model, "pool");
    assert_non_null(strstr(find_cell(cells, n, "session-redis-pool-s1")->label, "pool server"));
    free(cells);
    cJSON_Delete(sc);
}

static void mechanism_options_should_ride_on_the_name_into_the_cell(void **state)
{
    cJSON *sc = parse_ok("{\"groups\":[{\"mechanisms\":[\"session:redis?touch=always&claims=1000\","
                         "\"jwt:ES256?cache=10\",\"jwt+denylist:EdDSA,redis?on_store_error=open\","
                         "\"session:memory?l1=1s\"],\"store_delay\":[\"1ms\"],\"lb\":\"sticky\"}]}");
    char err[512] = "";
    size_t n;
    ab_res_cell *cells = expand_ok(sc, &n);
    const ab_res_cell *c;
    (void)state;
    assert_int_equal(n, 4);
    c = find_cell(cells, n, "session-redis-touch-always-claims-1000-d1000us-sticky-s1");
    assert_non_null(c); /* a redis mechanism: the store delay applies */
    assert_string_equal(c->store, "redis");
    assert_string_equal(c->touch, "always");
    assert_int_equal(c->claims_bytes, 1000);
    assert_non_null(strstr(c->label, "touch=always&claims=1000"));
    c = find_cell(cells, n, "jwt-es256-cache-10-sticky-s1");
    assert_non_null(c);
    assert_string_equal(c->alg, "ES256");
    assert_string_equal(c->touch, "");
    c = find_cell(cells, n, "jwt-denylist-eddsa-redis-on-store-error-open-d1000us-sticky-s1");
    assert_non_null(c);
    assert_string_equal(c->alg, "EdDSA");
    assert_string_equal(c->store, "redis");
    c = find_cell(cells, n, "session-memory-l1-1s-s1"); /* sticky is memory's own policy */
    assert_non_null(c);
    assert_string_equal(c->touch, "never");
    free(cells);
    cJSON_Delete(sc);
    assert_null(ab_run_scenario_parse("{\"groups\":[{\"mechanisms\":[\"jwt:ES256?touch=always\"]}]}", "t",
                                      err, sizeof err));
    assert_non_null(strstr(err, "jwt:ES256?touch=always"));
    assert_null(ab_run_scenario_parse("{\"groups\":[{\"mechanisms\":[\"session:redis?timeout_ms=5\"]}]}", "t",
                                      err, sizeof err)); /* store options are the run's, not the scenario's */
}

static void overrides_and_filters_should_apply_to_every_group(void **state)
{
    char err[256];
    cJSON *sc = parse_ok(ab_run_scenario_builtin("quick"));
    size_t i, n;
    ab_res_cell *cells;
    (void)state;
    assert_int_equal(ab_run_scenario_set(sc, "servers=[3]", err, sizeof err), 0);
    assert_int_equal(ab_run_scenario_set(sc, "duration=\"7s\"", err, sizeof err), 0);
    assert_int_equal(ab_run_scenario_set(sc, "key_dist=uniform", err, sizeof err), 0);
    assert_int_equal(ab_run_scenario_set(sc, "name=renamed", err, sizeof err), 0);
    assert_int_equal(ab_run_scenario_filter(sc, "jwt,session:memory", err, sizeof err), 0);
    assert_int_equal(ab_run_scenario_check(sc, err, sizeof err), 0);
    assert_string_equal(ab_run_scenario_name(sc), "renamed");
    cells = expand_ok(sc, &n);
    assert_true(n > 0);
    for (i = 0; i < n; i++) {
        assert_int_equal(cells[i].servers, 3);
        assert_int_equal(cells[i].duration_us, 7000000);
        assert_string_equal(cells[i].key_dist, "uniform");
        assert_true(strcmp(cells[i].family, "jwt") == 0 || strcmp(cells[i].mechanism, "session:memory") == 0);
    }
    assert_int_equal(ab_run_scenario_set(sc, "no_such_field=1", err, sizeof err), -1);
    assert_int_equal(ab_run_scenario_filter(sc, "session:file-direct", err, sizeof err), -1);
    free(cells);
    cJSON_Delete(sc);
}

static void bad_fields_should_be_named(void **state)
{
    static const struct { const char *text, *expect; } cases[] = {
        {"{\"groups\":[{\"mechanisms\":[\"jwt:HS999\"]}]}", "groups[0].mechanisms: \"jwt:HS999\""},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"servers\":0}]}", "groups[0].servers: 0"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"lb\":\"hash\"}]}", "groups[0].lb"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"server_model\":\"threaded\"}]}", "groups[0].server_model"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"duration\":\"5 parsecs\"}]}", "groups[0].duration"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"sevrers\":2}]}", "groups[0].sevrers: unknown field"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"mix\":\"nope\"}]}", "groups[0].mix"},
        {"{\"groups\":[{\"servers\":2}]}", "groups[0].mechanisms: missing"},
        {"{\"groups\":[]}", "groups: expected a non-empty list"},
        {"{\"name\":\"a b\",\"groups\":[{\"mechanisms\":\"none\"}]}", "name:"},
        {"{\"groups\":[{\"mechanisms\":\"none\"}],\n  \"x\": }", "line 2, column"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        cJSON *sc = ab_run_scenario_parse(cases[i].text, "t", err, sizeof err);
        assert_null(sc);
        if (strstr(err, cases[i].expect) == NULL)
            fail_msg("case %zu: message '%s' lacks '%s'", i, err, cases[i].expect);
    }
}

static void summary_should_give_median_mean_and_cv(void **state)
{
    static const double v[] = {10, 30, 20, 40};
    static const double one[] = {5};
    ab_res_summary s;
    (void)state;
    ab_res_summarize(v, 4, &s);
    assert_float_equal(s.mean, 25, 1e-9);
    assert_float_equal(s.median, 25, 1e-9);
    assert_float_equal(s.cv, 12.909944487 / 25, 1e-6); /* sample stddev / mean */
    assert_true(s.cv > AB_RES_HIGH_CV);
    ab_res_summarize(one, 1, &s);
    assert_float_equal(s.median, 5, 1e-9);
    assert_true(s.cv < 0); /* not measured with one repetition */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtins_should_expand_to_unique_valid_ids),
        cmocka_unit_test(default_should_cover_the_matrix_of_issue_5),
        cmocka_unit_test(store_delay_should_apply_only_to_redis_mechanisms),
        cmocka_unit_test(mechanism_options_should_ride_on_the_name_into_the_cell),
        cmocka_unit_test(the_server_model_should_default_to_async_and_mark_pool_cells),
        cmocka_unit_test(overrides_and_filters_should_apply_to_every_group),
        cmocka_unit_test(bad_fields_should_be_named),
        cmocka_unit_test(summary_should_give_median_mean_and_cv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

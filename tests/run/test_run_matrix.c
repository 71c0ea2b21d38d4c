/* test_run_matrix.c — `authbench run`'s scenario reader and matrix: built-ins parse and expand to
 * unique cells, overrides and filters apply, the server model marks its cells, bad fields are
 * named, repetition statistics are right; and the load a cell is measured at: deployment, sweep
 * and control cells with their kinds, ids, rates and capacity cell, the new fields' errors, a fault
 * outside its window refused, requirements as the deployment, the round order reproducible from
 * the seed with every dependent after its capacity cell, --cpus, the dry-run listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "run_exec.h"

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
        "session-file-direct-s1", "session-file-fsync-s4", "jwt-hs256-s1", "jwt-rs256-s2",
        "jwt-ps256-s4", "jwt-es256-s1", "jwt-eddsa-s2", "jwt-denylist-hs256-redis-s4",
        "jwt-rs256-login-heavy-s1", "session-redis-outage-s2", "jwt-es256-outage-s2",
        "jwt-pushed-denylist-es256-redis-outage-s2", "jwt-es256-cache-10000-outage-s2"};
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
        /* the fields of the load a cell is measured at */
        {"{\"groups\":[{\"mechanisms\":\"none\",\"sweep\":[0.5,3]}]}", "groups[0].sweep"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"sweep\":{\"rates\":[]}}]}", "groups[0].sweep"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"sweep\":{\"rates\":[5],\"x\":1}}]}", "groups[0].sweep"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"open_loop\":\"yes\"}]}", "groups[0].open_loop"},
        {"{\"groups\":[{\"mechanisms\":\"none\",\"open_loop\":true,\"rate\":100}]}", "needs a closed-loop cell"},
        {"{\"groups\":[{\"mechanisms\":\"session:redis\",\"fault\":\"store-outage\",\"sweep\":[1]}]}",
         "not available in a fault group"},
        {"{\"deployment\":{\"peak_rate_per_sec\":0,\"servers\":4},\"groups\":[{\"mechanisms\":\"none\"}]}",
         "deployment:"},
        {"{\"deployment\":{\"peak_rate_per_sec\":10,\"servers\":4,\"x\":1},\"groups\":[{\"mechanisms\":\"none\"}]}",
         "deployment:"},
        {"{\"slo_p99_ms\":-1,\"groups\":[{\"mechanisms\":\"none\"}]}", "slo_p99_ms"},
        {"{\"remeasure\":1.5,\"groups\":[{\"mechanisms\":\"none\"}]}", "remeasure: expected a share"},
        {"{\"remeasure\":\"yes\",\"groups\":[{\"mechanisms\":\"none\"}]}", "remeasure: expected a share"},
        {"{\"seed\":1.5,\"groups\":[{\"mechanisms\":\"none\"}]}", "seed"},
        {"{\"groups\":[{\"mechanisms\":\"jwt:HS256?touch=always\"}]}", "groups[0].mechanisms"},
        {"{\"groups\":[{\"mechanisms\":\"jwt+denylist:HS256,redis?on_store_error=maybe\"}]}", "groups[0].mechanisms"},
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

/* ---- the load a cell is measured at (scenario_rate.c, matrix.c, rounds.c, placement.c) ---- */

/* The cell with this id; fails the test when there is none. */
static const ab_res_cell *cell(const ab_res_cell *cells, size_t n, const char *id)
{
    const ab_res_cell *c = find_cell(cells, n, id);
    if (c == NULL)
        fail_msg("no cell %s", id);
    return c;
}

static const char rates_scenario[] =
    "{\"deployment\": {\"peak_rate_per_sec\": 3000, \"servers\": 3}, \"slo_p99_ms\": 2,\n"
    " \"groups\": [\n"
    "  {\"mechanisms\": [\"none\", \"session:redis\"], \"store_delay\": [\"250us\", \"1ms\"], \"servers\": [1, 2],\n"
    "   \"open_loop\": true, \"controls\": true, \"sweep\": [0.5, 1]},\n"
    "  {\"mechanisms\": \"jwt:HS256\", \"sweep\": {\"rates\": [100, 250]}},\n"
    "  {\"mechanisms\": \"jwt:HS256\", \"rate\": 700},\n"
    "  {\"mechanisms\": [\"session:redis\", \"jwt+denylist:HS256,redis?on_store_error=open\"],\n"
    "   \"fault\": \"store-outage\", \"duration\": \"4s\", \"fault_at\": \"2s\"}]}";

static void open_loop_sweep_and_controls_should_expand_to_their_kinds(void **state)
{
    cJSON *sc = parse_ok(rates_scenario);
    size_t n;
    ab_res_cell *cells = expand_ok(sc, &n);
    const ab_res_cell *c;
    (void)state;
    assert_string_equal(cell(cells, n, "none-s2")->kind, "capacity");
    c = cell(cells, n, "none-dep-s2"); /* 1000 req/s per server × 2 servers */
    assert_string_equal(c->kind, "deployment");
    assert_float_equal(c->rate_per_sec, 2000, 1e-9);
    assert_string_equal(c->sweep_of, "none-s2");
    c = cell(cells, n, "session-redis-d250us-sw50-s1"); /* its rate comes from the capacity cell's round 1 */
    assert_string_equal(c->kind, "sweep");
    assert_float_equal(c->rate_fraction, 0.5, 1e-9);
    assert_float_equal(c->rate_per_sec, 0, 1e-9);
    assert_string_equal(c->sweep_of, "session-redis-d250us-s1");
    assert_true(c->via_proxy);
    c = cell(cells, n, "session-redis-p0-s1"); /* one control for both delays */
    assert_string_equal(c->kind, "control");
    assert_true(c->via_proxy);
    assert_int_equal(c->store_delay_us, 0);
    assert_non_null(strstr(c->label, "proxied, 0"));
    assert_string_equal(cell(cells, n, "session-redis-p0-dep-s2")->kind, "control");
    assert_float_equal(cell(cells, n, "session-redis-p0-dep-s2")->rate_per_sec, 2000, 1e-9);
    assert_false(cell(cells, n, "none-s1")->via_proxy); /* no store, no proxy, no control */
    c = cell(cells, n, "jwt-hs256-r250-s1");
    assert_string_equal(c->sweep_of, "jwt-hs256-s1");
    assert_float_equal(c->rate_per_sec, 250, 1e-9);
    c = cell(cells, n, "jwt-hs256-r700-s1"); /* a stated rate: a sweep point of no capacity cell */
    assert_string_equal(c->kind, "sweep");
    assert_string_equal(c->sweep_of, "");
    c = cell(cells, n, "jwt-denylist-hs256-redis-on-store-error-open-outage-s1");
    assert_string_equal(c->kind, "fault");
    assert_float_equal(c->rate_per_sec, 1000, 1e-9); /* fault cells: open loop at the deployment rate */
    assert_string_equal(c->store, "redis");
    assert_string_equal(c->alg, "HS256");
    /* none: 2 servers × (capacity, dep, 2 sweep); redis: 2 × 2 delays × 4 + 2 × 2 controls; jwt 3 + 1; 2 faults */
    assert_int_equal(n, 8 + 16 + 4 + 4 + 2);
    free(cells);
    cJSON_Delete(sc);
}

static void mechanism_options_should_reach_the_cell(void **state)
{
    cJSON *sc = parse_ok("{\"groups\":[{\"mechanisms\":[\"session:memory?touch=after:30&claims=1k\","
                         "\"jwt:ES256?cache=1000\"]}]}");
    size_t n;
    ab_res_cell *cells = expand_ok(sc, &n);
    const ab_res_cell *c = cell(cells, n, "session-memory-touch-after-30-claims-1k-rr-s1");
    (void)state;
    assert_string_equal(c->touch, "after:30");
    assert_int_equal(c->claims_bytes, 1024);
    assert_string_equal(c->lb, "rr");
    assert_string_equal(c->store, "memory");
    assert_non_null(strstr(c->label, "touch=after:30"));
    assert_string_equal(cell(cells, n, "jwt-es256-cache-1000-s1")->alg, "ES256");
    free(cells);
    cJSON_Delete(sc);
}

static void a_fault_outside_its_window_should_be_refused(void **state)
{
    static const char text[] = "{\"groups\":[{\"mechanisms\":\"session:redis\",\"fault\":\"redis-pause\","
                               "\"fault_at\":\"4s\",\"fault_for\":\"2s\",\"duration\":\"10s\"}]}";
    char err[512] = "";
    cJSON *sc = parse_ok(text);
    (void)state;
    assert_int_equal(ab_run_scenario_set(sc, "duration=\"2s\"", err, sizeof err), 0);
    assert_int_equal(ab_run_scenario_check(sc, err, sizeof err), -1);
    assert_non_null(strstr(err, "groups[0]: fault redis-pause at 4s"));
    assert_null(strchr(err, '\n'));
    assert_int_equal(ab_run_scenario_set(sc, "duration=\"5s\"", err, sizeof err), 0); /* starts in, ends out */
    assert_int_equal(ab_run_scenario_check(sc, err, sizeof err), -1);
    assert_int_equal(ab_run_scenario_set(sc, "duration=\"6s\"", err, sizeof err), 0);
    assert_int_equal(ab_run_scenario_check(sc, err, sizeof err), 0);
    cJSON_Delete(sc);
}

static void requirements_should_set_the_deployment_and_slo(void **state)
{
    char path[] = "/tmp/test_run_rates_req_XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    static const char req[] = "{\"peak_requests_per_sec\": 9000, \"servers\": 6, \"slo_p99_ms\": 20, "
                              "\"token_budget_bytes\": 4096}";
    cJSON *sc = parse_ok("{\"groups\":[{\"mechanisms\":\"none\",\"open_loop\":true,\"servers\":2}]}"), *d;
    size_t n;
    ab_res_cell *cells;
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    close(fd);
    assert_float_equal(ab_run_deployment_per_server(sc), 1250, 1e-9); /* the report's default drivers */
    assert_int_equal(ab_run_scenario_requirements(sc, path, err, sizeof err), 0);
    assert_int_equal(ab_run_scenario_check(sc, err, sizeof err), 0);
    assert_float_equal(ab_run_deployment_per_server(sc), 1500, 1e-9);
    assert_float_equal(ab_json_num_or(sc, "slo_p99_ms", 0), 20, 1e-9);
    d = ab_run_deployment_json(sc);
    assert_non_null(strstr(ab_json_str(d, "source"), "requirements"));
    cells = expand_ok(sc, &n);
    assert_float_equal(cell(cells, n, "none-dep-s2")->rate_per_sec, 3000, 1e-9);
    assert_int_equal(ab_run_scenario_requirements(sc, "/nonexistent/req.json", err, sizeof err), -1);
    unlink(path);
    free(cells);
    cJSON_Delete(d);
    cJSON_Delete(sc);
}

/* The round order of round r into order; checks each cell is there once and dependents follow. */
static size_t round_checked(const ab_res_cell *cells, size_t n, uint64_t seed, unsigned r, size_t *order)
{
    size_t len = ab_run_round_order(cells, n, seed, r, order), i, j;
    for (i = 0; i < len; i++) {
        assert_true(order[i] < n);
        assert_true(cells[order[i]].repetitions >= r);
        for (j = i + 1; j < len; j++)
            assert_true(order[i] != order[j]);
        for (j = i + 1; cells[order[i]].sweep_of[0] != '\0' && j < len; j++)
            if (strcmp(cells[order[j]].id, cells[order[i]].sweep_of) == 0)
                fail_msg("round %u: %s runs before its capacity cell %s", r, cells[order[i]].id, cells[order[j]].id);
    }
    return len;
}

static void round_order_should_be_reproducible_from_the_seed(void **state)
{
    cJSON *sc = parse_ok(rates_scenario);
    size_t n, len, r, i, *a, *b, same = 0;
    ab_res_cell *cells = expand_ok(sc, &n);
    (void)state;
    a = calloc(n, sizeof *a), b = calloc(n, sizeof *b);
    cells[0].repetitions = 1; /* a cell with fewer repetitions leaves the later rounds */
    assert_int_equal(ab_run_rounds(cells, n), 3);
    for (r = 1; r <= 3; r++) {
        len = round_checked(cells, n, 42, (unsigned)r, a);
        assert_int_equal(len, r == 1 ? n : n - 1);
        assert_int_equal(round_checked(cells, n, 42, (unsigned)r, b), len);
        assert_memory_equal(a, b, len * sizeof *a); /* the same seed, the same order */
    }
    round_checked(cells, n, 42, 2, a);
    round_checked(cells, n, 42, 3, b);
    for (i = 0; i < n - 1; i++)
        same += a[i] == b[i];
    assert_true(same < (n - 1) / 2); /* rounds are shuffled apart */
    round_checked(cells, n, 43, 2, b);
    assert_true(memcmp(a, b, (n - 1) * sizeof *a) != 0); /* another seed, another order */
    free(a);
    free(b);
    free(cells);
    cJSON_Delete(sc);
}

static void cpus_should_force_a_placement_and_refuse_bad_ones(void **state)
{
    ab_run_placement p;
    char err[256] = "";
    (void)state;
    assert_int_equal(ab_run_placement_init(&p, "load=0,servers=0,stores=0", err, sizeof err), 0);
    assert_true(p.pin);
    assert_false(p.isolated);
    assert_string_equal(p.text, "load=0 servers=0 stores=0");
    assert_int_equal(ab_run_placement_init(&p, "load=0,servers=0", err, sizeof err), -1);
    assert_non_null(strstr(err, "--cpus"));
    assert_int_equal(ab_run_placement_init(&p, "load=0,servers=9999,stores=0", err, sizeof err), -1);
    assert_int_equal(ab_run_placement_init(&p, "load=x,servers=0,stores=0", err, sizeof err), -1);
    assert_int_equal(ab_run_placement_init(&p, NULL, err, sizeof err), 0);
    if (sysconf(_SC_NPROCESSORS_ONLN) < 4) {
        assert_false(p.pin);
        assert_non_null(strstr(p.text, "too few to isolate load, servers and stores (needs 4)"));
    } else {
        assert_true(p.pin && p.isolated);
    }
}

static void dry_run_should_list_the_new_cells(void **state)
{
    cJSON *sc = parse_ok(rates_scenario);
    size_t n;
    ab_res_cell *cells = expand_ok(sc, &n);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    (void)state;
    ab_run_matrix_print(f, cells, n, 10);
    fclose(f);
    assert_non_null(strstr(text, "session-redis-d250us-sw50-s1"));
    assert_non_null(strstr(text, "50%cap"));
    assert_non_null(strstr(text, "none-dep-s2"));
    assert_non_null(strstr(text, "session-redis-p0-dep-s1"));
    assert_non_null(strstr(text, " control "));
    assert_non_null(strstr(text, "34 cells; estimated time"));
    free(text);
    free(cells);
    cJSON_Delete(sc);
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
        cmocka_unit_test(open_loop_sweep_and_controls_should_expand_to_their_kinds),
        cmocka_unit_test(mechanism_options_should_reach_the_cell),
        cmocka_unit_test(a_fault_outside_its_window_should_be_refused),
        cmocka_unit_test(requirements_should_set_the_deployment_and_slo),
        cmocka_unit_test(round_order_should_be_reproducible_from_the_seed),
        cmocka_unit_test(cpus_should_force_a_placement_and_refuse_bad_ones),
        cmocka_unit_test(dry_run_should_list_the_new_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

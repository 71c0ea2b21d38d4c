/* test_compare.c — `authbench compare` end to end on runs written by the results module (the way
 * `authbench run` writes them): 5 open-loop repetitions per cell with per-repetition histograms and
 * small noise. A run compared with itself shows no significant change anywhere; a run whose every
 * latency is 500 µs longer shows a significant, worse p50 and p99 and nothing else; cells on one
 * side only and failed cells are listed apart; bad input is one line and exit status 2. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "ab_cli.h"
#include "ab_hist.h"
#include "ab_json.h"
#include "ab_results.h"
#include "ab_rng.h"
#include "test_load_util.h"
#include "tsupport.h"

#define REPS 5
#define SAMPLES 2000      /* latencies per repetition */
#define DELAY_US 500      /* injected into every latency of run B */

static char *root, run_a[600], run_b[600], run_c[600];

/* One repetition's load document: SAMPLES latencies (a 200 µs floor, an exponential tail of mean
 * 100 µs, a small per-repetition offset) plus delay_us, at 500 req/s with a little noise. The same
 * rng stream gives the same repetition whatever the delay. */
static cJSON *rep_doc(ab_rng *r, double delay_us)
{
    ab_hist *h = ab_hist_new(60000000000ull, 3);
    cJSON *d = cJSON_CreateObject();
    double offset = (ab_rng_double(r) - 0.5) * 6, rps = 500 + (ab_rng_double(r) - 0.5) * 4;
    char *enc;
    size_t i;
    for (i = 0; i < SAMPLES; i++)
        ab_hist_record(h, (uint64_t)((200 + offset + delay_us - 100 * log(1 - ab_rng_double(r))) * 1000));
    enc = ab_hist_encode(h);
    cJSON_AddNumberToObject(d, "requests_per_sec", rps);
    cJSON_AddNumberToObject(d, "requests", rps * 2);
    cJSON_AddNumberToObject(d, "goodput_per_sec", rps);
    cJSON_AddNumberToObject(d, "target_rate_per_sec", 500);
    cJSON_AddNumberToObject(d, "achieved_rate_per_sec", rps);
    cJSON_AddBoolToObject(d, "rate_reached", 1);
    cJSON_AddNumberToObject(d, "server_cpu_us_per_req", 20 + (ab_rng_double(r) - 0.5) * 0.4);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(d, "histograms"), "latency_ns", cJSON_CreateString(enc));
    free(enc);
    ab_hist_free(h);
    return d;
}

/* An open-loop deployment cell at 500 req/s. */
static void make_cell(ab_res_cell *c, const char *id, const char *mech)
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->label, sizeof c->label, "%s at 500 req/s", mech);
    snprintf(c->mechanism, sizeof c->mechanism, "%s", mech);
    snprintf(c->family, sizeof c->family, "%.*s", (int)strcspn(mech, ":"), mech);
    snprintf(c->kind, sizeof c->kind, "deployment");
    snprintf(c->lb, sizeof c->lb, "rr");
    snprintf(c->server_model, sizeof c->server_model, "async");
    c->servers = 1, c->connections = 8, c->threads = 1, c->users = 100, c->repetitions = REPS;
    c->mix_request = 100, c->rate_per_sec = 500, c->duration_us = 2000000;
}

/* The cell's result from REPS repetitions drawn from seed, every latency delay_us longer. */
static cJSON *cell_result(const char *id, const char *mech, uint64_t seed, double delay_us)
{
    ab_res_cell c;
    ab_res_rep reps[REPS];
    ab_rng r;
    cJSON *o;
    size_t i;
    make_cell(&c, id, mech);
    ab_rng_seed(&r, seed);
    for (i = 0; i < REPS; i++) {
        ab_res_rep_init(&reps[i]);
        reps[i].load = rep_doc(&r, delay_us);
    }
    o = ab_res_cell_result(&c, reps, REPS, NULL);
    ab_res_reps_free(reps, REPS);
    return o;
}

/* Writes a run into dir: two cells (same seeds in every run), every latency delay_us longer, and
 * with extra a cell only this run has and a cell that failed. */
static void write_run(const char *dir, double delay_us, int extra)
{
    cJSON *sc = cJSON_Parse("{\"name\": \"cmp\"}"), *env = cJSON_Parse("{\"git_commit\": \"abc1234\"}");
    ab_res_doc *d = ab_res_doc_new("cmp", sc, env);
    ab_res_cell c;
    char err[256];
    assert_non_null(d);
    ab_res_doc_add_cell(d, cell_result("jwt-hs256-dep", "jwt:HS256", 1, delay_us));
    ab_res_doc_add_cell(d, cell_result("session-redis-dep", "session:redis", 2, delay_us));
    if (extra) {
        ab_res_doc_add_cell(d, cell_result("only-here-dep", "jwt:ES256", 3, delay_us));
        make_cell(&c, "broken-dep", "session:memory");
        ab_res_doc_add_cell(d, ab_res_cell_result(&c, NULL, 0, "servers did not start"));
    } else { /* finished here, failed in the other run */
        ab_res_doc_add_cell(d, cell_result("broken-dep", "session:memory", 4, delay_us));
    }
    assert_int_equal(ab_mkdirs(dir, 0755), 0);
    assert_int_equal(ab_res_doc_write(d, dir, 1, 1, NULL, err, sizeof err), 0);
    ab_res_doc_free(d);
    cJSON_Delete(sc);
}

static int group_setup(void **state)
{
    (void)state;
    if ((root = tsupport_tmpdir("compare")) == NULL)
        return -1;
    snprintf(run_a, sizeof run_a, "%s/a", root);
    snprintf(run_b, sizeof run_b, "%s/b", root);
    snprintf(run_c, sizeof run_c, "%s/c", root);
    write_run(run_a, 0, 1);
    write_run(run_b, DELAY_US, 0);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (getenv("COMPARE_KEEP") == NULL) /* COMPARE_KEEP=1: leave the runs for a look */
        tsupport_rmtree(root);
    free(root);
    return 0;
}

/* Runs `authbench compare A B --json [more]` and parses its output; the exit status must be 0. */
static cJSON *compare_json(const char *a, const char *b, const char *more)
{
    char *argv[] = {(char *)tload_bin(), "compare", (char *)a, (char *)b, "--json", (char *)more, NULL};
    char *out = NULL, *err = NULL;
    cJSON *doc;
    int rc = tload_run(argv, 30000, &out, &err);
    if (rc != 0)
        fail_msg("compare exited %d: %s", rc, err);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    free(out), free(err);
    return doc;
}

/* The row of figure fig of cell id in a comparison; fails when there is none. */
static const cJSON *row_of(const cJSON *cmp, const char *id, const char *fig)
{
    const cJSON *c, *r;
    cJSON_ArrayForEach(c, ab_json_at(cmp, "cells")) {
        if (strcmp(ab_json_str(c, "id"), id) != 0)
            continue;
        cJSON_ArrayForEach(r, ab_json_at(c, "figures")) {
            if (strcmp(ab_json_str(r, "figure"), fig) == 0)
                return r;
        }
    }
    fail_msg("no row %s %s", id, fig);
    return NULL;
}

static void a_run_against_itself_should_show_no_significant_change(void **state)
{
    cJSON *cmp = compare_json(run_a, run_a, NULL);
    const cJSON *c, *r;
    int rows = 0;
    (void)state;
    cJSON_ArrayForEach(c, ab_json_at(cmp, "cells")) {
        cJSON_ArrayForEach(r, ab_json_at(c, "figures")) {
            if (strcmp(ab_json_str(r, "verdict"), "no significant change") != 0)
                fail_msg("%s %s: %s", ab_json_str(c, "id"), ab_json_str(r, "figure"), ab_json_str(r, "verdict"));
            assert_true(ab_json_num_or(r, "a_n", 0) == REPS);
            rows++;
        }
    }
    assert_int_equal(rows, 3 * 6); /* three cells finished in A, six figures each */
    assert_true(ab_json_num_or(cmp, "summary.significant", -1) == 0);
    assert_int_equal(cJSON_GetArraySize(ab_json_at(cmp, "only_in_one")), 0);
    assert_int_equal(cJSON_GetArraySize(ab_json_at(cmp, "failed")), 1);
    assert_string_equal(ab_json_str(cJSON_GetArrayItem(ab_json_at(cmp, "failed"), 0), "side"), "A and B");
    cJSON_Delete(cmp);
}

static void an_injected_delay_should_be_significant_on_latency_only(void **state)
{
    static const char *const ids[] = {"jwt-hs256-dep", "session-redis-dep"};
    static const char *const same[] = {"requests_per_sec", "goodput_per_sec", "server_cpu_us_per_req"};
    cJSON *cmp = compare_json(run_a, run_b, NULL);
    size_t i, j;
    (void)state;
    for (i = 0; i < 2; i++) {
        const cJSON *p50 = row_of(cmp, ids[i], "p50_us"), *p99 = row_of(cmp, ids[i], "p99_us");
        assert_string_equal(ab_json_str(p50, "verdict"), "significant");
        assert_string_equal(ab_json_str(p50, "direction"), "worse");
        assert_string_equal(ab_json_str(p99, "verdict"), "significant");
        assert_true(ab_json_num_or(p50, "b_median", 0) - ab_json_num_or(p50, "a_median", 0) > DELAY_US * 0.95);
        assert_true(ab_json_num_or(p50, "change_pct", 0) > 100); /* ~270 µs + 500 µs */
        assert_true(cJSON_GetArrayItem(ab_json_at(p50, "change_ci_pct"), 0)->valuedouble > 0);
        for (j = 0; j < sizeof same / sizeof same[0]; j++)
            assert_string_equal(ab_json_str(row_of(cmp, ids[i], same[j]), "verdict"), "no significant change");
    }
    /* only-here-dep is in A only; broken-dep failed in A */
    assert_int_equal(cJSON_GetArraySize(ab_json_at(cmp, "only_in_one")), 1);
    assert_string_equal(ab_json_str(cJSON_GetArrayItem(ab_json_at(cmp, "only_in_one"), 0), "id"), "only-here-dep");
    assert_string_equal(ab_json_str(cJSON_GetArrayItem(ab_json_at(cmp, "failed"), 0), "side"), "A");
    cJSON_Delete(cmp);
    /* B against A: the same change, the other way round */
    cmp = compare_json(run_b, run_a, "--figures=p99,throughput");
    assert_string_equal(ab_json_str(row_of(cmp, "jwt-hs256-dep", "p99_us"), "direction"), "better");
    assert_int_equal(cJSON_GetArraySize(ab_json_at(cJSON_GetArrayItem(ab_json_at(cmp, "cells"), 0), "figures")), 2);
    cJSON_Delete(cmp);
}

static void the_markdown_table_should_carry_the_verdict_and_the_load(void **state)
{
    char *argv[] = {(char *)tload_bin(), "compare", run_a, run_b, "--figures", "p99", NULL};
    char *out = NULL;
    (void)state;
    assert_int_equal(tload_run(argv, 30000, &out, NULL), 0);
    assert_non_null(strstr(out, "| cell | load (A / B) | figure | A | B | change | 95 % interval | verdict |"));
    assert_non_null(strstr(out, "| `jwt-hs256-dep` | 500 req/s | p99 (us) |"));
    assert_non_null(strstr(out, "significant, worse |"));
    assert_non_null(strstr(out, "`only-here-dep`"));
    assert_non_null(strstr(out, "servers did not start"));
    free(out);
}

static void bad_input_should_be_one_line_and_status_2(void **state)
{
    static const char *const cases[][4] = {
        {"compare", "ONE", NULL, NULL},              /* one run */
        {"compare", "A", "/nonexistent", NULL},      /* unreadable */
        {"compare", "A", "A", "--figures=p42"},      /* unknown figure */
        {"compare", "A", "A", "--alpha=0"},
    };
    size_t i, j;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[6] = {(char *)tload_bin()}, *err = NULL;
        for (j = 0; j < 4 && cases[i][j] != NULL; j++)
            argv[j + 1] = strcmp(cases[i][j], "A") == 0 ? run_a : (char *)cases[i][j];
        assert_int_equal(tload_run(argv, 30000, NULL, &err), 2);
        assert_int_equal(tload_lines(err), 1);
        assert_non_null(strstr(err, "authbench: compare: "));
        free(err);
    }
    /* a directory without results.json */
    assert_int_equal(ab_mkdirs(run_c, 0755), 0);
    {
        char *argv[] = {(char *)tload_bin(), "compare", run_a, run_c, NULL}, *err = NULL;
        assert_int_equal(tload_run(argv, 30000, NULL, &err), 2);
        assert_int_equal(tload_lines(err), 1);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_run_against_itself_should_show_no_significant_change),
        cmocka_unit_test(an_injected_delay_should_be_significant_on_latency_only),
        cmocka_unit_test(the_markdown_table_should_carry_the_verdict_and_the_load),
        cmocka_unit_test(bad_input_should_be_one_line_and_status_2),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* test_report.c — `authbench report` on the fixture run: every chart drawn, every number traceable to
 * results.json, the documented capacity formula, the decision rule reacting to requirements, charts
 * without data left out with a sentence, and one-line errors with the right exit codes. */
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
#include "tsupport.h"

/* The charts the schema-2 fixture has data for (it has no sweeps: chart 8 is left out). */
static const char *const chart_names[] = {"throughput", "spectrum", "cpu", "io", "micro", "distance", "avail", "winners"};

/* Writes the report for dir (requirements may be NULL) and returns report.md. */
static char *report_md(const char *dir, const char *requirements)
{
    char err[1024] = "", path[4096];
    int rc = ab_report_write(dir, requirements, err, sizeof err);
    if (rc != 0)
        fail_msg("ab_report_write: %s", err);
    snprintf(path, sizeof path, "%s/report.md", dir);
    return tsupport_read_file(path, NULL);
}

static void report_should_draw_every_chart_as_svg_and_png(void **state)
{
    char *dir = rc_fixture_copy(), *md = report_md(dir, NULL), rel[256], *svg;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof chart_names / sizeof *chart_names; i++) {
        snprintf(rel, sizeof rel, "charts/%s.svg", chart_names[i]);
        assert_true(rc_nonempty(dir, rel));
        snprintf(rel, sizeof rel, "%s/charts/%s.svg", dir, chart_names[i]);
        svg = tsupport_read_file(rel, NULL);
        assert_non_null(strstr(svg, "<svg"));
        assert_non_null(strstr(svg, "<path")); /* something was drawn */
        free(svg);
        snprintf(rel, sizeof rel, "charts/%s.png", chart_names[i]);
        assert_true(rc_nonempty(dir, rel));
        snprintf(rel, sizeof rel, "charts/data/%s.dat", chart_names[i]);
        assert_true(rc_nonempty(dir, rel));
        snprintf(rel, sizeof rel, "![");
        assert_non_null(strstr(md, rel));
    }
    assert_non_null(strstr(md, "Chart 8 (latency vs throughput) is left out: the run has no rate sweeps"));
    assert_null(strstr(md, "Chart 5 (micro-benchmarks) is left out"));
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

/* Checks one key-figures cell against results.json: "—" iff absent, else equal within rounding. */
static void check_key_value(const cJSON *cell, const char *field, const char *shown)
{
    double want = rc_num(cell, field), got, half;
    if (strcmp(shown, "—") == 0) {
        if (!isnan(want))
            fail_msg("%s: shown as not measured but results.json has %g", field, want);
        return;
    }
    if (rc_parse_shown(shown, &got, &half) != 0 || isnan(want) || fabs(got - want) > half + 1e-9)
        fail_msg("%s: shown '%s', results.json has %g", field, shown, want);
}

static void key_figures_should_match_results_json(void **state)
{
    static const char *const fields[] = {"servers", NULL, "store_delay_us", "requests_per_sec", "requests_per_sec_cv",
                                         "latency_us.p50", "latency_us.p99", "latency_us.p999", "server_cpu_us_per_req",
                                         "auth_cpu_us_per_req", "credential_bytes", "store_round_trips_per_req", "auth_failures"};
    char *dir = rc_fixture_copy(), *md = report_md(dir, NULL), id[128];
    cJSON *results = rc_json(dir, "results.json");
    rc_table t;
    size_t r, k;
    (void)state;
    assert_int_equal(rc_table_read(md, "| cell | servers |", &t), cJSON_GetArraySize(cJSON_GetObjectItem(results, "cells")));
    for (r = 0; r < t.nrows; r++) {
        const cJSON *cell;
        snprintf(id, sizeof id, "%.*s", (int)strlen(t.rows[r][0]) - 2, t.rows[r][0] + 1);
        cell = rc_cell(results, id);
        assert_non_null(cell);
        for (k = 0; k < sizeof fields / sizeof fields[0]; k++)
            if (fields[k] != NULL)
                check_key_value(cell, fields[k], t.rows[r][k + 1]);
        if (cJSON_IsTrue(cJSON_GetObjectItem(cell, "high_cv")))
            assert_non_null(strstr(t.rows[r][t.ncols - 1], "high CV"));
        if (strcmp(cJSON_GetObjectItem(cell, "status")->valuestring, "failed") == 0 &&
            strstr(t.rows[r][t.ncols - 1], "FAILED") == NULL)
            fail_msg("failed cell %s not flagged: '%s' (%zu columns)", id, t.rows[r][t.ncols - 1], t.ncols);
    }
    rc_table_free(&t);
    cJSON_Delete(results);
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

static void every_bold_figure_should_trace_to_results_json(void **state)
{
    char *dir = rc_fixture_copy(), *md = report_md(dir, NULL), why[1400];
    cJSON *results = rc_json(dir, "results.json"), *micro = rc_json(dir, "micro.json");
    int n;
    (void)state;
    n = rc_check_figures(md, results, micro, why, sizeof why);
    if (n < 0)
        fail_msg("%s", why);
    assert_true(n > 20);
    cJSON_Delete(results);
    cJSON_Delete(micro);
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

/* The exact value of the sources-table row whose label is label. */
static double figure_exact(const char *md, const char *label)
{
    rc_table t;
    double v = NAN;
    size_t r;
    rc_table_read(md, "| figure | shown | exact | source |", &t);
    for (r = 0; r < t.nrows; r++)
        if (strcmp(t.rows[r][0], label) == 0)
            v = strtod(t.rows[r][2], NULL);
    rc_table_free(&t);
    return v;
}

static void capacity_projection_should_follow_the_formula(void **state)
{
    char *dir = rc_fixture_copy(), *md = report_md(dir, NULL);
    cJSON *results = rc_json(dir, "results.json");
    const cJSON *redis = rc_cell(results, "session-redis-d0-s1"), *hs = rc_cell(results, "jwt-hs256-s1");
    double cores = rc_num(results, "environment.cores"), cap = rc_num(results, "store_capacity.redis_get_ops_per_sec");
    double want_redis = fmin(64 * cores * 1e6 / rc_num(redis, "server_cpu_us_per_req"), cap / rc_num(redis, "store_ops_per_req"));
    double want_hs = 1 * cores * 1e6 / rc_num(hs, "server_cpu_us_per_req");
    (void)state;
    assert_true(fabs(figure_exact(md, "projection at 64 servers, session redis (local)") - want_redis) < 1e-3);
    assert_true(fabs(figure_exact(md, "projection at 1 server, jwt HS256") - want_hs) < 1e-3);
    assert_non_null(strstr(md, "X(N) = min( N * C * 1e6 / cpu_us_per_req,"));
    assert_non_null(strstr(md, "a projection, not a measurement"));
    cJSON_Delete(results);
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

/* The report.md of the fixture run for a requirements file (NULL = defaults). */
static char *md_for(const char *requirements_json)
{
    char *dir = rc_fixture_copy(), path[4096], *md;
    snprintf(path, sizeof path, "%s/requirements.json", dir);
    if (requirements_json != NULL)
        rc_write(dir, "requirements.json", requirements_json);
    md = report_md(dir, requirements_json ? path : NULL);
    tsupport_rmtree(dir);
    free(dir);
    return md;
}

/* A schema-2 run has closed-loop cells only and no intervals: the gate cannot decide, the report
 * says why, and the hard requirements still rule options out (tests/report/test_decision.c has
 * the decisions on a schema-3 run). */
static void a_run_without_intervals_should_not_name_a_winner(void **state)
{
    char *md = md_for(NULL);
    (void)state;
    assert_non_null(strstr(md, "Verdict `no_measurable_difference`"));
    assert_non_null(strstr(md, "no deployment cells"));
    assert_non_null(strstr(md, "closed-loop cells"));
    assert_null(strstr(md, "Chosen option:"));
    free(md);
    md = md_for("{\"token_budget_bytes\": 100, \"instant_revocation\": true, \"servers\": 1, \"peak_requests_per_sec\": 1000}");
    assert_non_null(strstr(md, "out: token size: the credential is"));
    assert_non_null(strstr(md, "out: revocation: a revoked credential stays valid for 900 s"));
    free(md);
}

static void requirements_should_show_as_drivers(void **state)
{
    char *dir = rc_fixture_copy(), path[4096], *md;
    (void)state;
    rc_write(dir, "req.json", "{\"peak_requests_per_sec\": 123456, \"servers\": 2}");
    snprintf(path, sizeof path, "%s/req.json", dir);
    md = report_md(dir, path);
    assert_non_null(strstr(md, "| peak load | 123456 req/s | requirements file |"));
    assert_non_null(strstr(md, "| app servers | 2 | requirements file |"));
    assert_non_null(strstr(md, "| token size budget | 4096 B | default |"));
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

/* Removes every cell whose fault is set from results.json in dir. */
static void drop_fault_cells(const char *dir)
{
    cJSON *results = rc_json(dir, "results.json"), *cells = cJSON_GetObjectItem(results, "cells");
    int i;
    char *text;
    for (i = cJSON_GetArraySize(cells) - 1; i >= 0; i--)
        if (cJSON_IsString(cJSON_GetObjectItem(cJSON_GetArrayItem(cells, i), "fault")))
            cJSON_DeleteItemFromArray(cells, i);
    text = cJSON_Print(results);
    rc_write(dir, "results.json", text);
    free(text);
    cJSON_Delete(results);
}

static void chart_without_data_should_be_left_out_with_a_sentence(void **state)
{
    char *dir = rc_fixture_copy(), *md, path[4096];
    (void)state;
    free(report_md(dir, NULL)); /* a first report draws all seven */
    snprintf(path, sizeof path, "%s/micro.json", dir);
    remove(path);
    drop_fault_cells(dir);
    md = report_md(dir, NULL);
    assert_non_null(strstr(md, "Chart 5 (micro-benchmarks) is left out: the run has no micro.json"));
    assert_non_null(strstr(md, "Chart 7 (availability) is left out"));
    assert_false(rc_nonempty(dir, "charts/micro.svg")); /* the earlier report's chart is gone */
    assert_false(rc_nonempty(dir, "charts/avail.png"));
    assert_null(strstr(md, "charts/micro.svg"));
    assert_true(rc_nonempty(dir, "charts/throughput.svg"));
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

static void micro_bars_should_carry_the_interval_of_their_repetitions(void **state)
{
    char *dir = rc_fixture_copy(), *md = report_md(dir, NULL), path[4096], *dat, *row;
    double v, lo, hi;
    (void)state;
    snprintf(path, sizeof path, "%s/charts/data/micro.dat", dir);
    dat = tsupport_read_file(path, NULL);
    assert_non_null(dat);
    row = strstr(dat, "\nHS256 ");
    assert_non_null(row);
    assert_int_equal(sscanf(row, " HS256 %lf %lf %lf", &v, &lo, &hi), 3); /* verify: median, bootstrap 95 % interval */
    assert_true(lo < v && v < hi);
    free(dat);
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

static void html_should_be_self_contained(void **state)
{
    char *dir = rc_fixture_copy(), path[4096], *html, *md = report_md(dir, NULL);
    const char *p;
    size_t imgs = 0;
    (void)state;
    snprintf(path, sizeof path, "%s/report.html", dir);
    html = tsupport_read_file(path, NULL);
    assert_non_null(html);
    for (p = html; (p = strstr(p, "<img ")) != NULL; p++, imgs++)
        assert_non_null(strstr(p, "src=\"data:image/svg+xml;base64,"));
    assert_int_equal(imgs, 8);
    assert_null(strstr(html, "src=\"http"));
    assert_null(strstr(html, "href=\"http"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "<h2 id=\"decision-outcome\">Decision Outcome</h2>"));
    free(html);
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

/* Runs authbench with args; asserts the exit code, one stderr line, and that it contains want. */
static void expect_error(const char *const *args, const char *path, int code, const char *want)
{
    char *err = NULL;
    int rc = rc_run(args, path, &err);
    assert_non_null(err);
    if (rc != code || strstr(err, want) == NULL || strchr(err, '\n') != err + strlen(err) - 1)
        fail_msg("authbench %s: exit %d (want %d), stderr: %s (want one line with '%s')", args[0], rc, code, err, want);
    free(err);
}

static void bad_inputs_should_fail_with_one_line(void **state)
{
    char *dir = rc_fixture_copy(), *empty = tsupport_tmpdir("report-empty"), bad[4096];
    (void)state;
    expect_error((const char *const[]){"report", NULL}, NULL, 2, "missing RUN_DIR");
    expect_error((const char *const[]){"report", "--bogus", dir, NULL}, NULL, 2, "unknown option");
    expect_error((const char *const[]){"report", dir, "--cores-per-server", "zero", NULL}, NULL, 2, "--cores-per-server");
    expect_error((const char *const[]){"report", "/nonexistent/run", NULL}, NULL, 1, "not a directory");
    expect_error((const char *const[]){"report", empty, NULL}, NULL, 1, "no results.json");
    rc_write(empty, "results.json", "{\"schema\": \"authbench.results/1\", \"cells\": [");
    expect_error((const char *const[]){"report", empty, NULL}, NULL, 1, "malformed JSON");
    rc_write(empty, "results.json", "{\"schema\": \"authbench.results/4\", \"schema_version\": 4, \"cells\": []}");
    expect_error((const char *const[]){"report", empty, NULL}, NULL, 1, "schema is 'authbench.results/4'");
    snprintf(bad, sizeof bad, "%s/req.json", dir);
    rc_write(dir, "req.json", "{\"peek_requests_per_sec\": 5}");
    expect_error((const char *const[]){"report", dir, "--requirements", bad, NULL}, NULL, 1, "unknown field");
    expect_error((const char *const[]){"report", dir, NULL}, "/nonexistent-bin", 1, "apt-get install gnuplot-nox");
    tsupport_rmtree(dir);
    tsupport_rmtree(empty);
    free(dir);
    free(empty);
}

static void command_should_write_the_report(void **state)
{
    char *dir = rc_fixture_copy(), *err = NULL;
    int rc;
    (void)state;
    rc = rc_run((const char *const[]){"report", dir, "--store-capacity", "20000", "--max-servers", "16", "-q", NULL}, NULL, &err);
    assert_int_equal(rc, 0);
    assert_string_equal(err, "");
    assert_true(rc_nonempty(dir, "report.md") && rc_nonempty(dir, "report.html"));
    free(err);
    tsupport_rmtree(dir);
    free(dir);
}

static void a_version_1_run_should_still_be_reported(void **state)
{
    char *dir = rc_fixture_copy(), *err = NULL, path[4200], *text;
    cJSON *doc;
    int rc;
    (void)state;
    snprintf(path, sizeof path, "%s/results.json", dir);
    text = tsupport_read_file(path, NULL);
    doc = text != NULL ? cJSON_Parse(text) : NULL;
    assert_non_null(doc);
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "schema", cJSON_CreateString("authbench.results/1"));
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "schema_version");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "figures");
    free(text);
    text = cJSON_Print(doc);
    rc_write(dir, "results.json", text);
    rc = rc_run((const char *const[]){"report", dir, "-q", NULL}, NULL, &err);
    if (rc != 0)
        fail_msg("authbench report of a version-1 run exited %d: %s", rc, err);
    assert_true(rc_nonempty(dir, "report.md"));
    free(err);
    free(text);
    cJSON_Delete(doc);
    tsupport_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_should_draw_every_chart_as_svg_and_png),
        cmocka_unit_test(key_figures_should_match_results_json),
        cmocka_unit_test(every_bold_figure_should_trace_to_results_json),
        cmocka_unit_test(capacity_projection_should_follow_the_formula),
        cmocka_unit_test(a_run_without_intervals_should_not_name_a_winner),
        cmocka_unit_test(requirements_should_show_as_drivers),
        cmocka_unit_test(chart_without_data_should_be_left_out_with_a_sentence),
        cmocka_unit_test(micro_bars_should_carry_the_interval_of_their_repetitions),
        cmocka_unit_test(html_should_be_self_contained),
        cmocka_unit_test(bad_inputs_should_fail_with_one_line),
        cmocka_unit_test(command_should_write_the_report),
        cmocka_unit_test(a_version_1_run_should_still_be_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

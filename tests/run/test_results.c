/* test_results.c — the results model (bench/results) and the dotted-path accessor it reads with
 * (bench/common/ab_json): the one rule for a missing value, a cell written and read back, the
 * figures aggregated from repetitions, the CSV columns generated from AB_RES_FIGURES, the schema
 * versions the reader accepts. */
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

#include "ab_json.h"
#include "ab_results.h"
#include "sstore.h"
#include "tsupport.h"

static void missing_values_should_be_reported_never_invented(void **state)
{
    cJSON *o = cJSON_Parse("{\"a\": {\"b\": 2, \"s\": \"x\", \"n\": null}, \"c\": 0}");
    double v = 7;
    (void)state;
    assert_non_null(o);
    assert_true(ab_json_at(o, "a.b") != NULL);
    assert_true(ab_json_at(o, "") == o);
    assert_null(ab_json_at(o, "a.z"));
    assert_null(ab_json_at(o, "a.b.c"));
    assert_null(ab_json_at(NULL, "a"));
    assert_int_equal(ab_json_num(o, "a.b", &v), 1);
    assert_true(v == 2);
    assert_int_equal(ab_json_num(o, "a.n", &v), 0);
    assert_int_equal(ab_json_num(o, "a.s", &v), 0);
    assert_true(v == 2); /* untouched */
    assert_true(ab_json_num_or(o, "c", -1) == 0);
    assert_true(isnan(ab_json_num_or(o, "nothing", NAN)));
    assert_string_equal(ab_json_str(o, "a.s"), "x");
    assert_null(ab_json_str(o, "a.b"));
    cJSON_Delete(o);
}

/* A cell of every kind of field. */
static void sample_cell(ab_res_cell *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "session-redis-pause-s2");
    snprintf(c->label, sizeof c->label, "session redis (paused)");
    snprintf(c->mechanism, sizeof c->mechanism, "session:redis");
    snprintf(c->family, sizeof c->family, "session");
    snprintf(c->store, sizeof c->store, "redis");
    snprintf(c->lb, sizeof c->lb, "sticky");
    snprintf(c->key_dist, sizeof c->key_dist, "zipf:0.99");
    snprintf(c->mix_name, sizeof c->mix_name, "read");
    snprintf(c->fault, sizeof c->fault, "redis-pause");
    snprintf(c->server_model, sizeof c->server_model, "pool");
    c->mix_request = 100;
    c->servers = 2, c->connections = 8, c->threads = 2, c->server_threads = 4, c->users = 100;
    c->repetitions = 2;
    c->store_delay_us = 250, c->duration_us = 3000000, c->warmup_us = 500000, c->fault_for_us = 700000;
    c->group = 3;
}

static void a_cell_written_should_read_back_the_same(void **state)
{
    ab_res_cell c, back;
    cJSON *o;
    (void)state;
    sample_cell(&c);
    o = ab_res_cell_result(&c, NULL, 0, "it broke");
    assert_int_equal(ab_res_cell_from_json(o, &back), 0);
    assert_memory_equal(&c, &back, sizeof c);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "server_model"); /* a run from before the models */
    assert_int_equal(ab_res_cell_from_json(o, &back), 0);
    assert_string_equal(back.server_model, "loop");
    assert_string_equal(ab_json_str(o, "status"), "failed");
    assert_true(cJSON_IsNull(ab_json_at(o, "alg")));
    assert_true(ab_json_num_or(o, "fault_for_s", 0) == 0.7);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"id\": \"x\", \"mechanism\": \"none\"}");
    assert_int_equal(ab_res_cell_from_json(o, &back), -1); /* no repetitions */
    cJSON_Delete(o);
}

/* A load document with the figures aggregation reads, rps and auth_cpu_ns_per_req given. */
static cJSON *load_doc(double rps, double auth_ns, double out_bytes, double in_bytes)
{
    char text[512];
    snprintf(text, sizeof text,
             "{\"requests_per_sec\": %g, \"requests\": %g, \"auth_cpu_ns_per_req\": %g, \"store_errors_per_req\": 0.5,"
             " \"store_net_bytes_out_per_req\": %g, \"store_net_bytes_in_per_req\": %g, \"window_s\": 3,"
             " \"errors\": {\"timeout\": 1}, \"timeseries\": [{\"t_s\": 0, \"requests\": 5, \"errors\": 0}]}",
             rps, rps * 3, auth_ns, out_bytes, in_bytes);
    return cJSON_Parse(text);
}

static void repetitions_should_aggregate_by_the_figure_table(void **state)
{
    ab_res_cell c;
    ab_res_rep reps[2];
    cJSON *o;
    (void)state;
    sample_cell(&c);
    c.fault[0] = '\0';
    memset(reps, 0, sizeof reps);
    reps[0].load = load_doc(1000, 2000, 100, 50);
    reps[1].load = load_doc(3000, 4000, 200, 100);
    reps[0].window_start_unix_ms = 1e12, reps[1].window_start_unix_ms = -1;
    reps[0].fault_at_s = reps[1].fault_at_s = reps[0].fault_end_s = reps[1].fault_end_s = -1;
    reps[0].have_redis = 1, reps[0].server_requests = 3000, reps[0].redis_delta.calls = 6000;
    o = ab_res_cell_result(&c, reps, 2, NULL);
    assert_true(ab_json_num_or(o, "requests_per_sec", 0) == 2000);   /* median */
    assert_true(ab_json_num_or(o, "requests", 0) == 12000);          /* summed */
    assert_true(ab_json_num_or(o, "errors.timeout", 0) == 2);
    assert_true(fabs(ab_json_num_or(o, "auth_cpu_us_per_req", 0) - 3) < 1e-9); /* ns scaled to us */
    assert_true(ab_json_num_or(o, "store_net_bytes_per_req", 0) == 225); /* out + in */
    assert_true(ab_json_num_or(o, "redis_commands_per_req", 0) == 2);
    assert_true(ab_json_num_or(o, "store_errors_per_req", 0) == 0.5); /* a store counter's figure */
    assert_true(cJSON_IsNull(ab_json_at(o, "fsync_ns_per_req")));
    assert_true(cJSON_IsTrue(ab_json_at(o, "high_cv")));
    assert_true(ab_json_num_or(o, "windows.0.rep", 0) == 0); /* arrays are not paths */
    assert_int_equal(cJSON_GetArraySize(ab_json_at(o, "windows")), 2);
    assert_true(ab_json_num_or(cJSON_GetArrayItem(ab_json_at(o, "windows"), 0), "start_unix_ms", 0) == 1e12);
    assert_true(cJSON_IsNull(ab_json_at(cJSON_GetArrayItem(ab_json_at(o, "windows"), 1), "start_unix_ms")));
    assert_true(cJSON_IsNull(ab_json_at(o, "credential_bytes")));
    ab_res_reps_free(reps, 2);
    assert_null(reps[0].load);
    cJSON_Delete(o);
}

/* The first line of a file. The caller frees it. */
static char *first_line(const char *path)
{
    char *text = tsupport_read_file(path, NULL);
    assert_non_null(text);
    text[strcspn(text, "\n")] = '\0';
    return text;
}

/* The figure named name, or NULL. */
static const ab_res_figure *figure(const char *name)
{
    size_t i, n;
    const ab_res_figure *figs = ab_res_figures(&n);
    for (i = 0; i < n; i++)
        if (strcmp(figs[i].name, name) == 0)
            return &figs[i];
    return NULL;
}

static void every_store_counter_should_be_a_figure_with_its_unit(void **state)
{
#define STORE_FIG_NAME_(name, fig, desc) #fig "_per_req",
    static const char *const names[] = {SSTORE_COUNTERS(STORE_FIG_NAME_)};
#undef STORE_FIG_NAME_
    size_t i;
    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (figure(names[i]) == NULL || figure(names[i])->what == NULL)
            fail_msg("store counter figure %s is not in the table", names[i]);
    assert_string_equal(ab_res_figure_unit(figure("fsync_ns_per_req")), "ns");
    assert_string_equal(ab_res_figure_unit(figure("store_net_bytes_in_per_req")), "bytes");
    assert_string_equal(ab_res_figure_unit(figure("fsyncs_per_req")), "count");
    assert_string_equal(ab_res_figure_unit(figure("auth_cpu_us_per_req")), "us");
    assert_true(figure("auth_cpu_us_per_req")->scale == 1e-3);
}

static void files_should_carry_every_figure_and_the_schema_version(void **state)
{
    char *dir = tsupport_tmpdir("results"), err[256], path[600], *header;
    size_t i, n;
    const ab_res_figure *figs = ab_res_figures(&n);
    cJSON *sc = cJSON_Parse("{\"name\": \"t\"}"), *back;
    ab_res_doc *d = ab_res_doc_new("t", sc, cJSON_CreateObject());
    ab_res_cell c;
    (void)state;
    assert_non_null(d);
    sample_cell(&c);
    ab_res_doc_add_cell(d, ab_res_cell_result(&c, NULL, 0, "failed on purpose"));
    assert_int_equal(ab_res_doc_ncells(d), 1);
    assert_int_equal(ab_res_doc_write(d, dir, 1, 1, NULL, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/results.csv", dir);
    header = first_line(path);
    for (i = 0; i < n; i++)
        if (strstr(header, figs[i].name) == NULL)
            fail_msg("results.csv has no column %s: %s", figs[i].name, header);
    free(header);
    back = ab_res_read(dir, err, sizeof err);
    assert_non_null(back);
    assert_int_equal(ab_res_schema_version(back), AB_RES_SCHEMA_VERSION);
    assert_int_equal(cJSON_GetArraySize(ab_json_at(back, "figures")), (int)n);
    cJSON_Delete(back);
    ab_res_doc_free(d);
    ab_res_doc_free(NULL);
    cJSON_Delete(sc);
    tsupport_rmtree(dir);
    free(dir);
}

static void the_reader_should_accept_known_versions_only(void **state)
{
    static const struct { const char *text; int version; } docs[] = {
        {"{\"schema\": \"authbench.results/1\"}", 1},
        {"{\"schema\": \"authbench.results/2\", \"schema_version\": 2}", 2},
        {"{\"schema\": \"authbench.results/3\", \"schema_version\": 3}", 3},
        {"{\"schema\": \"authbench-load/1\"}", 0},
        {"[]", 0},
    };
    char *dir = tsupport_tmpdir("results-v"), path[600], err[256];
    size_t i;
    (void)state;
    snprintf(path, sizeof path, "%s/results.json", dir);
    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        cJSON *doc = cJSON_Parse(docs[i].text), *back;
        int ok = docs[i].version >= AB_RES_SCHEMA_OLDEST && docs[i].version <= AB_RES_SCHEMA_VERSION;
        assert_int_equal(ab_res_schema_version(doc), docs[i].version);
        assert_int_equal(tsupport_write_file(path, docs[i].text, strlen(docs[i].text)), 0);
        back = ab_res_read(dir, err, sizeof err);
        if ((back != NULL) != ok)
            fail_msg("%s: read %s (%s)", docs[i].text, back ? "accepted" : "refused", err);
        if (!ok)
            assert_non_null(strstr(err, "schema is"));
        cJSON_Delete(back);
        cJSON_Delete(doc);
    }
    tsupport_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(missing_values_should_be_reported_never_invented),
        cmocka_unit_test(a_cell_written_should_read_back_the_same),
        cmocka_unit_test(repetitions_should_aggregate_by_the_figure_table),
        cmocka_unit_test(every_store_counter_should_be_a_figure_with_its_unit),
        cmocka_unit_test(files_should_carry_every_figure_and_the_schema_version),
        cmocka_unit_test(the_reader_should_accept_known_versions_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_results.c — the results model (bench/results) and the dotted-path accessor it reads with
 * (bench/common/ab_json): the one rule for a missing value, a cell written and read back, the
 * figures aggregated from repetitions (with the load they ran at, the noise record and bootstrap
 * intervals), the rate sweeps, the CSV columns generated from AB_RES_FIGURES, the schema versions
 * the reader accepts. */
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

#include "ab_hist.h"
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
    ab_res_rep_init(&reps[0]);
    ab_res_rep_init(&reps[1]);
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

/* A load document of schema 3 at an open-loop rate: one repetition's latencies (µs) in its
 * histogram, its rates, goodput, failed answers and its generator's CPU. */
static cJSON *rate_doc(double target, double achieved, int reached, const double *lat_us, size_t n, double util)
{
    ab_hist *h = ab_hist_new(60000000000ull, 3), *failed = ab_hist_new(60000000000ull, 3);
    cJSON *d = load_doc(achieved, 1000, 10, 10);
    char *enc, *enc_failed;
    size_t i;
    for (i = 0; i < n; i++)
        ab_hist_record(h, (uint64_t)(lat_us[i] * 1000));
    ab_hist_record(failed, 5000000);
    enc = ab_hist_encode(h), enc_failed = ab_hist_encode(failed);
    cJSON_AddNumberToObject(d, "target_rate_per_sec", target);
    cJSON_AddNumberToObject(d, "achieved_rate_per_sec", achieved);
    cJSON_AddBoolToObject(d, "rate_reached", reached);
    cJSON_AddNumberToObject(d, "goodput_per_sec", achieved - 1);
    cJSON_AddNumberToObject(d, "failed_answers", 3);
    cJSON_AddStringToObject(d, "histogram_failed", enc_failed);
    cJSON_AddItemToObject(cJSON_AddObjectToObject(d, "histograms"), "latency_ns", cJSON_CreateString(enc));
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(d, "loadgen_cpu"), "util", util);
    free(enc), free(enc_failed);
    ab_hist_free(h), ab_hist_free(failed);
    return d;
}

/* An open-loop cell at 500 req/s. */
static void rate_cell(ab_res_cell *c)
{
    sample_cell(c);
    memset(c->fault, 0, sizeof c->fault);
    c->fault_for_us = 0; /* kept for a fault that ends only */
    c->rate_per_sec = 500;
    c->repetitions = 3;
    snprintf(c->kind, sizeof c->kind, "deployment");
    snprintf(c->sweep_of, sizeof c->sweep_of, "session-redis-s2");
    snprintf(c->touch, sizeof c->touch, "after:60");
    c->via_proxy = 1, c->claims_bytes = 512;
}

static void the_load_a_cell_ran_at_should_be_in_its_result(void **state)
{
    static const double lat[3][4] = {{100, 200, 300, 400}, {110, 210, 310, 410}, {120, 220, 320, 5000}};
    ab_res_cell c, back;
    ab_res_rep reps[3];
    cJSON *o;
    size_t i;
    (void)state;
    rate_cell(&c);
    for (i = 0; i < 3; i++) {
        ab_res_rep_init(&reps[i]);
        reps[i].load = rate_doc(500, 499 - (double)i, i != 1, lat[i], 4, i == 2 ? 0.95 : 0.3);
        reps[i].load_avg_1m = 0.5 + (double)i, reps[i].steal_frac = 0.01, reps[i].cores = 4;
        reps[i].proxy_delay_mean_us = 250 + (double)i, reps[i].proxy_delay_p99_us = 300;
    }
    snprintf(reps[0].placement, sizeof reps[0].placement, "load=0 servers=1-2 stores=3");
    reps[0].isolated = 1;
    o = ab_res_cell_result(&c, reps, 3, NULL);
    assert_string_equal(ab_json_str(o, "kind"), "deployment");
    assert_true(cJSON_IsTrue(ab_json_at(o, "via_proxy")));
    assert_string_equal(ab_json_str(o, "touch"), "after:60");
    assert_true(ab_json_num_or(o, "claims_bytes", 0) == 512);
    assert_true(cJSON_IsNull(ab_json_at(o, "rate_fraction")));
    assert_true(ab_json_num_or(o, "target_rate_per_sec", 0) == 500);
    assert_true(ab_json_num_or(o, "achieved_rate_per_sec", 0) == 498);  /* median */
    assert_true(cJSON_IsFalse(ab_json_at(o, "rate_reached")));          /* one repetition fell short */
    assert_true(ab_json_num_or(o, "goodput_per_sec", 0) == 497);
    assert_true(ab_json_num_or(o, "failed_answers", 0) == 9);           /* summed */
    assert_true(fabs(ab_json_num_or(o, "latency_failed_us.p50", 0) - 5000) < 5000 * 1e-3);
    assert_true(ab_json_num_or(o, "loadgen_cpu_util", 0) == 0.3);
    assert_true(cJSON_IsTrue(ab_json_at(o, "loadgen_bottleneck")));      /* 0.95 in one repetition */
    assert_true(ab_json_num_or(o, "load_avg_1m", 0) == 2.5);            /* the worst */
    assert_true(cJSON_IsFalse(ab_json_at(o, "busy_machine")));          /* 2.5 < 4 cores x 0.7 */
    assert_string_equal(ab_json_str(o, "placement.servers"), "1-2");
    assert_true(cJSON_IsTrue(ab_json_at(o, "placement.isolated")));
    assert_true(cJSON_IsNull(ab_json_at(o, "placement.note")));
    assert_true(ab_json_num_or(o, "proxy_delay_achieved_us.mean", 0) == 251);
    assert_true(cJSON_IsNull(ab_json_at(o, "revocation_latency_us")));
    /* each repetition's own p99 (not the merged one), with its interval */
    assert_int_equal(cJSON_GetArraySize(ab_json_at(o, "repetition_stats.p99_us.values")), 3);
    assert_true(fabs(ab_json_num_or(o, "repetition_stats.p50_us.median", 0) - 210) < 1);
    assert_true(ab_json_num_or(o, "repetition_stats.p99_us.ci95_low", -1) <=
                ab_json_num_or(o, "repetition_stats.p99_us.median", 0));
    assert_true(ab_json_num_or(o, "repetition_stats.p99_us.ci95_high", 0) > 4000);
    assert_int_equal(ab_res_cell_from_json(o, &back), 0);
    assert_memory_equal(&c, &back, sizeof c);
    cJSON_Delete(o);
    reps[1].load_avg_1m = 3, reps[1].cores = 4; /* 3 > 4 x 0.7 */
    cJSON_ReplaceItemInObjectCaseSensitive(reps[1].load, "rate_reached", cJSON_CreateTrue());
    o = ab_res_cell_result(&c, reps, 3, NULL);
    assert_true(cJSON_IsTrue(ab_json_at(o, "busy_machine")));
    assert_true(cJSON_IsTrue(ab_json_at(o, "rate_reached"))); /* every one reached it */
    cJSON_Delete(o);
    cJSON_DeleteItemFromObjectCaseSensitive(reps[1].load, "rate_reached");
    o = ab_res_cell_result(&c, reps, 3, NULL);
    assert_true(cJSON_IsNull(ab_json_at(o, "rate_reached"))); /* one did not say */
    cJSON_Delete(o);
    /* Where the other work was measured, it decides, not the load average (which counts the run's
     * own processes): a high load average with an idle machine around it is not busy... */
    for (i = 0; i < 3; i++)
        reps[i].other_cpu_frac = 0.05;
    o = ab_res_cell_result(&c, reps, 3, NULL);
    assert_true(cJSON_IsFalse(ab_json_at(o, "busy_machine")));
    assert_true(fabs(ab_json_num_or(o, "other_cpu_frac", -1) - 0.05) < 1e-9);
    cJSON_Delete(o);
    /* ...and other work above the bound in one repetition is. */
    reps[2].other_cpu_frac = AB_RES_BUSY_OTHER_CPU_FRAC + 0.1;
    o = ab_res_cell_result(&c, reps, 3, NULL);
    assert_true(cJSON_IsTrue(ab_json_at(o, "busy_machine")));
    cJSON_Delete(o);
    /* Other work that began inside a window, after a quiet probe, makes it busy too, and each
     * repetition's figures are kept in its window record. */
    reps[2].other_cpu_frac = 0.05;
    reps[1].other_cpu_window_frac = 0.1;
    o = ab_res_cell_result(&c, reps, 3, NULL);
    assert_true(cJSON_IsFalse(ab_json_at(o, "busy_machine")));
    assert_true(fabs(ab_json_num_or(o, "other_cpu_window_frac", -1) - 0.1) < 1e-9);
    cJSON_Delete(o);
    reps[1].other_cpu_window_frac = AB_RES_BUSY_OTHER_CPU_FRAC + 0.1;
    o = ab_res_cell_result(&c, reps, 3, NULL);
    assert_true(cJSON_IsTrue(ab_json_at(o, "busy_machine")));
    {
        const cJSON *w = ab_json_at(o, "windows");
        assert_int_equal(cJSON_GetArraySize(w), 3);
        assert_true(cJSON_IsNull(ab_json_at(cJSON_GetArrayItem(w, 0), "other_cpu_window_frac")));
        assert_true(fabs(ab_json_num_or(cJSON_GetArrayItem(w, 1), "other_cpu_window_frac", -1) -
                         (AB_RES_BUSY_OTHER_CPU_FRAC + 0.1)) < 1e-9);
        assert_true(fabs(ab_json_num_or(cJSON_GetArrayItem(w, 2), "other_cpu_frac", -1) - 0.05) < 1e-9);
    }
    cJSON_Delete(o);
    ab_res_reps_free(reps, 3);
}

/* A load document whose window second t has every answer at lat_us[t] (3 s). */
static cJSON *series_doc(const double lat_us[3])
{
    cJSON *d = load_doc(100, 1000, 10, 10), *arr = cJSON_CreateArray();
    int t, i;
    for (t = 0; t < 3; t++) {
        ab_hist *h = ab_hist_new(60000000000ull, 3);
        cJSON *row = cJSON_CreateObject();
        char *enc;
        for (i = 0; i < 100; i++)
            ab_hist_record(h, (uint64_t)(lat_us[t] * 1000));
        enc = ab_hist_encode(h);
        cJSON_AddNumberToObject(row, "t_s", t);
        cJSON_AddNumberToObject(row, "requests", 100);
        cJSON_AddStringToObject(row, "latency_ns", enc);
        cJSON_AddItemToArray(arr, row);
        free(enc);
        ab_hist_free(h);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(d, "timeseries", arr);
    return d;
}

/* A fault's goodput counts the 2xx answers ("ok"): a killed server's refused connections are
 * errors that were never answered requests, so answered less errors would read 0 where half the
 * load was still served; a series from before "ok" keeps that old reading. */
static void goodput_through_a_fault_should_count_2xx_answers(void **state)
{
    static const double req[4] = {100, 100, 50, 50}, ok[4] = {100, 100, 50, 50}, err[4] = {0, 0, 50, 50};
    ab_res_cell c;
    ab_res_rep rep;
    cJSON *o, *arr = cJSON_CreateArray(), *row;
    int t;
    (void)state;
    rate_cell(&c);
    snprintf(c.fault, sizeof c.fault, "server-kill");
    c.fault_at_us = 2000000, c.repetitions = 1;
    ab_res_rep_init(&rep);
    rep.load = load_doc(75, 1000, 10, 10);
    rep.fault_at_s = rep.fault_end_s = 2.0;
    for (t = 0; t < 4; t++) {
        cJSON_AddItemToArray(arr, row = cJSON_CreateObject());
        cJSON_AddNumberToObject(row, "t_s", t);
        cJSON_AddNumberToObject(row, "requests", req[t]);
        cJSON_AddNumberToObject(row, "ok", ok[t]);
        cJSON_AddNumberToObject(row, "errors", err[t]);
        cJSON_AddNumberToObject(row, "auth_failures", 0);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(rep.load, "timeseries", arr);
    o = ab_res_fault_outcome(&c, &rep, 1);
    assert_true(ab_json_num_or(o, "goodput_after_per_s", -1) == 50);
    assert_true(ab_json_num_or(o, "unavailable_frac", -1) == 0); /* half the load served: not down */
    cJSON_Delete(o);
    cJSON_ArrayForEach(row, arr)
        cJSON_DeleteItemFromObjectCaseSensitive(row, "ok");
    o = ab_res_fault_outcome(&c, &rep, 1);
    assert_true(ab_json_num_or(o, "goodput_after_per_s", -1) == 0); /* the old reading */
    cJSON_Delete(o);
    ab_res_reps_free(&rep, 1);
}

static void a_store_sweep_should_split_the_window_around_it(void **state)
{
    static const double lat[2][3] = {{100, 5000, 200}, {120, 7000, 220}};
    ab_res_cell c;
    ab_res_rep reps[2];
    cJSON *o, *sw;
    int k;
    (void)state;
    rate_cell(&c);
    snprintf(c.kind, sizeof c.kind, "store-sweep");
    c.sessions = 1000, c.sweep_expired = 400, c.sweep_at_us = 1000000, c.repetitions = 2;
    for (k = 0; k < 2; k++) {
        ab_res_rep_init(&reps[k]);
        assert_true(isnan(reps[k].sweep_at_s) && reps[k].sessions_live == -1);
        reps[k].load = series_doc(lat[k]);
        reps[k].sweep_at_s = 1.2, reps[k].sweep_end_s = 1.5; /* inside second 1 */
        reps[k].sweep_removed = 400, reps[k].sweep_ms = 300 + 100 * k;
        reps[k].sessions_live = 1050, reps[k].store_bytes_per_session = 400 + 10 * k;
        snprintf(reps[k].sweep_method, sizeof reps[k].sweep_method, "delete");
    }
    o = ab_res_cell_result(&c, reps, 2, NULL);
    sw = cJSON_GetObjectItemCaseSensitive(o, "store_sweep");
    assert_string_equal(ab_json_str(sw, "method"), "delete");
    assert_true(ab_json_num_or(sw, "expired", 0) == 400 && ab_json_num_or(sw, "live", 0) == 1000);
    assert_true(ab_json_num_or(sw, "at_s", 0) == 1 && ab_json_num_or(sw, "removed", 0) == 400);
    assert_true(ab_json_num_or(sw, "sweep_ms", 0) == 350 && ab_json_num_or(sw, "started_s", 0) == 1.2);
    assert_in_range((unsigned)ab_json_num_or(sw, "p99_before_us", 0), 109, 111);  /* median of 100, 120 */
    assert_in_range((unsigned)ab_json_num_or(sw, "p99_during_us", 0), 5980, 6020); /* of 5000, 7000 */
    assert_in_range((unsigned)ab_json_num_or(sw, "p99_after_us", 0), 209, 211);
    assert_true(ab_json_num_or(o, "sessions_live", 0) == 1050);
    assert_true(ab_json_num_or(o, "store_bytes_per_session", 0) == 405);
    assert_true(ab_json_num_or(o, "sessions", 0) == 1000);
    cJSON_Delete(o);
    /* a failed cell keeps what was asked, with nothing measured; a cell without a sweep has null */
    o = ab_res_cell_result(&c, reps, 2, "boom");
    assert_true(cJSON_IsNull(ab_json_at(o, "store_sweep.removed")));
    assert_true(ab_json_num_or(o, "store_sweep.expired", 0) == 400);
    cJSON_Delete(o);
    c.sweep_expired = 0;
    o = ab_res_cell_result(&c, reps, 2, NULL);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "store_sweep")));
    cJSON_Delete(o);
    ab_res_reps_free(reps, 2);
}

/* The one busy rule (ab_res_rep_busy) behind busy_machine and re-measuring, and the record of a
 * re-measure. */
static void a_busy_repetition_and_its_re_measure_are_recorded(void **state)
{
    ab_res_rep old, again;
    cJSON *cell = cJSON_CreateObject();
    const cJSON *rm;
    (void)state;
    ab_res_rep_init(&old);
    ab_res_rep_init(&again);
    assert_false(ab_res_rep_busy(&old)); /* nothing measured: not busy */
    old.load_avg_1m = 100, old.cores = 2;
    assert_true(ab_res_rep_busy(&old)); /* an old run's repetition: its load average decides */
    old.other_cpu_frac = 0.1, old.other_cpu_window_frac = 0.05;
    assert_false(ab_res_rep_busy(&old)); /* the probes decide where they ran */
    old.other_cpu_window_frac = AB_RES_BUSY_OTHER_CPU_FRAC + 0.01;
    assert_true(ab_res_rep_busy(&old));
    old.other_cpu_window_frac = 0, old.steal_frac = AB_RES_BUSY_STEAL_FRAC + 0.01;
    assert_true(ab_res_rep_busy(&old));
    old.load = cJSON_Parse("{\"latency_us\": {\"p99\": 4000}}");
    again.other_cpu_frac = again.other_cpu_window_frac = 0.01, again.steal_frac = 0;
    again.load = cJSON_Parse("{\"latency_us\": {\"p99\": 900}}");
    ab_res_add_remeasured(cell, 2, &old, 4, &again, 1);
    ab_res_add_remeasured(cell, 3, &old, 5, &old, 0);
    rm = ab_json_at(cell, "remeasured");
    assert_int_equal(cJSON_GetArraySize(rm), 2);
    assert_true(ab_json_num_or(cJSON_GetArrayItem(rm, 0), "rep", 0) == 2);
    assert_true(ab_json_num_or(cJSON_GetArrayItem(rm, 0), "by", 0) == 4);
    assert_true(cJSON_IsTrue(ab_json_at(cJSON_GetArrayItem(rm, 0), "replaced")));
    assert_true(ab_json_num_or(cJSON_GetArrayItem(rm, 0), "p99_us", 0) == 4000);
    assert_true(ab_json_num_or(cJSON_GetArrayItem(rm, 0), "by_p99_us", 0) == 900);
    assert_true(fabs(ab_json_num_or(cJSON_GetArrayItem(rm, 0), "steal_frac", 0) - (AB_RES_BUSY_STEAL_FRAC + 0.01)) < 1e-9);
    assert_true(cJSON_IsFalse(ab_json_at(cJSON_GetArrayItem(rm, 1), "replaced")));
    cJSON_Delete(cell);
    ab_res_reps_free(&old, 1);
    ab_res_reps_free(&again, 1);
}

static void what_was_not_measured_should_be_null_never_zero(void **state)
{
    ab_res_cell c;
    ab_res_rep rep;
    cJSON *o;
    (void)state;
    sample_cell(&c);
    c.fault[0] = '\0';
    ab_res_rep_init(&rep);
    rep.load = load_doc(1000, 2000, 100, 50); /* a closed loop, the load of schema 2 */
    snprintf(rep.placement, sizeof rep.placement, "2 cores: too few to isolate");
    rep.extra = cJSON_Parse("{\"revocation_latency_us\": {\"p50\": 900, \"method\": \"probe\"}}");
    o = ab_res_cell_result(&c, &rep, 1, NULL);
    static const char *const nulls[] = {
        "kind", "target_rate_per_sec", "achieved_rate_per_sec", "rate_reached", "goodput_per_sec",
        "latency_failed_us", "failed_answers", "loadgen_cpu_util", "loadgen_bottleneck", "load_avg_1m",
        "steal_frac", "busy_machine", "proxy_delay_achieved_us", "placement.load", "sweep_of", "touch"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (!cJSON_IsNull(ab_json_at(o, nulls[i])))
            fail_msg("%s should be null", nulls[i]);
    assert_string_equal(ab_json_str(o, "placement.note"), "2 cores: too few to isolate");
    assert_true(cJSON_IsFalse(ab_json_at(o, "placement.isolated")));
    assert_true(ab_json_num_or(o, "revocation_latency_us.p50", 0) == 900);
    /* one repetition: no interval */
    assert_true(cJSON_IsNull(ab_json_at(o, "repetition_stats.requests_per_sec.ci95_low")));
    assert_true(cJSON_IsNull(ab_json_at(o, "repetition_stats.requests_per_sec.ci95_high")));
    cJSON_Delete(o);
    ab_res_reps_free(&rep, 1);
}

static void the_bootstrap_interval_should_hold_the_median_and_be_reproducible(void **state)
{
    static const double v[] = {10, 11, 9, 10.5, 30};
    double lo, hi, lo2, hi2;
    (void)state;
    assert_int_equal(ab_res_bootstrap_median_ci(v, 5, 42, &lo, &hi), 0);
    assert_true(lo >= 9 && lo <= 10 && hi >= 10.5 && hi <= 30);
    assert_int_equal(ab_res_bootstrap_median_ci(v, 5, 42, &lo2, &hi2), 0);
    assert_true(lo == lo2 && hi == hi2);
    assert_int_equal(ab_res_bootstrap_median_ci(v, 1, 42, &lo, &hi), -1);
    assert_true(isnan(lo) && isnan(hi));
    assert_true(ab_res_seed("cell", "p99_us") == ab_res_seed("cell", "p99_us"));
    assert_true(ab_res_seed("cel", "lp99_us") != ab_res_seed("cell", "p99_us"));
}

static void the_change_interval_should_exclude_zero_only_for_a_real_shift(void **state)
{
    static const double a[] = {1000, 1010, 990, 1005, 995}, b[] = {1500, 1512, 1490, 1503, 1497};
    double lo, hi;
    (void)state;
    assert_int_equal(ab_res_bootstrap_change_ci(a, 5, b, 5, 7, 0.05, &lo, &hi), 0);
    assert_true(lo > 0.45 && hi < 0.55); /* +50 % */
    assert_int_equal(ab_res_bootstrap_change_ci(a, 5, a, 5, 7, 0.05, &lo, &hi), 0);
    assert_true(lo < 0 && hi > 0);
    assert_int_equal(ab_res_bootstrap_change_ci(a, 1, b, 5, 7, 0.05, &lo, &hi), -1);
}

/* A finished sweep cell at rate (a share of capacity cell cap) with the given p99 (µs). */
static cJSON *sweep_cell(const char *id, const char *cap, double rate, int reached, double p99)
{
    char text[700];
    snprintf(text, sizeof text,
             "{\"id\": \"%s\", \"label\": \"jwt HS256 at %g/s\", \"kind\": \"sweep\", \"status\": \"ok\","
             " \"mechanism\": \"jwt:HS256\", \"store_delay_us\": 0, \"servers\": 1, \"server_model\": \"async\","
             " \"sweep_of\": \"%s\", \"target_rate_per_sec\": %g, \"achieved_rate_per_sec\": %g,"
             " \"rate_reached\": %s, \"latency_us\": {\"p50\": 100, \"p99\": %g},"
             " \"repetition_stats\": {\"p99_us\": {\"ci95_low\": %g, \"ci95_high\": %g}}}",
             id, rate, cap, rate, rate * 0.99, reached ? "true" : "false", p99, p99 * 0.9, p99 * 1.1);
    return cJSON_Parse(text);
}

static void sweeps_should_give_the_capacity_at_the_slo(void **state)
{
    cJSON *cells = cJSON_CreateArray(), *sw, *s0;
    (void)state;
    cJSON_AddItemToArray(cells, cJSON_Parse("{\"id\": \"cap\", \"label\": \"jwt HS256\", \"kind\": \"capacity\","
                                            " \"status\": \"ok\", \"mechanism\": \"jwt:HS256\"}"));
    cJSON_AddItemToArray(cells, sweep_cell("sw90", "cap", 9000, 1, 4000));   /* over the SLO */
    cJSON_AddItemToArray(cells, sweep_cell("sw10", "cap", 1000, 1, 300));
    cJSON_AddItemToArray(cells, sweep_cell("sw50", "cap", 5000, 1, 900));
    cJSON_AddItemToArray(cells, sweep_cell("sw75", "cap", 7500, 0, 950));    /* rate not reached */
    cJSON_AddItemToArray(cells, sweep_cell("other", "cap2", 100, 1, 100));   /* another option */
    sw = ab_res_sweeps(cells, 1.0);
    assert_int_equal(cJSON_GetArraySize(sw), 2);
    s0 = cJSON_GetArrayItem(sw, 0);
    assert_string_equal(ab_json_str(s0, "label"), "jwt HS256");
    assert_string_equal(ab_json_str(s0, "capacity_cell"), "cap");
    assert_int_equal(cJSON_GetArraySize(ab_json_at(s0, "points")), 4);
    assert_string_equal(ab_json_str(cJSON_GetArrayItem(ab_json_at(s0, "points"), 0), "cell"), "sw10"); /* by rate */
    assert_true(ab_json_num_or(s0, "capacity_at_slo_per_sec", 0) == 4950);
    assert_true(cJSON_GetArraySize(ab_json_at(cJSON_GetArrayItem(ab_json_at(s0, "points"), 0), "p99_ci95")) == 2);
    cJSON_Delete(sw);
    sw = ab_res_sweeps(cells, 0.2); /* no point meets it */
    assert_true(cJSON_IsNull(ab_json_at(cJSON_GetArrayItem(sw, 0), "capacity_at_slo_per_sec")));
    cJSON_Delete(sw);
    sw = ab_res_sweeps(cells, 0); /* no SLO */
    assert_true(cJSON_IsNull(ab_json_at(cJSON_GetArrayItem(sw, 0), "capacity_at_slo_per_sec")));
    cJSON_Delete(sw);
    cJSON_Delete(cells);
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
        {"{\"schema\": \"authbench.results/4\", \"schema_version\": 4}", 4},
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
        cmocka_unit_test(the_load_a_cell_ran_at_should_be_in_its_result),
        cmocka_unit_test(a_busy_repetition_and_its_re_measure_are_recorded),
        cmocka_unit_test(what_was_not_measured_should_be_null_never_zero),
        cmocka_unit_test(goodput_through_a_fault_should_count_2xx_answers),
        cmocka_unit_test(a_store_sweep_should_split_the_window_around_it),
        cmocka_unit_test(the_bootstrap_interval_should_hold_the_median_and_be_reproducible),
        cmocka_unit_test(the_change_interval_should_exclude_zero_only_for_a_real_shift),
        cmocka_unit_test(sweeps_should_give_the_capacity_at_the_slo),
        cmocka_unit_test(every_store_counter_should_be_a_figure_with_its_unit),
        cmocka_unit_test(files_should_carry_every_figure_and_the_schema_version),
        cmocka_unit_test(the_reader_should_accept_known_versions_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_store_failures.c — what `authbench report` says when the store fails or is swept, on the
 * generated schema-3 run (report_fixture.c) with its store-failure cells: per mechanism through a
 * store outage the goodput kept and the revocations missed (the ES256 group, no HMAC ids), the
 * store-sweep cells as a table and a per-second chart with the sweep marked, the sessions a store
 * held with its size per session and the projected size, and the pushed denylist over PostgreSQL
 * and Memcached as options of their own with their channel and poll period. */
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

/* A report of the fixture run with its store-failure cells, changed by edit (may be NULL): its
 * report.md, and its directory in *dir (the caller removes it). */
static char *report_of(void (*edit)(cJSON *), char **dir)
{
    char err[1024] = "", path[4096], *md;
    cJSON *doc = rf_results();
    rf_add_store_failures(doc);
    if (edit != NULL)
        edit(doc);
    *dir = tsupport_tmpdir("storefail");
    rf_write(*dir, doc);
    cJSON_Delete(doc);
    if (ab_report_write(*dir, NULL, err, sizeof err) != 0)
        fail_msg("ab_report_write: %s", err);
    snprintf(path, sizeof path, "%s/report.md", *dir);
    md = tsupport_read_file(path, NULL);
    assert_non_null(md);
    return md;
}

/* Frees what report_of returned. */
static void done(char *md, char *dir)
{
    free(md);
    tsupport_rmtree(dir);
    free(dir);
}

/* The row of table t whose first cell is `id` (with backticks); fails when absent. */
static char **row_of(const rc_table *t, const char *id)
{
    char want[200];
    size_t r;
    snprintf(want, sizeof want, "`%s`", id);
    for (r = 0; r < t->nrows; r++)
        if (strcmp(t->rows[r][0], want) == 0)
            return t->rows[r];
    fail_msg("no row for %s", id);
    return NULL;
}

/* Asserts text contains want. */
static void assert_has(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("'%s' not in '%.600s'", want, text);
}

/* The options[] entry with this id (the test fails when there is none). */
static const cJSON *option(const cJSON *d, const char *id)
{
    const cJSON *o = rc_option(d, id);
    if (o == NULL)
        fail_msg("decision.json has no option %s", id);
    return o;
}

/* The index-th store_outage entry of option id. */
static const cJSON *outage_of(const cJSON *d, const char *id, int index)
{
    const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(option(d, id), "store_outage"), index);
    if (x == NULL)
        fail_msg("option %s has no store_outage[%d]", id, index);
    return x;
}

/* A number member, NaN when absent or null. */
static double num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char outage_head[] = "| cell | through the outage it |";

static void the_outage_table_should_say_per_mechanism_goodput_and_revocations_missed(void **state)
{
    char *dir, *md = report_of(NULL, &dir);
    rc_table t;
    (void)state;
    assert_int_equal(rc_table_read(md, outage_head, &t), 7);
    assert_has(row_of(&t, "session-redis-outage-s1")[5], "none missed");
    assert_has(row_of(&t, "session-redis-outage-s1")[3], "**0 req/s** at **1250 req/s** offered");
    assert_has(row_of(&t, "jwt-denylist-es256-redis-on-store-error-closed-outage-s1")[1], "fails closed");
    assert_has(row_of(&t, "jwt-denylist-es256-redis-on-store-error-closed-outage-s1")[3], "**0 req/s**");
    /* failing open: every revocation of the 8 s to the window's end, and the requests let through */
    assert_has(row_of(&t, "jwt-denylist-es256-redis-on-store-error-open-outage-s1")[5],
               "every revocation during the outage is missed");
    assert_has(row_of(&t, "jwt-denylist-es256-redis-on-store-error-open-outage-s1")[5], "**8.00** s");
    assert_has(row_of(&t, "jwt-denylist-es256-redis-on-store-error-open-outage-s1")[5], "**50000** requests");
    /* the pushed denylist keeps serving, its counters measured, and no catch-up: the store never came back */
    assert_has(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[3], "**1250 req/s** at");
    assert_has(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[5], "**0** missed");
    assert_has(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[5], "**5** channel breaks");
    assert_has(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[5], "not caught up");
    assert_has(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[5], "`pubsub`");
    /* the verified-token cache and the stateless JWT never consult the store */
    assert_has(row_of(&t, "jwt-es256-cache-10000-outage-s1")[3], "**1250 req/s** at");
    assert_has(row_of(&t, "jwt-es256-cache-10000-outage-s1")[5], "never checked");
    assert_has(row_of(&t, "jwt-es256-cache-10000-outage-s1")[5], "900 s");
    assert_has(row_of(&t, "jwt-es256-outage-s1")[5], "never checked");
    /* a session cache in front of the store serves what it holds, for its TTL: not a plain session */
    assert_has(row_of(&t, "session-redis-l1-1s-outage-s1")[1], "serves its per-server cache until the entries' TTL");
    assert_has(row_of(&t, "session-redis-l1-1s-outage-s1")[3], "**300 req/s** at");
    assert_has(row_of(&t, "session-redis-l1-1s-outage-s1")[5], "staleness window");
    rc_table_free(&t);
    done(md, dir);
}

/* The pushed denylist's store came back after 2 s: its catch-up found 3 revocations the channel lost. */
static void store_returns(cJSON *doc)
{
    cJSON *c = rf_cell(doc, "jwt-pushed-denylist-es256-redis-outage-s1");
    rf_set_num(doc, "jwt-pushed-denylist-es256-redis-outage-s1", "fault_for_s", 2);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(c, "pushed_denylist"), "missed", cJSON_CreateNumber(3));
}

static void a_pushed_denylist_whose_store_returns_should_say_it_caught_up(void **state)
{
    char *dir, *md = report_of(store_returns, &dir);
    cJSON *d;
    rc_table t;
    (void)state;
    rc_table_read(md, outage_head, &t);
    assert_has(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[5], "**3** missed");
    assert_has(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[5], "caught up the missed ones");
    assert_null(strstr(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[5], "not caught up"));
    rc_table_free(&t);
    d = rc_json(dir, "decision.json");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(outage_of(d, "jwt_pushed_denylist", 0), "caught_up")));
    assert_true(num(outage_of(d, "jwt_pushed_denylist", 0), "missed") == 3);
    cJSON_Delete(d);
    done(md, dir);
}

/* Without its pushed_denylist record the cell says so instead of a figure. */
static void no_counters(cJSON *doc)
{
    cJSON_DeleteItemFromObject(rf_cell(doc, "jwt-pushed-denylist-es256-redis-outage-s1"), "pushed_denylist");
}

static void missing_pushed_counters_should_read_not_measured(void **state)
{
    char *dir, *md = report_of(no_counters, &dir);
    rc_table t;
    (void)state;
    rc_table_read(md, outage_head, &t);
    assert_has(row_of(&t, "jwt-pushed-denylist-es256-redis-outage-s1")[5], "not measured");
    rc_table_free(&t);
    done(md, dir);
}

static void the_options_should_take_their_outage_evidence_in_their_own_algorithm(void **state)
{
    char *dir, *md = report_of(NULL, &dir);
    (void)state;
    /* the ES256 group: the stateless JWT's is its own algorithm's, the session's fails */
    assert_has(md, "Good (availability): with the store stopped 4.0001 s into the 12 s window (`jwt-es256-outage-s1`), ");
    assert_has(md, "Bad (availability): with the store stopped 4.0001 s into the 12 s window (`session-redis-outage-s1`), "
               "**66.6%** of requests failed"); /* 8 s of 12 refused */
    assert_has(md, "(`jwt-denylist-es256-redis-on-store-error-open-outage-s1`)");
    assert_null(strstr(md, "its algorithm differs from the option's"));
    assert_null(strstr(md, "jwt-hs256-outage"));
    done(md, dir);
}

static void a_store_sweep_should_be_a_table_row_and_a_chart_with_the_sweep_marked(void **state)
{
    char *dir, *md = report_of(NULL, &dir), path[4096], *svg, *dat;
    rc_table t;
    char **pg, **rd;
    (void)state;
    assert_int_equal(rc_table_read(md, "| cell | store | expired / live sessions |", &t), 3);
    pg = row_of(&t, "session-postgres-sweep-s1");
    assert_string_equal(pg[1], "postgres");
    assert_string_equal(pg[2], "**100000** / **100000**");
    assert_string_equal(pg[3], "**100000** (delete)");
    assert_string_equal(pg[4], "**1830**");
    assert_string_equal(pg[5], "**2.04** s (asked 2 s)"); /* when it began, as measured */
    assert_string_equal(pg[6], "**1250 req/s**");
    assert_string_equal(pg[7], "**520 µs**");
    assert_string_equal(pg[8], "**14.5 ms**");
    assert_string_equal(pg[9], "**560 µs**");
    rd = row_of(&t, "session-redis-sweep-s1");
    assert_string_equal(rd[3], "**99650** (redis-expiry)");
    assert_string_equal(rd[5], "**2** s");
    assert_string_equal(row_of(&t, "session-memcached-sweep-s1")[3], "none runs (memcached-lazy: an item is dropped when read)");
    assert_string_equal(row_of(&t, "session-memcached-sweep-s1")[4], "—");
    rc_table_free(&t);
    assert_has(md, "**Chart 10.** Latency through a sweep of expired sessions");
    snprintf(path, sizeof path, "%s/charts/storesweep.svg", dir);
    svg = tsupport_read_file(path, NULL);
    assert_non_null(svg);
    assert_has(svg, "sweep starts");
    assert_has(svg, "<path");
    free(svg);
    snprintf(path, sizeof path, "%s/charts/data/storesweep.dat", dir);
    dat = tsupport_read_file(path, NULL);
    assert_non_null(dat);
    assert_has(dat, "\"session postgres (store sweep)\"");
    assert_has(dat, "\n2 14.935\n"); /* second 2: the median of its repetitions (14.5 ms × 1.01 … 1.05) */
    free(dat);
    done(md, dir);
}

static void a_run_without_store_sweeps_should_leave_chart_10_out_with_a_sentence(void **state)
{
    char *dir = rf_run_dir(), err[1024] = "", path[4096], *md;
    (void)state;
    assert_int_equal(ab_report_write(dir, NULL, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/report.md", dir);
    md = tsupport_read_file(path, NULL);
    assert_has(md, "Chart 10 (store sweeps) is left out: the run has no store-sweep cell");
    assert_null(strstr(md, "Through a store outage"));
    assert_null(strstr(md, "Sessions at scale"));
    done(md, dir);
}

static void sessions_at_scale_should_show_bytes_per_session_and_a_labelled_projection(void **state)
{
    char *dir, *md = report_of(NULL, &dir);
    rc_table t;
    char **pg;
    (void)state;
    assert_int_equal(rc_table_read(md, "| cell | store | live sessions |", &t), 3);
    pg = row_of(&t, "session-postgres-sweep-s1");
    assert_string_equal(pg[2], "**100000**");
    assert_string_equal(pg[3], "**412 B**");
    assert_has(pg[4], "**41200000 B**"); /* 412 B × 100,000 sessions */
    assert_has(pg[4], "projection");
    rc_table_free(&t);
    assert_has(md, "The last column is a projection, not a measurement");
    done(md, dir);
}

static void every_new_figure_should_trace_to_results_json(void **state)
{
    char *dir, *md = report_of(rf_add_pushed_variants, &dir), why[1400];
    cJSON *results = rc_json(dir, "results.json");
    int n;
    (void)state;
    n = rc_check_figures(md, results, NULL, why, sizeof why);
    if (n < 0)
        fail_msg("%s", why);
    assert_true(n > 60);
    cJSON_Delete(results);
    done(md, dir);
}

/* The first source cell of an option. */
static const char *source_of(const cJSON *o)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(o, "source_cells"), 0)->valuestring;
}

static void pushed_denylists_over_other_stores_should_be_options_of_their_own(void **state)
{
    char *dir, *md = report_of(rf_add_pushed_variants, &dir);
    cJSON *d = rc_json(dir, "decision.json");
    const cJSON *redis = option(d, "jwt_pushed_denylist"), *pg = option(d, "jwt_pushed_denylist_postgres");
    const cJSON *mc = option(d, "jwt_pushed_denylist_memcached"), *dl = option(d, "jwt_denylist_postgres");
    (void)state;
    assert_string_equal(source_of(redis), "jwt-pushed-denylist-es256-redis-d250us-dep-s1");
    assert_string_equal(source_of(pg), "jwt-pushed-denylist-es256-postgres-d250us-dep-s1");
    assert_string_equal(source_of(mc), "jwt-pushed-denylist-es256-memcached-sync-ms-100-d250us-dep-s1");
    assert_string_equal(source_of(dl), "jwt-denylist-es256-postgres-d250us-dep-s1");
    assert_string_equal(source_of(option(d, "jwt_denylist")), "jwt-denylist-es256-redis-d250us-dep-s1"); /* Redis's own */
    assert_string_equal(cJSON_GetObjectItem(redis, "revocation_channel")->valuestring, "pubsub");
    assert_string_equal(cJSON_GetObjectItem(pg, "revocation_channel")->valuestring, "notify");
    assert_string_equal(cJSON_GetObjectItem(mc, "revocation_channel")->valuestring, "poll");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(pg, "sync_ms")));
    assert_true(cJSON_GetObjectItem(mc, "sync_ms")->valuedouble == 100);
    /* a poll's bound by construction (100 ms) is above its probed max (98 ms); notify's is the probe */
    assert_true(fabs(cJSON_GetObjectItem(mc, "revocation_delay_s")->valuedouble - 0.1) < 1e-9);
    assert_string_equal(cJSON_GetObjectItem(mc, "revocation_delay_from")->valuestring, "by construction");
    assert_true(fabs(cJSON_GetObjectItem(pg, "revocation_delay_s")->valuedouble - 0.0021) < 1e-9);
    assert_string_equal(cJSON_GetObjectItem(pg, "revocation_delay_from")->valuestring, "measured");
    assert_null(cJSON_GetObjectItem(dl, "revocation_channel")); /* not a pushed option */
    /* where the revocation bound is explained: the channel and the poll period */
    assert_has(md, "Revocation: pushed over `poll`, every **100** ms");
    assert_has(md, "Revocation: pushed over `notify` (PostgreSQL LISTEN/NOTIFY");
    assert_has(md, "against a stated bound of **102 ms**");
    assert_has(md, "Bad: **2** revocations were lost in the window"); /* the poll's log gaps */
    assert_has(md, "JWT plus a denylist pushed to every server through Memcached (polled) (`jwt_pushed_denylist_memcached`)");
    cJSON_Delete(d);
    done(md, dir);
}

static void decision_json_should_carry_each_option_s_outage(void **state)
{
    char *dir, *md = report_of(NULL, &dir);
    cJSON *d = rc_json(dir, "decision.json");
    const cJSON *pushed, *open, *closed, *cache;
    (void)state;
    pushed = outage_of(d, "jwt_pushed_denylist", 0);
    assert_string_equal(cJSON_GetObjectItem(pushed, "cell")->valuestring, "jwt-pushed-denylist-es256-redis-outage-s1");
    assert_string_equal(cJSON_GetObjectItem(pushed, "revocations")->valuestring, "measured");
    assert_true(num(pushed, "goodput_per_sec") == 1250 && num(pushed, "offered_per_sec") == 1250);
    assert_true(num(pushed, "missed") == 0 && num(pushed, "breaks") == 5);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(pushed, "caught_up")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(pushed, "store_returned")));
    closed = outage_of(d, "jwt_denylist", 0);
    open = outage_of(d, "jwt_denylist", 1);
    assert_string_equal(cJSON_GetObjectItem(closed, "revocations")->valuestring, "none_missed");
    assert_true(num(closed, "goodput_per_sec") == 0 && isnan(num(closed, "unchecked_requests")));
    assert_string_equal(cJSON_GetObjectItem(open, "revocations")->valuestring, "all_missed");
    assert_true(fabs(num(open, "unchecked_requests") - 50000) < 1e-6 && fabs(num(open, "outage_s") - 7.9999) < 1e-9);
    cache = outage_of(d, "jwt_verified_cache", 0); /* evidence even for an option without a deployment cell */
    assert_string_equal(cJSON_GetObjectItem(cache, "revocations")->valuestring, "never_checked");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(cache, "caught_up")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(option(d, "session_postgres"), "store_outage")), 0);
    cJSON_Delete(d);
    done(md, dir);
}

static void store_failure_cells_should_not_change_the_decision(void **state)
{
    char *dir, *md = report_of(NULL, &dir);
    cJSON *d = rc_json(dir, "decision.json");
    (void)state;
    assert_string_equal(cJSON_GetObjectItem(d, "verdict")->valuestring, "jwt_stateless");
    assert_string_equal(source_of(option(d, "session_shared_store")), "session-redis-d250us-dep-s1");
    assert_string_equal(cJSON_GetObjectItem(option(d, "session_postgres"), "out")->valuestring,
                        "not measured: the run has no successful cell for it"); /* a sweep cell is no estimate */
    cJSON_Delete(d);
    done(md, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_outage_table_should_say_per_mechanism_goodput_and_revocations_missed),
        cmocka_unit_test(a_pushed_denylist_whose_store_returns_should_say_it_caught_up),
        cmocka_unit_test(missing_pushed_counters_should_read_not_measured),
        cmocka_unit_test(the_options_should_take_their_outage_evidence_in_their_own_algorithm),
        cmocka_unit_test(a_store_sweep_should_be_a_table_row_and_a_chart_with_the_sweep_marked),
        cmocka_unit_test(a_run_without_store_sweeps_should_leave_chart_10_out_with_a_sentence),
        cmocka_unit_test(sessions_at_scale_should_show_bytes_per_session_and_a_labelled_projection),
        cmocka_unit_test(every_new_figure_should_trace_to_results_json),
        cmocka_unit_test(pushed_denylists_over_other_stores_should_be_options_of_their_own),
        cmocka_unit_test(decision_json_should_carry_each_option_s_outage),
        cmocka_unit_test(store_failure_cells_should_not_change_the_decision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

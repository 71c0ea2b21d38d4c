/* test_merge_hist.c — `authbench merge` of load files is exact: one recorded set of latency samples
 * split into two shards' documents (the real document of an `authbench load --shard` run, refilled)
 * merges into exactly the histogram, percentiles and per-second series of all samples recorded
 * into one histogram; averaging the shards' percentiles would not. Runs of different loads, a shard
 * given twice, interrupted runs and bad usage are refused. */
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
#include "merge_testutil.h"
#include "test_load_util.h"
#include "tsupport.h"

#define N_SAMPLES 40000

static char *dir;          /* the test's temporary directory */
static cJSON *template_doc; /* a real `authbench load --shard 1/2 --json` document */

/* Runs one short open-loop shard against `authbench serve --mechanism none` for the template. */
static int group_setup(void **state)
{
    tsupport_proc serve;
    char target[64], path[600];
    const char *args[] = {"load", "--targets", target, "--rate", "400", "--connections", "2", "--threads", "1",
                          "--users", "100", "--duration", "2", "--warmup", "0.2", "--shard", "1/2",
                          "--no-progress", "--json", path, NULL};
    int rc;
    (void)state;
    if ((dir = tsupport_tmpdir("merge")) == NULL || tload_serve_start(&serve, "none", target, sizeof target) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/template.json", dir);
    rc = tm_authbench(args, NULL, NULL);
    tsupport_proc_stop(&serve);
    if (rc != 0)
        return -1;
    template_doc = tm_read_json(path);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    cJSON_Delete(template_doc);
    tsupport_rmtree(dir);
    free(dir);
    return 0;
}

/* A histogram like the one encoded at text (same range and precision). */
static ab_hist *hist_like(const char *text)
{
    unsigned long long highest = 0;
    int sigfigs = 0;
    assert_int_equal(sscanf(text, "abh1 %llu %d", &highest, &sigfigs), 2);
    return ab_hist_new(highest, sigfigs);
}

/* Replaces (or adds) a string member. */
static void set_str(cJSON *o, const char *key, const char *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddStringToObject(o, key, v);
}

/* Replaces (or adds) a number member. */
static void set_num(cJSON *o, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cJSON_AddNumberToObject(o, key, v);
}

/* Replaces the encoded histogram key of o with h's encoding. */
static void set_hist(cJSON *o, const char *key, const ab_hist *h)
{
    char *enc = ab_hist_encode(h);
    assert_non_null(enc);
    set_str(o, key, enc);
    free(enc);
}

/* One shard's samples: the whole window's histograms and one per second. */
typedef struct shard_samples {
    ab_hist *lat, *unc, **secs;
    size_t nsecs;
} shard_samples;

static void samples_init(shard_samples *s, const cJSON *doc)
{
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(doc, "timeseries");
    const char *sec0 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, 0), "latency_ns"));
    size_t i;
    s->lat = hist_like(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "histograms"), "latency_ns")));
    s->unc = hist_like(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "histograms"), "latency_ns")));
    s->nsecs = (size_t)cJSON_GetArraySize(series);
    s->secs = calloc(s->nsecs, sizeof *s->secs);
    assert_true(s->nsecs >= 2 && s->secs != NULL && sec0 != NULL);
    for (i = 0; i < s->nsecs; i++)
        assert_non_null(s->secs[i] = hist_like(sec0));
}

static void samples_free(shard_samples *s)
{
    size_t i;
    ab_hist_free(s->lat);
    ab_hist_free(s->unc);
    for (i = 0; i < s->nsecs; i++)
        ab_hist_free(s->secs[i]);
    free(s->secs);
}

/* Records sample i (value v ns) into s: the window, its second, and v / 3 as the uncorrected. */
static void samples_record(shard_samples *s, size_t i, uint64_t v)
{
    ab_hist_record(s->lat, v);
    ab_hist_record(s->unc, v / 3 + 1);
    ab_hist_record(s->secs[i % s->nsecs], v);
}

/* splitmix64 in [0, 1). */
static double rand01(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

/* The template refilled with shard s's samples as shard index of 2 (users [50(index-1), 50 index)). */
static cJSON *shard_doc(const shard_samples *s, int index)
{
    cJSON *doc = cJSON_Duplicate(template_doc, 1), *row;
    cJSON *shard = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "config"), "shard");
    uint64_t n = ab_hist_count(s->lat);
    size_t i = 0;
    set_hist(cJSON_GetObjectItemCaseSensitive(doc, "histograms"), "latency_ns", s->lat);
    set_hist(cJSON_GetObjectItemCaseSensitive(doc, "histograms"), "latency_uncorrected_ns", s->unc);
    set_num(doc, "requests", (double)n);
    set_num(doc, "ok", (double)n);
    set_num(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "by_op"), "request"), "count", (double)n);
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(doc, "timeseries")) {
        set_hist(row, "latency_ns", s->secs[i]);
        set_num(row, "requests", (double)ab_hist_count(s->secs[i++]));
    }
    set_num(shard, "index", index);
    set_num(shard, "users_first", 50.0 * (index - 1));
    return doc;
}

/* Asserts a and b have the same buckets with the same counts. */
static void assert_same_hist(const ab_hist *a, const ab_hist *b)
{
    size_t ca = 0, cb = 0;
    uint64_t va, na, vb, nb;
    int more;
    assert_int_equal(ab_hist_count(a), ab_hist_count(b));
    while ((more = ab_hist_next(a, &ca, &va, &na)) != 0) {
        assert_int_equal(ab_hist_next(b, &cb, &vb, &nb), 1);
        assert_int_equal(va, vb);
        assert_int_equal(na, nb);
    }
    assert_int_equal(ab_hist_next(b, &cb, &vb, &nb), 0);
}

/* Merges docs a and b (written as a.json and b.json) into out; returns the merged load.json. */
static cJSON *merge_two(const cJSON *a, const cJSON *b, const char *out)
{
    char pa[600], pb[600], po[600], res[700], *err = NULL;
    const char *args[] = {"merge", pa, pb, "--out", po, NULL};
    cJSON *doc;
    snprintf(pa, sizeof pa, "%s/a.json", dir);
    snprintf(pb, sizeof pb, "%s/b.json", dir);
    snprintf(po, sizeof po, "%s/%s", dir, out);
    tm_write_json(pa, a);
    tm_write_json(pb, b);
    if (tm_authbench(args, NULL, &err) != 0)
        fail_msg("authbench merge failed: %s", err);
    free(err);
    snprintf(res, sizeof res, "%s/load.json", po);
    doc = tm_read_json(res);
    return doc;
}

/* Sorts doubles ascending (qsort). */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Checks the merged document against the histograms of all samples. */
static void check_merged(const cJSON *m, const shard_samples *all)
{
    static const struct { const char *key; double p; } ps[] = {
        {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p999", 99.9}, {"p9999", 99.99}};
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(m, "latency_us"), *row;
    ab_hist *h = ab_hist_decode(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "histograms"), "latency_ns")));
    size_t i;
    assert_non_null(h);
    assert_same_hist(h, all->lat);
    for (i = 0; i < sizeof ps / sizeof ps[0]; i++)
        assert_true(tm_num(lat, ps[i].key) == (double)ab_hist_percentile(all->lat, ps[i].p) / 1e3);
    assert_true(tm_num(lat, "max") == (double)ab_hist_max(all->lat) / 1e3);
    assert_true(tm_num(m, "latency_uncorrected_us.p99") == (double)ab_hist_percentile(all->unc, 99) / 1e3);
    assert_true(tm_num(m, "requests") == N_SAMPLES);
    assert_true(fabs(tm_num(m, "requests_per_sec") - N_SAMPLES / tm_num(m, "window_s")) < 1e-6);
    i = 0;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(m, "timeseries")) {
        assert_true(tm_num(row, "requests") == (double)ab_hist_count(all->secs[i]));
        assert_true(tm_num(row, "p99_us") == (double)ab_hist_percentile(all->secs[i++], 99) / 1e3);
    }
    ab_hist_free(h);
}

/* Each merged percentile is within the histogram's precision (3 significant digits) of the exact
 * percentile of the samples. */
static void check_against_samples(const cJSON *m, uint64_t *v, size_t n)
{
    static const double ps[] = {50, 90, 99, 99.9};
    static const char *const keys[] = {"p50", "p90", "p99", "p999"};
    size_t i;
    qsort(v, n, sizeof *v, cmp_u64);
    for (i = 0; i < 4; i++) {
        double exact = (double)v[(size_t)ceil(ps[i] / 100 * (double)n) - 1] / 1e3;
        double got = tm_num(cJSON_GetObjectItemCaseSensitive(m, "latency_us"), keys[i]);
        if (fabs(got - exact) > exact * 2e-3)
            fail_msg("%s: merged %.3f us, exact %.3f us", keys[i], got, exact);
    }
}

static void two_shards_of_one_sample_set_merge_into_its_single_histogram(void **state)
{
    shard_samples a, b, all;
    uint64_t rng = 42, *v = malloc(N_SAMPLES * sizeof *v);
    cJSON *da, *db, *m;
    size_t i;
    double p99a, p99b;
    (void)state;
    assert_non_null(v);
    samples_init(&a, template_doc), samples_init(&b, template_doc), samples_init(&all, template_doc);
    for (i = 0; i < N_SAMPLES; i++) { /* shard a answers fast, shard b slowly: their p99s differ */
        int to_a = rand01(&rng) < 0.5;
        v[i] = (uint64_t)(exp(rand01(&rng) * 3.0) * (to_a ? 80000.0 : 900000.0));
        samples_record(to_a ? &a : &b, i, v[i]);
        samples_record(&all, i, v[i]);
    }
    da = shard_doc(&a, 1), db = shard_doc(&b, 2);
    m = merge_two(da, db, "exact");
    check_merged(m, &all);
    check_against_samples(m, v, N_SAMPLES);
    p99a = (double)ab_hist_percentile(a.lat, 99) / 1e3, p99b = (double)ab_hist_percentile(b.lat, 99) / 1e3;
    assert_true(fabs(tm_num(m, "latency_us.p99") - (p99a + p99b) / 2) > 0.1 * tm_num(m, "latency_us.p99"));
    assert_true(tm_num(m, "config.users") == 100 && tm_num(m, "config.shard.count") == 2);
    cJSON_Delete(da), cJSON_Delete(db), cJSON_Delete(m);
    samples_free(&a), samples_free(&b), samples_free(&all);
    free(v);
}

/* Runs `authbench merge a.json b.json --out DIR/<out>` on docs a and b; asserts the exit status and
 * that stderr holds want on one line. */
static void expect_refused(const cJSON *a, const cJSON *b, const char *out, const char *want)
{
    char pa[600], pb[600], po[600], *err = NULL;
    const char *args[] = {"merge", pa, pb, "--out", po, NULL};
    snprintf(pa, sizeof pa, "%s/ra.json", dir);
    snprintf(pb, sizeof pb, "%s/rb.json", dir);
    snprintf(po, sizeof po, "%s/%s", dir, out);
    tm_write_json(pa, a);
    tm_write_json(pb, b);
    assert_int_equal(tm_authbench(args, NULL, &err), 1);
    if (strstr(err, want) == NULL || tload_lines(err) != 1)
        fail_msg("stderr '%s' does not say '%s' on one line", err, want);
    free(err);
}

static void different_loads_a_shard_twice_and_interrupted_runs_are_refused(void **state)
{
    cJSON *other = cJSON_Duplicate(template_doc, 1), *second = cJSON_Duplicate(template_doc, 1), *bogus;
    (void)state;
    set_num(cJSON_GetObjectItemCaseSensitive(second, "config"), "users", 100);
    set_num(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(second, "config"), "shard"), "index", 2);
    expect_refused(template_doc, template_doc, "twice", "both shard 1 of 2");
    set_str(cJSON_GetObjectItemCaseSensitive(other, "config"), "lb", "sticky");
    set_num(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(other, "config"), "shard"), "index", 2);
    expect_refused(template_doc, other, "other", "did not run the same load");
    cJSON_ReplaceItemInObjectCaseSensitive(second, "interrupted", cJSON_CreateTrue());
    expect_refused(template_doc, second, "cut", "interrupted");
    bogus = cJSON_Parse("{\"schema\": \"something/1\"}");
    expect_refused(template_doc, bogus, "bogus", "not an authbench load --json document");
    cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(second, "timeseries"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(second, "interrupted", cJSON_CreateFalse());
    expect_refused(template_doc, second, "short", "timeseries");
    cJSON_Delete(other), cJSON_Delete(second), cJSON_Delete(bogus);
}

static void bad_usage_exits_2_with_one_line(void **state)
{
    char a[600], missing[600], out[600];
    const char *no_out[] = {"merge", a, a, NULL};
    const char *one[] = {"merge", a, "--out", out, NULL};
    const char *gone[] = {"merge", a, missing, "--out", out, NULL};
    const char *mixed[] = {"merge", a, dir, "--out", out, NULL};
    const char *unknown[] = {"merge", a, a, "--out", out, "--frobnicate", NULL};
    const char *const *cases[] = {no_out, one, gone, mixed, unknown};
    char *err = NULL, *hout = NULL;
    const char *help[] = {"merge", "--help", NULL};
    size_t i;
    (void)state;
    snprintf(a, sizeof a, "%s/template-copy.json", dir);
    snprintf(missing, sizeof missing, "%s/no-such.json", dir);
    snprintf(out, sizeof out, "%s/usage", dir);
    tm_write_json(a, template_doc);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(tm_authbench(cases[i], NULL, &err), 2);
        if (tload_lines(err) != 1 || strncmp(err, "authbench: merge: ", 18) != 0)
            fail_msg("case %zu: stderr '%s' is not one authbench: merge: line", i, err);
        free(err);
    }
    assert_int_equal(tm_authbench(help, &hout, NULL), 0);
    assert_non_null(strstr(hout, "--out DIR"));
    free(hout);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_shards_of_one_sample_set_merge_into_its_single_histogram),
        cmocka_unit_test(different_loads_a_shard_twice_and_interrupted_runs_are_refused),
        cmocka_unit_test(bad_usage_exits_2_with_one_line),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

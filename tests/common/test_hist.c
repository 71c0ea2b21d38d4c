/* test_hist.c — the latency histogram: precision, percentiles (one at a time and the reported table
 * in one call), merging, correction, encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ab_hist.h"

#define HIGHEST 3600000000000ull /* one hour in ns */

static void new_should_refuse_bad_arguments(void **state)
{
    (void)state;
    assert_null(ab_hist_new(HIGHEST, 0));
    assert_null(ab_hist_new(HIGHEST, 6));
    assert_null(ab_hist_new(1, 3));
}

static void values_should_keep_three_significant_digits(void **state)
{
    static const uint64_t values[] = {1, 7, 999, 1000, 1023, 1024, 2047, 2048, 12345, 999999, 123456789,
                                      3599999999999ull};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        ab_hist *h = ab_hist_new(HIGHEST, 3);
        uint64_t got;
        ab_hist_record(h, values[i]);
        got = ab_hist_percentile(h, 50);
        /* reported value is the bucket's highest equivalent, clipped to max: within 0.1% above */
        assert_true(got >= values[i]);
        assert_true((double)(got - values[i]) <= (double)values[i] * 0.001 + 1);
        assert_int_equal(ab_hist_min(h), values[i]);
        assert_int_equal(ab_hist_max(h), values[i]);
        ab_hist_free(h);
    }
}

static void percentiles_should_match_a_uniform_distribution(void **state)
{
    ab_hist *h = ab_hist_new(HIGHEST, 3);
    uint64_t v;
    (void)state;
    for (v = 1; v <= 100000; v++)
        ab_hist_record(h, v);
    assert_int_equal(ab_hist_count(h), 100000);
    assert_in_range(ab_hist_percentile(h, 50), 50000, 50050);
    assert_in_range(ab_hist_percentile(h, 99), 99000, 99100);
    assert_in_range(ab_hist_percentile(h, 99.9), 99900, 100000);
    assert_int_equal(ab_hist_percentile(h, 100), 100000);
    assert_true(ab_hist_mean(h) > 49900 && ab_hist_mean(h) < 50100);
    assert_true(ab_hist_stddev(h) > 28700 && ab_hist_stddev(h) < 29000);
    ab_hist_free(h);
}

static void percentiles_should_be_ordered(void **state)
{
    ab_hist *h = ab_hist_new(HIGHEST, 3);
    uint64_t x = 88172645463325252ull;
    int i;
    (void)state;
    for (i = 0; i < 200000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        ab_hist_record(h, 1000 + x % 10000000);
    }
    assert_true(ab_hist_percentile(h, 50) <= ab_hist_percentile(h, 90));
    assert_true(ab_hist_percentile(h, 90) <= ab_hist_percentile(h, 99));
    assert_true(ab_hist_percentile(h, 99) <= ab_hist_percentile(h, 99.9));
    assert_true(ab_hist_percentile(h, 99.9) <= ab_hist_percentile(h, 99.99));
    assert_true(ab_hist_percentile(h, 99.99) <= ab_hist_max(h));
    ab_hist_free(h);
}

static void merge_should_equal_recording_into_one(void **state)
{
    ab_hist *a = ab_hist_new(HIGHEST, 3), *b = ab_hist_new(HIGHEST, 3), *all = ab_hist_new(HIGHEST, 3);
    ab_hist *other = ab_hist_new(HIGHEST, 2);
    uint64_t v;
    double p;
    (void)state;
    for (v = 1; v < 50000; v++) {
        ab_hist_record(v % 2 ? a : b, v * 37);
        ab_hist_record(all, v * 37);
    }
    assert_int_equal(ab_hist_merge(a, b), 0);
    assert_int_equal(ab_hist_count(a), ab_hist_count(all));
    for (p = 1; p < 100; p += 7.5)
        assert_int_equal(ab_hist_percentile(a, p), ab_hist_percentile(all, p));
    assert_int_equal(ab_hist_min(a), ab_hist_min(all));
    assert_int_equal(ab_hist_max(a), ab_hist_max(all));
    assert_int_equal(ab_hist_merge(a, other), -1);
    ab_hist_free(a); ab_hist_free(b); ab_hist_free(all); ab_hist_free(other);
}

static void corrected_record_should_fill_the_stall(void **state)
{
    ab_hist *h = ab_hist_new(HIGHEST, 3);
    int i;
    (void)state;
    for (i = 0; i < 1000; i++)
        ab_hist_record_corrected(h, 100, 1000);
    ab_hist_record_corrected(h, 100000, 1000); /* a 100 ms stall at 1 request per µs-unit 1000 */
    assert_int_equal(ab_hist_count(h), 1000 + 100);
    assert_true(ab_hist_percentile(h, 99) > 1000);
    ab_hist_free(h);
}

static void values_above_highest_should_be_clamped_and_counted(void **state)
{
    ab_hist *h = ab_hist_new(1000000, 3);
    (void)state;
    ab_hist_record(h, 5000000);
    assert_int_equal(ab_hist_clamped(h), 1);
    assert_int_equal(ab_hist_max(h), 1000000);
    ab_hist_free(h);
}

static void encode_decode_should_round_trip(void **state)
{
    ab_hist *h = ab_hist_new(HIGHEST, 3), *d;
    char *text;
    uint64_t v;
    (void)state;
    for (v = 1; v < 100000; v += 13)
        ab_hist_record(h, v * v);
    text = ab_hist_encode(h);
    assert_non_null(text);
    d = ab_hist_decode(text);
    assert_non_null(d);
    assert_int_equal(ab_hist_count(d), ab_hist_count(h));
    assert_int_equal(ab_hist_min(d), ab_hist_min(h));
    assert_int_equal(ab_hist_max(d), ab_hist_max(h));
    assert_int_equal(ab_hist_percentile(d, 99.9), ab_hist_percentile(h, 99.9));
    free(text);
    ab_hist_free(d);
    ab_hist_free(h);
}

static void decode_should_reject_malformed_text(void **state)
{
    static const char *const bad[] = {"", "abh2 1000 3 0 0 0", "abh1 1000 3 0 0", "abh1 1000 9 0 0 0",
                                      "abh1 1000 3 0 0 0 5", "abh1 1000 3 0 0 0 99999999:1",
                                      "abh1 1000 3 5 1 0 3:1", "abh1 1000 3 0 0 0 3:x", "abh1 1000 3 0 0 0 3:1 junk"};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(ab_hist_decode(bad[i]));
}

static void next_should_visit_buckets_in_order(void **state)
{
    ab_hist *h = ab_hist_new(HIGHEST, 3);
    size_t cur = 0;
    uint64_t v, c, last = 0, total = 0;
    (void)state;
    ab_hist_record_n(h, 5, 3);
    ab_hist_record_n(h, 500000, 2);
    ab_hist_record(h, 42);
    while (ab_hist_next(h, &cur, &v, &c)) {
        assert_true(v > last);
        last = v;
        total += c;
    }
    assert_int_equal(total, 6);
    ab_hist_free(h);
}

static void the_percentile_table_should_be_p50_to_p9999_then_max(void **state)
{
    static const char *const keys[] = {"p50", "p90", "p99", "p999", "p9999", "max"};
    static const double pcts[] = {50, 90, 99, 99.9, 99.99, 100};
    size_t i;
    (void)state;
    assert_int_equal(AB_HIST_NPCT, 6);
    for (i = 0; i < AB_HIST_NPCT; i++) {
        assert_string_equal(ab_hist_pct_keys[i], keys[i]);
        assert_true(ab_hist_pcts[i] == pcts[i]);
    }
    assert_string_equal(ab_hist_pct_keys[AB_HIST_P999], "p999");
}

/* Checks the one-call table against one ab_hist_percentile call per entry. */
static void check_table(const ab_hist *h)
{
    uint64_t got[AB_HIST_NPCT];
    size_t i;
    ab_hist_percentiles(h, got);
    for (i = 0; i < AB_HIST_NPCT; i++)
        assert_int_equal(got[i], ab_hist_percentile(h, ab_hist_pcts[i]));
    assert_int_equal(got[AB_HIST_MAX], ab_hist_max(h));
}

static void percentiles_in_one_call_should_equal_one_call_each(void **state)
{
    ab_hist *h = ab_hist_new(HIGHEST, 3);
    uint64_t zero[AB_HIST_NPCT], x = 88172645463325252ull;
    size_t i;
    (void)state;
    ab_hist_percentiles(h, zero);
    for (i = 0; i < AB_HIST_NPCT; i++)
        assert_int_equal(zero[i], 0);
    ab_hist_record(h, 4242);
    check_table(h);
    for (i = 0; i < 100000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* a long tail: 1 us .. 1 s */
        ab_hist_record(h, 1000 + (x % 1000) * (x % 1000) * (i % 97 == 0 ? 1000 : 1));
    }
    check_table(h);
    ab_hist_record_n(h, 7, 3);
    check_table(h);
    ab_hist_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_should_refuse_bad_arguments),
        cmocka_unit_test(values_should_keep_three_significant_digits),
        cmocka_unit_test(percentiles_should_match_a_uniform_distribution),
        cmocka_unit_test(percentiles_should_be_ordered),
        cmocka_unit_test(merge_should_equal_recording_into_one),
        cmocka_unit_test(corrected_record_should_fill_the_stall),
        cmocka_unit_test(values_above_highest_should_be_clamped_and_counted),
        cmocka_unit_test(encode_decode_should_round_trip),
        cmocka_unit_test(decode_should_reject_malformed_text),
        cmocka_unit_test(next_should_visit_buckets_in_order),
        cmocka_unit_test(the_percentile_table_should_be_p50_to_p9999_then_max),
        cmocka_unit_test(percentiles_in_one_call_should_equal_one_call_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_rng.c — the one PRNG: the same stream for the same seed (and the load's seeds keep their
 * meaning: the values splitmix64 is known for), ranges, and a uniform spread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ab_rng.h"

static void the_same_seed_should_give_the_same_stream(void **state)
{
    ab_rng a, b, c;
    size_t i, differ = 0;
    (void)state;
    ab_rng_seed(&a, 42);
    ab_rng_seed(&b, 42);
    ab_rng_seed(&c, 43);
    for (i = 0; i < 1000; i++) {
        uint64_t x = ab_rng_next(&a), z = ab_rng_next(&c);
        assert_int_equal(x, ab_rng_next(&b));
        differ += x != z;
    }
    assert_int_equal(differ, 1000);
}

static void streams_should_be_splitmix64s(void **state)
{
    /* the reference splitmix64 outputs for seed 0 (as the load generator has always drawn them) */
    static const uint64_t from_zero[] = {0xE220A8397B1DCDAFull, 0x6E789E6AA1B965F4ull, 0x06C45D188009454Full};
    ab_rng r;
    size_t i;
    (void)state;
    ab_rng_seed(&r, 0);
    for (i = 0; i < 3; i++)
        assert_int_equal(ab_rng_next(&r), from_zero[i]);
}

static void doubles_and_bounded_draws_should_stay_in_range(void **state)
{
    ab_rng r;
    size_t i;
    (void)state;
    ab_rng_seed(&r, 7);
    for (i = 0; i < 100000; i++) {
        double u = ab_rng_double(&r);
        assert_true(u >= 0.0 && u < 1.0);
        assert_true(ab_rng_below(&r, 3) < 3);
        assert_int_equal(ab_rng_below(&r, 1), 0);
    }
    assert_int_equal(ab_rng_below(&r, 0), 0);
}

static void draws_should_spread_evenly(void **state)
{
    enum { BINS = 10, N = 200000 };
    unsigned hist[BINS] = {0}, dhist[BINS] = {0};
    double chi = 0, dchi = 0, expect = (double)N / BINS;
    ab_rng r;
    size_t i;
    (void)state;
    ab_rng_seed(&r, 12345);
    for (i = 0; i < N; i++) {
        hist[ab_rng_below(&r, BINS)]++;
        dhist[(size_t)(ab_rng_double(&r) * BINS)]++;
    }
    for (i = 0; i < BINS; i++) {
        chi += (hist[i] - expect) * (hist[i] - expect) / expect;
        dchi += (dhist[i] - expect) * (dhist[i] - expect) / expect;
    }
    /* chi-square with 9 degrees of freedom: above 27.9 one time in a thousand */
    assert_true(chi < 27.9);
    assert_true(dchi < 27.9);
}

static void bits_should_be_balanced(void **state)
{
    unsigned ones[64] = {0};
    ab_rng r;
    size_t i, b;
    (void)state;
    ab_rng_seed(&r, 99);
    for (i = 0; i < 20000; i++) {
        uint64_t x = ab_rng_next(&r);
        for (b = 0; b < 64; b++)
            ones[b] += (unsigned)(x >> b) & 1u;
    }
    for (b = 0; b < 64; b++) /* 10000 +- 5 standard deviations (70.7) */
        assert_in_range(ones[b], 10000 - 354, 10000 + 354);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_same_seed_should_give_the_same_stream),
        cmocka_unit_test(streams_should_be_splitmix64s),
        cmocka_unit_test(doubles_and_bounded_draws_should_stay_in_range),
        cmocka_unit_test(draws_should_spread_evenly),
        cmocka_unit_test(bits_should_be_balanced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

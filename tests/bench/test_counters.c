/* test_counters.c — the counter lists: add and diff of the store's and the mechanism's counters
 * reach every field of their structs, whatever the lists hold; the file store times its fsyncs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "ab_mech.h"
#include "sstore.h"
#include "tsupport.h"

_Static_assert(sizeof(sstore_counters) % sizeof(uint64_t) == 0, "store counters are uint64_t");
_Static_assert(sizeof(ab_mech_counters) % sizeof(uint64_t) == 0, "mechanism counters are uint64_t");

/* Fills n words of p with base, base + 1, … (every field a different value). */
static void fill_words(void *p, size_t n, uint64_t base)
{
    uint64_t w;
    size_t i;
    for (i = 0; i < n; i++) {
        w = base + i;
        memcpy((char *)p + i * sizeof w, &w, sizeof w);
    }
}

/* The word i of p. */
static uint64_t word_at(const void *p, size_t i)
{
    uint64_t w;
    memcpy(&w, (const char *)p + i * sizeof w, sizeof w);
    return w;
}

static void store_counters_diff_and_add_should_reach_every_field(void **state)
{
    const size_t n = sizeof(sstore_counters) / sizeof(uint64_t);
    sstore_counters a, b, d;
    size_t i;
    (void)state;
    assert_int_equal(n, SSTORE_NCOUNTERS);
    fill_words(&a, n, 100);
    fill_words(&b, n, 1000);
    sstore_counters_diff(&a, &b, &d);
    for (i = 0; i < n; i++)
        assert_int_equal(word_at(&d, i), 900);
    sstore_counters_add(&a, &d);
    assert_memory_equal(&a, &b, sizeof a);
}

static void store_counters_diff_should_allow_the_output_to_be_an_input(void **state)
{
    sstore_counters a, b;
    size_t i;
    (void)state;
    fill_words(&a, SSTORE_NCOUNTERS, 5);
    fill_words(&b, SSTORE_NCOUNTERS, 7);
    sstore_counters_diff(&a, &b, &b);
    for (i = 0; i < SSTORE_NCOUNTERS; i++)
        assert_int_equal(word_at(&b, i), 2);
}

static void mechanism_counters_add_should_reach_every_field(void **state)
{
    const size_t n = sizeof(ab_mech_counters) / sizeof(uint64_t);
    ab_mech_counters acc, x;
    size_t i;
    (void)state;
    fill_words(&acc, n, 1);
    fill_words(&x, n, 1u << 20);
    ab_mech_counters_add(&acc, &x);
    for (i = 0; i < n; i++)
        assert_int_equal(word_at(&acc, i), 1 + (1u << 20) + 2 * i);
}

/* The store counters of one create in a file store with fsync set to mode. */
static sstore_counters one_file_create(const char *dir, const char *mode)
{
    char uri[512], id[SSTORE_ID_LEN + 1];
    sstore *st;
    sstore_conn *c;
    sstore_counters n;
    snprintf(uri, sizeof uri, "file://%s?fsync=%s", dir, mode);
    st = sstore_open(uri);
    assert_non_null(st);
    assert_int_equal(sstore_err(st), SSTORE_OK);
    c = sstore_connect(st);
    assert_non_null(c);
    assert_int_equal(sstore_create(c, "{\"sub\":\"ann\"}", 13, 60, id), SSTORE_OK);
    sstore_conn_counters(c, &n);
    sstore_conn_free(c);
    sstore_close(st);
    return n;
}

static void file_store_should_time_its_fsyncs_and_only_them(void **state)
{
    char *dir = tsupport_tmpdir("counters");
    sstore_counters always, never;
    (void)state;
    assert_non_null(dir);
    always = one_file_create(dir, "always");
    never = one_file_create(dir, "never");
    tsupport_rmtree(dir);
    free(dir);
    assert_int_equal(always.fsyncs, 2); /* the file, then its folder */
    assert_true(always.fsync_ns > 0);
    assert_true(always.fsync_ns < 10000000000ull);
    assert_int_equal(never.fsyncs, 0);
    assert_int_equal(never.fsync_ns, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(store_counters_diff_and_add_should_reach_every_field),
        cmocka_unit_test(store_counters_diff_should_allow_the_output_to_be_an_input),
        cmocka_unit_test(mechanism_counters_add_should_reach_every_field),
        cmocka_unit_test(file_store_should_time_its_fsyncs_and_only_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

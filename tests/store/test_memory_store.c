/* test_memory_store.c — the memory store's bounds (refusal when full), its sweeper, its isolation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_test.h"

static void a_full_store_refuses_new_sessions_and_keeps_the_old(void **state)
{
    sstore *s = st_open_ok("memory://?max=3&ttl_sweep_ms=0");
    sstore_conn *c = st_conn_ok(s);
    char claims[128], ids[4][SSTORE_ID_LEN + 1];
    size_t len = st_claims(claims, sizeof claims, "kim", 0);
    sstore_session sess;
    int i;
    (void)state;
    for (i = 0; i < 3; i++)
        assert_int_equal(sstore_create(c, claims, len, 60, ids[i]), SSTORE_OK);
    assert_int_equal(sstore_create(c, claims, len, 60, ids[3]), SSTORE_ERR_FULL);
    assert_non_null(strstr(sstore_conn_errstr(c), "max=3"));
    assert_int_equal(sstore_put(c, "extra", claims, len, 60), SSTORE_ERR_FULL);
    for (i = 0; i < 3; i++)
        assert_int_equal(sstore_get(c, ids[i], &sess), SSTORE_OK); /* refusal, not eviction */
    assert_int_equal(sstore_delete(c, ids[0]), SSTORE_OK);
    assert_int_equal(sstore_create(c, claims, len, 60, ids[3]), SSTORE_OK);
    sstore_conn_free(c);
    sstore_close(s);
}

static void the_byte_bound_counts_claims_and_refuses_past_it(void **state)
{
    sstore *s = st_open_ok("memory://?max_bytes=4096&ttl_sweep_ms=0");
    sstore_conn *c = st_conn_ok(s);
    char claims[1200], id[SSTORE_ID_LEN + 1];
    size_t len = st_claims(claims, sizeof claims, "lee", 1000);
    int i, st = SSTORE_OK;
    (void)state;
    for (i = 0; i < 10 && st == SSTORE_OK; i++)
        st = sstore_create(c, claims, len, 60, id);
    assert_int_equal(st, SSTORE_ERR_FULL);
    assert_in_range(i, 4, 4); /* three 1 KB sessions fit in 4 KiB with their overhead, the fourth does not */
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_OK); /* a small one still fits */
    sstore_conn_free(c);
    sstore_close(s);
}

static void expired_sessions_hold_their_slot_until_swept(void **state)
{
    sstore *s = st_open_ok("memory://?max=2&ttl_sweep_ms=0");
    sstore_conn *c = st_conn_ok(s);
    char id[SSTORE_ID_LEN + 1];
    (void)state;
    assert_int_equal(sstore_create(c, "{}", 2, 1, id), SSTORE_OK);
    assert_int_equal(sstore_create(c, "{}", 2, 1, id), SSTORE_OK);
    st_sleep_ms(1100);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_ERR_FULL);
    assert_int_equal(sstore_sweep(c), 2);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_OK);
    assert_int_equal(sstore_sweep(c), 0);
    sstore_conn_free(c);
    sstore_close(s);
}

static void the_sweeper_thread_frees_expired_slots_by_itself(void **state)
{
    sstore *s = st_open_ok("memory://?max=2&ttl_sweep_ms=50");
    sstore_conn *c = st_conn_ok(s);
    char id[SSTORE_ID_LEN + 1];
    (void)state;
    assert_int_equal(sstore_create(c, "{}", 2, 1, id), SSTORE_OK);
    assert_int_equal(sstore_create(c, "{}", 2, 1, id), SSTORE_OK);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_ERR_FULL);
    st_sleep_ms(1300);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_OK);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_OK);
    sstore_conn_free(c);
    sstore_close(s); /* joins the sweeper */
}

static void two_memory_stores_are_separate_tables(void **state)
{
    sstore *a = st_open_ok("memory://"), *b = st_open_ok("memory://");
    sstore_conn *ca = st_conn_ok(a), *cb = st_conn_ok(b), *ca2 = st_conn_ok(a);
    char id[SSTORE_ID_LEN + 1];
    sstore_session sess;
    (void)state;
    assert_int_equal(sstore_create(ca, "{\"sub\":\"a\"}", 11, 60, id), SSTORE_OK);
    assert_int_equal(sstore_get(cb, id, &sess), SSTORE_NOT_FOUND);
    assert_int_equal(sstore_get(ca2, id, &sess), SSTORE_OK); /* connections of one store share it */
    sstore_conn_free(ca);
    sstore_conn_free(ca2);
    sstore_conn_free(cb);
    sstore_close(a);
    sstore_close(b);
}

static void many_sessions_grow_the_table_and_stay_reachable(void **state)
{
    enum { N = 20000 };
    static char ids[N][SSTORE_ID_LEN + 1];
    sstore *s = st_open_ok("memory://?ttl_sweep_ms=0");
    sstore_conn *c = st_conn_ok(s);
    sstore_session sess;
    int i;
    (void)state;
    for (i = 0; i < N; i++)
        assert_int_equal(sstore_create(c, "{\"n\":1}", 7, 60, ids[i]), SSTORE_OK);
    for (i = 0; i < N; i++)
        assert_int_equal(sstore_get(c, ids[i], &sess), SSTORE_OK);
    for (i = 0; i < N; i += 2)
        assert_int_equal(sstore_delete(c, ids[i]), SSTORE_OK);
    for (i = 0; i < N; i++)
        assert_int_equal(sstore_get(c, ids[i], &sess), i % 2 ? SSTORE_OK : SSTORE_NOT_FOUND);
    sstore_conn_free(c);
    sstore_close(s); /* frees the rest (ASan checks) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_full_store_refuses_new_sessions_and_keeps_the_old),
        cmocka_unit_test(the_byte_bound_counts_claims_and_refuses_past_it),
        cmocka_unit_test(expired_sessions_hold_their_slot_until_swept),
        cmocka_unit_test(the_sweeper_thread_frees_expired_slots_by_itself),
        cmocka_unit_test(two_memory_stores_are_separate_tables),
        cmocka_unit_test(many_sessions_grow_the_table_and_stay_reachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

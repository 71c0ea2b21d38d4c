/* test_ids_uris.c — session ids, statuses, counters arithmetic, and URI errors of the session stores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_test.h"
#include "tsupport.h"

#define MANY_IDS 100000

static void a_new_id_is_22_base64url_characters(void **state)
{
    char id[SSTORE_ID_LEN + 1];
    (void)state;
    assert_int_equal(SSTORE_ID_BYTES * 8, 128);
    assert_int_equal(sstore_id_new(id), SSTORE_OK);
    assert_int_equal(strlen(id), 22);
    assert_int_equal(strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 22);
    assert_true(sstore_id_valid(id));
}

static void a_hundred_thousand_ids_never_collide(void **state)
{
    char (*ids)[SSTORE_ID_LEN + 1] = malloc(MANY_IDS * sizeof *ids);
    size_t i, last_char_hist[64] = {0};
    (void)state;
    assert_non_null(ids);
    for (i = 0; i < MANY_IDS; i++)
        assert_int_equal(sstore_id_new(ids[i]), SSTORE_OK);
    /* The 22nd character carries the last 2 bits of the 128: only 4 of 64 values may appear. */
    for (i = 0; i < MANY_IDS; i++)
        last_char_hist[strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", ids[i][21]) -
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"]++;
    for (i = 0; i < 64; i++)
        assert_true(i % 16 == 0 ? last_char_hist[i] > MANY_IDS / 8 : last_char_hist[i] == 0);
    st_assert_unique(ids, MANY_IDS);
    free(ids);
}

static void id_validity_follows_length_and_alphabet(void **state)
{
    char longest[SSTORE_KEY_MAX + 2];
    (void)state;
    memset(longest, 'a', sizeof longest);
    longest[SSTORE_KEY_MAX] = '\0';
    assert_true(sstore_id_valid(longest));
    longest[SSTORE_KEY_MAX] = 'a';
    longest[SSTORE_KEY_MAX + 1] = '\0';
    assert_false(sstore_id_valid(longest));
    assert_true(sstore_id_valid("a"));
    assert_true(sstore_id_valid("jti-123_ABC"));
    assert_false(sstore_id_valid(""));
    assert_false(sstore_id_valid(NULL));
    assert_false(sstore_id_valid("a/b"));
    assert_false(sstore_id_valid(".."));
    assert_false(sstore_id_valid("a b"));
    assert_false(sstore_id_valid("a=")); /* base64 padding is not base64url */
}

static void status_names_are_stable_short_words(void **state)
{
    (void)state;
    assert_string_equal(sstore_status_name(SSTORE_OK), "ok");
    assert_string_equal(sstore_status_name(SSTORE_NOT_FOUND), "not_found");
    assert_string_equal(sstore_status_name(SSTORE_ERR_TIMEOUT), "timeout");
    assert_string_equal(sstore_status_name(SSTORE_ERR_PROTOCOL), "protocol");
    assert_string_equal(sstore_status_name(SSTORE_STATUS__COUNT), "unknown");
    assert_string_equal(sstore_status_name((sstore_status)-1), "unknown");
}

static void counters_diff_and_add_work_field_by_field(void **state)
{
    sstore_counters a = {0}, b = {0}, d;
    uint64_t v = 1;
    (void)state;
#define SET_(name, figure, desc) a.name = v, b.name = v + 10, v++;
    SSTORE_COUNTERS(SET_)
#undef SET_
    sstore_counters_diff(&a, &b, &d);
#define CHECK_(name, figure, desc) assert_int_equal(d.name, 10);
    SSTORE_COUNTERS(CHECK_)
#undef CHECK_
    sstore_counters_add(&a, &d);
    assert_memory_equal(&a, &b, sizeof a);
}

/* A URI that must be refused, the status and a part of the message. */
typedef struct bad_uri {
    const char *uri;
    int status;
    const char *says;
} bad_uri;

static void malformed_uris_are_refused_with_a_clear_message(void **state)
{
    static const bad_uri cases[] = {
        {"", SSTORE_ERR_ARG, "malformed store URI"},
        {"memory:/", SSTORE_ERR_ARG, "expected scheme://"},
        {"nosuch://x", SSTORE_ERR_ARG, "unknown store scheme 'nosuch://'"},
        {"memory://?max=abc", SSTORE_ERR_ARG, "option max=abc"},
        {"memory://?max=0", SSTORE_ERR_ARG, "option max=0"},
        {"memory://?bogus=1", SSTORE_ERR_ARG, "unknown option 'bogus'"},
        {"memory://?max=1&max=2", SSTORE_ERR_ARG, "given twice"},
        {"memory://?max", SSTORE_ERR_ARG, "expected key=value"},
        {"memory://host", SSTORE_ERR_ARG, "takes no host"},
        {"memory://#x", SSTORE_ERR_ARG, "fragment"},
        {"redis://", SSTORE_ERR_ARG, "needs one host:port"},
        {"redis://a:1,b:2", SSTORE_ERR_ARG, "redis-cluster://"},
        {"redis://127.0.0.1:99999", SSTORE_ERR_ARG, "malformed host:port"},
        {"redis://127.0.0.1:", SSTORE_ERR_ARG, "malformed host:port"},
        {"redis://[::1:6379", SSTORE_ERR_ARG, "malformed host:port"},
        {"redis://127.0.0.1:6379/abc", SSTORE_ERR_ARG, "not a database number"},
        {"redis://127.0.0.1:6379?timeout_ms=0", SSTORE_ERR_ARG, "option timeout_ms=0"},
        {"redis://%zz:pw@127.0.0.1:6379", SSTORE_ERR_ARG, "bad user or password"},
        {"redis://127.0.0.1:6379?prefix=x", SSTORE_ERR_ARG, "unknown option 'prefix'"},
        {"file://", SSTORE_ERR_ARG, "needs a directory"},
        {"file:///", SSTORE_ERR_ARG, "needs a directory"},
        {"file://server/tmp", SSTORE_ERR_ARG, "local absolute path"},
        {"file:///tmp?fsync=sometimes", SSTORE_ERR_ARG, "expected never|always"},
        {"file:///tmp?lock=fcntl", SSTORE_ERR_ARG, "expected none|flock"},
        {"file:///tmp?direct=yes", SSTORE_ERR_ARG, "expected 0|1"},
        {"file:///nonexistent-authbench-dir/x", SSTORE_ERR_IO, "does not exist"},
        {"file:///etc/hostname", SSTORE_ERR_IO, "Not a directory"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sstore *s = sstore_open(cases[i].uri);
        assert_non_null(s);
        if (sstore_err(s) != cases[i].status || strstr(sstore_errstr(s), cases[i].says) == NULL)
            fail_msg("'%s': got %s \"%s\", want %s \"…%s…\"", cases[i].uri, sstore_status_name(sstore_err(s)),
                     sstore_errstr(s), sstore_status_name(cases[i].status), cases[i].says);
        sstore_close(s);
    }
}

static void a_malformed_uri_is_never_echoed_with_its_password(void **state)
{
    static const struct { const char *uri, *says; } cases[] = {
        {"redis:/admin:s3cretpw@127.0.0.1:6379", "'redis:/***@127.0.0.1:6379'"},
        {"redis//s3cretpw@127.0.0.1", "'redis//***@127.0.0.1'"},
        {"1redis://u:s3cretpw@h:1", "'1redis://***@h:1'"},
        {"://s3cretpw@h", "'://***@h'"},
        {"redis://admin:s3cret/pw@127.0.0.1:6379", "'@' after the host"},
        {"redis://admin:s3cret?pw@127.0.0.1:6379", "'@' after the host"},
        {"redis-cluster://u:s3cret/pw@127.0.0.1:7000", "'@' after the host"},
        {"redis://admin:s3cret#pw@127.0.0.1:6379", "'@' after the host"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sstore *s = sstore_open(cases[i].uri);
        assert_non_null(s);
        assert_int_equal(sstore_err(s), SSTORE_ERR_ARG);
        if (strstr(sstore_errstr(s), "s3cret") != NULL || strstr(sstore_errstr(s), cases[i].says) == NULL)
            fail_msg("'%s': \"%s\" (want \"…%s…\" and no password)", cases[i].uri, sstore_errstr(s), cases[i].says);
        sstore_close(s);
    }
}

static void a_store_that_failed_to_open_fails_every_operation_with_its_reason(void **state)
{
    sstore *s = sstore_open("memory://?bogus=1");
    sstore_conn *c = sstore_connect(s);
    sstore_session sess;
    char id[SSTORE_ID_LEN + 1];
    (void)state;
    assert_non_null(c);
    assert_int_equal(sstore_conn_err(c), SSTORE_ERR_ARG);
    assert_non_null(strstr(sstore_conn_errstr(c), "unknown option 'bogus'"));
    assert_int_equal(sstore_get(c, "abc", &sess), SSTORE_ERR_ARG);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_ERR_ARG);
    assert_int_equal(sstore_sweep(c), -1);
    assert_non_null(strstr(sstore_conn_errstr(c), "store not open"));
    sstore_conn_free(c);
    sstore_close(s);
}

static void backends_are_named_and_destructors_accept_null(void **state)
{
    sstore *s = st_open_ok("memory://");
    sstore_conn *c = st_conn_ok(s);
    (void)state;
    assert_string_equal(sstore_backend(s), "memory");
    assert_string_equal(sstore_errstr(s), "");
    assert_string_equal(sstore_conn_errstr(c), "");
    sstore_conn_free(c);
    sstore_close(s);
    sstore_conn_free(NULL);
    sstore_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_id_is_22_base64url_characters),
        cmocka_unit_test(a_hundred_thousand_ids_never_collide),
        cmocka_unit_test(id_validity_follows_length_and_alphabet),
        cmocka_unit_test(status_names_are_stable_short_words),
        cmocka_unit_test(counters_diff_and_add_work_field_by_field),
        cmocka_unit_test(malformed_uris_are_refused_with_a_clear_message),
        cmocka_unit_test(a_malformed_uri_is_never_echoed_with_its_password),
        cmocka_unit_test(a_store_that_failed_to_open_fails_every_operation_with_its_reason),
        cmocka_unit_test(backends_are_named_and_destructors_accept_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_mech_serve.c — the mechanism options through `authbench serve` (either model): a JWT past
 * the 8 KiB header limit logs in but every request carrying it is answered 431, one past the
 * cookie limit only still passes; touch=, l1= and cache= show in /stats as writes, hits and misses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "test_mech_fixture.h"
#include "test_serve_client.h"

/* A server of spec (a printf format; key may be NULL), started or the test fails. */
static tsc_server serve(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static tsc_server serve(const char *key, const char *fmt, ...)
{
    char spec[512];
    tsc_server s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(spec, sizeof spec, fmt, ap);
    va_end(ap);
    if (tsc_server_start(&s, spec, key, NULL) != 0)
        fail_msg("serve %s did not start", spec);
    return s;
}

/* Logs user in on s into cred (cap bytes) and kind, asserting a 200. */
static void login(const tsc_server *s, const char *user, char *cred, size_t cap, char *kind)
{
    assert_int_equal(tsc_login(s->port, user, cred, cap, kind, 16), 200);
}

static void a_jwt_past_the_header_limit_should_log_in_and_be_answered_431(void **state)
{
    static const struct { int claims, status; } cases[] = {{4000, 200}, {7000, 431}};
    char *cred = malloc(16384), kind[16];
    tsc_resp *r = malloc(sizeof *r);
    size_t i;
    (void)state;
    for (i = 0; i < 2; i++) {
        tsc_server s = serve(tmf.ec, "jwt:ES256?claims=%d", cases[i].claims);
        login(&s, "alice", cred, 16384, kind);
        print_message("  claims=%d: %zu-byte token, %s\n", cases[i].claims, strlen(cred), ab_mech_size_note(strlen(cred)));
        assert_true(strlen(cred) > (i ? AB_MECH_HEADER_LIMIT : AB_MECH_COOKIE_LIMIT));
        assert_int_equal(tsc_api(s.port, kind, cred, r), cases[i].status);
        if (cases[i].status == 431)
            assert_non_null(strstr(r->body, "headers_too_large"));
        tsc_server_stop(&s);
    }
    free(r);
    free(cred);
}

/* Three requests with a fresh login on spec's server; /stats after them. */
static void *three_requests(const tsc_server *s)
{
    char cred[4096], kind[16];
    tsc_resp *r = malloc(sizeof *r);
    int i;
    login(s, "bob", cred, sizeof cred, kind);
    for (i = 0; i < 3; i++)
        assert_int_equal(tsc_api(s->port, kind, cred, r), 200);
    free(r);
    return tsc_stats(s->port);
}

static void touch_l1_and_cache_should_show_in_stats(void **state)
{
    tsc_server s;
    void *st;
    (void)state;
    s = serve(NULL, "session:redis://127.0.0.1:%d?touch=always", tmf.redis.port);
    st = three_requests(&s);
    assert_int_equal(tsc_stat(st, "touches"), 3);
    assert_int_equal(tsc_stat(st, "store.ops"), 1 + 3 + 3); /* create, 3 reads, 3 writes */
    cJSON_Delete(st);
    tsc_server_stop(&s);
    s = serve(NULL, "session:redis://127.0.0.1:%d?l1=10s", tmf.redis.port);
    st = three_requests(&s);
    assert_int_equal(tsc_stat(st, "l1_misses"), 1);
    assert_int_equal(tsc_stat(st, "l1_hits"), 2);
    assert_int_equal(tsc_stat(st, "store.ops"), 1 + 1);
    cJSON_Delete(st);
    tsc_server_stop(&s);
    s = serve(tmf.hs, "jwt:HS256?cache=10");
    st = three_requests(&s);
    assert_int_equal(tsc_stat(st, "cache_misses"), 1);
    assert_int_equal(tsc_stat(st, "cache_hits"), 2);
    assert_int_equal(tsc_stat(st, "verifications"), 1);
    cJSON_Delete(st);
    tsc_server_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_jwt_past_the_header_limit_should_log_in_and_be_answered_431),
        cmocka_unit_test(touch_l1_and_cache_should_show_in_stats),
    };
    return cmocka_run_group_tests(tests, tmf_group_setup, tmf_group_teardown);
}

/* test_refresh.c — jwt+refresh: through ab_mech.h (refresh until logout, the access token living on
 * until its exp, bad specs), and through `authbench serve` (POST /refresh, both server models),
 * `authbench load` (refreshes at the rate access tokens expire) and `authbench revocation` (the
 * revocation delay is the access token's remaining lifetime). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "ab_mech.h"
#include "rv_testutil.h"
#include "test_mech_fixture.h"
#include "test_serve_client.h"
#include "tsupport.h"

static char spec[256]; /* access tokens of 2 s */

static int group_setup(void **state)
{
    (void)state;
    if (tmf_setup() != 0)
        return -1;
    snprintf(spec, sizeof spec, "jwt+refresh:ES256,redis://127.0.0.1:%d?access_ttl=2", tmf.redis.port);
    return 0;
}

/* authenticate()'s answer. */
static int check(ab_mech_ctx *c, const char *cred)
{
    ab_mech_principal p;
    return ab_mech_authenticate(c, cred, strlen(cred), &p);
}

static void a_refresh_token_buys_access_tokens_until_logout(void **state)
{
    ab_mech_options o = {tmf.ec, 60};
    ab_mech *m = ab_mech_open(spec, &o);
    ab_mech_ctx *c;
    ab_mech_counters n;
    char cred[2048], fresh[2048], refresh[64];
    size_t len = 0, flen = 0;
    const char *r;
    (void)state;
    if (ab_mech_err(m) != 0)
        fail_msg("%s", ab_mech_errstr(m));
    assert_string_equal(ab_mech_family(m), "jwt+refresh");
    assert_int_equal(ab_mech_can_revoke(m), 0); /* the access token is not withdrawn */
    assert_non_null(c = ab_mech_ctx_new(m));
    assert_int_equal(ab_mech_issue(c, "alice", cred, sizeof cred, &len), AB_MECH_OK);
    assert_non_null(r = ab_mech_refresh_token_of(m, cred, len));
    assert_int_equal(strlen(r), SSTORE_ID_LEN);
    snprintf(refresh, sizeof refresh, "%s", r);
    assert_int_equal(check(c, cred), AB_MECH_OK);
    assert_int_equal(ab_mech_refresh(c, refresh, strlen(refresh), fresh, sizeof fresh, &flen), AB_MECH_OK);
    assert_string_not_equal(fresh, cred);
    assert_int_equal(check(c, fresh), AB_MECH_OK);
    assert_int_equal(ab_mech_refresh(c, "not-a-token", 11, fresh, sizeof fresh, &flen), AB_MECH_MALFORMED);
    assert_int_equal(ab_mech_revoke(c, fresh, strlen(fresh)), AB_MECH_OK);   /* logout */
    assert_int_equal(ab_mech_revoke(c, cred, strlen(cred)), AB_MECH_REVOKED); /* logged out already */
    assert_int_equal(ab_mech_refresh(c, refresh, strlen(refresh), fresh, sizeof fresh, &flen),
                     AB_MECH_UNKNOWN_SESSION);
    assert_int_equal(check(c, cred), AB_MECH_OK); /* until its exp: the revocation delay */
    sleep(3);
    assert_int_equal(check(c, cred), AB_MECH_EXPIRED);
    ab_mech_ctx_counters(c, &n);
    assert_int_equal(n.refreshed, 1);
    assert_int_equal(n.signatures, 2);
    ab_mech_ctx_free(c);
    ab_mech_close(m);
}

/* Opens spec, expecting an error containing text. */
static void assert_open_fails(const char *s, int64_t ttl, const char *text)
{
    ab_mech_options o = {tmf.ec, ttl};
    ab_mech *m = ab_mech_open(s, &o);
    assert_int_not_equal(ab_mech_err(m), 0);
    if (strstr(ab_mech_errstr(m), text) == NULL)
        fail_msg("%s: '%s' does not say '%s'", s, ab_mech_errstr(m), text);
    ab_mech_close(m);
}

static void bad_specs_and_other_families_are_refused_clearly(void **state)
{
    ab_mech_options o = {tmf.ec, 60};
    ab_mech *m;
    ab_mech_ctx *c;
    char out[2048], s[256];
    size_t n;
    (void)state;
    assert_open_fails("jwt+refresh:ES256", 60, "expected jwt+refresh:<ALG>,<store URI>");
    snprintf(s, sizeof s, "jwt+refresh:ES256,redis://127.0.0.1:%d?access_ttl=0", tmf.redis.port);
    assert_open_fails(s, 60, "access_ttl=0: expected whole seconds");
    snprintf(s, sizeof s, "jwt+refresh:ES256,redis://127.0.0.1:%d?access_ttl=90", tmf.redis.port);
    assert_open_fails(s, 60, "must be shorter than the refresh token's lifetime");
    m = ab_mech_open("jwt:ES256", &o);
    assert_non_null(c = ab_mech_ctx_new(m));
    assert_null(ab_mech_refresh_token_of(m, out, 0));
    assert_int_equal(ab_mech_refresh(c, "x", 1, out, sizeof out, &n), AB_MECH_MALFORMED);
    assert_non_null(strstr(ab_mech_ctx_errstr(c), "has no refresh tokens"));
    ab_mech_ctx_free(c);
    ab_mech_close(m);
}

/* The value of "name" in a JSON body, into out. 1 found. */
static int body_str(const char *body, const char *name, char *out, size_t cap)
{
    cJSON *j = cJSON_Parse(body);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    int ok = cJSON_IsString(v) && strlen(v->valuestring) < cap;
    if (ok)
        snprintf(out, cap, "%s", v->valuestring);
    cJSON_Delete(j);
    return ok;
}

/* POST /refresh with token; the answer in *r. */
static int post_refresh(int port, const char *token, tsc_resp *r)
{
    char req[512];
    snprintf(req, sizeof req, "POST /refresh HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n",
             token);
    return tsc_request(port, req, r);
}

static void serve_refreshes_over_http(void **state)
{
    static const char *const ttl[] = {"--ttl", "60", NULL};
    tsc_server s;
    tsc_resp *r = malloc(sizeof *r);
    char cred[2048], fresh[2048], refresh[64];
    cJSON *st;
    (void)state;
    assert_non_null(r);
    if (tsc_server_start(&s, spec, tmf.ec, ttl) != 0)
        fail_msg("serve %s did not start", spec);
    assert_int_equal(tsc_request(s.port, "POST /login?user=bob HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", r), 200);
    assert_true(body_str(r->body, "credential", cred, sizeof cred) && body_str(r->body, "refresh", refresh, sizeof refresh));
    assert_int_equal(tsc_api(s.port, "bearer", cred, r), 200);
    sleep(3);
    assert_int_equal(tsc_api(s.port, "bearer", cred, r), 401);
    assert_string_equal(r->body, "{\"error\":\"expired\"}"); /* the reason a client refreshes on */
    assert_int_equal(post_refresh(s.port, refresh, r), 200);
    assert_true(body_str(r->body, "credential", fresh, sizeof fresh));
    assert_int_equal(tsc_api(s.port, "bearer", fresh, r), 200);
    assert_int_equal(tsc_logout(s.port, "bearer", fresh, r), 200);
    assert_string_equal(r->body, "{\"revoked\":false}"); /* the access token lives until its exp */
    assert_int_equal(post_refresh(s.port, refresh, r), 401);
    assert_string_equal(r->body, "{\"error\":\"unknown_session\"}");
    assert_int_equal(post_refresh(s.port, "", r), 401); /* no credential */
    assert_non_null(st = tsc_stats(s.port));
    assert_int_equal(tsc_stat(st, "refreshed"), 1);
    assert_int_equal(tsc_stat(st, "store.ops"), 4); /* put, get, delete, get */
    cJSON_Delete(st);
    tsc_server_stop(&s);
    free(r);
}

/* 20 users for a 4 s window with access tokens of 2 s: each refreshes about every 2 s (after its
 * first 401), the issuer's load is users / access_ttl = 10 refreshes/s. */
static void the_load_refreshes_at_the_rate_tokens_expire(void **state)
{
    static const char *const ttl[] = {"--ttl", "60", NULL};
    tsc_server s;
    char *out = malloc(1 << 16), path[512], *dir = tsupport_tmpdir("refresh"), *doc;
    cJSON *j, *st;
    double refreshes;
    (void)state;
    assert_non_null(out);
    snprintf(path, sizeof path, "%s/load.json", dir);
    if (tsc_server_start(&s, spec, tmf.ec, ttl) != 0)
        fail_msg("serve %s did not start", spec);
    assert_int_equal(rvt_run(out, 1 << 16, "load --targets 127.0.0.1:%d --users 20 --connections 2 --threads 1 "
                             "--rate 200 --duration 4s --warmup 1s --json %s --no-progress 2>/dev/null", s.port, path), 0);
    assert_non_null(doc = tsupport_read_file(path, NULL));
    assert_non_null(j = cJSON_Parse(doc));
    refreshes = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "by_op"), "refresh"), "count"));
    print_message("  refreshes in the 4 s window: %.0f (users / access_ttl = 10/s)\n", refreshes);
    assert_true(refreshes >= 20 && refreshes <= 60);
    assert_non_null(st = tsc_stats(s.port));
    assert_true(tsc_stat(st, "refreshed") >= refreshes);
    cJSON_Delete(st);
    cJSON_Delete(j);
    free(doc);
    tsc_server_stop(&s);
    tsupport_rmtree(dir);
    free(dir);
    free(out);
}

/* After logout the access token lives on: its remaining lifetime, at most the 2 s access_ttl. */
static void the_revocation_delay_is_the_access_tokens_lifetime(void **state)
{
    static const char *const ttl[] = {"--ttl", "60", NULL};
    tsc_server s[2];
    char out[8192];
    cJSON *j;
    double max, bound;
    (void)state;
    if (tsc_server_start(&s[0], spec, tmf.ec, ttl) != 0 || tsc_server_start(&s[1], spec, tmf.ec, ttl) != 0)
        fail_msg("serve %s did not start", spec);
    assert_int_equal(rvt_run(out, sizeof out, "revocation --targets 127.0.0.1:%d,127.0.0.1:%d --samples 5 --json",
                             s[0].port, s[1].port), 0);
    tsc_server_stop(&s[0]);
    tsc_server_stop(&s[1]);
    assert_non_null(j = cJSON_Parse(out));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "revocation_latency_us"), "method")),
                        "token_lifetime");
    max = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "revocation_latency_us"), "max"));
    bound = cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "revocation_latency_us"), "bound_us"));
    assert_true(max > 0 && max <= 2e6);
    assert_true(bound == 2e6);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_refresh_token_buys_access_tokens_until_logout),
        cmocka_unit_test(bad_specs_and_other_families_are_refused_clearly),
        cmocka_unit_test(serve_refreshes_over_http),
        cmocka_unit_test(the_load_refreshes_at_the_rate_tokens_expire),
        cmocka_unit_test(the_revocation_delay_is_the_access_tokens_lifetime),
    };
    return cmocka_run_group_tests(tests, group_setup, tmf_group_teardown);
}

/* test_mech.c — the mechanism layer through ab_mech.h: every mechanism issues, authenticates and
 * revokes; sessions and JWTs carry the same claims; expiry; refusals; errors; counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <ajwt.h>
#include <cjson/cJSON.h>
#include <sstore.h>

#include "ab_mech.h"
#include "test_mech_fixture.h"
#include "tsupport.h"

/* The expected outcome of a request after logout, by mechanism. */
static int after_logout(const ab_mech *m)
{
    if (!ab_mech_can_revoke(m))
        return AB_MECH_OK;
    return strcmp(ab_mech_family(m), "session") == 0 ? AB_MECH_UNKNOWN_SESSION : AB_MECH_REVOKED;
}

/* login -> authenticate -> logout -> authenticate, on one spec. */
static void run_flow(const char *spec, const char *key)
{
    ab_mech *m = tmf_open_ok(spec, key, 0);
    ab_mech_ctx *c = tmf_ctx_ok(m);
    ab_mech_principal who;
    char cred[4096];
    int expect = after_logout(m);
    print_message("  %s\n", spec);
    tmf_issue_ok(c, "alice", cred, sizeof cred);
    assert_true(strlen(cred) <= ab_mech_credential_max(m));
    assert_int_equal(ab_mech_authenticate(c, cred, strlen(cred), &who), AB_MECH_OK);
    assert_string_equal(who.sub, "alice");
    assert_int_equal(ab_mech_revoke(c, cred, strlen(cred)), AB_MECH_OK);
    assert_int_equal(ab_mech_authenticate(c, cred, strlen(cred), &who), expect);
    /* a second logout of the same credential is refused the same way */
    assert_int_equal(ab_mech_revoke(c, cred, strlen(cred)), expect);
    ab_mech_ctx_free(c);
    ab_mech_close(m);
}

static void every_mechanism_should_issue_authenticate_and_revoke(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < tmf.nspecs; i++)
        run_flow(tmf.specs[i], tmf.keys[i]);
}

static void none_and_plain_jwt_should_say_they_cannot_revoke(void **state)
{
    ab_mech *none = tmf_open_ok("none", NULL, 0), *jwt = tmf_open_ok("jwt:HS256", tmf.hs, 0);
    ab_mech *sess = tmf_open_ok("session:memory://", NULL, 0);
    ab_mech *deny = tmf_open_ok("jwt+denylist:HS256,memory://", tmf.hs, 0);
    (void)state;
    assert_int_equal(ab_mech_can_revoke(none), 0);
    assert_int_equal(ab_mech_can_revoke(jwt), 0);
    assert_int_equal(ab_mech_can_revoke(sess), 1);
    assert_int_equal(ab_mech_can_revoke(deny), 1);
    assert_int_equal(ab_mech_kind_of(sess), AB_MECH_COOKIE);
    assert_int_equal(ab_mech_kind_of(jwt), AB_MECH_BEARER);
    assert_int_equal(ab_mech_kind_of(none), AB_MECH_BEARER);
    assert_string_equal(ab_mech_family(deny), "jwt+denylist");
    ab_mech_close(none);
    ab_mech_close(jwt);
    ab_mech_close(sess);
    ab_mech_close(deny);
}

/* The claims a JWT of key carries, parsed. */
static cJSON *jwt_claims(const char *token, const char *key)
{
    ajwt_keyset *ks = ajwt_keyset_new();
    ajwt_verifier *v;
    ajwt_vctx *c;
    const char *payload;
    size_t len = 0;
    cJSON *out;
    assert_int_equal(ajwt_keyset_add_file(ks, key, NULL), AJWT_OK);
    v = ajwt_verifier_new(ks);
    c = ajwt_vctx_new(v);
    assert_int_equal(ajwt_verify(c, token, strlen(token)), AJWT_OK);
    payload = ajwt_vctx_payload(c, &len);
    out = cJSON_ParseWithLength(payload, len);
    ajwt_vctx_free(c);
    ajwt_verifier_free(v);
    ajwt_keyset_free(ks);
    assert_non_null(out);
    return out;
}

/* The claims a Redis session holds, parsed. */
static cJSON *session_claims(const char *sid)
{
    char uri[128];
    sstore *st;
    sstore_conn *c;
    sstore_session s;
    cJSON *out;
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", tmf.redis.port);
    st = sstore_open(uri);
    c = sstore_connect(st);
    assert_int_equal(sstore_get(c, sid, &s), SSTORE_OK);
    out = cJSON_ParseWithLength(s.data, s.data_len);
    sstore_conn_free(c);
    sstore_close(st);
    assert_non_null(out);
    return out;
}

/* a and b have the same members; strings and arrays equal except jti, exp - iat equal. */
static void assert_same_claims(const cJSON *a, const cJSON *b, int64_t ttl)
{
    const cJSON *x;
    int na = 0, nb = 0;
    cJSON_ArrayForEach(x, a) {
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        na++;
        if (y == NULL)
            fail_msg("claim %s missing on one side", x->string);
        if (strcmp(x->string, "jti") == 0)
            assert_int_equal(strlen(x->valuestring), strlen(y->valuestring));
        else if (!cJSON_IsNumber(x))
            assert_true(cJSON_Compare(x, y, 1));
    }
    cJSON_ArrayForEach(x, b) nb++;
    assert_int_equal(na, nb);
    assert_int_equal(na, 9);
    assert_int_equal(cJSON_GetObjectItem(a, "exp")->valuedouble - cJSON_GetObjectItem(a, "iat")->valuedouble, ttl);
    assert_int_equal(cJSON_GetObjectItem(b, "exp")->valuedouble - cJSON_GetObjectItem(b, "iat")->valuedouble, ttl);
}

static void sessions_and_jwts_should_carry_the_same_claims(void **state)
{
    char spec[128], sid[4096], token[4096];
    ab_mech *ms, *mj;
    ab_mech_ctx *cs, *cj;
    cJSON *a, *b;
    (void)state;
    snprintf(spec, sizeof spec, "session:redis://127.0.0.1:%d", tmf.redis.port);
    ms = tmf_open_ok(spec, NULL, 600);
    mj = tmf_open_ok("jwt:HS256", tmf.hs, 600);
    cs = tmf_ctx_ok(ms);
    cj = tmf_ctx_ok(mj);
    tmf_issue_ok(cs, "user00000042", sid, sizeof sid);
    tmf_issue_ok(cj, "user00000042", token, sizeof token);
    a = session_claims(sid);
    b = jwt_claims(token, tmf.hs);
    assert_same_claims(a, b, 600);
    assert_string_equal(cJSON_GetObjectItem(a, "sub")->valuestring, "user00000042");
    assert_string_equal(cJSON_GetObjectItem(a, "iss")->valuestring, "authbench");
    assert_string_equal(cJSON_GetObjectItem(a, "aud")->valuestring, "authbench-api");
    cJSON_Delete(a);
    cJSON_Delete(b);
    ab_mech_ctx_free(cs);
    ab_mech_ctx_free(cj);
    ab_mech_close(ms);
    ab_mech_close(mj);
}

static void claims_should_be_a_typical_250_byte_object(void **state)
{
    char out[512];
    size_t n = ab_mech_claims("user00000042", 1764410000, 3600, "AAAAAAAAAAAAAAAAAAAAAA", out, sizeof out);
    cJSON *root = cJSON_ParseWithLength(out, n);
    (void)state;
    assert_non_null(root);
    assert_in_range(n, 200, 300);
    assert_int_equal(cJSON_GetObjectItem(root, "exp")->valuedouble, 1764413600);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "roles"), 0)->valuestring, "user");
    assert_non_null(cJSON_GetObjectItem(root, "email"));
    cJSON_Delete(root);
    assert_int_equal(ab_mech_claims("bad user", 0, 1, "x", out, sizeof out), 0);
    assert_int_equal(ab_mech_claims("user00000042", 0, 1, "x", out, 64), 0);
}

static void credentials_should_expire_after_the_ttl(void **state)
{
    enum { N = 5 };
    char specs[N][256], creds[N][4096];
    const char *keys[N] = {tmf.hs, NULL, NULL, NULL, tmf.hs};
    const int expect[N] = {AB_MECH_EXPIRED, AB_MECH_UNKNOWN_SESSION, AB_MECH_UNKNOWN_SESSION,
                           AB_MECH_UNKNOWN_SESSION, AB_MECH_EXPIRED};
    ab_mech *m[N];
    ab_mech_ctx *c[N];
    ab_mech_principal who;
    struct timespec wait = {2, 100 * 1000 * 1000};
    int i;
    (void)state;
    snprintf(specs[0], sizeof specs[0], "jwt:HS256");
    snprintf(specs[1], sizeof specs[1], "session:memory://");
    snprintf(specs[2], sizeof specs[2], "session:redis://127.0.0.1:%d", tmf.redis.port);
    snprintf(specs[3], sizeof specs[3], "session:file://%s", tmf.dir);
    snprintf(specs[4], sizeof specs[4], "jwt+denylist:HS256,memory://");
    for (i = 0; i < N; i++) {
        m[i] = tmf_open_ok(specs[i], keys[i], 1);
        c[i] = tmf_ctx_ok(m[i]);
        tmf_issue_ok(c[i], "bob", creds[i], sizeof creds[i]);
    }
    nanosleep(&wait, NULL); /* one wait for all: ttl 1 s means expired within 2 s */
    for (i = 0; i < N; i++) {
        print_message("  %s\n", specs[i]);
        assert_int_equal(ab_mech_authenticate(c[i], creds[i], strlen(creds[i]), &who), expect[i]);
        ab_mech_ctx_free(c[i]);
        ab_mech_close(m[i]);
    }
}

/* Opens spec expecting failure with a message containing text. */
static void assert_open_fails(const char *spec, const char *key, const char *text)
{
    ab_mech_options o = {key, 0};
    ab_mech *m = ab_mech_open(spec, &o);
    assert_non_null(m);
    assert_int_not_equal(ab_mech_err(m), 0);
    if (strstr(ab_mech_errstr(m), text) == NULL)
        fail_msg("%s: message '%s' lacks '%s'", spec, ab_mech_errstr(m), text);
    ab_mech_close(m);
}

static void bad_specs_and_keys_should_be_reported_clearly(void **state)
{
    (void)state;
    assert_open_fails("jwt:HS256", NULL, "authbench jwt keygen --alg HS256 --out PREFIX");
    assert_open_fails("jwt:RS256", "/nonexistent/key.pem", "/nonexistent/key.pem");
    assert_open_fails("bogus", NULL, "unknown mechanism");
    assert_open_fails("jwt:HS257", tmf.hs, "unknown algorithm");
    assert_open_fails("jwt:none", tmf.hs, "unknown algorithm");
    assert_open_fails("jwt:RS256", tmf.hs, "cannot sign RS256");
    assert_open_fails("session:", NULL, "needs a store URI");
    assert_open_fails("session:nosuch://x", NULL, "nosuch");
    assert_open_fails("jwt+denylist:HS256", tmf.hs, "jwt+denylist:<ALG>,<store URI>");
}

/* A JWT signed by key over claims, into out. */
static void sign_with(const char *key, ajwt_alg alg, const char *claims, char *out, size_t cap)
{
    ajwt_keyset *ks = ajwt_keyset_new();
    ajwt_signer *s;
    size_t n;
    assert_int_equal(ajwt_keyset_add_file(ks, key, NULL), AJWT_OK);
    s = ajwt_signer_new(ks, alg, NULL);
    assert_int_equal(ajwt_sign(s, claims, strlen(claims), out, cap, &n), AJWT_OK);
    ajwt_signer_free(s);
    ajwt_keyset_free(ks);
}

static void forged_and_malformed_tokens_should_be_refused(void **state)
{
    ab_mech *m = tmf_open_ok("jwt:HS256", tmf.hs, 0), *es = tmf_open_ok("jwt:ES256", tmf.ec, 0);
    ab_mech_ctx *c = tmf_ctx_ok(m), *ce = tmf_ctx_ok(es);
    ab_mech_principal who;
    char tok[4096], other[4096], claims[512];
    (void)state;
    tmf_issue_ok(c, "carol", tok, sizeof tok);
    /* change a signature character to another base64url one (a plain bit flip can leave the
     * alphabet, e.g. '-' ^ 1 == ',', which is a malformed token, not a forged one) */
    tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(ab_mech_authenticate(c, tok, strlen(tok), &who), AB_MECH_BAD_SIGNATURE);
    assert_int_equal(ab_mech_authenticate(c, "garbage", 7, &who), AB_MECH_MALFORMED);
    tmf_issue_ok(ce, "carol", other, sizeof other); /* an ES256 token for an HS256 server */
    assert_int_equal(ab_mech_authenticate(c, other, strlen(other), &who), AB_MECH_BAD_SIGNATURE);
    ab_mech_claims("carol", (int64_t)time(NULL), 60, "AAAAAAAAAAAAAAAAAAAAAA", claims, sizeof claims);
    sign_with(tmf.hs_other, AJWT_HS256, claims, other, sizeof other); /* another server's key */
    assert_int_equal(ab_mech_authenticate(c, other, strlen(other), &who), AB_MECH_BAD_SIGNATURE);
    sign_with(tmf.hs, AJWT_HS256, "{\"sub\":\"carol\",\"iss\":\"elsewhere\",\"aud\":\"authbench-api\","
              "\"exp\":9999999999,\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\"}", other, sizeof other);
    assert_int_equal(ab_mech_authenticate(c, other, strlen(other), &who), AB_MECH_INVALID_CLAIMS);
    sign_with(tmf.hs, AJWT_HS256, "{\"sub\":\"car ol\",\"iss\":\"authbench\",\"aud\":\"authbench-api\","
              "\"exp\":9999999999,\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\"}", other, sizeof other);
    assert_int_equal(ab_mech_authenticate(c, other, strlen(other), &who), AB_MECH_INVALID_CLAIMS);
    ab_mech_ctx_free(c);
    ab_mech_ctx_free(ce);
    ab_mech_close(m);
    ab_mech_close(es);
}

static void bad_users_and_unknown_sessions_should_be_refused(void **state)
{
    ab_mech *m = tmf_open_ok("session:memory://", NULL, 0);
    ab_mech_ctx *c = tmf_ctx_ok(m);
    ab_mech_principal who;
    char cred[256], longname[80];
    size_t n;
    (void)state;
    memset(longname, 'a', 65);
    longname[65] = '\0';
    assert_int_equal(ab_mech_issue(c, "", cred, sizeof cred, &n), AB_MECH_BAD_USER);
    assert_int_equal(ab_mech_issue(c, "al ice", cred, sizeof cred, &n), AB_MECH_BAD_USER);
    assert_int_equal(ab_mech_issue(c, longname, cred, sizeof cred, &n), AB_MECH_BAD_USER);
    assert_int_equal(ab_mech_issue(c, longname + 1, cred, sizeof cred, &n), AB_MECH_OK);
    assert_int_equal(ab_mech_authenticate(c, "AAAAAAAAAAAAAAAAAAAAAA", 22, &who), AB_MECH_UNKNOWN_SESSION);
    assert_int_equal(ab_mech_authenticate(c, "not/a id", 8, &who), AB_MECH_MALFORMED);
    assert_int_equal(ab_mech_revoke(c, "AAAAAAAAAAAAAAAAAAAAAA", 22), AB_MECH_UNKNOWN_SESSION);
    ab_mech_ctx_free(c);
    ab_mech_close(m);
    m = tmf_open_ok("jwt:HS256", tmf.hs, 0);
    c = tmf_ctx_ok(m);
    assert_int_equal(ab_mech_issue(c, "alice", cred, 64, &n), AB_MECH_INTERNAL); /* too small */
    assert_non_null(strstr(ab_mech_ctx_errstr(c), "needed"));
    ab_mech_ctx_free(c);
    ab_mech_close(m);
}

static void an_unreachable_store_should_be_a_store_error(void **state)
{
    char spec[256], tok[4096];
    ab_mech *m;
    ab_mech_ctx *c;
    ab_mech_principal who;
    (void)state;
    snprintf(spec, sizeof spec, "jwt+denylist:HS256,redis://127.0.0.1:%d?connect_timeout_ms=200"
             "&timeout_ms=200", tsupport_free_port());
    m = tmf_open_ok(spec, tmf.hs, 0);
    c = ab_mech_ctx_new(m);
    assert_non_null(c);
    assert_int_equal(ab_mech_ctx_err(c), AB_MECH_STORE_ERROR);
    tmf_issue_ok(c, "dave", tok, sizeof tok); /* signing needs no store */
    assert_int_equal(ab_mech_authenticate(c, tok, strlen(tok), &who), AB_MECH_STORE_ERROR);
    assert_int_equal(ab_mech_status_http(AB_MECH_STORE_ERROR), 503);
    assert_string_equal(ab_mech_status_name(AB_MECH_STORE_ERROR), "store_unavailable");
    ab_mech_ctx_free(c);
    ab_mech_close(m);
}

static void store_passwords_should_never_be_shown(void **state)
{
    static const char *const fmts[] = {"session:redis://admin:s3cretpw@127.0.0.1:%d?connect_timeout_ms=200",
                                       "jwt+denylist:HS256,redis://s3cretpw@127.0.0.1:%d?connect_timeout_ms=200",
                                       "sesion:redis://:s3cretpw@127.0.0.1:%d",
                                       "session:redis://admin:s3cretpw@127.0.0.1:%d?bogus=1"};
    char spec[256];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        ab_mech *m;
        ab_mech_ctx *c;
        snprintf(spec, sizeof spec, fmts[i], tsupport_free_port());
        m = ab_mech_open(spec, &(ab_mech_options){tmf.hs, 0});
        assert_non_null(m);
        c = ab_mech_err(m) == 0 ? ab_mech_ctx_new(m) : NULL;
        assert_null(strstr(ab_mech_spec(m), "s3cretpw")); /* what /stats and messages show */
        assert_non_null(strstr(ab_mech_spec(m), "***@127.0.0.1"));
        assert_null(strstr(ab_mech_errstr(m), "s3cretpw"));
        assert_true(c == NULL || strstr(ab_mech_ctx_errstr(c), "s3cretpw") == NULL);
        ab_mech_ctx_free(c);
        ab_mech_close(m);
    }
}

static void counters_should_count_calls_and_store_io(void **state)
{
    char spec[128], cred[4096];
    ab_mech *m, *j;
    ab_mech_ctx *c, *cj;
    ab_mech_counters n, sum;
    ab_mech_principal who;
    (void)state;
    snprintf(spec, sizeof spec, "session:redis://127.0.0.1:%d", tmf.redis.port);
    m = tmf_open_ok(spec, NULL, 0);
    c = tmf_ctx_ok(m);
    tmf_issue_ok(c, "erin", cred, sizeof cred);
    assert_int_equal(ab_mech_authenticate(c, cred, strlen(cred), &who), AB_MECH_OK);
    assert_int_equal(ab_mech_revoke(c, cred, strlen(cred)), AB_MECH_OK);
    assert_int_equal(ab_mech_authenticate(c, cred, strlen(cred), &who), AB_MECH_UNKNOWN_SESSION);
    ab_mech_ctx_counters(c, &n);
    assert_int_equal(n.issued, 1);
    assert_int_equal(n.authenticated, 1);
    assert_int_equal(n.revoked, 1);
    assert_int_equal(n.failures[AB_MECH_UNKNOWN_SESSION], 1);
    assert_int_equal(n.signatures + n.verifications, 0);
    assert_true(n.store.ops >= 4 && n.store.round_trips >= 4);
    assert_true(n.store.net_bytes_out > 200 && n.store.net_bytes_in > 200);
    j = tmf_open_ok("jwt:HS256", tmf.hs, 0);
    cj = tmf_ctx_ok(j);
    tmf_issue_ok(cj, "erin", cred, sizeof cred);
    assert_int_equal(ab_mech_authenticate(cj, cred, strlen(cred), &who), AB_MECH_OK);
    ab_mech_ctx_counters(cj, &sum);
    assert_int_equal(sum.signatures, 1);
    assert_int_equal(sum.verifications, 1);
    assert_int_equal(sum.store.ops, 0);
    ab_mech_counters_add(&sum, &n);
    assert_int_equal(sum.issued, 2);
    assert_int_equal(sum.store.ops, n.store.ops);
    ab_mech_ctx_free(c);
    ab_mech_ctx_free(cj);
    ab_mech_close(m);
    ab_mech_close(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_mechanism_should_issue_authenticate_and_revoke),
        cmocka_unit_test(none_and_plain_jwt_should_say_they_cannot_revoke),
        cmocka_unit_test(sessions_and_jwts_should_carry_the_same_claims),
        cmocka_unit_test(claims_should_be_a_typical_250_byte_object),
        cmocka_unit_test(credentials_should_expire_after_the_ttl),
        cmocka_unit_test(bad_specs_and_keys_should_be_reported_clearly),
        cmocka_unit_test(forged_and_malformed_tokens_should_be_refused),
        cmocka_unit_test(bad_users_and_unknown_sessions_should_be_refused),
        cmocka_unit_test(an_unreachable_store_should_be_a_store_error),
        cmocka_unit_test(store_passwords_should_never_be_shown),
        cmocka_unit_test(counters_should_count_calls_and_store_io),
    };
    return cmocka_run_group_tests(tests, tmf_group_setup, tmf_group_teardown);
}

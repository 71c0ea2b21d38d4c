/* test_jwt_claims.c — the claim rules: exp, nbf, iat against an injected clock with leeway, numeric
 * claims range-checked, iss, aud (string or array), required claims, and readable messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jwt_testutil.h"

#define T0 1795946400 /* 2026-11-29T10:00:00Z */

typedef tu_vfix fixture;

static int setup(void **state)
{
    int rc = tu_vfix_setup(state);
    ((fixture *)*state)->now = T0;
    return rc;
}

/* Runs the claim step on json; checks the code and, when given, the exact message or a part of it. */
static void expect(fixture *f, const char *json, int code, const char *needle)
{
    int rc = ajwt_verify_claims(f->c, json, strlen(json));
    if (rc != code)
        fail_msg("%s: got %s (%s), want %s", json, ajwt_err_name((ajwt_err)rc), ajwt_vctx_errstr(f->c),
                 ajwt_err_name((ajwt_err)code));
    if (needle != NULL && strstr(ajwt_vctx_errstr(f->c), needle) == NULL)
        fail_msg("message '%s' lacks '%s'", ajwt_vctx_errstr(f->c), needle);
    assert_null(strchr(ajwt_vctx_errstr(f->c), '\n'));
}

static void exp_should_expire_a_token_at_exactly_exp(void **state)
{
    fixture *f = *state;
    char json[64];
    sprintf(json, "{\"exp\":%d}", T0 + 1);
    expect(f, json, AJWT_OK, NULL);
    sprintf(json, "{\"exp\":%d}", T0);
    expect(f, json, AJWT_ERR_EXPIRED, "token expired at 2026-11-29T10:00:00Z, now 2026-11-29T10:00:00Z, leeway 0 s");
    sprintf(json, "{\"exp\":%d}", T0 - 1);
    expect(f, json, AJWT_ERR_EXPIRED, NULL);
}

static void exp_should_honour_leeway_to_the_second(void **state)
{
    fixture *f = *state;
    char json[64];
    assert_int_equal(ajwt_verifier_set_leeway(f->v, 30), AJWT_OK);
    f->now = T0 + 300;
    sprintf(json, "{\"exp\":%d}", T0);
    expect(f, json, AJWT_ERR_EXPIRED, "token expired at 2026-11-29T10:00:00Z, now 2026-11-29T10:05:00Z, leeway 30 s");
    f->now = T0 + 29;
    expect(f, json, AJWT_OK, NULL);
    f->now = T0 + 30;
    expect(f, json, AJWT_ERR_EXPIRED, NULL);
    assert_int_equal(ajwt_verifier_set_leeway(f->v, -1), AJWT_ERR_ARG);
    assert_int_equal(ajwt_verifier_set_leeway(f->v, 367LL * 86400), AJWT_ERR_ARG);
}

static void numeric_claims_should_be_whole_seconds_in_range(void **state)
{
    static const char *const bad[] = {"1e300", "1.5", "\"2000000000\"", "-1", "true", "null", "[1]", "{}",
                                      "9007199254740993", "1e16", "0.5e-1", "-0.0001"};
    static const char *const names[] = {"exp", "nbf", "iat"};
    fixture *f = *state;
    char json[128], msg[64];
    size_t i, k;
    for (k = 0; k < 3; k++) {
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            sprintf(json, "{\"%s\":%s}", names[k], bad[i]);
            sprintf(msg, "claim %s must be a whole number of seconds", names[k]);
            expect(f, json, AJWT_ERR_CLAIM_TYPE, msg);
        }
    }
    expect(f, "{\"exp\":1e300}", AJWT_ERR_CLAIM_TYPE, "got 1e300");
    expect(f, "{\"exp\":\"123\"}", AJWT_ERR_CLAIM_TYPE, "got a string");
    expect(f, "{\"exp\":9007199254740992}", AJWT_OK, NULL); /* 2^53 */
    expect(f, "{\"exp\":2.0e9,\"nbf\":1.7e9,\"iat\":17e8}", AJWT_OK, NULL);
    expect(f, "{\"nbf\":0,\"iat\":0}", AJWT_OK, NULL);
}

static void nbf_should_reject_tokens_not_yet_valid(void **state)
{
    fixture *f = *state;
    char json[64];
    sprintf(json, "{\"nbf\":%d}", T0 + 1);
    expect(f, json, AJWT_ERR_NOT_YET_VALID, "token not valid before 2026-11-29T10:00:01Z, now 2026-11-29T10:00:00Z");
    sprintf(json, "{\"nbf\":%d}", T0);
    expect(f, json, AJWT_OK, NULL);
    assert_int_equal(ajwt_verifier_set_leeway(f->v, 10), AJWT_OK);
    sprintf(json, "{\"nbf\":%d}", T0 + 10);
    expect(f, json, AJWT_OK, NULL);
    sprintf(json, "{\"nbf\":%d}", T0 + 11);
    expect(f, json, AJWT_ERR_NOT_YET_VALID, "leeway 10 s");
}

static void iat_should_not_be_in_the_future_beyond_leeway(void **state)
{
    fixture *f = *state;
    char json[64];
    sprintf(json, "{\"iat\":%d}", T0);
    expect(f, json, AJWT_OK, NULL);
    sprintf(json, "{\"iat\":%d}", T0 + 1);
    expect(f, json, AJWT_ERR_IAT_FUTURE, "token issued in the future at 2026-11-29T10:00:01Z");
    assert_int_equal(ajwt_verifier_set_leeway(f->v, 5), AJWT_OK);
    sprintf(json, "{\"iat\":%d}", T0 + 5);
    expect(f, json, AJWT_OK, NULL);
    sprintf(json, "{\"iat\":%d}", T0 + 6);
    expect(f, json, AJWT_ERR_IAT_FUTURE, NULL);
    sprintf(json, "{\"iat\":%d}", 1); /* a long time ago is fine */
    expect(f, json, AJWT_OK, NULL);
}

static void the_clock_should_be_injectable_and_restorable(void **state)
{
    fixture *f = *state;
    expect(f, "{\"exp\":1300819380}", AJWT_ERR_EXPIRED, "2011-03-22T18:43:00Z");
    f->now = 1300819379;
    expect(f, "{\"exp\":1300819380}", AJWT_OK, NULL);
    assert_int_equal(ajwt_verifier_set_clock(f->v, NULL, NULL), AJWT_OK); /* the system clock again */
    expect(f, "{\"exp\":1300819380}", AJWT_ERR_EXPIRED, NULL);
    expect(f, "{\"exp\":9007199254740992}", AJWT_OK, NULL);
}

static void iss_should_match_exactly(void **state)
{
    fixture *f = *state;
    assert_int_equal(ajwt_verifier_set_issuer(f->v, "https://auth.example"), AJWT_OK);
    expect(f, "{\"iss\":\"https://auth.example\"}", AJWT_OK, NULL);
    expect(f, "{\"iss\":\"https://auth.example/\"}", AJWT_ERR_ISS,
           "issuer 'https://auth.example/' is not the expected 'https://auth.example'");
    expect(f, "{\"iss\":\"https://AUTH.example\"}", AJWT_ERR_ISS, NULL);
    expect(f, "{\"sub\":\"x\"}", AJWT_ERR_ISS, "no iss claim");
    expect(f, "{\"iss\":[\"https://auth.example\"]}", AJWT_ERR_CLAIM_TYPE, "claim iss must be a string");
    expect(f, "{\"iss\":\"evil\\nhttps://auth.example\"}", AJWT_ERR_ISS, "evil\\x0ahttps");
    assert_int_equal(ajwt_verifier_set_issuer(f->v, NULL), AJWT_OK);
    expect(f, "{\"iss\":\"anyone\"}", AJWT_OK, NULL);
    expect(f, "{\"iss\":5}", AJWT_ERR_CLAIM_TYPE, NULL); /* typed even without an issuer rule */
}

static void aud_should_match_a_string_or_an_array_entry(void **state)
{
    fixture *f = *state;
    assert_int_equal(ajwt_verifier_set_audience(f->v, "api"), AJWT_OK);
    expect(f, "{\"aud\":\"api\"}", AJWT_OK, NULL);
    expect(f, "{\"aud\":[\"web\",\"api\"]}", AJWT_OK, NULL);
    expect(f, "{\"aud\":\"web\"}", AJWT_ERR_AUD, "audience 'web' is not the expected 'api'");
    expect(f, "{\"aud\":[\"web\",\"apis\"]}", AJWT_ERR_AUD, "audience list of 2 entries does not include 'api'");
    expect(f, "{\"aud\":[]}", AJWT_ERR_AUD, NULL);
    expect(f, "{\"sub\":\"x\"}", AJWT_ERR_AUD, "no aud claim");
    expect(f, "{\"aud\":[\"api\",7]}", AJWT_ERR_CLAIM_TYPE, "only strings");
    expect(f, "{\"aud\":7}", AJWT_ERR_CLAIM_TYPE, "a string or an array of strings");
    expect(f, "{\"aud\":{\"api\":1}}", AJWT_ERR_CLAIM_TYPE, NULL);
}

static void required_claims_should_be_present(void **state)
{
    fixture *f = *state;
    char json[64];
    assert_int_equal(ajwt_verifier_require(f->v, "sub"), AJWT_OK);
    assert_int_equal(ajwt_verifier_require(f->v, "exp"), AJWT_OK);
    assert_int_equal(ajwt_verifier_require(f->v, ""), AJWT_ERR_ARG);
    assert_int_equal(ajwt_verifier_require(f->v, NULL), AJWT_ERR_ARG);
    sprintf(json, "{\"sub\":\"a\",\"exp\":%d}", T0 + 60);
    expect(f, json, AJWT_OK, NULL);
    expect(f, "{\"sub\":\"a\"}", AJWT_ERR_CLAIM_MISSING, "required claim 'exp' is missing");
    expect(f, "{\"exp\":1}", AJWT_ERR_CLAIM_MISSING, "required claim 'sub' is missing");
    expect(f, "{\"sub\":\"\",\"exp\":9999999999}", AJWT_OK, NULL); /* present, even if empty */
    expect(f, "{\"sub\":\"a\",\"exp\":0.5e1}", AJWT_ERR_EXPIRED, "1970-01-01T00:00:05Z"); /* 0.5e1 is 5 */
}

static void other_registered_claims_should_have_their_types(void **state)
{
    fixture *f = *state;
    expect(f, "{\"sub\":1}", AJWT_ERR_CLAIM_TYPE, "claim sub must be a string");
    expect(f, "{\"jti\":[]}", AJWT_ERR_CLAIM_TYPE, "claim jti must be a string");
    expect(f, "{\"sub\":\"a\",\"jti\":\"b\",\"custom\":[1,{\"x\":null}],\"exp2\":\"later\"}", AJWT_OK, NULL);
}

static void rules_should_apply_in_a_fixed_order(void **state)
{
    fixture *f = *state;
    assert_int_equal(ajwt_verifier_set_issuer(f->v, "i"), AJWT_OK);
    assert_int_equal(ajwt_verifier_set_audience(f->v, "a"), AJWT_OK);
    assert_int_equal(ajwt_verifier_require(f->v, "sub"), AJWT_OK);
    /* missing sub first, then types, then times, then iss, then aud */
    expect(f, "{\"exp\":1,\"iss\":\"x\",\"aud\":\"y\"}", AJWT_ERR_CLAIM_MISSING, NULL);
    expect(f, "{\"sub\":\"s\",\"exp\":1,\"iss\":\"x\",\"aud\":5}", AJWT_ERR_CLAIM_TYPE, NULL);
    expect(f, "{\"sub\":\"s\",\"exp\":1,\"iss\":\"x\",\"aud\":\"y\"}", AJWT_ERR_EXPIRED, NULL);
    expect(f, "{\"sub\":\"s\",\"iss\":\"x\",\"aud\":\"y\"}", AJWT_ERR_ISS, NULL);
    expect(f, "{\"sub\":\"s\",\"iss\":\"i\",\"aud\":\"y\"}", AJWT_ERR_AUD, NULL);
    expect(f, "{\"sub\":\"s\",\"iss\":\"i\",\"aud\":\"a\"}", AJWT_OK, NULL);
}

static void a_signed_token_should_go_through_the_same_claim_rules(void **state)
{
    fixture *f = *state;
    static const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";
    ajwt_keyset *ks = tu_keyset(secret, sizeof secret, 0, NULL);
    ajwt_signer *s = ajwt_signer_new(ks, AJWT_HS256, NULL);
    ajwt_verifier *v = ajwt_verifier_new(ks);
    char claims[96], tok[512];
    size_t n;
    int64_t got = 0;
    assert_int_equal(ajwt_verifier_set_clock(v, tu_clock, &f->now), AJWT_OK);
    assert_int_equal(ajwt_verifier_set_audience(v, "api"), AJWT_OK);
    sprintf(claims, "{\"aud\":[\"api\"],\"exp\":%d,\"n\":42}", T0 + 1);
    assert_int_equal(ajwt_sign(s, claims, strlen(claims), tok, sizeof tok, &n), AJWT_OK);
    assert_int_equal(ajwt_verify(f->c, tok, n), AJWT_ERR_ALG_NOT_ALLOWED); /* f->v has no key at all */
    ajwt_vctx_free(f->c);
    f->c = ajwt_vctx_new(v);
    assert_int_equal(ajwt_verify(f->c, tok, n), AJWT_OK);
    assert_true(ajwt_vctx_claim_int(f->c, "n", &got));
    assert_int_equal(got, 42);
    f->now = T0 + 1;
    assert_int_equal(ajwt_verify(f->c, tok, n), AJWT_ERR_EXPIRED);
    assert_null(ajwt_vctx_claim_str(f->c, "aud"));
    ajwt_vctx_free(f->c);
    f->c = ajwt_vctx_new(f->v);
    ajwt_verifier_free(v);
    ajwt_signer_free(s);
    ajwt_keyset_free(ks);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, tu_vfix_teardown)
    const struct CMUnitTest tests[] = {
        T(exp_should_expire_a_token_at_exactly_exp),
        T(exp_should_honour_leeway_to_the_second),
        T(numeric_claims_should_be_whole_seconds_in_range),
        T(nbf_should_reject_tokens_not_yet_valid),
        T(iat_should_not_be_in_the_future_beyond_leeway),
        T(the_clock_should_be_injectable_and_restorable),
        T(iss_should_match_exactly),
        T(aud_should_match_a_string_or_an_array_entry),
        T(required_claims_should_be_present),
        T(other_registered_claims_should_have_their_types),
        T(rules_should_apply_in_a_fixed_order),
        T(a_signed_token_should_go_through_the_same_claim_rules),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_jwt_jwk.c — JWK and JWKS import: every kty, public and private, kid and alg honoured, use,
 * all-or-nothing JWKS, and malformed members refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "jwt_testutil.h"

static int add(ajwt_keyset *ks, const char *json)
{
    return ajwt_keyset_add_jwk(ks, json, strlen(json));
}

/* BASE64URL of a BIGNUM parameter of pkey, padded to pad bytes (0: minimal). */
static char *bn_b64(EVP_PKEY *pkey, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    int n;
    char *out;
    assert_int_equal(EVP_PKEY_get_bn_param(pkey, param, &bn), 1);
    n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    out = tu_b64(buf, (size_t)n);
    BN_free(bn);
    return out;
}

/* An RSA JWK of pkey (n, e, and with_private: d p q dp dq qi). malloc'd. */
static char *rsa_jwk(EVP_PKEY *pkey, int with_private, const char *extra)
{
    static const char *const names[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
    static const char *const params[] = {OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
        OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
        OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    char *out = malloc(8192);
    size_t o;
    int i;
    assert_non_null(out);
    o = (size_t)sprintf(out, "{\"kty\":\"RSA\"%s", extra);
    for (i = 0; i < (with_private ? 8 : 2); i++) {
        char *v = bn_b64(pkey, params[i], 0);
        o += (size_t)sprintf(out + o, ",\"%s\":\"%s\"", names[i], v);
        free(v);
    }
    strcpy(out + o, "}");
    return out;
}

/* A P-256 JWK of pkey; y_delta changes the last byte of y (to leave the curve). malloc'd. */
static char *ec_jwk(EVP_PKEY *pkey, int with_private, int y_delta, const char *extra)
{
    unsigned char pub[65];
    size_t pl = 0;
    char *x, *y, *d = NULL, *out = malloc(1024);
    assert_non_null(out);
    assert_int_equal(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof pub, &pl), 1);
    assert_int_equal(pl, 65);
    pub[64] = (unsigned char)(pub[64] + y_delta);
    x = tu_b64(pub + 1, 32);
    y = tu_b64(pub + 33, 32);
    if (with_private)
        d = bn_b64(pkey, OSSL_PKEY_PARAM_PRIV_KEY, 32);
    sprintf(out, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"%s%s%s%s}", x, y, d ? ",\"d\":\"" : "",
            d ? d : "", d ? "\"" : "", extra);
    free(x);
    free(y);
    free(d);
    return out;
}

/* Signs with the private JWK and verifies with the public JWK under alg. */
static void assert_jwks_work(const char *priv, const char *pub, ajwt_alg alg)
{
    ajwt_keyset *sk = ajwt_keyset_new(), *vk = ajwt_keyset_new();
    if (add(sk, priv) != AJWT_OK)
        fail_msg("private JWK refused: %s", ajwt_keyset_errstr(sk));
    if (add(vk, pub) != AJWT_OK)
        fail_msg("public JWK refused: %s", ajwt_keyset_errstr(vk));
    tu_assert_sign_verify(sk, vk, alg);
    ajwt_keyset_free(sk);
    ajwt_keyset_free(vk);
}

static void rsa_jwks_should_load_public_and_private_with_or_without_crt(void **state)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *pub = rsa_jwk(rsa, 0, ""), *priv = rsa_jwk(rsa, 1, ""), *no_crt, *cut;
    (void)state;
    assert_jwks_work(priv, pub, AJWT_RS256);
    assert_jwks_work(priv, pub, AJWT_PS384);
    no_crt = strdup(priv);
    cut = strstr(no_crt, ",\"p\":");
    strcpy(cut, "}");
    assert_jwks_work(no_crt, pub, AJWT_RS512);
    free(no_crt);
    free(pub);
    free(priv);
    EVP_PKEY_free(rsa);
}

static void rsa_jwks_with_partial_crt_or_short_modulus_should_be_refused(void **state)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    char *priv = rsa_jwk(rsa, 1, ""), *weak = rsa_jwk(small, 0, ""), *cut;
    ajwt_keyset *ks = ajwt_keyset_new();
    (void)state;
    cut = strstr(priv, ",\"qi\":");
    strcpy(cut, "}");
    assert_int_equal(add(ks, priv), AJWT_ERR_KEY_PARSE);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "p, q, dp, dq, qi"));
    assert_int_equal(add(ks, weak), AJWT_ERR_KEY_WEAK);
    assert_int_equal(add(ks, "{\"kty\":\"RSA\",\"e\":\"AQAB\"}"), AJWT_ERR_KEY_PARSE);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "\"n\" is missing"));
    assert_int_equal(ajwt_keyset_count(ks), 0);
    ajwt_keyset_free(ks);
    free(priv);
    free(weak);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(small);
}

static void ec_jwks_should_load_and_be_checked_against_the_curve(void **state)
{
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char *pub = ec_jwk(ec, 0, 0, ""), *priv = ec_jwk(ec, 1, 0, ""), *off = ec_jwk(ec, 0, 1, "");
    char *other_priv = ec_jwk(other, 1, 0, ""), *mixed, *p384;
    ajwt_keyset *ks = ajwt_keyset_new();
    (void)state;
    assert_jwks_work(priv, pub, AJWT_ES256);
    assert_int_equal(add(ks, off), AJWT_ERR_KEY_PARSE); /* point not on the curve */
    /* the d of another key with this key's x, y */
    mixed = strdup(priv);
    strcpy(strstr(mixed, ",\"d\":"), strstr(other_priv, ",\"d\":"));
    assert_int_equal(add(ks, mixed), AJWT_ERR_KEY_PARSE);
    p384 = strdup(pub);
    memcpy(strstr(p384, "P-256"), "P-384", 5); /* 32-byte coordinates are not P-384's */
    assert_int_equal(add(ks, p384), AJWT_ERR_KEY_PARSE);
    memcpy(strstr(p384, "P-384"), "P-25K", 5);
    assert_int_equal(add(ks, p384), AJWT_ERR_KEY_ALG);
    assert_int_equal(add(ks, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}"), AJWT_ERR_KEY_PARSE);
    assert_int_equal(add(ks, "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AAAA\",\"y\":\"AAAA\"}"), AJWT_ERR_KEY_ALG);
    assert_int_equal(ajwt_keyset_count(ks), 0);
    ajwt_keyset_free(ks);
    free(pub);
    free(priv);
    free(off);
    free(other_priv);
    free(mixed);
    free(p384);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(other);
}

static void okp_jwks_should_load_ed25519_only(void **state)
{
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    unsigned char x[32], d[32];
    size_t xl = 32, dl = 32;
    char *xs, *ds, pub[256], priv[256], bad[256];
    ajwt_keyset *ks = ajwt_keyset_new();
    (void)state;
    assert_int_equal(EVP_PKEY_get_raw_public_key(ed, x, &xl), 1);
    assert_int_equal(EVP_PKEY_get_raw_private_key(ed, d, &dl), 1);
    xs = tu_b64(x, 32);
    ds = tu_b64(d, 32);
    sprintf(pub, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", xs);
    sprintf(priv, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"d\":\"%s\"}", xs, ds);
    assert_jwks_work(priv, pub, AJWT_EDDSA);
    assert_jwks_work(priv, pub, AJWT_ED25519);
    sprintf(bad, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"d\":\"%s\"}", ds, ds); /* x does not match d */
    assert_int_equal(add(ks, bad), AJWT_ERR_KEY_PARSE);
    sprintf(bad, "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\"}", xs);
    assert_int_equal(add(ks, bad), AJWT_ERR_KEY_ALG);
    assert_int_equal(add(ks, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}"), AJWT_ERR_KEY_PARSE);
    assert_int_equal(ajwt_keyset_count(ks), 0);
    ajwt_keyset_free(ks);
    free(xs);
    free(ds);
    EVP_PKEY_free(ed);
}

static void jwk_alg_should_narrow_the_key(void **state)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *rs256 = rsa_jwk(rsa, 1, ",\"alg\":\"RS256\",\"kid\":\"r\"");
    ajwt_keyset *ks = ajwt_keyset_new();
    ajwt_alg algs[AJWT_ALG_COUNT];
    ajwt_signer *s;
    (void)state;
    assert_int_equal(add(ks, rs256), AJWT_OK);
    assert_int_equal(ajwt_keyset_algs(ks, algs, AJWT_ALG_COUNT), 1);
    assert_int_equal(algs[0], AJWT_RS256);
    s = ajwt_signer_new(ks, AJWT_PS256, "r");
    assert_int_equal(ajwt_signer_err(s), AJWT_ERR_KEY_ALG);
    ajwt_signer_free(s);
    /* 32 bytes cannot be an HS512 key: refused at load */
    assert_int_equal(add(ks, "{\"kty\":\"oct\",\"alg\":\"HS512\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}"),
                     AJWT_ERR_KEY_WEAK);
    assert_int_equal(add(ks, "{\"kty\":\"oct\",\"alg\":\"none\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}"),
                     AJWT_ERR_KEY_ALG);
    assert_int_equal(add(ks, "{\"kty\":\"oct\",\"alg\":\"RS256\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}"),
                     AJWT_ERR_KEY_ALG);
    assert_int_equal(ajwt_keyset_count(ks), 1);
    ajwt_keyset_free(ks);
    free(rs256);
    EVP_PKEY_free(rsa);
}

static const char oct_a[] = "{\"kty\":\"oct\",\"kid\":\"a\",\"k\":\"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE\"}";
static const char oct_b[] = "{\"kty\":\"oct\",\"kid\":\"b\",\"use\":\"sig\",\"k\":\"YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI\"}";
static const char oct_enc[] = "{\"kty\":\"oct\",\"kid\":\"e\",\"use\":\"enc\",\"k\":\"ZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWU\"}";

/* A token signed with the key of one JWK, with header kid. */
static char *token_by(const char *jwk, const char *kid)
{
    ajwt_keyset *ks = ajwt_keyset_new();
    ajwt_signer *s;
    char header[128], *tok;
    assert_int_equal(add(ks, jwk), AJWT_OK);
    s = ajwt_signer_new(ks, AJWT_HS256, NULL);
    assert_int_equal(ajwt_signer_err(s), AJWT_OK);
    if (kid)
        sprintf(header, "{\"alg\":\"HS256\",\"kid\":\"%s\"}", kid);
    else
        sprintf(header, "{\"alg\":\"HS256\"}");
    tok = tu_token(s, header, "{}");
    ajwt_signer_free(s);
    ajwt_keyset_free(ks);
    return tok;
}

static void jwks_should_select_keys_by_kid_and_skip_enc_keys(void **state)
{
    char jwks[1024], *by_b = token_by(oct_b, "b"), *by_b_as_a = token_by(oct_b, "a"), *unknown = token_by(oct_a, "c");
    char *no_kid_a = token_by(oct_a, NULL), *no_kid_b = token_by(oct_b, NULL);
    ajwt_keyset *ks = ajwt_keyset_new();
    ajwt_verifier *v;
    (void)state;
    sprintf(jwks, "{\"keys\":[%s,%s,%s]}", oct_enc, oct_a, oct_b);
    assert_int_equal(add(ks, jwks), AJWT_OK);
    assert_int_equal(ajwt_keyset_count(ks), 2);
    v = ajwt_verifier_new(ks);
    assert_int_equal(tu_verify(v, by_b), AJWT_OK);
    assert_int_equal(tu_verify(v, by_b_as_a), AJWT_ERR_SIGNATURE);
    assert_int_equal(tu_verify(v, unknown), AJWT_ERR_KEY_NOT_FOUND);
    assert_int_equal(tu_verify(v, no_kid_a), AJWT_OK);          /* no kid: the first key for the alg */
    assert_int_equal(tu_verify(v, no_kid_b), AJWT_ERR_SIGNATURE);
    assert_int_equal(add(ks, oct_enc), AJWT_ERR_KEY_ALG);       /* alone, an enc key is an error */
    ajwt_verifier_free(v);
    ajwt_keyset_free(ks);
    free(by_b);
    free(by_b_as_a);
    free(unknown);
    free(no_kid_a);
    free(no_kid_b);
}

static void jwks_should_be_all_or_nothing(void **state)
{
    char jwks[1024];
    ajwt_keyset *ks = ajwt_keyset_new();
    (void)state;
    sprintf(jwks, "{\"keys\":[%s,{\"kty\":\"oct\",\"k\":\"c2hvcnQ\"},%s]}", oct_a, oct_b);
    assert_int_equal(add(ks, jwks), AJWT_ERR_KEY_WEAK);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "keys[1]"));
    assert_int_equal(ajwt_keyset_count(ks), 0);
    sprintf(jwks, "{\"keys\":[%s]}", oct_enc);
    assert_int_equal(add(ks, jwks), AJWT_ERR_KEY_PARSE); /* no signature key at all */
    assert_int_equal(add(ks, "{\"keys\":[]}"), AJWT_ERR_KEY_PARSE);
    assert_int_equal(add(ks, "{\"keys\":[1]}"), AJWT_ERR_KEY_PARSE);
    assert_int_equal(ajwt_keyset_count(ks), 0);
    ajwt_keyset_free(ks);
}

static void malformed_jwks_should_be_refused(void **state)
{
    static const struct { const char *json; int code; } cases[] = {
        {"{\"kty\":\"oct\",\"k\":\"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE\",\"k\":\"YWFh\"}", AJWT_ERR_KEY_PARSE},
        {"{\"kty\":\"oct\",\"k\":\"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=\"}", AJWT_ERR_KEY_PARSE},
        {"{\"kty\":\"oct\",\"k\":42}", AJWT_ERR_KEY_PARSE},
        {"{\"kty\":\"oct\",\"k\":\"\"}", AJWT_ERR_KEY_PARSE},
        {"{\"kty\":\"oct\"}", AJWT_ERR_KEY_PARSE},
        {"{\"k\":\"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE\"}", AJWT_ERR_KEY_PARSE},
        {"{\"kty\":7}", AJWT_ERR_KEY_PARSE},
        {"{\"kty\":\"foo\"}", AJWT_ERR_KEY_ALG},
        {"{\"kty\":\"oct\",\"kid\":5,\"k\":\"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE\"}", AJWT_ERR_KEY_PARSE},
        {"[]", AJWT_ERR_KEY_PARSE},
        {"{\"kty\":\"oct\",", AJWT_ERR_KEY_PARSE},
        {"", AJWT_ERR_KEY_PARSE},
    };
    ajwt_keyset *ks = ajwt_keyset_new();
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = add(ks, cases[i].json);
        if (rc != cases[i].code)
            fail_msg("JWK #%zu: got %s (%s), want %s", i, ajwt_err_name((ajwt_err)rc), ajwt_keyset_errstr(ks),
                     ajwt_err_name((ajwt_err)cases[i].code));
        assert_true(ajwt_keyset_errstr(ks)[0] != '\0');
    }
    assert_int_equal(ajwt_keyset_count(ks), 0);
    assert_int_equal(add(ks, oct_a), AJWT_OK);
    assert_string_equal(ajwt_keyset_errstr(ks), "");
    ajwt_keyset_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rsa_jwks_should_load_public_and_private_with_or_without_crt),
        cmocka_unit_test(rsa_jwks_with_partial_crt_or_short_modulus_should_be_refused),
        cmocka_unit_test(ec_jwks_should_load_and_be_checked_against_the_curve),
        cmocka_unit_test(okp_jwks_should_load_ed25519_only),
        cmocka_unit_test(jwk_alg_should_narrow_the_key),
        cmocka_unit_test(jwks_should_select_keys_by_kid_and_skip_enc_keys),
        cmocka_unit_test(jwks_should_be_all_or_nothing),
        cmocka_unit_test(malformed_jwks_should_be_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

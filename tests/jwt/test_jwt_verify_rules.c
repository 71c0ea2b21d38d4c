/* test_jwt_verify_rules.c — one test per rejection rule of the token format, header, algorithm policy
 * and signature (claims are in test_jwt_claims.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jwt_testutil.h"

static const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";
#define HDR "{\"alg\":\"HS256\",\"kid\":\"k1\"}"
#define CLAIMS "{\"sub\":\"alice\"}"

typedef struct fixture {
    ajwt_keyset *ks;
    ajwt_signer *s;
    ajwt_verifier *v;
    ajwt_vctx *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->ks = tu_keyset(secret, sizeof secret, 0, "k1");
    f->s = ajwt_signer_new(f->ks, AJWT_HS256, NULL);
    f->v = ajwt_verifier_new(f->ks);
    f->c = ajwt_vctx_new(f->v);
    assert_int_equal(ajwt_signer_err(f->s), AJWT_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ajwt_vctx_free(f->c);
    ajwt_verifier_free(f->v);
    ajwt_signer_free(f->s);
    ajwt_keyset_free(f->ks);
    free(f);
    return 0;
}

/* Verifies token on the fixture's vctx; checks the code and that the message names the problem. */
static void expect(fixture *f, const char *token, int code, const char *needle)
{
    int rc = ajwt_verify(f->c, token, strlen(token));
    if (rc != code)
        fail_msg("got %s (%s), want %s for %s", ajwt_err_name((ajwt_err)rc), ajwt_vctx_errstr(f->c),
                 ajwt_err_name((ajwt_err)code), token);
    if (needle != NULL && strstr(ajwt_vctx_errstr(f->c), needle) == NULL)
        fail_msg("message '%s' lacks '%s'", ajwt_vctx_errstr(f->c), needle);
    if (code != AJWT_OK) {
        assert_null(ajwt_vctx_payload(f->c, NULL));
        assert_null(strchr(ajwt_vctx_errstr(f->c), '\n'));
    }
}

static void expect_token(fixture *f, const char *header, const char *payload, int code, const char *needle)
{
    char *t = tu_token(f->s, header, payload);
    expect(f, t, code, needle);
    free(t);
}

static void verify_should_accept_a_good_token(void **state)
{
    fixture *f = *state;
    size_t len = 0;
    expect_token(f, HDR, CLAIMS, AJWT_OK, NULL);
    assert_string_equal(ajwt_vctx_errstr(f->c), "");
    assert_int_equal(ajwt_vctx_alg(f->c), AJWT_HS256);
    assert_string_equal(ajwt_vctx_kid(f->c), "k1");
    assert_memory_equal(ajwt_vctx_payload(f->c, &len), CLAIMS, strlen(CLAIMS));
    assert_int_equal(len, strlen(CLAIMS));
    assert_string_equal(ajwt_vctx_claim_str(f->c, "sub"), "alice");
    expect_token(f, "{\"alg\":\"HS256\"}", CLAIMS, AJWT_OK, NULL);
    assert_null(ajwt_vctx_kid(f->c));
}

static void verify_should_reject_a_token_over_the_length_cap(void **state)
{
    fixture *f = *state;
    char *t = tu_token(f->s, HDR, CLAIMS);
    assert_int_equal(ajwt_verifier_set_limits(f->v, strlen(t) - 1, 16), AJWT_OK);
    expect(f, t, AJWT_ERR_TOO_LONG, "limit");
    assert_int_equal(ajwt_verifier_set_limits(f->v, strlen(t), 16), AJWT_OK);
    expect(f, t, AJWT_OK, NULL);
    assert_int_equal(ajwt_verifier_set_limits(f->v, 8, 16), AJWT_ERR_ARG);
    assert_int_equal(ajwt_verifier_set_limits(f->v, 8192, 0), AJWT_ERR_ARG);
    free(t);
}

static void verify_should_reject_anything_but_three_parts(void **state)
{
    fixture *f = *state;
    expect(f, "", AJWT_ERR_FORMAT, NULL);
    expect(f, "abc", AJWT_ERR_FORMAT, NULL);
    expect(f, "eyJhbGciOiJIUzI1NiJ9.e30", AJWT_ERR_FORMAT, NULL);
    expect(f, "a.b.c.d", AJWT_ERR_FORMAT, "more than 3");
    expect(f, "a.b.c.d.e", AJWT_ERR_FORMAT, "JWE");
    expect(f, ".e30.AAAA", AJWT_ERR_FORMAT, "empty header");
    assert_int_equal(ajwt_verify(f->c, NULL, 0), AJWT_ERR_ARG);
}

static void verify_should_reject_non_strict_base64url(void **state)
{
    fixture *f = *state;
    char *t = tu_token(f->s, HDR, CLAIMS), *bad = malloc(strlen(t) + 8);
    char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
    size_t hl = (size_t)(d1 - t), sl = strlen(d2 + 1);
    /* padding appended to the signature */
    sprintf(bad, "%s=", t);
    expect(f, bad, AJWT_ERR_BASE64, "signature");
    /* standard alphabet in the header */
    strcpy(bad, t);
    bad[hl - 1] = '+';
    expect(f, bad, AJWT_ERR_BASE64, "header");
    /* a space in the payload */
    strcpy(bad, t);
    bad[hl + 3] = ' ';
    expect(f, bad, AJWT_ERR_BASE64, "payload");
    assert_int_equal(sl, 43); /* 32 bytes: the last character carries 2 unused bits */
    free(t);
    free(bad);
}

static void verify_should_reject_trailing_bits_in_a_forged_signature_encoding(void **state)
{
    fixture *f = *state;
    char *t = tu_token(f->s, HDR, CLAIMS);
    size_t n = strlen(t);
    /* base64url characters whose value has one of the low 2 bits set, as the 43rd character */
    const char *odd = "BCDFGHJKLNOPRSTVWXZbdfhjlnprtvxz13579_-";
    char last = t[n - 1], *bad = strdup(t);
    size_t i;
    for (i = 0; odd[i]; i++) {
        bad[n - 1] = odd[i];
        if (odd[i] != last)
            expect(f, bad, AJWT_ERR_BASE64, NULL);
    }
    free(t);
    free(bad);
}

static void verify_should_reject_headers_that_are_not_one_strict_object(void **state)
{
    fixture *f = *state;
    expect_token(f, "not json", CLAIMS, AJWT_ERR_HEADER, "header");
    expect_token(f, "[\"HS256\"]", CLAIMS, AJWT_ERR_HEADER, "not a JSON object");
    expect_token(f, "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", CLAIMS, AJWT_ERR_HEADER, "duplicate member name \"alg\"");
    expect_token(f, "{\"alg\":\"none\",\"alg\":\"HS256\"}", CLAIMS, AJWT_ERR_HEADER, "duplicate");
    expect_token(f, "{\"alg\":\"HS256\",\"kid\":\"k1\",\"k\\u0069d\":\"k2\"}", CLAIMS, AJWT_ERR_HEADER, "duplicate");
    expect_token(f, "{\"alg\":\"HS256\"} ", CLAIMS, AJWT_OK, NULL);
    expect_token(f, "{\"alg\":\"HS256\"}x", CLAIMS, AJWT_ERR_HEADER, NULL);
    expect_token(f, "{\"alg\":\"HS256\",\"x\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", CLAIMS, AJWT_ERR_HEADER, "nesting");
    expect_token(f, "{\"alg\":\"HS256\",\"kid\":7}", CLAIMS, AJWT_ERR_HEADER, "kid");
    expect_token(f, "{\"alg\":\"HS256\",\"typ\":[]}", CLAIMS, AJWT_ERR_HEADER, "typ");
}

static void verify_should_never_accept_alg_none(void **state)
{
    fixture *f = *state;
    char *t = tu_token(f->s, "{\"alg\":\"none\"}", CLAIMS), *unsigned_tok = strdup(t);
    expect(f, t, AJWT_ERR_ALG_NONE, "never accepted");
    strrchr(unsigned_tok, '.')[1] = '\0'; /* "header.payload." */
    expect(f, unsigned_tok, AJWT_ERR_ALG_NONE, NULL);
    free(t);
    free(unsigned_tok);
}

static void verify_should_reject_missing_and_unknown_algs(void **state)
{
    fixture *f = *state;
    expect_token(f, "{\"kid\":\"k1\"}", CLAIMS, AJWT_ERR_ALG_UNKNOWN, "no alg");
    expect_token(f, "{\"alg\":\"HS257\"}", CLAIMS, AJWT_ERR_ALG_UNKNOWN, "HS257");
    expect_token(f, "{\"alg\":\"hs256\"}", CLAIMS, AJWT_ERR_ALG_UNKNOWN, NULL);
    expect_token(f, "{\"alg\":\"None\"}", CLAIMS, AJWT_ERR_ALG_UNKNOWN, NULL);
    expect_token(f, "{\"alg\":256}", CLAIMS, AJWT_ERR_ALG_UNKNOWN, NULL);
    expect_token(f, "{\"alg\":\"HS256\\n\\u0007\"}", CLAIMS, AJWT_ERR_ALG_UNKNOWN, "\\x0a\\x07");
}

static void verify_should_reject_algs_outside_the_allow_list(void **state)
{
    fixture *f = *state;
    ajwt_alg only_hs512[] = {AJWT_HS512}, both[] = {AJWT_HS512, AJWT_HS256};
    assert_int_equal(ajwt_verifier_set_algs(f->v, only_hs512, 1), AJWT_OK);
    expect_token(f, HDR, CLAIMS, AJWT_ERR_ALG_NOT_ALLOWED, "allowed: HS512");
    assert_int_equal(ajwt_verifier_set_algs(f->v, both, 2), AJWT_OK);
    expect_token(f, HDR, CLAIMS, AJWT_OK, NULL);
    assert_int_equal(ajwt_verifier_set_algs(f->v, both, 0), AJWT_ERR_ARG);
    both[0] = AJWT_ALG_INVALID;
    assert_int_equal(ajwt_verifier_set_algs(f->v, both, 2), AJWT_ERR_ARG);
}

static void the_default_allow_list_should_be_what_the_keys_allow(void **state)
{
    fixture *f = *state;
    /* a 32-byte secret allows HS256 only */
    expect_token(f, "{\"alg\":\"HS384\"}", CLAIMS, AJWT_ERR_ALG_NOT_ALLOWED, "allowed: HS256)");
    expect_token(f, "{\"alg\":\"RS256\"}", CLAIMS, AJWT_ERR_ALG_NOT_ALLOWED, NULL);
}

static void verify_should_reject_unknown_crit_and_unencoded_payloads(void **state)
{
    fixture *f = *state;
    expect_token(f, "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}", CLAIMS, AJWT_ERR_CRIT, "'exp' is not understood");
    expect_token(f, "{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}", CLAIMS, AJWT_ERR_CRIT, "RFC 7797");
    expect_token(f, "{\"alg\":\"HS256\",\"b64\":false}", CLAIMS, AJWT_ERR_CRIT, "RFC 7797");
    expect_token(f, "{\"alg\":\"HS256\",\"b64\":true}", CLAIMS, AJWT_OK, NULL);
    expect_token(f, "{\"alg\":\"HS256\",\"b64\":\"false\"}", CLAIMS, AJWT_ERR_HEADER, NULL);
    expect_token(f, "{\"alg\":\"HS256\",\"crit\":[]}", CLAIMS, AJWT_ERR_HEADER, "non-empty");
    expect_token(f, "{\"alg\":\"HS256\",\"crit\":\"b64\"}", CLAIMS, AJWT_ERR_HEADER, NULL);
    expect_token(f, "{\"alg\":\"HS256\",\"crit\":[1]}", CLAIMS, AJWT_ERR_HEADER, NULL);
}

static void verify_should_reject_unknown_kids(void **state)
{
    fixture *f = *state;
    expect_token(f, "{\"alg\":\"HS256\",\"kid\":\"nope\"}", CLAIMS, AJWT_ERR_KEY_NOT_FOUND, "no key with kid 'nope'");
}

static void verify_should_reject_an_hmac_forged_with_a_public_key(void **state)
{
    unsigned char *priv;
    char *pub, *forged;
    size_t pl, ul;
    ajwt_keyset *rsa, *attacker;
    ajwt_signer *as;
    ajwt_verifier *v;
    ajwt_alg both[] = {AJWT_HS256, AJWT_RS256};
    (void)state;
    tu_keygen(AJWT_RS256, &priv, &pl, &pub, &ul);
    rsa = tu_keyset(pub, ul, 1, NULL);
    attacker = tu_keyset(pub, ul, 0, NULL); /* the public PEM's bytes as an HMAC secret */
    as = ajwt_signer_new(attacker, AJWT_HS256, NULL);
    forged = tu_token(as, "{\"alg\":\"HS256\"}", CLAIMS);
    v = ajwt_verifier_new(rsa);
    assert_int_equal(tu_verify(v, forged), AJWT_ERR_ALG_NOT_ALLOWED); /* default: what the key allows */
    assert_int_equal(ajwt_verifier_set_algs(v, both, 2), AJWT_OK);
    assert_int_equal(tu_verify(v, forged), AJWT_ERR_KEY_ALG);         /* even when HS256 is allowed */
    ajwt_verifier_free(v);
    ajwt_signer_free(as);
    ajwt_keyset_free(rsa);
    ajwt_keyset_free(attacker);
    free(forged);
    free(priv);
    free(pub);
}

static void verify_should_reject_signatures_of_the_wrong_length(void **state)
{
    fixture *f = *state;
    char *t = tu_token(f->s, HDR, CLAIMS), *bad;
    unsigned char sig[64];
    memset(sig, 1, sizeof sig);
    bad = tu_with_sig(t, sig, 31);
    expect(f, bad, AJWT_ERR_SIG_LENGTH, "needs 32");
    free(bad);
    bad = tu_with_sig(t, sig, 64);
    expect(f, bad, AJWT_ERR_SIG_LENGTH, NULL);
    free(bad);
    strrchr(t, '.')[1] = '\0';
    expect(f, t, AJWT_ERR_SIG_LENGTH, "empty");
    free(t);
}

static void verify_should_reject_a_changed_signature_payload_or_header(void **state)
{
    fixture *f = *state;
    char *t = tu_token(f->s, HDR, CLAIMS), *good = strdup(t), *other = tu_token(f->s, HDR, "{\"sub\":\"mallory\"}");
    char *mixed = malloc(strlen(t) + strlen(other));
    t[strlen(t) - 5] = t[strlen(t) - 5] == 'A' ? 'B' : 'A';
    expect(f, t, AJWT_ERR_SIGNATURE, "does not verify");
    /* other's payload with good's signature */
    sprintf(mixed, "%.*s%.*s%s", (int)(strchr(good, '.') - good), good,
            (int)(strrchr(other, '.') - strchr(other, '.')), strchr(other, '.'), strrchr(good, '.'));
    expect(f, mixed, AJWT_ERR_SIGNATURE, NULL);
    expect(f, good, AJWT_OK, NULL);
    free(t);
    free(good);
    free(other);
    free(mixed);
}

/* P-256's group order n, big-endian. */
static const unsigned char p256_n[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static void verify_should_range_check_ecdsa_r_and_s(void **state)
{
    unsigned char raw[64], der[80];
    char *good, *t;
    size_t n = 0;
    ajwt_keyset *sk, *vk;
    ajwt_signer *s;
    ajwt_verifier *v;
    ajwt_alg es[] = {AJWT_ES256, AJWT_ES384};
    (void)state;
    tu_keysets(AJWT_ES256, NULL, &sk, &vk);
    s = ajwt_signer_new(sk, AJWT_ES256, NULL);
    v = ajwt_verifier_new(vk);
    good = tu_token(s, "{\"alg\":\"ES256\"}", CLAIMS);
    assert_int_equal(tu_verify(v, good), AJWT_OK);
    assert_int_equal(ajwt_b64url_decode(strrchr(good, '.') + 1, strlen(strrchr(good, '.') + 1), raw, sizeof raw, &n),
                     AJWT_OK);
    assert_int_equal(n, 64);
    memset(der, 0, 64); /* r = s = 0 */
    t = tu_with_sig(good, der, 64);
    assert_int_equal(tu_verify(v, t), AJWT_ERR_SIGNATURE);
    free(t);
    memcpy(der, p256_n, 32); /* r = n */
    memcpy(der + 32, raw + 32, 32);
    t = tu_with_sig(good, der, 64);
    assert_int_equal(tu_verify(v, t), AJWT_ERR_SIGNATURE);
    free(t);
    memcpy(der, raw, 32); /* s = n */
    memcpy(der + 32, p256_n, 32);
    t = tu_with_sig(good, der, 64);
    assert_int_equal(tu_verify(v, t), AJWT_ERR_SIGNATURE);
    free(t);
    memset(der, 0xff, 64); /* r, s > n */
    t = tu_with_sig(good, der, 64);
    assert_int_equal(tu_verify(v, t), AJWT_ERR_SIGNATURE);
    free(t);
    t = tu_with_sig(good, raw, 63); /* one byte short */
    assert_int_equal(tu_verify(v, t), AJWT_ERR_SIG_LENGTH);
    free(t);
    /* a DER-encoded signature (what OpenSSL emits) is not the JWS format */
    der[0] = 0x30, der[1] = 68, der[2] = 0x02, der[3] = 32, der[36] = 0x02, der[37] = 32;
    memcpy(der + 4, raw, 32);
    memcpy(der + 38, raw + 32, 32);
    der[4] &= 0x7f, der[38] &= 0x7f;
    t = tu_with_sig(good, der, 70);
    assert_int_equal(tu_verify(v, t), AJWT_ERR_SIG_LENGTH);
    free(t);
    /* an ES384 token for a P-256 key */
    t = tu_token(s, "{\"alg\":\"ES384\"}", CLAIMS);
    assert_int_equal(tu_verify(v, t), AJWT_ERR_ALG_NOT_ALLOWED);
    assert_int_equal(ajwt_verifier_set_algs(v, es, 2), AJWT_OK);
    assert_int_equal(tu_verify(v, t), AJWT_ERR_KEY_ALG);
    free(t);
    free(good);
    ajwt_verifier_free(v);
    ajwt_signer_free(s);
    ajwt_keyset_free(sk);
    ajwt_keyset_free(vk);
}

static void verify_should_reject_detached_content(void **state)
{
    fixture *f = *state;
    char *t = tu_token(f->s, HDR, CLAIMS), *detached = malloc(strlen(t));
    sprintf(detached, "%.*s..%s", (int)(strchr(t, '.') - t), t, strrchr(t, '.') + 1);
    expect(f, detached, AJWT_ERR_DETACHED, "detached content");
    free(t);
    free(detached);
}

static void verify_should_reject_payloads_that_are_not_one_strict_object(void **state)
{
    fixture *f = *state;
    expect_token(f, HDR, "Payload", AJWT_ERR_PAYLOAD, NULL);
    expect_token(f, HDR, "[1,2]", AJWT_ERR_PAYLOAD, "not a JSON object");
    expect_token(f, HDR, "{\"sub\":\"alice\",\"sub\":\"admin\"}", AJWT_ERR_PAYLOAD, "duplicate member name \"sub\"");
    expect_token(f, HDR, "{\"a\":{\"b\":1,\"b\":2}}", AJWT_ERR_PAYLOAD, "duplicate");
    expect_token(f, HDR, "{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", AJWT_ERR_PAYLOAD, "nesting deeper than 16");
    assert_int_equal(ajwt_verifier_set_limits(f->v, 8192, 2), AJWT_OK);
    expect_token(f, HDR, "{\"a\":[[1]]}", AJWT_ERR_PAYLOAD, "nesting deeper than 2");
    expect_token(f, HDR, "{\"a\":[1]}", AJWT_OK, NULL);
}

static void opaque_payload_verifiers_should_accept_any_bytes(void **state)
{
    fixture *f = *state;
    assert_int_equal(ajwt_verifier_set_opaque_payload(f->v, 1), AJWT_OK);
    expect_token(f, HDR, "Payload", AJWT_OK, NULL);
    assert_null(ajwt_vctx_claim_str(f->c, "sub"));
    assert_int_equal(ajwt_verifier_set_issuer(f->v, "x"), AJWT_ERR_ARG);
    assert_int_equal(ajwt_verifier_require(f->v, "sub"), AJWT_ERR_ARG);
    assert_int_equal(ajwt_verifier_set_opaque_payload(f->v, 0), AJWT_OK);
    assert_int_equal(ajwt_verifier_set_issuer(f->v, "x"), AJWT_OK);
    assert_int_equal(ajwt_verifier_set_opaque_payload(f->v, 1), AJWT_ERR_ARG);
}

static void the_header_cache_should_never_skip_the_signature(void **state)
{
    fixture *f = *state;
    char *a = tu_token(f->s, HDR, CLAIMS), *b = tu_token(f->s, HDR, "{\"sub\":\"bob\"}");
    char *bad = strdup(b);
    bad[strlen(bad) - 4] = bad[strlen(bad) - 4] == 'A' ? 'B' : 'A';
    expect(f, a, AJWT_OK, NULL);
    expect(f, bad, AJWT_ERR_SIGNATURE, NULL);
    expect(f, b, AJWT_OK, NULL);
    assert_string_equal(ajwt_vctx_claim_str(f->c, "sub"), "bob");
    expect_token(f, "{\"alg\":\"HS256\",\"kid\":\"other\"}", CLAIMS, AJWT_ERR_KEY_NOT_FOUND, NULL);
    expect(f, a, AJWT_OK, NULL);
    assert_string_equal(ajwt_vctx_kid(f->c), "k1");
    free(a);
    free(b);
    free(bad);
}

static void reconfiguring_the_verifier_should_drop_cached_headers(void **state)
{
    fixture *f = *state;
    ajwt_alg only_hs512[] = {AJWT_HS512};
    char *t = tu_token(f->s, HDR, CLAIMS);
    expect(f, t, AJWT_OK, NULL);
    assert_int_equal(ajwt_verifier_set_algs(f->v, only_hs512, 1), AJWT_OK);
    expect(f, t, AJWT_ERR_ALG_NOT_ALLOWED, NULL);
    free(t);
}

static void pem_labels_in_messages_should_stay_on_one_line(void **state)
{
    ajwt_keyset *ks = ajwt_keyset_new();
    const char *pem = "-----BEGIN X\nY-----\nAAAA\n-----END X-----\n";
    (void)state;
    assert_int_equal(ajwt_keyset_add_pem(ks, pem, strlen(pem), NULL), AJWT_ERR_KEY_PARSE);
    assert_null(strchr(ajwt_keyset_errstr(ks), '\n'));
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "X\\x0aY"));
    ajwt_keyset_free(ks);
}

static void verify_raw_should_apply_the_same_binding_and_length_rules(void **state)
{
    fixture *f = *state;
    unsigned char sig[64];
    size_t n = 0;
    const unsigned char msg[] = "signing input";
    assert_int_equal(ajwt_sign_raw(f->s, msg, sizeof msg, sig, sizeof sig, &n), AJWT_OK);
    assert_int_equal(ajwt_verify_raw(f->c, AJWT_HS256, "k1", msg, sizeof msg, sig, n), AJWT_OK);
    assert_int_equal(ajwt_verify_raw(f->c, AJWT_HS256, NULL, msg, sizeof msg, sig, n), AJWT_OK);
    assert_int_equal(ajwt_verify_raw(f->c, AJWT_HS256, NULL, msg, sizeof msg - 1, sig, n), AJWT_ERR_SIGNATURE);
    assert_int_equal(ajwt_verify_raw(f->c, AJWT_HS256, NULL, msg, sizeof msg, sig, n - 1), AJWT_ERR_SIG_LENGTH);
    assert_int_equal(ajwt_verify_raw(f->c, AJWT_HS256, "k2", msg, sizeof msg, sig, n), AJWT_ERR_KEY_NOT_FOUND);
    assert_int_equal(ajwt_verify_raw(f->c, AJWT_HS512, NULL, msg, sizeof msg, sig, n), AJWT_ERR_ALG_NOT_ALLOWED);
    assert_int_equal(ajwt_verify_raw(f->c, AJWT_ALG_INVALID, NULL, msg, sizeof msg, sig, n), AJWT_ERR_ALG_UNKNOWN);
    assert_null(ajwt_vctx_payload(f->c, NULL));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(verify_should_accept_a_good_token),
        T(verify_should_reject_a_token_over_the_length_cap),
        T(verify_should_reject_anything_but_three_parts),
        T(verify_should_reject_non_strict_base64url),
        T(verify_should_reject_trailing_bits_in_a_forged_signature_encoding),
        T(verify_should_reject_headers_that_are_not_one_strict_object),
        T(verify_should_never_accept_alg_none),
        T(verify_should_reject_missing_and_unknown_algs),
        T(verify_should_reject_algs_outside_the_allow_list),
        T(the_default_allow_list_should_be_what_the_keys_allow),
        T(verify_should_reject_unknown_crit_and_unencoded_payloads),
        T(verify_should_reject_unknown_kids),
        T(verify_should_reject_an_hmac_forged_with_a_public_key),
        T(verify_should_reject_signatures_of_the_wrong_length),
        T(verify_should_reject_a_changed_signature_payload_or_header),
        T(verify_should_range_check_ecdsa_r_and_s),
        T(verify_should_reject_detached_content),
        T(verify_should_reject_payloads_that_are_not_one_strict_object),
        T(opaque_payload_verifiers_should_accept_any_bytes),
        T(the_header_cache_should_never_skip_the_signature),
        T(reconfiguring_the_verifier_should_drop_cached_headers),
        T(pem_labels_in_messages_should_stay_on_one_line),
        T(verify_raw_should_apply_the_same_binding_and_length_rules),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

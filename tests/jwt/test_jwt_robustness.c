/* test_jwt_robustness.c — hostile input never crashes or verifies: mutated tokens, random bytes,
 * mutated JWKs and claims (run under ASan/UBSan in the test build). Seeded, so failures reproduce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jwt_testutil.h"

#define MUTATIONS 4000

static unsigned rnd(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

/* One random edit: flip a bit, overwrite, insert, delete, or duplicate a span. Returns the new length. */
static size_t mutate(char *buf, size_t len, size_t cap, unsigned *seed)
{
    size_t pos = len ? rnd(seed) % len : 0, n;
    static const char interesting[] = ".=+/-_ \"{}[]:,\\\n";
    switch (rnd(seed) % 6) {
    case 0:
        if (len)
            buf[pos] ^= (char)(1 << (rnd(seed) % 8));
        return len;
    case 1:
        if (len)
            buf[pos] = interesting[rnd(seed) % (sizeof interesting - 1)];
        return len;
    case 2:
        if (len + 1 < cap) {
            memmove(buf + pos + 1, buf + pos, len - pos);
            buf[pos] = (char)rnd(seed);
            return len + 1;
        }
        return len;
    case 3:
        if (len) {
            memmove(buf + pos, buf + pos + 1, len - pos - 1);
            return len - 1;
        }
        return len;
    case 4:
        return pos; /* truncate */
    default:
        n = rnd(seed) % 16;
        if (pos + n <= len && len + n < cap) {
            memmove(buf + pos + n, buf + pos, len - pos);
            return len + n;
        }
        return len;
    }
}

static void mutated_tokens_should_never_verify(void **state)
{
    static const ajwt_alg algs[] = {AJWT_HS256, AJWT_ES256, AJWT_EDDSA, AJWT_PS256};
    size_t a;
    unsigned seed = 12345;
    (void)state;
    for (a = 0; a < sizeof algs / sizeof algs[0]; a++) {
        char good[2048], buf[4096];
        size_t gl, i;
        ajwt_keyset *sk, *vk;
        ajwt_signer *s;
        ajwt_verifier *v;
        ajwt_vctx *c;
        const char *claims = "{\"sub\":\"x\",\"aud\":[\"a\"],\"n\":{\"m\":[1,2]}}";
        int accepted = 0;
        tu_keysets(algs[a], "k", &sk, &vk);
        s = ajwt_signer_new(sk, algs[a], NULL);
        v = ajwt_verifier_new(vk);
        c = ajwt_vctx_new(v);
        assert_int_equal(ajwt_sign(s, claims, strlen(claims), good, sizeof good, &gl), AJWT_OK);
        for (i = 0; i < MUTATIONS / 4; i++) {
            size_t len = gl, k, edits = 1 + rnd(&seed) % 3;
            memcpy(buf, good, gl);
            for (k = 0; k < edits; k++)
                len = mutate(buf, len, sizeof buf, &seed);
            if (ajwt_verify(c, buf, len) == AJWT_OK && (len != gl || memcmp(buf, good, gl) != 0))
                accepted++;
            else
                assert_true(ajwt_vctx_err(c) == AJWT_OK || ajwt_vctx_errstr(c)[0] != '\0');
        }
        assert_int_equal(accepted, 0);
        assert_int_equal(ajwt_verify(c, good, gl), AJWT_OK); /* the context still works */
        ajwt_vctx_free(c);
        ajwt_verifier_free(v);
        ajwt_signer_free(s);
        ajwt_keyset_free(sk);
        ajwt_keyset_free(vk);
    }
}

static void random_bytes_should_be_rejected(void **state)
{
    static const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";
    ajwt_keyset *ks = tu_keyset(secret, 32, 0, NULL);
    ajwt_verifier *v = ajwt_verifier_new(ks);
    ajwt_vctx *c = ajwt_vctx_new(v);
    char buf[512];
    unsigned seed = 99;
    int i;
    size_t k;
    (void)state;
    for (i = 0; i < MUTATIONS; i++) {
        size_t len = rnd(&seed) % sizeof buf;
        for (k = 0; k < len; k++)
            buf[k] = (i & 1) ? "eyJhbGciOiJIUzI1NiJ9.-_"[rnd(&seed) % 23] : (char)rnd(&seed);
        assert_int_not_equal(ajwt_verify(c, buf, len), AJWT_OK);
        assert_true(ajwt_vctx_errstr(c)[0] != '\0');
        assert_int_not_equal(ajwt_verify_claims(c, buf, len), AJWT_OK);
        assert_int_not_equal(ajwt_verify_raw(c, AJWT_HS256, NULL, (unsigned char *)buf, len,
                                             (unsigned char *)buf, len < 32 ? len : 32), AJWT_OK);
    }
    ajwt_vctx_free(c);
    ajwt_verifier_free(v);
    ajwt_keyset_free(ks);
}

static void mutated_claims_should_parse_or_be_rejected_cleanly(void **state)
{
    static const char seedjson[] = "{\"sub\":\"user\",\"exp\":1e3,\"aud\":[\"a\",\"b\"],\"n\":{\"x\":\"\\u00e9\\ud83d\\ude00\"},"
                                   "\"f\":-1.5E-3,\"t\":true,\"z\":null}";
    ajwt_keyset *ks = ajwt_keyset_new();
    ajwt_verifier *v = ajwt_verifier_new(ks);
    ajwt_vctx *c = ajwt_vctx_new(v);
    char buf[512];
    unsigned seed = 7;
    int i, ok = 0;
    (void)state;
    for (i = 0; i < MUTATIONS; i++) {
        size_t len = sizeof seedjson - 1, k, edits = 1 + rnd(&seed) % 4;
        int rc, rc2;
        memcpy(buf, seedjson, len);
        for (k = 0; k < edits; k++)
            len = mutate(buf, len, sizeof buf, &seed);
        rc = ajwt_verify_claims(c, buf, len);
        rc2 = ajwt_claims_check(buf, len, 0, NULL, 0);
        /* the claims step may also fail on claim rules, never on JSON that the check accepts */
        assert_true(rc2 == AJWT_OK || rc2 == AJWT_ERR_PAYLOAD);
        assert_true(rc2 == AJWT_OK || rc == AJWT_ERR_PAYLOAD);
        assert_true(rc2 != AJWT_OK || rc != AJWT_ERR_PAYLOAD);
        ok += rc == AJWT_OK;
    }
    assert_true(ok > 0);
    ajwt_vctx_free(c);
    ajwt_verifier_free(v);
    ajwt_keyset_free(ks);
}

static void mutated_jwks_should_load_or_be_refused_cleanly(void **state)
{
    unsigned char *priv;
    char *pub, seedjwk[1024], buf[2048];
    size_t pl, ul, i;
    unsigned seed = 3;
    ajwt_keyset *ks = ajwt_keyset_new();
    int loaded = 0, refused = 0;
    (void)state;
    tu_keygen(AJWT_ES256, &priv, &pl, &pub, &ul);
    snprintf(seedjwk, sizeof seedjwk, "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"alg\":\"HS256\",\"k\":"
             "\"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
             "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}");
    for (i = 0; i < MUTATIONS / 2; i++) {
        size_t len = strlen(seedjwk), k, edits = 1 + rnd(&seed) % 3;
        memcpy(buf, seedjwk, len);
        for (k = 0; k < edits; k++)
            len = mutate(buf, len, sizeof buf, &seed);
        if (ajwt_keyset_add_jwk(ks, buf, len) == AJWT_OK) {
            loaded++;
        } else {
            refused++;
            assert_true(ajwt_keyset_errstr(ks)[0] != '\0');
        }
        memcpy(buf, pub, ul);
        len = mutate(buf, ul, sizeof buf, &seed);
        if (ajwt_keyset_add_pem(ks, buf, len, NULL) == AJWT_OK)
            loaded++;
    }
    assert_true(refused > 0);
    ajwt_keyset_free(ks);
    free(priv);
    free(pub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mutated_tokens_should_never_verify),
        cmocka_unit_test(random_bytes_should_be_rejected),
        cmocka_unit_test(mutated_claims_should_parse_or_be_rejected_cleanly),
        cmocka_unit_test(mutated_jwks_should_load_or_be_refused_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

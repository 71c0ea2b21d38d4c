/* test_jwt_roundtrip.c — keygen → sign → verify for every algorithm, deterministic signatures, the
 * sign API's bounds, and concurrent sign/verify on shared keysets, signers and verifiers. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jwt_testutil.h"

#define CLAIMS "{\"sub\":\"user-1\",\"roles\":[\"a\",\"b\"],\"exp\":9000000000}"

/* Keys for one algorithm: a signing keyset (private) and a verifying keyset (public or secret). */
typedef struct keys {
    ajwt_alg alg;
    ajwt_keyset *sk, *vk;
} keys;

static void keys_make(keys *k, ajwt_alg alg)
{
    k->alg = alg;
    tu_keysets(alg, "kid-1", &k->sk, &k->vk);
}

static void keys_free(keys *k)
{
    ajwt_keyset_free(k->sk);
    ajwt_keyset_free(k->vk);
}

static void round_trip_should_verify_for(void **state)
{
    ajwt_alg alg = (ajwt_alg)(intptr_t)*state;
    keys k;
    ajwt_signer *s;
    ajwt_verifier *v;
    ajwt_vctx *c;
    char tok[2048], *tampered;
    size_t n, len = 0;
    keys_make(&k, alg);
    s = ajwt_signer_new(k.sk, alg, NULL);
    assert_int_equal(ajwt_signer_err(s), AJWT_OK);
    assert_int_equal(ajwt_sign(s, CLAIMS, strlen(CLAIMS), tok, sizeof tok, &n), AJWT_OK);
    assert_int_equal(n, strlen(tok));
    assert_true(n <= ajwt_sign_bound(s, strlen(CLAIMS)));
    v = ajwt_verifier_new(k.vk);
    c = ajwt_vctx_new(v);
    if (ajwt_verify(c, tok, n) != AJWT_OK)
        fail_msg("%s: %s", ajwt_alg_name(alg), ajwt_vctx_errstr(c));
    assert_int_equal(ajwt_vctx_alg(c), alg);
    assert_string_equal(ajwt_vctx_kid(c), "kid-1");
    assert_memory_equal(ajwt_vctx_payload(c, &len), CLAIMS, strlen(CLAIMS));
    /* the same vctx again (cached header), then a tampered payload */
    assert_int_equal(ajwt_verify(c, tok, n), AJWT_OK);
    tampered = strdup(tok);
    tampered[strchr(tok, '.') - tok + 5] ^= 1;
    assert_int_not_equal(ajwt_verify(c, tampered, n), AJWT_OK);
    free(tampered);
    ajwt_vctx_free(c);
    ajwt_verifier_free(v);
    ajwt_signer_free(s);
    keys_free(&k);
}

static void deterministic_algorithms_should_sign_identically(void **state)
{
    static const ajwt_alg det[] = {AJWT_HS256, AJWT_HS512, AJWT_RS256, AJWT_EDDSA};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof det / sizeof det[0]; i++) {
        keys k;
        ajwt_signer *s;
        char a[2048], b[2048];
        size_t n;
        keys_make(&k, det[i]);
        s = ajwt_signer_new(k.sk, det[i], NULL);
        assert_int_equal(ajwt_sign(s, CLAIMS, strlen(CLAIMS), a, sizeof a, &n), AJWT_OK);
        assert_int_equal(ajwt_sign(s, CLAIMS, strlen(CLAIMS), b, sizeof b, &n), AJWT_OK);
        assert_string_equal(a, b);
        ajwt_signer_free(s);
        keys_free(&k);
    }
}

static void sign_should_respect_its_bounds_and_arguments(void **state)
{
    keys k;
    ajwt_signer *s;
    char tok[512], expect_hdr[64];
    unsigned char sig[64];
    size_t n = 0, need;
    (void)state;
    keys_make(&k, AJWT_HS256);
    s = ajwt_signer_new(k.sk, AJWT_HS256, NULL);
    need = ajwt_sign_bound(s, 2);
    assert_int_equal(ajwt_sign(s, "{}", 2, tok, need, &n), AJWT_ERR_ARG);
    assert_int_equal(ajwt_sign(s, "{}", 2, tok, need + 1, &n), AJWT_OK);
    assert_int_equal(n, need);
    /* header {"alg":"HS256","typ":"JWT","kid":"kid-1"} */
    assert_int_equal(ajwt_b64url_decode(tok, (size_t)(strchr(tok, '.') - tok), (unsigned char *)expect_hdr,
                                        sizeof expect_hdr, &n), AJWT_OK);
    assert_memory_equal(expect_hdr, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"kid-1\"}", n);
    assert_int_equal(ajwt_sign(s, NULL, 2, tok, sizeof tok, &n), AJWT_ERR_ARG);
    assert_int_equal(ajwt_sign(NULL, "{}", 2, tok, sizeof tok, &n), AJWT_ERR_ARG);
    assert_int_equal(ajwt_sign_raw(s, (const unsigned char *)"x", 1, sig, 31, &n), AJWT_ERR_ARG);
    assert_int_equal(ajwt_sign_raw(s, (const unsigned char *)"x", 1, sig, 32, &n), AJWT_OK);
    assert_int_equal(n, 32);
    ajwt_signer_free(s);
    s = ajwt_signer_new(k.sk, AJWT_ALG_INVALID, NULL);
    assert_int_equal(ajwt_signer_err(s), AJWT_ERR_ARG);
    assert_int_equal(ajwt_sign_bound(s, 2), 0);
    ajwt_signer_free(s);
    ajwt_signer_free(NULL);
    keys_free(&k);
}

static void kids_with_quotes_should_be_escaped_in_the_header(void **state)
{
    static const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";
    ajwt_keyset *ks = tu_keyset(secret, 32, 0, "a\"b\\c\n");
    ajwt_signer *s = ajwt_signer_new(ks, AJWT_HS256, NULL);
    ajwt_verifier *v = ajwt_verifier_new(ks);
    ajwt_vctx *c = ajwt_vctx_new(v);
    char tok[512];
    size_t n;
    (void)state;
    assert_int_equal(ajwt_sign(s, "{}", 2, tok, sizeof tok, &n), AJWT_OK);
    assert_int_equal(ajwt_verify(c, tok, n), AJWT_OK);
    assert_string_equal(ajwt_vctx_kid(c), "a\"b\\c\n");
    ajwt_vctx_free(c);
    ajwt_verifier_free(v);
    ajwt_signer_free(s);
    ajwt_keyset_free(ks);
}

/* ---- threads ---- */

#define THREADS 12
#define ROUNDS 300

typedef struct shared {
    const ajwt_signer *s;
    const ajwt_verifier *v;
    int failures;
    pthread_mutex_t lock;
} shared;

/* Each thread signs with the shared signer and verifies with its own vctx on the shared verifier. */
static void *worker(void *arg)
{
    shared *sh = arg;
    ajwt_vctx *c = ajwt_vctx_new(sh->v);
    char claims[64], tok[2048];
    int i, bad = 0;
    for (i = 0; i < ROUNDS; i++) {
        size_t n, len = 0;
        const char *p;
        int cl = snprintf(claims, sizeof claims, "{\"sub\":\"t%p-%d\"}", (void *)c, i);
        if (ajwt_sign(sh->s, claims, (size_t)cl, tok, sizeof tok, &n) != AJWT_OK || ajwt_verify(c, tok, n) != AJWT_OK ||
            (p = ajwt_vctx_payload(c, &len)) == NULL || len != (size_t)cl || memcmp(p, claims, len) != 0)
            bad++;
    }
    ajwt_vctx_free(c);
    pthread_mutex_lock(&sh->lock);
    sh->failures += bad;
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

static void shared_signers_and_verifiers_should_work_across_threads(void **state)
{
    static const ajwt_alg algs[] = {AJWT_HS256, AJWT_ES256, AJWT_EDDSA};
    size_t a;
    (void)state;
    for (a = 0; a < sizeof algs / sizeof algs[0]; a++) {
        pthread_t th[THREADS];
        shared sh;
        keys k;
        int i;
        keys_make(&k, algs[a]);
        sh.s = ajwt_signer_new(k.sk, algs[a], NULL);
        sh.v = ajwt_verifier_new(k.vk);
        sh.failures = 0;
        pthread_mutex_init(&sh.lock, NULL);
        for (i = 0; i < THREADS; i++)
            assert_int_equal(pthread_create(&th[i], NULL, worker, &sh), 0);
        for (i = 0; i < THREADS; i++)
            pthread_join(th[i], NULL);
        assert_int_equal(sh.failures, 0);
        pthread_mutex_destroy(&sh.lock);
        ajwt_signer_free((ajwt_signer *)sh.s);
        ajwt_verifier_free((ajwt_verifier *)sh.v);
        keys_free(&k);
    }
}

int main(void)
{
#define RT(alg) {"round_trip_should_verify_for_" #alg, round_trip_should_verify_for, NULL, NULL, (void *)(intptr_t)AJWT_##alg}
    const struct CMUnitTest tests[] = {
        RT(HS256), RT(HS384), RT(HS512), RT(RS256), RT(RS384), RT(RS512), RT(PS256), RT(PS384), RT(PS512),
        RT(ES256), RT(ES384), RT(ES512), RT(EDDSA), RT(ED25519),
        cmocka_unit_test(deterministic_algorithms_should_sign_identically),
        cmocka_unit_test(sign_should_respect_its_bounds_and_arguments),
        cmocka_unit_test(kids_with_quotes_should_be_escaped_in_the_header),
        cmocka_unit_test(shared_signers_and_verifiers_should_work_across_threads),
    };
#undef RT
    return cmocka_run_group_tests(tests, NULL, NULL);
}

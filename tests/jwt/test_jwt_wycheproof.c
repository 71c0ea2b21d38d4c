/* test_jwt_wycheproof.c — every Wycheproof vector in $AUTHBENCH_VECTORS/wycheproof through
 * ajwt_verify_raw(), the signature step of the JWS verify path, with each group's key imported through
 * its JWK (publicKeyJwk / keyJwk; the PEM when a group has none; HMAC keys as oct JWKs with "alg").
 *
 * How results are treated:
 *   valid       must verify.
 *   invalid     must be rejected.
 *   acceptable  must be rejected: the only ones here are RSASSA-PKCS1-v1_5 signatures whose
 *               DigestInfo lacks the NULL parameters ("MissingNull"), a legacy encoding. OpenSSL 3
 *               re-encodes the DigestInfo and compares it whole, so it refuses them, and so do we.
 * Groups the JWS rules exclude are counted, not silently dropped:
 *   HMAC groups with a tag shorter than the hash: JWS never truncates; skipped.
 *   HMAC groups with a key shorter than the hash: refused at key load with key_weak (RFC 7518 3.2).
 *   RSA groups below 2048 bits: refused at key load with key_weak (none in this subset).
 * The totals per file are asserted, so a changed file or a changed verdict fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jwt_testutil.h"
#include "tsupport.h"

typedef struct wfile {
    const char *name;
    ajwt_alg alg;
    int accepted, rejected;   /* expected totals over the groups that were run */
    int refused_groups;       /* groups whose key is refused at load (key_weak) */
    int skipped_tests;        /* tests in groups JWS does not use (truncated HMAC tags) */
} wfile;

static const wfile files[] = {
    {"ecdsa_secp256r1_sha256_p1363_test.json", AJWT_ES256, 173, 89, 0, 0},
    {"ecdsa_secp384r1_sha384_p1363_test.json", AJWT_ES384, 193, 87, 0, 0},
    {"ecdsa_secp521r1_sha512_p1363_test.json", AJWT_ES512, 231, 87, 0, 0},
    {"ed25519_test.json", AJWT_EDDSA, 88, 63, 0, 0},
    {"ed25519_test.json", AJWT_ED25519, 88, 63, 0, 0},
    {"hmac_sha256_test.json", AJWT_HS256, 30, 54, 1, 87},
    {"hmac_sha384_test.json", AJWT_HS384, 30, 54, 1, 87},
    {"hmac_sha512_test.json", AJWT_HS512, 30, 54, 1, 87},
    {"rsa_pss_2048_sha256_mgf1_32_test.json", AJWT_PS256, 63, 45, 0, 0},
    {"rsa_signature_2048_sha256_test.json", AJWT_RS256, 9, 250, 0, 0},
    {"rsa_signature_2048_sha384_test.json", AJWT_RS384, 7, 251, 0, 0},
    {"rsa_signature_2048_sha512_test.json", AJWT_RS512, 8, 251, 0, 0},
    {"rsa_signature_3072_sha256_test.json", AJWT_RS256, 8, 251, 0, 0},
    {"rsa_signature_3072_sha384_test.json", AJWT_RS384, 7, 252, 0, 0},
    {"rsa_signature_3072_sha512_test.json", AJWT_RS512, 8, 252, 0, 0},
    {"rsa_signature_4096_sha256_test.json", AJWT_RS256, 7, 251, 0, 0},
    {"rsa_signature_4096_sha384_test.json", AJWT_RS384, 7, 252, 0, 0},
    {"rsa_signature_4096_sha512_test.json", AJWT_RS512, 7, 252, 0, 0},
};

typedef struct tally {
    int accepted, rejected, refused_groups, skipped_tests;
} tally;

static int num(const cJSON *o, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(it) ? it->valueint : -1;
}

static const char *text(const cJSON *o, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* An HMAC group's key as an oct JWK bound to the file's algorithm. */
static int add_hmac_key(ajwt_keyset *ks, const cJSON *test, ajwt_alg alg)
{
    size_t len = 0;
    unsigned char *key = tsupport_hex(text(test, "key"), &len);
    char *k = tu_b64(key, len), *jwk = malloc(strlen(k) + 64);
    int rc;
    sprintf(jwk, "{\"kty\":\"oct\",\"alg\":\"%s\",\"k\":\"%s\"}", ajwt_alg_name(alg), k);
    rc = ajwt_keyset_add_jwk(ks, jwk, strlen(jwk));
    free(key);
    free(k);
    free(jwk);
    return rc;
}

/* A signature group's public key: its JWK, else its PEM. */
static int add_public_key(ajwt_keyset *ks, const cJSON *group)
{
    const cJSON *jwk = cJSON_GetObjectItemCaseSensitive(group, "publicKeyJwk");
    const char *pem = text(group, "publicKeyPem");
    char *json;
    int rc;
    if (jwk == NULL)
        jwk = cJSON_GetObjectItemCaseSensitive(group, "keyJwk");
    if (jwk == NULL) {
        assert_non_null(pem);
        return ajwt_keyset_add_pem(ks, pem, strlen(pem), NULL);
    }
    json = cJSON_PrintUnformatted(jwk);
    rc = ajwt_keyset_add_jwk(ks, json, strlen(json));
    free(json);
    return rc;
}

/* Runs one test: returns 1 when verified, 0 when rejected; fails on a wrong verdict. */
static int check_test(ajwt_vctx *c, ajwt_alg alg, const cJSON *t, const char *file)
{
    const char *tag = text(t, "tag") ? "tag" : "sig", *result = text(t, "result");
    size_t ml = 0, sl = 0;
    unsigned char *msg = tsupport_hex(text(t, "msg"), &ml), *sig = tsupport_hex(text(t, tag), &sl);
    int rc;
    assert_true(msg != NULL && sig != NULL);
    rc = ajwt_verify_raw(c, alg, NULL, msg, ml, sig, sl);
    free(msg);
    free(sig);
    if (strcmp(result, "valid") == 0 && rc != AJWT_OK)
        fail_msg("%s %s tcId %d (valid, %s) rejected: %s", file, ajwt_alg_name(alg), num(t, "tcId"),
                 text(t, "comment"), ajwt_vctx_errstr(c));
    if (strcmp(result, "valid") != 0 && rc == AJWT_OK)
        fail_msg("%s %s tcId %d (%s, %s) accepted", file, ajwt_alg_name(alg), num(t, "tcId"), result,
                 text(t, "comment"));
    if (rc != AJWT_OK)
        assert_true(ajwt_vctx_errstr(c)[0] != '\0');
    return rc == AJWT_OK;
}

/* Runs the tests of one group against one key (the first test's key for HMAC groups: Wycheproof
 * HMAC tests each carry a key, so each test gets its own keyset). */
static void run_group(const cJSON *group, const wfile *wf, tally *tl)
{
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(group, "tests"), *t;
    int hmac = wf->alg <= AJWT_HS512, hash_bits = 0, key_bits = num(group, "keySize");
    if (hmac) {
        hash_bits = wf->alg == AJWT_HS256 ? 256 : wf->alg == AJWT_HS384 ? 384 : 512;
        if (num(group, "tagSize") != hash_bits) {
            tl->skipped_tests += cJSON_GetArraySize(tests);
            return;
        }
    }
    cJSON_ArrayForEach(t, tests) {
        ajwt_keyset *ks = ajwt_keyset_new();
        ajwt_verifier *v;
        ajwt_vctx *c;
        int rc = hmac ? add_hmac_key(ks, t, wf->alg) : add_public_key(ks, group);
        int weak = hmac ? key_bits < hash_bits : key_bits > 0 && key_bits < 2048 && wf->alg >= AJWT_RS256 &&
                                                 wf->alg <= AJWT_PS512;
        if (weak) {
            assert_int_equal(rc, AJWT_ERR_KEY_WEAK);
            tl->refused_groups++;
            ajwt_keyset_free(ks);
            return;
        }
        if (rc != AJWT_OK)
            fail_msg("%s: key refused: %s", wf->name, ajwt_keyset_errstr(ks));
        v = ajwt_verifier_new(ks);
        c = ajwt_vctx_new(v);
        if (check_test(c, wf->alg, t, wf->name))
            tl->accepted++;
        else
            tl->rejected++;
        ajwt_vctx_free(c);
        ajwt_verifier_free(v);
        ajwt_keyset_free(ks);
    }
}

static void run_file(const wfile *wf)
{
    cJSON *root = tu_vector_json("wycheproof", wf->name), *group;
    tally tl = {0, 0, 0, 0};
    cJSON_ArrayForEach(group, cJSON_GetObjectItemCaseSensitive(root, "testGroups"))
        run_group(group, wf, &tl);
    print_message("%-42s %-7s accepted %3d rejected %3d refused groups %d skipped %d\n", wf->name,
                  ajwt_alg_name(wf->alg), tl.accepted, tl.rejected, tl.refused_groups, tl.skipped_tests);
    assert_int_equal(tl.accepted, wf->accepted);
    assert_int_equal(tl.rejected, wf->rejected);
    assert_int_equal(tl.refused_groups, wf->refused_groups);
    assert_int_equal(tl.skipped_tests, wf->skipped_tests);
    cJSON_Delete(root);
}

static void wycheproof_vectors_should_get_the_expected_verdicts(void **state)
{
    const wfile *wf = *state;
    run_file(wf);
}

static void every_wycheproof_file_should_be_covered(void **state)
{
    size_t i, k;
    static const char *const names[] = {
        "ecdsa_secp256r1_sha256_p1363_test.json", "ecdsa_secp384r1_sha384_p1363_test.json",
        "ecdsa_secp521r1_sha512_p1363_test.json", "ed25519_test.json", "hmac_sha256_test.json",
        "hmac_sha384_test.json", "hmac_sha512_test.json", "rsa_pss_2048_sha256_mgf1_32_test.json",
        "rsa_signature_2048_sha256_test.json", "rsa_signature_2048_sha384_test.json",
        "rsa_signature_2048_sha512_test.json", "rsa_signature_3072_sha256_test.json",
        "rsa_signature_3072_sha384_test.json", "rsa_signature_3072_sha512_test.json",
        "rsa_signature_4096_sha256_test.json", "rsa_signature_4096_sha384_test.json",
        "rsa_signature_4096_sha512_test.json"};
    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[1024];
        for (k = 0; k < sizeof files / sizeof files[0] && strcmp(files[k].name, names[i]) != 0; k++)
            ;
        assert_true(k < sizeof files / sizeof files[0]);
        snprintf(path, sizeof path, "%s/wycheproof/%s", tsupport_vectors_dir(), names[i]);
        if (access(path, R_OK) != 0)
            fail_msg("missing vector file %s", path);
    }
}

int main(void)
{
    struct CMUnitTest tests[sizeof files / sizeof files[0] + 1];
    char names[sizeof files / sizeof files[0]][96];
    size_t i;
    tests[0] = (struct CMUnitTest)cmocka_unit_test(every_wycheproof_file_should_be_covered);
    for (i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(names[i], sizeof names[i], "wycheproof_%s_%s_should_get_the_expected_verdicts",
                 ajwt_alg_name(files[i].alg), files[i].name);
        tests[i + 1] = (struct CMUnitTest){names[i], wycheproof_vectors_should_get_the_expected_verdicts, NULL, NULL,
                                           (void *)&files[i]};
    }
    return _cmocka_run_group_tests("test_jwt_wycheproof", tests, sizeof tests / sizeof tests[0], NULL, NULL);
}

/* test_jwt_rfc_vectors.c — the 12 JWS examples of RFC 7515, 7520, 7797 and 8037 in
 * $AUTHBENCH_VECTORS/rfc: each key imported through its JWK, valid tokens verified (payload compared
 * byte for byte), unsupported forms rejected with their reason, deterministic signatures re-made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>

#include "jwt_testutil.h"
#include "tsupport.h"

#define BEFORE_EXP 1300819000 /* RFC 7515's examples expire at 1300819380 */

typedef struct vector {
    const char *file;
    int expect;        /* AJWT_OK or the rejection code */
    const char *why;   /* a part of the rejection message */
    int deterministic; /* the signature can be re-made byte for byte */
} vector;

static const vector vectors[] = {
    {"rfc7515_A1_HS256.json", AJWT_OK, NULL, 1},
    {"rfc7515_A2_RS256.json", AJWT_OK, NULL, 1},
    {"rfc7515_A3_ES256.json", AJWT_OK, NULL, 0},
    {"rfc7515_A4_ES512.json", AJWT_OK, NULL, 0},
    {"rfc7515_A5_none.json", AJWT_ERR_ALG_NONE, "alg none", 0},
    {"rfc7520_4_1_RS256.json", AJWT_OK, NULL, 1},
    {"rfc7520_4_2_PS384.json", AJWT_OK, NULL, 0},
    {"rfc7520_4_3_ES512.json", AJWT_OK, NULL, 0},
    {"rfc7520_4_4_HS256.json", AJWT_OK, NULL, 1},
    {"rfc7520_4_5_HS256.json", AJWT_ERR_DETACHED, "detached content", 0},
    {"rfc7797_4_2_HS256_b64false.json", AJWT_ERR_CRIT, "RFC 7797", 0},
    {"rfc8037_A4_EdDSA.json", AJWT_OK, NULL, 1},
};

/* The vector's key (its "jwk"; for A.5, which has none, A.1's HMAC key) through ajwt_keyset_add_jwk. */
static ajwt_keyset *vector_keys(const cJSON *root)
{
    const cJSON *jwk = cJSON_GetObjectItemCaseSensitive(root, "jwk");
    ajwt_keyset *ks = ajwt_keyset_new();
    cJSON *other = NULL;
    char *text;
    if (!cJSON_IsObject(jwk)) {
        other = tu_vector_json("rfc", "rfc7515_A1_HS256.json");
        jwk = cJSON_GetObjectItemCaseSensitive(other, "jwk");
    }
    text = cJSON_PrintUnformatted(jwk);
    if (ajwt_keyset_add_jwk(ks, text, strlen(text)) != AJWT_OK)
        fail_msg("JWK refused: %s", ajwt_keyset_errstr(ks));
    free(text);
    cJSON_Delete(other);
    return ks;
}

static const char *str(const cJSON *root, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
    assert_true(cJSON_IsString(it));
    return it->valuestring;
}

/* Re-signs the token's exact signing input with the vector's private key: same signature. */
static void assert_resigned_identically(const ajwt_keyset *ks, ajwt_alg alg, const char *token)
{
    ajwt_signer *s = ajwt_signer_new(ks, alg, NULL);
    unsigned char sig[1024];
    size_t n = 0, input_len = (size_t)(strrchr(token, '.') - token);
    char *again;
    assert_int_equal(ajwt_signer_err(s), AJWT_OK);
    assert_int_equal(ajwt_sign_raw(s, (const unsigned char *)token, input_len, sig, sizeof sig, &n), AJWT_OK);
    again = tu_with_sig(token, sig, n);
    assert_string_equal(again, token);
    free(again);
    ajwt_signer_free(s);
}

/* Our own header and a fresh signature with the vector's key, verified again. */
static void assert_sign_verify_round_trip(const ajwt_keyset *ks, ajwt_alg alg, const ajwt_verifier *v)
{
    ajwt_signer *s = ajwt_signer_new(ks, alg, NULL);
    char tok[2048];
    size_t n;
    assert_int_equal(ajwt_signer_err(s), AJWT_OK);
    assert_int_equal(ajwt_sign(s, "{\"sub\":\"rfc\"}", 13, tok, sizeof tok, &n), AJWT_OK);
    assert_int_equal(tu_verify(v, tok), AJWT_OK);
    ajwt_signer_free(s);
}

static void check_vector(const vector *vec)
{
    cJSON *root = tu_vector_json("rfc", vec->file);
    const char *token = str(root, "token"), *payload = str(root, "expected_payload");
    ajwt_keyset *ks = vector_keys(root);
    ajwt_verifier *v = ajwt_verifier_new(ks);
    ajwt_vctx *c = ajwt_vctx_new(v);
    int64_t now = BEFORE_EXP;
    size_t len = 0;
    int rc;
    assert_int_equal(ajwt_verifier_set_opaque_payload(v, 1), AJWT_OK); /* JWS examples: any payload */
    rc = ajwt_verify(c, token, strlen(token));
    if (rc != vec->expect)
        fail_msg("%s: got %s (%s), want %s", vec->file, ajwt_err_name((ajwt_err)rc), ajwt_vctx_errstr(c),
                 ajwt_err_name((ajwt_err)vec->expect));
    if (vec->why != NULL && strstr(ajwt_vctx_errstr(c), vec->why) == NULL)
        fail_msg("%s: message '%s' lacks '%s'", vec->file, ajwt_vctx_errstr(c), vec->why);
    if (rc == AJWT_OK) {
        const char *got = ajwt_vctx_payload(c, &len);
        assert_int_equal(len, strlen(payload));
        assert_memory_equal(got, payload, len);
        assert_string_equal(ajwt_alg_name(ajwt_vctx_alg(c)), str(root, "alg"));
        if (payload[0] == '{') { /* the JWT examples also pass as JWTs, before they expire */
            ajwt_verifier *jv = ajwt_verifier_new(ks);
            assert_int_equal(ajwt_verifier_set_clock(jv, tu_clock, &now), AJWT_OK);
            assert_int_equal(tu_verify(jv, token), AJWT_OK);
            now = BEFORE_EXP + 380;
            assert_int_equal(tu_verify(jv, token), AJWT_ERR_EXPIRED);
            ajwt_verifier_free(jv);
        }
        if (vec->deterministic)
            assert_resigned_identically(ks, ajwt_vctx_alg(c), token);
        assert_sign_verify_round_trip(ks, ajwt_alg_from_name(str(root, "alg")), v);
    }
    ajwt_vctx_free(c);
    ajwt_verifier_free(v);
    ajwt_keyset_free(ks);
    cJSON_Delete(root);
}

static void every_rfc_vector_should_verify_or_be_rejected_with_its_reason(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
        check_vector(&vectors[i]);
    assert_int_equal(i, 12);
}

static void the_detached_example_should_verify_once_its_payload_is_attached(void **state)
{
    cJSON *root = tu_vector_json("rfc", "rfc7520_4_5_HS256.json");
    const char *token = str(root, "token"), *payload = str(root, "expected_payload");
    char *p = tu_b64(payload, strlen(payload)), *attached = malloc(strlen(token) + strlen(p) + 1);
    const char *dots = strstr(token, "..");
    ajwt_keyset *ks = vector_keys(root);
    ajwt_verifier *v = ajwt_verifier_new(ks);
    (void)state;
    assert_non_null(dots);
    sprintf(attached, "%.*s.%s%s", (int)(dots - token), token, p, dots + 1);
    assert_int_equal(ajwt_verifier_set_opaque_payload(v, 1), AJWT_OK);
    assert_int_equal(tu_verify(v, attached), AJWT_OK);
    ajwt_verifier_free(v);
    ajwt_keyset_free(ks);
    free(p);
    free(attached);
    cJSON_Delete(root);
}

static void the_rfc_vector_folder_should_hold_exactly_these_files(void **state)
{
    char dir[1024];
    DIR *d;
    struct dirent *e;
    size_t found = 0, i;
    (void)state;
    snprintf(dir, sizeof dir, "%s/rfc", tsupport_vectors_dir());
    assert_non_null(d = opendir(dir));
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        for (i = 0; i < sizeof vectors / sizeof vectors[0] && strcmp(vectors[i].file, e->d_name) != 0; i++)
            ;
        if (i == sizeof vectors / sizeof vectors[0])
            fail_msg("%s/%s is not covered by this test", dir, e->d_name);
        found++;
    }
    closedir(d);
    assert_int_equal(found, sizeof vectors / sizeof vectors[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_rfc_vector_folder_should_hold_exactly_these_files),
        cmocka_unit_test(every_rfc_vector_should_verify_or_be_rejected_with_its_reason),
        cmocka_unit_test(the_detached_example_should_verify_once_its_payload_is_attached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fuzz_jwt_verify.c — fuzz target: token bytes through ajwt_verify() against a fixed key set that
 * covers every algorithm (the RFC example keys of the test vectors plus one P-384 key), under three
 * policies: plain JWT, strict JWT (iss, aud, required claims) and opaque-payload JWS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajwt.h"
#include "fuzz.h"

#define FUZZ_NOW 1300819000 /* before the RFC 7515 examples' exp, so their claims pass */
#define NPOLICY 3

/* A P-384 key made for this target (no RFC example has one); ES384 needs it. */
static const char p384_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"fuzz-p384\","
    "\"x\":\"FmNE2JWJKdyc00j__ybye2Mp6VZFXr5RBwGr8Pk62P8UW7ldysfJxv_P36hWyIts\","
    "\"y\":\"qwh8U5Qhk1O63SPkFXMsvBcPS4YF1XqWUFVURe2GpJrNjJIyXo9ADRLsY0gjH3k-\","
    "\"d\":\"V5BBgZgYkJ5_TeFeQyuH3nriyDmTcl-nIOew2j1Mcn1mhAC-OqXGWchQeddUD5t1\"}";

static ajwt_keyset *keys;
static ajwt_verifier *policy[NPOLICY];
static ajwt_vctx *vctx[NPOLICY];

/* Adds the "jwk" member of one RFC vector file, when it has one. 0, or -1 when it does not load. */
static int add_vector_key(const char *rel, void *arg)
{
    cJSON *v = fuzz_vector_json(rel);
    char *jwk = v != NULL ? cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(v, "jwk")) : NULL;
    int rc = v == NULL ? -1 : 0;
    (void)arg;
    if (jwk != NULL && strcmp(jwk, "null") != 0 && ajwt_keyset_add_jwk(keys, jwk, strlen(jwk)) != AJWT_OK) {
        fprintf(stderr, "fuzz: %s: %s\n", rel, ajwt_keyset_errstr(keys));
        rc = -1;
    }
    free(jwk);
    cJSON_Delete(v);
    return rc;
}

static int64_t fixed_clock(void *arg)
{
    (void)arg;
    return FUZZ_NOW;
}

/* The key set and the three policies, once per process. Aborts when they cannot be made. */
static void setup(void)
{
    int i;
    if (keys != NULL)
        return;
    keys = ajwt_keyset_new();
    if (keys == NULL || fuzz_vector_files("rfc", add_vector_key, NULL) != 0 ||
        ajwt_keyset_add_jwk(keys, p384_jwk, strlen(p384_jwk)) != AJWT_OK)
        abort();
    for (i = 0; i < NPOLICY; i++)
        if ((policy[i] = ajwt_verifier_new(keys)) == NULL || ajwt_verifier_set_clock(policy[i], fixed_clock, NULL) ||
            ajwt_verifier_set_leeway(policy[i], 60))
            abort();
    if (ajwt_verifier_set_issuer(policy[1], "authbench") || ajwt_verifier_set_audience(policy[1], "authbench-api") ||
        ajwt_verifier_require(policy[1], "sub") || ajwt_verifier_require(policy[1], "jti") ||
        ajwt_verifier_set_opaque_payload(policy[2], 1))
        abort();
    for (i = 0; i < NPOLICY; i++)
        if ((vctx[i] = ajwt_vctx_new(policy[i])) == NULL)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int i;
    int64_t exp;
    setup();
    for (i = 0; i < NPOLICY; i++) {
        if (ajwt_verify(vctx[i], (const char *)data, size) != AJWT_OK)
            continue;
        /* what a server reads after a success: every accessor must stay inside the payload */
        (void)ajwt_vctx_payload(vctx[i], NULL);
        (void)ajwt_vctx_kid(vctx[i]);
        if (i != 2 && ajwt_vctx_claim_str(vctx[i], "sub") != NULL)
            (void)strlen(ajwt_vctx_claim_str(vctx[i], "sub"));
        if (i != 2)
            (void)ajwt_vctx_claim_int(vctx[i], "exp", &exp);
    }
    return 0;
}

/* BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature by s) into out (cap bytes). */
static int raw_token(const ajwt_signer *s, const char *header, const char *payload, char *out, size_t cap)
{
    unsigned char sig[1024];
    size_t n = 0, h = 0, sl = 0;
    if (ajwt_b64url_encode((const unsigned char *)header, strlen(header), out, cap, &h) != AJWT_OK ||
        ajwt_b64url_encode((const unsigned char *)payload, strlen(payload), out + h + 1, cap - h - 1, &n) != AJWT_OK)
        return -1;
    out[h] = '.';
    n += h + 1;
    if (ajwt_sign_raw(s, (const unsigned char *)out, n, sig, sizeof sig, &sl) != AJWT_OK || n + 1 >= cap)
        return -1;
    out[n] = '.';
    return ajwt_b64url_encode(sig, sl, out + n + 1, cap - n - 1, NULL);
}

/* One RFC vector's token as a seed. */
static int seed_vector(const char *rel, void *arg)
{
    fuzz_seed_out *o = arg;
    cJSON *v = fuzz_vector_json(rel);
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "token"));
    int rc = tok != NULL ? fuzz_seed_str(o->dir, "rfc", o->n++, tok) : -1;
    cJSON_Delete(v);
    return rc;
}

/* Headers and payloads a verifier must judge: signed validly with HS256, so only the JSON decides. */
static const char *const odd[][2] = {
    {"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "{\"sub\":\"alice\",\"exp\":1300822600,\"nbf\":1300818000}"},
    {"{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}", "{}"},
    {"{\"alg\":\"HS256\",\"alg\":\"HS256\"}", "{\"sub\":\"a\"}"},
    {"{\"alg\":\"HS256\",\"kid\":\"\\u0000\"}", "{\"sub\":\"\\ud83d\\ude00\",\"exp\":1.5e300}"},
    {"{\"alg\":\"HS256\"}", "{\"aud\":[\"x\",\"authbench-api\"],\"iss\":\"authbench\",\"sub\":\"b\",\"jti\":\"j\"}"},
    {"{\"alg\":\"HS256\"}", "{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}"},
    {"{\"alg\":\"HS256\"}", "{\"exp\":-9223372036854775808,\"iat\":9223372036854775807}"},
};

int fuzz_seeds(const char *dir)
{
    static const char claims[] = "{\"sub\":\"alice\",\"iss\":\"authbench\",\"aud\":\"authbench-api\",\"iat\":1300819000,"
                                 "\"exp\":1300822600,\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"roles\":[\"user\"]}";
    char tok[4096];
    size_t len, i;
    int alg;
    fuzz_seed_out o = {dir, 0};
    setup();
    if (fuzz_vector_files("rfc", seed_vector, &o) != 0)
        return -1;
    for (alg = AJWT_HS256; alg < AJWT_ALG_COUNT; alg++) {
        ajwt_signer *s = ajwt_signer_new(keys, (ajwt_alg)alg, NULL);
        int rc = ajwt_signer_err(s) == AJWT_OK ? ajwt_sign(s, claims, strlen(claims), tok, sizeof tok, &len) : -1;
        if (rc != AJWT_OK || fuzz_seed(dir, ajwt_alg_name((ajwt_alg)alg), 0, tok, len) != 0)
            fprintf(stderr, "fuzz: cannot sign with %s: %s\n", ajwt_alg_name((ajwt_alg)alg), ajwt_signer_errstr(s));
        ajwt_signer_free(s);
        if (rc != AJWT_OK)
            return -1;
        o.n++;
    }
    for (i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        ajwt_signer *s = ajwt_signer_new(keys, AJWT_HS256, NULL);
        int rc = raw_token(s, odd[i][0], odd[i][1], tok, sizeof tok);
        ajwt_signer_free(s);
        if (rc != 0 || fuzz_seed_str(dir, "odd", (int)i, tok) != 0)
            return -1;
        o.n++;
    }
    return o.n;
}

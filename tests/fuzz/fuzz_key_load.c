/* fuzz_key_load.c — fuzz target: key bytes through every loader of ajwt (PEM, JWK/JWKS, and a key
 * file with its format detection), then each key that loads is used: a signer for every algorithm
 * it allows, a token signed (except RSA, whose signing would dominate the run) and verified back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ajwt.h"
#include "fuzz.h"
#include "tsupport.h"

static char key_path[4096];

/* Signs and verifies one small token with alg; any failure must be a clean error code, and a single
 * key that signs must verify its own signature. */
static void use_alg(const ajwt_keyset *ks, ajwt_alg alg)
{
    static const char claims[] = "{\"sub\":\"k\"}";
    char tok[4096];
    size_t n;
    ajwt_signer *s = ajwt_signer_new(ks, alg, NULL);
    ajwt_verifier *v = ajwt_verifier_new(ks);
    ajwt_vctx *c = ajwt_vctx_new(v);
    if (s == NULL || v == NULL || c == NULL)
        abort();
    if (ajwt_signer_err(s) == AJWT_OK && (alg < AJWT_RS256 || alg > AJWT_PS512) &&
        ajwt_sign(s, claims, sizeof claims - 1, tok, sizeof tok, &n) == AJWT_OK &&
        ajwt_verify(c, tok, n) != AJWT_OK && ajwt_vctx_err(c) == AJWT_ERR_SIGNATURE && ajwt_keyset_count(ks) == 1)
        abort();
    (void)strlen(ajwt_signer_errstr(s));
    ajwt_vctx_free(c);
    ajwt_verifier_free(v);
    ajwt_signer_free(s);
}

/* Uses every algorithm a loaded key set allows, then frees it. */
static void use_keys(ajwt_keyset *ks)
{
    ajwt_alg algs[AJWT_ALG_COUNT];
    int i, n;
    (void)strlen(ajwt_keyset_errstr(ks));
    if (ajwt_keyset_count(ks) > 0) {
        n = ajwt_keyset_algs(ks, algs, AJWT_ALG_COUNT);
        for (i = 0; i < n; i++)
            use_alg(ks, algs[i]);
    }
    ajwt_keyset_free(ks);
}

/* A fresh key set, or abort. */
static ajwt_keyset *new_keys(void)
{
    ajwt_keyset *ks = ajwt_keyset_new();
    if (ks == NULL)
        abort();
    return ks;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ajwt_keyset *ks = new_keys();
    ajwt_keyset_add_pem(ks, (const char *)data, size, "k");
    use_keys(ks);
    ks = new_keys();
    ajwt_keyset_add_jwk(ks, (const char *)data, size);
    use_keys(ks);
    if (key_path[0] == '\0')
        snprintf(key_path, sizeof key_path, "%s/authbench-fuzz-key-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                 (long)getpid());
    if (tsupport_write_file(key_path, data, size) != 0)
        abort();
    ks = new_keys();
    ajwt_keyset_add_file(ks, key_path, NULL);
    use_keys(ks);
    unlink(key_path);
    return 0;
}

/* The "jwk" of an RFC vector file, alone and as a one-key JWKS. */
static int seed_rfc(const char *rel, void *arg)
{
    fuzz_seed_out *o = arg;
    cJSON *v = fuzz_vector_json(rel), *jwk = cJSON_GetObjectItemCaseSensitive(v, "jwk");
    char *one = cJSON_IsObject(jwk) ? cJSON_PrintUnformatted(jwk) : NULL, *set = NULL;
    int rc = v == NULL ? -1 : 0;
    if (one != NULL) {
        set = malloc(strlen(one) + 16);
        sprintf(set, "{\"keys\":[%s]}", one);
        rc = fuzz_seed_str(o->dir, "jwk", o->n++, one) || fuzz_seed_str(o->dir, "jwks", o->n++, set) ? -1 : 0;
    }
    free(one);
    free(set);
    cJSON_Delete(v);
    return rc;
}

/* The first public key of a Wycheproof file, as PEM and as JWK. */
static int seed_wycheproof(const char *rel, void *arg)
{
    fuzz_seed_out *o = arg;
    cJSON *v = fuzz_vector_json(rel), *g = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "testGroups"), 0);
    const char *pem = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "publicKeyPem"));
    cJSON *jwk = cJSON_GetObjectItemCaseSensitive(g, "publicKeyJwk");
    char *text = cJSON_IsObject(jwk) ? cJSON_PrintUnformatted(jwk) : NULL;
    int rc = v == NULL ? -1 : 0;
    if (pem != NULL && fuzz_seed_str(o->dir, "wp-pem", o->n++, pem) != 0)
        rc = -1;
    if (text != NULL && fuzz_seed_str(o->dir, "wp-jwk", o->n++, text) != 0)
        rc = -1;
    free(text);
    cJSON_Delete(v);
    return rc;
}

int fuzz_seeds(const char *dir)
{
    static const ajwt_alg algs[] = {AJWT_HS256, AJWT_RS256, AJWT_ES256, AJWT_ES384, AJWT_ES512, AJWT_EDDSA};
    static const char *const hand[] = {"{\"keys\":[]}", "{\"kty\":\"oct\",\"k\":\"\"}", "-----BEGIN PUBLIC KEY-----\n",
                                       "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}", "\xef\xbb\xbf{}"};
    fuzz_seed_out o = {dir, 0};
    size_t i;
    if (fuzz_vector_files("rfc", seed_rfc, &o) != 0 || fuzz_vector_files("wycheproof", seed_wycheproof, &o) != 0)
        return -1;
    for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        unsigned char *priv = NULL;
        char *pub = NULL, err[160];
        size_t pl = 0, ul = 0;
        int rc = ajwt_keygen(algs[i], &priv, &pl, &pub, &ul, err, sizeof err) != AJWT_OK ||
                 fuzz_seed(dir, "keygen", o.n++, priv, pl) != 0 || (pub != NULL && fuzz_seed(dir, "keygen", o.n++, pub, ul) != 0);
        free(priv);
        free(pub);
        if (rc)
            return -1;
    }
    for (i = 0; i < sizeof hand / sizeof hand[0]; i++)
        if (fuzz_seed_str(dir, "hand", o.n++, hand[i]) != 0)
            return -1;
    return o.n;
}

/* key_jwk.c — JWK (RFC 7517/7518/8037) and JWKS import: kty oct, RSA, EC, OKP (Ed25519); a JWK's
 * "kid" and "alg" are honoured; keys with "use" other than "sig" are refused (skipped in a JWKS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "ajwt_int.h"

#define JWK_MAX_DEPTH 8

/* One JWK being read: the parsed document, the object's token index, the failure. */
typedef struct jwk_in {
    const ajwt_json *j;
    uint32_t obj;
    int code;
    char why[AJWT_ERRSTR_LEN];
} jwk_in;

static int jwk_fail(jwk_in *in, int code, const char *fmt, const char *arg)
{
    in->code = code;
    snprintf(in->why, sizeof in->why, fmt, arg);
    return code;
}

/* A string member, or NULL when absent. *bad is set when present but not a string. */
static const char *jwk_str(jwk_in *in, const char *name, int *bad)
{
    int t = ajwt__json_member(in->j, in->obj, name);
    if (t < 0)
        return NULL;
    if (in->j->tok[t].type != AJWT_J_STR) {
        *bad = 1;
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "JWK member \"%s\" must be a string", name);
        return NULL;
    }
    return in->j->tok[t].p;
}

/* Decodes a base64url member into a secure buffer (caller frees with OPENSSL_clear_free). NULL with
 * in->code set when absent and required, or invalid; NULL with *len 0 when absent and optional. */
static unsigned char *jwk_bytes(jwk_in *in, const char *name, int required, size_t *len)
{
    int bad = 0;
    const char *s = jwk_str(in, name, &bad);
    unsigned char *out;
    size_t slen;
    *len = 0;
    if (s == NULL) {
        if (required && !bad)
            jwk_fail(in, AJWT_ERR_KEY_PARSE, "JWK member \"%s\" is missing", name);
        return NULL;
    }
    slen = strlen(s);
    out = OPENSSL_malloc(AJWT_B64URL_DECODED_MAX(slen) + 1);
    if (out == NULL) {
        jwk_fail(in, AJWT_ERR_NOMEM, "out of memory%s", "");
        return NULL;
    }
    if (ajwt__b64url_decode_raw(s, slen, out, len) != 0 || *len == 0) {
        OPENSSL_clear_free(out, AJWT_B64URL_DECODED_MAX(slen) + 1);
        *len = 0;
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "JWK member \"%s\" is not non-empty strict base64url", name);
        return NULL;
    }
    return out;
}

static void free_bytes(unsigned char *p, size_t len)
{
    if (p != NULL)
        OPENSSL_clear_free(p, len);
}

/* Builds an EVP_PKEY of type name ("RSA", "EC") from the params in bld. */
static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, selection, params) <= 0)
        pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

/* RSA members n, e [, d [, p, q, dp, dq, qi]] -> EVP_PKEY. */
static EVP_PKEY *jwk_rsa(jwk_in *in, int *has_private)
{
    static const char *const names[8] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
    static const char *const params[8] = {OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E,
        OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
        OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
    BIGNUM *bn[8] = {NULL};
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    int i, ncrt = 0, last;
    for (i = 0; i < 8 && in->code == AJWT_OK; i++) {
        size_t len;
        unsigned char *b = jwk_bytes(in, names[i], i < 2, &len);
        if (b != NULL)
            bn[i] = BN_bin2bn(b, (int)len, NULL);
        free_bytes(b, len);
        ncrt += i >= 3 && bn[i] != NULL;
    }
    *has_private = bn[2] != NULL;
    last = ncrt == 5 ? 8 : 3;
    if (in->code == AJWT_OK && ncrt != 0 && (ncrt != 5 || bn[2] == NULL))
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "RSA JWK needs all of p, q, dp, dq, qi with d, or none%s", "");
    if (in->code == AJWT_OK && bld != NULL) {
        for (i = 0; i < last; i++)
            if (bn[i] != NULL && !OSSL_PARAM_BLD_push_BN(bld, params[i], bn[i]))
                break;
        if (i == last)
            pkey = pkey_fromdata("RSA", bld, *has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
        if (pkey == NULL)
            jwk_fail(in, AJWT_ERR_KEY_PARSE, "RSA JWK is not a valid RSA key%s", "");
    }
    for (i = 0; i < 8; i++)
        BN_clear_free(bn[i]);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* The coordinate length of a JOSE curve name, with its OpenSSL group name. */
static size_t ec_curve(const char *crv, const char **group)
{
    if (strcmp(crv, "P-256") == 0)
        return *group = "P-256", 32;
    if (strcmp(crv, "P-384") == 0)
        return *group = "P-384", 48;
    if (strcmp(crv, "P-521") == 0)
        return *group = "P-521", 66;
    return 0;
}

/* EC members crv, x, y [, d] -> EVP_PKEY. Coordinates must have the curve's full length. */
static EVP_PKEY *jwk_ec(jwk_in *in, int *has_private)
{
    int bad = 0;
    const char *crv = jwk_str(in, "crv", &bad), *group = NULL;
    size_t clen = crv ? ec_curve(crv, &group) : 0, xl = 0, yl = 0, dl = 0;
    unsigned char *x = NULL, *y = NULL, *d = NULL, pub[1 + 2 * AJWT_MAX_EC_LEN];
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *dbn = NULL;
    EVP_PKEY *pkey = NULL;
    if (clen == 0) {
        if (!bad)
            jwk_fail(in, AJWT_ERR_KEY_ALG, "EC JWK curve \"%s\" is not supported (P-256, P-384, P-521)",
                     crv ? crv : "(missing)");
        return NULL;
    }
    x = jwk_bytes(in, "x", 1, &xl);
    y = x ? jwk_bytes(in, "y", 1, &yl) : NULL;
    d = y ? jwk_bytes(in, "d", 0, &dl) : NULL;
    if (in->code != AJWT_OK)
        goto done;
    if (xl != clen || yl != clen || (d != NULL && dl != clen)) {
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "EC JWK coordinates must be exactly the %s size", crv);
        goto done;
    }
    pub[0] = 0x04;
    memcpy(pub + 1, x, clen);
    memcpy(pub + 1 + clen, y, clen);
    *has_private = d != NULL;
    if ((bld = OSSL_PARAM_BLD_new()) == NULL || (d != NULL && (dbn = BN_bin2bn(d, (int)dl, NULL)) == NULL) ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * clen) ||
        (dbn != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, dbn)) ||
        (pkey = pkey_fromdata("EC", bld, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY)) == NULL)
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "EC JWK is not a valid %s key (point not on the curve?)", crv);
done:
    free_bytes(x, xl);
    free_bytes(y, yl);
    free_bytes(d, dl);
    BN_clear_free(dbn);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* OKP members crv (Ed25519), x [, d]; d must derive x. */
static EVP_PKEY *jwk_okp(jwk_in *in, int *has_private)
{
    int bad = 0;
    const char *crv = jwk_str(in, "crv", &bad);
    size_t xl = 0, dl = 0, dx = 32;
    unsigned char *x = NULL, *d = NULL, derived[32];
    EVP_PKEY *pkey = NULL;
    if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
        if (!bad)
            jwk_fail(in, AJWT_ERR_KEY_ALG, "OKP JWK curve \"%s\" is not supported (Ed25519 only)",
                     crv ? crv : "(missing)");
        return NULL;
    }
    x = jwk_bytes(in, "x", 1, &xl);
    d = x ? jwk_bytes(in, "d", 0, &dl) : NULL;
    if (in->code != AJWT_OK)
        goto done;
    if (xl != 32 || (d != NULL && dl != 32)) {
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "Ed25519 JWK members x and d must be 32 bytes%s", "");
        goto done;
    }
    *has_private = d != NULL;
    pkey = d ? EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, d, 32)
             : EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, 32);
    if (pkey != NULL && d != NULL &&
        (!EVP_PKEY_get_raw_public_key(pkey, derived, &dx) || dx != 32 || CRYPTO_memcmp(derived, x, 32) != 0)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    if (pkey == NULL)
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "Ed25519 JWK is not valid (x does not match d?)%s", "");
done:
    free_bytes(x, xl);
    free_bytes(d, dl);
    return pkey;
}

static ajwt_key *jwk_oct(jwk_in *in)
{
    size_t len;
    unsigned char *k = jwk_bytes(in, "k", 1, &len);
    ajwt_key *key;
    if (k == NULL)
        return NULL;
    key = ajwt__key_from_secret(k, len, &in->code, in->why, sizeof in->why);
    free_bytes(k, len);
    return key;
}

static ajwt_key *jwk_by_kty(jwk_in *in, const char *kty)
{
    EVP_PKEY *pkey = NULL;
    int has_private = 0;
    if (strcmp(kty, "oct") == 0)
        return jwk_oct(in);
    if (strcmp(kty, "RSA") == 0)
        pkey = jwk_rsa(in, &has_private);
    else if (strcmp(kty, "EC") == 0)
        pkey = jwk_ec(in, &has_private);
    else if (strcmp(kty, "OKP") == 0)
        pkey = jwk_okp(in, &has_private);
    else
        jwk_fail(in, AJWT_ERR_KEY_ALG, "JWK kty \"%s\" is not supported (oct, RSA, EC, OKP)", kty);
    ERR_clear_error();
    if (pkey == NULL)
        return NULL;
    return ajwt__key_from_pkey(pkey, has_private, &in->code, in->why, sizeof in->why);
}

/* Applies "kid" and "alg" to a new key. Returns AJWT_OK or the failure in in. */
static int jwk_meta(jwk_in *in, ajwt_key *k, const char *kid, const char *alg)
{
    ajwt_alg a;
    if (kid != NULL && ajwt__key_set_kid(k, kid) != AJWT_OK)
        return jwk_fail(in, AJWT_ERR_NOMEM, "out of memory%s", "");
    if (alg == NULL)
        return AJWT_OK;
    a = ajwt_alg_from_name(alg);
    if (a == AJWT_ALG_INVALID)
        return jwk_fail(in, AJWT_ERR_KEY_ALG, "JWK alg \"%s\" is not a supported signature algorithm", alg);
    in->code = ajwt__key_narrow(k, a, in->why, sizeof in->why);
    return in->code;
}

/* One JWK object at token obj. Returns the key, or NULL with in->code (AJWT_OK: skipped for "use"). */
static ajwt_key *jwk_key(jwk_in *in, int skip_enc)
{
    int bad = 0;
    const char *kty = jwk_str(in, "kty", &bad), *use = jwk_str(in, "use", &bad);
    const char *kid = jwk_str(in, "kid", &bad), *alg = jwk_str(in, "alg", &bad);
    ajwt_key *k;
    if (bad)
        return NULL;
    if (in->j->tok[in->obj].type != AJWT_J_OBJ || kty == NULL) {
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "%s", in->j->tok[in->obj].type != AJWT_J_OBJ ?
                 "a JWK must be a JSON object" : "JWK member \"kty\" is missing");
        return NULL;
    }
    if (use != NULL && strcmp(use, "sig") != 0) {
        if (!skip_enc)
            jwk_fail(in, AJWT_ERR_KEY_ALG, "JWK use \"%s\" is not \"sig\"", use);
        return NULL;
    }
    k = jwk_by_kty(in, kty);
    if (k != NULL && jwk_meta(in, k, kid, alg) != AJWT_OK) {
        ajwt__key_free(k);
        k = NULL;
    }
    return k;
}

/* A JWKS: every signature key of "keys", all or none. */
static int add_jwks(ajwt_keyset *ks, jwk_in *in, int keys_tok)
{
    const ajwt_jtok *t = in->j->tok;
    uint32_t e, i = 0, idx = 0, n = t[keys_tok].len;
    ajwt_key **list = calloc(n ? n : 1, sizeof *list);
    if (list == NULL)
        return ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_NOMEM, "out of memory");
    for (e = (uint32_t)keys_tok + 1; e < t[keys_tok].next; e = t[e].next, idx++) {
        in->obj = e;
        if ((list[i] = jwk_key(in, 1)) != NULL)
            i++;
        if (in->code != AJWT_OK)
            break;
    }
    if (in->code == AJWT_OK && i == 0)
        jwk_fail(in, AJWT_ERR_KEY_PARSE, "JWKS has no signature keys%s", "");
    if (in->code != AJWT_OK) {
        while (i > 0)
            ajwt__key_free(list[--i]);
        free(list);
        return ajwt__set_err(&ks->err, ks->errstr, in->code, "JWKS keys[%u]: %s", idx, in->why);
    }
    in->code = ajwt__keyset_push(ks, list, i);
    free(list);
    return in->code;
}

int ajwt_keyset_add_jwk(ajwt_keyset *ks, const char *json, size_t len)
{
    ajwt_json j;
    jwk_in in;
    ajwt_key *k;
    int rc, keys_tok;
    if (ks == NULL)
        return AJWT_ERR_ARG;
    if (json == NULL)
        return ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_ARG, "no JWK given");
    memset(&j, 0, sizeof j);
    memset(&in, 0, sizeof in);
    in.j = &j;
    rc = ajwt__json_parse(&j, json, len, JWK_MAX_DEPTH);
    if (rc != 0 || j.tok[0].type != AJWT_J_OBJ) {
        rc = ajwt__set_err(&ks->err, ks->errstr, rc == -2 ? AJWT_ERR_NOMEM : AJWT_ERR_KEY_PARSE,
                           "JWK: %s", rc != 0 ? j.why : "not a JSON object");
        goto done;
    }
    keys_tok = ajwt__json_member(&j, 0, "keys");
    if (keys_tok >= 0 && j.tok[keys_tok].type == AJWT_J_ARR) {
        rc = add_jwks(ks, &in, keys_tok);
    } else if ((k = jwk_key(&in, 0)) == NULL) {
        rc = ajwt__set_err(&ks->err, ks->errstr, in.code, "%s", in.why);
    } else {
        rc = ajwt__keyset_push(ks, &k, 1);
        if (rc != AJWT_OK)
            ajwt__set_err(&ks->err, ks->errstr, rc, "out of memory");
    }
    if (rc == AJWT_OK)
        ajwt__clear_err(&ks->err, ks->errstr);
done:
    ajwt__json_free(&j);
    return rc;
}

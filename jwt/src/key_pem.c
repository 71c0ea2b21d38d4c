/* key_pem.c — PEM keys (PKCS#8, SPKI, PKCS#1 RSA, SEC1 EC) and the checks every asymmetric key
 * passes, whatever its encoding: type, size, curve, public-key validity. */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "ajwt_int.h"

#define AJWT_MIN_RSA_BITS 2048

static ajwt_key *fail_key(EVP_PKEY *pkey, int *code, int c)
{
    EVP_PKEY_free(pkey);
    *code = c;
    ERR_clear_error();
    return NULL;
}

/* The group order of nid as ec_len big-endian bytes. Returns 0 or -1. */
static int ec_order_bytes(int nid, unsigned char *out, size_t len)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
    int ok = g != NULL && BN_bn2binpad(EC_GROUP_get0_order(g), out, (int)len) == (int)len;
    EC_GROUP_free(g);
    return ok ? 0 : -1;
}

/* Curve checks for an EC key: P-256/384/521 only, valid public point. */
static int ec_setup(ajwt_key *k, char *why, size_t whylen)
{
    char group[64];
    int nid, a;
    EVP_PKEY_CTX *ctx;
    int valid;
    if (!EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL)) {
        snprintf(why, whylen, "EC key without a named curve (explicit curve parameters are not supported)");
        return AJWT_ERR_KEY_ALG;
    }
    nid = OBJ_sn2nid(group);
    if (nid == NID_undef)
        nid = EC_curve_nist2nid(group);
    for (a = AJWT_ES256; a <= AJWT_ES512; a++)
        if (ajwt__alg_info((ajwt_alg)a)->curve_nid == nid)
            k->algs = AJWT_ALG_BIT(a);
    if (k->algs == 0) {
        snprintf(why, whylen, "EC curve %s is not supported (P-256, P-384 or P-521 only)", group);
        return AJWT_ERR_KEY_ALG;
    }
    k->ec_len = ((size_t)k->bits + 7) / 8;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    valid = ctx != NULL && EVP_PKEY_public_check(ctx) == 1 &&
            (!k->has_private || EVP_PKEY_pairwise_check(ctx) == 1);
    EVP_PKEY_CTX_free(ctx);
    if (!valid) {
        snprintf(why, whylen, "EC key is not valid (point not on the curve, or private and public parts differ)");
        return AJWT_ERR_KEY_PARSE;
    }
    if (ec_order_bytes(nid, k->ec_order, k->ec_len) != 0) {
        snprintf(why, whylen, "cannot read the order of curve %s", group);
        return AJWT_ERR_CRYPTO;
    }
    return AJWT_OK;
}

static int rsa_setup(ajwt_key *k, char *why, size_t whylen)
{
    if (k->bits < AJWT_MIN_RSA_BITS) {
        snprintf(why, whylen, "RSA key of %d bits is below the 2048-bit minimum", k->bits);
        return AJWT_ERR_KEY_WEAK;
    }
    if (k->bits > AJWT_MAX_RSA_BITS) {
        snprintf(why, whylen, "RSA key of %d bits is above the %d-bit maximum", k->bits, AJWT_MAX_RSA_BITS);
        return AJWT_ERR_KEY_PARSE;
    }
    k->algs = AJWT_ALG_BIT(AJWT_RS256) | AJWT_ALG_BIT(AJWT_RS384) | AJWT_ALG_BIT(AJWT_RS512) |
              AJWT_ALG_BIT(AJWT_PS256) | AJWT_ALG_BIT(AJWT_PS384) | AJWT_ALG_BIT(AJWT_PS512);
    return AJWT_OK;
}

ajwt_key *ajwt__key_from_pkey(EVP_PKEY *pkey, int has_private, int *code, char *why, size_t whylen)
{
    ajwt_key *k = calloc(1, sizeof *k);
    int rc;
    if (k == NULL) {
        snprintf(why, whylen, "out of memory");
        return fail_key(pkey, code, AJWT_ERR_NOMEM);
    }
    k->pkey = pkey;
    k->has_private = has_private;
    k->bits = EVP_PKEY_get_bits(pkey);
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        k->kty = AJWT_KTY_RSA;
        rc = rsa_setup(k, why, whylen);
        break;
    case EVP_PKEY_EC:
        k->kty = AJWT_KTY_EC;
        rc = ec_setup(k, why, whylen);
        break;
    case EVP_PKEY_ED25519:
        k->kty = AJWT_KTY_OKP;
        k->algs = AJWT_ALG_BIT(AJWT_EDDSA) | AJWT_ALG_BIT(AJWT_ED25519);
        rc = AJWT_OK;
        break;
    case EVP_PKEY_RSA_PSS:
        snprintf(why, whylen, "RSA-PSS restricted keys (id-RSASSA-PSS) are not supported; use a plain RSA key");
        rc = AJWT_ERR_KEY_ALG;
        break;
    default:
        snprintf(why, whylen, "key type %s is not supported (RSA, EC P-256/384/521 or Ed25519)",
                 EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown");
        rc = AJWT_ERR_KEY_ALG;
    }
    if (rc != AJWT_OK) {
        k->pkey = NULL;
        ajwt__key_free(k);
        return fail_key(pkey, code, rc);
    }
    return k;
}

/* Finds the first PEM block that is not "EC PARAMETERS"; copies its label. NULL when none. */
static const char *find_block(const char *pem, size_t len, char *label, size_t label_len)
{
    const char *end = pem + len, *p = pem;
    while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11)) != NULL) {
        const char *l = p + 11, *le = memmem(l, (size_t)(end - l), "-----", 5);
        size_t n;
        if (le == NULL)
            return NULL;
        n = (size_t)(le - l);
        if (n + 1 > label_len)
            return NULL;
        memcpy(label, l, n);
        label[n] = '\0';
        if (strcmp(label, "EC PARAMETERS") != 0)
            return p;
        p = le;
    }
    return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Decodes one key ("PEM" or "DER" input) with OpenSSL's decoders. Returns the key or NULL. */
static EVP_PKEY *decode_key(const char *input, const char *block, size_t len, int selection)
{
    EVP_PKEY *pkey = NULL;
    const unsigned char *p = (const unsigned char *)block;
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, input, NULL, NULL, selection, NULL, NULL);
    if (dctx == NULL)
        return NULL;
    if (!OSSL_DECODER_from_data(dctx, &p, &len)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_DECODER_CTX_free(dctx);
    return pkey;
}

ajwt_key *ajwt__key_from_pem(const char *pem, size_t len, int *code, char *why, size_t whylen)
{
    char label[64];
    const char *block = find_block(pem, len, label, sizeof label);
    int priv;
    EVP_PKEY *pkey;
    if (block == NULL) {
        snprintf(why, whylen, "no PEM key block (-----BEGIN ... KEY-----) found");
        return fail_key(NULL, code, AJWT_ERR_KEY_PARSE);
    }
    if (strstr(label, "ENCRYPTED") != NULL || memmem(block, len - (size_t)(block - pem), "Proc-Type: 4,ENCRYPTED", 22)) {
        snprintf(why, whylen, "encrypted PEM keys are not supported; decrypt it first "
                 "(openssl pkey -in key.pem -out plain.pem)");
        return fail_key(NULL, code, AJWT_ERR_KEY_PARSE);
    }
    if (!ends_with(label, "PRIVATE KEY") && !ends_with(label, "PUBLIC KEY")) {
        char q[64];
        snprintf(why, whylen, "PEM block '%s' is not a key%s", ajwt__quote(q, sizeof q, label, strlen(label)),
                 strstr(label, "CERTIFICATE") ?
                 " (extract the public key: openssl x509 -pubkey -noout -in cert.pem)" : "");
        return fail_key(NULL, code, AJWT_ERR_KEY_PARSE);
    }
    priv = ends_with(label, "PRIVATE KEY");
    pkey = decode_key("PEM", block, len - (size_t)(block - pem), priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
    if (pkey == NULL) {
        char q[64];
        snprintf(why, whylen, "PEM block '%s' could not be decoded", ajwt__quote(q, sizeof q, label, strlen(label)));
        ajwt__ossl_reason(why, whylen);
        return fail_key(NULL, code, AJWT_ERR_KEY_PARSE);
    }
    return ajwt__key_from_pkey(pkey, priv, code, why, whylen);
}

int ajwt__is_der_key(const char *data, size_t len)
{
    EVP_PKEY *pkey = decode_key("DER", data, len, EVP_PKEY_KEYPAIR);
    if (pkey == NULL)
        pkey = decode_key("DER", data, len, EVP_PKEY_PUBLIC_KEY);
    ERR_clear_error();
    EVP_PKEY_free(pkey);
    return pkey != NULL;
}

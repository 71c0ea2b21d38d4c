/* sigops.c — prepared signature contexts: created once per (key, algorithm) and thread, then each
 * sign/verify is only the cryptographic work (no fetches, no key parsing). ECDSA signatures are
 * converted between JWS raw R||S and OpenSSL's DER here, with r and s range-checked. */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "ajwt_int.h"

static int op_fail(char *why, size_t whylen, int code, const char *what)
{
    snprintf(why, whylen, "%s", what);
    ajwt__ossl_reason(why, whylen);
    return code;
}

static int init_mac(ajwt_op *op, const ajwt_keyset *ks, char *why, size_t whylen)
{
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)EVP_MD_get0_name(op->md), 0);
    params[1] = OSSL_PARAM_construct_end();
    if (ks->hmac == NULL || (op->mac = EVP_MAC_CTX_new(ks->hmac)) == NULL)
        return op_fail(why, whylen, AJWT_ERR_CRYPTO, "cannot create an HMAC context");
    if (!EVP_MAC_init(op->mac, op->key->secret, op->key->secret_len, params))
        return op_fail(why, whylen, AJWT_ERR_CRYPTO, "cannot key the HMAC context");
    return AJWT_OK;
}

/* RSA (PKCS#1 v1.5 or PSS with salt = hash length, MGF1 with the same hash) and ECDSA. */
static int init_pkey(ajwt_op *op, const ajwt_alg_info *ai, int sign, char *why, size_t whylen)
{
    EVP_PKEY_CTX *c;
    op->pctx = c = EVP_PKEY_CTX_new_from_pkey(NULL, op->key->pkey, NULL);
    op->mdctx = EVP_MD_CTX_new();
    if (c == NULL || op->mdctx == NULL)
        return op_fail(why, whylen, AJWT_ERR_NOMEM, "cannot create a signature context");
    if ((sign ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_init(c)) <= 0)
        return op_fail(why, whylen, AJWT_ERR_CRYPTO, "cannot initialise the signature context");
    if (ai->family != AJWT_FAM_ECDSA &&
        EVP_PKEY_CTX_set_rsa_padding(c, ai->family == AJWT_FAM_RSA_PSS ? RSA_PKCS1_PSS_PADDING
                                                                       : RSA_PKCS1_PADDING) <= 0)
        return op_fail(why, whylen, AJWT_ERR_CRYPTO, "cannot set the RSA padding");
    if (EVP_PKEY_CTX_set_signature_md(c, op->md) <= 0)
        return op_fail(why, whylen, AJWT_ERR_CRYPTO, "cannot set the signature digest");
    if (ai->family == AJWT_FAM_RSA_PSS &&
        (EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
         EVP_PKEY_CTX_set_rsa_mgf1_md(c, op->md) <= 0))
        return op_fail(why, whylen, AJWT_ERR_CRYPTO, "cannot set the RSA-PSS parameters");
    return AJWT_OK;
}

static int init_eddsa(ajwt_op *op, int sign, char *why, size_t whylen)
{
    int ok;
    if ((op->mdctx = EVP_MD_CTX_new()) == NULL)
        return op_fail(why, whylen, AJWT_ERR_NOMEM, "cannot create an EdDSA context");
    ok = sign ? EVP_DigestSignInit_ex(op->mdctx, NULL, NULL, NULL, NULL, op->key->pkey, NULL)
              : EVP_DigestVerifyInit_ex(op->mdctx, NULL, NULL, NULL, NULL, op->key->pkey, NULL);
    if (ok != 1)
        return op_fail(why, whylen, AJWT_ERR_CRYPTO, "cannot initialise the EdDSA context");
    return AJWT_OK;
}

int ajwt__op_init(ajwt_op *op, const ajwt_keyset *ks, const ajwt_key *key, ajwt_alg alg, int sign,
                  char *why, size_t whylen)
{
    const ajwt_alg_info *ai = ajwt__alg_info(alg);
    int rc;
    memset(op, 0, sizeof *op);
    op->key = key;
    op->alg = alg;
    op->md = ai->md >= 0 ? ks->md[ai->md] : NULL;
    if (ai->md >= 0 && op->md == NULL)
        return op_fail(why, whylen, AJWT_ERR_CRYPTO, "OpenSSL provides no SHA-2");
    if (ai->family == AJWT_FAM_HMAC)
        rc = init_mac(op, ks, why, whylen);
    else if (ai->family == AJWT_FAM_EDDSA)
        rc = init_eddsa(op, sign, why, whylen);
    else
        rc = init_pkey(op, ai, sign, why, whylen);
    if (rc != AJWT_OK)
        ajwt__op_clear(op);
    return rc;
}

void ajwt__op_clear(ajwt_op *op)
{
    if (op == NULL)
        return;
    EVP_MAC_CTX_free(op->mac);
    EVP_PKEY_CTX_free(op->pctx);
    EVP_MD_CTX_free(op->mdctx);
    memset(op, 0, sizeof *op);
}

size_t ajwt__sig_len(const ajwt_key *key, ajwt_alg alg)
{
    const ajwt_alg_info *ai = ajwt__alg_info(alg);
    switch (ai->family) {
    case AJWT_FAM_HMAC: return ai->hash_len;
    case AJWT_FAM_RSA_PKCS1:
    case AJWT_FAM_RSA_PSS: return (size_t)EVP_PKEY_get_size(key->pkey);
    case AJWT_FAM_ECDSA: return 2 * key->ec_len;
    case AJWT_FAM_EDDSA: return 64;
    }
    return 0;
}

static int mac(ajwt_op *op, const unsigned char *in, size_t len, unsigned char *out, size_t *out_len)
{
    return EVP_MAC_init(op->mac, NULL, 0, NULL) && EVP_MAC_update(op->mac, in, len) &&
           EVP_MAC_final(op->mac, out, out_len, EVP_MAX_MD_SIZE);
}

static int digest(ajwt_op *op, const unsigned char *in, size_t len, unsigned char *out, size_t *out_len)
{
    unsigned int n = 0;
    int ok = EVP_DigestInit_ex2(op->mdctx, op->md, NULL) && EVP_DigestUpdate(op->mdctx, in, len) &&
             EVP_DigestFinal_ex(op->mdctx, out, &n);
    *out_len = n;
    return ok;
}

/* 0 < v < n for a big-endian scalar v and the group order n, both key->ec_len bytes. */
static int ec_scalar_in_range(const unsigned char *v, const ajwt_key *key)
{
    unsigned char any = 0;
    size_t i;
    for (i = 0; i < key->ec_len; i++)
        any |= v[i];
    return any != 0 && memcmp(v, key->ec_order, key->ec_len) < 0;
}

/* A DER INTEGER for an unsigned big-endian value: minimal, with a 0x00 before a high bit. */
static size_t der_integer(unsigned char *o, const unsigned char *v, size_t n)
{
    size_t z = 0, len, pad;
    while (z + 1 < n && v[z] == 0)
        z++;
    len = n - z;
    pad = (v[z] & 0x80) != 0;
    o[0] = 0x02;
    o[1] = (unsigned char)(len + pad);
    o[2] = 0;
    memcpy(o + 2 + pad, v + z, len);
    return 2 + pad + len;
}

/* JWS R||S (2 × n bytes) -> DER ECDSA-Sig-Value. der holds 2 * (AJWT_MAX_EC_LEN + 3) + 3 bytes. */
static size_t ecdsa_raw_to_der(const unsigned char *rs, size_t n, unsigned char *der)
{
    unsigned char body[2 * (AJWT_MAX_EC_LEN + 3)];
    size_t bl = der_integer(body, rs, n);
    size_t h;
    bl += der_integer(body + bl, rs + n, n);
    der[0] = 0x30;
    if (bl < 128) {
        der[1] = (unsigned char)bl;
        h = 2;
    } else {
        der[1] = 0x81;
        der[2] = (unsigned char)bl;
        h = 3;
    }
    memcpy(der + h, body, bl);
    return h + bl;
}

static int verify_ecdsa(ajwt_op *op, const unsigned char *dg, size_t dl, const unsigned char *sig,
                        char *why, size_t whylen)
{
    unsigned char der[2 * (AJWT_MAX_EC_LEN + 3) + 3];
    size_t n = op->key->ec_len, derlen;
    if (!ec_scalar_in_range(sig, op->key) || !ec_scalar_in_range(sig + n, op->key)) {
        snprintf(why, whylen, "ECDSA signature has r or s outside 1..n-1");
        return AJWT_ERR_SIGNATURE;
    }
    derlen = ecdsa_raw_to_der(sig, n, der);
    if (EVP_PKEY_verify(op->pctx, der, derlen, dg, dl) == 1)
        return AJWT_OK;
    ERR_clear_error();
    snprintf(why, whylen, "%s signature does not verify", ajwt_alg_name(op->alg));
    return AJWT_ERR_SIGNATURE;
}

int ajwt__op_verify(ajwt_op *op, const unsigned char *input, size_t input_len,
                    const unsigned char *sig, size_t sig_len, char *why, size_t whylen)
{
    const ajwt_alg_info *ai = ajwt__alg_info(op->alg);
    unsigned char dg[EVP_MAX_MD_SIZE];
    size_t dl = 0;
    int ok;
    if (ai->family == AJWT_FAM_HMAC) {
        if (!mac(op, input, input_len, dg, &dl))
            return op_fail(why, whylen, AJWT_ERR_CRYPTO, "HMAC failed");
        ok = dl == sig_len && CRYPTO_memcmp(dg, sig, sig_len) == 0;
    } else if (ai->family == AJWT_FAM_EDDSA) {
        ok = EVP_DigestVerify(op->mdctx, sig, sig_len, input, input_len) == 1;
    } else {
        if (!digest(op, input, input_len, dg, &dl))
            return op_fail(why, whylen, AJWT_ERR_CRYPTO, "digest failed");
        if (ai->family == AJWT_FAM_ECDSA)
            return verify_ecdsa(op, dg, dl, sig, why, whylen);
        ok = EVP_PKEY_verify(op->pctx, sig, sig_len, dg, dl) == 1;
    }
    if (ok)
        return AJWT_OK;
    ERR_clear_error();
    snprintf(why, whylen, "%s signature does not verify", ai->name);
    return AJWT_ERR_SIGNATURE;
}

/* ECDSA: DER from OpenSSL -> JWS R||S, each left-padded to the coordinate length. */
static int sign_ecdsa(ajwt_op *op, const unsigned char *dg, size_t dl, unsigned char *sig, size_t *sig_len)
{
    unsigned char der[2 * (AJWT_MAX_EC_LEN + 3) + 3];
    const unsigned char *p = der;
    size_t derlen = sizeof der, n = op->key->ec_len;
    ECDSA_SIG *es = NULL;
    const BIGNUM *r, *s;
    int ok = EVP_PKEY_sign(op->pctx, der, &derlen, dg, dl) == 1 &&
             (es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) != NULL;
    if (ok) {
        ECDSA_SIG_get0(es, &r, &s);
        ok = BN_bn2binpad(r, sig, (int)n) == (int)n && BN_bn2binpad(s, sig + n, (int)n) == (int)n;
    }
    ECDSA_SIG_free(es);
    *sig_len = 2 * n;
    return ok;
}

int ajwt__op_sign(ajwt_op *op, const unsigned char *input, size_t input_len, unsigned char *sig,
                  size_t *sig_len, char *why, size_t whylen)
{
    const ajwt_alg_info *ai = ajwt__alg_info(op->alg);
    unsigned char dg[EVP_MAX_MD_SIZE];
    size_t dl = 0;
    int ok;
    *sig_len = AJWT_MAX_SIG;
    if (ai->family == AJWT_FAM_HMAC)
        ok = mac(op, input, input_len, sig, sig_len);
    else if (ai->family == AJWT_FAM_EDDSA)
        ok = EVP_DigestSign(op->mdctx, sig, sig_len, input, input_len) == 1;
    else if (!digest(op, input, input_len, dg, &dl))
        ok = 0;
    else if (ai->family == AJWT_FAM_ECDSA)
        ok = sign_ecdsa(op, dg, dl, sig, sig_len);
    else
        ok = EVP_PKEY_sign(op->pctx, sig, sig_len, dg, dl) == 1;
    if (ok)
        return AJWT_OK;
    return op_fail(why, whylen, AJWT_ERR_CRYPTO, "signing failed");
}

/* keygen.c — new keys: HMAC secrets of the hash's length, RSA 2048, the ECDSA curve of the
 * algorithm, Ed25519; private keys as PKCS#8 PEM and public keys as SPKI PEM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "ajwt_int.h"

#define AJWT_KEYGEN_RSA_BITS 2048

static int gen_fail(char *errbuf, size_t errbuf_len, int code, const char *what)
{
    if (errbuf != NULL && errbuf_len > 0) {
        snprintf(errbuf, errbuf_len, "%s", what);
        ajwt__ossl_reason(errbuf, errbuf_len);
    } else {
        ERR_clear_error();
    }
    return code;
}

/* Copies a memory BIO's contents into a NUL-terminated malloc'd buffer. */
static char *bio_to_string(BIO *b, size_t *len)
{
    char *data = NULL, *out;
    long n = BIO_get_mem_data(b, &data);
    if (n <= 0 || (out = malloc((size_t)n + 1)) == NULL)
        return NULL;
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    *len = (size_t)n;
    return out;
}

static EVP_PKEY *generate(const ajwt_alg_info *ai)
{
    static const char *const curves[3] = {"P-256", "P-384", "P-521"};
    switch (ai->kty) {
    case AJWT_KTY_RSA: return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)AJWT_KEYGEN_RSA_BITS);
    case AJWT_KTY_EC: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[ai->md]);
    case AJWT_KTY_OKP: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    default: return NULL;
    }
}

static int keygen_secret(const ajwt_alg_info *ai, unsigned char **priv, size_t *priv_len, char *errbuf,
                         size_t errbuf_len)
{
    unsigned char *s = malloc(ai->hash_len);
    if (s == NULL)
        return gen_fail(errbuf, errbuf_len, AJWT_ERR_NOMEM, "out of memory");
    if (RAND_bytes(s, (int)ai->hash_len) != 1) {
        free(s);
        return gen_fail(errbuf, errbuf_len, AJWT_ERR_CRYPTO, "random generator failed");
    }
    *priv = s;
    *priv_len = ai->hash_len;
    return AJWT_OK;
}

int ajwt_keygen(ajwt_alg alg, unsigned char **priv, size_t *priv_len, char **pub, size_t *pub_len,
                char *errbuf, size_t errbuf_len)
{
    const ajwt_alg_info *ai = ajwt__alg_info(alg);
    EVP_PKEY *pkey = NULL;
    BIO *bpriv = NULL, *bpub = NULL;
    char *spriv = NULL, *spub = NULL;
    size_t lpriv = 0, lpub = 0;
    int rc = AJWT_OK;
    if (ai == NULL || priv == NULL || priv_len == NULL || pub == NULL || pub_len == NULL)
        return gen_fail(errbuf, errbuf_len, AJWT_ERR_ARG, "invalid algorithm or output pointers");
    *priv = NULL;
    *pub = NULL;
    *priv_len = *pub_len = 0;
    if (ai->kty == AJWT_KTY_OCT)
        return keygen_secret(ai, priv, priv_len, errbuf, errbuf_len);
    if ((pkey = generate(ai)) == NULL) {
        rc = gen_fail(errbuf, errbuf_len, AJWT_ERR_CRYPTO, "key generation failed");
        goto done;
    }
    bpriv = BIO_new(BIO_s_secmem());
    bpub = BIO_new(BIO_s_mem());
    if (bpriv == NULL || bpub == NULL || !PEM_write_bio_PrivateKey(bpriv, pkey, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_PUBKEY(bpub, pkey) || (spriv = bio_to_string(bpriv, &lpriv)) == NULL ||
        (spub = bio_to_string(bpub, &lpub)) == NULL) {
        rc = gen_fail(errbuf, errbuf_len, AJWT_ERR_NOMEM, "cannot write the key as PEM");
        goto done;
    }
    *priv = (unsigned char *)spriv;
    *priv_len = lpriv;
    *pub = spub;
    *pub_len = lpub;
    spriv = spub = NULL;
done:
    if (spriv != NULL)
        OPENSSL_cleanse(spriv, lpriv);
    free(spriv);
    free(spub);
    BIO_free(bpriv);
    BIO_free(bpub);
    EVP_PKEY_free(pkey);
    return rc;
}

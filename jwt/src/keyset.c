/* keyset.c — the keyset: keys bound to the algorithms their type allows, key lookup by kid and
 * algorithm, HMAC secrets, key files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ajwt_int.h"

#define AJWT_MIN_HMAC_SECRET 32

static const char *const md_names[AJWT_MD_COUNT] = {"SHA256", "SHA384", "SHA512"};

ajwt_keyset *ajwt_keyset_new(void)
{
    ajwt_keyset *ks = calloc(1, sizeof *ks);
    int i;
    if (ks == NULL)
        return NULL;
    for (i = 0; i < AJWT_MD_COUNT; i++)
        ks->md[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
    ks->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (ks->hmac == NULL || ks->md[0] == NULL || ks->md[1] == NULL || ks->md[2] == NULL)
        ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_CRYPTO, "OpenSSL provides no HMAC or SHA-2");
    return ks;
}

void ajwt__key_free(ajwt_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    if (k->secret != NULL)
        OPENSSL_clear_free(k->secret, k->secret_len);
    free(k->kid);
    free(k);
}

void ajwt_keyset_free(ajwt_keyset *ks)
{
    size_t i;
    int m;
    if (ks == NULL)
        return;
    for (i = 0; i < ks->n; i++)
        ajwt__key_free(ks->keys[i]);
    free(ks->keys);
    for (m = 0; m < AJWT_MD_COUNT; m++)
        EVP_MD_free(ks->md[m]);
    EVP_MAC_free(ks->hmac);
    free(ks);
}

int ajwt__key_set_kid(ajwt_key *k, const char *kid)
{
    char *copy = NULL;
    if (kid != NULL && (copy = strdup(kid)) == NULL)
        return AJWT_ERR_NOMEM;
    free(k->kid);
    k->kid = copy;
    return AJWT_OK;
}

int ajwt__keyset_push(ajwt_keyset *ks, ajwt_key **keys, size_t n)
{
    size_t i;
    if (ks->n + n > ks->cap) {
        size_t ncap = ks->cap ? ks->cap : 4;
        ajwt_key **nk;
        while (ncap < ks->n + n)
            ncap *= 2;
        nk = realloc(ks->keys, ncap * sizeof *nk);
        if (nk == NULL) {
            for (i = 0; i < n; i++)
                ajwt__key_free(keys[i]);
            return AJWT_ERR_NOMEM;
        }
        ks->keys = nk;
        ks->cap = ncap;
    }
    for (i = 0; i < n; i++)
        ks->keys[ks->n++] = keys[i];
    return AJWT_OK;
}

ajwt_key *ajwt__key_from_secret(const unsigned char *secret, size_t len, int *code, char *why,
                                size_t whylen)
{
    ajwt_key *k;
    int a;
    if (len < AJWT_MIN_HMAC_SECRET) {
        *code = AJWT_ERR_KEY_WEAK;
        snprintf(why, whylen, "HMAC secret of %zu bytes is shorter than 32 bytes, the minimum for HS256 "
                 "(RFC 7518 section 3.2)", len);
        return NULL;
    }
    k = calloc(1, sizeof *k);
    if (k == NULL || (k->secret = OPENSSL_malloc(len)) == NULL) {
        free(k);
        *code = AJWT_ERR_NOMEM;
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    memcpy(k->secret, secret, len);
    k->secret_len = len;
    k->kty = AJWT_KTY_OCT;
    k->has_private = 1;
    k->bits = (int)(len * 8);
    for (a = AJWT_HS256; a <= AJWT_HS512; a++) {
        if (len >= ajwt__alg_info((ajwt_alg)a)->hash_len)
            k->algs |= AJWT_ALG_BIT(a);
        else
            k->weak_algs |= AJWT_ALG_BIT(a);
    }
    return k;
}

int ajwt__key_narrow(ajwt_key *k, ajwt_alg alg, char *why, size_t whylen)
{
    if (k->algs & AJWT_ALG_BIT(alg)) {
        k->algs = AJWT_ALG_BIT(alg);
        k->weak_algs = 0;
        return AJWT_OK;
    }
    if (k->weak_algs & AJWT_ALG_BIT(alg)) {
        snprintf(why, whylen, "HMAC secret of %zu bytes is too short for %s (needs %zu, RFC 7518 section 3.2)",
                 k->secret_len, ajwt_alg_name(alg), ajwt__alg_info(alg)->hash_len);
        return AJWT_ERR_KEY_WEAK;
    }
    snprintf(why, whylen, "%s key cannot be used with %s", ajwt__kty_name(k->kty), ajwt_alg_name(alg));
    return AJWT_ERR_KEY_ALG;
}

/* Names k and appends it (ownership taken). Sets the keyset error. */
static int add_one(ajwt_keyset *ks, ajwt_key *k, const char *kid)
{
    if (ajwt__key_set_kid(k, kid) != AJWT_OK) {
        ajwt__key_free(k);
        return ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_NOMEM, "out of memory");
    }
    if (ajwt__keyset_push(ks, &k, 1) != AJWT_OK)
        return ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_NOMEM, "out of memory");
    ajwt__clear_err(&ks->err, ks->errstr);
    return AJWT_OK;
}

int ajwt_keyset_add_secret(ajwt_keyset *ks, const unsigned char *secret, size_t len, const char *kid)
{
    char why[AJWT_ERRSTR_LEN];
    ajwt_key *k;
    int code = AJWT_OK;
    if (ks == NULL)
        return AJWT_ERR_ARG;
    if (secret == NULL)
        return ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_ARG, "no secret given");
    k = ajwt__key_from_secret(secret, len, &code, why, sizeof why);
    if (k == NULL)
        return ajwt__set_err(&ks->err, ks->errstr, code, "%s", why);
    return add_one(ks, k, kid);
}

int ajwt_keyset_add_pem(ajwt_keyset *ks, const char *pem, size_t len, const char *kid)
{
    char why[AJWT_ERRSTR_LEN];
    ajwt_key *k;
    int code = AJWT_OK;
    if (ks == NULL)
        return AJWT_ERR_ARG;
    if (pem == NULL)
        return ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_ARG, "no PEM given");
    k = ajwt__key_from_pem(pem, len, &code, why, sizeof why);
    if (k == NULL)
        return ajwt__set_err(&ks->err, ks->errstr, code, "%s", why);
    return add_one(ks, k, kid);
}

/* Reads a key file (at most AJWT_MAX_KEY_FILE bytes) into a NUL-terminated secure buffer. */
static char *read_key_file(const char *path, size_t *len, char *why, size_t whylen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t got;
    if (f == NULL) {
        snprintf(why, whylen, "cannot open key file %s: %s", path, strerror(errno));
        return NULL;
    }
    buf = OPENSSL_malloc(AJWT_MAX_KEY_FILE + 1);
    if (buf == NULL) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    got = fread(buf, 1, AJWT_MAX_KEY_FILE + 1, f);
    if (ferror(f) || got > AJWT_MAX_KEY_FILE) {
        snprintf(why, whylen, "cannot read key file %s: %s", path,
                 ferror(f) ? strerror(errno) : "larger than 1 MiB");
        OPENSSL_clear_free(buf, AJWT_MAX_KEY_FILE + 1);
        buf = NULL;
        goto done;
    }
    buf[got] = '\0';
    *len = got;
done:
    fclose(f);
    return buf;
}

static int starts_like_json(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i < len && s[i] == '{';
}

int ajwt_keyset_add_file(ajwt_keyset *ks, const char *path, const char *kid)
{
    char why[AJWT_ERRSTR_LEN];
    char *buf;
    size_t len = 0, bom;
    int rc;
    if (ks == NULL)
        return AJWT_ERR_ARG;
    if (path == NULL)
        return ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_ARG, "no key file given");
    buf = read_key_file(path, &len, why, sizeof why);
    if (buf == NULL)
        return ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_IO, "%s", why);
    bom = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (len == 0)
        rc = ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_KEY_PARSE, "key file %s is empty", path);
    else if (memmem(buf, len, "-----BEGIN", 10) != NULL)
        rc = ajwt_keyset_add_pem(ks, buf, len, kid);
    else if (starts_like_json(buf + bom, len - bom)) /* a UTF-8 byte order mark is skipped */
        rc = ajwt_keyset_add_jwk(ks, buf + bom, len - bom);
    else if (ajwt__is_der_key(buf, len))
        rc = ajwt__set_err(&ks->err, ks->errstr, AJWT_ERR_KEY_PARSE, "key file %s holds a DER-encoded key; convert "
                           "it to PEM (openssl pkey -inform DER -in FILE)", path);
    else
        rc = ajwt_keyset_add_secret(ks, (const unsigned char *)buf, len, kid);
    OPENSSL_clear_free(buf, AJWT_MAX_KEY_FILE + 1);
    return rc;
}

size_t ajwt_keyset_count(const ajwt_keyset *ks)
{
    return ks ? ks->n : 0;
}

int ajwt_keyset_algs(const ajwt_keyset *ks, ajwt_alg *out, int max)
{
    uint32_t bits = 0;
    size_t i;
    int a, n = 0;
    if (ks == NULL || out == NULL)
        return 0;
    for (i = 0; i < ks->n; i++)
        bits |= ks->keys[i]->algs;
    for (a = AJWT_ALG_INVALID + 1; a < AJWT_ALG_COUNT && n < max; a++)
        if (bits & AJWT_ALG_BIT(a))
            out[n++] = (ajwt_alg)a;
    return n;
}

int ajwt_keyset_err(const ajwt_keyset *ks)
{
    return ks ? ks->err : AJWT_ERR_ARG;
}

const char *ajwt_keyset_errstr(const ajwt_keyset *ks)
{
    return ks ? ks->errstr : "no keyset";
}

/* Explains why no key among the candidates (kid match, or all) can be used with alg. */
static int pick_fail(const ajwt_keyset *ks, ajwt_alg alg, const char *kid, int need_private, char *why,
                     size_t whylen)
{
    const ajwt_key *first = NULL;
    char q[64];
    size_t i;
    for (i = 0; i < ks->n; i++) {
        const ajwt_key *k = ks->keys[i];
        if (kid != NULL && (k->kid == NULL || strcmp(k->kid, kid) != 0))
            continue;
        if (first == NULL)
            first = k;
        if (need_private && (k->algs & AJWT_ALG_BIT(alg))) {
            snprintf(why, whylen, "the %s key for %s is a public key: it can verify but not sign",
                     ajwt__kty_name(k->kty), ajwt_alg_name(alg));
            return AJWT_ERR_KEY_NOT_FOUND;
        }
        if (k->weak_algs & AJWT_ALG_BIT(alg)) {
            snprintf(why, whylen, "HMAC secret of %zu bytes is too short for %s (needs %zu, RFC 7518 "
                     "section 3.2)", k->secret_len, ajwt_alg_name(alg), ajwt__alg_info(alg)->hash_len);
            return AJWT_ERR_KEY_WEAK;
        }
    }
    if (first == NULL) {
        if (kid != NULL)
            snprintf(why, whylen, "no key with kid '%s'", ajwt__quote(q, sizeof q, kid, strlen(kid)));
        else
            snprintf(why, whylen, "the keyset is empty");
        return AJWT_ERR_KEY_NOT_FOUND;
    }
    snprintf(why, whylen, "%s key%s%s%s cannot be used with %s", ajwt__kty_name(first->kty),
             kid ? " '" : "", kid ? ajwt__quote(q, sizeof q, kid, strlen(kid)) : "", kid ? "'" : "",
             ajwt_alg_name(alg));
    return AJWT_ERR_KEY_ALG;
}

int ajwt__keyset_pick(const ajwt_keyset *ks, ajwt_alg alg, const char *kid, int need_private,
                      int *code, char *why, size_t whylen)
{
    size_t i;
    for (i = 0; i < ks->n; i++) {
        const ajwt_key *k = ks->keys[i];
        if (kid != NULL && (k->kid == NULL || strcmp(k->kid, kid) != 0))
            continue;
        if ((k->algs & AJWT_ALG_BIT(alg)) && (!need_private || k->has_private))
            return (int)i;
    }
    *code = pick_fail(ks, alg, kid, need_private, why, whylen);
    return -1;
}

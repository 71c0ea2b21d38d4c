/* sign.c — the signer: a pre-encoded header and a small lock-free pool of prepared contexts, so
 * ajwt_sign() is thread-safe without a lock and without preparing a context per call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajwt_int.h"

#define AJWT_SIGNER_SLOTS 8

typedef struct ajwt_sslot {
    atomic_flag busy;
    int ready;
    ajwt_op op;
} ajwt_sslot;

struct ajwt_signer {
    const ajwt_keyset *ks;
    const ajwt_key *key;
    ajwt_alg alg;
    char *hdr;        /* BASE64URL(header) */
    size_t hdr_len;
    size_t sig_len;
    ajwt_sslot *slots; /* AJWT_SIGNER_SLOTS; a slot is owned by whoever set its busy flag */
    int err;
    char errstr[AJWT_ERRSTR_LEN];
};

/* Appends s as a JSON string (quoted, escaped) to out; returns the new length. out must hold
 * 6 * strlen(s) + 3 more bytes. */
static size_t json_quote(char *out, size_t o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    out[o++] = '"';
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[ch >> 4];
            out[o + 5] = hex[ch & 15];
            o += 6;
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o++] = '"';
    return o;
}

/* {"alg":…,"typ":"JWT"[,"kid":…]} -> s->hdr. */
static int build_header(ajwt_signer *s, const char *kid)
{
    size_t cap = 64 + (kid ? 6 * strlen(kid) : 0), n;
    char *json = malloc(cap);
    if (json == NULL)
        return AJWT_ERR_NOMEM;
    n = (size_t)snprintf(json, cap, "{\"alg\":\"%s\",\"typ\":\"JWT\"", ajwt_alg_name(s->alg));
    if (kid != NULL) {
        memcpy(json + n, ",\"kid\":", 7);
        n = json_quote(json, n + 7, kid);
    }
    json[n++] = '}';
    s->hdr = malloc(AJWT_B64URL_ENCODED_LEN(n) + 1);
    if (s->hdr != NULL)
        s->hdr_len = ajwt__b64url_encode_raw((unsigned char *)json, n, s->hdr);
    free(json);
    return s->hdr ? AJWT_OK : AJWT_ERR_NOMEM;
}

static int setup(ajwt_signer *s, const ajwt_keyset *ks, ajwt_alg alg, const char *kid)
{
    int code = AJWT_OK, idx, i;
    if (ks == NULL || ajwt__alg_info(alg) == NULL)
        return ajwt__set_err(&s->err, s->errstr, AJWT_ERR_ARG, "no keyset or no valid algorithm");
    idx = ajwt__keyset_pick(ks, alg, kid, 1, &code, s->errstr, sizeof s->errstr);
    if (idx < 0)
        return s->err = code;
    s->ks = ks;
    s->key = ks->keys[idx];
    s->alg = alg;
    s->sig_len = ajwt__sig_len(s->key, alg);
    if ((s->slots = calloc(AJWT_SIGNER_SLOTS, sizeof *s->slots)) == NULL ||
        build_header(s, kid ? kid : s->key->kid) != AJWT_OK)
        return ajwt__set_err(&s->err, s->errstr, AJWT_ERR_NOMEM, "out of memory");
    for (i = 0; i < AJWT_SIGNER_SLOTS; i++)
        atomic_flag_clear(&s->slots[i].busy);
    code = ajwt__op_init(&s->slots[0].op, ks, s->key, alg, 1, s->errstr, sizeof s->errstr);
    if (code != AJWT_OK)
        return s->err = code;
    s->slots[0].ready = 1;
    return AJWT_OK;
}

ajwt_signer *ajwt_signer_new(const ajwt_keyset *ks, ajwt_alg alg, const char *kid)
{
    ajwt_signer *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    setup(s, ks, alg, kid);
    return s;
}

void ajwt_signer_free(ajwt_signer *s)
{
    int i;
    if (s == NULL)
        return;
    for (i = 0; s->slots != NULL && i < AJWT_SIGNER_SLOTS; i++)
        ajwt__op_clear(&s->slots[i].op);
    free(s->slots);
    free(s->hdr);
    free(s);
}

int ajwt_signer_err(const ajwt_signer *s)
{
    return s ? s->err : AJWT_ERR_ARG;
}

const char *ajwt_signer_errstr(const ajwt_signer *s)
{
    return s ? s->errstr : "no signer";
}

size_t ajwt_sign_bound(const ajwt_signer *s, size_t claims_len)
{
    if (s == NULL || s->err != AJWT_OK || claims_len > SIZE_MAX / 2)
        return 0;
    return s->hdr_len + 1 + AJWT_B64URL_ENCODED_LEN(claims_len) + 1 + AJWT_B64URL_ENCODED_LEN(s->sig_len);
}

/* Signs with a free pooled context, or a temporary one when all are busy. */
static int sign_with_slot(const ajwt_signer *s, const unsigned char *in, size_t len, unsigned char *sig,
                          size_t *sig_len)
{
    char why[AJWT_ERRSTR_LEN];
    ajwt_op tmp;
    int i, rc;
    for (i = 0; i < AJWT_SIGNER_SLOTS; i++) {
        ajwt_sslot *sl = &s->slots[i];
        if (atomic_flag_test_and_set_explicit(&sl->busy, memory_order_acquire))
            continue;
        rc = AJWT_OK;
        if (!sl->ready && (rc = ajwt__op_init(&sl->op, s->ks, s->key, s->alg, 1, why, sizeof why)) == AJWT_OK)
            sl->ready = 1;
        if (rc == AJWT_OK)
            rc = ajwt__op_sign(&sl->op, in, len, sig, sig_len, why, sizeof why);
        atomic_flag_clear_explicit(&sl->busy, memory_order_release);
        return rc;
    }
    rc = ajwt__op_init(&tmp, s->ks, s->key, s->alg, 1, why, sizeof why);
    if (rc == AJWT_OK)
        rc = ajwt__op_sign(&tmp, in, len, sig, sig_len, why, sizeof why);
    ajwt__op_clear(&tmp);
    return rc;
}

int ajwt_sign_raw(const ajwt_signer *s, const unsigned char *input, size_t input_len,
                  unsigned char *sig, size_t cap, size_t *sig_len)
{
    unsigned char buf[AJWT_MAX_SIG];
    size_t n = 0;
    int rc;
    if (s == NULL || s->err != AJWT_OK || (input == NULL && input_len != 0) || sig == NULL ||
        sig_len == NULL || cap < s->sig_len)
        return AJWT_ERR_ARG;
    rc = sign_with_slot(s, input, input_len, buf, &n);
    if (rc == AJWT_OK) {
        memcpy(sig, buf, n);
        *sig_len = n;
    }
    return rc;
}

int ajwt_sign(const ajwt_signer *s, const char *claims, size_t claims_len, char *out, size_t cap,
              size_t *out_len)
{
    unsigned char sig[AJWT_MAX_SIG];
    size_t need = ajwt_sign_bound(s, claims_len), input_len, n = 0, o;
    int rc;
    if (need == 0 || (claims == NULL && claims_len != 0) || out == NULL || cap < need + 1)
        return AJWT_ERR_ARG;
    memcpy(out, s->hdr, s->hdr_len);
    out[s->hdr_len] = '.';
    input_len = s->hdr_len + 1 +
                ajwt__b64url_encode_raw((const unsigned char *)claims, claims_len, out + s->hdr_len + 1);
    rc = sign_with_slot(s, (const unsigned char *)out, input_len, sig, &n);
    if (rc != AJWT_OK)
        return rc;
    out[input_len] = '.';
    o = input_len + 1 + ajwt__b64url_encode_raw(sig, n, out + input_len + 1);
    out[o] = '\0';
    if (out_len != NULL)
        *out_len = o;
    return AJWT_OK;
}

/* verify.c — the verify hot path: split the compact JWS, check the header (cached per vctx by its
 * exact bytes), decode the payload, check the signature with a prepared context, then the claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajwt_int.h"

typedef struct tparts {
    const char *h, *p, *s;
    size_t hl, pl, sl;
} tparts;

int ajwt__vfail(ajwt_vctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ajwt__vset_err(&c->err, c->errstr, code, fmt, ap);
    va_end(ap);
    return code;
}

int ajwt__vctx_begin(ajwt_vctx *c, int args_ok, const char *what)
{
    c->have_claims = 0;
    c->token_ok = 0;
    c->alg = AJWT_ALG_INVALID;
    return args_ok ? AJWT_OK : ajwt__vfail(c, AJWT_ERR_ARG, "%s", what);
}

ajwt_vctx *ajwt_vctx_new(const ajwt_verifier *v)
{
    ajwt_vctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->v = v;
    c->hdr_key = -1;
    if (v == NULL || v->ks == NULL)
        ajwt__vfail(c, AJWT_ERR_ARG, "no verifier or no keyset");
    return c;
}

void ajwt_vctx_free(ajwt_vctx *c)
{
    size_t i;
    if (c == NULL)
        return;
    for (i = 0; i < c->nops; i++)
        ajwt__op_clear(&c->ops[i]);
    free(c->ops);
    free(c->hdr);
    free(c->hdr_kid);
    free(c->buf);
    ajwt__json_free(&c->hj);
    ajwt__json_free(&c->pj);
    free(c);
}

/* The prepared context for (key idx, alg), created on first use. */
static ajwt_op *get_op(ajwt_vctx *c, int idx, ajwt_alg alg)
{
    const ajwt_keyset *ks = c->v->ks;
    size_t slot = (size_t)idx * AJWT_ALG_COUNT + (size_t)alg;
    ajwt_op *op;
    int rc;
    if (slot >= c->nops) {
        size_t n = ((size_t)idx + 1) * AJWT_ALG_COUNT;
        ajwt_op *nops = realloc(c->ops, n * sizeof *nops);
        if (nops == NULL) {
            ajwt__vfail(c, AJWT_ERR_NOMEM, "out of memory");
            return NULL;
        }
        memset(nops + c->nops, 0, (n - c->nops) * sizeof *nops);
        c->ops = nops;
        c->nops = n;
    }
    op = &c->ops[slot];
    if (op->key == NULL) {
        rc = ajwt__op_init(op, ks, ks->keys[idx], alg, 0, c->errstr, sizeof c->errstr);
        if (rc != AJWT_OK) {
            c->err = rc;
            return NULL;
        }
    }
    return op;
}

/* Signature length, then the prepared verify. */
static int check_sig(ajwt_vctx *c, int idx, ajwt_alg alg, const unsigned char *in, size_t in_len,
                     const unsigned char *sig, size_t sig_len)
{
    size_t want = ajwt__sig_len(c->v->ks->keys[idx], alg);
    ajwt_op *op;
    int rc;
    if (sig_len != want)
        return ajwt__vfail(c, AJWT_ERR_SIG_LENGTH, "signature is %zu bytes; %s with this key needs %zu",
                           sig_len, ajwt_alg_name(alg), want);
    if ((op = get_op(c, idx, alg)) == NULL)
        return c->err;
    rc = ajwt__op_verify(op, in, in_len, sig, sig_len, c->errstr, sizeof c->errstr);
    c->err = rc;
    return rc;
}

/* Lists the algorithms bits allows ("HS256, RS256"). */
static void alg_list(uint32_t bits, char *out, size_t cap)
{
    size_t o = 0;
    int a;
    out[0] = '\0';
    for (a = AJWT_ALG_INVALID + 1; a < AJWT_ALG_COUNT; a++)
        if (bits & AJWT_ALG_BIT(a))
            o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s", o ? ", " : "", ajwt_alg_name((ajwt_alg)a));
    if (o == 0)
        snprintf(out, cap, "none");
}

static uint32_t allowed_algs(const ajwt_verifier *v)
{
    uint32_t bits = 0;
    size_t i;
    if (v->algs != 0)
        return v->algs;
    for (i = 0; i < v->ks->n; i++)
        bits |= v->ks->keys[i]->algs;
    return bits;
}

static int check_allowed(ajwt_vctx *c, ajwt_alg alg)
{
    uint32_t bits = allowed_algs(c->v);
    char list[128];
    if (bits & AJWT_ALG_BIT(alg))
        return AJWT_OK;
    alg_list(bits, list, sizeof list);
    return ajwt__vfail(c, AJWT_ERR_ALG_NOT_ALLOWED, "alg %s is not allowed (allowed: %s)", ajwt_alg_name(alg), list);
}

static int split(ajwt_vctx *c, const char *tok, size_t len, tparts *t)
{
    const char *d1, *d2;
    if (len > c->v->max_token)
        return ajwt__vfail(c, AJWT_ERR_TOO_LONG, "token is %zu bytes, over the %zu-byte limit", len,
                           c->v->max_token);
    d1 = memchr(tok, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (d2 == NULL)
        return ajwt__vfail(c, AJWT_ERR_FORMAT, "not a compact JWS: expected header.payload.signature");
    if (memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL)
        return ajwt__vfail(c, AJWT_ERR_FORMAT, "more than 3 dot-separated parts (a JWE has 5; only JWS is supported)");
    t->h = tok;
    t->hl = (size_t)(d1 - tok);
    t->p = d1 + 1;
    t->pl = (size_t)(d2 - t->p);
    t->s = d2 + 1;
    t->sl = len - (size_t)(t->s - tok);
    if (t->hl == 0)
        return ajwt__vfail(c, AJWT_ERR_FORMAT, "empty header part");
    return AJWT_OK;
}

static int ensure_buf(ajwt_vctx *c, size_t need)
{
    unsigned char *nb;
    if (c->buf_cap >= need)
        return AJWT_OK;
    nb = realloc(c->buf, need);
    if (nb == NULL)
        return ajwt__vfail(c, AJWT_ERR_NOMEM, "out of memory");
    c->buf = nb;
    c->buf_cap = need;
    return AJWT_OK;
}

/* A string member of the header, checked for type; *out NULL when absent. */
static int header_str(ajwt_vctx *c, const char *name, const ajwt_jtok **out)
{
    int t = ajwt__json_member(&c->hj, 0, name);
    *out = NULL;
    if (t < 0)
        return AJWT_OK;
    if (c->hj.tok[t].type != AJWT_J_STR)
        return ajwt__vfail(c, name[0] == 'a' ? AJWT_ERR_ALG_UNKNOWN : AJWT_ERR_HEADER,
                           "header member %s must be a string", name);
    *out = &c->hj.tok[t];
    return AJWT_OK;
}

/* crit: a non-empty array of names, none of which we implement; b64 other than true refused. */
static int check_crit(ajwt_vctx *c)
{
    const ajwt_jtok *t = c->hj.tok;
    int ci = ajwt__json_member(&c->hj, 0, "crit"), bi = ajwt__json_member(&c->hj, 0, "b64");
    char q[64];
    if (ci >= 0 && (t[ci].type != AJWT_J_ARR || t[ci].len == 0))
        return ajwt__vfail(c, AJWT_ERR_HEADER, "header crit must be a non-empty array of names");
    if (ci >= 0) {
        const ajwt_jtok *e = &t[ci + 1];
        if (e->type != AJWT_J_STR)
            return ajwt__vfail(c, AJWT_ERR_HEADER, "header crit must hold names (strings)");
        if (strcmp(e->p, "b64") == 0)
            return ajwt__vfail(c, AJWT_ERR_CRIT, "crit b64: the unencoded payload option (RFC 7797) is not supported");
        return ajwt__vfail(c, AJWT_ERR_CRIT, "critical header parameter '%s' is not understood",
                           ajwt__quote(q, sizeof q, e->p, e->len));
    }
    if (bi >= 0 && t[bi].type != AJWT_J_TRUE)
        return ajwt__vfail(c, t[bi].type == AJWT_J_FALSE ? AJWT_ERR_CRIT : AJWT_ERR_HEADER,
                           "header b64=%s: the unencoded payload option (RFC 7797) is not supported",
                           t[bi].type == AJWT_J_FALSE ? "false" : "(not a boolean)");
    return AJWT_OK;
}

static int header_alg(ajwt_vctx *c, ajwt_alg *alg)
{
    const ajwt_jtok *a;
    char q[64];
    int rc = header_str(c, "alg", &a);
    if (rc != AJWT_OK)
        return rc;
    if (a == NULL)
        return ajwt__vfail(c, AJWT_ERR_ALG_UNKNOWN, "header has no alg");
    if (a->len == 4 && memcmp(a->p, "none", 4) == 0)
        return ajwt__vfail(c, AJWT_ERR_ALG_NONE, "alg none (an unsecured JWS) is never accepted");
    *alg = ajwt__alg_from_span(a->p, a->len);
    if (*alg == AJWT_ALG_INVALID)
        return ajwt__vfail(c, AJWT_ERR_ALG_UNKNOWN, "unknown alg '%s'", ajwt__quote(q, sizeof q, a->p, a->len));
    return check_allowed(c, *alg);
}

/* Remembers a good header so the next token with the same bytes skips decoding and parsing. */
static int cache_header(ajwt_vctx *c, const tparts *t, ajwt_alg alg, int idx, const ajwt_jtok *kid)
{
    char *nk = NULL;
    if (c->hdr_cap < t->hl) {
        char *nh = realloc(c->hdr, t->hl);
        if (nh == NULL)
            return ajwt__vfail(c, AJWT_ERR_NOMEM, "out of memory");
        c->hdr = nh;
        c->hdr_cap = t->hl;
    }
    if (kid != NULL && (nk = strdup(kid->p)) == NULL)
        return ajwt__vfail(c, AJWT_ERR_NOMEM, "out of memory");
    memcpy(c->hdr, t->h, t->hl);
    c->hdr_len = t->hl;
    free(c->hdr_kid);
    c->hdr_kid = nk;
    c->hdr_alg = alg;
    c->hdr_key = idx;
    c->hdr_gen = c->v->gen;
    return AJWT_OK;
}

static int header_parse(ajwt_vctx *c, const tparts *t)
{
    const ajwt_jtok *kid, *typ, *cty;
    ajwt_alg alg = AJWT_ALG_INVALID;
    size_t n = 0;
    int rc, idx, code = AJWT_OK;
    if ((rc = ensure_buf(c, AJWT_B64URL_DECODED_MAX(t->hl) + 1)) != AJWT_OK)
        return rc;
    if (ajwt__b64url_decode_raw(t->h, t->hl, c->buf, &n) != 0)
        return ajwt__vfail(c, AJWT_ERR_BASE64, "header is not strict base64url");
    rc = ajwt__json_parse(&c->hj, (const char *)c->buf, n, c->v->max_depth);
    if (rc != 0)
        return ajwt__vfail(c, rc == -2 ? AJWT_ERR_NOMEM : AJWT_ERR_HEADER, "header: %s", c->hj.why);
    if (c->hj.tok[0].type != AJWT_J_OBJ)
        return ajwt__vfail(c, AJWT_ERR_HEADER, "header is not a JSON object");
    if ((rc = header_alg(c, &alg)) != AJWT_OK || (rc = check_crit(c)) != AJWT_OK ||
        (rc = header_str(c, "kid", &kid)) != AJWT_OK || (rc = header_str(c, "typ", &typ)) != AJWT_OK ||
        (rc = header_str(c, "cty", &cty)) != AJWT_OK)
        return rc;
    idx = ajwt__keyset_pick(c->v->ks, alg, kid ? kid->p : NULL, 0, &code, c->errstr, sizeof c->errstr);
    if (idx < 0)
        return c->err = code;
    return cache_header(c, t, alg, idx, kid);
}

static int header_step(ajwt_vctx *c, const tparts *t)
{
    if (c->hdr_key >= 0 && c->hdr_gen == c->v->gen && t->hl == c->hdr_len && memcmp(t->h, c->hdr, t->hl) == 0)
        return AJWT_OK;
    c->hdr_key = -1;
    return header_parse(c, t);
}

static int payload_step(ajwt_vctx *c, const tparts *t)
{
    size_t n = 0;
    int rc;
    if (t->pl == 0)
        return ajwt__vfail(c, AJWT_ERR_DETACHED, "empty payload part: detached content (RFC 7515 "
                           "appendix F) is not supported");
    if ((rc = ensure_buf(c, AJWT_B64URL_DECODED_MAX(t->pl) + 1)) != AJWT_OK)
        return rc;
    if (ajwt__b64url_decode_raw(t->p, t->pl, c->buf, &n) != 0)
        return ajwt__vfail(c, AJWT_ERR_BASE64, "payload is not strict base64url");
    c->buf[n] = '\0';
    c->payload_len = n;
    return AJWT_OK;
}

static int sig_step(ajwt_vctx *c, const tparts *t)
{
    size_t n = 0;
    if (t->sl == 0)
        return ajwt__vfail(c, AJWT_ERR_SIG_LENGTH, "signature part is empty");
    if (t->sl > AJWT_B64URL_ENCODED_LEN(AJWT_MAX_SIG))
        return ajwt__vfail(c, AJWT_ERR_SIG_LENGTH, "signature part is %zu characters, longer than any "
                           "supported signature", t->sl);
    if (ajwt__b64url_decode_raw(t->s, t->sl, c->sig, &n) != 0)
        return ajwt__vfail(c, AJWT_ERR_BASE64, "signature is not strict base64url");
    return check_sig(c, c->hdr_key, c->hdr_alg, (const unsigned char *)t->h, t->hl + 1 + t->pl, c->sig, n);
}

int ajwt_verify(ajwt_vctx *c, const char *token, size_t len)
{
    tparts t = {NULL, NULL, NULL, 0, 0, 0};
    int rc;
    if (c == NULL)
        return AJWT_ERR_ARG;
    if ((rc = ajwt__vctx_begin(c, c->v && c->v->ks && token, "no verifier, keyset or token")) != AJWT_OK ||
        (rc = split(c, token, len, &t)) != AJWT_OK || (rc = header_step(c, &t)) != AJWT_OK ||
        (rc = payload_step(c, &t)) != AJWT_OK || (rc = sig_step(c, &t)) != AJWT_OK)
        return rc;
    if (!c->v->opaque) {
        if ((rc = ajwt__payload_parse(c, (const char *)c->buf, c->payload_len)) != AJWT_OK ||
            (rc = ajwt__claims_check(c)) != AJWT_OK)
            return rc;
        c->have_claims = 1;
    }
    c->alg = c->hdr_alg;
    c->token_ok = 1;
    ajwt__clear_err(&c->err, c->errstr);
    return AJWT_OK;
}

int ajwt_verify_raw(ajwt_vctx *c, ajwt_alg alg, const char *kid, const unsigned char *input,
                    size_t input_len, const unsigned char *sig, size_t sig_len)
{
    int rc, idx, code = AJWT_OK;
    if (c == NULL)
        return AJWT_ERR_ARG;
    rc = ajwt__vctx_begin(c, c->v && c->v->ks && (input || !input_len) && (sig || !sig_len),
                          "no verifier, keyset, input or signature");
    if (rc != AJWT_OK)
        return rc;
    if (ajwt__alg_info(alg) == NULL)
        return ajwt__vfail(c, AJWT_ERR_ALG_UNKNOWN, "not a supported algorithm");
    if ((rc = check_allowed(c, alg)) != AJWT_OK)
        return rc;
    idx = ajwt__keyset_pick(c->v->ks, alg, kid, 0, &code, c->errstr, sizeof c->errstr);
    if (idx < 0)
        return c->err = code;
    rc = check_sig(c, idx, alg, input, input_len, sig, sig_len);
    if (rc == AJWT_OK)
        c->alg = alg;
    return rc;
}

int ajwt_vctx_err(const ajwt_vctx *c)
{
    return c ? c->err : AJWT_ERR_ARG;
}

const char *ajwt_vctx_errstr(const ajwt_vctx *c)
{
    return c ? c->errstr : "no verification context";
}

const char *ajwt_vctx_payload(const ajwt_vctx *c, size_t *len)
{
    if (c == NULL || !c->token_ok)
        return NULL;
    if (len != NULL)
        *len = c->payload_len;
    return (const char *)c->buf;
}

ajwt_alg ajwt_vctx_alg(const ajwt_vctx *c)
{
    return c && c->err == AJWT_OK ? c->alg : AJWT_ALG_INVALID;
}

const char *ajwt_vctx_kid(const ajwt_vctx *c)
{
    return c != NULL && c->token_ok ? c->hdr_kid : NULL;
}

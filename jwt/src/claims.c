/* claims.c — the JWT claim rules (RFC 7519 section 4.1) on a parsed payload: required claims, types
 * of the registered claims, exp / nbf / iat against the clock with leeway, iss, aud; and the claim
 * accessors. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ajwt_int.h"

enum { R_EXP, R_NBF, R_IAT, R_ISS, R_AUD, R_SUB, R_JTI, R_COUNT };
static const char reg_names[R_COUNT][4] = {"exp", "nbf", "iat", "iss", "aud", "sub", "jti"};

/* A three-letter name as one number, to compare names without memcmp calls. */
static uint32_t name3(const char *p)
{
    return (uint32_t)(unsigned char)p[0] | (uint32_t)(unsigned char)p[1] << 8 | (uint32_t)(unsigned char)p[2] << 16;
}

/* Value token indexes of the registered claims (-1 when absent), in one pass over the members. */
static void find_registered(const ajwt_json *j, int *reg)
{
    const ajwt_jtok *t = j->tok;
    uint32_t k;
    int r;
    for (r = 0; r < R_COUNT; r++)
        reg[r] = -1;
    for (k = 1; k < t[0].next; k = t[k + 1].next) {
        uint32_t n;
        if (t[k].len != 3)
            continue;
        n = name3(t[k].p);
        for (r = 0; r < R_COUNT; r++)
            if (n == name3(reg_names[r]))
                reg[r] = (int)k + 1;
    }
}

static const char *type_name(const ajwt_jtok *t)
{
    switch (t->type) {
    case AJWT_J_OBJ: return "an object";
    case AJWT_J_ARR: return "an array";
    case AJWT_J_STR: return "a string";
    case AJWT_J_NUM: return "a number";
    case AJWT_J_NULL: return "null";
    default: return "a boolean";
    }
}

static int time_claim(ajwt_vctx *c, int t, const char *name, int64_t *out)
{
    const ajwt_jtok *tok = &c->pj.tok[t];
    char q[64];
    if (tok->type == AJWT_J_NUM && ajwt__json_int(tok, out) == 0 && *out >= 0)
        return AJWT_OK;
    return ajwt__vfail(c, AJWT_ERR_CLAIM_TYPE, "claim %s must be a whole number of seconds from 0 to 2^53, got %s",
                       name, tok->type == AJWT_J_NUM ? ajwt__quote(q, sizeof q, tok->p, tok->len) : type_name(tok));
}

/* "<what> <t>, now <now>, leeway <n> s" as the failure of code. */
static int time_fail(ajwt_vctx *c, int code, const char *what, int64_t t, int64_t now)
{
    char a[32], b[32];
    return ajwt__vfail(c, code, "%s %s, now %s, leeway %lld s", what, ajwt__fmt_utc(t, a, sizeof a),
                       ajwt__fmt_utc(now, b, sizeof b), (long long)c->v->leeway);
}

static int check_times(ajwt_vctx *c, const int *reg, int64_t now)
{
    int64_t exp, nbf, iat, lw = c->v->leeway;
    int rc;
    if (reg[R_EXP] >= 0) {
        if ((rc = time_claim(c, reg[R_EXP], "exp", &exp)) != AJWT_OK)
            return rc;
        if (now >= exp + lw)
            return time_fail(c, AJWT_ERR_EXPIRED, "token expired at", exp, now);
    }
    if (reg[R_NBF] >= 0) {
        if ((rc = time_claim(c, reg[R_NBF], "nbf", &nbf)) != AJWT_OK)
            return rc;
        if (now < nbf - lw)
            return time_fail(c, AJWT_ERR_NOT_YET_VALID, "token not valid before", nbf, now);
    }
    if (reg[R_IAT] >= 0) {
        if ((rc = time_claim(c, reg[R_IAT], "iat", &iat)) != AJWT_OK)
            return rc;
        if (iat - lw > now)
            return time_fail(c, AJWT_ERR_IAT_FUTURE, "token issued in the future at", iat, now);
    }
    return AJWT_OK;
}

/* iss, sub, jti: strings; aud: a string or an array of strings. */
static int check_types(ajwt_vctx *c, const int *reg)
{
    static const int strs[3] = {R_ISS, R_SUB, R_JTI};
    const ajwt_jtok *t = c->pj.tok;
    uint32_t e;
    int i;
    for (i = 0; i < 3; i++)
        if (reg[strs[i]] >= 0 && t[reg[strs[i]]].type != AJWT_J_STR)
            return ajwt__vfail(c, AJWT_ERR_CLAIM_TYPE, "claim %s must be a string, got %s", reg_names[strs[i]],
                               type_name(&t[reg[strs[i]]]));
    if (reg[R_AUD] < 0 || t[reg[R_AUD]].type == AJWT_J_STR)
        return AJWT_OK;
    if (t[reg[R_AUD]].type != AJWT_J_ARR)
        return ajwt__vfail(c, AJWT_ERR_CLAIM_TYPE, "claim aud must be a string or an array of strings, got %s",
                           type_name(&t[reg[R_AUD]]));
    for (e = (uint32_t)reg[R_AUD] + 1; e < t[reg[R_AUD]].next; e = t[e].next)
        if (t[e].type != AJWT_J_STR)
            return ajwt__vfail(c, AJWT_ERR_CLAIM_TYPE, "claim aud must hold only strings, got %s", type_name(&t[e]));
    return AJWT_OK;
}

static int check_iss(ajwt_vctx *c, int t)
{
    const char *want = c->v->iss;
    char a[64], b[64];
    if (want == NULL || (t >= 0 && strcmp(c->pj.tok[t].p, want) == 0))
        return AJWT_OK;
    ajwt__quote(b, sizeof b, want, strlen(want));
    if (t < 0)
        return ajwt__vfail(c, AJWT_ERR_ISS, "token has no iss claim; expected issuer '%s'", b);
    return ajwt__vfail(c, AJWT_ERR_ISS, "issuer '%s' is not the expected '%s'",
                       ajwt__quote(a, sizeof a, c->pj.tok[t].p, c->pj.tok[t].len), b);
}

static int check_aud(ajwt_vctx *c, int t)
{
    const ajwt_jtok *tok = c->pj.tok;
    const char *want = c->v->aud;
    char a[64], b[64];
    uint32_t e;
    if (want == NULL || (t >= 0 && tok[t].type == AJWT_J_STR && strcmp(tok[t].p, want) == 0))
        return AJWT_OK;
    for (e = (uint32_t)t + 1; t >= 0 && tok[t].type == AJWT_J_ARR && e < tok[t].next; e = tok[e].next)
        if (strcmp(tok[e].p, want) == 0)
            return AJWT_OK;
    ajwt__quote(b, sizeof b, want, strlen(want));
    if (t < 0)
        return ajwt__vfail(c, AJWT_ERR_AUD, "token has no aud claim; expected audience '%s'", b);
    if (tok[t].type == AJWT_J_STR)
        return ajwt__vfail(c, AJWT_ERR_AUD, "audience '%s' is not the expected '%s'",
                           ajwt__quote(a, sizeof a, tok[t].p, tok[t].len), b);
    return ajwt__vfail(c, AJWT_ERR_AUD, "audience list of %u entries does not include '%s'", tok[t].len, b);
}

int ajwt__claims_check(ajwt_vctx *c)
{
    const ajwt_verifier *v = c->v;
    int reg[R_COUNT], rc;
    size_t i;
    int64_t now;
    find_registered(&c->pj, reg);
    for (i = 0; i < v->nrequired; i++)
        if (ajwt__json_member(&c->pj, 0, v->required[i]) < 0) {
            char q[64];
            return ajwt__vfail(c, AJWT_ERR_CLAIM_MISSING, "required claim '%s' is missing",
                               ajwt__quote(q, sizeof q, v->required[i], strlen(v->required[i])));
        }
    if ((rc = check_types(c, reg)) != AJWT_OK)
        return rc;
    now = v->now ? v->now(v->now_arg) : (int64_t)time(NULL);
    if ((rc = check_times(c, reg, now)) != AJWT_OK || (rc = check_iss(c, reg[R_ISS])) != AJWT_OK)
        return rc;
    return check_aud(c, reg[R_AUD]);
}

int ajwt__payload_parse(ajwt_vctx *c, const char *payload, size_t len)
{
    int rc = ajwt__json_parse(&c->pj, payload, len, c->v->max_depth);
    if (rc != 0)
        return ajwt__vfail(c, rc == -2 ? AJWT_ERR_NOMEM : AJWT_ERR_PAYLOAD, "payload: %s", c->pj.why);
    if (c->pj.tok[0].type != AJWT_J_OBJ)
        return ajwt__vfail(c, AJWT_ERR_PAYLOAD, "payload is not a JSON object");
    return AJWT_OK;
}

int ajwt_verify_claims(ajwt_vctx *c, const char *payload, size_t len)
{
    int rc;
    if (c == NULL)
        return AJWT_ERR_ARG;
    if ((rc = ajwt__vctx_begin(c, c->v && payload, "no verifier or no payload")) != AJWT_OK ||
        (rc = ajwt__payload_parse(c, payload, len)) != AJWT_OK || (rc = ajwt__claims_check(c)) != AJWT_OK)
        return rc;
    c->have_claims = 1;
    ajwt__clear_err(&c->err, c->errstr);
    return AJWT_OK;
}

const char *ajwt_vctx_claim_str(const ajwt_vctx *c, const char *name)
{
    int t;
    if (c == NULL || !c->have_claims || name == NULL)
        return NULL;
    t = ajwt__json_member(&c->pj, 0, name);
    return t >= 0 && c->pj.tok[t].type == AJWT_J_STR ? c->pj.tok[t].p : NULL;
}

int ajwt_vctx_claim_int(const ajwt_vctx *c, const char *name, int64_t *out)
{
    int t;
    if (c == NULL || !c->have_claims || name == NULL || out == NULL)
        return 0;
    t = ajwt__json_member(&c->pj, 0, name);
    return t >= 0 && ajwt__json_int(&c->pj.tok[t], out) == 0;
}

/* verifier.c — the verification policy: allowed algorithms, issuer, audience, leeway, required
 * claims, limits and clock. Configured once, then read-only and shared between threads. */
#include <stdlib.h>
#include <string.h>

#include "ajwt_int.h"

#define AJWT_MAX_LEEWAY (366 * 86400)
#define AJWT_MIN_TOKEN_CAP 16
#define AJWT_MAX_TOKEN_CAP (1u << 26)

ajwt_verifier *ajwt_verifier_new(const ajwt_keyset *ks)
{
    ajwt_verifier *v = calloc(1, sizeof *v);
    if (v == NULL)
        return NULL;
    v->ks = ks;
    v->max_token = AJWT_DEFAULT_MAX_TOKEN;
    v->max_depth = AJWT_DEFAULT_MAX_DEPTH;
    if (ks == NULL)
        ajwt__set_err(&v->err, v->errstr, AJWT_ERR_ARG, "no keyset");
    return v;
}

void ajwt_verifier_free(ajwt_verifier *v)
{
    size_t i;
    if (v == NULL)
        return;
    free(v->iss);
    free(v->aud);
    for (i = 0; i < v->nrequired; i++)
        free(v->required[i]);
    free(v->required);
    free(v);
}

int ajwt_verifier_err(const ajwt_verifier *v)
{
    return v ? v->err : AJWT_ERR_ARG;
}

const char *ajwt_verifier_errstr(const ajwt_verifier *v)
{
    return v ? v->errstr : "no verifier";
}

static int ok(ajwt_verifier *v)
{
    v->gen++;
    ajwt__clear_err(&v->err, v->errstr);
    return AJWT_OK;
}

static int arg_fail(ajwt_verifier *v, const char *why)
{
    return ajwt__set_err(&v->err, v->errstr, AJWT_ERR_ARG, "%s", why);
}

int ajwt_verifier_set_algs(ajwt_verifier *v, const ajwt_alg *algs, int n)
{
    uint32_t bits = 0;
    int i;
    if (v == NULL)
        return AJWT_ERR_ARG;
    if (algs == NULL || n <= 0)
        return arg_fail(v, "the algorithm allow-list is empty");
    for (i = 0; i < n; i++) {
        if (ajwt__alg_info(algs[i]) == NULL)
            return arg_fail(v, "the algorithm allow-list holds an invalid algorithm");
        bits |= AJWT_ALG_BIT(algs[i]);
    }
    v->algs = bits;
    return ok(v);
}

/* Replaces *slot with a copy of s (NULL clears). */
static int set_string(ajwt_verifier *v, char **slot, const char *s)
{
    char *copy = NULL;
    if (s != NULL && v->opaque)
        return arg_fail(v, "claim checks cannot be set on an opaque-payload verifier");
    if (s != NULL && (copy = strdup(s)) == NULL)
        return ajwt__set_err(&v->err, v->errstr, AJWT_ERR_NOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return ok(v);
}

int ajwt_verifier_set_issuer(ajwt_verifier *v, const char *iss)
{
    return v ? set_string(v, &v->iss, iss) : AJWT_ERR_ARG;
}

int ajwt_verifier_set_audience(ajwt_verifier *v, const char *aud)
{
    return v ? set_string(v, &v->aud, aud) : AJWT_ERR_ARG;
}

int ajwt_verifier_set_leeway(ajwt_verifier *v, int64_t seconds)
{
    if (v == NULL)
        return AJWT_ERR_ARG;
    if (seconds < 0 || seconds > AJWT_MAX_LEEWAY)
        return arg_fail(v, "leeway must be from 0 to 366 days");
    v->leeway = seconds;
    return ok(v);
}

int ajwt_verifier_require(ajwt_verifier *v, const char *claim)
{
    char **nr, *copy;
    if (v == NULL)
        return AJWT_ERR_ARG;
    if (claim == NULL || *claim == '\0')
        return arg_fail(v, "a required claim needs a name");
    if (v->opaque)
        return arg_fail(v, "claim checks cannot be set on an opaque-payload verifier");
    nr = realloc(v->required, (v->nrequired + 1) * sizeof *nr);
    if (nr == NULL)
        return ajwt__set_err(&v->err, v->errstr, AJWT_ERR_NOMEM, "out of memory");
    v->required = nr;
    if ((copy = strdup(claim)) == NULL)
        return ajwt__set_err(&v->err, v->errstr, AJWT_ERR_NOMEM, "out of memory");
    v->required[v->nrequired++] = copy;
    return ok(v);
}

int ajwt_verifier_set_limits(ajwt_verifier *v, size_t max_token_bytes, int max_json_depth)
{
    if (v == NULL)
        return AJWT_ERR_ARG;
    if (max_token_bytes < AJWT_MIN_TOKEN_CAP || max_token_bytes > AJWT_MAX_TOKEN_CAP)
        return arg_fail(v, "max token bytes must be from 16 to 64 MiB");
    if (max_json_depth < 1 || max_json_depth > AJWT_MAX_DEPTH_LIMIT)
        return arg_fail(v, "max JSON depth must be from 1 to 256");
    v->max_token = max_token_bytes;
    v->max_depth = max_json_depth;
    return ok(v);
}

int ajwt_verifier_set_clock(ajwt_verifier *v, int64_t (*now)(void *arg), void *arg)
{
    if (v == NULL)
        return AJWT_ERR_ARG;
    v->now = now;
    v->now_arg = now ? arg : NULL;
    return ok(v);
}

int ajwt_verifier_set_opaque_payload(ajwt_verifier *v, int on)
{
    if (v == NULL)
        return AJWT_ERR_ARG;
    if (on && (v->iss != NULL || v->aud != NULL || v->nrequired != 0))
        return arg_fail(v, "an opaque-payload verifier cannot check issuer, audience or required claims");
    v->opaque = on != 0;
    return ok(v);
}

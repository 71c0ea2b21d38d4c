/* load_workload.c — the simulated users (names, credentials, prebuilt requests), the key
 * distribution (uniform or zipf) and the operation mix. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_int.h"

const char *const abl_op_names[ABL_OP_COUNT] = {"request", "login", "logout", "refresh"};

int abl_keys_init(abl_keys *k, size_t n, double theta)
{
    double sum = 0, acc = 0;
    size_t i;
    k->n = n;
    k->cdf = NULL;
    if (theta <= 0 || n == 0)
        return 0;
    if ((k->cdf = malloc(n * sizeof *k->cdf)) == NULL)
        return -1;
    for (i = 0; i < n; i++)
        sum += 1.0 / pow((double)(i + 1), theta);
    for (i = 0; i < n; i++) {
        acc += 1.0 / pow((double)(i + 1), theta) / sum;
        k->cdf[i] = acc;
    }
    k->cdf[n - 1] = 1.0;
    return 0;
}

size_t abl_keys_sample(const abl_keys *k, ab_rng *rng)
{
    double u;
    size_t lo = 0, hi;
    if (k->cdf == NULL)
        return (size_t)ab_rng_below(rng, k->n);
    u = ab_rng_double(rng);
    hi = k->n - 1;
    while (lo < hi) { /* the first rank whose cumulative probability exceeds u */
        size_t mid = lo + (hi - lo) / 2;
        if (k->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void abl_keys_free(abl_keys *k)
{
    free(k->cdf);
    k->cdf = NULL;
}

abl_op abl_mix_sample(const ab_load_config *cfg, ab_rng *rng)
{
    double total = cfg->mix_login + cfg->mix_request + cfg->mix_logout;
    double u = ab_rng_double(rng) * total;
    if (cfg->mix_login == 0 && cfg->mix_logout == 0)
        return ABL_OP_REQUEST;
    if (u < cfg->mix_request)
        return ABL_OP_REQUEST;
    return u < cfg->mix_request + cfg->mix_login ? ABL_OP_LOGIN : ABL_OP_LOGOUT;
}

void abl_shard_users(const ab_load_config *cfg, size_t *first, size_t *n)
{
    size_t i = cfg->shard_index ? cfg->shard_index : 1, k = cfg->shard_count ? cfg->shard_count : 1;
    *first = (size_t)cfg->users * (i - 1) / k;
    *n = (size_t)cfg->users * i / k - *first;
}

double abl_shard_rate(const ab_load_config *cfg)
{
    return cfg->rate / (cfg->shard_count ? cfg->shard_count : 1);
}

/* The Host header value every request carries (the first target, as given). */
static const char *host_of(const ab_load_config *cfg)
{
    return cfg->targets[0].name;
}

/* snprintf into a new exact-size buffer; NULL when out of memory. */
static char *build(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *build(size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *buf;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len = (size_t)n;
    return buf;
}

int abl_users_init(abl_user *u, size_t first, size_t n, const ab_load_config *cfg)
{
    size_t i;
    for (i = 0; i < n; i++) {
        abl_user *x = &u[i];
        memset(x, 0, sizeof *x);
        snprintf(x->name, sizeof x->name, "user%zu", first + i);
        x->sticky = abl_lb_sticky(x->name, cfg->ntargets);
        x->login = build(&x->login_len, "POST /login?user=%s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n",
                         x->name, host_of(cfg));
        if (x->login == NULL)
            return -1;
    }
    return 0;
}

/* 1 when a credential can go into a header as is (no spaces, controls, quotes or separators). */
static int credential_ok(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == ';' || *s == '"' || *s == ',')
            return 0;
    return 1;
}

/* Builds the request and logout buffers for credential cred sent as the given header line. */
static int build_authed(abl_user *u, const char *header, const char *cred, const ab_load_config *cfg)
{
    char *req, *logout;
    size_t req_len, logout_len;
    req = build(&req_len, "GET %s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n\r\n", cfg->path, host_of(cfg), header, cred);
    logout = build(&logout_len, "POST /logout HTTP/1.1\r\nHost: %s\r\n%s%s\r\nContent-Length: 0\r\n\r\n",
                   host_of(cfg), header, cred);
    if (req == NULL || logout == NULL) {
        free(req);
        free(logout);
        return -1;
    }
    abl_user_clear_credential(u);
    u->req = req;
    u->req_len = req_len;
    u->logout = logout;
    u->logout_len = logout_len;
    u->cred_len = strlen(cred);
    return 0;
}

/* A login answer's refresh token (jwt+refresh) into the user's prebuilt POST /refresh; an answer
 * without one (a refresh's) keeps the one there. 0 or -1. */
static int set_refresh(abl_user *u, const cJSON *refresh, const ab_load_config *cfg)
{
    char *req;
    size_t len;
    if (!cJSON_IsString(refresh))
        return 0;
    if (!credential_ok(refresh->valuestring) ||
        (req = build(&len, "POST /refresh HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 0\r\n\r\n",
                     host_of(cfg), refresh->valuestring)) == NULL)
        return -1;
    free(u->refresh);
    u->refresh = req;
    u->refresh_len = len;
    return 0;
}

int abl_user_set_credential(abl_user *u, const char *body, size_t len, const ab_load_config *cfg)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    const cJSON *cred = cJSON_GetObjectItemCaseSensitive(j, "credential");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
    int rc = -1;
    if (!cJSON_IsString(cred) || !cJSON_IsString(kind) || !credential_ok(cred->valuestring))
        goto done;
    if (strcmp(kind->valuestring, "cookie") == 0)
        rc = build_authed(u, "Cookie: sid=", cred->valuestring, cfg);
    else if (strcmp(kind->valuestring, "bearer") == 0)
        rc = build_authed(u, "Authorization: Bearer ", cred->valuestring, cfg);
    if (rc == 0)
        rc = set_refresh(u, cJSON_GetObjectItemCaseSensitive(j, "refresh"), cfg);
    u->stale = 0;
done:
    cJSON_Delete(j);
    return rc;
}

void abl_user_clear_credential(abl_user *u)
{
    free(u->req);
    free(u->logout);
    u->req = u->logout = NULL;
    u->req_len = u->logout_len = u->cred_len = 0;
}

void abl_users_free(abl_user *u, size_t n)
{
    size_t i;
    for (i = 0; u != NULL && i < n; i++) {
        abl_user_clear_credential(&u[i]);
        free(u[i].login);
        free(u[i].refresh);
    }
    free(u);
}

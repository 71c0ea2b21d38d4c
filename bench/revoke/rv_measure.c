/* rv_measure.c — the revocation latency samples: log in, check every server, log out, probe every
 * server until each refuses (or the token's own lifetime is the answer), and the distribution. */
#include <ajwt.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_hist.h"
#include "ab_json.h"
#include "ab_revoke.h"
#include "rv_int.h"

#define RV_CRED_MAX 12288          /* a credential (JWTs with large claims included) */
#define RV_HIST_MAX 1000000000000ull /* µs (11.6 days): past any token lifetime authbench issues */

/* One call's state: the servers, the credential of the sample, the histograms. */
typedef struct rv_run {
    const ab_revoke_opts *o;
    rv_conn conns[AB_REVOKE_MAX_TARGETS];
    size_t nconns;
    char cred[RV_CRED_MAX];
    char refresh[128];             /* the login's refresh token (jwt+refresh), "" without one */
    ab_hist *refreshes;            /* µs, POST /refresh round trips */
    int cookie;                    /* the credential travels as Cookie: sid= (else Bearer) */
    ab_hist *latency;              /* µs, one value per sample */
    ab_hist *request;              /* µs, accepted probes' round trips */
    int64_t lifetime_s;            /* the last token's exp − iat, -1 without one */
    ab_revoke_result *out;
    char *err;
    size_t errlen;
} rv_run;

void ab_revoke_opts_init(ab_revoke_opts *o)
{
    memset(o, 0, sizeof *o);
    o->samples = 20;
    o->probe_interval_us = 1000;
    o->max_wait_us = 5000000;
    o->user_prefix = "revoke";
}

/* Wall clock in Unix microseconds (a token's exp is wall-clock time). */
static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Fails the run with a formatted reason. Returns -1. */
static int run_fail(rv_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run_fail(rv_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Sends a request with the credential: GET /api/x (logout 0) or POST /logout (logout 1). */
static int send_with_cred(rv_run *r, rv_conn *c, int logout)
{
    return rv_send(c, r->err, r->errlen, "%s HTTP/1.1\r\nHost: %s\r\n%s%s\r\nContent-Length: 0\r\n\r\n",
                   logout ? "POST /logout" : "GET /api/x", c->name,
                   r->cookie ? "Cookie: sid=" : "Authorization: Bearer ", r->cred);
}

/* One request with the credential and its answer. The HTTP status, or -1 (err set). */
static int ask_with_cred(rv_run *r, rv_conn *c, int logout)
{
    if (send_with_cred(r, c, logout) != 0 || rv_recv(c, r->err, r->errlen) != 0)
        return -1;
    return c->status;
}

/* The answer body of c as JSON (the caller deletes it), or NULL with the run failed. */
static cJSON *body_json(rv_run *r, rv_conn *c, const char *what)
{
    cJSON *j = cJSON_ParseWithLength(c->body.data != NULL ? c->body.data : "", c->body.len);
    if (j == NULL || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        run_fail(r, "%s: %s answered HTTP %d without a JSON object", c->name, what, c->status);
        return NULL;
    }
    return j;
}

/* POST /login on the first server: the credential and how it travels. 0 or -1. */
static int login(rv_run *r, unsigned sample)
{
    rv_conn *c = &r->conns[0];
    const char *cred, *kind;
    cJSON *j;
    int rc = -1;
    if (rv_send(c, r->err, r->errlen, "POST /login?user=%s-%ld-%u HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\n\r\n",
                r->o->user_prefix, (long)getpid(), sample, c->name) != 0 ||
        rv_recv(c, r->err, r->errlen) != 0 || (j = body_json(r, c, "POST /login")) == NULL)
        return -1;
    cred = ab_json_str(j, "credential");
    kind = ab_json_str(j, "kind");
    snprintf(r->refresh, sizeof r->refresh, "%s", ab_json_str(j, "refresh") != NULL ? ab_json_str(j, "refresh") : "");
    if (c->status != 200 || cred == NULL || kind == NULL)
        run_fail(r, "%s: POST /login answered HTTP %d (%s)", c->name, c->status,
                 ab_json_str(j, "error") != NULL ? ab_json_str(j, "error") : "no credential");
    else if (strlen(cred) >= sizeof r->cred)
        run_fail(r, "%s: a credential of %zu bytes (at most %zu kept)", c->name, strlen(cred), sizeof r->cred - 1);
    else {
        snprintf(r->cred, sizeof r->cred, "%s", cred);
        r->cookie = strcmp(kind, "cookie") == 0;
        rc = 0;
    }
    cJSON_Delete(j);
    return rc;
}

/* Every server accepts the fresh credential (a server that refuses it cannot measure a revocation:
 * memory:// sessions live in one server only). Their round trips are one request's latency. */
static int check_accepted(rv_run *r)
{
    size_t i;
    for (i = 0; i < r->nconns; i++) {
        uint64_t t = ab_now_us();
        int st = ask_with_cred(r, &r->conns[i], 0);
        if (st < 0)
            return -1;
        if (st != 200)
            return run_fail(r, "%s refused a fresh credential (HTTP %d %.*s): the servers must share "
                            "their store (memory:// sessions live in one server)", r->conns[i].name, st,
                            (int)(r->conns[i].body.len < 80 ? r->conns[i].body.len : 80),
                            r->conns[i].body.data != NULL ? r->conns[i].body.data : "");
        ab_hist_record(r->request, ab_now_us() - t);
    }
    return 0;
}

/* jwt+refresh: one POST /refresh with the login's refresh token on the first server, timed; its
 * new access token replaces the credential (logout works with either). 0 or -1. */
static int refresh_once(rv_run *r)
{
    rv_conn *c = &r->conns[0];
    const char *cred;
    uint64_t t = ab_now_us();
    cJSON *j;
    if (r->refresh[0] == '\0')
        return 0;
    if (rv_send(c, r->err, r->errlen, "POST /refresh HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                "Content-Length: 0\r\n\r\n", c->name, r->refresh) != 0 ||
        rv_recv(c, r->err, r->errlen) != 0 || (j = body_json(r, c, "POST /refresh")) == NULL)
        return -1;
    t = ab_now_us() - t;
    if (r->o->refresh_values != NULL)
        r->o->refresh_values[ab_hist_count(r->refreshes)] = t;
    ab_hist_record(r->refreshes, t);
    cred = ab_json_str(j, "credential");
    if (c->status == 200 && cred != NULL && strlen(cred) < sizeof r->cred)
        snprintf(r->cred, sizeof r->cred, "%s", cred);
    cJSON_Delete(j);
    return c->status == 200 && cred != NULL ? 0 : run_fail(r, "%s: POST /refresh answered HTTP %d", c->name, c->status);
}

/* A JWT credential's exp and iat (from its payload, not verified: the servers verify). 1 found. */
static int token_times(const char *cred, int64_t *exp, int64_t *iat)
{
    const char *a = strchr(cred, '.'), *b = a != NULL ? strchr(a + 1, '.') : NULL;
    unsigned char payload[RV_CRED_MAX];
    size_t n = 0;
    cJSON *j;
    double e = 0, i = 0;
    int ok;
    if (b == NULL || ajwt_b64url_decode(a + 1, (size_t)(b - a - 1), payload, sizeof payload, &n) != AJWT_OK)
        return 0;
    j = cJSON_ParseWithLength((const char *)payload, n);
    ok = ab_json_num(j, "exp", &e) && ab_json_num(j, "iat", &i);
    cJSON_Delete(j);
    *exp = (int64_t)e;
    *iat = (int64_t)i;
    return ok;
}

/* POST /logout on the first server. *revoked: what it answered ({"revoked":true|false}). 0 or -1. */
static int logout(rv_run *r, int *revoked)
{
    rv_conn *c = &r->conns[0];
    cJSON *j;
    if (ask_with_cred(r, c, 1) < 0 || (j = body_json(r, c, "POST /logout")) == NULL)
        return -1;
    *revoked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "revoked"));
    cJSON_Delete(j);
    if (c->status != 200)
        return run_fail(r, "%s: POST /logout answered HTTP %d", c->name, c->status);
    return 0;
}

/* One probe round: a request to every server not yet refusing (all sent, then all read: the
 * servers are probed in parallel). A refusal records its send time (µs after t0) in lat[i]. */
static int probe_round(rv_run *r, uint64_t t0, int64_t *lat, size_t *left)
{
    uint64_t sent = ab_now_us();
    size_t i;
    for (i = 0; i < r->nconns; i++)
        if (lat[i] < 0 && send_with_cred(r, &r->conns[i], 0) != 0)
            return -1;
    for (i = 0; i < r->nconns; i++) {
        rv_conn *c = &r->conns[i];
        if (lat[i] >= 0)
            continue;
        if (rv_recv(c, r->err, r->errlen) != 0)
            return -1;
        r->out->probes++;
        if (c->status == 401) {
            lat[i] = (int64_t)(sent - t0);
            r->out->revoked_probes++;
            (*left)--;
        } else if (c->status == 200) {
            ab_hist_record(r->request, ab_now_us() - sent);
        } else if (c->status != 503) {
            return run_fail(r, "%s answered HTTP %d to a probe", c->name, c->status);
        }
    }
    return 0;
}

/* Sleeps until the next round is due (at most one round per interval). */
static void pace(const rv_run *r, uint64_t round_start)
{
    uint64_t due = round_start + r->o->probe_interval_us, now = ab_now_us();
    if (now < due)
        usleep((useconds_t)(due - now));
}

/* The sample's value when the credential outlived max-wait (or was not withdrawn): the token's
 * remaining lifetime at t0, or the failure. */
static int lifetime_value(rv_run *r, int64_t t0_wall_us, size_t left, uint64_t *value)
{
    int64_t exp, iat;
    if (!token_times(r->cred, &exp, &iat))
        return run_fail(r, "%zu of %zu servers still accepted the credential %.1f s after logout: not "
                        "revoked within max-wait", left, r->nconns, (double)r->o->max_wait_us / 1e6);
    *value = exp * 1000000 > t0_wall_us ? (uint64_t)(exp * 1000000 - t0_wall_us) : 0;
    r->out->token_lifetime_samples++;
    return 0;
}

/* One sample: its value (µs) into the latency histogram. 0 or -1. */
static int sample(rv_run *r, unsigned n)
{
    int64_t lat[AB_REVOKE_MAX_TARGETS], worst = 0, t0_wall, exp, iat;
    size_t i, left = r->nconns;
    uint64_t t0, value = 0;
    int revoked = 0;
    if (login(r, n) != 0 || check_accepted(r) != 0 || refresh_once(r) != 0 || logout(r, &revoked) != 0)
        return -1;
    if (token_times(r->cred, &exp, &iat)) /* a JWT: its whole lifetime is the stateless bound */
        r->lifetime_s = exp - iat;
    t0 = ab_now_us();
    t0_wall = wall_us();
    for (i = 0; i < r->nconns; i++)
        lat[i] = -1;
    do {
        uint64_t round = ab_now_us();
        if (probe_round(r, t0, lat, &left) != 0)
            return -1;
        if (left > 0 && revoked)
            pace(r, round);
    } while (left > 0 && revoked && ab_now_us() - t0 < r->o->max_wait_us);
    if (left > 0 && lifetime_value(r, t0_wall, left, &value) != 0)
        return -1;
    for (i = 0; left == 0 && i < r->nconns; i++)
        worst = lat[i] > worst ? lat[i] : worst;
    value = left > 0 ? value : (uint64_t)worst;
    ab_hist_record(r->latency, value);
    if (r->o->values != NULL)
        r->o->values[n] = value;
    return 0;
}

/* The first server's family and mechanism, from GET /stats. 0 or -1. */
static int read_family(rv_run *r)
{
    rv_conn *c = &r->conns[0];
    const char *fam, *mech;
    double sync = 0;
    cJSON *j;
    if (rv_send(c, r->err, r->errlen, "GET /stats HTTP/1.1\r\nHost: %s\r\n\r\n", c->name) != 0 ||
        rv_recv(c, r->err, r->errlen) != 0 || (j = body_json(r, c, "GET /stats")) == NULL)
        return -1;
    fam = ab_json_str(j, "family");
    mech = ab_json_str(j, "mechanism");
    snprintf(r->out->family, sizeof r->out->family, "%s", fam != NULL ? fam : "unknown");
    snprintf(r->out->mechanism, sizeof r->out->mechanism, "%s", mech != NULL ? mech : "unknown");
    r->out->sync_ms = ab_json_num(j, "push_sync_ms", &sync) && sync > 0 ? (uint64_t)sync : 0;
    cJSON_Delete(j);
    return c->status == 200 ? 0 : run_fail(r, "%s: GET /stats answered HTTP %d", c->name, c->status);
}

/* The l1=TTL option of a session spec in µs, or -1 when it has none. */
static int64_t l1_ttl_us(const char *spec)
{
    const char *p = strstr(spec, "l1=");
    char v[32];
    size_t n;
    uint64_t us;
    if (p == NULL || (p > spec && p[-1] != '?' && p[-1] != '&'))
        return -1;
    p += 3;
    n = strcspn(p, "&");
    if (n >= sizeof v)
        return -1;
    memcpy(v, p, n);
    v[n] = '\0';
    return ab_parse_duration_us(v, &us) == 0 ? (int64_t)us : -1;
}

/* The stated bound of the family (ab_revoke.h), -1 when none is stated. A probed bound includes
 * the measurement's resolution, one probe interval. */
static int64_t stated_bound(const rv_run *r)
{
    const ab_revoke_result *o = r->out;
    int64_t request = (int64_t)(o->request_p99_us + r->o->probe_interval_us), l1 = l1_ttl_us(o->mechanism);
    if (strcmp(o->family, "session") == 0)
        return l1 >= 0 ? l1 + request : request;
    if (strcmp(o->family, "jwt+denylist") == 0)
        return request;
    if (strcmp(o->family, "jwt+pushed-denylist") == 0)
        return (int64_t)o->sync_ms * 1000 + request + AB_REVOKE_PUSH_ALLOWANCE_US;
    if ((strcmp(o->family, "jwt") == 0 || strcmp(o->family, "jwt+refresh") == 0) && r->lifetime_s > 0)
        return r->lifetime_s * 1000000;
    return -1;
}

/* The histograms into the result. */
static void summarise(rv_run *r)
{
    ab_revoke_result *o = r->out;
    o->n = (unsigned)ab_hist_count(r->latency);
    o->p50_us = ab_hist_percentile(r->latency, 50);
    o->p99_us = ab_hist_percentile(r->latency, 99);
    o->max_us = ab_hist_max(r->latency);
    o->request_p50_us = ab_hist_percentile(r->request, 50);
    o->request_p99_us = ab_hist_percentile(r->request, 99);
    o->refresh_n = (unsigned)ab_hist_count(r->refreshes);
    o->refresh_p50_us = ab_hist_percentile(r->refreshes, 50);
    o->refresh_p99_us = ab_hist_percentile(r->refreshes, 99);
    o->refresh_max_us = ab_hist_max(r->refreshes);
    snprintf(o->method, sizeof o->method, "%s", o->token_lifetime_samples > 0 ? "token_lifetime" : "probed");
    o->bound_us = stated_bound(r);
}

/* Opens a connection per target. 0 or -1. */
static int open_conns(rv_run *r)
{
    for (r->nconns = 0; r->nconns < r->o->ntargets; r->nconns++)
        if (rv_conn_init(&r->conns[r->nconns], r->o->targets[r->nconns], r->err, r->errlen) != 0) {
            r->nconns++;
            return -1;
        }
    return 0;
}

int ab_revoke_measure(const ab_revoke_opts *o, ab_revoke_result *out, char *err, size_t errlen)
{
    rv_run r;
    unsigned i;
    int rc = -1;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    r.o = o;
    r.out = out;
    r.err = err;
    r.errlen = errlen;
    r.lifetime_s = -1;
    r.latency = ab_hist_new(RV_HIST_MAX, 3);
    r.request = ab_hist_new(RV_HIST_MAX, 3);
    r.refreshes = ab_hist_new(RV_HIST_MAX, 3);
    if (o->ntargets == 0 || o->ntargets > AB_REVOKE_MAX_TARGETS || o->samples == 0)
        run_fail(&r, "need 1..%d targets and at least one sample", AB_REVOKE_MAX_TARGETS);
    else if (r.latency == NULL || r.request == NULL || r.refreshes == NULL)
        run_fail(&r, "out of memory");
    else if (open_conns(&r) == 0 && read_family(&r) == 0) {
        for (i = 0; i < o->samples && sample(&r, i) == 0; i++)
            ;
        if (i == o->samples) {
            summarise(&r);
            rc = 0;
        }
    }
    while (r.nconns > 0)
        rv_conn_free(&r.conns[--r.nconns]);
    ab_hist_free(r.latency);
    ab_hist_free(r.request);
    ab_hist_free(r.refreshes);
    return rc;
}

cJSON *ab_revoke_json(const ab_revoke_result *r)
{
    cJSON *j = cJSON_CreateObject();
    if (j == NULL)
        return NULL;
    cJSON_AddNumberToObject(j, "p50", (double)r->p50_us);
    cJSON_AddNumberToObject(j, "p99", (double)r->p99_us);
    cJSON_AddNumberToObject(j, "max", (double)r->max_us);
    cJSON_AddNumberToObject(j, "n", r->n);
    if (r->bound_us >= 0)
        cJSON_AddNumberToObject(j, "bound_us", (double)r->bound_us);
    else
        cJSON_AddNullToObject(j, "bound_us");
    if (cJSON_AddStringToObject(j, "method", r->method) == NULL) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* rp_est.c — one estimation rule for every option (bench/report/DECISION.md): each option's p99 at
 * the deployment's per-server load and store distance, from the open-loop `deployment` cell measured
 * there; when some option was measured only at another distance, every option is estimated by the
 * same labelled extrapolation instead (its base deployment cell plus 2 × distance × its measured
 * store round trips). A run without deployment cells (schema 2) uses its closed-loop cells by the
 * same extrapolation, and says so. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp_int.h"

static const char *const opt_ids[RP_NOPT] = {
    "session_shared_store", "session_per_server", "jwt_stateless", "jwt_denylist", "jwt_pushed_denylist",
    "session_l1_cache", "jwt_verified_cache", "jwt_refresh", "session_postgres", "session_memcached",
    "jwt_denylist_postgres", "jwt_denylist_memcached", "jwt_pushed_denylist_postgres", "jwt_pushed_denylist_memcached"};
static const char *const opt_names[RP_NOPT] = {
    "Server-side session in a shared store (Redis)", "Server-side session on each app server (memory or file, sticky LB)",
    "Stateless JWT", "JWT plus a revocation denylist in a shared store", "JWT plus a denylist pushed to every server",
    "Session in Redis behind a per-server cache (L1)", "Stateless JWT with a verified-token cache",
    "Short-lived JWT plus a refresh token in a shared store", "Server-side session in PostgreSQL",
    "Server-side session in Memcached", "JWT plus a revocation denylist in PostgreSQL",
    "JWT plus a revocation denylist in Memcached", "JWT plus a denylist pushed to every server through PostgreSQL (NOTIFY)",
    "JWT plus a denylist pushed to every server through Memcached (polled)"};

const char *rp_option_id(int k)
{
    return k >= 0 && k < RP_NOPT ? opt_ids[k] : "?";
}

const char *rp_option_name(int k)
{
    return k >= 0 && k < RP_NOPT ? opt_names[k] : "?";
}

const char *rp_method_id(int m)
{
    return m == RP_M_MEASURED ? "deployment_cell" : m == RP_M_EXTRAPOLATED ? "deployment_cell_plus_round_trips"
                                                                          : "closed_loop_cell_plus_round_trips";
}

const char *rp_method_words(int m)
{
    if (m == RP_M_MEASURED)
        return "measured: the open-loop deployment cell at the deployment's per-server load and store distance";
    if (m == RP_M_EXTRAPOLATED)
        return "extrapolated (some option was not measured at the deployment's distance, so every option is): the "
               "deployment cell at the smallest measured distance, through the proxy's 0-delay control when there is "
               "one, plus 2 × (distance − its delay) × its measured store round trips per request";
    return "extrapolated from closed-loop cells (the run has no deployment cells: latency at saturation, not at the "
           "deployment's load): the cell at the smallest distance plus 2 × (distance − its delay) × its store round trips";
}

const char *rp_verdict_id(int v)
{
    return v == RP_V_NONE ? "none" : v == RP_V_NO_DIFFERENCE ? "no_measurable_difference" : rp_option_id(v);
}

/* NULL-safe prefix test. */
static int has_prefix(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The store a denylist cell uses, RP_ST_POSTGRES / RP_ST_MEMCACHED, else -1 (Redis, memory): from the
 * cell's store, else the mechanism's ",postgres…" / ",memcached…" part. */
static int denylist_store(const rp_cell *c)
{
    const char *comma = strchr(c->mechanism, ',');
    if ((c->store != NULL && strcmp(c->store, "postgres") == 0) || has_prefix(comma ? comma + 1 : NULL, "postgres"))
        return RP_ST_POSTGRES;
    if ((c->store != NULL && strcmp(c->store, "memcached") == 0) || has_prefix(comma ? comma + 1 : NULL, "memcached"))
        return RP_ST_MEMCACHED;
    return -1;
}

int rp_cell_fits(const rp_cell *c, int k)
{
    const char *m = c->mechanism;
    int l1, cache;
    if (m == NULL || c->claims_bytes > 0 || strstr(m, "claims=") != NULL)
        return 0;
    l1 = strstr(m, "l1=") != NULL;
    cache = strstr(m, "cache=") != NULL;
    switch (k) {
    case RP_OPT_SHARED_SESSION: return has_prefix(m, "session:redis") && !has_prefix(m, "session:redis-cluster") && !l1;
    case RP_OPT_LOCAL_SESSION:
        return rp_kind_of(c->family, c->store) == RP_KIND_LOCAL && (c->servers == 1 || (c->lb && !strcmp(c->lb, "sticky")));
    case RP_OPT_JWT: return has_prefix(m, "jwt:") && !cache;
    case RP_OPT_HYBRID: return has_prefix(m, "jwt+denylist:") && denylist_store(c) < 0;
    case RP_OPT_PUSHED_DENYLIST: return has_prefix(m, "jwt+pushed-denylist:") && denylist_store(c) < 0;
    case RP_OPT_L1_CACHE: return has_prefix(m, "session:") && l1;
    case RP_OPT_JWT_CACHE: return has_prefix(m, "jwt:") && cache;
    case RP_OPT_JWT_REFRESH: return has_prefix(m, "jwt+refresh:");
    case RP_OPT_POSTGRES: return has_prefix(m, "session:postgres");
    case RP_OPT_MEMCACHED: return has_prefix(m, "session:memcached");
    case RP_OPT_HYBRID_POSTGRES: return has_prefix(m, "jwt+denylist:") && denylist_store(c) == RP_ST_POSTGRES;
    case RP_OPT_HYBRID_MEMCACHED: return has_prefix(m, "jwt+denylist:") && denylist_store(c) == RP_ST_MEMCACHED;
    case RP_OPT_PUSHED_POSTGRES: return has_prefix(m, "jwt+pushed-denylist:") && denylist_store(c) == RP_ST_POSTGRES;
    case RP_OPT_PUSHED_MEMCACHED: return has_prefix(m, "jwt+pushed-denylist:") && denylist_store(c) == RP_ST_MEMCACHED;
    default: return 0;
    }
}

int rp_option_pushed(int k)
{
    return k == RP_OPT_PUSHED_DENYLIST || k == RP_OPT_PUSHED_POSTGRES || k == RP_OPT_PUSHED_MEMCACHED;
}

int rp_option_jwt(int k)
{
    return k == RP_OPT_JWT || k == RP_OPT_HYBRID || k == RP_OPT_JWT_CACHE || k == RP_OPT_JWT_REFRESH ||
           k == RP_OPT_HYBRID_POSTGRES || k == RP_OPT_HYBRID_MEMCACHED || rp_option_pushed(k);
}

/* The algorithm class of a cell. */
static int alg_class(const rp_cell *c)
{
    return has_prefix(c->alg, "HS") ? RP_ALG_HMAC : RP_ALG_ASYMMETRIC;
}

/* The path of a cell's p99: the median of its repetitions' p99 (schema 3), else the merged one. */
static const char *p99_path(const rp_cell *c)
{
    return rp_has(rp_cell_num(c, "repetition_stats.p99_us.median")) ? "repetition_stats.p99_us.median" : "latency_us.p99";
}

/* 1 when c is a candidate of the estimate: ok, no fault, of the wanted kind. */
static int candidate(const rp_cell *c, int closed)
{
    if (!c->ok || c->fault != NULL || !rp_has(rp_cell_num(c, "latency_us.p99")))
        return 0;
    if (closed)
        return c->series >= 0;
    if (c->kind != NULL && strcmp(c->kind, "control") == 0)
        return rp_has(c->rate); /* the open-loop 0-delay twin of a distant deployment cell */
    return c->kind != NULL && strcmp(c->kind, "deployment") == 0;
}

/* 1 when the run has deployment cells at all (an open-loop control is one). */
static int has_deployment(const rp_run *run)
{
    size_t i;
    for (i = 0; i < run->ncells; i++)
        if (candidate(&run->cells[i], 0))
            return 1;
    return 0;
}

/* How far c is from being the base of an extrapolation: a 0-delay control through the proxy first
 * (the same path as the distant cells), then a direct 0-delay cell, then the smallest delay. */
static double base_rank(const rp_cell *c)
{
    if (c->delay_us == 0)
        return c->via_proxy ? 0 : 1;
    return 2 + c->delay_us;
}

/* 1 when c makes no store round trip per request: the store's distance does not reach its latency. */
static int storeless(const rp_cell *c)
{
    return rp_cell_num(c, "store_round_trips_per_req") == 0;
}

/* 1 when a is the better cell than b for the estimate (see base_rank). at_d: the estimate is of a
 * cell at distance d, where a storeless cell (no round trip) of any distance counts, but the one
 * measured at d itself comes first: a measurement at the drivers' distance is never replaced. */
static int cell_better(const rp_cell *a, const rp_cell *b, const char *alg, double budget, double d, int at_d)
{
    int fit_a = !(rp_cell_num(a, "credential_bytes") > budget), fit_b = !(rp_cell_num(b, "credential_bytes") > budget);
    int alg_a = alg != NULL && a->alg != NULL && strcmp(a->alg, alg) == 0, alg_b = alg != NULL && b->alg != NULL && strcmp(b->alg, alg) == 0;
    if (a->servers != b->servers)
        return a->servers < b->servers; /* the fewest servers: the least shared machine */
    if (fit_a != fit_b)
        return fit_a;
    if (alg_a != alg_b)
        return alg_a;
    if (strchr(a->mechanism, '?') == NULL && strchr(b->mechanism, '?') != NULL)
        return 1; /* the plain mechanism before a variant (touch=…) */
    if (at_d && (a->delay_us == d) != (b->delay_us == d))
        return a->delay_us == d;
    if (base_rank(a) != base_rank(b))
        return base_rank(a) < base_rank(b);
    return rp_cell_num(a, p99_path(a)) < rp_cell_num(b, p99_path(b));
}

/* The best cell of option k in class cls (-1: any) at distance d (at_d) or as a base. */
static const rp_cell *pick(const rp_run *run, int k, int cls, const char *alg, int closed, double d, int at_d, double budget)
{
    const rp_cell *best = NULL;
    size_t i;
    for (i = 0; i < run->ncells; i++) {
        const rp_cell *c = &run->cells[i];
        if (!candidate(c, closed) || !rp_cell_fits(c, k) || (cls >= 0 && alg_class(c) != cls))
            continue;
        if (at_d && c->delay_us != d && !storeless(c))
            continue;
        if (best == NULL || cell_better(c, best, alg, budget, d, at_d))
            best = c;
    }
    return best;
}

/* The one-way store distance option k is estimated at. */
static double target_of(int k, const rp_req *r)
{
    int cross = k == RP_OPT_SHARED_SESSION || k == RP_OPT_L1_CACHE || k == RP_OPT_POSTGRES || k == RP_OPT_MEMCACHED;
    return r->multi_region && cross ? r->region_distance_us : r->store_distance_us; /* a denylist is replicated per region */
}

/* The direct 0-delay deployment twin of a control cell (to show the proxy's own hop), or NULL. */
static const rp_cell *direct_twin(const rp_run *run, const rp_cell *ctl)
{
    size_t i;
    if (ctl == NULL || !ctl->via_proxy || ctl->delay_us != 0)
        return NULL;
    for (i = 0; i < run->ncells; i++) {
        const rp_cell *c = &run->cells[i];
        if (c != ctl && candidate(c, 0) && !c->via_proxy && c->delay_us == 0 && c->servers == ctl->servers &&
            strcmp(c->mechanism, ctl->mechanism) == 0)
            return c;
    }
    return NULL;
}

/* Fills e from cell c at target distance d; extrapolates when c is not at d. */
static void est_fill(rp_est *e, const rp_cell *c, double d)
{
    const char *p = p99_path(c);
    double rt = rp_cell_num(c, "store_round_trips_per_req");
    char add[200] = "";
    e->cell = c;
    e->alg = c->alg;
    e->target_us = d;
    e->add_us = 0;
    if (c->delay_us != d && rt > 0) {
        e->add_us = 2 * (d - c->delay_us) * rt;
        snprintf(add, sizeof add, " + 2 * (%.10g - %.10g) * cells[%s].store_round_trips_per_req", d, c->delay_us, c->id);
    }
    e->p99 = rp_cell_num(c, p) + e->add_us;
    e->lo = rp_cell_num(c, "repetition_stats.p99_us.ci95_low") + e->add_us;
    e->hi = rp_cell_num(c, "repetition_stats.p99_us.ci95_high") + e->add_us;
    snprintf(e->expr, sizeof e->expr, "cells[%s].%s%s", c->id, p, add);
    snprintf(e->lo_expr, sizeof e->lo_expr, "cells[%s].repetition_stats.p99_us.ci95_low%s", c->id, add);
    snprintf(e->hi_expr, sizeof e->hi_expr, "cells[%s].repetition_stats.p99_us.ci95_high%s", c->id, add);
}

/* Fills the CPU figures of e from the cell measured at the target distance (else the base). */
static void est_cpu(rp_est *e)
{
    const rp_cell *c = e->at_d != NULL ? e->at_d : e->cell;
    const char *med = "repetition_stats.server_cpu_us_per_req.median";
    e->cpu = rp_cell_num(c, med);
    if (!rp_has(e->cpu)) {
        med = "server_cpu_us_per_req";
        e->cpu = rp_cell_num(c, med);
    }
    snprintf(e->cpu_expr[0], sizeof e->cpu_expr[0], "cells[%s].%s", c->id, med);
    snprintf(e->cpu_expr[1], sizeof e->cpu_expr[1], "cells[%s].repetition_stats.server_cpu_us_per_req.ci95_low", c->id);
    snprintf(e->cpu_expr[2], sizeof e->cpu_expr[2], "cells[%s].repetition_stats.server_cpu_us_per_req.ci95_high", c->id);
    e->cpu_lo = rp_cell_num(c, "repetition_stats.server_cpu_us_per_req.ci95_low");
    e->cpu_hi = rp_cell_num(c, "repetition_stats.server_cpu_us_per_req.ci95_high");
    e->store_cpu = rp_cell_num(c, "redis_cpu_us_per_req");
}

/* The estimate of option k in class cls by method m; e->cell NULL when it was not measured. */
static void est_option(rp_est *e, const rp_run *run, const rp_req *r, int k, int cls, const char *alg, int m)
{
    double d = target_of(k, r);
    const rp_cell *at = m == RP_M_CLOSED_LOOP ? NULL : pick(run, k, cls, alg, 0, d, 1, r->token_budget_bytes);
    const rp_cell *base = pick(run, k, cls, alg, m == RP_M_CLOSED_LOOP, d, 0, r->token_budget_bytes);
    memset(e, 0, sizeof *e);
    e->p99 = e->lo = e->hi = e->cpu = e->cpu_lo = e->cpu_hi = e->store_cpu = NAN;
    e->target_us = d;
    if (m == RP_M_MEASURED && at != NULL)
        est_fill(e, at, d);
    else if (m != RP_M_MEASURED && base != NULL)
        est_fill(e, base, d);
    else
        return;
    e->at_d = at;
    e->direct = direct_twin(run, e->cell);
    est_cpu(e);
}

/* The run's method: measured when every option with deployment cells has one at its distance. */
static int method_of(const rp_run *run, const rp_req *r)
{
    int k;
    if (!has_deployment(run))
        return RP_M_CLOSED_LOOP;
    for (k = 0; k < RP_NOPT; k++) {
        int cls = rp_option_jwt(k) ? r->jwt_alg_class : -1;
        if (pick(run, k, cls, NULL, 0, target_of(k, r), 0, r->token_budget_bytes) != NULL &&
            pick(run, k, cls, NULL, 0, target_of(k, r), 1, r->token_budget_bytes) == NULL)
            return RP_M_EXTRAPOLATED;
    }
    return RP_M_MEASURED;
}

const rp_cell *rp_est_any_cell(const rp_run *run, int k, int closed)
{
    size_t i;
    for (i = 0; i < run->ncells; i++)
        if (candidate(&run->cells[i], closed) && rp_cell_fits(&run->cells[i], k))
            return &run->cells[i];
    return NULL;
}

int rp_estimate(rp_decision *d, const rp_run *run, const rp_req *r)
{
    const char *alg = NULL;
    int k, m = method_of(run, r);
    d->method = m;
    for (k = 0; k < RP_NOPT; k++) {
        rp_option *o = &d->opt[k];
        int cls = rp_option_jwt(k) ? r->jwt_alg_class : -1;
        o->id = opt_ids[k];
        o->name = opt_names[k];
        est_option(&o->est, run, r, k, cls, k == RP_OPT_JWT ? NULL : alg, m); /* the JWT's algorithm for the others */
        if (k == RP_OPT_JWT && o->est.cell != NULL)
            alg = o->est.cell->alg;
        if (rp_option_jwt(k) && cls == RP_ALG_ASYMMETRIC)
            est_option(&o->hmac, run, r, k, RP_ALG_HMAC, NULL, m);
        else
            est_option(&o->hmac, run, r, k, 99, NULL, m); /* no class matches: no variant */
    }
    return m;
}

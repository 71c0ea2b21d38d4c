/* rp_decide.c — the decision rule (bench/report/DECISION.md): eliminate the options a driver rules
 * out, then recommend the remaining one with the lowest estimated p99 at the deployment's store
 * distance. Every number it uses comes from results.json or the requirements. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rp_int.h"

/* NULL-safe prefix test. */
static int has_prefix(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Adds an elimination reason to o. */
static void out_because(rp_option *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_because(rp_option *o, const char *fmt, ...)
{
    va_list ap;
    o->out = 1;
    if (o->nwhy >= RP_MAX_WHY)
        return;
    va_start(ap, fmt);
    vsnprintf(o->why[o->nwhy++], sizeof o->why[0], fmt, ap);
    va_end(ap);
}

/* Estimated p99 of stateless/local series: its calibration cell's measured p99. */
static void estimate_local(rp_option *o)
{
    o->est_cell = o->series->base;
    o->est_distance_us = 0;
    o->est_p99_us = rp_cell_num(o->est_cell, "latency_us.p99");
    snprintf(o->est_expr, sizeof o->est_expr, "cells[%s].latency_us.p99", o->est_cell->id);
}

/* The measured cell of mechanism at servers whose store delay is the largest ≤ d (else the smallest). */
static const rp_cell *nearest_delay_cell(const rp_run *run, const char *mechanism, double servers, double d)
{
    const rp_cell *below = NULL, *above = NULL;
    size_t i;
    for (i = 0; i < run->ncells; i++) {
        const rp_cell *c = &run->cells[i];
        if (!c->ok || c->series < 0 || c->servers != servers || strcmp(c->mechanism, mechanism) != 0 ||
            !rp_has(rp_cell_num(c, "latency_us.p99")))
            continue;
        if (c->delay_us <= d && (below == NULL || c->delay_us > below->delay_us))
            below = c;
        if (c->delay_us > d && (above == NULL || c->delay_us < above->delay_us))
            above = c;
    }
    return below ? below : above;
}

/* Estimated p99 of a shared-store series at one-way store distance d: the nearest measured delay,
 * plus one round trip (2·Δd) per store round trip for the distance not measured. */
static void estimate_store(rp_option *o, const rp_run *run, double d)
{
    const rp_cell *c = nearest_delay_cell(run, o->series->mechanism, o->series->base->servers, d);
    double rt;
    o->est_distance_us = d;
    if (c == NULL)
        return;
    o->est_cell = c;
    rt = rp_cell_num(c, "store_round_trips_per_req");
    if (c->delay_us == d) {
        o->est_p99_us = rp_cell_num(c, "latency_us.p99");
        snprintf(o->est_expr, sizeof o->est_expr, "cells[%s].latency_us.p99", c->id);
    } else if (rp_has(rt)) {
        o->est_p99_us = rp_cell_num(c, "latency_us.p99") + 2 * (d - c->delay_us) * rt;
        snprintf(o->est_expr, sizeof o->est_expr,
                 "cells[%s].latency_us.p99 + 2 * (%.10g - %.10g) * cells[%s].store_round_trips_per_req", c->id, d,
                 c->delay_us, c->id);
    }
}

/* 1 when series s may stand for option k. */
static int series_fits(const rp_series *s, int k)
{
    if (s->base == NULL)
        return 0;
    switch (k) {
    case RP_OPT_SHARED_SESSION: return has_prefix(s->mechanism, "session:redis");
    case RP_OPT_LOCAL_SESSION: return s->kind == RP_KIND_LOCAL && s->projectable;
    case RP_OPT_JWT: return has_prefix(s->mechanism, "jwt:");
    default: return has_prefix(s->mechanism, "jwt+denylist:");
    }
}

/* Credential of series s over the budget? */
static int over_budget(const rp_series *s, const rp_req *r)
{
    double b = rp_cell_num(s->base, "credential_bytes");
    return rp_has(b) && b > r->token_budget_bytes;
}

/* 1 when a is the better representative than b for option k (see DECISION.md). */
static int series_better(const rp_series *a, const rp_series *b, int k, const rp_req *r)
{
    int asym_a = !has_prefix(a->mechanism, "jwt:HS"), asym_b = !has_prefix(b->mechanism, "jwt:HS");
    if (k == RP_OPT_JWT && over_budget(a, r) != over_budget(b, r))
        return !over_budget(a, r);
    if (k == RP_OPT_JWT && asym_a != asym_b)
        return asym_a; /* verifiers should hold public keys only */
    if (a->delay_us != b->delay_us)
        return a->delay_us < b->delay_us;
    return rp_cell_num(a->base, "latency_us.p99") < rp_cell_num(b->base, "latency_us.p99");
}

/* Picks the series standing for option k (NULL when the run measured none). */
static const rp_series *pick_series(const rp_run *run, int k, const rp_req *r)
{
    const rp_series *best = NULL;
    size_t i;
    for (i = 0; i < run->nseries; i++)
        if (series_fits(&run->series[i], k) && (best == NULL || series_better(&run->series[i], best, k, r)))
            best = &run->series[i];
    return best;
}

/* The cheapest HMAC JWT series within the budget: the alternative when one trust domain verifies. */
static const rp_series *pick_hmac(const rp_run *run, const rp_req *r)
{
    const rp_series *best = NULL;
    size_t i;
    for (i = 0; i < run->nseries; i++) {
        const rp_series *s = &run->series[i];
        if (s->base == NULL || !has_prefix(s->mechanism, "jwt:HS") || over_budget(s, r))
            continue;
        if (best == NULL || rp_cell_num(s->base, "latency_us.p99") < rp_cell_num(best->base, "latency_us.p99"))
            best = s;
    }
    return best;
}

/* Rules 2–4: capacity, token size, revocation, per-server state. */
static void apply_drivers(rp_option *o, int k, const rp_params *p, const rp_req *r)
{
    double cred = rp_cell_num(o->series->base, "credential_bytes");
    if (rp_has(o->capacity_rps) && o->capacity_rps < r->peak_rps)
        out_because(o, "capacity: the model projects %.0f req/s on %.0f servers × %.10g cores, below the peak of %.0f req/s",
                    o->capacity_rps, r->servers, p->cores, r->peak_rps);
    if (!rp_has(o->capacity_rps))
        out_because(o, "capacity: cannot be projected (CPU per request or the store's capacity was not measured)");
    if ((k == RP_OPT_JWT || k == RP_OPT_HYBRID) && rp_has(cred) && cred > r->token_budget_bytes)
        out_because(o, "token size: the credential is %.0f B, over the budget of %.0f B", cred, r->token_budget_bytes);
    if (k == RP_OPT_JWT && r->instant_revocation && r->access_token_lifetime_s > r->revocation_delay_s)
        out_because(o, "revocation: a stateless JWT stays valid for its lifetime (%.10g s), longer than the tolerated %.10g s",
                    r->access_token_lifetime_s, r->revocation_delay_s);
    if (k == RP_OPT_LOCAL_SESSION && (r->servers > 1 || r->multi_region))
        out_because(o, "per-server state: with %.0f servers%s a session lives on one server only, so it needs a sticky "
                    "load balancer and logs users out when that server goes",
                    r->servers, r->multi_region ? " in several regions" : "");
}

/* Fills option k: representative series, capacity, estimate, eliminations. */
static void decide_option(rp_decision *d, int k, const rp_run *run, const rp_params *p, const rp_req *r)
{
    static const char *const names[RP_NOPT] = {
        "Server-side session in a shared store (Redis)", "Server-side session on each app server (memory or file, sticky LB)",
        "Stateless JWT", "JWT plus a revocation denylist in a shared store"};
    rp_option *o = &d->opt[k];
    memset(o, 0, sizeof *o);
    o->name = names[k];
    o->est_p99_us = NAN;
    o->series = pick_series(run, k, r);
    if (o->series == NULL) {
        out_because(o, "not measured: the run has no successful cell for it");
        return;
    }
    o->capacity_rps = rp_model_rps(p, o->series, r->servers);
    rp_model_expr(p, o->series, r->servers, o->capacity_expr, sizeof o->capacity_expr);
    if (o->series->kind == RP_KIND_SHARED)
        estimate_store(o, run, k == RP_OPT_SHARED_SESSION && r->multi_region ? r->region_distance_us : r->store_distance_us);
    else
        estimate_local(o);
    apply_drivers(o, k, p, r);
    if (!rp_has(o->est_p99_us))
        out_because(o, "latency: its p99 was not measured");
}

void rp_decide(rp_decision *d, const rp_run *run, const rp_params *p, const rp_req *r)
{
    int k;
    d->chosen = -1;
    for (k = 0; k < RP_NOPT; k++) {
        decide_option(d, k, run, p, r);
        if (!d->opt[k].out && (d->chosen < 0 || d->opt[k].est_p99_us < d->opt[d->chosen].est_p99_us))
            d->chosen = k;
    }
    d->jwt_alt = pick_hmac(run, r);
}

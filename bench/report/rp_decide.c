/* rp_decide.c — the decision rule (bench/report/DECISION.md): estimate every option by one method
 * (rp_est.c), rule out the options a hard requirement excludes, then name a winner only when the
 * significance gate separates its p99 interval from the runner-up's. Every number it uses comes
 * from results.json or the requirements; it registers no figure, so the sensitivity re-runs it. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp_int.h"

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

/* Appends to a "; "-separated list in buf. */
static void list_add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void list_add(char *buf, size_t len, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    if (n + 3 >= len)
        return;
    if (n > 0)
        n += (size_t)snprintf(buf + n, len - n, "; ");
    va_start(ap, fmt);
    vsnprintf(buf + n, len - n, fmt, ap);
    va_end(ap);
}

/* A number of seconds after "key=" in a mechanism spec ("l1=5", "l1=500ms", "access_ttl=60s"); NaN. */
static double spec_seconds(const char *mechanism, const char *key)
{
    const char *p = mechanism ? strstr(mechanism, key) : NULL;
    char *end;
    double v;
    if (p == NULL)
        return NAN;
    v = strtod(p + strlen(key), &end);
    if (end == p + strlen(key))
        return NAN;
    return strncmp(end, "ms", 2) == 0 ? v / 1000 : strncmp(end, "us", 2) == 0 ? v / 1e6 : v;
}

/* How long a revoked credential of option k keeps working; NaN = until it expires. The run measures
 * it (a logout on one server, every server probed until it refuses: revocation_latency_us, method
 * "probed"); the figure used is the larger of that measured max and the option's bound by
 * construction (an L1 cache's TTL, a refresh flow's access-token lifetime), so a measurement that
 * happened to miss a cached entry never makes an option look faster than it can be. *from says which
 * one it is. */
static double revocation_s(int k, const rp_est *e, const char **from)
{
    double measured = rp_cell_num(e->cell, "revocation_latency_us.max") / 1e6, built = 0;
    const char *method = ab_json_str(e->cell->json, "revocation_latency_us.method");
    int probed = rp_has(measured) && method != NULL && strcmp(method, "probed") == 0;
    switch (k) {
    case RP_OPT_JWT:
    case RP_OPT_JWT_CACHE: *from = "token lifetime"; return NAN;
    case RP_OPT_JWT_REFRESH: built = spec_seconds(e->cell->mechanism, "access_ttl="); break;
    case RP_OPT_L1_CACHE: built = spec_seconds(e->cell->mechanism, "l1="); break;
    case RP_OPT_PUSHED_MEMCACHED: /* a poll: a revocation waits up to one period (NaN when the run did not say) */
        built = rp_cell_sync_ms(e->cell) / 1000;
        built = rp_has(built) ? built : 0;
        break;
    default: built = 0; break;
    }
    if (probed && !(rp_has(built) && built >= measured)) {
        *from = "measured";
        return measured;
    }
    *from = "by construction";
    return built;
}

/* The capacity at the SLO of option k's mechanism at its distance from the run's sweeps, or NaN. */
static double slo_capacity(const rp_run *run, const rp_est *e, int *which)
{
    const cJSON *sweeps = cJSON_GetObjectItemCaseSensitive(run->root, "sweeps"), *s;
    double best = NAN;
    int i = 0;
    *which = -1;
    cJSON_ArrayForEach(s, sweeps) {
        const char *m = ab_json_str(s, "mechanism");
        double v = ab_json_num_or(s, "capacity_at_slo_per_sec", NAN), d = ab_json_num_or(s, "store_delay_us", 0);
        double rt = rp_cell_num(e->cell, "store_round_trips_per_req");
        if (m != NULL && strcmp(m, e->cell->mechanism) == 0 && rp_has(v) && (d == e->target_us || rt == 0) &&
            (!rp_has(best) || v > best)) {
            best = v;
            *which = i;
        }
        i++;
    }
    return best;
}

/* Without a sweep: the open-loop cell of e's mechanism, distance and servers with the highest achieved
 * rate that reached its rate with p99 within the SLO (a lower bound of the capacity at the SLO). */
static const rp_cell *slo_cell(const rp_run *run, const rp_est *e, const rp_req *r)
{
    const rp_cell *best = NULL;
    size_t i;
    for (i = 0; i < run->ncells; i++) {
        const rp_cell *c = &run->cells[i];
        double p99 = rp_cell_num(c, "repetition_stats.p99_us.median"), got = rp_cell_num(c, "achieved_rate_per_sec");
        if (!rp_has(p99)) /* the estimate's figure: the median of the repetitions' p99, else the merged one */
            p99 = rp_cell_num(c, "latency_us.p99");
        if (!c->ok || c->fault != NULL || !rp_has(c->rate) || strcmp(c->mechanism, e->cell->mechanism) != 0 ||
            (c->kind != NULL && strcmp(c->kind, "store-sweep") == 0) || /* its latency is through a sweep */
            c->servers != e->cell->servers || c->delay_us != e->cell->delay_us || !rp_has(got) || !(p99 <= r->slo_p99_ms * 1000) ||
            !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->json, "rate_reached")))
            continue;
        if (best == NULL || got > rp_cell_num(best, "achieved_rate_per_sec"))
            best = c;
    }
    return best;
}

/* The hard requirements: measured at the load, latency SLO, capacity, token size, revocation,
 * per-server state. */
static void apply_drivers(rp_option *o, int k, const rp_params *p, const rp_req *r)
{
    const rp_est *e = &o->est;
    double cred = rp_cell_num(e->cell, "credential_bytes"), rev = o->revocation_s;
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e->cell->json, "rate_reached")))
        out_because(o, "load: a repetition of `%s` did not reach its rate of %.0f req/s (median achieved %.0f), so its latency "
                    "is not latency at that load", e->cell->id, e->cell->rate, rp_cell_num(e->cell, "achieved_rate_per_sec"));
    if (rp_has(e->p99) && e->p99 > r->slo_p99_ms * 1000)
        out_because(o, "latency: estimated p99 %.2f ms at %.10g µs to the store, above the SLO of %.10g ms", e->p99 / 1000,
                    e->target_us, r->slo_p99_ms);
    if (rp_has(o->capacity_rps) && o->capacity_rps < r->peak_rps)
        out_because(o, "capacity: the model projects %.0f req/s on %.0f servers × %.10g cores, below the peak of %.0f req/s",
                    o->capacity_rps, r->servers, p->cores, r->peak_rps);
    if (!rp_has(o->capacity_rps))
        out_because(o, "capacity: cannot be projected (CPU per request or the store's capacity was not measured)");
    if (rp_has(cred) && cred > r->token_budget_bytes)
        out_because(o, "token size: the credential is %.0f B, over the budget of %.0f B", cred, r->token_budget_bytes);
    if (r->instant_revocation && !rp_has(rev))
        rev = r->access_token_lifetime_s;
    if (r->instant_revocation && rev > r->revocation_delay_s)
        out_because(o, "revocation: a revoked credential stays valid for %.10g s (%s), longer than the tolerated %.10g s", rev,
                    k == RP_OPT_JWT || k == RP_OPT_JWT_CACHE ? "the token's lifetime" : o->revocation_from, r->revocation_delay_s);
    if (k == RP_OPT_LOCAL_SESSION && (r->servers > 1 || r->multi_region))
        out_because(o, "per-server state: with %.0f servers%s a session lives on one server only, so it needs a sticky "
                    "load balancer and logs users out when that server goes",
                    r->servers, r->multi_region ? " in several regions" : "");
}

/* The closed-loop series of the same mechanism as the estimate's cell (pros/cons, charts), or NULL. */
static const rp_series *series_of(const rp_run *run, const rp_cell *c)
{
    size_t i;
    const rp_series *best = NULL;
    for (i = 0; c != NULL && i < run->nseries; i++)
        if (strcmp(run->series[i].mechanism, c->mechanism) == 0 && run->series[i].base != NULL &&
            (best == NULL || fabs(run->series[i].delay_us - c->delay_us) < fabs(best->delay_us - c->delay_us)))
            best = &run->series[i];
    return best;
}

/* Fills option k's capacity, SLO capacity and eliminations from its estimate. */
static void decide_option(rp_option *o, int k, const rp_run *run, const rp_params *p, const rp_req *r, int method)
{
    const rp_cell *cpu_cell = o->est.at_d != NULL ? o->est.at_d : o->est.cell;
    const rp_cell *any = rp_est_any_cell(run, k, method == RP_M_CLOSED_LOOP);
    o->capacity_rps = o->slo_capacity_rps = NAN;
    o->slo_sweep = -1;
    o->slo_cell = NULL;
    if (o->est.cell == NULL) {
        if (any != NULL)
            out_because(o, "not measured as the rule needs it (%s%.10g µs to the store): the run has it only as `%s`",
                        strncmp(o->id, "jwt", 3) != 0 ? "" : r->jwt_alg_class == RP_ALG_HMAC ? "HMAC, " : "an asymmetric algorithm, ",
                        o->est.target_us, any->id);
        else
            out_because(o, "not measured: the run has no successful cell for it");
        return;
    }
    o->series = series_of(run, o->est.cell);
    o->revocation_s = revocation_s(k, &o->est, &o->revocation_from);
    o->capacity_rps = rp_model_cell_rps(p, cpu_cell, r->servers);
    rp_model_cell_expr(p, cpu_cell, r->servers, o->capacity_expr, sizeof o->capacity_expr);
    o->slo_capacity_rps = slo_capacity(run, &o->est, &o->slo_sweep);
    o->slo_cell = NULL;
    if (o->slo_sweep < 0 && (o->slo_cell = slo_cell(run, &o->est, r)) != NULL)
        o->slo_capacity_rps = rp_cell_num(o->slo_cell, "achieved_rate_per_sec");
    apply_drivers(o, k, p, r);
    if (!rp_has(o->est.p99))
        out_because(o, "latency: its p99 was not measured");
}

/* 1 when a's p99 interval ends at least margin below b's start: a difference both measured and
 * large enough to matter (rp_req.min_difference_us). */
int rp_gate_separated(const rp_option *a, const rp_option *b, double margin)
{
    return rp_has(a->est.hi) && rp_has(b->est.lo) && a->est.hi + margin < b->est.lo;
}

/* The significance gate over the options left: a winner only when intervals separate by the margin. */
static void gate(rp_decision *d, double margin)
{
    const rp_option *a, *b;
    int k;
    d->leader = d->runner_up = -1;
    for (k = 0; k < RP_NOPT; k++) {
        if (d->opt[k].out)
            continue;
        if (d->leader < 0 || d->opt[k].est.p99 < d->opt[d->leader].est.p99) {
            d->runner_up = d->leader;
            d->leader = k;
        } else if (d->runner_up < 0 || d->opt[k].est.p99 < d->opt[d->runner_up].est.p99)
            d->runner_up = k;
    }
    if (d->leader < 0) {
        d->verdict = RP_V_NONE;
        snprintf(d->gate, sizeof d->gate, "every option is ruled out by a hard requirement");
        return;
    }
    d->verdict = d->leader;
    if (d->runner_up < 0) {
        snprintf(d->gate, sizeof d->gate, "the only option left by the hard requirements");
        return;
    }
    a = &d->opt[d->leader];
    b = &d->opt[d->runner_up];
    if (!rp_has(a->est.hi) || !rp_has(b->est.lo)) {
        d->verdict = RP_V_NO_DIFFERENCE;
        snprintf(d->gate, sizeof d->gate, "no interval on the p99 of %s (the run recorded none: fewer than 2 repetitions, "
                 "or results from before schema 3): a difference cannot be told from noise", !rp_has(a->est.hi) ? a->id : b->id);
    } else if (rp_gate_separated(a, b, margin))
        snprintf(d->gate, sizeof d->gate, "separated: %s's p99 interval ends at %.0f µs, more than %.0f µs below %s's, which "
                 "starts at %.0f µs", a->id, a->est.hi, margin, b->id, b->est.lo);
    else {
        d->verdict = RP_V_NO_DIFFERENCE;
        snprintf(d->gate, sizeof d->gate, "%s: %s's p99 interval [%.0f, %.0f] µs and %s's [%.0f, %.0f] µs %s",
                 a->est.hi < b->est.lo ? "too close" : "overlapping", a->id, a->est.lo, a->est.hi, b->id, b->est.lo,
                 b->est.hi, a->est.hi < b->est.lo ? "are less than the smallest difference that matters apart" : "overlap");
        if (a->est.hi < b->est.lo)
            snprintf(d->gate + strlen(d->gate), sizeof d->gate - strlen(d->gate), " (%.0f µs)", margin);
    }
}

/* The banner's reasons: few repetitions, a rate not reached, a busy machine, closed-loop estimates,
 * the deployment load differing from the drivers'. */
static void banner(rp_decision *d, const rp_run *run, const rp_req *r)
{
    int k;
    double want = r->peak_rps / r->servers;
    d->why_indicative[0] = '\0';
    if (d->method == RP_M_CLOSED_LOOP)
        list_add(d->why_indicative, sizeof d->why_indicative, "the run has no deployment cells: every estimate is a "
                 "closed-loop latency at saturation");
    for (k = 0; k < RP_NOPT; k++) {
        const rp_cell *c = d->opt[k].est.cell;
        double per = c != NULL ? c->rate / c->servers : NAN;
        if (c == NULL)
            continue;
        if (rp_cell_num(c, "repetitions") < 3)
            list_add(d->why_indicative, sizeof d->why_indicative, "`%s` has %.0f repetition(s), fewer than 3", c->id,
                     rp_cell_num(c, "repetitions"));
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c->json, "rate_reached")))
            list_add(d->why_indicative, sizeof d->why_indicative, "`%s` did not reach its rate", c->id);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->json, "busy_machine")))
            list_add(d->why_indicative, sizeof d->why_indicative, "`%s` ran on a busy machine", c->id);
        if (rp_has(per) && fabs(per - want) > 0.1 * want)
            list_add(d->why_indicative, sizeof d->why_indicative, "`%s` ran at %.0f req/s per server, the drivers ask %.0f",
                     c->id, per, want);
    }
    d->indicative = d->why_indicative[0] != '\0';
    (void)run;
}

/* The environment's problems: uncommitted code, a debug build, a debug benchmark library. */
static void env_problems(rp_decision *d, const rp_run *run)
{
    const char *bt = ab_json_str(run->root, "environment.build_type");
    const char *lib = run->micro ? ab_json_str(run->micro, "context.library_build_type") : NULL;
    d->env_problems[0] = '\0';
    if (cJSON_IsTrue(ab_json_at(run->root, "environment.git_dirty")))
        list_add(d->env_problems, sizeof d->env_problems, "uncommitted code (environment.git_dirty)");
    if (bt != NULL && strcmp(bt, "Debug") == 0)
        list_add(d->env_problems, sizeof d->env_problems, "a Debug build of authbench (environment.build_type)");
    if (lib != NULL && strcmp(lib, "debug") == 0)
        list_add(d->env_problems, sizeof d->env_problems, "a debug build of the Google Benchmark library "
                 "(micro.json context.library_build_type)");
}

/* The cheapest HMAC closed-loop JWT series within the budget: the alternative in one trust domain. */
static const rp_series *pick_hmac(const rp_run *run, const rp_req *r)
{
    const rp_series *best = NULL;
    size_t i;
    for (i = 0; i < run->nseries; i++) {
        const rp_series *s = &run->series[i];
        double b = rp_cell_num(s->base, "credential_bytes");
        if (s->base == NULL || strncmp(s->mechanism, "jwt:HS", 6) != 0 || (rp_has(b) && b > r->token_budget_bytes))
            continue;
        if (best == NULL || rp_cell_num(s->base, "latency_us.p99") < rp_cell_num(best->base, "latency_us.p99"))
            best = s;
    }
    return best;
}

void rp_decide(rp_decision *d, const rp_run *run, const rp_params *p, const rp_req *r)
{
    int k;
    memset(d, 0, sizeof *d);
    rp_estimate(d, run, r);
    for (k = 0; k < RP_NOPT; k++)
        decide_option(&d->opt[k], k, run, p, r, d->method);
    d->min_difference_us = r->min_difference_us;
    gate(d, r->min_difference_us);
    d->chosen = d->verdict >= 0 ? d->verdict : -1;
    d->jwt_alt = pick_hmac(run, r);
    banner(d, run, r);
    env_problems(d, run);
}

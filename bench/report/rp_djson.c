/* rp_djson.c — decision.json: the decision machine-readable (schema authbench.decision/1, documented
 * in bench/report/DECISION.md), so a team can gate a change on its verdict. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rp_int.h"

/* The qualities the numbers cannot rank: when the gate finds no difference, the choice is theirs. */
static const char *const non_numeric[] = {
    "key distribution: asymmetric JWTs let verifiers hold public keys only; HMAC and sessions share a secret or a store",
    "revocation semantics: how soon a logout or a ban must take effect",
    "availability: what keeps serving when the shared store fails",
    "payload confidentiality: JWT claims are readable by anyone who holds the token",
    "operational cost: one mechanism to run, or a token plus a store",
};

const char *const *rp_non_numeric_drivers(size_t *n)
{
    *n = sizeof non_numeric / sizeof *non_numeric;
    return non_numeric;
}

/* A number, or null when not measured. */
static void add_num(cJSON *o, const char *name, double v)
{
    if (rp_has(v) && isfinite(v))
        cJSON_AddNumberToObject(o, name, v);
    else
        cJSON_AddNullToObject(o, name);
}

/* [lo, hi], or null when either end is not measured. */
static void add_pair(cJSON *o, const char *name, double lo, double hi)
{
    cJSON *a;
    if (!rp_has(lo) || !rp_has(hi)) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    a = cJSON_AddArrayToObject(o, name);
    cJSON_AddItemToArray(a, cJSON_CreateNumber(lo));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(hi));
}

/* A string, or null. */
static void add_str(cJSON *o, const char *name, const char *s)
{
    if (s != NULL)
        cJSON_AddStringToObject(o, name, s);
    else
        cJSON_AddNullToObject(o, name);
}

/* The drivers as the decision used them. */
static cJSON *drivers_json(const rp_req *r, const rp_params *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", r->source);
    cJSON_AddNumberToObject(o, "peak_requests_per_sec", r->peak_rps);
    cJSON_AddNumberToObject(o, "servers", r->servers);
    cJSON_AddNumberToObject(o, "per_server_rate_per_sec", r->peak_rps / r->servers);
    cJSON_AddNumberToObject(o, "cores_per_server", p->cores);
    cJSON_AddNumberToObject(o, "store_distance_us", r->store_distance_us);
    cJSON_AddBoolToObject(o, "instant_revocation", r->instant_revocation);
    cJSON_AddNumberToObject(o, "revocation_delay_s", r->revocation_delay_s);
    cJSON_AddNumberToObject(o, "access_token_lifetime_s", r->access_token_lifetime_s);
    cJSON_AddNumberToObject(o, "token_budget_bytes", r->token_budget_bytes);
    cJSON_AddBoolToObject(o, "multi_region", r->multi_region);
    cJSON_AddNumberToObject(o, "region_distance_us", r->region_distance_us);
    cJSON_AddNumberToObject(o, "slo_p99_ms", r->slo_p99_ms);
    cJSON_AddStringToObject(o, "jwt_alg_class", r->jwt_alg_class == RP_ALG_HMAC ? "hmac" : "asymmetric");
    return o;
}

/* An estimate: p99, its interval, where it starts and what the rule added. */
static cJSON *estimate_json(const rp_est *e)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "p99_us", e->p99);
    add_pair(o, "ci95", e->lo, e->hi);
    cJSON_AddNumberToObject(o, "store_distance_us", e->target_us);
    cJSON_AddNumberToObject(o, "added_us", e->add_us);
    cJSON_AddStringToObject(o, "source", e->expr);
    add_str(o, "alg", e->alg);
    return o;
}

/* The cells an estimate reads: its base, the cell at the distance (a check), the proxy's direct twin. */
static cJSON *cells_json(const rp_est *e)
{
    cJSON *a = cJSON_CreateArray();
    if (e->cell != NULL)
        cJSON_AddItemToArray(a, cJSON_CreateString(e->cell->id));
    if (e->at_d != NULL && e->at_d != e->cell)
        cJSON_AddItemToArray(a, cJSON_CreateString(e->at_d->id));
    if (e->direct != NULL)
        cJSON_AddItemToArray(a, cJSON_CreateString(e->direct->id));
    return a;
}

/* Cost per 10,000 req/s at the deployment load: app-server cores, store cores (Redis INFO) or null. */
static cJSON *cost_json(const rp_est *e)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "app_cores_per_10k_rps", e->cpu * 1e4 / 1e6);
    add_pair(o, "app_cores_ci95", e->cpu_lo * 1e4 / 1e6, e->cpu_hi * 1e4 / 1e6);
    add_num(o, "store_cores_per_10k_rps", e->store_cpu * 1e4 / 1e6);
    if (!rp_has(e->store_cpu))
        cJSON_AddStringToObject(o, "store_cores_note", "not measured: the run did not record the store's CPU (Redis INFO)");
    return o;
}

/* The option's store-outage cells (rp_outage_cell): goodput through each and what became of the
 * revocations made during it (DECISION.md, "Through a store outage"). */
static cJSON *outages_json(const rp_run *run, int k, const rp_option *o)
{
    cJSON *a = cJSON_CreateArray();
    const rp_cell *c;
    for (c = NULL; (c = rp_outage_cell(run, k, o->est.alg, c)) != NULL;) {
        cJSON *x = cJSON_CreateObject();
        int ended, pushed = strcmp(rp_outage_kind(c), "measured") == 0;
        double breaks = rp_cell_num(c, "pushed_denylist.breaks");
        cJSON_AddStringToObject(x, "cell", c->id);
        add_num(x, "offered_per_sec", rp_cell_num(c, rp_has(rp_cell_num(c, "target_rate_per_sec")) ? "target_rate_per_sec"
                                                                                                    : "rate_per_sec"));
        add_num(x, "goodput_per_sec", rp_cell_num(c, "fault_outcome.goodput_after_per_s"));
        add_num(x, "unavailable_frac", rp_cell_num(c, "fault_outcome.unavailable_frac"));
        add_num(x, "outage_s", rp_outage_seconds(c, &ended));
        cJSON_AddBoolToObject(x, "store_returned", ended);
        cJSON_AddStringToObject(x, "revocations", rp_outage_kind(c));
        add_num(x, "missed", pushed ? rp_cell_num(c, "pushed_denylist.missed") : NAN);
        add_num(x, "breaks", pushed ? breaks : NAN);
        add_num(x, "lost", pushed ? rp_cell_num(c, "pushed_denylist.gaps") : NAN); /* a polled log's gaps */
        if (pushed && rp_has(breaks)) /* caught up: no break, or the store came back and a catch-up ran */
            cJSON_AddBoolToObject(x, "caught_up", breaks == 0 || ended);
        else
            cJSON_AddNullToObject(x, "caught_up");
        add_num(x, "unchecked_requests", strcmp(rp_outage_kind(c), "all_missed") == 0
                    ? rp_cell_num(c, "fail_open_per_req") * rp_cell_num(c, "requests") : NAN);
        cJSON_AddItemToArray(a, x);
    }
    return a;
}

/* One option of options[]. */
static cJSON *option_json(const rp_run *run, const rp_option *o, int k, int method)
{
    cJSON *j = cJSON_CreateObject();
    char out[RP_MAX_WHY * 302] = "";
    int i;
    cJSON_AddStringToObject(j, "id", o->id);
    cJSON_AddStringToObject(j, "name", o->name);
    cJSON_AddBoolToObject(j, "measured", o->est.cell != NULL);
    cJSON_AddItemToObject(j, "estimate", estimate_json(&o->est));
    add_pair(j, "ci95", o->est.lo, o->est.hi);
    cJSON_AddStringToObject(j, "method", rp_method_id(method));
    cJSON_AddItemToObject(j, "source_cells", cells_json(&o->est));
    add_num(j, "measured_p99_at_distance_us", o->est.at_d ? rp_cell_num(o->est.at_d, "latency_us.p99") : NAN);
    add_num(j, "proxy_hop_p99_us", o->est.direct ? rp_cell_num(o->est.cell, "latency_us.p99") -
                                                   rp_cell_num(o->est.direct, "latency_us.p99") : NAN);
    add_num(j, "capacity_rps", o->capacity_rps);
    add_num(j, "capacity_at_slo_per_sec", o->slo_capacity_rps);
    add_str(j, "capacity_at_slo_from", o->slo_sweep >= 0 ? "sweep" : o->slo_cell ? "cells (a lower bound)" : NULL);
    cJSON_AddItemToObject(j, "cost", cost_json(&o->est));
    add_num(j, "revocation_delay_s", o->revocation_s);
    add_str(j, "revocation_delay_from", o->revocation_from);
    if (rp_option_pushed(k)) { /* how revocations reach the servers: pubsub | notify | poll */
        int recorded;
        add_str(j, "revocation_channel", o->est.cell ? rp_cell_channel(o->est.cell, &recorded) : NULL);
        add_num(j, "sync_ms", o->est.cell ? rp_cell_sync_ms(o->est.cell) : NAN);
    }
    for (i = 0; i < o->nwhy; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "; " : "", o->why[i]);
    add_str(j, "out", o->out ? out : NULL);
    cJSON_AddItemToObject(j, "store_outage", outages_json(run, k, o));
    if (o->hmac.cell != NULL)
        cJSON_AddItemToObject(j, "hmac_beside", estimate_json(&o->hmac));
    return j;
}

/* The same test between every two options left that have an interval, so a reader sees which
 * differences the run did measure (a JWT against a session a store round trip away) even when the
 * two lowest tie: {"a", "b", "separated", "lower"} with a the lower estimate. */
static cJSON *pairs_json(const rp_decision *d)
{
    cJSON *arr = cJSON_CreateArray();
    int i, k;
    for (i = 0; i < RP_NOPT; i++)
        for (k = i + 1; k < RP_NOPT; k++) {
            const rp_option *a = &d->opt[i], *b = &d->opt[k], *t;
            cJSON *o;
            int sep;
            if (a->out || b->out || !rp_has(a->est.lo) || !rp_has(a->est.hi) || !rp_has(b->est.lo) || !rp_has(b->est.hi))
                continue;
            if (b->est.p99 < a->est.p99) {
                t = a;
                a = b;
                b = t;
            }
            sep = rp_gate_separated(a, b, d->min_difference_us);
            o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "a", a->id);
            cJSON_AddStringToObject(o, "b", b->id);
            cJSON_AddBoolToObject(o, "separated", sep);
            add_str(o, "lower", sep ? a->id : NULL);
            cJSON_AddItemToArray(arr, o);
        }
    return arr;
}

/* The gate's figures. */
static cJSON *gate_json(const rp_decision *d)
{
    cJSON *g = cJSON_CreateObject();
    const rp_option *a = d->leader >= 0 ? &d->opt[d->leader] : NULL, *b = d->runner_up >= 0 ? &d->opt[d->runner_up] : NULL;
    cJSON_AddStringToObject(g, "figure", "p99 latency at the deployment load (µs), 95 % bootstrap interval of the median over repetitions");
    add_str(g, "leader", a ? a->id : NULL);
    add_num(g, "leader_p99_us", a ? a->est.p99 : NAN);
    add_pair(g, "leader_ci95", a ? a->est.lo : NAN, a ? a->est.hi : NAN);
    add_str(g, "runner_up", b ? b->id : NULL);
    add_num(g, "runner_up_p99_us", b ? b->est.p99 : NAN);
    add_pair(g, "runner_up_ci95", b ? b->est.lo : NAN, b ? b->est.hi : NAN);
    cJSON_AddBoolToObject(g, "separated", a != NULL && b != NULL && d->verdict == d->leader);
    cJSON_AddStringToObject(g, "outcome", d->gate);
    cJSON_AddNumberToObject(g, "min_difference_us", d->min_difference_us);
    cJSON_AddItemToObject(g, "pairs", pairs_json(d));
    return g;
}

/* flip_points: per driver the verdict from each value on. */
static cJSON *flips_json(const rp_sens *s)
{
    cJSON *a = cJSON_CreateArray();
    int f, i;
    for (f = 0; f < RP_NFLIP; f++) {
        cJSON *o = cJSON_CreateObject(), *steps = cJSON_AddArrayToObject(o, "steps");
        cJSON_AddStringToObject(o, "driver", s->flip[f].driver);
        cJSON_AddStringToObject(o, "unit", s->flip[f].unit);
        for (i = 0; i < s->flip[f].nsteps; i++) {
            cJSON *st = cJSON_CreateObject();
            cJSON_AddNumberToObject(st, "from", s->flip[f].at[i]);
            cJSON_AddStringToObject(st, "verdict", rp_verdict_id(s->flip[f].verdict[i]));
            cJSON_AddItemToArray(steps, st);
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

/* The winner map over store distance × peak load. */
static cJSON *map_json(const rp_sens *s)
{
    cJSON *o = cJSON_CreateObject(), *rows;
    int i, j;
    cJSON_AddBoolToObject(o, "model_based", 1);
    cJSON_AddItemToObject(o, "store_distance_us", cJSON_CreateDoubleArray(s->map_d, RP_MAP_D));
    cJSON_AddItemToObject(o, "peak_requests_per_sec", cJSON_CreateDoubleArray(s->map_l, RP_MAP_L));
    rows = cJSON_AddArrayToObject(o, "verdict");
    for (i = 0; i < RP_MAP_D; i++) {
        cJSON *row = cJSON_CreateArray();
        for (j = 0; j < RP_MAP_L; j++)
            cJSON_AddItemToArray(row, cJSON_CreateString(rp_verdict_id(s->map[i][j])));
        cJSON_AddItemToArray(rows, row);
    }
    return o;
}

cJSON *rp_decision_json(const rp_run *run, const rp_params *p, const rp_req *r, const rp_decision *d, const rp_sens *s)
{
    cJSON *o = cJSON_CreateObject(), *opts, *nn;
    size_t i;
    int k;
    cJSON_AddStringToObject(o, "schema", "authbench.decision/1");
    add_str(o, "run", ab_json_str(run->root, "name"));
    add_str(o, "results_schema", ab_json_str(run->root, "schema"));
    cJSON_AddItemToObject(o, "drivers", drivers_json(r, p));
    cJSON_AddStringToObject(o, "method", rp_method_id(d->method));
    cJSON_AddStringToObject(o, "method_words", rp_method_words(d->method));
    cJSON_AddStringToObject(o, "verdict", rp_verdict_id(d->verdict));
    cJSON_AddBoolToObject(o, "indicative", d->indicative);
    add_str(o, "indicative_because", d->indicative ? d->why_indicative : NULL);
    add_str(o, "environment_problems", d->env_problems[0] ? d->env_problems : NULL);
    cJSON_AddItemToObject(o, "gate", gate_json(d));
    opts = cJSON_AddArrayToObject(o, "options");
    for (k = 0; k < RP_NOPT; k++)
        cJSON_AddItemToArray(opts, option_json(run, &d->opt[k], k, d->method));
    nn = cJSON_AddArrayToObject(o, "non_numeric_drivers");
    for (i = 0; i < sizeof non_numeric / sizeof *non_numeric; i++)
        cJSON_AddItemToArray(nn, cJSON_CreateString(non_numeric[i]));
    cJSON_AddItemToObject(o, "flip_points", flips_json(s));
    cJSON_AddItemToObject(o, "winner_map", map_json(s));
    return o;
}

/* rp_adr_dec.c — the ADR's decision outcome: the banner, the verdict with the gate's figures, the
 * options table (estimate, interval, method, source cells, capacity at the SLO, cost, reason when
 * out), the rule, and the sensitivity (flip points and the winner map). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rp_int.h"

/* 1 when option k goes into the table: the four classic options, and later ones the run measured. */
static int shown(const rp_decision *d, int k)
{
    return k <= RP_OPT_HYBRID || d->opt[k].est.cell != NULL;
}

/* The registered p99 estimate of an option (bold text), or "—". */
static const char *p99_fig(rp_ctx *c, const rp_option *o, const rp_est *e, const char *variant)
{
    char label[200];
    if (e->cell == NULL || !rp_has(e->p99))
        return "not measured";
    snprintf(label, sizeof label, "estimated p99, %s%s (`%s`), at %.10g µs", o->id, variant, e->cell->id, e->target_us);
    return rp_figure(c->figs, label, e->p99, RP_U_US, "%s", e->expr);
}

/* "[lo, hi]" of an estimate (each end registered) into buf, or "not measured". */
static const char *ci_text(rp_ctx *c, const rp_option *o, const rp_est *e, const char *variant, char *buf, size_t len)
{
    char label[200], lo[64];
    if (e->cell == NULL || !rp_has(e->p99))
        return ""; /* the estimate itself says "not measured" */
    if (!rp_has(e->lo) || !rp_has(e->hi))
        return "[no interval]";
    snprintf(label, sizeof label, "p99 interval low, %s%s", o->id, variant);
    snprintf(lo, sizeof lo, "%s", rp_figure(c->figs, label, e->lo, RP_U_US, "%s", e->lo_expr));
    snprintf(label, sizeof label, "p99 interval high, %s%s", o->id, variant);
    snprintf(buf, len, "[%s, %s]", lo, rp_figure(c->figs, label, e->hi, RP_U_US, "%s", e->hi_expr));
    return buf;
}

/* App-server cores per 10,000 req/s (with its interval) into buf. */
static const char *cores_text(rp_ctx *c, const rp_option *o, char *buf, size_t len)
{
    const rp_est *e = &o->est;
    char label[200], v[64], lo[64];
    if (e->cell == NULL || !rp_has(e->cpu))
        return "not measured";
    snprintf(label, sizeof label, "app-server cores per 10k req/s, %s", o->id);
    snprintf(v, sizeof v, "%s", rp_figure(c->figs, label, e->cpu / 100, RP_U_PLAIN, "%s / 100", e->cpu_expr[0]));
    if (!rp_has(e->cpu_lo) || !rp_has(e->cpu_hi)) {
        snprintf(buf, len, "%s (no interval)", v);
        return buf;
    }
    snprintf(label, sizeof label, "app-server cores per 10k req/s, interval low, %s", o->id);
    snprintf(lo, sizeof lo, "%s", rp_figure(c->figs, label, e->cpu_lo / 100, RP_U_PLAIN, "%s / 100", e->cpu_expr[1]));
    snprintf(label, sizeof label, "app-server cores per 10k req/s, interval high, %s", o->id);
    snprintf(buf, len, "%s [%s, %s]", v, lo, rp_figure(c->figs, label, e->cpu_hi / 100, RP_U_PLAIN, "%s / 100", e->cpu_expr[2]));
    return buf;
}

/* Store cores per 10,000 req/s from the Redis CPU the run recorded, or "not measured". */
static const char *store_cores_text(rp_ctx *c, const rp_option *o)
{
    const rp_cell *cell = o->est.at_d != NULL ? o->est.at_d : o->est.cell;
    char label[200];
    if (cell == NULL || rp_cell_num(cell, "store_round_trips_per_req") == 0)
        return "none (no store on the request path)";
    if (!rp_has(o->est.store_cpu))
        return "not measured (no store CPU recorded)";
    snprintf(label, sizeof label, "store cores per 10k req/s, %s", o->id);
    return rp_figure(c->figs, label, o->est.store_cpu / 100, RP_U_PLAIN, "cells[%s].redis_cpu_us_per_req / 100", cell->id);
}

/* Capacity at the SLO from the run's sweeps, or a dash. */
static const char *slo_text(rp_ctx *c, const rp_option *o)
{
    char label[200];
    if (!rp_has(o->slo_capacity_rps))
        return "no sweep, no open-loop cell within it";
    if (o->slo_cell != NULL) { /* a lower bound from the open-loop cells, no sweep */
        snprintf(label, sizeof label, "highest open-loop rate within the SLO, %s (`%s`)", o->id, o->slo_cell->id);
        return rp_figure(c->figs, label, o->slo_capacity_rps, RP_U_RPS, "cells[%s].achieved_rate_per_sec", o->slo_cell->id);
    }
    snprintf(label, sizeof label, "capacity at the SLO, %s (sweep %d)", o->id, o->slo_sweep);
    return rp_figure(c->figs, label, o->slo_capacity_rps, RP_U_RPS, "run.sweeps.%d.capacity_at_slo_per_sec", o->slo_sweep);
}

/* The verdict column of option k. */
static void verdict_text(const rp_decision *d, int k, char *buf, size_t len)
{
    const rp_option *o = &d->opt[k];
    int i;
    buf[0] = '\0';
    if (k == d->verdict)
        snprintf(buf, len, "**recommended**");
    else if (!o->out && d->verdict == RP_V_NO_DIFFERENCE && (k == d->leader || k == d->runner_up))
        snprintf(buf, len, "meets the drivers; not separable from the %s", k == d->leader ? "runner-up" : "leader");
    else if (!o->out)
        snprintf(buf, len, "meets the drivers; higher estimated p99");
    for (i = 0; i < o->nwhy; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%sout: %s", i ? "; " : "", o->why[i]);
}

/* One row of the options table, and its HMAC variant beside it. */
static void option_row(rp_ctx *c, int k)
{
    const rp_option *o = &c->dec->opt[k];
    char ci[160], cores[240], verdict[RP_MAX_WHY * 300 + 64], src[200] = "—";
    if (o->est.cell != NULL)
        snprintf(src, sizeof src, "`%s`%s%s%s", o->est.cell->id, o->est.at_d && o->est.at_d != o->est.cell ? " (check: `" : "",
                 o->est.at_d && o->est.at_d != o->est.cell ? o->est.at_d->id : "", o->est.at_d && o->est.at_d != o->est.cell ? "`)" : "");
    verdict_text(c->dec, k, verdict, sizeof verdict);
    rp_doc_add(c->doc, RP_B_TROW, NULL, "%s (`%s`)\t%s\t%s %s\t%s\t%s; store: %s\t%s", o->name, o->id, src,
               p99_fig(c, o, &o->est, ""), ci_text(c, o, &o->est, "", ci, sizeof ci), slo_text(c, o),
               cores_text(c, o, cores, sizeof cores), store_cores_text(c, o), verdict);
    if (o->hmac.cell != NULL)
        rp_doc_add(c->doc, RP_B_TROW, NULL, "%s, HMAC beside it (`%s`)\t`%s`\t%s %s\t—\t—\tnot in the gate: a shared "
                   "secret lets every verifier mint tokens", o->name, o->id, o->hmac.cell->id, p99_fig(c, o, &o->hmac, " HMAC"),
                   ci_text(c, o, &o->hmac, " HMAC", ci, sizeof ci));
}

/* The banner and the environment's problems. */
static void decision_banner(rp_ctx *c)
{
    const rp_decision *d = c->dec;
    if (d->indicative)
        rp_doc_add(c->doc, RP_B_P, NULL, "**Indicative only.** Because %s.", d->why_indicative);
    if (d->env_problems[0] != '\0')
        rp_doc_add(c->doc, RP_B_P, NULL, "**Environment problems:** %s. Rerun from a clean, Release build before acting on it.",
                   d->env_problems);
}

/* The verdict sentence with the gate's figures. */
static void decision_verdict(rp_ctx *c)
{
    const rp_decision *d = c->dec;
    const rp_option *a = d->leader >= 0 ? &d->opt[d->leader] : NULL;
    size_t n, i;
    const char *const *nn = rp_non_numeric_drivers(&n);
    char ci[160];
    if (d->verdict == RP_V_NONE) {
        rp_doc_add(c->doc, RP_B_P, NULL, "Verdict `none`: no measured option meets every hard requirement (see the table). "
                   "Relax the driver named in the reasons, or add servers: the capacity model below says how many each needs.");
        return;
    }
    if (d->verdict >= 0) {
        rp_doc_add(c->doc, RP_B_P, NULL, "Chosen option: \"%s\" (`%s`), estimated from `%s`: p99 %s %s at the deployment "
                   "load and %.10g µs to the store. Gate: %s.", a->name, a->id, a->est.cell->id, p99_fig(c, a, &a->est, ""),
                   ci_text(c, a, &a->est, "", ci, sizeof ci), a->est.target_us, d->gate);
        return;
    }
    rp_doc_add(c->doc, RP_B_P, NULL, "Verdict `no_measurable_difference`: at this load the p99 of \"%s\" and \"%s\" cannot be "
               "told apart (%s). The numbers do not decide; the choice falls to the drivers they cannot rank:",
               a->name, d->opt[d->runner_up].name, d->gate);
    for (i = 0; i < n; i++)
        rp_doc_add(c->doc, RP_B_LI, NULL, "%s", nn[i]);
}

void rp_adr_decision(rp_ctx *c)
{
    int k;
    decision_banner(c);
    decision_verdict(c);
    rp_doc_add(c->doc, RP_B_P, NULL, "Estimation method, the same for every option: %s.", rp_method_words(c->dec->method));
    rp_doc_add(c->doc, RP_B_THEAD, NULL, "option (id)\testimated from\tp99 at the deployment [95%% interval]\tcapacity at "
               "the SLO (%.10g ms; ≥ when from cells, not a sweep)\tcores per 10k req/s: app servers [95%% interval]; store\tverdict", c->req->slo_p99_ms);
    for (k = 0; k < RP_NOPT; k++)
        if (shown(c->dec, k))
            option_row(c, k);
    rp_doc_add(c->doc, RP_B_P, NULL, "The proxy's 0-delay control is the base of an extrapolation (the same path as the "
               "distant cells); its difference from the direct cell (decision.json `proxy_hop_p99_us`) is the relay's own "
               "cost, shown, not subtracted: a real network hop has one too. Cores per 10k req/s = server CPU µs per request "
               "at the deployment load × 10,000 / 10⁶. decision.json holds all of this machine-readable.");
}

void rp_adr_rule(rp_ctx *c)
{
    rp_doc_add(c->doc, RP_B_H3, NULL, "The rule");
    rp_doc_add(c->doc, RP_B_P, NULL, "The verdict is computed, not chosen by hand (bench/report/DECISION.md):");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Rule 1: One estimation rule: every option's p99 at the deployment's per-server load "
               "and store distance, from its open-loop deployment cell there; if some option was measured only at another "
               "distance, every option is extrapolated the same way (base cell + 2 × distance × round trips). JWT options "
               "use the algorithm class of the drivers (asymmetric by default); HMAC is shown beside.");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Rule 2: Hard requirements rule an option out: not measured, its rate not reached, "
               "p99 above the SLO, the capacity model below the peak, a credential over the token budget, a revocation "
               "slower than tolerated (a stateless JWT lives its lifetime; an L1 cache its TTL), per-server state with "
               "more than one server or region.");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Rule 3: The significance gate: of the options left, the lowest p99 wins only when "
               "its 95 %% interval ends below the runner-up's; otherwise the verdict is no_measurable_difference.");
}

/* One row of the flip table: the verdict over a driver's range. */
static void flip_row(rp_ctx *c, const rp_flip *f)
{
    char steps[700] = "";
    int i;
    for (i = 0; i < f->nsteps; i++)
        snprintf(steps + strlen(steps), sizeof steps - strlen(steps), "%sfrom %.10g %s: `%s`", i ? "; " : "", f->at[i], f->unit,
                 rp_verdict_id(f->verdict[i]));
    rp_doc_add(c->doc, RP_B_TROW, NULL, "`%s`\t%s\t%s", f->driver, f->nsteps > 1 ? "yes" : "no", steps);
}

void rp_adr_sensitivity(rp_ctx *c)
{
    int f;
    rp_doc_add(c->doc, RP_B_H3, NULL, "Sensitivity: where the verdict flips (model-based)");
    rp_doc_add(c->doc, RP_B_P, NULL, "The rule re-run with one driver changed, the others as above. Distances not measured "
               "are reached by the rule's extrapolation, so this is a model over measured costs, not a measurement. The "
               "revocation row assumes instant revocation is required within the delay shown.");
    rp_doc_add(c->doc, RP_B_THEAD, NULL, "driver\tflips in range\tverdict from each value on");
    for (f = 0; f < RP_NFLIP; f++)
        flip_row(c, &c->sens->flip[f]);
}

/* rp_sens.c — sensitivity of the verdict: the decision rule re-run with one driver changed over a
 * range (store distance, peak load, token budget, tolerated revocation delay) to find where the
 * verdict flips, and over a grid of store distance × peak load (the winner map). Model-based: a
 * distance that was not measured is reached by the rule's extrapolation from measured costs. */
#include <math.h>
#include <string.h>

#include "rp_int.h"

static const double distances_us[] = {0, 50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000};
static const double budgets_b[] = {128, 256, 512, 1024, 2048, 4096, 8192};
static const double delays_s[] = {0, 1, 5, 30, 60, 300, 900, 3600};

/* The verdict with the drivers r. */
static int verdict_with(const rp_run *run, const rp_params *p, const rp_req *r)
{
    rp_decision d; /* ~60 KB on the stack */
    rp_decide(&d, run, p, r);
    return d.verdict;
}

/* Sets driver f of r to v. */
static void set_driver(rp_req *r, int f, double v)
{
    switch (f) {
    case RP_FLIP_DISTANCE: r->store_distance_us = v; break;
    case RP_FLIP_PEAK: r->peak_rps = v; break;
    case RP_FLIP_BUDGET: r->token_budget_bytes = v; break;
    default: r->revocation_delay_s = v; r->instant_revocation = 1; break;
    }
}

/* Scans driver f over values, keeping one step per change of verdict. */
static void scan(rp_flip *fl, int f, const double *values, size_t n, const rp_run *run, const rp_params *p, const rp_req *r)
{
    size_t i;
    fl->nsteps = 0;
    for (i = 0; i < n; i++) {
        rp_req q = *r;
        int v;
        set_driver(&q, f, values[i]);
        v = verdict_with(run, p, &q);
        if (fl->nsteps > 0 && fl->verdict[fl->nsteps - 1] == v)
            continue;
        if (fl->nsteps == RP_MAX_STEPS)
            break;
        fl->at[fl->nsteps] = values[i];
        fl->verdict[fl->nsteps++] = v;
    }
}

/* Peak loads: the drivers' peak × 1/8 … 16. */
static void peaks(double *v, size_t n, double peak)
{
    size_t i;
    for (i = 0; i < n; i++)
        v[i] = peak * ldexp(1, (int)i - 3);
}

void rp_sensitivity(rp_sens *s, const rp_run *run, const rp_params *p, const rp_req *r)
{
    double pk[RP_MAP_L];
    size_t i, j;
    memset(s, 0, sizeof *s);
    peaks(pk, RP_MAP_L, r->peak_rps);
    s->flip[RP_FLIP_DISTANCE] = (rp_flip){"store_distance_us", "µs", 0, {0}, {0}};
    s->flip[RP_FLIP_PEAK] = (rp_flip){"peak_requests_per_sec", "req/s", 0, {0}, {0}};
    s->flip[RP_FLIP_BUDGET] = (rp_flip){"token_budget_bytes", "B", 0, {0}, {0}};
    s->flip[RP_FLIP_REVOCATION] = (rp_flip){"revocation_delay_s", "s", 0, {0}, {0}};
    scan(&s->flip[RP_FLIP_DISTANCE], RP_FLIP_DISTANCE, distances_us, sizeof distances_us / sizeof *distances_us, run, p, r);
    scan(&s->flip[RP_FLIP_PEAK], RP_FLIP_PEAK, pk, RP_MAP_L, run, p, r);
    scan(&s->flip[RP_FLIP_BUDGET], RP_FLIP_BUDGET, budgets_b, sizeof budgets_b / sizeof *budgets_b, run, p, r);
    scan(&s->flip[RP_FLIP_REVOCATION], RP_FLIP_REVOCATION, delays_s, sizeof delays_s / sizeof *delays_s, run, p, r);
    for (i = 0; i < RP_MAP_D; i++)
        s->map_d[i] = distances_us[i];
    for (j = 0; j < RP_MAP_L; j++)
        s->map_l[j] = pk[j];
    for (i = 0; i < RP_MAP_D; i++)
        for (j = 0; j < RP_MAP_L; j++) {
            rp_req q = *r;
            q.store_distance_us = s->map_d[i];
            q.peak_rps = s->map_l[j];
            s->map[i][j] = verdict_with(run, p, &q);
        }
}

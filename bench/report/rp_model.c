/* rp_model.c — the capacity model: projected requests/s for N servers of C cores, calibrated from the
 * measured CPU cost per request and the shared store's measured capacity.
 *
 *   X(N) = min( N · C · 10^6 / cpu_us_per_req ,            every mechanism: CPU-bound app tier
 *               store_capacity_ops / store_ops_per_req ,    shared-store mechanisms only
 *               lb_capacity )                               when a load-balancer ceiling is given
 *
 * cpu_us_per_req and store_ops_per_req come from the series' cell with the fewest servers. Per-server
 * stores (memory, file) scale like stateless mechanisms but only behind a sticky load balancer; a
 * per-server store behind rr/random is not projected (its cells show the failures). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rp_int.h"

/* Cores per server: option, requirements, the run's machine, then 2. */
static void params_cores(rp_params *p, const rp_run *run, const ab_report_opts *o, const rp_req *r)
{
    double env = ab_json_num_or(run->root, "environment.cores", NAN);
    if (o != NULL && o->cores_per_server > 0) {
        p->cores = o->cores_per_server;
        snprintf(p->cores_src, sizeof p->cores_src, "--cores-per-server");
    } else if (rp_has(r->cores_per_server)) {
        p->cores = r->cores_per_server;
        snprintf(p->cores_src, sizeof p->cores_src, "requirements (cores_per_server)");
    } else if (rp_has(env) && env > 0) {
        p->cores = env;
        snprintf(p->cores_src, sizeof p->cores_src, "the run's machine (environment.cores)");
    } else {
        p->cores = 2;
        snprintf(p->cores_src, sizeof p->cores_src, "default (the run did not record its cores)");
    }
}

/* The highest store load a shared-store cell drove: a lower bound of the store's capacity. */
static const rp_cell *busiest_store_cell(const rp_run *run, double *ops)
{
    const rp_cell *best = NULL;
    size_t i;
    *ops = NAN;
    for (i = 0; i < run->ncells; i++) {
        const rp_cell *c = &run->cells[i];
        double v = rp_cell_num(c, "requests_per_sec") * rp_cell_num(c, "store_ops_per_req");
        if (!c->ok || c->fault != NULL || c->store == NULL || strncmp(c->store, "redis", 5) != 0 || !rp_has(v))
            continue;
        if (best == NULL || v > *ops) {
            best = c;
            *ops = v;
        }
    }
    return best;
}

/* Store capacity: option, results.json's store_capacity, then the run's own busiest store cell. */
static void params_store(rp_params *p, const rp_run *run, const ab_report_opts *o)
{
    double measured = ab_json_num_or(run->root, "store_capacity.redis_get_ops_per_sec", NAN);
    const rp_cell *c;
    if (o != NULL && o->store_capacity_ops > 0) {
        p->store_cap = o->store_capacity_ops;
        snprintf(p->store_cap_expr, sizeof p->store_cap_expr, "%.10g", p->store_cap);
        snprintf(p->store_cap_src, sizeof p->store_cap_src, "given with --store-capacity");
        return;
    }
    if (rp_has(measured) && measured > 0) {
        p->store_cap = measured;
        snprintf(p->store_cap_expr, sizeof p->store_cap_expr, "run.store_capacity.redis_get_ops_per_sec");
        snprintf(p->store_cap_src, sizeof p->store_cap_src, "measured by store-bench on the run's Redis (store_capacity)");
        return;
    }
    c = busiest_store_cell(run, &p->store_cap);
    if (c == NULL) {
        snprintf(p->store_cap_src, sizeof p->store_cap_src, "unknown: not measured and no Redis cell ran");
        return;
    }
    snprintf(p->store_cap_expr, sizeof p->store_cap_expr, "cells[%s].requests_per_sec * cells[%s].store_ops_per_req", c->id, c->id);
    snprintf(p->store_cap_src, sizeof p->store_cap_src,
             "a lower bound: the highest store load the run drove (cell `%s`); store_capacity was not measured", c->id);
}

void rp_params_init(rp_params *p, const rp_run *run, const ab_report_opts *o, const rp_req *r)
{
    memset(p, 0, sizeof *p);
    p->store_cap = NAN;
    params_cores(p, run, o, r);
    params_store(p, run, o);
    p->lb_cap = o != NULL && o->lb_capacity_rps > 0 ? o->lb_capacity_rps : NAN;
    p->max_servers = o != NULL && o->max_servers > 0 ? o->max_servers : 64;
}

/* The store ceiling of a shared-store series in requests/s; +inf for the others, NaN if unknown. */
static double store_ceiling(const rp_params *p, const rp_series *s)
{
    double ops;
    if (s->kind != RP_KIND_SHARED)
        return INFINITY;
    ops = rp_cell_num(s->base, "store_ops_per_req");
    if (!rp_has(ops) || !rp_has(p->store_cap))
        return NAN;
    return ops > 0 ? p->store_cap / ops : INFINITY;
}

double rp_model_rps(const rp_params *p, const rp_series *s, double n)
{
    double cpu, x, cap;
    if (s->base == NULL || !s->projectable)
        return NAN;
    cpu = rp_cell_num(s->base, "server_cpu_us_per_req");
    cap = store_ceiling(p, s);
    if (!rp_has(cpu) || cpu <= 0 || !rp_has(cap))
        return NAN;
    x = n * p->cores * 1e6 / cpu;
    x = fmin(x, cap);
    if (rp_has(p->lb_cap))
        x = fmin(x, p->lb_cap);
    return x;
}

void rp_model_expr(const rp_params *p, const rp_series *s, double n, char *buf, size_t len)
{
    const char *id = s->base ? s->base->id : "?";
    int k = snprintf(buf, len, "min(%.10g * %.10g * 1e6 / cells[%s].server_cpu_us_per_req", n, p->cores, id);
    if (k > 0 && (size_t)k < len && s->kind == RP_KIND_SHARED && rp_cell_num(s->base, "store_ops_per_req") > 0)
        k += snprintf(buf + k, len - (size_t)k, ", (%s) / cells[%s].store_ops_per_req", p->store_cap_expr, id);
    if (k > 0 && (size_t)k < len && rp_has(p->lb_cap))
        k += snprintf(buf + k, len - (size_t)k, ", %.10g", p->lb_cap);
    if (k > 0 && (size_t)k < len)
        snprintf(buf + k, len - (size_t)k, ")");
}

int rp_model_servers_for(const rp_params *p, const rp_series *s, double rps)
{
    int n;
    for (n = 1; n <= p->max_servers; n++)
        if (rp_model_rps(p, s, n) >= rps)
            return n;
    return 0;
}

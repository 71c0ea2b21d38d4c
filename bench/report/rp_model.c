/* rp_model.c — the capacity model: projected requests/s for N servers of C cores, calibrated from the
 * measured CPU cost per request and the measured capacity of the cell's own store.
 *
 *   X(N) = min( N · C · 10^6 / cpu_us_per_req ,            every mechanism: CPU-bound app tier
 *               store_capacity_ops / store_ops_per_req ,    shared-store mechanisms only
 *               lb_capacity )                               when a load-balancer ceiling is given
 *
 * cpu_us_per_req and store_ops_per_req come from the calibration cell: a series' cell with the
 * fewest servers, or the deployment cell the decision estimates from (CPU per request at the
 * deployment's rate and distance: it rises with distance). store_capacity is the cell's store's own:
 * Redis's, the Redis Cluster's (measured; else the single Redis × masters, labelled a projection),
 * PostgreSQL's, Memcached's. Per-server stores (memory, file) scale like stateless mechanisms but only
 * behind a sticky load balancer; a per-server store behind rr/random is not projected. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rp_int.h"

/* Store names in results.json and the store_capacity fields of each. */
static const char *const store_names[RP_NSTORES] = {"redis", "redis-cluster", "postgres", "memcached"};
static const char *const store_fields[RP_NSTORES] = {"redis_get_ops_per_sec", "redis_cluster_get_ops_per_sec",
                                                     "postgres_get_ops_per_sec", "memcached_get_ops_per_sec"};

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

int rp_model_store(const rp_cell *c)
{
    int s;
    for (s = 0; c != NULL && c->store != NULL && s < RP_NSTORES; s++)
        if (strcmp(c->store, store_names[s]) == 0)
            return s;
    return -1;
}

/* The highest store load a cell of store st drove: a lower bound of the store's capacity. */
static const rp_cell *busiest_store_cell(const rp_run *run, int st, double *ops)
{
    const rp_cell *best = NULL;
    size_t i;
    *ops = NAN;
    for (i = 0; i < run->ncells; i++) {
        const rp_cell *c = &run->cells[i];
        double v = rp_cell_num(c, "requests_per_sec") * rp_cell_num(c, "store_ops_per_req");
        if (!c->ok || c->fault != NULL || rp_model_store(c) != st || !rp_has(v))
            continue;
        if (best == NULL || v > *ops) {
            best = c;
            *ops = v;
        }
    }
    return best;
}

/* The capacity of store st: measured by store-bench, the cluster projected over its masters, else
 * the run's own busiest cell of that store (a lower bound). */
static void store_cap(rp_store_cap *sc, const rp_run *run, int st)
{
    double measured, masters;
    char path[96];
    const rp_cell *c;
    snprintf(path, sizeof path, "store_capacity.%s", store_fields[st]);
    measured = ab_json_num_or(run->root, path, NAN);
    sc->ops = NAN;
    if (rp_has(measured) && measured > 0) {
        sc->ops = measured;
        snprintf(sc->expr, sizeof sc->expr, "run.%s", path);
        snprintf(sc->src, sizeof sc->src, "measured by store-bench on the run's %s (%s)", store_names[st], path);
        return;
    }
    masters = ab_json_num_or(run->root, "store_capacity.redis_cluster_masters", NAN);
    measured = ab_json_num_or(run->root, "store_capacity.redis_get_ops_per_sec", NAN);
    if (st == RP_ST_CLUSTER && rp_has(masters) && masters > 0 && rp_has(measured) && measured > 0) {
        sc->ops = masters * measured;
        snprintf(sc->expr, sizeof sc->expr, "run.store_capacity.redis_cluster_masters * run.store_capacity.redis_get_ops_per_sec");
        snprintf(sc->src, sizeof sc->src, "a projection, not a measurement: %.0f masters × the single Redis's measured capacity "
                 "(the cluster's own was not measured)", masters);
        return;
    }
    c = busiest_store_cell(run, st, &sc->ops);
    if (c == NULL) {
        snprintf(sc->src, sizeof sc->src, "unknown: not measured and no %s cell ran", store_names[st]);
        return;
    }
    snprintf(sc->expr, sizeof sc->expr, "cells[%s].requests_per_sec * cells[%s].store_ops_per_req", c->id, c->id);
    snprintf(sc->src, sizeof sc->src, "a lower bound: the highest %s load the run drove (cell `%s`); its capacity was not "
             "measured", store_names[st], c->id);
}

/* Store capacities: --store-capacity for Redis, else each store's own. */
static void params_store(rp_params *p, const rp_run *run, const ab_report_opts *o)
{
    int st;
    for (st = 0; st < RP_NSTORES; st++)
        store_cap(&p->stores[st], run, st);
    if (o != NULL && o->store_capacity_ops > 0) {
        p->stores[RP_ST_REDIS].ops = o->store_capacity_ops;
        snprintf(p->stores[RP_ST_REDIS].expr, sizeof p->stores[RP_ST_REDIS].expr, "%.10g", o->store_capacity_ops);
        snprintf(p->stores[RP_ST_REDIS].src, sizeof p->stores[RP_ST_REDIS].src, "given with --store-capacity");
    }
    p->store_cap = p->stores[RP_ST_REDIS].ops;
    snprintf(p->store_cap_expr, sizeof p->store_cap_expr, "%s", p->stores[RP_ST_REDIS].expr);
    snprintf(p->store_cap_src, sizeof p->store_cap_src, "%s", p->stores[RP_ST_REDIS].src);
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

/* The store ceiling of cell c in requests/s: +inf without a store on the request path, NaN if unknown. */
static double store_ceiling(const rp_params *p, const rp_cell *c)
{
    int st = rp_model_store(c);
    double ops = rp_cell_num(c, "store_ops_per_req");
    if (st < 0 || ops == 0)
        return INFINITY;
    if (!rp_has(ops) || !rp_has(p->stores[st].ops))
        return NAN;
    return p->stores[st].ops / ops;
}

double rp_model_cell_rps(const rp_params *p, const rp_cell *c, double n)
{
    double cpu, x, cap;
    if (c == NULL)
        return NAN;
    cpu = rp_cell_num(c, "server_cpu_us_per_req");
    cap = store_ceiling(p, c);
    if (!rp_has(cpu) || cpu <= 0 || !rp_has(cap))
        return NAN;
    x = fmin(n * p->cores * 1e6 / cpu, cap);
    if (rp_has(p->lb_cap))
        x = fmin(x, p->lb_cap);
    return x;
}

void rp_model_cell_expr(const rp_params *p, const rp_cell *c, double n, char *buf, size_t len)
{
    const char *id = c ? c->id : "?";
    int st = rp_model_store(c);
    int k = snprintf(buf, len, "min(%.10g * %.10g * 1e6 / cells[%s].server_cpu_us_per_req", n, p->cores, id);
    if (k > 0 && (size_t)k < len && st >= 0 && rp_cell_num(c, "store_ops_per_req") > 0)
        k += snprintf(buf + k, len - (size_t)k, ", (%s) / cells[%s].store_ops_per_req", p->stores[st].expr, id);
    if (k > 0 && (size_t)k < len && rp_has(p->lb_cap))
        k += snprintf(buf + k, len - (size_t)k, ", %.10g", p->lb_cap);
    if (k > 0 && (size_t)k < len)
        snprintf(buf + k, len - (size_t)k, ")");
}

double rp_model_rps(const rp_params *p, const rp_series *s, double n)
{
    return s->base != NULL && s->projectable ? rp_model_cell_rps(p, s->base, n) : NAN;
}

void rp_model_expr(const rp_params *p, const rp_series *s, double n, char *buf, size_t len)
{
    rp_model_cell_expr(p, s->base, n, buf, len);
}

int rp_model_servers_for(const rp_params *p, const rp_series *s, double rps)
{
    int n;
    for (n = 1; n <= p->max_servers; n++)
        if (rp_model_rps(p, s, n) >= rps)
            return n;
    return 0;
}

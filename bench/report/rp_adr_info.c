/* rp_adr_info.c — the ADR's "More Information": charts, the capacity model with its parameters and
 * projections, key figures per cell, flagged cells, environment, scenario and every figure's source. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp_int.h"

/* One projected figure of series se at n servers, or dash text when it is not projected. */
static const char *proj_fig(rp_ctx *c, const rp_series *se, int n)
{
    char label[200], expr[400];
    if (!se->projectable)
        return "not projected (needs a sticky LB)";
    snprintf(label, sizeof label, "projection at %d server%s, %s", n, n == 1 ? "" : "s", se->label);
    rp_model_expr(c->params, se, n, expr, sizeof expr);
    return rp_figure(c->figs, label, rp_model_rps(c->params, se, n), RP_U_RPS, "%s", expr);
}

/* One row of the projections table. */
static void model_row(rp_ctx *c, const rp_series *se)
{
    static const char *const kinds[] = {"stateless", "per-server store", "shared store"};
    char need[64];
    const char *one, *max;
    int n = rp_model_servers_for(c->params, se, c->req->peak_rps);
    if (n > 0)
        snprintf(need, sizeof need, "%d", n);
    else
        snprintf(need, sizeof need, "%s", rp_has(rp_model_rps(c->params, se, 1)) ? "more than the maximum" : "—");
    one = proj_fig(c, se, 1);
    max = proj_fig(c, se, c->params->max_servers);
    rp_doc_add(c->doc, RP_B_TROW, NULL, "%s\t%s\t%s\t%s\t%s", se->label, kinds[se->kind], one, max, need);
}

/* The other stores' capacities (each store's own; the cluster's measured one, or a labelled projection). */
static void model_stores(rp_ctx *c)
{
    static const char *const names[RP_NSTORES] = {"Redis", "Redis Cluster", "PostgreSQL", "Memcached"};
    char label[96];
    int st;
    for (st = RP_ST_CLUSTER; st < RP_NSTORES; st++) {
        const rp_store_cap *sc = &c->params->stores[st];
        if (!rp_has(sc->ops))
            continue;
        snprintf(label, sizeof label, "%s capacity (ops/s)", names[st]);
        rp_doc_add(c->doc, RP_B_TROW, NULL, "%s capacity (ops/s)\t%s\t%s", names[st],
                   rp_figure(c->figs, label, sc->ops, RP_U_PLAIN, "%s", sc->expr), sc->src);
    }
}

/* The model against every measured server count of the closed-loop series: its error, flagged above 25 %. */
static void model_check(rp_ctx *c)
{
    size_t i;
    int rows = 0;
    for (i = 0; i < c->run->ncells; i++) {
        const rp_cell *cell = &c->run->cells[i];
        const rp_series *se = cell->series >= 0 ? &c->run->series[cell->series] : NULL;
        double got = rp_cell_num(cell, "requests_per_sec"), want = se ? rp_model_rps(c->params, se, cell->servers) : NAN;
        double e = (want - got) / got;
        if (se == NULL || !cell->ok || se->delay_us != 0 || !rp_has(want) || !(got > 0))
            continue;
        if (rows++ == 0) {
            rp_doc_add(c->doc, RP_B_P, NULL, "The model checked against every measured server count (error = (model − "
                       "measured) / measured; over 25 %% is flagged). Every server of a cell shares the one measuring "
                       "machine with the load generator, so the model overshoots once the machine's cores are busy: a "
                       "flagged row says how far to trust the projection from there on.");
            rp_doc_add(c->doc, RP_B_THEAD, NULL, "series\tservers\tmeasured\tmodel\terror\tflag");
        }
        rp_doc_add(c->doc, RP_B_TROW, NULL, "%s\t%.0f\t%.0f req/s\t%.0f req/s\t%+.0f %%\t%s", se->label, cell->servers, got, want,
                   100 * e, fabs(e) > 0.25 ? "over 25 %" : "");
    }
}

/* The formula, its parameters and the per-series projections. */
static void info_model(rp_ctx *c)
{
    const rp_params *p = c->params;
    size_t s;
    rp_doc_add(c->doc, RP_B_H3, NULL, "Capacity model (a projection, not a measurement)");
    rp_doc_add(c->doc, RP_B_PRE, NULL,
               "X(N) = min( N * C * 1e6 / cpu_us_per_req,          every mechanism: the app tier is CPU-bound\n"
               "            store_capacity / store_ops_per_req,    shared-store mechanisms (Redis sessions, denylist)\n"
               "            lb_capacity )                          when a load-balancer ceiling is given\n\n"
               "cpu_us_per_req    = server_cpu_us_per_req of the series' cell with the fewest servers (the decision's\n"
               "                    capacity uses its deployment cell's: CPU per request at the deployment's rate and distance)\n"
               "store_ops_per_req = store_ops_per_req of that cell\n"
               "store_capacity    = the capacity of the cell's own store (Redis, Redis Cluster, PostgreSQL, Memcached)");
    rp_doc_add(c->doc, RP_B_P, NULL, "Stateless mechanisms scale with N until the load balancer; shared-store ones flatten "
               "at the store's capacity; per-server stores (memory, file) scale like stateless ones but only behind a "
               "sticky load balancer, so a per-server store behind rr is not projected. Parameters (override with "
               "--cores-per-server, --store-capacity, --lb-capacity, --max-servers):");
    rp_doc_add(c->doc, RP_B_THEAD, NULL, "parameter\tvalue\tfrom");
    rp_doc_add(c->doc, RP_B_TROW, NULL, "C, cores per server\t%.10g\t%s", p->cores, p->cores_src);
    rp_doc_add(c->doc, RP_B_TROW, NULL, "store_capacity (ops/s)\t%s\t%s",
               rp_figure(c->figs, "store capacity (ops/s)", p->store_cap, RP_U_PLAIN, "%s", p->store_cap_expr), p->store_cap_src);
    model_stores(c);
    if (rp_has(p->lb_cap))
        rp_doc_add(c->doc, RP_B_TROW, NULL, "lb_capacity (req/s)\t%.10g\t--lb-capacity", p->lb_cap);
    else
        rp_doc_add(c->doc, RP_B_TROW, NULL, "lb_capacity (req/s)\tnone\tno ceiling given");
    rp_doc_add(c->doc, RP_B_TROW, NULL, "N, up to\t%d\t%s", p->max_servers, "--max-servers (default 64)");
    rp_doc_add(c->doc, RP_B_THEAD, NULL, "series\tkind\tprojected at 1 server\tprojected at %d servers\tservers for the peak of %.10g req/s",
               p->max_servers, c->req->peak_rps);
    for (s = 0; s < c->run->nseries; s++)
        if (c->run->series[s].delay_us == 0)
            model_row(c, &c->run->series[s]);
    rp_doc_add(c->doc, RP_B_P, NULL, "Series measured behind the latency proxy are not projected on their own: store "
               "distance changes latency, not the CPU cost or the store capacity the model uses.");
    model_check(c);
}

/* Flags of a cell for the key-figures table. */
static void cell_flags(const rp_cell *cell, char *buf, size_t len)
{
    const cJSON *hc = cJSON_GetObjectItemCaseSensitive(cell->json, "high_cv");
    double af = rp_cell_num(cell, "auth_failures");
    int n = snprintf(buf, len, "%s", "");
    if (!cell->ok)
        n += snprintf(buf + n, len - (size_t)n, "FAILED (see below); ");
    if (cJSON_IsTrue(hc))
        n += snprintf(buf + n, len - (size_t)n, "high CV; ");
    if (af > 0)
        n += snprintf(buf + n, len - (size_t)n, "auth failures; ");
    if (cell->fault != NULL)
        n += snprintf(buf + n, len - (size_t)n, "fault: %s; ", cell->fault);
    if (rp_has(cell->rate))
        n += snprintf(buf + n, len - (size_t)n, "open loop; ");
    if (n >= 2 && (size_t)n < len)
        buf[n - 2] = '\0';
}

/* The key figures of every cell, straight from results.json (— = not measured). */
static void info_cells(rp_ctx *c)
{
    static const char *const fields[] = {"requests_per_sec", "requests_per_sec_cv", "latency_us.p50", "latency_us.p99",
                                         "latency_us.p999", "server_cpu_us_per_req", "auth_cpu_us_per_req",
                                         "credential_bytes", "store_round_trips_per_req", "auth_failures"};
    size_t i, k;
    rp_doc_add(c->doc, RP_B_H3, NULL, "Key figures per cell");
    rp_doc_add(c->doc, RP_B_P, NULL, "Straight from results.json (medians over repetitions; latency from the merged "
               "histograms); — means not measured.");
    rp_doc_add(c->doc, RP_B_THEAD, NULL, "cell\tservers\tlb\tstore delay (µs)\treq/s\tCV\tp50 (µs)\tp99 (µs)\tp99.9 (µs)\t"
               "server CPU (µs/req)\tauth CPU (µs/req)\tcredential (B)\tstore round trips/req\tauth failures\tflags");
    for (i = 0; i < c->run->ncells; i++) {
        const rp_cell *cell = &c->run->cells[i];
        rp_buf row = {0};
        char num[48], num2[48], flags[600];
        rp_buf_printf(&row, "`%s`\t%s\t%s\t%s", cell->id, rp_fmt_num(cell->servers, num, sizeof num), cell->lb ? cell->lb : "—",
                      rp_fmt_num(rp_cell_num(cell, "store_delay_us"), num2, sizeof num2));
        for (k = 0; k < sizeof fields / sizeof fields[0]; k++)
            rp_buf_printf(&row, "\t%s", rp_fmt_num(rp_cell_num(cell, fields[k]), num, sizeof num));
        cell_flags(cell, flags, sizeof flags);
        rp_buf_printf(&row, "\t%s", flags);
        rp_doc_add(c->doc, RP_B_TROW, NULL, "%s", row.p ? row.p : "");
        rp_buf_free(&row);
    }
}

/* Failed and high-CV cells, said in words. */
static void info_flags(rp_ctx *c)
{
    size_t i, n = 0;
    rp_doc_add(c->doc, RP_B_H3, NULL, "Flagged cells");
    for (i = 0; i < c->run->ncells; i++) {
        const rp_cell *cell = &c->run->cells[i];
        if (!cell->ok) {
            rp_doc_add(c->doc, RP_B_LI, NULL, "`%s` failed (%s): it is left out of the charts and the decision.", cell->id,
                       cell->error ? cell->error : "no message");
            n++;
        } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cell->json, "high_cv"))) {
            rp_doc_add(c->doc, RP_B_LI, NULL, "`%s` has a high coefficient of variation across repetitions: its figures are "
                       "less certain than the others.", cell->id);
            n++;
        }
    }
    if (n == 0)
        rp_doc_add(c->doc, RP_B_P, NULL, "No cell failed and none has a high coefficient of variation.");
}

/* The environment object, one row per member. */
static void info_env(rp_ctx *c)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(c->run->root, "environment"), *m;
    rp_doc_add(c->doc, RP_B_H3, NULL, "Environment");
    if (!cJSON_IsObject(env)) {
        rp_doc_add(c->doc, RP_B_P, NULL, "The run did not record its environment.");
        return;
    }
    rp_doc_add(c->doc, RP_B_THEAD, NULL, "what\tvalue");
    cJSON_ArrayForEach(m, env) {
        if (cJSON_IsString(m))
            rp_doc_add(c->doc, RP_B_TROW, NULL, "%s\t%s", m->string, m->valuestring);
        else if (cJSON_IsNumber(m))
            rp_doc_add(c->doc, RP_B_TROW, NULL, "%s\t%.17g", m->string, m->valuedouble);
        else if (cJSON_IsBool(m))
            rp_doc_add(c->doc, RP_B_TROW, NULL, "%s\t%s", m->string, cJSON_IsTrue(m) ? "true" : "false");
    }
}

/* The scenario as run, verbatim. */
static void info_scenario(rp_ctx *c)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(c->run->root, "scenario");
    char *text = sc ? cJSON_Print(sc) : NULL;
    rp_doc_add(c->doc, RP_B_H3, NULL, "Scenario");
    if (text == NULL)
        rp_doc_add(c->doc, RP_B_P, NULL, "The run did not record its scenario.");
    else if (strlen(text) > 6000)
        rp_doc_add(c->doc, RP_B_P, NULL, "The scenario is in `scenario.json` beside results.json (too long to show here).");
    else
        rp_doc_add(c->doc, RP_B_PRE, NULL, "%s", text);
    free(text);
}

/* Every figure quoted above with its exact value and source expression. */
static void info_sources(rp_ctx *c)
{
    size_t i;
    rp_doc_add(c->doc, RP_B_H3, NULL, "Where the numbers come from");
    rp_doc_add(c->doc, RP_B_P, NULL, "Each bold figure above, its exact value and the expression over results.json "
               "(`cells[ID].field`, `run.field`) or micro.json (`micro[NAME].field`) that gives it. Numbers in the "
               "expressions are drivers or model parameters from the tables above.");
    rp_doc_add(c->doc, RP_B_THEAD, NULL, "figure\tshown\texact\tsource");
    for (i = 0; i < c->figs->n; i++) {
        const rp_fig *f = c->figs->v[i];
        rp_doc_add(c->doc, RP_B_TROW, NULL, "%s\t%s\t%.10g\t`%s`", f->label, f->shown, f->value, f->source);
    }
}

void rp_adr_more(rp_ctx *c)
{
    rp_doc_add(c->doc, RP_B_H2, NULL, "More Information");
    rp_adr_charts(c);
    info_model(c);
    info_cells(c);
    info_flags(c);
    info_env(c);
    info_scenario(c);
    info_sources(c);
}

/* rp_chart_c.c — chart data for latency vs throughput from the run's sweeps (with the SLO line and
 * the p99 intervals as error bars) and for the winner map over store distance × peak load (the
 * decision rule re-run by rp_sens.c: model-based). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp_int.h"

/* One sweep's block: "rate p99_ms lo_ms hi_ms reached" rows; returns the rows written. */
static int sweep_block(const cJSON *sw, rp_buf *d)
{
    const cJSON *p;
    int rows = 0;
    rp_buf_puts(d, "\"rate\" ");
    rp_dat_label(d, ab_json_str(sw, "label") ? ab_json_str(sw, "label") : "?");
    rp_buf_puts(d, "\n");
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(sw, "points")) {
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(p, "p99_ci95");
        double lo = cJSON_IsArray(ci) ? ab_json_num_or(cJSON_GetArrayItem(ci, 0), "", NAN) : NAN;
        double hi = cJSON_IsArray(ci) ? ab_json_num_or(cJSON_GetArrayItem(ci, 1), "", NAN) : NAN;
        double p99 = ab_json_num_or(p, "p99_us", NAN), rate = ab_json_num_or(p, "achieved_rate_per_sec", NAN);
        if (!rp_has(p99) || !rp_has(rate))
            continue;
        rp_dat_num(d, rate);
        rp_buf_printf(d, " %.10g ", p99 / 1000);
        rp_dat_num(d, rp_has(lo) ? lo / 1000 : p99 / 1000);
        rp_buf_puts(d, " ");
        rp_dat_num(d, rp_has(hi) ? hi / 1000 : p99 / 1000);
        rp_buf_printf(d, " %d\n", !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p, "rate_reached")));
        rows++;
    }
    rp_buf_puts(d, "\n\n");
    return rows;
}

int rp_chart_sweep(const rp_run *run, const rp_req *r, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    const cJSON *sw;
    rp_buf d = {0}, vars = {0};
    int styles[64], n = 0, rc = 0;
    snprintf(ch->title, sizeof ch->title, "Latency vs throughput (rate sweeps)");
    snprintf(ch->subtitle, sizeof ch->subtitle, "open loop; p99 with its 95%% interval; SLO %.10g ms; hollow: rate not reached",
             r->slo_p99_ms);
    cJSON_ArrayForEach(sw, cJSON_GetObjectItemCaseSensitive(run->root, "sweeps")) {
        if (n == 64)
            break;
        if (sweep_block(sw, &d) > 0)
            styles[n] = n, n++;
    }
    rp_style_vars(&vars, styles, (size_t)n);
    rp_buf_printf(&vars, "slo=%.10g; ", r->slo_p99_ms);
    if (n == 0)
        snprintf(ch->note, sizeof ch->note, "Chart 8 (latency vs throughput) is left out: the run has no rate sweeps "
                 "(results.json `sweeps`, schema 3).");
    else
        rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
    rp_buf_free(&d);
    rp_buf_free(&vars);
    return rc;
}

/* The colour of a verdict on the map: an option's own, grey for no difference, white for none. */
static const char *verdict_colour(int v)
{
    return v == RP_V_NO_DIFFERENCE ? "#bbbbbb" : v == RP_V_NONE ? "#ffffff" : rp_colour(v);
}

/* A short label of a verdict for the map's cells (the ids are too long for a cell). */
static const char *verdict_short(int v)
{
    static const char *const shorts[RP_NOPT] = {"session", "per-server", "JWT", "JWT+denylist", "pushed denylist",
                                                "session+L1", "JWT+cache", "JWT+refresh", "PostgreSQL", "Memcached",
                                                "denylist PG", "denylist MC", "pushed PG", "pushed MC"};
    return v == RP_V_NO_DIFFERENCE ? "no diff." : v == RP_V_NONE ? "none" : v >= 0 && v < RP_NOPT ? shorts[v] : "?";
}

int rp_chart_winners(const rp_sens *s, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    rp_buf d = {0}, vars = {0};
    int i, j, rc;
    snprintf(ch->title, sizeof ch->title, "Winner map (model-based)");
    snprintf(ch->subtitle, sizeof ch->subtitle, "the decision rule re-run over store distance × peak load; unmeasured "
             "distances extrapolated by the rule");
    rp_buf_puts(&d, "# x y rgb \"verdict\"\n");
    for (i = 0; i < RP_MAP_D; i++)
        for (j = 0; j < RP_MAP_L; j++) {
            unsigned rgb = (unsigned)strtoul(verdict_colour(s->map[i][j]) + 1, NULL, 16);
            rp_buf_printf(&d, "%d %d %u ", i, j, rgb);
            rp_dat_label(&d, verdict_short(s->map[i][j]));
            rp_buf_puts(&d, "\n");
        }
    rp_buf_printf(&vars, "nx=%d; ny=%d; xt='", RP_MAP_D, RP_MAP_L);
    for (i = 0; i < RP_MAP_D; i++)
        rp_buf_printf(&vars, "%s%.10g", i ? " " : "", s->map_d[i]);
    rp_buf_puts(&vars, "'; yt='");
    for (j = 0; j < RP_MAP_L; j++)
        rp_buf_printf(&vars, "%s%.0f", j ? " " : "", s->map_l[j]);
    rp_buf_puts(&vars, "'; ");
    rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
    rp_buf_free(&d);
    rp_buf_free(&vars);
    return rc;
}

/* The median of v[0..n) (sorted in place); NaN when n is 0. */
static double median_of(double *v, int n)
{
    int i, j;
    for (i = 1; i < n; i++) /* a handful of repetitions: insertion sort */
        for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n == 0 ? NAN : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define RP_SS_SECS 600 /* seconds of a window the chart draws */
#define RP_SS_REPS 16  /* repetitions per second it takes the median of */

/* One store-sweep cell's block: per second, the median over repetitions of that second's p99 (ms),
 * drawn as a step over [s, s+1) like chart 7; a last row closes the final step. Returns 1 when drawn. */
static int storesweep_block(const rp_cell *c, rp_buf *d)
{
    double p99[RP_SS_SECS][RP_SS_REPS];
    int n[RP_SS_SECS] = {0}, sec, last = -1;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(c->json, "timeseries")) {
        double s = ab_json_num_or(row, "second", NAN), v = ab_json_num_or(row, "p99_us", NAN);
        if (!rp_has(s) || !rp_has(v) || s < 0 || s >= RP_SS_SECS || n[(int)s] == RP_SS_REPS)
            continue;
        sec = (int)s;
        p99[sec][n[sec]++] = v / 1000;
        last = sec > last ? sec : last;
    }
    if (last < 0)
        return 0;
    rp_dat_second_head(d, c->label);
    for (sec = 0; sec <= last; sec++)
        if (n[sec] > 0)
            rp_buf_printf(d, "%d %.10g\n", sec, median_of(p99[sec], n[sec]));
    rp_buf_printf(d, "%d %.10g\n\n\n", last + 1, median_of(p99[last], n[last]));
    return 1;
}

int rp_chart_storesweep(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    rp_buf d = {0}, vars = {0}, ats = {0};
    int styles[64], rc = 0;
    size_t i, n = 0;
    for (i = 0; i < run->ncells && n < 64; i++) {
        const rp_cell *c = &run->cells[i];
        double at = rp_cell_num(c, "store_sweep.started_s"); /* as measured, else as asked */
        if (!rp_has(at))
            at = rp_cell_num(c, "store_sweep.at_s");
        if (!c->ok || !rp_has(at) || !storesweep_block(c, &d))
            continue;
        rp_buf_printf(&ats, "%s%.10g", n ? " " : "", at);
        styles[n] = (int)n;
        n++;
    }
    snprintf(ch->title, sizeof ch->title, "Latency through a sweep of expired sessions");
    snprintf(ch->subtitle, sizeof ch->subtitle, "per-second p99 (median of repetitions) at each cell's offered rate");
    if (n == 0) {
        snprintf(ch->note, sizeof ch->note, "Chart 10 (store sweeps) is left out: the run has no store-sweep cell "
                 "(results.json `store_sweep`) with a per-second timeseries.");
        goto done;
    }
    rp_style_vars(&vars, styles, n);
    rp_buf_printf(&vars, "ats='%s'; ", ats.p);
    rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
done:
    rp_buf_free(&d);
    rp_buf_free(&vars);
    rp_buf_free(&ats);
    return rc;
}

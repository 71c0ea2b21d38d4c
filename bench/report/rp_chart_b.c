/* rp_chart_b.c — chart data for I/O per request, the micro-benchmarks, store network distance and
 * availability through the store outage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp_int.h"

int rp_chart_io(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    static const char *const cols[] = {"client_bytes_out_per_req", "credential_bytes", "store_net_bytes_per_req",
                                       "disk_bytes_read_per_req", "disk_bytes_written_per_req",
                                       "store_round_trips_per_req", "fsyncs_per_req"};
    static const int panel_of[7] = {0, 0, 1, 2, 2, 3, 3}; /* the four panels of io.gp */
    rp_buf d = {0}, vars = {0};
    double servers = rp_compare_servers(run);
    size_t s, k;
    int n = 0, rc = 0, measured[4] = {0};
    snprintf(ch->title, sizeof ch->title, "I/O per request");
    snprintf(ch->subtitle, sizeof ch->subtitle, "%.0f server%s, closed loop; n/m marks a figure not measured (not zero)",
             servers, servers == 1 ? "" : "s");
    rp_buf_puts(&d, "# label");
    for (k = 0; k < 7; k++)
        rp_buf_printf(&d, " %s", cols[k]);
    rp_buf_puts(&d, " nm_wire nm_store nm_disk nm_ops\n");
    for (s = 0; s < run->nseries; s++) {
        const rp_cell *c = rp_series_cell(run, (int)s, servers);
        int missing[4] = {0};
        if (c == NULL)
            continue;
        rp_dat_label(&d, run->series[s].label);
        for (k = 0; k < 7; k++) {
            double v = rp_cell_num(c, cols[k]);
            rp_buf_puts(&d, " ");
            rp_dat_num(&d, v);
            if (rp_has(v))
                measured[panel_of[k]] = 1;
            else
                missing[panel_of[k]] = 1;
        }
        for (k = 0; k < 4; k++)
            rp_buf_puts(&d, missing[k] ? " \"n/m\"" : " \"\"");
        rp_buf_puts(&d, "\n");
        n++;
    }
    rp_buf_printf(&vars, "rows=%d; m1=%d; m2=%d; m3=%d; m4=%d; ", n, measured[0], measured[1], measured[2], measured[3]);
    if (n == 0)
        snprintf(ch->note, sizeof ch->note, "Chart 4 (I/O per request) is left out: no successful cell at %.0f server(s).", servers);
    else
        rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
    rp_buf_free(&d);
    rp_buf_free(&vars);
    return rc;
}

/* One micro row: ALG verify floor peer sign (µs); returns 1 when verify was measured. */
static int micro_row(const cJSON *micro, const char *alg, rp_buf *d)
{
    static const char *const fmts[] = {"BM_jwt_verify/%s/typical", "BM_floor_verify/%s", "BM_peer_libjwt_verify/%s",
                                       "BM_jwt_sign/%s/typical"};
    char name[96], key[112];
    size_t i;
    double v[4], lo[4], hi[4], f;
    for (i = 0; i < 4; i++) {
        snprintf(name, sizeof name, fmts[i], alg);
        v[i] = rp_micro_us(micro, name, key, sizeof key, &f);
        rp_micro_ci(micro, name, &lo[i], &hi[i]);
    }
    if (!rp_has(v[0]))
        return 0;
    rp_buf_printf(d, "%s", alg);
    for (i = 0; i < 4; i++) { /* value, low, high: the histogram's error-bar columns */
        rp_buf_puts(d, " ");
        rp_dat_num(d, v[i]);
        rp_buf_puts(d, " ");
        rp_dat_num(d, rp_has(lo[i]) ? lo[i] : v[i]);
        rp_buf_puts(d, " ");
        rp_dat_num(d, rp_has(hi[i]) ? hi[i] : v[i]);
    }
    rp_buf_puts(d, "\n");
    return 1;
}

int rp_chart_micro(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    rp_buf d = {0}, vars = {0};
    char algs[32][16];
    size_t n, i;
    int rows = 0, rc = 0;
    snprintf(ch->title, sizeof ch->title, "Micro-benchmarks: JWT verify and sign");
    snprintf(ch->subtitle, sizeof ch->subtitle, "beside the OpenSSL floor and libjwt; median of repetitions with its 95%% interval; missing bar = not run");
    if (run->micro == NULL) {
        snprintf(ch->note, sizeof ch->note, "Chart 5 (micro-benchmarks) is left out: %s.", run->micro_note);
        return 0;
    }
    n = rp_micro_algs(run->micro, algs, 32);
    rp_buf_puts(&d, "# alg, then verify floor peer_libjwt sign, each as us low_us high_us (real time: median of the "
                "repetitions and its bootstrap 95 % interval; the median again when it ran once)\n");
    for (i = 0; i < n; i++)
        rows += micro_row(run->micro, algs[i], &d);
    if (rows == 0)
        snprintf(ch->note, sizeof ch->note, "Chart 5 (micro-benchmarks) is left out: micro.json has no BM_jwt_verify/<ALG>/typical result.");
    else
        rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
    rp_buf_free(&d);
    rp_buf_free(&vars);
    return rc;
}

/* Fewest servers among cells measured behind the proxy (store_delay_us > 0); NaN if none. */
static double distance_servers(const rp_run *run)
{
    double best = NAN;
    size_t i;
    for (i = 0; i < run->ncells; i++)
        if (run->cells[i].series >= 0 && run->cells[i].ok && run->cells[i].delay_us > 0 && !(run->cells[i].servers >= best))
            best = run->cells[i].servers;
    return best;
}

/* One "delay ms lo_ms hi_ms" row of a distance block: the p99's interval over repetitions (schema 3)
 * when ci and measured, else a zero-height bar at the value. */
static void distance_row(rp_buf *b, const rp_cell *c, const char *key, int ci)
{
    double v = rp_cell_num(c, key) / 1000;
    double lo = ci ? rp_cell_num(c, "repetition_stats.p99_us.ci95_low") / 1000 : NAN;
    double hi = ci ? rp_cell_num(c, "repetition_stats.p99_us.ci95_high") / 1000 : NAN;
    rp_buf_printf(b, "%.10g ", c->delay_us);
    rp_dat_num(b, v);
    rp_buf_puts(b, " ");
    rp_dat_num(b, rp_has(lo) && rp_has(hi) ? lo : v);
    rp_buf_puts(b, " ");
    rp_dat_num(b, rp_has(lo) && rp_has(hi) ? hi : v);
    rp_buf_puts(b, "\n");
}

/* Writes one store mechanism's p99 and p50 blocks over delay when it was measured at ≥ 2 delays;
 * returns the blocks written (0 or 2). */
static int distance_store_blocks(const rp_run *run, const char *mech, double servers, rp_buf *d, int *style)
{
    static const char *const keys[2] = {"latency_us.p99", "latency_us.p50"};
    const rp_cell *first = NULL;
    double prev;
    size_t i, k, npts = 0;
    rp_buf b = {0};
    for (k = 0; k < 2; k++) {
        rp_buf_printf(&b, "delay \"%s %s\"\n", mech, k ? "p50" : "p99");
        for (prev = -1;;) {
            const rp_cell *next = NULL;
            for (i = 0; i < run->ncells; i++) {
                const rp_cell *c = &run->cells[i];
                if (c->series >= 0 && c->ok && c->servers == servers && strcmp(c->mechanism, mech) == 0 &&
                    c->delay_us > prev && (next == NULL || c->delay_us < next->delay_us))
                    next = c;
            }
            if (next == NULL)
                break;
            first = first ? first : next;
            prev = next->delay_us;
            distance_row(&b, next, keys[k], k == 0);
            npts += k == 0;
        }
        rp_buf_puts(&b, "\n\n");
    }
    *style = first ? first->style : 0;
    if (npts >= 2 && b.p != NULL)
        rp_buf_puts(d, b.p);
    rp_buf_free(&b);
    return npts >= 2 ? 2 : 0;
}

/* A flat p99 block of a stateless series between minx and maxx. */
static void distance_flat_block(const rp_cell *c, double minx, double maxx, rp_buf *d)
{
    double v = rp_cell_num(c, "latency_us.p99") / 1000;
    rp_buf_printf(d, "delay \"%s p99 (no store)\"\n%.10g ", c->label, minx);
    rp_dat_num(d, v);
    rp_buf_puts(d, " ");
    rp_dat_num(d, v);
    rp_buf_puts(d, " ");
    rp_dat_num(d, v);
    rp_buf_printf(d, "\n%.10g ", maxx);
    rp_dat_num(d, v);
    rp_buf_puts(d, " ");
    rp_dat_num(d, v);
    rp_buf_puts(d, " ");
    rp_dat_num(d, v);
    rp_buf_puts(d, "\n\n\n");
}

/* Distinct store mechanisms measured at ≥ 2 delays; returns their count (≤ max). */
static size_t distance_mechs(const rp_run *run, double servers, const char **mechs, size_t max, double *minx, double *maxx)
{
    size_t i, k, n = 0;
    for (i = 0; i < run->ncells; i++) {
        const rp_cell *c = &run->cells[i];
        if (c->series < 0 || !c->ok || c->servers != servers || rp_kind_of(c->family, c->store) != RP_KIND_SHARED)
            continue;
        *minx = fmin(*minx, c->delay_us);
        *maxx = fmax(*maxx, c->delay_us);
        for (k = 0; k < n && strcmp(mechs[k], c->mechanism) != 0; k++)
            ;
        if (k == n && n < max)
            mechs[n++] = c->mechanism;
    }
    return n;
}

int rp_chart_distance(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    rp_buf d = {0}, vars = {0}, dts = {0};
    const char *mechs[32];
    double servers = distance_servers(run), minx = INFINITY, maxx = -INFINITY;
    int styles[128], rc = 0;
    size_t nm, i, n = 0, nstore;
    snprintf(ch->title, sizeof ch->title, "Store network distance");
    snprintf(ch->subtitle, sizeof ch->subtitle, "%.0f server%s; solid p99, dashed p50; JWT p99 flat",
             servers, servers == 1 ? "" : "s");
    nm = distance_mechs(run, servers, mechs, 32, &minx, &maxx);
    for (i = 0; i < nm && n + 2 <= 64; i++)
        if (distance_store_blocks(run, mechs[i], servers, &d, &styles[n]) == 2) {
            styles[n + 1] = styles[n];
            n += 2;
        }
    nstore = n;
    for (i = 0; n > 0 && i < run->nseries && n < 128; i++) {
        const rp_cell *c = rp_series_cell(run, (int)i, servers);
        if (c == NULL || c->family == NULL || strcmp(c->family, "jwt") != 0)
            continue;
        distance_flat_block(c, minx, maxx, &d);
        styles[n++] = c->style;
    }
    if (nstore == 0 || maxx <= minx) {
        snprintf(ch->note, sizeof ch->note, "Chart 6 (store network distance) is left out: no store-backed mechanism was "
                 "measured at two or more proxy delays.");
        goto done;
    }
    for (i = 0; i < n; i++) /* store blocks come in p99/p50 pairs; flat JWT lines are p99 */
        rp_buf_printf(&dts, "%s%d", i ? " " : "", i < nstore ? (i % 2 ? 2 : 1) : rp_style_dash(styles[i]));
    rp_style_vars(&vars, styles, n);
    rp_buf_printf(&vars, "dts='%s'; minx=%.10g; maxx=%.10g; ", dts.p, minx, maxx);
    rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
done:
    rp_buf_free(&d);
    rp_buf_free(&vars);
    rp_buf_free(&dts);
    return rc;
}

/* label without the fault's part ("session redis (store outage)" → "session redis"): the chart is
 * about the outage, and the key must leave room for the plot. */
static void outage_label(const char *label, char *buf, size_t len)
{
    static const char *const parts[] = {" (store outage)", ", store outage"};
    char *p;
    size_t i;
    snprintf(buf, len, "%s", label);
    for (i = 0; i < 2; i++)
        if ((p = strstr(buf, parts[i])) != NULL)
            memmove(p, p + strlen(parts[i]), strlen(p + strlen(parts[i])) + 1);
}

/* One outage cell's block: per second, the mean over repetitions of goodput (answers that were not
 * errors or 401s) and failures, each second's bucket [s, s+1) drawn as a step so a failure is never
 * drawn before the second it happened in; a last row closes the final step. */
static int avail_block(const rp_cell *c, rp_buf *d)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(c->json, "timeseries"), *row;
    double good[3600] = {0}, fail[3600] = {0}, reps[3600] = {0};
    char label[200];
    int sec, last = -1;
    cJSON_ArrayForEach(row, ts) {
        double s = ab_json_num_or(row, "second", NAN), r = ab_json_num_or(row, "requests", NAN);
        double e = ab_json_num_or(row, "errors", NAN), a = ab_json_num_or(row, "auth_failures", NAN);
        double ok = ab_json_num_or(row, "ok", NAN);
        if (!rp_has(s) || !rp_has(r) || s < 0 || s >= 3600)
            continue;
        sec = (int)s;
        fail[sec] += (rp_has(e) ? e : 0) + (rp_has(a) ? a : 0);
        /* goodput: the second's 2xx answers; for a run from before "ok", answered less failures
         * (which counts a refused connection, never answered, twice) */
        good[sec] += rp_has(ok) ? ok : fmax(0, r - (rp_has(e) ? e : 0) - (rp_has(a) ? a : 0));
        reps[sec] += 1;
        last = sec > last ? sec : last;
    }
    if (last < 0)
        return 0;
    outage_label(c->label, label, sizeof label);
    rp_dat_second_head(d, label);
    for (sec = 0; sec <= last; sec++)
        if (reps[sec] > 0)
            rp_buf_printf(d, "%d %.10g %.10g\n", sec, good[sec] / reps[sec], fail[sec] / reps[sec]);
    if (reps[last] > 0)
        rp_buf_printf(d, "%d %.10g %.10g\n", last + 1, good[last] / reps[last], fail[last] / reps[last]);
    rp_buf_puts(d, "\n\n");
    return 1;
}

int rp_chart_avail(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    rp_buf d = {0}, vars = {0};
    int styles[64], rc = 0;
    double fault = NAN;
    size_t i, n = 0;
    for (i = 0; i < run->ncells && n < 64; i++) {
        const rp_cell *c = &run->cells[i];
        if (c->fault == NULL || strcmp(c->fault, "store-outage") != 0 || !avail_block(c, &d))
            continue;
        styles[n] = (int)n; /* its own colours: two mechanisms' shared style must not look like one */
        n++;
        if (!rp_has(fault))
            fault = c->fault_at_s;
    }
    snprintf(ch->title, sizeof ch->title, "Availability through a store outage");
    snprintf(ch->subtitle, sizeof ch->subtitle, "per second, mean of repetitions; store stopped at %.2f s", fault);
    if (n == 0 || !rp_has(fault)) {
        snprintf(ch->note, sizeof ch->note, "Chart 7 (availability) is left out: the run has no store-outage cell with a "
                 "per-second timeseries and a fault time.");
        goto done;
    }
    rp_style_vars(&vars, styles, n);
    rp_buf_printf(&vars, "fault=%.10g; ", fault);
    rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
done:
    rp_buf_free(&d);
    rp_buf_free(&vars);
    return rc;
}

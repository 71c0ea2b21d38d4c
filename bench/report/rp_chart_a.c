/* rp_chart_a.c — chart data for throughput vs servers (with the projection), the latency percentile
 * spectrum and the CPU cost per request; plus the helpers every chart maker shares. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_hist.h"
#include "rp_int.h"

static const int rp_points[RP_NCOLOURS] = {7, 5, 9, 11, 13, 15, 3, 1};

void rp_dat_label(rp_buf *b, const char *label)
{
    rp_buf_puts(b, "\"");
    for (; *label; label++)
        rp_buf_put(b, *label == '"' ? "'" : label, 1);
    rp_buf_puts(b, "\"");
}

void rp_dat_second_head(rp_buf *b, const char *label)
{
    rp_buf_puts(b, "second ");
    rp_dat_label(b, label);
    rp_buf_puts(b, "\n");
}

void rp_dat_num(rp_buf *b, double v)
{
    if (rp_has(v))
        rp_buf_printf(b, "%.10g", v);
    else
        rp_buf_puts(b, "NaN");
}

int rp_style_dash(int style)
{
    static const int dashes[3] = {1, 4, 3}; /* a colour's second and third use: dash-dot, dotted */
    return dashes[(style / RP_NCOLOURS) % 3];
}

void rp_style_vars(rp_buf *vars, const int *styles, size_t n)
{
    size_t i;
    rp_buf_printf(vars, "n=%zu; colors='", n);
    for (i = 0; i < n; i++)
        rp_buf_printf(vars, "%s%s", i ? " " : "", rp_colour(styles[i]));
    rp_buf_puts(vars, "'; points='");
    for (i = 0; i < n; i++)
        rp_buf_printf(vars, "%s%d", i ? " " : "", rp_points[(styles[i] + styles[i] / RP_NCOLOURS) % RP_NCOLOURS]);
    rp_buf_puts(vars, "'; dashes='");
    for (i = 0; i < n; i++)
        rp_buf_printf(vars, "%s%d", i ? " " : "", rp_style_dash(styles[i]));
    rp_buf_puts(vars, "'; ");
}

int rp_chart_emit(const rp_plot *pl, rp_chart *ch, const rp_buf *data, const rp_buf *vars, char *err, size_t errlen)
{
    rp_buf all = {0};
    int rc = -1;
    rp_buf_printf(&all, "%s title=", vars->p ? vars->p : "");
    rp_gp_quote(&all, ch->title);
    rp_buf_puts(&all, "; subtitle=");
    rp_gp_quote(&all, ch->subtitle);
    if (all.oom)
        snprintf(err, errlen, "out of memory");
    else if (rp_plot_data(pl, ch->name, data, err, errlen) == 0 && rp_plot_run(pl, ch->name, all.p, err, errlen) == 0)
        rc = 0;
    ch->made = rc == 0;
    rp_buf_free(&all);
    return rc;
}

double rp_compare_servers(const rp_run *run)
{
    double best = NAN;
    size_t i;
    for (i = 0; i < run->ncells; i++)
        if (run->cells[i].series >= 0 && run->cells[i].ok && !(run->cells[i].servers >= best))
            best = run->cells[i].servers;
    return best;
}

/* One series' measured block: "servers rps" rows in server order. Returns the rows written. */
static int throughput_block(const rp_run *run, int s, rp_buf *d)
{
    double n;
    int rows = 0;
    rp_buf_puts(d, "servers ");
    rp_dat_label(d, run->series[s].label);
    rp_buf_puts(d, "\n");
    for (n = 1; n <= 1024; n++) {
        const rp_cell *c = rp_series_cell(run, s, n);
        double rps = rp_cell_num(c, "requests_per_sec");
        if (c != NULL && rp_has(rps)) {
            rp_buf_printf(d, "%.0f %.10g\n", n, rps);
            rows++;
        }
    }
    if (rows == 0)
        rp_buf_puts(d, "NaN NaN\n");
    rp_buf_puts(d, "\n\n");
    return rows;
}

/* One series' projection block, 1..max_servers (all NaN when s < 0). */
static void projection_block(const rp_run *run, const rp_params *p, int s, rp_buf *d)
{
    int n;
    rp_buf_puts(d, "servers \"projection\"\n");
    for (n = 1; n <= p->max_servers; n++) {
        rp_buf_printf(d, "%d ", n);
        rp_dat_num(d, s >= 0 ? rp_model_rps(p, &run->series[s], n) : NAN);
        rp_buf_puts(d, "\n");
    }
    rp_buf_puts(d, "\n\n");
}

int rp_chart_throughput(const rp_run *run, const rp_params *p, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    rp_buf d = {0}, vars = {0};
    int *styles = calloc(run->nseries + 1, sizeof *styles), rows = 0, rc = -1;
    size_t s;
    snprintf(ch->title, sizeof ch->title, "Throughput vs app servers");
    snprintf(ch->subtitle, sizeof ch->subtitle, "measured (points); capacity-model projection (dashed), %.10g cores/server",
             p->cores);
    if (styles == NULL)
        goto done;
    for (s = 0; s < run->nseries; s++) {
        rows += throughput_block(run, (int)s, &d);
        styles[s] = run->series[s].style;
    }
    for (s = 0; s < run->nseries; s++) /* one projection per mechanism: distance changes latency, not capacity */
        projection_block(run, p, run->series[s].delay_us == 0 ? (int)s : -1, &d);
    if (rows == 0) {
        snprintf(ch->note, sizeof ch->note, "Chart 1 (throughput vs servers) is left out: no cell of the main comparison measured requests/s.");
        rc = 0;
        goto done;
    }
    rp_style_vars(&vars, styles, run->nseries);
    rp_buf_printf(&vars, "maxservers=%d; ", p->max_servers);
    rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
done:
    if (styles == NULL)
        snprintf(err, errlen, "out of memory");
    free(styles);
    rp_buf_free(&d);
    rp_buf_free(&vars);
    return rc;
}

/* Spectrum rows from the cell's merged histogram (ns); returns the largest x written, 0 if none. */
static double spectrum_from_hist(const rp_cell *c, rp_buf *d)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(c->json, "histogram");
    ab_hist *hist = cJSON_IsString(h) ? ab_hist_decode(h->valuestring) : NULL;
    double x, last = 0, count;
    int k;
    if (hist == NULL)
        return 0;
    count = (double)ab_hist_count(hist);
    for (k = 0; (x = 2 * pow(10, k / 20.0)) <= fmin(count, 1e5) * 1.0001; k++) {
        rp_buf_printf(d, "%.6g %.6g\n", x, (double)ab_hist_percentile(hist, 100 * (1 - 1 / x)) / 1e6);
        last = x;
    }
    ab_hist_free(hist);
    return last;
}

/* Spectrum rows from the summary percentiles (µs) when there is no histogram. */
static double spectrum_from_summary(const rp_cell *c, rp_buf *d)
{
    static const char *const keys[] = {"latency_us.p50", "latency_us.p90", "latency_us.p99", "latency_us.p999", "latency_us.p9999"};
    static const double xs[] = {2, 10, 100, 1000, 10000};
    double last = 0;
    size_t i;
    for (i = 0; i < 5; i++)
        if (rp_has(rp_cell_num(c, keys[i]))) {
            rp_buf_printf(d, "%g %.6g\n", xs[i], rp_cell_num(c, keys[i]) / 1000);
            last = xs[i];
        }
    return last;
}

int rp_chart_spectrum(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    rp_buf d = {0}, vars = {0};
    double servers = rp_compare_servers(run), maxx = 0;
    int styles[256], rc = 0;
    size_t s, n = 0;
    snprintf(ch->title, sizeof ch->title, "Latency percentile spectrum");
    snprintf(ch->subtitle, sizeof ch->subtitle, "closed loop at saturation, %.0f server%s, mix '%s'", servers,
             servers == 1 ? "" : "s", run->main_mix ? run->main_mix : "?");
    for (s = 0; s < run->nseries && n < 256; s++) {
        const rp_cell *c = rp_series_cell(run, (int)s, servers);
        double x;
        if (c == NULL)
            continue;
        rp_buf_puts(&d, "x ");
        rp_dat_label(&d, run->series[s].label);
        rp_buf_puts(&d, "\n");
        x = spectrum_from_hist(c, &d);
        if (x == 0)
            x = spectrum_from_summary(c, &d);
        if (x == 0)
            rp_buf_puts(&d, "NaN NaN\n");
        rp_buf_puts(&d, "\n\n");
        maxx = fmax(maxx, x);
        styles[n++] = run->series[s].style;
    }
    if (maxx == 0)
        snprintf(ch->note, sizeof ch->note, "Chart 2 (latency spectrum) is left out: no cell at %.0f server(s) has a histogram or percentiles.", servers);
    else {
        rp_style_vars(&vars, styles, n);
        rp_buf_printf(&vars, "maxx=%g; ", fmax(maxx * 1.5, 150));
        rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
    }
    rp_buf_free(&d);
    rp_buf_free(&vars);
    return rc;
}

/* One CPU row; returns 1 when written. */
static int cpu_row(const rp_run *run, size_t s, const rp_cell *c, int idx, rp_buf *d)
{
    double cpu = rp_cell_num(c, "server_cpu_us_per_req"), auth = rp_cell_num(c, "auth_cpu_us_per_req");
    unsigned rgb = (unsigned)strtoul(rp_colour(run->series[s].style) + 1, NULL, 16);
    if (!rp_has(cpu))
        return 0;
    rp_buf_printf(d, "%d ", idx);
    rp_dat_label(d, run->series[s].label);
    rp_buf_puts(d, " ");
    rp_dat_num(d, rp_has(auth) ? fmin(auth, cpu) : NAN);
    rp_buf_puts(d, " ");
    rp_dat_num(d, rp_has(auth) ? cpu - fmin(auth, cpu) : NAN);
    rp_buf_puts(d, " ");
    rp_dat_num(d, rp_has(auth) ? NAN : cpu);
    rp_buf_printf(d, " %u ", rgb);
    rp_dat_num(d, rp_cell_num(c, "repetition_stats.server_cpu_us_per_req.ci95_low"));
    rp_buf_puts(d, " ");
    rp_dat_num(d, rp_cell_num(c, "repetition_stats.server_cpu_us_per_req.ci95_high"));
    rp_buf_printf(d, " %.10g\n", cpu); /* the bar's top, where its error bar sits */
    return 1;
}

int rp_chart_cpu(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen)
{
    rp_buf d = {0}, vars = {0};
    double servers = rp_compare_servers(run);
    int n = 0, rc = 0;
    size_t s;
    snprintf(ch->title, sizeof ch->title, "Server CPU per request");
    snprintf(ch->subtitle, sizeof ch->subtitle, "authenticate() vs HTTP and the rest, %.0f server%s, closed loop", servers,
             servers == 1 ? "" : "s");
    rp_buf_puts(&d, "# index label auth_cpu_us_per_req http_other_us unsplit_server_cpu_us rgb ci95_low_us ci95_high_us server_cpu_us\n");
    for (s = 0; s < run->nseries; s++) {
        const rp_cell *c = rp_series_cell(run, (int)s, servers);
        if (c != NULL)
            n += cpu_row(run, s, c, n, &d);
    }
    if (n == 0)
        snprintf(ch->note, sizeof ch->note, "Chart 3 (CPU per request) is left out: no cell at %.0f server(s) measured server_cpu_us_per_req.", servers);
    else {
        rp_buf_printf(&vars, "n=%d; ", n);
        rc = rp_chart_emit(pl, ch, &d, &vars, err, errlen);
    }
    rp_buf_free(&d);
    rp_buf_free(&vars);
    return rc;
}

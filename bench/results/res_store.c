/* res_store.c — what a store's own work did to a cell: the live sessions it held and their bytes
 * (sessions_live, store_bytes_per_session), and, for a store-sweep cell, the latency before, through
 * and after the sweep from its repetitions' per-second series (the store_sweep object). The model is
 * res_fault.c: one repetition read at a time, medians over them. */
#include "res_int.h"

#include <math.h>
#include <string.h>

#include "ab_hist.h"
#include "ab_json.h"

/* Which seconds of the window a p99 is taken over. */
enum { SW_BEFORE, SW_DURING, SW_AFTER, SW_NPHASES };

/* The phase of window second t (it covers [t, t + 1)) for a sweep from at_s to end_s: before when
 * it ends by the sweep's start, during when it overlaps the sweep, after when it begins after. */
static int second_phase(double t, double at_s, double end_s)
{
    if (t + 1 <= at_s)
        return SW_BEFORE;
    return t <= end_s ? SW_DURING : SW_AFTER;
}

/* The p99 (us) of each phase of one repetition: its seconds' histograms merged. NaN for a phase
 * without a second (or without a histogram). */
static void sweep_rep_p99(const ab_res_rep *r, double out[SW_NPHASES])
{
    ab_hist *sum[SW_NPHASES] = {NULL, NULL, NULL};
    const cJSON *row;
    int k;
    for (k = 0; k < SW_NPHASES; k++)
        out[k] = NAN;
    if (isnan(r->sweep_at_s) || !cJSON_IsArray(ab_json_at(r->load, "timeseries")))
        return;
    cJSON_ArrayForEach(row, ab_json_at(r->load, "timeseries")) {
        const char *enc = ab_json_str(row, "latency_ns");
        ab_hist *h = enc != NULL ? ab_hist_decode(enc) : NULL;
        int ph = second_phase(ab_json_num_or(row, "t_s", 0), r->sweep_at_s,
                              r->sweep_end_s >= r->sweep_at_s ? r->sweep_end_s : r->sweep_at_s); /* NaN: an instant */
        if (h != NULL && sum[ph] == NULL)
            sum[ph] = h;
        else if (h != NULL) {
            ab_hist_merge(sum[ph], h);
            ab_hist_free(h);
        }
    }
    for (k = 0; k < SW_NPHASES; k++) {
        if (sum[k] != NULL && ab_hist_count(sum[k]) > 0)
            out[k] = (double)ab_hist_percentile(sum[k], 99) / 1e3;
        ab_hist_free(sum[k]);
    }
}

/* The median of the values of v[0..n) that are not NaN into o as key (null when none is). */
static void add_median_of(cJSON *o, const char *key, const double *v, size_t n)
{
    double kept[AB_RES_MAX_REPS] = {0};
    size_t i, k = 0;
    ab_res_summary s;
    for (i = 0; i < n && k < AB_RES_MAX_REPS; i++)
        if (!isnan(v[i]))
            kept[k++] = v[i];
    ab_res_summarize(kept, k, &s);
    ab_res_add_num_or_null(o, key, k > 0 && !isnan(s.median), s.median);
}

/* A repetition figure, NaN when not measured (-1). */
static double measured(double v)
{
    return v >= 0 ? v : NAN;
}

cJSON *ab_res_store_sweep(const ab_res_cell *c, const ab_res_rep *reps, size_t n)
{
    cJSON *o = cJSON_CreateObject();
    double removed[AB_RES_MAX_REPS], ms[AB_RES_MAX_REPS], start[AB_RES_MAX_REPS], p99[SW_NPHASES][AB_RES_MAX_REPS];
    const char *method = "", *note = "";
    size_t i, k = n < AB_RES_MAX_REPS ? n : AB_RES_MAX_REPS;
    for (i = 0; i < k; i++) {
        double ph[SW_NPHASES];
        int j;
        removed[i] = measured(reps[i].sweep_removed);
        ms[i] = measured(reps[i].sweep_ms);
        start[i] = reps[i].sweep_at_s; /* NaN when it did not run */
        sweep_rep_p99(&reps[i], ph);
        for (j = 0; j < SW_NPHASES; j++)
            p99[j][i] = ph[j];
        if (reps[i].sweep_method[0] != '\0')
            method = reps[i].sweep_method;
        if (reps[i].sweep_note[0] != '\0')
            note = reps[i].sweep_note;
    }
    cJSON_AddNumberToObject(o, "expired", (double)c->sweep_expired);
    cJSON_AddNumberToObject(o, "live", (double)c->sessions);
    cJSON_AddNumberToObject(o, "at_s", (double)c->sweep_at_us / 1e6);
    method[0] != '\0' ? (void)cJSON_AddStringToObject(o, "method", method) : (void)cJSON_AddNullToObject(o, "method");
    add_median_of(o, "started_s", start, k);
    add_median_of(o, "removed", removed, k);
    add_median_of(o, "sweep_ms", ms, k);
    add_median_of(o, "p99_before_us", p99[SW_BEFORE], k);
    add_median_of(o, "p99_during_us", p99[SW_DURING], k);
    add_median_of(o, "p99_after_us", p99[SW_AFTER], k);
    note[0] != '\0' ? (void)cJSON_AddStringToObject(o, "note", note) : (void)cJSON_AddNullToObject(o, "note");
    return o;
}

void ab_res_add_store_fill(cJSON *o, const ab_res_rep *reps, size_t n)
{
    double live[AB_RES_MAX_REPS], bytes[AB_RES_MAX_REPS];
    size_t i, k = n < AB_RES_MAX_REPS ? n : AB_RES_MAX_REPS;
    for (i = 0; i < k; i++) {
        live[i] = measured(reps[i].sessions_live);
        bytes[i] = reps[i].store_bytes_per_session > 0 ? reps[i].store_bytes_per_session : NAN;
    }
    add_median_of(o, "sessions_live", live, k);
    add_median_of(o, "store_bytes_per_session", bytes, k);
}

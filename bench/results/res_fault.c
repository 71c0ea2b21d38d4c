/* res_fault.c — what a fault did to a cell's requests, from its repetitions' per-second series: the
 * fault_outcome object of results.json. */
#include "res_int.h"

#include <math.h>
#include <string.h>

#include "ab_json.h"

/* What one repetition's per-second series says about the fault. */
typedef struct fault_rep {
    double requests, errors, auth_failures; /* from the fault's second to the window's end */
    double errors_before_per_s;             /* baseline: errors per second before it */
    double recovery_s;                      /* NaN when the errors never stopped */
} fault_rep;

/* The fault's end in window seconds: when it was lifted, its injection for an instant or unknown
 * end, NaN for a lasting fault (nothing to recover from but the fault itself). */
static double fault_end(const ab_res_fault *f, const ab_res_cell *c, const ab_res_rep *r)
{
    if (f->span == AB_RES_FAULT_LASTING)
        return NAN;
    if (r->fault_end_s >= r->fault_at_s)
        return r->fault_end_s;
    return f->span == AB_RES_FAULT_FOR ? r->fault_at_s + (double)c->fault_for_us / 1e6 : r->fault_at_s;
}

/* Sums one repetition's series around the fault. 0, or -1 without a series or a fault time. */
static int fault_rep_read(const ab_res_fault *f, const ab_res_cell *c, const ab_res_rep *r, fault_rep *out)
{
    const cJSON *row;
    double first = floor(r->fault_at_s), last_bad = -1, last = -1, before = 0, nbefore = 0;
    memset(out, 0, sizeof *out);
    if (r->fault_at_s < 0 || !cJSON_IsArray(ab_json_at(r->load, "timeseries")))
        return -1;
    cJSON_ArrayForEach(row, ab_json_at(r->load, "timeseries")) {
        double t = ab_json_num_or(row, "t_s", 0), err = ab_json_num_or(row, "errors", 0);
        last = t > last ? t : last;
        if (t < first) {
            before += err, nbefore++;
            continue;
        }
        out->requests += ab_json_num_or(row, "requests", 0), out->errors += err;
        out->auth_failures += ab_json_num_or(row, "auth_failures", 0);
        if (err > 0)
            last_bad = t;
    }
    out->errors_before_per_s = nbefore > 0 ? before / nbefore : 0;
    if (last_bad < 0)
        out->recovery_s = 0; /* no error second after it: nothing to recover from */
    else if (last_bad >= last || isnan(fault_end(f, c, r)))
        out->recovery_s = NAN; /* errors until the window ended, or a fault that lasts */
    else
        out->recovery_s = fmax(0, last_bad + 1 - fault_end(f, c, r));
    return 0;
}

/* The median of v[0..n) into o as key (null when n is 0). */
static void add_median(cJSON *o, const char *key, double *v, size_t n)
{
    ab_res_summary s;
    ab_res_summarize(v, n, &s);
    n > 0 && !isnan(s.median) ? (void)cJSON_AddNumberToObject(o, key, s.median) : (void)cJSON_AddNullToObject(o, key);
}

cJSON *ab_res_fault_outcome(const ab_res_cell *c, const ab_res_rep *reps, size_t n)
{
    const ab_res_fault *f = ab_res_fault_find(c->fault);
    cJSON *o = cJSON_CreateObject();
    double req[AB_RES_MAX_REPS], err[AB_RES_MAX_REPS], auth[AB_RES_MAX_REPS], base[AB_RES_MAX_REPS], rec[AB_RES_MAX_REPS];
    size_t i, k = 0, nrec = 0, stuck = 0;
    const char *note = "";
    for (i = 0; f != NULL && i < n && k < AB_RES_MAX_REPS; i++) {
        fault_rep fr;
        if (reps[i].fault_note[0] != '\0')
            note = reps[i].fault_note;
        if (fault_rep_read(f, c, &reps[i], &fr) != 0)
            continue;
        req[k] = fr.requests, err[k] = fr.errors, auth[k] = fr.auth_failures, base[k++] = fr.errors_before_per_s;
        isnan(fr.recovery_s) ? (void)stuck++ : (void)(rec[nrec++] = fr.recovery_s);
    }
    cJSON_AddStringToObject(o, "what", f != NULL ? f->what : "unknown fault");
    cJSON_AddBoolToObject(o, "injected", k > 0 && note[0] == '\0');
    note[0] != '\0' ? (void)cJSON_AddStringToObject(o, "note", note) : (void)cJSON_AddNullToObject(o, "note");
    add_median(o, "requests_after", req, k);
    add_median(o, "errors_after", err, k);
    add_median(o, "auth_failures_after", auth, k);
    add_median(o, "errors_per_s_before", base, k);
    cJSON_AddBoolToObject(o, "recovered", k > 0 && stuck == 0);
    add_median(o, "recovery_s", rec, stuck == 0 ? nrec : 0);
    return o;
}

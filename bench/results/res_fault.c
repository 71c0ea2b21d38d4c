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
    /* at the fixed offered rate of an open-loop fault cell (issue 14): */
    double goodput_after_per_s;             /* 2xx answers per second from the fault's second on */
    double unavailable_frac;                /* share of those seconds below half the goodput before */
    double detect_s;                        /* fault to the end of its first bad second; NaN: none */
} fault_rep;

/* The 2xx answers of one second of the series: its "ok"; in a series from before it, answered
 * requests less 401s and errors (which undercounts a second with transport errors: those were never
 * among the answered requests, as when a killed server refuses connections). */
static double second_goodput(const cJSON *row)
{
    double ok;
    if (ab_json_num(row, "ok", &ok))
        return ok;
    ok = ab_json_num_or(row, "requests", 0) - ab_json_num_or(row, "auth_failures", 0) - ab_json_num_or(row, "errors", 0);
    return ok > 0 ? ok : 0;
}

/* Goodput after the fault, the share of seconds it was unavailable (goodput under half of the mean
 * before it), and the time until the first such second or second with errors was over. */
static void fault_availability(const cJSON *series, double first, double fault_at, fault_rep *out)
{
    const cJSON *row;
    double before = 0, nbefore = 0, good = 0, nafter = 0, bad = 0, first_bad = -1;
    cJSON_ArrayForEach(row, series) {
        double t = ab_json_num_or(row, "t_s", 0);
        if (t < first)
            before += second_goodput(row), nbefore++;
    }
    cJSON_ArrayForEach(row, series) {
        double t = ab_json_num_or(row, "t_s", 0), g = second_goodput(row);
        int down = nbefore > 0 && g < 0.5 * before / nbefore;
        if (t < first)
            continue;
        good += g, nafter++, bad += down;
        if (first_bad < 0 && (down || ab_json_num_or(row, "errors", 0) > 0))
            first_bad = t;
    }
    out->goodput_after_per_s = nafter > 0 ? good / nafter : NAN;
    out->unavailable_frac = nafter > 0 && nbefore > 0 ? bad / nafter : NAN;
    out->detect_s = first_bad >= 0 ? fmax(0, first_bad + 1 - fault_at) : NAN;
}

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
    fault_availability(ab_json_at(r->load, "timeseries"), first, r->fault_at_s, out);
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
    double good[AB_RES_MAX_REPS], down[AB_RES_MAX_REPS], det[AB_RES_MAX_REPS];
    size_t i, k = 0, nrec = 0, stuck = 0, ngood = 0, ndown = 0, ndet = 0;
    const char *note = "";
    for (i = 0; f != NULL && i < n && k < AB_RES_MAX_REPS; i++) {
        fault_rep fr;
        if (reps[i].fault_note[0] != '\0')
            note = reps[i].fault_note;
        if (fault_rep_read(f, c, &reps[i], &fr) != 0)
            continue;
        req[k] = fr.requests, err[k] = fr.errors, auth[k] = fr.auth_failures, base[k++] = fr.errors_before_per_s;
        isnan(fr.recovery_s) ? (void)stuck++ : (void)(rec[nrec++] = fr.recovery_s);
        if (!isnan(fr.goodput_after_per_s))
            good[ngood++] = fr.goodput_after_per_s;
        if (!isnan(fr.unavailable_frac))
            down[ndown++] = fr.unavailable_frac;
        if (!isnan(fr.detect_s))
            det[ndet++] = fr.detect_s;
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
    add_median(o, "goodput_after_per_s", good, ngood);
    add_median(o, "unavailable_frac", down, ndown);
    add_median(o, "detect_s", det, ndet);
    return o;
}

/* cmp_rows.c — the comparison of two runs: cells matched by id, and per figure each side's median
 * over its repetitions, the change from A to B with its bootstrap interval (bench/results'
 * ab_res_bootstrap_change_ci over both sides' per-repetition values), and a verdict. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ab_json.h"
#include "ab_results.h"
#include "cmp_int.h"

static const abcmp_figure figures[] = {
    {"requests_per_sec", "throughput", "req/s", "requests_per_sec", 1},
    {"goodput_per_sec", "goodput", "req/s", "goodput_per_sec", 1},
    {"p50_us", "p50", "us", "latency_us.p50", 0},
    {"p99_us", "p99", "us", "latency_us.p99", 0},
    {"p999_us", "p999", "us", "latency_us.p999", 0},
    {"server_cpu_us_per_req", "cpu", "us", "server_cpu_us_per_req", 0},
};

const abcmp_figure *abcmp_figures(size_t *n)
{
    *n = sizeof figures / sizeof figures[0];
    return figures;
}

const abcmp_figure *abcmp_figure_find(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof figures / sizeof figures[0]; i++)
        if (strcmp(name, figures[i].name) == 0 || strcmp(name, figures[i].alias) == 0)
            return &figures[i];
    return NULL;
}

/* One side of a figure: its per-repetition values and its median. */
typedef struct side {
    double v[AB_RES_MAX_REPS];
    size_t n;
    double median;  /* NaN when the run has not the figure */
} side;

/* A side's figure from its cell: repetition_stats.<name> (values, median), or the cell's own
 * figure with no values (a run of one repetition, or merged latency of a schema-2 run). */
static void side_read(const cJSON *cell, const abcmp_figure *f, side *s)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(ab_json_at(cell, "repetition_stats"), f->name), *it;
    s->n = 0;
    s->median = ab_json_num_or(st, "median", NAN);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(st, "values")) {
        if (cJSON_IsNumber(it) && s->n < AB_RES_MAX_REPS)
            s->v[s->n++] = it->valuedouble;
    }
    if (isnan(s->median))
        s->median = ab_json_num_or(cell, f->cell_path, NAN);
}

/* Adds key: the number, or null when it is NaN. */
static void add_num(cJSON *o, const char *key, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, v);
}

/* The verdict on one figure: "significant" when the interval of the change excludes 0, "no
 * significant change" when it holds 0, "n/a" without an interval; and for a significant change
 * whether it is better or worse. */
static void add_verdict(cJSON *row, const abcmp_figure *f, double lo, double hi)
{
    int sig = !isnan(lo) && (lo > 0 || hi < 0);
    cJSON_AddStringToObject(row, "verdict", isnan(lo) ? "n/a" : sig ? "significant" : "no significant change");
    if (sig)
        cJSON_AddStringToObject(row, "direction", (lo > 0) == (f->higher_is_better != 0) ? "better" : "worse");
    else
        cJSON_AddNullToObject(row, "direction");
}

/* The row of one figure of a cell present on both sides. */
static cJSON *figure_row(const cJSON *ca, const cJSON *cb, const abcmp_figure *f, const abcmp_opts *o)
{
    cJSON *row = cJSON_CreateObject(), *ci;
    side a, b;
    double lo = NAN, hi = NAN, change = NAN;
    side_read(ca, f, &a);
    side_read(cb, f, &b);
    if (!isnan(a.median) && !isnan(b.median) && a.median != 0)
        change = (b.median / a.median - 1) * 100;
    if (ab_res_bootstrap_change_ci(a.v, a.n, b.v, b.n, ab_res_seed(ab_json_str(ca, "id"), f->name), o->alpha,
                                   &lo, &hi) == 0)
        lo *= 100, hi *= 100;
    cJSON_AddStringToObject(row, "figure", f->name);
    cJSON_AddStringToObject(row, "unit", f->unit);
    cJSON_AddStringToObject(row, "better", f->higher_is_better ? "higher" : "lower");
    add_num(row, "a_median", a.median);
    add_num(row, "b_median", b.median);
    cJSON_AddNumberToObject(row, "a_n", (double)a.n);
    cJSON_AddNumberToObject(row, "b_n", (double)b.n);
    add_num(row, "change_pct", change);
    if (isnan(lo)) {
        cJSON_AddNullToObject(row, "change_ci_pct");
    } else {
        ci = cJSON_AddArrayToObject(row, "change_ci_pct");
        cJSON_AddItemToArray(ci, cJSON_CreateNumber(lo));
        cJSON_AddItemToArray(ci, cJSON_CreateNumber(hi));
    }
    add_verdict(row, f, lo, hi);
    return row;
}

/* The load a side's cell ran at: target and achieved rate, whether reached, repetitions, and the
 * noise flags, so a latency is read beside its load. */
static cJSON *side_load(const cJSON *cell)
{
    static const char *const nums[] = {"achieved_rate_per_sec", "requests_per_sec", "connections", "repetitions"};
    static const char *const flags[] = {"rate_reached", "busy_machine", "loadgen_bottleneck"};
    cJSON *o = cJSON_CreateObject();
    double target = ab_json_num_or(cell, "target_rate_per_sec", NAN);
    size_t i;
    if (isnan(target) && ab_json_num_or(cell, "rate_per_sec", 0) > 0) /* schema 1 and 2: the rate asked for */
        target = ab_json_num_or(cell, "rate_per_sec", 0);
    add_num(o, "target_rate_per_sec", target);
    for (i = 0; i < sizeof nums / sizeof nums[0]; i++)
        add_num(o, nums[i], ab_json_num_or(cell, nums[i], NAN));
    for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const cJSON *v = ab_json_at(cell, flags[i]);
        cJSON_AddItemToObject(o, flags[i], cJSON_IsBool(v) ? cJSON_CreateBool(cJSON_IsTrue(v)) : cJSON_CreateNull());
    }
    return o;
}

/* The cell with this id in a results document, or NULL. */
static const cJSON *cell_by_id(const cJSON *res, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "cells")) {
        const char *cid = ab_json_str(c, "id");
        if (cid != NULL && strcmp(cid, id) == 0)
            return c;
    }
    return NULL;
}

/* 1 when the cell finished. */
static int cell_ok(const cJSON *c)
{
    const char *st = ab_json_str(c, "status");
    return st != NULL && strcmp(st, "ok") == 0;
}

/* Notes on a pair whose loads make the comparison weaker: a rate not reached, a busy machine, a
 * target rate that differs between the sides. */
static void pair_notes(cJSON *notes, const char *id, const cJSON *la, const cJSON *lb)
{
    static const char *const sides[] = {NULL, "A", "B", "A and B"};
    char msg[400];
    double ta = ab_json_num_or(la, "target_rate_per_sec", NAN), tb = ab_json_num_or(lb, "target_rate_per_sec", NAN);
    int short_of = cJSON_IsFalse(ab_json_at(la, "rate_reached")) | cJSON_IsFalse(ab_json_at(lb, "rate_reached")) << 1;
    if (short_of) {
        snprintf(msg, sizeof msg, "%s: the target rate was not reached in %s: its latency there is not latency at that rate",
                 id, sides[short_of]);
        cJSON_AddItemToArray(notes, cJSON_CreateString(msg));
    }
    if (cJSON_IsTrue(ab_json_at(la, "busy_machine")) || cJSON_IsTrue(ab_json_at(lb, "busy_machine"))) {
        snprintf(msg, sizeof msg, "%s: ran on a busy machine (load average or steal time above the bounds)", id);
        cJSON_AddItemToArray(notes, cJSON_CreateString(msg));
    }
    if (isnan(ta) != isnan(tb) || (!isnan(ta) && fabs(ta - tb) > 1e-9 * fabs(ta))) {
        snprintf(msg, sizeof msg, "%s: A and B ran at different loads (target rate %s): the change includes the load's",
                 id, isnan(ta) || isnan(tb) ? "closed loop on one side" : "differs");
        cJSON_AddItemToArray(notes, cJSON_CreateString(msg));
    }
}

/* The comparison of one cell present on both sides. */
static cJSON *cell_pair(const cJSON *ca, const cJSON *cb, const abcmp_opts *o, cJSON *notes)
{
    cJSON *c = cJSON_CreateObject(), *figs, *la = side_load(ca), *lb = side_load(cb);
    const char *label = ab_json_str(ca, "label");
    size_t i;
    cJSON_AddStringToObject(c, "id", ab_json_str(ca, "id"));
    cJSON_AddStringToObject(c, "label", label != NULL ? label : "");
    pair_notes(notes, ab_json_str(ca, "id"), la, lb);
    cJSON_AddItemToObject(c, "a_load", la);
    cJSON_AddItemToObject(c, "b_load", lb);
    figs = cJSON_AddArrayToObject(c, "figures");
    for (i = 0; i < o->nfigs; i++)
        cJSON_AddItemToArray(figs, figure_row(ca, cb, o->figs[i], o));
    return c;
}

/* One side's run: where it is and what it ran (name, commit, start, schema version). */
static cJSON *run_info(const cJSON *res, const char *dir)
{
    cJSON *o = cJSON_CreateObject();
    const char *v;
    cJSON_AddStringToObject(o, "dir", dir);
    cJSON_AddStringToObject(o, "name", (v = ab_json_str(res, "name")) != NULL ? v : "");
    (v = ab_json_str(res, "environment.git_commit")) != NULL ? (void)cJSON_AddStringToObject(o, "git_commit", v)
                                                               : (void)cJSON_AddNullToObject(o, "git_commit");
    (v = ab_json_str(res, "started_utc")) != NULL ? (void)cJSON_AddStringToObject(o, "started_utc", v)
                                                    : (void)cJSON_AddNullToObject(o, "started_utc");
    cJSON_AddNumberToObject(o, "schema_version", ab_res_schema_version(res));
    return o;
}

/* A cell listed apart (one side only, or failed) on side which ("A", "B" or "A and B"): id, label,
 * error (the first side's, for a cell failed on both). */
static cJSON *cell_apart(const cJSON *cell, const char *which)
{
    cJSON *o = cJSON_CreateObject();
    const char *v;
    cJSON_AddStringToObject(o, "id", ab_json_str(cell, "id"));
    cJSON_AddStringToObject(o, "label", (v = ab_json_str(cell, "label")) != NULL ? v : "");
    cJSON_AddStringToObject(o, "side", which);
    (v = ab_json_str(cell, "error")) != NULL ? (void)cJSON_AddStringToObject(o, "error", v)
                                               : (void)cJSON_AddNullToObject(o, "error");
    return o;
}

/* The cells of from that other lacks, into arr, on side which. */
static void add_only(cJSON *arr, const cJSON *from, const cJSON *other, const char *which)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(from, "cells")) {
        if (ab_json_str(c, "id") != NULL && cell_by_id(other, ab_json_str(c, "id")) == NULL)
            cJSON_AddItemToArray(arr, cell_apart(c, which));
    }
}

/* Counts of the verdicts over every row. */
static cJSON *summary(const cJSON *cells)
{
    static const char *const verdicts[] = {"significant", "no significant change", "n/a"};
    static const char *const keys[] = {"significant", "no_change", "not_available"};
    cJSON *o = cJSON_CreateObject();
    const cJSON *c, *row;
    size_t i;
    for (i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
        double k = 0;
        cJSON_ArrayForEach(c, cells) {
            cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(c, "figures")) {
                k += strcmp(ab_json_str(row, "verdict"), verdicts[i]) == 0;
            }
        }
        cJSON_AddNumberToObject(o, keys[i], k);
    }
    return o;
}

cJSON *abcmp_compare(const cJSON *a, const cJSON *b, const abcmp_opts *o)
{
    cJSON *doc = cJSON_CreateObject(), *cells, *only, *failed, *notes, *figs;
    const cJSON *ca, *cb;
    size_t i;
    if (doc == NULL)
        return NULL;
    cJSON_AddStringToObject(doc, "schema", ABCMP_SCHEMA);
    cJSON_AddItemToObject(doc, "a", run_info(a, o->a));
    cJSON_AddItemToObject(doc, "b", run_info(b, o->b));
    cJSON_AddNumberToObject(doc, "alpha", o->alpha);
    cJSON_AddNumberToObject(doc, "bootstrap_resamples", AB_RES_BOOTSTRAP_B);
    figs = cJSON_AddArrayToObject(doc, "figures");
    for (i = 0; i < o->nfigs; i++)
        cJSON_AddItemToArray(figs, cJSON_CreateString(o->figs[i]->name));
    cells = cJSON_AddArrayToObject(doc, "cells");
    only = cJSON_AddArrayToObject(doc, "only_in_one");
    failed = cJSON_AddArrayToObject(doc, "failed");
    notes = cJSON_AddArrayToObject(doc, "notes");
    cJSON_ArrayForEach(ca, cJSON_GetObjectItemCaseSensitive(a, "cells")) {
        if (ab_json_str(ca, "id") == NULL || (cb = cell_by_id(b, ab_json_str(ca, "id"))) == NULL)
            continue;
        if (cell_ok(ca) && cell_ok(cb))
            cJSON_AddItemToArray(cells, cell_pair(ca, cb, o, notes));
        else
            cJSON_AddItemToArray(failed, cell_apart(cell_ok(ca) ? cb : ca,
                                                    cell_ok(ca) ? "B" : cell_ok(cb) ? "A" : "A and B"));
    }
    add_only(only, a, b, "A");
    add_only(only, b, a, "B");
    if (cJSON_GetArraySize(cells) == 0)
        cJSON_AddItemToArray(notes, cJSON_CreateString("no cell finished in both runs: nothing compared (cells are "
                                                       "matched by id)"));
    cJSON_AddItemToObject(doc, "summary", summary(cells));
    return doc;
}

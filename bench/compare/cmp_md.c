/* cmp_md.c — the comparison as Markdown: what was compared and how, one table row per cell and
 * figure (each side's median beside the load it ran at, the change, its interval, the verdict),
 * then the cells on one side only, the failed ones, the notes and the count of verdicts. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_json.h"
#include "cmp_int.h"

/* A figure as text: three significant digits or whole units, "n/a" when not measured. */
static const char *num(double v, char *buf, size_t len)
{
    if (isnan(v))
        ab_fmt(buf, len, "n/a");
    else
        ab_fmt(buf, len, fabs(v) >= 100 ? "%.0f" : fabs(v) >= 10 ? "%.1f" : "%.2f", v);
    return buf;
}

/* A side's load: "R req/s" (open loop, "R req/s (not reached)") or "closed loop". */
static const char *load_text(const cJSON *load, char *buf, size_t len)
{
    char n[32];
    double rate = ab_json_num_or(load, "target_rate_per_sec", NAN);
    if (isnan(rate))
        ab_fmt(buf, len, "closed loop");
    else
        ab_fmt(buf, len, "%s req/s%s", num(rate, n, sizeof n),
               cJSON_IsFalse(ab_json_at(load, "rate_reached")) ? " (not reached)" : "");
    return buf;
}

/* The header: both runs and the method. */
static void print_header(const cJSON *cmp, FILE *out)
{
    static const char *const sides[] = {"a", "b"};
    size_t i;
    fprintf(out, "# authbench compare\n\n");
    for (i = 0; i < 2; i++) {
        const cJSON *s = ab_json_at(cmp, sides[i]);
        const char *commit = ab_json_str(s, "git_commit"), *started = ab_json_str(s, "started_utc");
        fprintf(out, "- **%s**: `%s` (%s, commit %s, started %s, schema %.0f)\n", i ? "B" : "A", ab_json_str(s, "dir"),
                ab_json_str(s, "name"), commit ? commit : "unknown", started ? started : "unknown",
                ab_json_num_or(s, "schema_version", 0));
    }
    fprintf(out,
            "\nChange is B against A, of the medians over each side's repetitions; the interval is the %.0f %% "
            "percentile bootstrap of the change (%.0f resamples of each side's repetitions). \"significant\" when "
            "it excludes no change; \"n/a\" with fewer than 2 repetitions on a side.\n\n",
            (1 - ab_json_num_or(cmp, "alpha", 0.05)) * 100, ab_json_num_or(cmp, "bootstrap_resamples", 0));
}

/* The change as text: "+12.3 %", "-4.00 %", or "n/a". */
static const char *change_text(double pct, char *buf, size_t len)
{
    char n[32];
    if (isnan(pct))
        ab_fmt(buf, len, "n/a");
    else
        ab_fmt(buf, len, "%s%s %%", pct > 0 ? "+" : "", num(pct, n, sizeof n));
    return buf;
}

/* One row of the table. */
static void print_row(const cJSON *cell, const cJSON *row, FILE *out)
{
    char la[64], lb[64], a[32], b[32], ch[32], lo[32], hi[32];
    const cJSON *ci = ab_json_at(row, "change_ci_pct");
    const char *dir = ab_json_str(row, "direction");
    const abcmp_figure *f = abcmp_figure_find(ab_json_str(row, "figure"));
    load_text(ab_json_at(cell, "a_load"), la, sizeof la);
    load_text(ab_json_at(cell, "b_load"), lb, sizeof lb);
    fprintf(out, "| `%s` | %s%s%s | %s (%s) | %s (n=%.0f) | %s (n=%.0f) | %s | ", ab_json_str(cell, "id"), la,
            strcmp(la, lb) != 0 ? " / " : "", strcmp(la, lb) != 0 ? lb : "", f ? f->alias : ab_json_str(row, "figure"),
            ab_json_str(row, "unit"), num(ab_json_num_or(row, "a_median", NAN), a, sizeof a), ab_json_num_or(row, "a_n", 0),
            num(ab_json_num_or(row, "b_median", NAN), b, sizeof b), ab_json_num_or(row, "b_n", 0),
            change_text(ab_json_num_or(row, "change_pct", NAN), ch, sizeof ch));
    if (cJSON_GetArraySize(ci) == 2)
        fprintf(out, "%s … %s | ", change_text(cJSON_GetArrayItem(ci, 0)->valuedouble, lo, sizeof lo),
                change_text(cJSON_GetArrayItem(ci, 1)->valuedouble, hi, sizeof hi));
    else
        fprintf(out, "n/a | ");
    fprintf(out, "%s%s%s |\n", ab_json_str(row, "verdict"), dir ? ", " : "", dir ? dir : "");
}

/* The cells of a list (one side only, failed) as bullets under a title; nothing when empty. */
static void print_apart(const cJSON *arr, const char *title, FILE *out)
{
    const cJSON *c;
    if (cJSON_GetArraySize(arr) == 0)
        return;
    fprintf(out, "\n%s:\n", title);
    cJSON_ArrayForEach(c, arr) {
        const char *err = ab_json_str(c, "error");
        fprintf(out, "- `%s` (%s) in %s%s%s\n", ab_json_str(c, "id"), ab_json_str(c, "label"), ab_json_str(c, "side"),
                err ? ": " : "", err ? err : "");
    }
}

void abcmp_print_markdown(const cJSON *cmp, FILE *out)
{
    const cJSON *cell, *row, *note;
    print_header(cmp, out);
    if (cJSON_GetArraySize(ab_json_at(cmp, "cells")) > 0) /* no table when nothing was compared: a note says so */
        fprintf(out, "| cell | load (A / B) | figure | A | B | change | %.0f %% interval | verdict |\n"
                     "|---|---|---|---:|---:|---:|---|---|\n",
                (1 - ab_json_num_or(cmp, "alpha", 0.05)) * 100);
    cJSON_ArrayForEach(cell, ab_json_at(cmp, "cells")) {
        cJSON_ArrayForEach(row, ab_json_at(cell, "figures")) {
            print_row(cell, row, out);
        }
    }
    print_apart(ab_json_at(cmp, "only_in_one"), "Cells in one run only", out);
    print_apart(ab_json_at(cmp, "failed"), "Cells that failed (not compared)", out);
    if (cJSON_GetArraySize(ab_json_at(cmp, "notes")) > 0)
        fprintf(out, "\nNotes:\n");
    cJSON_ArrayForEach(note, ab_json_at(cmp, "notes")) {
        fprintf(out, "- %s\n", note->valuestring);
    }
    fprintf(out, "\n%.0f significant, %.0f no significant change, %.0f n/a.\n",
            ab_json_num_or(cmp, "summary.significant", 0), ab_json_num_or(cmp, "summary.no_change", 0),
            ab_json_num_or(cmp, "summary.not_available", 0));
}

/* cmp_int.h — internals of `authbench compare` (prefix abcmp_): the figures it compares, the
 * comparison of two runs' results as a document (schema authbench.compare/1, bench/compare/README.md)
 * and its Markdown table. Private to bench/compare. */
#ifndef ABCMP_INT_H
#define ABCMP_INT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define ABCMP_CMD "compare"
#define ABCMP_SCHEMA "authbench.compare/1"

/* A figure compared: its repetition_stats name, the short name --figures also takes, its unit, the
 * cell field holding the run's own figure (the merged one for latency: used when a run has no
 * per-repetition values), and which way is better. */
typedef struct abcmp_figure {
    const char *name, *alias, *unit, *cell_path;
    int higher_is_better;
} abcmp_figure;

/* The table of figures (static) and its length. */
const abcmp_figure *abcmp_figures(size_t *n);
/* The figure named name or alias, or NULL. */
const abcmp_figure *abcmp_figure_find(const char *name);

/* What to compare: the two runs (directories), the figures, the interval's level. */
typedef struct abcmp_opts {
    const char *a, *b;
    const abcmp_figure *figs[16];
    size_t nfigs;
    double alpha;   /* the interval is (1 - alpha) */
    int json;
} abcmp_opts;

/* The comparison document of results documents a and b (each read by ab_res_read), cells matched
 * by id. The caller owns it; NULL when out of memory. */
cJSON *abcmp_compare(const cJSON *a, const cJSON *b, const abcmp_opts *o);
/* Writes the comparison as Markdown: a header naming both runs, one table row per cell and
 * figure, then the cells found on one side only, the failed ones and the notes. */
void abcmp_print_markdown(const cJSON *cmp, FILE *out);

#endif /* ABCMP_INT_H */

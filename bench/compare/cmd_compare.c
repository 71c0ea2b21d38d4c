/* cmd_compare.c — `authbench compare RUN_A RUN_B`: options, reading both runs through bench/results,
 * and the comparison written as Markdown or JSON on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_opt.h"
#include "ab_results.h"
#include "cmp_int.h"
#include "commands.h"

/* Prints --help. */
static void usage(void)
{
    printf(
        "usage: authbench compare RUN_A RUN_B [--json] [--figures F,F…] [--alpha A]\n\n"
        "Did a change matter? Compares two `authbench run` result directories (two versions, two\n"
        "machines), cells matched by id: for each figure, A's and B's median over their repetitions,\n"
        "the change from A to B in %%, the bootstrap interval of that change (each side's per-repetition\n"
        "values resampled %d times, the ratio of the medians) and a verdict: \"significant\" when the\n"
        "interval excludes no change (then \"better\" or \"worse\"), \"no significant change\" when it\n"
        "holds it, \"n/a\" when a side has fewer than 2 repetitions (schema-1/2 runs have no per-\n"
        "repetition latency: their p50/p99/p999 are n/a). Each row shows the load both cells ran at;\n"
        "notes say when a rate was not reached, the loads differ or a machine was busy. Cells in one\n"
        "run only and failed cells are listed apart.\n\n"
        "  --json           the comparison as JSON (schema %s, bench/compare/README.md)\n"
        "                   instead of a Markdown table\n"
        "  --figures LIST   comma-separated, from: throughput (requests_per_sec), goodput\n"
        "                   (goodput_per_sec), p50 (p50_us), p99 (p99_us), p999 (p999_us), cpu\n"
        "                   (server_cpu_us_per_req)                                          [all]\n"
        "  --alpha A        the interval is 1 - A (0 < A < 0.5)                              [%.2f]\n\n"
        "Exit status: 0 compared (whatever the verdicts), 2 bad usage or a run that cannot be read.\n",
        AB_RES_BOOTSTRAP_B, ABCMP_SCHEMA, AB_RES_CI_ALPHA);
}

enum { O_JSON = 256, O_FIGURES, O_ALPHA };

static const struct option compare_options[] = {
    {"json", no_argument, NULL, O_JSON}, {"figures", required_argument, NULL, O_FIGURES},
    {"alpha", required_argument, NULL, O_ALPHA}, {NULL, 0, NULL, 0}};

/* --figures: each name of the list, once. */
static void parse_figures(const ab_opt *p, abcmp_opts *o)
{
    char list[256], *name, *save = NULL;
    size_t i;
    if (strlen(ab_opt_value(p)) >= sizeof list)
        ab_opt_bad(p, "list too long");
    memcpy(list, ab_opt_value(p), strlen(ab_opt_value(p)) + 1);
    o->nfigs = 0;
    for (name = strtok_r(list, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
        const abcmp_figure *f = abcmp_figure_find(name);
        if (f == NULL)
            ab_opt_bad(p, "unknown figure '%s' (throughput, goodput, p50, p99, p999, cpu)", name);
        for (i = 0; i < o->nfigs && o->figs[i] != f; i++)
            ;
        if (i == o->nfigs && o->nfigs < sizeof o->figs / sizeof o->figs[0])
            o->figs[o->nfigs++] = f;
    }
    if (o->nfigs == 0)
        ab_opt_bad(p, "no figure named");
}

/* Parses argv into o. Exits 0 after --help, 2 on bad usage. */
static void parse_args(int argc, char **argv, abcmp_opts *o)
{
    const abcmp_figure *all;
    size_t i, n, nargs = 0;
    ab_opt p;
    int c;
    memset(o, 0, sizeof *o);
    o->alpha = AB_RES_CI_ALPHA;
    for (all = abcmp_figures(&n), i = 0; i < n; i++)
        o->figs[o->nfigs++] = &all[i];
    ab_opt_init_args(&p, ABCMP_CMD, usage, compare_options, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case O_JSON: o->json = 1; break;
        case O_FIGURES: parse_figures(&p, o); break;
        case O_ALPHA:
            o->alpha = ab_opt_double(&p, 1e-6, 0.5);
            if (o->alpha >= 0.5)
                ab_opt_bad(&p, "expected a number below 0.5, got '%s'", ab_opt_value(&p));
            break;
        case AB_OPT_ARG:
            if (nargs == 2)
                ab_opt_fail(&p, "unexpected argument '%s': compare takes two runs", ab_opt_value(&p));
            *(nargs++ ? &o->b : &o->a) = ab_opt_value(&p);
            break;
        }
    }
    if (nargs < 2)
        ab_opt_fail(&p, "give two run directories: RUN_A RUN_B");
}

int ab_cmd_compare(int argc, char **argv)
{
    abcmp_opts o;
    cJSON *a, *b, *cmp;
    char err[1024];
    char *text;
    parse_args(argc, argv, &o);
    if ((a = ab_res_read(o.a, err, sizeof err)) == NULL) {
        ab_err(ABCMP_CMD, "%s", err);
        return AB_EXIT_USAGE;
    }
    if ((b = ab_res_read(o.b, err, sizeof err)) == NULL) {
        ab_err(ABCMP_CMD, "%s", err);
        cJSON_Delete(a);
        return AB_EXIT_USAGE;
    }
    cmp = abcmp_compare(a, b, &o);
    cJSON_Delete(a);
    cJSON_Delete(b);
    if (cmp == NULL || (o.json && (text = cJSON_Print(cmp)) == NULL)) {
        cJSON_Delete(cmp);
        ab_fail(ABCMP_CMD, "out of memory");
    }
    if (o.json) {
        printf("%s\n", text);
        free(text);
    } else {
        abcmp_print_markdown(cmp, stdout);
    }
    cJSON_Delete(cmp);
    return fflush(stdout) == 0 ? AB_EXIT_OK : AB_EXIT_FAIL;
}

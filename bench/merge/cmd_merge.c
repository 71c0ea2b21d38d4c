/* cmd_merge.c — `authbench merge`: options, what kind of runs were given, and the merge of either. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ab_cli.h"
#include "commands.h"
#include "merge_int.h"

/* Prints --help. */
static void usage(void)
{
    printf(
        "usage: authbench merge RUN RUN... --out DIR [options]\n\n"
        "Combines runs made at the same time on several machines into one run, as if one generator had\n"
        "driven the whole load: latency histograms are added and the percentiles read from the sum\n"
        "(never averaged), counts summed, throughput summed over the common window, per-request figures\n"
        "recomputed from the summed totals, the per-second series summed second by second, and every\n"
        "machine's environment listed (\"environments\"). See bench/merge/README.md for running a\n"
        "benchmark across several machines.\n\n"
        "RUN is either an `authbench load --json` file (every RUN then is one: typically the shards\n"
        "--shard 1/N … N/N), or an `authbench run` result directory (every RUN then is one; their cells\n"
        "are matched by id, each repetition merged, and the cells rebuilt as authbench run builds them).\n\n"
        "  --out DIR            where the merged run goes (made when missing; must not hold a run):\n"
        "                       load files: DIR/load.json (the merged summary is also printed);\n"
        "                       run directories: results.json, results.csv, timeseries.csv,\n"
        "                       cells/<id>/rep<k>.json and the report\n"
        "  --separate-targets   load files: each machine drove servers of its own (the same HOST:PORT on\n"
        "                       two machines is two servers). Default: they drove the same servers,\n"
        "                       whose /stats deltas are then counted once. (Run directories always\n"
        "                       have servers of their own.)\n"
        "  --no-report          run directories: do not write the report\n"
        "  --requirements FILE  run directories: the requirements file passed to the report\n\n"
        "Refused: runs of different loads or scenarios, a shard given twice, interrupted runs. Notes\n"
        "(on stderr and in the output) say what the merge cannot vouch for: shards missing, users\n"
        "driven by two machines, windows that started apart.\n"
        "Exit status: 0 merged, 1 a run cannot be read or merged, 2 bad usage.\n");
}

/* Parses argv into o. Exits 0 after --help, 2 on bad usage. */
static void parse_args(int argc, char **argv, abm_opts *o)
{
    int i;
    memset(o, 0, sizeof *o);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            exit(AB_EXIT_OK);
        } else if (strcmp(a, "--separate-targets") == 0) {
            o->separate_targets = 1;
        } else if (strcmp(a, "--no-report") == 0) {
            o->no_report = 1;
        } else if ((strcmp(a, "--out") == 0 || strcmp(a, "--requirements") == 0) && i + 1 < argc) {
            *(a[2] == 'o' ? &o->out : &o->requirements) = argv[++i];
        } else if (strncmp(a, "--", 2) == 0) {
            ab_usage_fail(ABM_CMD, "%s: %s", a, i + 1 < argc ? "unknown option" : "unknown option or missing value");
        } else if (o->ninputs == ABM_MAX_INPUTS) {
            ab_usage_fail(ABM_CMD, "more than %d runs", ABM_MAX_INPUTS);
        } else {
            o->inputs[o->ninputs++] = a;
        }
    }
    if (o->out == NULL)
        ab_usage_fail(ABM_CMD, "--out DIR is required");
    if (o->ninputs < 2)
        ab_usage_fail(ABM_CMD, "give at least two runs to merge (got %zu)", o->ninputs);
}

/* 1 when every input is a directory, 0 when every one is a file; exits 2 when they are mixed or
 * one does not exist. */
static int inputs_are_dirs(const abm_opts *o)
{
    struct stat st;
    size_t i, dirs = 0;
    for (i = 0; i < o->ninputs; i++) {
        if (stat(o->inputs[i], &st) != 0)
            ab_usage_fail(ABM_CMD, "%s: no such file or directory", o->inputs[i]);
        dirs += S_ISDIR(st.st_mode) != 0;
    }
    if (dirs != 0 && dirs != o->ninputs)
        ab_usage_fail(ABM_CMD, "give either load --json files or run directories, not both");
    return dirs != 0;
}

int ab_cmd_merge(int argc, char **argv)
{
    abm_opts o;
    parse_args(argc, argv, &o);
    return inputs_are_dirs(&o) ? abm_merge_run_dirs(&o) : abm_merge_load_files(&o);
}

/* cmd_merge.c — `authbench merge`: options, what kind of runs were given, and the merge of either. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ab_cli.h"
#include "ab_opt.h"
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

enum { O_OUT = 256, O_REQUIREMENTS, O_SEPARATE, O_NO_REPORT };

static const struct option merge_options[] = {
    {"out", required_argument, NULL, O_OUT}, {"requirements", required_argument, NULL, O_REQUIREMENTS},
    {"separate-targets", no_argument, NULL, O_SEPARATE}, {"no-report", no_argument, NULL, O_NO_REPORT},
    {NULL, 0, NULL, 0}};

/* Parses argv into o. Exits 0 after --help, 2 on bad usage. */
static void parse_args(int argc, char **argv, abm_opts *o)
{
    ab_opt p;
    int c;
    memset(o, 0, sizeof *o);
    ab_opt_init_args(&p, ABM_CMD, usage, merge_options, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case O_OUT: o->out = ab_opt_value(&p); break;
        case O_REQUIREMENTS: o->requirements = ab_opt_value(&p); break;
        case O_SEPARATE: o->separate_targets = 1; break;
        case O_NO_REPORT: o->no_report = 1; break;
        case AB_OPT_ARG:
            if (o->ninputs == ABM_MAX_INPUTS)
                ab_opt_fail(&p, "more than %d runs", ABM_MAX_INPUTS);
            o->inputs[o->ninputs++] = ab_opt_value(&p);
            break;
        }
    }
    if (o->out == NULL)
        ab_opt_fail(&p, "--out DIR is required");
    if (o->ninputs < 2)
        ab_opt_fail(&p, "give at least two runs to merge (got %zu)", o->ninputs);
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

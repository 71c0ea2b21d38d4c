/* cmd_report.c — `authbench report RUN_DIR`: charts and the architecture decision record of a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_report.h"
#include "commands.h"

static const char report_usage[] =
    "usage: authbench report RUN_DIR [options]\n"
    "\n"
    "Reads RUN_DIR/results.json (and micro.json when present) and writes RUN_DIR/charts/*.svg and *.png\n"
    "(gnuplot), the chart data in RUN_DIR/charts/data/, and the architecture decision record\n"
    "RUN_DIR/report.md and the self-contained RUN_DIR/report.html.\n"
    "\n"
    "options:\n"
    "  --requirements FILE     decision drivers as JSON (see bench/report/DECISION.md); defaults otherwise\n"
    "  --cores-per-server N    C in the capacity model (default: requirements, else the run's cores)\n"
    "  --store-capacity OPS    shared store capacity in ops/s (default: measured store_capacity)\n"
    "  --lb-capacity RPS       load-balancer ceiling in requests/s (default: none)\n"
    "  --max-servers N         project to N servers (default 64)\n"
    "  -q, --quiet             no progress lines\n"
    "  -h, --help              this text\n"
    "\n"
    "environment: AUTHBENCH_GNUPLOT_DIR overrides where the chart templates are (scripts/gnuplot).\n"
    "exit status: 0 written, 1 failure (unreadable run, gnuplot missing or failing), 2 bad usage.\n";

/* The value after flag argv[*i]; usage failure when missing. */
static const char *opt_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        ab_usage_fail("report", "%s needs a value", argv[*i]);
    return argv[++*i];
}

/* Parses one option at argv[*i] into o; returns 0, or 1 when it is not an option. */
static int parse_opt(int argc, char **argv, int *i, ab_report_opts *o)
{
    const char *a = argv[*i];
    if (strcmp(a, "--requirements") == 0)
        o->requirements_path = opt_value(argc, argv, i);
    else if (strcmp(a, "--cores-per-server") == 0)
        o->cores_per_server = ab_opt_double("report", a, opt_value(argc, argv, i), 0.1, 4096);
    else if (strcmp(a, "--store-capacity") == 0)
        o->store_capacity_ops = ab_opt_double("report", a, opt_value(argc, argv, i), 1, 1e12);
    else if (strcmp(a, "--lb-capacity") == 0)
        o->lb_capacity_rps = ab_opt_double("report", a, opt_value(argc, argv, i), 1, 1e12);
    else if (strcmp(a, "--max-servers") == 0)
        o->max_servers = (int)ab_opt_u64("report", a, opt_value(argc, argv, i), 1, 4096);
    else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
        o->progress = 0;
    else if (a[0] == '-' && a[1] != '\0')
        ab_usage_fail("report", "unknown option '%s'", a);
    else
        return 1;
    return 0;
}

int ab_cmd_report(int argc, char **argv)
{
    ab_report_opts o;
    const char *dir = NULL;
    char err[1024];
    int i;
    memset(&o, 0, sizeof o);
    o.progress = 1;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(report_usage, stdout);
            return AB_EXIT_OK;
        }
        if (parse_opt(argc, argv, &i, &o) == 0)
            continue;
        if (dir != NULL)
            ab_usage_fail("report", "one run directory only (got '%s' and '%s')", dir, argv[i]);
        dir = argv[i];
    }
    if (dir == NULL)
        ab_usage_fail("report", "missing RUN_DIR");
    if (ab_report_write_opts(dir, &o, err, sizeof err) != 0) {
        ab_err("report", "%s", err);
        return AB_EXIT_FAIL;
    }
    if (o.progress)
        fprintf(stderr, "authbench: report: wrote %s/report.md, %s/report.html and %s/charts/\n", dir, dir, dir);
    return AB_EXIT_OK;
}

/* cmd_report.c — `authbench report RUN_DIR`: charts and the architecture decision record of a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_opt.h"
#include "ab_report.h"
#include "commands.h"

static const char report_usage[] =
    "usage: authbench report RUN_DIR [options]\n"
    "\n"
    "Reads RUN_DIR/results.json (and micro.json when present) and writes RUN_DIR/charts/*.svg and *.png\n"
    "(gnuplot), the chart data in RUN_DIR/charts/data/, the architecture decision record\n"
    "RUN_DIR/report.md and the self-contained RUN_DIR/report.html, and RUN_DIR/decision.json: the\n"
    "verdict (an option's id, no_measurable_difference or none), every option's p99 estimate at the\n"
    "deployment load with its 95 % interval, method, source cells and reason when ruled out, the gate's\n"
    "figures and the flip points (schema in bench/report/DECISION.md). Run it again with other\n"
    "--requirements to rewrite all three from the same measurements.\n"
    "\n"
    "options:\n"
    "  --requirements FILE     decision drivers as JSON (see bench/report/DECISION.md): peak load, servers,\n"
    "                          store distance, revocation, token budget, regions, slo_p99_ms, jwt_alg_class;\n"
    "                          fields left out take the run's deployment and SLO, else the defaults\n"
    "  --cores-per-server N    C in the capacity model (default: requirements, else the run's cores)\n"
    "  --store-capacity OPS    shared store capacity in ops/s (default: measured store_capacity)\n"
    "  --lb-capacity RPS       load-balancer ceiling in requests/s (default: none)\n"
    "  --max-servers N         project to N servers (default 64)\n"
    "  -q, --quiet             no progress lines\n"
    "  -h, --help              this text\n"
    "\n"
    "environment: AUTHBENCH_GNUPLOT_DIR overrides where the chart templates are (scripts/gnuplot).\n"
    "exit status: 0 written, 1 failure (unreadable run, gnuplot missing or failing), 2 bad usage.\n";

enum { O_REQUIREMENTS = 256, O_CORES, O_STORE_CAPACITY, O_LB_CAPACITY, O_MAX_SERVERS, O_QUIET = 'q' };

static const struct option report_options[] = {
    {"requirements", required_argument, NULL, O_REQUIREMENTS}, {"cores-per-server", required_argument, NULL, O_CORES},
    {"store-capacity", required_argument, NULL, O_STORE_CAPACITY},
    {"lb-capacity", required_argument, NULL, O_LB_CAPACITY}, {"max-servers", required_argument, NULL, O_MAX_SERVERS},
    {"quiet", no_argument, NULL, O_QUIET}, {NULL, 0, NULL, 0}};

/* Prints --help. */
static void usage(void)
{
    fputs(report_usage, stdout);
}

/* Parses argv into o and the run directory. Exits 0 after --help, 2 on bad usage. */
static const char *parse_args(int argc, char **argv, ab_report_opts *o)
{
    const char *dir = NULL;
    ab_opt p;
    int c;
    memset(o, 0, sizeof *o);
    o->progress = 1;
    ab_opt_init_args(&p, "report", usage, report_options, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case O_REQUIREMENTS: o->requirements_path = ab_opt_value(&p); break;
        case O_CORES: o->cores_per_server = ab_opt_double(&p, 0.1, 4096); break;
        case O_STORE_CAPACITY: o->store_capacity_ops = ab_opt_double(&p, 1, 1e12); break;
        case O_LB_CAPACITY: o->lb_capacity_rps = ab_opt_double(&p, 1, 1e12); break;
        case O_MAX_SERVERS: o->max_servers = (int)ab_opt_u64(&p, 1, 4096); break;
        case O_QUIET: o->progress = 0; break;
        case AB_OPT_ARG:
            if (dir != NULL)
                ab_opt_fail(&p, "one run directory only (got '%s' and '%s')", dir, ab_opt_value(&p));
            dir = ab_opt_value(&p);
            break;
        }
    }
    if (dir == NULL)
        ab_opt_fail(&p, "missing RUN_DIR");
    return dir;
}

int ab_cmd_report(int argc, char **argv)
{
    ab_report_opts o;
    const char *dir = parse_args(argc, argv, &o);
    char err[1024];
    if (ab_report_write_opts(dir, &o, err, sizeof err) != 0) {
        ab_err("report", "%s", err);
        return AB_EXIT_FAIL;
    }
    if (o.progress)
        fprintf(stderr, "authbench: report: wrote %s/report.md, %s/report.html, %s/decision.json and %s/charts/\n", dir, dir,
                dir, dir);
    return AB_EXIT_OK;
}

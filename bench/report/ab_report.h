/* ab_report.h — `authbench report`: gnuplot charts and the architecture decision record of a run. */
#ifndef AB_REPORT_H
#define AB_REPORT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Overrides of the capacity model's parameters. A field left at its "unset" value (0, or NULL)
 * takes the requirements file's value, then the run's measurement, then the stated default. */
typedef struct ab_report_opts {
    const char *requirements_path; /* JSON requirements file (see bench/report/DECISION.md), NULL = defaults */
    double cores_per_server;       /* C in the capacity model; 0 = requirements / run's cores */
    double store_capacity_ops;     /* shared store ops/s at saturation; 0 = measured */
    double lb_capacity_rps;        /* load balancer ceiling in requests/s; 0 = none */
    int max_servers;               /* projection reaches this many servers; 0 = 64 */
    int progress;                  /* 1: progress lines on stderr when it takes a while */
} ab_report_opts;

/* Reads <run_dir>/results.json (and micro.json when present) and writes the charts (<run_dir>/charts/NAME.svg
 * and .png, their data in charts/data/NAME.dat), report.md and report.html, each atomically.
 * requirements_path may be NULL (defaults). Returns 0, or -1 with a one-line message in err. */
int ab_report_write(const char *run_dir, const char *requirements_path, char *err, size_t errlen);

/* ab_report_write with every option. opts may be NULL (all defaults). */
int ab_report_write_opts(const char *run_dir, const ab_report_opts *opts, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* AB_REPORT_H */

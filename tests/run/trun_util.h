/* trun_util.h — a scenario run end to end for the run integration tests: the scenario written into
 * a new temporary directory, `authbench run` on it, its results.json parsed. */
#ifndef TRUN_UTIL_H
#define TRUN_UTIL_H

#include <cjson/cJSON.h>

/* One run: its temporary directory, run directory and results (all owned; trun_done frees them). */
typedef struct trun {
    char *dir;        /* the temporary directory (tsupport_tmpdir) */
    char out[540];    /* <dir>/out: the run directory */
    cJSON *results;   /* its results.json */
} trun;

/* Writes scenario into a new temporary directory named after tag and runs `authbench run --scenario
 * … --out <dir>/out --no-micro --quiet` (with --no-report unless report), killed after timeout_ms;
 * fails the test unless it exits 0 and leaves a results.json, with its stderr in the message. */
void trun_scenario(trun *r, const char *tag, const char *scenario, int report, int timeout_ms);
/* Removes the temporary directory and frees what r holds. */
void trun_done(trun *r);

#endif /* TRUN_UTIL_H */

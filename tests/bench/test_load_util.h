/* test_load_util.h — helpers for the proxy, load and run integration tests: run the authbench
 * program to completion with its output captured, start `authbench serve` on a free loopback port,
 * run a tiny scenario, find a cell of a run's results. */
#ifndef TEST_LOAD_UTIL_H
#define TEST_LOAD_UTIL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "tsupport.h"

/* The authbench program (AUTHBENCH_BIN); aborts the test run when it is not set. */
const char *tload_bin(void);
/* Runs argv to completion (killed after timeout_ms) with stdout and stderr captured into malloc'd
 * NUL-terminated strings (either pointer may be NULL). The exit status, or -1 when it was killed
 * or crashed. */
int tload_run(char *const argv[], int timeout_ms, char **out, char **err);
/* Starts `authbench serve --mechanism mech --listen 127.0.0.1:<free port>` and waits for its ready
 * line; writes "127.0.0.1:<port>" into hostport. 0 or -1. */
int tload_serve_start(tsupport_proc *p, const char *mech, char *hostport, size_t len);
/* Number of '\n'-terminated lines in s (a last unterminated line counts too). */
int tload_lines(const char *s);

/* The number at the dotted path under root (ab_json_at); fails the test when it is missing or not a
 * number. */
double tload_num(const cJSON *root, const char *path);

/* The cell with this id in a parsed results.json; fails the test when there is none. */
const cJSON *tload_cell(const cJSON *results, const char *id);

/* A tiny `authbench run` of a scenario the test wrote, as the run tests do. */
typedef struct tload_scenario_run {
    char *dir;      /* its temporary directory: scenario.json, and out/ */
    char out[540];  /* the run directory, <dir>/out */
    cJSON *results; /* out/results.json, parsed */
} tload_scenario_run;
/* Writes scenario (JSON text) into a fresh temporary directory (tag names it) and runs `authbench
 * run --scenario <dir>/scenario.json --out <dir>/out --no-micro --quiet` and the extra arguments
 * (NULL-terminated, may be NULL), killed after timeout_ms. Fails the test unless it exits 0 with a
 * complete results.json. */
void tload_run_scenario(tload_scenario_run *r, const char *tag, const char *scenario, const char *const *extra,
                        int timeout_ms);
/* Deletes the results and removes the directory. */
void tload_scenario_free(tload_scenario_run *r);

#endif /* TEST_LOAD_UTIL_H */

/* run_scenario.h — scenarios (scenario.c, scenario_builtin.c) and their matrix of cells (matrix.c):
 * a scenario file or built-in parsed into a normalised cJSON document with command-line overrides,
 * its groups expanded into ab_res_cell values. *
 * Prefix: ab_run_ / AB_RUN_. Not a public API: only bench/run/ and tests/run/ include it. */
#ifndef AB_RUN_SCENARIO_H
#define AB_RUN_SCENARIO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "ab_cli.h"
#include "ab_json.h"
#include "ab_results.h"

/* ---- scenario and matrix (scenario.c, scenario_builtin.c, matrix.c) ------------------------- */

/* Parses scenario JSON text (origin names it in messages). Returns a new normalised document,
 * or NULL with a one-line message naming the field in err. The caller frees it (cJSON_Delete). */
cJSON *ab_run_scenario_parse(const char *text, const char *origin, char *err, size_t errlen);
/* The built-in scenario text for name "quick" or "default"; NULL for another name. Static. */
const char *ab_run_scenario_builtin(const char *name);
/* Applies one override "field=value" (value JSON, or a bare string) to sc: a group field is set in
 * every group, a top-level field at the top. 0, or -1 with err. */
int ab_run_scenario_set(cJSON *sc, const char *assignment, char *err, size_t errlen);
/* Keeps only the mechanisms matching one of the comma-separated names (a mechanism name or a
 * family, e.g. "jwt", "session:redis"); drops groups left empty. 0, or -1 with err when nothing
 * matches. */
int ab_run_scenario_filter(cJSON *sc, const char *list, char *err, size_t errlen);
/* Validates sc after overrides (every field of every group). 0, or -1 with err. */
int ab_run_scenario_check(const cJSON *sc, char *err, size_t errlen);
/* A duration item: a string with a unit ("250us", "2s") or a number of seconds. 0 or -1. */
int ab_run_json_duration_us(const cJSON *it, uint64_t *us);
/* An axis field is a value or a list of values: its length, and its i-th value. */
int ab_run_axis_len(const cJSON *it);
const cJSON *ab_run_axis_get(const cJSON *it, int i);
/* A copy of sc to show or write (scenario.json, results.json, --dump-scenario): the passwords of
 * redis_url and redis_cluster_url shown as "***". The caller deletes it; NULL when out of memory. */
cJSON *ab_run_scenario_shown(const cJSON *sc);
/* Top-level accessors (defaults when absent). */
const char *ab_run_scenario_name(const cJSON *sc);

/* ---- the load a cell is measured at (scenario_rate.c) ------------------------------------------ */

#define AB_RUN_REQ_SOURCE_MAX 1100 /* "requirements <path>" */

/* 0 when v is a group's sweep value: null, fractions of capacity, or {"rates": [...]}; else -1. */
int ab_run_sweep_ok(const cJSON *v);
/* Checks deployment, slo_p99_ms, seed, and each group's open_loop / sweep / fault window. 0, or -1
 * with err naming the field (ab_run_scenario_check calls it). */
int ab_run_scenario_check_rates(const cJSON *sc, char *err, size_t errlen);
/* 0 when v is a group's store_sweep value: null or {"expired": 1..10^7, "at": duration}; else -1
 * (scenario_store.c). */
int ab_run_store_sweep_ok(const cJSON *v);
/* Checks each group's sessions and store_sweep against its mechanisms (a shared store; a session
 * store the run can sweep), its fault, open_loop, sweep and window. 0, or -1 with err naming the
 * field (ab_run_scenario_check calls it). */
int ab_run_scenario_check_stores(const cJSON *sc, char *err, size_t errlen);
/* The deployment's per-server rate (peak / servers), requests/s. */
double ab_run_deployment_per_server(const cJSON *sc);
/* The top-level "deployment" object of results.json (caller owns it). */
cJSON *ab_run_deployment_json(const cJSON *sc);
/* Takes the deployment (peak_requests_per_sec, servers) and slo_p99_ms, when present, from a
 * requirements file (bench/report/DECISION.md; absent drivers take the report's defaults). 0, or
 * -1 with err. */
int ab_run_scenario_requirements(cJSON *sc, const char *path, char *err, size_t errlen);

/* Expands the groups of a checked scenario into cells (malloc'd array in *out, count in *n).
 * 0, or -1 with err. */
int ab_run_matrix_expand(const cJSON *sc, ab_res_cell **out, size_t *n, char *err, size_t errlen);
/* Estimated seconds a cell takes (all repetitions, set-up included). */
double ab_run_cell_estimate_s(const ab_res_cell *c);
/* Prints the matrix as a table and the estimated total time. */
void ab_run_matrix_print(FILE *out, const ab_res_cell *cells, size_t n, double extra_s);
/* 1 when the cell needs a Redis (session:redis, jwt+denylist:…,redis, or a fault acting on one). */
int ab_run_cell_needs_redis(const ab_res_cell *c);

#endif /* AB_RUN_SCENARIO_H */

/* report_check.h — helpers of the report tests: a fixture run in a temp dir, running authbench, reading
 * report.md's tables, and evaluating a figure's source expression over results.json / micro.json. */
#ifndef REPORT_CHECK_H
#define REPORT_CHECK_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Copies tests/report/fixture-run to a fresh temp dir; returns its malloc'd path. */
char *rc_fixture_copy(void);
/* Parses <dir>/<name> as JSON (NULL when absent or malformed). */
cJSON *rc_json(const char *dir, const char *name);
/* Writes text to <dir>/<name>. */
void rc_write(const char *dir, const char *name, const char *text);
/* 1 when <dir>/<rel> exists and is not empty. */
int rc_nonempty(const char *dir, const char *rel);

/* Runs $AUTHBENCH_BIN with args (NULL-terminated); PATH replaced when path != NULL. Returns the exit
 * status; *err gets the malloc'd stderr text. */
int rc_run(const char *const *args, const char *path, char **err);

/* The cells of a Markdown table whose header row starts with header_prefix: rows[r][c] (malloc'd,
 * trimmed, backticks kept). Returns the number of data rows; 0 when there is no such table. */
typedef struct rc_table {
    char ***rows;
    size_t nrows, ncols;
} rc_table;
size_t rc_table_read(const char *md, const char *header_prefix, rc_table *t);
void rc_table_free(rc_table *t);

/* The options[] entry of decision.json with this id, or NULL. */
const cJSON *rc_option(const cJSON *decision, const char *id);
/* A number at dotted path under obj (a numeric part indexes an array); NaN when absent/null. */
double rc_num(const cJSON *obj, const char *path);
/* The cell object with this id. */
const cJSON *rc_cell(const cJSON *results, const char *id);
/* Evaluates a figure source: numbers, + - * /, parentheses, min(a, …), cells[ID].path, run.path,
 * micro[NAME].field. NaN on a parse error or an unknown reference. */
double rc_eval(const char *expr, const cJSON *results, const cJSON *micro);
/* Parses a shown figure ("2.90 ms", "98000 req/s", "22 B", "15.5%", "1") into its base unit (µs,
 * req/s, B, %, plain) and the half-width of its rounding; -1 when malformed. */
int rc_parse_shown(const char *shown, double *value, double *half_ulp);

/* Checks report.md's figures: every row of its sources table evaluates (rc_eval) to its exact value
 * and rounds to its shown text, and every bold number is one of them. The number of bold figures,
 * or -1 with why. */
int rc_check_figures(const char *md, const cJSON *results, const cJSON *micro, char *why, size_t len);

#endif /* REPORT_CHECK_H */

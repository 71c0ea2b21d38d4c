/* res_files.c — the run's files: results.json (AB_RES_SCHEMA), results.csv (one row per cell) and
 * timeseries.csv (one row per cell, repetition and second), each written atomically; and the
 * reader of results.json that checks its schema version. */
#include "res_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_json.h"

#define RES_PATH_MAX 4096
#define RES_MAX_JSON (256u * 1024 * 1024)

/* results.json being built. */
struct ab_res_doc {
    cJSON *doc;           /* results.json as it stands (owned) */
    cJSON *cells;         /* its "cells" array (borrowed from doc) */
};

/* A growing text buffer for CSV; on OOM it stops growing and remembers it. */
typedef struct csv_buf {
    char *p;
    size_t len, cap;
    int oom;
} csv_buf;

/* The results.csv columns: a cell field (dotted path into the cell object) and its header; the
 * per-request figures (AB_RES_FIGURES) come between csv_head and csv_tail. */
typedef struct csv_col { const char *header, *path; } csv_col;
static const csv_col csv_head[] = {
    {"id", "id"}, {"label", "label"}, {"mechanism", "mechanism"}, {"family", "family"},
    {"store", "store"}, {"alg", "alg"}, {"store_delay_us", "store_delay_us"},
    {"disk_mode", "disk_mode"}, {"servers", "servers"}, {"lb", "lb"},
    {"connections", "connections"}, {"threads", "threads"}, {"rate_per_sec", "rate_per_sec"},
    {"kind", "kind"}, {"via_proxy", "via_proxy"}, {"rate_fraction", "rate_fraction"},
    {"users", "users"}, {"key_dist", "key_dist"}, {"mix_name", "mix_name"}, {"fault", "fault"},
    {"fault_at_s", "fault_at_s"}, {"fault_for_s", "fault_for_s"},
    {"fault_errors_after", "fault_outcome.errors_after"},
    {"fault_auth_failures_after", "fault_outcome.auth_failures_after"},
    {"fault_recovery_s", "fault_outcome.recovery_s"}, {"duration_s", "duration_s"}, {"warmup_s", "warmup_s"},
    {"repetitions", "repetitions"}, {"status", "status"},
    {"requests_per_sec", "requests_per_sec"}, {"requests_per_sec_mean", "requests_per_sec_mean"},
    {"requests_per_sec_cv", "requests_per_sec_cv"}, {"high_cv", "high_cv"},
    {"target_rate_per_sec", "target_rate_per_sec"}, {"achieved_rate_per_sec", "achieved_rate_per_sec"},
    {"rate_reached", "rate_reached"}, {"goodput_per_sec", "goodput_per_sec"},
    {"p50_us", "latency_us.p50"}, {"p90_us", "latency_us.p90"}, {"p99_us", "latency_us.p99"},
    {"p999_us", "latency_us.p999"}, {"p9999_us", "latency_us.p9999"}, {"max_us", "latency_us.max"},
    {"mean_us", "latency_us.mean"}, {"uncorrected_p99_us", "latency_uncorrected_us.p99"},
    {"p99_ci95_low_us", "repetition_stats.p99_us.ci95_low"}, {"p99_ci95_high_us", "repetition_stats.p99_us.ci95_high"},
    {"failed_answers", "failed_answers"}, {"failed_p99_us", "latency_failed_us.p99"},
    {"requests", "requests"}, {"auth_failures", "auth_failures"},
};
static const csv_col csv_tail[] = {
    {"redis_commands_per_req", "redis_commands_per_req"}, {"loadgen_cpu_util", "loadgen_cpu_util"},
    {"loadgen_bottleneck", "loadgen_bottleneck"}, {"load_avg_1m", "load_avg_1m"}, {"steal_frac", "steal_frac"},
    {"other_cpu_frac", "other_cpu_frac"}, {"other_cpu_window_frac", "other_cpu_window_frac"},
    {"busy_machine", "busy_machine"}, {"sessions_live", "sessions_live"},
    {"store_bytes_per_session", "store_bytes_per_session"}, {"sweep_removed", "store_sweep.removed"},
    {"sweep_ms", "store_sweep.sweep_ms"}, {"sweep_p99_before_us", "store_sweep.p99_before_us"},
    {"sweep_p99_during_us", "store_sweep.p99_during_us"}, {"sweep_p99_after_us", "store_sweep.p99_after_us"},
    {"error", "error"}};
#define N_CSV_HEAD (sizeof csv_head / sizeof csv_head[0])
#define N_CSV_TAIL (sizeof csv_tail / sizeof csv_tail[0])

static const char *const series_cols[] = {"rep", "second", "requests", "ok", "errors", "auth_failures",
                                          "p50_us", "p99_us"};
#define N_SERIES_COLS (sizeof series_cols / sizeof series_cols[0])

/* Appends n bytes. */
static void csv_put(csv_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Appends a string field, quoted when it holds a comma, quote or newline (RFC 4180). */
static void csv_str(csv_buf *b, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        csv_put(b, s, strlen(s));
        return;
    }
    csv_put(b, "\"", 1);
    for (; *s != '\0'; s++)
        csv_put(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    csv_put(b, "\"", 1);
}

/* Appends one JSON value as a CSV field: empty for null or absent. */
static void csv_value(csv_buf *b, const cJSON *v)
{
    char num[64];
    if (cJSON_IsString(v))
        csv_str(b, v->valuestring);
    else if (cJSON_IsBool(v))
        csv_put(b, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5);
    else if (cJSON_IsNumber(v)) {
        ab_fmt(num, sizeof num, "%.6g", v->valuedouble);
        csv_put(b, num, strlen(num));
    }
}

/* The i-th results.csv column: csv_head, then the figures, then csv_tail. 0, or -1 past the end. */
static int csv_column(size_t i, csv_col *out)
{
    size_t nfig;
    const ab_res_figure *figs = ab_res_figures(&nfig);
    if (i < N_CSV_HEAD)
        *out = csv_head[i];
    else if (i < N_CSV_HEAD + nfig)
        out->header = out->path = figs[i - N_CSV_HEAD].name;
    else if (i < N_CSV_HEAD + nfig + N_CSV_TAIL)
        *out = csv_tail[i - N_CSV_HEAD - nfig];
    else
        return -1;
    return 0;
}

/* results.csv: a header, then one row per cell. */
static void csv_results(csv_buf *b, const cJSON *cells)
{
    const cJSON *cell;
    csv_col col;
    size_t i;
    for (i = 0; csv_column(i, &col) == 0; i++) {
        csv_put(b, i ? "," : "", i ? 1 : 0);
        csv_str(b, col.header);
    }
    csv_put(b, "\n", 1);
    cJSON_ArrayForEach(cell, cells) {
        for (i = 0; csv_column(i, &col) == 0; i++) {
            csv_put(b, i ? "," : "", i ? 1 : 0);
            csv_value(b, ab_json_at(cell, col.path));
        }
        csv_put(b, "\n", 1);
    }
}

/* timeseries.csv: a header, then one row per cell, repetition and second. */
static void csv_series(csv_buf *b, const cJSON *cells)
{
    const cJSON *cell, *row;
    size_t i;
    csv_put(b, "cell", 4);
    for (i = 0; i < N_SERIES_COLS; i++) {
        csv_put(b, ",", 1);
        csv_str(b, series_cols[i]);
    }
    csv_put(b, "\n", 1);
    cJSON_ArrayForEach(cell, cells) {
        cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(cell, "timeseries")) {
            csv_value(b, cJSON_GetObjectItemCaseSensitive(cell, "id"));
            for (i = 0; i < N_SERIES_COLS; i++) {
                csv_put(b, ",", 1);
                csv_value(b, cJSON_GetObjectItemCaseSensitive(row, series_cols[i]));
            }
            csv_put(b, "\n", 1);
        }
    }
}

int ab_res_write_json(const char *path, const cJSON *doc)
{
    char *text = cJSON_Print(doc);
    int rc;
    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    rc = ab_write_file_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

/* "figures": what each per-request figure is (name, unit, source in the load's JSON). */
static cJSON *figures_table(void)
{
    size_t i, n;
    const ab_res_figure *figs = ab_res_figures(&n);
    cJSON *arr = cJSON_CreateArray();
    for (i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", figs[i].name);
        cJSON_AddStringToObject(o, "unit", ab_res_figure_unit(&figs[i]));
        cJSON_AddStringToObject(o, "source", figs[i].source);
        figs[i].source2 ? (void)cJSON_AddStringToObject(o, "source2", figs[i].source2)
                        : (void)cJSON_AddNullToObject(o, "source2");
        cJSON_AddNumberToObject(o, "scale", figs[i].scale);
        cJSON_AddStringToObject(o, "what", figs[i].what);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

ab_res_doc *ab_res_doc_new(const char *name, const cJSON *scenario_shown, cJSON *environment)
{
    char now[32];
    ab_res_doc *d = calloc(1, sizeof *d);
    if (d == NULL || (d->doc = cJSON_CreateObject()) == NULL) {
        free(d);
        cJSON_Delete(environment);
        return NULL;
    }
    cJSON_AddStringToObject(d->doc, "schema", AB_RES_SCHEMA);
    cJSON_AddNumberToObject(d->doc, "schema_version", AB_RES_SCHEMA_VERSION);
    cJSON_AddStringToObject(d->doc, "name", name);
    cJSON_AddBoolToObject(d->doc, "complete", 0);
    cJSON_AddStringToObject(d->doc, "started_utc", ab_fmt_utc(ab_wall_s(), now, sizeof now));
    cJSON_AddNullToObject(d->doc, "finished_utc");
    cJSON_AddItemToObject(d->doc, "environment", environment);
    cJSON_AddItemToObject(d->doc, "scenario", cJSON_Duplicate(scenario_shown, 1));
    cJSON_AddNullToObject(d->doc, "store_capacity");
    cJSON_AddItemToObject(d->doc, "figures", figures_table());
    cJSON_AddNullToObject(d->doc, "slo_p99_ms");       /* these three the runner sets (ab_res_doc_set) */
    cJSON_AddNullToObject(d->doc, "deployment");
    cJSON_AddNullToObject(d->doc, "repetition_order");
    cJSON_AddArrayToObject(d->doc, "sweeps");          /* computed from the cells as it is written */
    if ((d->cells = cJSON_AddArrayToObject(d->doc, "cells")) == NULL) {
        ab_res_doc_free(d);
        return NULL;
    }
    return d;
}

void ab_res_doc_set(ab_res_doc *d, const char *key, cJSON *value)
{
    if (cJSON_HasObjectItem(d->doc, key))
        cJSON_ReplaceItemInObjectCaseSensitive(d->doc, key, value);
    else
        cJSON_AddItemToObject(d->doc, key, value);
}

void ab_res_doc_add_cell(ab_res_doc *d, cJSON *cell)
{
    cJSON_AddItemToArray(d->cells, cell);
}

void ab_res_doc_insert_cell(ab_res_doc *d, int pos, cJSON *cell)
{
    cJSON *tail = cJSON_CreateArray(), *it;
    /* cJSON_InsertItemInArray of Debian 12's cJSON (1.7.15) refuses a position past the first: the
     * cells after pos are moved aside and put back instead */
    while (pos >= 0 && pos < cJSON_GetArraySize(d->cells))
        cJSON_AddItemToArray(tail, cJSON_DetachItemFromArray(d->cells, pos));
    cJSON_AddItemToArray(d->cells, cell);
    while ((it = cJSON_DetachItemFromArray(tail, 0)) != NULL)
        cJSON_AddItemToArray(d->cells, it);
    cJSON_Delete(tail);
}

void ab_res_doc_replace_cell(ab_res_doc *d, int pos, cJSON *cell)
{
    if (pos < 0 || pos >= cJSON_GetArraySize(d->cells) || !cJSON_ReplaceItemInArray(d->cells, pos, cell))
        cJSON_AddItemToArray(d->cells, cell);
}

int ab_res_doc_ncells(const ab_res_doc *d)
{
    return cJSON_GetArraySize(d->cells);
}

/* Writes one CSV buffer to dir/name atomically. 0, or -1 with err. */
static int write_csv(const char *dir, const char *name, csv_buf *b, char *err, size_t errlen)
{
    char path[RES_PATH_MAX + 32];
    ab_fmt(path, sizeof path, "%s/%s", dir, name);
    if (b->oom || ab_write_file_atomic(path, b->p ? b->p : "", b->len) != 0) {
        ab_fmt(err, errlen, "cannot write %s: %s", path, b->oom ? "out of memory" : strerror(errno));
        return -1;
    }
    return 0;
}

int ab_res_doc_write(ab_res_doc *d, const char *dir, int complete, int final, const char *finished,
                     char *err, size_t errlen)
{
    char path[RES_PATH_MAX + 32], now[32];
    csv_buf rows = {NULL, 0, 0, 0}, series = {NULL, 0, 0, 0};
    int rc = -1;
    ab_res_doc_set(d, "complete", cJSON_CreateBool(complete));
    if (finished == NULL)
        finished = final ? ab_fmt_utc(ab_wall_s(), now, sizeof now) : NULL;
    ab_res_doc_set(d, "finished_utc", finished ? cJSON_CreateString(finished) : cJSON_CreateNull());
    ab_res_doc_set(d, "sweeps", ab_res_sweeps(d->cells, ab_json_num_or(d->doc, "slo_p99_ms", 0)));
    csv_results(&rows, d->cells);
    csv_series(&series, d->cells);
    if (write_csv(dir, "results.csv", &rows, err, errlen) != 0 ||
        write_csv(dir, "timeseries.csv", &series, err, errlen) != 0)
        goto out;
    ab_fmt(path, sizeof path, "%s/results.json", dir);
    if (ab_res_write_json(path, d->doc) != 0) {
        ab_fmt(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(rows.p);
    free(series.p);
    return rc;
}

void ab_res_doc_free(ab_res_doc *d)
{
    if (d == NULL)
        return;
    cJSON_Delete(d->doc);
    free(d);
}

int ab_res_schema_version(const cJSON *doc)
{
    const char *schema = ab_json_str(doc, "schema");
    double v;
    if (schema == NULL || strncmp(schema, "authbench.results/", 18) != 0)
        return 0;
    if (ab_json_num(doc, "schema_version", &v))
        return v >= 1 && v <= 1e6 ? (int)v : 0;
    return strcmp(schema, "authbench.results/1") == 0 ? 1 : 0;
}

/* Parses the text of path as JSON; NULL with err. */
static cJSON *parse_text(const char *path, char *err, size_t errlen)
{
    const char *end = NULL;
    size_t len = 0;
    char *text = ab_read_file(path, RES_MAX_JSON, &len);
    cJSON *root;
    if (text == NULL) {
        ab_fmt(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL)
        ab_fmt(err, errlen, "%s: malformed JSON near byte %zu", path, end ? (size_t)(end - text) : (size_t)0);
    free(text);
    return root;
}

cJSON *ab_res_read(const char *dir, char *err, size_t errlen)
{
    char path[RES_PATH_MAX + 32];
    cJSON *root;
    int v;
    ab_fmt(path, sizeof path, "%s/results.json", dir);
    if ((root = parse_text(path, err, errlen)) == NULL)
        return NULL;
    v = ab_res_schema_version(root);
    if (v < AB_RES_SCHEMA_OLDEST || v > AB_RES_SCHEMA_VERSION || !cJSON_IsObject(root)) {
        const char *schema = ab_json_str(root, "schema");
        ab_fmt(err, errlen, "%s: schema is '%s', expected %s (versions %d to %d)", path,
               schema ? schema : "(none)", AB_RES_SCHEMA, AB_RES_SCHEMA_OLDEST, AB_RES_SCHEMA_VERSION);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

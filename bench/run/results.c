/* results.c — the run's files: results.json (schema authbench.results/1), results.csv (one row per
 * cell) and timeseries.csv (one row per cell, repetition and second), each written atomically. */
#include "run_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing text buffer for CSV; on OOM it stops growing and remembers it. */
typedef struct csv_buf {
    char *p;
    size_t len, cap;
    int oom;
} csv_buf;

/* The results.csv columns: a cell field (dotted path into the cell object) and its header. */
static const struct { const char *header, *path; } csv_cols[] = {
    {"id", "id"}, {"label", "label"}, {"mechanism", "mechanism"}, {"family", "family"},
    {"store", "store"}, {"alg", "alg"}, {"store_delay_us", "store_delay_us"},
    {"disk_mode", "disk_mode"}, {"servers", "servers"}, {"lb", "lb"},
    {"connections", "connections"}, {"threads", "threads"}, {"rate_per_sec", "rate_per_sec"},
    {"users", "users"}, {"key_dist", "key_dist"}, {"mix_name", "mix_name"}, {"fault", "fault"},
    {"fault_at_s", "fault_at_s"}, {"fault_for_s", "fault_for_s"},
    {"fault_errors_after", "fault_outcome.errors_after"},
    {"fault_auth_failures_after", "fault_outcome.auth_failures_after"},
    {"fault_recovery_s", "fault_outcome.recovery_s"}, {"duration_s", "duration_s"}, {"warmup_s", "warmup_s"},
    {"repetitions", "repetitions"}, {"status", "status"},
    {"requests_per_sec", "requests_per_sec"}, {"requests_per_sec_mean", "requests_per_sec_mean"},
    {"requests_per_sec_cv", "requests_per_sec_cv"}, {"high_cv", "high_cv"},
    {"p50_us", "latency_us.p50"}, {"p90_us", "latency_us.p90"}, {"p99_us", "latency_us.p99"},
    {"p999_us", "latency_us.p999"}, {"p9999_us", "latency_us.p9999"}, {"max_us", "latency_us.max"},
    {"mean_us", "latency_us.mean"}, {"uncorrected_p99_us", "latency_uncorrected_us.p99"},
    {"requests", "requests"}, {"auth_failures", "auth_failures"},
    {"client_bytes_out_per_req", "client_bytes_out_per_req"},
    {"client_bytes_in_per_req", "client_bytes_in_per_req"}, {"credential_bytes", "credential_bytes"},
    {"server_cpu_us_per_req", "server_cpu_us_per_req"}, {"auth_cpu_us_per_req", "auth_cpu_us_per_req"},
    {"store_round_trips_per_req", "store_round_trips_per_req"},
    {"store_net_bytes_per_req", "store_net_bytes_per_req"}, {"store_ops_per_req", "store_ops_per_req"},
    {"disk_bytes_read_per_req", "disk_bytes_read_per_req"},
    {"disk_bytes_written_per_req", "disk_bytes_written_per_req"}, {"fsyncs_per_req", "fsyncs_per_req"},
    {"redis_commands_per_req", "redis_commands_per_req"}, {"error", "error"},
};
#define N_CSV_COLS (sizeof csv_cols / sizeof csv_cols[0])

static const char *const series_cols[] = {"rep", "second", "requests", "errors", "auth_failures",
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
        ab_run_fmt(num, sizeof num, "%.6g", v->valuedouble);
        csv_put(b, num, strlen(num));
    }
}

/* results.csv: a header, then one row per cell. */
static void csv_results(csv_buf *b, const cJSON *cells)
{
    const cJSON *cell;
    size_t i;
    for (i = 0; i < N_CSV_COLS; i++) {
        csv_put(b, i ? "," : "", i ? 1 : 0);
        csv_str(b, csv_cols[i].header);
    }
    csv_put(b, "\n", 1);
    cJSON_ArrayForEach(cell, cells) {
        for (i = 0; i < N_CSV_COLS; i++) {
            csv_put(b, i ? "," : "", i ? 1 : 0);
            csv_value(b, ab_run_json_path(cell, csv_cols[i].path));
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

int ab_run_write_json(const char *path, const cJSON *doc)
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

int ab_run_results_init(ab_run_results *res, const cJSON *sc, cJSON *environment)
{
    char now[32];
    res->doc = cJSON_CreateObject();
    if (res->doc == NULL)
        return -1;
    cJSON_AddStringToObject(res->doc, "schema", "authbench.results/1");
    cJSON_AddStringToObject(res->doc, "name", ab_run_scenario_name(sc));
    cJSON_AddBoolToObject(res->doc, "complete", 0);
    cJSON_AddStringToObject(res->doc, "started_utc", ab_fmt_utc(ab_wall_s(), now, sizeof now));
    cJSON_AddNullToObject(res->doc, "finished_utc");
    cJSON_AddItemToObject(res->doc, "environment", environment);
    cJSON_AddItemToObject(res->doc, "scenario", ab_run_scenario_shown(sc));
    cJSON_AddNullToObject(res->doc, "store_capacity");
    res->cells = cJSON_AddArrayToObject(res->doc, "cells");
    return res->cells != NULL ? 0 : -1;
}

void ab_run_results_set(ab_run_results *res, const char *key, cJSON *value)
{
    if (cJSON_HasObjectItem(res->doc, key))
        cJSON_ReplaceItemInObjectCaseSensitive(res->doc, key, value);
    else
        cJSON_AddItemToObject(res->doc, key, value);
}

void ab_run_results_add_cell(ab_run_results *res, cJSON *cell)
{
    cJSON_AddItemToArray(res->cells, cell);
}

/* Writes one CSV buffer to dir/name atomically. 0, or -1 with err. */
static int write_csv(const char *dir, const char *name, csv_buf *b, char *err, size_t errlen)
{
    char path[AB_RUN_PATH_MAX + 32];
    ab_run_fmt(path, sizeof path, "%s/%s", dir, name);
    if (b->oom || ab_write_file_atomic(path, b->p ? b->p : "", b->len) != 0) {
        ab_run_fmt(err, errlen, "cannot write %s: %s", path, b->oom ? "out of memory" : strerror(errno));
        return -1;
    }
    return 0;
}

int ab_run_results_write(ab_run_results *res, const char *dir, int complete, int final, char *err,
                         size_t errlen)
{
    char path[AB_RUN_PATH_MAX + 32], now[32];
    csv_buf rows = {NULL, 0, 0, 0}, series = {NULL, 0, 0, 0};
    int rc = -1;
    ab_run_results_set(res, "complete", cJSON_CreateBool(complete));
    ab_run_results_set(res, "finished_utc", final ? cJSON_CreateString(ab_fmt_utc(ab_wall_s(), now, sizeof now))
                                                  : cJSON_CreateNull());
    csv_results(&rows, res->cells);
    csv_series(&series, res->cells);
    if (write_csv(dir, "results.csv", &rows, err, errlen) != 0 ||
        write_csv(dir, "timeseries.csv", &series, err, errlen) != 0)
        goto out;
    ab_run_fmt(path, sizeof path, "%s/results.json", dir);
    if (ab_run_write_json(path, res->doc) != 0) {
        ab_run_fmt(err, errlen, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(rows.p);
    free(series.p);
    return rc;
}

void ab_run_results_free(ab_run_results *res)
{
    cJSON_Delete(res->doc);
    res->doc = NULL;
    res->cells = NULL;
}

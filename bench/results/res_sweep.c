/* res_sweep.c — the rate sweeps of a run (results.json "sweeps"): the open-loop cells of kind
 * "sweep" grouped per swept option into a latency-vs-throughput curve, and the capacity at the SLO
 * (the highest rate reached whose p99 meets slo_p99_ms). */
#include "res_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_json.h"

#define SWEEP_KEY_MAX 400

/* The option a sweep cell belongs to: its mechanism, store distance, servers, server model and
 * capacity cell (a sweep's labels may name the rate, so the label is not the key). */
static void sweep_key(const cJSON *cell, char *key, size_t len)
{
    const char *of = ab_json_str(cell, "sweep_of"), *model = ab_json_str(cell, "server_model");
    ab_fmt(key, len, "%s|%.0f|%.0f|%s|%s", ab_json_str(cell, "mechanism") ? ab_json_str(cell, "mechanism") : "",
           ab_json_num_or(cell, "store_delay_us", 0), ab_json_num_or(cell, "servers", 0), model ? model : "",
           of ? of : "");
}

/* The cell with this id among cells, or NULL. */
static const cJSON *cell_by_id(const cJSON *cells, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cells) {
        const char *cid = ab_json_str(c, "id");
        if (id != NULL && cid != NULL && strcmp(cid, id) == 0)
            return c;
    }
    return NULL;
}

/* Copies the number (or null) at path of from into to as key. */
static void copy_num(cJSON *to, const char *key, const cJSON *from, const char *path)
{
    double v;
    int has = ab_json_num(from, path, &v);
    ab_res_add_num_or_null(to, key, has, v);
}

/* A new sweep entry for the option of cell (the capacity cell's label when it is in the run). */
static cJSON *sweep_new(const cJSON *cells, const cJSON *cell)
{
    const char *of = ab_json_str(cell, "sweep_of"), *label;
    const cJSON *cap = cell_by_id(cells, of);
    cJSON *s = cJSON_CreateObject();
    label = ab_json_str(cap != NULL ? cap : cell, "label");
    cJSON_AddStringToObject(s, "label", label ? label : "");
    cJSON_AddStringToObject(s, "mechanism", ab_json_str(cell, "mechanism") ? ab_json_str(cell, "mechanism") : "");
    copy_num(s, "store_delay_us", cell, "store_delay_us");
    copy_num(s, "servers", cell, "servers");
    label = ab_json_str(cell, "server_model");
    label != NULL ? (void)cJSON_AddStringToObject(s, "server_model", label) : (void)cJSON_AddNullToObject(s, "server_model");
    of != NULL ? (void)cJSON_AddStringToObject(s, "capacity_cell", of) : (void)cJSON_AddNullToObject(s, "capacity_cell");
    cJSON_AddArrayToObject(s, "points");
    return s;
}

/* One point of a curve: the cell's rates and its latency (p99 with its interval). */
static cJSON *sweep_point(const cJSON *cell)
{
    cJSON *p = cJSON_CreateObject(), *ci;
    const cJSON *reached = ab_json_at(cell, "rate_reached");
    double lo, hi;
    cJSON_AddStringToObject(p, "cell", ab_json_str(cell, "id") ? ab_json_str(cell, "id") : "");
    copy_num(p, "target_rate_per_sec", cell, "target_rate_per_sec");
    copy_num(p, "achieved_rate_per_sec", cell, "achieved_rate_per_sec");
    cJSON_IsBool(reached) ? (void)cJSON_AddBoolToObject(p, "rate_reached", cJSON_IsTrue(reached))
                          : (void)cJSON_AddNullToObject(p, "rate_reached");
    copy_num(p, "p50_us", cell, "latency_us.p50");
    copy_num(p, "p99_us", cell, "latency_us.p99");
    if (ab_json_num(cell, "repetition_stats.p99_us.ci95_low", &lo) &&
        ab_json_num(cell, "repetition_stats.p99_us.ci95_high", &hi)) {
        ci = cJSON_AddArrayToObject(p, "p99_ci95");
        cJSON_AddItemToArray(ci, cJSON_CreateNumber(lo));
        cJSON_AddItemToArray(ci, cJSON_CreateNumber(hi));
    } else {
        cJSON_AddNullToObject(p, "p99_ci95");
    }
    return p;
}

/* Orders points by target rate, unknown rates last (qsort callback on cJSON items). */
static int cmp_rate(const void *a, const void *b)
{
    double x = ab_json_num_or(*(cJSON *const *)a, "target_rate_per_sec", 1e300);
    double y = ab_json_num_or(*(cJSON *const *)b, "target_rate_per_sec", 1e300);
    return (x > y) - (x < y);
}

/* Sorts a curve's points by rate: detached, sorted, appended again (cJSON_InsertItemInArray of
 * Debian 12's cJSON 1.7.15 loses items inserted mid-array). Left as it is when out of memory. */
static void sort_points(cJSON *points)
{
    int i, n = cJSON_GetArraySize(points);
    cJSON **v = n > 1 ? malloc((size_t)n * sizeof *v) : NULL;
    if (v == NULL)
        return;
    for (i = 0; i < n; i++)
        v[i] = cJSON_DetachItemFromArray(points, 0);
    qsort(v, (size_t)n, sizeof *v, cmp_rate);
    for (i = 0; i < n; i++)
        cJSON_AddItemToArray(points, v[i]);
    free(v);
}

/* capacity_at_slo_per_sec: the highest achieved rate of a point that reached its rate with p99
 * within the SLO; null when none did or there is no SLO. */
static void add_capacity(cJSON *s, double slo_p99_ms)
{
    const cJSON *p;
    double best = -1, rate, p99;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "points")) {
        if (!cJSON_IsTrue(ab_json_at(p, "rate_reached")) || !ab_json_num(p, "achieved_rate_per_sec", &rate) ||
            !ab_json_num(p, "p99_us", &p99))
            continue;
        if (p99 <= slo_p99_ms * 1000 && rate > best)
            best = rate;
    }
    ab_res_add_num_or_null(s, "capacity_at_slo_per_sec", slo_p99_ms > 0 && best >= 0, best);
}

cJSON *ab_res_sweeps(const cJSON *cells, double slo_p99_ms)
{
    cJSON *out = cJSON_CreateArray(), *index = cJSON_CreateObject(), *s;
    const cJSON *cell;
    char key[SWEEP_KEY_MAX];
    cJSON_ArrayForEach(cell, cells) {
        const char *kind = ab_json_str(cell, "kind"), *status = ab_json_str(cell, "status");
        const cJSON *at;
        if (kind == NULL || strcmp(kind, "sweep") != 0 || status == NULL || strcmp(status, "ok") != 0)
            continue;
        sweep_key(cell, key, sizeof key);
        if ((at = cJSON_GetObjectItemCaseSensitive(index, key)) != NULL) {
            s = cJSON_GetArrayItem(out, at->valueint);
        } else {
            cJSON_AddNumberToObject(index, key, cJSON_GetArraySize(out));
            cJSON_AddItemToArray(out, s = sweep_new(cells, cell));
        }
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(s, "points"), sweep_point(cell));
    }
    cJSON_ArrayForEach(s, out) {
        sort_points(cJSON_GetObjectItemCaseSensitive(s, "points"));
        add_capacity(s, slo_p99_ms);
    }
    cJSON_Delete(index);
    return out;
}

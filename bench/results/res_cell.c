/* res_cell.c — a cell's parameters in results.json: written for every cell (finished or failed) and
 * read back (bench/merge rebuilds cells from them, bench/report reads them). */
#include "res_int.h"

#include <math.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_json.h"

/* Adds key: the string, or null when it is "". */
static void add_str_or_null(cJSON *o, const char *key, const char *v)
{
    if (v[0] != '\0')
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* The load and topology fields of a cell. */
static void params_load(cJSON *o, const ab_res_cell *c)
{
    cJSON *mix;
    cJSON_AddNumberToObject(o, "servers", c->servers);
    cJSON_AddStringToObject(o, "lb", c->lb);
    cJSON_AddNumberToObject(o, "connections", c->connections);
    cJSON_AddNumberToObject(o, "threads", c->threads);
    cJSON_AddNumberToObject(o, "server_threads", c->server_threads);
    cJSON_AddStringToObject(o, "server_model", c->server_model);
    ab_res_add_num_or_null(o, "rate_per_sec", c->rate_per_sec > 0, c->rate_per_sec);
    cJSON_AddNumberToObject(o, "users", c->users);
    cJSON_AddStringToObject(o, "key_dist", c->key_dist);
    mix = cJSON_AddObjectToObject(o, "mix");
    cJSON_AddNumberToObject(mix, "login", c->mix_login);
    cJSON_AddNumberToObject(mix, "request", c->mix_request);
    cJSON_AddNumberToObject(mix, "logout", c->mix_logout);
    cJSON_AddStringToObject(o, "mix_name", c->mix_name);
}

/* What the cell measures and the mechanism's options (schema 3). */
static void params_kind(cJSON *o, const ab_res_cell *c)
{
    add_str_or_null(o, "kind", c->kind);
    cJSON_AddBoolToObject(o, "via_proxy", c->via_proxy);
    ab_res_add_num_or_null(o, "rate_fraction", c->rate_fraction > 0, c->rate_fraction);
    add_str_or_null(o, "sweep_of", c->sweep_of);
    add_str_or_null(o, "touch", c->touch);
    cJSON_AddNumberToObject(o, "claims_bytes", c->claims_bytes);
    cJSON_AddNumberToObject(o, "sessions", (double)c->sessions);
}

cJSON *ab_res_cell_params(const ab_res_cell *c)
{
    const ab_res_fault *f = ab_res_fault_find(c->fault);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", c->id);
    cJSON_AddStringToObject(o, "label", c->label);
    cJSON_AddStringToObject(o, "mechanism", c->mechanism);
    cJSON_AddStringToObject(o, "family", c->family);
    add_str_or_null(o, "store", c->store);
    add_str_or_null(o, "alg", c->alg);
    cJSON_AddNumberToObject(o, "store_delay_us", (double)c->store_delay_us);
    cJSON_AddNumberToObject(o, "store_jitter_us", (double)c->store_jitter_us);
    add_str_or_null(o, "disk_mode", c->disk_mode);
    params_load(o, c);
    add_str_or_null(o, "fault", c->fault);
    ab_res_add_num_or_null(o, "fault_for_s", f != NULL && f->span == AB_RES_FAULT_FOR, (double)c->fault_for_us / 1e6);
    cJSON_AddNumberToObject(o, "duration_s", (double)c->duration_us / 1e6);
    cJSON_AddNumberToObject(o, "warmup_s", (double)c->warmup_us / 1e6);
    cJSON_AddNumberToObject(o, "repetitions", c->repetitions);
    cJSON_AddNumberToObject(o, "group", c->group);
    params_kind(o, c);
    return o;
}

/* A string field of a cell object into out ("" for null). */
static void cell_str(const cJSON *o, const char *key, char *out, size_t len)
{
    const char *v = ab_json_str(o, key);
    ab_fmt(out, len, "%s", v != NULL ? v : "");
}

/* A number field of a cell object clamped to 0..max (0 for null), so that casting it is defined. */
static double cell_num(const cJSON *o, const char *path, double max)
{
    double v = ab_json_num_or(o, path, 0);
    if (!(v > 0))
        return 0;
    return v < max ? v : max;
}

/* The string fields of a cell. */
static void cell_strings(const cJSON *o, ab_res_cell *c)
{
    cell_str(o, "id", c->id, sizeof c->id);
    cell_str(o, "label", c->label, sizeof c->label);
    cell_str(o, "mechanism", c->mechanism, sizeof c->mechanism);
    cell_str(o, "family", c->family, sizeof c->family);
    cell_str(o, "store", c->store, sizeof c->store);
    cell_str(o, "alg", c->alg, sizeof c->alg);
    cell_str(o, "disk_mode", c->disk_mode, sizeof c->disk_mode);
    cell_str(o, "lb", c->lb, sizeof c->lb);
    cell_str(o, "key_dist", c->key_dist, sizeof c->key_dist);
    cell_str(o, "mix_name", c->mix_name, sizeof c->mix_name);
    cell_str(o, "fault", c->fault, sizeof c->fault);
    cell_str(o, "server_model", c->server_model, sizeof c->server_model);
    cell_str(o, "kind", c->kind, sizeof c->kind);
    cell_str(o, "sweep_of", c->sweep_of, sizeof c->sweep_of);
    cell_str(o, "touch", c->touch, sizeof c->touch);
    if (c->server_model[0] == '\0') /* results from before the two models: blocking loops */
        ab_fmt(c->server_model, sizeof c->server_model, "%s", "loop");
}

int ab_res_cell_from_json(const cJSON *o, ab_res_cell *c)
{
    memset(c, 0, sizeof *c);
    cell_strings(o, c);
    c->mix_login = (unsigned)cell_num(o, "mix.login", 1e6);
    c->mix_request = (unsigned)cell_num(o, "mix.request", 1e6);
    c->mix_logout = (unsigned)cell_num(o, "mix.logout", 1e6);
    c->servers = (unsigned)cell_num(o, "servers", 1e6);
    c->connections = (unsigned)cell_num(o, "connections", 1e9);
    c->threads = (unsigned)cell_num(o, "threads", 1e6);
    c->server_threads = (unsigned)cell_num(o, "server_threads", 1e6);
    c->users = (unsigned)cell_num(o, "users", 1e9);
    c->repetitions = (unsigned)cell_num(o, "repetitions", 1e3);
    c->rate_per_sec = cell_num(o, "rate_per_sec", 1e12);
    c->store_delay_us = (uint64_t)cell_num(o, "store_delay_us", 1e12);
    c->store_jitter_us = (uint64_t)cell_num(o, "store_jitter_us", 1e12);
    c->duration_us = (uint64_t)llround(cell_num(o, "duration_s", 1e9) * 1e6);
    c->warmup_us = (uint64_t)llround(cell_num(o, "warmup_s", 1e9) * 1e6);
    c->fault_for_us = (uint64_t)llround(cell_num(o, "fault_for_s", 1e9) * 1e6);
    c->group = (int)cell_num(o, "group", 1e6);
    c->via_proxy = cJSON_IsTrue(ab_json_at(o, "via_proxy"));
    c->rate_fraction = cell_num(o, "rate_fraction", 1e6);
    c->claims_bytes = (unsigned)cell_num(o, "claims_bytes", 1e9);
    c->sessions = (uint64_t)cell_num(o, "sessions", 1e12);
    c->sweep_expired = (uint64_t)cell_num(o, "store_sweep.expired", 1e12); /* 0 for null: no sweep */
    c->sweep_at_us = (uint64_t)llround(cell_num(o, "store_sweep.at_s", 1e9) * 1e6);
    return c->id[0] != '\0' && c->mechanism[0] != '\0' && c->repetitions > 0 ? 0 : -1;
}

/* rp_load.c — reads a run's results.json (through bench/results: ab_res_read, ab_res_cell_from_json)
 * and micro.json into an rp_run. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ab_cli.h"
#include "rp_int.h"

#define RP_MAX_JSON (256u * 1024 * 1024)

static const char *const okabe_ito[RP_NCOLOURS] = {
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442",
};

const char *rp_colour(int style)
{
    return okabe_ito[(style < 0 ? 0 : style) % RP_NCOLOURS];
}

/* A string member or NULL. */
static const char *str_of(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* NULL-safe string equality. */
static int str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

double rp_cell_num(const rp_cell *c, const char *path)
{
    return c ? ab_json_num_or(c->json, path, NAN) : NAN;
}

double rp_cell_sync_ms(const rp_cell *c)
{
    const char *p = c && c->mechanism ? strstr(c->mechanism, "sync_ms=") : NULL;
    double v = rp_cell_num(c, "pushed_denylist.sync_ms");
    char *end;
    if (rp_has(v) || p == NULL)
        return v;
    v = strtod(p + strlen("sync_ms="), &end);
    return end == p + strlen("sync_ms=") ? NAN : v;
}

const char *rp_cell_channel(const rp_cell *c, int *recorded)
{
    const char *ch = c ? ab_json_str(c->json, "pushed_denylist.channel") : NULL;
    *recorded = ch != NULL;
    if (ch != NULL || c == NULL || !str_eq(c->family, "jwt+pushed-denylist"))
        return ch;
    return str_eq(c->store, "postgres") ? "notify" : str_eq(c->store, "memcached") ? "poll" : "pubsub";
}

int rp_kind_of(const char *family, const char *store)
{
    if (str_eq(family, "session") && (str_eq(store, "memory") || str_eq(store, "file")))
        return RP_KIND_LOCAL;
    if (str_eq(family, "session") || str_eq(family, "jwt+denylist"))
        return RP_KIND_SHARED;
    return RP_KIND_STATELESS;
}

/* A string of the cell's parameters, or NULL for "". */
static const char *param(const char *v)
{
    return v[0] != '\0' ? v : NULL;
}

/* Reads one cell's parameters (bench/results) and its status; -1 when it lacks an id, a mechanism
 * or repetitions. c stays where it is: its strings point into c->params. */
static int cell_read(rp_cell *c, const cJSON *j)
{
    memset(c, 0, sizeof *c);
    c->json = j;
    if (ab_res_cell_from_json(j, &c->params) != 0)
        return -1;
    c->id = param(c->params.id);
    c->mechanism = param(c->params.mechanism);
    c->label = param(c->params.label) ? c->params.label : c->mechanism;
    c->family = param(c->params.family);
    c->store = param(c->params.store);
    c->alg = param(c->params.alg);
    c->lb = param(c->params.lb);
    c->mix = param(c->params.mix_name);
    c->fault = param(c->params.fault);
    c->status = str_of(j, "status");
    c->error = str_of(j, "error");
    c->delay_us = (double)c->params.store_delay_us;
    c->servers = ab_json_num_or(j, "servers", NAN);
    c->rate = c->params.rate_per_sec > 0 ? c->params.rate_per_sec : NAN;
    c->fault_at_s = ab_json_num_or(j, "fault_at_s", NAN);
    c->ok = str_eq(c->status, "ok");
    c->kind = str_of(j, "kind"); /* read here, not through ab_res_cell: older readers did not keep it */
    c->via_proxy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "via_proxy"));
    c->claims_bytes = ab_json_num_or(j, "claims_bytes", 0);
    c->series = -1;
    return 0;
}

/* The mix most closed-loop, fault-free cells use: the main comparison. */
static const char *main_mix_of(const rp_run *run)
{
    const char *best = NULL;
    size_t i, k, bestn = 0;
    for (i = 0; i < run->ncells; i++) {
        size_t n = 0;
        const rp_cell *c = &run->cells[i];
        if (c->mix == NULL || c->fault != NULL || rp_has(c->rate))
            continue;
        for (k = 0; k < run->ncells; k++)
            n += str_eq(run->cells[k].mix, c->mix) && run->cells[k].fault == NULL && !rp_has(run->cells[k].rate);
        if (n > bestn) {
            bestn = n;
            best = c->mix;
        }
    }
    return best;
}

/* 1 when the cell belongs to the main comparison (closed loop, no fault, main mix, measured). */
static int is_main(const rp_run *run, const rp_cell *c)
{
    if (c->fault != NULL || rp_has(c->rate) || !rp_has(c->servers))
        return 0;
    if (c->kind != NULL && strcmp(c->kind, "capacity") != 0)
        return 0; /* a closed-loop control through the proxy is not a series of its own */
    return run->main_mix == NULL || c->mix == NULL || str_eq(c->mix, run->main_mix);
}

/* The series labelled label, created when new; -1 on OOM. */
static int series_for(rp_run *run, const rp_cell *c)
{
    size_t i;
    rp_series *s, *v;
    for (i = 0; i < run->nseries; i++)
        if (strcmp(run->series[i].label, c->label) == 0)
            return (int)i;
    v = realloc(run->series, (run->nseries + 1) * sizeof *v);
    if (v == NULL)
        return -1;
    run->series = v;
    s = &v[run->nseries];
    memset(s, 0, sizeof *s);
    s->label = c->label;
    s->mechanism = c->mechanism;
    s->family = c->family;
    s->store = c->store;
    s->lb = c->lb;
    s->delay_us = c->delay_us;
    s->kind = rp_kind_of(c->family, c->store);
    s->style = (int)run->nseries;
    s->projectable = !(s->kind == RP_KIND_LOCAL && !str_eq(c->lb, "sticky"));
    return (int)run->nseries++;
}

/* Groups main cells into series by label, picks each series' calibration cell, sets styles. */
static int build_series(rp_run *run)
{
    size_t i, k;
    run->main_mix = main_mix_of(run);
    for (i = 0; i < run->ncells; i++) {
        rp_cell *c = &run->cells[i];
        if (!is_main(run, c))
            continue;
        c->series = series_for(run, c);
        if (c->series < 0)
            return -1;
        c->style = run->series[c->series].style;
        if (c->ok && (run->series[c->series].base == NULL || c->servers < run->series[c->series].base->servers))
            run->series[c->series].base = c;
    }
    for (i = 0; i < run->ncells; i++) { /* cells outside the comparison take their mechanism's style */
        rp_cell *c = &run->cells[i];
        if (c->series >= 0)
            continue;
        c->style = (int)run->nseries + (int)i;
        for (k = 0; k < run->nseries; k++)
            if (str_eq(run->series[k].mechanism, c->mechanism)) {
                c->style = run->series[k].style;
                break;
            }
    }
    return 0;
}

const rp_cell *rp_series_cell(const rp_run *run, int s, double servers)
{
    size_t i;
    for (i = 0; i < run->ncells; i++)
        if (run->cells[i].series == s && run->cells[i].ok && run->cells[i].servers == servers)
            return &run->cells[i];
    return NULL;
}

/* Parses path as JSON; on failure err gets "<what>: <reason>". */
static cJSON *parse_file(const char *path, const char *what, char *err, size_t errlen)
{
    size_t len;
    cJSON *root;
    const char *end = NULL;
    char *text = ab_read_file(path, RP_MAX_JSON, &len);
    if (text == NULL) {
        ab_fmt(err, errlen, "%s: cannot read %s: %s", what, path, strerror(errno));
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root == NULL)
        ab_fmt(err, errlen, "%s: malformed JSON in %s near byte %zu", what, path,
               end ? (size_t)(end - text) : (size_t)0);
    free(text);
    return root;
}

/* Reads the cells array (ab_res_read checked the schema). */
static int read_cells(rp_run *run, char *err, size_t errlen)
{
    const cJSON *cells = cJSON_GetObjectItemCaseSensitive(run->root, "cells"), *j;
    size_t i = 0;
    if (!cJSON_IsArray(cells) || cJSON_GetArraySize(cells) == 0) {
        snprintf(err, errlen, "results.json: no cells (the run measured nothing)");
        return -1;
    }
    run->cells = calloc((size_t)cJSON_GetArraySize(cells), sizeof *run->cells);
    if (run->cells == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    cJSON_ArrayForEach(j, cells) {
        if (cell_read(&run->cells[i], j) != 0) {
            snprintf(err, errlen, "results.json: cell %zu has no id, mechanism or repetitions", i);
            return -1;
        }
        i++;
    }
    run->ncells = i;
    return 0;
}

/* Loads micro.json when present; a problem with it is a note, not an error. */
static void read_micro(rp_run *run, const char *dir)
{
    char path[4096], err[240];
    snprintf(path, sizeof path, "%s/micro.json", dir);
    if (access(path, F_OK) != 0) {
        snprintf(run->micro_note, sizeof run->micro_note, "the run has no micro.json (the micro-benchmarks did not run)");
        return;
    }
    run->micro = parse_file(path, "micro.json", err, sizeof err);
    if (run->micro == NULL)
        snprintf(run->micro_note, sizeof run->micro_note, "micro.json could not be used (%s)", err);
    else if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(run->micro, "benchmarks"))) {
        snprintf(run->micro_note, sizeof run->micro_note, "micro.json has no \"benchmarks\" array");
        cJSON_Delete(run->micro);
        run->micro = NULL;
    }
}

int rp_run_load(rp_run *run, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    struct stat st;
    memset(run, 0, sizeof *run);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory%s", dir, errno == ENOENT ? " (no such file or directory)" : "");
        return -1;
    }
    run->dir = strdup(dir);
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (run->dir == NULL)
        goto fail;
    if (access(path, F_OK) != 0) {
        snprintf(err, errlen, "%s has no results.json (is it a run directory?)", dir);
        goto fail;
    }
    run->root = ab_res_read(dir, err, errlen);
    if (run->root == NULL || read_cells(run, err, errlen) != 0)
        goto fail;
    if (build_series(run) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    read_micro(run, dir);
    return 0;
fail:
    rp_run_free(run);
    return -1;
}

void rp_run_free(rp_run *run)
{
    free(run->dir);
    cJSON_Delete(run->root);
    cJSON_Delete(run->micro);
    free(run->cells);
    free(run->series);
    memset(run, 0, sizeof *run);
}

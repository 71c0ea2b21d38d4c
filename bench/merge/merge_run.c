/* merge_run.c — `authbench merge` of `authbench run` directories made at the same time on several
 * machines (authbench run --shard I/N on each): cells matched by id, each repetition's load
 * documents merged (every machine had app servers of its own), and the cell rebuilt from the merged
 * repetitions by bench/results' aggregation (the one `authbench run` uses); results files, environments, notes and the report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_json.h"
#include "ab_report.h"
#include "ab_results.h"
#include "merge_int.h"

/* The merge of several run directories: their results and what is being built. */
typedef struct abm_runs {
    const abm_opts *o;
    cJSON *res[ABM_MAX_INPUTS]; /* each input's results.json */
    size_t n;
    cJSON *notes;               /* the merge's own notes */
    ab_res_doc *out;
} abm_runs;

/* A string of a JSON object, or dflt when absent or not a string. */
static const char *str_or(const cJSON *o, const char *key, const char *dflt)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
    return v != NULL ? v : dflt;
}

/* Reads every results.json and checks they ran one scenario. 0, or -1 with err. */
static int read_runs(abm_runs *m, char *err, size_t errlen)
{
    size_t i;
    for (i = 0; i < m->n; i++) {
        const cJSON *sc;
        if ((m->res[i] = ab_res_read(m->o->inputs[i], err, errlen)) == NULL)
            return -1;
        sc = cJSON_GetObjectItemCaseSensitive(m->res[i], "scenario");
        if (!cJSON_IsObject(sc)) {
            ab_fmt(err, errlen, "%s/results.json: not an authbench run's results (no scenario)", m->o->inputs[i]);
            return -1;
        }
        if (!cJSON_Compare(sc, cJSON_GetObjectItemCaseSensitive(m->res[0], "scenario"), 1)) {
            ab_fmt(err, errlen, "%s ran another scenario than %s: merge runs of one scenario", m->o->inputs[i],
                       m->o->inputs[0]);
            return -1;
        }
    }
    return 0;
}

/* The cell with this id in a results document, or NULL. */
static const cJSON *cell_by_id(const cJSON *res, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "cells")) {
        const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"));
        if (cid != NULL && strcmp(cid, id) == 0)
            return c;
    }
    return NULL;
}

/* A number of a cell within [0, 1e9] (so that casting it is defined), or dflt when absent, null or
 * negative. */
static double cell_num(const cJSON *cell, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cell, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0))
        return dflt;
    return v->valuedouble < 1e9 ? v->valuedouble : 1e9;
}

/* The placement object of a cell as the text a repetition records ("load=… servers=… stores=…
 * note"), so that the merged cell shows the first run's. */
static void placement_text(const cJSON *cell, char *out, size_t len)
{
    static const char *const keys[] = {"load", "servers", "stores"};
    const char *v;
    size_t i, used = 0;
    out[0] = '\0';
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((v = ab_json_str(ab_json_at(cell, "placement"), keys[i])) != NULL && used < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s=%s", used ? " " : "", keys[i], v);
    if ((v = ab_json_str(cell, "placement.note")) != NULL && used < len)
        snprintf(out + used, len - used, "%s%s", used ? " " : "", v);
}

/* What the shards' shared store held, taken from the first run (every shard measured the one store):
 * its sessions, their size, and a store sweep's outcome. */
static const char *const store_fields[] = {"sessions_live", "store_bytes_per_session", "store_sweep"};

/* The noise record of a merged repetition: the busiest machine's load average (relative to its
 * cores), the most steal and other work, the worst proxy delay, the first run's placement,
 * revocation measure and store figures (each input cell holds its run's figures over its
 * repetitions). */
static void merged_noise(const abm_runs *m, const cJSON *const *cells, ab_res_rep *rep)
{
    const cJSON *revocation = ab_json_at(cells[0], "revocation_latency_us");
    size_t i;
    for (i = 0; i < m->n; i++) {
        double cores = ab_json_num_or(m->res[i], "environment.cores", 0), load, v;
        if (ab_json_num(cells[i], "load_avg_1m", &load) && cores >= 1 &&
            (rep->load_avg_1m < 0 || load / cores > rep->load_avg_1m / (rep->cores ? rep->cores : 1)))
            rep->load_avg_1m = load, rep->cores = (unsigned)(cores < 1e6 ? cores : 1e6);
        if (ab_json_num(cells[i], "steal_frac", &v) && v > rep->steal_frac)
            rep->steal_frac = v;
        if (ab_json_num(cells[i], "other_cpu_frac", &v) && v > rep->other_cpu_frac)
            rep->other_cpu_frac = v;
        if (ab_json_num(cells[i], "other_cpu_window_frac", &v) && v > rep->other_cpu_window_frac)
            rep->other_cpu_window_frac = v;
        if (ab_json_num(cells[i], "proxy_delay_achieved_us.mean", &v) && v > rep->proxy_delay_mean_us)
            rep->proxy_delay_mean_us = v;
        if (ab_json_num(cells[i], "proxy_delay_achieved_us.p99", &v) && v > rep->proxy_delay_p99_us)
            rep->proxy_delay_p99_us = v;
    }
    placement_text(cells[0], rep->placement, sizeof rep->placement);
    rep->isolated = cJSON_IsTrue(ab_json_at(cells[0], "placement.isolated"));
    if (cJSON_IsObject(revocation) && (rep->extra = cJSON_CreateObject()) != NULL)
        cJSON_AddItemToObject(rep->extra, "revocation_latency_us", cJSON_Duplicate(revocation, 1));
    for (i = 0; i < sizeof store_fields / sizeof store_fields[0]; i++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(cells[0], store_fields[i]);
        if (f == NULL || cJSON_IsNull(f) || (rep->extra == NULL && (rep->extra = cJSON_CreateObject()) == NULL))
            continue;
        cJSON_AddItemToObject(rep->extra, store_fields[i], cJSON_Duplicate(f, 1));
    }
}

/* Merges repetition k of a cell over the runs into rep (its merged load document), and writes the
 * document to <out>/cells/<id>/rep<k>.json. 0, or -1 with err. */
static int merge_rep(abm_runs *m, const cJSON *const *cells, unsigned k, ab_res_rep *rep, char *err, size_t errlen)
{
    const char *id = str_or(cells[0], "id", "");
    char paths[ABM_MAX_INPUTS][ABM_PATH_MAX + 160], dir[ABM_PATH_MAX + 160];
    const char *names[ABM_MAX_INPUTS];
    cJSON *docs[ABM_MAX_INPUTS] = {NULL};
    size_t i;
    int rc = -1;
    for (i = 0; i < m->n; i++) {
        ab_fmt(paths[i], sizeof paths[i], "%s/cells/%s/rep%u.json", m->o->inputs[i], id, k);
        names[i] = paths[i];
        if ((docs[i] = abm_read_json(paths[i], err, errlen)) == NULL)
            goto out;
    }
    rep->load = abm_merge_load_docs((const cJSON *const *)docs, names, m->n, 0, m->notes, NULL, err, errlen);
    ab_fmt(dir, sizeof dir, "%s/cells/%s", m->o->out, id);
    ab_fmt(paths[0], sizeof paths[0], "%s/rep%u.json", dir, k);
    if (rep->load != NULL && (ab_mkdirs(dir, 0755) != 0 || ab_res_write_json(paths[0], rep->load) != 0))
        ab_fmt(err, errlen, "cannot write %s: %s", paths[0], strerror(errno));
    else if (rep->load != NULL)
        rc = 0;
    rep->credential_bytes = (long)cell_num(cells[0], "credential_bytes", -1);
    rep->fault_at_s = cell_num(cells[0], "fault_at_s", -1);
    rep->fault_end_s = -1;
    rep->window_start_unix_ms = ab_json_num_or(rep->load, "window_start_unix_ms", -1);
    merged_noise(m, cells, rep);
out:
    for (i = 0; i < m->n; i++)
        cJSON_Delete(docs[i]);
    return rc;
}

/* The merged cell's load: what the merged repetitions drove (connections, threads, users, rate
 * summed over the machines) on every machine's servers together. */
static void merged_load(ab_res_cell *c, const cJSON *const *cells, size_t n, const cJSON *rep1)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(rep1, "config");
    size_t i;
    c->connections = (unsigned)cell_num(cfg, "connections", c->connections);
    c->threads = (unsigned)cell_num(cfg, "threads", c->threads);
    c->users = (unsigned)cell_num(cfg, "users", c->users);
    c->rate_per_sec = cell_num(cfg, "rate_rps", 0);
    for (i = 1, c->servers = (unsigned)cell_num(cells[0], "servers", 0); i < n; i++)
        c->servers += (unsigned)cell_num(cells[i], "servers", 0);
}

/* The merged cell from finished cells of every run. Never NULL. */
static cJSON *merge_finished(abm_runs *m, const cJSON *const *cells, ab_res_cell *c)
{
    ab_res_rep *reps = calloc(c->repetitions, sizeof *reps);
    char err[600];
    cJSON *cell;
    unsigned k;
    int rc = reps != NULL ? 0 : (ab_fmt(err, sizeof err, "out of memory"), -1);
    for (k = 0; reps != NULL && k < c->repetitions; k++)
        ab_res_rep_init(&reps[k]);
    for (k = 0; k < c->repetitions && rc == 0; k++)
        rc = merge_rep(m, cells, k + 1, &reps[k], err, sizeof err);
    if (rc == 0)
        merged_load(c, cells, m->n, reps[0].load);
    cell = ab_res_cell_result(c, reps, c->repetitions, rc == 0 ? NULL : err);
    ab_res_reps_free(reps, reps != NULL ? c->repetitions : 0);
    free(reps);
    return cell;
}

/* The merged cell of run 1's cell0 (matched by id in the others), or NULL when a run lacks it. */
static cJSON *merge_cell(abm_runs *m, const cJSON *cell0)
{
    const char *id = str_or(cell0, "id", NULL);
    const cJSON *cells[ABM_MAX_INPUTS];
    char msg[ABM_PATH_MAX + 256];
    ab_res_cell c;
    size_t i;
    if (id == NULL || ab_res_cell_from_json(cell0, &c) != 0)
        return NULL;
    for (i = 0; i < m->n; i++) {
        if ((cells[i] = cell_by_id(m->res[i], id)) == NULL) {
            ab_fmt(msg, sizeof msg, "cell %s is not in %s: left out of the merge", id, m->o->inputs[i]);
            abm_note_once(m->notes, msg);
            return NULL;
        }
        if (strcmp(str_or(cells[i], "status", ""), "ok") != 0) {
            ab_fmt(msg, sizeof msg, "%s: %s", m->o->inputs[i], str_or(cells[i], "error", "failed"));
            return ab_res_cell_result(&c, NULL, 0, msg);
        }
    }
    return merge_finished(m, cells, &c);
}

/* "environments": each run's environment with its directory, start and shard. */
static cJSON *environments(const abm_runs *m)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i;
    for (i = 0; i < m->n; i++) {
        const cJSON *env = cJSON_GetObjectItemCaseSensitive(m->res[i], "environment");
        cJSON *o = cJSON_IsObject(env) ? cJSON_Duplicate(env, 1) : cJSON_CreateObject();
        cJSON_AddStringToObject(o, "source", m->o->inputs[i]);
        cJSON_AddItemToObject(o, "started_utc", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m->res[i], "started_utc"), 1));
        cJSON_AddItemToObject(o, "shard", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m->res[i], "shard"), 1));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* The runs' notes, then the merge's own (each once). */
static cJSON *all_notes(const abm_runs *m)
{
    cJSON *arr = cJSON_CreateArray();
    const cJSON *it;
    size_t i;
    abm_note_once(arr, "merged from runs made on several machines (\"environments\", \"merged_from\"): "
                       "\"environment\" is the first run's; store_capacity and micro are the first run's "
                       "measures; redis_commands_per_req is not merged (each machine's INFO counters of a "
                       "shared store include the other machines' commands); load_avg_1m, steal_frac and "
                       "proxy_delay_achieved_us are the worst machine's, placement the first run's");
    for (i = 0; i < m->n; i++)
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m->res[i], "notes")) {
            if (cJSON_IsString(it))
                abm_note_once(arr, it->valuestring);
        }
    cJSON_ArrayForEach(it, m->notes) {
        abm_note_once(arr, it->valuestring);
    }
    return arr;
}

/* The earliest start and the latest finish of the runs, and whether all completed. */
static void run_times(const abm_runs *m, cJSON **started, char **finished, int *complete)
{
    const char *first = str_or(m->res[0], "started_utc", ""), *last = str_or(m->res[0], "finished_utc", "");
    size_t i;
    *complete = 1;
    for (i = 0; i < m->n; i++) { /* "YYYY-MM-DDTHH:MM:SSZ" sorts as text */
        if (strcmp(str_or(m->res[i], "started_utc", first), first) < 0)
            first = str_or(m->res[i], "started_utc", first);
        if (strcmp(str_or(m->res[i], "finished_utc", ""), last) > 0)
            last = str_or(m->res[i], "finished_utc", last);
        *complete &= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m->res[i], "complete"));
    }
    *started = cJSON_CreateString(first);
    *finished = last[0] != '\0' ? strdup(last) : NULL; /* NULL: the merge's own finish */
}

/* The header of the merged results: environments, inputs, notes, the first run's measures. */
static void merged_header(abm_runs *m)
{
    /* the first run's: each machine ran the same scenario (its deployment, SLO and seed) */
    static const char *const firsts[] = {"store_capacity", "micro", "slo_p99_ms", "deployment", "repetition_order"};
    cJSON *inputs = cJSON_CreateArray();
    size_t i;
    for (i = 0; i < m->n; i++)
        cJSON_AddItemToArray(inputs, cJSON_CreateString(m->o->inputs[i]));
    ab_res_doc_set(m->out, "merged_from", inputs);
    ab_res_doc_set(m->out, "environments", environments(m));
    for (i = 0; i < sizeof firsts / sizeof firsts[0]; i++)
        if (cJSON_HasObjectItem(m->res[0], firsts[i]))
            ab_res_doc_set(m->out, firsts[i], cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m->res[0], firsts[i]), 1));
    ab_res_doc_set(m->out, "shard", cJSON_CreateNull());
}

/* Copies the first run's micro.json (the micro-benchmarks ran there), when it has one. 0 or -1. */
static int copy_micro(const abm_runs *m, char *err, size_t errlen)
{
    char from[ABM_PATH_MAX + 32], to[ABM_PATH_MAX + 32], *text;
    size_t len = 0;
    ab_fmt(from, sizeof from, "%s/micro.json", m->o->inputs[0]);
    ab_fmt(to, sizeof to, "%s/micro.json", m->o->out);
    if ((text = ab_read_file(from, 64u << 20, &len)) == NULL)
        return errno == ENOENT ? 0 : (ab_fmt(err, errlen, "cannot read %s: %s", from, strerror(errno)), -1);
    if (ab_write_file_atomic(to, text, len) != 0)
        ab_fmt(err, errlen, "cannot write %s: %s", to, strerror(errno));
    free(text);
    return err[0] != '\0' ? -1 : 0;
}

/* Builds and writes the merged results (cells, header, files). 0, or -1 with err. */
static int merge_write(abm_runs *m, char *err, size_t errlen)
{
    cJSON *started, *cell;
    char *finished;
    const cJSON *c0;
    int complete, rc;
    cJSON_ArrayForEach(c0, cJSON_GetObjectItemCaseSensitive(m->res[0], "cells")) {
        if ((cell = merge_cell(m, c0)) != NULL)
            ab_res_doc_add_cell(m->out, cell);
    }
    merged_header(m);
    ab_res_doc_set(m->out, "notes", all_notes(m));
    run_times(m, &started, &finished, &complete);
    ab_res_doc_set(m->out, "started_utc", started);
    err[0] = '\0';
    rc = copy_micro(m, err, errlen) != 0 ||
                 ab_res_doc_write(m->out, m->o->out, complete, 1, finished, err, errlen) != 0 /* the runs' finish */
             ? -1
             : 0;
    free(finished);
    return rc;
}

/* Makes the output directory, refusing one that holds a run. 0, or -1 with err. */
static int make_out(const char *out, char *err, size_t errlen)
{
    char path[ABM_PATH_MAX + 32];
    ab_fmt(path, sizeof path, "%s/results.json", out);
    if (access(path, F_OK) == 0) {
        ab_fmt(err, errlen, "%s already holds a run (results.json): choose another --out", out);
        return -1;
    }
    if (ab_mkdirs(out, 0755) != 0) {
        ab_fmt(err, errlen, "cannot make %s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

int abm_merge_run_dirs(const abm_opts *o)
{
    abm_runs m;
    char err[1024];
    size_t i;
    int rc = AB_EXIT_FAIL;
    memset(&m, 0, sizeof m);
    m.o = o;
    m.n = o->ninputs;
    m.notes = cJSON_CreateArray();
    if (read_runs(&m, err, sizeof err) != 0 || make_out(o->out, err, sizeof err) != 0)
        goto out;
    m.out = ab_res_doc_new(str_or(m.res[0], "name", "run"), cJSON_GetObjectItemCaseSensitive(m.res[0], "scenario"),
                           cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m.res[0], "environment"), 1));
    if (m.out == NULL) {
        ab_fmt(err, sizeof err, "out of memory");
        goto out;
    }
    if (merge_write(&m, err, sizeof err) != 0)
        goto out;
    if (!o->no_report && ab_report_write(o->out, o->requirements, err, sizeof err) != 0)
        goto out;
    printf("merged %zu runs (%d cells) into %s%s\n", m.n, ab_res_doc_ncells(m.out), o->out,
           o->no_report ? "" : " (report.html written)");
    rc = AB_EXIT_OK;
out:
    if (rc != AB_EXIT_OK)
        ab_err(ABM_CMD, "%s", err);
    for (i = 0; i < m.n; i++)
        cJSON_Delete(m.res[i]);
    cJSON_Delete(m.notes);
    ab_res_doc_free(m.out);
    return rc;
}

/* revoke_cell.c — a repetition's revocation step: AB_RUN_REVOKE_SAMPLES users logged out on the
 * first server and every server probed until it refuses them (ab_revoke_measure), after the load;
 * the cell's figure is over every repetition's samples (never averaged percentiles). */
#include "run_revoke.h"

#include <stdio.h>
#include <string.h>

#include "ab_hist.h"
#include "revoke/ab_revoke.h"

#define REVOKE_HIST_MAX 1000000000000ull /* µs, as ab_revoke's */

/* 1 when c's servers can all check one credential and nothing broke their store. */
static int measurable(const ab_res_cell *c)
{
    if (c->fault[0] != '\0' || strcmp(c->family, "none") == 0)
        return 0;
    return strcmp(c->family, "jwt") == 0 || strcmp(c->store, "redis") == 0 ||
           strcmp(c->store, "redis-cluster") == 0;
}

/* The "HOST:PORT" list of e split into o->targets (pointing into buf). */
static void split_targets(const ab_run_rep_env *e, char *buf, size_t len, ab_revoke_opts *o)
{
    char *save = NULL, *t;
    ab_fmt(buf, len, "%s", e->targets);
    for (t = strtok_r(buf, ",", &save); t != NULL && o->ntargets < AB_REVOKE_MAX_TARGETS;
         t = strtok_r(NULL, ",", &save))
        o->targets[o->ntargets++] = t;
}

/* Adds the samples of an earlier repetition's extra to h, and its bound to *bound. */
static void add_earlier(const ab_res_rep *rep, ab_hist *h, double *bound, int *lifetime)
{
    const cJSON *v, *vals = cJSON_GetObjectItemCaseSensitive(rep->extra, "revocation_samples_us");
    double b;
    cJSON_ArrayForEach(v, vals)
        if (cJSON_IsNumber(v))
            ab_hist_record(h, (uint64_t)v->valuedouble);
    if (ab_json_num(rep->extra, "revocation_latency_us.bound_us", &b) && b > *bound)
        *bound = b;
    if (ab_json_str(rep->extra, "revocation_latency_us.method") != NULL &&
        strcmp(ab_json_str(rep->extra, "revocation_latency_us.method"), "token_lifetime") == 0)
        *lifetime = 1;
}

/* The cell's figure so far: this repetition's samples with the earlier ones'. */
static cJSON *merged(const ab_revoke_result *r, const uint64_t *vals, ab_res_rep *reps, unsigned k,
                     cJSON *all)
{
    ab_hist *h = ab_hist_new(REVOKE_HIST_MAX, 3);
    ab_revoke_result m = *r;
    double bound = (double)r->bound_us;
    int lifetime = r->token_lifetime_samples > 0;
    unsigned i;
    cJSON *o;
    if (h == NULL)
        return NULL;
    for (i = 0; i < k; i++)
        add_earlier(&reps[i], h, &bound, &lifetime);
    for (i = 0; i < r->n; i++) {
        ab_hist_record(h, vals[i]);
        cJSON_AddItemToArray(all, cJSON_CreateNumber((double)vals[i]));
    }
    m.n = (unsigned)ab_hist_count(h);
    m.p50_us = ab_hist_percentile(h, 50);
    m.p99_us = ab_hist_percentile(h, 99);
    m.max_us = ab_hist_max(h);
    m.bound_us = (int64_t)bound;
    snprintf(m.method, sizeof m.method, "%s", lifetime ? "token_lifetime" : "probed");
    ab_hist_free(h);
    o = ab_revoke_json(&m);
    return o;
}

/* The earlier repetitions' samples, in order, into all (so the last repetition carries them all). */
static void copy_earlier(cJSON *all, const ab_res_rep *reps, unsigned k)
{
    const cJSON *v;
    unsigned i;
    for (i = 0; i < k; i++)
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(reps[i].extra, "revocation_samples_us"))
            cJSON_AddItemToArray(all, cJSON_Duplicate(v, 0));
}

void ab_run_revoke_rep(const ab_run_rep_env *e, const ab_res_cell *c, ab_res_rep *reps, unsigned k)
{
    ab_revoke_opts o;
    ab_revoke_result r;
    uint64_t vals[AB_RUN_REVOKE_SAMPLES];
    char targets[sizeof e->targets], err[512];
    cJSON *x, *all, *fig = NULL;
    if (!measurable(c) || (reps[k].extra == NULL && (reps[k].extra = cJSON_CreateObject()) == NULL))
        return;
    x = reps[k].extra;
    ab_revoke_opts_init(&o);
    o.samples = AB_RUN_REVOKE_SAMPLES;
    o.probe_interval_us = AB_RUN_REVOKE_INTERVAL_US;
    o.values = vals;
    o.user_prefix = "run-revoke";
    split_targets(e, targets, sizeof targets, &o);
    if (ab_revoke_measure(&o, &r, err, sizeof err) != 0) {
        cJSON_AddNullToObject(x, "revocation_latency_us");
        cJSON_AddStringToObject(x, "revocation_note", err);
        return;
    }
    all = cJSON_CreateArray();
    copy_earlier(all, reps, k);
    fig = all != NULL ? merged(&r, vals, reps, k, all) : NULL;
    if (fig == NULL) {
        cJSON_Delete(all);
        cJSON_AddNullToObject(x, "revocation_latency_us");
        cJSON_AddStringToObject(x, "revocation_note", "out of memory");
        return;
    }
    cJSON_AddItemToObject(x, "revocation_latency_us", fig);
    cJSON_AddItemToObject(x, "revocation_samples_us", all);
}

/* revoke_cell.c — a repetition's revocation step: AB_RUN_REVOKE_SAMPLES users logged out on the
 * first server and every server probed until it refuses them (ab_revoke_measure), after the load;
 * the cell's figure is over every repetition's samples (never averaged percentiles). */
#include "run_revoke.h"

#include <stdio.h>
#include <string.h>

#include "ab_hist.h"
#include "ab_mech.h"
#include "sstore.h"
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

/* The samples under key of the repetitions before k, then vals[0..n): all of them so far. NULL when
 * out of memory. */
static cJSON *samples_so_far(const ab_res_rep *reps, unsigned k, const char *key, const uint64_t *vals,
                             unsigned n)
{
    cJSON *all = cJSON_CreateArray();
    const cJSON *v;
    unsigned i;
    for (i = 0; all != NULL && i < k; i++)
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(reps[i].extra, key))
            cJSON_AddItemToArray(all, cJSON_Duplicate(v, 0));
    for (i = 0; all != NULL && i < n; i++)
        cJSON_AddItemToArray(all, cJSON_CreateNumber((double)vals[i]));
    return all;
}

/* p50, p99, max and n of a samples array into r (the revocation figure's fields). 0 or -1. */
static int summarise(const cJSON *all, ab_revoke_result *r)
{
    ab_hist *h = ab_hist_new(REVOKE_HIST_MAX, 3);
    const cJSON *v;
    if (h == NULL)
        return -1;
    cJSON_ArrayForEach(v, all)
        if (cJSON_IsNumber(v))
            ab_hist_record(h, (uint64_t)v->valuedouble);
    r->n = (unsigned)ab_hist_count(h);
    r->p50_us = ab_hist_percentile(h, 50);
    r->p99_us = ab_hist_percentile(h, 99);
    r->max_us = ab_hist_max(h);
    ab_hist_free(h);
    return 0;
}

/* The cell's revocation figure so far: this repetition's samples with the earlier ones', the
 * widest bound stated, token_lifetime when any repetition had to use it. */
static cJSON *revocation_so_far(ab_revoke_result m, const cJSON *all, const ab_res_rep *reps, unsigned k)
{
    const char *method;
    double b;
    unsigned i;
    for (i = 0; i < k; i++) {
        if (ab_json_num(reps[i].extra, "revocation_latency_us.bound_us", &b) && b > (double)m.bound_us)
            m.bound_us = (int64_t)b;
        method = ab_json_str(reps[i].extra, "revocation_latency_us.method");
        if (method != NULL && strcmp(method, "token_lifetime") == 0)
            snprintf(m.method, sizeof m.method, "%s", method);
    }
    return summarise(all, &m) == 0 ? ab_revoke_json(&m) : NULL;
}

/* {"p50","p99","max","n"} of the refresh round trips so far (jwt+refresh), or NULL. */
static cJSON *refresh_so_far(const cJSON *all)
{
    ab_revoke_result m;
    cJSON *o;
    if (cJSON_GetArraySize(all) == 0 || summarise(all, &m) != 0 || (o = cJSON_CreateObject()) == NULL)
        return NULL;
    cJSON_AddNumberToObject(o, "p50", (double)m.p50_us);
    cJSON_AddNumberToObject(o, "p99", (double)m.p99_us);
    cJSON_AddNumberToObject(o, "max", (double)m.max_us);
    cJSON_AddNumberToObject(o, "n", m.n);
    return o;
}

/* jwt+refresh: the issuer's load, POST /refresh per second of the measured window (the load's
 * by_op.refresh), the median over the repetitions so far; -1 when no load document says it. */
static double refreshes_per_sec(const ab_res_rep *reps, unsigned k)
{
    double v[AB_RES_MAX_REPS], count, window;
    ab_res_summary s;
    size_t n = 0;
    unsigned i;
    for (i = 0; i <= k && n < AB_RES_MAX_REPS; i++)
        if (ab_json_num(reps[i].load, "by_op.refresh.count", &count) && ab_json_num(reps[i].load, "window_s", &window) &&
            window > 0)
            v[n++] = count / window;
    if (n == 0)
        return -1;
    ab_res_summarize(v, n, &s);
    return s.median;
}

/* Puts the figures of this repetition (r, its samples) and the earlier ones' into x. 0 or -1. */
static int add_figures(cJSON *x, const ab_revoke_result *r, const uint64_t *vals, const uint64_t *rvals,
                       ab_res_rep *reps, unsigned k)
{
    cJSON *all = samples_so_far(reps, k, "revocation_samples_us", vals, r->n);
    cJSON *rall = samples_so_far(reps, k, "refresh_samples_us", rvals, r->refresh_n);
    cJSON *fig = all != NULL ? revocation_so_far(*r, all, reps, k) : NULL, *rfig = refresh_so_far(rall);
    if (fig == NULL || rall == NULL) {
        cJSON_Delete(all);
        cJSON_Delete(rall);
        cJSON_Delete(fig);
        cJSON_Delete(rfig);
        return -1;
    }
    cJSON_AddItemToObject(x, "revocation_latency_us", fig);
    cJSON_AddItemToObject(x, "revocation_samples_us", all);
    if (rfig != NULL) {
        cJSON_AddItemToObject(x, "refresh_latency_us", rfig);
        cJSON_AddItemToObject(x, "refresh_samples_us", rall);
        if (refreshes_per_sec(reps, k) >= 0)
            cJSON_AddNumberToObject(x, "refreshes_per_sec", refreshes_per_sec(reps, k));
    } else {
        cJSON_Delete(rall);
    }
    return 0;
}

/* jwt+pushed-denylist: what its subscribers did in the measured windows of repetitions 0..k, summed
 * over the servers' /stats deltas (the load's servers[].stats_delta): {"heard", "missed", "breaks",
 * "gaps"} — revocations heard on the channel, missed while it was down and found by a catch-up,
 * subscriptions lost (a fault cell's broken channel shows here), log entries gone before a server
 * read them (memcached) — and how the store delivers them: "channel" (sstore_pubsub_channel:
 * pubsub, notify, poll) and "sync_ms" (the poll's interval, null unless poll). */
static void add_pushed_window(cJSON *x, const ab_res_cell *c, const ab_res_rep *reps, unsigned k)
{
    static const char *const keys[] = {"push_heard", "push_missed", "push_breaks", "push_gaps"};
    static const char *const names[] = {"heard", "missed", "breaks", "gaps"};
    const char *channel = sstore_pubsub_channel(c->store), *q = strchr(c->mechanism, '?');
    double sum[4] = {0, 0, 0, 0}, v;
    ab_mech_settings set;
    char err[256];
    const cJSON *srv;
    cJSON *o;
    unsigned i, j;
    for (i = 0; i <= k; i++)
        cJSON_ArrayForEach(srv, cJSON_GetObjectItemCaseSensitive(reps[i].load, "servers"))
            for (j = 0; j < 4; j++)
                if (ab_json_num(cJSON_GetObjectItemCaseSensitive(srv, "stats_delta"), keys[j], &v))
                    sum[j] += v;
    if ((o = cJSON_AddObjectToObject(x, "pushed_denylist")) == NULL)
        return;
    for (j = 0; j < 4; j++)
        cJSON_AddNumberToObject(o, names[j], sum[j]);
    cJSON_AddStringToObject(o, "channel", channel != NULL ? channel : "");
    if (channel != NULL && strcmp(channel, "poll") == 0 &&
        ab_mech_options_parse(c->family, q != NULL ? q + 1 : "", &set, err, sizeof err) == 0)
        cJSON_AddNumberToObject(o, "sync_ms", set.sync_ms != 0 ? set.sync_ms : SSTORE_PUBSUB_SYNC_MS_DEFAULT);
    else
        cJSON_AddNullToObject(o, "sync_ms");
}

void ab_run_revoke_rep(const ab_run_rep_env *e, const ab_res_cell *c, ab_res_rep *reps, unsigned k)
{
    ab_revoke_opts o;
    ab_revoke_result r;
    uint64_t vals[AB_RUN_REVOKE_SAMPLES], rvals[AB_RUN_REVOKE_SAMPLES];
    char targets[sizeof e->targets], err[512] = "";
    cJSON *x;
    if (reps[k].extra == NULL && (reps[k].extra = cJSON_CreateObject()) == NULL)
        return;
    x = reps[k].extra;
    if (strcmp(c->family, "jwt+pushed-denylist") == 0)
        add_pushed_window(x, c, reps, k);
    if (!measurable(c))
        return;
    ab_revoke_opts_init(&o);
    o.samples = AB_RUN_REVOKE_SAMPLES;
    o.probe_interval_us = AB_RUN_REVOKE_INTERVAL_US;
    o.values = vals;
    o.refresh_values = rvals;
    o.user_prefix = "run-revoke";
    split_targets(e, targets, sizeof targets, &o);
    if (ab_revoke_measure(&o, &r, err, sizeof err) == 0 && add_figures(x, &r, vals, rvals, reps, k) == 0)
        return;
    cJSON_AddNullToObject(x, "revocation_latency_us");
    cJSON_AddStringToObject(x, "revocation_note", err[0] != '\0' ? err : "out of memory");
}

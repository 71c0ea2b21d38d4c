/* load_merge.c — the results of several generators (machines, shards) merged into one: the same
 * load checked, histograms and counters added (abl_stats_merge), users and rates combined, the
 * servers' deltas counted once per target, and notes on what the merge cannot vouch for. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_int.h"
#include "load_server.h"

#define ABL_SKEW_NOTE_MS 50.0 /* windows started further apart than this get a note */

/* Appends a formatted note to notes (when not NULL). */
static void note(cJSON *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(cJSON *notes, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    if (notes == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(notes, cJSON_CreateString(buf));
}

/* The first setting in which b's load differs from a's, or NULL when they ran the same load. */
static const char *load_differs(const ab_load_config *a, const ab_load_config *b)
{
    if ((a->rate > 0) != (b->rate > 0))
        return "mode (open vs closed loop)";
    if (a->duration_us != b->duration_us || a->warmup_us != b->warmup_us)
        return "duration or warm-up";
    if (a->lb != b->lb || a->zipf_theta != b->zipf_theta)
        return "balancer or key distribution";
    if (a->mix_login != b->mix_login || a->mix_request != b->mix_request || a->mix_logout != b->mix_logout)
        return "mix";
    if (strcmp(a->path, b->path) != 0 || a->timeout_us != b->timeout_us)
        return "path or timeout";
    if (a->users != b->users || a->shard_count != b->shard_count)
        return "users or shard count";
    return NULL;
}

/* Checks that every result can join the merge. 0, or -1 with err. */
static int check_inputs(ab_load_result *const *rs, size_t n, char *err, size_t errlen)
{
    size_t i, j;
    for (i = 0; i < n; i++) {
        const char *d = load_differs(&rs[0]->cfg, &rs[i]->cfg);
        if (d != NULL) {
            snprintf(err, errlen, "run %zu did not run the same load as run 1: its %s differs", i + 1, d);
            return -1;
        }
        if (rs[i]->interrupted) {
            snprintf(err, errlen, "run %zu was interrupted: its window is shorter than the others'", i + 1);
            return -1;
        }
        for (j = 0; j < i; j++)
            if (rs[i]->cfg.shard_count > 1 && rs[i]->cfg.shard_index == rs[j]->cfg.shard_index) {
                snprintf(err, errlen, "runs %zu and %zu are both shard %u of %u", j + 1, i + 1,
                         rs[i]->cfg.shard_index, rs[i]->cfg.shard_count);
                return -1;
            }
    }
    return 0;
}

/* Orders user ranges by their first user (qsort). */
static int cmp_range(const void *a, const void *b)
{
    const size_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* How many distinct users the generators drove, and the first of them. -1 when out of memory. */
static int users_union(ab_load_result *const *rs, size_t n, size_t *first, size_t *distinct)
{
    size_t (*rg)[2] = malloc(n * sizeof *rg), i, end = 0;
    if (rg == NULL)
        return -1;
    for (i = 0; i < n; i++)
        rg[i][0] = rs[i]->users_first, rg[i][1] = rs[i]->users_first + rs[i]->users_n;
    qsort(rg, n, sizeof *rg, cmp_range);
    *first = rg[0][0];
    for (i = 0, *distinct = 0; i < n; i++) {
        size_t from = rg[i][0] > end ? rg[i][0] : end;
        if (rg[i][1] > from)
            *distinct += rg[i][1] - from;
        if (rg[i][1] > end)
            end = rg[i][1];
    }
    free(rg);
    return 0;
}

/* The targets of the merge: every input's, once per name when shared (one server farm), else each
 * input's own, named "<input>/<name>". Sets cfg->targets (malloc'd) and ntargets. 0 or -1. */
static int merge_targets(ab_load_result *const *rs, size_t n, int shared, ab_load_config *cfg)
{
    size_t i, j, k, total = 0;
    ab_load_target *t;
    for (i = 0; i < n; i++)
        total += rs[i]->cfg.ntargets;
    if ((t = calloc(total, sizeof *t)) == NULL)
        return -1;
    cfg->targets = t;
    cfg->ntargets = 0;
    for (i = 0; i < n; i++)
        for (j = 0; j < rs[i]->cfg.ntargets; j++) {
            const char *name = rs[i]->cfg.targets[j].name;
            for (k = 0; shared && k < cfg->ntargets && strcmp(t[k].name, name) != 0; k++)
                ;
            if (shared && k < cfg->ntargets)
                continue;
            if (shared)
                snprintf(t[cfg->ntargets++].name, sizeof t->name, "%s", name);
            else
                snprintf(t[cfg->ntargets++].name, sizeof t->name, "%zu/%.100s", i + 1, name);
        }
    return 0;
}

/* The merged configuration: the first run's load with connections, threads and rates summed. */
static int merge_config(ab_load_result *const *rs, size_t n, int shared, ab_load_config *cfg)
{
    size_t i;
    *cfg = rs[0]->cfg;
    cfg->connections = cfg->threads = 0;
    cfg->rate = 0;
    for (i = 0; i < n; i++) {
        cfg->connections += rs[i]->cfg.connections;
        cfg->threads += rs[i]->cfg.threads;
        cfg->rate += rs[i]->rate_eff;
    }
    cfg->shard_index = 0; /* merged */
    return merge_targets(rs, n, shared, cfg);
}

/* The delta of merged target k: when shared, the input's delta with the most requests (each
 * generator's covers the others' traffic to that server too); else that input's own. */
static void merge_deltas(ab_load_result *m, ab_load_result *const *rs, size_t n, int shared)
{
    size_t i, j, k = 0;
    for (i = 0; i < n; i++)
        for (j = 0; j < rs[i]->cfg.ntargets; j++) {
            const cJSON *d = rs[i]->server_delta[j];
            size_t at = k;
            if (shared)
                for (at = 0; strcmp(m->cfg.targets[at].name, rs[i]->cfg.targets[j].name) != 0; at++)
                    ;
            else
                k++;
            if (d == NULL) {
                if (m->server_delta[at] == NULL)
                    snprintf(m->server_err[at], sizeof m->server_err[at], "%s", rs[i]->server_err[j]);
            } else if (m->server_delta[at] == NULL ||
                       ab_json_num_or(d, "requests", 0) > ab_json_num_or(m->server_delta[at], "requests", 0)) {
                cJSON_Delete(m->server_delta[at]);
                m->server_delta[at] = cJSON_Duplicate(d, 1);
            }
        }
}

/* Adds the runs' statistics and run figures into m. 0 or -1. */
static int merge_stats(ab_load_result *m, ab_load_result *const *rs, size_t n)
{
    size_t i;
    m->window_s = 0;
    m->started_unix = rs[0]->started_unix;
    m->window_start_unix_ms = rs[0]->window_start_unix_ms;
    for (i = 0; i < n; i++) {
        if (abl_stats_merge(&m->stats, &rs[i]->stats) != 0 || abl_stats_merge(&m->warm, &rs[i]->warm) != 0)
            return -1;
        m->window_s += rs[i]->window_s / (double)n;
        m->login_ok += rs[i]->login_ok;
        m->login_failed += rs[i]->login_failed;
        m->login_s = fmax(m->login_s, rs[i]->login_s);
        if (rs[i]->started_unix < m->started_unix)
            m->started_unix = rs[i]->started_unix;
        m->window_start_unix_ms = fmin(m->window_start_unix_ms, rs[i]->window_start_unix_ms);
    }
    return 0;
}

/* Notes on shards missing, users driven twice and windows started apart. */
static void merge_notes(const ab_load_result *m, ab_load_result *const *rs, size_t n, size_t users_sum,
                        cJSON *notes)
{
    double last = m->window_start_unix_ms;
    size_t i;
    if (m->cfg.shard_count > 1 && n < m->cfg.shard_count)
        note(notes, "%zu of %u shards merged: users and rate are what these shards drove, not the whole load",
             n, m->cfg.shard_count);
    if (users_sum > m->users_n)
        note(notes, "the runs drove %zu users in all but only %zu distinct ones: they were not sharded (no "
             "--shard), so each machine logged the same users in on its own", users_sum, m->users_n);
    for (i = 0; i < n; i++)
        last = fmax(last, rs[i]->window_start_unix_ms);
    if (last - m->window_start_unix_ms > ABL_SKEW_NOTE_MS)
        note(notes, "the measured windows started up to %.0f ms apart: second k of one run is not second k of "
             "another (start them together with --start-at on NTP-synchronised machines)",
             last - m->window_start_unix_ms);
}

ab_load_result *ab_load_results_merge(ab_load_result *const *rs, size_t n, int shared_targets, cJSON *notes,
                                      char *err, size_t errlen)
{
    ab_load_result *m = NULL;
    ab_load_config cfg;
    size_t i, users_sum = 0;
    cfg.targets = NULL;
    if (n == 0 || check_inputs(rs, n, err, errlen) != 0)
        return NULL;
    if (merge_config(rs, n, shared_targets, &cfg) != 0 || (m = abl_result_new(&cfg)) == NULL ||
        users_union(rs, n, &m->users_first, &m->users_n) != 0 || merge_stats(m, rs, n) != 0) {
        snprintf(err, errlen, "out of memory merging the runs");
        free(cfg.targets);
        ab_load_result_free(m);
        return NULL;
    }
    free(cfg.targets); /* m holds its own copy */
    m->cfg.users = (unsigned)m->users_n;
    m->rate_eff = m->cfg.rate;
    merge_deltas(m, rs, n, shared_targets);
    for (i = 0; i < n; i++)
        users_sum += rs[i]->users_n;
    merge_notes(m, rs, n, users_sum, notes);
    return m;
}

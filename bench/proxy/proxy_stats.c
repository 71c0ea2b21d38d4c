/* proxy_stats.c — the delay the proxy's chunks actually got (achieved and late, per chunk, in two
 * histograms shared by the relay threads) and the stats file that reports it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "proxy_int.h"

int abp_delay_init(abp_delay *d)
{
    memset(d, 0, sizeof *d);
    if (pthread_mutex_init(&d->mu, NULL) != 0)
        return -1;
    d->achieved = ab_hist_new(ABP_DELAY_HIGHEST_NS, 3);
    d->late = ab_hist_new(ABP_DELAY_HIGHEST_NS, 3);
    return d->achieved != NULL && d->late != NULL ? 0 : -1;
}

void abp_delay_free(abp_delay *d)
{
    ab_hist_free(d->achieved);
    ab_hist_free(d->late);
    pthread_mutex_destroy(&d->mu);
    memset(d, 0, sizeof *d);
}

void abp_delay_record(abp_delay *d, uint64_t arrival_ns, uint64_t due_ns, uint64_t release_ns)
{
    pthread_mutex_lock(&d->mu);
    ab_hist_record(d->achieved, release_ns > arrival_ns ? release_ns - arrival_ns : 0);
    ab_hist_record(d->late, release_ns > due_ns ? release_ns - due_ns : 0);
    d->early += release_ns < due_ns;
    pthread_mutex_unlock(&d->mu);
}

/* Adds {"mean", ["p50",] "p99", "max"} in microseconds of h (ns), or null when h is empty. */
static void add_delay(cJSON *root, const char *name, const ab_hist *h, int with_p50)
{
    cJSON *o;
    if (ab_hist_count(h) == 0) {
        cJSON_AddNullToObject(root, name);
        return;
    }
    o = cJSON_AddObjectToObject(root, name);
    cJSON_AddNumberToObject(o, "mean", round(ab_hist_mean(h)) / 1e3);
    if (with_p50)
        cJSON_AddNumberToObject(o, "p50", (double)ab_hist_percentile(h, 50) / 1e3);
    cJSON_AddNumberToObject(o, "p99", (double)ab_hist_percentile(h, 99) / 1e3);
    cJSON_AddNumberToObject(o, "max", (double)ab_hist_max(h) / 1e3);
}

/* The stats document from copies of the histograms (taken under the lock). NULL when out of memory. */
static cJSON *delay_doc(const abp_config *cfg, const ab_hist *achieved, const ab_hist *late, uint64_t early)
{
    cJSON *root = cJSON_CreateObject();
    if (root == NULL)
        return NULL;
    cJSON_AddNumberToObject(root, "chunks", (double)ab_hist_count(achieved));
    cJSON_AddNumberToObject(root, "delay_target_us", (double)cfg->delay_ns / 1e3);
    cJSON_AddNumberToObject(root, "jitter_us", (double)cfg->jitter_ns / 1e3);
    add_delay(root, "achieved_delay_us", achieved, 1);
    add_delay(root, "lateness_us", late, 0);
    cJSON_AddNumberToObject(root, "early_chunks", (double)early);
    cJSON_AddNumberToObject(root, "clamped_chunks", (double)ab_hist_clamped(achieved));
    return root;
}

int abp_delay_write(abp_delay *d, const abp_config *cfg, const char *path, char *err, size_t errlen)
{
    ab_hist *a = ab_hist_new(ABP_DELAY_HIGHEST_NS, 3), *l = ab_hist_new(ABP_DELAY_HIGHEST_NS, 3);
    uint64_t early = 0;
    cJSON *doc = NULL;
    char *text = NULL;
    int rc = -1;
    if (a != NULL && l != NULL) {
        pthread_mutex_lock(&d->mu); /* copies: the relay threads wait for two merges, not for the disk */
        ab_hist_merge(a, d->achieved);
        ab_hist_merge(l, d->late);
        early = d->early;
        pthread_mutex_unlock(&d->mu);
        if ((doc = delay_doc(cfg, a, l, early)) != NULL)
            text = cJSON_Print(doc);
    }
    if (text == NULL)
        ab_fmt(err, errlen, "out of memory writing %s", path);
    else if (ab_write_file_atomic(path, text, strlen(text)) != 0)
        ab_fmt(err, errlen, "cannot write %s: %s", path, strerror(errno));
    else
        rc = 0;
    free(text);
    cJSON_Delete(doc);
    ab_hist_free(a);
    ab_hist_free(l);
    return rc;
}

/* load_stats.c — one thread's measurements (histograms, counters, per-second series) and their
 * merge after join. */
#include <stdlib.h>
#include <string.h>

#include "load_int.h"

const char *const abl_err_names[ABL_ERR_COUNT] = {"connect", "read", "write", "timeout", "parse",
                                                  "http_4xx", "http_5xx", "http_other", "login"};

int abl_stats_init(abl_stats *s, size_t nsecs)
{
    size_t i;
    memset(s, 0, sizeof *s);
    s->lat = ab_hist_new(ABL_HIST_HIGHEST_NS, ABL_HIST_SIGFIGS);
    s->lat_unc = ab_hist_new(ABL_HIST_HIGHEST_NS, ABL_HIST_SIGFIGS);
    s->lat_failed = ab_hist_new(ABL_HIST_HIGHEST_NS, ABL_HIST_SIGFIGS);
    s->lag = ab_hist_new(ABL_HIST_HIGHEST_NS, ABL_HIST_SIGFIGS);
    s->secs = calloc(nsecs ? nsecs : 1, sizeof *s->secs);
    s->nsecs = nsecs;
    if (s->lat == NULL || s->lat_unc == NULL || s->lat_failed == NULL || s->lag == NULL || s->secs == NULL)
        return -1;
    for (i = 0; i < nsecs; i++)
        if ((s->secs[i].lat = ab_hist_new(ABL_HIST_HIGHEST_NS, ABL_SECOND_SIGFIGS)) == NULL)
            return -1;
    return 0;
}

void abl_stats_free(abl_stats *s)
{
    size_t i;
    ab_hist_free(s->lat);
    ab_hist_free(s->lat_unc);
    ab_hist_free(s->lat_failed);
    ab_hist_free(s->lag);
    for (i = 0; s->secs != NULL && i < s->nsecs; i++)
        ab_hist_free(s->secs[i].lat);
    free(s->secs);
    memset(s, 0, sizeof *s);
}

/* dst[i] += src[i] for n counters. */
static void add_counts(uint64_t *dst, const uint64_t *src, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        dst[i] += src[i];
}

int abl_stats_merge(abl_stats *dst, const abl_stats *src)
{
    size_t i;
    if (dst->nsecs != src->nsecs || ab_hist_merge(dst->lat, src->lat) != 0 ||
        ab_hist_merge(dst->lat_unc, src->lat_unc) != 0 || ab_hist_merge(dst->lat_failed, src->lat_failed) != 0 ||
        ab_hist_merge(dst->lag, src->lag) != 0)
        return -1;
    dst->requests += src->requests;
    dst->sent += src->sent;
    if (src->backlog_ns > dst->backlog_ns)
        dst->backlog_ns = src->backlog_ns;
    dst->cpu_ns += src->cpu_ns;
    dst->ok += src->ok;
    dst->auth_failures += src->auth_failures;
    add_counts(dst->errors, src->errors, ABL_ERR_COUNT);
    add_counts(dst->by_op, src->by_op, ABL_OP_COUNT);
    add_counts(dst->bytes_out, src->bytes_out, ABL_OP_COUNT);
    add_counts(dst->bytes_in, src->bytes_in, ABL_OP_COUNT);
    dst->mix_deferred += src->mix_deferred;
    dst->away += src->away;
    dst->connects += src->connects;
    dst->in_flight_at_end += src->in_flight_at_end;
    for (i = 0; i < src->nsecs; i++) {
        dst->secs[i].requests += src->secs[i].requests;
        dst->secs[i].ok += src->secs[i].ok;
        dst->secs[i].errors += src->secs[i].errors;
        dst->secs[i].auth_failures += src->secs[i].auth_failures;
        if (ab_hist_merge(dst->secs[i].lat, src->secs[i].lat) != 0)
            return -1;
    }
    return 0;
}

uint64_t abl_stats_errors(const abl_stats *s)
{
    uint64_t n = 0;
    size_t i;
    for (i = 0; i < ABL_ERR_COUNT; i++)
        n += s->errors[i];
    return n;
}

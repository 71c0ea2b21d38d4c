/* ab_hist.c — log-linear latency histogram (HdrHistogram's bucket layout, written here because no
 * maintained C HdrHistogram package exists in Debian; see ab_hist.h). */
#include "ab_hist.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ab_hist {
    uint64_t highest;
    int sigfigs;
    int sub_bucket_half_count_magnitude;
    uint32_t sub_bucket_half_count;
    uint64_t sub_bucket_mask;
    uint32_t sub_bucket_count;
    int bucket_count;
    size_t counts_len;
    uint64_t total;
    uint64_t clamped;
    uint64_t min;
    uint64_t max;
    uint64_t *counts;
};

/* Number of doubling buckets needed so that sub_bucket_count << (buckets - 1) covers highest. */
static int buckets_needed(uint64_t highest, uint32_t sub_bucket_count)
{
    uint64_t smallest_untrackable = sub_bucket_count;
    int buckets = 1;
    while (smallest_untrackable <= highest) {
        if (smallest_untrackable > UINT64_MAX / 2)
            return buckets + 1;
        smallest_untrackable <<= 1;
        buckets++;
    }
    return buckets;
}

ab_hist *ab_hist_new(uint64_t highest, int sigfigs)
{
    ab_hist *h;
    uint64_t largest_single_unit;
    int mag;
    if (sigfigs < 1 || sigfigs > 5 || highest < 2)
        return NULL;
    h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    largest_single_unit = 2;
    for (mag = 0; mag < sigfigs; mag++)
        largest_single_unit *= 10;
    mag = (int)ceil(log2((double)largest_single_unit));
    h->highest = highest;
    h->sigfigs = sigfigs;
    h->sub_bucket_half_count_magnitude = (mag > 1 ? mag : 1) - 1;
    h->sub_bucket_count = 1u << (h->sub_bucket_half_count_magnitude + 1);
    h->sub_bucket_half_count = h->sub_bucket_count / 2;
    h->sub_bucket_mask = (uint64_t)h->sub_bucket_count - 1;
    h->bucket_count = buckets_needed(highest, h->sub_bucket_count);
    h->counts_len = (size_t)(h->bucket_count + 1) * h->sub_bucket_half_count;
    h->counts = calloc(h->counts_len, sizeof *h->counts);
    if (h->counts == NULL) {
        free(h);
        return NULL;
    }
    h->min = UINT64_MAX;
    return h;
}

void ab_hist_free(ab_hist *h)
{
    if (h == NULL)
        return;
    free(h->counts);
    free(h);
}

void ab_hist_reset(ab_hist *h)
{
    memset(h->counts, 0, h->counts_len * sizeof *h->counts);
    h->total = 0;
    h->clamped = 0;
    h->min = UINT64_MAX;
    h->max = 0;
}

/* Index of the doubling bucket holding v. */
static int bucket_index(const ab_hist *h, uint64_t v)
{
    int pow2ceiling = 64 - __builtin_clzll(v | h->sub_bucket_mask);
    return pow2ceiling - (h->sub_bucket_half_count_magnitude + 1);
}

/* Index into counts for v. */
static size_t counts_index_for(const ab_hist *h, uint64_t v)
{
    int b = bucket_index(h, v);
    uint64_t sub = v >> b;
    return ((size_t)(b + 1) << h->sub_bucket_half_count_magnitude) + (size_t)(sub - h->sub_bucket_half_count);
}

/* The lowest value that lands in counts[i]. */
static uint64_t value_at_index(const ab_hist *h, size_t i)
{
    int b = (int)(i >> h->sub_bucket_half_count_magnitude) - 1;
    uint64_t sub = (i & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;
    if (b < 0) {
        sub -= h->sub_bucket_half_count;
        b = 0;
    }
    return sub << b;
}

/* Width of the range of values that share v's bucket. */
static uint64_t equivalent_range(const ab_hist *h, uint64_t v)
{
    int b = bucket_index(h, v);
    uint64_t sub = v >> b;
    return (uint64_t)1 << (sub >= h->sub_bucket_count ? b + 1 : b);
}

/* The highest value that shares v's bucket. */
static uint64_t highest_equivalent(const ab_hist *h, uint64_t v)
{
    int b = bucket_index(h, v);
    uint64_t lowest = (v >> b) << b;
    return lowest + equivalent_range(h, v) - 1;
}

void ab_hist_record_n(ab_hist *h, uint64_t value, uint64_t count)
{
    if (count == 0)
        return;
    if (value > h->highest) {
        value = h->highest;
        h->clamped += count;
    }
    h->counts[counts_index_for(h, value)] += count;
    h->total += count;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void ab_hist_record(ab_hist *h, uint64_t value)
{
    ab_hist_record_n(h, value, 1);
}

void ab_hist_record_corrected(ab_hist *h, uint64_t value, uint64_t expected_interval)
{
    uint64_t missing;
    ab_hist_record(h, value);
    if (expected_interval == 0 || value <= expected_interval)
        return;
    for (missing = value - expected_interval; missing >= expected_interval; missing -= expected_interval)
        ab_hist_record(h, missing);
}

int ab_hist_merge(ab_hist *dst, const ab_hist *src)
{
    size_t i;
    if (dst->highest != src->highest || dst->sigfigs != src->sigfigs)
        return -1;
    for (i = 0; i < src->counts_len; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->clamped += src->clamped;
    if (src->total > 0 && src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    return 0;
}

uint64_t ab_hist_count(const ab_hist *h) { return h->total; }
uint64_t ab_hist_clamped(const ab_hist *h) { return h->clamped; }
uint64_t ab_hist_min(const ab_hist *h) { return h->total ? h->min : 0; }
uint64_t ab_hist_max(const ab_hist *h) { return h->max; }

/* The middle of counts[i]'s range, used for mean and standard deviation. */
static double median_equivalent(const ab_hist *h, size_t i)
{
    uint64_t v = value_at_index(h, i);
    return (double)v + (double)(equivalent_range(h, v) / 2);
}

double ab_hist_mean(const ab_hist *h)
{
    double sum = 0;
    size_t i;
    if (h->total == 0)
        return 0;
    for (i = 0; i < h->counts_len; i++)
        if (h->counts[i])
            sum += median_equivalent(h, i) * (double)h->counts[i];
    return sum / (double)h->total;
}

double ab_hist_stddev(const ab_hist *h)
{
    double mean = ab_hist_mean(h), acc = 0;
    size_t i;
    if (h->total == 0)
        return 0;
    for (i = 0; i < h->counts_len; i++)
        if (h->counts[i]) {
            double d = median_equivalent(h, i) - mean;
            acc += d * d * (double)h->counts[i];
        }
    return sqrt(acc / (double)h->total);
}

/* How many values lie at or below percentile p: the rank ab_hist_percentile looks for. */
static uint64_t rank_of(const ab_hist *h, double p)
{
    uint64_t want;
    p = p > 100 ? 100 : p < 0 ? 0 : p;
    want = (uint64_t)(p / 100.0 * (double)h->total + 0.5);
    return want < 1 ? 1 : want;
}

uint64_t ab_hist_percentile(const ab_hist *h, double p)
{
    uint64_t want, seen = 0, v;
    size_t i;
    if (h->total == 0)
        return 0;
    want = rank_of(h, p);
    for (i = 0; i < h->counts_len; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            v = highest_equivalent(h, value_at_index(h, i));
            return v < h->max ? v : h->max;
        }
    }
    return h->max;
}

const double ab_hist_pcts[AB_HIST_NPCT] = {
#define PCT_(id, p, key) p,
    AB_HIST_PERCENTILES(PCT_)
#undef PCT_
};
const char *const ab_hist_pct_keys[AB_HIST_NPCT] = {
#define KEY_(id, p, key) key,
    AB_HIST_PERCENTILES(KEY_)
#undef KEY_
};

void ab_hist_percentiles(const ab_hist *h, uint64_t out[AB_HIST_NPCT])
{
    uint64_t seen = 0, v;
    size_t i = 0, k;
    for (k = 0; k < AB_HIST_NPCT; k++)
        out[k] = h->total ? h->max : 0;
    for (k = 0; h->total && k < AB_HIST_NPCT && i < h->counts_len; i++) {
        seen += h->counts[i];
        for (; k < AB_HIST_NPCT && seen >= rank_of(h, ab_hist_pcts[k]); k++) {
            v = highest_equivalent(h, value_at_index(h, i));
            out[k] = v < h->max ? v : h->max;
        }
    }
}

int ab_hist_next(const ab_hist *h, size_t *cursor, uint64_t *value, uint64_t *count)
{
    size_t i;
    for (i = *cursor; i < h->counts_len; i++)
        if (h->counts[i]) {
            *value = highest_equivalent(h, value_at_index(h, i));
            *count = h->counts[i];
            *cursor = i + 1;
            return 1;
        }
    *cursor = h->counts_len;
    return 0;
}

char *ab_hist_encode(const ab_hist *h)
{
    size_t cap = 96, len, i;
    char *out;
    for (i = 0; i < h->counts_len; i++)
        if (h->counts[i])
            cap += 44;
    out = malloc(cap);
    if (out == NULL)
        return NULL;
    len = (size_t)snprintf(out, cap, "abh1 %" PRIu64 " %d %" PRIu64 " %" PRIu64 " %" PRIu64, h->highest,
                           h->sigfigs, ab_hist_min(h), h->max, h->clamped);
    for (i = 0; i < h->counts_len; i++)
        if (h->counts[i])
            len += (size_t)snprintf(out + len, cap - len, " %zu:%" PRIu64, i, h->counts[i]);
    return out;
}

/* Parses one unsigned decimal at *p (advancing it); 0 or -1. */
static int take_u64(const char **p, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (**p < '0' || **p > '9')
        return -1;
    errno = 0;
    v = strtoull(*p, &end, 10);
    if (errno != 0)
        return -1;
    *p = end;
    *out = v;
    return 0;
}

ab_hist *ab_hist_decode(const char *text)
{
    const char *p = text;
    uint64_t highest, sig, min, max, clamped, idx, cnt;
    ab_hist *h;
    if (strncmp(p, "abh1 ", 5) != 0)
        return NULL;
    p += 5;
    if (take_u64(&p, &highest) || *p++ != ' ' || take_u64(&p, &sig) || *p++ != ' ' ||
        take_u64(&p, &min) || *p++ != ' ' || take_u64(&p, &max) || *p++ != ' ' ||
        take_u64(&p, &clamped) || sig > 5)
        return NULL;
    h = ab_hist_new(highest, (int)sig);
    if (h == NULL)
        return NULL;
    while (*p == ' ') {
        p++;
        if (take_u64(&p, &idx) || *p++ != ':' || take_u64(&p, &cnt) || idx >= h->counts_len)
            goto fail;
        h->counts[idx] += cnt;
        h->total += cnt;
    }
    if (*p != '\0' || clamped > h->total || (h->total > 0 && (min > max || max > highest)))
        goto fail;
    h->clamped = clamped;
    h->min = h->total ? min : UINT64_MAX;
    h->max = max;
    return h;
fail:
    ab_hist_free(h);
    return NULL;
}

/* ab_hist.h — a log-linear latency histogram with 3 significant digits, mergeable across threads,
 * processes and machines (the HdrHistogram layout; no maintained C package of it is in Debian).
 *
 * Values are unsigned integers in the caller's unit (authbench records nanoseconds or microseconds
 * and names the unit in every field it writes). Values above the highest trackable value are clamped
 * to it and counted in `clamped`. Not thread-safe: one histogram per thread, merged after join. */
#ifndef AB_HIST_H
#define AB_HIST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ab_hist ab_hist;

/* A histogram tracking 1..highest with sigfigs (1..5) significant digits. NULL on bad arguments or
 * out of memory. */
ab_hist *ab_hist_new(uint64_t highest, int sigfigs);
void ab_hist_free(ab_hist *h);
void ab_hist_reset(ab_hist *h);

void ab_hist_record(ab_hist *h, uint64_t value);
void ab_hist_record_n(ab_hist *h, uint64_t value, uint64_t count);
/* Records value, and, when value exceeds expected_interval, the values a fixed-rate client would
 * have seen while it waited (value - interval, value - 2*interval, …): coordinated-omission
 * correction for closed-loop recording. Open-loop recording measures from the intended send time
 * instead and does not need it. */
void ab_hist_record_corrected(ab_hist *h, uint64_t value, uint64_t expected_interval);

/* dst += src. Both must have the same highest and sigfigs; returns 0 or -1. */
int ab_hist_merge(ab_hist *dst, const ab_hist *src);

uint64_t ab_hist_count(const ab_hist *h);
uint64_t ab_hist_clamped(const ab_hist *h);
uint64_t ab_hist_min(const ab_hist *h);
uint64_t ab_hist_max(const ab_hist *h);
double ab_hist_mean(const ab_hist *h);
double ab_hist_stddev(const ab_hist *h);
/* The value at percentile p (0..100): the highest value equivalent to the bucket holding it,
 * as HdrHistogram reports (so p100 == max's bucket). 0 when empty. */
uint64_t ab_hist_percentile(const ab_hist *h, double p);

/* The percentiles authbench reports, declared once: X(id, percentile, key). "max" is p100, which
 * is the exact maximum. Every latency it writes or prints walks this list. */
#define AB_HIST_PERCENTILES(X) \
    X(P50, 50.0, "p50") \
    X(P90, 90.0, "p90") \
    X(P99, 99.0, "p99") \
    X(P999, 99.9, "p999") \
    X(P9999, 99.99, "p9999") \
    X(MAX, 100.0, "max")

#define AB_HIST_PCT_ID_(id, p, key) AB_HIST_##id,
typedef enum ab_hist_pct { AB_HIST_PERCENTILES(AB_HIST_PCT_ID_) AB_HIST_NPCT } ab_hist_pct;
#undef AB_HIST_PCT_ID_

/* The list as arrays: ab_hist_pcts[i] (50 … 100) and ab_hist_pct_keys[i] ("p50" … "max"). */
extern const double ab_hist_pcts[AB_HIST_NPCT];
extern const char *const ab_hist_pct_keys[AB_HIST_NPCT];

/* The values at every reported percentile in one pass: out[i] == ab_hist_percentile(h,
 * ab_hist_pcts[i]) (all 0 when empty). */
void ab_hist_percentiles(const ab_hist *h, uint64_t out[AB_HIST_NPCT]);

/* Serialisation for merging across processes and machines: a compact text form
 * "abh1 <highest> <sigfigs> <min> <max> <clamped> <index>:<count> …" (only non-zero buckets).
 * ab_hist_encode returns a malloc'd NUL-terminated string (the caller frees it), NULL on OOM.
 * ab_hist_decode returns a new histogram, or NULL on malformed input. */
char *ab_hist_encode(const ab_hist *h);
ab_hist *ab_hist_decode(const char *text);

/* Iterates non-empty buckets in value order: returns 1 and sets *value (bucket's highest
 * equivalent value) and *count while there are more; *cursor starts at 0. */
int ab_hist_next(const ab_hist *h, size_t *cursor, uint64_t *value, uint64_t *count);

#ifdef __cplusplus
}
#endif

#endif /* AB_HIST_H */

/* res_stats.c — statistics over repetitions: mean, median and CV, and confidence intervals (the
 * percentile bootstrap of a median, for each figure of repetition_stats, and of the change between
 * two medians, for authbench compare), seeded from what the values are so that the same data always
 * gives the same interval. */
#include "res_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ab_rng.h"

/* Sorts doubles ascending (qsort callback). */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void ab_res_summarize(const double *v, size_t n, ab_res_summary *out)
{
    double *s, sum = 0, ss = 0;
    size_t i;
    out->mean = out->median = 0;
    out->cv = -1;
    if (n == 0 || (s = malloc(n * sizeof *s)) == NULL)
        return;
    for (i = 0; i < n; i++)
        sum += (s[i] = v[i]);
    qsort(s, n, sizeof *s, cmp_double);
    out->mean = sum / (double)n;
    out->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    for (i = 0; i < n; i++)
        ss += (s[i] - out->mean) * (s[i] - out->mean);
    if (n >= 2 && out->mean != 0)
        out->cv = sqrt(ss / (double)(n - 1)) / fabs(out->mean);
    free(s);
}

/* The median of n (1..AB_RES_MAX_REPS) values drawn with replacement from v. */
static double resampled_median(const double *v, size_t n, ab_rng *r)
{
    double s[AB_RES_MAX_REPS], x;
    size_t i, j;
    for (i = 0; i < n; i++) { /* insertion sort as it is drawn: n is a handful of repetitions */
        x = v[ab_rng_below(r, n)];
        for (j = i; j > 0 && s[j - 1] > x; j--)
            s[j] = s[j - 1];
        s[j] = x;
    }
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The q-quantile (0..1) of sorted values, interpolated between neighbours. */
static double quantile(const double *sorted, size_t n, double q)
{
    double pos = q * (double)(n - 1), frac = pos - floor(pos);
    size_t i = (size_t)floor(pos);
    return i + 1 < n ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

/* The alpha/2 and 1-alpha/2 quantiles of the B bootstrap statistics in t (sorted here). */
static void interval_of(double *t, double alpha, double *lo, double *hi)
{
    qsort(t, AB_RES_BOOTSTRAP_B, sizeof *t, cmp_double);
    *lo = quantile(t, AB_RES_BOOTSTRAP_B, alpha / 2);
    *hi = quantile(t, AB_RES_BOOTSTRAP_B, 1 - alpha / 2);
}

int ab_res_bootstrap_median_ci(const double *v, size_t n, uint64_t seed, double *lo, double *hi)
{
    double t[AB_RES_BOOTSTRAP_B];
    ab_rng r;
    size_t b;
    *lo = *hi = NAN;
    if (n < 2)
        return -1;
    n = n < AB_RES_MAX_REPS ? n : AB_RES_MAX_REPS;
    ab_rng_seed(&r, seed);
    for (b = 0; b < AB_RES_BOOTSTRAP_B; b++)
        t[b] = resampled_median(v, n, &r);
    interval_of(t, AB_RES_CI_ALPHA, lo, hi);
    return 0;
}

int ab_res_bootstrap_change_ci(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                               double alpha, double *lo, double *hi)
{
    double t[AB_RES_BOOTSTRAP_B];
    ab_rng r;
    size_t k;
    *lo = *hi = NAN;
    if (na < 2 || nb < 2 || !(alpha > 0 && alpha < 1))
        return -1;
    na = na < AB_RES_MAX_REPS ? na : AB_RES_MAX_REPS;
    nb = nb < AB_RES_MAX_REPS ? nb : AB_RES_MAX_REPS;
    ab_rng_seed(&r, seed);
    for (k = 0; k < AB_RES_BOOTSTRAP_B; k++) {
        double ma = resampled_median(a, na, &r), mb = resampled_median(b, nb, &r);
        if (ma == 0)
            return -1;
        t[k] = mb / ma - 1;
    }
    interval_of(t, alpha, lo, hi);
    return 0;
}

uint64_t ab_res_seed(const char *a, const char *b)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a, 64 bits */
    const char *s;
    for (s = a != NULL ? a : ""; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull; /* a separator, so ("ab", "c") and ("a", "bc") differ */
    for (s = b != NULL ? b : ""; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

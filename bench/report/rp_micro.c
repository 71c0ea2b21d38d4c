/* rp_micro.c — reads Google Benchmark JSON (micro.json): time per operation of a named benchmark. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rp_int.h"

/* Microseconds per time_unit ("ns", "us", "ms", "s"); NaN for an unknown unit. */
static double unit_us(const char *u)
{
    if (u == NULL || strcmp(u, "ns") == 0)
        return 1e-3; /* Google Benchmark's default unit */
    if (strcmp(u, "us") == 0)
        return 1;
    if (strcmp(u, "ms") == 0)
        return 1e3;
    return strcmp(u, "s") == 0 ? 1e6 : NAN;
}

/* The row named exactly name; NULL if absent. */
static const cJSON *row_named(const cJSON *micro, const char *name)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(micro, "benchmarks")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(b, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return b;
    }
    return NULL;
}

double rp_micro_us(const cJSON *micro, const char *name, char *key, size_t keylen, double *factor)
{
    static const char *const suffixes[] = {"_median", "_mean", ""};
    size_t i;
    for (i = 0; micro != NULL && i < 3; i++) {
        const cJSON *row, *u;
        double t;
        snprintf(key, keylen, "%s%s", name, suffixes[i]);
        row = row_named(micro, key);
        if (row == NULL)
            continue;
        u = cJSON_GetObjectItemCaseSensitive(row, "time_unit");
        *factor = unit_us(cJSON_IsString(u) ? u->valuestring : NULL);
        t = ab_json_num_or(row, "real_time", NAN) * *factor;
        if (rp_has(t))
            return t;
    }
    key[0] = '\0';
    return NAN;
}

size_t rp_micro_algs(const cJSON *micro, char algs[][16], size_t max)
{
    const cJSON *b;
    size_t n = 0, i;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(micro, "benchmarks")) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(b, "name");
        char alg[16];
        if (!cJSON_IsString(nm) || sscanf(nm->valuestring, "BM_jwt_verify/%15[^/]/typical", alg) != 1)
            continue;
        for (i = 0; i < n && strcmp(algs[i], alg) != 0; i++)
            ;
        if (i == n && n < max)
            snprintf(algs[n++], 16, "%s", alg);
    }
    return n;
}

void rp_micro_ci(const cJSON *micro, const char *name, double *lo, double *hi)
{
    const cJSON *b;
    double v[AB_RES_MAX_REPS];
    size_t n = 0;
    *lo = *hi = NAN;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(micro, "benchmarks")) {
        const char *rn = ab_json_str(b, "run_name"), *rt = ab_json_str(b, "run_type"), *u = ab_json_str(b, "time_unit");
        double t = ab_json_num_or(b, "real_time", NAN) * unit_us(u);
        if (rn != NULL && strcmp(rn, name) == 0 && rt != NULL && strcmp(rt, "iteration") == 0 && rp_has(t) &&
            n < AB_RES_MAX_REPS)
            v[n++] = t;
    }
    ab_res_bootstrap_median_ci(v, n, ab_res_seed("micro", name), lo, hi); /* NaN with fewer than 2 */
}

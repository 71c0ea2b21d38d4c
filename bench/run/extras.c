/* extras.c — what a run does besides its cells: one JWT key per algorithm (`authbench jwt keygen`),
 * the shared store's capacity (`authbench store-bench`) and the micro-benchmarks (authbench_micro). */
#include "run_exec.h"
#include "ab_opt.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MICRO_TIMEOUT_MS (20u * 60u * 1000u)

int ab_run_key_for(ab_run_ctx *ctx, const char *alg, char *path, size_t len, char *err, size_t errlen)
{
    char prefix[AB_RUN_PATH_MAX], out[4096];
    char *argv[] = {ctx->self, "jwt", "keygen", "--alg", (char *)alg, "--out", prefix, NULL};
    int rc;
    ab_fmt(prefix, sizeof prefix, "%s/key-%s", ctx->tmp, alg);
    ab_fmt(path, len, "%s.key", prefix);
    if (access(path, R_OK) == 0)
        return 0;
    rc = ab_run_capture(argv, out, sizeof out, 60000);
    if (rc != 0 || access(path, R_OK) != 0) {
        ab_fmt(err, errlen, "authbench jwt keygen --alg %s failed (%s)", alg,
                 rc < 0 ? "did not run" : rc != 0 ? "non-zero exit" : "no .key file written");
        return -1;
    }
    return 0;
}

/* The first number among the given keys of obj, or -1. */
static double first_num(const cJSON *obj, const char *const *keys, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, keys[i]);
        if (cJSON_IsNumber(v))
            return v->valuedouble;
    }
    return -1;
}

/* store_capacity from store-bench's JSON (clients as asked). NULL when it has no ops_per_sec. */
static cJSON *capacity_object(const cJSON *sb, unsigned clients, double duration_s)
{
    static const char *const value_keys[] = {"value_bytes", "session_bytes", "record_bytes"};
    double ops = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sb, "ops_per_sec"));
    double vb = first_num(sb, value_keys, 3);
    cJSON *o;
    if (!(ops > 0))
        return NULL;
    o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "redis_get_ops_per_sec", ops);
    cJSON_AddNumberToObject(o, "redis_get_clients", clients);
    if (vb >= 0)
        cJSON_AddNumberToObject(o, "redis_value_bytes", vb);
    else
        cJSON_AddNullToObject(o, "redis_value_bytes");
    cJSON_AddNumberToObject(o, "duration_s", duration_s);
    cJSON_AddItemToObject(o, "store_bench", cJSON_Duplicate(sb, 1));
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "store_bench"), "latency_hist_ns");
    return o;
}

/* Runs `authbench store-bench --op get` on uri as the scenario's store_capacity says: its JSON, or
 * NULL with a note in err. */
static cJSON *bench_gets(ab_run_ctx *ctx, const cJSON *cfg, const char *uri, char *err, size_t errlen)
{
    char clients[16], dur[32], warm[32], *out, uri_file[AB_RUN_PATH_MAX + 32];
    char *argv[] = {ctx->self, "store-bench", "--store-file", uri_file, "--op", "get", "--clients", clients,
                    "--duration", dur, "--warmup", warm, "--json", NULL};
    uint64_t us = 0;
    cJSON *sb = NULL;
    int rc;
    ab_fmt(uri_file, sizeof uri_file, "%s/store-capacity.uri", ctx->tmp); /* a password never on argv */
    if (ab_opt_write_secret_file(uri_file, uri) != 0) {
        ab_fmt(err, errlen, "cannot write %s: %s", uri_file, strerror(errno));
        return NULL;
    }
    ab_fmt(clients, sizeof clients, "%d", (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "clients")));
    ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(cfg, "duration"), &us);
    ab_fmt(dur, sizeof dur, "%gs", (double)us / 1e6);
    ab_fmt(warm, sizeof warm, "%gs", us / 2 > 2000000 ? 2.0 : (double)us / 2e6); /* half, at most 2 s */
    if ((out = malloc(1u << 20)) == NULL) {
        ab_fmt(err, errlen, "out of memory");
        return NULL;
    }
    rc = ab_run_capture(argv, out, 1u << 20, (unsigned)(us / 1000u) + 60000u);
    unlink(uri_file);
    if (rc == 0)
        sb = cJSON_Parse(out);
    free(out);
    if (sb == NULL)
        ab_fmt(err, errlen, "authbench store-bench %s", rc != 0 ? "failed or is not in this build"
                                                                  : "gave no JSON");
    return sb;
}

/* The Redis Cluster's GET capacity into res (made when NULL): redis_cluster_get_ops_per_sec and its
 * store-bench output, measured the same way as the single Redis's. Returns res. */
static cJSON *cluster_capacity(ab_run_ctx *ctx, const cJSON *cfg, cJSON *res, char *err, size_t errlen)
{
    cJSON *sb = bench_gets(ctx, cfg, ctx->cluster.uri, err, errlen);
    double ops = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sb, "ops_per_sec"));
    if (sb != NULL && ops > 0) {
        if (res == NULL)
            res = cJSON_CreateObject();
        cJSON_AddNumberToObject(res, "redis_cluster_get_ops_per_sec", ops);
        cJSON_AddNumberToObject(res, "redis_cluster_masters", (double)ctx->cluster.nmasters);
        cJSON_DeleteItemFromObjectCaseSensitive(sb, "latency_hist_ns");
        cJSON_AddItemToObject(res, "redis_cluster_store_bench", sb);
        sb = NULL;
    } else if (sb != NULL) {
        ab_fmt(err, errlen, "authbench store-bench on the cluster gave no ops_per_sec");
    }
    cJSON_Delete(sb);
    ab_run_cluster_flush(&ctx->cluster);
    return res;
}

cJSON *ab_run_store_capacity(ab_run_ctx *ctx, const cJSON *sc, char *err, size_t errlen)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(sc, "store_capacity");
    char uri[512];
    uint64_t us = 0;
    cJSON *sb = NULL, *res = NULL;
    if (!cJSON_IsObject(cfg) || (!ctx->redis.running && !ctx->cluster.running)) {
        ab_fmt(err, errlen, "%s", cJSON_IsObject(cfg) ? "no Redis" : "disabled by the scenario");
        return NULL;
    }
    ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(cfg, "duration"), &us);
    if (ctx->redis.running) {
        ab_run_redis_uri(&ctx->redis, ctx->redis.host, ctx->redis.port, uri, sizeof uri);
        if ((sb = bench_gets(ctx, cfg, uri, err, errlen)) != NULL &&
            (res = capacity_object(sb, (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "clients")),
                                   (double)us / 1e6)) == NULL)
            ab_fmt(err, errlen, "authbench store-bench gave no ops_per_sec");
        cJSON_Delete(sb);
        ab_run_redis_flush(&ctx->redis);
    }
    return ctx->cluster.running ? cluster_capacity(ctx, cfg, res, err, errlen) : res;
}

/* The micro-benchmark program: --micro PATH, else <dir of authbench (self)>/micro/authbench_micro. */
static int micro_find(const char *self_path, const char *given, char *path, size_t len)
{
    char self[AB_RUN_PATH_MAX];
    if (given != NULL)
        return ab_fmt(path, len, "%s", given), access(path, X_OK) == 0;
    ab_fmt(self, sizeof self, "%s", self_path);
    ab_fmt(path, len, "%s/micro/authbench_micro", dirname(self));
    return access(path, X_OK) == 0;
}

/* How many benchmarks the scenario's micro would run (--benchmark_list_tests with its filter), or 0
 * when the program is missing. */
static int micro_count(const cJSON *cfg, const char *micro_path)
{
    char self[AB_RUN_PATH_MAX], prog[AB_RUN_PATH_MAX], filter[300], *out, *p;
    char *argv[] = {prog, "--benchmark_list_tests=true", NULL, NULL};
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(cfg, "filter");
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    int count = 0;
    if (n <= 0 || (self[n] = '\0', !micro_find(self, micro_path, prog, sizeof prog)) ||
        (out = malloc(1u << 20)) == NULL)
        return 0;
    if (cJSON_IsString(f))
        ab_fmt(filter, sizeof filter, "--benchmark_filter=%s", f->valuestring), argv[2] = filter;
    if (ab_run_capture(argv, out, 1u << 20, 10000) == 0)
        for (p = out; (p = strchr(p, '\n')) != NULL; p++)
            count++;
    free(out);
    return count;
}

double ab_run_micro_estimate_s(const cJSON *sc, const char *micro_path)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(sc, "micro");
    uint64_t us = 0;
    if (!cJSON_IsObject(cfg) || ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(cfg, "min_time"), &us) != 0)
        return 0;
    /* Google Benchmark runs each repetition min_time, and about half a repetition more to find the
     * iteration count; 7 s of key generation and start-up (quick run: 52 benchmarks, 8.5 s). */
    return micro_count(cfg, micro_path) * ((double)us / 1e6) *
               (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "repetitions")) + 0.5) + 7;
}

/* A "micro" object saying it did not run, and why. */
static cJSON *micro_skipped(const char *why)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ran", 0);
    cJSON_AddStringToObject(o, "reason", why);
    return o;
}

/* Runs the micro program to completion (stop signals honoured). 0, or -1 with a reason. */
static int micro_exec(ab_run_ctx *ctx, char *const argv[], char *const env[], char *why, size_t len)
{
    char log[AB_RUN_PATH_MAX + 16], tail[200];
    ab_run_proc p;
    uint64_t end = ab_now_us() + (uint64_t)MICRO_TIMEOUT_MS * 1000u;
    ab_fmt(log, sizeof log, "%s/micro.log", ctx->dir);
    if (ab_run_proc_start(&p, "authbench_micro", argv, log, env, why, len) != 0)
        return -1;
    while (!ab_run_proc_poll(&p)) {
        if (ab_now_us() > end || ab_run_sleep_ms(50) != 0) {
            ab_run_proc_stop(&p, SIGKILL, 1000);
            ab_fmt(why, len, "%s", ab_run_stop_signal ? "interrupted" : "timed out");
            return -1;
        }
    }
    if (WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0)
        return 0;
    ab_fmt(why, len, "authbench_micro failed: %s", ab_run_log_tail(log, tail, sizeof tail));
    return -1;
}

/* Length of a non-finite number token at p (NaN, -nan, Infinity, -inf …), 0 when none. */
static size_t nonfinite_len(const char *p)
{
    static const char *const toks[] = {"-Infinity", "Infinity", "-NaN", "NaN", "-nan", "nan", "-inf", "inf"};
    size_t i;
    for (i = 0; i < sizeof toks / sizeof toks[0]; i++)
        if (strncmp(p, toks[i], strlen(toks[i])) == 0)
            return strlen(toks[i]);
    return 0;
}

/* Google Benchmark writes NaN for some aggregates (e.g. the CV of a counter that is always 0),
 * which is not JSON: a copy of text with null there (outside strings), or NULL when out of memory;
 * *n says how many. The copy may be longer than text: "null" is longer than "NaN" or "inf" (an
 * in-place rewrite overran the buffer on the default scenario's micro.json, 250 KB of them). */
static char *nonfinite_to_null(const char *text, int *n)
{
    size_t len = strlen(text);
    char *out = malloc(len + len / 3 + 2), *w = out; /* every token is 3 bytes or more: at most 4/3 */
    const char *r = text;
    int in_str = 0;
    *n = 0;
    if (out == NULL)
        return NULL;
    while (*r != '\0') {
        size_t tok = in_str ? 0 : nonfinite_len(r);
        if (tok > 0) {
            memcpy(w, "null", 4), w += 4, r += tok, (*n)++;
            continue;
        }
        if (in_str && *r == '\\' && r[1] != '\0')
            *w++ = *r++;
        else if (*r == '"')
            in_str = !in_str;
        *w++ = *r++;
    }
    *w = '\0';
    return out;
}

/* Makes micro.json from Google Benchmark's file tmp: valid JSON (see nonfinite_to_null), written
 * atomically. The number of benchmarks, or -1 (why set). */
static int micro_finish(const char *tmp, const char *out, int *replaced, char *why, size_t len)
{
    char *raw = ab_read_file(tmp, 64u << 20, NULL), *text = raw != NULL ? nonfinite_to_null(raw, replaced) : NULL;
    cJSON *j = text != NULL ? cJSON_Parse(text) : NULL;
    int n = -1;
    free(raw);
    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "benchmarks")) &&
        ab_write_file_atomic(out, text, strlen(text)) == 0)
        n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "benchmarks"));
    else
        ab_fmt(why, len, "authbench_micro wrote no usable JSON (%s)", text ? "malformed" : strerror(errno));
    cJSON_Delete(j);
    free(text);
    unlink(tmp);
    return n;
}

cJSON *ab_run_micro(ab_run_ctx *ctx, const cJSON *sc, const char *micro_path)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(sc, "micro");
    char prog[AB_RUN_PATH_MAX], out[AB_RUN_PATH_MAX + 64], tmp[AB_RUN_PATH_MAX + 64], why[512];
    char a_out[AB_RUN_PATH_MAX + 96], a_min[64], a_rep[64], a_filter[300], env_redis[300], uri[256];
    char *argv[] = {prog, "--benchmark_format=json", a_out, a_min, a_rep,
                    "--benchmark_report_aggregates_only=true", NULL, NULL};
    const cJSON *filter = cJSON_GetObjectItemCaseSensitive(cfg, "filter");
    char *env[] = {env_redis, NULL};
    uint64_t us = 0;
    int count, replaced = 0;
    cJSON *o;
    if (!cJSON_IsObject(cfg))
        return micro_skipped("disabled (--no-micro or \"micro\": false)");
    if (!micro_find(ctx->self, micro_path, prog, sizeof prog))
        return micro_skipped("authbench_micro not found (build with libbenchmark-dev, or pass --micro PATH)");
    ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(cfg, "min_time"), &us);
    ab_fmt(out, sizeof out, "%s/micro.json", ctx->dir);
    ab_fmt(tmp, sizeof tmp, "%s.tmp", out);
    ab_fmt(a_out, sizeof a_out, "--benchmark_out=%s", tmp);
    ab_fmt(a_min, sizeof a_min, "--benchmark_min_time=%g", (double)us / 1e6);
    ab_fmt(a_rep, sizeof a_rep, "--benchmark_repetitions=%d",
             (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cfg, "repetitions")));
    if (cJSON_IsString(filter)) {
        ab_fmt(a_filter, sizeof a_filter, "--benchmark_filter=%s", filter->valuestring);
        argv[6] = a_filter;
    }
    uri[0] = '\0';
    if (ctx->redis.running)
        ab_run_redis_uri(&ctx->redis, ctx->redis.host, ctx->redis.port, uri, sizeof uri);
    ab_fmt(env_redis, sizeof env_redis, "AUTHBENCH_REDIS_URL=%s", uri);
    why[0] = '\0';
    if (micro_exec(ctx, argv, uri[0] ? env : NULL, why, sizeof why) != 0 ||
        (count = micro_finish(tmp, out, &replaced, why, sizeof why)) < 0) {
        unlink(tmp);
        return micro_skipped(why);
    }
    o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ran", 1);
    cJSON_AddStringToObject(o, "file", "micro.json");
    cJSON_AddNumberToObject(o, "benchmarks", count);
    cJSON_AddNumberToObject(o, "nonfinite_replaced_by_null", replaced);
    cJSON_AddStringToObject(o, "min_time", a_min + strlen("--benchmark_min_time="));
    cJSON_AddItemToObject(o, "filter", cJSON_IsString(filter) ? cJSON_CreateString(filter->valuestring)
                                                              : cJSON_CreateNull());
    return o;
}

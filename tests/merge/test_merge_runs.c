/* test_merge_runs.c — `authbench merge` end to end: two shards of one open-loop load run at once
 * (--shard 1/2 and 2/2, windows aligned with --start-at) against `authbench serve` keeping sessions
 * in a private Redis: their counts add up, their users are disjoint (every user logged in exactly
 * once, sessions of 100 distinct subjects), and a --start-at already past fails the run; and two `authbench run --shard` directories merge cell
 * by cell (throughput, goodput and counts summed, histograms added, servers and environments listed,
 * schema 3). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "ab_hist.h"
#include "ab_json.h"
#include "merge_testutil.h"
#include "test_load_util.h"
#include "tsupport.h"

#define USERS 100

static char *dir;

static int group_setup(void **state)
{
    (void)state;
    return (dir = tsupport_tmpdir("mergeruns")) != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    tsupport_rmtree(dir);
    free(dir);
    return 0;
}

/* Fills a shard's load command: open loop at 600 req/s in all, 100 users, windows from start_at. */
static void shard_args(tm_bg *b, const char *target, const char *shard, const char *start_at, char *json)
{
    const char *args[] = {"load", "--targets", target, "--rate", "600", "--connections", "4", "--threads", "1",
                          "--users", "100", "--duration", "1", "--warmup", "0.2", "--shard", shard, "--start-at",
                          start_at, "--no-progress", "--json", json, NULL};
    memcpy(b->args, args, sizeof args);
}

/* The subjects of every session in Redis: counts sessions; fails unless each subject is user0..99
 * and appears once. */
static void check_sessions(const tsupport_redis *r)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", r->port, tv);
    redisReply *keys;
    char seen[USERS] = {0};
    size_t i;
    assert_true(c != NULL && c->err == 0);
    keys = redisCommand(c, "KEYS sess:*");
    assert_true(keys != NULL && keys->type == REDIS_REPLY_ARRAY);
    assert_int_equal(keys->elements, USERS); /* each user logged in once, by one shard */
    for (i = 0; i < keys->elements; i++) {
        redisReply *v = redisCommand(c, "GET %s", keys->element[i]->str);
        const char *sub = v != NULL && v->type == REDIS_REPLY_STRING ? strstr(v->str, "\"sub\":\"user") : NULL;
        int u = sub != NULL ? atoi(sub + 11) : -1;
        if (u < 0 || u >= USERS || seen[u]++)
            fail_msg("session %s: subject %d unexpected or seen twice", keys->element[i]->str, u);
        freeReplyObject(v);
    }
    freeReplyObject(keys);
    redisFree(c);
}

/* A --start-at that has passed once the users are in fails the run (status 1, one line). */
static void late_start_fails(const char *target)
{
    char at[32], *err = NULL;
    const char *args[] = {"load", "--targets", target, "--users", "10", "--duration", "1", "--start-at", at,
                          "--no-progress", NULL};
    snprintf(at, sizeof at, "%lld", (long long)time(NULL) - 10);
    assert_int_equal(tm_authbench(args, NULL, &err), 1);
    assert_non_null(strstr(err, "--start-at was"));
    assert_int_equal(tload_lines(err), 1);
    free(err);
}

static void two_shards_run_at_once_add_up_and_drive_disjoint_users(void **state)
{
    tsupport_redis redis;
    tsupport_proc serve;
    char mech[96], target[64], at[32], ja[600], jb[600], out[600], res[700];
    const char *merge[] = {"merge", ja, jb, "--out", out, NULL};
    tm_bg a, b;
    cJSON *da, *db, *m;
    (void)state;
    assert_int_equal(tsupport_redis_start(&redis, NULL), 0);
    snprintf(mech, sizeof mech, "session:redis://127.0.0.1:%d", redis.port);
    assert_int_equal(tload_serve_start(&serve, mech, target, sizeof target), 0);
    snprintf(at, sizeof at, "%lld", (long long)time(NULL) + 2);
    snprintf(ja, sizeof ja, "%s/a.json", dir), snprintf(jb, sizeof jb, "%s/b.json", dir);
    snprintf(out, sizeof out, "%s/pair", dir);
    shard_args(&a, target, "1/2", at, ja), shard_args(&b, target, "2/2", at, jb);
    tm_bg_start(&a), tm_bg_start(&b);
    tm_bg_wait_ok(&a), tm_bg_wait_ok(&b);
    assert_int_equal(tm_authbench(merge, NULL, NULL), 0);
    snprintf(res, sizeof res, "%s/load.json", out);
    da = tm_read_json(ja), db = tm_read_json(jb), m = tm_read_json(res);
    assert_true(tm_num(da, "config.shard.users_first") == 0 && tm_num(da, "config.shard.users") == 50);
    assert_true(tm_num(db, "config.shard.users_first") == 50 && tm_num(db, "config.shard.users") == 50);
    assert_true(tm_num(da, "config.shard.rate_rps") == 300 && tm_num(db, "config.shard.rate_rps") == 300);
    assert_true(tm_num(m, "requests") == tm_num(da, "requests") + tm_num(db, "requests"));
    assert_true(tm_num(m, "ok") == tm_num(da, "ok") + tm_num(db, "ok"));
    assert_true(tm_num(m, "latency_us.count") == tm_num(da, "latency_us.count") + tm_num(db, "latency_us.count"));
    assert_true(tm_num(m, "config.users") == USERS && tm_num(m, "config.rate_rps") == 600);
    assert_true(tm_num(m, "merge.window_start_skew_ms") <= 5); /* one clock, one --start-at */
    assert_true(tm_num(m, "requests") > 0.9 * 600 * tm_num(m, "window_s"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "environments")), 2);
    check_sessions(&redis);
    late_start_fails(target);
    cJSON_Delete(da), cJSON_Delete(db), cJSON_Delete(m);
    tsupport_proc_stop(&serve);
    tsupport_redis_stop(&redis);
}

/* One JWT cell and one session cell, one repetition each. */
static const char scenario[] =
    "{\"name\": \"shards\", \"store_capacity\": false, \"micro\": false,\n"
    " \"defaults\": {\"connections\": 4, \"users\": 100, \"duration\": \"1s\", \"warmup\": \"0.2s\",\n"
    "              \"repetitions\": 1, \"servers\": 1},\n"
    " \"groups\": [{\"mechanisms\": [\"jwt:HS256\"]},\n"
    "            {\"mechanisms\": [\"session:memory\"], \"lb\": \"sticky\"}]}\n";

/* Fills an `authbench run --shard` command into out. */
static void run_args(tm_bg *b, const char *sc, const char *shard, char *out)
{
    const char *args[] = {"run", "--scenario", sc, "--shard", shard, "--out", out, "--no-report", "--quiet", NULL};
    memcpy(b->args, args, sizeof args);
}

/* The cell of results document res with this id. */
static const cJSON *cell(const cJSON *res, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "cells")) {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id")), id) == 0)
            return c;
    }
    fail_msg("no cell %s", id);
    return NULL;
}

/* The merged cell id adds up the two runs' cells. */
static void check_cell(const cJSON *r1, const cJSON *r2, const cJSON *m, const char *id)
{
    const cJSON *a = cell(r1, id), *b = cell(r2, id), *c = cell(m, id);
    ab_hist *h = ab_hist_decode(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "histogram")));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "status")), "ok");
    assert_true(tm_num(c, "requests") == tm_num(a, "requests") + tm_num(b, "requests"));
    assert_true(fabs(tm_num(c, "requests_per_sec") - tm_num(a, "requests_per_sec") - tm_num(b, "requests_per_sec")) < 1e-6 * tm_num(c, "requests_per_sec"));
    assert_non_null(h);
    assert_true((double)ab_hist_count(h) == tm_num(c, "requests"));
    assert_true(tm_num(c, "servers") == 2 && tm_num(c, "connections") == 8 && tm_num(c, "users") == 100);
    assert_true(tm_num(c, "auth_failures") == tm_num(a, "auth_failures") + tm_num(b, "auth_failures"));
    /* schema 3: goodput adds up as throughput does; one repetition has no interval */
    assert_true(fabs(tm_num(c, "goodput_per_sec") - tm_num(a, "goodput_per_sec") - tm_num(b, "goodput_per_sec")) < 1e-6 * tm_num(c, "goodput_per_sec"));
    assert_true(cJSON_IsNull(ab_json_at(c, "repetition_stats.requests_per_sec.ci95_low")));
    /* the noise record carries over: the most other work either run saw, before and in its windows */
    assert_true(tm_num(c, "other_cpu_frac") == fmax(tm_num(a, "other_cpu_frac"), tm_num(b, "other_cpu_frac")));
    assert_true(tm_num(c, "other_cpu_window_frac") ==
                fmax(tm_num(a, "other_cpu_window_frac"), tm_num(b, "other_cpu_window_frac")));
    ab_hist_free(h);
}

static void two_run_directories_merge_cell_by_cell(void **state)
{
    char sc[600], o1[600], o2[600], om[600], path[700];
    const char *merge[] = {"merge", o1, o2, "--out", om, NULL};
    tm_bg a, b;
    cJSON *r1, *r2, *m;
    (void)state;
    snprintf(sc, sizeof sc, "%s/scenario.json", dir);
    assert_int_equal(tsupport_write_file(sc, scenario, strlen(scenario)), 0);
    snprintf(o1, sizeof o1, "%s/run1", dir), snprintf(o2, sizeof o2, "%s/run2", dir);
    snprintf(om, sizeof om, "%s/merged", dir);
    run_args(&a, sc, "1/2", o1), run_args(&b, sc, "2/2", o2);
    tm_bg_start(&a), tm_bg_start(&b);
    tm_bg_wait_ok(&a), tm_bg_wait_ok(&b);
    assert_int_equal(tm_authbench(merge, NULL, NULL), 0);
    snprintf(path, sizeof path, "%s/results.json", o1), r1 = tm_read_json(path);
    snprintf(path, sizeof path, "%s/results.json", o2), r2 = tm_read_json(path);
    snprintf(path, sizeof path, "%s/results.json", om), m = tm_read_json(path);
    check_cell(r1, r2, m, "jwt-hs256-s1");
    check_cell(r1, r2, m, "session-memory-s1");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "environments")), 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "merged_from")), 2);
    assert_true(tm_num(m, "schema_version") == 3);
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(m, "sweeps")));
    snprintf(path, sizeof path, "%s/cells/jwt-hs256-s1/rep1.json", om);
    cJSON_Delete(tm_read_json(path));
    snprintf(path, sizeof path, "%s/report.md", om);
    assert_int_equal(access(path, R_OK), 0);
    assert_int_equal(tm_authbench(merge, NULL, NULL), 1); /* the output holds a run now */
    cJSON_Delete(r1), cJSON_Delete(r2), cJSON_Delete(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_shards_run_at_once_add_up_and_drive_disjoint_users),
        cmocka_unit_test(two_run_directories_merge_cell_by_cell),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

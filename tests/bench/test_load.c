/* test_load.c — `authbench load` against real `authbench serve` processes on loopback: the JSON has
 * every field with ordered percentiles, open loop holds its rate, sticky keeps in-memory sessions
 * while rr loses them, the mix logs users out and in, unreachable targets exit 1, bad usage exits 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ab_hist.h"
#include "test_load_util.h"

/* Runs `authbench load --targets T --no-progress --json FILE` plus extra args (NULL-terminated);
 * asserts exit 0 and returns the parsed JSON. */
static cJSON *run_load(const char *targets, const char *const *extra)
{
    char *dir = tsupport_tmpdir("load"), json[512], *out = NULL, *err = NULL, *text;
    char *argv[40] = {(char *)tload_bin(), "load", "--targets", (char *)targets, "--no-progress", "--json", json};
    int i, rc;
    cJSON *j;
    snprintf(json, sizeof json, "%s/out.json", dir);
    for (i = 0; extra[i] != NULL && i < 30; i++)
        argv[7 + i] = (char *)extra[i];
    rc = tload_run(argv, 30000, &out, &err);
    if (rc != 0)
        fprintf(stderr, "# authbench load exited %d: %s%s", rc, err, out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "req/s")); /* the human summary */
    text = tsupport_read_file(json, NULL);
    assert_non_null(text);
    j = cJSON_Parse(text);
    assert_non_null(j);
    free(text);
    free(out);
    free(err);
    tsupport_rmtree(dir);
    free(dir);
    return j;
}

/* The number at obj.key, asserting it is one. */
static double num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        fail_msg("field '%s' is missing or not a number", key);
    return v->valuedouble;
}

/* Asserts a latency object has p50 <= p90 <= p99 <= p999 <= p9999 <= max, all > 0, and a mean. */
static void check_latency(const cJSON *root, const char *name)
{
    static const char *const keys[] = {"p50", "p90", "p99", "p999", "p9999", "max"};
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(root, name);
    double prev = 0;
    size_t i;
    assert_true(cJSON_IsObject(l));
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double v = num(l, keys[i]);
        assert_true(v > 0 && v >= prev);
        prev = v;
    }
    assert_true(num(l, "mean") > 0 && num(l, "mean") <= prev);
}

/* Decodes an encoded histogram and returns its count. */
static uint64_t hist_count(const cJSON *root, const char *name)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "histograms"), name);
    ab_hist *x;
    uint64_t n;
    assert_true(cJSON_IsString(h));
    x = ab_hist_decode(h->valuestring);
    assert_non_null(x);
    n = ab_hist_count(x);
    ab_hist_free(x);
    return n;
}

static void closed_loop_json_has_every_field_and_ordered_percentiles(void **state)
{
    static const char *const extra[] = {"--duration", "2", "--warmup", "0.3", "--threads", "2",
                                        "--connections", "4", "--users", "20", NULL};
    static const char *const per_req[] = {"client_bytes_out_per_req", "client_bytes_in_per_req",
                                          "server_cpu_us_per_req", "auth_cpu_ns_per_req",
                                          "store_round_trips_per_req", "store_net_bytes_out_per_req",
                                          "disk_bytes_read_per_req", "disk_bytes_written_per_req", "fsyncs_per_req",
                                          "fsync_ns_per_req", "store_errors_per_req", "store_redirects_per_req"};
    tsupport_proc srv;
    char hp[64];
    cJSON *j, *ts, *errors;
    size_t i;
    (void)state;
    assert_int_equal(tload_serve_start(&srv, "none", hp, sizeof hp), 0);
    j = run_load(hp, extra);
    assert_true(num(j, "requests_per_sec") > 0);
    assert_true(num(j, "requests") > 0);
    check_latency(j, "latency_us");
    errors = cJSON_GetObjectItemCaseSensitive(j, "errors");
    assert_int_equal(num(errors, "total"), 0);
    assert_true(num(errors, "connect") == 0 && num(errors, "timeout") == 0 && num(errors, "http_5xx") == 0);
    assert_int_equal(num(j, "auth_failures"), 0);
    for (i = 0; i < sizeof per_req / sizeof per_req[0]; i++)
        assert_true(num(j, per_req[i]) >= 0);
    assert_true(num(j, "client_bytes_out_per_req") > 0 && num(j, "server_cpu_us_per_req") > 0);
    ts = cJSON_GetObjectItemCaseSensitive(j, "timeseries");
    assert_int_equal(cJSON_GetArraySize(ts), 2);
    assert_true(num(cJSON_GetArrayItem(ts, 0), "requests") > 0 && num(cJSON_GetArrayItem(ts, 1), "p99_us") > 0);
    assert_int_equal(hist_count(j, "latency_ns"), (uint64_t)num(j, "requests"));
    assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(j, "initial_logins"), "ok"), 20);
    cJSON_Delete(j);
    tsupport_proc_stop(&srv);
}

static void open_loop_holds_its_rate_and_keeps_both_histograms(void **state)
{
    static const char *const extra[] = {"--duration", "2", "--warmup", "0.2", "--rate", "1000",
                                        "--connections", "8", NULL};
    tsupport_proc srv;
    char hp[64];
    cJSON *j;
    (void)state;
    assert_int_equal(tload_serve_start(&srv, "none", hp, sizeof hp), 0);
    j = run_load(hp, extra);
    assert_in_range((uint64_t)num(j, "requests_per_sec"), 900, 1100);
    check_latency(j, "latency_us");
    check_latency(j, "latency_uncorrected_us");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "latency_corrected")));
    /* measured from the intended time, a request is never faster than from its actual send */
    assert_true(num(cJSON_GetObjectItemCaseSensitive(j, "latency_us"), "p50") >=
                num(cJSON_GetObjectItemCaseSensitive(j, "latency_uncorrected_us"), "p50"));
    assert_int_equal(hist_count(j, "latency_uncorrected_ns"), hist_count(j, "latency_ns"));
    cJSON_Delete(j);
    tsupport_proc_stop(&srv);
}

/* Runs a short load over two in-memory session servers with the given policy; the auth failures,
 * the requests, and the requests sent away from the user's login server. */
static double memory_sessions_auth_failures(const char *lb, double *requests, double *away)
{
    const char *const extra[] = {"--lb", lb, "--duration", "1", "--warmup", "0.2", "--users", "50", NULL};
    tsupport_proc a, b;
    char ha[64], hb[64], both[140];
    double fails;
    cJSON *j;
    assert_int_equal(tload_serve_start(&a, "session:memory://", ha, sizeof ha), 0);
    assert_int_equal(tload_serve_start(&b, "session:memory://", hb, sizeof hb), 0);
    snprintf(both, sizeof both, "%s,%s", ha, hb);
    j = run_load(both, extra);
    fails = num(j, "auth_failures");
    *requests = num(j, "requests");
    *away = num(j, "away_from_login_server");
    cJSON_Delete(j);
    tsupport_proc_stop(&a);
    tsupport_proc_stop(&b);
    return fails;
}

static void sticky_keeps_memory_sessions_and_rr_loses_them(void **state)
{
    double requests, fails, away;
    (void)state;
    fails = memory_sessions_auth_failures("sticky", &requests, &away);
    assert_true(requests > 0);
    assert_true(fails == 0 && away == 0);
    fails = memory_sessions_auth_failures("rr", &requests, &away);
    assert_true(requests > 0);
    assert_true(fails > requests * 0.25); /* about half land on the server without the session */
    assert_true(fails <= away);          /* and only those fail */
}

static void mix_logs_users_out_and_in_again(void **state)
{
    static const char *const extra[] = {"--duration", "1", "--warmup", "0.2", "--lb", "sticky", "--mix",
                                        "login=1,request=6,logout=1", "--key-dist", "zipf:0.99", NULL};
    tsupport_proc srv;
    char hp[64];
    cJSON *j, *ops;
    (void)state;
    assert_int_equal(tload_serve_start(&srv, "session:memory://", hp, sizeof hp), 0);
    j = run_load(hp, extra);
    ops = cJSON_GetObjectItemCaseSensitive(j, "by_op");
    assert_true(num(cJSON_GetObjectItemCaseSensitive(ops, "login"), "count") > 0);
    assert_true(num(cJSON_GetObjectItemCaseSensitive(ops, "logout"), "count") > 0);
    assert_true(num(cJSON_GetObjectItemCaseSensitive(ops, "request"), "count") > 0);
    assert_int_equal(num(j, "auth_failures"), 0); /* nobody uses a credential after its logout */
    assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(j, "errors"), "total"), 0);
    cJSON_Delete(j);
    tsupport_proc_stop(&srv);
}

static void unreachable_target_exits_1_naming_it(void **state)
{
    char target[64], *err = NULL;
    char *argv[] = {(char *)tload_bin(), "load", "--targets", target, "--duration", "1", "--no-progress", NULL};
    (void)state;
    snprintf(target, sizeof target, "127.0.0.1:%d", tsupport_free_port());
    assert_int_equal(tload_run(argv, 10000, NULL, &err), 1);
    assert_int_equal(tload_lines(err), 1);
    assert_non_null(strstr(err, target));
    assert_non_null(strstr(err, "unreachable"));
    free(err);
}

static void bad_usage_exits_2_with_one_line(void **state)
{
    static const char *const cases[][5] = {
        {"--duration", "1", NULL},                          /* no targets */
        {"--targets", "127.0.0.1:1", "--connections", "ten"},
        {"--targets", "127.0.0.1:1", "--lb", "hash"},
        {"--targets", "127.0.0.1:1", "--mix", "login=x"},
        {"--targets", "127.0.0.1:1", "--mix", "fetch=1"},
        {"--targets", "127.0.0.1:1", "--key-dist", "zipf:"},
        {"--targets", "127.0.0.1:1", "--rate", "-5"},
        {"--targets", "127.0.0.1:1", "--duration", "forever"},
        {"--targets", "nohostport", NULL},
        {"--targets", "127.0.0.1:1", "--wat", "1"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[8] = {(char *)tload_bin(), "load"}, *err = NULL;
        int k;
        for (k = 0; k < 4 && cases[i][k] != NULL; k++)
            argv[2 + k] = (char *)cases[i][k];
        assert_int_equal(tload_run(argv, 10000, NULL, &err), 2);
        if (tload_lines(err) != 1 || strstr(err, "authbench: load:") == NULL)
            fail_msg("case %zu: stderr was '%s'", i, err);
        free(err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closed_loop_json_has_every_field_and_ordered_percentiles),
        cmocka_unit_test(open_loop_holds_its_rate_and_keeps_both_histograms),
        cmocka_unit_test(sticky_keeps_memory_sessions_and_rr_loses_them),
        cmocka_unit_test(mix_logs_users_out_and_in_again),
        cmocka_unit_test(unreachable_target_exits_1_naming_it),
        cmocka_unit_test(bad_usage_exits_2_with_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

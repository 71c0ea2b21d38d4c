/* test_serve.c — `authbench serve` end to end over every mechanism: login, request, logout, request
 * refused; /stats counters, exact from any thread; expiry; a store going away; clean stop on SIGTERM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "test_serve_client.h"
#include "test_mech_fixture.h"
#include "tsupport.h"

/* Starts a server, failing the test when it does not come up. */
static void start_ok(tsc_server *s, const char *spec, const char *key, const char *const *extra)
{
    if (tsc_server_start(s, spec, key, extra) != 0)
        fail_msg("authbench serve --mechanism %s did not start", spec);
}

/* Stops a server and asserts it exited 0 (a clean stop on SIGTERM). */
static void stop_ok(tsc_server *s)
{
    int status = tsc_server_stop(s);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* What a request after logout gets, by mechanism family: none and plain JWTs cannot be revoked. */
static int refused_after_logout(const char *spec, const char **reason)
{
    *reason = strncmp(spec, "session:", 8) == 0 ? "unknown_session" : "revoked";
    return strcmp(spec, "none") != 0 && strncmp(spec, "jwt:", 4) != 0;
}

/* Asserts a 401 with {"error":"<reason>"}. */
static void assert_refused(const tsc_resp *r, int status, const char *reason)
{
    char want[96];
    snprintf(want, sizeof want, "{\"error\":\"%s\"}", reason);
    assert_int_equal(r->status, status);
    assert_string_equal(r->body, want);
}

/* login -> request 200 -> logout -> request refused, on a 2-thread server; then its /stats. */
static void run_flow(const char *spec, const char *key)
{
    static const char *const two[] = {"--threads", "2", NULL};
    tsc_server s;
    tsc_resp r;
    char cred[4096], kind[16], want[128];
    const char *reason;
    int revocable = refused_after_logout(spec, &reason);
    cJSON *st, *st2;
    print_message("  %s\n", spec);
    start_ok(&s, spec, key, two);
    assert_int_equal(tsc_login(s.port, "alice", cred, sizeof cred, kind, sizeof kind), 200);
    assert_string_equal(kind, strncmp(spec, "session:", 8) == 0 ? "cookie" : "bearer");
    assert_int_equal(tsc_api(s.port, kind, cred, &r), 200);
    assert_string_equal(r.body, "{\"sub\":\"alice\"}");
    assert_int_equal(tsc_api(s.port, kind, "", &r), 401);
    assert_refused(&r, 401, "missing_credential");
    assert_int_equal(tsc_logout(s.port, kind, cred, &r), 200);
    assert_string_equal(r.body, revocable ? "{\"revoked\":true}" : "{\"revoked\":false}");
    tsc_api(s.port, kind, cred, &r);
    if (revocable)
        assert_refused(&r, 401, reason);
    else
        assert_int_equal(r.status, 200); /* documented: none and jwt:<ALG> cannot revoke */
    st = tsc_stats(s.port);
    st2 = tsc_stats(s.port);
    assert_non_null(st);
    assert_non_null(st2);
    assert_string_equal(cJSON_GetObjectItem(st, "mechanism")->valuestring, spec);
    assert_int_equal(tsc_stat(st, "threads"), 2);
    assert_string_equal(cJSON_GetObjectItem(st, "model")->valuestring,
                        tsc_model() != NULL ? tsc_model() : "async");
    assert_true(tsc_model() != NULL && strcmp(tsc_model(), "pool") == 0 ? tsc_stat(st, "workers") >= 1
                                                                         : tsc_stat(st, "workers") == 0);
    assert_int_equal(tsc_stat(st, "requests"), 5);   /* /stats itself is not counted */
    assert_int_equal(tsc_stat(st2, "requests"), 5);
    assert_int_equal(tsc_stat(st, "logins"), 1);
    assert_int_equal(tsc_stat(st, "logouts"), 1);
    assert_int_equal(tsc_stat(st, "auth_ok"), revocable ? 2 : 3); /* 2 API calls (+1) and logout */
    assert_int_equal(tsc_stat(st, "auth_fail"), revocable ? 2 : 1);
    assert_int_equal(tsc_stat(st, "auth_fail_by_reason.missing_credential"), 1);
    snprintf(want, sizeof want, "auth_fail_by_reason.%s", reason);
    assert_int_equal(tsc_stat(st, want), revocable ? 1 : 0);
    assert_true(tsc_stat(st, "bytes_in") > 5 * 40 && tsc_stat(st, "bytes_out") > 5 * 60);
    assert_int_equal(tsc_stat(st, "auth_cpu_sampled_1_in"), 16);
    assert_true(tsc_stat(st, "auth_cpu_samples") >= 1); /* each thread times its first call */
    assert_true(tsc_stat(st, "auth_cpu_clock_cost_ns") > 0);
    assert_true(tsc_stat(st, "cpu_user_us") + tsc_stat(st, "cpu_sys_us") > 0);
    /* sessions: create, get, delete, get; denylist: get, put, get; pushed denylist: the logout's
     * SET+PUBLISH only (requests are checked in memory); the rest: no store */
    assert_int_equal(tsc_stat(st, "store.ops"), strncmp(spec, "session:", 8) == 0 ? 4
                                                : strncmp(spec, "jwt+denylist:", 13) == 0 ? 3
                                                : strncmp(spec, "jwt+pushed-denylist:", 20) == 0 ? 1 : 0);
    assert_int_equal(tsc_stat(st, "signatures"), strncmp(spec, "jwt", 3) == 0 ? 1 : 0);
    assert_int_equal(tsc_stat(st, "issued"), 1); /* the mechanism's own counters are there too */
    assert_int_equal(tsc_stat(st, "store.fsync_ns"), 0); /* no spec here asks for fsync=always */
    assert_true(tsc_stat(st, "proc_io.rchar") >= 0);
    cJSON_Delete(st);
    cJSON_Delete(st2);
    stop_ok(&s);
}

static void every_mechanism_should_login_serve_logout_and_refuse(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < tmf.nspecs; i++)
        run_flow(tmf.specs[i], tmf.keys[i]);
}

/* Wall-clock milliseconds (credentials expire on the wall clock, in whole seconds for JWTs). */
static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sleeps until the wall clock reads at least ms. */
static void sleep_until_ms(uint64_t ms)
{
    uint64_t now;
    while ((now = wall_ms()) < ms) {
        struct timespec ts = {(time_t)((ms - now) / 1000u), (long)((ms - now) % 1000u) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void credentials_should_expire_after_the_ttl(void **state)
{
    static const char *const ttl2[] = {"--ttl", "2", NULL};
    tsc_server a, b;
    tsc_resp r;
    char ta[4096], tb[4096], ka[16], kb[16];
    uint64_t second;
    (void)state;
    start_ok(&a, "jwt:HS256", tmf.hs, ttl2);
    start_ok(&b, "session:memory://", NULL, ttl2);
    /* log in just after a second starts: iat = that second, so the 2 s credential is valid for
     * the checks right after (1.9 s of slack for a busy machine) and certainly expired 2.3 s later */
    second = wall_ms() / 1000u * 1000u + 1000u;
    sleep_until_ms(second + 20);
    assert_int_equal(tsc_login(a.port, "bob", ta, sizeof ta, ka, sizeof ka), 200);
    assert_int_equal(tsc_login(b.port, "bob", tb, sizeof tb, kb, sizeof kb), 200);
    assert_int_equal(tsc_api(a.port, ka, ta, &r), 200);
    assert_int_equal(tsc_api(b.port, kb, tb, &r), 200);
    assert_true(wall_ms() < second + 1900); /* the checks above ran while valid */
    sleep_until_ms(second + 2300);
    tsc_api(a.port, ka, ta, &r);
    assert_refused(&r, 401, "expired");
    tsc_api(b.port, kb, tb, &r);
    assert_refused(&r, 401, "unknown_session");
    stop_ok(&a);
    stop_ok(&b);
}

static void any_server_should_verify_any_token_but_not_another_servers_memory_session(void **state)
{
    tsc_server a, b, c, d;
    tsc_resp r;
    char tok[4096], sid[256], kind[16], skind[16];
    (void)state;
    start_ok(&a, "jwt:ES256", tmf.ec, NULL);
    start_ok(&b, "jwt:ES256", tmf.ec, NULL);
    start_ok(&c, "session:memory://", NULL, NULL);
    start_ok(&d, "session:memory://", NULL, NULL);
    assert_int_equal(tsc_login(a.port, "carol", tok, sizeof tok, kind, sizeof kind), 200);
    assert_int_equal(tsc_api(b.port, kind, tok, &r), 200);
    assert_string_equal(r.body, "{\"sub\":\"carol\"}");
    assert_int_equal(tsc_login(c.port, "carol", sid, sizeof sid, skind, sizeof skind), 200);
    assert_int_equal(tsc_api(c.port, skind, sid, &r), 200);
    tsc_api(d.port, skind, sid, &r);
    assert_refused(&r, 401, "unknown_session"); /* why memory sessions need a sticky balancer */
    stop_ok(&a);
    stop_ok(&b);
    stop_ok(&c);
    stop_ok(&d);
}

static void a_store_going_away_should_give_503_not_401(void **state)
{
    tsupport_redis red;
    tsc_server s;
    tsc_resp r;
    char spec[256], sid[256], kind[16];
    cJSON *st;
    (void)state;
    assert_int_equal(tsupport_redis_start(&red, NULL), 0);
    snprintf(spec, sizeof spec, "session:redis://127.0.0.1:%d?connect_timeout_ms=200&timeout_ms=500",
             red.port);
    start_ok(&s, spec, NULL, NULL);
    assert_int_equal(tsc_login(s.port, "dave", sid, sizeof sid, kind, sizeof kind), 200);
    assert_int_equal(tsc_api(s.port, kind, sid, &r), 200);
    tsupport_redis_stop(&red);
    tsc_api(s.port, kind, sid, &r);
    assert_refused(&r, 503, "store_unavailable");
    st = tsc_stats(s.port);
    assert_non_null(st);
    assert_int_equal(tsc_stat(st, "store_errors"), 1);
    assert_int_equal(tsc_stat(st, "auth_fail"), 0);
    assert_true(tsc_stat(st, "store.errors") >= 1);
    cJSON_Delete(st);
    stop_ok(&s);
}

static void bad_options_should_stop_the_server_from_starting(void **state)
{
    static const char *const zero[] = {"--threads", "0", NULL};
    static const char *const no_workers[] = {"--model", "pool", "--workers", "0", NULL};
    static const char *const bad_model[] = {"--model", "threaded", NULL};
    tsc_server s;
    (void)state;
    assert_int_equal(tsc_server_start(&s, "jwt:HS256", NULL, NULL), -1); /* no --key */
    assert_int_equal(tsc_server_start(&s, "bogus", NULL, NULL), -1);
    assert_int_equal(tsc_server_start(&s, "none", NULL, zero), -1);
    assert_int_equal(tsc_server_start(&s, "none", NULL, no_workers), -1);
    assert_int_equal(tsc_server_start(&s, "none", NULL, bad_model), -1);
}

/* Runs `authbench jwt keygen --alg alg --out prefix` and asserts it succeeded. */
static void cli_keygen(const char *alg, const char *prefix)
{
    char *argv[] = {getenv("AUTHBENCH_BIN"), "jwt", "keygen", "--alg", (char *)alg, "--out",
                    (char *)prefix, "--force", NULL};
    tsupport_proc p;
    int status;
    assert_non_null(argv[0]);
    assert_int_equal(tsupport_proc_start(&p, argv, "", 20000), 0); /* it prints the paths */
    assert_int_equal(waitpid(p.pid, &status, 0), p.pid); /* and exits by itself: a SIGTERM could race it */
    close(p.out_fd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void keys_from_authbench_jwt_keygen_should_work_as_is(void **state)
{
    static const char *const algs[] = {"HS256", "ES256"};
    char prefix[512], key[520], spec[32], tok[4096], kind[16];
    tsc_server s;
    tsc_resp r;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        snprintf(prefix, sizeof prefix, "%s/cli-%s", tmf.dir, algs[i]);
        snprintf(key, sizeof key, "%s.key", prefix);
        snprintf(spec, sizeof spec, "jwt:%s", algs[i]);
        cli_keygen(algs[i], prefix);
        start_ok(&s, spec, key, NULL);
        assert_int_equal(tsc_login(s.port, "judy", tok, sizeof tok, kind, sizeof kind), 200);
        assert_int_equal(tsc_api(s.port, kind, tok, &r), 200);
        stop_ok(&s);
    }
}

/* Each thread publishes its counters only when a /stats asks: every /stats, on whichever thread,
 * must still count every response a client saw before sending it, from every thread. Fresh
 * connections land on the 4 threads as the kernel's hash spreads them. */
static void stats_on_any_thread_should_count_every_response_sent_before_it(void **state)
{
    static const char *const four[] = {"--threads", "4", NULL};
    tsc_server s;
    tsc_resp r;
    char cred[64], kind[16];
    int i;
    (void)state;
    start_ok(&s, "session:memory://", NULL, four);
    assert_int_equal(tsc_login(s.port, "erin", cred, sizeof cred, kind, sizeof kind), 200);
    for (i = 1; i <= 40; i++) {
        cJSON *st;
        assert_int_equal(tsc_api(s.port, kind, cred, &r), 200);
        st = tsc_stats(s.port);
        assert_non_null(st);
        assert_int_equal(tsc_stat(st, "requests"), 1 + i);
        assert_int_equal(tsc_stat(st, "auth_ok"), i);
        assert_int_equal(tsc_stat(st, "store.ops"), 1 + i); /* the mechanism's counters too */
        cJSON_Delete(st);
    }
    stop_ok(&s);
}

/* A /stats waiting for the other threads holds back what is pipelined behind it, in order. */
static void a_stats_pipelined_between_requests_should_be_answered_in_order(void **state)
{
    static const char *const four[] = {"--threads", "4", NULL};
    static const char three[] = "GET /api/x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer frank\r\n\r\n"
                                "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n"
                                "GET /api/y HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer frank\r\n\r\n";
    tsc_server s;
    tsc_conn c;
    tsc_resp r;
    cJSON *st;
    (void)state;
    start_ok(&s, "none", NULL, four);
    assert_int_equal(tsc_connect(&c, s.port), 0);
    assert_int_equal(tsc_send(&c, three, sizeof three - 1), 0);
    assert_int_equal(tsc_read(&c, &r), 0);
    assert_string_equal(r.body, "{\"sub\":\"frank\"}");
    assert_int_equal(tsc_read(&c, &r), 0);
    assert_int_equal(r.status, 200);
    st = cJSON_ParseWithLength(r.body, r.body_len);
    assert_int_equal(tsc_stat(st, "requests"), 1);
    cJSON_Delete(st);
    assert_int_equal(tsc_read(&c, &r), 0);
    assert_string_equal(r.body, "{\"sub\":\"frank\"}");
    tsc_close(&c);
    stop_ok(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_mechanism_should_login_serve_logout_and_refuse),
        cmocka_unit_test(credentials_should_expire_after_the_ttl),
        cmocka_unit_test(any_server_should_verify_any_token_but_not_another_servers_memory_session),
        cmocka_unit_test(a_store_going_away_should_give_503_not_401),
        cmocka_unit_test(bad_options_should_stop_the_server_from_starting),
        cmocka_unit_test(keys_from_authbench_jwt_keygen_should_work_as_is),
        cmocka_unit_test(stats_on_any_thread_should_count_every_response_sent_before_it),
        cmocka_unit_test(a_stats_pipelined_between_requests_should_be_answered_in_order),
    };
    return cmocka_run_group_tests(tests, tmf_base_group_setup, tmf_group_teardown);
}

/* test_pgmc_faults.c — the PostgreSQL and memcached stores when things go wrong, through the
 * blocking and the non-blocking API: nothing listening, a wrong PostgreSQL user, a server paused
 * (SIGSTOP: operations time out, then work once it resumes), killed (operations fail at once with
 * I/O errors, never hang) and restarted (the connection comes back by itself, counted as a
 * reconnect; PostgreSQL's sessions survive, memcached's are gone). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_loop.h"
#include "store_test.h"
#include "tsupport.h"

#define TIMEOUT_MS 400

typedef struct fault_case {
    const char *name;
    int pg;               /* 1 PostgreSQL, 0 memcached */
    ab_run_srv srv;
    char uri[600];
} fault_case;

static fault_case cases[] = {{"postgres", 1, {0}, ""}, {"memcached", 0, {0}, ""}};
static size_t current;

static int group_setup(void **state)
{
    fault_case *fc = &cases[current];
    char url[sizeof fc->srv.url];
    if (st_server_start(&fc->srv, fc->pg) != 0)
        return -1;
    memcpy(url, fc->srv.url, sizeof url);
    snprintf(fc->uri, sizeof fc->uri, "%s%stimeout_ms=%d&connect_timeout_ms=%d&reconnect_max_ms=50", url,
             strchr(url, '?') != NULL ? "&" : "?", TIMEOUT_MS, TIMEOUT_MS);
    *state = fc;
    return 0;
}

static int group_teardown(void **state)
{
    fault_case *fc = *state;
    st_server_stop(&fc->srv);
    return 0;
}

/* SIGSTOP to every process of the server, and a moment for the signal to land on each. */
static void pause_server(fault_case *fc)
{
    assert_int_equal(ab_run_srv_signal(&fc->srv, SIGSTOP), 0);
    st_sleep_ms(100);
}

/* A blocking get, expecting status; returns how long it took (ms). */
static long long timed_get(sstore_conn *c, const char *id, int want, const char *what)
{
    sstore_session s;
    long long t0 = st_now_ms();
    int st = sstore_get(c, id, &s);
    if (st != want)
        fail_msg("%s: got %s (%s), want %s", what, sstore_status_name(st), sstore_conn_errstr(c), sstore_status_name(want));
    return st_now_ms() - t0;
}

/* Retries a get until it gives want (the reconnect backoff), for up to 5 s. */
static void get_eventually(sstore_conn *c, const char *id, int want, const char *what)
{
    sstore_session s;
    long long t0 = st_now_ms();
    int st;
    while ((st = sstore_get(c, id, &s)) != want && st_now_ms() - t0 < 5000)
        st_sleep_ms(20);
    if (st != want)
        fail_msg("%s: still %s (%s) after 5 s, want %s", what, sstore_status_name(st), sstore_conn_errstr(c),
                 sstore_status_name(want));
}

static void nothing_listening_is_reported_at_connect_and_operations_fail_fast(void **state)
{
    fault_case *fc = *state;
    char uri[200];
    sstore *s;
    sstore_conn *c;
    long long t0;
    int i;
    snprintf(uri, sizeof uri, fc->pg ? "postgres://authbench@127.0.0.1:%d/postgres" : "memcached://127.0.0.1:%d",
             tsupport_free_port());
    s = st_open_ok(uri);
    c = sstore_connect(s);
    assert_non_null(c);
    assert_int_equal(sstore_conn_err(c), SSTORE_ERR_IO);
    assert_non_null(strstr(sstore_conn_errstr(c), "cannot connect"));
    t0 = st_now_ms();
    for (i = 0; i < 200; i++)
        timed_get(c, "abc", SSTORE_ERR_IO, "get with nothing listening");
    assert_true(st_now_ms() - t0 < 3000); /* backoff: no connect storm, no waiting either */
    sstore_conn_free(c);
    sstore_close(s);
}

static void a_wrong_postgres_user_is_an_auth_or_io_error_naming_the_server(void **state)
{
    fault_case *fc = *state;
    char uri[200];
    sstore *s;
    sstore_conn *c;
    if (!fc->pg)
        skip();
    snprintf(uri, sizeof uri, "postgres://nobody_here:secret@127.0.0.1:%d/postgres", fc->srv.port);
    s = st_open_ok(uri);
    c = sstore_connect(s);
    assert_non_null(c);
    assert_true(sstore_conn_err(c) == SSTORE_ERR_AUTH || sstore_conn_err(c) == SSTORE_ERR_IO);
    assert_non_null(strstr(sstore_conn_errstr(c), "127.0.0.1"));
    assert_null(strstr(sstore_conn_errstr(c), "secret"));
    sstore_conn_free(c);
    sstore_close(s);
}

static void a_paused_server_times_out_then_serves_again_once_resumed(void **state)
{
    fault_case *fc = *state;
    char claims[128], id[SSTORE_ID_LEN + 1];
    sstore *s = st_open_ok(fc->uri);
    sstore_conn *c = st_conn_ok(s);
    long long dt;
    assert_int_equal(sstore_create(c, claims, st_claims(claims, sizeof claims, "paused", 0), 60, id), SSTORE_OK);
    pause_server(fc);
    dt = timed_get(c, id, SSTORE_ERR_TIMEOUT, "get from a paused server");
    assert_in_range(dt, TIMEOUT_MS - 50, 3 * TIMEOUT_MS);
    assert_non_null(strstr(sstore_conn_errstr(c), "no reply within"));
    assert_int_equal(ab_run_srv_signal(&fc->srv, SIGCONT), 0);
    get_eventually(c, id, SSTORE_OK, "get after the server resumed");
    sstore_conn_free(c);
    sstore_close(s);
}

static void a_killed_server_fails_operations_at_once_and_a_restart_is_reconnected(void **state)
{
    fault_case *fc = *state;
    char claims[128], id[SSTORE_ID_LEN + 1], err[256];
    sstore *s = st_open_ok(fc->uri);
    sstore_conn *c = st_conn_ok(s);
    sstore_counters ctr;
    sstore_session sess;
    long long t0;
    int st;
    assert_int_equal(sstore_create(c, claims, st_claims(claims, sizeof claims, "killed", 0), 3600, id), SSTORE_OK);
    assert_int_equal(ab_run_srv_signal(&fc->srv, SIGKILL), 0);
    t0 = st_now_ms();
    st = sstore_get(c, id, &sess);
    assert_true(st == SSTORE_ERR_IO || st == SSTORE_ERR_TIMEOUT);
    assert_true(st_now_ms() - t0 <= 3 * TIMEOUT_MS);
    timed_get(c, id, SSTORE_ERR_IO, "get while the server is down");
    if (ab_run_srv_restart(&fc->srv, err, sizeof err) != 0)
        fail_msg("restart: %s", err);
    /* PostgreSQL keeps the committed session; memcached's memory went with the process. */
    get_eventually(c, id, fc->pg ? SSTORE_OK : SSTORE_NOT_FOUND, "get after the restart");
    sstore_conn_counters(c, &ctr);
    assert_true(ctr.reconnects >= 1);
    sstore_conn_free(c);
    sstore_close(s);
}

/* The non-blocking API on a paused server: every operation in flight completes once, with a timeout. */
static void async_operations_in_flight_on_a_paused_server_each_time_out_once(void **state)
{
    fault_case *fc = *state;
    st_loop L;
    st_done d[20];
    size_t count = 0, i;
    sstore *s = st_open_ok(fc->uri);
    long long dt;
    st_loop_init(&L);
    st_async_ok(&L, s);
    memset(d, 0, sizeof d);
    for (i = 0; i < 20; i++) { /* warm: connected */
        d[i].count = &count;
        assert_int_equal(sstore_async_get(L.a, "warm", st_done_cb, &d[i]), SSTORE_OK);
    }
    st_loop_until(&L, &count, 20, 5000);
    pause_server(fc);
    memset(d, 0, sizeof d);
    count = 0;
    for (i = 0; i < 20; i++) {
        d[i].count = &count;
        assert_int_equal(sstore_async_get(L.a, "paused", st_done_cb, &d[i]), SSTORE_OK);
    }
    dt = st_loop_until(&L, &count, 20, 5000);
    assert_int_equal(ab_run_srv_signal(&fc->srv, SIGCONT), 0);
    for (i = 0; i < 20; i++)
        assert_int_equal(d[i].status, SSTORE_ERR_TIMEOUT);
    assert_in_range(dt, TIMEOUT_MS - 50, 3 * TIMEOUT_MS);
    assert_int_equal(sstore_async_pending(L.a), 0);
    sstore_async_free(L.a);
    st_loop_close(&L);
    sstore_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_listening_is_reported_at_connect_and_operations_fail_fast),
        cmocka_unit_test(a_wrong_postgres_user_is_an_auth_or_io_error_naming_the_server),
        cmocka_unit_test(a_paused_server_times_out_then_serves_again_once_resumed),
        cmocka_unit_test(async_operations_in_flight_on_a_paused_server_each_time_out_once),
        cmocka_unit_test(a_killed_server_fails_operations_at_once_and_a_restart_is_reconnected),
    };
    int failed = 0;
    for (current = 0; current < sizeof cases / sizeof cases[0]; current++)
        failed += _cmocka_run_group_tests(cases[current].name, tests, sizeof tests / sizeof tests[0], group_setup,
                                          group_teardown);
    return failed;
}

/* test_async_faults.c — the non-blocking Redis store when things go wrong with operations in
 * flight: the server killed, paused (CLIENT PAUSE), the socket shut down, the connection reset by
 * `authbench proxy` (SIGUSR1), nothing listening, a wrong password; each operation completes
 * exactly once, and the next ones reconnect. Also that the blocking and non-blocking paths count
 * round trips alike (one per write of queued commands). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_loop.h"
#include "store_test.h"
#include "tsupport.h"

#define N 64
#define WAIT_MS 10000

/* A store on uri, a loop and its async handle. */
typedef struct rig {
    sstore *s;
    st_loop L;
    size_t count;
    st_done d[N];
} rig;

static void rig_open(rig *g, const char *fmt, int port)
{
    char uri[192];
    sstore_loop h;
    memset(g, 0, sizeof *g);
    snprintf(uri, sizeof uri, fmt, port);
    g->s = st_open_ok(uri);
    st_loop_init(&g->L);
    h = st_loop_hooks(&g->L);
    g->L.a = sstore_async_connect(g->s, &h);
    assert_non_null(g->L.a);
}

static void rig_close(rig *g)
{
    sstore_async_free(g->L.a);
    st_loop_close(&g->L);
    sstore_close(g->s);
}

/* Submits n gets of id (tallied in g->d) and returns at once. */
static void submit_gets(rig *g, const char *id, int n)
{
    int i;
    memset(g->d, 0, sizeof g->d);
    g->count = 0;
    for (i = 0; i < n; i++) {
        g->d[i].count = &g->count;
        assert_int_equal(sstore_async_get(g->L.a, id, st_done_cb, &g->d[i]), SSTORE_OK);
    }
}

/* Every one of the n operations completed once with want. */
static void expect_all(const rig *g, int n, int want)
{
    int i;
    for (i = 0; i < n; i++)
        if (g->d[i].calls != 1 || g->d[i].status != want)
            fail_msg("operation %d: %d calls, %s; want one, %s (%s)", i, g->d[i].calls,
                     sstore_status_name(g->d[i].status), sstore_status_name(want), sstore_async_errstr(g->L.a));
}

/* One get, run to completion: its status. */
static int one_get(rig *g, const char *id)
{
    submit_gets(g, id, 1);
    st_loop_until(&g->L, &g->count, 1, WAIT_MS);
    return g->d[0].status;
}

/* Turns the loop until nothing is left to write (the commands are on the wire). */
static void flush_out(rig *g)
{
    int fds[4], i;
    for (i = 0; i < 20; i++)
        st_loop_once(&g->L, 10);
    assert_true(st_loop_fds(&g->L, fds, 4) >= 1);
}

/* After n operations failed with status: the next get reconnects and succeeds; one reconnect, n
 * errors in all. */
static void expect_failed_then_back(rig *g, int n, int status)
{
    sstore_counters ctr;
    expect_all(g, n, status);
    assert_int_equal(sstore_async_pending(g->L.a), 0);
    assert_int_equal(one_get(g, "after"), SSTORE_NOT_FOUND);
    sstore_async_counters(g->L.a, &ctr);
    assert_int_equal(ctr.reconnects, 1);
    assert_int_equal(ctr.errors, (uint64_t)n);
}

static void redis_killed_with_operations_in_flight_fails_each_once_then_reconnects(void **state)
{
    tsupport_redis r;
    rig g;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    rig_open(&g, "redis://127.0.0.1:%d?timeout_ms=5000", r.port);
    assert_int_equal(one_get(&g, "warm"), SSTORE_NOT_FOUND);
    assert_int_equal(kill(r.pid, SIGSTOP), 0); /* in flight: sent, never answered */
    submit_gets(&g, "killed", N);
    flush_out(&g);
    assert_int_equal(g.count, 0);
    assert_int_equal(kill(r.pid, SIGKILL), 0);
    assert_int_equal(waitpid(r.pid, NULL, 0), r.pid);
    r.pid = 0;
    st_loop_until(&g.L, &g.count, N, WAIT_MS);
    assert_int_equal(tsupport_redis_restart(&r), 0);
    expect_failed_then_back(&g, N, SSTORE_ERR_IO);
    rig_close(&g);
    tsupport_redis_stop(&r);
}

static void redis_paused_times_out_each_operation_once(void **state)
{
    tsupport_redis r;
    long long took;
    rig g;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    rig_open(&g, "redis://127.0.0.1:%d?timeout_ms=300", r.port);
    assert_int_equal(one_get(&g, "warm"), SSTORE_NOT_FOUND);
    assert_int_equal(tsupport_redis_cmd(&r, "CLIENT PAUSE 1500"), 0);
    submit_gets(&g, "paused", N);
    took = st_loop_until(&g.L, &g.count, N, WAIT_MS);
    expect_all(&g, N, SSTORE_ERR_TIMEOUT);
    assert_in_range(took, 250, 1400);
    assert_non_null(strstr(sstore_async_errstr(g.L.a), "no reply within 300 ms"));
    st_sleep_ms(1500);
    assert_int_equal(one_get(&g, "after"), SSTORE_NOT_FOUND); /* a fresh connection */
    assert_int_equal(g.d[0].calls, 1);
    rig_close(&g);
    tsupport_redis_stop(&r);
}

static void a_reset_socket_fails_what_was_on_it_and_the_next_submit_reconnects(void **state)
{
    tsupport_redis r;
    int fds[4], n, i;
    rig g;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    rig_open(&g, "redis://127.0.0.1:%d?timeout_ms=5000", r.port);
    assert_int_equal(one_get(&g, "warm"), SSTORE_NOT_FOUND);
    assert_int_equal(kill(r.pid, SIGSTOP), 0);
    submit_gets(&g, "reset", N);
    flush_out(&g);
    n = st_loop_fds(&g.L, fds, 4);
    for (i = 0; i < n; i++)
        assert_int_equal(shutdown(fds[i], SHUT_RDWR), 0);
    st_loop_until(&g.L, &g.count, N, WAIT_MS);
    assert_non_null(strstr(sstore_async_errstr(g.L.a), "closed"));
    assert_int_equal(kill(r.pid, SIGCONT), 0);
    expect_failed_then_back(&g, N, SSTORE_ERR_IO);
    rig_close(&g);
    tsupport_redis_stop(&r);
}

static void a_connection_reset_by_the_proxy_fails_what_was_in_flight_once(void **state)
{
    tsupport_redis r;
    tsupport_proc p;
    int port;
    rig g;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    port = tsupport_proxy_start(&p, getenv("AUTHBENCH_BIN"), r.port, "200ms", "0");
    assert_true(port > 0);
    rig_open(&g, "redis://127.0.0.1:%d?timeout_ms=5000", port);
    assert_int_equal(one_get(&g, "warm"), SSTORE_NOT_FOUND);
    submit_gets(&g, "proxied", N);
    flush_out(&g); /* on their way: the proxy holds them 200 ms each way */
    assert_int_equal(kill(p.pid, SIGUSR1), 0);
    st_loop_until(&g.L, &g.count, N, WAIT_MS);
    expect_failed_then_back(&g, N, SSTORE_ERR_IO);
    rig_close(&g);
    tsupport_proc_stop(&p);
    tsupport_redis_stop(&r);
}

static void nothing_listening_fails_each_operation_once_without_a_connect_storm(void **state)
{
    sstore_counters ctr;
    long long t0 = st_now_ms();
    int round, backing_off = 0;
    rig g;
    (void)state;
    rig_open(&g, "redis://127.0.0.1:%d?reconnect_max_ms=200", tsupport_free_port());
    for (round = 0; round < 20; round++) {
        submit_gets(&g, "nobody", N);
        assert_int_equal(g.count, 0); /* never inside the submit */
        st_loop_until(&g.L, &g.count, N, WAIT_MS);
        expect_all(&g, N, SSTORE_ERR_IO);
        assert_non_null(strstr(sstore_async_errstr(g.L.a), "cannot connect"));
        backing_off += strstr(sstore_async_errstr(g.L.a), "reconnecting: next attempt in") != NULL;
    }
    assert_true(st_now_ms() - t0 < 3000); /* failing at once, not waiting */
    assert_true(backing_off >= 10);       /* not a connect per operation either */
    sstore_async_counters(g.L.a, &ctr);
    assert_int_equal(ctr.errors, 20 * N);
    rig_close(&g);
}

static void a_wrong_password_fails_operations_with_an_auth_error_that_hides_it(void **state)
{
    const char *const args[] = {"--requirepass", "right-pw", NULL};
    tsupport_redis r;
    rig g;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, args), 0);
    rig_open(&g, "redis://:wrong-pw@127.0.0.1:%d", r.port);
    submit_gets(&g, "x", 4);
    st_loop_until(&g.L, &g.count, 4, WAIT_MS);
    expect_all(&g, 4, SSTORE_ERR_AUTH);
    assert_non_null(strstr(sstore_async_errstr(g.L.a), "AUTH refused"));
    assert_null(strstr(sstore_async_errstr(g.L.a), "wrong-pw"));
    rig_close(&g);
    rig_open(&g, "redis://:right-pw@127.0.0.1:%d", r.port);
    assert_int_equal(one_get(&g, "x"), SSTORE_NOT_FOUND);
    rig_close(&g);
    tsupport_redis_stop(&r);
}

static void a_pipelined_burst_shares_round_trips_in_both_paths(void **state)
{
    tsupport_redis r;
    const char *ids[16];
    sstore_session sess[16];
    sstore_counters c0, c1;
    sstore_conn *c;
    int status[16], i;
    rig g;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    rig_open(&g, "redis://127.0.0.1:%d", r.port);
    assert_int_equal(one_get(&g, "warm"), SSTORE_NOT_FOUND);
    sstore_async_counters(g.L.a, &c0);
    submit_gets(&g, "burst", 16);
    st_loop_until(&g.L, &g.count, 16, WAIT_MS);
    sstore_async_counters(g.L.a, &c1);
    assert_int_equal(c1.ops - c0.ops, 16);
    assert_int_equal(c1.round_trips - c0.round_trips, 2); /* the first written at once, 15 in one write */
    c = st_conn_ok(g.s);
    for (i = 0; i < 16; i++)
        ids[i] = "burst";
    sstore_conn_counters(c, &c0);
    assert_int_equal(sstore_get_batch(c, ids, 16, sess, status), SSTORE_OK);
    sstore_conn_counters(c, &c1);
    assert_int_equal(c1.ops - c0.ops, 16);
    assert_int_equal(c1.round_trips - c0.round_trips, 1);
    sstore_conn_free(c);
    rig_close(&g);
    tsupport_redis_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redis_killed_with_operations_in_flight_fails_each_once_then_reconnects),
        cmocka_unit_test(redis_paused_times_out_each_operation_once),
        cmocka_unit_test(a_reset_socket_fails_what_was_on_it_and_the_next_submit_reconnects),
        cmocka_unit_test(a_connection_reset_by_the_proxy_fails_what_was_in_flight_once),
        cmocka_unit_test(nothing_listening_fails_each_operation_once_without_a_connect_storm),
        cmocka_unit_test(a_wrong_password_fails_operations_with_an_auth_error_that_hides_it),
        cmocka_unit_test(a_pipelined_burst_shares_round_trips_in_both_paths),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

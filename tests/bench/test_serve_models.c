/* test_serve_models.c — the two server models against a session store 50 ms away (a private
 * redis-server behind `authbench proxy --delay 50ms`, so every store round trip takes >= 100 ms
 * whatever the machine's speed): 8 connections each sending one request at the same moment are
 * all answered within about one round trip (no head-of-line blocking: not 8 round trips), and a
 * pool with fewer workers than connections answers in waves of as many as it has workers. Both
 * models keep a connection's pipelined answers in order while they wait on the store, and survive
 * clients that hang up, and a stop, with requests in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/wait.h>

#include "test_serve_client.h"
#include "tsupport.h"

#define NCONN 8
#define ONE_WAY_MS 50
#define RTT_MS (2 * ONE_WAY_MS) /* what one store round trip costs through the proxy, at least */
#define SLACK_MS 150            /* a loaded 2-core machine's scheduling noise, and then some */

static tsupport_redis redis;
static tsupport_proc proxy;
static int proxy_port;
static tsc_conn *conns; /* NCONN of them (large: heap) */

/* Starts `authbench proxy` with a 50 ms one-way delay in front of redis. 0 or -1. */
static int proxy_start(void)
{
    char up[32], delay[16];
    char *argv[] = {getenv("AUTHBENCH_BIN"), "proxy", "--listen", "127.0.0.1:0", "--upstream", up,
                    "--delay", delay, NULL};
    const char *colon;
    snprintf(up, sizeof up, "127.0.0.1:%d", redis.port);
    snprintf(delay, sizeof delay, "%dms", ONE_WAY_MS);
    if (argv[0] == NULL || tsupport_proc_start(&proxy, argv, "listening on", 10000) != 0)
        return -1;
    colon = strrchr(proxy.line, ':');
    proxy_port = colon != NULL ? atoi(colon + 1) : 0;
    return proxy_port > 0 ? 0 : -1;
}

static int group_setup(void **state)
{
    (void)state;
    conns = calloc(NCONN, sizeof *conns);
    if (conns == NULL || tsupport_redis_start(&redis, NULL) != 0)
        return -1;
    return proxy_start();
}

static int group_teardown(void **state)
{
    (void)state;
    tsupport_proc_stop(&proxy);
    tsupport_redis_stop(&redis);
    free(conns);
    return 0;
}

/* Monotonic milliseconds. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Stops s and asserts it exited 0 (a sanitizer report, a leak, would make it 1). */
static void stop_clean(tsc_server *s)
{
    int status = tsc_server_stop(s);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Starts a session:redis server through the proxy: model, one loop thread, workers (pool), and
 * an idle timeout (NULL: the default). */
static void serve_far_store_idle(tsc_server *s, const char *model, const char *workers, const char *idle)
{
    char spec[128];
    const char *const extra[] = {"--model", model, "--threads", "1", "--workers", workers,
                                 idle != NULL ? "--idle-timeout" : NULL, idle, NULL};
    snprintf(spec, sizeof spec, "session:redis://127.0.0.1:%d?timeout_ms=5000", proxy_port);
    if (tsc_server_start(s, spec, NULL, extra) != 0)
        fail_msg("authbench serve --model %s did not start", model);
}

/* serve_far_store_idle with the default idle timeout. */
static void serve_far_store(tsc_server *s, const char *model, const char *workers)
{
    serve_far_store_idle(s, model, workers, NULL);
}

/* Logs NCONN users in and opens a connection each, with its request ready in reqs. */
static void prepare(const tsc_server *s, char reqs[NCONN][256])
{
    char user[16], sid[64], kind[16];
    int i;
    for (i = 0; i < NCONN; i++) {
        snprintf(user, sizeof user, "u%d", i);
        assert_int_equal(tsc_login(s->port, user, sid, sizeof sid, kind, sizeof kind), 200);
        snprintf(reqs[i], 256, "GET /api/me HTTP/1.1\r\nHost: t\r\nCookie: sid=%s\r\n\r\n", sid);
    }
    for (i = 0; i < NCONN; i++) /* all connected just before the requests leave */
        assert_int_equal(tsc_connect(&conns[i], s->port), 0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sends every request at the same moment and returns, sorted, the milliseconds each answer took
 * to come back (each read as soon as its socket has bytes: poll, not in connection order). */
static void fire(char reqs[NCONN][256], double ms[NCONN])
{
    struct pollfd pfd[NCONN];
    tsc_resp r;
    double t0 = now_ms();
    int i, left = NCONN;
    for (i = 0; i < NCONN; i++) {
        pfd[i] = (struct pollfd){conns[i].fd, POLLIN, 0};
        assert_int_equal(tsc_send(&conns[i], reqs[i], strlen(reqs[i])), 0);
    }
    while (left > 0) {
        assert_true(poll(pfd, NCONN, 10000) > 0);
        for (i = 0; i < NCONN; i++) {
            if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            assert_int_equal(tsc_read(&conns[i], &r), 0);
            assert_int_equal(r.status, 200);
            ms[NCONN - left--] = now_ms() - t0;
            pfd[i].fd = -1;
        }
    }
    for (i = 0; i < NCONN; i++)
        tsc_close(&conns[i]);
    qsort(ms, NCONN, sizeof ms[0], cmp_double);
}

/* Prints the answer times. */
static void show(const char *what, const double ms[NCONN])
{
    int i;
    print_message("  %s:", what);
    for (i = 0; i < NCONN; i++)
        print_message(" %.0f", ms[i]);
    print_message(" ms (one store round trip >= %d ms)\n", RTT_MS);
}

/* All NCONN answered within one round trip + SLACK_MS (head-of-line blocking would take NCONN
 * round trips for the last), none faster than the round trip (the delay is really there). */
static void assert_one_round_trip(const char *model, const char *workers)
{
    char reqs[NCONN][256];
    double ms[NCONN];
    tsc_server s;
    serve_far_store(&s, model, workers);
    prepare(&s, reqs);
    fire(reqs, ms);
    show(model, ms);
    assert_true(ms[0] >= RTT_MS * 0.95);
    assert_true(ms[NCONN - 1] <= RTT_MS + SLACK_MS);
    stop_clean(&s);
}

static void an_async_server_with_one_loop_should_answer_all_within_one_round_trip(void **state)
{
    (void)state;
    assert_one_round_trip("async", "1");
}

static void a_pool_with_a_worker_per_connection_should_answer_all_within_one_round_trip(void **state)
{
    (void)state;
    assert_one_round_trip("pool", "8");
}

static void a_pool_with_fewer_workers_than_connections_should_answer_in_waves(void **state)
{
    char reqs[NCONN][256];
    double ms[NCONN];
    tsc_server s;
    int k, workers = 2;
    (void)state;
    serve_far_store(&s, "pool", "2");
    prepare(&s, reqs);
    fire(reqs, ms);
    show("pool, 2 workers", ms);
    /* a worker answers at most one request a round trip: the k-th answer (from 0) comes in wave
     * k / workers + 1, no sooner; the last wave ends NCONN / workers round trips in (+ slack) */
    for (k = 0; k < NCONN; k++)
        assert_true(ms[k] >= RTT_MS * 0.95 * (k / workers + 1));
    assert_true(ms[NCONN - 1] <= RTT_MS * NCONN / workers + SLACK_MS);
    stop_clean(&s);
}

/* Three pipelined requests on one connection, each waiting on the store: answered in order. */
static void pipelined_in_order(const char *model)
{
    char reqs[NCONN][256], buf[1024];
    tsc_server s;
    tsc_resp r;
    int i;
    serve_far_store(&s, model, "4");
    prepare(&s, reqs);
    snprintf(buf, sizeof buf, "%sGET /api/x HTTP/1.1\r\nHost: t\r\nCookie: sid=AAAAAAAAAAAAAAAAAAAAAA\r\n\r\n%s",
             reqs[0], reqs[1]);
    assert_int_equal(tsc_send(&conns[0], buf, strlen(buf)), 0);
    assert_int_equal(tsc_read(&conns[0], &r), 0);
    assert_string_equal(r.body, "{\"sub\":\"u0\"}");
    assert_int_equal(tsc_read(&conns[0], &r), 0);
    assert_string_equal(r.body, "{\"error\":\"unknown_session\"}");
    assert_int_equal(tsc_read(&conns[0], &r), 0);
    assert_string_equal(r.body, "{\"sub\":\"u1\"}");
    for (i = 0; i < NCONN; i++)
        tsc_close(&conns[i]);
    stop_clean(&s);
}

static void pipelined_answers_should_stay_in_order_while_they_wait_on_the_store(void **state)
{
    (void)state;
    pipelined_in_order("async");
    pipelined_in_order("pool");
}

/* Half the clients hang up while their request waits on the store, the others are answered; then
 * the server is stopped with new requests in flight. */
static void hang_ups_and_stop(const char *model)
{
    char reqs[NCONN][256];
    tsc_server s;
    tsc_resp r;
    int i;
    serve_far_store(&s, model, "2");
    prepare(&s, reqs);
    for (i = 0; i < NCONN; i++)
        assert_int_equal(tsc_send(&conns[i], reqs[i], strlen(reqs[i])), 0);
    for (i = 0; i < NCONN; i += 2)
        tsc_close(&conns[i]);
    for (i = 1; i < NCONN; i += 2) {
        assert_int_equal(tsc_read(&conns[i], &r), 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(tsc_send(&conns[i], reqs[i], strlen(reqs[i])), 0); /* in flight at the stop */
    }
    stop_clean(&s);
    for (i = 1; i < NCONN; i += 2)
        tsc_close(&conns[i]);
}

static void clients_hanging_up_and_a_stop_with_requests_in_flight_should_be_clean(void **state)
{
    (void)state;
    hang_ups_and_stop("async");
    hang_ups_and_stop("pool");
}

/* With a 60 ms idle timeout, requests that wait 100 ms on the store are answered, not swept. */
static void waiting_not_idle(const char *model)
{
    char reqs[NCONN][256];
    double ms[NCONN];
    tsc_server s;
    serve_far_store_idle(&s, model, "8", "60ms");
    prepare(&s, reqs);
    fire(reqs, ms); /* every answer a 200 */
    stop_clean(&s);
}

static void a_connection_waiting_on_the_store_should_not_count_as_idle(void **state)
{
    (void)state;
    waiting_not_idle("async");
    waiting_not_idle("pool");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_async_server_with_one_loop_should_answer_all_within_one_round_trip),
        cmocka_unit_test(a_pool_with_a_worker_per_connection_should_answer_all_within_one_round_trip),
        cmocka_unit_test(a_pool_with_fewer_workers_than_connections_should_answer_in_waves),
        cmocka_unit_test(pipelined_answers_should_stay_in_order_while_they_wait_on_the_store),
        cmocka_unit_test(a_connection_waiting_on_the_store_should_not_count_as_idle),
        cmocka_unit_test(clients_hanging_up_and_a_stop_with_requests_in_flight_should_be_clean),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

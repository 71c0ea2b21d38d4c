/* test_timerq_net.c — bench/common's deadline queue (under the proxy and the load generator): order, removal,
 * re-queueing, the timerfd firing at an absolute sub-millisecond deadline; its HOST:PORT helpers and
 * epoll wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <stdlib.h>

#include "ab_cli.h"
#include "ab_net.h"
#include "ab_timerq.h"

static void timerq_pops_only_due_timers_in_deadline_order(void **state)
{
    ab_timerq *q = ab_timerq_new();
    ab_timer t[200];
    uint64_t last = 0;
    size_t i, n = 0;
    (void)state;
    assert_non_null(q);
    for (i = 0; i < 200; i++) {
        t[i] = (ab_timer){0, 0};
        assert_int_equal(ab_timerq_add(q, &t[i], (i * 7919u) % 1000u + 1), 0);
    }
    assert_null(ab_timerq_pop_due(q, 0));
    for (;;) {
        ab_timer *x = ab_timerq_pop_due(q, 500);
        if (x == NULL)
            break;
        assert_true(x->due_ns >= last && x->due_ns <= 500);
        assert_int_equal(x->pos, 0);
        last = x->due_ns;
        n++;
    }
    assert_int_equal(n + ab_timerq_size(q), 200);
    assert_true(ab_timerq_next(q) > 500);
    ab_timerq_free(q);
}

static void timerq_removes_and_requeues_timers(void **state)
{
    ab_timerq *q = ab_timerq_new();
    ab_timer a = {0, 0}, b = {0, 0}, c = {0, 0};
    (void)state;
    assert_int_equal(ab_timerq_add(q, &a, 10), 0);
    assert_int_equal(ab_timerq_add(q, &b, 20), 0);
    assert_int_equal(ab_timerq_add(q, &c, 30), 0);
    ab_timerq_remove(q, &a);
    ab_timerq_remove(q, &a); /* not queued: a no-op */
    assert_int_equal(ab_timerq_add(q, &c, 5), 0); /* re-queued earlier */
    assert_ptr_equal(ab_timerq_pop_due(q, 100), &c);
    assert_ptr_equal(ab_timerq_pop_due(q, 100), &b);
    assert_null(ab_timerq_pop_due(q, 100));
    assert_int_equal(ab_timerq_next(q), UINT64_MAX);
    ab_timerq_free(q);
    ab_timerq_free(NULL);
}

static void timerq_fd_fires_at_the_absolute_deadline(void **state)
{
    ab_timerq *q = ab_timerq_new();
    ab_timer a = {0, 0};
    struct pollfd pfd;
    uint64_t due = ab_now_ns() + 300000u, fired, armed; /* 300 us */
    (void)state;
    assert_int_equal(ab_timerq_add(q, &a, due), 0);
    assert_int_equal(ab_timerq_arm(q, 0), 0);
    pfd.fd = ab_timerq_fd(q);
    pfd.events = POLLIN;
    assert_int_equal(poll(&pfd, 1, 1000), 1);
    fired = ab_now_ns();
    assert_true(fired >= due);
    assert_int_equal(ab_timerq_ack(q, &armed), 0);
    assert_int_equal(armed, due);
    assert_ptr_equal(ab_timerq_pop_due(q, fired), &a);
    assert_int_equal(ab_timerq_arm(q, 0), 0); /* empty: disarmed */
    assert_int_equal(poll(&pfd, 1, 5), 0);
    assert_int_equal(ab_timerq_add(q, &a, ab_now_ns() + 1000000000u), 0); /* 1 s away, armed 999 ms early */
    assert_int_equal(ab_timerq_arm(q, 999000000u), 0);
    assert_int_equal(poll(&pfd, 1, 500), 1);
    ab_timerq_free(q);
}

static void net_parses_and_formats_host_port(void **state)
{
    struct sockaddr_storage a;
    socklen_t len;
    char err[128], buf[64];
    (void)state;
    assert_int_equal(ab_net_resolve("127.0.0.1:8080", &a, &len, err, sizeof err), 0);
    assert_string_equal(ab_net_format((struct sockaddr *)&a, len, buf, sizeof buf), "127.0.0.1:8080");
    assert_int_equal(ab_net_resolve("[::1]:9", &a, &len, err, sizeof err), 0);
    assert_string_equal(ab_net_format((struct sockaddr *)&a, len, buf, sizeof buf), "[::1]:9");
    assert_int_equal(ab_net_resolve("127.0.0.1", &a, &len, err, sizeof err), -1);
    assert_int_equal(ab_net_resolve("127.0.0.1:65536", &a, &len, err, sizeof err), -1);
    assert_int_equal(ab_net_resolve("::1:80", &a, &len, err, sizeof err), -1);
    assert_int_equal(ab_net_resolve(":80", &a, &len, err, sizeof err), -1);
}

static void net_wait_returns_events_and_says_why_it_failed(void **state)
{
    struct epoll_event ev = {.events = EPOLLIN}, got[4];
    char err[128] = "";
    int ep = epoll_create1(EPOLL_CLOEXEC), fds[2];
    (void)state;
    assert_true(ep >= 0);
    assert_int_equal(pipe(fds), 0);
    ev.data.fd = fds[0];
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev), 0);
    assert_int_equal(ab_net_wait(ep, got, 4, 0, err, sizeof err), 0); /* nothing yet */
    assert_int_equal(write(fds[1], "x", 1), 1);
    assert_int_equal(ab_net_wait(ep, got, 4, 1000, err, sizeof err), 1);
    assert_int_equal(got[0].data.fd, fds[0]);
    close(fds[0]);
    close(fds[1]);
    close(ep);
    assert_int_equal(ab_net_wait(ep, got, 4, 0, err, sizeof err), -1);
    assert_string_equal(err, "epoll_wait: Bad file descriptor");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timerq_pops_only_due_timers_in_deadline_order),
        cmocka_unit_test(timerq_removes_and_requeues_timers),
        cmocka_unit_test(timerq_fd_fires_at_the_absolute_deadline),
        cmocka_unit_test(net_parses_and_formats_host_port),
        cmocka_unit_test(net_wait_returns_events_and_says_why_it_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

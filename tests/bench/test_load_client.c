/* test_load_client.c — the load generator's HTTP client on its own: it reports every request's end
 * through the hook it was given (an answer with ABL_ERR_NONE and its status, a refused connect or a
 * timeout with their errors), says when it opened a connection, and keeps the socket alive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_net.h"
#include "load_int.h"

/* What the hook saw. */
typedef struct seen {
    int calls, status;
    abl_err err;
} seen;

static seen last;

/* The hook under test: records the end of the request. */
static void on_done(abl_client *c, uint64_t now, int status, abl_err err)
{
    assert_int_equal(c->state, ABL_C_IDLE);
    assert_true(now > 0);
    last.calls++;
    last.status = status;
    last.err = err;
}

/* A listening socket on a free loopback port; its address into tg. */
static int listen_any(ab_load_target *tg)
{
    char err[128];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(ab_net_resolve("127.0.0.1:0", &tg->addr, &tg->addrlen, err, sizeof err), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&tg->addr, tg->addrlen), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&tg->addr, &tg->addrlen), 0);
    return fd;
}

/* One round of the loop (up to 50 ms): the client's events, then the server side when lfd >= 0:
 * it accepts once and answers every request it reads with answer (NULL: never). */
static void run_once(int epfd, int lfd, int *peer, const char *answer)
{
    struct epoll_event evs[8];
    char buf[4096], err[128];
    int i, n = ab_net_wait(epfd, evs, 8, 50, err, sizeof err);
    assert_true(n >= 0);
    for (i = 0; i < n; i++)
        abl_client_event(evs[i].data.ptr, evs[i].events);
    if (lfd >= 0 && *peer < 0)
        *peer = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (*peer >= 0 && read(*peer, buf, sizeof buf) > 0 && answer != NULL)
        assert_int_equal(write(*peer, answer, strlen(answer)), (ssize_t)strlen(answer));
}

/* Runs the loop until the hook has been called `calls` times (5 s at most). */
static void run_until(int epfd, int lfd, int *peer, const char *answer, int calls)
{
    uint64_t end = ab_now_ns() + 5000000000ull;
    while (last.calls < calls && ab_now_ns() < end)
        run_once(epfd, lfd, peer, answer);
    assert_int_equal(last.calls, calls);
}

/* One client on one target: its environment, socket and a prebuilt request. */
typedef struct rig {
    ab_load_target tg;
    ab_load_config cfg;
    abl_client_env env;
    abl_sock sock;
    abl_client c;
    char rbuf[4096];
    int epfd;
} rig;

static void rig_init(rig *r, uint64_t timeout_us)
{
    static const char req[] = "GET /api HTTP/1.1\r\nHost: t\r\n\r\n";
    memset(r, 0, sizeof *r);
    memset(&last, 0, sizeof last);
    r->cfg.targets = &r->tg;
    r->cfg.ntargets = 1;
    r->cfg.timeout_us = timeout_us;
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    assert_true(r->epfd >= 0);
    abl_client_env_init(&r->env, &r->cfg, r->epfd, r->rbuf, sizeof r->rbuf, on_done);
    abl_client_init(&r->c, &r->env, &r->sock);
    r->c.cur = &r->sock;
    r->c.op = ABL_OP_REQUEST;
    r->c.wbuf = req;
    r->c.wlen = sizeof req - 1;
}

static void rig_free(rig *r)
{
    abl_client_close_all(&r->c);
    close(r->epfd);
}

static void an_answer_should_reach_the_hook_with_no_error_and_keep_the_socket(void **state)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    rig r;
    int lfd, peer = -1;
    (void)state;
    rig_init(&r, 2000000);
    lfd = listen_any(&r.tg);
    assert_int_equal(abl_client_send(&r.c, ab_now_ns()), 1); /* a new connection */
    run_until(r.epfd, lfd, &peer, ok, 1);
    assert_int_equal(last.err, ABL_ERR_NONE);
    assert_int_equal(last.status, 200);
    assert_int_equal(r.c.woff, r.c.wlen);
    assert_true(r.sock.fd >= 0); /* kept alive */
    assert_int_equal(abl_client_send(&r.c, ab_now_ns()), 0); /* the same connection */
    run_until(r.epfd, lfd, &peer, ok, 2);
    assert_int_equal(last.err, ABL_ERR_NONE);
    close(peer);
    close(lfd);
    rig_free(&r);
}

static void a_refused_connect_should_reach_the_hook_as_a_connect_error(void **state)
{
    rig r;
    int lfd, peer = -1;
    (void)state;
    rig_init(&r, 2000000);
    lfd = listen_any(&r.tg);
    close(lfd); /* nobody listens there any more */
    abl_client_send(&r.c, ab_now_ns());
    run_until(r.epfd, -1, &peer, NULL, 1);
    assert_int_equal(last.err, ABL_ERR_CONNECT);
    assert_int_equal(last.status, 0);
    assert_true(r.sock.fd < 0);
    rig_free(&r);
}

static void an_unanswered_request_should_time_out_through_the_hook(void **state)
{
    rig r;
    int lfd, peer = -1;
    (void)state;
    rig_init(&r, 20000); /* 20 ms */
    lfd = listen_any(&r.tg);
    abl_client_send(&r.c, ab_now_ns());
    while (r.c.state != ABL_C_RECV || peer < 0) /* written, read by the server, never answered */
        run_once(r.epfd, lfd, &peer, NULL);
    abl_client_check_timeout(&r.c, r.c.sent_ns + 20000000); /* just at the timeout: not yet */
    assert_int_equal(last.calls, 0);
    abl_client_check_timeout(&r.c, r.c.sent_ns + 20000001);
    assert_int_equal(last.calls, 1);
    assert_int_equal(last.err, ABL_ERR_TIMEOUT);
    assert_true(r.sock.fd < 0);
    close(peer);
    close(lfd);
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_answer_should_reach_the_hook_with_no_error_and_keep_the_socket),
        cmocka_unit_test(a_refused_connect_should_reach_the_hook_as_a_connect_error),
        cmocka_unit_test(an_unanswered_request_should_time_out_through_the_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_http.c — bench/common/ab_http: the side channels' blocking HTTP/1.1 client against a
 * loopback peer the test writes canned answers from: keep-alive answers one at a time, a body
 * ended by the peer closing, and every way an answer goes wrong (cut short, not HTTP, over the
 * body's bound, never sent) as -1 with its reason, never a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ab_buf.h"
#include "ab_http.h"

#define TIMEOUT_MS 300

/* A connected pair: the client's fd from ab_http_connect and the peer's accepted one. */
typedef struct pair {
    int client, peer;
} pair;

/* A listening socket on 127.0.0.1 with a free port; its address into addr. */
static int listen_any(struct sockaddr_storage *addr, socklen_t *len)
{
    struct sockaddr_in *in = (struct sockaddr_in *)addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(addr, 0, sizeof *addr);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *in;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)addr, *len), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)addr, len), 0);
    return fd;
}

static pair connect_pair(void)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int lfd = listen_any(&addr, &len);
    pair p;
    p.client = ab_http_connect(&addr, len, TIMEOUT_MS);
    assert_true(p.client >= 0);
    p.peer = accept(lfd, NULL, NULL);
    assert_true(p.peer >= 0);
    close(lfd);
    return p;
}

static void close_pair(pair *p)
{
    close(p->client);
    if (p->peer >= 0)
        close(p->peer);
}

/* The peer writes text (then closes its side when hang_up). */
static void peer_says(pair *p, const char *text, int hang_up)
{
    assert_int_equal(write(p->peer, text, strlen(text)), (ssize_t)strlen(text));
    if (hang_up) {
        close(p->peer);
        p->peer = -1;
    }
}

/* One answer expected to fail: -1 with a reason containing want. */
static void expect_failure(pair *p, size_t body_max, const char *want)
{
    ab_buf body;
    char err[128] = "";
    ab_buf_init(&body, body_max);
    assert_int_equal(ab_http_recv(p->client, &body, TIMEOUT_MS, NULL, err, sizeof err), -1);
    if (strstr(err, want) == NULL)
        fail_msg("reason '%s' does not say '%s'", err, want);
    ab_buf_free(&body);
}

/* The peer sends answer (then hangs up when hang_up): reading it into a body of at most body_max
 * bytes fails with a reason containing want. */
static void answer_should_fail(const char *answer, int hang_up, size_t body_max, const char *want)
{
    pair p = connect_pair();
    peer_says(&p, answer, hang_up);
    expect_failure(&p, body_max, want);
    close_pair(&p);
}

static void keep_alive_answers_should_be_read_one_at_a_time(void **state)
{
    pair p = connect_pair();
    ab_buf body;
    char err[128], req[64];
    int keep = 0;
    (void)state;
    ab_buf_init(&body, 1024);
    assert_int_equal(ab_http_send(p.client, "GET / HTTP/1.1\r\n\r\n", 18, TIMEOUT_MS), 0);
    assert_int_equal(read(p.peer, req, sizeof req), 18);
    peer_says(&p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                  "HTTP/1.1 401 Unauthorized\r\nContent-Length: 6\r\n\r\nsecond", 0);
    assert_int_equal(ab_http_recv(p.client, &body, TIMEOUT_MS, &keep, err, sizeof err), 200);
    assert_string_equal(body.data, "first");
    assert_true(keep);
    assert_int_equal(ab_http_recv(p.client, &body, TIMEOUT_MS, &keep, err, sizeof err), 401);
    assert_string_equal(body.data, "second");
    ab_buf_free(&body);
    close_pair(&p);
}

static void a_body_ended_by_the_peer_closing_should_be_whole(void **state)
{
    pair p = connect_pair();
    ab_buf body;
    char err[128];
    int keep = 1;
    (void)state;
    ab_buf_init(&body, 1024);
    peer_says(&p, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"requests\": 3}", 1);
    assert_int_equal(ab_http_recv(p.client, &body, TIMEOUT_MS, &keep, err, sizeof err), 200);
    assert_string_equal(body.data, "{\"requests\": 3}");
    assert_false(keep);
    ab_buf_free(&body);
    close_pair(&p);
}

static void an_answer_cut_short_should_say_the_peer_closed(void **state)
{
    (void)state;
    answer_should_fail("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this", 1, 1024, "closed the connection");
}

static void bytes_that_are_not_http_should_be_refused(void **state)
{
    (void)state;
    answer_should_fail("+PONG\r\n", 0, 1024, "not an HTTP answer");
}

static void a_body_over_the_bound_should_be_refused(void **state)
{
    (void)state;
    answer_should_fail("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789", 0, 10, "not an HTTP answer");
}

static void no_answer_should_time_out_after_the_wait(void **state)
{
    pair p = connect_pair();
    struct timespec t0, t1;
    long ms;
    (void)state;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_failure(&p, 1024, strerror(ETIMEDOUT));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_in_range(ms, TIMEOUT_MS - 10, 10 * TIMEOUT_MS);
    close_pair(&p);
}

static void connecting_where_nothing_listens_should_fail_with_errno(void **state)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int lfd = listen_any(&addr, &len);
    (void)state;
    close(lfd); /* the port was ours a moment ago: nothing listens there now */
    errno = 0;
    assert_int_equal(ab_http_connect(&addr, len, TIMEOUT_MS), -1);
    assert_int_equal(errno, ECONNREFUSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keep_alive_answers_should_be_read_one_at_a_time),
        cmocka_unit_test(a_body_ended_by_the_peer_closing_should_be_whole),
        cmocka_unit_test(an_answer_cut_short_should_say_the_peer_closed),
        cmocka_unit_test(bytes_that_are_not_http_should_be_refused),
        cmocka_unit_test(a_body_over_the_bound_should_be_refused),
        cmocka_unit_test(no_answer_should_time_out_after_the_wait),
        cmocka_unit_test(connecting_where_nothing_listens_should_fail_with_errno),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

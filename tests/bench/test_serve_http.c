/* test_serve_http.c — `authbench serve` as an HTTP/1.1 server: the login contract, 400/431/413,
 * 404/405, pipelining, split requests, Connection: close, HTTP/1.0, idle and request (slowloris)
 * timeouts, exact byte counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <pthread.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "test_serve_client.h"
#include "tsupport.h"

/* Shared by the tests: a `none` server and a `session:memory://` one, 2 threads each. */
static tsc_server none_srv, sess_srv;
static tsc_conn *conn; /* a connection buffer (large: heap) */
static tsc_resp *resp;

static int group_setup(void **state)
{
    static const char *const two[] = {"--threads", "2", NULL};
    (void)state;
    conn = malloc(sizeof *conn);
    resp = malloc(sizeof *resp);
    if (conn == NULL || resp == NULL)
        return -1;
    if (tsc_server_start(&none_srv, "none", NULL, two) != 0)
        return -1;
    return tsc_server_start(&sess_srv, "session:memory://", NULL, two);
}

static int group_teardown(void **state)
{
    (void)state;
    tsc_server_stop(&none_srv);
    tsc_server_stop(&sess_srv);
    free(conn);
    free(resp);
    return 0;
}

/* Opens the shared connection to port. */
static void open_conn(int port)
{
    assert_int_equal(tsc_connect(conn, port), 0);
}

/* Sends text on the shared connection. */
static void send_str(const char *text)
{
    assert_int_equal(tsc_send(conn, text, strlen(text)), 0);
}

/* Reads a response on the shared connection and asserts its status. */
static void expect(int status)
{
    assert_int_equal(tsc_read(conn, resp), 0);
    assert_int_equal(resp->status, status);
}

static void login_should_answer_json_and_set_a_cookie_for_sessions(void **state)
{
    char cookie[256], want[256], type[64];
    cJSON *body;
    (void)state;
    open_conn(sess_srv.port);
    send_str("POST /login?user=alice HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    expect(200);
    assert_true(tsc_header(resp, "Content-Type", type, sizeof type));
    assert_string_equal(type, "application/json");
    body = cJSON_Parse(resp->body);
    assert_non_null(body);
    assert_string_equal(cJSON_GetObjectItem(body, "kind")->valuestring, "cookie");
    snprintf(want, sizeof want, "sid=%s; Path=/; HttpOnly", cJSON_GetObjectItem(body, "credential")->valuestring);
    assert_true(tsc_header(resp, "Set-Cookie", cookie, sizeof cookie));
    assert_string_equal(cookie, want);
    cJSON_Delete(body);
    send_str("POST /login HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: 17\r\n\r\nremember=1&user=b");
    expect(200);
    send_str("POST /login?user=a%20b HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    expect(400);
    assert_string_equal(resp->body, "{\"error\":\"bad_user\"}");
    send_str("POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    expect(400);
    tsc_close(conn);
}

static void logout_should_clear_the_cookie(void **state)
{
    char sid[128], kind[16], cookie[128];
    (void)state;
    assert_int_equal(tsc_login(sess_srv.port, "erin", sid, sizeof sid, kind, sizeof kind), 200);
    assert_int_equal(tsc_logout(sess_srv.port, kind, sid, resp), 200);
    assert_true(tsc_header(resp, "Set-Cookie", cookie, sizeof cookie));
    assert_string_equal(cookie, "sid=; Path=/; Max-Age=0; HttpOnly");
    assert_int_equal(tsc_logout(sess_srv.port, kind, sid, resp), 401);
    assert_string_equal(resp->body, "{\"error\":\"unknown_session\"}");
}

static void malformed_requests_should_get_400_and_a_close(void **state)
{
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /api/x HTTP/1.1\r\nNo colon here\r\n\r\n",
        "POST /login HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        "POST /login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        open_conn(none_srv.port);
        send_str(bad[i]);
        expect(400);
        assert_string_equal(resp->body, "{\"error\":\"bad_request\"}");
        assert_true(tsc_peer_closed(conn));
        tsc_close(conn);
    }
    open_conn(none_srv.port);
    send_str("GET /api/x HTTP/7.1\r\nAuthorization: Bearer u\r\n\r\n");
    expect(505);
    assert_string_equal(resp->body, "{\"error\":\"http_version_not_supported\"}");
    assert_true(tsc_peer_closed(conn));
    tsc_close(conn);
}

/* A request with one header of n bytes of value. */
static char *big_header_request(size_t n, int complete)
{
    char *req = malloc(n + 128);
    int k = sprintf(req, "GET /api/x HTTP/1.1\r\nAuthorization: Bearer u\r\nX-Pad: ");
    memset(req + k, 'p', n);
    strcpy(req + k + n, complete ? "\r\n\r\n" : "");
    return req;
}

static void oversized_headers_should_get_431(void **state)
{
    char *ok = big_header_request(7000, 1), *big = big_header_request(9000, 1);
    char *endless = big_header_request(12000, 0);
    (void)state;
    open_conn(none_srv.port);
    send_str(ok);
    expect(200);
    send_str(big);
    expect(431);
    assert_string_equal(resp->body, "{\"error\":\"headers_too_large\"}");
    assert_true(tsc_peer_closed(conn));
    tsc_close(conn);
    open_conn(none_srv.port); /* headers that never end are refused as they arrive */
    send_str(endless);
    expect(431);
    tsc_close(conn);
    free(ok);
    free(big);
    free(endless);
}

static void oversized_bodies_should_get_413(void **state)
{
    char chunk[8200];
    int i;
    (void)state;
    open_conn(none_srv.port);
    send_str("POST /login HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    expect(413); /* refused on the declared length, before the body is sent */
    assert_string_equal(resp->body, "{\"error\":\"body_too_large\"}");
    assert_true(tsc_peer_closed(conn));
    tsc_close(conn);
    open_conn(none_srv.port);
    send_str("POST /login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    memset(chunk, 'x', sizeof chunk);
    memcpy(chunk, "2000\r\n", 6);
    memcpy(chunk + 6 + 8192, "\r\n", 2);
    for (i = 0; i < 9; i++) /* 9 x 8 KiB: one chunk too many */
        if (tsc_send(conn, chunk, 6 + 8192 + 2) != 0)
            break;
    expect(413);
    tsc_close(conn);
}

static void unknown_paths_and_methods_should_get_404_and_405_and_keep_the_connection(void **state)
{
    (void)state;
    open_conn(none_srv.port);
    send_str("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
    expect(404);
    send_str("POST /api/x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    expect(405);
    send_str("GET /login HTTP/1.1\r\nHost: t\r\n\r\n");
    expect(405);
    send_str("GET /api HTTP/1.1\r\nHost: t\r\n\r\n");
    expect(404);
    send_str("GET /api/x?q=1 HTTP/1.1\r\nAuthorization: Bearer frank\r\n\r\n");
    expect(200);
    assert_string_equal(resp->body, "{\"sub\":\"frank\"}");
    tsc_close(conn);
}

static void pipelined_requests_should_be_answered_in_order(void **state)
{
    char *batch = malloc(200 * 64), want[64];
    size_t len = 0;
    int i;
    (void)state;
    for (i = 0; i < 200; i++)
        len += (size_t)sprintf(batch + len, "GET /api/%d HTTP/1.1\r\nAuthorization: Bearer u%d\r\n\r\n", i, i);
    open_conn(none_srv.port);
    assert_int_equal(tsc_send(conn, batch, len), 0);
    for (i = 0; i < 200; i++) {
        expect(200);
        snprintf(want, sizeof want, "{\"sub\":\"u%d\"}", i);
        assert_string_equal(resp->body, want);
    }
    tsc_close(conn);
    free(batch);
}

static void a_request_arriving_in_pieces_should_be_served(void **state)
{
    static const char req[] = "GET /api/x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer grace\r\n\r\n";
    struct timespec gap = {0, 2 * 1000 * 1000};
    int one = 1;
    size_t i;
    (void)state;
    open_conn(none_srv.port);
    assert_int_equal(setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    for (i = 0; i < sizeof req - 1; i++) {
        assert_int_equal(tsc_send(conn, req + i, 1), 0);
        if (i % 8 == 0)
            nanosleep(&gap, NULL);
    }
    expect(200);
    assert_string_equal(resp->body, "{\"sub\":\"grace\"}");
    tsc_close(conn);
}

static void connection_close_and_http10_should_be_honoured(void **state)
{
    char v[64];
    (void)state;
    open_conn(none_srv.port);
    send_str("GET /api/x HTTP/1.1\r\nAuthorization: Bearer h\r\nConnection: close\r\n\r\n"
             "GET /api/y HTTP/1.1\r\nAuthorization: Bearer h\r\n\r\n");
    expect(200);
    assert_true(tsc_header(resp, "Connection", v, sizeof v));
    assert_string_equal(v, "close");
    assert_true(tsc_peer_closed(conn)); /* the pipelined second request is not served */
    tsc_close(conn);
    open_conn(none_srv.port);
    send_str("GET /api/x HTTP/1.0\r\nAuthorization: Bearer h\r\n\r\n");
    expect(200);
    assert_true(tsc_peer_closed(conn));
    tsc_close(conn);
    open_conn(none_srv.port);
    send_str("GET /api/x HTTP/1.0\r\nAuthorization: Bearer h\r\nConnection: keep-alive\r\n\r\n");
    expect(200);
    assert_true(tsc_header(resp, "Connection", v, sizeof v));
    assert_string_equal(v, "keep-alive");
    send_str("GET /api/x HTTP/1.0\r\nAuthorization: Bearer h\r\nConnection: keep-alive\r\n\r\n");
    expect(200);
    tsc_close(conn);
}

static void idle_connections_should_time_out(void **state)
{
    static const char *const idle[] = {"--idle-timeout", "300ms", NULL};
    struct timespec step = {0, 100 * 1000 * 1000};
    tsc_server s;
    uint64_t t0;
    int i;
    (void)state;
    assert_int_equal(tsc_server_start(&s, "none", NULL, idle), 0);
    open_conn(s.port);
    for (i = 0; i < 6; i++) { /* active for 600 ms: stays open */
        send_str("GET /api/x HTTP/1.1\r\nAuthorization: Bearer i\r\n\r\n");
        expect(200);
        nanosleep(&step, NULL);
    }
    t0 = (uint64_t)time(NULL);
    assert_true(tsc_peer_closed(conn)); /* then idle: closed well within the 5 s read timeout */
    assert_true((uint64_t)time(NULL) - t0 <= 2);
    tsc_close(conn);
    tsc_server_stop(&s);
}

static void a_fresh_connection_should_never_be_swept_as_idle(void **state)
{
    /* the idle sweep runs every idle/4 after an event batch; a connection accepted in that batch
     * is stamped later than the batch's clock and once was taken for one idle for ~584 000 years
     * (unsigned wrap): 4 in 1000 fresh connections closed unanswered with a 20 ms timeout. Each
     * connection here sends its request at once, far within the 40 ms. */
    static const char *const idle[] = {"--idle-timeout", "40ms", "--threads", "1", NULL};
    tsc_server s;
    int i, unanswered = 0;
    (void)state;
    assert_int_equal(tsc_server_start(&s, "none", NULL, idle), 0);
    for (i = 0; i < 1500; i++) {
        open_conn(s.port);
        send_str("GET /api/x HTTP/1.1\r\nAuthorization: Bearer f\r\n\r\n");
        unanswered += tsc_read(conn, resp) != 0 || resp->status != 200;
        tsc_close(conn);
    }
    assert_int_equal(unanswered, 0);
    tsc_server_stop(&s);
}

static void a_request_trickling_in_should_get_408_at_its_deadline_not_live_forever(void **state)
{
    /* slowloris: one byte a second keeps the connection active (never idle for the 30 s idle
     * timeout); the request deadline counts from its first byte and must end it */
    static const char *const opts[] = {"--request-timeout", "2s", NULL};
    static const char req[] = "GET /api/x HTTP/1.1\r\nAuthorization: Bearer slow\r\n\r\n";
    struct timespec second = {1, 0};
    tsc_server s;
    time_t t0 = time(NULL);
    int i;
    (void)state;
    assert_int_equal(tsc_server_start(&s, "none", NULL, opts), 0);
    open_conn(s.port);
    for (i = 0; i < 4; i++) { /* bytes at 0, 1, 2, 3 s: the one at 3 s finds the deadline passed */
        assert_int_equal(tsc_send(conn, req + i, 1), 0);
        nanosleep(&second, NULL);
    }
    expect(408);
    assert_non_null(strstr(resp->body, "request_timeout"));
    assert_true(tsc_peer_closed(conn));
    assert_true(time(NULL) - t0 < 10);
    tsc_close(conn);
    tsc_server_stop(&s);
}

/* Sends req on the shared connection, reads the response; adds the bytes each way. */
static void exchange(const char *req, int status, size_t *in, size_t *out)
{
    send_str(req);
    expect(status);
    *in += strlen(req);
    *out += strlen(resp->head) + resp->body_len;
}

static void stats_should_count_exact_bytes_and_bad_requests(void **state)
{
    static const char *const one[] = {"--threads", "1", NULL};
    tsc_server s;
    size_t in = 0, out = 0, stats_in = 0, stats_out = 0;
    cJSON *st;
    (void)state;
    assert_int_equal(tsc_server_start(&s, "none", NULL, one), 0);
    open_conn(s.port);
    exchange("GET /api/x HTTP/1.1\r\nAuthorization: Bearer ivan\r\n\r\n", 200, &in, &out);
    exchange("GET /stats HTTP/1.1\r\n\r\n", 200, &stats_in, &stats_out); /* not counted */
    exchange("GET /api/x HTTP/1.1\r\nAuthorization: Bearer ivan\r\n\r\n", 200, &in, &out);
    exchange("GET /nowhere HTTP/1.1\r\n\r\n", 404, &in, &out);
    exchange("POST /login?user=ivan HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 200, &in, &out);
    exchange("BAD\r\n\r\n", 400, &in, &out);
    tsc_close(conn);
    st = tsc_stats(s.port);
    assert_non_null(st);
    assert_int_equal(tsc_stat(st, "requests"), 5);
    assert_int_equal(tsc_stat(st, "bad_requests"), 2);
    assert_int_equal(tsc_stat(st, "logins"), 1);
    assert_int_equal(tsc_stat(st, "auth_ok"), 2);
    assert_int_equal(tsc_stat(st, "bytes_in"), in);
    assert_int_equal(tsc_stat(st, "bytes_out"), out);
    assert_int_equal(tsc_stat(st, "connections_accepted"), 2); /* the exchanges, then /stats */
    cJSON_Delete(st);
    assert_int_equal(WEXITSTATUS(tsc_server_stop(&s)), 0);
}

/* What the sender thread of the backpressure test sends. */
typedef struct bulk_send {
    tsc_conn *c;
    const char *data;
    size_t len;
    int rc;
} bulk_send;

/* Sends everything (blocks while the server holds back): the thread of the backpressure test. */
static void *send_all(void *arg)
{
    bulk_send *b = arg;
    b->rc = tsc_send(b->c, b->data, b->len);
    return NULL;
}

/* The response to request i of the backpressure test: every one has the same length. */
static size_t late_response(int i, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                            "Content-Length: 16\r\n\r\n{\"sub\":\"u%05d\"}", i);
}

static void a_client_reading_late_should_still_get_every_response_in_order(void **state)
{
    /* more response bytes (~5.5 MB) than the server's socket can hold (tcp_wmem max 4 MiB by
     * default): its sends must block, and it must stop reading and resume when the client does */
    enum { N = 60000 };
    char *batch = malloc((size_t)N * 64), *in = malloc(65536), want[128];
    bulk_send b = {conn, batch, 0, -1};
    struct timespec late = {0, 300 * 1000 * 1000};
    size_t len = late_response(0, want, sizeof want), got = 0, total = (size_t)N * len;
    pthread_t tid;
    int i;
    (void)state;
    for (i = 0; i < N; i++)
        b.len += (size_t)sprintf(batch + b.len, "GET /api/x HTTP/1.1\r\nAuthorization: Bearer u%05d\r\n\r\n", i);
    open_conn(none_srv.port);
    assert_int_equal(pthread_create(&tid, NULL, send_all, &b), 0);
    nanosleep(&late, NULL);
    while (got < total) {
        ssize_t n = recv(conn->fd, in, 65536, 0), k;
        assert_true(n > 0);
        for (k = 0; k < n; k++, got++) {
            if (got % len == 0)
                late_response((int)(got / len), want, sizeof want);
            if (in[k] != want[got % len])
                fail_msg("response %zu differs at byte %zu", got / len, got % len);
        }
    }
    pthread_join(tid, NULL);
    assert_int_equal(b.rc, 0);
    tsc_close(conn);
    free(batch);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(login_should_answer_json_and_set_a_cookie_for_sessions),
        cmocka_unit_test(logout_should_clear_the_cookie),
        cmocka_unit_test(malformed_requests_should_get_400_and_a_close),
        cmocka_unit_test(oversized_headers_should_get_431),
        cmocka_unit_test(oversized_bodies_should_get_413),
        cmocka_unit_test(unknown_paths_and_methods_should_get_404_and_405_and_keep_the_connection),
        cmocka_unit_test(pipelined_requests_should_be_answered_in_order),
        cmocka_unit_test(a_client_reading_late_should_still_get_every_response_in_order),
        cmocka_unit_test(a_request_arriving_in_pieces_should_be_served),
        cmocka_unit_test(connection_close_and_http10_should_be_honoured),
        cmocka_unit_test(idle_connections_should_time_out),
        cmocka_unit_test(a_fresh_connection_should_never_be_swept_as_idle),
        cmocka_unit_test(a_request_trickling_in_should_get_408_at_its_deadline_not_live_forever),
        cmocka_unit_test(stats_should_count_exact_bytes_and_bad_requests),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* test_redis_faults.c — the Redis store when things go wrong: nothing listening, a wrong password,
 * a bad database, a stalled server, a server stopped and restarted under running clients, and
 * batches mixing good records with wrong types, damaged and missing ones. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_test.h"
#include "tsupport.h"

#define CLIENTS 4
#define OUTAGE_MS 1000

/* Opens a store on uri (which must parse) and connects; the connection may be in error. */
static sstore_conn *connect_to(sstore **s, const char *uri)
{
    sstore_conn *c;
    *s = st_open_ok(uri);
    c = sstore_connect(*s);
    assert_non_null(c);
    return c;
}

/* Connects to the store at fmt (its %d is port) and checks the connection's status, that its
 * message says `says` and never shows `never` (NULL: no check). Returns how long connecting took (ms). */
static long long expect_connect(const char *fmt, int port, int status, const char *says, const char *never)
{
    char uri[192];
    sstore *s;
    sstore_conn *c;
    long long t0 = st_now_ms(), dt;
    snprintf(uri, sizeof uri, fmt, port);
    c = connect_to(&s, uri);
    dt = st_now_ms() - t0;
    if (sstore_conn_err(c) != status || strstr(sstore_conn_errstr(c), says) == NULL ||
        (never != NULL && strstr(sstore_conn_errstr(c), never) != NULL))
        fail_msg("%s: got %s \"%s\", want %s \"…%s…\"", uri, sstore_status_name(sstore_conn_err(c)),
                 sstore_conn_errstr(c), sstore_status_name(status), says);
    sstore_conn_free(c);
    sstore_close(s);
    return dt;
}

static void nothing_listening_is_reported_at_connect_and_operations_fail_fast(void **state)
{
    char uri[128];
    sstore *s;
    sstore_conn *c;
    sstore_session sess;
    long long t0;
    int i;
    (void)state;
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", tsupport_free_port());
    c = connect_to(&s, uri);
    assert_int_equal(sstore_conn_err(c), SSTORE_ERR_IO);
    assert_non_null(strstr(sstore_conn_errstr(c), "cannot connect"));
    t0 = st_now_ms();
    for (i = 0; i < 1000; i++)
        assert_int_equal(sstore_get(c, "abc", &sess), SSTORE_ERR_IO);
    assert_true(st_now_ms() - t0 < 2000); /* backoff: no connect storm, no waiting either */
    assert_non_null(strstr(sstore_conn_errstr(c), "127.0.0.1"));
    sstore_conn_free(c);
    sstore_close(s);
}

/* A loopback TCP socket listening on a free port (*port); the kernel completes connections to it
 * whether or not anyone accepts them. Returns the fd. */
static int listen_loopback(int *port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void a_server_that_never_answers_times_out_at_connect(void **state)
{
    int port, lfd = listen_loopback(&port);
    (void)state;
    assert_in_range(expect_connect("redis://127.0.0.1:%d?timeout_ms=300", port, SSTORE_ERR_TIMEOUT, "no reply", NULL),
                    250, 1500);
    close(lfd);
}

/* Accepts one connection and answers it like a web server would. */
static void *http_server_main(void *arg)
{
    int fd = accept(*(int *)arg, NULL, NULL);
    static const char reply[] = "HTTP/1.0 400 Bad Request\r\n\r\n";
    if (fd >= 0) {
        if (write(fd, reply, sizeof reply - 1) < 0)
            perror("http_server_main: write");
        close(fd);
    }
    return NULL;
}

static void a_server_that_is_not_redis_is_a_protocol_error(void **state)
{
    pthread_t t;
    int port, lfd = listen_loopback(&port);
    (void)state;
    assert_int_equal(pthread_create(&t, NULL, http_server_main, &lfd), 0);
    expect_connect("redis://127.0.0.1:%d", port, SSTORE_ERR_PROTOCOL, "protocol error", NULL);
    assert_int_equal(pthread_join(t, NULL), 0);
    close(lfd);
}

static void a_wrong_or_missing_password_is_an_auth_error_that_never_shows_the_password(void **state)
{
    const char *const args[] = {"--requirepass", "right-pw", NULL};
    tsupport_redis r;
    char uri[160];
    sstore *s;
    sstore_conn *c;
    sstore_session sess;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, args), 0);
    expect_connect("redis://:wrong-pw@127.0.0.1:%d", r.port, SSTORE_ERR_AUTH, "AUTH refused", "wrong-pw");
    expect_connect("redis://127.0.0.1:%d", r.port, SSTORE_ERR_AUTH, "NOAUTH", NULL);
    snprintf(uri, sizeof uri, "redis://:wrong-pw@127.0.0.1:%d", r.port);
    c = connect_to(&s, uri);
    assert_int_equal(sstore_get(c, "abc", &sess), SSTORE_ERR_AUTH); /* operations keep saying why */
    assert_null(strstr(sstore_conn_errstr(c), "wrong-pw"));
    sstore_conn_free(c);
    sstore_close(s);
    snprintf(uri, sizeof uri, "redis://right-pw@127.0.0.1:%d", r.port);
    c = connect_to(&s, uri);
    assert_int_equal(sstore_conn_err(c), SSTORE_OK);
    assert_int_equal(sstore_get(c, "abc", &sess), SSTORE_NOT_FOUND);
    sstore_conn_free(c);
    sstore_close(s);
    tsupport_redis_stop(&r);
}

static void an_acl_user_with_a_wrong_password_is_refused(void **state)
{
    tsupport_redis r;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    assert_int_equal(tsupport_redis_cmd(&r, "ACL SETUSER app on >good ~sess:* +@all"), 0);
    expect_connect("redis://app:bad@127.0.0.1:%d", r.port, SSTORE_ERR_AUTH, "AUTH as app refused", ":bad");
    tsupport_redis_stop(&r);
}

static void a_database_out_of_range_is_reported(void **state)
{
    tsupport_redis r;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    expect_connect("redis://127.0.0.1:%d/99", r.port, SSTORE_ERR_ARG, "SELECT 99", NULL);
    tsupport_redis_stop(&r);
}

static void a_stalled_server_times_out_instead_of_hanging_and_is_used_again_after(void **state)
{
    tsupport_redis r;
    char uri[160], id[SSTORE_ID_LEN + 1];
    sstore *s;
    sstore_conn *c;
    sstore_session sess;
    sstore_counters ctr;
    long long t0;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d?timeout_ms=300", r.port);
    c = connect_to(&s, uri);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_OK);
    assert_int_equal(kill(r.pid, SIGSTOP), 0);
    t0 = st_now_ms();
    assert_int_equal(sstore_get(c, id, &sess), SSTORE_ERR_TIMEOUT);
    assert_in_range(st_now_ms() - t0, 250, 1500);
    assert_int_equal(kill(r.pid, SIGCONT), 0);
    assert_int_equal(sstore_get(c, id, &sess), SSTORE_OK); /* a fresh connection: the old one was out of step */
    sstore_conn_counters(c, &ctr);
    assert_int_equal(ctr.reconnects, 1);
    assert_int_equal(ctr.errors, 1);
    sstore_conn_free(c);
    sstore_close(s);
    tsupport_redis_stop(&r);
}

/* One client looping create+get through an outage. */
typedef struct client {
    sstore *store;
    atomic_int *stop;
    long ok_after_return;   /* successes after the server came back */
    long errors;            /* failed operations it saw */
    long long worst_ms;     /* slowest single operation */
    sstore_counters ctr;
    atomic_int *back;       /* set once the server is up again */
} client;

/* Runs one operation pair and accounts for it. */
static void client_step(client *cl, sstore_conn *c)
{
    char id[SSTORE_ID_LEN + 1];
    sstore_session sess;
    long long t0 = st_now_ms(), dt;
    int st = sstore_create(c, "{\"sub\":\"x\"}", 11, 60, id);
    if (st == SSTORE_OK)
        st = sstore_get(c, id, &sess);
    dt = st_now_ms() - t0;
    if (dt > cl->worst_ms)
        cl->worst_ms = dt;
    if (st != SSTORE_OK)
        cl->errors++;
    else if (atomic_load(cl->back))
        cl->ok_after_return++;
}

static void *client_main(void *arg)
{
    client *cl = arg;
    sstore_conn *c = sstore_connect(cl->store);
    if (c == NULL)
        return NULL;
    while (!atomic_load(cl->stop))
        client_step(cl, c);
    sstore_conn_counters(c, &cl->ctr);
    sstore_conn_free(c);
    return NULL;
}

static void clients_survive_a_redis_restart_count_the_errors_and_reconnect(void **state)
{
    static client cl[CLIENTS];
    pthread_t t[CLIENTS];
    atomic_int stop = 0, back = 0;
    tsupport_redis r;
    char uri[160];
    sstore *s;
    int i, status;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d?timeout_ms=500&reconnect_max_ms=200", r.port);
    s = st_open_ok(uri);
    for (i = 0; i < CLIENTS; i++) {
        memset(&cl[i], 0, sizeof cl[i]);
        cl[i].store = s;
        cl[i].stop = &stop;
        cl[i].back = &back;
        assert_int_equal(pthread_create(&t[i], NULL, client_main, &cl[i]), 0);
    }
    st_sleep_ms(300);
    assert_int_equal(kill(r.pid, SIGKILL), 0);
    assert_int_equal(waitpid(r.pid, &status, 0), r.pid);
    r.pid = 0;
    st_sleep_ms(OUTAGE_MS);
    assert_int_equal(tsupport_redis_restart(&r), 0);
    atomic_store(&back, 1);
    st_sleep_ms(1000);
    atomic_store(&stop, 1);
    for (i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (i = 0; i < CLIENTS; i++) {
        assert_true(cl[i].errors > 0);
        assert_int_equal(cl[i].ctr.errors, cl[i].errors); /* each failed pair failed at one operation */
        assert_true(cl[i].ok_after_return > 0);
        assert_true(cl[i].ctr.reconnects >= 1);
        assert_true(cl[i].worst_ms < 1500); /* bounded by timeout_ms, never a hang */
    }
    sstore_close(s);
    tsupport_redis_stop(&r);
}

static void a_batch_over_a_dead_connection_fails_every_item(void **state)
{
    tsupport_redis r;
    char uri[160], id[SSTORE_ID_LEN + 1];
    const char *ids[3] = {id, id, id};
    sstore_session sess[3];
    int status[3], i;
    sstore *s;
    sstore_conn *c;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", r.port);
    c = connect_to(&s, uri);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_OK);
    tsupport_redis_stop(&r);
    assert_true(sstore_get_batch(c, ids, 3, sess, status) == SSTORE_ERR_IO);
    for (i = 0; i < 3; i++)
        assert_int_equal(status[i], SSTORE_ERR_IO);
    sstore_conn_free(c);
    sstore_close(s);
}

/* Checks that items i of a batch came back as st and, when OK, hold claims (len bytes). */
static void expect_item(const sstore_session *sess, const int *status, int i, int st, const char *claims, size_t len)
{
    if (status[i] != st)
        fail_msg("item %d: %s, want %s", i, sstore_status_name(status[i]), sstore_status_name(st));
    if (st == SSTORE_OK && (sess[i].data_len != len || memcmp(sess[i].data, claims, len) != 0))
        fail_msg("item %d: claims differ", i);
}

static void a_batch_reads_every_kind_of_reply_in_order_and_the_link_stays_in_step(void **state)
{
    static char big[60000], small[300];
    tsupport_redis r;
    char uri[160], a[SSTORE_ID_LEN + 1], b[SSTORE_ID_LEN + 1];
    const char *ids[9] = {a, "wrongtype1", b, "damaged1", "missing1", a, "empty1", b, a};
    static const int want[9] = {SSTORE_OK, SSTORE_ERR_PROTOCOL, SSTORE_OK, SSTORE_ERR_CORRUPT, SSTORE_NOT_FOUND,
                                SSTORE_OK, SSTORE_ERR_CORRUPT, SSTORE_OK, SSTORE_OK};
    size_t nbig = st_claims(big, sizeof big, "big", sizeof big - 1), nsmall = st_claims(small, sizeof small, "s", 200);
    sstore_session sess[9], one;
    int status[9], i;
    sstore *s;
    sstore_conn *c;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", r.port);
    c = connect_to(&s, uri);
    assert_int_equal(sstore_create(c, small, nsmall, 60, a), SSTORE_OK);
    assert_int_equal(sstore_create(c, big, nbig, 60, b), SSTORE_OK);
    assert_int_equal(tsupport_redis_cmd(&r, "RPUSH sess:wrongtype1 x"), 0);
    assert_int_equal(tsupport_redis_cmd(&r, "SET sess:damaged1 {v:1}"), 0);
    assert_int_equal(tsupport_redis_cmd(&r, "SET sess:empty1 \"\""), 0);
    assert_int_equal(sstore_get_batch(c, ids, 9, sess, status), SSTORE_OK);
    for (i = 0; i < 9; i++)
        expect_item(sess, status, i, want[i], ids[i] == a ? small : big, ids[i] == a ? nsmall : nbig);
    assert_int_equal(sstore_get(c, "wrongtype1", &one), SSTORE_ERR_PROTOCOL);
    assert_non_null(strstr(sstore_conn_errstr(c), "WRONGTYPE"));
    assert_int_equal(sstore_get(c, b, &one), SSTORE_OK);
    assert_true(one.data_len == nbig && memcmp(one.data, big, nbig) == 0);
    sstore_conn_free(c);
    sstore_close(s);
    tsupport_redis_stop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_listening_is_reported_at_connect_and_operations_fail_fast),
        cmocka_unit_test(a_server_that_never_answers_times_out_at_connect),
        cmocka_unit_test(a_server_that_is_not_redis_is_a_protocol_error),
        cmocka_unit_test(a_wrong_or_missing_password_is_an_auth_error_that_never_shows_the_password),
        cmocka_unit_test(an_acl_user_with_a_wrong_password_is_refused),
        cmocka_unit_test(a_database_out_of_range_is_reported),
        cmocka_unit_test(a_stalled_server_times_out_instead_of_hanging_and_is_used_again_after),
        cmocka_unit_test(clients_survive_a_redis_restart_count_the_errors_and_reconnect),
        cmocka_unit_test(a_batch_over_a_dead_connection_fails_every_item),
        cmocka_unit_test(a_batch_reads_every_kind_of_reply_in_order_and_the_link_stays_in_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

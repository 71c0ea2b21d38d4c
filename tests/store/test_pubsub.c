/* test_pubsub.c — one conformance suite over every publish/subscribe backend (sstore.h, "Publish /
 * subscribe"): Redis (pub/sub), PostgreSQL (LISTEN/NOTIFY) and memcached (a polled log), each on a
 * private server: a publish is heard by a subscriber and a second one of the same id is EXISTS, a
 * scan lists every member (past one batch), a restarted store breaks the subscription and a new one
 * hears again (PostgreSQL's set survives the restart), and on memcached an entry gone before the
 * subscriber read it is counted as a gap. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_test.h"
#include "tsupport.h"

#define SYNC_MS 20
/* The stores' timeout_ms: long enough for a PostgreSQL connect (its CREATE TABLE) on a loaded
 * 2-core machine; memcached's grace for a missing entry is twice this. */
#define TIMEOUT_MS 1000

typedef struct ps_case {
    const char *name;
    int kind;         /* 0 redis, 1 postgres, 2 memcached */
    const char *channel;
    char uri[600];
} ps_case;

static ps_case cases[] = {{"redis", 0, "pubsub", ""}, {"postgres", 1, "notify", ""}, {"memcached", 2, "poll", ""}};
static size_t current;
static tsupport_redis redis;
static ab_run_srv pg, mc;
static unsigned serial; /* makes each test's set and channel its own */

static int group_setup(void **state)
{
    ps_case *pc = &cases[current];
    const char *url = pc->kind == 1 ? pg.url : mc.url;
    if (pc->kind == 0)
        snprintf(pc->uri, sizeof pc->uri, "redis://127.0.0.1:%d?timeout_ms=%d&reconnect_max_ms=50", redis.port,
                 TIMEOUT_MS);
    else
        snprintf(pc->uri, sizeof pc->uri, "%s%stimeout_ms=%d&connect_timeout_ms=%d&reconnect_max_ms=50", url,
                 strchr(url, '?') != NULL ? "&" : "?", TIMEOUT_MS, 2000);
    *state = pc;
    return 0;
}

/* A connection on s, failing the test unless it connected (memcached connects at its first call). */
static sstore_pubsub *connect_ok(sstore *s)
{
    sstore_pubsub *p = sstore_pubsub_connect(s);
    char why[300];
    assert_non_null(p);
    if (sstore_pubsub_err(p) != SSTORE_OK) {
        snprintf(why, sizeof why, "%s", sstore_pubsub_errstr(p));
        sstore_pubsub_free(p);
        fail_msg("connect: %s", why);
    }
    return p;
}

/* A fresh set and channel name for this test. */
static void names(char *set, char *channel, size_t cap)
{
    serial++;
    snprintf(set, cap, "t%u-%d:", serial, (int)getpid());
    snprintf(channel, cap, "ch%u-%d", serial, (int)getpid());
}

/* A subscriber of set/channel on s, failing the test unless it subscribed. */
static sstore_pubsub *subscriber(sstore *s, const char *set, const char *channel)
{
    sstore_pubsub *p = connect_ok(s);
    assert_int_equal(sstore_pubsub_set_sync_ms(p, SYNC_MS), SSTORE_OK);
    if (sstore_pubsub_subscribe(p, set, channel) != SSTORE_OK)
        fail_msg("subscribe: %s", sstore_pubsub_errstr(p));
    return p;
}

/* Waits up to ms for the next message (as a subscriber's thread would: its fd, or its wait):
 * SSTORE_OK with it in out, SSTORE_NOT_FOUND when none came, or the error that broke p. */
static int hear(sstore_pubsub *p, char *out, size_t cap, long ms)
{
    long long t0 = st_now_ms();
    const char *msg;
    size_t len;
    int st;
    while ((st = sstore_pubsub_next(p, &msg, &len)) == SSTORE_NOT_FOUND && st_now_ms() - t0 < ms) {
        int w = sstore_pubsub_wait_ms(p);
        st_sleep_ms(w < 0 || w > 5 ? 5 : w);
    }
    if (st == SSTORE_OK)
        snprintf(out, cap, "%.*s", (int)len, msg);
    return st;
}

static void the_store_names_its_channel_and_others_have_none(void **state)
{
    ps_case *pc = *state;
    sstore *m = st_open_ok("memory://");
    sstore_pubsub *p = sstore_pubsub_connect(m);
    assert_string_equal(sstore_pubsub_channel(pc->name), pc->channel);
    assert_null(sstore_pubsub_channel("memory"));
    assert_null(sstore_pubsub_channel("redis-cluster"));
    assert_int_equal(sstore_pubsub_err(p), SSTORE_ERR_ARG);
    assert_non_null(strstr(sstore_pubsub_errstr(p), "has no publish/subscribe"));
    assert_int_equal(sstore_pubsub_scan(p, "deny:", NULL, NULL, NULL), SSTORE_ERR_ARG);
    sstore_pubsub_free(p);
    sstore_close(m);
}

static void a_publish_is_heard_and_a_second_one_of_the_id_exists(void **state)
{
    ps_case *pc = *state;
    sstore *s = st_open_ok(pc->uri);
    char set[64], channel[64], got[256];
    sstore_pubsub *sub, *pub;
    long heard = 0;
    names(set, channel, sizeof set);
    sub = subscriber(s, set, channel);
    pub = connect_ok(s);
    assert_int_equal(sstore_pubsub_add_publish(pub, set, "id-1", "id-1 1999999999", 60, channel, &heard), SSTORE_OK);
    assert_true(pc->kind == 0 ? heard == 1 : heard == -1); /* only Redis says who heard it */
    assert_int_equal(hear(sub, got, sizeof got, 3000), SSTORE_OK);
    assert_string_equal(got, "id-1 1999999999");
    assert_int_equal(sstore_pubsub_add_publish(pub, set, "id-1", "id-1 1999999999", 60, channel, NULL), SSTORE_EXISTS);
    assert_int_equal(hear(sub, got, sizeof got, 3000), SSTORE_OK); /* announced again: idempotent */
    assert_int_equal(hear(sub, got, sizeof got, 3 * SYNC_MS), SSTORE_NOT_FOUND);
    assert_int_equal(sstore_pubsub_add_publish(sub, set, "id-2", "x", 60, channel, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_pubsub_add_publish(pub, "bad set", "id-2", "x", 60, channel, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_pubsub_add_publish(pub, set, "bad id!", "x", 60, channel, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_pubsub_gaps(sub), 0);
    sstore_pubsub_free(sub);
    sstore_pubsub_free(pub);
    sstore_close(s);
}

/* Counts the listed values (sstore_pubsub_fn) and checks each is one of ours. */
static void count_value(void *arg, const char *msg, size_t len)
{
    size_t *n = arg;
    if (len > 3 && memcmp(msg, "id-", 3) == 0)
        (*n)++;
}

static void a_scan_lists_every_member_past_one_batch(void **state)
{
    ps_case *pc = *state;
    sstore *s = st_open_ok(pc->uri);
    sstore_pubsub *pub = connect_ok(s);
    char set[64], channel[64], id[32], msg[64];
    size_t listed = 0, n = 0;
    sstore_counters ctr;
    int i;
    names(set, channel, sizeof set);
    assert_int_equal(sstore_pubsub_scan(pub, set, count_value, &listed, &n), SSTORE_OK);
    assert_int_equal(n, 0);
    for (i = 0; i < 1200; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        snprintf(msg, sizeof msg, "%s 1999999999", id);
        assert_int_equal(sstore_pubsub_add_publish(pub, set, id, msg, 60, channel, NULL), SSTORE_OK);
    }
    sstore_pubsub_counters(pub, &ctr);
    assert_true(ctr.round_trips >= (pc->kind == 2 ? 2400u : 1200u)); /* memcached: two per publish */
    assert_int_equal(sstore_pubsub_scan(pub, set, count_value, &listed, &n), SSTORE_OK);
    assert_int_equal(n, 1200);
    assert_int_equal(listed, 1200);
    sstore_pubsub_free(pub);
    sstore_close(s);
}

/* Kills the case's server and starts it again on its port. */
static void restart_store(ps_case *pc)
{
    char err[256];
    if (pc->kind == 0) {
        kill(redis.pid, SIGKILL);
        waitpid(redis.pid, NULL, 0);
        redis.pid = 0;
        assert_int_equal(tsupport_redis_restart(&redis), 0);
        return;
    }
    assert_int_equal(ab_run_srv_signal(pc->kind == 1 ? &pg : &mc, SIGKILL), 0);
    if (ab_run_srv_restart(pc->kind == 1 ? &pg : &mc, err, sizeof err) != 0)
        fail_msg("restart: %s", err);
}

static void a_restarted_store_breaks_the_subscription_and_a_new_one_hears(void **state)
{
    ps_case *pc = *state;
    sstore *s = st_open_ok(pc->uri);
    sstore_pubsub *sub, *pub = connect_ok(s);
    char set[64], channel[64], got[256];
    const char *msg;
    size_t listed = 0, n = 0;
    long long t0;
    int st;
    names(set, channel, sizeof set);
    sub = subscriber(s, set, channel);
    assert_int_equal(sstore_pubsub_add_publish(pub, set, "id-before", "id-before 1999999999", 60, channel, NULL), SSTORE_OK);
    assert_int_equal(hear(sub, got, sizeof got, 3000), SSTORE_OK);
    restart_store(pc);
    st = hear(sub, got, sizeof got, 5000);
    if (st == SSTORE_OK || st == SSTORE_NOT_FOUND)
        fail_msg("the subscription did not break (%s)", sstore_status_name(st));
    assert_int_equal(sstore_pubsub_next(sub, &msg, &n), st); /* it stays broken */
    sstore_pubsub_free(sub);
    t0 = st_now_ms();
    do { /* the store takes a moment to accept connections again */
        sub = sstore_pubsub_connect(s);
        st = sstore_pubsub_set_sync_ms(sub, SYNC_MS) == SSTORE_OK ? sstore_pubsub_subscribe(sub, set, channel) : -1;
        if (st != SSTORE_OK) {
            sstore_pubsub_free(sub);
            st_sleep_ms(50);
        }
    } while (st != SSTORE_OK && st_now_ms() - t0 < 10000);
    assert_int_equal(st, SSTORE_OK);
    t0 = st_now_ms();
    while ((st = sstore_pubsub_add_publish(pub, set, "id-after", "id-after 1999999999", 60, channel, NULL)) != SSTORE_OK &&
           st_now_ms() - t0 < 5000)
        st_sleep_ms(50); /* the publisher reconnects by itself, after its backoff */
    assert_int_equal(st, SSTORE_OK);
    assert_int_equal(hear(sub, got, sizeof got, 3000), SSTORE_OK);
    assert_string_equal(got, "id-after 1999999999");
    assert_int_equal(sstore_pubsub_scan(pub, set, count_value, &listed, &n), SSTORE_OK);
    assert_int_equal(n, pc->kind == 1 ? 2 : 1); /* PostgreSQL's committed row survives; the others' memory went */
    sstore_pubsub_free(sub);
    sstore_pubsub_free(pub);
    sstore_close(s);
}

/* Sends one memcached text command to mc and reads its whole reply (a line, or VALUE … END) into
 * out, NUL-terminated, within 2 s. 0 or -1. */
static int mc_command(const char *cmd, char *out, size_t cap)
{
    struct sockaddr_in a = {0};
    struct timeval tv = {2, 0};
    char c[300];
    size_t n = 0;
    ssize_t k = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0), done = 0;
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)mc.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    snprintf(c, sizeof c, "%s\r\n", cmd);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || send(fd, c, strlen(c), MSG_NOSIGNAL) != (ssize_t)strlen(c))
        k = -1;
    while (k > 0 && !done && n + 1 < cap && (k = recv(fd, out + n, cap - 1 - n, 0)) > 0) {
        n += (size_t)k;
        out[n] = '\0';
        done = n >= 2 && strcmp(out + n - 2, "\r\n") == 0 &&
               (strncmp(out, "VALUE ", 6) != 0 || (n >= 5 && strcmp(out + n - 5, "END\r\n") == 0));
    }
    if (fd >= 0)
        close(fd);
    return done ? 0 : -1;
}

static void memcached_counts_an_entry_gone_before_it_was_read_as_a_gap(void **state)
{
    ps_case *pc = *state;
    sstore *s;
    sstore_pubsub *sub, *pub;
    char set[64], channel[64], got[256], cmd[160], reply[256], *v;
    unsigned long long seq;
    if (pc->kind != 2)
        skip();
    s = st_open_ok(pc->uri);
    pub = connect_ok(s);
    names(set, channel, sizeof set);
    sub = subscriber(s, set, channel);
    assert_int_equal(sstore_pubsub_add_publish(pub, set, "id-a", "id-a 1999999999", 60, channel, NULL), SSTORE_OK);
    assert_int_equal(hear(sub, got, sizeof got, 3000), SSTORE_OK);
    assert_int_equal(sstore_pubsub_add_publish(pub, set, "id-b", "id-b 1999999999", 60, channel, NULL), SSTORE_OK);
    snprintf(cmd, sizeof cmd, "get %s.seq", set); /* as eviction would: the entry goes before it is read */
    assert_int_equal(mc_command(cmd, reply, sizeof reply), 0);
    assert_non_null(v = strstr(reply, "\r\n"));
    seq = strtoull(v + 2, NULL, 10);
    snprintf(cmd, sizeof cmd, "delete %s.%llu", set, seq);
    assert_int_equal(mc_command(cmd, reply, sizeof reply), 0);
    assert_non_null(strstr(reply, "DELETED"));
    assert_int_equal(hear(sub, got, sizeof got, 3 * TIMEOUT_MS), SSTORE_NOT_FOUND); /* past the grace */
    assert_int_equal(sstore_pubsub_gaps(sub), 1);
    assert_int_equal(sstore_pubsub_add_publish(pub, set, "id-c", "id-c 1999999999", 60, channel, NULL), SSTORE_OK);
    assert_int_equal(hear(sub, got, sizeof got, 3000), SSTORE_OK); /* it carries on after the gap */
    assert_string_equal(got, "id-c 1999999999");
    assert_int_equal(mc_command("flush_all", reply, sizeof reply), 0); /* the log gone: a break */
    assert_int_equal(hear(sub, got, sizeof got, 3000), SSTORE_ERR_IO);
    assert_non_null(strstr(sstore_pubsub_errstr(sub), "revocation log is gone"));
    sstore_pubsub_free(sub);
    sstore_pubsub_free(pub);
    sstore_close(s);
}

static void bad_sync_intervals_are_refused(void **state)
{
    ps_case *pc = *state;
    sstore *s = st_open_ok(pc->uri);
    sstore_pubsub *p = connect_ok(s);
    assert_int_equal(sstore_pubsub_set_sync_ms(p, 0), SSTORE_ERR_ARG);
    assert_int_equal(sstore_pubsub_set_sync_ms(p, SSTORE_PUBSUB_SYNC_MS_MAX + 1), SSTORE_ERR_ARG);
    assert_int_equal(sstore_pubsub_set_sync_ms(p, 50), SSTORE_OK);
    assert_int_equal(sstore_pubsub_wait_ms(p), -1); /* not a subscriber yet */
    sstore_pubsub_free(p);
    sstore_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_store_names_its_channel_and_others_have_none),
        cmocka_unit_test(a_publish_is_heard_and_a_second_one_of_the_id_exists),
        cmocka_unit_test(a_scan_lists_every_member_past_one_batch),
        cmocka_unit_test(memcached_counts_an_entry_gone_before_it_was_read_as_a_gap),
        cmocka_unit_test(bad_sync_intervals_are_refused),
        cmocka_unit_test(a_restarted_store_breaks_the_subscription_and_a_new_one_hears),
    };
    int failed = 0;
    if (tsupport_redis_start(&redis, NULL) != 0)
        return 1;
    if (st_server_start(&pg, 1) != 0 || st_server_start(&mc, 0) != 0) {
        st_server_stop(&pg);
        tsupport_redis_stop(&redis);
        return 1;
    }
    for (current = 0; current < sizeof cases / sizeof cases[0]; current++)
        failed += _cmocka_run_group_tests(cases[current].name, tests, sizeof tests / sizeof tests[0], group_setup, NULL);
    st_server_stop(&mc);
    st_server_stop(&pg);
    tsupport_redis_stop(&redis);
    return failed;
}

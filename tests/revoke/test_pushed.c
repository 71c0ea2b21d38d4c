/* test_pushed.c — jwt+pushed-denylist through ab_mech.h, two mechanisms on one Redis standing for
 * two servers: a revocation reaches the other in memory (timed), a server started later catches
 * up from the store (timed, with 10,000 revocations), a broken subscription catches up again,
 * requests are answered without the store (also while it is down), and what it refuses to open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sstore.h>

#include "ab_cli.h"
#include "ab_mech.h"
#include "test_mech_fixture.h"
#include "tsupport.h"

static char spec[256];

static int group_setup(void **state)
{
    (void)state;
    if (tmf_setup() != 0)
        return -1;
    snprintf(spec, sizeof spec, "jwt+pushed-denylist:ES256,redis://127.0.0.1:%d", tmf.redis.port);
    return 0;
}

/* The pushed denylist over the fixture's Redis (a "server"), asserting it opened. */
static ab_mech *open_server(void)
{
    ab_mech_options o = {tmf.ec, 3600};
    ab_mech *m = ab_mech_open(spec, &o);
    assert_non_null(m);
    if (ab_mech_err(m) != 0)
        fail_msg("%s: %s", spec, ab_mech_errstr(m));
    return m;
}

/* A handle, asserting it connected. */
static ab_mech_ctx *ctx_ok(ab_mech *m)
{
    ab_mech_ctx *c = ab_mech_ctx_new(m);
    assert_non_null(c);
    if (ab_mech_ctx_err(c) != 0)
        fail_msg("%s", ab_mech_ctx_errstr(c));
    return c;
}

/* Logs user in: the token into cred. */
static void login(ab_mech_ctx *c, const char *user, char *cred, size_t cap)
{
    size_t n;
    assert_int_equal(ab_mech_issue(c, user, cred, cap, &n), AB_MECH_OK);
}

static void a_revocation_reaches_the_other_server_in_memory(void **state)
{
    ab_mech *a = open_server(), *b = open_server();
    ab_mech_ctx *ca = ctx_ok(a), *cb = ctx_ok(b);
    ab_mech_counters n0, n1;
    char cred[2048];
    uint64_t t0, worst = 0, lat;
    int i;
    (void)state;
    for (i = 0; i < 20; i++) {
        login(ca, "alice", cred, sizeof cred);
        assert_int_equal(tmf_check(cb, cred), AB_MECH_OK);
        t0 = ab_now_us();
        assert_int_equal(ab_mech_revoke(ca, cred, strlen(cred)), AB_MECH_OK);
        assert_int_equal(tmf_check(ca, cred), AB_MECH_REVOKED); /* the logout's server: at once */
        lat = tmf_until_refused(cb, cred, t0, 2000, 50);
        worst = lat > worst ? lat : worst;
        assert_int_equal(ab_mech_revoke(cb, cred, strlen(cred)), AB_MECH_REVOKED); /* already */
    }
    print_message("  propagation to the other server, from the revoke call: max %llu us over 20\n",
                  (unsigned long long)worst);
    ab_mech_ctx_counters(cb, &n0);
    for (i = 0; i < 100; i++)
        assert_int_equal(tmf_check(cb, cred), AB_MECH_REVOKED);
    ab_mech_ctx_counters(cb, &n1);
    assert_int_equal(n1.store.round_trips - n0.store.round_trips, 0); /* no store round trip */
    ab_mech_ctx_counters(ca, &n1);
    assert_int_equal(n1.store.round_trips, 21); /* the connect's PING, then one per logout (SET + PUBLISH) */
    ab_mech_ctx_free(ca);
    ab_mech_ctx_free(cb);
    ab_mech_close(a);
    ab_mech_close(b);
}

/* Writes n revocations straight through the store's publish/subscribe API (as logouts would). */
static void revoke_many(int n)
{
    sstore *st;
    sstore_pubsub *p;
    char store_uri[64], id[SSTORE_ID_LEN + 1], msg[64];
    int i;
    snprintf(store_uri, sizeof store_uri, "redis://127.0.0.1:%d", tmf.redis.port);
    assert_non_null(st = sstore_open(store_uri));
    assert_non_null(p = sstore_pubsub_connect(st));
    for (i = 0; i < n; i++) {
        assert_int_equal(sstore_id_new(id), SSTORE_OK);
        snprintf(msg, sizeof msg, "%s %lld", id, (long long)ab_wall_s() + 3600);
        assert_int_equal(sstore_pubsub_add_publish(p, "deny:", id, msg, 3600, "authbench:denylist", NULL), SSTORE_OK);
    }
    sstore_pubsub_free(p);
    sstore_close(st);
}

static void a_server_started_later_catches_up_from_the_store(void **state)
{
    ab_mech *a = open_server(), *late;
    ab_mech_ctx *ca = ctx_ok(a), *cl;
    ab_mech_shared_counters sh;
    char cred[2048];
    uint64_t t0, empty_us, full_us;
    (void)state;
    t0 = ab_now_us();
    ab_mech_close(open_server());
    empty_us = ab_now_us() - t0;
    login(ca, "bob", cred, sizeof cred);
    assert_int_equal(ab_mech_revoke(ca, cred, strlen(cred)), AB_MECH_OK);
    revoke_many(10000);
    t0 = ab_now_us();
    late = open_server(); /* opens once caught up */
    full_us = ab_now_us() - t0;
    cl = ctx_ok(late);
    assert_int_equal(tmf_check(cl, cred), AB_MECH_REVOKED); /* revoked before it started */
    print_message("  open with 0 revocations in the store: %.1f ms; with 10,001: %.1f ms (catch-up)\n",
                  empty_us / 1e3, full_us / 1e3);
    ab_mech_shared(late, &sh);
    assert_int_equal(sh.push_catchups, 1);
    assert_int_equal(sh.push_missed, 0); /* what came before the start is not missed */
    assert_true(sh.push_denylist >= 10001);
    assert_true(sh.push_last_catchup_us > 0);
    ab_mech_ctx_free(cl);
    ab_mech_close(late);
    ab_mech_ctx_free(ca);
    ab_mech_close(a);
}

static void a_broken_subscription_catches_up_again(void **state)
{
    ab_mech *a = open_server(), *b = open_server();
    ab_mech_ctx *ca = ctx_ok(a), *cb = ctx_ok(b);
    ab_mech_shared_counters sh;
    char cred[2048];
    uint64_t t0, lat;
    (void)state;
    login(ca, "carol", cred, sizeof cred);
    assert_int_equal(tsupport_redis_cmd(&tmf.redis, "CLIENT KILL TYPE pubsub"), 0);
    t0 = ab_now_us();
    assert_int_equal(ab_mech_revoke(ca, cred, strlen(cred)), AB_MECH_OK); /* b may not hear it */
    lat = tmf_until_refused(cb, cred, t0, 2000, 50);
    print_message("  after CLIENT KILL TYPE pubsub: refused by the other server %llu us after the revoke\n",
                  (unsigned long long)lat);
    do /* the catch-up's entries are in the set a moment before it is counted */
        ab_mech_shared(b, &sh);
    while (sh.push_catchups < 2 && ab_now_us() - t0 < 2000000 && usleep(1000) == 0);
    assert_int_equal(sh.push_breaks, 1);
    assert_int_equal(sh.push_catchups, 2);
    assert_int_equal(sh.push_missed + sh.push_heard, 1); /* missed and caught up, or heard after the resubscribe */
    ab_mech_ctx_free(ca);
    ab_mech_ctx_free(cb);
    ab_mech_close(a);
    ab_mech_close(b);
}

static void requests_are_answered_while_the_store_is_down(void **state)
{
    ab_mech *a = open_server();
    ab_mech_ctx *ca = ctx_ok(a);
    char good[2048], gone[2048];
    int i;
    (void)state;
    login(ca, "dave", good, sizeof good);
    login(ca, "erin", gone, sizeof gone);
    assert_int_equal(ab_mech_revoke(ca, gone, strlen(gone)), AB_MECH_OK);
    kill(tmf.redis.pid, SIGKILL); /* down, its directory kept for the restart */
    waitpid(tmf.redis.pid, NULL, 0);
    tmf.redis.pid = 0;
    for (i = 0; i < 50; i++) {
        assert_int_equal(tmf_check(ca, good), AB_MECH_OK);
        assert_int_equal(tmf_check(ca, gone), AB_MECH_REVOKED);
    }
    assert_int_equal(ab_mech_revoke(ca, good, strlen(good)), AB_MECH_STORE_ERROR); /* logout: 503 */
    assert_int_equal(tsupport_redis_restart(&tmf.redis), 0);
    ab_mech_ctx_free(ca);
    ab_mech_close(a);
}

static void it_needs_a_reachable_store_with_a_channel(void **state)
{
    ab_mech_options o = {tmf.ec, 3600};
    char bad[sizeof spec + 16];
    ab_mech *m;
    (void)state;
    m = ab_mech_open("jwt+pushed-denylist:ES256,memory://", &o);
    assert_non_null(strstr(ab_mech_errstr(m), "it needs redis:// (pub/sub), postgres:// (LISTEN/NOTIFY) or "
                                              "memcached:// (a polled log)"));
    ab_mech_close(m);
    m = ab_mech_open("jwt+pushed-denylist:ES256,redis://127.0.0.1:1", &o);
    assert_int_equal(ab_mech_err(m), AB_MECH_STORE_ERROR);
    assert_non_null(strstr(ab_mech_errstr(m), "denylist subscription"));
    ab_mech_close(m);
    m = ab_mech_open("jwt+pushed-denylist:ES256", &o);
    assert_non_null(strstr(ab_mech_errstr(m), "expected jwt+pushed-denylist:<ALG>,<URI>"));
    ab_mech_close(m);
    m = ab_mech_open(strcat(strcpy(bad, spec), "?sync_ms=50"), &o); /* Redis pushes: no poll interval */
    assert_non_null(strstr(ab_mech_errstr(m), "sync_ms= is for a store without pub/sub"));
    ab_mech_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_revocation_reaches_the_other_server_in_memory),
        cmocka_unit_test(a_server_started_later_catches_up_from_the_store),
        cmocka_unit_test(a_broken_subscription_catches_up_again),
        cmocka_unit_test(requests_are_answered_while_the_store_is_down),
        cmocka_unit_test(it_needs_a_reachable_store_with_a_channel),
    };
    return cmocka_run_group_tests(tests, group_setup, tmf_group_teardown);
}

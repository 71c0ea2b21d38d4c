/* test_pushed_stores.c — jwt+pushed-denylist over the stores without Redis pub/sub, through
 * ab_mech.h: PostgreSQL (LISTEN/NOTIFY) and memcached (a log polled every sync_ms), two mechanisms
 * on one store standing for two servers: a revocation reaches the other in memory (timed, against
 * its bound), a server started later catches up, a broken channel (PostgreSQL: its listening
 * backend terminated; memcached: its log flushed) catches up again and counts what it missed,
 * requests are answered while the store is down and the channel comes back after a restart. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include <sstore.h>

#include "ab_cli.h"
#include "ab_mech.h"
#include "store_test.h"
#include "test_mech_fixture.h"
#include "tsupport.h"

#define SYNC_MS 50

typedef struct store_case {
    const char *name;
    int pg;               /* 1 PostgreSQL, 0 memcached */
    ab_run_srv srv;
    char store_uri[600];  /* with short timeouts */
    char spec[800];
} store_case;

static store_case cases[] = {{"postgres", 1, {0}, "", ""}, {"memcached", 0, {0}, "", ""}};
static size_t current;

static int group_setup(void **state)
{
    store_case *sc = &cases[current];
    char url[sizeof sc->srv.url], uri[sizeof sc->store_uri];
    memcpy(url, sc->srv.url, sizeof url); /* copies: the compiler cannot tell the members apart */
    snprintf(uri, sizeof uri, "%s%stimeout_ms=2000&connect_timeout_ms=2000&reconnect_max_ms=100", url,
             strchr(url, '?') != NULL ? "&" : "?");
    memcpy(sc->store_uri, uri, sizeof uri);
    snprintf(sc->spec, sizeof sc->spec, "jwt+pushed-denylist:ES256,%s%s", uri, sc->pg ? "" : "&sync_ms=50");
    *state = sc;
    return 0;
}

/* The pushed denylist over the case's store (a "server"), asserting it opened. */
static ab_mech *open_server(const store_case *sc)
{
    ab_mech_options o = {tmf.ec, 3600};
    ab_mech *m = ab_mech_open(sc->spec, &o);
    assert_non_null(m);
    if (ab_mech_err(m) != 0)
        fail_msg("%s: %s", sc->spec, ab_mech_errstr(m));
    return m;
}

/* A shared counter of m once pred holds or 5 s passed. */
static ab_mech_shared_counters shared_when(ab_mech *m, int (*pred)(const ab_mech_shared_counters *))
{
    ab_mech_shared_counters sh;
    uint64_t t0 = ab_now_us();
    do
        ab_mech_shared(m, &sh);
    while (!pred(&sh) && ab_now_us() - t0 < 5000000 && usleep(1000) == 0);
    return sh;
}

static int caught_up_twice(const ab_mech_shared_counters *sh) { return sh->push_catchups >= 2; }

/* The revocations' medians and max against the bound the store states: memcached's is its sync
 * interval (+ two round trips), PostgreSQL's a notification's trip. */
static void a_revocation_reaches_the_other_server_within_its_bound(void **state)
{
    store_case *sc = *state;
    ab_mech *a = open_server(sc), *b = open_server(sc);
    ab_mech_ctx *ca = tmf_ctx_ok(a), *cb = tmf_ctx_ok(b);
    ab_mech_counters n0, n1;
    ab_mech_shared_counters sh;
    uint64_t lat[20], t0, tmp;
    char cred[2048];
    int i, j;
    for (i = 0; i < 20; i++) {
        tmf_issue_ok(ca, "alice", cred, sizeof cred);
        assert_int_equal(tmf_check(cb, cred), AB_MECH_OK);
        t0 = ab_now_us();
        assert_int_equal(ab_mech_revoke(ca, cred, strlen(cred)), AB_MECH_OK);
        assert_int_equal(tmf_check(ca, cred), AB_MECH_REVOKED); /* the logout's server: at once */
        lat[i] = tmf_until_refused(cb, cred, t0, 5000, 100);
        assert_int_equal(ab_mech_revoke(cb, cred, strlen(cred)), AB_MECH_REVOKED); /* already */
    }
    for (i = 1; i < 20; i++) /* sorted, for the median */
        for (j = i; j > 0 && lat[j - 1] > lat[j]; j--)
            tmp = lat[j], lat[j] = lat[j - 1], lat[j - 1] = tmp;
    print_message("  %s: to the other server, from the revoke call: p50 %llu us, max %llu us over 20%s\n", sc->name,
                  (unsigned long long)lat[10], (unsigned long long)lat[19], sc->pg ? "" : " (sync_ms=50)");
    /* the median within the bound with room for a loaded 2-core machine; the tail is its scheduling */
    assert_true(lat[10] <= (sc->pg ? 0 : SYNC_MS * 1000u) + 100000u);
    ab_mech_ctx_counters(cb, &n0);
    for (i = 0; i < 100; i++)
        assert_int_equal(tmf_check(cb, cred), AB_MECH_REVOKED);
    ab_mech_ctx_counters(cb, &n1);
    assert_int_equal(n1.store.round_trips - n0.store.round_trips, 0); /* no store round trip per request */
    ab_mech_shared(b, &sh);
    assert_int_equal(sh.push_sync_ms, sc->pg ? 0 : SYNC_MS);
    assert_int_equal(sh.push_gaps, 0);
    assert_true(sh.push_heard >= 20);
    ab_mech_ctx_free(ca);
    ab_mech_ctx_free(cb);
    ab_mech_close(a);
    ab_mech_close(b);
}

static void a_server_started_later_catches_up_from_the_store(void **state)
{
    store_case *sc = *state;
    ab_mech *a = open_server(sc), *late;
    ab_mech_ctx *ca = tmf_ctx_ok(a), *cl;
    ab_mech_shared_counters sh;
    char cred[2048];
    int i;
    for (i = 0; i < 3; i++) {
        tmf_issue_ok(ca, "bob", cred, sizeof cred);
        assert_int_equal(ab_mech_revoke(ca, cred, strlen(cred)), AB_MECH_OK);
    }
    late = open_server(sc); /* opens once caught up */
    cl = tmf_ctx_ok(late);
    assert_int_equal(tmf_check(cl, cred), AB_MECH_REVOKED); /* revoked before it started */
    ab_mech_shared(late, &sh);
    assert_int_equal(sh.push_catchups, 1);
    assert_int_equal(sh.push_missed, 0); /* what came before the start is not missed */
    assert_true(sh.push_denylist >= 3);
    ab_mech_ctx_free(cl);
    ab_mech_close(late);
    ab_mech_ctx_free(ca);
    ab_mech_close(a);
}

/* Breaks every subscriber's channel: PostgreSQL's listening backends terminated, memcached's log
 * flushed (as a restart or an eviction would lose it). */
static void break_channels(store_case *sc)
{
    char conninfo[700];
    PGconn *pg;
    PGresult *r;
    if (sc->pg) {
        snprintf(conninfo, sizeof conninfo, "%s", sc->srv.url);
        assert_non_null(pg = PQconnectdb(conninfo));
        assert_int_equal(PQstatus(pg), CONNECTION_OK);
        r = PQexec(pg, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'");
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        assert_true(PQntuples(r) >= 1);
        PQclear(r);
        PQfinish(pg);
    } else {
        assert_int_equal(ab_run_mc_flush(&sc->srv), 0);
    }
}

static void a_broken_channel_catches_up_again(void **state)
{
    store_case *sc = *state;
    ab_mech *a = open_server(sc), *b = open_server(sc);
    ab_mech_ctx *ca = tmf_ctx_ok(a), *cb = tmf_ctx_ok(b);
    ab_mech_shared_counters sh0, sh;
    char cred[2048];
    uint64_t t0, lat;
    tmf_issue_ok(ca, "carol", cred, sizeof cred);
    ab_mech_shared(b, &sh0);
    break_channels(sc);
    t0 = ab_now_us();
    assert_int_equal(ab_mech_revoke(ca, cred, strlen(cred)), AB_MECH_OK); /* b may not hear it */
    lat = tmf_until_refused(cb, cred, t0, 5000, 100);
    print_message("  %s: after the channel broke: refused by the other server %llu us after the revoke\n", sc->name,
                  (unsigned long long)lat);
    sh = shared_when(b, caught_up_twice);
    assert_int_equal(sh.push_breaks, 1);
    assert_int_equal(sh.push_catchups, 2);
    /* missed and caught up, or heard after the resubscribe */
    assert_int_equal(sh.push_missed + sh.push_heard - sh0.push_heard, 1);
    ab_mech_ctx_free(ca);
    ab_mech_ctx_free(cb);
    ab_mech_close(a);
    ab_mech_close(b);
}

static int caught_up_after_a_break(const ab_mech_shared_counters *sh) { return sh->push_breaks >= 1 && sh->push_catchups >= 2; }

static void requests_are_answered_while_the_store_is_down(void **state)
{
    store_case *sc = *state;
    ab_mech *a = open_server(sc), *b = open_server(sc);
    ab_mech_ctx *ca = tmf_ctx_ok(a), *cb = tmf_ctx_ok(b);
    ab_mech_shared_counters sh;
    char good[2048], gone[2048], err[256];
    uint64_t t0;
    int i, st;
    tmf_issue_ok(ca, "dave", good, sizeof good);
    tmf_issue_ok(ca, "erin", gone, sizeof gone);
    assert_int_equal(ab_mech_revoke(ca, gone, strlen(gone)), AB_MECH_OK);
    tmf_until_refused(cb, gone, ab_now_us(), 5000, 100);
    assert_int_equal(ab_run_srv_signal(&sc->srv, SIGKILL), 0);
    for (i = 0; i < 50; i++) {
        assert_int_equal(tmf_check(cb, good), AB_MECH_OK);
        assert_int_equal(tmf_check(cb, gone), AB_MECH_REVOKED);
    }
    assert_int_equal(ab_mech_revoke(ca, good, strlen(good)), AB_MECH_STORE_ERROR); /* logout: 503 */
    if (ab_run_srv_restart(&sc->srv, err, sizeof err) != 0)
        fail_msg("restart: %s", err);
    t0 = ab_now_us();
    while ((st = ab_mech_revoke(ca, good, strlen(good))) == AB_MECH_STORE_ERROR && ab_now_us() - t0 < 10000000)
        usleep(50000); /* the publisher reconnects after its backoff */
    assert_int_equal(st, AB_MECH_OK);
    tmf_until_refused(cb, good, t0, 10000, 100); /* the channel is back: heard, or found by its catch-up */
    sh = shared_when(b, caught_up_after_a_break);
    assert_true(sh.push_breaks >= 1);
    assert_true(sh.push_catchups >= 2);
    ab_mech_ctx_free(ca);
    ab_mech_ctx_free(cb);
    ab_mech_close(a);
    ab_mech_close(b);
}

/* What it refuses to open: a poll interval on a store that pushes, a bad one, a store without a channel. */
static void poll_intervals_are_checked(void **state)
{
    store_case *sc = *state;
    ab_mech_options o = {tmf.ec, 3600};
    char spec[900];
    ab_mech *m;
    snprintf(spec, sizeof spec, "jwt+pushed-denylist:ES256,%s&sync_ms=%s", sc->store_uri, sc->pg ? "50" : "0");
    m = ab_mech_open(spec, &o);
    assert_int_equal(ab_mech_err(m), AB_MECH_MALFORMED);
    assert_non_null(strstr(ab_mech_errstr(m), sc->pg ? "sync_ms= is for a store without pub/sub" : "sync_ms=0"));
    ab_mech_close(m);
    m = ab_mech_open("jwt:ES256?sync_ms=50", &o);
    assert_int_equal(ab_mech_err(m), AB_MECH_MALFORMED);
    ab_mech_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_revocation_reaches_the_other_server_within_its_bound),
        cmocka_unit_test(a_server_started_later_catches_up_from_the_store),
        cmocka_unit_test(a_broken_channel_catches_up_again),
        cmocka_unit_test(requests_are_answered_while_the_store_is_down),
        cmocka_unit_test(poll_intervals_are_checked),
    };
    int failed = 0;
    if (tmf_setup() != 0)
        return 1;
    if (st_server_start(&cases[0].srv, 1) != 0 || st_server_start(&cases[1].srv, 0) != 0) {
        st_server_stop(&cases[0].srv);
        tmf_teardown();
        return 1;
    }
    for (current = 0; current < sizeof cases / sizeof cases[0]; current++)
        failed += _cmocka_run_group_tests(cases[current].name, tests, sizeof tests / sizeof tests[0], group_setup, NULL);
    st_server_stop(&cases[1].srv);
    st_server_stop(&cases[0].srv);
    tmf_teardown();
    return failed;
}

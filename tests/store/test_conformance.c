/* test_conformance.c — one suite, run unchanged over every backend and option set: memory, Redis
 * (plain, and with an ACL user and a database), a 3-master Redis Cluster, files (page cache,
 * fsync+flock, O_DIRECT), PostgreSQL (logged, and unlogged with synchronous_commit off), memcached. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_test.h"
#include "tsupport.h"

#define THREADS 4
#define PER_THREAD 250
#define SHARED_ROUNDS 200

typedef struct backend_case {
    const char *name;
    const char *uri_fmt;   /* %d: redis port, %s: temp dir */
    int on;                /* the suite's server it needs (ST_REDIS…, store_test.h): %d its port, or
                            * two seeds' ports for ST_CLUSTER */
    int network;           /* counts round trips and socket bytes */
    int self_expiring;     /* the backend removes expired sessions only when swept (memory, file) */
    int fsync_always;
    int direct;
    int put_reply_bytes;   /* network stores: the bytes of a put's reply */
    char uri[600];
    char *dir;             /* the file case's temp dir */
} backend_case;

static backend_case cases[] = {
    {"memory", "memory://?ttl_sweep_ms=0", ST_NONE, 0, 1, 0, 0, 0, "", NULL},
    {"redis", "redis://127.0.0.1:%d", ST_REDIS, 1, 0, 0, 0, 5, "", NULL},          /* +OK\r\n */
    {"redis_acl_user_db2", "redis://suite:s3cret%%40x@127.0.0.1:%d/2?timeout_ms=5000", ST_REDIS, 1, 0, 0, 0, 5, "", NULL},
    {"redis_cluster", "redis-cluster://127.0.0.1:%d,127.0.0.1:%d", ST_CLUSTER, 1, 0, 0, 0, 5, "", NULL},
    {"file_pagecache", "file://%s?fsync=never&direct=0&lock=none", ST_NONE, 0, 1, 0, 0, 0, "", NULL},
    {"file_fsync_flock", "file://%s?fsync=always&lock=flock", ST_NONE, 0, 1, 1, 0, 0, "", NULL},
    {"file_direct_flock", "file://%s?direct=1&lock=flock", ST_NONE, 0, 1, 0, 1, 0, "", NULL},
    /* BindComplete 5 + NoData 5 (libpq describes the portal) + CommandComplete "INSERT 0 1" 16 + ReadyForQuery 6 */
    {"postgres", "postgres://authbench@127.0.0.1:%d/postgres", ST_POSTGRES, 1, 1, 0, 0, 32, "", NULL},
    {"postgres_unlogged_async_commit", "postgres://authbench@127.0.0.1:%d/postgres?table=sess_unlogged&unlogged=1&"
     "synchronous_commit=off&timeout_ms=5000", ST_POSTGRES, 1, 1, 0, 0, 32, "", NULL},
    {"memcached", "memcached://127.0.0.1:%d", ST_MEMCACHED, 1, 0, 0, 0, 8, "", NULL}, /* STORED\r\n */
};
#define NCASES (sizeof cases / sizeof cases[0])

static st_servers servers;
static size_t current;

static int group_setup(void **state)
{
    backend_case *bc = &cases[current];
    *state = bc;
    return st_case_uri(bc->uri, sizeof bc->uri, bc->uri_fmt, bc->on, &servers, &bc->dir);
}

static int group_teardown(void **state)
{
    st_case_dir_free(&((backend_case *)*state)->dir);
    return 0;
}

/* Per-test fixture: a store and a connection on the case's URI. */
typedef struct fixture {
    backend_case *bc;
    sstore *s;
    sstore_conn *c;
} fixture;

static fixture fx;

static int test_setup(void **state)
{
    fx.bc = *state;
    fx.s = st_open_ok(fx.bc->uri);
    fx.c = st_conn_ok(fx.s);
    *state = &fx;
    return 0;
}

static int test_teardown(void **state)
{
    fixture *f = *state;
    sstore_conn_free(f->c);
    sstore_close(f->s);
    *state = f->bc;
    return 0;
}

/* Asserts the status, printing the connection's message when it differs. */
static void expect_status(sstore_conn *c, int got, int want, const char *what)
{
    if (got != want)
        fail_msg("%s: got %s (%s), want %s", what, sstore_status_name(got), sstore_conn_errstr(c), sstore_status_name(want));
}

static void create_then_get_returns_the_claims_and_times(void **state)
{
    fixture *f = *state;
    char claims[256], id[SSTORE_ID_LEN + 1];
    size_t len = st_claims(claims, sizeof claims, "alice", 0);
    sstore_session s;
    int64_t before = (int64_t)time(NULL);
    expect_status(f->c, sstore_create(f->c, claims, len, 60, id), SSTORE_OK, "create");
    assert_int_equal(strlen(id), SSTORE_ID_LEN);
    assert_true(sstore_id_valid(id));
    expect_status(f->c, sstore_get(f->c, id, &s), SSTORE_OK, "get");
    assert_int_equal(s.data_len, len);
    assert_memory_equal(s.data, claims, len);
    assert_in_range(s.created, before - 1, before + 2);
    assert_true(s.last_seen >= s.created);
    assert_in_range(s.expires, s.created + 59, s.created + 61);
}

static void get_of_an_unknown_id_is_not_found(void **state)
{
    fixture *f = *state;
    sstore_session s;
    expect_status(f->c, sstore_get(f->c, "no-such-session", &s), SSTORE_NOT_FOUND, "get");
    assert_null(s.data);
    assert_int_equal(sstore_conn_err(f->c), SSTORE_OK);
}

static void put_uses_the_callers_id_and_refuses_a_taken_one(void **state)
{
    fixture *f = *state;
    char claims[128], id[SSTORE_ID_LEN + 1], other[128];
    size_t len = st_claims(claims, sizeof claims, "bob", 0), olen = st_claims(other, sizeof other, "eve", 0);
    sstore_session s;
    assert_int_equal(sstore_id_new(id), SSTORE_OK);
    expect_status(f->c, sstore_put(f->c, id, claims, len, 60), SSTORE_OK, "put");
    expect_status(f->c, sstore_put(f->c, id, other, olen, 60), SSTORE_EXISTS, "second put");
    expect_status(f->c, sstore_get(f->c, id, &s), SSTORE_OK, "get");
    assert_memory_equal(s.data, claims, len); /* the first owner's claims survive */
    expect_status(f->c, sstore_put(f->c, "x", claims, len, 60), SSTORE_OK, "put one-character id");
    expect_status(f->c, sstore_get(f->c, "x", &s), SSTORE_OK, "get one-character id");
}

static void delete_removes_the_session_and_a_second_delete_is_not_found(void **state)
{
    fixture *f = *state;
    char claims[128], id[SSTORE_ID_LEN + 1];
    size_t len = st_claims(claims, sizeof claims, "carol", 0);
    sstore_session s;
    expect_status(f->c, sstore_create(f->c, claims, len, 60, id), SSTORE_OK, "create");
    expect_status(f->c, sstore_delete(f->c, id), SSTORE_OK, "delete");
    expect_status(f->c, sstore_get(f->c, id, &s), SSTORE_NOT_FOUND, "get after delete");
    expect_status(f->c, sstore_delete(f->c, id), SSTORE_NOT_FOUND, "second delete");
    expect_status(f->c, sstore_touch(f->c, id, 60), SSTORE_NOT_FOUND, "touch after delete");
}

static void touch_moves_the_expiry_and_keeps_the_claims(void **state)
{
    fixture *f = *state;
    char claims[128], id[SSTORE_ID_LEN + 1];
    size_t len = st_claims(claims, sizeof claims, "dave", 0);
    sstore_session s;
    expect_status(f->c, sstore_create(f->c, claims, len, 60, id), SSTORE_OK, "create");
    expect_status(f->c, sstore_touch(f->c, id, 3600), SSTORE_OK, "touch");
    expect_status(f->c, sstore_get(f->c, id, &s), SSTORE_OK, "get");
    assert_in_range(s.expires, s.last_seen + 3599, s.last_seen + 3601);
    assert_int_equal(s.data_len, len);
    assert_memory_equal(s.data, claims, len);
    expect_status(f->c, sstore_touch(f->c, "never-created", 60), SSTORE_NOT_FOUND, "touch unknown");
}

static void sessions_expire_after_their_ttl_unless_touched(void **state)
{
    fixture *f = *state;
    char claims[128], gone[SSTORE_ID_LEN + 1], kept[SSTORE_ID_LEN + 1], lasting[SSTORE_ID_LEN + 1];
    char unread[SSTORE_ID_LEN + 1];
    size_t len = st_claims(claims, sizeof claims, "erin", 0);
    sstore_session s;
    long n;
    expect_status(f->c, sstore_create(f->c, claims, len, 1, gone), SSTORE_OK, "create gone");
    expect_status(f->c, sstore_create(f->c, claims, len, 1, kept), SSTORE_OK, "create kept");
    expect_status(f->c, sstore_create(f->c, claims, len, 30, lasting), SSTORE_OK, "create lasting");
    expect_status(f->c, sstore_create(f->c, claims, len, 1, unread), SSTORE_OK, "create unread");
    expect_status(f->c, sstore_get(f->c, gone, &s), SSTORE_OK, "get before expiry");
    st_sleep_ms(500);
    expect_status(f->c, sstore_touch(f->c, kept, 2), SSTORE_OK, "touch kept");
    st_sleep_ms(700);
    expect_status(f->c, sstore_get(f->c, gone, &s), SSTORE_NOT_FOUND, "get after expiry");
    expect_status(f->c, sstore_touch(f->c, gone, 60), SSTORE_NOT_FOUND, "touch after expiry");
    expect_status(f->c, sstore_delete(f->c, gone), SSTORE_NOT_FOUND, "delete after expiry");
    expect_status(f->c, sstore_get(f->c, kept, &s), SSTORE_OK, "get touched");
    expect_status(f->c, sstore_get(f->c, lasting, &s), SSTORE_OK, "get lasting");
    n = sstore_sweep(f->c);
    assert_true(n >= 0);
    if (f->bc->self_expiring)
        assert_true(n >= 1); /* "unread" was still on record until now */
    expect_status(f->c, sstore_put(f->c, gone, claims, len, 60), SSTORE_OK, "put reusing an expired id");
    expect_status(f->c, sstore_get(f->c, lasting, &s), SSTORE_OK, "sweep spared the live session");
    expect_status(f->c, sstore_get(f->c, unread, &s), SSTORE_NOT_FOUND, "get swept");
}

static void a_batch_get_reports_each_status_in_order(void **state)
{
    fixture *f = *state;
    char c1[128], c2[128], a[SSTORE_ID_LEN + 1], b[SSTORE_ID_LEN + 1];
    size_t l1 = st_claims(c1, sizeof c1, "frank", 0), l2 = st_claims(c2, sizeof c2, "grace", 0);
    const char *ids[4] = {a, "missing-id", "bad id!", b};
    sstore_session s[4];
    int status[4];
    expect_status(f->c, sstore_create(f->c, c1, l1, 60, a), SSTORE_OK, "create a");
    expect_status(f->c, sstore_create(f->c, c2, l2, 60, b), SSTORE_OK, "create b");
    expect_status(f->c, sstore_get_batch(f->c, ids, 4, s, status), SSTORE_OK, "batch");
    assert_int_equal(status[0], SSTORE_OK);
    assert_int_equal(status[1], SSTORE_NOT_FOUND);
    assert_int_equal(status[2], SSTORE_ERR_ARG);
    assert_int_equal(status[3], SSTORE_OK);
    assert_int_equal(s[0].data_len, l1); /* both stay valid together */
    assert_memory_equal(s[0].data, c1, l1);
    assert_int_equal(s[3].data_len, l2);
    assert_memory_equal(s[3].data, c2, l2);
    assert_null(s[1].data);
}

static void bad_arguments_are_refused_with_a_message(void **state)
{
    fixture *f = *state;
    char claims[128], id[SSTORE_ID_LEN + 1], longid[SSTORE_KEY_MAX + 2];
    size_t len = st_claims(claims, sizeof claims, "heidi", 0);
    sstore_counters before, after;
    sstore_session s;
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    sstore_conn_counters(f->c, &before);
    expect_status(f->c, sstore_get(f->c, "../etc/passwd", &s), SSTORE_ERR_ARG, "path-like id");
    assert_true(strlen(sstore_conn_errstr(f->c)) > 0);
    expect_status(f->c, sstore_get(f->c, longid, &s), SSTORE_ERR_ARG, "overlong id");
    expect_status(f->c, sstore_get(f->c, "", &s), SSTORE_ERR_ARG, "empty id");
    expect_status(f->c, sstore_create(f->c, claims, len, 0, id), SSTORE_ERR_ARG, "ttl 0");
    assert_string_equal(id, "");
    expect_status(f->c, sstore_create(f->c, "{\"a\":", 5, 60, id), SSTORE_ERR_ARG, "truncated claims");
    expect_status(f->c, sstore_create(f->c, "[1,2]", 5, 60, id), SSTORE_ERR_ARG, "claims not an object");
    expect_status(f->c, sstore_create(f->c, "{} x", 4, 60, id), SSTORE_ERR_ARG, "trailing garbage");
    expect_status(f->c, sstore_put(f->c, "ok", claims, len, SSTORE_TTL_MAX + 1LL), SSTORE_ERR_ARG, "ttl too long");
    sstore_conn_counters(f->c, &after);
    assert_int_equal(after.errors - before.errors, 8);
    assert_int_equal(after.ops - before.ops, 8);
}

static void claims_up_to_the_limit_round_trip_and_larger_are_refused(void **state)
{
    fixture *f = *state;
    char *claims = malloc(SSTORE_CLAIMS_MAX + 2), id[SSTORE_ID_LEN + 1];
    size_t len;
    sstore_session s;
    assert_non_null(claims);
    len = st_claims(claims, SSTORE_CLAIMS_MAX + 2, "ivan", SSTORE_CLAIMS_MAX);
    assert_int_equal(len, SSTORE_CLAIMS_MAX);
    expect_status(f->c, sstore_create(f->c, claims, len, 60, id), SSTORE_OK, "create at the limit");
    expect_status(f->c, sstore_get(f->c, id, &s), SSTORE_OK, "get at the limit");
    assert_int_equal(s.data_len, len);
    assert_memory_equal(s.data, claims, len);
    expect_status(f->c, sstore_touch(f->c, id, 60), SSTORE_OK, "touch at the limit");
    len = st_claims(claims, SSTORE_CLAIMS_MAX + 2, "ivan", SSTORE_CLAIMS_MAX + 1);
    expect_status(f->c, sstore_create(f->c, claims, len, 60, id), SSTORE_ERR_ARG, "create over the limit");
    free(claims);
}

static void counters_account_for_each_operation(void **state)
{
    fixture *f = *state;
    char claims[512], id[SSTORE_ID_LEN + 1];
    size_t len = st_claims(claims, sizeof claims, "judy", 400);
    sstore_counters a, b, d;
    sstore_session s;
    sstore_conn_counters(f->c, &a);
    expect_status(f->c, sstore_create(f->c, claims, len, 60, id), SSTORE_OK, "create");
    sstore_conn_counters(f->c, &b);
    sstore_counters_diff(&a, &b, &d);
    assert_int_equal(d.ops, 1);
    assert_int_equal(d.errors, 0);
    if (f->bc->network) {
        assert_int_equal(d.round_trips, 1);
        assert_true(d.net_bytes_out > len + 100 && d.net_bytes_out < len + 300); /* RESP SET key header+claims … */
        assert_int_equal(d.net_bytes_in, f->bc->put_reply_bytes);
    } else {
        assert_int_equal(d.round_trips, 0);
        assert_int_equal(d.net_bytes_out, 0);
    }
    if (strncmp(f->bc->name, "file", 4) == 0) {
        assert_true(d.disk_bytes_written > len && d.syscalls >= 4);
        assert_int_equal(d.fsyncs, f->bc->fsync_always ? 2 : 0); /* the file, then its folder */
    }
    expect_status(f->c, sstore_get(f->c, id, &s), SSTORE_OK, "get");
    sstore_conn_counters(f->c, &a);
    sstore_counters_diff(&b, &a, &d);
    assert_int_equal(d.ops, 1);
    if (f->bc->network)
        assert_true(d.round_trips == 1 && d.net_bytes_in > len);
    if (strncmp(f->bc->name, "file", 4) == 0)
        assert_true(d.disk_bytes_read > len && d.disk_bytes_written == 0 && d.fsyncs == 0);
    sstore_counters_add(&a, &d);
    assert_int_equal(a.ops, b.ops + 2);
}

/* One client thread of the concurrency test. */
typedef struct worker {
    sstore *store; /* shared by the threads (thread-safe); one connection each */
    const char *shared;
    int index;
    char ids[PER_THREAD][SSTORE_ID_LEN + 1];
    char failure[256];
} worker;

/* Records the failure of a worker (threads must not call cmocka asserts). Returns -1. */
static int worker_fail(worker *w, sstore_conn *c, const char *what, int st)
{
    snprintf(w->failure, sizeof w->failure, "thread %d: %s: %s (%s)", w->index, what, sstore_status_name(st),
             sstore_conn_errstr(c));
    return -1;
}

/* Creates its sessions, reads each back, touches the shared one, deletes its own. */
static int worker_body(worker *w, sstore_conn *c)
{
    char claims[128], sub[32];
    sstore_session s;
    int i, st;
    for (i = 0; i < PER_THREAD; i++) {
        snprintf(sub, sizeof sub, "t%d-%d", w->index, i);
        if ((st = sstore_create(c, claims, st_claims(claims, sizeof claims, sub, 0), 60, w->ids[i])) != SSTORE_OK)
            return worker_fail(w, c, "create", st);
    }
    for (i = 0; i < PER_THREAD; i++) {
        snprintf(sub, sizeof sub, "\"t%d-%d\"", w->index, i);
        if ((st = sstore_get(c, w->ids[i], &s)) != SSTORE_OK || memmem(s.data, s.data_len, sub, strlen(sub)) == NULL)
            return worker_fail(w, c, "get own session", st);
    }
    for (i = 0; i < SHARED_ROUNDS; i++)
        if ((st = sstore_touch(c, w->shared, 60)) != SSTORE_OK || (st = sstore_get(c, w->shared, &s)) != SSTORE_OK)
            return worker_fail(w, c, "touch+get shared session", st);
    for (i = 0; i < PER_THREAD; i++)
        if ((st = sstore_delete(c, w->ids[i])) != SSTORE_OK)
            return worker_fail(w, c, "delete own session", st);
    return 0;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    sstore_conn *c = sstore_connect(w->store);
    if (c == NULL || sstore_conn_err(c) != SSTORE_OK)
        snprintf(w->failure, sizeof w->failure, "thread %d: connect failed: %s", w->index,
                 c != NULL ? sstore_conn_errstr(c) : "out of memory");
    else
        worker_body(w, c);
    sstore_conn_free(c);
    return NULL;
}

static void concurrent_clients_never_collide_or_see_a_torn_session(void **state)
{
    fixture *f = *state;
    static worker w[THREADS];
    static char all[THREADS * PER_THREAD][SSTORE_ID_LEN + 1];
    pthread_t t[THREADS];
    char claims[128], shared[SSTORE_ID_LEN + 1];
    int i;
    expect_status(f->c, sstore_create(f->c, claims, st_claims(claims, sizeof claims, "shared", 0), 60, shared),
                  SSTORE_OK, "create shared");
    for (i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].store = f->s;
        w[i].shared = shared;
        w[i].index = i;
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (i = 0; i < THREADS; i++)
        if (w[i].failure[0] != '\0')
            fail_msg("%s", w[i].failure);
    for (i = 0; i < THREADS; i++)
        memcpy(all[i * PER_THREAD], w[i].ids, sizeof w[i].ids);
    st_assert_unique(all, THREADS * PER_THREAD);
}

/* 1 when a file store in a fresh temp dir opens with direct=1 (the store probes O_DIRECT). */
static int direct_supported(void)
{
    char *dir = tsupport_tmpdir("probe"), uri[600];
    sstore *s;
    int ok;
    if (dir == NULL)
        return 0;
    snprintf(uri, sizeof uri, "file://%s?direct=1", dir);
    s = sstore_open(uri);
    ok = s != NULL && sstore_err(s) == SSTORE_OK;
    sstore_close(s);
    tsupport_rmtree(dir);
    free(dir);
    return ok;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_then_get_returns_the_claims_and_times, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(get_of_an_unknown_id_is_not_found, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(put_uses_the_callers_id_and_refuses_a_taken_one, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(delete_removes_the_session_and_a_second_delete_is_not_found, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(touch_moves_the_expiry_and_keeps_the_claims, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(sessions_expire_after_their_ttl_unless_touched, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(a_batch_get_reports_each_status_in_order, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(bad_arguments_are_refused_with_a_message, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(claims_up_to_the_limit_round_trip_and_larger_are_refused, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(counters_account_for_each_operation, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(concurrent_clients_never_collide_or_see_a_torn_session, test_setup, test_teardown),
    };
    int failed = 0;
    if (st_servers_start(&servers) != 0)
        return 1;
    for (current = 0; current < NCASES; current++) {
        if (cases[current].direct && !direct_supported()) {
            fprintf(stderr, "note: %s not run: the filesystem of TMPDIR has no O_DIRECT\n", cases[current].name);
            continue;
        }
        failed += _cmocka_run_group_tests(cases[current].name, tests, sizeof tests / sizeof tests[0], group_setup,
                                          group_teardown);
    }
    st_servers_stop(&servers);
    return failed;
}

/* test_async_conformance.c — the non-blocking API (sstore_async_*) over every backend, driven by the
 * tests' epoll loop: the blocking suite's outcomes, many operations in flight (pipelined: fewer
 * round trips than operations on the network stores), submits from inside callbacks, and a free
 * with operations in flight completing each exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_loop.h"
#include "store_test.h"
#include "tsupport.h"

#define INFLIGHT 200
#define WAIT_MS 20000

typedef struct async_case {
    const char *name;
    const char *uri_fmt; /* %d: redis port (two for the cluster's seeds), %s: temp dir */
    int on;              /* the suite's server it needs (ST_REDIS…, store_test.h) */
    int inline_done;     /* memory: completes inside the submit */
    char uri[600];
    char *dir;
} async_case;

static async_case cases[] = {
    {"memory", "memory://?ttl_sweep_ms=0", ST_NONE, 1, "", NULL},
    {"redis", "redis://127.0.0.1:%d", ST_REDIS, 0, "", NULL},
    {"redis_acl_user_db2", "redis://suite:s3cret%%40x@127.0.0.1:%d/2?timeout_ms=5000", ST_REDIS, 0, "", NULL},
    {"redis_cluster", "redis-cluster://127.0.0.1:%d,127.0.0.1:%d", ST_CLUSTER, 0, "", NULL},
    {"file_pagecache", "file://%s?fsync=never", ST_NONE, 0, "", NULL},
    {"file_fsync_flock", "file://%s?fsync=always&lock=flock", ST_NONE, 0, "", NULL},
    {"postgres", "postgres://authbench@127.0.0.1:%d/postgres", ST_POSTGRES, 0, "", NULL},
    {"memcached", "memcached://127.0.0.1:%d", ST_MEMCACHED, 0, "", NULL},
};
#define NCASES (sizeof cases / sizeof cases[0])

static st_servers servers;
static size_t current;

static int group_setup(void **state)
{
    async_case *ac = &cases[current];
    *state = ac;
    return st_case_uri(ac->uri, sizeof ac->uri, ac->uri_fmt, ac->on, &servers, &ac->dir);
}

static int group_teardown(void **state)
{
    st_case_dir_free(&((async_case *)*state)->dir);
    return 0;
}

typedef struct fixture {
    async_case *ac;
    sstore *s;
    st_loop L;
    size_t count; /* completions so far */
} fixture;

static fixture fx;

static int test_setup(void **state)
{
    memset(&fx, 0, sizeof fx);
    fx.ac = *state;
    fx.s = st_open_ok(fx.ac->uri);
    st_loop_init(&fx.L);
    st_async_ok(&fx.L, fx.s);
    *state = &fx;
    return 0;
}

static int test_teardown(void **state)
{
    fixture *f = *state;
    sstore_async_free(f->L.a);
    st_loop_close(&f->L);
    sstore_close(f->s);
    *state = f->ac;
    return 0;
}

/* Runs the loop until d has completed, and checks its status. */
static void wait_for(fixture *f, st_done *d, int want, const char *what)
{
    d->count = &f->count;
    while (d->calls == 0) {
        size_t before = f->count;
        st_loop_until(&f->L, &f->count, before + 1, WAIT_MS);
    }
    if (d->status != want)
        fail_msg("%s: got %s (%s), want %s", what, sstore_status_name(d->status), sstore_async_errstr(f->L.a),
                 sstore_status_name(want));
}

/* Submits a create and waits for it; the new id into id. */
static void create_one(fixture *f, const char *claims, size_t len, char *id)
{
    st_done d = {0};
    d.count = &f->count;
    assert_int_equal(sstore_async_create(f->L.a, claims, len, 60, st_done_cb, &d), SSTORE_OK);
    wait_for(f, &d, SSTORE_OK, "create");
    assert_int_equal(strlen(d.id), SSTORE_ID_LEN);
    strcpy(id, d.id);
}

static void create_then_get_returns_the_claims_and_times(void **state)
{
    fixture *f = *state;
    char claims[256], id[SSTORE_ID_LEN + 1];
    size_t len = st_claims(claims, sizeof claims, "alice", 0);
    int64_t before = (int64_t)time(NULL);
    st_done g = {0};
    create_one(f, claims, len, id);
    assert_true(sstore_id_valid(id));
    assert_int_equal(sstore_async_get(f->L.a, id, st_done_cb, &g), SSTORE_OK);
    wait_for(f, &g, SSTORE_OK, "get");
    assert_int_equal(g.data_len, len);
    assert_memory_equal(g.data, claims, len);
    assert_in_range(g.created, before - 1, before + 2);
    assert_in_range(g.expires - g.created, 59, 61);
    assert_string_equal(g.id, id);
}

static void get_of_an_unknown_id_is_not_found(void **state)
{
    fixture *f = *state;
    st_done g = {0};
    assert_int_equal(sstore_async_get(f->L.a, "no-such-session-id", st_done_cb, &g), SSTORE_OK);
    wait_for(f, &g, SSTORE_NOT_FOUND, "get unknown");
    assert_string_equal(sstore_async_errstr(f->L.a), "");
}

static void put_uses_the_callers_id_and_refuses_a_taken_one(void **state)
{
    fixture *f = *state;
    char id[40];
    st_done p1 = {0}, p2 = {0}, g = {0};
    snprintf(id, sizeof id, "jti-%s-%lld", f->ac->name, st_now_ms());
    assert_int_equal(sstore_async_put(f->L.a, id, "{\"a\":1}", 7, 60, st_done_cb, &p1), SSTORE_OK);
    wait_for(f, &p1, SSTORE_OK, "put");
    assert_int_equal(sstore_async_put(f->L.a, id, "{\"a\":2}", 7, 60, st_done_cb, &p2), SSTORE_OK);
    wait_for(f, &p2, SSTORE_EXISTS, "second put");
    assert_int_equal(sstore_async_get(f->L.a, id, st_done_cb, &g), SSTORE_OK);
    wait_for(f, &g, SSTORE_OK, "get");
    assert_memory_equal(g.data, "{\"a\":1}", 7);
}

static void delete_removes_the_session_and_a_second_delete_is_not_found(void **state)
{
    fixture *f = *state;
    char id[SSTORE_ID_LEN + 1];
    st_done d1 = {0}, d2 = {0}, g = {0};
    create_one(f, "{}", 2, id);
    assert_int_equal(sstore_async_delete(f->L.a, id, st_done_cb, &d1), SSTORE_OK);
    wait_for(f, &d1, SSTORE_OK, "delete");
    assert_int_equal(sstore_async_delete(f->L.a, id, st_done_cb, &d2), SSTORE_OK);
    wait_for(f, &d2, SSTORE_NOT_FOUND, "second delete");
    assert_int_equal(sstore_async_get(f->L.a, id, st_done_cb, &g), SSTORE_OK);
    wait_for(f, &g, SSTORE_NOT_FOUND, "get after delete");
}

static void touch_moves_the_expiry_and_keeps_the_claims(void **state)
{
    fixture *f = *state;
    char id[SSTORE_ID_LEN + 1];
    st_done t = {0}, g = {0}, t2 = {0};
    create_one(f, "{\"k\":\"v\"}", 9, id);
    assert_int_equal(sstore_async_touch(f->L.a, id, 3600, st_done_cb, &t), SSTORE_OK);
    wait_for(f, &t, SSTORE_OK, "touch");
    assert_int_equal(sstore_async_get(f->L.a, id, st_done_cb, &g), SSTORE_OK);
    wait_for(f, &g, SSTORE_OK, "get after touch");
    assert_memory_equal(g.data, "{\"k\":\"v\"}", 9);
    assert_in_range(g.expires - g.last_seen, 3599, 3601);
    assert_int_equal(sstore_async_touch(f->L.a, "never-created", 60, st_done_cb, &t2), SSTORE_OK);
    wait_for(f, &t2, SSTORE_NOT_FOUND, "touch unknown");
}

/* Never called: a refused submit must not complete. */
static void never_cb(void *arg, int status, const sstore_result *r)
{
    (void)arg;
    (void)r;
    fail_msg("a refused submit completed with %s", sstore_status_name(status));
}

static void bad_arguments_are_refused_at_submit_without_a_callback(void **state)
{
    fixture *f = *state;
    sstore_async *a = f->L.a;
    assert_int_equal(sstore_async_get(a, "bad id!", never_cb, NULL), SSTORE_ERR_ARG);
    assert_non_null(strstr(sstore_async_errstr(a), "bad session id"));
    assert_int_equal(sstore_async_put(a, "ok-id", "[1]", 3, 60, never_cb, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_async_put(a, "ok-id", "{}", 2, 0, never_cb, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_async_create(a, NULL, 0, 60, never_cb, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_async_touch(a, "ok-id", -5, never_cb, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_async_delete(a, "", never_cb, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_async_get(a, "ok-id", NULL, NULL), SSTORE_ERR_ARG);
    assert_int_equal(sstore_async_pending(a), 0);
    st_loop_once(&f->L, 20);
}

static void many_operations_in_flight_each_complete_once_with_their_own_result(void **state)
{
    fixture *f = *state;
    static st_done put[INFLIGHT], get[INFLIGHT];
    static char ids[INFLIGHT][48], claims[INFLIGHT][64];
    sstore_counters c0, c1;
    size_t i, len[INFLIGHT];
    memset(put, 0, sizeof put);
    memset(get, 0, sizeof get);
    sstore_async_counters(f->L.a, &c0);
    for (i = 0; i < INFLIGHT; i++) {
        snprintf(ids[i], sizeof ids[i], "many-%s-%zu-%lld", f->ac->name, i, st_now_ms());
        len[i] = (size_t)snprintf(claims[i], sizeof claims[i], "{\"n\":%zu}", i);
        put[i].count = get[i].count = &f->count;
        assert_int_equal(sstore_async_put(f->L.a, ids[i], claims[i], len[i], 60, st_done_cb, &put[i]), SSTORE_OK);
        assert_int_equal(sstore_async_get(f->L.a, ids[i], st_done_cb, &get[i]), SSTORE_OK);
    }
    if (!f->ac->inline_done) /* redis: nothing written yet; file: workers answer through the loop only */
        assert_int_equal(f->count, 0);
    st_loop_until(&f->L, &f->count, 2 * INFLIGHT, WAIT_MS);
    for (i = 0; i < INFLIGHT; i++) {
        assert_int_equal(put[i].status, SSTORE_OK);
        if (get[i].status != SSTORE_OK || get[i].data_len != len[i] || memcmp(get[i].data, claims[i], len[i]) != 0)
            fail_msg("get %zu: %s, %zu bytes", i, sstore_status_name(get[i].status), get[i].data_len);
    }
    assert_int_equal(sstore_async_pending(f->L.a), 0);
    sstore_async_counters(f->L.a, &c1);
    assert_int_equal(c1.ops - c0.ops, 2 * INFLIGHT);
    assert_int_equal(c1.errors - c0.errors, 0);
    if (f->ac->on != ST_NONE) { /* pipelined: operations share writes */
        assert_true(c1.round_trips > c0.round_trips);
        assert_true((c1.round_trips - c0.round_trips) * 4 <= 2 * INFLIGHT);
    }
}

/* A chain of operations, each submitted from the previous one's callback. */
typedef struct chain {
    sstore_async *a;
    int step;
    int inline_depth; /* memory: how deep submits nested (must stay 1) */
    int depth, max_depth;
    char id[SSTORE_ID_LEN + 1];
    int status[4];
    size_t got_len;
    size_t *count;
} chain;

static void chain_cb(void *arg, int status, const sstore_result *r)
{
    chain *ch = arg;
    int st = SSTORE_OK;
    if (++ch->depth > ch->max_depth)
        ch->max_depth = ch->depth;
    ch->status[ch->step] = status;
    if (ch->step == 0)
        snprintf(ch->id, sizeof ch->id, "%s", r->id);
    if (ch->step == 1)
        ch->got_len = r->session.data_len;
    switch (ch->step++) {
    case 0:
        st = sstore_async_get(ch->a, ch->id, chain_cb, ch);
        break;
    case 1:
        st = sstore_async_delete(ch->a, ch->id, chain_cb, ch);
        assert_int_equal(r->session.data_len, 8); /* still valid after a submit from within */
        break;
    case 2:
        st = sstore_async_get(ch->a, ch->id, chain_cb, ch);
        break;
    default:
        (*ch->count)++;
    }
    assert_int_equal(st, SSTORE_OK);
    ch->depth--;
}

static void a_callback_may_submit_the_next_operation(void **state)
{
    fixture *f = *state;
    chain ch;
    memset(&ch, 0, sizeof ch);
    ch.a = f->L.a;
    ch.count = &f->count;
    assert_int_equal(sstore_async_create(f->L.a, "{\"c\":12}", 8, 60, chain_cb, &ch), SSTORE_OK);
    if (f->ac->inline_done)
        assert_int_equal(ch.step, 4); /* memory: the whole chain ran inside the submit */
    st_loop_until(&f->L, &f->count, 1, WAIT_MS);
    assert_int_equal(ch.step, 4);
    assert_int_equal(ch.status[0], SSTORE_OK);
    assert_int_equal(ch.status[1], SSTORE_OK);
    assert_int_equal(ch.got_len, 8);
    assert_int_equal(ch.status[2], SSTORE_OK);
    assert_int_equal(ch.status[3], SSTORE_NOT_FOUND);
    assert_int_equal(ch.max_depth, 1); /* never a callback inside a callback */
}

static void freeing_with_operations_in_flight_completes_each_once_with_closed(void **state)
{
    fixture *f = *state;
    static st_done d[INFLIGHT];
    size_t i, closed = 0;
    memset(d, 0, sizeof d);
    for (i = 0; i < INFLIGHT; i++) {
        d[i].count = &f->count;
        assert_int_equal(sstore_async_get(f->L.a, "some-id", st_done_cb, &d[i]), SSTORE_OK);
    }
    sstore_async_free(f->L.a);
    f->L.a = NULL;
    assert_int_equal(f->count, INFLIGHT);
    for (i = 0; i < INFLIGHT; i++) {
        assert_int_equal(d[i].calls, 1);
        closed += d[i].status == SSTORE_ERR_CLOSED;
        if (d[i].status != SSTORE_ERR_CLOSED)
            assert_int_equal(d[i].status, SSTORE_NOT_FOUND); /* memory: done before the free */
    }
    if (!f->ac->inline_done)
        assert_true(closed > 0);
}

/* Frees the handle from inside the first callback; later submits are refused. */
typedef struct freer {
    st_loop *L;
    sstore *s;
    int calls;
    int refused;
} freer;

static void freer_cb(void *arg, int status, const sstore_result *r)
{
    freer *fr = arg;
    (void)r;
    if (fr->calls++ == 0 && fr->L->a != NULL) {
        sstore_async *a = fr->L->a;
        sstore_async_free(a);
        fr->refused = sstore_async_get(a, "after-free", never_cb, NULL) == SSTORE_ERR_CLOSED; /* still being freed */
        fr->L->a = NULL;
    } else {
        assert_int_equal(status, SSTORE_ERR_CLOSED);
    }
}

static void freeing_from_inside_a_callback_completes_the_rest_once(void **state)
{
    fixture *f = *state;
    freer fr = {&f->L, f->s, 0, 0};
    int i, n;
    for (n = 0; n < 50 && f->L.a != NULL; n++) /* memory: the first completes, and frees, inline */
        assert_int_equal(sstore_async_get(f->L.a, "x-id", freer_cb, &fr), SSTORE_OK);
    for (i = 0; i < 200 && fr.calls == 0; i++)
        st_loop_once(&f->L, 50);
    assert_null(f->L.a);
    assert_int_equal(fr.calls, n);
    assert_true(fr.refused);
    if (!f->ac->inline_done)
        assert_int_equal(n, 50);
}

static void blocking_and_non_blocking_calls_see_the_same_sessions(void **state)
{
    fixture *f = *state;
    sstore_conn *c = st_conn_ok(f->s);
    char id[SSTORE_ID_LEN + 1];
    sstore_session s;
    st_done g = {0};
    create_one(f, "{\"both\":true}", 13, id);
    assert_int_equal(sstore_get(c, id, &s), SSTORE_OK);
    assert_memory_equal(s.data, "{\"both\":true}", 13);
    assert_int_equal(sstore_delete(c, id), SSTORE_OK);
    assert_int_equal(sstore_async_get(f->L.a, id, st_done_cb, &g), SSTORE_OK);
    wait_for(f, &g, SSTORE_NOT_FOUND, "get after a blocking delete");
    sstore_conn_free(c);
}

/* What a caller decides on (the mechanism layer gives a loop a blocking connection then): only
 * memory completes inside the submit; a store that did not open completes nothing. */
static void the_store_says_whether_it_completes_inline(void **state)
{
    fixture *f = *state;
    sstore *bad = sstore_open("memory://?ttl_sweep_ms=x");
    assert_int_equal(sstore_completes_inline(f->s), f->ac->inline_done);
    assert_int_not_equal(sstore_err(bad), SSTORE_OK);
    assert_int_equal(sstore_completes_inline(bad), 0);
    sstore_close(bad);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(create_then_get_returns_the_claims_and_times),
        T(get_of_an_unknown_id_is_not_found),
        T(put_uses_the_callers_id_and_refuses_a_taken_one),
        T(delete_removes_the_session_and_a_second_delete_is_not_found),
        T(touch_moves_the_expiry_and_keeps_the_claims),
        T(bad_arguments_are_refused_at_submit_without_a_callback),
        T(many_operations_in_flight_each_complete_once_with_their_own_result),
        T(a_callback_may_submit_the_next_operation),
        T(freeing_with_operations_in_flight_completes_each_once_with_closed),
        T(freeing_from_inside_a_callback_completes_the_rest_once),
        T(blocking_and_non_blocking_calls_see_the_same_sessions),
        T(the_store_says_whether_it_completes_inline),
    };
    int failed = 0;
    if (st_servers_start(&servers) != 0)
        return 1;
    for (current = 0; current < NCASES; current++)
        failed += _cmocka_run_group_tests(cases[current].name, tests, sizeof tests / sizeof tests[0], group_setup,
                                          group_teardown);
    st_servers_stop(&servers);
    return failed;
}

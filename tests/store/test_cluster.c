/* test_cluster.c — the redis-cluster:// store on a private 3-master cluster: keys routed to the slot
 * the server computes, sessions spread over the masters with one round trip per master for a batch,
 * a slot migrated step by step (ASK, then MOVED) and under load (no failed operation; also with the
 * non-blocking API, pipelined: none lost, failed or out of its session's order), and clear
 * errors for bad URIs, a non-cluster server and an unreachable one. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "cluster_slots.h"
#include "sstore.h"
#include "store_loop.h"
#include "store_test.h"
#include "tsupport.h"

#define N_SLOT_IDS 24   /* sessions in the migrated slot */
#define N_OTHER_IDS 24  /* sessions elsewhere */
#define LOAD_THREADS 2

static tsupport_cluster cluster;
static char uri[256];

/* An admin connection to node i; fails the test when it cannot connect. */
static redisContext *admin(int i)
{
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", cluster.nodes[i].port, tv);
    if (c == NULL || c->err)
        fail_msg("cannot connect to cluster node %d", i);
    return c;
}

/* Runs an admin command on node i; fails the test on an error reply. Returns the reply. */
static redisReply *admin_cmd(int i, const char *fmt, ...)
{
    redisContext *c = admin(i);
    redisReply *r;
    va_list ap;
    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    redisFree(c);
    if (r == NULL || r->type == REDIS_REPLY_ERROR)
        fail_msg("node %d: %s: %s", i, fmt, r ? r->str : "no reply");
    return r;
}

/* Node i's cluster id into id (41 bytes). */
static void node_id(int i, char *id)
{
    redisReply *r = admin_cmd(i, "CLUSTER MYID");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    snprintf(id, 41, "%s", r->str);
    freeReplyObject(r);
}

/* The index of the node that owns slot, as node 0 sees the map. */
static int slot_owner(unsigned slot)
{
    redisReply *r = admin_cmd(0, "CLUSTER SLOTS");
    sstore_cluster_range *rg = NULL;
    char err[160];
    size_t n = 0, k;
    int i, owner = -1;
    assert_int_equal(sstore_cluster_slots_parse(r, "127.0.0.1", &rg, &n, err, sizeof err), 0);
    for (k = 0; k < n; k++)
        if (slot >= rg[k].first && slot <= rg[k].last)
            for (i = 0; i < TSUPPORT_CLUSTER_NODES; i++)
                if (cluster.nodes[i].port == rg[k].port)
                    owner = i;
    free(rg);
    freeReplyObject(r);
    assert_true(owner >= 0);
    return owner;
}

/* The slot of session id (its key is "sess:<id>"). */
static unsigned session_slot(const char *id)
{
    char key[160];
    int n = snprintf(key, sizeof key, "sess:%s", id);
    return sstore_cluster_keyslot(key, (size_t)n);
}

/* Fills ids[0..n) with fresh ids (prefix tag) whose session key hashes to slot. */
static void ids_in_slot(unsigned slot, const char *tag, char (*ids)[32], size_t n)
{
    size_t k = 0;
    unsigned long i;
    for (i = 0; k < n; i++) {
        snprintf(ids[k], sizeof ids[k], "%s%lu", tag, i);
        if (session_slot(ids[k]) == slot)
            k++;
    }
}

static int group_setup(void **state)
{
    (void)state;
    if (tsupport_cluster_start(&cluster) != 0)
        return -1;
    snprintf(uri, sizeof uri, "redis-cluster://127.0.0.1:%d", cluster.nodes[0].port);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tsupport_cluster_stop(&cluster);
    return 0;
}

static void every_key_goes_to_the_slot_the_server_computes(void **state)
{
    static const char *const keys[] = {"sess:abc", "{user1}.a", "{user1}.b", "{}.a", "{user1", "user1}", "a{b}{c}",
                                       "{{x}}", "123456789", ""};
    char key[64];
    size_t i;
    (void)state;
    for (i = 0; i < 300; i++) {
        redisReply *r;
        if (i < sizeof keys / sizeof keys[0])
            snprintf(key, sizeof key, "%s", keys[i]);
        else
            snprintf(key, sizeof key, "sess:%08zx{%zu}%zu", i * 2654435761u, i % 7, i);
        r = admin_cmd((int)(i % TSUPPORT_CLUSTER_NODES), "CLUSTER KEYSLOT %s", key);
        if (r->integer != (long long)sstore_cluster_keyslot(key, strlen(key)))
            fail_msg("key '%s': server says slot %lld, we say %u", key, r->integer, sstore_cluster_keyslot(key, strlen(key)));
        freeReplyObject(r);
    }
}

static void sessions_spread_over_the_masters_and_a_batch_takes_one_round_trip_each(void **state)
{
    sstore *s = st_open_ok(uri);
    sstore_conn *c = st_conn_ok(s);
    char ids[60][SSTORE_ID_LEN + 1], claims[128];
    const char *ptr[60];
    sstore_session out[60];
    sstore_counters a, b;
    int status[60], i;
    (void)state;
    for (i = 0; i < 60; i++) {
        assert_int_equal(sstore_create(c, claims, st_claims(claims, sizeof claims, "spread", 0), 60, ids[i]), SSTORE_OK);
        ptr[i] = ids[i];
    }
    for (i = 0; i < TSUPPORT_CLUSTER_NODES; i++) {
        redisReply *r = admin_cmd(i, "DBSIZE");
        assert_true(r->integer > 0); /* 60 random ids leave no master without one */
        freeReplyObject(r);
    }
    sstore_conn_counters(c, &a);
    assert_int_equal(sstore_get_batch(c, ptr, 60, out, status), SSTORE_OK);
    sstore_conn_counters(c, &b);
    for (i = 0; i < 60; i++)
        assert_int_equal(status[i], SSTORE_OK);
    assert_int_equal(b.round_trips - a.round_trips, TSUPPORT_CLUSTER_NODES);
    assert_int_equal(b.redirects - a.redirects, 0);
    assert_int_equal(b.ops - a.ops, 60);
    assert_memory_equal(out[59].data, claims, out[59].data_len);
    sstore_conn_free(c);
    sstore_close(s);
}

/* The three roles of a migration: the source (owner), the target and the third master. */
typedef struct migration {
    unsigned slot;
    int from, to, other;
    char from_id[41], to_id[41];
} migration;

/* Picks the slot of anchor's session key and the nodes around it; marks it IMPORTING on the target
 * and MIGRATING on the source. */
static void migration_begin(migration *m, const char *anchor)
{
    redisReply *r;
    m->slot = session_slot(anchor);
    m->from = slot_owner(m->slot);
    m->to = (m->from + 1) % TSUPPORT_CLUSTER_NODES;
    m->other = (m->from + 2) % TSUPPORT_CLUSTER_NODES;
    node_id(m->from, m->from_id);
    node_id(m->to, m->to_id);
    r = admin_cmd(m->to, "CLUSTER SETSLOT %u IMPORTING %s", m->slot, m->from_id);
    freeReplyObject(r);
    r = admin_cmd(m->from, "CLUSTER SETSLOT %u MIGRATING %s", m->slot, m->to_id);
    freeReplyObject(r);
}

/* Moves session id's key from the source to the target (MIGRATE). */
static void migration_move(const migration *m, const char *id)
{
    redisReply *r = admin_cmd(m->from, "MIGRATE 127.0.0.1 %d sess:%s 0 5000", cluster.nodes[m->to].port, id);
    freeReplyObject(r);
}

/* Gives the slot to the target on every master (target first, as the Redis manual orders it). */
static void migration_end(const migration *m)
{
    int order[3] = {m->to, m->from, m->other}, i;
    for (i = 0; i < 3; i++) {
        redisReply *r = admin_cmd(order[i], "CLUSTER SETSLOT %u NODE %s", m->slot, m->to_id);
        freeReplyObject(r);
    }
}

/* Asserts an operation's status, with the connection's message when it differs. */
static void expect_ok(sstore_conn *c, int st, const char *what)
{
    if (st != SSTORE_OK)
        fail_msg("%s: %s (%s)", what, sstore_status_name(st), sstore_conn_errstr(c));
}

static void a_slot_migrated_step_by_step_is_followed_through_ask_then_moved(void **state)
{
    sstore *s = st_open_ok(uri);
    sstore_conn *c = st_conn_ok(s);
    char ids[3][32], claims[128];
    size_t len = st_claims(claims, sizeof claims, "migrant", 0);
    sstore_counters a, b, d;
    sstore_session out;
    migration m;
    (void)state;
    ids_in_slot(session_slot("step-anchor"), "step", ids, 3);
    expect_ok(c, sstore_put(c, ids[0], claims, len, 60), "put a");
    expect_ok(c, sstore_put(c, ids[1], claims, len, 60), "put b");
    sstore_conn_counters(c, &a);
    migration_begin(&m, "step-anchor");
    migration_move(&m, ids[0]);
    expect_ok(c, sstore_get(c, ids[0], &out), "get a (moved key: ASK)");
    assert_memory_equal(out.data, claims, len);
    expect_ok(c, sstore_get(c, ids[1], &out), "get b (not moved yet)");
    expect_ok(c, sstore_put(c, ids[2], claims, len, 60), "put c (new key in a migrating slot: ASK)");
    expect_ok(c, sstore_touch(c, ids[0], 120), "touch a (ASK)");
    sstore_conn_counters(c, &b);
    sstore_counters_diff(&a, &b, &d);
    assert_true(d.redirects >= 3);
    migration_move(&m, ids[1]);
    migration_end(&m);
    expect_ok(c, sstore_get(c, ids[1], &out), "get b (slot moved: MOVED)");
    sstore_conn_counters(c, &a);
    assert_int_equal(a.redirects - b.redirects, 1);
    expect_ok(c, sstore_get(c, ids[0], &out), "get a after the move");
    expect_ok(c, sstore_get(c, ids[2], &out), "get c after the move");
    sstore_conn_counters(c, &b);
    assert_int_equal(b.redirects, a.redirects); /* the map was read again: no more redirects */
    assert_int_equal(b.errors, 0);
    sstore_conn_free(c);
    sstore_close(s);
}

/* Stores the sessions of a load: N_SLOT_IDS in the slot of "<tag>-anchor", N_OTHER_IDS elsewhere. */
static void put_load_sessions(sstore_conn *c, char (*ids)[32], const char *tag, const char *claims, size_t len)
{
    char anchor[40];
    size_t i;
    snprintf(anchor, sizeof anchor, "%s-anchor", tag);
    ids_in_slot(session_slot(anchor), tag, ids, N_SLOT_IDS);
    for (i = N_SLOT_IDS; i < N_SLOT_IDS + N_OTHER_IDS; i++)
        snprintf(ids[i], sizeof ids[i], "%s-other%zu", tag, i);
    for (i = 0; i < N_SLOT_IDS + N_OTHER_IDS; i++)
        expect_ok(c, sstore_put(c, ids[i], claims, len, 60), "put");
}

/* One load thread: gets (and every fourth time touches) every session until stop is set. */
typedef struct loader {
    sstore *store;
    char (*ids)[32];
    size_t nids;
    volatile sig_atomic_t *stop;
    uint64_t ops;
    sstore_counters ctr;
    char failure[256];
} loader;

static void *loader_main(void *arg)
{
    loader *l = arg;
    sstore_conn *c = sstore_connect(l->store);
    sstore_session out;
    size_t i;
    int st = c != NULL ? sstore_conn_err(c) : SSTORE_ERR_NOMEM;
    while (st == SSTORE_OK && !*l->stop)
        for (i = 0; i < l->nids && st == SSTORE_OK; i++, l->ops++) {
            st = l->ops % 4 == 3 ? sstore_touch(c, l->ids[i], 60) : sstore_get(c, l->ids[i], &out);
            if (st != SSTORE_OK)
                snprintf(l->failure, sizeof l->failure, "%s %s: %s (%s)", l->ops % 4 == 3 ? "touch" : "get",
                         l->ids[i], sstore_status_name(st), sstore_conn_errstr(c));
        }
    if (c != NULL)
        sstore_conn_counters(c, &l->ctr);
    sstore_conn_free(c);
    return NULL;
}

static void a_slot_migrated_under_load_fails_no_operation(void **state)
{
    static char ids[N_SLOT_IDS + N_OTHER_IDS][32];
    static volatile sig_atomic_t stop;
    sstore *s = st_open_ok(uri);
    sstore_conn *c = st_conn_ok(s);
    loader l[LOAD_THREADS];
    pthread_t t[LOAD_THREADS];
    char claims[128];
    size_t len = st_claims(claims, sizeof claims, "loaded", 0), i;
    uint64_t redirects = 0;
    migration m;
    (void)state;
    put_load_sessions(c, ids, "load", claims, len);
    stop = 0;
    for (i = 0; i < LOAD_THREADS; i++) {
        memset(&l[i], 0, sizeof l[i]);
        l[i].store = s, l[i].ids = ids, l[i].nids = N_SLOT_IDS + N_OTHER_IDS, l[i].stop = &stop;
        assert_int_equal(pthread_create(&t[i], NULL, loader_main, &l[i]), 0);
    }
    st_sleep_ms(100);
    migration_begin(&m, "load-anchor");
    for (i = 0; i < N_SLOT_IDS; i++) {
        migration_move(&m, ids[i]);
        st_sleep_ms(10);
    }
    migration_end(&m);
    st_sleep_ms(200);
    stop = 1;
    for (i = 0; i < LOAD_THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (i = 0; i < LOAD_THREADS; i++) {
        if (l[i].failure[0] != '\0')
            fail_msg("thread %zu: %s", i, l[i].failure);
        assert_int_equal(l[i].ctr.errors, 0);
        assert_true(l[i].ops > N_SLOT_IDS + N_OTHER_IDS);
        redirects += l[i].ctr.redirects;
    }
    assert_true(redirects > 0);
    sstore_conn_free(c);
    sstore_close(s);
}

/* Runs one async operation on L to completion; its status. */
static int async_wait(st_loop *L, st_done *d, size_t *count)
{
    size_t want = *count + 1;
    d->count = count;
    st_loop_until(L, count, want, 10000);
    return d->status;
}

/* The redirects an async handle has followed. */
static uint64_t async_redirects(const sstore_async *a)
{
    sstore_counters c;
    sstore_async_counters(a, &c);
    return c.redirects;
}

static void the_async_api_follows_ask_then_moved_and_reads_the_map_again(void **state)
{
    sstore *s = st_open_ok(uri);
    sstore_conn *c = st_conn_ok(s);
    char ids[3][32], other[1][32], claims[128];
    size_t len = st_claims(claims, sizeof claims, "amigrant", 0), count = 0;
    st_done d[6];
    migration m1, m2;
    uint64_t r0;
    st_loop L;
    int i;
    (void)state;
    memset(d, 0, sizeof d);
    ids_in_slot(session_slot("astep-anchor"), "astep", ids, 3);
    ids_in_slot(session_slot("aother-anchor"), "aother", other, 1);
    assert_true(session_slot("astep-anchor") != session_slot("aother-anchor"));
    expect_ok(c, sstore_put(c, ids[0], claims, len, 60), "put a");
    expect_ok(c, sstore_put(c, ids[1], claims, len, 60), "put b");
    expect_ok(c, sstore_put(c, other[0], claims, len, 60), "put x");
    st_loop_init(&L);
    st_async_ok(&L, s);
    r0 = async_redirects(L.a);
    migration_begin(&m1, "astep-anchor");
    migration_move(&m1, ids[0]);
    assert_int_equal(sstore_async_get(L.a, ids[0], st_done_cb, &d[0]), SSTORE_OK);
    assert_int_equal(async_wait(&L, &d[0], &count), SSTORE_OK); /* moved key: ASK */
    assert_memory_equal(d[0].data, claims, len);
    assert_int_equal(sstore_async_get(L.a, ids[1], st_done_cb, &d[1]), SSTORE_OK);
    assert_int_equal(async_wait(&L, &d[1], &count), SSTORE_OK); /* not moved yet */
    assert_int_equal(sstore_async_put(L.a, ids[2], claims, len, 60, st_done_cb, &d[2]), SSTORE_OK);
    assert_int_equal(async_wait(&L, &d[2], &count), SSTORE_OK); /* new key in a migrating slot: ASK */
    assert_int_equal(async_redirects(L.a) - r0, 2);
    migration_move(&m1, ids[1]);
    migration_end(&m1);
    migration_begin(&m2, "aother-anchor"); /* a second slot moves while the handle is not looking */
    migration_move(&m2, other[0]);
    migration_end(&m2);
    assert_int_equal(sstore_async_get(L.a, ids[1], st_done_cb, &d[3]), SSTORE_OK);
    assert_int_equal(async_wait(&L, &d[3], &count), SSTORE_OK); /* slot moved: MOVED, then the map read */
    assert_int_equal(async_redirects(L.a) - r0, 3);
    for (i = 0; i < 10; i++) /* the CLUSTER SLOTS it sent after the MOVED is answered meanwhile */
        st_loop_once(&L, 10);
    assert_int_equal(sstore_async_get(L.a, other[0], st_done_cb, &d[4]), SSTORE_OK);
    assert_int_equal(async_wait(&L, &d[4], &count), SSTORE_OK);
    assert_int_equal(async_redirects(L.a) - r0, 3); /* the map already had the second slot */
    assert_int_equal(sstore_async_err(L.a), SSTORE_OK);
    sstore_async_free(L.a);
    st_loop_close(&L);
    sstore_conn_free(c);
    sstore_close(s);
}

#define ALOAD_RING 4096 /* operation contexts, reused round the ring: far more than are in flight */
#define ALOAD_DEPTH (2 * (N_SLOT_IDS + N_OTHER_IDS)) /* two operations of every session in flight */

/* Pipelined load through the non-blocking API: ALOAD_DEPTH operations kept in flight (gets, every
 * fourth a touch), each completion submitting the next; every session's operations are numbered
 * to check that they complete in the order they were submitted. */
typedef struct aload aload;
typedef struct aload_op {
    aload *l;
    size_t key, seq;
} aload_op;

struct aload {
    sstore_async *a;
    char (*ids)[32];
    size_t nids;
    int stop;
    size_t submitted, done, errors, out_of_order;
    size_t next_seq[N_SLOT_IDS + N_OTHER_IDS], done_seq[N_SLOT_IDS + N_OTHER_IDS];
    aload_op ring[ALOAD_RING];
    char failure[256];
};

static void aload_submit(aload *l);

static void aload_cb(void *arg, int status, const sstore_result *r)
{
    aload_op *o = arg;
    aload *l = o->l;
    l->done++;
    if (status != SSTORE_OK) {
        l->errors++;
        snprintf(l->failure, sizeof l->failure, "%s: %s (%s)", r->id, sstore_status_name(status), r->errstr);
    }
    l->out_of_order += o->seq <= l->done_seq[o->key];
    l->done_seq[o->key] = o->seq;
    if (!l->stop)
        aload_submit(l);
}

static void aload_submit(aload *l)
{
    aload_op *o = &l->ring[l->submitted % ALOAD_RING];
    const char *id;
    int st;
    o->l = l;
    o->key = l->submitted % l->nids;
    o->seq = ++l->next_seq[o->key];
    id = l->ids[o->key];
    st = l->submitted % 4 == 3 ? sstore_async_touch(l->a, id, 60, aload_cb, o) : sstore_async_get(l->a, id, aload_cb, o);
    l->submitted++;
    if (st != SSTORE_OK)
        fail_msg("submit %s: %s (%s)", id, sstore_status_name(st), sstore_async_errstr(l->a));
}

/* Turns the loop for ms milliseconds. */
static void loop_for(st_loop *L, int ms)
{
    long long end = st_now_ms() + ms;
    while (st_now_ms() < end)
        st_loop_once(L, 5);
}

static void a_slot_migrated_under_pipelined_load_loses_fails_and_reorders_no_operation(void **state)
{
    static char ids[N_SLOT_IDS + N_OTHER_IDS][32];
    sstore *s = st_open_ok(uri);
    sstore_conn *c = st_conn_ok(s);
    char claims[128];
    size_t len = st_claims(claims, sizeof claims, "piped", 0), i;
    static aload l;
    sstore_counters ctr;
    migration m;
    st_loop L;
    (void)state;
    put_load_sessions(c, ids, "pipe", claims, len);
    st_loop_init(&L);
    memset(&l, 0, sizeof l);
    l.a = st_async_ok(&L, s), l.ids = ids, l.nids = N_SLOT_IDS + N_OTHER_IDS;
    for (i = 0; i < ALOAD_DEPTH; i++)
        aload_submit(&l);
    loop_for(&L, 100);
    migration_begin(&m, "pipe-anchor");
    for (i = 0; i < N_SLOT_IDS; i++) {
        migration_move(&m, ids[i]);
        loop_for(&L, 10);
    }
    migration_end(&m);
    loop_for(&L, 200);
    l.stop = 1;
    st_loop_until(&L, &l.done, l.submitted, 10000);
    if (l.errors > 0)
        fail_msg("%zu of %zu operations failed; last: %s", l.errors, l.done, l.failure);
    assert_int_equal(l.out_of_order, 0); /* each session's operations in their order */
    sstore_async_counters(l.a, &ctr);
    assert_int_equal(sstore_async_pending(l.a), 0);
    assert_int_equal(ctr.ops, l.submitted);
    assert_true(ctr.redirects > 0);
    assert_true(l.done > 4 * (N_SLOT_IDS + N_OTHER_IDS));
    assert_true(ctr.ops > 2 * ctr.round_trips); /* pipelined */
    print_message("pipelined load: %zu operations, %llu round trips, %llu redirects\n", l.done,
                  (unsigned long long)ctr.round_trips, (unsigned long long)ctr.redirects);
    sstore_async_free(l.a);
    st_loop_close(&L);
    sstore_conn_free(c);
    sstore_close(s);
}

/* Opens uri and asserts sstore_open refused it with SSTORE_ERR_ARG and a message containing want. */
static void expect_bad_uri(const char *bad, const char *want)
{
    sstore *s = sstore_open(bad);
    assert_non_null(s);
    if (sstore_err(s) != SSTORE_ERR_ARG || strstr(sstore_errstr(s), want) == NULL)
        fail_msg("%s: got %s '%s', want arg '%s'", bad, sstore_status_name(sstore_err(s)), sstore_errstr(s), want);
    sstore_close(s);
}

static void bad_uris_and_servers_that_are_no_cluster_are_clear_errors(void **state)
{
    tsupport_redis plain;
    char u[128];
    sstore *s;
    sstore_conn *c;
    sstore_session out;
    (void)state;
    expect_bad_uri("redis-cluster://", "host:port");
    expect_bad_uri("redis-cluster://127.0.0.1:7000/1", "no databases");
    expect_bad_uri("redis-cluster://127.0.0.1:7000,,127.0.0.1:7001", "malformed host:port");
    expect_bad_uri("redis-cluster://127.0.0.1:x", "malformed host:port");
    expect_bad_uri("redis-cluster://127.0.0.1:7000?db=2", "unknown option 'db'");
    assert_int_equal(tsupport_redis_start(&plain, NULL), 0);
    snprintf(u, sizeof u, "redis-cluster://127.0.0.1:%d", plain.port);
    s = st_open_ok(u);
    c = sstore_connect(s);
    assert_int_equal(sstore_conn_err(c), SSTORE_ERR_PROTOCOL);
    assert_non_null(strstr(sstore_conn_errstr(c), "cluster support disabled"));
    assert_int_equal(sstore_get(c, "x", &out), SSTORE_ERR_PROTOCOL);
    sstore_conn_free(c);
    sstore_close(s);
    tsupport_redis_stop(&plain);
    snprintf(u, sizeof u, "redis-cluster://127.0.0.1:%d?connect_timeout_ms=200", tsupport_free_port());
    s = st_open_ok(u);
    c = sstore_connect(s);
    assert_int_equal(sstore_conn_err(c), SSTORE_ERR_IO);
    assert_int_equal(sstore_get(c, "x", &out), SSTORE_ERR_IO); /* at once: the link is backing off */
    assert_true(strlen(sstore_conn_errstr(c)) > 0);
    sstore_conn_free(c);
    sstore_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key_goes_to_the_slot_the_server_computes),
        cmocka_unit_test(sessions_spread_over_the_masters_and_a_batch_takes_one_round_trip_each),
        cmocka_unit_test(a_slot_migrated_step_by_step_is_followed_through_ask_then_moved),
        cmocka_unit_test(a_slot_migrated_under_load_fails_no_operation),
        cmocka_unit_test(the_async_api_follows_ask_then_moved_and_reads_the_map_again),
        cmocka_unit_test(a_slot_migrated_under_pipelined_load_loses_fails_and_reorders_no_operation),
        cmocka_unit_test(bad_uris_and_servers_that_are_no_cluster_are_clear_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

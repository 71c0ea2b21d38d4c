/* test_mech_async.c — the mechanism layer's calls for event loops (ab_mech_ctx_new_loop, the _async
 * calls) driven by a small epoll loop of the test's own: every mechanism logs in, authenticates,
 * logs out and is refused as with the blocking calls; those without a store wait answer at once;
 * redis answers later, exactly once, many calls in flight pipelined; freeing a handle completes
 * what is in flight; a loop handle refuses the blocking calls that would wait on its store and
 * reports an unreachable store at once, as a blocking handle does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ab_mech.h"
#include "test_mech_fixture.h"
#include "tsupport.h"

#define LOOP_FDS 32

/* The test's event loop: the fds the handle asked about and their interest. */
typedef struct tloop {
    int epfd;
    int fd[LOOP_FDS];
    uint32_t mask[LOOP_FDS];
    ab_mech_ctx *c;
} tloop;

/* One expected answer: fails the test when it comes twice. */
typedef struct tdone {
    int calls, status;
} tdone;

/* Sets fd's interest bits on or off, in the table and the epoll set. */
static void set_interest(void *data, int fd, uint32_t bits, int on)
{
    tloop *L = data;
    struct epoll_event ev;
    int i, slot = -1;
    for (i = 0; i < LOOP_FDS && slot < 0; i++)
        if (L->fd[i] == fd)
            slot = i;
    for (i = 0; i < LOOP_FDS && slot < 0 && on; i++)
        if (L->fd[i] < 0 && epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &(struct epoll_event){0, {0}}) == 0)
            L->fd[slot = i] = fd;
    assert_true(slot >= 0 || !on);
    if (slot < 0)
        return;
    L->mask[slot] = on ? L->mask[slot] | bits : L->mask[slot] & ~bits;
    ev.events = L->mask[slot];
    ev.data.fd = fd;
    assert_int_equal(epoll_ctl(L->epfd, EPOLL_CTL_MOD, fd, &ev), 0);
}

static void add_read(void *d, int fd) { set_interest(d, fd, EPOLLIN, 1); }
static void del_read(void *d, int fd) { set_interest(d, fd, EPOLLIN, 0); }
static void add_write(void *d, int fd) { set_interest(d, fd, EPOLLOUT, 1); }
static void del_write(void *d, int fd) { set_interest(d, fd, EPOLLOUT, 0); }

/* fd is about to close: forgotten. */
static void cleanup(void *data, int fd)
{
    tloop *L = data;
    int i;
    for (i = 0; i < LOOP_FDS; i++)
        if (L->fd[i] == fd) {
            epoll_ctl(L->epfd, EPOLL_CTL_DEL, fd, NULL);
            L->fd[i] = -1;
            L->mask[i] = 0;
        }
}

/* A loop handle on m through L (its error not checked). */
static ab_mech_ctx *loop_ctx_any(tloop *L, ab_mech *m)
{
    ab_mech_loop hooks = {L, add_read, del_read, add_write, del_write, cleanup};
    int i;
    L->epfd = epoll_create1(EPOLL_CLOEXEC);
    assert_true(L->epfd >= 0);
    for (i = 0; i < LOOP_FDS; i++) {
        L->fd[i] = -1;
        L->mask[i] = 0; /* L is on the caller's stack: no interest until a hook asks */
    }
    L->c = ab_mech_ctx_new_loop(m, &hooks);
    assert_non_null(L->c);
    return L->c;
}

/* A loop handle on m through L, asserting it connected. */
static ab_mech_ctx *loop_ctx(tloop *L, ab_mech *m)
{
    loop_ctx_any(L, m);
    if (ab_mech_ctx_err(L->c) != 0)
        fail_msg("%s: %s", ab_mech_spec(m), ab_mech_ctx_errstr(L->c));
    return L->c;
}

/* Frees L's handle and epoll set. */
static void loop_close(tloop *L)
{
    ab_mech_ctx_free(L->c);
    close(L->epfd);
}

/* The completion callback of a tdone. */
static void done_cb(void *arg, int status)
{
    tdone *d = arg;
    d->calls++;
    d->status = status;
    assert_int_equal(d->calls, 1);
}

/* Monotonic milliseconds. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Turns the loop until n answers of d[] came (5 s at most: a turn may take no time at all). */
static void loop_until(tloop *L, tdone *d, int n)
{
    double t0 = now_ms();
    int i, got = 0;
    while (got < n && now_ms() - t0 < 5000) {
        struct epoll_event evs[LOOP_FDS];
        int k, ms = ab_mech_ctx_timeout_ms(L->c), ready;
        ready = epoll_wait(L->epfd, evs, LOOP_FDS, ms >= 0 && ms < 1 ? ms : 1);
        for (k = 0; k < ready; k++) {
            if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                ab_mech_ctx_on_readable(L->c, evs[k].data.fd);
            if (evs[k].events & EPOLLOUT)
                ab_mech_ctx_on_writable(L->c, evs[k].data.fd);
        }
        if (ab_mech_ctx_timeout_ms(L->c) == 0)
            ab_mech_ctx_on_timer(L->c);
        for (i = 0, got = 0; i < n; i++)
            got += d[i].calls;
    }
    assert_int_equal(got, n);
}

/* The status of a call: at once, or once the loop brought its answer. */
static int answer(tloop *L, int st, tdone *d)
{
    if (st != AB_MECH_PENDING) {
        assert_int_equal(d->calls, 0); /* an answer at once never comes through done too */
        return st;
    }
    loop_until(L, d, 1);
    return d->status;
}

/* login -> authenticate -> logout -> authenticate refused, through the _async calls. */
static void run_flow(const char *spec, const char *key)
{
    ab_mech_options o = {key, 0};
    ab_mech *m = ab_mech_open(spec, &o);
    tloop L;
    ab_mech_ctx *c;
    ab_mech_principal who;
    tdone d[4] = {{0, 0}};
    char cred[4096];
    size_t n = 0;
    int revocable;
    print_message("  %s\n", spec);
    assert_int_equal(ab_mech_err(m), 0);
    revocable = ab_mech_can_revoke(m);
    c = loop_ctx(&L, m);
    assert_int_equal(answer(&L, ab_mech_issue_async(c, "alice", cred, sizeof cred, &n, done_cb, &d[0]), &d[0]), AB_MECH_OK);
    assert_int_equal(n, strlen(cred));
    assert_int_equal(answer(&L, ab_mech_authenticate_async(c, cred, n, &who, done_cb, &d[1]), &d[1]), AB_MECH_OK);
    assert_string_equal(who.sub, "alice");
    assert_int_equal(answer(&L, ab_mech_revoke_async(c, cred, n, done_cb, &d[2]), &d[2]), AB_MECH_OK);
    assert_int_equal(answer(&L, ab_mech_authenticate_async(c, cred, n, &who, done_cb, &d[3]), &d[3]),
                     !revocable ? AB_MECH_OK
                     : strcmp(ab_mech_family(m), "session") == 0 ? AB_MECH_UNKNOWN_SESSION : AB_MECH_REVOKED);
    loop_close(&L);
    ab_mech_close(m);
}

static void every_mechanism_should_login_serve_logout_and_refuse_through_the_async_calls(void **state)
{
    int i;
    (void)state;
    for (i = 0; i < tmf.nspecs; i++)
        run_flow(tmf.specs[i], tmf.keys[i]);
}

static void mechanisms_without_a_store_to_wait_for_should_answer_at_once(void **state)
{
    static const char *const specs[] = {"none", "jwt:HS256", "session:memory://", "jwt+denylist:HS256,memory://"};
    ab_mech_principal who;
    char cred[4096];
    size_t i, n;
    (void)state;
    for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        ab_mech_options o = {tmf.hs, 0};
        ab_mech *m = ab_mech_open(specs[i], &o);
        tloop L;
        tdone d = {0, 0};
        ab_mech_ctx *c = loop_ctx(&L, m);
        assert_int_equal(ab_mech_ctx_async(c), 0); /* memory://: a blocking connection, which never waits */
        assert_int_equal(ab_mech_issue_async(c, "bob", cred, sizeof cred, &n, done_cb, &d), AB_MECH_OK);
        assert_int_equal(ab_mech_authenticate_async(c, cred, n, &who, done_cb, &d), AB_MECH_OK);
        assert_int_equal(ab_mech_authenticate_async(c, "x!", 2, &who, done_cb, &d), AB_MECH_MALFORMED);
        assert_int_equal(d.calls, 0);
        /* so its blocking calls are allowed too, and see what the _async ones made */
        assert_int_equal(ab_mech_authenticate(c, cred, n, &who), AB_MECH_OK);
        assert_string_equal(who.sub, "bob");
        loop_close(&L);
        ab_mech_close(m);
    }
}

/* session:redis on the fixture's redis, with a loop handle on it in L. */
static ab_mech *redis_session(tloop *L)
{
    char spec[128];
    ab_mech *m;
    snprintf(spec, sizeof spec, "session:redis://127.0.0.1:%d", tmf.redis.port);
    m = ab_mech_open(spec, NULL);
    assert_int_equal(ab_mech_err(m), 0);
    loop_ctx(L, m);
    return m;
}

static void redis_calls_should_answer_later_exactly_once_and_pipeline(void **state)
{
    enum { N = 32 };
    tloop L;
    ab_mech *m = redis_session(&L);
    ab_mech_principal who[N];
    ab_mech_counters k;
    tdone d = {0, 0}, many[N];
    char cred[64];
    size_t n = 0;
    int i;
    (void)state;
    assert_int_equal(ab_mech_ctx_async(L.c), 1);
    assert_int_equal(ab_mech_issue_async(L.c, "carol", cred, sizeof cred, &n, done_cb, &d), AB_MECH_PENDING);
    assert_int_equal(d.calls, 0); /* never from inside the call */
    loop_until(&L, &d, 1);
    assert_int_equal(d.status, AB_MECH_OK);
    memset(many, 0, sizeof many);
    for (i = 0; i < N; i++)
        assert_int_equal(ab_mech_authenticate_async(L.c, cred, n, &who[i], done_cb, &many[i]), AB_MECH_PENDING);
    loop_until(&L, many, N);
    for (i = 0; i < N; i++) {
        assert_int_equal(many[i].status, AB_MECH_OK);
        assert_string_equal(who[i].sub, "carol");
    }
    ab_mech_ctx_counters(L.c, &k);
    assert_int_equal(k.authenticated, N);
    assert_int_equal(k.store.ops, N + 1);
    assert_true(k.store.round_trips < k.store.ops); /* the N gets went out together */
    loop_close(&L);
    ab_mech_close(m);
}

static void freeing_a_loop_handle_should_answer_what_is_in_flight(void **state)
{
    tloop L;
    ab_mech *m = redis_session(&L);
    ab_mech_principal who;
    tdone d = {0, 0};
    (void)state;
    assert_int_equal(ab_mech_authenticate_async(L.c, "AAAAAAAAAAAAAAAAAAAAAA", 22, &who, done_cb, &d),
                     AB_MECH_PENDING);
    loop_close(&L);
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.status, AB_MECH_STORE_ERROR);
    ab_mech_close(m);
}

static void a_loop_handle_should_refuse_blocking_calls_that_wait_on_its_store(void **state)
{
    tloop L;
    ab_mech *m = redis_session(&L);
    ab_mech_principal who;
    char cred[64];
    size_t n;
    (void)state;
    assert_int_equal(ab_mech_issue(L.c, "dave", cred, sizeof cred, &n), AB_MECH_INTERNAL);
    assert_int_equal(ab_mech_authenticate(L.c, "AAAAAAAAAAAAAAAAAAAAAA", 22, &who), AB_MECH_INTERNAL);
    assert_non_null(strstr(ab_mech_ctx_errstr(L.c), "_async"));
    loop_close(&L);
    ab_mech_close(m);
}

static void a_loop_handle_should_report_an_unreachable_store_as_a_blocking_one_does(void **state)
{
    char spec[128];
    tloop L;
    ab_mech *m;
    (void)state;
    snprintf(spec, sizeof spec, "session:redis://127.0.0.1:%d?connect_timeout_ms=200", tsupport_free_port());
    m = ab_mech_open(spec, NULL);
    assert_int_equal(ab_mech_err(m), 0);
    /* what `serve` stops on at start */
    assert_int_equal(ab_mech_ctx_err(loop_ctx_any(&L, m)), AB_MECH_STORE_ERROR);
    loop_close(&L);
    ab_mech_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_mechanism_should_login_serve_logout_and_refuse_through_the_async_calls),
        cmocka_unit_test(mechanisms_without_a_store_to_wait_for_should_answer_at_once),
        cmocka_unit_test(redis_calls_should_answer_later_exactly_once_and_pipeline),
        cmocka_unit_test(freeing_a_loop_handle_should_answer_what_is_in_flight),
        cmocka_unit_test(a_loop_handle_should_refuse_blocking_calls_that_wait_on_its_store),
        cmocka_unit_test(a_loop_handle_should_report_an_unreachable_store_as_a_blocking_one_does),
    };
    return cmocka_run_group_tests(tests, tmf_group_setup, tmf_group_teardown);
}

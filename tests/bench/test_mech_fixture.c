/* test_mech_fixture.c — the shared fixture of the mechanism and server tests (see the header). */
#include "test_mech_fixture.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ajwt.h>
#include <ab_cli.h>

tmf_fixture tmf;

/* Writes a fresh private key for alg into dir/name. 0 or -1. */
static int write_key(ajwt_alg alg, const char *name, char *path, size_t cap)
{
    unsigned char *priv = NULL;
    char *pub = NULL, err[256];
    size_t priv_len = 0, pub_len = 0;
    int rc = -1;
    if (ajwt_keygen(alg, &priv, &priv_len, &pub, &pub_len, err, sizeof err) != AJWT_OK) {
        fprintf(stderr, "keygen %s: %s\n", ajwt_alg_name(alg), err);
        goto out;
    }
    snprintf(path, cap, "%s/%s", tmf.dir, name);
    rc = tsupport_write_file(path, priv, priv_len);
out:
    free(priv);
    free(pub);
    return rc;
}

void tmf_add_spec(const char *key, const char *fmt, ...)
{
    va_list ap;
    if (tmf.nspecs >= TMF_SPECS)
        return;
    va_start(ap, fmt);
    vsnprintf(tmf.specs[tmf.nspecs], sizeof tmf.specs[0], fmt, ap);
    va_end(ap);
    tmf.keys[tmf.nspecs++] = key;
}

int tmf_setup(void)
{
    if (tsupport_redis_start(&tmf.redis, NULL) != 0 || (tmf.dir = tsupport_tmpdir("mech")) == NULL)
        return -1;
    if (write_key(AJWT_HS256, "hs256.key", tmf.hs, sizeof tmf.hs) != 0 ||
        write_key(AJWT_HS256, "hs256-other.key", tmf.hs_other, sizeof tmf.hs_other) != 0 ||
        write_key(AJWT_RS256, "rsa.pem", tmf.rsa, sizeof tmf.rsa) != 0 ||
        write_key(AJWT_ES256, "ec.pem", tmf.ec, sizeof tmf.ec) != 0 ||
        write_key(AJWT_EDDSA, "ed.pem", tmf.ed, sizeof tmf.ed) != 0)
        return -1;
    tmf_add_spec(NULL, "none");
    tmf_add_spec(NULL, "session:memory://");
    tmf_add_spec(NULL, "session:redis://127.0.0.1:%d", tmf.redis.port);
    tmf_add_spec(NULL, "session:file://%s", tmf.dir);
    tmf_add_spec(tmf.hs, "jwt:HS256");
    tmf_add_spec(tmf.rsa, "jwt:RS256");
    tmf_add_spec(tmf.rsa, "jwt:PS256");
    tmf_add_spec(tmf.ec, "jwt:ES256");
    tmf_add_spec(tmf.ed, "jwt:EdDSA");
    tmf_add_spec(tmf.hs, "jwt+denylist:HS256,redis://127.0.0.1:%d", tmf.redis.port);
    tmf_add_spec(tmf.hs, "jwt+denylist:HS256,memory://");
    tmf_add_spec(tmf.ec, "jwt+pushed-denylist:ES256,redis://127.0.0.1:%d", tmf.redis.port);
    return 0;
}

void tmf_teardown(void)
{
    tsupport_redis_stop(&tmf.redis);
    tsupport_rmtree(tmf.dir);
    free(tmf.dir);
    tmf.dir = NULL;
}

int tmf_group_setup(void **state)
{
    (void)state;
    if (tmf_setup() != 0)
        return -1;
    tmf_add_spec(tmf.ec, "jwt+denylist:ES256,file://%s", tmf.dir);
    tmf_add_spec(tmf.ed, "jwt+denylist:EdDSA,redis://127.0.0.1:%d", tmf.redis.port);
    tmf_add_spec(tmf.rsa, "jwt+denylist:RS256,redis://127.0.0.1:%d?claims=1000&on_store_error=open",
                 tmf.redis.port);
    tmf_add_spec(NULL, "session:redis://127.0.0.1:%d?touch=always&claims=4000", tmf.redis.port);
    tmf_add_spec(NULL, "session:redis://127.0.0.1:%d?timeout_ms=900&l1=1s", tmf.redis.port);
    tmf_add_spec(NULL, "session:memory://?touch=after:60&max=1000");
    tmf_add_spec(tmf.ec, "jwt:ES256?cache=100&claims=2000");
    return 0;
}

ab_mech *tmf_open_ok(const char *spec, const char *key, int64_t ttl)
{
    ab_mech_options o = {key, ttl};
    ab_mech *m = ab_mech_open(spec, &o);
    assert_non_null(m);
    if (ab_mech_err(m) != 0)
        fail_msg("%s: %s", spec, ab_mech_errstr(m));
    return m;
}

ab_mech_ctx *tmf_ctx_ok(ab_mech *m)
{
    ab_mech_ctx *c = ab_mech_ctx_new(m);
    assert_non_null(c);
    if (ab_mech_ctx_err(c) != 0)
        fail_msg("%s: %s", ab_mech_spec(m), ab_mech_ctx_errstr(c));
    return c;
}

size_t tmf_issue_ok(ab_mech_ctx *c, const char *user, char *cred, size_t cap)
{
    size_t n = 0;
    int st = ab_mech_issue(c, user, cred, cap, &n);
    if (st != AB_MECH_OK)
        fail_msg("issue: %s (%s)", ab_mech_status_name(st), ab_mech_ctx_errstr(c));
    assert_int_equal(n, strlen(cred));
    return n;
}

int tmf_check(ab_mech_ctx *c, const char *cred)
{
    ab_mech_principal p;
    return ab_mech_authenticate(c, cred, strlen(cred), &p);
}

uint64_t tmf_until_refused(ab_mech_ctx *c, const char *cred, uint64_t since_us, long ms, unsigned poll_us)
{
    while (tmf_check(c, cred) != AB_MECH_REVOKED) {
        if (ab_now_us() - since_us > (uint64_t)ms * 1000)
            fail_msg("still accepted %ld ms after the revocation", ms);
        usleep(poll_us);
    }
    return ab_now_us() - since_us;
}

/* Sets fd's interest in events on or off. */
static void loop_want(void *data, int fd, short events, int on)
{
    tmf_loop *L = data;
    int i, slot = -1, free_slot = -1;
    for (i = 0; i < TMF_LOOP_FDS; i++) {
        if (L->fd[i] == fd)
            slot = i;
        if (L->fd[i] < 0 && free_slot < 0)
            free_slot = i;
    }
    if (slot < 0 && on && free_slot >= 0) {
        slot = free_slot;
        L->fd[slot] = fd;
        L->events[slot] = 0;
    }
    if (slot >= 0)
        L->events[slot] = (short)(on ? L->events[slot] | events : L->events[slot] & ~events);
}

static void loop_add_read(void *d, int fd) { loop_want(d, fd, POLLIN, 1); }
static void loop_del_read(void *d, int fd) { loop_want(d, fd, POLLIN, 0); }
static void loop_add_write(void *d, int fd) { loop_want(d, fd, POLLOUT, 1); }
static void loop_del_write(void *d, int fd) { loop_want(d, fd, POLLOUT, 0); }

/* fd is about to close: forgotten. */
static void loop_cleanup(void *data, int fd)
{
    tmf_loop *L = data;
    int i;
    for (i = 0; i < TMF_LOOP_FDS; i++)
        if (L->fd[i] == fd)
            L->fd[i] = -1;
}

ab_mech_loop tmf_loop_hooks(tmf_loop *L)
{
    ab_mech_loop h = {L, loop_add_read, loop_del_read, loop_add_write, loop_del_write, loop_cleanup};
    return h;
}

ab_mech_ctx *tmf_loop_ctx(tmf_loop *L, ab_mech *m)
{
    ab_mech_loop h = tmf_loop_hooks(L);
    int i;
    for (i = 0; i < TMF_LOOP_FDS; i++)
        L->fd[i] = -1;
    return L->c = ab_mech_ctx_new_loop(m, &h);
}

void tmf_done_cb(void *arg, int status)
{
    tmf_done *d = arg;
    d->calls++;
    d->status = status;
}

/* One turn: poll the fds asked about (1 ms at most), hand the ready ones over, run the timer. */
static void loop_turn(tmf_loop *L)
{
    struct pollfd p[TMF_LOOP_FDS];
    int i, n = 0;
    for (i = 0; i < TMF_LOOP_FDS; i++)
        if (L->fd[i] >= 0 && L->events[i] != 0)
            p[n++] = (struct pollfd){L->fd[i], L->events[i], 0};
    if (poll(p, (nfds_t)n, 1) > 0)
        for (i = 0; i < n; i++) {
            if (p[i].revents & (POLLIN | POLLERR | POLLHUP))
                ab_mech_ctx_on_readable(L->c, p[i].fd);
            if (p[i].revents & POLLOUT)
                ab_mech_ctx_on_writable(L->c, p[i].fd);
        }
    if (ab_mech_ctx_timeout_ms(L->c) == 0)
        ab_mech_ctx_on_timer(L->c);
}

int tmf_answer(tmf_loop *L, int st, tmf_done *done)
{
    uint64_t t0 = ab_now_us();
    if (st != AB_MECH_PENDING)
        return done->calls == 0 ? st : -100;
    while (done->calls == 0 && ab_now_us() - t0 < 5000000u)
        loop_turn(L);
    return done->calls == 1 ? done->status : -100;
}

int tmf_group_teardown(void **state)
{
    (void)state;
    tmf_teardown();
    return 0;
}

int tmf_base_group_setup(void **state)
{
    (void)state;
    return tmf_setup();
}

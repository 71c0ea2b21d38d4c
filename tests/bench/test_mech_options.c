/* test_mech_options.c — the options that ride on a mechanism spec, through ab_mech.h, blocking and
 * on a loop handle: claims= pads both sides to a size, touch= writes as often as it says, the L1
 * session cache spares the store until its TTL (its revocation delay) and drops its entry on a
 * logout here, the verified-token cache spares the signature check but never passes exp nor takes
 * a forged token, the caches are shared safely by threads, on_store_error= refuses or lets through,
 * and asymmetric denylists revoke. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <ab_cli.h>
#include <sstore.h>

#include "ab_mech.h"
#include "test_mech_fixture.h"
#include "tsupport.h"

#define CRED_CAP 70000 /* a token of claims=AB_MECH_CLAIMS_LIMIT */

/* Opens spec (a printf format) with key and ttl, asserting it opened. */
static ab_mech *open_fmt(const char *key, int64_t ttl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ab_mech *open_fmt(const char *key, int64_t ttl, const char *fmt, ...)
{
    char spec[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(spec, sizeof spec, fmt, ap);
    va_end(ap);
    return tmf_open_ok(spec, key, ttl);
}

/* The status of authenticating cred (NUL-terminated) on c. */
static int auth(ab_mech_ctx *c, const char *cred)
{
    ab_mech_principal who;
    return ab_mech_authenticate(c, cred, strlen(cred), &who);
}

/* c's counters. */
static ab_mech_counters counters(const ab_mech_ctx *c)
{
    ab_mech_counters n;
    ab_mech_ctx_counters(c, &n);
    return n;
}

/* Sleeps ms milliseconds. */
static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Opens spec expecting failure with a message containing text. */
static void assert_refused(const char *spec, const char *text)
{
    ab_mech_options o = {tmf.hs, 0};
    ab_mech *m = ab_mech_open(spec, &o);
    assert_non_null(m);
    if (ab_mech_err(m) == 0 || strstr(ab_mech_errstr(m), text) == NULL)
        fail_msg("%s: expected a refusal with '%s', got '%s'", spec, text, ab_mech_errstr(m));
    ab_mech_close(m);
}

static void options_should_be_read_from_the_spec_and_refused_when_wrong(void **state)
{
    ab_mech *m;
    const ab_mech_settings *o;
    (void)state;
    m = open_fmt(NULL, 0, "session:memory://?max=50&touch=after:2m&claims=1k");
    o = ab_mech_settings_of(m);
    assert_int_equal(o->claims_bytes, 1024);
    assert_int_equal(o->touch, AB_MECH_TOUCH_AFTER);
    assert_int_equal(o->touch_after_s, 120);
    assert_string_equal(o->touch_name, "after:120");
    assert_string_equal(ab_mech_spec(m), "session:memory://?max=50&touch=after:2m&claims=1k");
    ab_mech_close(m);
    m = open_fmt(NULL, 0, "session:memory://?l1=250ms");
    o = ab_mech_settings_of(m);
    assert_int_equal(o->l1_ttl_us, 250000);
    assert_int_equal(o->l1_size, AB_MECH_L1_SIZE);
    assert_string_equal(o->touch_name, "never");
    ab_mech_close(m);
    m = open_fmt(tmf.hs, 0, "jwt:HS256?cache=5000");
    assert_int_equal(ab_mech_settings_of(m)->cache_size, 5000);
    assert_string_equal(ab_mech_settings_of(m)->touch_name, ""); /* not a session */
    ab_mech_close(m);
    m = open_fmt(tmf.hs, 0, "jwt+denylist:HS256,memory://?on_store_error=open");
    assert_int_equal(ab_mech_settings_of(m)->store_error_open, 1);
    ab_mech_close(m);
    assert_refused("session:memory://?touch=sometimes", "expected never, always or after:S");
    assert_refused("session:memory://?touch=after:0", "at least 1");
    assert_refused("session:memory://?claims=100", "256..49152");
    assert_refused("session:memory://?claims=1M", "256..49152");
    assert_refused("session:memory://?l1=0", "duration above 0");
    assert_refused("session:memory://?l1_size=10", "l1_size= needs l1=TTL");
    assert_refused("session:memory://?l1=1s&touch=always", "not supported");
    assert_refused("session:memory://?cache=10", "cache= is not an option of session");
    assert_refused("session:memory://?bogus=1", "bogus"); /* the store's own refusal */
    assert_refused("jwt:HS256?touch=always", "touch= is not an option of jwt (it takes claims=BYTES, cache=N)");
    assert_refused("jwt:HS256?bogus=1", "unknown option 'bogus'");
    assert_refused("jwt:HS256?cache=0", "1..100000000");
    assert_refused("jwt+denylist:HS256,memory://?on_store_error=maybe", "expected closed");
    assert_refused("jwt+denylist:HS256,memory://?l1=1s", "l1= is not an option of jwt+denylist");
    assert_refused("none?claims=300", "unknown mechanism");
}

/* The claims of a JWT (payload) or of a stored session, parsed. */
static cJSON *parsed(const char *data, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(data, len);
    assert_non_null(j);
    return j;
}

/* A session's claims as the store holds them. */
static size_t stored_claims_len(const char *uri, const char *sid)
{
    sstore *st = sstore_open(uri);
    sstore_conn *c = sstore_connect(st);
    sstore_session s;
    size_t n;
    cJSON *j;
    assert_int_equal(sstore_get(c, sid, &s), SSTORE_OK);
    j = parsed(s.data, s.data_len);
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "groups")));
    cJSON_Delete(j);
    n = s.data_len;
    sstore_conn_free(c);
    sstore_close(st);
    return n;
}

static void claims_should_be_padded_to_the_size_asked_on_both_sides(void **state)
{
    static const size_t sizes[] = {200, 240, 256, 300, 1000, 4000, 49152};
    char *out = malloc(CRED_CAP), uri[64];
    size_t i, n;
    ab_mech *m;
    ab_mech_ctx *c;
    (void)state;
    for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        cJSON *j;
        n = ab_mech_claims_sized("user00000042", 1764410000, 3600, "AAAAAAAAAAAAAAAAAAAAAA", sizes[i], out, CRED_CAP);
        if (sizes[i] < 250) { /* below the plain claims (223 B) and the members' names: not padded */
            assert_int_equal(n, ab_mech_claims("user00000042", 1764410000, 3600, "AAAAAAAAAAAAAAAAAAAAAA", out, CRED_CAP));
            continue;
        }
        assert_int_equal(n, sizes[i]);
        j = parsed(out, n);
        assert_string_equal(cJSON_GetObjectItem(j, "sub")->valuestring, "user00000042");
        assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "scope")));
        /* at least half the padding is groups of 28 bytes (the rest scope) */
        assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(j, "groups")) >= (int)((sizes[i] - 250) / 56));
        cJSON_Delete(j);
    }
    /* a session stores the same bytes a token carries */
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", tmf.redis.port);
    m = open_fmt(NULL, 0, "session:%s?claims=1000", uri);
    c = tmf_ctx_ok(m);
    n = tmf_issue_ok(c, "alice", out, CRED_CAP);
    assert_int_equal(n, SSTORE_ID_LEN);
    assert_int_equal(stored_claims_len(uri, out), 1000);
    assert_int_equal(auth(c, out), AB_MECH_OK);
    ab_mech_ctx_free(c);
    ab_mech_close(m);
    free(out);
}

static void jwts_past_the_cookie_and_header_limits_should_verify_and_be_noted(void **state)
{
    static const struct { size_t claims; const char *note; } cases[] = {
        {1000, ""}, {4000, "cookie limit"}, {8000, "header limit"}, {AB_MECH_CLAIMS_LIMIT, "header limit"}};
    char *tok = malloc(CRED_CAP);
    size_t i, n;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ab_mech *m = open_fmt(tmf.ec, 0, "jwt:ES256?claims=%zu", cases[i].claims);
        ab_mech_ctx *c = tmf_ctx_ok(m);
        n = tmf_issue_ok(c, "bob", tok, CRED_CAP);
        print_message("  claims %zu B: ES256 token %zu B %s\n", cases[i].claims, n, ab_mech_size_note(n));
        assert_true(n > cases[i].claims * 4 / 3 && n <= ab_mech_credential_max(m));
        assert_int_equal(auth(c, tok), AB_MECH_OK);
        assert_non_null(strstr(ab_mech_size_note(n), cases[i].note));
        ab_mech_ctx_free(c);
        ab_mech_close(m);
    }
    assert_string_equal(ab_mech_size_note(AB_MECH_COOKIE_LIMIT), "");
    assert_non_null(strstr(ab_mech_size_note(AB_MECH_COOKIE_LIMIT + 1), "4096-byte cookie"));
    assert_non_null(strstr(ab_mech_size_note(AB_MECH_HEADER_LIMIT + 1), "431"));
    free(tok);
}

/* The store's last_seen of session sid (Unix seconds). */
static int64_t last_seen(const char *uri, const char *sid)
{
    sstore *st = sstore_open(uri);
    sstore_conn *c = sstore_connect(st);
    sstore_session s;
    int64_t t;
    assert_int_equal(sstore_get(c, sid, &s), SSTORE_OK);
    t = s.last_seen;
    sstore_conn_free(c);
    sstore_close(st);
    return t;
}

/* touch= on a handle: 3 authentications now, 1 more after pause_ms: *touches their writes. */
static void touch_run(ab_mech_ctx *c, tmf_loop *L, long pause_ms, uint64_t *touches, uint64_t *ops)
{
    char cred[64];
    size_t n = 0;
    int i;
    tmf_done d = {0, 0};
    ab_mech_principal who;
    assert_int_equal(tmf_answer(L, ab_mech_issue_async(c, "carol", cred, sizeof cred, &n, tmf_done_cb, &d), &d),
                     AB_MECH_OK);
    for (i = 0; i < 4; i++) {
        tmf_done a = {0, 0};
        if (i == 3)
            sleep_ms(pause_ms);
        assert_int_equal(tmf_answer(L, ab_mech_authenticate_async(c, cred, n, &who, tmf_done_cb, &a), &a),
                         AB_MECH_OK);
        assert_string_equal(who.sub, "carol");
    }
    *touches = counters(c).touches;
    *ops = counters(c).store.ops;
}

static void touch_should_write_as_often_as_it_says_blocking_and_async(void **state)
{
    /* last_seen and the clock are whole seconds: after:2 writes 1 to 2 s after the last write */
    static const struct { const char *opt; long pause_ms; uint64_t touches; } cases[] = {
        {"never", 0, 0}, {"always", 0, 4}, {"after:2", 2100, 1}};
    char uri[64], cred[64];
    size_t i;
    int loop;
    (void)state;
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", tmf.redis.port);
    for (loop = 0; loop < 2; loop++)
        for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            ab_mech *m = open_fmt(NULL, 0, "session:%s?touch=%s", uri, cases[i].opt);
            tmf_loop L;
            ab_mech_ctx *c = loop ? tmf_loop_ctx(&L, m) : tmf_ctx_ok(m);
            uint64_t touches, ops;
            L.c = c;
            touch_run(c, &L, cases[i].pause_ms, &touches, &ops);
            print_message("  touch=%s (%s): %llu writes in 4 requests, %llu store ops\n", cases[i].opt,
                          loop ? "loop" : "blocking", (unsigned long long)touches, (unsigned long long)ops);
            assert_int_equal(touches, cases[i].touches);
            assert_int_equal(ops, 1 + 4 + touches); /* create, 4 gets, the writes */
            ab_mech_ctx_free(c);
            ab_mech_close(m);
        }
    /* the write moves the store's last_seen (the session's sliding expiry) */
    {
        ab_mech *m = open_fmt(NULL, 0, "session:%s?touch=always", uri);
        ab_mech_ctx *c = tmf_ctx_ok(m);
        int64_t t0;
        tmf_issue_ok(c, "dave", cred, sizeof cred);
        t0 = last_seen(uri, cred);
        sleep_ms(1100);
        assert_int_equal(auth(c, cred), AB_MECH_OK);
        assert_true(last_seen(uri, cred) > t0);
        ab_mech_ctx_free(c);
        ab_mech_close(m);
    }
}

static void l1_should_spare_the_store_until_its_ttl_which_is_the_revocation_delay(void **state)
{
    char uri[64], cred[64];
    ab_mech *a, *b;
    ab_mech_ctx *ca, *cb;
    ab_mech_counters k;
    uint64_t t0, kept, last_ok = 0, ops;
    int st;
    (void)state;
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", tmf.redis.port);
    a = open_fmt(NULL, 0, "session:%s?l1=400ms", uri); /* two servers on one store */
    b = open_fmt(NULL, 0, "session:%s?l1=400ms", uri);
    ca = tmf_ctx_ok(a);
    cb = tmf_ctx_ok(b);
    tmf_issue_ok(ca, "erin", cred, sizeof cred);
    assert_int_equal(auth(ca, cred), AB_MECH_OK); /* miss: fetched, kept */
    assert_int_equal(auth(cb, cred), AB_MECH_OK);
    kept = ab_now_us(); /* B's entry was made before this */
    ops = counters(cb).store.ops;
    assert_int_equal(auth(cb, cred), AB_MECH_OK); /* hit: no store operation */
    assert_int_equal(counters(cb).store.ops, ops);
    assert_int_equal(ab_mech_revoke(ca, cred, strlen(cred)), AB_MECH_OK);
    t0 = ab_now_us();
    assert_int_equal(auth(ca, cred), AB_MECH_UNKNOWN_SESSION); /* this server dropped its entry */
    /* the other one serves the revoked session until its entry is 400 ms old, never after: no
     * call that began once the entry was 400 ms old may accept (a bound free of the scheduler's
     * noise, which only delays the probes) */
    for (;;) {
        uint64_t start = ab_now_us();
        if ((st = auth(cb, cred)) != AB_MECH_OK || start - t0 > 2000000u)
            break;
        last_ok = start;
        sleep_ms(5);
    }
    print_message("  revoked on A; B accepted it until %.0f ms after its entry was made, refused it "
                  "%.0f ms after the logout (l1=400ms)\n", last_ok ? (double)(last_ok - kept) / 1e3 : 0.0,
                  (double)(ab_now_us() - t0) / 1e3);
    assert_int_equal(st, AB_MECH_UNKNOWN_SESSION);
    assert_true(last_ok < kept + 400000u);
    k = counters(cb);
    assert_true(k.l1_hits >= 2);
    assert_true(k.l1_misses >= 2);
    ab_mech_ctx_free(ca);
    ab_mech_ctx_free(cb);
    ab_mech_close(a);
    ab_mech_close(b);
}

static void l1_should_evict_the_least_recently_used_and_answer_a_loop_at_once(void **state)
{
    char uri[64], cred[3][64];
    ab_mech *m;
    ab_mech_ctx *c;
    tmf_loop L;
    ab_mech_principal who;
    uint64_t miss0;
    int i;
    (void)state;
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", tmf.redis.port);
    m = open_fmt(NULL, 0, "session:%s?l1=10s&l1_size=2", uri);
    c = tmf_ctx_ok(m);
    for (i = 0; i < 3; i++) {
        tmf_issue_ok(c, "frank", cred[i], sizeof cred[i]);
        assert_int_equal(auth(c, cred[i]), AB_MECH_OK); /* 3 misses; the third evicts the first */
    }
    miss0 = counters(c).l1_misses;
    assert_int_equal(auth(c, cred[2]), AB_MECH_OK);
    assert_int_equal(counters(c).l1_misses, miss0);
    assert_int_equal(auth(c, cred[0]), AB_MECH_OK);
    assert_int_equal(counters(c).l1_misses, miss0 + 1);
    ab_mech_ctx_free(c);
    /* on a loop handle a hit answers at once, a miss waits for the store */
    tmf_loop_ctx(&L, m);
    {
        tmf_done d = {0, 0};
        assert_int_equal(ab_mech_authenticate_async(L.c, cred[0], strlen(cred[0]), &who, tmf_done_cb, &d), AB_MECH_OK);
        assert_int_equal(ab_mech_authenticate_async(L.c, cred[1], strlen(cred[1]), &who, tmf_done_cb, &d),
                         AB_MECH_PENDING);
        assert_int_equal(tmf_answer(&L, AB_MECH_PENDING, &d), AB_MECH_OK);
        assert_string_equal(who.sub, "frank");
    }
    ab_mech_ctx_free(L.c);
    ab_mech_close(m);
}

static void the_token_cache_should_spare_the_verify_but_never_pass_exp(void **state)
{
    char tok[4096];
    ab_mech *m = open_fmt(tmf.ec, 1, "jwt:ES256?cache=100");
    ab_mech_ctx *c = tmf_ctx_ok(m);
    ab_mech_counters k;
    uint64_t t0;
    int st;
    (void)state;
    tmf_issue_ok(c, "gina", tok, sizeof tok);
    assert_int_equal(auth(c, tok), AB_MECH_OK);
    assert_int_equal(auth(c, tok), AB_MECH_OK);
    assert_int_equal(auth(c, tok), AB_MECH_OK);
    k = counters(c);
    assert_int_equal(k.verifications, 1);
    assert_int_equal(k.cache_misses, 1);
    assert_int_equal(k.cache_hits, 2);
    /* ttl 1 s: once the verifier would call it expired, the cache does not answer for it */
    t0 = ab_now_us();
    while ((st = auth(c, tok)) == AB_MECH_OK && ab_now_us() - t0 < 3000000u)
        sleep_ms(5);
    assert_int_equal(st, AB_MECH_EXPIRED);
    assert_int_equal(auth(c, tok), AB_MECH_EXPIRED);
    ab_mech_ctx_free(c);
    ab_mech_close(m);
}

static void the_token_cache_should_never_take_a_forged_token(void **state)
{
    char tok[4096], forged[4096];
    ab_mech *m = open_fmt(tmf.hs, 0, "jwt:HS256?cache=1");
    ab_mech_ctx *c = tmf_ctx_ok(m);
    size_t n;
    (void)state;
    n = tmf_issue_ok(c, "hank", tok, sizeof tok);
    assert_int_equal(auth(c, tok), AB_MECH_OK);
    memcpy(forged, tok, n + 1);
    forged[n - 2] = forged[n - 2] == 'A' ? 'B' : 'A'; /* same length, another signature */
    assert_int_equal(auth(c, forged), AB_MECH_BAD_SIGNATURE);
    assert_int_equal(auth(c, forged), AB_MECH_BAD_SIGNATURE); /* a refusal is never kept */
    assert_int_equal(auth(c, tok), AB_MECH_OK);
    assert_int_equal(counters(c).cache_hits, 1);
    assert_int_equal(counters(c).verifications, 3);
    ab_mech_ctx_free(c);
    ab_mech_close(m);
}

/* What each thread of the sharing test does: issues its own credentials and authenticates them
 * many times on its own handle of the shared mechanism. */
typedef struct share_arg {
    ab_mech *m;
    int failures;
} share_arg;

static void *share_thread(void *p)
{
    share_arg *a = p;
    ab_mech_ctx *c = ab_mech_ctx_new(a->m);
    char cred[8][4096], user[16];
    int i, r;
    ab_mech_principal who;
    for (i = 0; i < 8; i++) {
        size_t n;
        snprintf(user, sizeof user, "u%d-%p", i, (void *)c); /* "u0-0x6030…": a valid name */
        if (ab_mech_issue(c, user, cred[i], sizeof cred[i], &n) != AB_MECH_OK)
            a->failures++;
    }
    for (r = 0; r < 400; r++)
        for (i = 0; i < 8; i++)
            if (ab_mech_authenticate(c, cred[i], strlen(cred[i]), &who) != AB_MECH_OK)
                a->failures++;
    ab_mech_ctx_free(c);
    return NULL;
}

static void the_caches_should_be_shared_safely_by_a_servers_threads(void **state)
{
    enum { T = 4 };
    static const char *const specs[] = {"session:memory://?l1=50ms&l1_size=16", "jwt:HS256?cache=16"};
    size_t s;
    int i;
    (void)state;
    for (s = 0; s < 2; s++) { /* 32 credentials through 16 entries: hits, misses, evictions, expiry */
        ab_mech *m = open_fmt(tmf.hs, 0, "%s", specs[s]);
        pthread_t th[T];
        share_arg a[T];
        for (i = 0; i < T; i++) {
            a[i] = (share_arg){m, 0};
            assert_int_equal(pthread_create(&th[i], NULL, share_thread, &a[i]), 0);
        }
        for (i = 0; i < T; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(a[i].failures, 0);
        }
        ab_mech_close(m);
    }
}

/* Revoke then authenticate on c, blocking or through L: what on_store_error makes of a dead store. */
static void dead_store_answers(ab_mech_ctx *c, tmf_loop *L, const char *tok, int open)
{
    ab_mech_principal who;
    tmf_done d1 = {0, 0}, d2 = {0, 0};
    size_t n = strlen(tok);
    int st = L ? tmf_answer(L, ab_mech_authenticate_async(c, tok, n, &who, tmf_done_cb, &d1), &d1)
               : ab_mech_authenticate(c, tok, n, &who);
    assert_int_equal(st, open ? AB_MECH_OK : AB_MECH_STORE_ERROR);
    st = L ? tmf_answer(L, ab_mech_revoke_async(c, tok, n, tmf_done_cb, &d2), &d2) : ab_mech_revoke(c, tok, n);
    assert_int_equal(st, AB_MECH_STORE_ERROR); /* a revocation cannot be let through */
    assert_int_equal(counters(c).fail_open, open ? 1 : 0);
}

static void on_store_error_should_refuse_or_let_a_verified_token_through(void **state)
{
    int port = tsupport_free_port(), open, loop;
    char tok[4096];
    (void)state;
    for (open = 0; open < 2; open++)
        for (loop = 0; loop < 2; loop++) {
            ab_mech *m = open_fmt(tmf.ec, 0, "jwt+denylist:ES256,redis://127.0.0.1:%d?connect_timeout_ms=100"
                                  "&timeout_ms=200&on_store_error=%s", port, open ? "open" : "closed");
            tmf_loop L;
            ab_mech_ctx *c = loop ? tmf_loop_ctx(&L, m) : ab_mech_ctx_new(m);
            size_t n;
            assert_non_null(c);
            assert_int_equal(ab_mech_ctx_err(c), AB_MECH_STORE_ERROR);
            assert_int_equal(ab_mech_issue(c, "ivan", tok, sizeof tok, &n), AB_MECH_OK);
            dead_store_answers(c, loop ? &L : NULL, tok, open);
            ab_mech_ctx_free(c);
            ab_mech_close(m);
        }
}

static void asymmetric_denylists_should_revoke_blocking_and_async(void **state)
{
    static const char *const algs[] = {"ES256", "EdDSA", "RS256", "PS256"};
    const char *keys[] = {tmf.ec, tmf.ed, tmf.rsa, tmf.rsa};
    char tok[4096];
    size_t i, n;
    (void)state;
    for (i = 0; i < 4; i++) {
        ab_mech *m = open_fmt(keys[i], 0, "jwt+denylist:%s,redis://127.0.0.1:%d", algs[i], tmf.redis.port);
        ab_mech_ctx *c = tmf_ctx_ok(m);
        tmf_loop L;
        ab_mech_principal who;
        tmf_done d[3] = {{0, 0}, {0, 0}, {0, 0}};
        n = tmf_issue_ok(c, "judy", tok, sizeof tok);
        assert_int_equal(auth(c, tok), AB_MECH_OK);
        tmf_loop_ctx(&L, m); /* another thread of the server, on its loop */
        assert_int_equal(tmf_answer(&L, ab_mech_authenticate_async(L.c, tok, n, &who, tmf_done_cb, &d[0]), &d[0]),
                         AB_MECH_OK);
        assert_int_equal(tmf_answer(&L, ab_mech_revoke_async(L.c, tok, n, tmf_done_cb, &d[1]), &d[1]), AB_MECH_OK);
        assert_int_equal(auth(c, tok), AB_MECH_REVOKED);
        assert_int_equal(tmf_answer(&L, ab_mech_authenticate_async(L.c, tok, n, &who, tmf_done_cb, &d[2]), &d[2]),
                         AB_MECH_REVOKED);
        ab_mech_ctx_free(L.c);
        ab_mech_ctx_free(c);
        ab_mech_close(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_should_be_read_from_the_spec_and_refused_when_wrong),
        cmocka_unit_test(claims_should_be_padded_to_the_size_asked_on_both_sides),
        cmocka_unit_test(jwts_past_the_cookie_and_header_limits_should_verify_and_be_noted),
        cmocka_unit_test(touch_should_write_as_often_as_it_says_blocking_and_async),
        cmocka_unit_test(l1_should_spare_the_store_until_its_ttl_which_is_the_revocation_delay),
        cmocka_unit_test(l1_should_evict_the_least_recently_used_and_answer_a_loop_at_once),
        cmocka_unit_test(the_token_cache_should_spare_the_verify_but_never_pass_exp),
        cmocka_unit_test(the_token_cache_should_never_take_a_forged_token),
        cmocka_unit_test(the_caches_should_be_shared_safely_by_a_servers_threads),
        cmocka_unit_test(on_store_error_should_refuse_or_let_a_verified_token_through),
        cmocka_unit_test(asymmetric_denylists_should_revoke_blocking_and_async),
    };
    return cmocka_run_group_tests(tests, tmf_group_setup, tmf_group_teardown);
}

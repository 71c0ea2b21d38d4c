/* test_revocation.c — `authbench revocation` against two servers sharing a store: a user logged
 * out on one is refused by both; a session's and a denylist's revocation is faster than one
 * request, a pushed denylist's within its stated bound, a stateless JWT's is its remaining
 * lifetime; what cannot be measured fails clearly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "rv_testutil.h"
#include "test_mech_fixture.h"
#include "test_serve_client.h"
#include "tsupport.h"

/* What one `authbench revocation` printed and how it exited. */
typedef struct rv_out {
    int status;       /* exit status, -1 when it did not exit */
    char text[8192];  /* stdout, stderr appended */
    cJSON *doc;       /* stdout parsed (with --json and exit 0), else NULL */
} rv_out;

/* Runs `authbench revocation <args>` (stderr kept) into *o. */
static void run_revocation(rv_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_revocation(rv_out *o, const char *fmt, ...)
{
    char args[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    memset(o, 0, sizeof *o);
    o->status = rvt_run(o->text, sizeof o->text, "revocation %s 2>&1", args);
    if (o->status == 0)
        o->doc = cJSON_Parse(o->text);
}

/* A number of the document at a dotted path; fails the test when absent. */
static double num(const rv_out *o, const char *path)
{
    const cJSON *j = o->doc;
    char copy[128], *save = NULL, *part;
    snprintf(copy, sizeof copy, "%s", path);
    for (part = strtok_r(copy, ".", &save); j != NULL && part != NULL; part = strtok_r(NULL, ".", &save))
        j = cJSON_GetObjectItemCaseSensitive(j, part);
    if (!cJSON_IsNumber(j))
        fail_msg("no number at %s in: %s", path, o->text);
    return j->valuedouble;
}

/* The method the document reports. */
static const char *method(const rv_out *o)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(o->doc, "revocation_latency_us");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(l, "method");
    if (!cJSON_IsString(m))
        fail_msg("no method in: %s", o->text);
    return m->valuestring;
}

/* Starts two servers of spec (key may be NULL) with extra arguments; fails the test otherwise. */
static void start_two(tsc_server s[2], const char *spec, const char *key, const char *const *extra)
{
    int i;
    for (i = 0; i < 2; i++)
        if (tsc_server_start(&s[i], spec, key, extra) != 0)
            fail_msg("authbench serve --mechanism %s did not start", spec);
}

static void stop_two(tsc_server s[2])
{
    tsc_server_stop(&s[0]);
    tsc_server_stop(&s[1]);
}

/* Measures spec over two servers with --json; the caller checks and deletes o->doc. */
static void measure(rv_out *o, const char *spec, const char *key, const char *const *extra, int samples)
{
    tsc_server s[2];
    print_message("  %s\n", spec);
    start_two(s, spec, key, extra);
    run_revocation(o, "--targets 127.0.0.1:%d,127.0.0.1:%d --samples %d --json", s[0].port, s[1].port, samples);
    stop_two(s);
    if (o->status != 0 || o->doc == NULL)
        fail_msg("revocation of %s exited %d: %s", spec, o->status, o->text);
    assert_int_equal((int)num(o, "revocation_latency_us.n"), samples);
}

/* A store looked up on every request refuses the next request after the logout: its revocation
 * latency is below one request's round trip, and every probe after the logout was refused. */
static void assert_next_request_refused(const rv_out *o)
{
    assert_string_equal(method(o), "probed");
    assert_true(num(o, "revocation_latency_us.p50") <= num(o, "request_latency_us.p50"));
    assert_true(num(o, "revocation_latency_us.max") < 20000); /* 20 ms: far off, a loaded machine */
    assert_true(num(o, "revocation_latency_us.bound_us") >= num(o, "request_latency_us.p99"));
    assert_true(num(o, "refused_probes") >= 2 * num(o, "revocation_latency_us.n"));
}

/* Measures "<family>:redis://…" (prefix "session:" or "jwt+denylist:ES256,") and asserts the next
 * request after the logout is refused. */
static void assert_redis_spec_refuses_next(const char *prefix, const char *key)
{
    char spec[128];
    rv_out o;
    snprintf(spec, sizeof spec, "%sredis://127.0.0.1:%d", prefix, tmf.redis.port);
    measure(&o, spec, key, NULL, 10);
    assert_next_request_refused(&o);
    cJSON_Delete(o.doc);
}

static void session_redis_is_revoked_by_the_next_request(void **state)
{
    (void)state;
    assert_redis_spec_refuses_next("session:", NULL);
}

static void jwt_denylist_es256_is_revoked_by_the_next_request(void **state)
{
    (void)state;
    assert_redis_spec_refuses_next("jwt+denylist:ES256,", tmf.ec);
}

/* The pushed denylist: checked in memory, the revocation published to every server: the median
 * within its stated bound (one request + the subscriber's wake-up), every sample probed (the push
 * arrived; no catch-up, which would follow a reconnect's backoff). The tail is the machine's: a
 * subscriber thread not scheduled for a while on a loaded 2-core box; bench/revoke/README.md
 * reports it measured. */
static void pushed_denylist_is_revoked_within_its_bound(void **state)
{
    char spec[128];
    rv_out o;
    (void)state;
    snprintf(spec, sizeof spec, "jwt+pushed-denylist:ES256,redis://127.0.0.1:%d", tmf.redis.port);
    measure(&o, spec, tmf.ec, NULL, 20);
    assert_string_equal(method(&o), "probed");
    assert_true(num(&o, "revocation_latency_us.p50") <= num(&o, "revocation_latency_us.bound_us"));
    assert_true(num(&o, "revocation_latency_us.max") < 1e6);
    assert_true(num(&o, "refused_probes") >= 40);
    cJSON_Delete(o.doc);
}

/* jwt:ES256 cannot be withdrawn: the credential ends at its exp, an hour (--ttl 1h) after login. */
static void stateless_jwt_lasts_its_remaining_lifetime(void **state)
{
    static const char *const ttl[] = {"--ttl", "1h", NULL};
    rv_out o;
    (void)state;
    measure(&o, "jwt:ES256", tmf.ec, ttl, 3);
    assert_string_equal(method(&o), "token_lifetime");
    assert_true(num(&o, "revocation_latency_us.p50") > 3590e6);
    assert_true(num(&o, "revocation_latency_us.max") <= 3600e6);
    assert_true(num(&o, "revocation_latency_us.bound_us") == 3600e6);
    assert_int_equal((int)num(&o, "token_lifetime_samples"), 3);
    assert_int_equal((int)num(&o, "refused_probes"), 0);
    cJSON_Delete(o.doc);
}

/* Measuring spec over two servers fails with exit status 1 and a line saying text. */
static void assert_measure_fails(const char *spec, const char *text)
{
    tsc_server s[2];
    rv_out o;
    start_two(s, spec, NULL, NULL);
    run_revocation(&o, "--targets 127.0.0.1:%d,127.0.0.1:%d --samples 2 --max-wait 200ms", s[0].port, s[1].port);
    stop_two(s);
    assert_int_equal(o.status, 1);
    if (strstr(o.text, text) == NULL)
        fail_msg("%s: '%s' does not say '%s'", spec, o.text, text);
}

/* memory:// sessions live in one server: the second refuses the fresh credential, said plainly. */
static void servers_not_sharing_a_store_fail_clearly(void **state)
{
    (void)state;
    assert_measure_fails("session:memory://", "refused a fresh credential");
}

/* "none" withdraws nothing and its credential has no exp: a failure, not a number. */
static void a_credential_without_lifetime_not_revoked_fails(void **state)
{
    (void)state;
    assert_measure_fails("none", "not revoked within max-wait");
}

static void bad_usage_exits_2_with_one_line(void **state)
{
    rv_out o;
    (void)state;
    run_revocation(&o, "--samples 3");
    assert_int_equal(o.status, 2);
    assert_non_null(strstr(o.text, "--targets is required"));
    run_revocation(&o, "--targets 127.0.0.1:1 --probe-interval 10s --max-wait 1s");
    assert_int_equal(o.status, 2);
    run_revocation(&o, "--targets 127.0.0.1:1 --samples 1");
    assert_int_equal(o.status, 1); /* nothing listens on port 1 */
    run_revocation(&o, "--help");
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.text, "token_lifetime"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(session_redis_is_revoked_by_the_next_request),
        cmocka_unit_test(jwt_denylist_es256_is_revoked_by_the_next_request),
        cmocka_unit_test(pushed_denylist_is_revoked_within_its_bound),
        cmocka_unit_test(stateless_jwt_lasts_its_remaining_lifetime),
        cmocka_unit_test(servers_not_sharing_a_store_fail_clearly),
        cmocka_unit_test(a_credential_without_lifetime_not_revoked_fails),
        cmocka_unit_test(bad_usage_exits_2_with_one_line),
    };
    return cmocka_run_group_tests(tests, tmf_base_group_setup, tmf_group_teardown);
}

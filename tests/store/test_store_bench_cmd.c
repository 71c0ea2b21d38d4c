/* test_store_bench_cmd.c — `authbench store-bench` end to end: usage errors, store errors, and short
 * runs of its event-loop engine over memory, Redis and PostgreSQL (pipelined), files and memcached,
 * every operation on every backend, whose JSON is checked field by field. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "store_test.h"
#include "tsupport.h"

#define OUT_MAX (1 << 20)

/* The private PostgreSQL and memcached of the whole run, started in main (so that a failing test
 * cannot leave one running). */
static ab_run_srv pg, mc;

/* The output of one run of the program. */
typedef struct run_out {
    int status; /* exit status, or -1 when it did not exit normally */
    char *out;
    char *err;
} run_out;

/* Reads fd to EOF into a malloc'd NUL-terminated buffer. */
static char *slurp(int fd)
{
    char *buf = malloc(OUT_MAX + 1);
    size_t len = 0;
    ssize_t n;
    assert_non_null(buf);
    while (len < OUT_MAX && ((n = read(fd, buf + len, OUT_MAX - len)) > 0 || (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    buf[len] = '\0';
    close(fd);
    return buf;
}

/* Runs $AUTHBENCH_BIN store-bench <args…> (NULL-terminated) and captures stdout (to a file, so a
 * big report cannot block the child) and stderr. */
static run_out run_bench(const char *first, ...)
{
    const char *argv[32], *bin = getenv("AUTHBENCH_BIN");
    char outpath[] = "/tmp/authbench-sbout-XXXXXX";
    int errp[2], ofd, st, argc = 0;
    run_out r = {-1, NULL, NULL};
    va_list ap;
    pid_t pid;
    assert_non_null(bin);
    argv[argc++] = bin;
    argv[argc++] = "store-bench";
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    assert_true((ofd = mkstemp(outpath)) >= 0);
    assert_int_equal(pipe(errp), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (dup2(ofd, 1) < 0 || dup2(errp[1], 2) < 0)
            _exit(127);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(errp[1]);
    r.err = slurp(errp[0]);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    assert_int_equal(lseek(ofd, 0, SEEK_SET), 0);
    r.out = slurp(ofd);
    unlink(outpath);
    return r;
}

static void run_free(run_out *r)
{
    free(r->out);
    free(r->err);
}

/* Asserts a usage or store error: the exit status and one stderr line mentioning says. */
static void expect_error(run_out r, int status, const char *says)
{
    if (r.status != status || strstr(r.err, says) == NULL || strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
        fail_msg("exit %d, stderr \"%s\": want exit %d and one line with \"%s\"", r.status, r.err, status, says);
    assert_string_equal(r.out, "");
    run_free(&r);
}

static void help_prints_the_usage_and_exits_0(void **state)
{
    run_out r = run_bench("--help", NULL);
    (void)state;
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: authbench store-bench --store URI"));
    assert_non_null(strstr(r.out, "--pipeline P"));
    assert_non_null(strstr(r.out, "--threads T"));
    assert_non_null(strstr(r.out, "event-\nloop threads"));
    run_free(&r);
}

static void bad_usage_exits_2_with_one_line(void **state)
{
    (void)state;
    expect_error(run_bench(NULL), 2, "--store URI is required");
    expect_error(run_bench("--store", "memory://", "--op", "scan", NULL), 2, "--op: 'scan' is not get, create, touch, delete or mix");
    expect_error(run_bench("--store", "memory://", "--clients", "0", NULL), 2, "--clients");
    expect_error(run_bench("--store", "memory://", "--threads", "0", NULL), 2, "--threads");
    expect_error(run_bench("--store", "memory://", "--threads", "3", "--clients", "2", NULL), 2,
                 "--threads 3 is more than --clients 2");
    expect_error(run_bench("--store", "memory://", "--pipeline", "0", NULL), 2, "--pipeline");
    expect_error(run_bench("--store", "memory://", "--pipeline", "2000", NULL), 2, "--pipeline");
    expect_error(run_bench("--store", "memory://", "--duration", "soon", NULL), 2, "--duration");
    expect_error(run_bench("--store", "memory://", "--value-bytes", "10", NULL), 2, "--value-bytes");
    expect_error(run_bench("--store", "memory://", "--sessions", "2", "--clients", "4", NULL), 2, "fewer than --clients");
    expect_error(run_bench("--store", "memory://", "--frobnicate", NULL), 2, "unknown option '--frobnicate'");
    expect_error(run_bench("--store", "memory://", "extra", NULL), 2, "unexpected argument 'extra'");
}

static void a_store_that_cannot_be_used_exits_1_with_the_reason(void **state)
{
    char uri[96];
    (void)state;
    expect_error(run_bench("--store", "nosuch://x", NULL), 1, "unknown store scheme");
    expect_error(run_bench("--store", "file:///nonexistent-authbench-dir", NULL), 1, "does not exist");
    snprintf(uri, sizeof uri, "redis://:hunter2@127.0.0.1:%d", tsupport_free_port());
    expect_error(run_bench("--store", uri, "--duration", "100ms", NULL), 1, "cannot connect");
}

/* Parses the run's stdout as one JSON object and checks the fields every run has. */
static cJSON *parse_report(const run_out *r)
{
    static const char *const fields[] = {"ops_per_sec", "errors", "ops", "duration_s", "round_trips_per_op",
                                         "net_bytes_out_per_op", "net_bytes_in_per_op", "disk_bytes_read_per_op",
                                         "disk_bytes_written_per_op", "fsyncs_per_op", "syscalls_per_op"};
    static const char *const pcts[] = {"p50", "p90", "p99", "p999", "max"};
    cJSON *root = cJSON_Parse(r->out), *lat;
    double prev = 0;
    size_t i;
    if (r->status != 0 || root == NULL)
        fail_msg("exit %d, stderr \"%s\", stdout \"%.200s\"", r->status, r->err, r->out);
    for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!cJSON_IsNumber(cJSON_GetObjectItem(root, fields[i])))
            fail_msg("no number \"%s\" in the report", fields[i]);
    lat = cJSON_GetObjectItem(root, "latency_us");
    for (i = 0; i < sizeof pcts / sizeof pcts[0]; i++) {
        double v = cJSON_GetNumberValue(cJSON_GetObjectItem(lat, pcts[i]));
        if (!(v >= prev && v > 0))
            fail_msg("latency_us.%s = %g after %g", pcts[i], v, prev);
        prev = v;
    }
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(root, "ops_per_sec")) > 0);
    return root;
}

/* A number field of the report. */
static double num(const cJSON *root, const char *name)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItem(root, name));
}

static void a_memory_mix_run_reports_json_without_errors(void **state)
{
    run_out r = run_bench("--store", "memory://", "--op", "mix", "--clients", "3", "--sessions", "300",
                          "--duration", "300ms", "--warmup", "100ms", "--json", NULL);
    cJSON *root = parse_report(&r);
    (void)state;
    assert_int_equal(num(root, "errors"), 0);
    assert_int_equal(num(root, "clients"), 3);
    assert_true(num(root, "duration_s") > 0.25 && num(root, "duration_s") < 1.0);
    assert_int_equal(num(root, "round_trips_per_op"), 0);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(root, "backend")), "memory");
    cJSON_Delete(root);
    run_free(&r);
}

/* A Redis get run at pipeline p over 2 connections on 2 loops: its report (checked for errors). */
static cJSON *redis_gets(const char *uri, const char *p, run_out *r)
{
    cJSON *root;
    *r = run_bench("--store", uri, "--op", "get", "--threads", "2", "--clients", "2", "--pipeline", p, "--sessions",
                   "200", "--value-bytes", "300", "--duration", "300ms", "--warmup", "50ms", "--json", NULL);
    root = parse_report(r);
    assert_int_equal(num(root, "errors"), 0);
    assert_int_equal(num(root, "not_found"), 0);
    assert_int_equal(num(root, "threads"), 2);
    assert_true(num(root, "net_bytes_in_per_op") > 300); /* the record: header and claims */
    assert_true(num(root, "net_bytes_out_per_op") > 20 && num(root, "net_bytes_out_per_op") < 100);
    assert_null(strstr(r->out, "pw-secret"));
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(root, "store")), ":***@127.0.0.1"));
    return root;
}

static void pipelined_redis_gets_share_round_trips_and_unpipelined_ones_do_not(void **state)
{
    const char *const args[] = {"--requirepass", "pw-secret", NULL};
    tsupport_redis redis;
    char uri[96];
    run_out r;
    cJSON *root;
    (void)state;
    assert_int_equal(tsupport_redis_start(&redis, args), 0);
    snprintf(uri, sizeof uri, "redis://:pw-secret@127.0.0.1:%d", redis.port);
    root = redis_gets(uri, "1", &r);
    assert_float_equal(num(root, "ops_per_round_trip"), 1.0, 0.001);
    assert_float_equal(num(root, "round_trips_per_op"), 1.0, 0.001);
    cJSON_Delete(root);
    run_free(&r);
    root = redis_gets(uri, "16", &r);
    if (!(num(root, "ops_per_round_trip") > 1.5 && num(root, "round_trips_per_op") < 0.7))
        fail_msg("pipeline 16: %g ops per round trip, %g round trips per op", num(root, "ops_per_round_trip"),
                 num(root, "round_trips_per_op"));
    assert_true(num(root, "pipeline") == 16);
    cJSON_Delete(root);
    run_free(&r);
    tsupport_redis_stop(&redis);
}

/* Runs every operation on uri (2 loops, 2 connections, 4 in flight each) and checks each run. */
static void every_op_on(const char *uri, const char *backend)
{
    static const char *const ops[] = {"get", "create", "touch", "delete", "mix"};
    size_t i;
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        run_out r = run_bench("--store", uri, "--op", ops[i], "--threads", "2", "--clients", "2", "--pipeline", "4",
                              "--sessions", "2000", "--duration", "200ms", "--warmup", "0", "--json", NULL);
        cJSON *root = parse_report(&r);
        if (num(root, "errors") != 0 || num(root, "ops") < 10)
            fail_msg("%s %s: %g ops, %g errors", backend, ops[i], num(root, "ops"), num(root, "errors"));
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(root, "backend")), backend);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(root, "op")), ops[i]);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(root, "engine")), "event-loop");
        if (strcmp(ops[i], "get") == 0 || strcmp(ops[i], "touch") == 0)
            assert_int_equal(num(root, "not_found"), 0);
        cJSON_Delete(root);
        run_free(&r);
    }
}

static void every_operation_runs_on_every_backend(void **state)
{
    char *dir = tsupport_tmpdir("sbops"), uri[600];
    tsupport_redis redis;
    (void)state;
    every_op_on("memory://", "memory");
    assert_int_equal(tsupport_redis_start(&redis, NULL), 0);
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", redis.port);
    every_op_on(uri, "redis");
    tsupport_redis_stop(&redis);
    assert_non_null(dir);
    snprintf(uri, sizeof uri, "file://%s?fsync=never", dir);
    every_op_on(uri, "file");
    tsupport_rmtree(dir);
    free(dir);
}

static void every_operation_runs_on_postgres_and_memcached(void **state)
{
    (void)state;
    every_op_on(pg.url, "postgres");
    every_op_on(mc.url, "memcached");
}

/* A get run after --fill on uri: no errors, the fill counted, and the store's bytes per session
 * between lo and hi (the 256 B claims in a record of about 390 B, plus the store's own overhead). */
static void fill_reports_bytes_per_session(const char *uri, double lo, double hi)
{
    run_out r = run_bench("--store", uri, "--op", "get", "--fill", "3000", "--sessions", "500", "--duration", "200ms",
                          "--warmup", "0", "--json", NULL);
    cJSON *root = parse_report(&r);
    double bps = num(root, "stored_bytes_per_session");
    if (num(root, "errors") != 0 || num(root, "fill_sessions") != 3000 || !(bps >= lo && bps <= hi))
        fail_msg("%s --fill 3000: %g errors, %g B per session (want %g..%g)", uri, num(root, "errors"), bps, lo, hi);
    assert_true(strstr(r.err, "stored 3000 of 3000 fill sessions") != NULL);
    cJSON_Delete(root);
    run_free(&r);
}

static void a_fill_run_reports_the_stores_bytes_per_session(void **state)
{
    tsupport_redis redis;
    char uri[600];
    (void)state;
    fill_reports_bytes_per_session("memory://", 300, 1000);
    snprintf(uri, sizeof uri, "%s?table=fill_test", pg.url); /* a table of its own: its growth alone */
    fill_reports_bytes_per_session(uri, 390, 3000);
    fill_reports_bytes_per_session(mc.url, 390, 3000);
    assert_int_equal(tsupport_redis_start(&redis, NULL), 0);
    snprintf(uri, sizeof uri, "redis://127.0.0.1:%d", redis.port);
    fill_reports_bytes_per_session(uri, 390, 3000); /* used_memory */
    tsupport_redis_stop(&redis);
}

/* A get run with --sweep 1500 on uri: the sweep ran mid-window and removed want sessions, with
 * operations completing while it ran. */
static void sweep_removes(const char *uri, double want)
{
    run_out r = run_bench("--store", uri, "--op", "get", "--sweep", "1500", "--sessions", "200", "--duration", "1s",
                          "--warmup", "0", "--json", NULL);
    cJSON *root = parse_report(&r);
    if (num(root, "errors") != 0 || num(root, "swept") != want || !(num(root, "sweep_ms") >= 0))
        fail_msg("%s --sweep 1500: %g errors, swept %g (want %g) in %g ms", uri, num(root, "errors"), num(root, "swept"),
                 want, num(root, "sweep_ms"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(root, "stored_bytes_per_session")));
    cJSON_Delete(root);
    run_free(&r);
}

static void a_sweep_run_removes_the_expired_sessions_mid_window(void **state)
{
    char uri[600];
    (void)state;
    sweep_removes("memory://?ttl_sweep_ms=0", 1500);
    snprintf(uri, sizeof uri, "%s?table=sweep_test", pg.url);
    sweep_removes(uri, 1500); /* DELETE … WHERE expires_at < now() */
    sweep_removes(mc.url, 0); /* memcached expires them itself */
}

static void pipelined_postgres_gets_share_round_trips(void **state)
{
    run_out r;
    cJSON *root;
    (void)state;
    r = run_bench("--store", pg.url, "--op", "get", "--clients", "2", "--pipeline", "16", "--sessions", "500",
                  "--duration", "300ms", "--warmup", "0", "--json", NULL);
    root = parse_report(&r);
    if (num(root, "errors") != 0 || !(num(root, "ops_per_round_trip") > 1.5))
        fail_msg("postgres pipeline 16: %g errors, %g ops per round trip", num(root, "errors"),
                 num(root, "ops_per_round_trip"));
    cJSON_Delete(root);
    run_free(&r);
}

static void a_file_get_run_reads_the_session_file_per_operation(void **state)
{
    char *dir = tsupport_tmpdir("sbfile"), uri[600];
    run_out r;
    cJSON *root;
    (void)state;
    assert_non_null(dir);
    snprintf(uri, sizeof uri, "file://%s?fsync=never", dir);
    r = run_bench("--store", uri, "--sessions", "100", "--value-bytes", "500", "--duration", "200ms", "--warmup", "0",
                  "--json", NULL);
    root = parse_report(&r);
    assert_true(num(root, "disk_bytes_read_per_op") > 500);
    assert_int_equal(num(root, "disk_bytes_written_per_op"), 0);
    assert_true(num(root, "syscalls_per_op") >= 3); /* open, read, close */
    cJSON_Delete(root);
    run_free(&r);
    tsupport_rmtree(dir);
    free(dir);
}

static void a_delete_run_stops_when_every_session_is_gone_and_says_so(void **state)
{
    run_out r = run_bench("--store", "memory://", "--op", "delete", "--sessions", "500", "--duration", "5s",
                          "--warmup", "0", "--json", NULL);
    cJSON *root = parse_report(&r);
    (void)state;
    assert_int_equal(num(root, "ops"), 500);
    assert_true(num(root, "duration_s") < 2);
    assert_non_null(strstr(r.err, "every session was deleted"));
    cJSON_Delete(root);
    run_free(&r);
}

static void the_text_report_shows_throughput_latency_and_io(void **state)
{
    run_out r = run_bench("--store", "memory://", "--duration", "100ms", "--warmup", "0", NULL);
    (void)state;
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "store-bench: memory (memory://) op=get"));
    assert_non_null(strstr(r.out, "throughput"));
    assert_non_null(strstr(r.out, "latency µs   p50"));
    assert_non_null(strstr(r.out, "I/O per op   round trips"));
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_prints_the_usage_and_exits_0),
        cmocka_unit_test(bad_usage_exits_2_with_one_line),
        cmocka_unit_test(a_store_that_cannot_be_used_exits_1_with_the_reason),
        cmocka_unit_test(a_memory_mix_run_reports_json_without_errors),
        cmocka_unit_test(pipelined_redis_gets_share_round_trips_and_unpipelined_ones_do_not),
        cmocka_unit_test(every_operation_runs_on_every_backend),
        cmocka_unit_test(every_operation_runs_on_postgres_and_memcached),
        cmocka_unit_test(pipelined_postgres_gets_share_round_trips),
        cmocka_unit_test(a_fill_run_reports_the_stores_bytes_per_session),
        cmocka_unit_test(a_sweep_run_removes_the_expired_sessions_mid_window),
        cmocka_unit_test(a_file_get_run_reads_the_session_file_per_operation),
        cmocka_unit_test(a_delete_run_stops_when_every_session_is_gone_and_says_so),
        cmocka_unit_test(the_text_report_shows_throughput_latency_and_io),
    };
    int failed;
    if (st_server_start(&pg, 1) != 0 || st_server_start(&mc, 0) != 0) {
        st_server_stop(&pg);
        return 1;
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    st_server_stop(&mc);
    st_server_stop(&pg);
    return failed;
}

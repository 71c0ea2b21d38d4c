/* test_run.c — `authbench run` end to end: a tiny scenario into a temporary --out, every field of
 * results.json (authbench.results/3) present and sane, the CSV files, --dry-run, a malformed
 * scenario, a fault outside its window refused, repetitions in recorded rounds with a sweep point
 * at its capacity cell's rate, and Ctrl-C keeping finished cells with nothing left running. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "test_load_util.h"
#include "tsupport.h"

/* Four cells, about a second each: memory sessions sticky and rr, a JWT, a Redis session. */
static const char tiny_scenario[] =
    "{\"name\": \"tiny\", \"store_capacity\": false, \"micro\": false,\n"
    " \"defaults\": {\"connections\": 4, \"users\": 100, \"duration\": \"1s\", \"warmup\": \"0.2s\",\n"
    "              \"repetitions\": 1, \"servers\": 1, \"lb\": \"rr\"},\n"
    " \"groups\": [\n"
    "   {\"mechanisms\": [\"session:memory\"], \"lb\": [\"sticky\", \"rr\"], \"servers\": 2},\n"
    "   {\"mechanisms\": [\"jwt:HS256\", \"session:redis\"]}\n"
    " ]}\n";

typedef struct run_fixture {
    char *dir;       /* temporary directory: the scenario file and out/ */
    char scenario[512];
    char out[512];
} run_fixture;

/* Makes the temporary directory and writes the scenario into it. */
static void fixture_make(run_fixture *f, const char *tag, const char *scenario)
{
    f->dir = tsupport_tmpdir(tag);
    assert_non_null(f->dir);
    snprintf(f->scenario, sizeof f->scenario, "%s/scenario-in.json", f->dir);
    snprintf(f->out, sizeof f->out, "%s/out", f->dir);
    assert_int_equal(tsupport_write_file(f->scenario, scenario, strlen(scenario)), 0);
}

static void fixture_free(run_fixture *f)
{
    tsupport_rmtree(f->dir);
    free(f->dir);
}

/* Reads and parses a JSON file of the run. */
static cJSON *read_json(const run_fixture *f, const char *name)
{
    char path[700];
    char *text;
    cJSON *j;
    snprintf(path, sizeof path, "%s/%s", f->out, name);
    text = tsupport_read_file(path, NULL);
    if (text == NULL)
        fail_msg("%s missing", path);
    j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

/* Fails unless obj has every key of the NULL-terminated list. */
static void assert_keys(const cJSON *obj, const char *const *keys, const char *where)
{
    size_t i;
    for (i = 0; keys[i] != NULL; i++)
        if (!cJSON_HasObjectItem(obj, keys[i]))
            fail_msg("%s lacks \"%s\"", where, keys[i]);
}

static const char *const top_keys[] = {"schema", "schema_version", "figures", "name", "complete", "started_utc", "finished_utc",
                                       "environment", "scenario", "store_capacity", "cells", NULL};
static const char *const env_keys[] = {"cpu_model", "cores", "memory_bytes", "kernel", "compiler", "cflags",
                                       "build_type", "openssl", "hiredis", "cjson", "redis_server",
                                       "git_commit", "git_dirty", "hostname", "date_utc",
                                       "authbench_version", NULL};
static const char *const cell_keys[] = {
    "id", "label", "mechanism", "family", "store", "alg", "store_delay_us", "disk_mode", "servers", "lb",
    "connections", "threads", "rate_per_sec", "users", "key_dist", "mix", "mix_name", "fault", "fault_at_s",
    "duration_s", "warmup_s", "repetitions", "status", "error", "requests_per_sec",
    "requests_per_sec_mean", "requests_per_sec_cv", "high_cv", "latency_us", "latency_uncorrected_us",
    "histogram", "requests", "errors", "auth_failures", "client_bytes_out_per_req",
    "client_bytes_in_per_req", "credential_bytes", "server_cpu_us_per_req", "auth_cpu_us_per_req",
    "store_round_trips_per_req", "store_net_bytes_per_req", "store_ops_per_req",
    "disk_bytes_read_per_req", "disk_bytes_written_per_req", "fsyncs_per_req", "store_syscalls_per_req",
    "redis_commands_per_req", "timeseries", "windows", NULL};

/* A number field of obj, failing when it is not a number. */
static double num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        fail_msg("\"%s\" is not a number", key);
    return v->valuedouble;
}

/* Checks one finished cell: status, throughput, ordered percentiles, series, figures. */
static void check_cell(const cJSON *c)
{
    static const char *const ps[] = {"p50", "p90", "p99", "p999", "p9999", "max"};
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(c, "latency_us");
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"));
    size_t i;
    assert_keys(c, cell_keys, id);
    if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "status")), "ok") != 0)
        fail_msg("cell %s failed: %s", id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "error")));
    assert_true(num(c, "requests_per_sec") > 0);
    assert_true(num(c, "requests") > 0);
    for (i = 1; i < sizeof ps / sizeof ps[0]; i++)
        assert_true(num(lat, ps[i - 1]) <= num(lat, ps[i]));
    assert_true(num(lat, "p50") > 0);
    assert_true(num(c, "client_bytes_out_per_req") > num(c, "credential_bytes"));
    assert_true(num(c, "server_cpu_us_per_req") > 0);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "timeseries")) >= 1);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "histogram")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "rate_per_sec")));
}

/* Checks what distinguishes the cells: credential size, auth failures only behind rr, Redis. */
static void check_comparisons(const cJSON *res)
{
    const cJSON *sticky = tload_cell(res, "session-memory-s2"), *rr = tload_cell(res, "session-memory-rr-s2");
    const cJSON *jwt = tload_cell(res, "jwt-hs256-s1"), *redis = tload_cell(res, "session-redis-s1");
    const cJSON *c;
    assert_true(num(jwt, "credential_bytes") > num(sticky, "credential_bytes"));
    assert_true(num(jwt, "client_bytes_out_per_req") > num(sticky, "client_bytes_out_per_req"));
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "cells")) {
        if (c == rr)
            assert_true(num(c, "auth_failures") > 0);
        else
            assert_true(num(c, "auth_failures") == 0);
    }
    assert_true(num(redis, "redis_commands_per_req") > 0.5);
    assert_true(num(redis, "store_ops_per_req") > 0.5);
    assert_true(num(redis, "store_round_trips_per_req") > 0); /* the async server pipelines: <= ops */
    assert_true(num(redis, "store_round_trips_per_req") <= num(redis, "store_ops_per_req") + 0.05);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(jwt, "redis_commands_per_req")));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwt, "alg")), "HS256");
}

/* Checks the header fields and the environment. */
static void check_header(const cJSON *res)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(res, "environment");
    assert_keys(res, top_keys, "results.json");
    assert_keys(env, env_keys, "environment");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "schema")), "authbench.results/3");
    assert_true(num(res, "schema_version") == 3);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "name")), "tiny");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "complete")));
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(res, "finished_utc")));
    assert_true(num(env, "cores") >= 1);
    assert_true(num(env, "memory_bytes") > 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "cells")), 4);
}

/* Checks a CSV file's header and its number of data rows (at least min_rows). */
static void check_csv(const run_fixture *f, const char *name, const char *header_start, int min_rows)
{
    char path[700];
    char *text;
    snprintf(path, sizeof path, "%s/%s", f->out, name);
    text = tsupport_read_file(path, NULL);
    assert_non_null(text);
    if (strncmp(text, header_start, strlen(header_start)) != 0)
        fail_msg("%s header: %.80s", name, text);
    assert_true(tload_lines(text) - 1 >= min_rows);
    free(text);
}

static void tiny_run_should_write_every_schema_field(void **state)
{
    run_fixture f;
    char *out = NULL, *err = NULL;
    cJSON *res, *sc;
    const cJSON *c;
    (void)state;
    fixture_make(&f, "run", tiny_scenario);
    {
        char *argv[] = {(char *)tload_bin(), "run", "--scenario", f.scenario, "--out", f.out,
                        "--no-micro", "--no-report", "--quiet", NULL};
        int rc = tload_run(argv, 90000, &out, &err);
        if (rc != 0)
            fail_msg("authbench run exited %d: %s", rc, err);
    }
    res = read_json(&f, "results.json");
    sc = read_json(&f, "scenario.json");
    check_header(res);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(res, "cells")) check_cell(c);
    check_comparisons(res);
    assert_true(cJSON_Compare(sc, cJSON_GetObjectItemCaseSensitive(res, "scenario"), 1));
    check_csv(&f, "results.csv", "id,label,mechanism,family,store,alg,store_delay_us,", 4);
    check_csv(&f, "timeseries.csv", "cell,rep,second,requests,ok,errors,auth_failures,p50_us,p99_us", 4);
    cJSON_Delete(res);
    cJSON_Delete(sc);
    free(out);
    free(err);
    fixture_free(&f);
}

static void dry_run_should_print_the_matrix_and_start_nothing(void **state)
{
    run_fixture f;
    char *out = NULL, *err = NULL;
    struct stat st;
    (void)state;
    fixture_make(&f, "dry", tiny_scenario);
    {
        char *argv[] = {(char *)tload_bin(), "run", "--scenario", f.scenario, "--out", f.out, "--dry-run", NULL};
        assert_int_equal(tload_run(argv, 20000, &out, &err), 0);
    }
    assert_non_null(strstr(out, "session-memory-rr-s2"));
    assert_non_null(strstr(out, "jwt-hs256-s1"));
    assert_non_null(strstr(out, "4 cells; estimated time"));
    assert_int_equal(stat(f.out, &st), -1); /* no run directory: nothing started */
    free(out);
    free(err);
    fixture_free(&f);
}

static void malformed_scenario_should_exit_2_with_one_line(void **state)
{
    run_fixture f;
    char *out = NULL, *err = NULL;
    (void)state;
    fixture_make(&f, "bad", "{\"groups\": [{\"mechanisms\": [\"none\"], \"servers\": \"two\"}]}");
    {
        char *argv[] = {(char *)tload_bin(), "run", "--scenario", f.scenario, "--out", f.out, NULL};
        assert_int_equal(tload_run(argv, 20000, &out, &err), 2);
    }
    assert_int_equal(tload_lines(err), 1);
    assert_non_null(strstr(err, "groups[0].servers"));
    free(out);
    free(err);
    fixture_free(&f);
}

static void a_fault_outside_the_window_should_be_refused_with_one_line(void **state)
{
    run_fixture f;
    char *out = NULL, *err = NULL;
    struct stat st;
    (void)state;
    fixture_make(&f, "fwin", "{\"groups\": [{\"mechanisms\": [\"session:redis\"], \"fault\": \"store-outage\","
                             "\"fault_at\": \"4s\", \"duration\": \"10s\"}]}");
    {
        char *argv[] = {(char *)tload_bin(), "run", "--scenario", f.scenario, "--out", f.out, "--duration", "2s", NULL};
        assert_int_equal(tload_run(argv, 20000, &out, &err), 2);
    }
    assert_int_equal(tload_lines(err), 1);
    assert_non_null(strstr(err, "groups[0]: fault store-outage at 4s"));
    assert_int_equal(stat(f.out, &st), -1); /* refused before anything started */
    free(out);
    free(err);
    fixture_free(&f);
}

/* 1 when the list of strings holds s. */
static int list_has(const cJSON *list, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
            return 1;
    }
    return 0;
}

static void repetitions_should_run_in_rounds_recorded_in_the_results(void **state)
{
    run_fixture f;
    char *out = NULL, *err = NULL;
    const cJSON *order, *rounds, *sweep, *first;
    cJSON *res;
    int r;
    (void)state;
    /* remeasure 0: on a busy machine (ctest -j2) a re-measuring round would follow the two */
    fixture_make(&f, "rounds", "{\"name\": \"rounds\", \"store_capacity\": false, \"micro\": false, \"seed\": 7,"
                               "\"remeasure\": 0,"
                               "\"defaults\": {\"connections\": 2, \"users\": 20, \"duration\": \"0.5s\","
                               "\"warmup\": \"0.1s\", \"repetitions\": 2},"
                               "\"groups\": [{\"mechanisms\": [\"none\", \"jwt:HS256\"], \"sweep\": [0.5]}]}");
    {
        char *argv[] = {(char *)tload_bin(), "run", "--scenario", f.scenario, "--out", f.out, "--no-micro",
                        "--no-report", "--quiet", NULL};
        int rc = tload_run(argv, 90000, &out, &err);
        if (rc != 0)
            fail_msg("authbench run exited %d: %s", rc, err);
    }
    res = read_json(&f, "results.json");
    order = cJSON_GetObjectItemCaseSensitive(res, "repetition_order");
    assert_int_equal((int)num(order, "seed"), 7);
    rounds = cJSON_GetObjectItemCaseSensitive(order, "rounds");
    assert_int_equal(cJSON_GetArraySize(rounds), 2);
    for (r = 0; r < 2; r++) { /* every cell once a round */
        assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(rounds, r)), 4);
        assert_true(list_has(cJSON_GetArrayItem(rounds, r), "none-sw50-s1"));
        assert_true(list_has(cJSON_GetArrayItem(rounds, r), "jwt-hs256-s1"));
    }
    sweep = tload_cell(res, "none-sw50-s1"); /* half the rate its capacity cell measured in round 1 */
    assert_non_null(sweep);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sweep, "status")), "ok");
    first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "cells"), 0); /* in the matrix's order */
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(first, "id")), "none-s1");
    assert_true(num(sweep, "requests_per_sec") > 0);
    cJSON_Delete(res);
    free(out);
    free(err);
    fixture_free(&f);
}

/* 1 when a live process holds an open file under dir (a child the run left behind). */
static int process_holds_files_under(const char *dir)
{
    DIR *proc = opendir("/proc"), *fds;
    struct dirent *p, *fd;
    char path[600], target[600];
    int found = 0;
    while (proc != NULL && !found && (p = readdir(proc)) != NULL) {
        snprintf(path, sizeof path, "/proc/%s/fd", p->d_name);
        if (p->d_name[0] < '0' || p->d_name[0] > '9' || (fds = opendir(path)) == NULL)
            continue;
        while (!found && (fd = readdir(fds)) != NULL) {
            ssize_t n;
            snprintf(path, sizeof path, "/proc/%s/fd/%s", p->d_name, fd->d_name);
            n = readlink(path, target, sizeof target - 1);
            found = n > 0 && (target[n] = '\0', strncmp(target, dir, strlen(dir)) == 0);
        }
        closedir(fds);
    }
    if (proc != NULL)
        closedir(proc);
    return found;
}

/* Number of cells results.json lists now (0 when absent or being written). */
static int cells_done(const run_fixture *f)
{
    char path[700];
    char *text;
    cJSON *j;
    int n;
    snprintf(path, sizeof path, "%s/results.json", f->out);
    text = tsupport_read_file(path, NULL);
    j = text ? cJSON_Parse(text) : NULL;
    n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "cells"));
    cJSON_Delete(j);
    free(text);
    return n;
}

/* Starts `authbench run` in the background on f's scenario; returns its pid. */
static pid_t run_background(const run_fixture *f)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(tload_bin(), tload_bin(), "run", "--scenario", f->scenario, "--out", f->out, "--no-micro",
              "--no-report", "--quiet", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Google Benchmark writes NaN and inf for some aggregates, which is not JSON: the run's micro.json
 * has null there. "null" is longer than "NaN": the default scenario's 250 KB of output crashed an
 * in-place rewrite. A stand-in for authbench_micro writes 20,000 of them, strings holding the same
 * letters left alone. */
static void micro_output_with_nonfinite_numbers_should_become_json(void **state)
{
    run_fixture f;
    char fake[700], *out = NULL, *err = NULL;
    const cJSON *bm;
    cJSON *res, *micro;
    FILE *fp;
    (void)state;
    fixture_make(&f, "micro", "{\"name\": \"micro\", \"store_capacity\": false, \"micro\": {\"min_time\": "
                              "\"0.01s\", \"repetitions\": 1}, \"groups\": [{\"mechanisms\": [\"none\"], "
                              "\"connections\": 2, \"users\": 10, \"duration\": \"0.3s\", \"warmup\": \"0.1s\", "
                              "\"repetitions\": 1}]}");
    snprintf(fake, sizeof fake, "%s/fake-micro", f.dir);
    fp = fopen(fake, "w");
    assert_non_null(fp);
    fputs("#!/bin/sh\n"
          "for a; do case \"$a\" in --benchmark_out=*) out=${a#--benchmark_out=} ;; esac; done\n"
          "{ printf '{\"context\": {\"note\": \"NaN inf\"}, \"benchmarks\": ['\n"
          "  i=0; while [ $i -lt 10000 ]; do printf '{\"name\": \"b%d\", \"cv\": NaN, \"x\": -inf},' $i; i=$((i+1)); done\n"
          "  printf '{\"name\": \"last\", \"cv\": 0}]}'; } > \"$out\"\n", fp);
    fclose(fp);
    assert_int_equal(chmod(fake, 0755), 0);
    {
        char *argv[] = {(char *)tload_bin(), "run", "--scenario", f.scenario, "--out", f.out, "--micro", fake,
                        "--no-report", "--quiet", NULL};
        assert_int_equal(tload_run(argv, 60000, &out, &err), 0);
    }
    micro = read_json(&f, "micro.json");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(micro, "benchmarks")), 10001);
    bm = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(micro, "benchmarks"), 9999);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(bm, "cv")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(bm, "x")));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                            cJSON_GetObjectItemCaseSensitive(micro, "context"), "note")), "NaN inf");
    res = read_json(&f, "results.json");
    assert_true(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "micro"),
                                                                       "nonfinite_replaced_by_null")) == 20000);
    cJSON_Delete(micro);
    cJSON_Delete(res);
    free(out);
    free(err);
    fixture_free(&f);
}

static void interrupted_run_should_keep_finished_cells_and_stop_everything(void **state)
{
    run_fixture f;
    int k, status;
    pid_t pid;
    cJSON *res;
    (void)state;
    fixture_make(&f, "int", "{\"name\":\"int\",\"store_capacity\":false,\"micro\":false,\"groups\":[{"
                            "\"mechanisms\":[\"none\",\"session:redis\"],\"connections\":2,\"users\":20,"
                            "\"duration\":\"1s\",\"warmup\":\"0.1s\",\"repetitions\":1}]}");
    pid = run_background(&f);
    for (k = 0; k < 3000 && cells_done(&f) < 1; k++) { /* up to 30 s for the first cell */
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGINT);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    res = read_json(&f, "results.json");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(res, "complete")));
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(res, "cells")) >= 1);
    assert_false(process_holds_files_under(f.out));
    cJSON_Delete(res);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tiny_run_should_write_every_schema_field),
        cmocka_unit_test(dry_run_should_print_the_matrix_and_start_nothing),
        cmocka_unit_test(malformed_scenario_should_exit_2_with_one_line),
        cmocka_unit_test(a_fault_outside_the_window_should_be_refused_with_one_line),
        cmocka_unit_test(repetitions_should_run_in_rounds_recorded_in_the_results),
        cmocka_unit_test(micro_output_with_nonfinite_numbers_should_become_json),
        cmocka_unit_test(interrupted_run_should_keep_finished_cells_and_stop_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_run_window.c — the run measures over the exact window the load announces: every repetition's
 * load log holds the announcement and its JSON the same window; the fault lands fault_at into that
 * window (within a small tolerance) and is lifted fault_for later; the servers' requests counted
 * over the run's Redis and /stats snapshots match the requests the load counted in its window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "ab_json.h"
#include "test_load_util.h"
#include "tsupport.h"

#define FAULT_AT_S 1.2
#define FAULT_FOR_S 0.5
#define DURATION_S 3.0
#define SLACK_S 0.25 /* how late the run may act on a busy machine (it sleeps until each instant; under
                      * ASan at load average 7 on 2 cores a wake-up came 0.3 s late once) */

/* Two session:redis cells of two repetitions; one pauses its Redis 1.2 s into the window for 0.5 s. */
static const char window_scenario[] =
    "{\"name\": \"window\", \"store_capacity\": false, \"micro\": false,\n"
    " \"defaults\": {\"connections\": 4, \"users\": 40, \"duration\": \"3s\", \"warmup\": \"0.4s\",\n"
    "              \"repetitions\": 2, \"servers\": 1, \"fault_at\": \"1.2s\", \"fault_for\": \"0.5s\"},\n"
    " \"groups\": [\n"
    "   {\"mechanisms\": [\"session:redis\"]},\n"
    "   {\"mechanisms\": [\"session:redis\"], \"fault\": \"redis-pause\"}\n"
    " ]}\n";

/* A number at a dotted path; fails when absent. */
static double num(const cJSON *o, const char *path)
{
    double v = 0;
    if (!ab_json_num(o, path, &v))
        fail_msg("%s: not a number", path);
    return v;
}

/* Reads and parses a JSON file of the run directory; fails when it cannot. The caller deletes it. */
static cJSON *read_doc(const char *path)
{
    char *text = tsupport_read_file(path, NULL);
    cJSON *doc = text != NULL ? cJSON_Parse(text) : NULL;
    free(text);
    if (doc == NULL)
        fail_msg("cannot read %s", path);
    return doc;
}

/* The window start the load announced in its log (AB_LOAD_WINDOW_LINE), in µs; fails without one. */
static double announced_start_us(const char *log_path)
{
    char *text = tsupport_read_file(log_path, NULL);
    const char *line = text != NULL ? strstr(text, "authbench load: measured window start_mono_us=") : NULL;
    unsigned long long start = 0;
    if (line == NULL || sscanf(strchr(line, '=') + 1, "%llu", &start) != 1)
        fail_msg("%s: no window announcement", log_path);
    free(text);
    return (double)start;
}

/* Checks repetition k of cell: the announcement, the load's window, its place in "windows". */
static void check_rep(const char *out, const cJSON *cell, int k, const cJSON **w, cJSON **load)
{
    const char *id = ab_json_str(cell, "id");
    char path[700];
    snprintf(path, sizeof path, "%s/cells/%s/rep%d-load.log", out, id, k);
    {
        double start = announced_start_us(path);
        snprintf(path, sizeof path, "%s/cells/%s/rep%d.json", out, id, k);
        *load = read_doc(path);
        assert_true(num(*load, "window.start_mono_us") == start);
    }
    assert_in_range((unsigned)((num(*load, "window.end_mono_us") - num(*load, "window.start_mono_us")) / 1e4),
                    (unsigned)(DURATION_S * 100) - 2, (unsigned)(DURATION_S * 100) + 2);
    *w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cell, "windows"), k - 1);
    assert_non_null(*w);
    assert_true(num(*w, "rep") == k);
    assert_true(num(*w, "start_unix_ms") == num(*load, "window.start_unix_ms"));
}

/* What check_reps gathers from the plain cell's repetitions. */
typedef struct window_sums { double calls, reqs; } window_sums;

/* Runs each repetition of cell through check_rep, then check(k, its windows entry, its load JSON). */
static void check_reps(const char *out, const cJSON *cell, window_sums *sums,
                       void (*check)(int k, const cJSON *w, const cJSON *load, window_sums *sums))
{
    int k;
    for (k = 1; k <= 2; k++) {
        const cJSON *w;
        cJSON *load;
        check_rep(out, cell, k, &w, &load);
        check(k, w, load, sums);
        cJSON_Delete(load);
    }
}

/* A plain repetition: the servers' requests over the snapshots are the load's own within 5 %. */
static void check_plain_rep(int k, const cJSON *w, const cJSON *load, window_sums *sums)
{
    double srv, own = num(load, "requests");
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(w, "server_requests")))
        fail_msg("rep %d: no server requests over the window: %s", k, ab_json_str(w, "counters_note"));
    srv = num(w, "server_requests");
    if (srv < own * 0.95 || srv > own * 1.05)
        fail_msg("rep %d: the servers counted %.0f requests over the window, the load %.0f", k, srv, own);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(w, "fault_at_s")));
    sums->calls += num(w, "redis_calls"), sums->reqs += srv;
}

/* A fault repetition: the pause began FAULT_AT_S into the announced window and ended FAULT_FOR_S
 * later (Redis ends a pause by itself, so its end is exact). */
static void check_fault_rep(int k, const cJSON *w, const cJSON *load, window_sums *sums)
{
    double at = num(w, "fault_at_s"), end = num(w, "fault_end_s");
    (void)load, (void)sums;
    if (at < FAULT_AT_S || at > FAULT_AT_S + SLACK_S)
        fail_msg("rep %d: the fault landed %.3f s into the window, asked %.3f s", k, at, FAULT_AT_S);
    if (end - at < FAULT_FOR_S - 1e-6 || end - at > FAULT_FOR_S + 1e-6)
        fail_msg("rep %d: the fault lasted %.3f s, asked %.3f s", k, end - at, FAULT_FOR_S);
}

/* The plain cell's Redis commands per request is its windows' commands over their requests. */
static void check_plain(const char *out, const cJSON *cell)
{
    window_sums sums = {0, 0};
    check_reps(out, cell, &sums, check_plain_rep);
    assert_true(sums.calls > 0);
    assert_true(num(cell, "redis_commands_per_req") > sums.calls / sums.reqs - 1e-9);
    assert_true(num(cell, "redis_commands_per_req") < sums.calls / sums.reqs + 1e-9);
}

static void the_run_should_measure_over_the_window_the_load_announces(void **state)
{
    static const char *const no_report[] = {"--no-report", NULL};
    tload_scenario_run run;
    (void)state;
    tload_run_scenario(&run, "window", window_scenario, no_report, 120000);
    check_plain(run.out, tload_cell(run.results, "session-redis-s1"));
    check_reps(run.out, tload_cell(run.results, "session-redis-pause-s1"), NULL, check_fault_rep);
    tload_scenario_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_run_should_measure_over_the_window_the_load_announces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* trun_util.c — a scenario run end to end for the run integration tests (trun_util.h). */
#include "trun_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_load_util.h"

void trun_scenario(trun *r, const char *tag, const char *scenario, int report, int timeout_ms)
{
    char path[600], *text, *err = NULL;
    char *argv[] = {(char *)tload_bin(), "run", "--scenario", path, "--out", r->out, "--no-micro", "--quiet",
                    report ? NULL : "--no-report", NULL};
    int rc;
    memset(r, 0, sizeof *r);
    r->dir = tsupport_tmpdir(tag);
    assert_non_null(r->dir);
    assert_true(strlen(r->dir) < 500);
    snprintf(path, sizeof path, "%s/scenario.json", r->dir);
    snprintf(r->out, sizeof r->out, "%s/out", r->dir);
    assert_int_equal(tsupport_write_file(path, scenario, strlen(scenario)), 0);
    rc = tload_run(argv, timeout_ms, NULL, &err);
    if (rc != 0)
        fail_msg("authbench run exited %d: %s", rc, err);
    free(err);
    snprintf(path, sizeof path, "%s/results.json", r->out);
    text = tsupport_read_file(path, NULL);
    r->results = text != NULL ? cJSON_Parse(text) : NULL;
    free(text);
    if (r->results == NULL)
        fail_msg("%s: missing or not JSON", path);
}

void trun_done(trun *r)
{
    cJSON_Delete(r->results);
    if (r->dir != NULL)
        tsupport_rmtree(r->dir);
    free(r->dir);
    memset(r, 0, sizeof *r);
}

/* test_load_util.c — run-to-completion, serve and results helpers for the proxy, load and run tests. */
#include "test_load_util.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ab_json.h"

const char *tload_bin(void)
{
    const char *bin = getenv("AUTHBENCH_BIN");
    if (bin == NULL || *bin == '\0') {
        fprintf(stderr, "AUTHBENCH_BIN is not set: run the tests through ctest\n");
        abort();
    }
    return bin;
}

/* Reads a whole temporary file into a malloc'd string, then removes it. */
static char *slurp(const char *path)
{
    char *s = tsupport_read_file(path, NULL);
    unlink(path);
    return s != NULL ? s : calloc(1, 1);
}

/* Waits up to timeout_ms for pid; kills it when late. Its raw wait status, or -1 when killed. */
static int wait_timeout(pid_t pid, int timeout_ms)
{
    int status = 0, k;
    for (k = 0; k < timeout_ms; k += 5) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

int tload_run(char *const argv[], int timeout_ms, char **out, char **err)
{
    char opath[] = "/tmp/tload-out-XXXXXX", epath[] = "/tmp/tload-err-XXXXXX";
    int ofd = mkstemp(opath), efd = mkstemp(epath), status = -1;
    pid_t pid;
    if (ofd < 0 || efd < 0)
        goto done;
    pid = fork();
    if (pid == 0) {
        if (dup2(ofd, STDOUT_FILENO) < 0 || dup2(efd, STDERR_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid > 0)
        status = wait_timeout(pid, timeout_ms);
done:
    if (ofd >= 0)
        close(ofd);
    if (efd >= 0)
        close(efd);
    if (out != NULL)
        *out = slurp(opath);
    else
        unlink(opath);
    if (err != NULL)
        *err = slurp(epath);
    else
        unlink(epath);
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int tload_serve_start(tsupport_proc *p, const char *mech, char *hostport, size_t len)
{
    char listen[64];
    char *argv[] = {(char *)tload_bin(), "serve", "--mechanism", (char *)mech, "--listen", listen, NULL};
    snprintf(listen, sizeof listen, "127.0.0.1:%d", tsupport_free_port());
    if (tsupport_proc_start(p, argv, "listening on", 10000) != 0)
        return -1;
    snprintf(hostport, len, "%s", p->line + strlen("listening on "));
    return 0;
}

int tload_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        if (*s == '\n' || s[1] == '\0')
            n++;
    return n;
}

double tload_num(const cJSON *root, const char *path)
{
    double v;
    if (!ab_json_num(root, path, &v))
        fail_msg("field '%s' is missing or not a number", path);
    return v;
}

const cJSON *tload_cell(const cJSON *results, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(results, "cells")) {
        const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "id"));
        if (cid != NULL && strcmp(cid, id) == 0)
            return c;
    }
    fail_msg("no cell %s in results.json", id);
    return NULL;
}

void tload_run_scenario(tload_scenario_run *r, const char *tag, const char *scenario, const char *const *extra,
                        int timeout_ms)
{
    char path[600], *text, *err = NULL;
    char *argv[16] = {(char *)tload_bin(), "run", "--scenario", path, "--out", r->out, "--no-micro", "--quiet"};
    size_t n = 8;
    int rc;
    memset(r->out, 0, sizeof r->out);
    r->results = NULL;
    r->dir = tsupport_tmpdir(tag);
    assert_non_null(r->dir);
    assert_true(strlen(r->dir) < 500);
    while (extra != NULL && *extra != NULL && n + 1 < sizeof argv / sizeof argv[0])
        argv[n++] = (char *)*extra++;
    argv[n] = NULL;
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
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->results, "complete")));
}

void tload_scenario_free(tload_scenario_run *r)
{
    cJSON_Delete(r->results);
    r->results = NULL;
    if (r->dir != NULL)
        tsupport_rmtree(r->dir);
    free(r->dir);
    r->dir = NULL;
}

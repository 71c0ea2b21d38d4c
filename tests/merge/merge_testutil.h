/* merge_testutil.h — helpers of the `authbench merge` tests: run authbench, JSON files in and out,
 * a load run in the background (two shards at once). */
#ifndef MERGE_TESTUTIL_H
#define MERGE_TESTUTIL_H

#include <pthread.h>

#include <cjson/cJSON.h>

/* Runs `authbench ARGS…` (args NULL-terminated) to completion (60 s at most) with stdout and
 * stderr captured (either may be NULL; the caller frees them). Returns the exit status (-1: killed). */
int tm_authbench(const char *const *args, char **out, char **err);
/* Reads and parses a JSON file; fails the test when it cannot. */
cJSON *tm_read_json(const char *path);
/* Writes doc to path; fails the test when it cannot. */
void tm_write_json(const char *path, const cJSON *doc);
/* The number at a dotted path; fails the test when it is not one. */
double tm_num(const cJSON *obj, const char *path);

/* `authbench ARGS…` run to completion on a thread of its own. */
typedef struct tm_bg {
    const char *args[40];
    int status;
    char *err;
    pthread_t thread;
} tm_bg;
/* Starts b (its args filled by the caller). */
void tm_bg_start(tm_bg *b);
/* Waits for b; fails the test (with its stderr) unless it exited 0. */
void tm_bg_wait_ok(tm_bg *b);

#endif /* MERGE_TESTUTIL_H */

/* merge_testutil.c — helpers of the `authbench merge` tests (see merge_testutil.h). */
#include "merge_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_load_util.h"
#include "tsupport.h"

int tm_authbench(const char *const *args, char **out, char **err)
{
    char *argv[48] = {(char *)tload_bin()};
    int i;
    for (i = 0; args[i] != NULL && i < 46; i++)
        argv[i + 1] = (char *)args[i];
    return tload_run(argv, 60000, out, err);
}

cJSON *tm_read_json(const char *path)
{
    char *text = tsupport_read_file(path, NULL);
    cJSON *doc;
    if (text == NULL)
        fail_msg("cannot read %s", path);
    doc = cJSON_Parse(text);
    free(text);
    if (doc == NULL)
        fail_msg("%s: not JSON", path);
    return doc;
}

void tm_write_json(const char *path, const cJSON *doc)
{
    char *text = cJSON_Print(doc);
    assert_non_null(text);
    assert_int_equal(tsupport_write_file(path, text, strlen(text)), 0);
    free(text);
}

double tm_num(const cJSON *obj, const char *path)
{
    char key[64];
    const char *p = path;
    while (obj != NULL && *p != '\0') {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        obj = cJSON_GetObjectItemCaseSensitive(obj, key);
        p += n + (p[n] == '.');
    }
    if (!cJSON_IsNumber(obj))
        fail_msg("%s: missing or not a number", path);
    return obj->valuedouble;
}

/* Thread body: runs the command. */
static void *bg_main(void *arg)
{
    tm_bg *b = arg;
    b->status = tm_authbench(b->args, NULL, &b->err);
    return NULL;
}

void tm_bg_start(tm_bg *b)
{
    b->err = NULL;
    b->status = -1;
    assert_int_equal(pthread_create(&b->thread, NULL, bg_main, b), 0);
}

void tm_bg_wait_ok(tm_bg *b)
{
    assert_int_equal(pthread_join(b->thread, NULL), 0);
    if (b->status != 0)
        fail_msg("authbench %s exited %d: %s", b->args[0], b->status, b->err ? b->err : "");
    free(b->err);
    b->err = NULL;
}

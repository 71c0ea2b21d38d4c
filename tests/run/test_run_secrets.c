/* test_run_secrets.c — no credential in a run directory: a tiny `authbench run` (with the report)
 * against a password-protected Redis of the test's own, which the run never flushes, so every
 * session id the servers issued can be read back from it afterwards; then no file of the run
 * directory may hold one of those ids, a JWT, or the Redis password. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "test_load_util.h"
#include "tsupport.h"

#define PASSWORD "s3cretpw-7Hq"
#define MAX_IDS 4096

static const char scenario[] =
    "{\"name\": \"secrets\", \"store_capacity\": false, \"micro\": false,\n"
    " \"groups\": [{\"mechanisms\": [\"session:redis\", \"session:memory\", \"jwt:HS256\",\n"
    "                               \"jwt+denylist:HS256,redis\"],\n"
    "             \"mix\": \"churn\", \"lb\": \"sticky\", \"users\": 30, \"connections\": 4,\n"
    "             \"duration\": \"1s\", \"warmup\": \"0.2s\", \"repetitions\": 1}]}\n";

static char *ids[MAX_IDS]; /* the session ids (and denylisted jtis) the run left in Redis */
static size_t nids;

/* Reads every "sess:<id>" key of the Redis on port into ids. */
static void read_issued_ids(int port)
{
    redisContext *r = redisConnect("127.0.0.1", port);
    redisReply *rep;
    size_t i;
    assert_true(r != NULL && r->err == 0);
    rep = redisCommand(r, "AUTH %s", PASSWORD);
    assert_true(rep != NULL && rep->type == REDIS_REPLY_STATUS);
    freeReplyObject(rep);
    rep = redisCommand(r, "KEYS sess:*");
    assert_true(rep != NULL && rep->type == REDIS_REPLY_ARRAY);
    for (i = 0; i < rep->elements && nids < MAX_IDS; i++)
        ids[nids++] = strdup(rep->element[i]->str + 5);
    freeReplyObject(rep);
    redisFree(r);
}

/* Base64url character. */
static int b64url(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* 1 when text holds a compact JWS: "eyJ…" (a JSON header) "." payload "." */
static int has_jwt(const char *text)
{
    const char *p = text;
    while ((p = strstr(p, "eyJ")) != NULL) {
        const char *q = p;
        int dots = 0;
        while (b64url(*q) || (*q == '.' && dots < 2 && b64url(q[1]) && ++dots))
            q++;
        if (dots == 2 && q - p > 40)
            return 1;
        p += 3;
    }
    return 0;
}

/* nftw callback: fails the test when a file holds a credential. */
static int check_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    size_t i, len = 0;
    char *text;
    (void)sb, (void)ftw;
    if (flag != FTW_F || (text = tsupport_read_file(path, &len)) == NULL)
        return 0;
    if (strlen(text) < len) /* binary (a PNG): compare its bytes with NULs as separators */
        for (i = 0; i < len; i++)
            text[i] = text[i] == '\0' ? '\n' : text[i];
    if (strstr(text, PASSWORD) != NULL)
        fail_msg("%s holds the Redis password", path);
    if (has_jwt(text))
        fail_msg("%s holds a JWT", path);
    for (i = 0; i < nids; i++)
        if (strstr(text, ids[i]) != NULL)
            fail_msg("%s holds the issued session id %s", path, ids[i]);
    free(text);
    return 0;
}

static void a_run_directory_should_hold_no_credential(void **state)
{
    static const char *const redis_args[] = {"--requirepass", PASSWORD, NULL};
    tsupport_redis r;
    char *dir = tsupport_tmpdir("secrets"), file[600], out[600], url[128], *err = NULL;
    char *argv[] = {(char *)tload_bin(), "run", "--scenario", file, "--redis-url", url, "--out", out, "--no-micro",
                    "--quiet", NULL};
    int rc;
    size_t i;
    (void)state;
    assert_non_null(dir);
    assert_int_equal(tsupport_redis_start(&r, redis_args), 0);
    snprintf(file, sizeof file, "%s/scenario.json", dir);
    snprintf(out, sizeof out, "%s/run", dir);
    snprintf(url, sizeof url, "redis://:%s@127.0.0.1:%d", PASSWORD, r.port);
    assert_int_equal(tsupport_write_file(file, scenario, strlen(scenario)), 0);
    rc = tload_run(argv, 110000, NULL, &err);
    if (rc != 0)
        fail_msg("authbench run exited %d: %s", rc, err);
    read_issued_ids(r.port);
    assert_true(nids >= 30); /* at least one session per user of the session:redis cell */
    assert_int_equal(nftw(out, check_file, 16, FTW_PHYS), 0);
    for (i = 0; i < nids; i++)
        free(ids[i]);
    free(err);
    tsupport_redis_stop(&r);
    tsupport_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_run_directory_should_hold_no_credential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_run_secrets.c — no credential in a run directory or on a command line: a tiny `authbench
 * run` (with the store capacity and the report) against a password-protected Redis of the test's
 * own, which the run never flushes, so every session id the servers issued can be read back from it
 * afterwards; then no file of the run directory may hold one of those ids, a JWT, or the Redis
 * password. While it runs, a watcher reads /proc/<pid>/cmdline (what ps shows) of every process
 * the test started, again and again: none may show the password. */
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "test_load_util.h"
#include "tsupport.h"

#define PASSWORD "s3cretpw-7Hq"
#define MAX_IDS 4096

static const char scenario[] =
    "{\"name\": \"secrets\", \"store_capacity\": {\"clients\": 2, \"duration\": \"0.5s\"}, \"micro\": false,\n"
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

/* The command-line watcher: what it saw while the run ran. */
typedef struct cmdline_watch {
    volatile int stop;
    unsigned scans;
    pid_t run_pid;          /* the `authbench run` process, once seen */
    int run_had_children;   /* a child of the run was seen in an earlier scan: its argv was parsed */
    unsigned servers_seen;  /* scans that saw an `authbench serve` of the run */
    char shown[600];        /* the first command line that showed the password */
} cmdline_watch;

/* The parent of pid from /proc/<pid>/stat, or 0. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512], *close_paren;
    int ppid = 0;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
    fclose(f);
    if ((close_paren = strrchr(buf, ')')) == NULL || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
        return 0;
    return (pid_t)ppid;
}

/* 1 when pid is a descendant of this test process (other engineers' runs are not ours to judge). */
static int ours(pid_t pid)
{
    int depth;
    for (depth = 0; depth < 16 && pid > 1; depth++)
        if ((pid = parent_of(pid)) == getpid())
            return 1;
    return 0;
}

/* /proc/<pid>/cmdline with the NULs between arguments as spaces, into buf. */
static void read_cmdline(pid_t pid, char *buf, size_t cap)
{
    char path[64];
    size_t n = 0, i;
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    if ((f = fopen(path, "r")) != NULL) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    for (i = 0; i < n; i++)
        buf[i] = buf[i] == '\0' ? ' ' : buf[i];
    buf[n] = '\0';
}

/* Checks one process of ours; the run itself may show the password only before it started anything. */
static void check_process(cmdline_watch *w, pid_t pid, int *saw_child, int *saw_server)
{
    char cmd[8192];
    read_cmdline(pid, cmd, sizeof cmd);
    if (strstr(cmd, " run --scenario ") != NULL)
        w->run_pid = pid;
    else if (w->run_pid != 0 && parent_of(pid) == w->run_pid)
        *saw_child = 1;
    if (strstr(cmd, " serve --mechanism-file ") != NULL)
        *saw_server = 1;
    if (strstr(cmd, PASSWORD) != NULL && w->shown[0] == '\0' && (pid != w->run_pid || w->run_had_children))
        snprintf(w->shown, sizeof w->shown, "pid %d: %.500s", (int)pid, cmd);
}

/* Scans every process once. */
static void scan_processes(cmdline_watch *w)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int saw_child = 0, saw_server = 0;
    while (d != NULL && (e = readdir(d)) != NULL) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid > 1 && pid != getpid() && ours(pid))
            check_process(w, pid, &saw_child, &saw_server);
    }
    if (d != NULL)
        closedir(d);
    w->run_had_children |= saw_child;
    w->servers_seen += (unsigned)saw_server;
    w->scans++;
}

/* pthread entry: scans every 5 ms until told to stop. */
static void *watch_cmdlines(void *arg)
{
    cmdline_watch *w = arg;
    while (!w->stop) {
        scan_processes(w);
        usleep(5000);
    }
    return NULL;
}

static void a_run_should_leave_its_password_in_no_file_and_no_command_line(void **state)
{
    static cmdline_watch w;
    pthread_t watcher;
    tsupport_redis r;
    char *dir = tsupport_tmpdir("secrets"), file[600], out[600], url[128], *err = NULL;
    char *argv[] = {(char *)tload_bin(), "run", "--scenario", file, "--redis-url", url, "--out", out, "--no-micro",
                    "--quiet", NULL};
    int rc;
    size_t i;
    (void)state;
    assert_non_null(dir);
    assert_int_equal(tsupport_redis_start(&r, NULL), 0); /* the password set after start: not on its argv */
    assert_int_equal(tsupport_redis_cmd(&r, "CONFIG SET requirepass " PASSWORD), 0);
    snprintf(file, sizeof file, "%s/scenario.json", dir);
    snprintf(out, sizeof out, "%s/run", dir);
    snprintf(url, sizeof url, "redis://:%s@127.0.0.1:%d", PASSWORD, r.port);
    assert_int_equal(tsupport_write_file(file, scenario, strlen(scenario)), 0);
    assert_int_equal(pthread_create(&watcher, NULL, watch_cmdlines, &w), 0);
    rc = tload_run(argv, 110000, NULL, &err);
    w.stop = 1;
    pthread_join(watcher, NULL);
    if (rc != 0)
        fail_msg("authbench run exited %d: %s", rc, err);
    if (w.shown[0] != '\0')
        fail_msg("a command line showed the Redis password: %s", w.shown);
    if (w.run_pid == 0 || !w.run_had_children || w.servers_seen == 0)
        fail_msg("the watcher saw too little (%u scans, run %d, servers in %u scans)", w.scans, (int)w.run_pid,
                 w.servers_seen);
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
        cmocka_unit_test(a_run_should_leave_its_password_in_no_file_and_no_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

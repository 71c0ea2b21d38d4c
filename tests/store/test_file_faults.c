/* test_file_faults.c — the file store when things go wrong: damaged session files, unwritable or
 * O_DIRECT-less directories, a writer killed with SIGKILL, a full disk; and flock serialisation. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sstore.h"
#include "store_test.h"
#include "tsupport.h"

#define KILL_AFTER_MS 400
#define CHILD_SKIPPED 77 /* exit status of a child that could not set up its fault */

typedef struct fixture {
    char *dir;
    char uri[600];
} fixture;

static int in_child(int (*fn)(const fixture *), const fixture *f);

static int setup(void **state)
{
    static fixture f;
    f.dir = tsupport_tmpdir("filefaults");
    if (f.dir == NULL)
        return -1;
    snprintf(f.uri, sizeof f.uri, "file://%s?lock=flock", f.dir);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tsupport_rmtree(f->dir);
    free(f->dir);
    return 0;
}

/* The documented path of a session's file: dir/<id[0]>/sess_<id>. */
static void session_path(char *out, size_t cap, const char *dir, const char *id)
{
    snprintf(out, cap, "%s/%c/sess_%s", dir, id[0], id);
}

/* Counts the files under dir's fan-out folders whose name starts with prefix. */
static int count_files(const char *dir, const char *prefix)
{
    char path[1024];
    struct dirent *a, *e;
    DIR *d1 = opendir(dir), *d2;
    int n = 0;
    while (d1 != NULL && (a = readdir(d1)) != NULL) {
        if (strlen(a->d_name) != 1 || a->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, a->d_name);
        for (d2 = opendir(path); d2 != NULL && (e = readdir(d2)) != NULL;)
            n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
        if (d2 != NULL)
            closedir(d2);
    }
    if (d1 != NULL)
        closedir(d1);
    return n;
}

/* A damaged file content and what the store must say about it. */
typedef struct damage {
    const char *content; /* NULL: damage the real record as `cut` says */
    size_t len;
    int cut;             /* content NULL: >0 drop that many trailing bytes, 0 flip one claims byte */
    const char *says;
} damage;

#define HEADER(v, c, crc) "{\"v\":" v ",\"created_ms\":" c ",\"last_seen_ms\":1,\"expires_ms\":99999999999999," \
                          "\"claims_bytes\":2,\"claims_crc32c\":" crc "}\n{}"
#define DAMAGE(text, says) {text, sizeof text - 1, 0, says}

/* Writes the damage into the session file at path. */
static void apply_damage(const damage *d, const char *path)
{
    size_t len = 0;
    char *rec;
    if (d->content != NULL) {
        assert_int_equal(tsupport_write_file(path, d->content, d->len), 0);
        return;
    }
    rec = tsupport_read_file(path, &len);
    assert_non_null(rec);
    if (d->cut > 0)
        len -= (size_t)d->cut;
    else
        rec[len - 10] ^= 0x01; /* inside the claims' padding: still JSON, but not what was stored */
    assert_int_equal(tsupport_write_file(path, rec, len), 0);
    free(rec);
}

static void damaged_session_files_are_rejected_as_corrupt_with_the_reason(void **state)
{
    static const damage cases[] = {
        {NULL, 0, 50, "claims of"},
        {NULL, 0, 0, "CRC-32C"},
        DAMAGE("", "no header line"),
        DAMAGE("not json{", "no header line"),
        DAMAGE("not json{\n{}", "header is not valid JSON"),
        DAMAGE("[1,2]\n{}", "header is not a JSON object"),
        DAMAGE("{\"v\":1}\n{}", "header member 2 is not \"created_ms\""),
        DAMAGE(HEADER("2", "1", "695980202"), "unknown record version"),
        DAMAGE(HEADER("1", "-1", "695980202"), "not a non-negative integer"),
        DAMAGE(HEADER("1", "1.5", "695980202"), "not a non-negative integer"),
        DAMAGE(HEADER("1", "\"1\"", "695980202"), "not a non-negative integer"),
        DAMAGE(HEADER("1", "1", "4294967296"), "not a 32-bit value"),
        DAMAGE(HEADER("1", "1", "695980203"), "CRC-32C"),
        DAMAGE(HEADER("1", "1\0", "695980202"), "header is not valid JSON"),
        DAMAGE(HEADER("1", "1", "695980202") "\n", "claims of 3 bytes where the header says 2"),
        DAMAGE("{\"v\":1,\"created_ms\":1,\"last_seen_ms\":1,\"expires_ms\":99999999999999,\"claims_bytes\":2,"
               "\"claims_crc32c\":695980202,\"x\":1}\n{}", "unexpected header member"),
    };
    fixture *f = *state;
    sstore *s = st_open_ok(f->uri);
    sstore_conn *c = st_conn_ok(s);
    char claims[256], id[SSTORE_ID_LEN + 1], path[1024];
    size_t len = st_claims(claims, sizeof claims, "mallory", 200), i;
    sstore_session sess;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(sstore_create(c, claims, len, 60, id), SSTORE_OK);
        session_path(path, sizeof path, f->dir, id);
        apply_damage(&cases[i], path);
        if (sstore_get(c, id, &sess) != SSTORE_ERR_CORRUPT)
            fail_msg("case %zu: not reported as corrupt", i);
        if (strstr(sstore_conn_errstr(c), cases[i].says) == NULL || strstr(sstore_conn_errstr(c), id) == NULL)
            fail_msg("case %zu: message \"%s\" lacks \"%s\" or the file name", i, sstore_conn_errstr(c), cases[i].says);
        assert_int_equal(sstore_touch(c, id, 60), SSTORE_ERR_CORRUPT);
        assert_int_equal(sstore_put(c, id, claims, len, 60), SSTORE_ERR_CORRUPT); /* not silently overwritten */
        assert_int_equal(sstore_delete(c, id), SSTORE_OK); /* logging out removes the damaged session */
        assert_int_equal(sstore_get(c, id, &sess), SSTORE_NOT_FOUND);
    }
    sstore_conn_free(c);
    sstore_close(s);
}

static void records_written_in_the_documented_format_are_read(void **state)
{
    static const char rec[] = "{\"v\":1,\"created_ms\":1000,\"last_seen_ms\":2000,\"expires_ms\":99999999999000,"
                              "\"claims_bytes\":15,\"claims_crc32c\":356951935}\n{\"sub\":\"alice\"}";
    static const char spaced[] = "{ \"v\": 1, \"created_ms\": 1000, \"last_seen_ms\": 2000, \"expires_ms\": 9.9999999999e13,"
                                 " \"claims_bytes\": 15, \"claims_crc32c\": 356951935 }\n{\"sub\":\"alice\"}";
    fixture *f = *state;
    sstore *s = st_open_ok(f->uri);
    sstore_conn *c = st_conn_ok(s);
    char path[1024];
    sstore_session sess;
    session_path(path, sizeof path, f->dir, "handmade");
    assert_int_equal(tsupport_write_file(path, rec, sizeof rec - 1), 0);
    assert_int_equal(sstore_get(c, "handmade", &sess), SSTORE_OK);
    assert_int_equal(sess.data_len, 15);
    assert_memory_equal(sess.data, "{\"sub\":\"alice\"}", 15);
    assert_int_equal(sess.created, 1);
    assert_int_equal(sess.last_seen, 2);
    assert_int_equal(sess.expires, 99999999999);
    assert_int_equal(tsupport_write_file(path, spaced, sizeof spaced - 1), 0); /* any valid JSON header */
    assert_int_equal(sstore_get(c, "handmade", &sess), SSTORE_OK);
    assert_int_equal(sess.expires, 99999999999);
    assert_memory_equal(sess.data, "{\"sub\":\"alice\"}", 15);
    sstore_conn_free(c);
    sstore_close(s);
}

static void a_session_file_larger_than_any_record_is_corrupt(void **state)
{
    fixture *f = *state;
    sstore *s = st_open_ok(f->uri);
    sstore_conn *c = st_conn_ok(s);
    char id[SSTORE_ID_LEN + 1], path[1024];
    char *big = calloc(1, 200000);
    sstore_session sess;
    assert_non_null(big);
    memset(big, ' ', 200000);
    assert_int_equal(sstore_create(c, "{}", 2, 60, id), SSTORE_OK);
    session_path(path, sizeof path, f->dir, id);
    assert_int_equal(tsupport_write_file(path, big, 200000), 0);
    assert_int_equal(sstore_get(c, id, &sess), SSTORE_ERR_CORRUPT);
    assert_non_null(strstr(sstore_conn_errstr(c), "larger than any session record"));
    free(big);
    sstore_conn_free(c);
    sstore_close(s);
}

static void the_sweep_removes_expired_sessions_and_stale_temporaries_but_not_damaged_files(void **state)
{
    fixture *f = *state;
    sstore *s = st_open_ok(f->uri);
    sstore_conn *c = st_conn_ok(s);
    char expired[SSTORE_ID_LEN + 1], damaged[SSTORE_ID_LEN + 1], live[SSTORE_ID_LEN + 1], path[1024], tmp[1100];
    struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
    sstore_session sess;
    assert_int_equal(sstore_sweep(c), 0);
    assert_int_equal(sstore_create(c, "{}", 2, 1, expired), SSTORE_OK);
    assert_int_equal(sstore_create(c, "{}", 2, 1, damaged), SSTORE_OK);
    assert_int_equal(sstore_create(c, "{}", 2, 60, live), SSTORE_OK);
    session_path(path, sizeof path, f->dir, damaged);
    assert_int_equal(tsupport_write_file(path, "garbage", 7), 0);
    session_path(path, sizeof path, f->dir, live);
    snprintf(tmp, sizeof tmp, "%s/%c/.tmp_%s.1.2.3", f->dir, live[0], live);
    assert_int_equal(tsupport_write_file(tmp, "{", 1), 0); /* a crash's leftover */
    assert_int_equal(utimensat(AT_FDCWD, tmp, old, 0), 0);
    st_sleep_ms(1100);
    assert_int_equal(sstore_sweep(c), 1);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(sstore_get(c, damaged, &sess), SSTORE_ERR_CORRUPT);
    assert_int_equal(sstore_get(c, live, &sess), SSTORE_OK);
    sstore_conn_free(c);
    sstore_close(s);
}

static void an_unwritable_directory_is_reported_at_open(void **state)
{
    fixture *f = *state;
    char dir[700], uri[800];
    pid_t pid;
    int status;
    snprintf(dir, sizeof dir, "%s/readonly", f->dir);
    assert_int_equal(chmod(f->dir, 0755), 0); /* reachable by the unprivileged child */
    assert_int_equal(mkdir(dir, 0555), 0);
    snprintf(uri, sizeof uri, "file://%s", dir);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* root writes anywhere: check as an unprivileged user */
        sstore *s;
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(CHILD_SKIPPED);
        s = sstore_open(uri);
        _exit(s != NULL && sstore_err(s) == SSTORE_ERR_IO && strstr(sstore_errstr(s), "is not writable") != NULL ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Mounts a filesystem of type fs over dir in a mount namespace of this (child) process alone.
 * 0, or -1 when not allowed (no CAP_SYS_ADMIN). */
static int private_mount(const char *fs, const char *dir, const char *opts)
{
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    return mount(fs, dir, fs, 0, opts);
}

/* In a private mount namespace, a ramfs (no O_DIRECT) over the store directory: direct=1 must be
 * refused at open, direct=0 accepted. */
static int ramfs_child(const fixture *f)
{
    char uri[700];
    sstore *s;
    int ok;
    if (private_mount("ramfs", f->dir, "mode=0700") != 0)
        return CHILD_SKIPPED;
    snprintf(uri, sizeof uri, "file://%s?direct=1", f->dir);
    s = sstore_open(uri);
    ok = sstore_err(s) == SSTORE_ERR_ARG && strstr(sstore_errstr(s), "refuses O_DIRECT") != NULL;
    if (!ok)
        fprintf(stderr, "ramfs direct=1: %s: %s\n", sstore_status_name(sstore_err(s)), sstore_errstr(s));
    sstore_close(s);
    snprintf(uri, sizeof uri, "file://%s?direct=0", f->dir);
    s = sstore_open(uri);
    ok = ok && sstore_err(s) == SSTORE_OK;
    sstore_close(s);
    return ok ? 0 : 1;
}

/* The child of the SIGKILL test: creates sessions as fast as it can and reports each acknowledged
 * id on the pipe, one line each (lines up to PIPE_BUF are written whole). */
_Noreturn static void writer_child(const char *uri, int out)
{
    sstore *s = sstore_open(uri);
    sstore_conn *c = sstore_connect(s);
    char claims[256], line[SSTORE_ID_LEN + 2];
    size_t len = st_claims(claims, sizeof claims, "durable", 200);
    if (sstore_conn_err(c) != SSTORE_OK)
        _exit(1);
    for (;;) {
        if (sstore_create(c, claims, len, 3600, line) != SSTORE_OK)
            _exit(1);
        line[SSTORE_ID_LEN] = '\n';
        if (write(out, line, sizeof line - 1) != (ssize_t)sizeof line - 1)
            _exit(1);
    }
}

static void an_fsync_always_writer_killed_mid_write_loses_no_acknowledged_session(void **state)
{
    fixture *f = *state;
    char uri[700], buf[SSTORE_ID_LEN + 1], id[SSTORE_ID_LEN + 1];
    sstore *s;
    sstore_conn *c;
    sstore_session sess;
    FILE *in;
    int fds[2], status, n = 0;
    pid_t pid;
    snprintf(uri, sizeof uri, "file://%s?fsync=always&lock=flock", f->dir);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        writer_child(uri, fds[1]);
    }
    close(fds[1]);
    st_sleep_ms(KILL_AFTER_MS);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL); /* it was still writing */
    s = st_open_ok(uri);
    c = st_conn_ok(s);
    in = fdopen(fds[0], "r");
    assert_non_null(in);
    while (fgets(buf, sizeof buf, in) != NULL && fgetc(in) == '\n') {
        memcpy(id, buf, sizeof id);
        if (sstore_get(c, id, &sess) != SSTORE_OK)
            fail_msg("acknowledged session %s lost: %s", id, sstore_conn_errstr(c));
        n++;
    }
    fclose(in);
    assert_true(n > 10);
    assert_true(count_files(f->dir, "sess_") >= n); /* at most one unacknowledged extra */
    assert_true(count_files(f->dir, "sess_") <= n + 1);
    sstore_conn_free(c);
    sstore_close(s);
}

/* Fills the store at uri until a create fails; checks the failure is FULL with the OS reason, that
 * no temporary or partial file stays, and every acknowledged session reads back. 0 or a line number. */
static int fill_until_full(const char *uri, const char *dir, const char *reason)
{
    sstore *s = sstore_open(uri);
    sstore_conn *c = sstore_connect(s);
    static char ids[4096][SSTORE_ID_LEN + 1];
    char claims[2048];
    size_t len = st_claims(claims, sizeof claims, "filler", 1500);
    sstore_session sess;
    int n = 0, st = SSTORE_OK, i;
    if (sstore_conn_err(c) != SSTORE_OK)
        return __LINE__;
    while (n < 4096 && (st = sstore_create(c, claims, len, 3600, ids[n])) == SSTORE_OK)
        n++;
    if (st != SSTORE_ERR_FULL || strstr(sstore_conn_errstr(c), reason) == NULL) {
        fprintf(stderr, "fill: %s: %s\n", sstore_status_name(st), sstore_conn_errstr(c));
        return __LINE__;
    }
    if (count_files(dir, ".tmp_") != 0 || count_files(dir, "sess_") != n)
        return __LINE__;
    for (i = 0; i < n; i++)
        if (sstore_get(c, ids[i], &sess) != SSTORE_OK)
            return __LINE__;
    if (n > 0 && (sstore_delete(c, ids[0]) != SSTORE_OK || sstore_create(c, claims, len, 60, ids[0]) != SSTORE_OK))
        return __LINE__; /* room again after a delete */
    sstore_conn_free(c);
    sstore_close(s);
    return 0;
}

/* Runs fn in a child and returns its exit status (CHILD_SKIPPED when it could not set up). */
static int in_child(int (*fn)(const fixture *), const fixture *f)
{
    int status;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn(f));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* In a private mount namespace, a 64 KiB tmpfs over the store directory, filled. */
static int tiny_tmpfs_child(const fixture *f)
{
    char uri[700];
    if (private_mount("tmpfs", f->dir, "size=64k,mode=0700") != 0)
        return CHILD_SKIPPED;
    snprintf(uri, sizeof uri, "file://%s?fsync=always", f->dir);
    return fill_until_full(uri, f->dir, "No space left on device");
}

/* With a file size limit below one record, every write fails with EFBIG. */
static int fsize_limit_child(const fixture *f)
{
    char uri[700];
    struct rlimit rl = {1000, 1000};
    if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return CHILD_SKIPPED;
    snprintf(uri, sizeof uri, "file://%s", f->dir);
    return fill_until_full(uri, f->dir, "File too large");
}

static void direct_reads_where_the_filesystem_has_no_o_direct_are_refused_at_open(void **state)
{
    fixture *f = *state;
    int rc = in_child(ramfs_child, f);
    if (rc == CHILD_SKIPPED) {
        fprintf(stderr, "note: cannot mount a private ramfs (needs mount rights): O_DIRECT refusal not checked\n");
        skip();
    }
    assert_int_equal(rc, 0);
}

static void a_full_disk_is_an_error_and_never_leaves_a_partial_session_file(void **state)
{
    fixture *f = *state;
    int rc = in_child(tiny_tmpfs_child, f);
    if (rc == CHILD_SKIPPED)
        fprintf(stderr, "note: no private tmpfs (needs mount rights): ENOSPC checked through RLIMIT_FSIZE only\n");
    else if (rc != 0)
        fail_msg("tmpfs fill failed at line %d", rc);
    rc = in_child(fsize_limit_child, f);
    if (rc != 0)
        fail_msg("RLIMIT_FSIZE fill failed (%d)", rc);
}

/* Reads one session in a thread, noting when it returned. */
typedef struct reader {
    sstore *store;
    const char *id;
    int status;
    atomic_llong done_at;
} reader;

static void *reader_main(void *arg)
{
    reader *r = arg;
    sstore_conn *c = sstore_connect(r->store);
    sstore_session sess;
    r->status = c != NULL ? sstore_get(c, r->id, &sess) : -1;
    atomic_store(&r->done_at, st_now_ms());
    sstore_conn_free(c);
    return NULL;
}

/* Holds an external flock on the session's file for hold_ms while a reader thread gets it;
 * returns how long the reader waited past the moment the lock was taken. */
static long long reader_wait_under_lock(const char *uri, const char *dir, long hold_ms)
{
    sstore *s = st_open_ok(uri);
    sstore_conn *c = st_conn_ok(s);
    char id[SSTORE_ID_LEN + 1], path[1024];
    reader r = {s, id, -1, 0};
    pthread_t t;
    long long t0;
    int fd;
    assert_int_equal(sstore_create(c, "{\"sub\":\"php\"}", 13, 60, id), SSTORE_OK);
    session_path(path, sizeof path, dir, id);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0); /* what a PHP request holding the session does */
    t0 = st_now_ms();
    assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
    st_sleep_ms(hold_ms);
    assert_int_equal(flock(fd, LOCK_UN), 0);
    close(fd);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(r.status, SSTORE_OK);
    sstore_conn_free(c);
    sstore_close(s);
    return atomic_load(&r.done_at) - t0;
}

static void lock_flock_makes_a_request_wait_for_the_sessions_holder_and_lock_none_does_not(void **state)
{
    fixture *f = *state;
    char uri[700];
    snprintf(uri, sizeof uri, "file://%s?lock=flock", f->dir);
    assert_true(reader_wait_under_lock(uri, f->dir, 400) >= 390);
    snprintf(uri, sizeof uri, "file://%s?lock=none", f->dir);
    assert_true(reader_wait_under_lock(uri, f->dir, 400) < 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(damaged_session_files_are_rejected_as_corrupt_with_the_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(records_written_in_the_documented_format_are_read, setup, teardown),
        cmocka_unit_test_setup_teardown(a_session_file_larger_than_any_record_is_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(the_sweep_removes_expired_sessions_and_stale_temporaries_but_not_damaged_files,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(an_unwritable_directory_is_reported_at_open, setup, teardown),
        cmocka_unit_test_setup_teardown(direct_reads_where_the_filesystem_has_no_o_direct_are_refused_at_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_fsync_always_writer_killed_mid_write_loses_no_acknowledged_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_full_disk_is_an_error_and_never_leaves_a_partial_session_file, setup, teardown),
        cmocka_unit_test_setup_teardown(lock_flock_makes_a_request_wait_for_the_sessions_holder_and_lock_none_does_not,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

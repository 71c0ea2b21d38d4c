/* file_store.c — the file:// backend: one JSON record file per session in a two-level fan-out,
 * written under a temporary name then linked (create) or renamed (touch); options fsync, direct
 * (O_DIRECT reads) and lock (flock like PHP); expiry by the stored deadline plus a sweep. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_io.h"

#define FILE_TMP_STALE_S 60 /* the sweep removes temporary files older than this (left by a crash) */

static const char *const fsync_names[] = {"never", "always", NULL};
static const char *const direct_names[] = {"0", "1", NULL};
static const char *const lock_names[] = {"none", "flock", NULL};

/* Reads the file:// options and the root path into fs. SSTORE_OK or an ARG error on st. */
static int file_options(sstore *st, sstore_uri *u, file_store *fs)
{
    char err[160];
    if (u->authority[0] != '\0' && strcmp(u->authority, "localhost") != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "file:// takes a local absolute path: file:///dir (got host '%s')",
                              u->authority);
    if (u->path[0] != '/' || u->path[1] == '\0')
        return sstore_set_err(st, SSTORE_ERR_ARG, "file:// needs a directory: file:///dir?fsync=…&direct=…&lock=…");
    if (sstore_uri_enum(u, "fsync", fsync_names, 0, &fs->fsync_always, err, sizeof err) != 0 ||
        sstore_uri_enum(u, "direct", direct_names, 0, &fs->direct, err, sizeof err) != 0 ||
        sstore_uri_enum(u, "lock", lock_names, 0, &fs->lock, err, sizeof err) != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "file://: %s", err);
    if ((fs->dir = strdup(u->path)) == NULL)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    return SSTORE_OK;
}

/* Reads the probe file back with O_DIRECT into an aligned buffer. 0, or -1 with errno set. */
static int probe_direct(int dirfd, const char *name)
{
    void *buf = NULL;
    int fd = -1, rc = -1, e;
    if ((errno = posix_memalign(&buf, FILE_ALIGN, FILE_ALIGN)) != 0)
        return -1;
    fd = openat(dirfd, name, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd >= 0 && read(fd, buf, FILE_ALIGN) == 1)
        rc = 0;
    e = errno;
    if (fd >= 0)
        (void)close(fd); /* read-only probe */
    free(buf);
    errno = e;
    return rc;
}

/* Checks the root: a writable folder, and O_DIRECT-capable when direct=1. SSTORE_OK or an error on st. */
static int probe_root(sstore *st, file_store *fs)
{
    char name[64];
    int fd, rc = SSTORE_OK;
    snprintf(name, sizeof name, ".probe_%ld", (long)getpid());
    fd = openat(fs->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, "x", 1) != 1)
        rc = sstore_set_err(st, SSTORE_ERR_IO, "file store: directory %s is not writable: %s", fs->dir, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == SSTORE_OK)
        rc = sstore_set_err(st, SSTORE_ERR_IO, "file store: directory %s: close: %s", fs->dir, strerror(errno));
    if (rc == SSTORE_OK && fs->direct && probe_direct(fs->dirfd, name) != 0)
        rc = sstore_set_err(st, SSTORE_ERR_ARG, "file store: direct=1 but the filesystem of %s refuses O_DIRECT reads "
                            "(%s; ramfs, and tmpfs before Linux 6.6, have none): use direct=0 or a disk-backed directory",
                            fs->dir, strerror(errno));
    if (fd >= 0 && unlinkat(fs->dirfd, name, 0) != 0 && rc == SSTORE_OK)
        rc = sstore_set_err(st, SSTORE_ERR_IO, "file store: directory %s: unlink: %s", fs->dir, strerror(errno));
    return rc;
}

/* The characters fan-out folders are named with: the base64url alphabet of session ids. */
static const char fanout_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* mkdirat that accepts an existing folder. 0 or -1. */
static int mkdir_ok(int dirfd, const char *rel)
{
    return mkdirat(dirfd, rel, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* fsync of the folder rel under dirfd. 0 or -1. */
static int fsync_at(int dirfd, const char *rel)
{
    int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, e;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    e = errno;
    (void)close(fd); /* the fsync's result is the one that counts */
    errno = e;
    return rc;
}

/* Makes the 64 fan-out folders (as PHP's files handler expects its levels to exist, so that a
 * create never pays for a mkdir); with fsync=always they are made durable. SSTORE_OK or an IO
 * error on st. */
static int make_fanout(sstore *st, file_store *fs)
{
    char rel[2] = {0, '\0'};
    const char *a;
    for (a = fanout_chars; *a != '\0'; a++) {
        rel[0] = *a;
        if (mkdir_ok(fs->dirfd, rel) != 0)
            goto fail;
    }
    if (fs->fsync_always && fsync_at(fs->dirfd, ".") != 0)
        goto fail;
    return SSTORE_OK;
fail:
    return sstore_set_err(st, SSTORE_ERR_IO, "file store: making the fan-out folder %s/%s: %s", fs->dir, rel,
                          strerror(errno));
}

static int file_open(sstore *st, sstore_uri *u)
{
    file_store *fs = calloc(1, sizeof *fs);
    if (fs == NULL)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    fs->dirfd = -1;
    st->impl = fs;
    if (file_options(st, u, fs) != SSTORE_OK)
        return st->err;
    fs->dirfd = open(fs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->dirfd < 0)
        return sstore_set_err(st, SSTORE_ERR_IO, "file store: directory %s: %s", fs->dir,
                              errno == ENOENT ? "does not exist (create it first)" : strerror(errno));
    if (probe_root(st, fs) != SSTORE_OK)
        return st->err;
    return make_fanout(st, fs);
}

static void file_close(sstore *st)
{
    file_store *fs = st->impl;
    if (fs == NULL)
        return;
    if (fs->dirfd >= 0)
        (void)close(fs->dirfd); /* a directory opened read-only */
    free(fs->dir);
    free(fs);
    st->impl = NULL;
}

static int file_conn_open(sstore_conn *c)
{
    file_conn *fc = calloc(1, sizeof *fc);
    void *buf = NULL;
    if (fc == NULL || posix_memalign(&buf, FILE_ALIGN, FILE_BUF_SIZE) != 0) {
        free(fc);
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    }
    fc->buf = buf;
    fc->serial = atomic_fetch_add(&((file_store *)c->st->impl)->next_serial, 1);
    c->impl = fc;
    return SSTORE_OK;
}

static void file_conn_close(sstore_conn *c)
{
    file_conn *fc = c->impl;
    if (fc == NULL)
        return;
    free(fc->buf);
    free(fc->wbuf);
    free(fc);
    c->impl = NULL;
}

/* Reads and decodes the open session file fd (rel, for messages) into *r (pointing into the
 * connection's buffer). SSTORE_OK, or an IO/CORRUPT error set on c. */
static int read_record(sstore_conn *c, int fd, const char *rel, sstore_record *r)
{
    file_conn *fc = c->impl;
    char err[160];
    ssize_t n = fio_read_whole(c, fd);
    if (n < 0 && errno == EFBIG)
        return sstore_conn_set_err(c, SSTORE_ERR_CORRUPT, "file store %s: %s: larger than any session record",
                                   ((file_store *)c->st->impl)->dir, rel);
    if (n < 0)
        return fio_errno_err(c, "read", rel);
    if (sstore_record_decode(fc->buf, (size_t)n, r, err, sizeof err) != 0)
        return sstore_conn_set_err(c, SSTORE_ERR_CORRUPT, "file store %s: %s: corrupt session record: %s",
                                   ((file_store *)c->st->impl)->dir, rel, err);
    return SSTORE_OK;
}

/* Opens (and locks, with lock=flock) the session file rel and reads its record; *fd stays open
 * (holding the lock) on SSTORE_OK and whenever it is >= 0. NOT_FOUND when absent or expired. */
static int open_record(sstore_conn *c, const char *rel, int *fd, sstore_record *r)
{
    int st;
    *fd = fio_open_session(c, rel);
    if (*fd < 0)
        return errno == ENOENT ? SSTORE_NOT_FOUND : fio_errno_err(c, "open", rel);
    st = read_record(c, *fd, rel, r);
    if (st == SSTORE_OK && r->expires_ms <= sstore_now_ms())
        st = SSTORE_NOT_FOUND;
    return st;
}

/* Encodes r into the connection's write buffer; its length, or 0 when out of memory (set on c). */
static size_t encode(sstore_conn *c, sstore_record *r)
{
    file_conn *fc = c->impl;
    if (sstore_buf_reserve(&fc->wbuf, &fc->wcap, r->claims_len + SSTORE_RECORD_OVERHEAD) != 0) {
        sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
        return 0;
    }
    return sstore_record_encode(fc->wbuf, fc->wcap, r);
}

/* Renames tmp over rel and makes it durable (fsync=always). SSTORE_OK or an error; tmp is gone either way. */
static int replace_with(sstore_conn *c, const char *tmp, const char *rel)
{
    c->ctr.syscalls++;
    if (renameat(((file_store *)c->st->impl)->dirfd, tmp, ((file_store *)c->st->impl)->dirfd, rel) != 0) {
        int st = fio_errno_err(c, "rename to", rel);
        (void)fio_unlink(c, tmp); /* best effort: the error reported is the rename's */
        return st;
    }
    return fio_sync_dir_of(c, rel);
}

/* put found rel already there: an expired (or deleted meanwhile) holder gives way to tmp, a live
 * one makes it SSTORE_EXISTS. tmp is gone on return. */
static int put_over_existing(sstore_conn *c, const char *tmp, const char *rel)
{
    sstore_record old;
    int fd, st = open_record(c, rel, &fd, &old);
    if (st == SSTORE_NOT_FOUND)
        st = replace_with(c, tmp, rel);
    else if (st == SSTORE_OK)
        st = SSTORE_EXISTS;
    if (st != SSTORE_OK)
        (void)fio_unlink(c, tmp); /* gone already after a failed rename: best effort */
    if (fd >= 0)
        (void)fio_close(c, fd); /* read-only (its lock goes with it) */
    return st;
}

static int file_put(sstore_conn *c, const char *id, const char *claims, size_t claims_len, int64_t ttl_ms)
{
    file_store *fs = c->st->impl;
    char rel[FILE_PATH_MAX], tmp[FILE_PATH_MAX];
    sstore_record r = {0, 0, 0, claims, claims_len, 0};
    size_t len;
    int st;
    r.created_ms = r.last_seen_ms = sstore_now_ms();
    r.expires_ms = r.created_ms + ttl_ms;
    if ((len = encode(c, &r)) == 0)
        return c->err;
    fio_session_path(rel, id);
    fio_tmp_path(c, tmp, id);
    if ((st = fio_write_tmp(c, tmp, ((file_conn *)c->impl)->wbuf, len)) != SSTORE_OK)
        return st;
    c->ctr.syscalls++;
    if (linkat(fs->dirfd, tmp, fs->dirfd, rel, 0) == 0) /* link, unlike rename, refuses an existing name */
        return fio_unlink(c, tmp) == 0 ? fio_sync_dir_of(c, rel) : fio_errno_err(c, "unlink", tmp);
    if (errno == EEXIST)
        return put_over_existing(c, tmp, rel);
    st = fio_errno_err(c, "link to", rel);
    (void)fio_unlink(c, tmp); /* best effort: the error reported is the link's */
    return st;
}

static int file_get(sstore_conn *c, const char *id, sstore_session *out)
{
    char rel[FILE_PATH_MAX];
    sstore_record r;
    int fd, st;
    fio_session_path(rel, id);
    st = open_record(c, rel, &fd, &r);
    if (fd >= 0 && fio_close(c, fd) != 0 && st == SSTORE_OK)
        st = fio_errno_err(c, "close", rel);
    if (st == SSTORE_OK)
        sstore_record_to_session(&r, out);
    return st;
}

static int file_touch(sstore_conn *c, const char *id, int64_t ttl_ms)
{
    char rel[FILE_PATH_MAX], tmp[FILE_PATH_MAX];
    sstore_record r;
    size_t len;
    int fd, st;
    fio_session_path(rel, id);
    st = open_record(c, rel, &fd, &r); /* with lock=flock, fd holds the lock until the rename is done */
    if (st == SSTORE_OK) {
        r.last_seen_ms = sstore_now_ms();
        r.expires_ms = r.last_seen_ms + ttl_ms;
        fio_tmp_path(c, tmp, id);
        if ((len = encode(c, &r)) == 0)
            st = c->err;
        else if ((st = fio_write_tmp(c, tmp, ((file_conn *)c->impl)->wbuf, len)) == SSTORE_OK)
            st = replace_with(c, tmp, rel);
    }
    if (fd >= 0)
        (void)fio_close(c, fd); /* read-only; releases the lock after the rename */
    return st;
}

static int file_del(sstore_conn *c, const char *id)
{
    char rel[FILE_PATH_MAX];
    sstore_record r;
    int fd, st;
    fio_session_path(rel, id);
    st = open_record(c, rel, &fd, &r);
    if (st == SSTORE_ERR_CORRUPT)
        st = SSTORE_OK; /* logging out of a damaged session removes it */
    if (st == SSTORE_OK && fio_unlink(c, rel) != 0)
        st = errno == ENOENT ? SSTORE_NOT_FOUND : fio_errno_err(c, "unlink", rel);
    else if (st == SSTORE_OK)
        st = fio_sync_dir_of(c, rel);
    if (fd >= 0)
        (void)fio_close(c, fd); /* read-only; releases the lock after the unlink */
    return st;
}

/* Sweeps one entry of a fan-out folder (rel is "A/name"): removes an expired session or a
 * stale temporary file. Returns 1 when a session was removed, else 0. */
static int sweep_entry(sstore_conn *c, const char *rel, const char *name)
{
    file_store *fs = c->st->impl;
    sstore_record r;
    struct stat sb;
    int fd, st, removed = 0;
    if (strncmp(name, ".tmp_", 5) == 0) {
        c->ctr.syscalls++;
        if (fstatat(fs->dirfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sb.st_mtime + FILE_TMP_STALE_S < time(NULL))
            (void)fio_unlink(c, rel); /* a stale temporary: another sweep may have taken it */
        return 0;
    }
    if (strncmp(name, "sess_", 5) != 0)
        return 0;
    st = open_record(c, rel, &fd, &r);
    if (st == SSTORE_NOT_FOUND && fd >= 0 && fio_unlink(c, rel) == 0)
        removed = fio_sync_dir_of(c, rel) == SSTORE_OK;
    if (fd >= 0)
        (void)fio_close(c, fd); /* read-only */
    return removed;
}

/* Opens the folder rel of the store for listing, counted. NULL with errno set when it cannot. */
static DIR *open_dir(sstore_conn *c, const char *rel)
{
    int fd = openat(((file_store *)c->st->impl)->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    c->ctr.syscalls++;
    if (d == NULL && fd >= 0) {
        e = errno;
        (void)close(fd); /* a directory opened read-only */
        errno = e;
    }
    return d;
}

/* A folder that cannot be listed: 0 when it does not exist (nothing to sweep), else -1 with the error set. */
static long list_failed(sstore_conn *c, const char *rel)
{
    if (errno == ENOENT)
        return 0;
    fio_errno_err(c, "list", rel);
    return -1;
}

/* Sweeps the fan-out folder rel ("A"). How many sessions it removed, or -1 with the error set. */
static long sweep_folder(sstore_conn *c, const char *rel)
{
    char path[FILE_PATH_MAX];
    struct dirent *de;
    long n = 0;
    DIR *d = open_dir(c, rel);
    if (d == NULL)
        return list_failed(c, rel);
    while ((de = readdir(d)) != NULL)
        if (snprintf(path, sizeof path, "%s/%s", rel, de->d_name) < (int)sizeof path)
            n += sweep_entry(c, path, de->d_name);
    (void)closedir(d); /* read-only listing */
    return n;
}

/* With lock=none a put of a caller-chosen id racing the sweep of its expired file can lose (the
 * sweep unlinks the new file); lock=flock serialises them. */
static long file_sweep(sstore_conn *c)
{
    char rel[2] = {0, '\0'};
    const char *a;
    long n = 0, k;
    for (a = fanout_chars; *a != '\0' && n >= 0; a++) {
        rel[0] = *a;
        n = (k = sweep_folder(c, rel)) < 0 ? -1 : n + k;
    }
    return n;
}

const sstore_backend_ops sstore_file_backend = {
    .name = "file",
    .scheme = "file",
    .open = file_open,
    .close = file_close,
    .conn_open = file_conn_open,
    .conn_close = file_conn_close,
    .put = file_put,
    .get = file_get,
    .touch = file_touch,
    .del = file_del,
    .sweep = file_sweep,
    .get_batch = NULL,
};

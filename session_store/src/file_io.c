/* file_io.c — the file store's system calls, each counted in the connection: open, read, write,
 * fsync, link/rename/unlink, flock. disk_bytes_read/written are what read()/write() returned (with
 * O_DIRECT the device moves whole 4 KiB blocks); fsyncs counts file and folder fsyncs, fsync_ns their time. */
#include "file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* lock=flock: a waiter wakes up on a file that a touch has meanwhile replaced, and opens the name
 * again; when other clients keep replacing it (flock wake-ups are not fair), it gives up after this. */
#define FILE_LOCK_PATIENCE_MS 10000

/* The store of c. */
static file_store *fstore(sstore_conn *c)
{
    return c->st->impl;
}

void fio_session_path(char *path, const char *id)
{
    snprintf(path, FILE_PATH_MAX, "%c/sess_%s", id[0], id);
}

void fio_tmp_path(sstore_conn *c, char *path, const char *id)
{
    file_conn *fc = c->impl;
    snprintf(path, FILE_PATH_MAX, "%c/.tmp_%s.%ld.%lu.%lu", id[0], id, (long)getpid(), fc->serial, fc->seq++);
}

int fio_errno_err(sstore_conn *c, const char *what, const char *rel)
{
    int e = errno;
    int st = e == ENOSPC || e == EDQUOT || e == EFBIG ? SSTORE_ERR_FULL : e == EBUSY ? SSTORE_ERR_TIMEOUT : SSTORE_ERR_IO;
    return sstore_conn_set_err(c, st, "file store %s: %s %s: %s", fstore(c)->dir, what, rel, strerror(e));
}

/* openat on the root, counted, EINTR retried. */
static int open_at(sstore_conn *c, const char *rel, int flags, mode_t mode)
{
    int fd;
    do {
        fd = openat(fstore(c)->dirfd, rel, flags | O_CLOEXEC, mode);
        c->ctr.syscalls++;
    } while (fd < 0 && errno == EINTR);
    return fd;
}

int fio_close(sstore_conn *c, int fd)
{
    c->ctr.syscalls++;
    return close(fd);
}

/* flock(LOCK_EX) then checks the file still has a name. 1 locked and linked, 0 replaced or
 * removed meanwhile (fd closed), -1 error (fd closed, errno set). */
static int lock_linked(sstore_conn *c, int fd)
{
    struct stat sb;
    int rc, e;
    do {
        rc = flock(fd, LOCK_EX);
        c->ctr.syscalls++;
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
        rc = fstat(fd, &sb);
        c->ctr.syscalls++;
    }
    if (rc == 0 && sb.st_nlink > 0)
        return 1;
    e = errno;
    (void)fio_close(c, fd); /* read-only: nothing to lose */
    errno = e;
    return rc == 0 ? 0 : -1;
}

/* Monotonic milliseconds. */
static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fio_open_session(sstore_conn *c, const char *rel)
{
    int flags = O_RDONLY | (fstore(c)->direct ? O_DIRECT : 0), fd, ok;
    int64_t give_up = 0;
    for (;;) {
        fd = open_at(c, rel, flags, 0);
        if (fd < 0 || !fstore(c)->lock)
            return fd;
        if ((ok = lock_linked(c, fd)) != 0)
            return ok > 0 ? fd : -1;
        if (give_up == 0)
            give_up = mono_ms() + FILE_LOCK_PATIENCE_MS;
        else if (mono_ms() > give_up)
            break;
    }
    errno = EBUSY;
    return -1;
}

ssize_t fio_read_whole(sstore_conn *c, int fd)
{
    file_conn *fc = c->impl;
    size_t used = 0;
    for (;;) {
        size_t want = FILE_BUF_SIZE - used;
        ssize_t k = read(fd, fc->buf + used, want);
        c->ctr.syscalls++;
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        used += (size_t)k;
        c->ctr.disk_bytes_read += (uint64_t)k;
        if (used == FILE_BUF_SIZE) {
            errno = EFBIG;
            return -1;
        }
        /* Session files are never changed in place (they are written whole under a temporary
         * name, then linked or renamed), so a short read is the end of the file. */
        if ((size_t)k < want)
            return (ssize_t)used;
    }
}

/* Monotonic nanoseconds. */
static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* fsync counted and timed. 0 or -1. */
static int fsync_fd(sstore_conn *c, int fd)
{
    uint64_t t0 = mono_ns();
    int rc = fsync(fd);
    c->ctr.fsync_ns += mono_ns() - t0;
    c->ctr.syscalls++;
    c->ctr.fsyncs++;
    return rc;
}

/* fsync of the folder rel ("." for the root), counted. 0 or -1. */
static int sync_dir(sstore_conn *c, const char *rel)
{
    int fd = open_at(c, rel, O_RDONLY | O_DIRECTORY, 0), rc, e;
    if (fd < 0)
        return -1;
    rc = fsync_fd(c, fd);
    e = errno;
    (void)fio_close(c, fd); /* the fsync's result is the one that counts */
    errno = e;
    return rc;
}

/* Creates tmp exclusively. fd, or -1 with the error set. */
static int create_tmp(sstore_conn *c, const char *tmp)
{
    int fd = open_at(c, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        fio_errno_err(c, "create", tmp);
    return fd;
}

/* Writes data[0..len) whole to fd. 0, or -1 with errno set. */
static int write_all(sstore_conn *c, int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t k = write(fd, data, len);
        c->ctr.syscalls++;
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        c->ctr.disk_bytes_written += (uint64_t)k;
        data += k;
        len -= (size_t)k;
    }
    return 0;
}

int fio_write_tmp(sstore_conn *c, const char *tmp, const char *data, size_t len)
{
    int fd = create_tmp(c, tmp), st = SSTORE_OK;
    if (fd < 0)
        return c->err;
    if (write_all(c, fd, data, len) != 0)
        st = fio_errno_err(c, "write", tmp);
    else if (fstore(c)->fsync_always && fsync_fd(c, fd) != 0)
        st = fio_errno_err(c, "fsync", tmp);
    if (fio_close(c, fd) != 0 && st == SSTORE_OK)
        st = fio_errno_err(c, "close", tmp);
    if (st != SSTORE_OK)
        (void)fio_unlink(c, tmp); /* never leave a partial file behind (best effort: the error is st's) */
    return st;
}

int fio_sync_dir_of(sstore_conn *c, const char *rel)
{
    char dir[2] = {rel[0], '\0'};
    if (!fstore(c)->fsync_always)
        return SSTORE_OK;
    return sync_dir(c, dir) == 0 ? SSTORE_OK : fio_errno_err(c, "fsync folder", dir);
}

int fio_unlink(sstore_conn *c, const char *rel)
{
    c->ctr.syscalls++;
    return unlinkat(fstore(c)->dirfd, rel, 0);
}

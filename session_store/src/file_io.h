/* file_io.h — the file store's counted system calls, paths and whole-file read/write (private). */
#ifndef SSTORE_FILE_IO_H
#define SSTORE_FILE_IO_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include "record.h"
#include "sstore_int.h"

#define FILE_ALIGN 4096 /* O_DIRECT buffer alignment and read granule */
/* The read buffer: a whole record fits with room to spare, so a full buffer means "too large". */
#define FILE_BUF_SIZE ((SSTORE_RECORD_MAX / FILE_ALIGN + 2) * FILE_ALIGN)
/* "A/.tmp_<id>.<pid>.<serial>.<seq>" fits. */
#define FILE_PATH_MAX (SSTORE_KEY_MAX + 96)

typedef struct file_store {
    char *dir;      /* the root, as given */
    int dirfd;      /* the root, open O_DIRECTORY for the *at() calls */
    int fsync_always;
    int direct;
    int lock;       /* flock(LOCK_EX) around every operation */
    atomic_ulong next_serial;
} file_store;

typedef struct file_conn {
    char *buf;          /* FILE_BUF_SIZE bytes aligned to FILE_ALIGN: the last read record */
    char *wbuf;         /* record encoding buffer */
    size_t wcap;
    unsigned long serial; /* unique per connection in this process: temporary names never clash */
    unsigned long seq;
} file_conn;

/* "A/sess_<id>" (the fan-out folder, id[0], and the session file) into path (FILE_PATH_MAX bytes). */
void fio_session_path(char *path, const char *id);
/* "A/.tmp_<id>.<pid>.<serial>.<seq>" into path, a fresh name for this connection. */
void fio_tmp_path(sstore_conn *c, char *path, const char *id);

/* Opens the session file rel for reading (O_DIRECT when configured); with lock=flock holds
 * LOCK_EX on it, opening again when the name was replaced or removed while it waited.
 * The fd, or -1 with errno set (ENOENT: no such session; EBUSY: replaced under it for 10 s). */
int fio_open_session(sstore_conn *c, const char *rel);
/* close() counted; returns close's result. */
int fio_close(sstore_conn *c, int fd);
/* Reads the whole of fd into the connection's buffer. Its length, or -1 with errno set (EFBIG:
 * larger than any record). */
ssize_t fio_read_whole(sstore_conn *c, int fd);
/* Writes data to a fresh temporary file tmp, fsynced when fsync=always. SSTORE_OK, or an error set
 * on c with nothing left behind. */
int fio_write_tmp(sstore_conn *c, const char *tmp, const char *data, size_t len);
/* fsync of the folder holding rel (when fsync=always). SSTORE_OK or an error set on c. */
int fio_sync_dir_of(sstore_conn *c, const char *rel);
/* unlinkat counted; 0 or -1 with errno. */
int fio_unlink(sstore_conn *c, const char *rel);
/* Records an I/O error for errno on c: ENOSPC/EDQUOT/EFBIG → SSTORE_ERR_FULL, EBUSY (lock not
 * obtained) → SSTORE_ERR_TIMEOUT, others → IO. */
int fio_errno_err(sstore_conn *c, const char *what, const char *rel);

#endif /* SSTORE_FILE_IO_H */

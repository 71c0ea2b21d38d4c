/* ab_cli.h — what every authbench subcommand shares: errors and exit codes, number/duration/size
 * parsing, monotonic time, whole-file I/O with atomic replace, and a progress line on stderr. */
#ifndef AB_CLI_H
#define AB_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit codes shared by every subcommand. */
#define AB_EXIT_OK 0
#define AB_EXIT_FAIL 1  /* the operation failed (bad token, unreachable store, …) */
#define AB_EXIT_USAGE 2 /* bad usage: unknown flag, bad number, missing argument */

/* Prints "authbench: <cmd>: <message>" as one line on stderr. */
void ab_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ab_err, then exit(AB_EXIT_FAIL). */
void ab_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* "authbench: <cmd>: <message> (see 'authbench <cmd> --help')", then exit(AB_EXIT_USAGE). */
void ab_usage_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Strict number parsing: the whole string must be a number within [min, max]. 0 or -1. */
int ab_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int ab_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int ab_parse_double(const char *s, double min, double max, double *out);
/* A duration: "250us", "1.5ms", "2s", "3m", "1h"; a bare number means seconds. Into microseconds.
 * 0 or -1 (negative, malformed, or overflow). */
int ab_parse_duration_us(const char *s, uint64_t *out_us);
/* A size: "512", "4k", "4KiB", "16M", "1G" (powers of 1024). 0 or -1. */
int ab_parse_size(const char *s, uint64_t *out_bytes);
/* The option parser and its value helpers (ab_opt_u64, …) are in ab_opt.h. */

/* Copies text into out (len bytes, NUL-terminated, cut to fit) with the password of every URI in
 * it shown as "***": the userinfo "user:pw@" becomes "user:***@", and "pw@" alone (a password
 * without a user, as redis-cli reads it) becomes "***@". For every message, log line and result
 * that names a store URI or a mechanism spec. Returns out. */
char *ab_mask_secrets(const char *text, char *out, size_t len);
/* The first password of a URI in text (the "pw" of "scheme://user:pw@…" or "scheme://pw@…"; *len
 * its length, maybe 0), or NULL when text holds none. The next one is searched from the returned
 * pointer + *len. The rule of ab_mask_secrets, for code that must hide passwords in place. */
const char *ab_secret_span(const char *text, size_t *len);

/* Monotonic clock in nanoseconds / microseconds; wall clock in Unix seconds. */
uint64_t ab_now_ns(void);
uint64_t ab_now_us(void);
int64_t ab_wall_s(void);
/* Formats Unix seconds as "2026-11-29T10:00:00Z" into buf (>= 21 bytes). Returns buf. */
char *ab_fmt_utc(int64_t unix_s, char *buf, size_t len);
/* snprintf that reports truncation: 0, or -1 when out was too small (it then holds a prefix). For
 * messages (where a cut message is fine) and paths (where the caller checks). */
int ab_fmt(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reads a whole file (at most max bytes; larger is an error) into a NUL-terminated malloc'd
 * buffer. NULL on error, with errno set (EFBIG when over max). *len may be NULL. */
char *ab_read_file(const char *path, size_t max, size_t *len);
/* Writes data to path atomically: a temporary file in the same directory, fsync, rename. A reader
 * sees the old file or the whole new one, never half. 0, or -1 with errno set. */
int ab_write_file_atomic(const char *path, const void *data, size_t len);
/* The same with the new file's mode (before the umask), e.g. 0600 for a secret. */
int ab_write_file_atomic_mode(const char *path, const void *data, size_t len, unsigned mode);
/* mkdir -p. 0, or -1 with errno set. */
int ab_mkdirs(const char *path, unsigned mode);

/* Progress on stderr for anything longer than a few seconds: a redrawn bar on a TTY, a plain line
 * every interval otherwise. Quiet when disabled. */
typedef struct ab_progress {
    int enabled;
    int tty;
    uint64_t start_us;
    uint64_t last_us;
    uint64_t interval_us; /* plain-line interval (default 5 s) */
} ab_progress;
void ab_progress_init(ab_progress *p, int enabled);
/* done/total in the caller's unit; label and a short extra text (e.g. "12,345 req/s"). */
void ab_progress_update(ab_progress *p, const char *label, double done, double total, const char *extra);
/* Ends the line (TTY) so later output starts clean. */
void ab_progress_done(ab_progress *p);

#ifdef __cplusplus
}
#endif

#endif /* AB_CLI_H */

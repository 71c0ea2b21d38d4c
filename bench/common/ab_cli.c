/* ab_cli.c — what every authbench subcommand shares: errors, parsing, time, files, progress. */
#include "ab_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Prints "authbench: cmd: message" + suffix as one line. */
static void vreport(const char *cmd, const char *suffix, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (cmd != NULL && *cmd != '\0')
        fprintf(stderr, "authbench: %s: %s%s\n", cmd, msg, suffix);
    else
        fprintf(stderr, "authbench: %s%s\n", msg, suffix);
}

void ab_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, "", fmt, ap);
    va_end(ap);
}

void ab_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, "", fmt, ap);
    va_end(ap);
    exit(AB_EXIT_FAIL);
}

void ab_usage_fail(const char *cmd, const char *fmt, ...)
{
    char suffix[128];
    va_list ap;
    snprintf(suffix, sizeof suffix, " (see 'authbench %s --help')", cmd ? cmd : "");
    va_start(ap, fmt);
    vreport(cmd, suffix, fmt, ap);
    va_end(ap);
    exit(AB_EXIT_USAGE);
}

int ab_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int ab_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;
    if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int ab_parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    double v;
    if (s == NULL || *s == '\0')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Splits "1.5ms" into 1.5 and the unit "ms"; -1 if no number leads or it is negative. */
static int number_and_unit(const char *s, double *num, const char **unit)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    *num = strtod(s, &end);
    if (errno != 0 || end == s || !isfinite(*num) || *num < 0)
        return -1;
    *unit = end;
    return 0;
}

int ab_parse_duration_us(const char *s, uint64_t *out_us)
{
    static const struct { const char *unit; double us; } units[] = {
        {"", 1e6}, {"us", 1}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"h", 3600e6},
    };
    const char *unit;
    double num;
    size_t i;
    if (number_and_unit(s, &num, &unit) != 0)
        return -1;
    for (i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].unit) == 0) {
            double us = num * units[i].us;
            if (us > 9.2e18)
                return -1;
            *out_us = (uint64_t)llround(us);
            return 0;
        }
    return -1;
}

int ab_parse_size(const char *s, uint64_t *out_bytes)
{
    static const struct { const char *unit; double mult; } units[] = {
        {"", 1}, {"b", 1}, {"B", 1}, {"k", 1024.0}, {"K", 1024.0}, {"KiB", 1024.0},
        {"m", 1048576.0}, {"M", 1048576.0}, {"MiB", 1048576.0},
        {"g", 1073741824.0}, {"G", 1073741824.0}, {"GiB", 1073741824.0},
    };
    const char *unit;
    double num;
    size_t i;
    if (number_and_unit(s, &num, &unit) != 0)
        return -1;
    for (i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].unit) == 0) {
            double b = num * units[i].mult;
            if (b > 9.2e18 || b != floor(b))
                return -1;
            *out_bytes = (uint64_t)b;
            return 0;
        }
    return -1;
}

uint64_t ab_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ab_now_us(void)
{
    return ab_now_ns() / 1000u;
}

int64_t ab_wall_s(void)
{
    return (int64_t)time(NULL);
}

char *ab_fmt_utc(int64_t unix_s, char *buf, size_t len)
{
    struct tm tm;
    time_t t = (time_t)unix_s;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "@%lld", (long long)unix_s);
    return buf;
}

int ab_fmt(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(out, len, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* Appends n bytes of s to out (len bytes) at *o, as far as they fit with the NUL. */
static void mask_put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
    if (n > len - 1 - *o)
        n = len - 1 - *o;
    memcpy(out + *o, s, n);
    *o += n;
}

const char *ab_secret_span(const char *text, size_t *len)
{
    const char *sep;
    while ((sep = strstr(text, "://")) != NULL) {
        const char *auth = sep + 3, *at = NULL, *colon, *p;
        size_t alen = strcspn(auth, "/?#");
        for (p = auth; p < auth + alen; p++) /* the userinfo ends at the authority's last '@' */
            if (*p == '@')
                at = p;
        if (at != NULL) { /* "user:pass@" hides pass, "pass@" alone is a password too */
            colon = memchr(auth, ':', (size_t)(at - auth));
            auth = colon != NULL ? colon + 1 : auth;
            *len = (size_t)(at - auth);
            return auth;
        }
        text = auth;
    }
    return NULL;
}

char *ab_mask_secrets(const char *text, char *out, size_t len)
{
    const char *pw;
    size_t o = 0, n;
    if (len == 0)
        return out;
    while ((pw = ab_secret_span(text, &n)) != NULL) {
        mask_put(out, len, &o, text, (size_t)(pw - text));
        mask_put(out, len, &o, "***", 3);
        text = pw + n;
    }
    mask_put(out, len, &o, text, strlen(text));
    out[o] = '\0';
    return out;
}

char *ab_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    ssize_t n;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0)
        goto fail;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        goto fail;
    }
    if ((uint64_t)st.st_size > max) {
        errno = EFBIG;
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        goto fail;
    while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    if (len != NULL)
        *len = got;
    return buf;
fail:
    n = errno;
    free(buf);
    close(fd);
    errno = (int)n;
    return NULL;
}

/* Writes all of data to fd, retrying on EINTR and short writes. 0 or -1. */
static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int ab_write_file_atomic(const char *path, const void *data, size_t len)
{
    return ab_write_file_atomic_mode(path, data, len, 0644);
}

int ab_write_file_atomic_mode(const char *path, const void *data, size_t len, unsigned mode)
{
    char tmp[PATH_MAX];
    int fd, saved;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    unlink(tmp); /* O_EXCL below: a file left there keeps its own mode */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

int ab_mkdirs(const char *path, unsigned mode)
{
    char buf[PATH_MAX];
    size_t i, n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = n ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
            return -1;
        buf[i] = i < n ? '/' : '\0';
    }
    return 0;
}

void ab_progress_init(ab_progress *p, int enabled)
{
    memset(p, 0, sizeof *p);
    p->enabled = enabled;
    p->tty = isatty(STDERR_FILENO);
    p->start_us = ab_now_us();
    p->interval_us = 5000000;
}

/* Formats seconds as "1m05s" / "12s". */
static void fmt_secs(double s, char *buf, size_t len)
{
    long t = s < 0 ? 0 : s > 359999 ? 359999 : (long)(s + 0.5); /* capped at 99h59m59s */
    if (t >= 60)
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, len, "%lds", t);
}

void ab_progress_update(ab_progress *p, const char *label, double done, double total, const char *extra)
{
    uint64_t now = ab_now_us();
    double frac = total > 0 ? done / total : 0, elapsed = (double)(now - p->start_us) / 1e6;
    char el[32], eta[32];
    if (!p->enabled)
        return;
    if (frac > 1)
        frac = 1;
    fmt_secs(elapsed, el, sizeof el);
    fmt_secs(frac > 0 ? elapsed / frac - elapsed : 0, eta, sizeof eta);
    if (p->tty) {
        char bar[31];
        int i, fill = (int)(frac * 30);
        for (i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%s [%s] %3.0f%% elapsed %s eta %s %s\033[K", label, bar, frac * 100, el, eta,
                extra ? extra : "");
    } else {
        if (p->last_us != 0 && now - p->last_us < p->interval_us)
            return;
        fprintf(stderr, "%s: %.0f%% elapsed %s eta %s %s\n", label, frac * 100, el, eta, extra ? extra : "");
    }
    p->last_us = now;
    fflush(stderr);
}

void ab_progress_done(ab_progress *p)
{
    if (p->enabled && p->tty && p->last_us != 0)
        fputc('\n', stderr);
    p->last_us = 0;
}

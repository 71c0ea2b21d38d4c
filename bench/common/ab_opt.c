/* ab_opt.c — the one option parser of every authbench command, its scan helpers and secret files. */
#include "ab_opt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ab_cli.h"

#define SECRET_FILE_MAX (64u << 10)

/* Copies the caller's table, adds --help, and builds the short option string. */
static void opt_setup(ab_opt *p, const char *cmd, void (*usage)(void), const struct option *opts, int argc,
                      char **argv)
{
    size_t n = 0, s = 0;
    memset(p, 0, sizeof *p);
    p->cmd = cmd, p->usage = usage, p->argc = argc, p->argv = argv;
    p->shorts[s++] = '-'; /* positional arguments come back in order, as AB_OPT_ARG */
    p->shorts[s++] = ':'; /* a missing value is ':' and nothing is printed */
    p->shorts[s++] = 'h';
    for (; opts[n].name != NULL && n < AB_OPT_MAX; n++) {
        p->all[n] = opts[n];
        if (opts[n].flag == NULL && opts[n].val < 128 && ((opts[n].val | 32) >= 'a' && (opts[n].val | 32) <= 'z')) {
            p->shorts[s++] = (char)opts[n].val;
            if (opts[n].has_arg == required_argument)
                p->shorts[s++] = ':';
        }
    }
    p->all[n] = (struct option){"help", no_argument, NULL, 'h'};
    optind = 0; /* glibc: start afresh, whatever was parsed before */
    opterr = optopt = 0;
}

void ab_opt_init(ab_opt *p, const char *cmd, void (*usage)(void), const struct option *opts, int argc,
                 char **argv)
{
    opt_setup(p, cmd, usage, opts, argc, argv);
}

void ab_opt_init_args(ab_opt *p, const char *cmd, void (*usage)(void), const struct option *opts, int argc,
                      char **argv)
{
    opt_setup(p, cmd, usage, opts, argc, argv);
    p->takes_args = 1;
}

/* The usage error "authbench: <cmd>: <prefix><message> (see …)"; exits 2. */
__attribute__((format(printf, 3, 0), noreturn)) static void vfail(const ab_opt *p, const char *prefix,
                                                                   const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ab_usage_fail(p->cmd, "%s%s", prefix, msg);
}

void ab_opt_fail(const ab_opt *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p, "", fmt, ap);
}

void ab_opt_bad(const ab_opt *p, const char *fmt, ...)
{
    char prefix[80];
    va_list ap;
    snprintf(prefix, sizeof prefix, "%s: ", ab_opt_flag(p));
    va_start(ap, fmt);
    vfail(p, prefix, fmt, ap);
}

/* 1 when arg spells the long option name in full: "--name" or "--name=…". */
static int spelled_out(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return arg != NULL && strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, name, n) == 0 &&
           (arg[2 + n] == '\0' || arg[2 + n] == '=');
}

/* Sets p->flag to "--name" of the table entry found by index, or by the short option c. */
static void set_flag(ab_opt *p, int idx, int c)
{
    int i;
    for (i = 0; idx < 0 && p->all[i].name != NULL; i++)
        if (p->all[i].flag == NULL && p->all[i].val == c)
            idx = i;
    if (idx >= 0)
        snprintf(p->flag_buf, sizeof p->flag_buf, "--%s", p->all[idx].name);
    else
        snprintf(p->flag_buf, sizeof p->flag_buf, "-%c", c);
    p->flag = p->flag_buf;
}

/* The usage error for getopt's '?' or ':' on arg (the element it was reading). */
static void fail_getopt(const ab_opt *p, int c, const char *arg)
{
    int named = arg != NULL ? (int)strcspn(arg, "=") : 0;
    if (c == ':' && arg != NULL && strncmp(arg, "--", 2) == 0)
        ab_opt_fail(p, "%.*s: missing value", named, arg);
    if (c == ':')
        ab_opt_fail(p, "-%c: missing value", optopt);
    if (optopt != 0 && arg != NULL && strncmp(arg, "--", 2) == 0)
        ab_opt_fail(p, "%.*s: takes no value", named, arg);
    if (optopt != 0)
        ab_opt_fail(p, "unknown option '-%c'", optopt);
    ab_opt_fail(p, "unknown option '%.*s'", named, arg != NULL ? arg : "");
}

/* What is left after "--": each a positional argument. getopt is not called again. */
static int next_rest(ab_opt *p)
{
    if (p->rest == 0)
        p->rest = optind > 0 ? optind : p->argc;
    if (p->rest >= p->argc)
        return AB_OPT_END;
    p->value = p->argv[p->rest++];
    if (!p->takes_args)
        ab_opt_fail(p, "unexpected argument '%s'", p->value);
    return AB_OPT_ARG;
}

int ab_opt_next(ab_opt *p)
{
    int idx = -1, at = optind > 0 ? optind : 1, c;
    const char *arg = at < p->argc ? p->argv[at] : NULL;
    p->value = p->flag = NULL;
    if (p->rest != 0)
        return next_rest(p);
    c = getopt_long(p->argc, p->argv, p->shorts, p->all, &idx);
    if (c == -1)
        return next_rest(p);
    if (c == '?' || c == ':')
        fail_getopt(p, c, arg);
    if (idx >= 0 && arg != NULL && !spelled_out(arg, p->all[idx].name)) /* an abbreviation getopt took */
        ab_opt_fail(p, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
    p->value = optarg;
    if (c == AB_OPT_ARG && !p->takes_args)
        ab_opt_fail(p, "unexpected argument '%s'", optarg);
    if (c == AB_OPT_ARG)
        return c;
    set_flag(p, idx, c);
    if (c == 'h') {
        p->usage();
        exit(AB_EXIT_OK);
    }
    return c;
}

const char *ab_opt_value(const ab_opt *p)
{
    return p->value != NULL ? p->value : "";
}

const char *ab_opt_flag(const ab_opt *p)
{
    return p->flag != NULL ? p->flag : "";
}

uint64_t ab_opt_u64(const ab_opt *p, uint64_t min, uint64_t max)
{
    uint64_t v;
    if (ab_parse_u64(p->value, min, max, &v) != 0)
        ab_opt_bad(p, "expected a whole number from %llu to %llu, got '%s'", (unsigned long long)min,
                   (unsigned long long)max, ab_opt_value(p));
    return v;
}

double ab_opt_double(const ab_opt *p, double min, double max)
{
    double v;
    if (ab_parse_double(p->value, min, max, &v) != 0)
        ab_opt_bad(p, "expected a number from %g to %g, got '%s'", min, max, ab_opt_value(p));
    return v;
}

uint64_t ab_opt_duration_us(const ab_opt *p)
{
    uint64_t v;
    if (ab_parse_duration_us(p->value, &v) != 0)
        ab_opt_bad(p, "expected a duration like 250us, 1.5ms, 10s or 2m, got '%s'", ab_opt_value(p));
    return v;
}

uint64_t ab_opt_size(const ab_opt *p)
{
    uint64_t v;
    if (ab_parse_size(p->value, &v) != 0)
        ab_opt_bad(p, "expected a size like 512, 4k or 16M, got '%s'", ab_opt_value(p));
    return v;
}

int ab_opt_choice(const ab_opt *p, const char *const *names)
{
    char list[512] = "";
    size_t o = 0;
    int i;
    for (i = 0; names[i] != NULL; i++)
        if (strcmp(ab_opt_value(p), names[i]) == 0)
            return i;
    for (i = 0; names[i] != NULL && o < sizeof list; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : " or ",
                              names[i]);
    ab_opt_bad(p, "'%s' is not %s", ab_opt_value(p), list);
}

void ab_opt_shard(const ab_opt *p, unsigned *index, unsigned *count)
{
    const char *v = ab_opt_value(p);
    unsigned i = 0, n = 0;
    int end = 0;
    if (sscanf(v, "%u/%u%n", &i, &n, &end) != 2 || v[end] != '\0' || v[0] < '0' || v[0] > '9' || i < 1 || n < 1 ||
        n > 1000 || i > n)
        ab_opt_bad(p, "'%s' is not I/N with 1 <= I <= N <= 1000", v);
    *index = i;
    *count = n;
}

size_t ab_opt_hide_secrets(char *arg)
{
    size_t hidden = 0, n;
    char *pw;
    while ((pw = (char *)ab_secret_span(arg, &n)) != NULL) {
        memset(pw, '*', n);
        hidden += n;
        arg = pw + n;
    }
    return hidden;
}

char *ab_opt_secret(const ab_opt *p)
{
    char *copy = strdup(ab_opt_value(p));
    if (copy == NULL)
        ab_fail(p->cmd, "out of memory");
    if (p->value != NULL)
        ab_opt_hide_secrets((char *)p->value); /* points into argv: what ps shows */
    return copy;
}

/* Checks that the open file fd (path) is a regular file of ours that group and others cannot touch. */
static int secret_mode_ok(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(err, errlen, "%s: not a regular file", path);
    else if (st.st_uid != geteuid())
        snprintf(err, errlen, "%s: not owned by this user (uid %u)", path, (unsigned)st.st_uid);
    else if ((st.st_mode & 077) != 0)
        snprintf(err, errlen, "%s: group or others may read or write it (mode %04o): chmod 600 it", path,
                 (unsigned)(st.st_mode & 07777));
    else
        return 1;
    return 0;
}

/* Reads up to max bytes of fd (path) into a malloc'd NUL-terminated buffer; NULL when too long or
 * on error. */
static char *read_fd(int fd, const char *path, size_t max, char *err, size_t errlen)
{
    char *buf = malloc(max + 2);
    size_t got = 0;
    ssize_t n;
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    while (got <= max && (n = read(fd, buf + got, max + 1 - got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || got + (size_t)n > max) {
            snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "longer than 64 KiB");
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    return buf;
}

char *ab_opt_read_secret_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    char *text = NULL;
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (secret_mode_ok(fd, path, err, errlen) && (text = read_fd(fd, path, SECRET_FILE_MAX, err, errlen)) != NULL) {
        text[strcspn(text, "\r\n")] = '\0';
        if (text[0] == '\0') {
            snprintf(err, errlen, "%s: the first line is empty", path);
            free(text);
            text = NULL;
        }
    }
    close(fd);
    return text;
}

char *ab_opt_secret_file(const ab_opt *p)
{
    char err[512], *text = ab_opt_read_secret_file(ab_opt_value(p), err, sizeof err);
    if (text == NULL)
        ab_fail(p->cmd, "%s: %s", ab_opt_flag(p), err);
    return text;
}

int ab_opt_write_secret_file(const char *path, const char *line)
{
    size_t len = strlen(line);
    char *text = malloc(len + 2);
    int rc;
    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(text, line, len);
    memcpy(text + len, "\n", 2);
    rc = ab_write_file_atomic_mode(path, text, len + 1, 0600);
    free(text);
    return rc;
}

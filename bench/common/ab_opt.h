/* ab_opt.h — the one option parser of every authbench command: getopt_long with the --help check
 * and one wording for bad input, small scan helpers for option values, and secrets kept off argv.
 *
 * Object model: an ab_opt lives on the caller's stack for one parse of one command line; it holds
 * no memory and needs no cleanup. The loop is a switch, as in wrk's parse_args:
 *
 *     ab_opt p;
 *     ab_opt_init(&p, "serve", usage, opts, argc, argv);
 *     while ((c = ab_opt_next(&p)) != AB_OPT_END)
 *         switch (c) {
 *         case O_THREADS: o->threads = (int)ab_opt_u64(&p, 1, 256); break;
 *         ...
 *         }
 *
 * Every usage error is one line on stderr and exit status 2 (AB_EXIT_USAGE):
 *     authbench: <cmd>: <reason> (see 'authbench <cmd> --help')
 * with <cmd> the command words as typed ("serve", "jwt keygen") and <reason> one of
 *     unknown option '--frob'                  (also an abbreviation such as '--thr')
 *     --threads: missing value
 *     --quiet: takes no value                  (--quiet=1)
 *     unexpected argument 'x'                  (a positional argument the command does not take)
 *     --threads: expected a whole number from 1 to 256, got 'x'   (the scan helpers)
 * --help and -h print the command's usage on stdout and exit 0. Long options must be spelled in
 * full; "--flag value" and "--flag=value" both work. */
#ifndef AB_OPT_H
#define AB_OPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_OPT_END (-1) /* no more options or arguments */
#define AB_OPT_ARG 1    /* a positional argument, in ab_opt_value (only when init'd with args) */
#define AB_OPT_MAX 48   /* options in one table, without --help */

typedef struct ab_opt {
    const char *cmd;                       /* named in messages */
    void (*usage)(void);                   /* prints --help on stdout */
    int takes_args;                        /* positional arguments allowed (ab_opt_init_args) */
    int argc;
    char **argv;                           /* argv[0] is the command name, as main passes it */
    struct option all[AB_OPT_MAX + 2];     /* the caller's table, then --help and the end */
    char shorts[2 * AB_OPT_MAX + 8];       /* the getopt short option string */
    int rest;                              /* after getopt's end: the next argument left ("--" …) */
    const char *value;                     /* the current option's value (or argument) */
    const char *flag;                      /* the current option as "--name" (or "-c") */
    char flag_buf[64];
} ab_opt;

/* Prepares a parse of argv (argc elements) for command cmd with the option table opts (ended by
 * a zero entry, at most AB_OPT_MAX; an entry whose val is an ASCII letter is also the short
 * option -<letter>; the table must not name "help"). usage prints --help. Positional arguments
 * are usage errors; ab_opt_init_args lets ab_opt_next return them as AB_OPT_ARG in order. All
 * pointers must outlive the parse. */
void ab_opt_init(ab_opt *p, const char *cmd, void (*usage)(void), const struct option *opts, int argc,
                 char **argv);
void ab_opt_init_args(ab_opt *p, const char *cmd, void (*usage)(void), const struct option *opts, int argc,
                      char **argv);

/* The next option's val (its value in ab_opt_value), AB_OPT_ARG, or AB_OPT_END. Prints the usage
 * and exits 0 on --help or -h; exits 2 with the wording above on bad input. */
int ab_opt_next(ab_opt *p);

/* The current option's value (or argument), and the option as "--name", for messages. */
const char *ab_opt_value(const ab_opt *p);
const char *ab_opt_flag(const ab_opt *p);

/* A usage error of the command: "authbench: <cmd>: <message> (see …)", exit 2. */
void ab_opt_fail(const ab_opt *p, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* A usage error about the current option: "--flag: <message>", exit 2. */
void ab_opt_bad(const ab_opt *p, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Scan helpers: the current option's value, checked, or a usage error naming the option
 * ("--flag: expected …, got '…'"). Durations as ab_parse_duration_us, sizes as ab_parse_size. */
uint64_t ab_opt_u64(const ab_opt *p, uint64_t min, uint64_t max);
double ab_opt_double(const ab_opt *p, double min, double max);
uint64_t ab_opt_duration_us(const ab_opt *p);
uint64_t ab_opt_size(const ab_opt *p);
/* The index of the value in names (NULL-terminated), or "--flag: 'v' is not a, b or c". */
int ab_opt_choice(const ab_opt *p, const char *const *names);
/* A shard "I/N" (1 <= I <= N <= 1000) into *index and *count, as load and run --shard take it. */
void ab_opt_shard(const ab_opt *p, unsigned *index, unsigned *count);

/* ---- secrets off the command line ---- */

/* Overwrites the password of every URI in arg, in place, with '*' (the userinfo rule of
 * ab_mask_secrets: "user:pw@" and "pw@"), so that /proc/<pid>/cmdline and ps no longer show it.
 * Returns the number of characters hidden. */
size_t ab_opt_hide_secrets(char *arg);
/* The current option's value as a malloc'd copy (the caller frees it), after which the password
 * in argv is hidden (ab_opt_hide_secrets). Exits 1 when out of memory. */
char *ab_opt_secret(const ab_opt *p);

/* Reads the first line (without its newline; at most 64 KiB) of a secret file: a store URI or
 * mechanism spec written by `authbench run` or the user. The file must be a regular file that
 * neither group nor others may read or write (mode 0600 or stricter, as ssh insists for private
 * keys). A malloc'd string, or NULL with the reason in err (errno-like text; never the content). */
char *ab_opt_read_secret_file(const char *path, char *err, size_t errlen);
/* The current option's value is such a file: its first line (malloc'd), or exit 1 with
 * "authbench: <cmd>: --flag: <reason>". */
char *ab_opt_secret_file(const ab_opt *p);
/* Writes line and a newline to path, created with mode 0600 (replacing a file there), for
 * ab_opt_read_secret_file in another process. 0, or -1 with errno set. */
int ab_opt_write_secret_file(const char *path, const char *line);

#ifdef __cplusplus
}
#endif

#endif /* AB_OPT_H */

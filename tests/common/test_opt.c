/* test_opt.c — the option parser of every authbench command (ab_opt): what it accepts, each usage
 * error's one wording and exit status 2, --help, and secrets kept off argv and in 0600 files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "ab_cli.h"
#include "ab_opt.h"
#include "tsupport.h"

enum { O_THREADS = 256, O_NAME, O_LB, O_WAIT, O_SHARD, O_QUIET = 'q' };

static const struct option test_options[] = {
    {"threads", required_argument, NULL, O_THREADS}, {"name", required_argument, NULL, O_NAME},
    {"lb", required_argument, NULL, O_LB}, {"wait", required_argument, NULL, O_WAIT},
    {"shard", required_argument, NULL, O_SHARD}, {"quiet", no_argument, NULL, O_QUIET}, {NULL, 0, NULL, 0}};

/* What a parse printed and how it ended. */
typedef struct outcome {
    int status;
    char out[1024];
    char err[1024];
} outcome;

static void test_usage(void)
{
    printf("usage: authbench demo [--threads N]\n");
}

/* The parse loop of a command "demo": prints each option it took as "flag=value;" on stdout. */
static void parse_demo(int argc, char **argv, int takes_args)
{
    static const char *const lbs[] = {"rr", "random", "sticky", NULL};
    ab_opt p;
    unsigned i, n;
    int c;
    if (takes_args)
        ab_opt_init_args(&p, "demo", test_usage, test_options, argc, argv);
    else
        ab_opt_init(&p, "demo", test_usage, test_options, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case O_THREADS: printf("%s=%llu;", ab_opt_flag(&p), (unsigned long long)ab_opt_u64(&p, 1, 8)); break;
        case O_LB: printf("%s=%d;", ab_opt_flag(&p), ab_opt_choice(&p, lbs)); break;
        case O_WAIT: printf("%s=%llu;", ab_opt_flag(&p), (unsigned long long)ab_opt_duration_us(&p)); break;
        case O_SHARD: ab_opt_shard(&p, &i, &n), printf("%s=%u of %u;", ab_opt_flag(&p), i, n); break;
        case AB_OPT_ARG: printf("arg=%s;", ab_opt_value(&p)); break;
        default: printf("%s=%s;", ab_opt_flag(&p), ab_opt_value(&p)); break;
        }
    }
}

/* Reads what fd holds until EOF into buf (len bytes, NUL-terminated). */
static void drain(int fd, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;
    while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
}

/* Runs parse_demo over "demo" + args (NULL-terminated) in a child process. */
static outcome parse(int takes_args, const char *const *args)
{
    char *argv[32] = {"demo"};
    int out[2], err[2], st = 0, n = 1;
    outcome o;
    pid_t pid;
    for (; args[n - 1] != NULL; n++)
        argv[n] = (char *)args[n - 1];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    fflush(stdout);
    if ((pid = fork()) == 0) {
        dup2(out[1], STDOUT_FILENO), dup2(err[1], STDERR_FILENO);
        close(out[0]), close(err[0]), close(out[1]), close(err[1]);
        parse_demo(n, argv, takes_args);
        fflush(stdout);
        _exit(0);
    }
    close(out[1]), close(err[1]);
    drain(out[0], o.out, sizeof o.out);
    drain(err[0], o.err, sizeof o.err);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return o;
}

/* Checks a parse ended with a usage error: exit 2 and exactly the line of reason. */
static void expect_usage(int takes_args, const char *const *args, const char *reason)
{
    outcome o = parse(takes_args, args);
    char want[600];
    snprintf(want, sizeof want, "authbench: demo: %s (see 'authbench demo --help')\n", reason);
    assert_int_equal(o.status, AB_EXIT_USAGE);
    assert_string_equal(o.err, want);
}

static void options_should_take_values_both_ways_and_short_letters(void **state)
{
    outcome o;
    (void)state;
    o = parse(0, (const char *const[]){"--threads", "3", "--name=a=b", "-q", "--quiet", "--wait", "1.5ms", "--shard",
                                       "2/3", NULL});
    assert_int_equal(o.status, 0);
    assert_string_equal(o.err, "");
    assert_string_equal(o.out, "--threads=3;--name=a=b;--quiet=;--quiet=;--wait=1500;--shard=2 of 3;");
}

static void positional_arguments_should_come_in_order_when_taken(void **state)
{
    outcome o;
    (void)state;
    o = parse(1, (const char *const[]){"one", "--lb", "sticky", "two", "--", "--threads", "-", NULL});
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "arg=one;--lb=2;arg=two;arg=--threads;arg=-;");
}

static void each_usage_error_should_have_its_one_wording(void **state)
{
    (void)state;
    expect_usage(0, (const char *const[]){"--frob", NULL}, "unknown option '--frob'");
    expect_usage(0, (const char *const[]){"--frob=secret", NULL}, "unknown option '--frob'");
    expect_usage(0, (const char *const[]){"--thr", "2", NULL}, "unknown option '--thr'");
    expect_usage(0, (const char *const[]){"-x", NULL}, "unknown option '-x'");
    expect_usage(0, (const char *const[]){"--threads", NULL}, "--threads: missing value");
    expect_usage(0, (const char *const[]){"--quiet=1", NULL}, "--quiet: takes no value");
    expect_usage(0, (const char *const[]){"stray", NULL}, "unexpected argument 'stray'");
    expect_usage(0, (const char *const[]){"--", "stray", NULL}, "unexpected argument 'stray'");
    expect_usage(0, (const char *const[]){"--threads", "9", NULL},
                 "--threads: expected a whole number from 1 to 8, got '9'");
    expect_usage(0, (const char *const[]){"--threads=x", NULL},
                 "--threads: expected a whole number from 1 to 8, got 'x'");
    expect_usage(0, (const char *const[]){"--lb", "hash", NULL}, "--lb: 'hash' is not rr, random or sticky");
    expect_usage(0, (const char *const[]){"--shard", "3/2", NULL}, "--shard: '3/2' is not I/N with 1 <= I <= N <= 1000");
    expect_usage(0, (const char *const[]){"--wait", "soon", NULL},
                 "--wait: expected a duration like 250us, 1.5ms, 10s or 2m, got 'soon'");
}

static void help_should_print_the_usage_and_exit_0(void **state)
{
    static const char *const forms[][4] = {{"--help", NULL}, {"-h", NULL}, {"--threads", "2", "--help", NULL}};
    size_t i;
    (void)state;
    for (i = 0; i < 3; i++) {
        outcome o = parse(0, forms[i]);
        assert_int_equal(o.status, 0);
        assert_string_equal(o.err, "");
        assert_non_null(strstr(o.out, "usage: authbench demo [--threads N]\n"));
    }
}

static void hiding_secrets_should_blank_passwords_in_place(void **state)
{
    char a[] = "session:redis://admin:s3cret@127.0.0.1:6379/0", b[] = "redis://pw@h:1,redis://u:@h:2";
    char c[] = "memory://";
    (void)state;
    assert_int_equal(ab_opt_hide_secrets(a), 6);
    assert_string_equal(a, "session:redis://admin:******@127.0.0.1:6379/0");
    assert_int_equal(ab_opt_hide_secrets(b), 2);
    assert_string_equal(b, "redis://**@h:1,redis://u:@h:2");
    assert_int_equal(ab_opt_hide_secrets(c), 0);
    assert_string_equal(c, "memory://");
}

static void secret_files_should_be_0600_and_refused_otherwise(void **state)
{
    char *dir = tsupport_tmpdir("opt"), path[600], err[600], *line;
    struct stat st;
    (void)state;
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/spec", dir);
    assert_int_equal(ab_opt_write_secret_file(path, "session:redis://:pw@127.0.0.1:1"), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    line = ab_opt_read_secret_file(path, err, sizeof err);
    assert_non_null(line);
    assert_string_equal(line, "session:redis://:pw@127.0.0.1:1");
    free(line);
    assert_int_equal(chmod(path, 0640), 0);
    assert_null(ab_opt_read_secret_file(path, err, sizeof err));
    assert_non_null(strstr(err, "group or others may read or write it (mode 0640)"));
    assert_null(strstr(err, "pw@"));
    assert_int_equal(ab_opt_write_secret_file(path, ""), 0);
    assert_null(ab_opt_read_secret_file(path, err, sizeof err));
    assert_non_null(strstr(err, "the first line is empty"));
    assert_null(ab_opt_read_secret_file(dir, err, sizeof err));
    assert_non_null(strstr(err, "not a regular file"));
    tsupport_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_should_take_values_both_ways_and_short_letters),
        cmocka_unit_test(positional_arguments_should_come_in_order_when_taken),
        cmocka_unit_test(each_usage_error_should_have_its_one_wording),
        cmocka_unit_test(help_should_print_the_usage_and_exit_0),
        cmocka_unit_test(hiding_secrets_should_blank_passwords_in_place),
        cmocka_unit_test(secret_files_should_be_0600_and_refused_otherwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

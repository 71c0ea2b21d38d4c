/* test_bad_input.c — the bad input catalogue: malformed invocations and files for every authbench
 * command, each of which must exit 1 (failure) or 2 (bad usage) with exactly one line on stderr,
 * "authbench: <cmd>: …", never die of a signal (or a sanitizer report), never leave a half-written
 * file in an output directory, and never print a password it was given. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "test_load_util.h"
#include "tsupport.h"

#define MAX_ARGS 16

/* One malformed invocation: its arguments ("%D" is replaced by the fixture directory, "%P" by a
 * port in use, "%R" by a port nobody listens on), the exit status and the command named. */
typedef struct bad_case {
    const char *args[MAX_ARGS];
    int status;
    const char *cmd;
} bad_case;

static const bad_case cases[] = {
    {{"", NULL}, 2, NULL}, /* no command at all */
    {{"frobnicate", NULL}, 2, NULL},
    {{"jwt", NULL}, 2, "jwt"},
    {{"jwt", "--frobnicate", NULL}, 2, "jwt"},
    {{"jwt", "keygen", "--alg", "XX999", "--out", "%D/k", NULL}, 2, "jwt keygen"},
    {{"jwt", "keygen", "--alg", "HS256", "--out", "%D/afile/k", NULL}, 1, "jwt keygen"},
    {{"jwt", "verify", "--key", "%D/missing.key", "x.y.z", NULL}, 1, "jwt verify"},
    {{"jwt", "verify", "--key", "%D/bad.pem", "x.y.z", NULL}, 1, "jwt verify"},
    {{"jwt", "verify", "--key", "%D/bad.jwk", "x.y.z", NULL}, 1, "jwt verify"},
    {{"jwt", "verify", "--key", "%D/empty.key", "x.y.z", NULL}, 1, "jwt verify"},
    {{"jwt", "verify", "--key", "%D/huge.key", "x.y.z", NULL}, 1, "jwt verify"},
    {{"jwt", "verify", "--key", "%D/hs.key", "--leeway", "abc", "x.y.z", NULL}, 2, "jwt verify"},
    {{"jwt", "verify", "--key", "%D/hs.key", "%T", NULL}, 1, "jwt verify"}, /* a 100 KB token */
    {{"jwt", "sign", "--alg", "HS256", "--key", "%D/hs.key", "--claims", "{bad", NULL}, 2, "jwt sign"},
    {{"jwt", "sign", "--alg", "HS256", "--key", "%D/hs.key", "--claims-file", "%D/huge.claims", NULL}, 1, "jwt sign"},
    {{"store-bench", "--store", "redis://127.0.0.1:%R", "--duration", "1s", NULL}, 1, "store-bench"},
    {{"store-bench", "--store", "bogus://x", NULL}, 1, "store-bench"},
    {{"store-bench", "--store", "memory://", "--clients", "abc", NULL}, 2, "store-bench"},
    {{"store-bench", "--store", "memory://", "--duration", "5parsecs", NULL}, 2, "store-bench"},
    {{"store-bench", "--store", "file://%D/nowhere", "--duration", "1s", NULL}, 1, "store-bench"},
    {{"store-bench", "--store-file", "%D/nowhere.uri", NULL}, 1, "store-bench"},
    {{"store-bench", "--store-file", "%D/open.uri", NULL}, 1, "store-bench"}, /* mode 0644: refused */
    {{"store-bench", "--store", "memory://", "--store-file", "%D/secret.uri", NULL}, 2, "store-bench"},
    {{"store-bench", "--sto", "memory://", NULL}, 2, "store-bench"}, /* abbreviations are not options */
    {{"serve", "--mechanism", "none", "--listen", "127.0.0.1:%P", NULL}, 1, "serve"},
    {{"serve", "--mechanism", "jwt:HS256", "--key", "%D/missing.key", "--listen", "127.0.0.1:0", NULL}, 1, "serve"},
    {{"serve", "--mechanism", "session:redis://admin:s3cretpw@127.0.0.1:%R", "--listen", "127.0.0.1:0", NULL}, 1, "serve"},
    {{"serve", "--mechanism", "bogus", "--listen", "127.0.0.1:0", NULL}, 1, "serve"},
    {{"serve", "--mechanism", "none", "--listen", "notahost:99999", NULL}, 1, "serve"},
    {{"serve", "--mechanism", "none", "--listen", "127.0.0.1:0", "--request-timeout", "0", NULL}, 2, "serve"},
    {{"serve", "--mechanism-file", "%D/open.uri", "--listen", "127.0.0.1:0", NULL}, 1, "serve"},
    {{"serve", "--mechanism-file", "%D/secret.uri", "--listen", "127.0.0.1:0", NULL}, 1, "serve"}, /* no Redis */
    {{"serve", "--mechanism", "none", "--listen", NULL}, 2, "serve"},
    {{"serve", "--mechanism", "none", "--listen", "127.0.0.1:0", "stray", NULL}, 2, "serve"},
    {{"proxy", "--listen", "127.0.0.1:%P", "--upstream", "127.0.0.1:1", NULL}, 1, "proxy"},
    {{"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:99999", NULL}, 2, "proxy"},
    {{"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--delay", "-1ms", NULL}, 2, "proxy"},
    {{"load", "--targets", "127.0.0.1:%R", "--duration", "1s", "--no-progress", NULL}, 1, "load"},
    {{"load", "--targets", "127.0.0.1:%R", "--rate", "NaN", NULL}, 2, "load"},
    {{"load", "--targets", "a,b", NULL}, 2, "load"},
    {{"load", "--targets", "127.0.0.1:%R", "--mix", "login=abc", NULL}, 2, "load"},
    {{"run", "--scenario", "%D/bad-scenario.json", "--out", "%D/out-bad", NULL}, 2, "run"},
    {{"run", "--scenario", "%D/typo-scenario.json", "--out", "%D/out-typo", NULL}, 2, "run"},
    {{"run", "--scenario", "%D/huge-scenario.json", "--out", "%D/out-huge", NULL}, 2, "run"},
    {{"run", "--scenario", "%D/tiny-scenario.json", "--duration", "forever", NULL}, 2, "run"},
    {{"run", "--scenario", "%D/tiny-scenario.json", "--out", "%D/afile/run", "--no-micro", NULL}, 1, "run"},
    {{"run", "--scenario", "%D/redis-scenario.json", "--redis-url", "redis://:s3cretpw@127.0.0.1:%R", "--out",
      "%D/out-redis", "--no-micro", "--quiet", NULL}, 1, "run"},
    {{"report", "%D/nowhere", NULL}, 1, "report"},
    {{"report", "%D/truncated-run", NULL}, 1, "report"},
    {{"report", "%D/truncated-run", "--requirements", "%D/bad-requirements.json", NULL}, 1, "report"},
    {{"report", "%D/truncated-run", "--max-servers", "0", NULL}, 2, "report"},
    {{"report", "%D/truncated-run", "--quiet=yes", NULL}, 2, "report"},
    {{"merge", "--out", "%D/out-merge", "%D/nowhere", "%D/nowhere2", NULL}, 2, "merge"},
    {{"merge", "--out", "%D/out-merge2", "%D/truncated-run", "%D/truncated-run", NULL}, 1, "merge"},
    {{"revocation", "--samples", "3", NULL}, 2, "revocation"},
    {{"revocation", "--targets", "127.0.0.1:%R", "--max-wait", "soon", NULL}, 2, "revocation"},
    {{"revocation", "--targets", "127.0.0.1:%R", "--samples", "1", NULL}, 1, "revocation"},
    {{"revocation", "--targets", "127.0.0.1:%P", "--samples", "1", NULL}, 1, "revocation"}, /* no HTTP answer */
};

static char *fixture_dir;
static int busy_fd = -1, busy_port, free_port;
static char *long_token;

/* Writes text into the fixture directory as name. */
static void put(const char *name, const char *text, size_t len)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
    assert_int_equal(tsupport_write_file(path, text, len), 0);
}

/* A listening socket on a free loopback port: the port in use. */
static void occupy_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    busy_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(busy_fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(busy_fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(busy_fd, 4), 0);
    assert_int_equal(getsockname(busy_fd, (struct sockaddr *)&a, &len), 0);
    busy_port = ntohs(a.sin_port);
}

/* Text of n bytes of ch between prefix and suffix (malloc'd). */
static char *filled(const char *prefix, char ch, size_t n, const char *suffix)
{
    size_t p = strlen(prefix), s = strlen(suffix);
    char *t = malloc(p + n + s + 1);
    assert_non_null(t);
    memcpy(t, prefix, p);
    memset(t + p, ch, n);
    memcpy(t + p + n, suffix, s + 1);
    return t;
}

/* The malformed files the cases read, each written whole. */
static void write_files(void)
{
    char path[600];
    static const char tiny[] = "{\"store_capacity\":false,\"micro\":false,\"groups\":[{\"mechanisms\":[\"none\"],"
                               "\"duration\":\"1s\",\"warmup\":\"0.1s\",\"repetitions\":1,\"users\":10}]}";
    static const char redis[] = "{\"store_capacity\":false,\"micro\":false,\"groups\":[{\"mechanisms\":"
                                "[\"session:redis\"],\"duration\":\"1s\",\"repetitions\":1,\"users\":10}]}";
    char *big = filled("{\"groups\":[{\"mechanisms\":[\"none\"]}],\"description\":\"", 'x', 20u << 20, "\"}");
    put("huge-scenario.json", big, strlen(big));
    free(big);
    big = filled("{\"a\":\"", 'x', 2u << 20, "\"}");
    put("huge.claims", big, strlen(big));
    put("huge.key", big, strlen(big));
    free(big);
    long_token = filled("eyJhbGciOiJIUzI1NiJ9.", 'A', 100000, ".sig");
    put("bad.pem", "-----BEGIN PUBLIC KEY-----\nnotbase64!!\n-----END PUBLIC KEY-----\n", 62);
    put("bad.jwk", "{\"kty\":\"RSA\",\"n\":\"!!\",\"e\":\"AQAB\"}", 33);
    put("hs.key", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64);
    put("empty.key", "", 0);
    put("afile", "not a directory", 15);
    put("bad-scenario.json", "{\"groups\":[{\"mechanisms\":[\"none\"],}", 35);
    put("typo-scenario.json", "{\"groups\":[{\"mechanisms\":[\"none\"],\"typo\":1}]}", 46);
    put("tiny-scenario.json", tiny, strlen(tiny));
    put("redis-scenario.json", redis, strlen(redis));
    put("open.uri", "memory://\n", 10);
    put("secret.uri", "session:redis://admin:s3cretpw@127.0.0.1:1\n", 43);
    snprintf(path, sizeof path, "%s/secret.uri", fixture_dir);
    assert_int_equal(chmod(path, 0600), 0);
    snprintf(path, sizeof path, "%s/open.uri", fixture_dir);
    assert_int_equal(chmod(path, 0644), 0);
    put("bad-requirements.json", "{\"servers\": \"four\"}", 19);
    put("truncated-run/results.json", "{\"schema\":\"authbench.results/1\",\"cells\":[", 41);
}

static int group_setup(void **state)
{
    char path[600];
    (void)state;
    if ((fixture_dir = tsupport_tmpdir("bad-input")) == NULL)
        return -1;
    snprintf(path, sizeof path, "%s/truncated-run", fixture_dir);
    if (mkdir(path, 0755) != 0)
        return -1;
    occupy_port();
    free_port = tsupport_free_port();
    write_files();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    close(busy_fd);
    tsupport_rmtree(fixture_dir);
    free(fixture_dir);
    free(long_token);
    return 0;
}

/* arg with %D, %P, %R and %T replaced, into out. */
static void expand(const char *arg, char *out, size_t len)
{
    size_t o = 0;
    for (; *arg != '\0' && o + 1 < len; arg++) {
        char rep[600] = "";
        if (arg[0] == '%' && arg[1] == 'D')
            snprintf(rep, sizeof rep, "%s", fixture_dir);
        else if (arg[0] == '%' && (arg[1] == 'P' || arg[1] == 'R'))
            snprintf(rep, sizeof rep, "%d", arg[1] == 'P' ? busy_port : free_port);
        if (rep[0] != '\0') {
            o += (size_t)snprintf(out + o, len - o, "%s", rep);
            arg++;
        } else {
            out[o++] = *arg;
        }
    }
    out[o < len ? o : len - 1] = '\0';
}

/* Fails when an output directory of the fixture holds a temporary file or a JSON file that does
 * not parse: what a crash or a non-atomic write leaves behind. */
static void assert_no_half_written_file(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[4400], *text;
        size_t n = strlen(e->d_name);
        cJSON *j;
        if (e->d_name[0] == '.' && (n == 1 || (n == 2 && e->d_name[1] == '.')))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (strstr(e->d_name, ".tmp") != NULL || e->d_name[0] == '.')
            fail_msg("half-written file left behind: %s", path);
        if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        text = tsupport_read_file(path, NULL);
        j = text != NULL ? cJSON_Parse(text) : NULL;
        if (j == NULL)
            fail_msg("%s is not whole JSON", path);
        cJSON_Delete(j);
        free(text);
    }
    if (d != NULL)
        closedir(d);
}

/* Runs one case and checks status, the single stderr line, secrets and output directories. */
static void run_case(const bad_case *c)
{
    static char args[MAX_ARGS][4096];
    char *argv[MAX_ARGS + 2] = {(char *)tload_bin()}, *err = NULL, prefix[64], shown[4096] = "";
    int i, n = 1, rc;
    for (i = 0; c->args[i] != NULL; i++) {
        if (strcmp(c->args[i], "%T") == 0) {
            argv[n++] = long_token;
            continue;
        }
        expand(c->args[i], args[i], sizeof args[i]);
        if (args[i][0] != '\0')
            argv[n++] = args[i];
        if (strncmp(c->args[i], "%D/out", 6) == 0)
            snprintf(shown, sizeof shown, "%s", args[i]);
        if (i > 0 && strcmp(c->args[i - 1], "--out") == 0 && strstr(c->args[i], "afile") == NULL)
            snprintf(shown, sizeof shown, "%s", args[i]);
    }
    argv[n] = NULL;
    rc = tload_run(argv, 60000, NULL, &err);
    snprintf(prefix, sizeof prefix, "authbench: %s%s", c->cmd ? c->cmd : "", c->cmd ? ": " : "");
    if (rc != c->status || tload_lines(err) != 1 || strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("`authbench %s %s …`: exit %d (want %d), stderr:\n%s", c->args[0], c->args[1] ? c->args[1] : "",
                 rc, c->status, err ? err : "(none)");
    if (strstr(err, "s3cretpw") != NULL)
        fail_msg("a password reached stderr: %s", err);
    if (shown[0] != '\0')
        assert_no_half_written_file(shown);
    free(err);
}

static void every_bad_input_should_fail_cleanly_with_one_line(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

static void the_catalogue_should_cover_every_command(void **state)
{
    static const char *const commands[] = {"jwt", "store-bench", "serve", "proxy", "load", "run", "report", "merge",
                                           "revocation"};
    size_t i, k;
    (void)state;
    assert_true(sizeof cases / sizeof cases[0] >= 20);
    for (k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        for (i = 0; i < sizeof cases / sizeof cases[0] && strcmp(cases[i].args[0], commands[k]) != 0; i++)
            ;
        if (i == sizeof cases / sizeof cases[0])
            fail_msg("no bad input case for %s", commands[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_catalogue_should_cover_every_command),
        cmocka_unit_test(every_bad_input_should_fail_cleanly_with_one_line),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* test_jwt_cli.c — `authbench jwt` as a user runs it ($AUTHBENCH_BIN): exit codes 0/1/2, output, and
 * exactly one "authbench: jwt…: <reason>" line on standard error for every failure. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ajwt.h"
#include "tsupport.h"

typedef struct result {
    int status; /* exit code, or -1 when killed by a signal */
    char out[16384], err[4096];
} result;

static char *tmp;

/* Appends what fd has to buf; returns 0 at EOF. */
static int drain(int fd, char *buf, size_t cap)
{
    size_t len = strlen(buf);
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n > 0)
        buf[len + (size_t)n] = '\0';
    return n > 0 || (n < 0 && errno == EINTR);
}

/* Runs `authbench jwt <args…>` with stdin_data on standard input (NULL: empty). */
static void run(result *r, const char *stdin_data, const char *const *args)
{
    const char *bin = getenv("AUTHBENCH_BIN");
    char *argv[32];
    int in[2], out[2], err[2], status, i = 0, open_fds = 2;
    pid_t pid;
    assert_non_null(bin);
    argv[i++] = (char *)bin;
    argv[i++] = (char *)"jwt";
    for (; *args && i < 31; args++)
        argv[i++] = (char *)*args;
    argv[i] = NULL;
    assert_int_equal(pipe(in) | pipe(out) | pipe(err), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(in[1]);
        close(out[0]);
        close(err[0]);
        execv(bin, argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (stdin_data != NULL && write(in[1], stdin_data, strlen(stdin_data)) < 0)
        fail_msg("write to child: %s", strerror(errno));
    close(in[1]);
    r->out[0] = r->err[0] = '\0';
    while (open_fds > 0) {
        struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
        int k;
        if (poll(p, 2, 30000) <= 0)
            fail_msg("child output timed out");
        for (k = 0; k < 2; k++)
            if (p[k].fd >= 0 && (p[k].revents & (POLLIN | POLLHUP)) &&
                !drain(p[k].fd, k ? r->err : r->out, k ? sizeof r->err : sizeof r->out)) {
                close(p[k].fd);
                if (k)
                    err[0] = -1;
                else
                    out[0] = -1;
                open_fds--;
            }
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Exit code, nothing on stdout, and exactly one line on stderr with prefix and needle. */
static void expect_fail(const result *r, int code, const char *prefix, const char *needle)
{
    size_t n = strlen(r->err);
    if (r->status != code)
        fail_msg("exit %d, want %d; stderr: %s", r->status, code, r->err);
    assert_string_equal(r->out, "");
    if (n == 0 || r->err[n - 1] != '\n' || strchr(r->err, '\n') != r->err + n - 1)
        fail_msg("stderr is not one line: '%s'", r->err);
    if (strncmp(r->err, prefix, strlen(prefix)) != 0)
        fail_msg("stderr '%s' lacks prefix '%s'", r->err, prefix);
    if (needle != NULL && strstr(r->err, needle) == NULL)
        fail_msg("stderr '%s' lacks '%s'", r->err, needle);
}

static void expect_ok(const result *r)
{
    if (r->status != 0)
        fail_msg("exit %d; stderr: %s", r->status, r->err);
}

static char *path(const char *name)
{
    static char buf[8][1024];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 1024, "%s/%s", tmp, name);
    return p;
}

/* keygen --alg alg --out <tmp>/name */
static void keygen(const char *alg, const char *name)
{
    result r;
    const char *args[] = {"keygen", "--alg", alg, "--out", path(name), "--force", NULL};
    run(&r, NULL, args);
    expect_ok(&r);
}

/* sign with the key file; the token (newline stripped) into tok. */
static void sign(const char *alg, const char *key, const char *claims, char *tok, size_t cap)
{
    result r;
    const char *args[] = {"sign", "--alg", alg, "--key", key, "--claims", claims, NULL};
    run(&r, NULL, args);
    expect_ok(&r);
    assert_true(strlen(r.out) > 1 && strlen(r.out) < cap);
    strcpy(tok, r.out);
    tok[strcspn(tok, "\n")] = '\0';
}

static void help_and_bad_subcommands_should_use_exit_codes_0_and_2(void **state)
{
    static const char *const subs[] = {"keygen", "sign", "verify"};
    const char *none[] = {NULL}, *help[] = {"--help", NULL}, *bogus[] = {"bogus", NULL};
    result r;
    size_t i;
    (void)state;
    run(&r, NULL, none);
    assert_int_equal(r.status, 2);
    run(&r, NULL, help);
    expect_ok(&r);
    assert_non_null(strstr(r.out, "keygen"));
    run(&r, NULL, bogus);
    expect_fail(&r, 2, "authbench: jwt: unknown subcommand 'bogus'", NULL);
    for (i = 0; i < 3; i++) {
        const char *args[] = {subs[i], "--help", NULL};
        run(&r, NULL, args);
        expect_ok(&r);
        assert_non_null(strstr(r.out, "usage: authbench jwt"));
        assert_non_null(strstr(r.out, subs[i]));
    }
}

static void keygen_should_write_private_keys_mode_0600_and_keep_existing_files(void **state)
{
    static const char *const algs[] = {"HS384", "ES256", "EdDSA", "RS256"};
    struct stat st;
    size_t i;
    (void)state;
    for (i = 0; i < 4; i++) {
        char name[32], file[1100];
        result r;
        const char *args[] = {"keygen", "--alg", algs[i], "--out", NULL, NULL};
        snprintf(name, sizeof name, "kg-%s", algs[i]);
        args[4] = path(name);
        run(&r, NULL, args);
        expect_ok(&r);
        assert_non_null(strstr(r.out, ".key\n"));
        snprintf(file, sizeof file, "%s.key", args[4]);
        assert_int_equal(stat(file, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        snprintf(file, sizeof file, "%s.pub", args[4]);
        assert_int_equal(access(file, F_OK) == 0, i != 0);
        run(&r, NULL, args);
        expect_fail(&r, 1, "authbench: jwt keygen: ", "exists");
    }
}

static void sign_and_verify_should_round_trip_for_every_key_kind(void **state)
{
    static const char *const algs[] = {"HS256", "HS512", "PS384", "ES384", "ES512", "EdDSA", "Ed25519"};
    const char *claims = "{\"sub\":\"cli\",\"n\":[1,2]}";
    size_t i;
    (void)state;
    for (i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        char name[32], key[1100], pub[1100], tok[4096];
        result r;
        const char *args[] = {"verify", "--key", pub, tok, NULL};
        snprintf(name, sizeof name, "rt-%s", algs[i]);
        keygen(algs[i], name);
        snprintf(key, sizeof key, "%s.key", path(name));
        snprintf(pub, sizeof pub, "%s.%s", path(name), i < 2 ? "key" : "pub");
        sign(algs[i], key, claims, tok, sizeof tok);
        run(&r, NULL, args);
        expect_ok(&r);
        assert_string_equal(r.out, "{\"sub\":\"cli\",\"n\":[1,2]}\n");
        assert_string_equal(r.err, "");
    }
}

static void verify_should_read_the_token_from_standard_input(void **state)
{
    char tok[4096], line[4200];
    result r;
    const char *dash[] = {"verify", "--key", path("in.key"), "-", NULL};
    const char *none[] = {"verify", "--key", path("in.key"), NULL};
    (void)state;
    keygen("HS256", "in");
    sign("HS256", path("in.key"), "{\"a\":1}", tok, sizeof tok);
    snprintf(line, sizeof line, "  %s\r\n", tok);
    run(&r, line, dash);
    expect_ok(&r);
    assert_string_equal(r.out, "{\"a\":1}\n");
    run(&r, tok, none);
    expect_ok(&r);
    run(&r, "", none);
    expect_fail(&r, 1, "authbench: jwt verify: ", "compact JWS");
}

static void verify_failures_should_print_one_line_and_exit_1(void **state)
{
    char tok[4096], bad[4096], claims[256];
    result r;
    (void)state;
    keygen("ES256", "vf");
    keygen("ES256", "other");
    snprintf(claims, sizeof claims, "{\"iss\":\"me\",\"aud\":[\"api\"],\"nbf\":1795946000,\"exp\":1795946400}");
    sign("ES256", path("vf.key"), claims, tok, sizeof tok);
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "--now", "1795946100", tok, NULL};
        run(&r, NULL, a);
        expect_ok(&r);
    }
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "--now", "1795946700", "--leeway", "30", tok, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: ", NULL);
        assert_string_equal(r.err, "authbench: jwt verify: token expired at 2026-11-29T10:00:00Z, now "
                                   "2026-11-29T10:05:00Z, leeway 30 s\n");
    }
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "--now", "1795945000", tok, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: token not valid before", NULL);
    }
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "--now", "1795946100", "--iss", "you", tok, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: issuer 'me' is not the expected 'you'", NULL);
    }
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "--now", "1795946100", "--aud", "web", tok, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: audience list", NULL);
    }
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "--now", "1795946100", "--require", "iss,sub", tok, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: required claim 'sub' is missing", NULL);
    }
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "--alg", "RS256,HS256", tok, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: alg ES256 is not allowed", NULL);
    }
    {
        const char *a[] = {"verify", "--key", path("other.pub"), "--now", "1795946100", tok, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: ES256 signature does not verify", NULL);
    }
    strcpy(bad, tok);
    bad[strlen(bad) - 10] = bad[strlen(bad) - 10] == 'A' ? 'B' : 'A';
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "--now", "1795946100", bad, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: ", "signature");
    }
    {
        const char *a[] = {"verify", "--key", path("missing.pem"), tok, NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: cannot open key file", NULL);
    }
    {
        const char *a[] = {"verify", "--key", path("vf.pub"), "\x01\xff..\"\n", NULL};
        run(&r, NULL, a);
        expect_fail(&r, 1, "authbench: jwt verify: ", NULL);
    }
}

static void bad_usage_should_exit_2_with_one_line(void **state)
{
    static const char *const cases[][10] = {
        {"verify", "--bogus", NULL},
        {"verify", "tok", NULL},
        {"verify", "--key", NULL},
        {"verify", "--key", "k", "--alg", "HS999", "t", NULL},
        {"verify", "--key", "k", "--alg", "HS256,,RS256", "t", NULL},
        {"verify", "--key", "k", "--now", "soon", "t", NULL},
        {"verify", "--key", "k", "--leeway", "-1", "t", NULL},
        {"verify", "--key", "k", "--require", ",", "t", NULL},
        {"verify", "--key", "k", "t1", "t2", NULL},
        {"sign", "--alg", "HS256", NULL},
        {"sign", "--alg", "nonesuch", "--key", "k", NULL},
        {"sign", "--alg", "HS256", "--key", "k", "--ttl", "0", NULL},
        {"sign", "--alg", "HS256", "--key", "k", "--claims", "{}", "--claims-file", "f", NULL},
        {"keygen", "--alg", "HS256", NULL},
        {"keygen", "--alg", "none", "--out", "x", NULL},
        {"keygen", "--out", "x", "extra", "--alg", "HS256", NULL},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r;
        char prefix[64];
        run(&r, NULL, cases[i]);
        snprintf(prefix, sizeof prefix, "authbench: jwt %s: ", cases[i][0]);
        expect_fail(&r, 2, prefix, "--help");
    }
}

static void sign_should_check_claims_and_add_ttl_without_rewriting_them(void **state)
{
    char tok[4096];
    result r;
    const char *notobj[] = {"sign", "--alg", "HS256", "--key", path("ttl.key"), "--claims", "[1]", NULL};
    const char *dup[] = {"sign", "--alg", "HS256", "--key", path("ttl.key"), "--claims", "{\"a\":1,\"a\":2}", NULL};
    const char *clash[] = {"sign", "--alg", "HS256", "--key", path("ttl.key"), "--claims", "{\"exp\":1}", "--ttl", "60", NULL};
    const char *ttl[] = {"sign", "--alg", "HS256", "--key", path("ttl.key"), "--claims", " {\"big\":12345678901234567890}",
                         "--ttl", "60", NULL};
    const char *empty[] = {"sign", "--alg", "HS256", "--key", path("ttl.key"), "--ttl", "5", NULL};
    const char *verify[] = {"verify", "--key", path("ttl.key"), tok, NULL};
    long long iat, exp;
    (void)state;
    keygen("HS256", "ttl");
    run(&r, NULL, notobj);
    expect_fail(&r, 2, "authbench: jwt sign: claims must be one JSON object", NULL);
    run(&r, NULL, dup);
    expect_fail(&r, 2, "authbench: jwt sign: ", "duplicate member name");
    run(&r, NULL, clash);
    expect_fail(&r, 2, "authbench: jwt sign: --ttl sets iat and exp", NULL);
    run(&r, NULL, ttl);
    expect_ok(&r);
    snprintf(tok, sizeof tok, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run(&r, NULL, verify);
    expect_ok(&r);
    assert_int_equal(sscanf(r.out, " {\"iat\":%lld,\"exp\":%lld,", &iat, &exp), 2);
    assert_int_equal(exp - iat, 60);
    assert_non_null(strstr(r.out, ",\"big\":12345678901234567890}")); /* not re-serialized */
    run(&r, NULL, empty);
    expect_ok(&r);
    snprintf(tok, sizeof tok, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run(&r, NULL, verify);
    expect_ok(&r);
    assert_int_equal(sscanf(r.out, "{\"iat\":%lld,\"exp\":%lld}", &iat, &exp), 2);
    assert_int_equal(exp - iat, 5);
}

static void kid_should_name_pem_keys_and_select_jwks_keys(void **state)
{
    const char *jwks = "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"k\":\"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE\"},"
                       "{\"kty\":\"oct\",\"kid\":\"b\",\"k\":\"YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI\"}]}";
    char tok[4096];
    result r;
    const char *sign_b[] = {"sign", "--alg", "HS256", "--key", path("set.jwks"), "--kid", "b", NULL};
    const char *sign_c[] = {"sign", "--alg", "HS256", "--key", path("set.jwks"), "--kid", "c", NULL};
    const char *verify[] = {"verify", "--key", path("set.jwks"), tok, NULL};
    (void)state;
    assert_int_equal(tsupport_write_file(path("set.jwks"), jwks, strlen(jwks)), 0);
    run(&r, NULL, sign_b);
    expect_ok(&r);
    snprintf(tok, sizeof tok, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run(&r, NULL, verify);
    expect_ok(&r);
    assert_string_equal(r.out, "{}\n");
    run(&r, NULL, sign_c);
    expect_fail(&r, 1, "authbench: jwt sign: no key with kid 'c'", NULL);
    /* a PEM named by --kid: the token carries it */
    keygen("ES256", "named");
    {
        const char *a[] = {"sign", "--alg", "ES256", "--key", path("named.key"), "--kid", "n1", NULL};
        char hdr[256];
        size_t n = 0;
        run(&r, NULL, a);
        expect_ok(&r);
        assert_int_equal(ajwt_b64url_decode(r.out, strcspn(r.out, "."), (unsigned char *)hdr, sizeof hdr - 1, &n), 0);
        hdr[n] = '\0';
        assert_string_equal(hdr, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"n1\"}");
    }
}

static int setup(void **state)
{
    (void)state;
    tmp = tsupport_tmpdir("jwtcli");
    return tmp ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tsupport_rmtree(tmp);
    free(tmp);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_and_bad_subcommands_should_use_exit_codes_0_and_2),
        cmocka_unit_test(keygen_should_write_private_keys_mode_0600_and_keep_existing_files),
        cmocka_unit_test(sign_and_verify_should_round_trip_for_every_key_kind),
        cmocka_unit_test(verify_should_read_the_token_from_standard_input),
        cmocka_unit_test(verify_failures_should_print_one_line_and_exit_1),
        cmocka_unit_test(bad_usage_should_exit_2_with_one_line),
        cmocka_unit_test(sign_should_check_claims_and_add_ttl_without_rewriting_them),
        cmocka_unit_test(kid_should_name_pem_keys_and_select_jwks_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

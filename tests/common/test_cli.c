/* test_cli.c — number, duration and size parsing, atomic writes and mkdirs of bench/common. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ab_cli.h"
#include "tsupport.h"

static void u64_should_parse_strictly(void **state)
{
    uint64_t v;
    (void)state;
    assert_int_equal(ab_parse_u64("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(ab_parse_u64("101", 0, 100, &v), -1);
    assert_int_equal(ab_parse_u64("-1", 0, 100, &v), -1);
    assert_int_equal(ab_parse_u64("4x", 0, 100, &v), -1);
    assert_int_equal(ab_parse_u64("", 0, 100, &v), -1);
    assert_int_equal(ab_parse_u64(" 4", 0, 100, &v), -1);
    assert_int_equal(ab_parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -1);
}

static void i64_and_double_should_parse_strictly(void **state)
{
    int64_t i;
    double d;
    (void)state;
    assert_int_equal(ab_parse_i64("-5", -10, 10, &i), 0);
    assert_int_equal(i, -5);
    assert_int_equal(ab_parse_i64("11", -10, 10, &i), -1);
    assert_int_equal(ab_parse_double("0.99", 0, 1, &d), 0);
    assert_int_equal(ab_parse_double("nan", 0, 1, &d), -1);
    assert_int_equal(ab_parse_double("1e400", 0, 1e308, &d), -1);
    assert_int_equal(ab_parse_double("0.5x", 0, 1, &d), -1);
}

static void durations_should_take_units(void **state)
{
    uint64_t us;
    (void)state;
    assert_int_equal(ab_parse_duration_us("250us", &us), 0); assert_int_equal(us, 250);
    assert_int_equal(ab_parse_duration_us("1.5ms", &us), 0); assert_int_equal(us, 1500);
    assert_int_equal(ab_parse_duration_us("2s", &us), 0); assert_int_equal(us, 2000000);
    assert_int_equal(ab_parse_duration_us("3", &us), 0); assert_int_equal(us, 3000000);
    assert_int_equal(ab_parse_duration_us("2m", &us), 0); assert_int_equal(us, 120000000);
    assert_int_equal(ab_parse_duration_us("1h", &us), 0); assert_int_equal(us, 3600000000ull);
    assert_int_equal(ab_parse_duration_us("-1s", &us), -1);
    assert_int_equal(ab_parse_duration_us("5 parsecs", &us), -1);
    assert_int_equal(ab_parse_duration_us("ms", &us), -1);
    assert_int_equal(ab_parse_duration_us("1e30h", &us), -1);
}

static void sizes_should_take_binary_units(void **state)
{
    uint64_t b;
    (void)state;
    assert_int_equal(ab_parse_size("512", &b), 0); assert_int_equal(b, 512);
    assert_int_equal(ab_parse_size("4k", &b), 0); assert_int_equal(b, 4096);
    assert_int_equal(ab_parse_size("16MiB", &b), 0); assert_int_equal(b, 16u << 20);
    assert_int_equal(ab_parse_size("1.5", &b), -1);
    assert_int_equal(ab_parse_size("3q", &b), -1);
}

static void atomic_write_should_replace_whole_file(void **state)
{
    char *dir = tsupport_tmpdir("cli"), path[512], *got, sub[512];
    size_t len;
    (void)state;
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/out.json", dir);
    assert_int_equal(ab_write_file_atomic(path, "first", 5), 0);
    assert_int_equal(ab_write_file_atomic(path, "second!", 7), 0);
    got = ab_read_file(path, 1 << 20, &len);
    assert_non_null(got);
    assert_int_equal(len, 7);
    assert_string_equal(got, "second!");
    free(got);
    assert_null(ab_read_file(path, 3, &len)); /* over the cap */
    snprintf(sub, sizeof sub, "%s/no/such/dir/x", dir);
    assert_int_equal(ab_write_file_atomic(sub, "x", 1), -1);
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    assert_int_equal(ab_mkdirs(sub, 0755), 0);
    assert_int_equal(ab_mkdirs(sub, 0755), 0);
    assert_int_equal(access(sub, W_OK), 0);
    tsupport_rmtree(dir);
    free(dir);
}

static void utc_should_format_iso8601(void **state)
{
    char buf[32];
    (void)state;
    assert_string_equal(ab_fmt_utc(1300819380, buf, sizeof buf), "2011-03-22T18:43:00Z");
}

static void uri_passwords_should_be_masked_wherever_they_appear(void **state)
{
    char out[256], small[12];
    (void)state;
    assert_string_equal(ab_mask_secrets("session:redis://u:s3cr@t@h:1/0?timeout_ms=5", out, sizeof out),
                        "session:redis://u:***@h:1/0?timeout_ms=5");
    assert_string_equal(ab_mask_secrets("jwt+denylist:HS256,redis://hunter2@127.0.0.1:6379", out, sizeof out),
                        "jwt+denylist:HS256,redis://***@127.0.0.1:6379");
    assert_string_equal(ab_mask_secrets("redis-cluster://:pw@a:1,b:2 then redis://x:y@c:3", out, sizeof out),
                        "redis-cluster://:***@a:1,b:2 then redis://x:***@c:3");
    assert_string_equal(ab_mask_secrets("file:///tmp/s?fsync=always memory:// none", out, sizeof out),
                        "file:///tmp/s?fsync=always memory:// none");
    assert_string_equal(ab_mask_secrets("redis://h:1/x@y", out, sizeof out), "redis://h:1/x@y"); /* '@' in the path */
    assert_string_equal(ab_mask_secrets("redis://user:longpassword@h", small, sizeof small), "redis://use");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(u64_should_parse_strictly),
        cmocka_unit_test(i64_and_double_should_parse_strictly),
        cmocka_unit_test(durations_should_take_units),
        cmocka_unit_test(sizes_should_take_binary_units),
        cmocka_unit_test(atomic_write_should_replace_whole_file),
        cmocka_unit_test(utc_should_format_iso8601),
        cmocka_unit_test(uri_passwords_should_be_masked_wherever_they_appear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

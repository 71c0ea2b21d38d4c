/* test_buf.c — the growable buffer: appends keep the bytes and a NUL, growth doubles, the bound
 * is kept and a failure sticks until cleared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ab_buf.h"

static void appends_should_keep_every_byte_and_a_nul(void **state)
{
    ab_buf b;
    size_t i;
    (void)state;
    ab_buf_init(&b, 0);
    assert_null(b.data);
    assert_int_equal(ab_buf_append(&b, "", 0), 0);
    assert_string_equal(b.data, "");
    for (i = 0; i < 10000; i++)
        assert_int_equal(ab_buf_append(&b, "ab\0c", 4), 0);
    assert_int_equal(b.len, 40000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    for (i = 0; i < 10000; i++)
        assert_memory_equal(b.data + 4 * i, "ab\0c", 4);
    assert_int_equal(b.failed, 0);
    ab_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    ab_buf_free(NULL);
}

static void printf_and_puts_should_append_text(void **state)
{
    ab_buf b;
    char big[3000];
    (void)state;
    ab_buf_init(&b, 0);
    assert_int_equal(ab_buf_puts(&b, "{\"n\":"), 0);
    assert_int_equal(ab_buf_printf(&b, "%d,\"s\":\"%s\"}", 42, "x"), 0);
    assert_string_equal(b.data, "{\"n\":42,\"s\":\"x\"}");
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(ab_buf_printf(&b, "%s", big), 0); /* more than the first allocation */
    assert_int_equal(b.len, 16 + sizeof big - 1);
    assert_int_equal(strlen(b.data), b.len);
    ab_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    ab_buf_free(&b);
}

static void the_bound_should_hold_and_a_failure_should_stick(void **state)
{
    ab_buf b;
    (void)state;
    ab_buf_init(&b, 10);
    assert_int_equal(ab_buf_append(&b, "0123456789", 10), 0); /* exactly the bound */
    assert_true(b.cap <= 11);
    assert_int_equal(ab_buf_append(&b, "x", 1), -1);
    assert_int_equal(b.failed, 1);
    assert_string_equal(b.data, "0123456789"); /* kept as it was */
    assert_int_equal(ab_buf_append(&b, "", 0), -1); /* failed stays failed */
    assert_int_equal(ab_buf_printf(&b, "%s", ""), -1);
    ab_buf_clear(&b);
    assert_int_equal(b.failed, 0);
    assert_int_equal(ab_buf_printf(&b, "%s", "01234567890"), -1);
    assert_int_equal(b.len, 0);
    assert_int_equal(ab_buf_reserve(&b, SIZE_MAX), -1);
    ab_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_should_keep_every_byte_and_a_nul),
        cmocka_unit_test(printf_and_puts_should_append_text),
        cmocka_unit_test(the_bound_should_hold_and_a_failure_should_stick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

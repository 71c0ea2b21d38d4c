/* test_jwt_b64url.c — strict base64url: RFC 4648 vectors, round trips, and every way to be lax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ajwt.h"

static int decode(const char *in, unsigned char *out, size_t *n)
{
    return ajwt_b64url_decode(in, strlen(in), out, 64, n);
}

static void encode_should_match_rfc4648_vectors(void **state)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[32];
    size_t i, n = 99;
    (void)state;
    for (i = 0; i < 7; i++) {
        assert_int_equal(ajwt_b64url_encode((const unsigned char *)plain[i], strlen(plain[i]), out, sizeof out, &n),
                         AJWT_OK);
        assert_string_equal(out, enc[i]);
        assert_int_equal(n, strlen(enc[i]));
        assert_int_equal(AJWT_B64URL_ENCODED_LEN(strlen(plain[i])), strlen(enc[i]));
    }
}

static void decode_should_match_rfc4648_vectors(void **state)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    unsigned char out[64];
    size_t i, n = 99;
    (void)state;
    for (i = 0; i < 7; i++) {
        assert_int_equal(decode(enc[i], out, &n), AJWT_OK);
        assert_int_equal(n, strlen(plain[i]));
        assert_memory_equal(out, plain[i], n);
        assert_int_equal(AJWT_B64URL_DECODED_MAX(strlen(enc[i])), n);
    }
}

static void encode_should_use_the_url_alphabet(void **state)
{
    static const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
    char out[8];
    unsigned char back[8];
    size_t n = 0;
    (void)state;
    assert_int_equal(ajwt_b64url_encode(bytes, 3, out, sizeof out, NULL), AJWT_OK);
    assert_string_equal(out, "-_-_");
    assert_int_equal(decode("-_-_", back, &n), AJWT_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(back, bytes, 3);
}

static void decode_should_round_trip_every_length_up_to_300(void **state)
{
    unsigned char in[300], back[300];
    char enc[420];
    size_t len, i, n, el;
    (void)state;
    srand(7);
    for (len = 0; len <= sizeof in; len++) {
        for (i = 0; i < len; i++)
            in[i] = (unsigned char)rand();
        assert_int_equal(ajwt_b64url_encode(in, len, enc, sizeof enc, &el), AJWT_OK);
        assert_int_equal(el, AJWT_B64URL_ENCODED_LEN(len));
        assert_int_equal(ajwt_b64url_decode(enc, el, back, sizeof back, &n), AJWT_OK);
        assert_int_equal(n, len);
        assert_memory_equal(back, in, len);
    }
}

static void decode_should_reject_padding(void **state)
{
    unsigned char out[64];
    size_t n;
    (void)state;
    assert_int_equal(decode("Zg==", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zm8=", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zg=", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zm9v====", out, &n), AJWT_ERR_BASE64);
}

static void decode_should_reject_the_standard_alphabet_and_whitespace(void **state)
{
    unsigned char out[64];
    size_t n;
    (void)state;
    assert_int_equal(decode("+/+/", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zm9v Zm9v", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zm9v\nZm9v", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(ajwt_b64url_decode("Zm\0v", 4, out, 64, &n), AJWT_ERR_BASE64);
}

static void decode_should_reject_every_byte_outside_the_alphabet_at_every_position(void **state)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char out[16];
    char buf[8];
    size_t n;
    int c, pos, rejected = 0;
    (void)state;
    for (c = 0; c < 256; c++) {
        if (c != 0 && strchr(alphabet, c) != NULL)
            continue;
        for (pos = 0; pos < 8; pos++) {
            memcpy(buf, "QUJDREVG", 8); /* "ABCDEF" */
            buf[pos] = (char)c;
            assert_int_equal(ajwt_b64url_decode(buf, 8, out, sizeof out, &n), AJWT_ERR_BASE64);
            rejected++;
        }
    }
    assert_int_equal(rejected, (256 - 64) * 8);
}

static void decode_should_reject_a_length_of_4k_plus_1(void **state)
{
    unsigned char out[64];
    size_t n;
    (void)state;
    assert_int_equal(decode("Z", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zm9vY", out, &n), AJWT_ERR_BASE64);
}

static void decode_should_reject_non_canonical_trailing_bits(void **state)
{
    unsigned char out[64];
    size_t n;
    (void)state;
    /* "f" is Zg; Zh..Zv carry bits that do not fit in the byte */
    assert_int_equal(decode("Zg", out, &n), AJWT_OK);
    assert_int_equal(decode("Zh", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zv", out, &n), AJWT_ERR_BASE64);
    /* "fo" is Zm8; Zm9, Zm-, Zm_ carry extra bits */
    assert_int_equal(decode("Zm8", out, &n), AJWT_OK);
    assert_int_equal(decode("Zm9", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zm_", out, &n), AJWT_ERR_BASE64);
    assert_int_equal(decode("Zm9vZm9", out, &n), AJWT_ERR_BASE64);
}

static void decode_and_encode_should_refuse_a_small_buffer(void **state)
{
    unsigned char out[8];
    char enc[16];
    size_t n;
    (void)state;
    assert_int_equal(ajwt_b64url_decode("Zm9vYmFy", 8, out, 5, &n), AJWT_ERR_ARG);
    assert_int_equal(ajwt_b64url_decode("Zm9vYmFy", 8, out, 6, &n), AJWT_OK);
    assert_int_equal(ajwt_b64url_encode((const unsigned char *)"foobar", 6, enc, 8, &n), AJWT_ERR_ARG);
    assert_int_equal(ajwt_b64url_encode((const unsigned char *)"foobar", 6, enc, 9, &n), AJWT_OK);
    assert_int_equal(ajwt_b64url_encode(NULL, 3, enc, sizeof enc, &n), AJWT_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_should_match_rfc4648_vectors),
        cmocka_unit_test(decode_should_match_rfc4648_vectors),
        cmocka_unit_test(encode_should_use_the_url_alphabet),
        cmocka_unit_test(decode_should_round_trip_every_length_up_to_300),
        cmocka_unit_test(decode_should_reject_padding),
        cmocka_unit_test(decode_should_reject_the_standard_alphabet_and_whitespace),
        cmocka_unit_test(decode_should_reject_every_byte_outside_the_alphabet_at_every_position),
        cmocka_unit_test(decode_should_reject_a_length_of_4k_plus_1),
        cmocka_unit_test(decode_should_reject_non_canonical_trailing_bits),
        cmocka_unit_test(decode_and_encode_should_refuse_a_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_jwt_json.c — the strict JSON parser behind headers, claims and JWKs, through the public API
 * (ajwt_claims_check, ajwt_verify_claims and the claim accessors), checked against cJSON where both
 * must agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jwt_testutil.h"

static int check(const char *json)
{
    char why[256];
    return ajwt_claims_check(json, strlen(json), 0, why, sizeof why);
}

static void check_should_accept_valid_objects(void **state)
{
    static const char *const ok[] = {
        "{}", " \t\r\n{ } \n", "{\"a\":1}", "{\"a\":[1,2,{\"b\":null}],\"c\":{\"d\":true,\"e\":false}}",
        "{\"n\":-0,\"m\":0.5,\"o\":1e10,\"p\":-1.25E-3,\"q\":10}", "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
        "{\"u\":\"\\u00e9\\u20ac\\ud83d\\ude00\"}", "{\"raw\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
        "{\"\":\"empty name\"}", "{\"a\":[]}", "{\"a\":[[[]]]}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (check(ok[i]) != AJWT_OK)
            fail_msg("refused valid JSON %s", ok[i]);
}

static void check_should_reject_malformed_json(void **state)
{
    static const char *const bad[] = {
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,\"a\":1}", "{\"a\":1 \"b\":2}", "{a:1}",
        "{'a':1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":-}", "{\"a\":1e}",
        "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":[1,]}", "{\"a\":[1 2]}",
        "{\"a\":\"unterminated}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}",
        "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":1}/*c*/", "{/*c*/\"a\":1}", "{\"a\":\"tab\there\"}",
        "{\"a\":\"nl\nhere\"}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (check(bad[i]) != AJWT_ERR_PAYLOAD)
            fail_msg("accepted malformed JSON %s", bad[i]);
}

static void check_should_reject_non_objects(void **state)
{
    char why[128];
    (void)state;
    assert_int_equal(ajwt_claims_check("[1]", 3, 0, why, sizeof why), AJWT_ERR_PAYLOAD);
    assert_string_equal(why, "not a JSON object");
    assert_int_equal(check("\"s\""), AJWT_ERR_PAYLOAD);
    assert_int_equal(check("1"), AJWT_ERR_PAYLOAD);
    assert_int_equal(check("null"), AJWT_ERR_PAYLOAD);
}

static void check_should_reject_duplicate_names_at_any_level(void **state)
{
    char why[128];
    const char *dup = "{\"a\":1,\"b\":2,\"a\":3}";
    (void)state;
    assert_int_equal(ajwt_claims_check(dup, strlen(dup), 0, why, sizeof why), AJWT_ERR_PAYLOAD);
    assert_non_null(strstr(why, "duplicate member name \"a\""));
    assert_int_equal(check("{\"a\":1,\"\\u0061\":2}"), AJWT_ERR_PAYLOAD); /* same name once unescaped */
    assert_int_equal(check("{\"x\":{\"k\":1,\"k\":1}}"), AJWT_ERR_PAYLOAD);
    assert_int_equal(check("{\"x\":[{\"k\":1},{\"k\":1,\"k\":2}]}"), AJWT_ERR_PAYLOAD);
    assert_int_equal(check("{\"\":1,\"\":2}"), AJWT_ERR_PAYLOAD);
    assert_int_equal(check("{\"x\":[{\"k\":1},{\"k\":1}]}"), AJWT_OK); /* same name, different objects */
    assert_int_equal(check("{\"ab\":1,\"ba\":2,\"a\":3,\"b\":4,\"aab\":5,\"abb\":6}"), AJWT_OK);
}

/* An object with n members "m0".."m{n-1}", plus "m{dup}" again when dup >= 0. */
static char *big_object(int n, int dup)
{
    char *s = malloc((size_t)n * 16 + 64);
    size_t o = 0;
    int i;
    assert_non_null(s);
    s[o++] = '{';
    for (i = 0; i < n; i++)
        o += (size_t)sprintf(s + o, "%s\"m%d\":%d", i ? "," : "", i, i);
    if (dup >= 0)
        o += (size_t)sprintf(s + o, ",\"m%d\":0", dup);
    s[o++] = '}';
    s[o] = '\0';
    return s;
}

static void check_should_find_duplicates_in_large_objects(void **state)
{
    int sizes[] = {15, 16, 17, 40, 300}, i;
    (void)state;
    for (i = 0; i < 5; i++) {
        char *clean = big_object(sizes[i], -1), *first = big_object(sizes[i], 0), *last = big_object(sizes[i], sizes[i] - 1);
        assert_int_equal(check(clean), AJWT_OK);
        assert_int_equal(check(first), AJWT_ERR_PAYLOAD);
        assert_int_equal(check(last), AJWT_ERR_PAYLOAD);
        free(clean);
        free(first);
        free(last);
    }
}

/* {"a":{"a":…}} with depth levels of objects. */
static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 6 + 8);
    size_t o = 0;
    int i;
    assert_non_null(s);
    for (i = 0; i < depth; i++)
        o += (size_t)sprintf(s + o, i + 1 < depth ? "{\"a\":" : "{");
    for (i = 0; i < depth; i++)
        s[o++] = '}';
    s[o] = '\0';
    return s;
}

static void check_should_cap_the_nesting_depth(void **state)
{
    char *d16 = nested(16), *d17 = nested(17), *d1000 = nested(1000), why[128];
    (void)state;
    assert_int_equal(check(d16), AJWT_OK);
    assert_int_equal(ajwt_claims_check(d17, strlen(d17), 0, why, sizeof why), AJWT_ERR_PAYLOAD);
    assert_non_null(strstr(why, "nesting deeper than 16"));
    assert_int_equal(ajwt_claims_check(d16, strlen(d16), 4, why, sizeof why), AJWT_ERR_PAYLOAD);
    assert_int_equal(ajwt_claims_check(d1000, strlen(d1000), 0, why, sizeof why), AJWT_ERR_PAYLOAD);
    assert_int_equal(check("{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}"), AJWT_ERR_PAYLOAD); /* 17 with arrays */
    free(d16);
    free(d17);
    free(d1000);
}

static void check_should_reject_nul_bad_surrogates_and_bad_utf8(void **state)
{
    static const char *const bad[] = {
        "{\"a\":\"\\u0000\"}", "{\"a\\u0000b\":1}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\ud800x\"}", "{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xc3\"}",
        "{\"a\":\"\xe0\x80\x80\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xf8\x88\x80\x80\x80\"}", "{\"a\":\"\x80\"}", "{\"\xff\":1}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (check(bad[i]) != AJWT_ERR_PAYLOAD)
            fail_msg("accepted bad string #%zu", i);
    assert_int_equal(ajwt_claims_check("{\"a\":1}\0", 8, 0, NULL, 0), AJWT_ERR_PAYLOAD);
    assert_int_equal(ajwt_claims_check("{\"a\":\"x\0y\"}", 11, 0, NULL, 0), AJWT_ERR_PAYLOAD);
}

/* A vctx whose verifier checks nothing beyond the JSON (empty keyset, no claim rules). */
typedef tu_vfix fixture;

static void strings_should_unescape_like_cjson(void **state)
{
    fixture *f = *state;
    const char *doc = "{\"s\":\"a\\u00e9\\n\\ud83d\\ude00 \\\"q\\\" \\/ \xe2\x82\xac\",\"t\":\"plain\",\"e\":\"\"}";
    cJSON *ref = cJSON_Parse(doc);
    const char *names[] = {"s", "t", "e"};
    int i;
    assert_non_null(ref);
    assert_int_equal(ajwt_verify_claims(f->c, doc, strlen(doc)), AJWT_OK);
    for (i = 0; i < 3; i++)
        assert_string_equal(ajwt_vctx_claim_str(f->c, names[i]),
                            cJSON_GetObjectItemCaseSensitive(ref, names[i])->valuestring);
    assert_null(ajwt_vctx_claim_str(f->c, "missing"));
    cJSON_Delete(ref);
}

static void every_valid_document_should_also_parse_with_cjson(void **state)
{
    static const char *const docs[] = {
        "{\"sub\":\"user-1\",\"roles\":[\"a\",\"b\"],\"n\":{\"x\":[1,2.5,-3e2,true,false,null]}}",
        "{\"k\":\"\\u00e9\\ud83d\\ude00\",\"empty\":{},\"arr\":[]}", " {\"ws\" : [ 1 , { } ] } ",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        cJSON *ref = cJSON_ParseWithLength(docs[i], strlen(docs[i]));
        assert_int_equal(check(docs[i]), AJWT_OK);
        assert_non_null(ref);
        cJSON_Delete(ref);
    }
}

static void integers_should_be_read_exactly(void **state)
{
    fixture *f = *state;
    const char *doc = "{\"a\":1e3,\"b\":10.0,\"c\":1.5,\"d\":9007199254740992,\"e\":9007199254740993,"
                      "\"f\":-5,\"g\":\"7\",\"h\":0.0001e4,\"i\":1e300,\"j\":-0,\"k\":12345678901234567890}";
    int64_t v = 0;
    (void)state;
    assert_int_equal(ajwt_verify_claims(f->c, doc, strlen(doc)), AJWT_OK);
    assert_true(ajwt_vctx_claim_int(f->c, "a", &v));
    assert_int_equal(v, 1000);
    assert_true(ajwt_vctx_claim_int(f->c, "b", &v));
    assert_int_equal(v, 10);
    assert_false(ajwt_vctx_claim_int(f->c, "c", &v));
    assert_true(ajwt_vctx_claim_int(f->c, "d", &v));
    assert_int_equal(v, 9007199254740992LL);
    assert_false(ajwt_vctx_claim_int(f->c, "e", &v));
    assert_true(ajwt_vctx_claim_int(f->c, "f", &v));
    assert_int_equal(v, -5);
    assert_false(ajwt_vctx_claim_int(f->c, "g", &v));
    assert_true(ajwt_vctx_claim_int(f->c, "h", &v));
    assert_int_equal(v, 1);
    assert_false(ajwt_vctx_claim_int(f->c, "i", &v));
    assert_true(ajwt_vctx_claim_int(f->c, "j", &v));
    assert_int_equal(v, 0);
    assert_false(ajwt_vctx_claim_int(f->c, "k", &v));
    assert_false(ajwt_vctx_claim_int(f->c, "missing", &v));
}

static void accessors_should_return_nothing_after_a_failure(void **state)
{
    fixture *f = *state;
    const char *good = "{\"sub\":\"x\"}", *dup = "{\"sub\":\"x\",\"sub\":\"y\"}";
    (void)state;
    assert_int_equal(ajwt_verify_claims(f->c, good, strlen(good)), AJWT_OK);
    assert_string_equal(ajwt_vctx_claim_str(f->c, "sub"), "x");
    assert_int_equal(ajwt_verify_claims(f->c, dup, strlen(dup)), AJWT_ERR_PAYLOAD);
    assert_null(ajwt_vctx_claim_str(f->c, "sub"));
    assert_non_null(strstr(ajwt_vctx_errstr(f->c), "duplicate member name \"sub\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_should_accept_valid_objects),
        cmocka_unit_test(check_should_reject_malformed_json),
        cmocka_unit_test(check_should_reject_non_objects),
        cmocka_unit_test(check_should_reject_duplicate_names_at_any_level),
        cmocka_unit_test(check_should_find_duplicates_in_large_objects),
        cmocka_unit_test(check_should_cap_the_nesting_depth),
        cmocka_unit_test(check_should_reject_nul_bad_surrogates_and_bad_utf8),
        cmocka_unit_test_setup_teardown(strings_should_unescape_like_cjson, tu_vfix_setup, tu_vfix_teardown),
        cmocka_unit_test(every_valid_document_should_also_parse_with_cjson),
        cmocka_unit_test_setup_teardown(integers_should_be_read_exactly, tu_vfix_setup, tu_vfix_teardown),
        cmocka_unit_test_setup_teardown(accessors_should_return_nothing_after_a_failure, tu_vfix_setup, tu_vfix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

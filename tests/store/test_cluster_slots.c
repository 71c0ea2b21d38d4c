/* test_cluster_slots.c — Redis Cluster routing primitives (session_store's private cluster_slots.h):
 * the CRC16/XMODEM check value, hash tags and their edge cases, CLUSTER SLOTS replies (as RESP, read
 * by hiredis) and MOVED/ASK messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "cluster_slots.h"

/* The slot of a NUL-terminated key. */
static unsigned slot_of(const char *key)
{
    return sstore_cluster_keyslot(key, strlen(key));
}

static void crc16_of_the_check_string_is_0x31c3(void **state)
{
    (void)state;
    assert_int_equal(sstore_crc16("123456789", 9), 0x31C3);
    assert_int_equal(sstore_crc16("", 0), 0);
    assert_int_equal(slot_of("123456789"), 0x31C3 % 16384);
}

static void keys_sharing_a_hash_tag_share_a_slot(void **state)
{
    (void)state;
    assert_int_equal(slot_of("{user1}.a"), slot_of("{user1}.b"));
    assert_int_equal(slot_of("{user1}.a"), slot_of("user1"));
    assert_int_equal(slot_of("x{user1}y{other}"), slot_of("user1")); /* the first tag only */
    assert_int_equal(slot_of("{{x}}"), slot_of("{x"));               /* up to the first '}' */
    assert_int_not_equal(slot_of("{user1}.a"), slot_of("{user2}.a"));
}

static void an_empty_or_unclosed_tag_hashes_the_whole_key(void **state)
{
    (void)state;
    assert_int_equal(slot_of("{}.a"), sstore_crc16("{}.a", 4) % 16384);
    assert_int_equal(slot_of("{}"), sstore_crc16("{}", 2) % 16384);
    assert_int_equal(slot_of("{user1"), sstore_crc16("{user1", 6) % 16384);
    assert_int_equal(slot_of("user1}"), sstore_crc16("user1}", 6) % 16384);
    assert_int_equal(slot_of("{}{user1}"), sstore_crc16("{}{user1}", 9) % 16384); /* first '{' rules */
    assert_int_equal(sstore_cluster_keyslot("{ab}", 3), sstore_crc16("{ab", 3) % 16384); /* length bounds it */
}

/* Reads one reply from RESP text with hiredis's own reader. */
static redisReply *reply_from(const char *resp)
{
    redisReader *r = redisReaderCreate();
    void *reply = NULL;
    assert_non_null(r);
    assert_int_equal(redisReaderFeed(r, resp, strlen(resp)), REDIS_OK);
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
    assert_non_null(reply);
    redisReaderFree(r);
    return reply;
}

static void cluster_slots_gives_each_masters_range(void **state)
{
    /* two masters; the second with a replica, and an empty host ("use the node you asked") */
    redisReply *r = reply_from("*2\r\n"
                               "*3\r\n:0\r\n:8191\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n"
                               "*4\r\n:8192\r\n:16383\r\n*3\r\n$0\r\n\r\n:7001\r\n$2\r\nid\r\n"
                               "*3\r\n$9\r\n127.0.0.1\r\n:7002\r\n$2\r\nid\r\n");
    sstore_cluster_range *rg = NULL;
    char err[160];
    size_t n = 0;
    (void)state;
    assert_int_equal(sstore_cluster_slots_parse(r, "10.0.0.9", &rg, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rg[0].first, 0);
    assert_int_equal(rg[0].last, 8191);
    assert_string_equal(rg[0].host, "127.0.0.1");
    assert_int_equal(rg[0].port, 7000);
    assert_int_equal(rg[1].first, 8192);
    assert_int_equal(rg[1].last, 16383);
    assert_string_equal(rg[1].host, "10.0.0.9");
    assert_int_equal(rg[1].port, 7001);
    free(rg);
    freeReplyObject(r);
}

static void malformed_cluster_slots_replies_are_refused(void **state)
{
    static const char *const bad[] = {
        "-ERR This instance has cluster support disabled\r\n",
        "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:7000\r\n", /* slot out of range */
        "*1\r\n*3\r\n:9\r\n:3\r\n*2\r\n$1\r\nh\r\n:7000\r\n",         /* first > last */
        "*1\r\n*2\r\n:0\r\n:3\r\n",                                    /* no master */
        "*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n$1\r\nh\r\n:0\r\n",            /* port 0 */
    };
    size_t i, n;
    char err[160];
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        redisReply *r = reply_from(bad[i]);
        sstore_cluster_range *rg = (sstore_cluster_range *)1;
        assert_int_equal(sstore_cluster_slots_parse(r, "h", &rg, &n, err, sizeof err), -1);
        assert_null(rg);
        assert_true(strlen(err) > 0);
        freeReplyObject(r);
    }
}

static void moved_and_ask_name_the_slot_and_the_node(void **state)
{
    char host[64];
    unsigned slot = 0;
    int port = 0;
    (void)state;
    assert_int_equal(sstore_cluster_redirect_parse("MOVED 3999 127.0.0.1:6381", "x", &slot, host, sizeof host, &port),
                     SSTORE_CLUSTER_MOVED);
    assert_int_equal(slot, 3999);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6381);
    assert_int_equal(sstore_cluster_redirect_parse("ASK 16383 :7002", "10.1.1.1", &slot, host, sizeof host, &port),
                     SSTORE_CLUSTER_ASK);
    assert_int_equal(slot, 16383);
    assert_string_equal(host, "10.1.1.1");
    assert_int_equal(port, 7002);
    assert_int_equal(sstore_cluster_redirect_parse("ASK 1 [::1]:7002", "x", &slot, host, sizeof host, &port),
                     SSTORE_CLUSTER_ASK);
    assert_string_equal(host, "::1");
    assert_int_equal(sstore_cluster_redirect_parse("MOVED 2 ::1:7003", "x", &slot, host, sizeof host, &port),
                     SSTORE_CLUSTER_MOVED);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 7003);
}

static void other_errors_and_malformed_redirects_are_not_redirects(void **state)
{
    static const char *const msgs[] = {"ERR unknown command", "MOVED", "MOVED 16384 h:1", "MOVED x h:1",
                                       "MOVED 1 h", "MOVED 1 h:0", "MOVED 1 h:99999", "ASK 1 h:1x",
                                       "TRYAGAIN Multiple keys request during rehashing of slot"};
    char host[64];
    unsigned slot;
    int port;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        if (sstore_cluster_redirect_parse(msgs[i], "x", &slot, host, sizeof host, &port) != SSTORE_CLUSTER_NO_REDIRECT)
            fail_msg("'%s' was read as a redirect", msgs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc16_of_the_check_string_is_0x31c3),
        cmocka_unit_test(keys_sharing_a_hash_tag_share_a_slot),
        cmocka_unit_test(an_empty_or_unclosed_tag_hashes_the_whole_key),
        cmocka_unit_test(cluster_slots_gives_each_masters_range),
        cmocka_unit_test(malformed_cluster_slots_replies_are_refused),
        cmocka_unit_test(moved_and_ask_name_the_slot_and_the_node),
        cmocka_unit_test(other_errors_and_malformed_redirects_are_not_redirects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

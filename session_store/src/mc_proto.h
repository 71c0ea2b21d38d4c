/* mc_proto.h — the memcached text protocol as memcached:// speaks it: framing one reply out of a
 * receive buffer (the reader the fuzz target feeds) and writing the few commands (private to
 * session_store). The text protocol, not the binary one: the binary protocol is deprecated since
 * memcached 1.6 and the text protocol is what PHP's memcached session handler speaks by default. */
#ifndef SSTORE_MC_PROTO_H
#define SSTORE_MC_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define MC_LINE_MAX 1024          /* longest reply line we accept (keys are at most 250 bytes) */
#define MC_VALUE_MAX (1024 * 1024) /* largest value we accept: memcached's default item size limit */

typedef enum mc_kind {
    MC_VALUE,        /* VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\nEND\r\n (one item) */
    MC_END,          /* END: a miss */
    MC_STORED,
    MC_NOT_STORED,
    MC_EXISTS,
    MC_NOT_FOUND,
    MC_DELETED,
    MC_TOUCHED,
    MC_ERROR,        /* ERROR: unknown command */
    MC_CLIENT_ERROR, /* CLIENT_ERROR <msg> */
    MC_SERVER_ERROR, /* SERVER_ERROR <msg> */
} mc_kind;

/* One framed reply; pointers into the buffer it was framed from. */
typedef struct mc_reply {
    mc_kind kind;
    const char *key;   /* MC_VALUE */
    size_t key_len;
    uint32_t flags;
    uint64_t cas;      /* MC_VALUE from gets; 0 from get */
    int has_cas;
    const char *data;  /* MC_VALUE: the value; *_ERROR: the message */
    size_t data_len;
} mc_reply;

/* Frames the reply at p[0..avail): 1 with *r filled and its size in *used, 0 when more bytes are
 * needed, -1 when it is malformed (a line without \r\n, too long, unknown, bad numbers, a value
 * without its \r\nEND\r\n, more than one item). */
int mc_reply_parse(const char *p, size_t avail, mc_reply *r, size_t *used);

/* The size of the longest command below for a key of key_len and a value of value_len bytes. */
size_t mc_cmd_size(size_t key_len, size_t value_len);
/* Writes "<verb> <key>\r\n" (get, gets, delete) into out; returns its length. */
size_t mc_cmd_key(char *out, const char *verb, const char *key, size_t key_len);
/* Writes "<verb> <key> 0 <exptime> <bytes>[ <cas>]\r\n<value>\r\n" (add; cas when verb is "cas") into
 * out; returns its length. */
size_t mc_cmd_store(char *out, const char *verb, const char *key, size_t key_len, long long exptime,
                    const char *value, size_t value_len, uint64_t cas);

#endif /* SSTORE_MC_PROTO_H */

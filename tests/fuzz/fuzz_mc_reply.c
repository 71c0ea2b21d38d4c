/* fuzz_mc_reply.c — fuzz target: a memcached:// server's byte stream, framed by mc_reply_parse
 * (session_store/src/mc_proto.h) as the store's receive buffer meets it — whole, then cut at every
 * point a recv() could leave it: a reply is never read past what arrived, a complete one frames the
 * same in a longer buffer, and its pointers stay inside it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mc_proto.h"

/* Aborts unless r's pointers lie inside p[0..used). */
static void check_inside(const char *p, size_t used, const mc_reply *r)
{
    if (r->data != NULL && (r->data < p || r->data + r->data_len > p + used))
        abort();
    if (r->key != NULL && (r->key < p || r->key + r->key_len > p + used))
        abort();
    if (r->data != NULL) { /* every byte readable (ASan checks the range) */
        volatile char sum = 0;
        size_t i;
        for (i = 0; i < r->data_len; i++)
            sum ^= r->data[i];
        (void)sum;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1); /* exactly size bytes readable for ASan: the 1 is malloc(0)'s guard */
    size_t pos = 0, used = 0, cut;
    mc_reply r, again;
    int k;
    if (buf == NULL)
        abort();
    memcpy(buf, data, size);
    while ((k = mc_reply_parse(buf + pos, size - pos, &r, &used)) == 1) {
        if (used == 0 || used > size - pos)
            abort();
        check_inside(buf + pos, used, &r);
        for (cut = 0; cut < used; cut += 1 + used / 16) /* a prefix is incomplete, or malformed: never a reply */
            if (mc_reply_parse(buf + pos, cut, &again, &used) == 1 && used > cut)
                abort();
        if (mc_reply_parse(buf + pos, size - pos, &again, &used) != 1 || again.kind != r.kind)
            abort();
        pos += used;
    }
    free(buf);
    return 0;
}

int fuzz_seeds(const char *dir)
{
    static const char *const seeds[] = {
        "END\r\n", "STORED\r\nNOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\nDELETED\r\nTOUCHED\r\n",
        "VALUE sess:AAAAAAAAAAAAAAAAAAAAAA 0 2\r\n{}\r\nEND\r\n",
        "VALUE sess:AAAAAAAAAAAAAAAAAAAAAA 0 2 12345678901234567890\r\n{}\r\nEND\r\n",
        "VALUE k 0 3\r\nab\r\nEND\r\n", "VALUE k 0 2 \r\n{}\r\nEND\r\n", "VALUE k 4294967296 0\r\n\r\nEND\r\n",
        "VALUE k 0 1048577\r\n", "CLIENT_ERROR bad data chunk\r\nERROR\r\nSERVER_ERROR out of memory storing object\r\n",
        "END\n", "\r\n", "VALUE  0 0\r\n\r\nEND\r\n",
    };
    size_t i;
    for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        if (fuzz_seed_str(dir, "reply", (int)i, seeds[i]) != 0)
            return -1;
    return (int)i;
}

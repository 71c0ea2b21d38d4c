/* mc_proto.c — memcached text protocol: reply framing and command writing (see mc_proto.h). */
#include "mc_proto.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The line at p[0..avail) through *len ("\r\n" included): 1, 0 incomplete, -1 malformed or too long. */
static int line_end(const char *p, size_t avail, size_t *len)
{
    const char *nl = memchr(p, '\n', avail < MC_LINE_MAX ? avail : MC_LINE_MAX);
    if (nl == NULL)
        return avail >= MC_LINE_MAX ? -1 : 0;
    if (nl == p || nl[-1] != '\r')
        return -1;
    *len = (size_t)(nl - p) + 1;
    return 1;
}

/* A decimal number of at most max at *s (advanced past it), followed by the end or a space. 0 or -1. */
static int number(const char **s, const char *end, uint64_t max, uint64_t *v)
{
    const char *q = *s;
    uint64_t x = 0;
    if (q >= end || *q < '0' || *q > '9')
        return -1;
    for (; q < end && *q >= '0' && *q <= '9'; q++) {
        if (x > (max - (uint64_t)(*q - '0')) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*q - '0');
    }
    if (q < end && *q != ' ')
        return -1;
    *s = q;
    *v = x;
    return 0;
}

/* Steps over the one space at *s that must be there. 0 or -1. */
static int space(const char **s, const char *end)
{
    if (*s >= end || **s != ' ')
        return -1;
    (*s)++;
    return 0;
}

/* Parses the VALUE line s[0..n) (without "VALUE " and "\r\n"): key flags bytes [cas]. 0 or -1. */
static int value_line(const char *s, size_t n, mc_reply *r)
{
    const char *end = s + n, *sp = memchr(s, ' ', n);
    uint64_t flags, bytes, cas;
    if (sp == NULL || sp == s || sp - s > 250)
        return -1;
    r->key = s, r->key_len = (size_t)(sp - s);
    s = sp;
    if (space(&s, end) != 0 || number(&s, end, UINT32_MAX, &flags) != 0 || space(&s, end) != 0 ||
        number(&s, end, MC_VALUE_MAX, &bytes) != 0)
        return -1;
    if (s < end) {
        if (space(&s, end) != 0 || number(&s, end, UINT64_MAX, &cas) != 0 || s != end)
            return -1;
        r->has_cas = 1, r->cas = cas;
    }
    r->flags = (uint32_t)flags;
    r->data_len = (size_t)bytes;
    return 0;
}

/* The kind of a status line (without "\r\n"), -1 when unknown; *msg the message of an error line. */
static int status_kind(const char *s, size_t n, const char **msg)
{
    static const struct { const char *word; mc_kind kind; } words[] = {
        {"END", MC_END}, {"STORED", MC_STORED}, {"NOT_STORED", MC_NOT_STORED}, {"EXISTS", MC_EXISTS},
        {"NOT_FOUND", MC_NOT_FOUND}, {"DELETED", MC_DELETED}, {"TOUCHED", MC_TOUCHED}, {"ERROR", MC_ERROR},
    };
    size_t i;
    for (i = 0; i < sizeof words / sizeof words[0]; i++)
        if (n == strlen(words[i].word) && memcmp(s, words[i].word, n) == 0)
            return (int)words[i].kind;
    *msg = NULL;
    if (n >= 13 && memcmp(s, "CLIENT_ERROR ", 13) == 0)
        return *msg = s + 13, (int)MC_CLIENT_ERROR;
    if (n >= 13 && memcmp(s, "SERVER_ERROR ", 13) == 0)
        return *msg = s + 13, (int)MC_SERVER_ERROR;
    return -1;
}

int mc_reply_parse(const char *p, size_t avail, mc_reply *r, size_t *used)
{
    size_t len = 0, need;
    const char *msg = NULL;
    int k;
    memset(r, 0, sizeof *r);
    if ((k = line_end(p, avail, &len)) != 1)
        return k;
    if (len < 8 || memcmp(p, "VALUE ", 6) != 0) {
        if ((k = status_kind(p, len - 2, &msg)) < 0)
            return -1;
        r->kind = (mc_kind)k;
        if (msg != NULL)
            r->data = msg, r->data_len = (size_t)(p + len - 2 - msg);
        *used = len;
        return 1;
    }
    if (value_line(p + 6, len - 8, r) != 0)
        return -1;
    r->kind = MC_VALUE;
    need = len + r->data_len + 2 + 5; /* data \r\n END\r\n */
    if (avail < need)
        return 0;
    if (memcmp(p + len + r->data_len, "\r\nEND\r\n", 7) != 0)
        return -1;
    r->data = p + len;
    *used = need;
    return 1;
}

size_t mc_cmd_size(size_t key_len, size_t value_len)
{
    return key_len + value_len + 96; /* verb, flags, exptime, bytes, cas (20 digits each), separators */
}

size_t mc_cmd_key(char *out, const char *verb, const char *key, size_t key_len)
{
    size_t n = strlen(verb);
    memcpy(out, verb, n);
    out[n++] = ' ';
    memcpy(out + n, key, key_len);
    n += key_len;
    memcpy(out + n, "\r\n", 2);
    return n + 2;
}

size_t mc_cmd_store(char *out, const char *verb, const char *key, size_t key_len, long long exptime,
                    const char *value, size_t value_len, uint64_t cas)
{
    size_t n = strlen(verb);
    memcpy(out, verb, n);
    out[n++] = ' ';
    memcpy(out + n, key, key_len);
    n += key_len;
    if (strcmp(verb, "cas") == 0)
        n += (size_t)sprintf(out + n, " 0 %lld %zu %" PRIu64 "\r\n", exptime, value_len, cas);
    else
        n += (size_t)sprintf(out + n, " 0 %lld %zu\r\n", exptime, value_len);
    memcpy(out + n, value, value_len);
    memcpy(out + n + value_len, "\r\n", 2);
    return n + value_len + 2;
}

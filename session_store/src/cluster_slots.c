/* cluster_slots.c — Redis Cluster key routing primitives: CRC16/XMODEM, hash slots with hash tags,
 * the CLUSTER SLOTS reply and MOVED/ASK redirects (see cluster_slots.h). */
#include "cluster_slots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRC16_POLY 0x1021u

uint16_t sstore_crc16(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    unsigned crc = 0;
    int bit;
    while (len-- > 0) {
        crc ^= (unsigned)*p++ << 8;
        for (bit = 0; bit < 8; bit++)
            crc = crc & 0x8000u ? (crc << 1) ^ CRC16_POLY : crc << 1;
    }
    return (uint16_t)crc;
}

unsigned sstore_cluster_keyslot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len), *close;
    if (open != NULL) {
        size_t rest = len - (size_t)(open + 1 - key);
        close = memchr(open + 1, '}', rest);
        if (close != NULL && close > open + 1)
            return sstore_crc16(open + 1, (size_t)(close - open - 1)) % SSTORE_CLUSTER_SLOTS;
    }
    return sstore_crc16(key, len) % SSTORE_CLUSTER_SLOTS;
}

/* 1 when r is an integer reply within [0, 16383]. */
static int slot_ok(const redisReply *r)
{
    return r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer < SSTORE_CLUSTER_SLOTS;
}

/* Reads one entry [first, last, [host, port, …], replicas…] into rg. 0 or -1. */
static int range_parse(const redisReply *e, const char *default_host, sstore_cluster_range *rg)
{
    const redisReply *node;
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || !slot_ok(e->element[0]) || !slot_ok(e->element[1]) ||
        e->element[0]->integer > e->element[1]->integer)
        return -1;
    node = e->element[2];
    if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 || node->element[0]->type != REDIS_REPLY_STRING ||
        node->element[1]->type != REDIS_REPLY_INTEGER || node->element[1]->integer < 1 ||
        node->element[1]->integer > 65535 || node->element[0]->len >= SSTORE_CLUSTER_HOST_MAX)
        return -1;
    rg->first = (unsigned)e->element[0]->integer;
    rg->last = (unsigned)e->element[1]->integer;
    rg->port = (int)node->element[1]->integer;
    if (node->element[0]->len == 0 || strcmp(node->element[0]->str, "?") == 0)
        snprintf(rg->host, sizeof rg->host, "%s", default_host);
    else
        snprintf(rg->host, sizeof rg->host, "%s", node->element[0]->str);
    return 0;
}

int sstore_cluster_slots_parse(const redisReply *r, const char *default_host, sstore_cluster_range **out,
                               size_t *n, char *err, size_t errlen)
{
    size_t i;
    *out = NULL;
    *n = 0;
    if (r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, errlen, "CLUSTER SLOTS: %s", r->type == REDIS_REPLY_ERROR ? r->str : "not an array");
        return -1;
    }
    if (r->elements == 0)
        return 0;
    if ((*out = calloc(r->elements, sizeof **out)) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (i = 0; i < r->elements; i++)
        if (range_parse(r->element[i], default_host, &(*out)[i]) != 0) {
            snprintf(err, errlen, "CLUSTER SLOTS: malformed entry %zu", i);
            free(*out);
            *out = NULL;
            return -1;
        }
    *n = r->elements;
    return 0;
}

/* Parses "<slot> <host>:<port>" (the part after the word). 0 or -1. */
static int redirect_target(const char *p, const char *default_host, unsigned *slot, char *host, size_t hostlen,
                           int *port)
{
    const char *colon;
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || *end != ' ' || v < 0 || v >= SSTORE_CLUSTER_SLOTS)
        return -1;
    *slot = (unsigned)v;
    p = end + 1;
    colon = strrchr(p, ':');
    if (colon == NULL || (size_t)(colon - p) >= hostlen)
        return -1;
    v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    if (colon == p)
        snprintf(host, hostlen, "%s", default_host);
    else if (*p == '[' && colon[-1] == ']' && colon - p > 2) /* "[v6]:port" */
        snprintf(host, hostlen, "%.*s", (int)(colon - p - 2), p + 1);
    else
        snprintf(host, hostlen, "%.*s", (int)(colon - p), p);
    return 0;
}

sstore_cluster_redirect sstore_cluster_redirect_parse(const char *msg, const char *default_host, unsigned *slot,
                                                      char *host, size_t hostlen, int *port)
{
    if (strncmp(msg, "MOVED ", 6) == 0)
        return redirect_target(msg + 6, default_host, slot, host, hostlen, port) == 0 ? SSTORE_CLUSTER_MOVED
                                                                                      : SSTORE_CLUSTER_NO_REDIRECT;
    if (strncmp(msg, "ASK ", 4) == 0)
        return redirect_target(msg + 4, default_host, slot, host, hostlen, port) == 0 ? SSTORE_CLUSTER_ASK
                                                                                      : SSTORE_CLUSTER_NO_REDIRECT;
    return SSTORE_CLUSTER_NO_REDIRECT;
}

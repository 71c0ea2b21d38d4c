/* record.c — encode and strictly decode the session record: a cJSON-parsed header line carrying the
 * times and the claims' length and CRC-32C, then the claims (see record.h). */
#include "record.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define RECORD_VERSION 1
#define NMEMBERS 6
#define MAX_EXACT_DOUBLE 9007199254740992.0 /* 2^53: larger integers are not exact in a double */
#define CRC32C_POLY 0x82F63B78u             /* Castagnoli, reflected */

static const char *const member_names[NMEMBERS] = {"v", "created_ms", "last_seen_ms", "expires_ms",
                                                   "claims_bytes", "claims_crc32c"};

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* Builds the slice-by-8 tables of CRC-32C. */
static void crc_init(void)
{
    uint32_t i, c;
    int k, t;
    for (i = 0; i < 256; i++) {
        for (c = i, k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
        crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++)
        for (t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

uint32_t sstore_crc32c(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    pthread_once(&crc_once, crc_init);
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][lo >> 8 & 0xff] ^ crc_table[5][lo >> 16 & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][hi >> 8 & 0xff] ^
              crc_table[1][hi >> 16 & 0xff] ^ crc_table[0][hi >> 24];
    }
    while (len-- > 0)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

/* JSON whitespace. */
static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* 1 for a control character JSON does not allow outside strings either (all but \t \n \r). */
static int is_bad_control(unsigned char ch)
{
    return ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r';
}

/* The offset of the first control character other than JSON whitespace, or len. JSON allows none
 * (they must be escaped inside strings) but cJSON lets them through, NUL included. The first pass
 * has no early exit so that the compiler can vectorise it. */
static size_t first_control(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i;
    int bad = 0;
    for (i = 0; i < len; i++)
        bad |= is_bad_control(p[i]);
    for (i = 0; bad && i < len; i++)
        if (is_bad_control(p[i]))
            return i;
    return len;
}

/* Parses text[0..len) as one JSON value with only whitespace after it. The tree or NULL; on
 * NULL, *where is the byte offset where it went wrong. The caller frees the tree. */
static cJSON *parse_whole(const char *text, size_t len, size_t *where)
{
    const char *end = NULL;
    cJSON *root;
    if ((*where = first_control(text, len)) != len)
        return NULL;
    root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    *where = end != NULL && end >= text ? (size_t)(end - text) : 0;
    if (root == NULL)
        return NULL;
    while (*where < len && is_ws(text[*where]))
        (*where)++;
    if (*where != len) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int sstore_claims_check(const char *claims, size_t len, char *err, size_t errlen)
{
    size_t where = 0;
    cJSON *root = parse_whole(claims, len, &where);
    int ok = root != NULL && cJSON_IsObject(root);
    if (root == NULL)
        snprintf(err, errlen, "claims are not valid JSON (at byte %zu of %zu)", where, len);
    else if (!ok)
        snprintf(err, errlen, "claims must be a JSON object");
    cJSON_Delete(root);
    return ok ? 0 : -1;
}

size_t sstore_record_encode(char *buf, size_t cap, sstore_record *r)
{
    int n;
    if (r->claims_crc == 0)
        r->claims_crc = sstore_crc32c(r->claims, r->claims_len);
    n = snprintf(buf, cap, "{\"v\":%d,\"created_ms\":%" PRId64 ",\"last_seen_ms\":%" PRId64 ",\"expires_ms\":%" PRId64
                 ",\"claims_bytes\":%zu,\"claims_crc32c\":%" PRIu32 "}\n", RECORD_VERSION, r->created_ms,
                 r->last_seen_ms, r->expires_ms, r->claims_len, r->claims_crc);
    if (n < 0 || (size_t)n + r->claims_len > cap)
        return 0;
    memcpy(buf + n, r->claims, r->claims_len);
    return (size_t)n + r->claims_len;
}

/* A non-negative integral number member into *out. 0 or -1. */
static int int_member(const cJSON *m, int64_t *out)
{
    double d;
    if (!cJSON_IsNumber(m))
        return -1;
    d = m->valuedouble;
    if (!(d >= 0 && d <= MAX_EXACT_DOUBLE) || d != (double)(int64_t)d)
        return -1;
    *out = (int64_t)d;
    return 0;
}

/* Checks the header's members against the layout and reads them. 0 or -1 (reason in err). */
static int check_members(const cJSON *root, sstore_record *r, char *err, size_t errlen)
{
    int64_t v[NMEMBERS];
    const cJSON *m = root->child;
    size_t i;
    for (i = 0; i < NMEMBERS; i++, m = m->next) {
        if (m == NULL || m->string == NULL || strcmp(m->string, member_names[i]) != 0) {
            snprintf(err, errlen, "header member %zu is not \"%s\"", i + 1, member_names[i]);
            return -1;
        }
        if (int_member(m, &v[i]) != 0) {
            snprintf(err, errlen, "\"%s\" is not a non-negative integer", member_names[i]);
            return -1;
        }
    }
    if (m != NULL || v[0] != RECORD_VERSION || v[5] > UINT32_MAX) {
        snprintf(err, errlen, m != NULL ? "unexpected header member after \"claims_crc32c\"" : v[0] != RECORD_VERSION
                 ? "unknown record version" : "\"claims_crc32c\" is not a 32-bit value");
        return -1;
    }
    r->created_ms = v[1];
    r->last_seen_ms = v[2];
    r->expires_ms = v[3];
    r->claims_len = (size_t)v[4];
    r->claims_crc = (uint32_t)v[5];
    return 0;
}

/* Parses the header line text[0..len) into r. 0 or -1 (reason in err). */
static int decode_header(const char *text, size_t len, sstore_record *r, char *err, size_t errlen)
{
    size_t where = 0;
    int rc = -1;
    cJSON *root = parse_whole(text, len, &where);
    if (root == NULL)
        snprintf(err, errlen, "header is not valid JSON (stops at byte %zu of %zu: truncated or damaged)", where, len);
    else if (!cJSON_IsObject(root))
        snprintf(err, errlen, "header is not a JSON object");
    else
        rc = check_members(root, r, err, errlen);
    cJSON_Delete(root);
    return rc;
}

int sstore_record_decode(const char *text, size_t len, sstore_record *r, char *err, size_t errlen)
{
    const char *nl = memchr(text, '\n', len);
    size_t have;
    if (nl == NULL) {
        snprintf(err, errlen, "no header line (%zu bytes: truncated or not a session record)", len);
        return -1;
    }
    if (decode_header(text, (size_t)(nl - text), r, err, errlen) != 0)
        return -1;
    r->claims = nl + 1;
    have = len - (size_t)(r->claims - text);
    if (have != r->claims_len) {
        snprintf(err, errlen, "claims of %zu bytes where the header says %zu (truncated or damaged)", have, r->claims_len);
        return -1;
    }
    if (sstore_crc32c(r->claims, r->claims_len) != r->claims_crc) {
        snprintf(err, errlen, "claims fail their CRC-32C check (damaged)");
        return -1;
    }
    return 0;
}

void sstore_record_to_session(const sstore_record *r, sstore_session *out)
{
    out->data = r->claims;
    out->data_len = r->claims_len;
    out->created = r->created_ms / 1000;
    out->last_seen = r->last_seen_ms / 1000;
    out->expires = r->expires_ms / 1000;
}

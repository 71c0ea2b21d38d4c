/* record.c — encode and strictly decode the session record: a header line of JSON carrying the
 * times and the claims' length and CRC-32C, then the claims (see record.h). The header as encode
 * writes it is matched directly; any other form goes through cJSON, which accepts it only when it
 * is valid JSON with exactly the right members, and says what is wrong otherwise. */
#include "record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define RECORD_VERSION 1
#define NMEMBERS 6
#define MAX_EXACT_DOUBLE 9007199254740992.0 /* 2^53: larger integers are not exact in a double */

static const char *const member_names[NMEMBERS] = {"v", "created_ms", "last_seen_ms", "expires_ms",
                                                   "claims_bytes", "claims_crc32c"};

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

/* Checks the member values v[] (in layout order) and stores them in r. 0 or -1 (reason in err). */
static int take_members(const int64_t *v, sstore_record *r, char *err, size_t errlen)
{
    if (v[0] != RECORD_VERSION || v[5] > UINT32_MAX) {
        snprintf(err, errlen, v[0] != RECORD_VERSION ? "unknown record version" : "\"claims_crc32c\" is not a 32-bit value");
        return -1;
    }
    r->created_ms = v[1];
    r->last_seen_ms = v[2];
    r->expires_ms = v[3];
    r->claims_len = (size_t)v[4];
    r->claims_crc = (uint32_t)v[5];
    return 0;
}

/* Checks the parsed header's members against the layout and reads them. 0 or -1 (reason in err). */
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
    if (m != NULL) {
        snprintf(err, errlen, "unexpected header member after \"claims_crc32c\"");
        return -1;
    }
    return take_members(v, r, err, errlen);
}

/* Reads a canonical non-negative integer at *p (digits, no leading zero, below 2^53); advances. 0 or -1. */
static int canon_uint(const char **p, const char *end, int64_t *out)
{
    const char *q = *p;
    int64_t v = 0;
    if (q < end && *q == '0')
        q++;
    else
        while (q < end && *q >= '0' && *q <= '9' && q - *p < 16)
            v = v * 10 + (*q++ - '0');
    if (q == *p || (q < end && *q >= '0' && *q <= '9') || v > (int64_t)MAX_EXACT_DOUBLE)
        return -1;
    *out = v;
    *p = q;
    return 0;
}

/* Matches the literal lit (n bytes) at *p and steps over it. 1 or 0. */
static inline int canon_lit(const char **p, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return 0;
    *p += n;
    return 1;
}

/* The header line exactly as sstore_record_encode writes it, read without building a tree: 0 with
 * r filled and *header_len set (newline excluded), or -1 for anything else (which cJSON then
 * parses, strictly, and explains). The literals are spelled out so that each compare is inlined. */
static int decode_canonical(const char *text, size_t len, sstore_record *r, size_t *header_len)
{
#define LIT(s) canon_lit(&p, end, s, sizeof s - 1)
    const char *p = text, *end = text + len;
    int64_t v[NMEMBERS];
    char err[8];
    if (!(LIT("{\"v\":") && canon_uint(&p, end, &v[0]) == 0 && LIT(",\"created_ms\":") &&
          canon_uint(&p, end, &v[1]) == 0 && LIT(",\"last_seen_ms\":") && canon_uint(&p, end, &v[2]) == 0 &&
          LIT(",\"expires_ms\":") && canon_uint(&p, end, &v[3]) == 0 && LIT(",\"claims_bytes\":") &&
          canon_uint(&p, end, &v[4]) == 0 && LIT(",\"claims_crc32c\":") && canon_uint(&p, end, &v[5]) == 0 &&
          LIT("}\n")))
        return -1;
#undef LIT
    *header_len = (size_t)(p - text) - 1;
    return take_members(v, r, err, sizeof err);
}

/* Parses the header line text[0..len) into r through cJSON (any valid JSON form of the header).
 * 0 or -1 (reason in err). */
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
    const char *nl;
    size_t header_len, have;
    if (decode_canonical(text, len, r, &header_len) == 0) {
        nl = text + header_len;
    } else if ((nl = memchr(text, '\n', len)) == NULL) {
        snprintf(err, errlen, "no header line (%zu bytes: truncated or not a session record)", len);
        return -1;
    } else if (decode_header(text, (size_t)(nl - text), r, err, errlen) != 0) {
        return -1;
    }
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

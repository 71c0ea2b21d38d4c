/* record.c — encode and strictly decode the JSON session record (cJSON does the parsing). */
#include "record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define RECORD_VERSION 1
#define MAX_EXACT_DOUBLE 9007199254740992.0 /* 2^53: larger integers are not exact in a double */

static const char *const member_names[] = {"v", "created_ms", "last_seen_ms", "expires_ms", "claims"};

/* JSON whitespace. */
static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* The offset of the first control character other than JSON whitespace, or len. JSON allows none
 * (they must be escaped inside strings) but cJSON lets them through, NUL included. */
static size_t first_control(const char *text, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 && !is_ws(text[i]))
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

size_t sstore_record_encode(char *buf, size_t cap, const sstore_record *r)
{
    int n = snprintf(buf, cap, "{\"v\":%d,\"created_ms\":%" PRId64 ",\"last_seen_ms\":%" PRId64
                     ",\"expires_ms\":%" PRId64 ",\"claims\":", RECORD_VERSION, r->created_ms,
                     r->last_seen_ms, r->expires_ms);
    if (n < 0 || (size_t)n + r->claims_len + 1 > cap)
        return 0;
    memcpy(buf + n, r->claims, r->claims_len);
    buf[(size_t)n + r->claims_len] = '}';
    return (size_t)n + r->claims_len + 1;
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

/* Checks the members of root against the layout and reads the times. 0 or -1 (reason in err). */
static int check_members(const cJSON *root, sstore_record *r, char *err, size_t errlen)
{
    const cJSON *m = root->child;
    int64_t v = 0, *times[] = {&v, &r->created_ms, &r->last_seen_ms, &r->expires_ms};
    size_t i;
    for (i = 0; i < 5; i++, m = m->next) {
        if (m == NULL || m->string == NULL || strcmp(m->string, member_names[i]) != 0) {
            snprintf(err, errlen, "member %zu is not \"%s\"", i + 1, member_names[i]);
            return -1;
        }
        if (i < 4 && int_member(m, times[i]) != 0) {
            snprintf(err, errlen, "\"%s\" is not a non-negative integer", member_names[i]);
            return -1;
        }
    }
    if (m != NULL || v != RECORD_VERSION || !cJSON_IsObject(root->child->next->next->next->next)) {
        snprintf(err, errlen, m != NULL ? "unexpected member after \"claims\"" : v != RECORD_VERSION
                 ? "unknown record version" : "\"claims\" is not an object");
        return -1;
    }
    return 0;
}

/* Locates the claims text: after the (first, since the checked members before it are numbers)
 * "claims" key up to the record's closing brace. 0, or -1 when the key is written with escapes. */
static int claims_span(const char *text, size_t len, sstore_record *r)
{
    const char *key = memmem(text, len, "\"claims\"", 8);
    const char *p, *end = text + len;
    if (key == NULL)
        return -1;
    p = key + 8;
    while (p < end && is_ws(*p))
        p++;
    if (p == end || *p++ != ':')
        return -1;
    while (p < end && is_ws(*p))
        p++;
    while (end > p && is_ws(end[-1]))
        end--;
    if (end == p || end[-1] != '}')
        return -1;
    end--; /* the record's own closing brace */
    while (end > p && is_ws(end[-1]))
        end--;
    r->claims = p;
    r->claims_len = (size_t)(end - p);
    return 0;
}

int sstore_record_decode(const char *text, size_t len, sstore_record *r, char *err, size_t errlen)
{
    size_t where = 0;
    int rc = -1;
    cJSON *root = parse_whole(text, len, &where);
    if (root == NULL) {
        snprintf(err, errlen, "not valid JSON (stops at byte %zu of %zu: truncated or damaged)", where, len);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "not a JSON object");
        goto out;
    }
    if (check_members(root, r, err, errlen) != 0)
        goto out;
    if (claims_span(text, len, r) != 0) {
        snprintf(err, errlen, "\"claims\" key not written plainly");
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

void sstore_record_to_session(const sstore_record *r, sstore_session *out)
{
    out->data = r->claims;
    out->data_len = r->claims_len;
    out->created = r->created_ms / 1000;
    out->last_seen = r->last_seen_ms / 1000;
    out->expires = r->expires_ms / 1000;
}

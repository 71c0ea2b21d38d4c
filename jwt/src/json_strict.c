/* json_strict.c — the strict JSON parser for JWS headers, JWT claims and JWKs: RFC 8259 grammar,
 * valid UTF-8, no duplicate member names at any level, no "\u0000", a depth cap, no trailing data.
 * Strings are unescaped in place in a private copy; nothing is allocated once the buffers have
 * grown to the documents seen. (cJSON accepts duplicate names and allocates per node, which costs
 * more than the HMAC it would sit next to on the verify path.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajwt_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct jparser {
    ajwt_json *j;
    char *s; /* the work copy, unescaped in place */
    size_t n, i;
    int max_depth;
} jparser;

#define JP_NOMEM (-2)
#define SMALL_OBJECT 16

static int parse_value(jparser *q, int depth);

/* Records why the text is refused, with the byte offset. Returns -1. */
static int fail(jparser *q, const char *what)
{
    snprintf(q->j->why, sizeof q->j->why, "%s at byte %zu", what, q->i);
    return -1;
}

static int push(jparser *q, uint8_t type, const char *p, uint32_t len, uint32_t *idx)
{
    ajwt_json *j = q->j;
    ajwt_jtok *t;
    if (j->ntok == j->cap) {
        uint32_t ncap = j->cap ? j->cap * 2 : 64;
        ajwt_jtok *nt = realloc(j->tok, ncap * sizeof *nt);
        if (nt == NULL)
            return JP_NOMEM;
        j->tok = nt;
        j->cap = ncap;
    }
    *idx = j->ntok++;
    t = &j->tok[*idx];
    t->p = p;
    t->len = len;
    t->next = j->ntok;
    t->type = type;
    return 0;
}

static void skip_ws(jparser *q)
{
    while (q->i < q->n) {
        char c = q->s[q->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        q->i++;
    }
}

static int at(const jparser *q, char c)
{
    return q->i < q->n && q->s[q->i] == c;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- strings ---- */

static int hex4(const jparser *q, size_t pos, uint32_t *out)
{
    uint32_t v = 0;
    size_t k;
    if (pos + 4 > q->n)
        return -1;
    for (k = 0; k < 4; k++) {
        char c = q->s[pos + k];
        int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A \uXXXX escape (a surrogate pair counts as one) at q->i, written as UTF-8 at *dst. */
static int unescape_u(jparser *q, size_t *dst)
{
    uint32_t cp, lo;
    if (hex4(q, q->i + 2, &cp) != 0)
        return fail(q, "bad \\u escape");
    q->i += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(q, "unpaired surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (q->i + 1 >= q->n || q->s[q->i] != '\\' || q->s[q->i + 1] != 'u' ||
            hex4(q, q->i + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
            return fail(q, "unpaired surrogate in \\u escape");
        q->i += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0)
        return fail(q, "\\u0000 in a string is not accepted");
    *dst += put_utf8(q->s + *dst, cp);
    return 0;
}

/* The escape at q->i (a backslash), written at *dst (always <= q->i: escapes only shrink). */
static int unescape(jparser *q, size_t *dst)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    if (q->i + 1 >= q->n)
        return fail(q, "unterminated string");
    if (q->s[q->i + 1] == 'u')
        return unescape_u(q, dst);
    hit = q->s[q->i + 1] != '\0' ? strchr(from, q->s[q->i + 1]) : NULL;
    if (hit == NULL)
        return fail(q, "invalid escape in string");
    q->s[(*dst)++] = to[hit - from];
    q->i += 2;
    return 0;
}

static int is_cont(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

/* Length of the valid UTF-8 sequence at p (shortest form, no surrogates, <= U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    if (c >= 0xC2 && c <= 0xDF)
        return avail >= 2 && is_cont(p[1]) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || !is_cont(p[1]) || !is_cont(p[2]) || (c == 0xE0 && p[1] < 0xA0) ||
            (c == 0xED && p[1] > 0x9F))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || !is_cont(p[1]) || !is_cont(p[2]) || !is_cont(p[3]) ||
            (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

static int copy_utf8(jparser *q, size_t *dst)
{
    size_t k = utf8_seq((const unsigned char *)q->s + q->i, q->n - q->i);
    if (k == 0)
        return fail(q, "invalid UTF-8");
    memmove(q->s + *dst, q->s + q->i, k);
    *dst += k;
    q->i += k;
    return 0;
}

/* 1 for the bytes a string may hold as they are: printable ASCII except '"' and '\\'. */
static const unsigned char plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The end of the run of plain bytes from i (16 at a time with SSE2: a byte is not plain when it is
 * '"', '\\', or signed-less-than 0x20, i.e. a control byte or any byte >= 0x80). */
static size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                    _mm_cmplt_epi8(v, space));
        int mask = _mm_movemask_epi8(stop);
        if (mask != 0)
            return i + (size_t)__builtin_ctz((unsigned)mask);
    }
#endif
    while (i < n && plain_byte[s[i]])
        i++;
    return i;
}

/* The rest of a string that holds escapes or non-ASCII bytes: q->i is at the first such byte, dst
 * where its decoded form goes. */
static int parse_string_slow(jparser *q, size_t start, size_t dst)
{
    uint32_t idx;
    int rc;
    for (;;) {
        size_t run = q->i;
        unsigned char c;
        q->i = plain_run((const unsigned char *)q->s, q->i, q->n);
        if (dst != run)
            memmove(q->s + dst, q->s + run, q->i - run);
        dst += q->i - run;
        if (q->i >= q->n)
            return fail(q, "unterminated string");
        c = (unsigned char)q->s[q->i];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(q, "control character in string");
        rc = c == '\\' ? unescape(q, &dst) : copy_utf8(q, &dst);
        if (rc != 0)
            return rc;
    }
    q->s[dst] = '\0'; /* dst <= q->i, the closing quote */
    q->i++;
    if (dst - start > UINT32_MAX)
        return fail(q, "string too long");
    return push(q, AJWT_J_STR, q->s + start, (uint32_t)(dst - start), &idx);
}

/* A string at q->i (the opening quote): unescaped in place and NUL-terminated. Plain ASCII strings,
 * the usual case, are only scanned: their closing quote becomes the NUL. */
static int parse_string(jparser *q)
{
    char *s = q->s;
    size_t start = q->i + 1, i = plain_run((const unsigned char *)s, start, q->n);
    uint32_t idx;
    if (i < q->n && s[i] == '"' && i - start <= UINT32_MAX) {
        s[i] = '\0';
        q->i = i + 1;
        return push(q, AJWT_J_STR, s + start, (uint32_t)(i - start), &idx);
    }
    q->i = i;
    return parse_string_slow(q, start, i);
}

/* ---- numbers and literals ---- */

static void skip_digits(jparser *q)
{
    while (q->i < q->n && is_digit(q->s[q->i]))
        q->i++;
}

static int parse_number(jparser *q)
{
    size_t start = q->i;
    uint32_t idx;
    if (at(q, '-'))
        q->i++;
    if (q->i >= q->n || !is_digit(q->s[q->i]))
        return fail(q, start == q->i ? "unexpected character" : "digit expected after '-'");
    if (q->s[q->i] == '0')
        q->i++;
    else
        skip_digits(q);
    if (at(q, '.')) {
        q->i++;
        if (q->i >= q->n || !is_digit(q->s[q->i]))
            return fail(q, "digit expected after '.'");
        skip_digits(q);
    }
    if (at(q, 'e') || at(q, 'E')) {
        q->i++;
        if (at(q, '+') || at(q, '-'))
            q->i++;
        if (q->i >= q->n || !is_digit(q->s[q->i]))
            return fail(q, "digit expected in exponent");
        skip_digits(q);
    }
    return push(q, AJWT_J_NUM, q->s + start, (uint32_t)(q->i - start), &idx);
}

static int parse_literal(jparser *q, const char *word, uint8_t type)
{
    size_t len = strlen(word);
    uint32_t idx;
    if (q->n - q->i < len || memcmp(q->s + q->i, word, len) != 0)
        return fail(q, "unexpected character");
    q->i += len;
    return push(q, type, NULL, 0, &idx);
}

/* ---- duplicate member names ---- */

static int same_name(const ajwt_jtok *a, const ajwt_jtok *b)
{
    return a->len == b->len && (a->len == 0 || (a->p[0] == b->p[0] && memcmp(a->p, b->p, a->len) == 0));
}

static int dup_fail(jparser *q, const ajwt_jtok *name)
{
    char quoted[64];
    snprintf(q->j->why, sizeof q->j->why, "duplicate member name \"%s\"",
             ajwt__quote(quoted, sizeof quoted, name->p, name->len));
    return -1;
}

static uint32_t name_hash(const ajwt_jtok *t)
{
    uint32_t h = 2166136261u;
    uint32_t k;
    for (k = 0; k < t->len; k++)
        h = (h ^ (unsigned char)t->p[k]) * 16777619u;
    return h;
}

/* Large objects: an open-addressing set of key indexes in j->set. */
static int dup_hashed(jparser *q, uint32_t obj, uint32_t m)
{
    ajwt_json *j = q->j;
    const ajwt_jtok *t = j->tok;
    size_t size = 64, mask;
    uint32_t k;
    while (size < 2 * (size_t)m)
        size *= 2;
    if (j->set_cap < size) {
        uint32_t *ns = realloc(j->set, size * sizeof *ns);
        if (ns == NULL)
            return JP_NOMEM;
        j->set = ns;
        j->set_cap = size;
    }
    memset(j->set, 0, size * sizeof *j->set);
    mask = size - 1;
    for (k = obj + 1; k < t[obj].next; k = t[k + 1].next) {
        size_t h = name_hash(&t[k]) & mask;
        for (; j->set[h] != 0; h = (h + 1) & mask)
            if (same_name(&t[j->set[h] - 1], &t[k]))
                return dup_fail(q, &t[k]);
        j->set[h] = k + 1;
    }
    return 0;
}

/* A name's length and first, second and last bytes: names that differ here differ. */
static uint64_t name_sig(const ajwt_jtok *t)
{
    const unsigned char *p = (const unsigned char *)t->p;
    if (t->len == 0)
        return 0;
    return (uint64_t)t->len << 32 | (uint64_t)p[0] << 16 | (uint64_t)p[t->len > 1 ? 1 : 0] << 8 | p[t->len - 1];
}

static int dup_check(jparser *q, uint32_t obj)
{
    const ajwt_jtok *t = q->j->tok;
    uint32_t keys[SMALL_OBJECT], m = 0, k, a, b;
    uint64_t sig[SMALL_OBJECT];
    if (t[obj].len < 2)
        return 0;
    if (t[obj].len > SMALL_OBJECT)
        return dup_hashed(q, obj, t[obj].len);
    for (k = obj + 1; k < t[obj].next; k = t[k + 1].next) {
        sig[m] = name_sig(&t[k]);
        keys[m++] = k;
    }
    for (a = 1; a < m; a++)
        for (b = 0; b < a; b++)
            if (sig[a] == sig[b] && same_name(&t[keys[a]], &t[keys[b]]))
                return dup_fail(q, &t[keys[a]]);
    return 0;
}

/* ---- containers ---- */

static int parse_members(jparser *q, int depth, uint32_t *count)
{
    int rc;
    for (;;) {
        skip_ws(q);
        if (!at(q, '"'))
            return fail(q, "expected a member name");
        if ((rc = parse_string(q)) != 0)
            return rc;
        if (!at(q, ':'))
            skip_ws(q);
        if (!at(q, ':'))
            return fail(q, "expected ':'");
        q->i++;
        if ((rc = parse_value(q, depth)) != 0)
            return rc;
        (*count)++;
        skip_ws(q);
        if (at(q, '}')) {
            q->i++;
            return 0;
        }
        if (!at(q, ','))
            return fail(q, "expected ',' or '}'");
        q->i++;
    }
}

static int parse_elements(jparser *q, int depth, uint32_t *count)
{
    int rc;
    for (;;) {
        if ((rc = parse_value(q, depth)) != 0)
            return rc;
        (*count)++;
        skip_ws(q);
        if (at(q, ']')) {
            q->i++;
            return 0;
        }
        if (!at(q, ','))
            return fail(q, "expected ',' or ']'");
        q->i++;
    }
}

static int parse_container(jparser *q, int depth, uint8_t type)
{
    uint32_t idx, count = 0;
    int rc;
    if (depth > q->max_depth) {
        char what[64];
        snprintf(what, sizeof what, "nesting deeper than %d levels", q->max_depth);
        return fail(q, what);
    }
    if ((rc = push(q, type, NULL, 0, &idx)) != 0)
        return rc;
    q->i++;
    skip_ws(q);
    if (at(q, type == AJWT_J_OBJ ? '}' : ']'))
        q->i++;
    else if (type == AJWT_J_OBJ)
        rc = parse_members(q, depth, &count);
    else
        rc = parse_elements(q, depth, &count);
    if (rc != 0)
        return rc;
    q->j->tok[idx].len = count;
    q->j->tok[idx].next = q->j->ntok;
    return type == AJWT_J_OBJ ? dup_check(q, idx) : 0;
}

static int parse_value(jparser *q, int depth)
{
    skip_ws(q);
    if (q->i >= q->n)
        return fail(q, "unexpected end of JSON");
    switch (q->s[q->i]) {
    case '{': return parse_container(q, depth + 1, AJWT_J_OBJ);
    case '[': return parse_container(q, depth + 1, AJWT_J_ARR);
    case '"': return parse_string(q);
    case 't': return parse_literal(q, "true", AJWT_J_TRUE);
    case 'f': return parse_literal(q, "false", AJWT_J_FALSE);
    case 'n': return parse_literal(q, "null", AJWT_J_NULL);
    default: return parse_number(q);
    }
}

int ajwt__json_parse(ajwt_json *j, const char *text, size_t len, int max_depth)
{
    jparser q;
    int rc;
    j->ntok = 0;
    j->why[0] = '\0';
    if (len >= UINT32_MAX / 2) {
        snprintf(j->why, sizeof j->why, "JSON text too long");
        return -1;
    }
    if (j->work_cap < len + 1) {
        char *nw = realloc(j->work, len + 1);
        if (nw == NULL)
            return JP_NOMEM;
        j->work = nw;
        j->work_cap = len + 1;
    }
    memcpy(j->work, text, len);
    j->work[len] = '\0';
    q.j = j;
    q.s = j->work;
    q.n = len;
    q.i = 0;
    q.max_depth = max_depth;
    rc = parse_value(&q, 0);
    if (rc == 0) {
        skip_ws(&q);
        if (q.i != q.n)
            rc = fail(&q, "unexpected data after the JSON value");
    }
    return rc;
}

void ajwt__json_free(ajwt_json *j)
{
    if (j == NULL)
        return;
    free(j->tok);
    free(j->work);
    free(j->set);
    memset(j, 0, sizeof *j);
}

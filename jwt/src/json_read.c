/* json_read.c — reading a parsed document: members by name, exact integers out of number tokens,
 * and the public strict-object check. */
#include <stdio.h>
#include <string.h>

#include "ajwt_int.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int ajwt__json_member(const ajwt_json *j, uint32_t obj, const char *name)
{
    const ajwt_jtok *t = j->tok;
    size_t len = strlen(name);
    uint32_t k;
    if (obj >= j->ntok || t[obj].type != AJWT_J_OBJ)
        return -1;
    for (k = obj + 1; k < t[obj].next; k = t[k + 1].next)
        if (t[k].len == len && memcmp(t[k].p, name, len) == 0)
            return (int)(k + 1);
    return -1;
}

/* ---- exact integer value of a number token ---- */

#define MAX_SIG_DIGITS 40

typedef struct jdec {
    char digits[MAX_SIG_DIGITS]; /* significant digits, no leading zeros */
    int nd;
    long exp10; /* value = digits × 10^exp10 */
} jdec;

static int dec_digit(jdec *d, char c, int frac)
{
    if (d->nd == 0 && c == '0') {
        d->exp10 -= frac;
        return 0;
    }
    if (d->nd == MAX_SIG_DIGITS)
        return -1;
    d->digits[d->nd++] = c;
    d->exp10 -= frac;
    return 0;
}

static int dec_read(jdec *d, const char *p, const char *e, int *neg)
{
    long ex = 0;
    int eneg = 0;
    *neg = p < e && *p == '-';
    p += *neg;
    for (; p < e && is_digit(*p); p++)
        if (dec_digit(d, *p, 0) != 0)
            return -1;
    if (p < e && *p == '.')
        for (p++; p < e && is_digit(*p); p++)
            if (dec_digit(d, *p, 1) != 0)
                return -1;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        for (; p < e && is_digit(*p); p++)
            if (ex < 100000)
                ex = ex * 10 + (*p - '0');
    }
    d->exp10 += eneg ? -ex : ex;
    return 0;
}

/* The common case: plain digits, at most 16 of them (the grammar already excludes leading zeros). */
static int plain_int(const ajwt_jtok *t, int64_t *out)
{
    uint64_t v = 0;
    uint32_t k;
    if (t->len > 16)
        return -1;
    for (k = 0; k < t->len; k++) {
        if (!is_digit(t->p[k]))
            return -1;
        v = v * 10 + (uint64_t)(t->p[k] - '0');
    }
    if (v > (uint64_t)1 << 53)
        return -1;
    *out = (int64_t)v;
    return 0;
}

int ajwt__json_int(const ajwt_jtok *t, int64_t *out)
{
    const uint64_t limit = (uint64_t)1 << 53;
    jdec d = {{0}, 0, 0};
    uint64_t v = 0;
    int neg, k;
    if (t->type != AJWT_J_NUM)
        return -1;
    if (plain_int(t, out) == 0)
        return 0;
    if (dec_read(&d, t->p, t->p + t->len, &neg) != 0)
        return -1;
    while (d.nd > 0 && d.digits[d.nd - 1] == '0') {
        d.nd--;
        d.exp10++;
    }
    if (d.nd == 0) {
        *out = 0;
        return 0;
    }
    if (d.exp10 < 0 || d.nd + d.exp10 > 16)
        return -1; /* a fraction, or more than 16 digits: beyond 2^53 */
    for (k = 0; k < d.nd; k++)
        v = v * 10 + (uint64_t)(d.digits[k] - '0');
    for (k = 0; k < d.exp10; k++)
        v *= 10;
    if (v > limit)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int ajwt_claims_check(const char *json, size_t len, int max_depth, char *errbuf, size_t errbuf_len)
{
    ajwt_json j;
    int rc, code = AJWT_OK;
    memset(&j, 0, sizeof j);
    if (json == NULL || max_depth < 0 || max_depth > AJWT_MAX_DEPTH_LIMIT) {
        if (errbuf != NULL && errbuf_len > 0)
            snprintf(errbuf, errbuf_len, "invalid argument");
        return AJWT_ERR_ARG;
    }
    rc = ajwt__json_parse(&j, json, len, max_depth ? max_depth : AJWT_DEFAULT_MAX_DEPTH);
    if (rc == -2)
        code = AJWT_ERR_NOMEM;
    else if (rc != 0 || j.tok[0].type != AJWT_J_OBJ)
        code = AJWT_ERR_PAYLOAD;
    if (errbuf != NULL && errbuf_len > 0)
        snprintf(errbuf, errbuf_len, "%s", code == AJWT_OK ? "" : rc == -2 ? "out of memory" :
                 rc != 0 ? j.why : "not a JSON object");
    ajwt__json_free(&j);
    return code;
}

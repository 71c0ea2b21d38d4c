/* rp_text.c — text helpers of the report: a growable buffer, number formatting, the figure registry. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp_int.h"

/* Grows b to hold n more bytes plus a NUL; sets oom on failure. */
static int buf_reserve(rp_buf *b, size_t n)
{
    size_t want = b->len + n + 1, cap = b->cap ? b->cap : 256;
    char *p;
    if (b->oom)
        return -1;
    if (want <= b->cap)
        return 0;
    while (cap < want)
        cap *= 2;
    p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void rp_buf_put(rp_buf *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void rp_buf_puts(rp_buf *b, const char *s)
{
    rp_buf_put(b, s, strlen(s));
}

void rp_buf_vprintf(rp_buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;
    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n >= 0 && buf_reserve(b, (size_t)n) == 0) {
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void rp_buf_printf(rp_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rp_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void rp_buf_free(rp_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int rp_has(double v)
{
    return !isnan(v);
}

/* Decimals for a number of this magnitude: three significant digits, no exponent. */
static int decimals_for(double v)
{
    double a = fabs(v);
    if (a >= 100 || a == 0)
        return 0;
    return a >= 10 ? 1 : 2;
}

char *rp_fmt_num(double v, char *buf, size_t len)
{
    if (!rp_has(v))
        snprintf(buf, len, "—");
    else if (fabs(v) >= 100 || v == floor(v))
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.*f", decimals_for(v), v);
    return buf;
}

char *rp_fmt_value(double v, int unit, char *buf, size_t len)
{
    char n[48];
    if (!rp_has(v)) {
        snprintf(buf, len, "not measured");
        return buf;
    }
    switch (unit) {
    case RP_U_US:
        if (fabs(v) >= 1000)
            snprintf(buf, len, "%.*f ms", decimals_for(v / 1000), v / 1000);
        else
            snprintf(buf, len, "%.*f µs", decimals_for(v), v);
        break;
    case RP_U_RPS: snprintf(buf, len, "%.0f req/s", v); break;
    case RP_U_BYTES: snprintf(buf, len, "%.0f B", v); break;
    case RP_U_PCT: snprintf(buf, len, "%.*f%%", decimals_for(v), v); break;
    default: snprintf(buf, len, "%s", rp_fmt_num(v, n, sizeof n)); break;
    }
    return buf;
}

/* Appends a new zeroed figure (stable address); NULL on OOM. */
static rp_fig *figs_push(rp_figs *f)
{
    rp_fig *fig;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 32;
        rp_fig **v = realloc(f->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        f->v = v;
        f->cap = cap;
    }
    fig = calloc(1, sizeof *fig);
    if (fig != NULL)
        f->v[f->n++] = fig;
    return fig;
}

const char *rp_figure(rp_figs *f, const char *label, double value, int unit, const char *source_fmt, ...)
{
    va_list ap;
    rp_fig *fig;
    if (!rp_has(value))
        return "not measured";
    fig = figs_push(f);
    if (fig == NULL)
        return "(out of memory)";
    snprintf(fig->label, sizeof fig->label, "%s", label);
    rp_fmt_value(value, unit, fig->shown, sizeof fig->shown);
    snprintf(fig->bold, sizeof fig->bold, "**%s**", fig->shown);
    fig->value = value;
    va_start(ap, source_fmt);
    vsnprintf(fig->source, sizeof fig->source, source_fmt, ap);
    va_end(ap);
    return fig->bold;
}

void rp_figs_free(rp_figs *f)
{
    size_t i;
    for (i = 0; i < f->n; i++)
        free(f->v[i]);
    free(f->v);
    memset(f, 0, sizeof *f);
}

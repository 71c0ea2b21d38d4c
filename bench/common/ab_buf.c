/* ab_buf.c — the growable byte buffer (see ab_buf.h). */
#include "ab_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AB_BUF_FIRST 256 /* the first allocation, in bytes */

void ab_buf_init(ab_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

void ab_buf_free(ab_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    ab_buf_init(b, b->max);
}

void ab_buf_clear(ab_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

int ab_buf_reserve(ab_buf *b, size_t n)
{
    size_t need, cap;
    char *p;
    if (b->failed || n > SIZE_MAX / 2 - b->len || (b->max && b->len + n > b->max))
        goto fail;
    need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    for (cap = b->cap ? b->cap : AB_BUF_FIRST; cap < need; cap *= 2)
        ;
    if (b->max && cap > b->max + 1)
        cap = b->max + 1;
    if ((p = realloc(b->data, cap)) == NULL)
        goto fail;
    b->data = p;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return -1;
}

int ab_buf_append(ab_buf *b, const void *p, size_t n)
{
    if (ab_buf_reserve(b, n) != 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ab_buf_puts(ab_buf *b, const char *s)
{
    return ab_buf_append(b, s, strlen(s));
}

int ab_buf_printf(ab_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    char probe[1];
    va_start(ap, fmt);
    n = vsnprintf(probe, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ab_buf_reserve(b, (size_t)n) != 0) {
        b->failed = 1;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

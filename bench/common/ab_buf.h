/* ab_buf.h — a growable byte buffer, always NUL-terminated, with an optional bound: the one used
 * wherever authbench gathers bytes of unknown length (HTTP bodies, responses, JSON text).
 *
 * A failed growth (over the bound or out of memory) sets `failed`, keeps what was there, and makes
 * every later append fail too, so a writer can append freely and check once at the end. */
#ifndef AB_BUF_H
#define AB_BUF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ab_buf {
    char *data;  /* len bytes then a NUL; NULL until the first growth */
    size_t len;
    size_t cap;  /* bytes allocated */
    size_t max;  /* most bytes it may hold (the NUL not counted); 0: no bound */
    int failed;  /* a growth failed: over max, or out of memory */
} ab_buf;

/* An empty buffer of at most max bytes (0: unbounded); allocates nothing. */
void ab_buf_init(ab_buf *b, size_t max);
/* Frees the memory (the caller owns it until then) and empties b. Accepts NULL. */
void ab_buf_free(ab_buf *b);
/* Empties b, keeping its memory; clears failed. */
void ab_buf_clear(ab_buf *b);
/* Makes room for n more bytes and the NUL (capacity doubles). 0, or -1 with failed set. */
int ab_buf_reserve(ab_buf *b, size_t n);
/* Appends n bytes. 0, or -1 (failed: nothing appended). */
int ab_buf_append(ab_buf *b, const void *p, size_t n);
/* Appends NUL-terminated text. 0 or -1. */
int ab_buf_puts(ab_buf *b, const char *s);
/* Appends formatted text. 0 or -1. */
int ab_buf_printf(ab_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* AB_BUF_H */

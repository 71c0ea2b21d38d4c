/* rp_doc.c — the report as a list of blocks (headings, paragraphs, lists, tables, charts), and its
 * Markdown rendering. The HTML rendering of the same blocks is in rp_html.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rp_int.h"

void rp_doc_add(rp_doc *d, int type, const char *extra, const char *fmt, ...)
{
    va_list ap;
    rp_block *b;
    rp_buf text = {0};
    if (d->oom)
        return;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        rp_block *v = realloc(d->b, cap * sizeof *v);
        if (v == NULL) {
            d->oom = 1;
            return;
        }
        d->b = v;
        d->cap = cap;
    }
    va_start(ap, fmt);
    rp_buf_vprintf(&text, fmt, ap);
    va_end(ap);
    b = &d->b[d->n];
    b->type = type;
    b->text = text.p;
    b->extra = extra ? strdup(extra) : NULL;
    if (text.oom || b->text == NULL || (extra != NULL && b->extra == NULL)) {
        free(b->text);
        free(b->extra);
        d->oom = 1;
        return;
    }
    d->n++;
}

void rp_doc_free(rp_doc *d)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        free(d->b[i].text);
        free(d->b[i].extra);
    }
    free(d->b);
    memset(d, 0, sizeof *d);
}

/* A Markdown table row: cells separated by '\t', '|' escaped. */
static void md_row(rp_buf *out, const char *text)
{
    const char *p;
    rp_buf_puts(out, "| ");
    for (p = text; *p; p++) {
        if (*p == '\t')
            rp_buf_puts(out, " | ");
        else if (*p == '|')
            rp_buf_puts(out, "\\|");
        else
            rp_buf_put(out, p, 1);
    }
    rp_buf_puts(out, " |\n");
}

/* The separator line under a header of n cells. */
static void md_rule(rp_buf *out, const char *head)
{
    const char *p;
    rp_buf_puts(out, "|---");
    for (p = head; *p; p++)
        if (*p == '\t')
            rp_buf_puts(out, "|---");
    rp_buf_puts(out, "|\n");
}

/* Renders one block; next is the following block's type (-1 at the end) to close lists/tables. */
static void md_block(rp_buf *out, const rp_block *b, int next)
{
    static const char *const hashes[] = {"# ", "## ", "### "};
    switch (b->type) {
    case RP_B_H1: case RP_B_H2: case RP_B_H3:
        rp_buf_printf(out, "%s%s\n\n", hashes[b->type - RP_B_H1], b->text);
        break;
    case RP_B_P: rp_buf_printf(out, "%s\n\n", b->text); break;
    case RP_B_LI:
        rp_buf_printf(out, "- %s\n%s", b->text, next == RP_B_LI ? "" : "\n");
        break;
    case RP_B_THEAD: md_row(out, b->text); md_rule(out, b->text); break;
    case RP_B_TROW:
        md_row(out, b->text);
        if (next != RP_B_TROW)
            rp_buf_puts(out, "\n");
        break;
    case RP_B_IMG:
        rp_buf_printf(out, "![%s](charts/%s.svg)\n\n", b->text, b->extra);
        break;
    default: rp_buf_printf(out, "```\n%s\n```\n\n", b->text); break;
    }
}

int rp_doc_markdown(const rp_doc *d, rp_buf *out)
{
    size_t i;
    if (d->oom)
        return -1;
    for (i = 0; i < d->n; i++)
        md_block(out, &d->b[i], i + 1 < d->n ? d->b[i + 1].type : -1);
    return out->oom ? -1 : 0;
}

/* rp_html.c — renders the report's blocks as one self-contained HTML page: inline stylesheet, charts
 * embedded as base64 SVG data URIs, no external URL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ab_cli.h"
#include "rp_int.h"

#define RP_MAX_SVG (32u * 1024 * 1024)

static const char rp_css[] =
    "body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1b1b1b;"
    "background:#fff;margin:0}\n"
    "main{max-width:1000px;margin:0 auto;padding:24px 32px 64px}\n"
    "h1{font-size:1.7em;line-height:1.25;border-bottom:2px solid #0072B2;padding-bottom:.3em}\n"
    "h2{font-size:1.3em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\n"
    "h3{font-size:1.08em;margin-top:1.5em}\n"
    "code{font:.9em/1.4 ui-monospace,'DejaVu Sans Mono',monospace;background:#f3f4f6;padding:0 .25em;border-radius:3px}\n"
    "pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:12px;overflow-x:auto;border-radius:4px}\n"
    "pre code{background:none;padding:0}\n"
    "table{border-collapse:collapse;margin:1em 0;font-size:.86em;display:block;overflow-x:auto}\n"
    "th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#eef3f8}\n"
    "tr:nth-child(even) td{background:#fafbfc}\n"
    "figure{margin:1.2em 0}\n"
    "figure img{width:100%;max-width:960px;height:auto;border:1px solid #e1e4e8;border-radius:4px}\n"
    "strong{color:#003d66}\n"
    "td code{white-space:nowrap}\n";

/* Appends text HTML-escaped, turning **x** into <strong> and `x` into <code>. */
static void html_inline(rp_buf *out, const char *s)
{
    int bold = 0, code = 0;
    for (; *s; s++) {
        if (!code && s[0] == '*' && s[1] == '*') {
            rp_buf_puts(out, bold ? "</strong>" : "<strong>");
            bold = !bold;
            s++;
        } else if (*s == '`') {
            rp_buf_puts(out, code ? "</code>" : "<code>");
            code = !code;
        } else if (*s == '<') {
            rp_buf_puts(out, "&lt;");
        } else if (*s == '>') {
            rp_buf_puts(out, "&gt;");
        } else if (*s == '&') {
            rp_buf_puts(out, "&amp;");
        } else if (*s == '"') {
            rp_buf_puts(out, "&quot;");
        } else {
            rp_buf_put(out, s, 1);
        }
    }
    if (code)
        rp_buf_puts(out, "</code>");
    if (bold)
        rp_buf_puts(out, "</strong>");
}

/* Appends a heading's anchor id: lower-case letters and digits, other runs become '-'. */
static void html_slug(rp_buf *out, const char *s)
{
    int dash = 0;
    for (; *s; s++) {
        char ch = *s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z')) {
            if (dash)
                rp_buf_puts(out, "-");
            ch = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
            rp_buf_put(out, &ch, 1);
            dash = 0;
        } else {
            dash = out->len > 0 && out->p[out->len - 1] != '"';
        }
    }
}

/* One table row of '\t'-separated cells in tag (th or td). */
static void html_row(rp_buf *out, const char *text, const char *tag)
{
    const char *p = text, *tab;
    rp_buf_puts(out, "<tr>");
    for (;;) {
        char cell[4096];
        size_t n;
        tab = strchr(p, '\t');
        n = tab ? (size_t)(tab - p) : strlen(p);
        if (n >= sizeof cell)
            n = sizeof cell - 1;
        memcpy(cell, p, n);
        cell[n] = '\0';
        rp_buf_printf(out, "<%s>", tag);
        html_inline(out, cell);
        rp_buf_printf(out, "</%s>", tag);
        if (tab == NULL)
            break;
        p = tab + 1;
    }
    rp_buf_puts(out, "</tr>\n");
}

/* Embeds charts/<name>.svg as a base64 data URI. */
static int html_img(rp_buf *out, const rp_block *b, const char *charts_dir, char *err, size_t errlen)
{
    char path[4096];
    size_t len;
    unsigned char *b64;
    char *svg;
    snprintf(path, sizeof path, "%s/%s.svg", charts_dir, b->extra);
    svg = ab_read_file(path, RP_MAX_SVG, &len);
    if (svg == NULL) {
        snprintf(err, errlen, "cannot read chart %s: %s", path, strerror(errno));
        return -1;
    }
    b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (b64 == NULL) {
        free(svg);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    EVP_EncodeBlock(b64, (const unsigned char *)svg, (int)len);
    rp_buf_puts(out, "<figure><img alt=\"");
    html_inline(out, b->text);
    rp_buf_printf(out, "\" src=\"data:image/svg+xml;base64,%s\"></figure>\n", (const char *)b64);
    free(b64);
    free(svg);
    return 0;
}

/* Opening and closing tags of list and table groups around block i: a header row always starts a
 * new table; a table ends where its rows end. */
static void html_group(rp_buf *out, const rp_doc *d, size_t i, int closing)
{
    int t = d->b[i].type, prev = i > 0 ? d->b[i - 1].type : -1, next = i + 1 < d->n ? d->b[i + 1].type : -1;
    int is_table = t == RP_B_THEAD || t == RP_B_TROW, prev_table = prev == RP_B_THEAD || prev == RP_B_TROW;
    if (t == RP_B_LI && (closing ? next : prev) != RP_B_LI)
        rp_buf_puts(out, closing ? "</ul>\n" : "<ul>\n");
    if (!closing && (t == RP_B_THEAD || (t == RP_B_TROW && !prev_table)))
        rp_buf_puts(out, "<table>\n");
    if (closing && is_table && next != RP_B_TROW)
        rp_buf_puts(out, "</table>\n");
}

/* One block. */
static int html_block(rp_buf *out, const rp_doc *d, size_t i, const char *charts_dir, char *err, size_t errlen)
{
    static const char *const tags[] = {"h1", "h2", "h3"};
    const rp_block *b = &d->b[i];
    html_group(out, d, i, 0);
    switch (b->type) {
    case RP_B_H1: case RP_B_H2: case RP_B_H3:
        rp_buf_printf(out, "<%s id=\"", tags[b->type - RP_B_H1]);
        html_slug(out, b->text);
        rp_buf_puts(out, "\">");
        html_inline(out, b->text);
        rp_buf_printf(out, "</%s>\n", tags[b->type - RP_B_H1]);
        break;
    case RP_B_P: rp_buf_puts(out, "<p>"); html_inline(out, b->text); rp_buf_puts(out, "</p>\n"); break;
    case RP_B_LI: rp_buf_puts(out, "<li>"); html_inline(out, b->text); rp_buf_puts(out, "</li>\n"); break;
    case RP_B_THEAD: html_row(out, b->text, "th"); break;
    case RP_B_TROW: html_row(out, b->text, "td"); break;
    case RP_B_IMG:
        if (html_img(out, b, charts_dir, err, errlen) != 0)
            return -1;
        break;
    default: rp_buf_puts(out, "<pre><code>"); html_inline(out, b->text); rp_buf_puts(out, "</code></pre>\n"); break;
    }
    html_group(out, d, i, 1);
    return 0;
}

int rp_doc_html(const rp_doc *d, const char *charts_dir, rp_buf *out, char *err, size_t errlen)
{
    size_t i;
    if (d->oom || d->n == 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rp_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    html_inline(out, d->b[0].text);
    rp_buf_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", rp_css);
    for (i = 0; i < d->n; i++)
        if (html_block(out, d, i, charts_dir, err, errlen) != 0)
            return -1;
    rp_buf_puts(out, "</main>\n</body>\n</html>\n");
    if (out->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* uri.c — parsing of store URIs into scheme, credentials, authority, path and options. */
#include "uri.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Value of one hex digit, or -1. */
static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* A malloc'd percent-decoded copy of s[0..len), or NULL (bad escape, NUL byte, or no memory). */
static char *pct_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    size_t i, o = 0;
    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= len || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0 ||
            (hexval(s[i + 1]) | hexval(s[i + 2])) == 0) /* truncated, not hex, or %00 */
            goto fail;
        out[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
        i += 2;
    }
    out[o] = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

/* A malloc'd copy of s[0..len), or NULL. */
static char *dup_n(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

/* Parses the scheme up to "://"; returns the length of "scheme://" or 0. */
static size_t parse_scheme(const char *text, sstore_uri *u)
{
    size_t i = 0;
    if (!isalpha((unsigned char)text[0]))
        return 0;
    while (isalnum((unsigned char)text[i]) || text[i] == '+' || text[i] == '-' || text[i] == '.')
        i++;
    if (strncmp(text + i, "://", 3) != 0)
        return 0;
    u->scheme = dup_n(text, i);
    return u->scheme != NULL ? i + 3 : 0;
}

/* Splits "user[:pass]@host…" (the part before the last '@' of the authority). 0 or -1. */
static int parse_userinfo(const char *s, size_t len, sstore_uri *u, char *err, size_t errlen)
{
    const char *colon = memchr(s, ':', len);
    size_t ulen = colon != NULL ? (size_t)(colon - s) : len;
    if (ulen > 0 && (u->user = pct_decode(s, ulen)) == NULL)
        goto fail;
    if (colon != NULL && (u->pass = pct_decode(colon + 1, len - ulen - 1)) == NULL)
        goto fail;
    if (colon == NULL && ulen > 0) { /* "secret@host": a password alone, as redis-cli -u reads it */
        u->pass = u->user;
        u->user = NULL;
        u->pass_only = 1;
    }
    return 0;
fail:
    snprintf(err, errlen, "bad user or password in the URI (malformed %%-escape?)");
    return -1;
}

/* Parses "k=v&k=v" into u->params. 0 or -1. */
static int parse_query(const char *q, sstore_uri *u, char *err, size_t errlen)
{
    while (*q != '\0') {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t i;
        if (eq == NULL || eq == q) {
            snprintf(err, errlen, "malformed option '%.*s' (expected key=value)", (int)len, q);
            return -1;
        }
        if (u->nparams == SSTORE_URI_MAX_PARAMS) {
            snprintf(err, errlen, "too many options (at most %d)", SSTORE_URI_MAX_PARAMS);
            return -1;
        }
        for (i = 0; i < u->nparams; i++)
            if (strlen(u->params[i].key) == (size_t)(eq - q) && memcmp(u->params[i].key, q, (size_t)(eq - q)) == 0) {
                snprintf(err, errlen, "option '%.*s' given twice", (int)(eq - q), q);
                return -1;
            }
        u->params[u->nparams].key = dup_n(q, (size_t)(eq - q));
        u->params[u->nparams].val = pct_decode(eq + 1, len - (size_t)(eq - q) - 1);
        if (u->params[u->nparams++].val == NULL || u->params[u->nparams - 1].key == NULL) {
            snprintf(err, errlen, "bad value for option '%.*s'", (int)(eq - q), q);
            return -1;
        }
        q += len + (q[len] == '&');
    }
    return 0;
}

/* A malformed URI as it may be shown: up to its scheme, then "***" for all before its last '@'
 * (where a password would be), so that no message echoes one. Into out (len bytes). */
static void shown_uri(const char *text, char *out, size_t len)
{
    const char *at = strrchr(text, '@');
    size_t head = 0;
    if (at == NULL) {
        snprintf(out, len, "%s", text);
        return;
    }
    while (isalnum((unsigned char)text[head]) || text[head] == '+' || text[head] == '-' || text[head] == '.')
        head++;
    head += strspn(text + head, ":/");
    snprintf(out, len, "%.*s***%s", (int)(head < (size_t)(at - text) ? head : (size_t)(at - text)), text, at);
}

/* The last '@' of the authority auth[0..alen), or NULL. */
static const char *userinfo_end(const char *auth, size_t alen)
{
    const char *at = NULL, *p;
    for (p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    return at;
}

int sstore_uri_parse(const char *text, sstore_uri *u, char *err, size_t errlen)
{
    size_t off, alen, plen;
    const char *auth, *at;
    char shown[256];
    memset(u, 0, sizeof *u);
    if (text == NULL || (off = parse_scheme(text, u)) == 0) {
        shown_uri(text == NULL ? "(null)" : text, shown, sizeof shown);
        snprintf(err, errlen, "malformed store URI '%s': expected scheme://… (memory://, redis://host:port, file:///dir)",
                 shown);
        goto fail;
    }
    auth = text + off;
    alen = strcspn(auth, "/?#");
    at = userinfo_end(auth, alen);
    if (at == NULL && alen > 0 && strchr(auth + alen, '@') != NULL) { /* "u:p/w@host": host "u:p" echoed */
        snprintf(err, errlen, "malformed store URI: '@' after the host (a '/', '?' or '#' in a password must be "
                              "%%-escaped)");
        goto fail;
    }
    if (auth[alen] == '#') {
        snprintf(err, errlen, "malformed store URI: a '#' fragment is not allowed");
        goto fail;
    }
    if (at != NULL && parse_userinfo(auth, (size_t)(at - auth), u, err, errlen) != 0)
        goto fail;
    if (at != NULL)
        alen -= (size_t)(at + 1 - auth), auth = at + 1;
    plen = strcspn(auth + alen, "?#");
    if ((u->authority = dup_n(auth, alen)) == NULL || (u->path = pct_decode(auth + alen, plen)) == NULL) {
        snprintf(err, errlen, "malformed path in the store URI (bad %%-escape?)");
        goto fail;
    }
    if (auth[alen + plen] == '#') {
        snprintf(err, errlen, "malformed store URI: a '#' fragment is not allowed");
        goto fail;
    }
    if (auth[alen + plen] == '?' && parse_query(auth + alen + plen + 1, u, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    sstore_uri_free(u);
    return -1;
}

void sstore_uri_free(sstore_uri *u)
{
    size_t i;
    if (u == NULL)
        return;
    free(u->scheme);
    free(u->user);
    free(u->pass);
    free(u->authority);
    free(u->path);
    for (i = 0; i < u->nparams; i++) {
        free(u->params[i].key);
        free(u->params[i].val);
    }
    memset(u, 0, sizeof *u);
}

const char *sstore_uri_get(sstore_uri *u, const char *key)
{
    size_t i;
    for (i = 0; i < u->nparams; i++)
        if (strcmp(u->params[i].key, key) == 0) {
            u->params[i].used = 1;
            return u->params[i].val;
        }
    return NULL;
}

int sstore_uri_u64(sstore_uri *u, const char *key, uint64_t min, uint64_t max, uint64_t dflt,
                   uint64_t *out, char *err, size_t errlen)
{
    const char *v = sstore_uri_get(u, key);
    char *end = NULL;
    unsigned long long n;
    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    errno = 0;
    n = strtoull(v, &end, 10);
    if (!isdigit((unsigned char)v[0]) || *end != '\0' || errno != 0 || n < min || n > max) {
        snprintf(err, errlen, "option %s=%s: expected an integer in [%llu, %llu]", key, v,
                 (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = n;
    return 0;
}

int sstore_uri_enum(sstore_uri *u, const char *key, const char *const *names, int dflt, int *out,
                    char *err, size_t errlen)
{
    const char *v = sstore_uri_get(u, key);
    char list[128] = "";
    int i;
    if (v == NULL) {
        *out = dflt;
        return 0;
    }
    for (i = 0; names[i] != NULL; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "|" : "", names[i]);
    }
    snprintf(err, errlen, "option %s=%s: expected %s", key, v, list);
    return -1;
}

int sstore_uri_check_unused(const sstore_uri *u, char *err, size_t errlen)
{
    size_t i;
    for (i = 0; i < u->nparams; i++)
        if (!u->params[i].used) {
            snprintf(err, errlen, "unknown option '%s' for %s:// URIs", u->params[i].key, u->scheme);
            return -1;
        }
    return 0;
}

/* Parses a decimal port 1..65535 from s[0..len). -1 when malformed. */
static int parse_port(const char *s, size_t len)
{
    int port = 0;
    size_t i;
    if (len == 0 || len > 5)
        return -1;
    for (i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        port = port * 10 + (s[i] - '0');
    }
    return port >= 1 && port <= 65535 ? port : -1;
}

int sstore_uri_hostport(const char *hp, size_t len, char **host, int *port, int default_port,
                        char *err, size_t errlen)
{
    const char *hend, *colon = NULL;
    const char *hstart = hp;
    *host = NULL;
    if (len > 0 && hp[0] == '[') { /* [IPv6]:port */
        hend = memchr(hp, ']', len);
        if (hend == NULL)
            goto fail;
        hstart = hp + 1;
        colon = hend + 1 < hp + len ? hend + 1 : NULL;
        if (colon != NULL && *colon != ':')
            goto fail;
    } else {
        colon = memchr(hp, ':', len);
        hend = colon != NULL ? colon : hp + len;
    }
    if (hend == hstart)
        goto fail;
    *port = colon != NULL ? parse_port(colon + 1, len - (size_t)(colon + 1 - hp)) : default_port;
    if (*port < 0)
        goto fail;
    if ((*host = dup_n(hstart, (size_t)(hend - hstart))) == NULL)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "malformed host:port '%.*s' (expected host:port, port 1..65535)", (int)len, hp);
    return -1;
}

/* mech_opts.c — the options that ride on a mechanism spec (claims=, touch=, l1=, l1_size=, cache=,
 * on_store_error=, access_ttl=, sync_ms=; ab_mech.h "Specs"): taken out of the spec's query,
 * checked, kept in m->set. */
#include "mech_private.h"

#include <ab_cli.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPT_COUNT_MAX 100000000u /* l1_size= and cache= at most (10^8 entries) */
#define OPT_L1_TTL_MAX_US (3600u * 1000000u)

/* Sets one option from its value: 0, or -1 with m's error set. */
typedef int (*opt_set_fn)(ab_mech *m, const char *val);

/* claims=BYTES: a size ("1000", "4k") within AB_MECH_CLAIMS_MIN..AB_MECH_CLAIMS_LIMIT. */
static int set_claims(ab_mech *m, const char *val)
{
    uint64_t n;
    if (ab_parse_size(val, &n) != 0 || n < AB_MECH_CLAIMS_MIN || n > AB_MECH_CLAIMS_LIMIT)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: claims=%s: expected a size of claims JSON in bytes, "
                         "%d..%d (e.g. claims=1000, claims=4k)", m->spec, val, AB_MECH_CLAIMS_MIN,
                         AB_MECH_CLAIMS_LIMIT);
    m->set.claims_bytes = (size_t)n;
    return 0;
}

/* touch=never|always|after:S (S a duration of whole seconds, >= 1 s). */
static int set_touch(ab_mech *m, const char *val)
{
    uint64_t us;
    if (strcmp(val, "never") == 0 || strcmp(val, "always") == 0) {
        m->set.touch = val[0] == 'n' ? AB_MECH_TOUCH_NEVER : AB_MECH_TOUCH_ALWAYS;
        ab_fmt(m->set.touch_name, sizeof m->set.touch_name, "%s", val);
        return 0;
    }
    if (strncmp(val, "after:", 6) != 0 || ab_parse_duration_us(val + 6, &us) != 0 || us < 1000000u ||
        us % 1000000u != 0 || us / 1000000u > SSTORE_TTL_MAX)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: touch=%s: expected never, always or after:S with S "
                         "whole seconds, at least 1 (after:60, after:5m)", m->spec, val);
    m->set.touch = AB_MECH_TOUCH_AFTER;
    m->set.touch_after_s = (int64_t)(us / 1000000u);
    ab_fmt(m->set.touch_name, sizeof m->set.touch_name, "after:%lld", (long long)m->set.touch_after_s);
    return 0;
}

/* l1=TTL: a duration above 0, at most an hour. */
static int set_l1(ab_mech *m, const char *val)
{
    uint64_t us;
    if (ab_parse_duration_us(val, &us) != 0 || us == 0 || us > OPT_L1_TTL_MAX_US)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: l1=%s: expected the cache's staleness bound, a "
                         "duration above 0 and at most 1h (l1=500ms, l1=2s)", m->spec, val);
    m->set.l1_ttl_us = us;
    return 0;
}

/* A count of entries, 1..OPT_COUNT_MAX, into *out. */
static int set_count(ab_mech *m, const char *name, const char *val, size_t *out)
{
    uint64_t n;
    if (ab_parse_u64(val, 1, OPT_COUNT_MAX, &n) != 0)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: %s=%s: expected a number of entries, 1..%u", m->spec,
                         name, val, OPT_COUNT_MAX);
    *out = (size_t)n;
    return 0;
}

/* l1_size=N. */
static int set_l1_size(ab_mech *m, const char *val)
{
    return set_count(m, "l1_size", val, &m->set.l1_size);
}

/* cache=N. */
static int set_cache(ab_mech *m, const char *val)
{
    return set_count(m, "cache", val, &m->set.cache_size);
}

/* on_store_error=closed|open. */
static int set_on_error(ab_mech *m, const char *val)
{
    if (strcmp(val, "closed") != 0 && strcmp(val, "open") != 0)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: on_store_error=%s: expected closed (refuse, 503) or "
                         "open (accept on the signature alone)", m->spec, val);
    m->set.store_error_open = strcmp(val, "open") == 0;
    return 0;
}

/* access_ttl=S (jwt+refresh): whole seconds, at least 1 ("300", "5m"). */
static int set_access_ttl(ab_mech *m, const char *val)
{
    uint64_t us;
    if (ab_parse_duration_us(val, &us) != 0 || us < 1000000u || us % 1000000u != 0 || us / 1000000u > SSTORE_TTL_MAX)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: access_ttl=%s: expected whole seconds from 1 (300, 5m)",
                         m->spec, val);
    m->set.access_ttl_s = (int64_t)(us / 1000000u);
    return 0;
}

/* sync_ms=N (jwt+pushed-denylist over a polled store): 1..SSTORE_PUBSUB_SYNC_MS_MAX. */
static int set_sync_ms(ab_mech *m, const char *val)
{
    uint64_t n;
    if (ab_parse_u64(val, 1, SSTORE_PUBSUB_SYNC_MS_MAX, &n) != 0)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: sync_ms=%s: expected the poll interval in milliseconds, "
                         "1..%d", m->spec, val, SSTORE_PUBSUB_SYNC_MS_MAX);
    m->set.sync_ms = (unsigned)n;
    return 0;
}

static const struct {
    const char *name;
    unsigned bit;
    opt_set_fn set;
} opts[] = {
    {"claims", MECH_OPT_CLAIMS, set_claims},  {"touch", MECH_OPT_TOUCH, set_touch},
    {"l1", MECH_OPT_L1, set_l1},              {"l1_size", MECH_OPT_L1, set_l1_size},
    {"cache", MECH_OPT_CACHE, set_cache},     {"on_store_error", MECH_OPT_ON_ERROR, set_on_error},
    {"access_ttl", MECH_OPT_ACCESS_TTL, set_access_ttl}, {"sync_ms", MECH_OPT_SYNC, set_sync_ms},
};

/* What a family takes, for messages: "claims=BYTES, cache=N" or "no options". */
static const char *taken(unsigned mask, char *buf, size_t len)
{
    static const struct { unsigned bit; const char *form; } forms[] = {
        {MECH_OPT_CLAIMS, "claims=BYTES"}, {MECH_OPT_TOUCH, "touch=never|always|after:S"},
        {MECH_OPT_L1, "l1=TTL, l1_size=N"}, {MECH_OPT_CACHE, "cache=N"},
        {MECH_OPT_ON_ERROR, "on_store_error=closed|open"}, {MECH_OPT_ACCESS_TTL, "access_ttl=S"},
        {MECH_OPT_SYNC, "sync_ms=N"}};
    size_t i, n = 0;
    buf[0] = '\0';
    for (i = 0; i < sizeof forms / sizeof forms[0]; i++)
        if (mask & forms[i].bit)
            n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "", forms[i].form);
    return n ? buf : "no options";
}

/* Applies one name=value pair (len bytes at p) if it is a mechanism option: 1 taken, 0 not one
 * of ours (a store option), -1 refused (m's error set). */
static int take_one(ab_mech *m, char *p, size_t len)
{
    char form[160];
    char *eq = memchr(p, '=', len);
    size_t i, nlen = eq != NULL ? (size_t)(eq - p) : len;
    for (i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        if (strlen(opts[i].name) != nlen || strncmp(p, opts[i].name, nlen) != 0)
            continue;
        if (!(m->ops->options & opts[i].bit))
            return mech_fail(m, AB_MECH_MALFORMED, "%s: %s= is not an option of %s (it takes %s)", m->spec,
                             opts[i].name, m->ops->family, taken(m->ops->options, form, sizeof form));
        p[len] = '\0';
        return opts[i].set(m, eq != NULL ? eq + 1 : "") == 0 ? 1 : -1;
    }
    if (!(m->ops->options & MECH_OPT_STORE))
        return mech_fail(m, AB_MECH_MALFORMED, "%s: unknown option '%.*s' (%s takes %s)", m->spec,
                         (int)nlen, p, m->ops->family, taken(m->ops->options, form, sizeof form));
    return 0;
}

/* The checks across options, and the defaults they leave. 0 or -1. */
static int settle(ab_mech *m)
{
    if (m->set.l1_size != 0 && m->set.l1_ttl_us == 0)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: l1_size= needs l1=TTL", m->spec);
    if (m->set.l1_ttl_us != 0 && m->set.touch != AB_MECH_TOUCH_NEVER)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: l1= with touch=%s: not supported (an L1 hit does not "
                         "see or write the store's last-touch time); use one of them", m->spec,
                         m->set.touch_name);
    if (m->set.l1_ttl_us != 0 && m->set.l1_size == 0)
        m->set.l1_size = AB_MECH_L1_SIZE;
    if ((m->ops->options & MECH_OPT_TOUCH) && m->set.touch_name[0] == '\0')
        ab_fmt(m->set.touch_name, sizeof m->set.touch_name, "never");
    m->claims_cap = m->set.claims_bytes + 1 > MECH_CLAIMS_MAX ? m->set.claims_bytes + 1 : MECH_CLAIMS_MAX;
    return 0;
}

char *mech_opts_take(ab_mech *m, const char *arg)
{
    char *out = strdup(arg), *q, *p, *w;
    if (out == NULL) {
        mech_fail(m, AB_MECH_INTERNAL, "out of memory");
        return NULL;
    }
    if ((q = strchr(out, '?')) != NULL) {
        char *end = q + strlen(q);
        for (p = w = q + 1; p < end;) { /* w: where the next kept pair goes (w <= p) */
            size_t len = strcspn(p, "&");
            char *next = p + len + 1;
            int r = take_one(m, p, len);
            if (r < 0) {
                free(out);
                return NULL;
            }
            if (r == 0) {
                memmove(w, p, len);
                w += len;
                *w++ = '&';
            }
            p = next;
        }
        w[-1] = '\0'; /* the last '&' kept, or the '?' when nothing was */
    }
    if (settle(m) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

int ab_mech_options_parse(const char *family, const char *query, ab_mech_settings *out, char *err,
                          size_t len)
{
    const mech_ops *f = mech_family_named(family != NULL ? family : "");
    mech_ops ops;
    ab_mech m;
    char *arg = NULL, *rest = NULL;
    if (f == NULL)
        return ab_fmt(err, len, "unknown mechanism family '%s'", family != NULL ? family : ""), -1;
    ops = *f;
    ops.options &= ~MECH_OPT_STORE; /* a scenario names no store options: any other is unknown */
    memset(&m, 0, sizeof m);
    m.ops = &ops;
    if ((m.spec = arg = malloc(strlen(query) + strlen(family) + 3)) != NULL) {
        sprintf(arg, "%s?%s", family, query);
        rest = mech_opts_take(&m, arg + strlen(family));
    }
    if (rest == NULL) {
        ab_fmt(err, len, "%s", arg == NULL ? "out of memory" : m.errstr);
        free(arg);
        return -1;
    }
    if (out != NULL)
        *out = m.set;
    free(rest);
    free(arg);
    return 0;
}

/* mech.c — the mechanism layer's front: spec parsing, the backend table, claims, counters, and the
 * "none" mechanism (the floor). */
#include "mech_private.h"
#include "mech_cache.h"

#include <ab_cli.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[AB_MECH_STATUS__COUNT] = {
    "ok", "missing_credential", "malformed", "bad_signature", "expired", "invalid_claims",
    "revoked", "unknown_session", "store_unavailable", "bad_user", "internal",
};

/* Families in match order: "jwt+denylist:" before "jwt:". */
static const mech_ops *const families[] = {
    &ab_mech_none_ops, &ab_mech_session_ops, &ab_mech_denylist_ops, &ab_mech_jwt_ops,
    &ab_mech_pushed_ops, &ab_mech_refresh_ops,
};

const char *ab_mech_status_name(int status)
{
    if (status < 0 || status >= AB_MECH_STATUS__COUNT)
        return "unknown";
    return status_names[status];
}

int ab_mech_status_http(int status)
{
    switch (status) {
    case AB_MECH_OK: return 200;
    case AB_MECH_STORE_ERROR: return 503;
    case AB_MECH_BAD_USER: return 400;
    case AB_MECH_INTERNAL: return 500;
    default: return 401;
    }
}

const char *ab_mech_kind_name(ab_mech_kind kind)
{
    return kind == AB_MECH_COOKIE ? "cookie" : "bearer";
}

/* Sets an error code and its message (the shared body of mech_fail and mech_ctx_fail). */
static void set_error(int *err, char *buf, size_t cap, int code, const char *fmt, va_list ap)
{
    *err = code;
    vsnprintf(buf, cap, fmt, ap);
}

int mech_fail(ab_mech *m, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(&m->err, m->errstr, sizeof m->errstr, code, fmt, ap);
    va_end(ap);
    return -1;
}

int mech_ctx_fail(ab_mech_ctx *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(&c->err, c->errstr, sizeof c->errstr, status, fmt, ap);
    va_end(ap);
    return status;
}

int mech_user_valid(const char *name, size_t len)
{
    size_t i;
    if (len == 0 || len > AB_MECH_USER_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

int mech_set_principal(ab_mech_principal *out, const char *sub, size_t len, int status_if_bad)
{
    if (sub == NULL || !mech_user_valid(sub, len))
        return status_if_bad;
    memcpy(out->sub, sub, len);
    out->sub[len] = '\0';
    return AB_MECH_OK;
}

int mech_store_status(int st, int not_found)
{
    switch (st) {
    case SSTORE_OK: return AB_MECH_OK;
    case SSTORE_NOT_FOUND: return not_found;
    case SSTORE_ERR_ARG: return AB_MECH_MALFORMED;
    default: return AB_MECH_STORE_ERROR;
    }
}

int mech_open_store(ab_mech *m, const char *uri)
{
    char shown[512], why[512]; /* the URI and the store's message with any password masked */
    ab_mask_secrets(uri, shown, sizeof shown);
    m->store = sstore_open(uri);
    if (m->store == NULL)
        return mech_fail(m, AB_MECH_INTERNAL, "out of memory opening store %s", shown);
    if (sstore_err(m->store) != SSTORE_OK)
        return mech_fail(m, AB_MECH_STORE_ERROR, "store %s: %s", shown,
                         ab_mask_secrets(sstore_errstr(m->store), why, sizeof why));
    return 0;
}

/* A loop handle's store connects without waiting, so it cannot say yet that the store is out of
 * reach or refuses the password: one blocking connection, made and dropped, says it (the promise
 * of ab_mech_ctx_new_loop: errors as for ab_mech_ctx_new). 0, or -1 when out of memory. */
static int probe_store(ab_mech_ctx *c)
{
    sstore_conn *probe = sstore_connect(c->m->store);
    if (probe == NULL) {
        mech_ctx_fail(c, AB_MECH_INTERNAL, "out of memory connecting to the store");
        return -1;
    }
    if (sstore_conn_err(probe) != SSTORE_OK)
        mech_ctx_fail(c, AB_MECH_STORE_ERROR, "store: %s", sstore_conn_errstr(probe));
    sstore_conn_free(probe);
    return 0;
}

int mech_connect_store(ab_mech_ctx *c)
{
    /* a store that answers inside the submit (memory://) gets a blocking connection even on a loop:
     * it never waits, and saves the submit and callback per call (ab_mech_ctx_async is then 0) */
    int err, nonblocking = c->has_loop && !sstore_completes_inline(c->m->store);
    if (nonblocking && probe_store(c) != 0)
        return -1;
    if (nonblocking)
        c->async = sstore_async_connect(c->m->store, &c->loop);
    else
        c->conn = sstore_connect(c->m->store);
    if (c->conn == NULL && c->async == NULL) {
        mech_ctx_fail(c, AB_MECH_INTERNAL, "out of memory connecting to the store");
        return -1;
    }
    err = c->async != NULL ? sstore_async_err(c->async) : sstore_conn_err(c->conn);
    if (err != SSTORE_OK && c->err == 0)
        mech_ctx_fail(c, AB_MECH_STORE_ERROR, "store: %s",
                      c->async != NULL ? sstore_async_errstr(c->async) : sstore_conn_errstr(c->conn));
    return 0;
}

void mech_disconnect_store(ab_mech_ctx *c)
{
    sstore_async_free(c->async); /* completes what is in flight: its done callbacks run now */
    c->async = NULL;
    sstore_conn_free(c->conn);
    c->conn = NULL;
}

size_t ab_mech_claims(const char *user, int64_t iat, int64_t ttl_s, const char *jti, char *out,
                      size_t cap)
{
    int n;
    if (user == NULL || !mech_user_valid(user, strlen(user)))
        return 0;
    n = snprintf(out, cap,
                 "{\"sub\":\"%s\",\"iss\":\"authbench\",\"aud\":\"authbench-api\",\"iat\":%lld,"
                 "\"exp\":%lld,\"jti\":\"%s\",\"roles\":[\"user\"],\"name\":\"Test User %s\","
                 "\"email\":\"%s@users.authbench.example\"}",
                 user, (long long)iat, (long long)(iat + ttl_s), jti, user, user);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Fillers of the padded claims: deterministic, so every user's credential is the same size. */
static const char scope_words[] = "openid profile email orders:read orders:write invoices:read "
                                  "invoices:write payments:read reports:read admin:audit ";
#define CLAIMS_GROUP_FMT "\"grp-%05u-authbench-users\"" /* CLAIMS_GROUP_LEN bytes a group */
#define CLAIMS_GROUP_LEN 27

/* Appends n bytes of the scope words (cycled) at out. */
static void fill_scope(char *out, size_t n)
{
    size_t i, w = sizeof scope_words - 1;
    for (i = 0; i < n; i++)
        out[i] = scope_words[i % w];
}

size_t ab_mech_claims_sized(const char *user, int64_t iat, int64_t ttl_s, const char *jti,
                            size_t bytes, char *out, size_t cap)
{
    static const char mid[] = "\",\"groups\":[";
    size_t n = ab_mech_claims(user, iat, ttl_s, jti, out, cap), fixed, rest, groups, k, at;
    fixed = n - 1 + strlen(",\"scope\":\"") + strlen(mid) + strlen("]}");
    if (n == 0 || bytes < fixed || bytes >= cap)
        return n; /* no padding asked, or no room for any: the plain claims */
    rest = bytes - fixed;
    groups = rest * 2 / 3 / (CLAIMS_GROUP_LEN + 1); /* two thirds in groups, the rest in scope */
    if (groups > 0 && rest < groups * (CLAIMS_GROUP_LEN + 1) - 1)
        groups--;
    at = n - 1;
    at += (size_t)sprintf(out + at, ",\"scope\":\"");
    k = rest - (groups > 0 ? groups * (CLAIMS_GROUP_LEN + 1) - 1 : 0); /* the scope's length */
    fill_scope(out + at, k);
    at += k;
    at += (size_t)sprintf(out + at, "%s", mid);
    for (k = 0; k < groups; k++)
        at += (size_t)sprintf(out + at, k ? "," CLAIMS_GROUP_FMT : CLAIMS_GROUP_FMT, (unsigned)(k + 1) % 100000u);
    at += (size_t)sprintf(out + at, "]}");
    return at;
}

const char *ab_mech_size_note(size_t len)
{
    if (len > AB_MECH_HEADER_LIMIT)
        return "over the 8192-byte header limit (answered 431 by servers with an 8 KiB header buffer)";
    if (len > AB_MECH_COOKIE_LIMIT)
        return "over the 4096-byte cookie limit";
    return "";
}

const mech_ops *mech_family_named(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof families / sizeof families[0]; i++)
        if (strcmp(families[i]->family, name) == 0)
            return families[i];
    return NULL;
}

/* Picks the family whose prefix starts spec; *arg gets the rest. NULL when none matches. */
static const mech_ops *find_family(const char *spec, const char **arg)
{
    size_t i;
    for (i = 0; i < sizeof families / sizeof families[0]; i++) {
        const char *p = families[i]->prefix;
        size_t n = strlen(p);
        int whole = p[n - 1] != ':';
        if (whole ? strcmp(spec, p) == 0 : strncmp(spec, p, n) == 0) {
            *arg = spec + n;
            return families[i];
        }
    }
    return NULL;
}

/* The caches the options ask for. 0, or -1 with m's error set. */
static int open_caches(ab_mech *m)
{
    if (m->set.l1_ttl_us != 0 && (m->l1 = mech_cache_new(m->set.l1_size)) == NULL)
        return mech_fail(m, AB_MECH_INTERNAL, "out of memory for the L1 cache");
    if (m->set.cache_size != 0 && (m->tcache = mech_cache_new(m->set.cache_size)) == NULL)
        return mech_fail(m, AB_MECH_INTERNAL, "out of memory for the verified-token cache");
    return 0;
}

/* Takes the spec's options out of arg, then opens the family on the rest. */
static void open_family(ab_mech *m, const char *arg)
{
    char *rest = mech_opts_take(m, arg);
    if (rest != NULL && m->ops->open(m, rest) == 0)
        open_caches(m);
    free(rest);
}

ab_mech *ab_mech_open(const char *spec, const ab_mech_options *options)
{
    ab_mech *m = calloc(1, sizeof *m);
    const char *arg = NULL;
    size_t n;
    if (m == NULL)
        return NULL;
    m->ttl_s = options != NULL && options->ttl_s > 0 ? options->ttl_s : AB_MECH_DEFAULT_TTL;
    m->key_file = options != NULL ? options->key_file : NULL;
    m->raw = strdup(spec != NULL ? spec : "");
    n = m->raw != NULL ? 2 * strlen(m->raw) + 8 : 0; /* "***" may be longer than a tiny password */
    m->spec = m->raw != NULL ? malloc(n) : NULL;
    if (m->spec == NULL) {
        free(m->raw);
        free(m);
        return NULL;
    }
    ab_mask_secrets(m->raw, m->spec, n);
    m->ops = find_family(m->raw, &arg);
    if (m->ops == NULL)
        mech_fail(m, AB_MECH_MALFORMED, "unknown mechanism '%s' (use none, session:<store URI>, "
                  "jwt:<ALG>, jwt+denylist:<ALG>,<store URI>, jwt+pushed-denylist:<ALG>,<store URI> or "
                  "jwt+refresh:<ALG>,<store URI>?access_ttl=S)", m->spec);
    else
        open_family(m, arg);
    m->key_file = NULL;
    return m;
}

void ab_mech_close(ab_mech *m)
{
    if (m == NULL)
        return;
    if (m->ops != NULL)
        m->ops->close(m);
    mech_cache_free(m->l1);
    mech_cache_free(m->tcache);
    free(m->spec);
    free(m->raw);
    free(m);
}

int ab_mech_err(const ab_mech *m) { return m->err; }
const char *ab_mech_errstr(const ab_mech *m) { return m->errstr; }
const char *ab_mech_spec(const ab_mech *m) { return m->spec; }
const char *ab_mech_family(const ab_mech *m) { return m->ops != NULL ? m->ops->family : "invalid"; }
ab_mech_kind ab_mech_kind_of(const ab_mech *m) { return m->ops != NULL ? m->ops->kind : AB_MECH_BEARER; }
int ab_mech_can_revoke(const ab_mech *m) { return m->ops != NULL && m->ops->can_revoke; }
const ab_mech_settings *ab_mech_settings_of(const ab_mech *m) { return &m->set; }
size_t ab_mech_credential_max(const ab_mech *m) { return m->cred_max; }

/* A handle on m, for a loop (non-blocking store) when loop is not NULL. */
static ab_mech_ctx *ctx_new(ab_mech *m, const ab_mech_loop *loop)
{
    ab_mech_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->m = m;
    if ((c->claims = malloc(m->claims_cap > 0 ? m->claims_cap : MECH_CLAIMS_MAX)) == NULL) {
        free(c);
        return NULL;
    }
    if (loop != NULL) {
        c->has_loop = 1;
        c->loop = (sstore_loop){loop->data, loop->add_read, loop->del_read, loop->add_write,
                                loop->del_write, loop->cleanup};
    }
    if (m->err != 0 || m->ops == NULL)
        mech_ctx_fail(c, AB_MECH_INTERNAL, "the mechanism did not open: %s", m->errstr);
    else if (m->ops->ctx_init(c) != 0) {
        ab_mech_ctx_free(c);
        return NULL;
    }
    return c;
}

ab_mech_ctx *ab_mech_ctx_new(ab_mech *m)
{
    return ctx_new(m, NULL);
}

ab_mech_ctx *ab_mech_ctx_new_loop(ab_mech *m, const ab_mech_loop *loop)
{
    return ctx_new(m, loop);
}

void ab_mech_ctx_free(ab_mech_ctx *c)
{
    mech_op *op, *next;
    if (c == NULL)
        return;
    if (c->m->err == 0 && c->m->ops != NULL)
        c->m->ops->ctx_free(c);
    for (op = c->free_ops; op != NULL; op = next) {
        next = op->next;
        free(op);
    }
    free(c->claims);
    free(c);
}

int ab_mech_ctx_err(const ab_mech_ctx *c) { return c->err; }
const char *ab_mech_ctx_errstr(const ab_mech_ctx *c) { return c->errstr; }

int mech_count(ab_mech_ctx *c, int status, uint64_t *ok_counter)
{
    if (status == AB_MECH_OK) {
        (*ok_counter)++;
        c->err = 0;
        c->errstr[0] = '\0';
    } else if (status > 0 && status < AB_MECH_STATUS__COUNT) {
        c->n.failures[status]++;
    }
    return status;
}

/* Which of a family's _async calls a blocking call would stand in for. */
enum { MECH_ISSUE, MECH_AUTHENTICATE, MECH_REVOKE };

/* 1 when c can make blocking call `call`; otherwise sets the error. A loop handle cannot when the
 * call waits on its store (the family has an _async variant of it). */
static int usable(ab_mech_ctx *c, int call)
{
    const mech_ops *o = c->m->ops;
    if (c->m->err != 0 || o == NULL) {
        mech_ctx_fail(c, AB_MECH_INTERNAL, "the mechanism did not open: %s", c->m->errstr);
        return 0;
    }
    if (c->async != NULL && (call == MECH_ISSUE      ? o->issue_async != NULL
                             : call == MECH_REVOKE ? o->revoke_async != NULL
                                                   : o->authenticate_async != NULL)) {
        mech_ctx_fail(c, AB_MECH_INTERNAL, "a loop handle's store does not block: use the _async calls");
        return 0;
    }
    return 1;
}

int mech_issue_claims(ab_mech_ctx *c, const char *user, size_t *n)
{
    char jti[SSTORE_ID_LEN + 1];
    if (user == NULL || !mech_user_valid(user, strlen(user)))
        return mech_ctx_fail(c, AB_MECH_BAD_USER, "user name must be 1..%d characters of [A-Za-z0-9._-]",
                             AB_MECH_USER_MAX);
    if (sstore_id_new(jti) != SSTORE_OK)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "no random bytes for a jti");
    *n = ab_mech_claims_sized(user, ab_wall_s(), c->m->ttl_s, jti, c->m->set.claims_bytes, c->claims,
                              c->m->claims_cap);
    return AB_MECH_OK;
}

int ab_mech_issue(ab_mech_ctx *c, const char *user, char *out, size_t cap, size_t *out_len)
{
    size_t n = 0;
    int st = usable(c, MECH_ISSUE) ? mech_issue_claims(c, user, &n) : AB_MECH_INTERNAL;
    if (st == AB_MECH_OK)
        st = c->m->ops->issue(c, user, c->claims, n, out, cap, out_len);
    return mech_count(c, st, &c->n.issued);
}

int ab_mech_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    int st = usable(c, MECH_AUTHENTICATE) ? c->m->ops->authenticate(c, cred, len, out) : AB_MECH_INTERNAL;
    return mech_count(c, st, &c->n.authenticated);
}

int ab_mech_revoke(ab_mech_ctx *c, const char *cred, size_t len)
{
    int st = usable(c, MECH_REVOKE) ? c->m->ops->revoke(c, cred, len) : AB_MECH_INTERNAL;
    return mech_count(c, st, &c->n.revoked);
}

void ab_mech_ctx_counters(const ab_mech_ctx *c, ab_mech_counters *out)
{
    if (c == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = c->n;
    memset(&out->store, 0, sizeof out->store);
    if (c->async != NULL)
        sstore_async_counters(c->async, &out->store);
    else if (c->conn != NULL)
        sstore_conn_counters(c->conn, &out->store);
    else if (c->pubsub != NULL)
        sstore_pubsub_counters(c->pubsub, &out->store);
}

void ab_mech_counters_add(ab_mech_counters *acc, const ab_mech_counters *x)
{
    size_t i;
#define ADD_(name, desc) acc->name += x->name;
    AB_MECH_COUNTERS(ADD_)
#undef ADD_
    for (i = 0; i < AB_MECH_STATUS__COUNT; i++)
        acc->failures[i] += x->failures[i];
    sstore_counters_add(&acc->store, &x->store);
}

/* ---- none: the credential is the user name ---------------------------------------------- */

/* Opens "none": nothing to set up. */
static int none_open(ab_mech *m, const char *arg)
{
    (void)arg;
    m->cred_max = AB_MECH_USER_MAX;
    return 0;
}

/* Nothing to release. */
static void none_close(ab_mech *m) { (void)m; }
/* No per-thread state. */
static int none_ctx_init(ab_mech_ctx *c) { (void)c; return 0; }
/* No per-thread state. */
static void none_ctx_free(ab_mech_ctx *c) { (void)c; }

/* The credential is the user name itself. */
static int none_issue(ab_mech_ctx *c, const char *user, const char *claims, size_t claims_len,
                      char *out, size_t cap, size_t *out_len)
{
    size_t n = strlen(user);
    (void)claims; (void)claims_len;
    if (cap <= n)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "credential buffer too small");
    memcpy(out, user, n + 1);
    *out_len = n;
    return AB_MECH_OK;
}

/* Copies the name: the floor does no work beyond checking it is a name. */
static int none_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    if (mech_set_principal(out, cred, len, AB_MECH_MALFORMED) != AB_MECH_OK)
        return mech_ctx_fail(c, AB_MECH_MALFORMED, "not a user name (%zu bytes)", len);
    return AB_MECH_OK;
}

/* Nothing can be revoked: succeeds for any credential that authenticates. */
static int none_revoke(ab_mech_ctx *c, const char *cred, size_t len)
{
    ab_mech_principal p;
    return none_authenticate(c, cred, len, &p);
}

const mech_ops ab_mech_none_ops = {
    "none", "none", AB_MECH_BEARER, 0,
    none_open, none_close, none_ctx_init, none_ctx_free, none_issue, none_authenticate, none_revoke,
    NULL, NULL, NULL, 0,
};

/* mech_session.c — the "session:<store URI>" mechanism: the claims live in a store under a random
 * session id, which travels as the cookie "sid". */
#include "mech_private.h"
#include "mech_cache.h"

#include <ab_cli.h>
#include <cjson/cJSON.h>

#include <string.h>
#include <time.h>

/* Opens the store named by the rest of the spec. */
static int session_open(ab_mech *m, const char *uri)
{
    m->cred_max = SSTORE_ID_LEN;
    if (*uri == '\0')
        return mech_fail(m, AB_MECH_MALFORMED, "session: needs a store URI (session:memory://, "
                         "session:redis://host:port, session:redis-cluster://host:port,…, session:file:///dir)");
    return mech_open_store(m, uri);
}

/* Closes the store. */
static void session_close(ab_mech *m)
{
    sstore_close(m->store);
}

/* Each thread has its own store connection. */
static int session_ctx_init(ab_mech_ctx *c)
{
    return mech_connect_store(c);
}

/* Drops the thread's connection. */
static void session_ctx_free(ab_mech_ctx *c)
{
    mech_disconnect_store(c);
}

/* Creates a session holding the claims; the credential is its id. */
static int session_issue(ab_mech_ctx *c, const char *user, const char *claims, size_t claims_len,
                         char *out, size_t cap, size_t *out_len)
{
    char id[SSTORE_ID_LEN + 1];
    int st;
    (void)user;
    if (cap <= SSTORE_ID_LEN)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "credential buffer too small");
    st = sstore_create(c->conn, claims, claims_len, c->m->ttl_s, id);
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_STORE_ERROR), "session create: %s",
                             sstore_conn_errstr(c->conn));
    memcpy(out, id, SSTORE_ID_LEN + 1);
    *out_len = SSTORE_ID_LEN;
    return AB_MECH_OK;
}

/* Copies a credential into a NUL-terminated session key; MALFORMED when it cannot be one. */
static int session_key(ab_mech_ctx *c, const char *cred, size_t len, char key[SSTORE_KEY_MAX + 1])
{
    if (len == 0 || len > SSTORE_KEY_MAX)
        return mech_ctx_fail(c, AB_MECH_MALFORMED, "session id of %zu bytes", len);
    memcpy(key, cred, len);
    key[len] = '\0';
    if (!sstore_id_valid(key))
        return mech_ctx_fail(c, AB_MECH_MALFORMED, "session id with characters outside [A-Za-z0-9_-]");
    return AB_MECH_OK;
}

/* Reads the session's claims the way an app deserialises its session, and takes sub from them. */
static int session_principal(ab_mech_ctx *c, const sstore_session *s, ab_mech_principal *out)
{
    cJSON *root = cJSON_ParseWithLength(s->data, s->data_len);
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(root, "sub");
    int st = AB_MECH_STORE_ERROR;
    if (cJSON_IsString(sub))
        st = mech_set_principal(out, sub->valuestring, strlen(sub->valuestring), AB_MECH_STORE_ERROR);
    cJSON_Delete(root);
    if (st != AB_MECH_OK)
        mech_ctx_fail(c, st, "stored session is not a claims object with a valid sub");
    return st;
}

/* ---- the L1 cache (l1=): id -> claims in the server's memory, at most TTL old ----------------- */

/* An L1 hit for the session key: 1 with *st the principal's status (the claims are parsed as a
 * store read's are), or 0 (no L1, or a miss: the caller reads the store). */
static int l1_lookup(ab_mech_ctx *c, const char *key, ab_mech_principal *out, int *st)
{
    sstore_session s = {0};
    if (c->m->l1 == NULL)
        return 0;
    if (!mech_cache_get(c->m->l1, key, strlen(key), ab_now_us(), c->claims, c->m->claims_cap, &s.data_len)) {
        c->n.l1_misses++;
        return 0;
    }
    c->n.l1_hits++;
    s.data = c->claims;
    *st = session_principal(c, &s, out);
    return 1;
}

/* Keeps a session read from the store in L1 for the TTL, never past the session's own expiry
 * (s->expires is whole seconds cut down: at or before the real one). */
static void l1_keep(ab_mech_ctx *c, const char *key, const sstore_session *s)
{
    struct timespec ts;
    uint64_t now = ab_now_us(), ttl = c->m->set.l1_ttl_us;
    int64_t left_us;
    if (c->m->l1 == NULL || s->data_len >= c->m->claims_cap) /* a hit could not be copied out */
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    left_us = s->expires * 1000000 - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
    if (left_us <= 0)
        return;
    if ((uint64_t)left_us < ttl)
        ttl = (uint64_t)left_us;
    mech_cache_put(c->m->l1, key, strlen(key), s->data, s->data_len, now + ttl); /* out of memory: a miss later */
}

/* A logout on this server drops the session's entry, once the store has deleted it. A lookup by
 * another thread that read the store before the delete and lands after it can put the entry back:
 * it then lives at most TTL, the bound every other server has anyway. */
static void l1_forget(ab_mech_ctx *c, const char *key)
{
    if (c->m->l1 != NULL)
        mech_cache_del(c->m->l1, key, strlen(key));
}

/* ---- rolling expiry (touch=) ------------------------------------------------------------------ */

/* 1 when authenticating s writes it back: touch=always, or after:S with the last write S old. */
static int touch_due(const ab_mech_ctx *c, const sstore_session *s)
{
    const ab_mech_settings *o = &c->m->set;
    return o->touch == AB_MECH_TOUCH_ALWAYS ||
           (o->touch == AB_MECH_TOUCH_AFTER && ab_wall_s() - s->last_seen >= o->touch_after_s);
}

/* The answer of a touch: the session was authenticated, but a failed write is the request's
 * failure (as with a framework saving its session), UNKNOWN_SESSION when it expired meanwhile. */
static int touch_status(ab_mech_ctx *c, int st, const char *errstr)
{
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_UNKNOWN_SESSION), "session touch: %s",
                             st == SSTORE_NOT_FOUND ? "no such session" : errstr);
    return AB_MECH_OK;
}

/* A session read from the store: its principal, then what L1 and touch= do with it (blocking). */
static int session_found(ab_mech_ctx *c, const char *key, const sstore_session *s, ab_mech_principal *out)
{
    int st = session_principal(c, s, out);
    if (st != AB_MECH_OK)
        return st;
    l1_keep(c, key, s);
    if (!touch_due(c, s))
        return AB_MECH_OK;
    c->n.touches++;
    st = sstore_touch(c->conn, key, c->m->ttl_s);
    return touch_status(c, st, sstore_conn_errstr(c->conn));
}

/* One store read per request (none on an L1 hit): the session, or UNKNOWN_SESSION when it is gone
 * or expired; touch= may add a write. */
static int session_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    char key[SSTORE_KEY_MAX + 1];
    sstore_session s;
    int st = session_key(c, cred, len, key);
    if (st != AB_MECH_OK || l1_lookup(c, key, out, &st))
        return st;
    st = sstore_get(c->conn, key, &s);
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_UNKNOWN_SESSION), "session: %s",
                             st == SSTORE_NOT_FOUND ? "no such session" : sstore_conn_errstr(c->conn));
    return session_found(c, key, &s, out);
}

/* Logout deletes the session: UNKNOWN_SESSION when it was not there. */
static int session_revoke(ab_mech_ctx *c, const char *cred, size_t len)
{
    char key[SSTORE_KEY_MAX + 1];
    int st = session_key(c, cred, len, key);
    if (st != AB_MECH_OK)
        return st;
    st = sstore_delete(c->conn, key);
    l1_forget(c, key);
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_UNKNOWN_SESSION), "session delete: %s",
                             st == SSTORE_NOT_FOUND ? "no such session" : sstore_conn_errstr(c->conn));
    return AB_MECH_OK;
}

/* ---- the same calls on a loop handle: submit, and map the store's answer when it comes ---- */

/* A created session: its id is the credential. */
static int session_created(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_STORE_ERROR), "session create: %s", r->errstr);
    if (op->cap <= SSTORE_ID_LEN)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "credential buffer too small");
    memcpy(op->out, r->id, SSTORE_ID_LEN + 1);
    *op->out_len = SSTORE_ID_LEN;
    return AB_MECH_OK;
}

/* Creates the session without waiting. */
static int session_issue_async(ab_mech_ctx *c, mech_op *op, const char *claims, size_t claims_len)
{
    int st;
    op->finish = session_created;
    st = sstore_async_create(c->async, claims, claims_len, c->m->ttl_s, mech_op_cb, op);
    return st == SSTORE_OK ? AB_MECH_PENDING : mech_submit_failed(c, st, "session create");
}

/* A touch answered. */
static int session_touched(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    (void)op;
    return touch_status(c, st, r->errstr);
}

/* A session read back: its claims give the principal; L1 keeps it; a touch due is chained on op. */
static int session_read(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_UNKNOWN_SESSION), "session: %s",
                             st == SSTORE_NOT_FOUND ? "no such session" : r->errstr);
    if ((st = session_principal(c, &r->session, op->who)) != AB_MECH_OK)
        return st;
    l1_keep(c, op->key, &r->session);
    if (!touch_due(c, &r->session))
        return AB_MECH_OK;
    c->n.touches++;
    op->finish = session_touched;
    st = sstore_async_touch(c->async, op->key, c->m->ttl_s, mech_op_cb, op);
    return st == SSTORE_OK ? AB_MECH_PENDING : mech_submit_failed(c, st, "session touch");
}

/* A store operation on one session id (sstore_async_get and _delete have this shape). */
typedef int (*session_id_op)(sstore_async *a, const char *id, sstore_async_cb cb, void *arg);

/* Submits op on the session op->key; finish maps the answer. */
static int session_key_async(ab_mech_ctx *c, mech_op *op, session_id_op submit, mech_finish_fn finish,
                             const char *what)
{
    int st;
    op->finish = finish;
    st = submit(c->async, op->key, mech_op_cb, op);
    return st == SSTORE_OK ? AB_MECH_PENDING : mech_submit_failed(c, st, what);
}

/* Submits op on the session the credential names; finish maps the answer. */
static int session_id_async(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len,
                            session_id_op submit, mech_finish_fn finish, const char *what)
{
    int st = session_key(c, cred, len, op->key);
    return st != AB_MECH_OK ? st : session_key_async(c, op, submit, finish, what);
}

/* Reads the session without waiting (answers at once on an L1 hit). */
static int session_authenticate_async(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len)
{
    int st = session_key(c, cred, len, op->key);
    if (st != AB_MECH_OK || l1_lookup(c, op->key, op->who, &st))
        return st;
    return session_key_async(c, op, sstore_async_get, session_read, "session");
}

/* A session deleted, or not there. */
static int session_deleted(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    l1_forget(c, op->key);
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_UNKNOWN_SESSION), "session delete: %s",
                             st == SSTORE_NOT_FOUND ? "no such session" : r->errstr);
    return AB_MECH_OK;
}

/* Deletes the session without waiting. */
static int session_revoke_async(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len)
{
    return session_id_async(c, op, cred, len, sstore_async_delete, session_deleted, "session delete");
}

const mech_ops ab_mech_session_ops = {
    "session", "session:", AB_MECH_COOKIE, 1,
    session_open, session_close, session_ctx_init, session_ctx_free,
    session_issue, session_authenticate, session_revoke,
    session_issue_async, session_authenticate_async, session_revoke_async,
    MECH_OPT_CLAIMS | MECH_OPT_TOUCH | MECH_OPT_L1 | MECH_OPT_STORE,
};

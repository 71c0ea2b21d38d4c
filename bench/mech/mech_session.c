/* mech_session.c — the "session:<store URI>" mechanism: the claims live in a store under a random
 * session id, which travels as the cookie "sid". */
#include "mech_private.h"

#include <cjson/cJSON.h>

#include <string.h>

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

/* One store read per request: the session, or UNKNOWN_SESSION when it is gone or expired. */
static int session_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    char key[SSTORE_KEY_MAX + 1];
    sstore_session s;
    int st = session_key(c, cred, len, key);
    if (st != AB_MECH_OK)
        return st;
    st = sstore_get(c->conn, key, &s);
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_UNKNOWN_SESSION), "session: %s",
                             st == SSTORE_NOT_FOUND ? "no such session" : sstore_conn_errstr(c->conn));
    return session_principal(c, &s, out);
}

/* Logout deletes the session: UNKNOWN_SESSION when it was not there. */
static int session_revoke(ab_mech_ctx *c, const char *cred, size_t len)
{
    char key[SSTORE_KEY_MAX + 1];
    int st = session_key(c, cred, len, key);
    if (st != AB_MECH_OK)
        return st;
    st = sstore_delete(c->conn, key);
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

/* A session read back: its claims give the principal. */
static int session_read(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_UNKNOWN_SESSION), "session: %s",
                             st == SSTORE_NOT_FOUND ? "no such session" : r->errstr);
    return session_principal(c, &r->session, op->who);
}

/* A store operation on one session id (sstore_async_get and _delete have this shape). */
typedef int (*session_id_op)(sstore_async *a, const char *id, sstore_async_cb cb, void *arg);

/* Submits op on the session the credential names; finish maps the answer. */
static int session_id_async(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len,
                            session_id_op submit, mech_finish_fn finish, const char *what)
{
    int st = session_key(c, cred, len, op->key);
    if (st != AB_MECH_OK)
        return st;
    op->finish = finish;
    st = submit(c->async, op->key, mech_op_cb, op);
    return st == SSTORE_OK ? AB_MECH_PENDING : mech_submit_failed(c, st, what);
}

/* Reads the session without waiting. */
static int session_authenticate_async(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len)
{
    return session_id_async(c, op, cred, len, sstore_async_get, session_read, "session");
}

/* A session deleted, or not there. */
static int session_deleted(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    (void)op;
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
};

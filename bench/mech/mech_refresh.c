/* mech_refresh.c — "jwt+refresh:<ALG>,<store URI>?access_ttl=S": a short-lived access token (a JWT
 * of S seconds, verified statelessly on every request) and a refresh token (a random id, kept in
 * the store for the mechanism's --ttl) that buys a new access token from the issuer: one store
 * lookup and one signature. Logout deletes the refresh token, so the revocation delay is what is
 * left of the access token's lifetime: at most S.
 *
 * The store never holds the refresh token itself but its hash: the record's id is "rt-" and the
 * base64url SHA-256 of the token, and every access token carries that id as its "rtk" claim, so a
 * logout with the access token finds the record, and an access token cannot be turned into a
 * refresh token. Refresh tokens are not rotated (a refresh gives a new access token only). */
#include "mech_private.h"

#include <ab_cli.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFRESH_DEFAULT_ACCESS_TTL 300 /* seconds: "a few minutes" */
#define REFRESH_KEY_LEN (3 + 43)       /* "rt-" + base64url of 32 bytes */
#define REFRESH_CLAIMS_MAX (MECH_CLAIMS_MAX + 64)

/* The family's shared state. */
typedef struct mech_refresh {
    int64_t refresh_ttl_s; /* the refresh token's lifetime (the mechanism's ttl); m->ttl_s is the access token's */
} mech_refresh;

/* The store id of a refresh token (len bytes) into key. 0, or -1 when hashing failed. */
static int refresh_key(const char *token, size_t len, char key[REFRESH_KEY_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    size_t out = 0;
    memcpy(key, "rt-", 3);
    if (EVP_Digest(token, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32 ||
        ajwt_b64url_encode(md, n, key + 3, REFRESH_KEY_LEN - 2, &out) != AJWT_OK)
        return -1;
    key[3 + out] = '\0';
    return 0;
}

/* The claims with "rtk":key first, into out. Their length, or 0 when they do not fit. */
static size_t claims_with_key(const char *claims, size_t len, const char *key, char *out, size_t cap)
{
    int n = snprintf(out, cap, "{\"rtk\":\"%s\",%.*s", key, len > 0 ? (int)len - 1 : 0, claims + 1);
    return len > 1 && claims[0] == '{' && n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Opens "jwt+refresh:<ALG>,<store URI>[?access_ttl=S]". */
static int refresh_open(ab_mech *m, const char *arg)
{
    const char *comma = strchr(arg, ',');
    mech_refresh *r;
    int64_t access = m->set.access_ttl_s > 0 ? m->set.access_ttl_s : REFRESH_DEFAULT_ACCESS_TTL;
    int rc;
    if (comma == NULL || comma[1] == '\0')
        return mech_fail(m, AB_MECH_MALFORMED, "%s: expected jwt+refresh:<ALG>,<store URI>[?access_ttl=S] "
                         "(e.g. jwt+refresh:ES256,redis://127.0.0.1:6379?access_ttl=300)", m->spec);
    if ((r = calloc(1, sizeof *r)) == NULL)
        return mech_fail(m, AB_MECH_INTERNAL, "out of memory");
    m->family_state = r;
    r->refresh_ttl_s = m->ttl_s;
    if (access >= r->refresh_ttl_s)
        rc = mech_fail(m, AB_MECH_MALFORMED, "%s: access_ttl (%lld s) must be shorter than the refresh "
                       "token's lifetime (--ttl, %lld s)", m->spec, (long long)access, (long long)r->refresh_ttl_s);
    else
        rc = mech_jwt_open_alg(m, arg, (size_t)(comma - arg)) != 0 || mech_open_store(m, comma + 1) != 0 ? -1 : 0;
    m->ttl_s = access; /* the claims' exp: the access token's */
    if (rc == 0) /* claims with their rtk; the refresh token follows the access token's NUL */
        m->cred_max = ajwt_sign_bound(m->signer, REFRESH_CLAIMS_MAX) + 1 + SSTORE_ID_LEN;
    return rc;
}

/* Frees the family's state, then the JWT state and the store. */
static void refresh_close(ab_mech *m)
{
    free(m->family_state);
    mech_jwt_close(m);
}

/* Per-thread verification state and the store connection. */
static int refresh_ctx_init(ab_mech_ctx *c)
{
    if ((c->vctx = ajwt_vctx_new(c->m->verifier)) == NULL) {
        mech_ctx_fail(c, AB_MECH_INTERNAL, "out of memory");
        return -1;
    }
    return mech_connect_store(c);
}

/* Frees the thread's state. */
static void refresh_ctx_free(ab_mech_ctx *c)
{
    ajwt_vctx_free(c->vctx);
    mech_disconnect_store(c);
}

/* A new refresh token and its store id. An ab_mech_status. */
static int new_refresh(ab_mech_ctx *c, char token[SSTORE_ID_LEN + 1], char key[REFRESH_KEY_LEN + 1])
{
    if (sstore_id_new(token) != SSTORE_OK || refresh_key(token, SSTORE_ID_LEN, key) != 0)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "no random bytes or hash for a refresh token");
    return AB_MECH_OK;
}

/* Signs the access token of claims (with rtk = key) into out. An ab_mech_status. */
static int sign_access(ab_mech_ctx *c, const char *claims, size_t len, const char *key, char *out, size_t cap,
                       size_t *out_len)
{
    char with[REFRESH_CLAIMS_MAX];
    size_t n = claims_with_key(claims, len, key, with, sizeof with);
    if (n == 0)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "claims too long for the refresh key");
    return mech_jwt_issue(c, NULL, with, n, out, cap, out_len);
}

/* Puts the refresh token after the access token's NUL in out. An ab_mech_status. */
static int append_refresh(ab_mech_ctx *c, const char *token, char *out, size_t cap, size_t len)
{
    if (len + 2 + SSTORE_ID_LEN > cap)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "credential buffer too small for the refresh token");
    memcpy(out + len + 1, token, SSTORE_ID_LEN + 1);
    return AB_MECH_OK;
}

/* The refresh token's record: who it belongs to. Its length. */
static size_t refresh_record(const char *user, char *out, size_t cap)
{
    int n = snprintf(out, cap, "{\"sub\":\"%s\"}", user);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Login: the access token (signed) and the refresh token (stored, hashed, for the refresh ttl). */
static int refresh_issue(ab_mech_ctx *c, const char *user, const char *claims, size_t claims_len, char *out,
                         size_t cap, size_t *out_len)
{
    const mech_refresh *r = c->m->family_state;
    char token[SSTORE_ID_LEN + 1], key[REFRESH_KEY_LEN + 1], rec[AB_MECH_USER_MAX + 16];
    int st = new_refresh(c, token, key);
    if (st == AB_MECH_OK)
        st = sign_access(c, claims, claims_len, key, out, cap, out_len);
    if (st != AB_MECH_OK)
        return st;
    st = sstore_put(c->conn, key, rec, refresh_record(user, rec, sizeof rec), r->refresh_ttl_s);
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_STORE_ERROR), "refresh token: %s",
                             sstore_conn_errstr(c->conn));
    return append_refresh(c, token, out, cap, *out_len);
}

/* Stateless: the access token's signature and claims (its exp gives EXPIRED: then refresh). */
static int refresh_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    return mech_jwt_verify(c, cred, len, out);
}

/* Verifies an access token and finds its refresh token's store id (rtk). An ab_mech_status. */
static int verified_key(ab_mech_ctx *c, const char *cred, size_t len, char key[REFRESH_KEY_LEN + 1])
{
    ab_mech_principal who;
    const char *k;
    int st = mech_jwt_verify(c, cred, len, &who);
    if (st != AB_MECH_OK)
        return st;
    k = ajwt_vctx_claim_str(c->vctx, "rtk");
    if (k == NULL || strlen(k) != REFRESH_KEY_LEN || !sstore_id_valid(k))
        return mech_ctx_fail(c, AB_MECH_INVALID_CLAIMS, "access token without its refresh key (rtk)");
    memcpy(key, k, REFRESH_KEY_LEN + 1);
    return AB_MECH_OK;
}

/* The answer to a refresh token's delete: gone already is REVOKED (logged out before). */
static int deleted(ab_mech_ctx *c, int st, const char *errstr)
{
    if (st == SSTORE_NOT_FOUND)
        return mech_ctx_fail(c, AB_MECH_REVOKED, "already logged out (no refresh token)");
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_STORE_ERROR), "refresh token: %s", errstr);
    return AB_MECH_OK;
}

/* Logout: deletes the refresh token; the access token lives on until its exp. */
static int refresh_revoke(ab_mech_ctx *c, const char *cred, size_t len)
{
    char key[REFRESH_KEY_LEN + 1];
    int st = verified_key(c, cred, len, key);
    return st != AB_MECH_OK ? st : deleted(c, sstore_delete(c->conn, key), sstore_conn_errstr(c->conn));
}

/* A refresh token's store id, checked. An ab_mech_status. */
static int token_key(ab_mech_ctx *c, const char *token, size_t len, char key[REFRESH_KEY_LEN + 1])
{
    char t[SSTORE_ID_LEN + 1];
    if (len != SSTORE_ID_LEN)
        return mech_ctx_fail(c, AB_MECH_MALFORMED, "not a refresh token (%zu bytes)", len);
    memcpy(t, token, len);
    t[len] = '\0';
    if (!sstore_id_valid(t) || refresh_key(t, len, key) != 0)
        return mech_ctx_fail(c, AB_MECH_MALFORMED, "not a refresh token");
    return AB_MECH_OK;
}

/* A refresh token's record read back (st from the store): a new access token for its user. */
static int reissue(ab_mech_ctx *c, int st, const sstore_session *s, const char *key, const char *errstr,
                   char *out, size_t cap, size_t *out_len)
{
    cJSON *rec;
    const cJSON *sub;
    size_t n = 0;
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_UNKNOWN_SESSION), "refresh token: %s",
                             st == SSTORE_NOT_FOUND ? "unknown, expired or logged out" : errstr);
    rec = cJSON_ParseWithLength(s->data, s->data_len);
    sub = cJSON_GetObjectItemCaseSensitive(rec, "sub");
    st = cJSON_IsString(sub) ? mech_issue_claims(c, sub->valuestring, &n) /* into c->claims */
                             : mech_ctx_fail(c, AB_MECH_STORE_ERROR, "refresh record without a sub");
    cJSON_Delete(rec);
    return st != AB_MECH_OK ? st : sign_access(c, c->claims, n, key, out, cap, out_len);
}

/* POST /refresh: one store read and one signature. */
static int refresh_blocking(ab_mech_ctx *c, const char *token, size_t len, char *out, size_t cap, size_t *out_len)
{
    char key[REFRESH_KEY_LEN + 1];
    sstore_session s;
    int st = token_key(c, token, len, key);
    if (st != AB_MECH_OK)
        return st;
    st = sstore_get(c->conn, key, &s);
    return reissue(c, st, &s, key, sstore_conn_errstr(c->conn), out, cap, out_len);
}

/* ---- the same on a loop handle: submit, and finish when the store answers ------------------ */

/* The refresh token stored: it follows the access token signed before the submit. */
static int stored(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    if (st != SSTORE_OK)
        return mech_ctx_fail(c, mech_store_status(st, AB_MECH_STORE_ERROR), "refresh token: %s", r->errstr);
    return append_refresh(c, op->key, op->out, op->cap, *op->out_len);
}

/* Signs the access token, then stores the refresh token without waiting (op->key keeps it). */
static int refresh_issue_async(ab_mech_ctx *c, mech_op *op, const char *claims, size_t claims_len)
{
    const mech_refresh *r = c->m->family_state;
    char key[REFRESH_KEY_LEN + 1], rec[AB_MECH_USER_MAX + 16];
    cJSON *j = cJSON_ParseWithLength(claims, claims_len);
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(j, "sub");
    size_t n = cJSON_IsString(sub) ? refresh_record(sub->valuestring, rec, sizeof rec) : 0;
    int st = new_refresh(c, op->key, key);
    cJSON_Delete(j);
    if (st == AB_MECH_OK && n == 0)
        st = mech_ctx_fail(c, AB_MECH_INTERNAL, "claims without a sub");
    if (st == AB_MECH_OK)
        st = sign_access(c, claims, claims_len, key, op->out, op->cap, op->out_len);
    if (st != AB_MECH_OK)
        return st;
    op->finish = stored;
    st = sstore_async_put(c->async, key, rec, n, r->refresh_ttl_s, mech_op_cb, op);
    return st == SSTORE_OK ? AB_MECH_PENDING : mech_submit_failed(c, st, "refresh token");
}

/* The refresh token deleted (logout). */
static int deleted_async(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    (void)op;
    return deleted(c, st, r->errstr);
}

/* A store operation on one id (sstore_async_get and _delete have this shape). */
typedef int (*refresh_id_op)(sstore_async *a, const char *id, sstore_async_cb cb, void *arg);

/* After st (op->key holds the refresh record's id, or st says why not): submits the operation on
 * it, finish to map the store's answer. */
static int submit_on_key(ab_mech_ctx *c, mech_op *op, int st, refresh_id_op submit, mech_finish_fn finish)
{
    if (st != AB_MECH_OK)
        return st;
    op->finish = finish;
    st = submit(c->async, op->key, mech_op_cb, op);
    return st == SSTORE_OK ? AB_MECH_PENDING : mech_submit_failed(c, st, "refresh token");
}

/* Verifies the access token, then deletes its refresh token without waiting. */
static int refresh_revoke_async(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len)
{
    return submit_on_key(c, op, verified_key(c, cred, len, op->key), sstore_async_delete, deleted_async);
}

/* The refresh token's record read back: sign the new access token. */
static int reissued(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    return reissue(c, st, &r->session, op->key, r->errstr, op->out, op->cap, op->out_len);
}

/* Looks the refresh token's record up without waiting. */
static int refresh_submit(ab_mech_ctx *c, mech_op *op, const char *token, size_t len)
{
    return submit_on_key(c, op, token_key(c, token, len, op->key), sstore_async_get, reissued);
}

const mech_ops ab_mech_refresh_ops = {
    /* can_revoke 0: logout deletes the refresh token, but the access token it is called with is
     * not withdrawn (it lives until its exp): serve answers {"revoked":false} */
    "jwt+refresh", "jwt+refresh:", AB_MECH_BEARER, 0,
    refresh_open, refresh_close, refresh_ctx_init, refresh_ctx_free, refresh_issue, refresh_authenticate,
    refresh_revoke, refresh_issue_async, NULL, refresh_revoke_async,
    MECH_OPT_ACCESS_TTL | MECH_OPT_STORE,
};

/* ---- the public refresh calls (ab_mech.h) --------------------------------------------------- */

/* 1 when c's mechanism is jwt+refresh and opened; otherwise sets the error. */
static int has_refresh(ab_mech_ctx *c)
{
    if (c->m->err != 0 || c->m->ops != &ab_mech_refresh_ops) {
        mech_ctx_fail(c, AB_MECH_MALFORMED, "%s has no refresh tokens (jwt+refresh has)", c->m->spec);
        return 0;
    }
    return 1;
}

int ab_mech_refresh(ab_mech_ctx *c, const char *token, size_t len, char *out, size_t cap, size_t *out_len)
{
    int st = AB_MECH_MALFORMED;
    if (has_refresh(c))
        st = c->async != NULL ? mech_ctx_fail(c, AB_MECH_INTERNAL, "a loop handle's store does not block: "
                                              "use ab_mech_refresh_async")
                              : refresh_blocking(c, token, len, out, cap, out_len);
    return mech_count(c, st, &c->n.refreshed);
}

int ab_mech_refresh_async(ab_mech_ctx *c, const char *token, size_t len, char *out, size_t cap, size_t *out_len,
                          ab_mech_done_fn done, void *arg)
{
    mech_op *op;
    if (c->async == NULL || !has_refresh(c))
        return ab_mech_refresh(c, token, len, out, cap, out_len);
    if ((op = mech_op_begin(c, done, arg, &c->n.refreshed)) == NULL)
        return mech_count(c, mech_ctx_fail(c, AB_MECH_INTERNAL, "out of memory"), &c->n.refreshed);
    op->out = out;
    op->cap = cap;
    op->out_len = out_len;
    return mech_op_start(c, op, refresh_submit(c, op, token, len));
}

const char *ab_mech_refresh_token_of(const ab_mech *m, const char *out, size_t out_len)
{
    return m->ops == &ab_mech_refresh_ops && m->err == 0 ? out + out_len + 1 : NULL;
}

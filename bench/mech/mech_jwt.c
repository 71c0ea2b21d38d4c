/* mech_jwt.c — the "jwt:<ALG>" and "jwt+denylist:<ALG>,<store URI>" mechanisms: a signed JWT as a
 * bearer token, verified on every request; the denylist adds a store lookup of the token's jti. */
#include "mech_private.h"
#include "mech_cache.h"

#include <ab_cli.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Maps a verification error to the reason a server reports. */
static int jwt_status(int err)
{
    switch (err) {
    case AJWT_OK: return AB_MECH_OK;
    case AJWT_ERR_EXPIRED: return AB_MECH_EXPIRED;
    case AJWT_ERR_TOO_LONG: case AJWT_ERR_FORMAT: case AJWT_ERR_BASE64: case AJWT_ERR_HEADER:
    case AJWT_ERR_PAYLOAD:
        return AB_MECH_MALFORMED;
    case AJWT_ERR_ALG_NONE: case AJWT_ERR_ALG_UNKNOWN: case AJWT_ERR_ALG_NOT_ALLOWED:
    case AJWT_ERR_CRIT: case AJWT_ERR_SIG_LENGTH: case AJWT_ERR_SIGNATURE: case AJWT_ERR_KEY_NOT_FOUND:
        return AB_MECH_BAD_SIGNATURE;
    case AJWT_ERR_CLAIM_TYPE: case AJWT_ERR_NOT_YET_VALID: case AJWT_ERR_IAT_FUTURE: case AJWT_ERR_ISS:
    case AJWT_ERR_AUD: case AJWT_ERR_CLAIM_MISSING:
        return AB_MECH_INVALID_CLAIMS;
    default: return AB_MECH_INTERNAL;
    }
}

/* Loads the key file into m->keys. 0 or -1. */
static int load_key(ab_mech *m)
{
    const char *alg = ajwt_alg_name(m->alg);
    if (m->key_file == NULL)
        return mech_fail(m, AB_MECH_MALFORMED, "%s needs a signing key: pass --key FILE (make one "
                         "with: authbench jwt keygen --alg %s --out PREFIX, then --key PREFIX.key)",
                         m->spec, alg);
    m->keys = ajwt_keyset_new();
    if (m->keys == NULL)
        return mech_fail(m, AB_MECH_INTERNAL, "out of memory");
    if (ajwt_keyset_add_file(m->keys, m->key_file, NULL) != AJWT_OK)
        return mech_fail(m, AB_MECH_MALFORMED, "key %s: %s (make one with: authbench jwt keygen "
                         "--alg %s --out PREFIX, then --key PREFIX.key)", m->key_file,
                         ajwt_keyset_errstr(m->keys), alg);
    return 0;
}

/* The signer, and the verifier's policy: only our algorithm, our iss and aud, sub/exp/jti required. */
static int make_signer_verifier(ab_mech *m)
{
    static const char *const required[] = {"sub", "exp", "jti"};
    size_t i;
    int e;
    m->signer = ajwt_signer_new(m->keys, m->alg, NULL);
    m->verifier = ajwt_verifier_new(m->keys);
    if (m->signer == NULL || m->verifier == NULL)
        return mech_fail(m, AB_MECH_INTERNAL, "out of memory");
    if (ajwt_signer_err(m->signer) != AJWT_OK)
        return mech_fail(m, AB_MECH_MALFORMED, "key %s cannot sign %s: %s", m->key_file,
                         ajwt_alg_name(m->alg), ajwt_signer_errstr(m->signer));
    e = ajwt_verifier_set_algs(m->verifier, &m->alg, 1);
    if (e == AJWT_OK)
        e = ajwt_verifier_set_issuer(m->verifier, "authbench");
    if (e == AJWT_OK)
        e = ajwt_verifier_set_audience(m->verifier, "authbench-api");
    for (i = 0; e == AJWT_OK && i < sizeof required / sizeof required[0]; i++)
        e = ajwt_verifier_require(m->verifier, required[i]);
    if (e != AJWT_OK)
        return mech_fail(m, AB_MECH_INTERNAL, "verifier: %s", ajwt_verifier_errstr(m->verifier));
    m->cred_max = ajwt_sign_bound(m->signer, m->claims_cap - 1);
    /* the tokens it issues verify, whatever claims= made of their size: the 8 KiB a request's
     * headers may take is the HTTP server's limit (ab_mech_size_note), not the verifier's */
    if (m->cred_max > AJWT_DEFAULT_MAX_TOKEN &&
        ajwt_verifier_set_limits(m->verifier, m->cred_max, AJWT_DEFAULT_MAX_DEPTH) != AJWT_OK)
        return mech_fail(m, AB_MECH_INTERNAL, "verifier: %s", ajwt_verifier_errstr(m->verifier));
    return 0;
}

/* Opens "jwt:<ALG>" (alg is the text after the colon, alg_len bytes of it). */
static int jwt_open_alg(ab_mech *m, const char *alg, size_t alg_len)
{
    char name[16];
    if (alg_len == 0 || alg_len >= sizeof name)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: expected an algorithm such as HS256 or EdDSA", m->spec);
    memcpy(name, alg, alg_len);
    name[alg_len] = '\0';
    m->alg = ajwt_alg_from_name(name);
    if (m->alg == AJWT_ALG_INVALID)
        return mech_fail(m, AB_MECH_MALFORMED, "%s: unknown algorithm '%s' (HS256, HS384, HS512, RS256, "
                         "…, PS256, …, ES256, ES384, ES512, EdDSA, Ed25519)", m->spec, name);
    if (load_key(m) != 0)
        return -1;
    return make_signer_verifier(m);
}

/* Opens "jwt:<ALG>". */
static int jwt_open(ab_mech *m, const char *arg)
{
    return jwt_open_alg(m, arg, strlen(arg));
}

/* Opens "jwt+denylist:<ALG>,<store URI>". */
static int denylist_open(ab_mech *m, const char *arg)
{
    const char *comma = strchr(arg, ',');
    if (comma == NULL || comma[1] == '\0')
        return mech_fail(m, AB_MECH_MALFORMED, "%s: expected jwt+denylist:<ALG>,<store URI> (e.g. "
                         "jwt+denylist:HS256,redis://127.0.0.1:6379)", m->spec);
    if (jwt_open_alg(m, arg, (size_t)(comma - arg)) != 0)
        return -1;
    return mech_open_store(m, comma + 1);
}

/* Frees keys, signer, verifier and the denylist's store. */
static void jwt_close(ab_mech *m)
{
    ajwt_signer_free(m->signer);
    ajwt_verifier_free(m->verifier);
    ajwt_keyset_free(m->keys);
    sstore_close(m->store);
}

/* Per-thread verification state, and the denylist's connection. */
static int jwt_ctx_init(ab_mech_ctx *c)
{
    c->vctx = ajwt_vctx_new(c->m->verifier);
    if (c->vctx == NULL) {
        mech_ctx_fail(c, AB_MECH_INTERNAL, "out of memory");
        return -1;
    }
    return c->m->store != NULL ? mech_connect_store(c) : 0;
}

/* Frees the thread's state. */
static void jwt_ctx_free(ab_mech_ctx *c)
{
    ajwt_vctx_free(c->vctx);
    mech_disconnect_store(c);
}

/* Signs the claims: the token is the credential. */
static int jwt_issue(ab_mech_ctx *c, const char *user, const char *claims, size_t claims_len,
                     char *out, size_t cap, size_t *out_len)
{
    size_t need = ajwt_sign_bound(c->m->signer, claims_len);
    int e;
    (void)user;
    if (cap <= need)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "credential buffer of %zu bytes, %zu needed", cap, need + 1);
    e = ajwt_sign(c->m->signer, claims, claims_len, out, cap, out_len);
    if (e != AJWT_OK)
        return mech_ctx_fail(c, AB_MECH_INTERNAL, "signing failed: %s", ajwt_err_name((ajwt_err)e));
    c->n.signatures++;
    return AB_MECH_OK;
}

/* Verifies signature and claims, and takes sub as the principal. */
static int jwt_verify_token(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    const char *sub;
    int st;
    c->n.verifications++;
    st = jwt_status(ajwt_verify(c->vctx, cred, len));
    if (st != AB_MECH_OK)
        return mech_ctx_fail(c, st, "token refused: %s", ajwt_vctx_errstr(c->vctx));
    sub = ajwt_vctx_claim_str(c->vctx, "sub");
    if (mech_set_principal(out, sub, sub != NULL ? strlen(sub) : 0, AB_MECH_INVALID_CLAIMS) != AB_MECH_OK)
        return mech_ctx_fail(c, AB_MECH_INVALID_CLAIMS, "token's sub is not a user name");
    return AB_MECH_OK;
}

/* What the verified-token cache keeps of a token. */
typedef struct verified {
    int64_t exp;
    char sub[AB_MECH_USER_MAX + 1];
} verified;

/* The wall clock in microseconds. */
static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Verifies a token the cache did not have and keeps it until its exp: the verifier refuses a
 * token once now >= exp (whole seconds), so the entry's deadline is exp on the monotonic clock. */
static int verify_and_keep(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    verified v;
    uint64_t now = ab_now_us();
    int64_t left_us;
    int st = jwt_verify_token(c, cred, len, out);
    if (st != AB_MECH_OK || !ajwt_vctx_claim_int(c->vctx, "exp", &v.exp))
        return st;
    left_us = v.exp * 1000000 - wall_us();
    memcpy(v.sub, out->sub, sizeof v.sub);
    if (left_us > 0)
        mech_cache_put(c->m->tcache, cred, len, &v, sizeof v, now + (uint64_t)left_us); /* a full
                                                                 cache of no memory only costs hits */
    return AB_MECH_OK;
}

/* Stateless: the verification is the whole check (a verified-token cache's hit stands for it). */
static int jwt_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    verified v;
    size_t n;
    if (c->m->tcache == NULL)
        return jwt_verify_token(c, cred, len, out);
    if (!mech_cache_get(c->m->tcache, cred, len, ab_now_us(), &v, sizeof v, &n) || n != sizeof v ||
        v.exp * 1000000 <= wall_us()) {
        c->n.cache_misses++;
        return verify_and_keep(c, cred, len, out);
    }
    c->n.cache_hits++;
    memcpy(out->sub, v.sub, sizeof out->sub);
    return AB_MECH_OK;
}

/* A stateless token cannot be withdrawn: logout only checks it (the client drops it). */
static int jwt_revoke(ab_mech_ctx *c, const char *cred, size_t len)
{
    ab_mech_principal p;
    return jwt_verify_token(c, cred, len, &p);
}

/* The verified token's jti, or NULL with the error set. */
static const char *verified_jti(ab_mech_ctx *c)
{
    const char *jti = ajwt_vctx_claim_str(c->vctx, "jti");
    if (jti == NULL || !sstore_id_valid(jti)) {
        mech_ctx_fail(c, AB_MECH_INVALID_CLAIMS, "token's jti is not a usable id");
        return NULL;
    }
    return jti;
}

static const char why_revoked[] = "token revoked (its jti is on the denylist)";
static const char why_again[] = "token already revoked";

/* Maps a denylist store result: listed_st means the jti is on the list (REVOKED, message why),
 * ok_st that it may pass; anything else is the store failing (errstr says why). */
static int denylist_result(ab_mech_ctx *c, int st, int listed_st, int ok_st, const char *why,
                           const char *errstr)
{
    if (st == ok_st)
        return AB_MECH_OK;
    if (st == listed_st)
        return mech_ctx_fail(c, AB_MECH_REVOKED, "%s", why);
    return mech_ctx_fail(c, mech_store_status(st, AB_MECH_STORE_ERROR), "denylist: %s", errstr);
}

/* A lookup's result under on_store_error: open lets a verified token through when the denylist
 * could not be read (counted in fail_open); closed refuses it (STORE_ERROR, the server's 503). */
static int store_error_policy(ab_mech_ctx *c, int status)
{
    if (status != AB_MECH_STORE_ERROR || !c->m->set.store_error_open)
        return status;
    c->n.fail_open++;
    return AB_MECH_OK;
}

/* The denylist lookup's answer, under the store-error policy. */
static int lookup_result(ab_mech_ctx *c, int st, const char *errstr)
{
    return store_error_policy(c, denylist_result(c, st, SSTORE_OK, SSTORE_NOT_FOUND, why_revoked, errstr));
}


/* Verifies, then one store read: a jti on the denylist is REVOKED. */
static int denylist_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    sstore_session s;
    const char *jti;
    int st = jwt_verify_token(c, cred, len, out);
    if (st != AB_MECH_OK)
        return st;
    if ((jti = verified_jti(c)) == NULL)
        return AB_MECH_INVALID_CLAIMS;
    st = sstore_get(c->conn, jti, &s);
    return lookup_result(c, st, sstore_conn_errstr(c->conn));
}

/* A token to be revoked, verified: its denylist record, jti and time to live. */
typedef struct deny_entry {
    char rec[96];
    size_t rec_len;
    const char *jti;
    int64_t ttl;
} deny_entry;

/* Verifies a token to be revoked and makes its denylist entry. An ab_mech_status. */
static int denylist_entry(ab_mech_ctx *c, const char *cred, size_t len, deny_entry *e)
{
    ab_mech_principal p;
    int64_t exp = 0;
    int st = jwt_verify_token(c, cred, len, &p);
    if (st != AB_MECH_OK)
        return st;
    if ((e->jti = verified_jti(c)) == NULL || !ajwt_vctx_claim_int(c->vctx, "exp", &exp))
        return mech_ctx_fail(c, AB_MECH_INVALID_CLAIMS, "token without a usable jti and exp");
    e->ttl = exp - ab_wall_s();
    if (e->ttl < 1)
        e->ttl = 1;
    e->rec_len = (size_t)snprintf(e->rec, sizeof e->rec, "{\"jti\":\"%s\",\"exp\":%lld}", e->jti,
                                  (long long)exp);
    return AB_MECH_OK;
}

/* Puts the token's jti on the denylist until the token's exp; REVOKED when it already was. */
static int denylist_revoke(ab_mech_ctx *c, const char *cred, size_t len)
{
    deny_entry e;
    int st = denylist_entry(c, cred, len, &e);
    if (st != AB_MECH_OK)
        return st;
    st = sstore_put(c->conn, e.jti, e.rec, e.rec_len, e.ttl);
    return denylist_result(c, st, SSTORE_EXISTS, SSTORE_OK, why_again, sstore_conn_errstr(c->conn));
}

/* ---- the denylist on a loop handle: verify now, look up or list the jti without waiting ---- */

/* The jti looked up: listed is REVOKED. */
static int denylist_looked_up(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    (void)op;
    return lookup_result(c, st, r->errstr);
}

/* Verifies, then submits the jti's lookup. */
static int denylist_authenticate_async(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len)
{
    const char *jti;
    int st = jwt_verify_token(c, cred, len, op->who);
    if (st != AB_MECH_OK)
        return st;
    if ((jti = verified_jti(c)) == NULL)
        return AB_MECH_INVALID_CLAIMS;
    snprintf(op->key, sizeof op->key, "%s", jti);
    op->finish = denylist_looked_up;
    st = sstore_async_get(c->async, op->key, mech_op_cb, op);
    if (st == SSTORE_OK)
        return AB_MECH_PENDING;
    return store_error_policy(c, mech_submit_failed(c, st, "denylist"));
}

/* The jti listed: already there is REVOKED. */
static int denylist_listed(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r)
{
    (void)op;
    return denylist_result(c, st, SSTORE_EXISTS, SSTORE_OK, why_again, r->errstr);
}

/* Verifies, then submits the jti's denylist record. */
static int denylist_revoke_async(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len)
{
    deny_entry e;
    int st = denylist_entry(c, cred, len, &e);
    if (st != AB_MECH_OK)
        return st;
    snprintf(op->key, sizeof op->key, "%s", e.jti);
    op->finish = denylist_listed;
    st = sstore_async_put(c->async, op->key, e.rec, e.rec_len, e.ttl, mech_op_cb, op);
    return st == SSTORE_OK ? AB_MECH_PENDING : mech_submit_failed(c, st, "denylist");
}

const mech_ops ab_mech_jwt_ops = {
    "jwt", "jwt:", AB_MECH_BEARER, 0,
    jwt_open, jwt_close, jwt_ctx_init, jwt_ctx_free, jwt_issue, jwt_authenticate, jwt_revoke,
    NULL, NULL, NULL, MECH_OPT_CLAIMS | MECH_OPT_CACHE,
};

const mech_ops ab_mech_denylist_ops = {
    "jwt+denylist", "jwt+denylist:", AB_MECH_BEARER, 1,
    denylist_open, jwt_close, jwt_ctx_init, jwt_ctx_free, jwt_issue, denylist_authenticate,
    denylist_revoke, NULL, denylist_authenticate_async, denylist_revoke_async,
    MECH_OPT_CLAIMS | MECH_OPT_ON_ERROR | MECH_OPT_STORE,
};

/* ---- for the other JWT families (mech_private.h): the calls above, under shared names -------- */

int mech_jwt_open_alg(ab_mech *m, const char *alg, size_t alg_len) { return jwt_open_alg(m, alg, alg_len); }
void mech_jwt_close(ab_mech *m) { jwt_close(m); }
int mech_jwt_verify(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out)
{
    return jwt_verify_token(c, cred, len, out);
}
const char *mech_jwt_jti(ab_mech_ctx *c) { return verified_jti(c); }

int mech_jwt_issue(ab_mech_ctx *c, const char *user, const char *claims, size_t claims_len, char *out,
                   size_t cap, size_t *out_len)
{
    return jwt_issue(c, user, claims, claims_len, out, cap, out_len);
}

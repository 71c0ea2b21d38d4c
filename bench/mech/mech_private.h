/* mech_private.h — internals of the mechanism layer: the backend table and the handle layouts. */
#ifndef AB_MECH_PRIVATE_H
#define AB_MECH_PRIVATE_H

#include "ab_mech.h"

#include <ajwt.h>
#include <sstore.h>

#define MECH_ERRSTR 256
#define MECH_CLAIMS_MAX 512 /* room for the default claims of the longest user name */

/* The options a family takes (mech_ops.options), and whether its argument ends in a store URI
 * whose own query options stay in it (MECH_OPT_STORE). mech_opts.c parses them. */
#define MECH_OPT_CLAIMS 0x01u   /* claims=BYTES */
#define MECH_OPT_TOUCH 0x02u    /* touch=never|always|after:S */
#define MECH_OPT_L1 0x04u       /* l1=TTL, l1_size=N */
#define MECH_OPT_CACHE 0x08u    /* cache=N */
#define MECH_OPT_ON_ERROR 0x10u /* on_store_error=closed|open */
#define MECH_OPT_ACCESS_TTL 0x20u /* access_ttl=S (jwt+refresh) */
#define MECH_OPT_SYNC 0x40u     /* sync_ms=N (jwt+pushed-denylist) */
#define MECH_OPT_STORE 0x100u

typedef struct mech_op mech_op;

/* Maps the store's answer to an operation into an ab_mech_status (filling op's outputs), or
 * returns AB_MECH_PENDING after submitting a follow-up operation on op with mech_op_cb (whose
 * finish then answers). */
typedef int (*mech_finish_fn)(ab_mech_ctx *c, mech_op *op, int st, const sstore_result *r);

/* One _async call waiting on the store (recycled through the handle's free list). */
struct mech_op {
    mech_op *next;            /* the handle's free list */
    ab_mech_ctx *c;
    mech_finish_fn finish;    /* set by the family before it submits */
    ab_mech_done_fn done;
    void *arg;
    uint64_t *ok_counter;     /* the counter a success adds to */
    int in_submit;            /* the store answered before its submit returned (memory) */
    int finished, status;     /* ... and with this */
    ab_mech_principal *who;   /* authenticate */
    char *out;                /* issue: the credential, cap bytes, its length in *out_len */
    size_t cap, *out_len;
    char key[SSTORE_KEY_MAX + 1]; /* the session id or jti the operation is about */
};

/* One mechanism family. Contract: open/ctx_init return 0, or -1 with the handle's error set;
 * issue/authenticate/revoke return an ab_mech_status and set the ctx's error on failure. The
 * _async ones (NULL: the family never waits, the blocking call answers) return a status, or
 * AB_MECH_PENDING once a store operation was submitted with mech_op_cb and op->finish set. */
typedef struct mech_ops {
    const char *family;
    const char *prefix; /* spec prefix selecting this family ("jwt:"), or the whole spec ("none") */
    ab_mech_kind kind;
    int can_revoke;
    int (*open)(ab_mech *m, const char *arg);
    void (*close)(ab_mech *m);
    int (*ctx_init)(ab_mech_ctx *c);
    void (*ctx_free)(ab_mech_ctx *c);
    int (*issue)(ab_mech_ctx *c, const char *user, const char *claims, size_t claims_len, char *out,
                 size_t cap, size_t *out_len);
    int (*authenticate)(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out);
    int (*revoke)(ab_mech_ctx *c, const char *cred, size_t len);
    int (*issue_async)(ab_mech_ctx *c, mech_op *op, const char *claims, size_t claims_len);
    int (*authenticate_async)(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len);
    int (*revoke_async)(ab_mech_ctx *c, mech_op *op, const char *cred, size_t len);
    unsigned options; /* MECH_OPT_* bits: the spec options it takes (0: none) */
} mech_ops;

typedef struct mech_cache mech_cache;

struct ab_mech {
    const mech_ops *ops;
    char *raw;              /* the spec as given (store URIs with their passwords): parsed, never shown */
    char *spec;             /* the spec with passwords masked (ab_mask_secrets): for every message */
    int err;
    char errstr[MECH_ERRSTR];
    int64_t ttl_s;
    const char *key_file;   /* only during open */
    size_t cred_max;
    ajwt_alg alg;           /* jwt families */
    ajwt_keyset *keys;
    ajwt_signer *signer;
    ajwt_verifier *verifier;
    sstore *store;          /* session and jwt+denylist */
    ab_mech_settings set;   /* the spec's options (mech_opts_take) */
    size_t claims_cap;      /* bytes of the claims issue() makes, with the NUL */
    mech_cache *l1;         /* session l1=: id -> claims, shared by the threads */
    mech_cache *tcache;     /* jwt cache=: token -> mech_verified, shared by the threads */
    void *family_state;     /* a family's own shared state (jwt+pushed-denylist: mech_pushed.c) */
};

struct ab_mech_ctx {
    ab_mech *m;
    int err;
    char errstr[MECH_ERRSTR];
    ajwt_vctx *vctx;
    sstore_conn *conn;      /* a blocking handle's store connection */
    sstore_async *async;    /* a loop handle's (ab_mech_ctx_new_loop) */
    int has_loop;
    sstore_loop loop;
    mech_op *free_ops;
    ab_mech_counters n;     /* store part filled by ab_mech_ctx_counters */
    char *claims;           /* m->claims_cap bytes: the claims issue() makes, an L1 hit's copy */
    sstore_pubsub *pubsub;  /* jwt+pushed-denylist: the publishing connection (counted as the store's) */
};

extern const mech_ops ab_mech_none_ops;
extern const mech_ops ab_mech_session_ops;
extern const mech_ops ab_mech_jwt_ops;
extern const mech_ops ab_mech_denylist_ops;
extern const mech_ops ab_mech_pushed_ops;
extern const mech_ops ab_mech_refresh_ops;

/* Sets m's error (code is an ab_mech_status) and message. Returns -1. */
int mech_fail(ab_mech *m, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sets c's error and message. Returns status. */
int mech_ctx_fail(ab_mech_ctx *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* 1 when name (len bytes) is a user name: 1..AB_MECH_USER_MAX of [A-Za-z0-9._-]. */
int mech_user_valid(const char *name, size_t len);
/* Copies a valid user name into out->sub. AB_MECH_OK, or status_if_bad when it is not valid. */
int mech_set_principal(ab_mech_principal *out, const char *sub, size_t len, int status_if_bad);
/* Maps a store status to an ab_mech_status: NOT_FOUND -> not_found, ERR_ARG -> MALFORMED, the rest
 * STORE_ERROR. */
int mech_store_status(int st, int not_found);
/* Opens m->store from uri, or fails m with the store's message. 0 or -1. */
int mech_open_store(ab_mech *m, const char *uri);
/* Connects c to m->store (non-blocking for a loop handle); an unreachable store is recorded in c's
 * error, not fatal. 0 or -1. */
int mech_connect_store(ab_mech_ctx *c);
/* Frees c's store connection, either kind (what a loop handle has in flight completes first). */
void mech_disconnect_store(ab_mech_ctx *c);
/* Makes the claims issue() stores or signs for user, with a fresh jti (validating the name), in
 * c->claims (valid until the next call on c). An ab_mech_status; *n the claims' length. */
int mech_issue_claims(ab_mech_ctx *c, const char *user, size_t *n);
/* The family called name ("session", "jwt", …), or NULL. */
const mech_ops *mech_family_named(const char *name);
/* mech_opts.c: fills m->set from the options in arg's query that m's family takes (an option of
 * another family, a bad value, or for a family without a store an unknown option, fails m).
 * Returns arg without them, malloc'd (a store URI keeps its own options), or NULL (m's error set). */
char *mech_opts_take(ab_mech *m, const char *arg);
/* Counts a call's outcome in c (a success adds to *ok_counter and clears the error); returns status. */
int mech_count(ab_mech_ctx *c, int status, uint64_t *ok_counter);
/* mech_async.c: the store's completion callback of every _async operation (arg is the mech_op). */
void mech_op_cb(void *arg, int status, const sstore_result *r);
/* mech_async.c: what a submit that did not take the operation means: STORE_ERROR (or MALFORMED
 * for a bad id), with the store's message, prefixed by what. */
int mech_submit_failed(ab_mech_ctx *c, int st, const char *what);

/* mech_async.c: an operation record for a family's own _async call (mech_refresh.c's refresh), and
 * its start after the family's submit returned st (as the _async calls of ab_mech.h do). */
mech_op *mech_op_begin(ab_mech_ctx *c, ab_mech_done_fn done, void *arg, uint64_t *ok_counter);
int mech_op_start(ab_mech_ctx *c, mech_op *op, int st);

/* ---- mech_jwt.c's JWT calls, shared with the other JWT families (mech_pushed.c) ------------- */

/* Opens the algorithm (alg_len bytes of alg), its key, signer and verifier into m. 0 or -1. */
int mech_jwt_open_alg(ab_mech *m, const char *alg, size_t alg_len);
/* Frees keys, signer, verifier and m->store. */
void mech_jwt_close(ab_mech *m);
/* Signs claims into out (the issue call of mech_ops). */
int mech_jwt_issue(ab_mech_ctx *c, const char *user, const char *claims, size_t claims_len, char *out,
                   size_t cap, size_t *out_len);
/* Verifies signature and claims into c->vctx, sub into *out. An ab_mech_status. */
int mech_jwt_verify(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out);
/* The verified token's jti, or NULL with the error set. */
const char *mech_jwt_jti(ab_mech_ctx *c);

#endif /* AB_MECH_PRIVATE_H */

/* ab_mech.h — authentication mechanisms: the one interface where server-side sessions and stateless
 * JWTs meet, so the simulated server never knows which one it runs.
 *
 * Prefix: ab_mech_ / AB_MECH_.
 *
 * Object model
 *   ab_mech      a mechanism opened from a spec string: keys, verification policy, the store. Built
 *                once, then shared read-only by every thread — except its optional caches (the
 *                session L1, l1=, and the verified-token cache, cache=), which every thread reads
 *                and writes under their own locks.
 *   ab_mech_ctx  one thread's handle: its own store connection, verification state, counters and
 *                last error. One per thread; never shared.
 *
 * Specs
 *   none                              the floor: the credential is the user name (bearer)
 *   session:<store URI>               a session in a store; the credential is its id (cookie "sid")
 *   jwt:<ALG>                         a signed JWT (bearer), ALG one of HS256 … EdDSA
 *   jwt+denylist:<ALG>,<store URI>    a JWT whose jti is looked up in a denylist kept in a store
 *   jwt+pushed-denylist:<ALG>,<URI>   a JWT checked against a denylist in this process's memory,
 *                                     kept by a subscriber thread (mech_pushed.c) from the store's
 *                                     channel: redis:// pub/sub, postgres:// LISTEN/NOTIFY, or on
 *                                     memcached:// a log polled every sync_ms (sstore.h, "Publish /
 *                                     subscribe"): no store round trip per request; revoke writes
 *                                     and publishes (blocking, also on a loop handle: one round
 *                                     trip, memcached two)
 *   jwt+refresh:<ALG>,<store URI>[?access_ttl=S]  a short-lived access JWT (S seconds, default 300;
 *                                     stateless check) and a refresh token in the store, valid for
 *                                     the mechanism's ttl: ab_mech_refresh buys a new access token
 *                                     (mech_refresh.c); logout deletes the refresh token
 *   Store URIs are those of sstore.h: memory://, redis://host:port, file:///dir?…
 *
 * Options ride on the spec as query parameters: after the ALG of jwt:<ALG>?…, and in the store URI's
 * query of the others, beside the store's own (taken out before the URI reaches the store), e.g.
 * session:redis://127.0.0.1:6379?timeout_ms=500&touch=after:60&l1=1s, jwt:ES256?cache=10000&claims=1000:
 *   claims=BYTES          session, jwt, jwt+denylist: the claims JSON is padded to BYTES (256..49152)
 *                         with deterministic roles, scopes and groups ("scope", "groups" members), as
 *                         identity providers issue for users in many groups; a JWT carries it, a
 *                         session stores it. Default: the ~250-byte claims below.
 *   touch=never|always|after:S  session: rolling expiry on authenticate: no write (default), a
 *                         sstore_touch on every request, or one when the session's last write
 *                         (the store's last_seen) is S seconds old or older (connect-redis touchAfter);
 *                         last_seen and the clock are whole seconds, so after:S writes S to S+1 s
 *                         after the last write. Counted in touches; the store counts its bytes.
 *   l1=TTL, l1_size=N     session: a per-server cache in front of the store (one per ab_mech, shared
 *                         by every thread of the server; bounded LRU of N entries, default 100000) of
 *                         id -> claims; an entry older than TTL ("500ms", "2s") is fetched again. A
 *                         logout on this server drops its entry; another server keeps serving the
 *                         session until its entry is TTL old: TTL is the revocation delay (also
 *                         here when another thread's lookup raced the logout). An entry never
 *                         outlives the session's expiry. Counted in l1_hits and l1_misses.
 *                         Not combined with touch other than never (a hit does not write).
 *   cache=N               jwt: a per-server cache (shared by the server's threads) of N verified
 *                         tokens, keyed by a keyed 64-bit hash of the token and compared in full;
 *                         value = principal and exp; an entry is never used at or past its exp
 *                         (the verifier's own rule), a refused token is never kept. Counted in
 *                         cache_hits and cache_misses.
 *   on_store_error=closed|open  jwt+denylist: when the denylist cannot be read, refuse with
 *                         STORE_ERROR (closed, default: the server answers 503) or accept on the
 *                         signature alone (open: a revoked token passes while the store is out;
 *                         counted in fail_open). A logout needs the store either way.
 *   access_ttl=S          jwt+refresh: the access token's lifetime, whole seconds (default 300),
 *                         shorter than the refresh token's (the mechanism's ttl).
 *   sync_ms=N             jwt+pushed-denylist over memcached:// (no pub/sub): how often each server
 *                         polls the store's revocation log, 1..60000 ms (default 100,
 *                         SSTORE_PUBSUB_SYNC_MS_DEFAULT): the revocation delay's bound. Refused on
 *                         a store that pushes (redis://, postgres://).
 * An unknown option of a storeless family, or an option of another family, is an error at open.
 *
 * Credential size: AB_MECH_COOKIE_LIMIT and AB_MECH_HEADER_LIMIT mark the sizes where a credential
 * stops fitting a browser cookie and a request header (ab_mech_size_note names them). The
 * mechanism issues credentials past both (measuring what a large token costs is the point); a
 * server with an 8 KiB header buffer (authbench serve's) answers such requests 431.
 *
 * Every mechanism issues the same claims (sub, iss "authbench", aud "authbench-api", iat, exp, jti,
 * roles ["user"], name, email): a JWT carries them, a session stores exactly that JSON. Both sides
 * decode them on every request: a JWT verification parses its payload, a session lookup parses the
 * stored claims (with cJSON, as an app deserialises its session) and takes sub from them.
 *
 * Blocking and asynchronous calls
 *   ab_mech_issue/authenticate/revoke block until they have an answer (a store round trip
 *   included): what a worker of a thread-pool server calls, on a handle from ab_mech_ctx_new.
 *   The _async variants are for an event loop, on a handle from ab_mech_ctx_new_loop, whose store
 *   client is non-blocking and driven by the loop's hooks (ab_mech_loop; the handle passes them to
 *   the store, the server never learns what waits): they answer at once when they can (none,
 *   jwt:<ALG>, session:memory://: nothing to wait for) and otherwise return AB_MECH_PENDING and
 *   call done(arg, status) exactly once, later, on the loop's thread, from inside one of the
 *   ab_mech_ctx_on_* entry points (or ab_mech_ctx_free, with STORE_ERROR, for what is still in
 *   flight). On a handle from ab_mech_ctx_new they block and answer at once.
 *
 * Errors live in the handle that failed (ab_mech_errstr(), ab_mech_ctx_errstr(); never NULL).
 * Destructors accept NULL.
 */
#ifndef AB_MECH_H
#define AB_MECH_H

#include <stddef.h>
#include <stdint.h>

#include "sstore.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AB_MECH_USER_MAX 64       /* longest user name: 1..64 of [A-Za-z0-9._-] */
#define AB_MECH_DEFAULT_TTL 3600  /* seconds a credential lives unless options say otherwise */

/* Outcome of every call. Each has a short stable name (ab_mech_status_name) used as the "reason"
 * a server reports; ab_mech_status_http gives the HTTP status a server answers with. */
typedef enum ab_mech_status {
    AB_MECH_OK = 0,
    AB_MECH_MISSING,         /* no credential presented (set by the server, never by the calls) */
    AB_MECH_MALFORMED,       /* not a credential of this mechanism (bad format, too long) */
    AB_MECH_BAD_SIGNATURE,   /* signature or algorithm refused */
    AB_MECH_EXPIRED,         /* token past its exp */
    AB_MECH_INVALID_CLAIMS,  /* iss, aud, sub, nbf, iat or a claim's type refused */
    AB_MECH_REVOKED,         /* token's jti is on the denylist */
    AB_MECH_UNKNOWN_SESSION, /* no such session (never created, logged out, or expired) */
    AB_MECH_STORE_ERROR,     /* the store failed (unreachable, timeout, I/O): the server's 503 */
    AB_MECH_BAD_USER,        /* issue(): user name empty, too long or with other characters */
    AB_MECH_INTERNAL,        /* out of memory, a signing failure: not the client's fault */
    AB_MECH_STATUS__COUNT
} ab_mech_status;

/* "ok", "missing_credential", "malformed", "bad_signature", "expired", "invalid_claims", "revoked",
 * "unknown_session", "store_unavailable", "bad_user", "internal". Never NULL. */
const char *ab_mech_status_name(int status);
/* 200 for OK, 401 for a credential refused, 503 for STORE_ERROR, 400 for BAD_USER, 500 INTERNAL. */
int ab_mech_status_http(int status);

/* How the credential travels: a cookie "sid" or an "Authorization: Bearer" header. */
typedef enum ab_mech_kind { AB_MECH_COOKIE, AB_MECH_BEARER } ab_mech_kind;
/* "cookie" or "bearer". */
const char *ab_mech_kind_name(ab_mech_kind kind);

typedef struct ab_mech_options {
    const char *key_file; /* jwt mechanisms: an HMAC secret or private PEM (authbench jwt keygen) */
    int64_t ttl_s;        /* credential lifetime; <= 0 means AB_MECH_DEFAULT_TTL */
} ab_mech_options;

typedef struct ab_mech ab_mech;
typedef struct ab_mech_ctx ab_mech_ctx;

#define AB_MECH_CLAIMS_MIN 256     /* smallest claims= (the default claims are about that size) */
#define AB_MECH_CLAIMS_LIMIT 49152 /* largest claims=: a JWT of it is ~64 KiB */
#define AB_MECH_L1_SIZE 100000     /* l1_size= default */
#define AB_MECH_COOKIE_LIMIT 4096  /* bytes of one cookie every browser keeps (RFC 6265 §6.1) */
#define AB_MECH_HEADER_LIMIT 8192  /* bytes of request headers servers accept by default (serve's
                                      buffer, nginx's large_client_header_buffers, Apache's 8190) */

/* Session expiry on authenticate (touch=). */
typedef enum ab_mech_touch { AB_MECH_TOUCH_NEVER, AB_MECH_TOUCH_ALWAYS, AB_MECH_TOUCH_AFTER } ab_mech_touch;

/* The options a spec carried (see Specs above), defaults filled in. */
typedef struct ab_mech_settings {
    size_t claims_bytes;    /* claims=; 0: the default claims */
    ab_mech_touch touch;
    int64_t touch_after_s;  /* touch=after:S */
    char touch_name[24];    /* "never" | "always" | "after:S"; "" when the family is not session */
    uint64_t l1_ttl_us;     /* l1=; 0: no L1 cache */
    size_t l1_size;         /* l1_size= (only with l1=) */
    size_t cache_size;      /* cache=; 0: no verified-token cache */
    int store_error_open;   /* on_store_error=open (1) or closed (0) */
    int64_t access_ttl_s;   /* jwt+refresh: access_ttl=S, the access token's lifetime; 0: the default */
    unsigned sync_ms;       /* jwt+pushed-denylist: sync_ms=N; 0: not given (memcached polls every
                               SSTORE_PUBSUB_SYNC_MS_DEFAULT ms) */
} ab_mech_settings;

/* Opens a mechanism from a spec (options may be NULL: defaults, no key). Returns NULL only when
 * memory is exhausted; otherwise check ab_mech_err(): an unknown spec, a bad store URI, a missing
 * or unusable key are reported there with a message saying what to do. */
ab_mech *ab_mech_open(const char *spec, const ab_mech_options *options);
void ab_mech_close(ab_mech *m);
int ab_mech_err(const ab_mech *m);
const char *ab_mech_errstr(const ab_mech *m);

/* The spec as given but with any store password shown as "***" (ab_mask_secrets: what /stats and
 * messages show), the family ("none", "session", "jwt", "jwt+denylist", "jwt+pushed-denylist"),
 * and the kind. */
const char *ab_mech_spec(const ab_mech *m);
const char *ab_mech_family(const ab_mech *m);
ab_mech_kind ab_mech_kind_of(const ab_mech *m);
/* Reads mechanism options alone (query: the text after '?', "touch=always&claims=1000", maybe
 * "") for family ("session", "jwt", "jwt+denylist"), with ab_mech_open's rules but no store
 * options: what a scenario names. 0 with *out filled (out may be NULL), or -1 with one line in err
 * (len bytes). */
int ab_mech_options_parse(const char *family, const char *query, ab_mech_settings *out, char *err,
                          size_t len);
/* The options m was opened with (never NULL; all defaults when the spec did not open). */
const ab_mech_settings *ab_mech_settings_of(const ab_mech *m);
/* What a credential of len bytes passes: "" (fits), "over the 4096-byte cookie limit", or "over the
 * 8192-byte header limit (answered 431 by servers with an 8 KiB header buffer)". Never NULL. */
const char *ab_mech_size_note(size_t len);
/* 1 when revoke() really revokes; 0 for "none", whose credentials cannot be withdrawn. */
int ab_mech_can_revoke(const ab_mech *m);
/* The longest credential issue() can write (without the NUL). */
size_t ab_mech_credential_max(const ab_mech *m);

/* The calling thread's handle (m must outlive it). Returns NULL only when memory is exhausted;
 * check ab_mech_ctx_err(): an unreachable store is reported there (the handle stays usable and
 * its store connection retries). */
ab_mech_ctx *ab_mech_ctx_new(ab_mech *m);
void ab_mech_ctx_free(ab_mech_ctx *c);
int ab_mech_ctx_err(const ab_mech_ctx *c);
const char *ab_mech_ctx_errstr(const ab_mech_ctx *c);

/* Login: issues a credential for user into out (cap bytes, NUL-terminated; cap >
 * ab_mech_credential_max() always suffices), its length in *out_len. Returns an ab_mech_status. */
int ab_mech_issue(ab_mech_ctx *c, const char *user, char *out, size_t cap, size_t *out_len);

/* Who a credential belongs to. */
typedef struct ab_mech_principal {
    char sub[AB_MECH_USER_MAX + 1];
} ab_mech_principal;

/* Every request: checks a credential (len bytes, need not be NUL-terminated) and fills *out.
 * Returns an ab_mech_status; the detail is in ab_mech_ctx_errstr() (it never quotes the
 * credential). */
int ab_mech_authenticate(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out);

/* Logout: deletes the session, or puts the token's jti on the denylist until the token's exp.
 * The credential must authenticate first (a revoked or unknown one gives that status). For
 * "none" it only authenticates: nothing can be revoked (see ab_mech_can_revoke). */
int ab_mech_revoke(ab_mech_ctx *c, const char *cred, size_t len);

/* ---- calls that may complete later (event-loop servers) ---------------------------------- */

#define AB_MECH_PENDING (-1) /* an _async call's answer comes later, through done */

/* The answer of an _async call that returned AB_MECH_PENDING: an ab_mech_status. */
typedef void (*ab_mech_done_fn)(void *arg, int status);

/* The caller's event loop as the handle's store sees it (hiredis's async adapters' shape): interest
 * in reading or writing an fd (level-triggered: it lasts until the del hook), and cleanup when the
 * fd is about to be closed. data is passed back to every hook. */
typedef struct ab_mech_loop {
    void *data;
    void (*add_read)(void *data, int fd);
    void (*del_read)(void *data, int fd);
    void (*add_write)(void *data, int fd);
    void (*del_write)(void *data, int fd);
    void (*cleanup)(void *data, int fd);
} ab_mech_loop;

/* A handle for one event loop (hooks copied; they may be called from inside this call and any
 * ab_mech_ctx_* call on it): its store connection is non-blocking. Errors as for ab_mech_ctx_new.
 * Only the _async calls are for it (the blocking ones answer AB_MECH_INTERNAL where a store is
 * involved). */
ab_mech_ctx *ab_mech_ctx_new_loop(ab_mech *m, const ab_mech_loop *loop);
/* The loop's entry points: fd (one a hook asked about) is readable / writable. */
void ab_mech_ctx_on_readable(ab_mech_ctx *c, int fd);
void ab_mech_ctx_on_writable(ab_mech_ctx *c, int fd);
/* Milliseconds until ab_mech_ctx_on_timer is due (0: now), or -1: no timer needed. */
int ab_mech_ctx_timeout_ms(const ab_mech_ctx *c);
/* Times out what waited too long, retries what waits for a reconnect. */
void ab_mech_ctx_on_timer(ab_mech_ctx *c);

/* 1 when c's _async calls may return AB_MECH_PENDING, 0 when they always answer at once: a loop
 * handle whose store completes inline (memory://, sstore_completes_inline) holds a blocking store
 * connection, so its blocking calls are allowed too, and cheaper (no submit and callback). */
int ab_mech_ctx_async(const ab_mech_ctx *c);
/* ab_mech_authenticate, answering at once (a status) or later (AB_MECH_PENDING; *out is filled
 * before done runs and must stay valid until then). cred is read during the call only. */
int ab_mech_authenticate_async(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_principal *out,
                               ab_mech_done_fn done, void *arg);
/* ab_mech_issue, answering at once or later (out and out_len must stay valid until done runs). */
int ab_mech_issue_async(ab_mech_ctx *c, const char *user, char *out, size_t cap, size_t *out_len,
                        ab_mech_done_fn done, void *arg);
/* ab_mech_revoke, answering at once or later. cred is read during the call only. */
int ab_mech_revoke_async(ab_mech_ctx *c, const char *cred, size_t len, ab_mech_done_fn done,
                         void *arg);

/* ---- refresh tokens (jwt+refresh) -------------------------------------------------------- */

/* After an issue on a jwt+refresh handle returned OK (or its done ran with OK): the refresh token
 * that came with the access token out (out_len bytes), which follows the access token's NUL in
 * out (ab_mech_credential_max counts both). NULL for every other family. */
const char *ab_mech_refresh_token_of(const ab_mech *m, const char *out, size_t out_len);
/* A new access token for a refresh token (len bytes) into out: one store lookup and a signature.
 * An ab_mech_status: UNKNOWN_SESSION for a refresh token unknown, expired or logged out,
 * MALFORMED for one of the wrong shape or a mechanism without refresh tokens. */
int ab_mech_refresh(ab_mech_ctx *c, const char *token, size_t len, char *out, size_t cap, size_t *out_len);
/* The same, answering at once or later (AB_MECH_PENDING; out and out_len stay valid until done). */
int ab_mech_refresh_async(ab_mech_ctx *c, const char *token, size_t len, char *out, size_t cap, size_t *out_len,
                          ab_mech_done_fn done, void *arg);

/* Store I/O of a handle: the store's own counters (SSTORE_COUNTERS in sstore.h); all zero without
 * a store. */
typedef sstore_counters ab_mech_store_io;

/* A handle's own counters, declared once: X(name, description). All monotonic uint64_t. */
#define AB_MECH_COUNTERS(X) \
    X(issued, "credentials issued") \
    X(authenticated, "authenticate() calls that returned OK") \
    X(revoked, "revoke() calls that returned OK") \
    X(signatures, "JWTs signed") \
    X(verifications, "JWT verifications attempted (signature and claims)") \
    X(touches, "session writes on authenticate (touch=always|after:S): sstore_touch calls") \
    X(l1_hits, "session lookups answered by the server's L1 cache (l1=): no store round trip") \
    X(l1_misses, "session lookups the L1 cache did not have (absent or older than its TTL)") \
    X(cache_hits, "tokens found in the verified-token cache (cache=): no signature check") \
    X(cache_misses, "tokens the verified-token cache did not have (then verified)") \
    X(fail_open, "denylist lookups that failed and let the token through (on_store_error=open)") \
    X(refreshed, "refresh() calls that returned OK (jwt+refresh: access tokens reissued)")

/* A handle's counters, all monotonic since it was made. */
#define AB_MECH_COUNTER_FIELD_(name, desc) uint64_t name;
typedef struct ab_mech_counters {
    AB_MECH_COUNTERS(AB_MECH_COUNTER_FIELD_)
    uint64_t failures[AB_MECH_STATUS__COUNT]; /* failed calls, by status (index 0 unused) */
    ab_mech_store_io store;
} ab_mech_counters;
#undef AB_MECH_COUNTER_FIELD_

/* What a mechanism keeps for the whole process rather than per handle, declared once:
 * X(name, description), uint64_t each (jwt+pushed-denylist's subscriber; zero for the others).
 * The two last are gauges (now), the others monotonic. */
#define AB_MECH_SHARED(X) \
    X(push_heard, "revocations heard on the channel") \
    X(push_catchups, "catch-ups from the store: one per (re)subscribe") \
    X(push_missed, "revocations a catch-up after a re-subscribe found that the channel had not delivered") \
    X(push_breaks, "subscriptions lost") \
    X(push_denylist, "jtis in the in-memory denylist (gauge)") \
    X(push_last_catchup_us, "how long the last catch-up took, microseconds (gauge)") \
    X(push_gaps, "log entries gone before this server read them (memcached: expired or evicted)") \
    X(push_sync_ms, "the poll interval of a store without pub/sub (memcached), ms; 0 when pushed (gauge)")

#define AB_MECH_SHARED_FIELD_(name, desc) uint64_t name;
typedef struct ab_mech_shared_counters {
    AB_MECH_SHARED(AB_MECH_SHARED_FIELD_)
} ab_mech_shared_counters;
#undef AB_MECH_SHARED_FIELD_

/* A snapshot of m's process-wide figures (thread-safe). */
void ab_mech_shared(const ab_mech *m, ab_mech_shared_counters *out);

/* A snapshot of c's counters (all zero for c NULL: a thread without a handle). */
void ab_mech_ctx_counters(const ab_mech_ctx *c, ab_mech_counters *out);
/* acc += x, field by field. */
void ab_mech_counters_add(ab_mech_counters *acc, const ab_mech_counters *x);

/* The claims JSON issue() would produce for user at iat with this jti and ttl (exposed so tests
 * check both sides carry the same claims). Writes at most cap bytes with the NUL; returns the
 * length, or 0 when user is not a valid name or cap is too small. */
size_t ab_mech_claims(const char *user, int64_t iat, int64_t ttl_s, const char *jti, char *out,
                      size_t cap);
/* The same claims padded to exactly bytes (claims=; 0 or no more than the plain claims: unpadded)
 * with deterministic "scope" and "groups" members. The same return contract. */
size_t ab_mech_claims_sized(const char *user, int64_t iat, int64_t ttl_s, const char *jti,
                            size_t bytes, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* AB_MECH_H */

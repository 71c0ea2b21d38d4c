/* ab_revoke.h — revocation latency, measured: a user logs in on the first server, every server is
 * checked to accept the credential, the user logs out on the first server, and every server is
 * probed until each one rejects the credential. The time until ALL reject, over many samples.
 *
 * Prefix: ab_revoke_ / AB_REVOKE_.
 *
 * Object model: one call (ab_revoke_measure) on the caller's thread, blocking, with its own
 * keep-alive connection per server; the caller's ab_revoke_opts and ab_revoke_result, nothing
 * allocated that outlives the call except what ab_revoke_json returns (the caller deletes it).
 * Errors: a return of -1 with one line in the caller's err buffer.
 *
 * A login that also gives a refresh token (jwt+refresh) has it used once, before the logout: one
 * POST /refresh on the first server, timed (the issuer's work: a store read and a signature).
 *
 * What one sample measures
 *   t0 is the moment the logout's answer arrived (the revocation acknowledged to the user). Each
 *   server is then probed (GET /api/x with the credential; the servers in parallel, one request
 *   each per probe round, a round every probe_interval_us at most) and its latency is when the
 *   first probe it refused (401) was SENT, minus t0: the credential was no longer accepted by a
 *   request leaving then. The sample's value is the largest over the servers. Resolution: one
 *   probe round (the interval, or a round's own time when that is longer).
 *   A credential still accepted max_wait_us after t0, or at once when the logout answered
 *   {"revoked":false} (a stateless token: nothing was withdrawn), is a token whose end is its exp:
 *   when it is a JWT with an exp claim, the sample's value is its remaining lifetime at t0
 *   (exp − now, from the token's own claims) and the method becomes "token_lifetime"; otherwise
 *   (a credential with no lifetime to wait for) the measurement fails: "not revoked within max-wait".
 *   A 503 (store unavailable) is not a refusal: probing goes on.
 *
 * The stated bound (bound_us), from the first server's GET /stats ("family", "mechanism"); "one
 * request" is the p99 round trip of the probes' accepted answers, measured in the same call, plus
 * one probe interval (the measurement's resolution):
 *   session:<URI>, jwt+denylist     the next lookup: one request
 *   session:<URI>?l1=TTL            TTL (the per-server cache's staleness) + one request
 *   jwt+pushed-denylist             one request + AB_REVOKE_PUSH_ALLOWANCE_US: the PUBLISH reply
 *     (redis: pubsub,               and the message leave Redis in the same turn of its loop
 *      postgres: notify)            (PostgreSQL: the notification leaves at the INSERT's commit,
 *                                   before its reply), so the subscriber has the jti about when
 *                                   the logout's server has its reply; the allowance is the
 *                                   subscriber thread's wake-up and one turn of a server loop on
 *                                   a shared machine
 *   jwt+pushed-denylist (memcached: sync_ms (/stats push_sync_ms) + one request + the allowance:
 *     poll)                         the log entry is written before the logout answers, every
 *                                   server reads the log at most sync_ms later, and a sync is two
 *                                   store round trips (about one request's)
 *   jwt, jwt+refresh                the token's whole lifetime (exp − iat)
 *   anything else                   not stated (-1)
 */
#ifndef AB_REVOKE_H
#define AB_REVOKE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_REVOKE_MAX_TARGETS 16
#define AB_REVOKE_PUSH_ALLOWANCE_US 1000 /* see "The stated bound" above */

typedef struct ab_revoke_opts {
    const char *targets[AB_REVOKE_MAX_TARGETS]; /* "HOST:PORT"; the first one logs in and out */
    size_t ntargets;
    unsigned samples;           /* users logged in and out (default 20) */
    uint64_t probe_interval_us; /* at most one probe round per interval (default 1 ms) */
    uint64_t max_wait_us;       /* how long a credential may stay accepted (default 5 s) */
    const char *user_prefix;    /* user names are <prefix>-<pid>-<n> (default "revoke") */
    uint64_t *values;           /* NULL, or the caller's samples entries: each sample's value (µs) */
    uint64_t *refresh_values;   /* NULL, or the same for each timed POST /refresh (refresh_n of them) */
} ab_revoke_opts;

/* Fills the defaults above (no targets). */
void ab_revoke_opts_init(ab_revoke_opts *o);

typedef struct ab_revoke_result {
    char method[16];           /* "probed" or "token_lifetime" */
    unsigned n;                /* samples */
    uint64_t p50_us, p99_us, max_us;
    int64_t bound_us;          /* the stated bound (above), -1 when not stated */
    char family[32];           /* the first server's /stats "family" */
    char mechanism[256];       /* and "mechanism" (passwords masked by the server) */
    uint64_t sync_ms;          /* and "push_sync_ms": a polled denylist's interval, 0 when pushed */
    uint64_t request_p50_us;   /* one accepted request's round trip: what "fast" is compared to */
    uint64_t request_p99_us;
    unsigned token_lifetime_samples; /* samples whose value is a remaining lifetime */
    unsigned refresh_n;        /* jwt+refresh: POST /refresh timed, one per sample (0 otherwise) */
    uint64_t refresh_p50_us, refresh_p99_us, refresh_max_us; /* their round trips */
    uint64_t probes;           /* requests sent after the logouts */
    uint64_t revoked_probes;   /* of which refused */
} ab_revoke_result;

/* Runs o->samples samples against the servers. 0 with *out filled, or -1 with one line in err
 * (a server unreachable or answering something else than the endpoints promise, a fresh
 * credential refused by a server, a credential not revoked within max-wait). */
int ab_revoke_measure(const ab_revoke_opts *o, ab_revoke_result *out, char *err, size_t errlen);

/* results.json's revocation_latency_us: {"p50","p99","max","n","bound_us","method"} (bound_us
 * null when not stated). NULL when out of memory. */
cJSON *ab_revoke_json(const ab_revoke_result *r);

#ifdef __cplusplus
}
#endif

#endif /* AB_REVOKE_H */

/* ajwt.h — authbench's JWS compact-serialization library (sign/verify JWTs on OpenSSL 3 and cJSON).
 *
 * Prefix: ajwt_ / AJWT_ (never jwt_*, which belongs to libjwt, linked as a peer baseline).
 *
 * Object model
 *   ajwt_keyset   one or more keys (HMAC secrets, PEM keys, JWK, JWKS), each bound to the algorithms
 *                 its type allows. Built once, then read-only: safe to share between threads.
 *   ajwt_signer   signs claims with one key and one algorithm. Thread-safe after creation.
 *   ajwt_verifier verification policy (allowed algorithms, iss, aud, leeway, required claims,
 *                 limits, clock) over a keyset. Configure once, then read-only and shareable.
 *   ajwt_vctx     per-thread verification state (prepared digest/MAC contexts, scratch buffers,
 *                 the last verified payload and the last error). One per thread; never shared.
 *
 * Errors live in the handle that failed: every handle has an error code accessor and a message
 * accessor that never returns NULL ("" when there is no error). There is no global error state.
 * Constructors return NULL only when memory is exhausted.
 *
 * Ownership: the library never keeps pointers to caller buffers past the call unless a comment
 * says so. Destructors accept NULL.
 */
#ifndef AJWT_H
#define AJWT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- algorithms ---------------------------------------------------------------------------- */

typedef enum ajwt_alg {
    AJWT_ALG_INVALID = 0, /* never a usable algorithm; "none" maps here and is always refused */
    AJWT_HS256, AJWT_HS384, AJWT_HS512,
    AJWT_RS256, AJWT_RS384, AJWT_RS512,
    AJWT_PS256, AJWT_PS384, AJWT_PS512,
    AJWT_ES256, AJWT_ES384, AJWT_ES512,
    AJWT_EDDSA,   /* "EdDSA" (RFC 8037), Ed25519 keys only */
    AJWT_ED25519, /* "Ed25519", the fully-specified identifier of RFC 9864 */
    AJWT_ALG_COUNT
} ajwt_alg;

/* The JOSE name ("HS256", …, "EdDSA", "Ed25519"); "invalid" for anything else. Never NULL. */
const char *ajwt_alg_name(ajwt_alg alg);
/* Parses a JOSE name (exact, case-sensitive). Returns AJWT_ALG_INVALID for unknown names and for
 * "none". */
ajwt_alg ajwt_alg_from_name(const char *name);
/* Parses "HS256,RS256,…" into out (at most max entries). Returns the count, or -1 on an unknown
 * or empty name. */
int ajwt_alg_list_parse(const char *list, ajwt_alg *out, int max);

/* ---- error codes --------------------------------------------------------------------------- */

typedef enum ajwt_err {
    AJWT_OK = 0,
    AJWT_ERR_NOMEM,
    AJWT_ERR_ARG,            /* invalid argument from the caller */
    AJWT_ERR_IO,             /* a key file could not be read */
    AJWT_ERR_KEY_PARSE,      /* PEM/JWK/JWKS not understood */
    AJWT_ERR_KEY_WEAK,       /* HMAC key shorter than the hash, RSA below 2048 bits */
    AJWT_ERR_KEY_ALG,        /* key type cannot be used with that algorithm (e.g. RSA key for HS256) */
    AJWT_ERR_KEY_NOT_FOUND,  /* no key for the token's kid / algorithm, or no private key to sign */
    AJWT_ERR_TOO_LONG,       /* token longer than the configured cap */
    AJWT_ERR_FORMAT,         /* not three dot-separated parts */
    AJWT_ERR_BASE64,         /* not strict base64url (padding, bad character, non-canonical bits) */
    AJWT_ERR_HEADER,         /* header not a JSON object, duplicate key, depth cap, bad member type */
    AJWT_ERR_ALG_NONE,       /* alg "none" */
    AJWT_ERR_ALG_UNKNOWN,    /* alg missing or not one of ours */
    AJWT_ERR_ALG_NOT_ALLOWED,/* alg not in the caller's allow-list */
    AJWT_ERR_CRIT,           /* crit names an extension we do not implement (b64=false included) */
    AJWT_ERR_SIG_LENGTH,     /* signature of the wrong length for the algorithm */
    AJWT_ERR_SIGNATURE,      /* signature does not verify */
    AJWT_ERR_PAYLOAD,        /* payload not a JSON object, duplicate key, depth cap */
    AJWT_ERR_CLAIM_TYPE,     /* claim of the wrong type or out of range (e.g. exp 1e300, exp 1.5) */
    AJWT_ERR_EXPIRED,        /* now >= exp + leeway */
    AJWT_ERR_NOT_YET_VALID,  /* now < nbf - leeway */
    AJWT_ERR_IAT_FUTURE,     /* iat > now + leeway */
    AJWT_ERR_ISS,            /* iss differs from the expected issuer */
    AJWT_ERR_AUD,            /* aud does not contain the expected audience */
    AJWT_ERR_CLAIM_MISSING,  /* a required claim is absent */
    AJWT_ERR_CRYPTO,         /* OpenSSL failed in a way that is not the token's fault */
    AJWT_ERR_DETACHED,       /* empty payload part: detached content (RFC 7515 App. F) is not supported */
    AJWT_ERR__COUNT
} ajwt_err;

/* A short stable name for a code ("expired", "signature", …). Never NULL. */
const char *ajwt_err_name(ajwt_err err);

/* ---- keys ---------------------------------------------------------------------------------- */

typedef struct ajwt_keyset ajwt_keyset;

ajwt_keyset *ajwt_keyset_new(void);
void ajwt_keyset_free(ajwt_keyset *ks);

/* Each add returns AJWT_OK or an error code; the message is in ajwt_keyset_errstr(). kid may be
 * NULL. Bytes are copied. */
/* An HMAC secret (raw bytes). It can sign/verify only HS*; it is refused for HSxxx whose hash is
 * longer than the secret (RFC 7518 §3.2). */
int ajwt_keyset_add_secret(ajwt_keyset *ks, const unsigned char *secret, size_t len, const char *kid);
/* A PEM key: PKCS#8 private, SPKI public, PKCS#1 RSA (private or public), SEC1 EC private.
 * RSA below 2048 bits is refused. */
int ajwt_keyset_add_pem(ajwt_keyset *ks, const char *pem, size_t len, const char *kid);
/* A JWK object or a JWKS ({"keys":[…]}); kty oct / RSA / EC / OKP(Ed25519). A JWK's own "kid" and
 * "alg" members are honoured ("alg" narrows the key to that one algorithm). */
int ajwt_keyset_add_jwk(ajwt_keyset *ks, const char *json, size_t len);
/* Reads a file and adds what it holds: PEM if it contains "-----BEGIN", JWK/JWKS if it parses as a
 * JSON object, otherwise the raw bytes as an HMAC secret. A file that starts with '{' or contains
 * "-----BEGIN" but does not parse is an error, never an HMAC secret (that would be HS/RS confusion).
 * kid names a PEM or secret key; JWK/JWKS files carry their own kids and kid is ignored for them. */
int ajwt_keyset_add_file(ajwt_keyset *ks, const char *path, const char *kid);

size_t ajwt_keyset_count(const ajwt_keyset *ks);
/* The algorithms at least one key allows, in enum order; returns the count (<= max). */
int ajwt_keyset_algs(const ajwt_keyset *ks, ajwt_alg *out, int max);
int ajwt_keyset_err(const ajwt_keyset *ks);
const char *ajwt_keyset_errstr(const ajwt_keyset *ks);

/* Generates a new key for alg: an HMAC secret of the hash's length (raw bytes) for HS*, RSA 2048
 * for RS/PS, the curve for ES*, Ed25519 for EdDSA/Ed25519. On success *priv holds the secret or a
 * PKCS#8 PEM, *pub an SPKI PEM (NULL for HS*); both malloc'd, the caller frees them. On failure
 * returns an error code and writes a message into errbuf (if not NULL). */
int ajwt_keygen(ajwt_alg alg, unsigned char **priv, size_t *priv_len, char **pub, size_t *pub_len,
                char *errbuf, size_t errbuf_len);

/* ---- base64url (RFC 4648 §5, unpadded, as JWS uses it) ------------------------------------- */

/* Length of the encoding of n bytes, and the most bytes n characters can decode to. */
#define AJWT_B64URL_ENCODED_LEN(n) ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
#define AJWT_B64URL_DECODED_MAX(n) ((n) / 4 * 3 + ((n) % 4 ? (n) % 4 - 1 : 0))
/* Encodes len bytes into out (cap >= AJWT_B64URL_ENCODED_LEN(len) + 1), NUL-terminated; *out_len
 * (may be NULL) gets the length. Returns AJWT_OK or AJWT_ERR_ARG (cap too small). */
int ajwt_b64url_encode(const unsigned char *in, size_t len, char *out, size_t cap, size_t *out_len);
/* Strict decode: no padding, no character outside [A-Za-z0-9_-], no length of 4k+1, unused bits of
 * the last character zero. Returns AJWT_OK, AJWT_ERR_BASE64 or AJWT_ERR_ARG (cap too small). */
int ajwt_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap, size_t *out_len);

/* ---- JSON ---------------------------------------------------------------------------------- */

/* Checks that json is exactly one JSON object as ajwt_verify() accepts a payload: RFC 8259 syntax,
 * valid UTF-8, no duplicate member names at any level, no "\u0000", nesting <= max_depth (0: the
 * default). Returns AJWT_OK or AJWT_ERR_PAYLOAD with a message in errbuf (if not NULL). */
int ajwt_claims_check(const char *json, size_t len, int max_depth, char *errbuf, size_t errbuf_len);

/* ---- signing ------------------------------------------------------------------------------- */

typedef struct ajwt_signer ajwt_signer;

/* A signer for alg with the key of that kid (or, kid NULL, the first key that can sign alg).
 * The keyset must outlive the signer. Check ajwt_signer_err() after creation. The token header is
 * {"alg":…,"typ":"JWT"} plus "kid" when the key has one (or kid was given). */
ajwt_signer *ajwt_signer_new(const ajwt_keyset *ks, ajwt_alg alg, const char *kid);
void ajwt_signer_free(ajwt_signer *s);
int ajwt_signer_err(const ajwt_signer *s);
const char *ajwt_signer_errstr(const ajwt_signer *s);
/* An upper bound of the token length (without the NUL) for claims of claims_len bytes. */
size_t ajwt_sign_bound(const ajwt_signer *s, size_t claims_len);
/* Signs claims (a JSON object's bytes, used verbatim as the payload) into out (cap bytes, NUL
 * terminated). *out_len gets the token length. Thread-safe. Returns AJWT_OK or an error code. */
int ajwt_sign(const ajwt_signer *s, const char *claims, size_t claims_len, char *out, size_t cap,
              size_t *out_len);
/* Low level, same key and algorithm: the raw JWS signature over input (used by tests and the
 * micro-benchmarks). *sig_len gets the length; cap must be >= 512 (1024 for RSA keys above 4096
 * bits: the signature's length is what is checked). */
int ajwt_sign_raw(const ajwt_signer *s, const unsigned char *input, size_t input_len,
                  unsigned char *sig, size_t cap, size_t *sig_len);

/* ---- verification -------------------------------------------------------------------------- */

typedef struct ajwt_verifier ajwt_verifier;
typedef struct ajwt_vctx ajwt_vctx;

/* Limits and defaults. */
#define AJWT_DEFAULT_MAX_TOKEN 8192 /* bytes */
#define AJWT_DEFAULT_MAX_DEPTH 16   /* JSON nesting levels in header and payload */

/* A verifier over ks (which must outlive it). By default: the algorithms the keys allow, no
 * iss/aud check, leeway 0, exp/nbf/iat checked when present, the system clock. */
ajwt_verifier *ajwt_verifier_new(const ajwt_keyset *ks);
void ajwt_verifier_free(ajwt_verifier *v);
int ajwt_verifier_err(const ajwt_verifier *v);
const char *ajwt_verifier_errstr(const ajwt_verifier *v);
/* Configuration, before the verifier is shared. Each returns AJWT_OK or an error code. */
int ajwt_verifier_set_algs(ajwt_verifier *v, const ajwt_alg *algs, int n);  /* allow-list */
int ajwt_verifier_set_issuer(ajwt_verifier *v, const char *iss);             /* NULL: no check */
int ajwt_verifier_set_audience(ajwt_verifier *v, const char *aud);           /* NULL: no check */
int ajwt_verifier_set_leeway(ajwt_verifier *v, int64_t seconds);
int ajwt_verifier_require(ajwt_verifier *v, const char *claim);              /* may repeat */
int ajwt_verifier_set_limits(ajwt_verifier *v, size_t max_token_bytes, int max_json_depth);
/* The clock: now(arg) returns Unix seconds. NULL restores the system clock. */
int ajwt_verifier_set_clock(ajwt_verifier *v, int64_t (*now)(void *arg), void *arg);
/* Plain JWS instead of JWT (on != 0): the payload is opaque bytes, not parsed and no claim is
 * checked. Refused (AJWT_ERR_ARG) while an issuer, audience or required claim is set, and those are
 * refused while it is on. Default off. */
int ajwt_verifier_set_opaque_payload(ajwt_verifier *v, int on);

/* Per-thread state for v (which must outlive it). */
ajwt_vctx *ajwt_vctx_new(const ajwt_verifier *v);
void ajwt_vctx_free(ajwt_vctx *c);
/* Verifies a compact JWS: format, header, algorithm policy, signature, then claims.
 * Returns AJWT_OK or the code of the first rule broken; the message a person understands
 * ("token expired at 2026-11-29T10:00:00Z, now 2026-11-29T10:05:00Z, leeway 30 s") is in
 * ajwt_vctx_errstr(). The token is not kept. */
int ajwt_verify(ajwt_vctx *c, const char *token, size_t len);
/* Low level: the signature check alone over arbitrary signing input with the keyset's key for
 * alg (kid may be NULL), under the same key/alg binding, length and range rules as ajwt_verify().
 * Used to run the Wycheproof primitive vectors through the JWS verify path. */
int ajwt_verify_raw(ajwt_vctx *c, ajwt_alg alg, const char *kid, const unsigned char *input,
                    size_t input_len, const unsigned char *sig, size_t sig_len);
/* Low level: the claim step of ajwt_verify() alone, on payload bytes that are not signed (for the
 * micro-benchmarks and tests): strict JSON object, then the verifier's claim rules. After AJWT_OK the
 * claim accessors below read this payload. */
int ajwt_verify_claims(ajwt_vctx *c, const char *payload, size_t len);
int ajwt_vctx_err(const ajwt_vctx *c);
const char *ajwt_vctx_errstr(const ajwt_vctx *c);

/* After AJWT_OK from ajwt_verify(): the decoded payload bytes (valid until the next verify on c),
 * the algorithm and kid of the token, and string / integer claims of the payload. */
const char *ajwt_vctx_payload(const ajwt_vctx *c, size_t *len);
ajwt_alg ajwt_vctx_alg(const ajwt_vctx *c);
/* The token header's kid, or NULL when it has none. Valid until the next verify on c. */
const char *ajwt_vctx_kid(const ajwt_vctx *c);
/* A top-level string claim, or NULL when absent or not a string. Valid until the next verify. */
const char *ajwt_vctx_claim_str(const ajwt_vctx *c, const char *name);
/* A top-level integer claim: returns 1 and sets *out, or 0 when absent or not an integer. */
int ajwt_vctx_claim_int(const ajwt_vctx *c, const char *name, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* AJWT_H */

/* ajwt_int.h — internals of the JWT library shared by its source files (never installed). */
#ifndef AJWT_INT_H
#define AJWT_INT_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "ajwt.h"

#define AJWT_ERRSTR_LEN 256
#define AJWT_MAX_SIG 1024      /* bytes: RSA up to 8192 bits; ES512 needs 132 */
#define AJWT_MAX_RSA_BITS 8192
#define AJWT_MAX_EC_LEN 66     /* bytes per P-521 coordinate */
#define AJWT_MAX_DEPTH_LIMIT 256
#define AJWT_MAX_KEY_FILE (1u << 20)

/* ---- algorithms (alg.c) ---- */

typedef enum ajwt_kty { AJWT_KTY_OCT = 1, AJWT_KTY_RSA, AJWT_KTY_EC, AJWT_KTY_OKP } ajwt_kty;
typedef enum ajwt_family { AJWT_FAM_HMAC = 1, AJWT_FAM_RSA_PKCS1, AJWT_FAM_RSA_PSS, AJWT_FAM_ECDSA,
                           AJWT_FAM_EDDSA } ajwt_family;

typedef struct ajwt_alg_info {
    const char *name;
    ajwt_kty kty;
    ajwt_family family;
    int md;           /* index into the prefetched digests (0 SHA-256, 1 SHA-384, 2 SHA-512), -1 none */
    size_t hash_len;  /* bytes of the hash (HMAC tag length, PSS salt length) */
    int curve_nid;    /* ECDSA: the one curve the algorithm allows */
} ajwt_alg_info;

#define AJWT_MD_COUNT 3
#define AJWT_ALG_BIT(a) (1u << (unsigned)(a))

/* The table row for alg, or NULL for AJWT_ALG_INVALID and out-of-range values. */
const ajwt_alg_info *ajwt__alg_info(ajwt_alg alg);
/* Like ajwt_alg_from_name() for a name that is not NUL-terminated. */
ajwt_alg ajwt__alg_from_span(const char *name, size_t len);
const char *ajwt__kty_name(ajwt_kty kty);

/* ---- errors and messages (err.c) ---- */

/* Formats into errstr (AJWT_ERRSTR_LEN bytes) and returns code. */
int ajwt__set_err(int *err, char *errstr, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ajwt__vset_err(int *err, char *errstr, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
void ajwt__clear_err(int *err, char *errstr);
/* "2026-11-29T10:00:00Z" into buf (>= 32 bytes). Returns buf. */
char *ajwt__fmt_utc(int64_t t, char *buf, size_t len);
/* A token-supplied string made safe for a one-line message: printable ASCII kept, other bytes as
 * \xNN, cut to about 48 characters with "…". Returns dst. */
char *ajwt__quote(char *dst, size_t cap, const char *s, size_t len);
/* Appends OpenSSL's first queued error reason (if any) to a message buffer and clears the queue. */
void ajwt__ossl_reason(char *buf, size_t len);

/* ---- base64url (b64url.c) ---- */

/* Strict decode without the cap check; out must hold AJWT_B64URL_DECODED_MAX(len) bytes.
 * Returns 0, or -1 when the input is not strict base64url. */
int ajwt__b64url_decode_raw(const char *in, size_t len, unsigned char *out, size_t *out_len);
/* Encodes; out must hold AJWT_B64URL_ENCODED_LEN(len) bytes (no NUL written). Returns the length. */
size_t ajwt__b64url_encode_raw(const unsigned char *in, size_t len, char *out);

/* ---- strict JSON (json_strict.c: parsing; json_read.c: reading) ---- */

enum { AJWT_J_OBJ = 1, AJWT_J_ARR, AJWT_J_STR, AJWT_J_NUM, AJWT_J_TRUE, AJWT_J_FALSE, AJWT_J_NULL };

typedef struct ajwt_jtok {
    const char *p; /* string: decoded, NUL-terminated; number: its text (not terminated) */
    uint32_t len;  /* string: decoded bytes; number: text bytes; object: members; array: elements */
    uint32_t next; /* index of the first token after this value and everything inside it */
    uint8_t type;
} ajwt_jtok;

/* A parsed document: tokens in document order (an object's members are key, value, key, value…).
 * Strings point into work, a private copy of the text. Reused across parses without allocating
 * once the buffers are big enough. Zero-initialise before first use. */
typedef struct ajwt_json {
    ajwt_jtok *tok;
    uint32_t ntok, cap;
    char *work;
    size_t work_cap;
    uint32_t *set; /* open-addressing scratch for duplicate checks in large objects */
    size_t set_cap;
    char why[128]; /* why the last parse failed */
} ajwt_json;

/* Parses text (len bytes). Returns 0, -1 when the text is not accepted (j->why says why), or -2 when
 * memory is exhausted. */
int ajwt__json_parse(ajwt_json *j, const char *text, size_t len, int max_depth);
void ajwt__json_free(ajwt_json *j);
/* The value token of member name in the object at index obj, or -1. */
int ajwt__json_member(const ajwt_json *j, uint32_t obj, const char *name);
/* The value of a number token if it is an integer in [-2^53, 2^53] (1e3 and 10.0 count; 1.5 and
 * 1e300 do not). Returns 0, or -1. */
int ajwt__json_int(const ajwt_jtok *t, int64_t *out);

/* ---- keys (keyset.c, key_pem.c, key_jwk.c) ---- */

typedef struct ajwt_key {
    ajwt_kty kty;
    char *kid;              /* NULL when the key has none */
    uint32_t algs;          /* AJWT_ALG_BIT()s the key may be used with */
    uint32_t weak_algs;     /* algorithms of its type refused for its size (HMAC secret too short) */
    unsigned char *secret;  /* oct */
    size_t secret_len;
    EVP_PKEY *pkey;         /* RSA, EC, OKP */
    int has_private;
    int bits;
    size_t ec_len;                          /* EC: bytes per coordinate and per r / s */
    unsigned char ec_order[AJWT_MAX_EC_LEN]; /* EC: the group order, big-endian, ec_len bytes */
} ajwt_key;

struct ajwt_keyset {
    ajwt_key **keys;
    size_t n, cap;
    EVP_MD *md[AJWT_MD_COUNT]; /* SHA-256/384/512, fetched once */
    EVP_MAC *hmac;
    int err;
    char errstr[AJWT_ERRSTR_LEN];
};

/* Frees a key. Accepts NULL. */
void ajwt__key_free(ajwt_key *k);
/* A key from an EVP_PKEY (taken over on success and on failure): RSA >= 2048 bits, EC on P-256/384/
 * 521, Ed25519. On failure returns NULL with *code and why set. */
ajwt_key *ajwt__key_from_pkey(EVP_PKEY *pkey, int has_private, int *code, char *why, size_t whylen);
/* An HMAC key (bytes copied). NULL with *code/why when the secret is shorter than 32 bytes. */
ajwt_key *ajwt__key_from_secret(const unsigned char *secret, size_t len, int *code, char *why,
                                size_t whylen);
/* Restricts k to one algorithm (a JWK's "alg"). Returns AJWT_OK or KEY_ALG / KEY_WEAK with why. */
int ajwt__key_narrow(ajwt_key *k, ajwt_alg alg, char *why, size_t whylen);
/* Sets k->kid to a copy of kid (NULL clears). Returns AJWT_OK or AJWT_ERR_NOMEM. */
int ajwt__key_set_kid(ajwt_key *k, const char *kid);
/* Appends keys (ownership taken in all cases): all or none. Returns AJWT_OK or AJWT_ERR_NOMEM. */
int ajwt__keyset_push(ajwt_keyset *ks, ajwt_key **keys, size_t n);
/* 1 when data is a DER-encoded private or public key (which must never become an HMAC secret). */
int ajwt__is_der_key(const char *data, size_t len);
/* Parses a PEM key into a key (kid not set). */
ajwt_key *ajwt__key_from_pem(const char *pem, size_t len, int *code, char *why, size_t whylen);

/* Picks the key for alg: the first whose kid equals kid (any key when kid is NULL) and that allows
 * alg; need_private for signing. Returns its index, or -1 with *code and why (KEY_NOT_FOUND, KEY_ALG
 * or KEY_WEAK). */
int ajwt__keyset_pick(const ajwt_keyset *ks, ajwt_alg alg, const char *kid, int need_private,
                      int *code, char *why, size_t whylen);

/* ---- prepared signature contexts (sigops.c) ---- */

/* What one (key, algorithm) pair needs, prepared once and reused; owned by one thread at a time. */
typedef struct ajwt_op {
    const ajwt_key *key;
    ajwt_alg alg;
    const EVP_MD *md;   /* prefetched, owned by the keyset */
    EVP_MAC_CTX *mac;   /* HMAC with the key set */
    EVP_PKEY_CTX *pctx; /* RSA / ECDSA: sign- or verify-initialised, padding and digest set */
    EVP_MD_CTX *mdctx;  /* RSA / ECDSA: the digest context; EdDSA: DigestSign/VerifyInit'ed */
} ajwt_op;

/* Prepares op for key and alg, for signing (sign != 0) or verifying. Returns AJWT_OK or an error
 * code with why. On failure op holds nothing. */
int ajwt__op_init(ajwt_op *op, const ajwt_keyset *ks, const ajwt_key *key, ajwt_alg alg, int sign,
                  char *why, size_t whylen);
void ajwt__op_clear(ajwt_op *op);
/* The signature length the algorithm and key produce (HMAC tag, RSA modulus, 2 × EC coordinate,
 * 64 for Ed25519). */
size_t ajwt__sig_len(const ajwt_key *key, ajwt_alg alg);
/* Verifies sig (already checked to be ajwt__sig_len() bytes) over input. Returns AJWT_OK,
 * AJWT_ERR_SIGNATURE or AJWT_ERR_CRYPTO, with why. */
int ajwt__op_verify(ajwt_op *op, const unsigned char *input, size_t input_len,
                    const unsigned char *sig, size_t sig_len, char *why, size_t whylen);
/* Signs input into sig (cap >= AJWT_MAX_SIG). Returns AJWT_OK or AJWT_ERR_CRYPTO with why. */
int ajwt__op_sign(ajwt_op *op, const unsigned char *input, size_t input_len, unsigned char *sig,
                  size_t *sig_len, char *why, size_t whylen);

/* ---- verifier and per-thread state (verifier.c, verify.c, claims.c) ---- */

struct ajwt_verifier {
    const ajwt_keyset *ks;
    uint32_t algs;        /* allow-list, AJWT_ALG_BIT()s */
    char *iss, *aud;
    char **required;
    size_t nrequired;
    int64_t leeway;
    size_t max_token;
    int max_depth;
    int opaque;
    int64_t (*now)(void *arg);
    void *now_arg;
    unsigned gen; /* bumped by every configuration call: per-thread caches made earlier are stale */
    int err;
    char errstr[AJWT_ERRSTR_LEN];
};

struct ajwt_vctx {
    const ajwt_verifier *v;
    ajwt_op *ops; /* ks->n × AJWT_ALG_COUNT, prepared on first use */
    size_t nops;
    /* the last good header, reused when the next token's header has the same bytes */
    char *hdr;
    size_t hdr_len, hdr_cap;
    ajwt_alg hdr_alg;
    int hdr_key;     /* -1: nothing cached */
    unsigned hdr_gen; /* the verifier's gen when the header was checked */
    char *hdr_kid;
    /* scratch */
    unsigned char *buf; /* decoded payload, NUL-terminated */
    size_t buf_cap;
    unsigned char sig[AJWT_MAX_SIG];
    ajwt_json hj; /* header */
    ajwt_json pj; /* payload */
    /* result */
    int token_ok;    /* the last ajwt_verify() succeeded: payload and kid are readable */
    int have_claims; /* c->pj holds a checked claims object */
    ajwt_alg alg;
    size_t payload_len;
    int err;
    char errstr[AJWT_ERRSTR_LEN];
};

/* Clears c's last result; AJWT_OK, or AJWT_ERR_ARG with message what when !args_ok. */
int ajwt__vctx_begin(ajwt_vctx *c, int args_ok, const char *what);
/* Sets the vctx error and returns code. */
int ajwt__vfail(ajwt_vctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The claim rules on the parsed payload in c->pj. Returns AJWT_OK or the first rule broken. */
int ajwt__claims_check(ajwt_vctx *c);
/* Parses payload bytes into c->pj (strict JSON object). Returns AJWT_OK or AJWT_ERR_PAYLOAD/NOMEM. */
int ajwt__payload_parse(ajwt_vctx *c, const char *payload, size_t len);

#endif /* AJWT_INT_H */

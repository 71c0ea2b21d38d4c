/* jwt_testutil.h — helpers shared by the JWT tests: generated keys, hand-built tokens, vector files. */
#ifndef JWT_TESTUTIL_H
#define JWT_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ajwt.h"

/* A generated key for alg: *priv (secret or PKCS#8 PEM) and *pub (SPKI PEM, NULL for HS*), malloc'd.
 * Fails the test on error. */
void tu_keygen(ajwt_alg alg, unsigned char **priv, size_t *priv_len, char **pub, size_t *pub_len);
/* A keyset holding one key (PEM or secret bytes) with kid (may be NULL); fails the test on error. */
ajwt_keyset *tu_keyset(const void *key, size_t len, int is_pem, const char *kid);
/* Keysets for a new key of alg, both named kid (may be NULL): *sk can sign (private PEM or secret),
 * *vk verifies (public PEM, or the same secret). */
void tu_keysets(ajwt_alg alg, const char *kid, ajwt_keyset **sk, ajwt_keyset **vk);
/* Signs claims with sk under alg and verifies the token with vk; fails the test otherwise. */
void tu_assert_sign_verify(const ajwt_keyset *sk, const ajwt_keyset *vk, ajwt_alg alg);
/* A keyset (taken; NULL: an empty one), a verifier over it whose clock reads now, and one vctx. */
typedef struct tu_vfix {
    ajwt_keyset *ks;
    ajwt_verifier *v;
    ajwt_vctx *c;
    int64_t now;
} tu_vfix;
tu_vfix *tu_vfix_new(ajwt_keyset *ks, int64_t now);
void tu_vfix_free(tu_vfix *f);
/* cmocka setup/teardown: *state is a tu_vfix over an empty keyset with the clock at 0. */
int tu_vfix_setup(void **state);
int tu_vfix_teardown(void **state);
/* BASE64URL(data), malloc'd. */
char *tu_b64(const void *data, size_t len);
/* BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(raw signature by s over the first two),
 * malloc'd. header/payload are used byte for byte. */
char *tu_token(const ajwt_signer *s, const char *header, const char *payload);
/* Replaces the signature part of token with BASE64URL(sig); returns a malloc'd token. */
char *tu_with_sig(const char *token, const unsigned char *sig, size_t sig_len);
/* A clock for ajwt_verifier_set_clock(): returns *(int64_t *)arg. */
int64_t tu_clock(void *arg);
/* Parses a JSON file of the shared vectors (dir under AUTHBENCH_VECTORS); fails the test on error. */
cJSON *tu_vector_json(const char *dir, const char *name);
/* Verifies token with a fresh vctx on v; returns the code. */
int tu_verify(const ajwt_verifier *v, const char *token);

#endif /* JWT_TESTUTIL_H */

/* jwt_testutil.c — helpers shared by the JWT tests (see jwt_testutil.h). */
#include "jwt_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tsupport.h"

void tu_keygen(ajwt_alg alg, unsigned char **priv, size_t *priv_len, char **pub, size_t *pub_len)
{
    char err[256] = "";
    int rc = ajwt_keygen(alg, priv, priv_len, pub, pub_len, err, sizeof err);
    if (rc != AJWT_OK)
        fail_msg("keygen %s: %s", ajwt_alg_name(alg), err);
}

ajwt_keyset *tu_keyset(const void *key, size_t len, int is_pem, const char *kid)
{
    ajwt_keyset *ks = ajwt_keyset_new();
    int rc;
    assert_non_null(ks);
    rc = is_pem ? ajwt_keyset_add_pem(ks, key, len, kid) : ajwt_keyset_add_secret(ks, key, len, kid);
    if (rc != AJWT_OK)
        fail_msg("add key: %s", ajwt_keyset_errstr(ks));
    return ks;
}

void tu_keysets(ajwt_alg alg, const char *kid, ajwt_keyset **sk, ajwt_keyset **vk)
{
    unsigned char *priv;
    char *pub;
    size_t pl, ul;
    tu_keygen(alg, &priv, &pl, &pub, &ul);
    *sk = tu_keyset(priv, pl, pub != NULL, kid);
    *vk = pub ? tu_keyset(pub, ul, 1, kid) : tu_keyset(priv, pl, 0, kid);
    free(priv);
    free(pub);
}

void tu_assert_sign_verify(const ajwt_keyset *sk, const ajwt_keyset *vk, ajwt_alg alg)
{
    ajwt_signer *s = ajwt_signer_new(sk, alg, NULL);
    ajwt_verifier *v = ajwt_verifier_new(vk);
    char tok[2048];
    size_t n;
    if (ajwt_signer_err(s) != AJWT_OK)
        fail_msg("signer %s: %s", ajwt_alg_name(alg), ajwt_signer_errstr(s));
    assert_int_equal(ajwt_sign(s, "{\"sub\":\"k\"}", 11, tok, sizeof tok, &n), AJWT_OK);
    assert_int_equal(tu_verify(v, tok), AJWT_OK);
    ajwt_verifier_free(v);
    ajwt_signer_free(s);
}

tu_vfix *tu_vfix_new(ajwt_keyset *ks, int64_t now)
{
    tu_vfix *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->ks = ks ? ks : ajwt_keyset_new();
    f->v = ajwt_verifier_new(f->ks);
    f->now = now;
    assert_int_equal(ajwt_verifier_set_clock(f->v, tu_clock, &f->now), AJWT_OK);
    f->c = ajwt_vctx_new(f->v);
    assert_non_null(f->c);
    return f;
}

void tu_vfix_free(tu_vfix *f)
{
    if (f == NULL)
        return;
    ajwt_vctx_free(f->c);
    ajwt_verifier_free(f->v);
    ajwt_keyset_free(f->ks);
    free(f);
}

int tu_vfix_setup(void **state)
{
    *state = tu_vfix_new(NULL, 0);
    return 0;
}

int tu_vfix_teardown(void **state)
{
    tu_vfix_free(*state);
    return 0;
}

char *tu_b64(const void *data, size_t len)
{
    size_t cap = AJWT_B64URL_ENCODED_LEN(len) + 1;
    char *out = malloc(cap);
    assert_non_null(out);
    assert_int_equal(ajwt_b64url_encode(data, len, out, cap, NULL), AJWT_OK);
    return out;
}

char *tu_token(const ajwt_signer *s, const char *header, const char *payload)
{
    char *h = tu_b64(header, strlen(header)), *p = tu_b64(payload, strlen(payload)), *input, *tok;
    unsigned char sig[1024];
    size_t n = strlen(h) + strlen(p) + 2, sl = 0;
    input = malloc(n);
    assert_non_null(input);
    snprintf(input, n, "%s.%s", h, p);
    assert_int_equal(ajwt_sign_raw(s, (const unsigned char *)input, strlen(input), sig, sizeof sig, &sl), AJWT_OK);
    tok = tu_with_sig(input, sig, sl);
    free(h);
    free(p);
    free(input);
    return tok;
}

char *tu_with_sig(const char *token, const unsigned char *sig, size_t sig_len)
{
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    size_t keep = d2 ? (size_t)(d2 - token) : strlen(token);
    char *s = tu_b64(sig, sig_len), *out = malloc(keep + strlen(s) + 2);
    assert_non_null(out);
    memcpy(out, token, keep);
    out[keep] = '.';
    strcpy(out + keep + 1, s);
    free(s);
    return out;
}

int64_t tu_clock(void *arg)
{
    return *(const int64_t *)arg;
}

cJSON *tu_vector_json(const char *dir, const char *name)
{
    char path[1024];
    size_t len = 0;
    char *text;
    cJSON *root;
    snprintf(path, sizeof path, "%s/%s/%s", tsupport_vectors_dir(), dir, name);
    text = tsupport_read_file(path, &len);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    root = cJSON_ParseWithLength(text, len);
    free(text);
    if (root == NULL)
        fail_msg("%s is not JSON", path);
    return root;
}

int tu_verify(const ajwt_verifier *v, const char *token)
{
    ajwt_vctx *c = ajwt_vctx_new(v);
    int rc;
    assert_non_null(c);
    rc = ajwt_verify(c, token, strlen(token));
    if (rc != AJWT_OK) {
        assert_true(ajwt_vctx_errstr(c)[0] != '\0');
        assert_null(strchr(ajwt_vctx_errstr(c), '\n'));
    }
    ajwt_vctx_free(c);
    return rc;
}

/* test_jwt_keys.c — PEM keys in every supported encoding, HMAC secrets, key files, keygen, and the
 * binding of each key to the algorithms its type and size allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jwt_testutil.h"
#include "tsupport.h"

/* PEM text of pkey in a given structure ("PrivateKeyInfo", "SubjectPublicKeyInfo", "type-specific"),
 * optionally encrypted. NUL-terminated, malloc'd. */
static char *pem_of(EVP_PKEY *pkey, int selection, const char *structure, const char *cipher)
{
    OSSL_ENCODER_CTX *e = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "PEM", structure, NULL);
    unsigned char *data = NULL;
    size_t len = 0;
    char *out;
    assert_non_null(e);
    if (cipher != NULL) {
        assert_int_equal(OSSL_ENCODER_CTX_set_cipher(e, cipher, NULL), 1);
        assert_int_equal(OSSL_ENCODER_CTX_set_passphrase(e, (const unsigned char *)"pw", 2), 1);
    }
    assert_int_equal(OSSL_ENCODER_to_data(e, &data, &len), 1);
    OSSL_ENCODER_CTX_free(e);
    out = malloc(len + 1);
    assert_non_null(out);
    memcpy(out, data, len);
    out[len] = '\0';
    OPENSSL_free(data);
    return out;
}

static int add_pem(ajwt_keyset *ks, const char *pem)
{
    return ajwt_keyset_add_pem(ks, pem, strlen(pem), NULL);
}

/* Signs with the private PEM and verifies with the public PEM under alg; both must load. */
static void assert_pems_work(const char *priv, const char *pub, ajwt_alg alg)
{
    ajwt_keyset *sk = tu_keyset(priv, strlen(priv), 1, NULL), *vk = tu_keyset(pub, strlen(pub), 1, NULL);
    assert_string_equal(ajwt_keyset_errstr(sk), "");
    tu_assert_sign_verify(sk, vk, alg);
    ajwt_keyset_free(sk);
    ajwt_keyset_free(vk);
}

static void pem_keys_should_load_in_every_supported_encoding(void **state)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *p[9];
    int i;
    (void)state;
    assert_true(rsa && ec && ed);
    p[0] = pem_of(rsa, EVP_PKEY_KEYPAIR, "PrivateKeyInfo", NULL);       /* PKCS#8 */
    p[1] = pem_of(rsa, EVP_PKEY_KEYPAIR, "type-specific", NULL);        /* PKCS#1 RSA PRIVATE KEY */
    p[2] = pem_of(rsa, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", NULL);
    p[3] = pem_of(rsa, EVP_PKEY_PUBLIC_KEY, "type-specific", NULL);     /* PKCS#1 RSA PUBLIC KEY */
    p[4] = pem_of(ec, EVP_PKEY_KEYPAIR, "PrivateKeyInfo", NULL);
    p[5] = pem_of(ec, EVP_PKEY_KEYPAIR, "type-specific", NULL);         /* SEC1 EC PRIVATE KEY */
    p[6] = pem_of(ec, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", NULL);
    p[7] = pem_of(ed, EVP_PKEY_KEYPAIR, "PrivateKeyInfo", NULL);
    p[8] = pem_of(ed, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", NULL);
    assert_non_null(strstr(p[1], "BEGIN RSA PRIVATE KEY"));
    assert_non_null(strstr(p[3], "BEGIN RSA PUBLIC KEY"));
    assert_non_null(strstr(p[5], "BEGIN EC PRIVATE KEY"));
    assert_pems_work(p[0], p[2], AJWT_RS256);
    assert_pems_work(p[1], p[3], AJWT_PS512);
    assert_pems_work(p[0], p[3], AJWT_RS384);
    assert_pems_work(p[4], p[6], AJWT_ES256);
    assert_pems_work(p[5], p[6], AJWT_ES256);
    assert_pems_work(p[7], p[8], AJWT_EDDSA);
    assert_pems_work(p[7], p[8], AJWT_ED25519);
    for (i = 0; i < 9; i++)
        free(p[i]);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ed);
}

static void sec1_key_after_an_ec_parameters_block_should_load(void **state)
{
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    char *key = pem_of(ec, EVP_PKEY_KEYPAIR, "type-specific", NULL);
    char *pub = pem_of(ec, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", NULL);
    char *both = malloc(strlen(key) + 128);
    (void)state;
    sprintf(both, "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n%s", key);
    assert_pems_work(both, pub, AJWT_ES384);
    free(both);
    free(key);
    free(pub);
    EVP_PKEY_free(ec);
}

static void encrypted_pem_should_be_refused_without_prompting(void **state)
{
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char *pkcs8 = pem_of(ec, EVP_PKEY_KEYPAIR, "PrivateKeyInfo", "AES-256-CBC");
    char *trad = pem_of(ec, EVP_PKEY_KEYPAIR, "type-specific", "AES-256-CBC");
    ajwt_keyset *ks = ajwt_keyset_new();
    (void)state;
    assert_non_null(strstr(pkcs8, "ENCRYPTED PRIVATE KEY"));
    assert_non_null(strstr(trad, "Proc-Type: 4,ENCRYPTED"));
    assert_int_equal(add_pem(ks, pkcs8), AJWT_ERR_KEY_PARSE);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "encrypted"));
    assert_int_equal(add_pem(ks, trad), AJWT_ERR_KEY_PARSE);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "encrypted"));
    assert_int_equal(ajwt_keyset_count(ks), 0);
    ajwt_keyset_free(ks);
    free(pkcs8);
    free(trad);
    EVP_PKEY_free(ec);
}

static void certificates_and_garbage_pems_should_be_refused(void **state)
{
    ajwt_keyset *ks = ajwt_keyset_new();
    (void)state;
    assert_int_equal(add_pem(ks, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), AJWT_ERR_KEY_PARSE);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "x509 -pubkey"));
    assert_int_equal(add_pem(ks, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n"),
                     AJWT_ERR_KEY_PARSE);
    assert_int_equal(add_pem(ks, "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"), AJWT_ERR_KEY_PARSE);
    assert_int_equal(add_pem(ks, "no pem here"), AJWT_ERR_KEY_PARSE);
    assert_int_equal(add_pem(ks, "-----BEGIN PUBLIC KEY"), AJWT_ERR_KEY_PARSE);
    assert_int_equal(ajwt_keyset_count(ks), 0);
    ajwt_keyset_free(ks);
}

static void rsa_keys_below_2048_bits_should_be_refused_as_weak(void **state)
{
    size_t bits[] = {1024, 1536}, i;
    (void)state;
    for (i = 0; i < 2; i++) {
        EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits[i]);
        char *priv = pem_of(rsa, EVP_PKEY_KEYPAIR, "PrivateKeyInfo", NULL);
        char *pub = pem_of(rsa, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", NULL);
        ajwt_keyset *ks = ajwt_keyset_new();
        assert_int_equal(add_pem(ks, priv), AJWT_ERR_KEY_WEAK);
        assert_non_null(strstr(ajwt_keyset_errstr(ks), "below the 2048-bit minimum"));
        assert_int_equal(add_pem(ks, pub), AJWT_ERR_KEY_WEAK);
        assert_int_equal(ajwt_keyset_count(ks), 0);
        ajwt_keyset_free(ks);
        free(priv);
        free(pub);
        EVP_PKEY_free(rsa);
    }
}

static void unsupported_curves_and_key_types_should_be_refused(void **state)
{
    EVP_PKEY *keys[3];
    int i;
    (void)state;
    keys[0] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
    keys[1] = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    for (i = 0; i < 3; i++) {
        char *pub = pem_of(keys[i], EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", NULL);
        ajwt_keyset *ks = ajwt_keyset_new();
        assert_int_equal(add_pem(ks, pub), AJWT_ERR_KEY_ALG);
        assert_true(strstr(ajwt_keyset_errstr(ks), "not supported") != NULL);
        ajwt_keyset_free(ks);
        free(pub);
        EVP_PKEY_free(keys[i]);
    }
}

static void assert_algs(const ajwt_keyset *ks, const ajwt_alg *want, int n)
{
    ajwt_alg got[AJWT_ALG_COUNT];
    int i, k = ajwt_keyset_algs(ks, got, AJWT_ALG_COUNT);
    assert_int_equal(k, n);
    for (i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

static void hmac_secrets_should_allow_only_hashes_they_cover(void **state)
{
    unsigned char secret[64];
    ajwt_alg hs[] = {AJWT_HS256, AJWT_HS384, AJWT_HS512};
    ajwt_keyset *ks = ajwt_keyset_new();
    ajwt_signer *s;
    (void)state;
    memset(secret, 0x5a, sizeof secret);
    assert_int_equal(ajwt_keyset_add_secret(ks, secret, 31, NULL), AJWT_ERR_KEY_WEAK);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "RFC 7518"));
    assert_int_equal(ajwt_keyset_add_secret(ks, secret, 0, NULL), AJWT_ERR_KEY_WEAK);
    assert_int_equal(ajwt_keyset_add_secret(ks, secret, 32, "k32"), AJWT_OK);
    assert_algs(ks, hs, 1);
    s = ajwt_signer_new(ks, AJWT_HS384, NULL);
    assert_int_equal(ajwt_signer_err(s), AJWT_ERR_KEY_WEAK);
    assert_non_null(strstr(ajwt_signer_errstr(s), "too short for HS384"));
    ajwt_signer_free(s);
    assert_int_equal(ajwt_keyset_add_secret(ks, secret, 48, "k48"), AJWT_OK);
    assert_algs(ks, hs, 2);
    s = ajwt_signer_new(ks, AJWT_HS512, "k48");
    assert_int_equal(ajwt_signer_err(s), AJWT_ERR_KEY_WEAK);
    ajwt_signer_free(s);
    assert_int_equal(ajwt_keyset_add_secret(ks, secret, 64, "k64"), AJWT_OK);
    assert_algs(ks, hs, 3);
    s = ajwt_signer_new(ks, AJWT_HS512, NULL); /* the first key that allows HS512: k64 */
    assert_int_equal(ajwt_signer_err(s), AJWT_OK);
    ajwt_signer_free(s);
    assert_int_equal(ajwt_keyset_count(ks), 3);
    ajwt_keyset_free(ks);
}

static void asymmetric_keys_should_never_be_hmac_secrets(void **state)
{
    static const ajwt_alg gen[] = {AJWT_RS256, AJWT_ES256, AJWT_ES384, AJWT_ES512, AJWT_EDDSA};
    static const ajwt_alg rs[] = {AJWT_RS256, AJWT_RS384, AJWT_RS512, AJWT_PS256, AJWT_PS384, AJWT_PS512};
    static const ajwt_alg ed[] = {AJWT_EDDSA, AJWT_ED25519};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof gen / sizeof gen[0]; i++) {
        unsigned char *priv;
        char *pub;
        size_t pl, ul;
        ajwt_keyset *ks;
        ajwt_signer *s;
        tu_keygen(gen[i], &priv, &pl, &pub, &ul);
        ks = tu_keyset(pub, ul, 1, NULL);
        if (gen[i] == AJWT_RS256)
            assert_algs(ks, rs, 6);
        else if (gen[i] == AJWT_EDDSA)
            assert_algs(ks, ed, 2);
        else
            assert_algs(ks, &gen[i], 1); /* an EC key allows only its curve's algorithm */
        ajwt_keyset_free(tu_keyset(priv, pl, 1, NULL)); /* the private PEM loads too */
        s = ajwt_signer_new(ks, AJWT_HS256, NULL);
        assert_int_equal(ajwt_signer_err(s), AJWT_ERR_KEY_ALG);
        ajwt_signer_free(s);
        s = ajwt_signer_new(ks, gen[i] == AJWT_ES256 ? AJWT_ES384 : AJWT_ES256, NULL);
        assert_int_equal(ajwt_signer_err(s), AJWT_ERR_KEY_ALG);
        ajwt_signer_free(s);
        ajwt_keyset_free(ks);
        free(priv);
        free(pub);
    }
}

static void public_keys_should_not_sign(void **state)
{
    unsigned char *priv;
    char *pub;
    size_t pl, ul;
    ajwt_keyset *ks;
    ajwt_signer *s;
    (void)state;
    tu_keygen(AJWT_ES256, &priv, &pl, &pub, &ul);
    ks = tu_keyset(pub, ul, 1, "pub");
    s = ajwt_signer_new(ks, AJWT_ES256, NULL);
    assert_int_equal(ajwt_signer_err(s), AJWT_ERR_KEY_NOT_FOUND);
    assert_non_null(strstr(ajwt_signer_errstr(s), "public key"));
    ajwt_signer_free(s);
    s = ajwt_signer_new(ks, AJWT_ES256, "other");
    assert_int_equal(ajwt_signer_err(s), AJWT_ERR_KEY_NOT_FOUND);
    assert_non_null(strstr(ajwt_signer_errstr(s), "no key with kid 'other'"));
    ajwt_signer_free(s);
    ajwt_keyset_free(ks);
    free(priv);
    free(pub);
}

static void write_file(const char *dir, const char *name, const void *data, size_t len, char *path)
{
    sprintf(path, "%s/%s", dir, name);
    assert_int_equal(tsupport_write_file(path, data, len), 0);
}

/* Writes the key in pem (private or public selection) as DER to dir/name. */
static void write_der(const char *dir, const char *name, const char *pem, int selection, char *path)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pkey = selection == EVP_PKEY_PUBLIC_KEY ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL)
                                                      : PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    OSSL_ENCODER_CTX *e = OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "DER", NULL, NULL);
    unsigned char *data = NULL;
    size_t len = 0;
    assert_non_null(e);
    assert_int_equal(OSSL_ENCODER_to_data(e, &data, &len), 1);
    write_file(dir, name, data, len, path);
    OPENSSL_free(data);
    OSSL_ENCODER_CTX_free(e);
    EVP_PKEY_free(pkey);
    BIO_free(b);
}

static void key_files_should_be_read_by_their_content(void **state)
{
    char *dir = tsupport_tmpdir("jwtkeys"), path[1024];
    unsigned char *priv;
    char *pub;
    size_t pl, ul;
    ajwt_keyset *ks = ajwt_keyset_new();
    const char *jwk = "{\"kty\":\"oct\",\"kid\":\"j\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}";
    const char *broken = " {\"kty\":\"RSA\",\"n\":\"AQAB\" -- a public JWK with a typo";
    char bom[256];
    (void)state;
    assert_non_null(dir);
    tu_keygen(AJWT_ES256, &priv, &pl, &pub, &ul);
    write_file(dir, "ec.pem", priv, pl, path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, "pemkid"), AJWT_OK);
    write_file(dir, "k.jwk", jwk, strlen(jwk), path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, "ignored"), AJWT_OK);
    write_file(dir, "secret", "0123456789abcdef0123456789abcdef", 32, path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, "s"), AJWT_OK);
    assert_int_equal(ajwt_keyset_count(ks), 3);
    sprintf(path, "%s/missing", dir);
    assert_int_equal(ajwt_keyset_add_file(ks, path, NULL), AJWT_ERR_IO);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "missing"));
    write_file(dir, "empty", "", 0, path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, NULL), AJWT_ERR_KEY_PARSE);
    /* looks like a JWK or a PEM but is broken: an error, never an HMAC secret */
    write_file(dir, "broken.jwk", broken, strlen(broken), path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, NULL), AJWT_ERR_KEY_PARSE);
    write_file(dir, "broken.pem", pub, ul / 2, path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, NULL), AJWT_ERR_KEY_PARSE);
    assert_int_equal(ajwt_keyset_count(ks), 3);
    /* a DER key is refused too: its bytes as an HMAC secret would be known to anyone with the key */
    write_der(dir, "pub.der", pub, EVP_PKEY_PUBLIC_KEY, path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, NULL), AJWT_ERR_KEY_PARSE);
    assert_non_null(strstr(ajwt_keyset_errstr(ks), "DER"));
    write_der(dir, "priv.der", (char *)priv, EVP_PKEY_KEYPAIR, path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, NULL), AJWT_ERR_KEY_PARSE);
    /* a JWK after a UTF-8 byte order mark is still a JWK */
    sprintf(bom, "\xEF\xBB\xBF%s", jwk);
    write_file(dir, "bom.jwk", bom, strlen(bom), path);
    assert_int_equal(ajwt_keyset_add_file(ks, path, NULL), AJWT_OK);
    assert_int_equal(ajwt_keyset_count(ks), 4);
    ajwt_keyset_free(ks);
    tsupport_rmtree(dir);
    free(dir);
    free(priv);
    free(pub);
}

static void keygen_should_make_usable_keys_for_every_alg(void **state)
{
    int a;
    (void)state;
    for (a = AJWT_HS256; a < AJWT_ALG_COUNT; a++) {
        unsigned char *priv;
        char *pub;
        size_t pl, ul;
        ajwt_keyset *ks;
        ajwt_signer *s;
        if (a == AJWT_RS384 || a == AJWT_RS512 || a == AJWT_PS384 || a == AJWT_PS512)
            continue; /* same RSA 2048 generation as RS256/PS256; spare the time */
        tu_keygen((ajwt_alg)a, &priv, &pl, &pub, &ul);
        if (a <= AJWT_HS512) {
            assert_null(pub);
            assert_int_equal(pl, a == AJWT_HS256 ? 32 : a == AJWT_HS384 ? 48 : 64);
        } else {
            assert_non_null(strstr((char *)priv, "-----BEGIN PRIVATE KEY-----"));
            assert_non_null(strstr(pub, "-----BEGIN PUBLIC KEY-----"));
        }
        ks = tu_keyset(priv, pl, pub != NULL, NULL);
        s = ajwt_signer_new(ks, (ajwt_alg)a, NULL);
        assert_int_equal(ajwt_signer_err(s), AJWT_OK);
        ajwt_signer_free(s);
        ajwt_keyset_free(ks);
        free(priv);
        free(pub);
    }
    assert_int_equal(ajwt_keygen(AJWT_ALG_INVALID, NULL, NULL, NULL, NULL, NULL, 0), AJWT_ERR_ARG);
}

static void alg_names_should_round_trip_and_refuse_none(void **state)
{
    ajwt_alg list[AJWT_ALG_COUNT];
    int a;
    (void)state;
    for (a = AJWT_HS256; a < AJWT_ALG_COUNT; a++)
        assert_int_equal(ajwt_alg_from_name(ajwt_alg_name((ajwt_alg)a)), a);
    assert_int_equal(ajwt_alg_from_name("none"), AJWT_ALG_INVALID);
    assert_int_equal(ajwt_alg_from_name("hs256"), AJWT_ALG_INVALID);
    assert_int_equal(ajwt_alg_from_name(NULL), AJWT_ALG_INVALID);
    assert_string_equal(ajwt_alg_name(AJWT_ALG_INVALID), "invalid");
    assert_int_equal(ajwt_alg_list_parse("HS256,EdDSA,Ed25519", list, AJWT_ALG_COUNT), 3);
    assert_int_equal(list[2], AJWT_ED25519);
    assert_int_equal(ajwt_alg_list_parse("HS256,,RS256", list, AJWT_ALG_COUNT), -1);
    assert_int_equal(ajwt_alg_list_parse("HS256,none", list, AJWT_ALG_COUNT), -1);
    assert_int_equal(ajwt_alg_list_parse("", list, AJWT_ALG_COUNT), -1);
    assert_int_equal(ajwt_alg_list_parse("HS256,RS256", list, 1), -1);
    assert_string_equal(ajwt_err_name(AJWT_ERR_EXPIRED), "expired");
    assert_string_equal(ajwt_err_name((ajwt_err)999), "unknown");
    for (a = 0; a < AJWT_ERR__COUNT; a++)
        assert_string_not_equal(ajwt_err_name((ajwt_err)a), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pem_keys_should_load_in_every_supported_encoding),
        cmocka_unit_test(sec1_key_after_an_ec_parameters_block_should_load),
        cmocka_unit_test(encrypted_pem_should_be_refused_without_prompting),
        cmocka_unit_test(certificates_and_garbage_pems_should_be_refused),
        cmocka_unit_test(rsa_keys_below_2048_bits_should_be_refused_as_weak),
        cmocka_unit_test(unsupported_curves_and_key_types_should_be_refused),
        cmocka_unit_test(hmac_secrets_should_allow_only_hashes_they_cover),
        cmocka_unit_test(asymmetric_keys_should_never_be_hmac_secrets),
        cmocka_unit_test(public_keys_should_not_sign),
        cmocka_unit_test(key_files_should_be_read_by_their_content),
        cmocka_unit_test(keygen_should_make_usable_keys_for_every_alg),
        cmocka_unit_test(alg_names_should_round_trip_and_refuse_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* alg.c — the algorithm table (JOSE name, key type, digest, curve) and name parsing. */
#include <string.h>

#include <openssl/obj_mac.h>

#include "ajwt_int.h"

static const ajwt_alg_info alg_table[AJWT_ALG_COUNT] = {
    [AJWT_HS256] = {"HS256", AJWT_KTY_OCT, AJWT_FAM_HMAC, 0, 32, 0},
    [AJWT_HS384] = {"HS384", AJWT_KTY_OCT, AJWT_FAM_HMAC, 1, 48, 0},
    [AJWT_HS512] = {"HS512", AJWT_KTY_OCT, AJWT_FAM_HMAC, 2, 64, 0},
    [AJWT_RS256] = {"RS256", AJWT_KTY_RSA, AJWT_FAM_RSA_PKCS1, 0, 32, 0},
    [AJWT_RS384] = {"RS384", AJWT_KTY_RSA, AJWT_FAM_RSA_PKCS1, 1, 48, 0},
    [AJWT_RS512] = {"RS512", AJWT_KTY_RSA, AJWT_FAM_RSA_PKCS1, 2, 64, 0},
    [AJWT_PS256] = {"PS256", AJWT_KTY_RSA, AJWT_FAM_RSA_PSS, 0, 32, 0},
    [AJWT_PS384] = {"PS384", AJWT_KTY_RSA, AJWT_FAM_RSA_PSS, 1, 48, 0},
    [AJWT_PS512] = {"PS512", AJWT_KTY_RSA, AJWT_FAM_RSA_PSS, 2, 64, 0},
    [AJWT_ES256] = {"ES256", AJWT_KTY_EC, AJWT_FAM_ECDSA, 0, 32, NID_X9_62_prime256v1},
    [AJWT_ES384] = {"ES384", AJWT_KTY_EC, AJWT_FAM_ECDSA, 1, 48, NID_secp384r1},
    [AJWT_ES512] = {"ES512", AJWT_KTY_EC, AJWT_FAM_ECDSA, 2, 64, NID_secp521r1},
    [AJWT_EDDSA] = {"EdDSA", AJWT_KTY_OKP, AJWT_FAM_EDDSA, -1, 0, 0},
    [AJWT_ED25519] = {"Ed25519", AJWT_KTY_OKP, AJWT_FAM_EDDSA, -1, 0, 0},
};

const ajwt_alg_info *ajwt__alg_info(ajwt_alg alg)
{
    if ((int)alg <= (int)AJWT_ALG_INVALID || alg >= AJWT_ALG_COUNT)
        return NULL;
    return &alg_table[alg];
}

const char *ajwt_alg_name(ajwt_alg alg)
{
    const ajwt_alg_info *ai = ajwt__alg_info(alg);
    return ai ? ai->name : "invalid";
}

ajwt_alg ajwt__alg_from_span(const char *name, size_t len)
{
    int a;
    for (a = AJWT_ALG_INVALID + 1; a < AJWT_ALG_COUNT; a++)
        if (strlen(alg_table[a].name) == len && memcmp(alg_table[a].name, name, len) == 0)
            return (ajwt_alg)a;
    return AJWT_ALG_INVALID;
}

ajwt_alg ajwt_alg_from_name(const char *name)
{
    if (name == NULL)
        return AJWT_ALG_INVALID;
    return ajwt__alg_from_span(name, strlen(name));
}

int ajwt_alg_list_parse(const char *list, ajwt_alg *out, int max)
{
    int n = 0;
    const char *p = list;
    if (list == NULL || out == NULL || max <= 0)
        return -1;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        ajwt_alg a = ajwt__alg_from_span(p, len);
        if (a == AJWT_ALG_INVALID || n >= max)
            return -1;
        out[n++] = a;
        if (comma == NULL)
            return n;
        p = comma + 1;
    }
}

const char *ajwt__kty_name(ajwt_kty kty)
{
    switch (kty) {
    case AJWT_KTY_OCT: return "HMAC secret";
    case AJWT_KTY_RSA: return "RSA";
    case AJWT_KTY_EC: return "EC";
    case AJWT_KTY_OKP: return "Ed25519";
    }
    return "unknown";
}

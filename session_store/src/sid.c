/* sid.c — session ids: 128 bits from OpenSSL's CSPRNG, base64url without padding. */
#include <openssl/rand.h>

#include "sstore.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sstore_id_new(char out[SSTORE_ID_LEN + 1])
{
    unsigned char raw[SSTORE_ID_BYTES + 2] = {0}; /* two zero bytes pad the last 3-byte group */
    size_t i, o = 0;
    if (RAND_bytes(raw, SSTORE_ID_BYTES) != 1) {
        out[0] = '\0';
        return SSTORE_ERR_IO;
    }
    for (i = 0; i < SSTORE_ID_BYTES; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        if (o < SSTORE_ID_LEN)
            out[o++] = b64url[v >> 6 & 63];
        if (o < SSTORE_ID_LEN)
            out[o++] = b64url[v & 63];
    }
    out[SSTORE_ID_LEN] = '\0';
    return SSTORE_OK;
}

/* 1 for a character of the base64url alphabet. */
static int is_id_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

int sstore_id_valid(const char *id)
{
    size_t len = 0;
    if (id == NULL)
        return 0;
    while (len <= SSTORE_KEY_MAX && is_id_char(id[len]))
        len++;
    return len > 0 && len <= SSTORE_KEY_MAX && id[len] == '\0';
}

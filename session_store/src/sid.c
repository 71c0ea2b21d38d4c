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

/* 1 for the characters of the base64url alphabet (a table: ids are random, so branches on
 * character ranges would mispredict). */
static const unsigned char id_char[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['a'] = 1,
    ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,
    ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1,
    ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['-'] = 1,
    ['_'] = 1,
};

int sstore_id_valid(const char *id)
{
    size_t len = 0;
    if (id == NULL)
        return 0;
    while (len <= SSTORE_KEY_MAX && id_char[(unsigned char)id[len]])
        len++;
    return len > 0 && len <= SSTORE_KEY_MAX && id[len] == '\0';
}

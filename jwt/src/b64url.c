/* b64url.c — strict unpadded base64url (RFC 4648 §5) as JWS uses it: fast, allocation-free. */
#include <string.h>

#include "ajwt_int.h"

static const char enc_alphabet[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decoding tables: the 6-bit value of a character already shifted into its place in a 24-bit
 * group (dec_sh18/12/6/0), or BAD for every byte outside the alphabet ('=' included). OR-ing the four
 * entries of a group gives the 3 bytes, with BAD set if any character was bad. */
#define BAD 0x01000000u
#define B64_VAL(c) ((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 : \
                    (c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : (c) == '-' ? 62 : (c) == '_' ? 63 : -1)
#define B64_ENT(c, sh) (B64_VAL(c) < 0 ? BAD : (uint32_t)B64_VAL(c) << (sh))
#define B64_R4(c, sh) B64_ENT(c, sh), B64_ENT((c) + 1, sh), B64_ENT((c) + 2, sh), B64_ENT((c) + 3, sh)
#define B64_R16(c, sh) B64_R4(c, sh), B64_R4((c) + 4, sh), B64_R4((c) + 8, sh), B64_R4((c) + 12, sh)
#define B64_R64(c, sh) B64_R16(c, sh), B64_R16((c) + 16, sh), B64_R16((c) + 32, sh), B64_R16((c) + 48, sh)
#define B64_TABLE(sh) {B64_R64(0, sh), B64_R64(64, sh), B64_R64(128, sh), B64_R64(192, sh)}

static const uint32_t dec_sh18[256] = B64_TABLE(18);
static const uint32_t dec_sh12[256] = B64_TABLE(12);
static const uint32_t dec_sh6[256] = B64_TABLE(6);
static const uint32_t dec_sh0[256] = B64_TABLE(0);

size_t ajwt__b64url_encode_raw(const unsigned char *in, size_t len, char *out)
{
    size_t i = 0, o = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = enc_alphabet[v >> 18];
        out[o++] = enc_alphabet[(v >> 12) & 63];
        out[o++] = enc_alphabet[(v >> 6) & 63];
        out[o++] = enc_alphabet[v & 63];
    }
    if (len - i == 1) {
        out[o++] = enc_alphabet[in[i] >> 2];
        out[o++] = enc_alphabet[(in[i] & 3) << 4];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[o++] = enc_alphabet[v >> 10];
        out[o++] = enc_alphabet[(v >> 4) & 63];
        out[o++] = enc_alphabet[(v & 15) << 2];
    }
    return o;
}

/* Decodes the final 2 or 3 characters; the bits that do not fit a whole byte must be zero. */
static int decode_tail(const unsigned char *s, size_t rem, unsigned char *out)
{
    uint32_t a = dec_sh0[s[0]], b = dec_sh0[s[1]], c = rem == 3 ? dec_sh0[s[2]] : 0;
    if ((a | b | c) & BAD)
        return -1;
    if (rem == 2) {
        if (b & 15)
            return -1;
        out[0] = (unsigned char)(a << 2 | b >> 4);
        return 0;
    }
    if (c & 3)
        return -1;
    out[0] = (unsigned char)(a << 2 | b >> 4);
    out[1] = (unsigned char)((b & 15) << 4 | c >> 2);
    return 0;
}

int ajwt__b64url_decode_raw(const char *in, size_t len, unsigned char *out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t full = len / 4, rem = len % 4, i;
    uint32_t bad = 0;
    unsigned char *o = out;
    if (rem == 1)
        return -1;
    for (i = 0; i < full; i++, s += 4, o += 3) {
        uint32_t v = dec_sh18[s[0]] | dec_sh12[s[1]] | dec_sh6[s[2]] | dec_sh0[s[3]];
        bad |= v;
        o[0] = (unsigned char)(v >> 16);
        o[1] = (unsigned char)(v >> 8);
        o[2] = (unsigned char)v;
    }
    if ((bad & BAD) || (rem != 0 && decode_tail(s, rem, o) != 0))
        return -1;
    *out_len = full * 3 + (rem ? rem - 1 : 0);
    return 0;
}

int ajwt_b64url_encode(const unsigned char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    size_t n;
    if ((in == NULL && len != 0) || out == NULL || len > (SIZE_MAX - 4) / 4 * 3 ||
        cap < AJWT_B64URL_ENCODED_LEN(len) + 1)
        return AJWT_ERR_ARG;
    n = ajwt__b64url_encode_raw(in, len, out);
    out[n] = '\0';
    if (out_len != NULL)
        *out_len = n;
    return AJWT_OK;
}

int ajwt_b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap, size_t *out_len)
{
    size_t n = 0;
    if ((in == NULL && len != 0) || (out == NULL && len != 0) || cap < AJWT_B64URL_DECODED_MAX(len))
        return AJWT_ERR_ARG;
    if (len != 0 && ajwt__b64url_decode_raw(in, len, out, &n) != 0)
        return AJWT_ERR_BASE64;
    if (out_len != NULL)
        *out_len = n;
    return AJWT_OK;
}

/* err.c — error names, the one helper that fills a handle's error, and message formatting. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "ajwt_int.h"

static const char *const err_names[AJWT_ERR__COUNT] = {
    [AJWT_OK] = "ok",
    [AJWT_ERR_NOMEM] = "nomem",
    [AJWT_ERR_ARG] = "arg",
    [AJWT_ERR_IO] = "io",
    [AJWT_ERR_KEY_PARSE] = "key_parse",
    [AJWT_ERR_KEY_WEAK] = "key_weak",
    [AJWT_ERR_KEY_ALG] = "key_alg",
    [AJWT_ERR_KEY_NOT_FOUND] = "key_not_found",
    [AJWT_ERR_TOO_LONG] = "too_long",
    [AJWT_ERR_FORMAT] = "format",
    [AJWT_ERR_BASE64] = "base64",
    [AJWT_ERR_HEADER] = "header",
    [AJWT_ERR_ALG_NONE] = "alg_none",
    [AJWT_ERR_ALG_UNKNOWN] = "alg_unknown",
    [AJWT_ERR_ALG_NOT_ALLOWED] = "alg_not_allowed",
    [AJWT_ERR_CRIT] = "crit",
    [AJWT_ERR_SIG_LENGTH] = "sig_length",
    [AJWT_ERR_SIGNATURE] = "signature",
    [AJWT_ERR_PAYLOAD] = "payload",
    [AJWT_ERR_CLAIM_TYPE] = "claim_type",
    [AJWT_ERR_EXPIRED] = "expired",
    [AJWT_ERR_NOT_YET_VALID] = "not_yet_valid",
    [AJWT_ERR_IAT_FUTURE] = "iat_future",
    [AJWT_ERR_ISS] = "iss",
    [AJWT_ERR_AUD] = "aud",
    [AJWT_ERR_CLAIM_MISSING] = "claim_missing",
    [AJWT_ERR_CRYPTO] = "crypto",
    [AJWT_ERR_DETACHED] = "detached",
};

const char *ajwt_err_name(ajwt_err err)
{
    if ((int)err < 0 || err >= AJWT_ERR__COUNT || err_names[err] == NULL)
        return "unknown";
    return err_names[err];
}

int ajwt__vset_err(int *err, char *errstr, int code, const char *fmt, va_list ap)
{
    *err = code;
    vsnprintf(errstr, AJWT_ERRSTR_LEN, fmt, ap);
    return code;
}

int ajwt__set_err(int *err, char *errstr, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ajwt__vset_err(err, errstr, code, fmt, ap);
    va_end(ap);
    return code;
}

void ajwt__clear_err(int *err, char *errstr)
{
    *err = AJWT_OK;
    errstr[0] = '\0';
}

char *ajwt__fmt_utc(int64_t t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "@%lld", (long long)t);
    return buf;
}

char *ajwt__quote(char *dst, size_t cap, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;
    for (i = 0; i < len && o + 8 < cap && o < 48; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f) {
            dst[o++] = (char)ch;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[ch >> 4];
            dst[o++] = hex[ch & 15];
        }
    }
    if (i < len && o + 4 <= cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}

void ajwt__ossl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_error();
    size_t used = strlen(buf);
    if (e != 0 && used + 4 < len) {
        const char *r = ERR_reason_error_string(e);
        snprintf(buf + used, len - used, " (openssl: %s)", r ? r : "unknown reason");
    }
    ERR_clear_error();
}

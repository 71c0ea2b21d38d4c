/* record.h — the session record: the JSON stored in Redis values and session files (private). */
#ifndef SSTORE_RECORD_H
#define SSTORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sstore.h"

/* Longest record header and trailer around the claims:
 * {"v":1,"created_ms":<20>,"last_seen_ms":<20>,"expires_ms":<20>,"claims":…} */
#define SSTORE_RECORD_OVERHEAD 128
#define SSTORE_RECORD_MAX (SSTORE_CLAIMS_MAX + SSTORE_RECORD_OVERHEAD)

typedef struct sstore_record {
    int64_t created_ms;
    int64_t last_seen_ms;
    int64_t expires_ms;
    const char *claims; /* points into the record text, not NUL-terminated */
    size_t claims_len;
} sstore_record;

/* 0 when claims[0..len) is one JSON object (whitespace around it allowed), else -1 with a reason. */
int sstore_claims_check(const char *claims, size_t len, char *err, size_t errlen);

/* Writes the record for r (claims already checked) into buf (cap bytes, not NUL-terminated).
 * Returns its length, or 0 when cap is too small. */
size_t sstore_record_encode(char *buf, size_t cap, const sstore_record *r);

/* Parses text[0..len) strictly: exactly the five members in order, integral times, an object of
 * claims. 0 with *r filled (r->claims points into text), or -1 with a reason in err. */
int sstore_record_decode(const char *text, size_t len, sstore_record *r, char *err, size_t errlen);

/* Fills a public session view from a decoded record (times to seconds). */
void sstore_record_to_session(const sstore_record *r, sstore_session *out);

#endif /* SSTORE_RECORD_H */

/* record.h — the session record stored in Redis values and session files (private).
 *
 * A header line of JSON, then the claims exactly as given at create/put:
 *   {"v":1,"created_ms":…,"last_seen_ms":…,"expires_ms":…,"claims_bytes":N,"claims_crc32c":K}\n<claims>
 * The claims were checked to be a JSON object when stored; on every read the header is parsed
 * strictly (the exact form encode writes is matched without building a tree; any other form goes
 * through cJSON) and the claims are checked against their length and CRC-32C, so a truncated or
 * damaged record is rejected without parsing the claims a second time: the application that asked
 * for the session deserialises them, once, as a framework's session load does. */
#ifndef SSTORE_RECORD_H
#define SSTORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sstore.h"

/* Longest header line (with its newline): six members with 20-digit numbers fit. */
#define SSTORE_RECORD_OVERHEAD 192
#define SSTORE_RECORD_MAX (SSTORE_CLAIMS_MAX + SSTORE_RECORD_OVERHEAD)

typedef struct sstore_record {
    int64_t created_ms;
    int64_t last_seen_ms;
    int64_t expires_ms;
    const char *claims; /* not NUL-terminated; points into the record text after decode */
    size_t claims_len;
    uint32_t claims_crc; /* CRC-32C of the claims: set by decode; encode computes it when 0 */
} sstore_record;

/* 0 when claims[0..len) is one JSON object (whitespace around it allowed), else -1 with a reason. */
int sstore_claims_check(const char *claims, size_t len, char *err, size_t errlen);

/* Writes the record for r (claims already checked) into buf (cap bytes, not NUL-terminated).
 * Returns its length, or 0 when cap is too small. */
size_t sstore_record_encode(char *buf, size_t cap, sstore_record *r);

/* Parses text[0..len): the header strictly (exactly the six members in order, integral numbers),
 * then the claims by length and checksum. 0 with *r filled (r->claims points into text), or -1
 * with a reason in err. */
int sstore_record_decode(const char *text, size_t len, sstore_record *r, char *err, size_t errlen);

/* Fills a public session view from a decoded record (times to seconds). */
void sstore_record_to_session(const sstore_record *r, sstore_session *out);

/* CRC-32C (Castagnoli) of data[0..len). */
uint32_t sstore_crc32c(const void *data, size_t len);

#endif /* SSTORE_RECORD_H */

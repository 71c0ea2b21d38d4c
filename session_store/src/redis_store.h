/* redis_store.h — what the blocking and the non-blocking Redis backends share: the store's shared
 * state, the key form, the touch script and the reading of a GET value (private to session_store). */
#ifndef SSTORE_REDIS_STORE_H
#define SSTORE_REDIS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "redis_link.h"

#define REDIS_KEY_PREFIX "sess:"
#define REDIS_KEY_BUF (sizeof REDIS_KEY_PREFIX + SSTORE_KEY_MAX)

/* st->impl of redis:// and redis-cluster://. */
typedef struct redis_store {
    rlink_cfg cfg;      /* redis-cluster://: only the credentials and timeouts every node shares */
    char touch_sha[41]; /* SHA1 of the touch script in hex, for EVALSHA */
    rcl_seeds seeds;    /* redis-cluster://: the nodes named in the URI; none for redis:// */
} redis_store;

/* touch in one round trip and atomically (KEYS[1] key; ARGV now_ms, expires_ms, ttl_s): 1, nil when
 * absent, or an AB_CORRUPT error. */
extern const char redis_touch_script[];

/* Writes "sess:<id>" into key (REDIS_KEY_BUF bytes; id is a valid id); returns its length. */
size_t redis_make_key(char *key, const char *id);

/* Interprets the GET value of id (str NULL: nil) into *out (expired: before now_ms); out points
 * into str. SSTORE_OK, SSTORE_NOT_FOUND, or SSTORE_ERR_CORRUPT set on c. */
int redis_take_value(sstore_conn *c, const char *id, const char *str, size_t len, int64_t now_ms,
                     sstore_session *out);

#endif /* SSTORE_REDIS_STORE_H */

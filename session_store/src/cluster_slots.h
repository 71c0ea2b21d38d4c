/* cluster_slots.h — Redis Cluster key routing primitives: CRC16/XMODEM, hash slots with {hash tags},
 * the CLUSTER SLOTS reply and MOVED/ASK redirects (private to session_store).
 *
 * Debian 12 ships hiredis 0.14, which hiredis-cluster does not support, so the routing is ours and
 * kept to what the session store needs (see cluster_store.c). */
#ifndef SSTORE_CLUSTER_SLOTS_H
#define SSTORE_CLUSTER_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#define SSTORE_CLUSTER_SLOTS 16384
#define SSTORE_CLUSTER_HOST_MAX 256

/* CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection) of buf[0..len): the checksum
 * Redis Cluster hashes keys with. "123456789" gives 0x31C3. */
uint16_t sstore_crc16(const void *buf, size_t len);

/* The hash slot of key[0..len): CRC16 mod 16384 of the whole key, or of the part between the first
 * '{' and the first '}' after it when that part is not empty ("{user1}.a" and "{user1}.b" share a
 * slot; "{}x", "{x" and "x}" hash whole). */
unsigned sstore_cluster_keyslot(const char *key, size_t len);

/* A master's slot range, from CLUSTER SLOTS. */
typedef struct sstore_cluster_range {
    unsigned first, last;                /* inclusive */
    char host[SSTORE_CLUSTER_HOST_MAX];
    int port;
} sstore_cluster_range;

/* Reads the masters' ranges from a CLUSTER SLOTS reply into a malloc'd array (*out, *n; the caller
 * frees it). A node without a usable address ("" or "?") is taken to be default_host. 0, or -1
 * with a reason in err (malformed reply, slot out of range, out of memory). */
int sstore_cluster_slots_parse(const redisReply *r, const char *default_host, sstore_cluster_range **out,
                               size_t *n, char *err, size_t errlen);

typedef enum sstore_cluster_redirect {
    SSTORE_CLUSTER_NO_REDIRECT = 0,
    SSTORE_CLUSTER_MOVED,  /* the slot has a new owner: update the map */
    SSTORE_CLUSTER_ASK     /* this key only, this once: ASKING then retry on the named node */
} sstore_cluster_redirect;

/* Reads "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>" (an empty host means the node
 * that replied: default_host) into slot, host (hostlen bytes) and port. Anything else, malformed
 * ones included, is SSTORE_CLUSTER_NO_REDIRECT. */
sstore_cluster_redirect sstore_cluster_redirect_parse(const char *msg, const char *default_host, unsigned *slot,
                                                      char *host, size_t hostlen, int *port);

#endif /* SSTORE_CLUSTER_SLOTS_H */

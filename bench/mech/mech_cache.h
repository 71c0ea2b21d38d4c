/* mech_cache.h — a bounded LRU map of byte strings shared by a server's threads: the store behind
 * the session L1 cache (l1=) and the verified-token cache (cache=). Internal to bench/mech.
 *
 * Keys are hashed with a keyed 64-bit hash (a random key per cache, so a client cannot choose
 * colliding credentials offline) and always compared in full: a hash collision is a miss, never
 * another key's value. Every entry has a deadline on the monotonic clock; an entry at or past it is
 * dropped when met and never returned. Thread-safe: the map is split into shards, each under its
 * own mutex, so threads meet on a lock only when their keys share a shard. */
#ifndef MECH_CACHE_H
#define MECH_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mech_cache mech_cache;

/* A cache of at most capacity entries (>= 1). NULL when out of memory. */
mech_cache *mech_cache_new(size_t capacity);
/* Frees every entry and the cache; NULL accepted. */
void mech_cache_free(mech_cache *k);

/* Looks key (klen bytes) up at now_us (ab_now_us): on a hit, copies the value into out (cap bytes;
 * a longer value is a miss) with its length in *len, marks the entry most recently used and
 * returns 1; 0 on a miss (absent, past its deadline, or too long for out). */
int mech_cache_get(mech_cache *k, const void *key, size_t klen, uint64_t now_us, void *out, size_t cap,
                   size_t *len);
/* Inserts key -> value until deadline_us (monotonic), replacing an entry of that key; evicts the
 * least recently used entry of its shard when the shard is full. 0, or -1 when out of memory. */
int mech_cache_put(mech_cache *k, const void *key, size_t klen, const void *val, size_t vlen,
                   uint64_t deadline_us);
/* Drops key's entry if there is one. */
void mech_cache_del(mech_cache *k, const void *key, size_t klen);
/* Entries held now (expired ones not yet met included). */
size_t mech_cache_count(mech_cache *k);

/* The keyed hash: 64 bits of data under seed (8 bytes at a time, then a full avalanche). */
uint64_t mech_hash64(uint64_t seed, const void *data, size_t len);

#endif /* MECH_CACHE_H */

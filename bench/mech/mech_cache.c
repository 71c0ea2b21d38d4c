/* mech_cache.c — the sharded, locked, bounded LRU map of mech_cache.h. */
#include "mech_cache.h"

#include <ab_cli.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define CACHE_SHARDS 16          /* shards of a cache of CACHE_SHARDED_MIN entries or more */
#define CACHE_SHARDED_MIN 1024   /* below this one shard: each shard's bound stays >= 64 */

typedef struct cache_node {
    struct cache_node *hnext;       /* the bucket's chain */
    struct cache_node *prev, *next; /* the shard's LRU list, most recent first */
    uint64_t hash, deadline_us;
    size_t klen, vlen;
    unsigned char bytes[];          /* key, then value */
} cache_node;

typedef struct cache_shard {
    pthread_mutex_t lock;
    cache_node **buckets;
    size_t nbuckets;                /* a power of two */
    cache_node *head, *tail;
    size_t count, capacity;
} cache_shard;

struct mech_cache {
    uint64_t seed;
    size_t nshards;
    cache_shard shard[];
};

/* The splitmix64 finaliser: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t mech_hash64(uint64_t seed, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = mix64(seed ^ (uint64_t)len), w;
    for (; len >= 8; p += 8, len -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ mix64(w)) * 0x9e3779b97f4a7c15ULL;
        h = (h << 31) | (h >> 33);
    }
    w = 0;
    memcpy(&w, p, len);
    return mix64(h ^ mix64(w ^ 0xa0761d6478bd642fULL));
}

/* A random seed from the kernel (the clock and an address when it has none to give). */
static uint64_t random_seed(const void *salt)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
        s = ab_now_ns() ^ (uint64_t)(uintptr_t)salt;
    return s;
}

/* Sets a shard up for capacity entries (buckets for a load factor <= 1). 0 or -1. */
static int shard_init(cache_shard *s, size_t capacity)
{
    size_t n = 16;
    while (n < capacity)
        n *= 2;
    s->buckets = calloc(n, sizeof *s->buckets);
    if (s->buckets == NULL)
        return -1;
    s->nbuckets = n;
    s->capacity = capacity;
    return pthread_mutex_init(&s->lock, NULL) == 0 ? 0 : -1;
}

mech_cache *mech_cache_new(size_t capacity)
{
    size_t nshards = capacity >= CACHE_SHARDED_MIN ? CACHE_SHARDS : 1, i;
    mech_cache *k;
    if (capacity == 0)
        return NULL;
    k = calloc(1, sizeof *k + nshards * sizeof k->shard[0]);
    if (k == NULL)
        return NULL;
    k->seed = random_seed(k);
    k->nshards = nshards;
    for (i = 0; i < nshards; i++)
        if (shard_init(&k->shard[i], capacity / nshards) != 0) {
            k->nshards = i; /* only the shards made are freed */
            mech_cache_free(k);
            return NULL;
        }
    return k;
}

void mech_cache_free(mech_cache *k)
{
    size_t i;
    cache_node *n, *next;
    if (k == NULL)
        return;
    for (i = 0; i < k->nshards; i++) {
        for (n = k->shard[i].head; n != NULL; n = next) {
            next = n->next;
            free(n);
        }
        free(k->shard[i].buckets);
        pthread_mutex_destroy(&k->shard[i].lock);
    }
    free(k);
}

/* The shard of a hash (its high bits; the buckets use the low ones). */
static cache_shard *shard_of(mech_cache *k, uint64_t h)
{
    return &k->shard[(h >> 56) % k->nshards];
}

/* The bucket slot of a hash in s. */
static cache_node **bucket_of(cache_shard *s, uint64_t h)
{
    return &s->buckets[h & (s->nbuckets - 1)];
}

/* The slot pointing at key's node in its bucket (the slot holds NULL when it is absent). */
static cache_node **find_slot(cache_shard *s, uint64_t h, const void *key, size_t klen)
{
    cache_node **at = bucket_of(s, h);
    while (*at != NULL && !((*at)->hash == h && (*at)->klen == klen && memcmp((*at)->bytes, key, klen) == 0))
        at = &(*at)->hnext;
    return at;
}

/* Takes n out of the LRU list. */
static void lru_unlink(cache_shard *s, cache_node *n)
{
    if (n->prev != NULL)
        n->prev->next = n->next;
    else
        s->head = n->next;
    if (n->next != NULL)
        n->next->prev = n->prev;
    else
        s->tail = n->prev;
    n->prev = n->next = NULL;
}

/* Puts n at the front of the LRU list. */
static void lru_push(cache_shard *s, cache_node *n)
{
    n->prev = NULL;
    n->next = s->head;
    if (s->head != NULL)
        s->head->prev = n;
    s->head = n;
    if (s->tail == NULL)
        s->tail = n;
}

/* Removes the node *slot points at from its bucket and the list, and frees it. */
static void drop(cache_shard *s, cache_node **slot)
{
    cache_node *n = *slot;
    *slot = n->hnext;
    lru_unlink(s, n);
    free(n);
    s->count--;
}

int mech_cache_get(mech_cache *k, const void *key, size_t klen, uint64_t now_us, void *out, size_t cap,
                   size_t *len)
{
    uint64_t h = mech_hash64(k->seed, key, klen);
    cache_shard *s = shard_of(k, h);
    cache_node **slot;
    int hit = 0;
    pthread_mutex_lock(&s->lock);
    slot = find_slot(s, h, key, klen);
    if (*slot != NULL && now_us >= (*slot)->deadline_us) {
        drop(s, slot);
    } else if (*slot != NULL && (*slot)->vlen <= cap) {
        cache_node *n = *slot;
        memcpy(out, n->bytes + n->klen, n->vlen);
        *len = n->vlen;
        lru_unlink(s, n);
        lru_push(s, n);
        hit = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return hit;
}

int mech_cache_put(mech_cache *k, const void *key, size_t klen, const void *val, size_t vlen,
                   uint64_t deadline_us)
{
    uint64_t h = mech_hash64(k->seed, key, klen);
    cache_shard *s = shard_of(k, h);
    cache_node *n = malloc(sizeof *n + klen + vlen), **slot;
    if (n == NULL)
        return -1;
    n->hash = h;
    n->deadline_us = deadline_us;
    n->klen = klen;
    n->vlen = vlen;
    memcpy(n->bytes, key, klen);
    memcpy(n->bytes + klen, val, vlen);
    pthread_mutex_lock(&s->lock);
    if (*(slot = find_slot(s, h, key, klen)) != NULL)
        drop(s, slot);
    else if (s->count >= s->capacity)
        drop(s, find_slot(s, s->tail->hash, s->tail->bytes, s->tail->klen));
    n->hnext = *bucket_of(s, h);
    *bucket_of(s, h) = n;
    lru_push(s, n);
    s->count++;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void mech_cache_del(mech_cache *k, const void *key, size_t klen)
{
    uint64_t h = mech_hash64(k->seed, key, klen);
    cache_shard *s = shard_of(k, h);
    cache_node **slot;
    pthread_mutex_lock(&s->lock);
    if (*(slot = find_slot(s, h, key, klen)) != NULL)
        drop(s, slot);
    pthread_mutex_unlock(&s->lock);
}

size_t mech_cache_count(mech_cache *k)
{
    size_t i, n = 0;
    for (i = 0; i < k->nshards; i++) {
        pthread_mutex_lock(&k->shard[i].lock);
        n += k->shard[i].count;
        pthread_mutex_unlock(&k->shard[i].lock);
    }
    return n;
}

/* mc_store.h — the shared state of a memcached:// store (mc_store.c opens it, mc_async.c speaks
 * to the server; private to session_store). */
#ifndef SSTORE_MC_STORE_H
#define SSTORE_MC_STORE_H

#include "redis_link.h"

#define MC_DEFAULT_PORT 11211
#define MC_KEY_PREFIX "sess:"

/* st->impl of memcached://. Read-only after open. */
typedef struct mc_store {
    rlink_cfg cfg;   /* host, port and the timeouts (no credentials: the text protocol has none) */
    char where[96];  /* "memcached host:port" for messages */
} mc_store;

#endif /* SSTORE_MC_STORE_H */

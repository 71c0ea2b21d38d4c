/* async_sync.h — the blocking API of a backend that has only a non-blocking face (postgres://,
 * memcached://): each blocking call submits to a private sstore_async and runs a small poll() loop
 * until it completes (private to session_store). */
#ifndef SSTORE_ASYNC_SYNC_H
#define SSTORE_ASYNC_SYNC_H

#include "sstore_int.h"

/* The conn_* and operation entries of a sstore_backend_ops, for a backend whose async table is
 * async_ops_of()'s. The same protocol code answers both APIs, so a blocking GET costs the same
 * round trip and bytes as a non-blocking one; counters and errors land on c as for any backend. */
int sstore_sync_conn_open(sstore_conn *c);
void sstore_sync_conn_close(sstore_conn *c);
int sstore_sync_put(sstore_conn *c, const char *id, const char *claims, size_t claims_len, int64_t ttl_ms);
int sstore_sync_get(sstore_conn *c, const char *id, sstore_session *out);
int sstore_sync_touch(sstore_conn *c, const char *id, int64_t ttl_ms);
int sstore_sync_del(sstore_conn *c, const char *id);
/* Submits the n gets at once (pipelined), then waits for all. */
int sstore_sync_get_batch(sstore_conn *c, const char *const *ids, size_t n, sstore_session *out, int *status);

#endif /* SSTORE_ASYNC_SYNC_H */

/* sstore_int.h — internals shared by the session-store files: the handles, the backend table, errors. */
#ifndef SSTORE_INT_H
#define SSTORE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sstore.h"
#include "uri.h"

#define SSTORE_ERRSTR_LEN 256

/* A backend: a const table of functions with a name, picked by URI scheme in store.c.
 *
 * Return contract of every int function: an sstore_status. SSTORE_OK, SSTORE_NOT_FOUND and
 * SSTORE_EXISTS are outcomes, not errors: the handle's error is left clear. Any other status has
 * been recorded with sstore_set_err()/sstore_conn_set_err() by the backend before returning.
 * Arguments are already checked by store.c (valid id, claims a JSON object ≤ SSTORE_CLAIMS_MAX,
 * ttl in range); counters ops/errors are kept by store.c, the backend counts its own I/O. */
typedef struct sstore_backend_ops {
    const char *name;   /* sstore_backend(): "memory", "redis", "redis-cluster", "file" */
    const char *scheme; /* the URI scheme it opens */
    /* Reads its options from uri (every option it knows: leftovers are rejected by store.c) and
     * sets st->impl. On error, st->impl may be NULL or partly built: close() must cope. */
    int (*open)(sstore *st, sstore_uri *uri);
    void (*close)(sstore *st); /* frees st->impl (may be NULL) */
    /* Sets c->impl. May return an error and still leave a usable c->impl (Redis: down, retried by
     * the next operation); returns SSTORE_ERR_NOMEM only with c->impl NULL. */
    int (*conn_open)(sstore_conn *c);
    void (*conn_close)(sstore_conn *c); /* frees c->impl (may be NULL) */
    /* Stores claims under id for ttl_ms unless id is live: SSTORE_OK or SSTORE_EXISTS. */
    int (*put)(sstore_conn *c, const char *id, const char *claims, size_t claims_len, int64_t ttl_ms);
    /* SSTORE_OK with *out filled (data valid until the next call on c), or SSTORE_NOT_FOUND. */
    int (*get)(sstore_conn *c, const char *id, sstore_session *out);
    int (*touch)(sstore_conn *c, const char *id, int64_t ttl_ms);
    int (*del)(sstore_conn *c, const char *id);
    /* How many expired sessions were removed, or -1 with the error set. */
    long (*sweep)(sstore_conn *c);
    /* Optional (NULL: store.c runs the gets one by one). Returns SSTORE_OK when the batch ran
     * (status[i] per item: OK, NOT_FOUND or an error), or an error status for the whole batch. */
    int (*get_batch)(sstore_conn *c, const char *const *ids, size_t n, sstore_session *out, int *status);
    /* Optional (NULL: the figure is not measured): sstore_stored_bytes(), or -1 with the error set. */
    long long (*stored_bytes)(sstore_conn *c);
} sstore_backend_ops;

extern const sstore_backend_ops sstore_memory_backend;
extern const sstore_backend_ops sstore_redis_backend;
extern const sstore_backend_ops sstore_cluster_backend;
extern const sstore_backend_ops sstore_file_backend;
extern const sstore_backend_ops sstore_postgres_backend;
extern const sstore_backend_ops sstore_memcached_backend;

struct sstore {
    const sstore_backend_ops *be; /* NULL when the URI named no known backend */
    int err;
    char errstr[SSTORE_ERRSTR_LEN];
    void *impl; /* the backend's shared state */
};

struct sstore_conn {
    sstore *st;
    int err;
    char errstr[SSTORE_ERRSTR_LEN];
    sstore_counters ctr;
    void *impl; /* the backend's per-connection state */
    /* The one-by-one batch keeps every item's data alive here until the next call. */
    char *batch_buf;
    size_t batch_cap;
};

/* Records an error in the handle (the single place errors are written). Returns st. */
int sstore_set_err(sstore *s, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int sstore_conn_set_err(sstore_conn *c, int st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The argument checks of every operation (store.c; shared with the non-blocking API): SSTORE_OK,
 * or an SSTORE_ERR_ARG set on c. */
int sstore_check_id(sstore_conn *c, const char *id);
int sstore_check_ttl(sstore_conn *c, int64_t ttl_s);
int sstore_check_claims(sstore_conn *c, const char *claims, size_t len);

/* Wall clock in Unix milliseconds (session times are wall-clock: they are shared with other
 * processes through Redis and files). */
int64_t sstore_now_ms(void);

/* Grows *buf (malloc'd, *cap bytes) to hold at least need bytes. 0, or -1 when out of memory. */
int sstore_buf_reserve(char **buf, size_t *cap, size_t need);

#endif /* SSTORE_INT_H */

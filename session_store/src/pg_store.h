/* pg_store.h — what the postgres:// backend's store (pg_store.c) and its non-blocking engine
 * (pg_async.c) share: the options, the table's statements, the one-time table creation (private to
 * session_store). */
#ifndef SSTORE_PG_STORE_H
#define SSTORE_PG_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "redis_link.h"

#define PG_DEFAULT_PORT 5432
#define PG_TABLE_MAX 63 /* NAMEDATALEN - 1 */
/* connect_timeout_ms's default: a PostgreSQL connection forks a backend and authenticates before it
 * answers, far slower than a Redis one on a busy machine (1 s was seen to run out under load). */
#define PG_CONNECT_DEFAULT_MS 5000

/* The prepared statements, in the order they are prepared on every connection. Parameters: text
 * except the record ($2 of put: bytea, binary); results binary. Times are the client's Unix ms. */
typedef enum pg_stmt { PG_GET, PG_PUT, PG_TOUCH, PG_DEL, PG_NSTMTS } pg_stmt;

/* st->impl of postgres://. Read-only after open except the table flag (under lock). */
typedef struct pg_store {
    rlink_cfg cfg;            /* host, port, user, pass, timeouts (db unused: the database is by name) */
    char *dbname;
    char table[PG_TABLE_MAX + 1];
    int unlogged;             /* the table is created UNLOGGED (no WAL: lost on a crash) */
    int sync_commit;          /* synchronous_commit on (1) or off (0) for the store's sessions */
    char *sql[PG_NSTMTS];     /* the statements' text for this table */
    char where[160];          /* "postgres host:port/db" for messages */
    pthread_mutex_t lock;
    int table_ready;          /* CREATE TABLE IF NOT EXISTS has run in this process */
} pg_store;

/* The libpq keywords/values of a connection to ps (values point into ps and port, which it fills;
 * NULL-terminated lists of at most 8 entries: room for a few more is the caller's). */
void pg_conninfo(const pg_store *ps, char port[8], const char **keys, const char **vals);
/* Creates the table and its expiry index when missing, once per process (a blocking connection of
 * its own; concurrent creators serialise on an advisory lock). SSTORE_OK or an error set on c. */
int pg_ensure_table(pg_store *ps, sstore_conn *c);
/* Silences libpq's notices on pg (a PGconn *; void * keeps libpq-fe.h out of this header). */
void pg_quiet(void *pg);
/* The sstore_status of a failed libpq result or connection with SQLSTATE sqlstate (may be NULL). */
int pg_error_status(const char *sqlstate);

#endif /* SSTORE_PG_STORE_H */

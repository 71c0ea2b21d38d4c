/* pg_store.c — the postgres:// backend: sessions as rows of one table, the shape Django's database
 * backend and connect-pg-simple use — a text primary key, the session record (record.h) as bytea, and
 * an indexed expiry (expires_at timestamptz) that the sweep deletes by. Every operation is one
 * prepared statement in its own implicit transaction (pg_async.c); the blocking API runs them
 * through the same engine (async_sync.c). touch updates only last_seen_ms and expires_at, as
 * connect-pg-simple's touch does: the record keeps the times of its put and a get reports the
 * columns'. The sweep is Django's clearsessions: DELETE … WHERE expires_at < now(). */
#include "pg_store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "async_sync.h"

/* The statements, %s the table. Parameters are typed at prepare time (pg_async.c). */
static const char *const stmt_fmt[PG_NSTMTS] = {
    /* $1 id -> data, last_seen_ms, expires_ms */
    "SELECT data, last_seen_ms, (extract(epoch FROM expires_at) * 1000)::int8 FROM %s WHERE id = $1",
    /* $1 id, $2 record, $3 now_ms, $4 expires_ms: inserted, or an expired row replaced; 0 rows: live */
    "INSERT INTO %s AS t (id, data, last_seen_ms, expires_at) VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000)) "
    "ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, last_seen_ms = EXCLUDED.last_seen_ms, "
    "expires_at = EXCLUDED.expires_at WHERE t.expires_at <= to_timestamp($3::float8 / 1000)",
    /* $1 id, $2 now_ms, $3 expires_ms: 1 row touched, 0 absent or expired */
    "UPDATE %s SET last_seen_ms = $2, expires_at = to_timestamp($3::float8 / 1000) "
    "WHERE id = $1 AND expires_at > to_timestamp($2::float8 / 1000)",
    /* $1 id, $2 now_ms: the row deleted, and whether it was still live */
    "DELETE FROM %s WHERE id = $1 RETURNING expires_at > to_timestamp($2::float8 / 1000)",
};

/* 1 when name is a plain SQL identifier we may splice into statements unquoted. */
static int table_name_ok(const char *name)
{
    size_t i, n = strlen(name);
    if (n == 0 || n > PG_TABLE_MAX || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return 0;
    for (i = 0; i < n; i++)
        if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
            return 0;
    return 1;
}

/* Reads table=, unlogged=, synchronous_commit= and the statements for the table. SSTORE_OK or ARG/NOMEM. */
static int parse_options(sstore *st, pg_store *ps, sstore_uri *u)
{
    static const char *const onoff[] = {"off", "on", NULL}, *const bits[] = {"0", "1", NULL};
    const char *table = sstore_uri_get(u, "table");
    char err[SSTORE_ERRSTR_LEN - 32];
    int i;
    if (table != NULL && !table_name_ok(table))
        return sstore_set_err(st, SSTORE_ERR_ARG, "postgres://: table=%s: expected 1..%d characters of [A-Za-z0-9_], "
                              "not starting with a digit", table, PG_TABLE_MAX);
    snprintf(ps->table, sizeof ps->table, "%s", table != NULL ? table : "authbench_sessions");
    if (sstore_uri_enum(u, "unlogged", bits, 0, &ps->unlogged, err, sizeof err) != 0 ||
        sstore_uri_enum(u, "synchronous_commit", onoff, 1, &ps->sync_commit, err, sizeof err) != 0 ||
        rlink_cfg_parse_timeouts(&ps->cfg, u, PG_CONNECT_DEFAULT_MS, err, sizeof err) != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "postgres://: %s", err);
    for (i = 0; i < PG_NSTMTS; i++) {
        size_t len = strlen(stmt_fmt[i]) + 2 * strlen(ps->table) + 1;
        if ((ps->sql[i] = malloc(len)) == NULL)
            return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
        snprintf(ps->sql[i], len, stmt_fmt[i], ps->table);
    }
    return SSTORE_OK;
}

/* postgres://[user[:pass]@]host[:port][/db][?table=…&unlogged=0|1&synchronous_commit=on|off&timeouts]. */
static int pg_open(sstore *st, sstore_uri *u)
{
    pg_store *ps = calloc(1, sizeof *ps);
    char err[SSTORE_ERRSTR_LEN - 32];
    if (ps == NULL)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&ps->lock, NULL);
    st->impl = ps;
    if (u->authority[0] == '\0' || strchr(u->authority, ',') != NULL)
        return sstore_set_err(st, SSTORE_ERR_ARG, "postgres:// needs one host:port (e.g. "
                              "postgres://user:pass@127.0.0.1:5432/db)");
    if (sstore_uri_hostport(u->authority, strlen(u->authority), &ps->cfg.host, &ps->cfg.port, PG_DEFAULT_PORT, err,
                            sizeof err) != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "postgres://: %s", err);
    if (strchr(u->path + (u->path[0] == '/'), '/') != NULL)
        return sstore_set_err(st, SSTORE_ERR_ARG, "postgres://: path '%s': expected /database", u->path);
    ps->cfg.user = u->pass_only ? u->pass : u->user; /* "user@host": psql's form, a user without password */
    ps->cfg.pass = u->pass_only ? NULL : u->pass;
    u->user = u->pass = NULL;                        /* ps owns them now */
    if ((ps->dbname = strdup(u->path[0] == '/' && u->path[1] != '\0' ? u->path + 1 : "postgres")) == NULL)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    snprintf(ps->where, sizeof ps->where, "postgres %s:%d/%s", ps->cfg.host, ps->cfg.port, ps->dbname);
    return parse_options(st, ps, u);
}

static void pg_close(sstore *st)
{
    pg_store *ps = st->impl;
    int i;
    if (ps == NULL)
        return;
    for (i = 0; i < PG_NSTMTS; i++)
        free(ps->sql[i]);
    free(ps->dbname);
    rlink_cfg_free(&ps->cfg);
    pthread_mutex_destroy(&ps->lock);
    free(ps);
    st->impl = NULL;
}

void pg_conninfo(const pg_store *ps, char port[8], const char **keys, const char **vals)
{
    int n = 0;
    snprintf(port, 8, "%d", ps->cfg.port);
    keys[n] = "host", vals[n++] = ps->cfg.host;
    keys[n] = "port", vals[n++] = port;
    keys[n] = "dbname", vals[n++] = ps->dbname;
    if (ps->cfg.user != NULL)
        keys[n] = "user", vals[n++] = ps->cfg.user;
    if (ps->cfg.pass != NULL)
        keys[n] = "password", vals[n++] = ps->cfg.pass;
    keys[n] = "application_name", vals[n++] = "authbench";
    keys[n] = "options", vals[n++] = ps->sync_commit ? "-c synchronous_commit=on" : "-c synchronous_commit=off";
    keys[n] = NULL, vals[n] = NULL;
}

int pg_error_status(const char *sqlstate)
{
    if (sqlstate == NULL)
        return SSTORE_ERR_IO;
    if (strncmp(sqlstate, "28", 2) == 0)
        return SSTORE_ERR_AUTH;        /* invalid authorization */
    if (strncmp(sqlstate, "53", 2) == 0)
        return SSTORE_ERR_FULL;        /* insufficient resources: disk full, out of memory, too many connections */
    if (strcmp(sqlstate, "57014") == 0)
        return SSTORE_ERR_TIMEOUT;     /* query canceled (statement_timeout) */
    if (strncmp(sqlstate, "42", 2) == 0 || strncmp(sqlstate, "22", 2) == 0)
        return SSTORE_ERR_PROTOCOL;    /* the table is not what we expect */
    return SSTORE_ERR_IO;
}

/* libpq's notices (CREATE … IF NOT EXISTS "already exists, skipping") are no errors of ours. */
static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

void pg_quiet(void *pg)
{
    PQsetNoticeProcessor(pg, quiet_notice, NULL);
}

/* A blocking connection to ps (connect_timeout_ms honoured), or NULL with the error set on c. */
static PGconn *connect_blocking(pg_store *ps, sstore_conn *c)
{
    const char *keys[12], *vals[12];
    char port[8], tmo[16];
    PGconn *pg;
    int n;
    pg_conninfo(ps, port, keys, vals);
    snprintf(tmo, sizeof tmo, "%d", (ps->cfg.connect_timeout_ms + 999) / 1000);
    for (n = 0; keys[n] != NULL; n++)
        ;
    keys[n] = "connect_timeout", vals[n++] = tmo;
    keys[n] = NULL, vals[n] = NULL;
    if ((pg = PQconnectdbParams(keys, vals, 0)) == NULL) {
        sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        const char *m = PQerrorMessage(pg);
        sstore_conn_set_err(c, strstr(m, "authentication") != NULL ? SSTORE_ERR_AUTH : SSTORE_ERR_IO,
                            "%s: cannot connect: %.*s", ps->where, (int)strcspn(m, "\n"), m);
        PQfinish(pg);
        return NULL;
    }
    pg_quiet(pg);
    c->ctr.round_trips++;
    return pg;
}

/* Runs sql (simple query protocol, several statements allowed) on pg. SSTORE_OK or the error set on c. */
static int exec_sql(pg_store *ps, sstore_conn *c, PGconn *pg, const char *sql, long *affected)
{
    PGresult *r = PQexec(pg, sql);
    int ok = r != NULL && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK), st;
    const char *m = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    c->ctr.round_trips++;
    st = ok ? SSTORE_OK
            : sstore_conn_set_err(c, r != NULL ? pg_error_status(PQresultErrorField(r, PG_DIAG_SQLSTATE)) : SSTORE_ERR_IO,
                                  "%s: %s", ps->where, m != NULL ? m : PQerrorMessage(pg));
    if (ok && affected != NULL)
        *affected = atol(PQcmdTuples(r));
    PQclear(r);
    return st;
}

int pg_ensure_table(pg_store *ps, sstore_conn *c)
{
    char sql[1024];
    PGconn *pg;
    int st = SSTORE_OK;
    pthread_mutex_lock(&ps->lock);
    if (!ps->table_ready) {
        snprintf(sql, sizeof sql,
                 "BEGIN; SELECT pg_advisory_xact_lock(hashtext('authbench:%s'));"
                 " CREATE %sTABLE IF NOT EXISTS %s (id text PRIMARY KEY, data bytea NOT NULL,"
                 " last_seen_ms bigint NOT NULL, expires_at timestamptz NOT NULL);"
                 " CREATE INDEX IF NOT EXISTS %s_expires_at ON %s (expires_at); COMMIT",
                 ps->table, ps->unlogged ? "UNLOGGED " : "", ps->table, ps->table, ps->table);
        if ((pg = connect_blocking(ps, c)) == NULL)
            st = c->err;
        else
            st = exec_sql(ps, c, pg, sql, NULL);
        PQfinish(pg);
        ps->table_ready = st == SSTORE_OK;
    }
    pthread_mutex_unlock(&ps->lock);
    return st;
}

/* The sweep on a blocking connection of its own, as Django's clearsessions runs in its own process. */
static long pg_sweep(sstore_conn *c)
{
    pg_store *ps = c->st->impl;
    char sql[256];
    PGconn *pg;
    long n = 0;
    if (pg_ensure_table(ps, c) != SSTORE_OK || (pg = connect_blocking(ps, c)) == NULL)
        return -1;
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE expires_at < now()", ps->table);
    if (exec_sql(ps, c, pg, sql, &n) != SSTORE_OK)
        n = -1;
    PQfinish(pg);
    return n;
}

/* pg_total_relation_size of the table, on a blocking connection of its own. */
static long long pg_stored_bytes(sstore_conn *c)
{
    pg_store *ps = c->st->impl;
    char sql[200];
    PGconn *pg;
    PGresult *r;
    long long n = -1;
    if (pg_ensure_table(ps, c) != SSTORE_OK || (pg = connect_blocking(ps, c)) == NULL)
        return -1;
    snprintf(sql, sizeof sql, "SELECT pg_total_relation_size('%s')", ps->table);
    r = PQexec(pg, sql);
    c->ctr.round_trips++;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        n = atoll(PQgetvalue(r, 0, 0));
    else
        sstore_conn_set_err(c, SSTORE_ERR_IO, "%s: %s", ps->where, PQerrorMessage(pg));
    PQclear(r);
    PQfinish(pg);
    return n;
}

const sstore_backend_ops sstore_postgres_backend = {
    .name = "postgres",
    .scheme = "postgres",
    .open = pg_open,
    .close = pg_close,
    .conn_open = sstore_sync_conn_open,
    .conn_close = sstore_sync_conn_close,
    .put = sstore_sync_put,
    .get = sstore_sync_get,
    .touch = sstore_sync_touch,
    .del = sstore_sync_del,
    .sweep = pg_sweep,
    .get_batch = sstore_sync_get_batch,
    .stored_bytes = pg_stored_bytes,
};

/* pubsub_pg.c — publish/subscribe on postgres:// (pubsub_int.h) with LISTEN/NOTIFY: the set is rows
 * of one table, authbench_pubsub (setname, id, msg, exp_s: a Unix time), beside the sessions'; a
 * publish is one statement — delete the rows past their exp, insert the row, pg_notify(channel,
 * msg) — so one round trip, and the notification leaves at its commit, when the row is visible; a
 * scan is one SELECT of the set's live rows; a subscriber LISTENs on a connection of its own and
 * reads notifications as they arrive (PQnotifies).
 *
 * libpq directly (pg_store.h gives the connection's parameters): a connection here is blocking
 * for its owner's thread, with connect_timeout_ms and timeout_ms as deadlines (a statement that
 * runs past timeout_ms closes the connection: it is out of step), and reconnects after a backoff
 * (10 ms doubling to reconnect_max_ms). The table is created when missing at every connect, under
 * an advisory lock (concurrent CREATE TABLE IF NOT EXISTS can fail otherwise). */
#include "pg_store.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "pubsub_int.h"

#define PG_PS_TABLE "authbench_pubsub"

static const char create_sql[] =
    "BEGIN; SELECT pg_advisory_xact_lock(hashtext('authbench:" PG_PS_TABLE "'));"
    " CREATE TABLE IF NOT EXISTS " PG_PS_TABLE " (setname text NOT NULL, id text NOT NULL, msg text NOT NULL,"
    " exp_s bigint NOT NULL, PRIMARY KEY (setname, id));"
    " CREATE INDEX IF NOT EXISTS " PG_PS_TABLE "_exp ON " PG_PS_TABLE " (exp_s); COMMIT";

/* $1 set, $2 id, $3 msg, $4 exp_s, $5 now_s, $6 channel: 1 inserted, 0 the id was in the set
 * (the message is announced either way, as on Redis: a subscriber's insert is idempotent). */
static const char publish_sql[] =
    "WITH gone AS (DELETE FROM " PG_PS_TABLE " WHERE exp_s < $5::int8),"
    " ins AS (INSERT INTO " PG_PS_TABLE " (setname, id, msg, exp_s) VALUES ($1, $2, $3, $4::int8)"
    " ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT (SELECT count(*) FROM ins), pg_notify($6, $3)";

/* $1 set, $2 now_s: the messages of the set's live rows. */
static const char scan_sql[] = "SELECT msg FROM " PG_PS_TABLE " WHERE setname = $1 AND exp_s >= $2::int8";

/* p->impl of a postgres:// store. */
typedef struct pg_pubsub {
    pg_store *ps;
    PGconn *pg;           /* NULL while down */
    int ever_up;
    int64_t retry_at_ms;  /* monotonic: no connect before this while down */
    int backoff_ms;
    PGnotify *last;       /* the notification handed out by the last next */
} pg_pubsub;

#define PP(p) ((pg_pubsub *)(p)->impl)

/* Closes the connection after a failure (connecting: the next attempt waits the backoff). Returns st. */
static int link_down(sstore_pubsub *p, int st, int connecting)
{
    pg_pubsub *g = PP(p);
    PQfinish(g->pg);
    g->pg = NULL;
    if (connecting) {
        int max = g->ps->cfg.reconnect_max_ms;
        g->retry_at_ms = rlink_mono_ms() + g->backoff_ms;
        g->backoff_ms = g->backoff_ms * 2 > max ? max : g->backoff_ms * 2;
    }
    return st;
}

/* A failed connection or result's first message line, for errors. */
static int msg_len(const char *m)
{
    return (int)strcspn(m != NULL ? m : "", "\n");
}

/* Drives PQconnectPoll until connected or connect_timeout_ms. SSTORE_OK or an error (closed). */
static int connect_wait(sstore_pubsub *p)
{
    pg_pubsub *g = PP(p);
    int64_t deadline = rlink_mono_ms() + g->ps->cfg.connect_timeout_ms;
    PostgresPollingStatusType s = PGRES_POLLING_WRITING;
    const char *m;
    while (s != PGRES_POLLING_OK && s != PGRES_POLLING_FAILED) {
        if (pubsub_wait_fd(PQsocket(g->pg), s == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline) != 1)
            return link_down(p, pubsub_fail(p, SSTORE_ERR_IO, "%s: cannot connect: no answer within %d ms",
                                            g->ps->where, g->ps->cfg.connect_timeout_ms), 1);
        s = PQconnectPoll(g->pg);
    }
    if (s == PGRES_POLLING_OK)
        return SSTORE_OK;
    m = PQerrorMessage(g->pg);
    return link_down(p, pubsub_fail(p, strstr(m, "authentication") != NULL ? SSTORE_ERR_AUTH : SSTORE_ERR_IO,
                                    "%s: cannot connect: %.*s", g->ps->where, msg_len(m), m), 1);
}

static int run(sstore_pubsub *p, const char *sql, int nparams, const char *const *params, PGresult **out);

/* Connects when down and the backoff allows, and makes the table. SSTORE_OK or an error. */
static int link_up(sstore_pubsub *p)
{
    pg_pubsub *g = PP(p);
    const char *keys[12], *vals[12];
    char port[8];
    int st;
    if (g->pg != NULL)
        return SSTORE_OK;
    if (rlink_mono_ms() < g->retry_at_ms)
        return pubsub_fail(p, SSTORE_ERR_IO, "%s: down (reconnecting)", g->ps->where);
    pg_conninfo(g->ps, port, keys, vals);
    if ((g->pg = PQconnectStartParams(keys, vals, 0)) == NULL)
        return pubsub_fail(p, SSTORE_ERR_NOMEM, "out of memory");
    if (PQstatus(g->pg) == CONNECTION_BAD)
        return link_down(p, pubsub_fail(p, SSTORE_ERR_IO, "%s: cannot connect: %.*s", g->ps->where,
                                        msg_len(PQerrorMessage(g->pg)), PQerrorMessage(g->pg)), 1);
    if ((st = connect_wait(p)) != SSTORE_OK)
        return st;
    pg_quiet(g->pg);
    p->owner.ctr.round_trips++;
    if ((st = run(p, create_sql, 0, NULL, NULL)) != SSTORE_OK)
        return st;
    if (g->ever_up)
        p->owner.ctr.reconnects++;
    g->ever_up = 1;
    g->backoff_ms = RLINK_BACKOFF_MIN_MS;
    return SSTORE_OK;
}

/* Waits for the statement's results within timeout_ms; the last one into *out (NULL: cleared).
 * SSTORE_OK, or an error (a timeout or lost connection closes it). */
static int collect(sstore_pubsub *p, int64_t deadline, PGresult **out)
{
    pg_pubsub *g = PP(p);
    PGresult *r, *last = NULL;
    int st = SSTORE_OK;
    while (PQflush(g->pg) == 1)
        if (pubsub_wait_fd(PQsocket(g->pg), POLLOUT, deadline) != 1)
            return link_down(p, pubsub_fail(p, SSTORE_ERR_TIMEOUT, "%s: no reply within %d ms", g->ps->where,
                                            g->ps->cfg.timeout_ms), 0);
    for (;;) {
        while (PQisBusy(g->pg))
            if (pubsub_wait_fd(PQsocket(g->pg), POLLIN, deadline) != 1 || !PQconsumeInput(g->pg)) {
                PQclear(last);
                return link_down(p, PQstatus(g->pg) == CONNECTION_BAD
                                        ? pubsub_fail(p, SSTORE_ERR_IO, "%s: %.*s", g->ps->where,
                                                      msg_len(PQerrorMessage(g->pg)), PQerrorMessage(g->pg))
                                        : pubsub_fail(p, SSTORE_ERR_TIMEOUT, "%s: no reply within %d ms",
                                                      g->ps->where, g->ps->cfg.timeout_ms), 0);
            }
        if ((r = PQgetResult(g->pg)) == NULL)
            break;
        if (st == SSTORE_OK && PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
            const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            st = pubsub_fail(p, pg_error_status(PQresultErrorField(r, PG_DIAG_SQLSTATE)), "%s: %s", g->ps->where,
                             m != NULL ? m : "statement failed");
        }
        PQclear(last);
        last = r;
    }
    if (out != NULL && st == SSTORE_OK)
        *out = last;
    else
        PQclear(last);
    return st;
}

/* Runs sql (with params: the extended protocol, one statement; without: several) and waits for
 * it: one round trip. SSTORE_OK with the last result in *out (may be NULL: cleared), or an error. */
static int run(sstore_pubsub *p, const char *sql, int nparams, const char *const *params, PGresult **out)
{
    pg_pubsub *g = PP(p);
    int64_t deadline = rlink_mono_ms() + g->ps->cfg.timeout_ms;
    int sent = nparams > 0 ? PQsendQueryParams(g->pg, sql, nparams, NULL, params, NULL, NULL, 0) : PQsendQuery(g->pg, sql);
    if (!sent)
        return link_down(p, pubsub_fail(p, SSTORE_ERR_IO, "%s: %.*s", g->ps->where, msg_len(PQerrorMessage(g->pg)),
                                        PQerrorMessage(g->pg)), 0);
    p->owner.ctr.round_trips++;
    return collect(p, deadline, out);
}

static int gp_open(sstore_pubsub *p)
{
    pg_pubsub *g = calloc(1, sizeof *g);
    if (g == NULL)
        return pubsub_fail(p, SSTORE_ERR_NOMEM, "out of memory");
    g->ps = p->owner.st->impl;
    g->backoff_ms = RLINK_BACKOFF_MIN_MS;
    p->impl = g;
    return link_up(p);
}

static void gp_close(sstore_pubsub *p)
{
    pg_pubsub *g = PP(p);
    if (g->last != NULL)
        PQfreemem(g->last);
    PQfinish(g->pg);
    free(g);
    p->impl = NULL;
}

/* The publish statement (see the top of the file). */
static int gp_add_publish(sstore_pubsub *p, const char *set, const char *id, const char *msg, int64_t ttl_s,
                          const char *channel, long *heard)
{
    char exp[24], now[24];
    const char *params[6] = {set, id, msg, exp, now, channel};
    int64_t now_s = sstore_now_ms() / 1000;
    PGresult *r = NULL;
    int st = link_up(p);
    (void)heard; /* NOTIFY does not say how many listen */
    snprintf(exp, sizeof exp, "%" PRId64, now_s + ttl_s);
    snprintf(now, sizeof now, "%" PRId64, now_s);
    if (st == SSTORE_OK)
        st = run(p, publish_sql, 6, params, &r);
    if (st == SSTORE_OK && (PQntuples(r) != 1 || PQnfields(r) != 2))
        st = pubsub_fail(p, SSTORE_ERR_PROTOCOL, "%s: unexpected result of the publish", PP(p)->ps->where);
    else if (st == SSTORE_OK && strcmp(PQgetvalue(r, 0, 0), "0") == 0)
        st = SSTORE_EXISTS;
    PQclear(r);
    return st;
}

/* One SELECT of the set's live rows. */
static int gp_scan(sstore_pubsub *p, const char *set, sstore_pubsub_fn fn, void *arg, size_t *n)
{
    char now[24];
    const char *params[2] = {set, now};
    PGresult *r = NULL;
    int i, st = link_up(p);
    snprintf(now, sizeof now, "%" PRId64, sstore_now_ms() / 1000);
    if (st == SSTORE_OK)
        st = run(p, scan_sql, 2, params, &r);
    for (i = 0; st == SSTORE_OK && i < PQntuples(r); i++)
        fn(arg, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0));
    if (st == SSTORE_OK)
        *n += (size_t)PQntuples(r);
    PQclear(r);
    return st;
}

/* LISTEN "<channel>" (the name was checked: [A-Za-z0-9:_-], so quoting it is enough). */
static int gp_subscribe(sstore_pubsub *p, const char *set, const char *channel)
{
    char sql[96];
    int st = link_up(p);
    (void)set;
    snprintf(sql, sizeof sql, "LISTEN \"%s\"", channel);
    return st == SSTORE_OK ? run(p, sql, 0, NULL, NULL) : st;
}

static int gp_fd(const sstore_pubsub *p)
{
    const pg_pubsub *g = p->impl;
    return g->pg != NULL ? PQsocket(g->pg) : -1;
}

/* Notifications are pushed: wait on the fd. */
static int gp_wait_ms(const sstore_pubsub *p)
{
    (void)p;
    return -1;
}

/* The next notification: what has arrived is read without waiting. A lost connection closes p. */
static int gp_next(sstore_pubsub *p, const char **msg, size_t *len)
{
    pg_pubsub *g = PP(p);
    const char *m;
    if (g->last != NULL)
        PQfreemem(g->last);
    g->last = NULL;
    if (g->pg == NULL || !PQconsumeInput(g->pg) || PQstatus(g->pg) == CONNECTION_BAD) {
        m = g->pg != NULL ? PQerrorMessage(g->pg) : "not connected";
        pubsub_fail(p, SSTORE_ERR_IO, "%s: subscription lost: %.*s", g->ps->where, msg_len(m), m);
        gp_close(p);
        return SSTORE_ERR_IO;
    }
    p->owner.ctr.syscalls++;
    if ((g->last = PQnotifies(g->pg)) == NULL)
        return SSTORE_NOT_FOUND;
    *msg = g->last->extra;
    *len = strlen(g->last->extra);
    return SSTORE_OK;
}

const pubsub_ops sstore_pubsub_pg = {
    "postgres", "notify", gp_open, gp_close, gp_add_publish, gp_scan, gp_subscribe, gp_fd, gp_wait_ms, gp_next,
};

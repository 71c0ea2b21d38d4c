/* run_pgmc.h — the PostgreSQL (postgres.c) and Memcached (memcached.c) a run starts or uses: a
 * private server on a free loopback port in a temporary directory (or the user's URL), emptied
 * between cells, paused/killed/restarted by the fault tests, and its memory or table size. The
 * store tests start theirs through the same calls.
 * Prefix: ab_run_pg_ / ab_run_mc_. Not a public API: only bench/run/ and tests include it. */
#ifndef AB_RUN_PGMC_H
#define AB_RUN_PGMC_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ab_results.h"
#include "run_proc.h"

#define AB_RUN_PG_TABLE "authbench_sessions" /* the table of the store URIs the run hands out */

/* One server: a PostgreSQL (initdb'd data directory) or a memcached. */
typedef struct ab_run_srv {
    int running;                 /* 1 when reachable (own and started, or the user's) */
    int own;                     /* 1 when started by us (ours to empty and stop) */
    char url[512];               /* the store URI of it: postgres://…/db or memcached://host:port */
    char host[64];
    int port;
    char dir[AB_RUN_PATH_MAX];   /* own: its temporary directory */
    char log[AB_RUN_PATH_MAX];
    char version[32];
    ab_run_proc proc;
} ab_run_srv;

/* Starts a private PostgreSQL 15 (initdb into a new directory under tmp_base, as the postgres user
 * when we are root — the server refuses to run as root; fsync as PostgreSQL ships it). Its
 * URL is postgres://authbench@127.0.0.1:PORT/authbench. 0, or -1 with err. */
int ab_run_pg_start(ab_run_srv *s, const char *tmp_base, const char *log_path, char *err, size_t errlen);
/* Uses the user's PostgreSQL at url (postgres://…): checks a store on it answers. 0 or -1. */
int ab_run_pg_use(ab_run_srv *s, const char *url, char *err, size_t errlen);
/* Empties the sessions table (TRUNCATE) of an own server. 0 or -1. */
int ab_run_pg_flush(const ab_run_srv *s);
/* After a bulk fill of an own server: VACUUM ANALYZE of the sessions table and a CHECKPOINT, so the
 * cell starts on a table in the state a production one is (visibility map, statistics, no dirty
 * buffers for the servers' first writes to evict). A user's server is left alone (0). 0 or -1. */
int ab_run_pg_settle(const ab_run_srv *s);

/* Starts a private memcached (-l 127.0.0.1 -U 0, 256 MiB; as nobody when root). Its URL is
 * memcached://127.0.0.1:PORT. 0, or -1 with err. */
int ab_run_mc_start(ab_run_srv *s, const char *tmp_base, const char *log_path, char *err, size_t errlen);
/* Uses the user's memcached at url (memcached://host:port). 0 or -1. */
int ab_run_mc_use(ab_run_srv *s, const char *url, char *err, size_t errlen);
/* flush_all on an own memcached. 0 or -1. */
int ab_run_mc_flush(const ab_run_srv *s);

/* Both kinds: SIGSTOP / SIGCONT / SIGKILL to every process of an own server (its process group, and
 * the server's children: PostgreSQL's backends each call setsid()). 0 or -1. */
int ab_run_srv_signal(ab_run_srv *s, int sig);
/* Starts an own server again on its port and directory after it was killed. 0, or -1 with err. */
int ab_run_srv_restart(ab_run_srv *s, char *err, size_t errlen);
/* Stops an own server and removes its directory; forgets a user's. Safe twice. */
void ab_run_srv_stop(ab_run_srv *s);

/* ---- what `authbench run` does with them ---- */

/* Starts what the cells need — a PostgreSQL when a cell's store is "postgres", a memcached for
 * "memcached" — or uses the scenario's postgres_url / memcached_url (string or null). Logs go to
 * <log_dir>/postgres.log and memcached.log. 0, or -1 with err. */
int ab_run_pgmc_setup(ab_run_srv *pg, ab_run_srv *mc, const cJSON *sc, const ab_res_cell *cells, size_t n,
                      const char *tmp_base, const char *log_dir, char *err, size_t errlen);
/* Checks the scenario's field (postgres_url, memcached_url): absent, null, or a string starting with
 * scheme. 0, or -1 with "scenario: <field>: …" in err. */
int ab_run_url_field_check(const cJSON *sc, const char *field, const char *scheme, char *err, size_t errlen);
/* The server that keeps store's sessions ("postgres": pg, "memcached": mc), or NULL. */
ab_run_srv *ab_run_pgmc_of(ab_run_srv *pg, ab_run_srv *mc, const char *store);
/* Empties an own server before a cell (a user's is left as it is: 0). 0, or -1 with err. */
int ab_run_srv_flush(const ab_run_srv *s, char *err, size_t errlen);
/* s's store URI with host:port replaced (the latency proxy's, or its own), into out. */
void ab_run_srv_uri(const ab_run_srv *s, const char *host, int port, char *out, size_t len);
/* The store's bytes as sstore_stored_bytes() reads them (PostgreSQL: the sessions table's total
 * size; memcached: its items' bytes), or -1. */
long long ab_run_srv_store_bytes(const ab_run_srv *s);

#endif /* AB_RUN_PGMC_H */

/* store_test.h — helpers shared by the session-store tests (cmocka): open-or-fail, claims, sleeps, uniqueness. */
#ifndef STORE_TEST_H
#define STORE_TEST_H

#include <stddef.h>

#include "run_pgmc.h"
#include "sstore.h"
#include "tsupport.h"

/* Opens uri and fails the test (printing the store's message) unless it opened cleanly. */
sstore *st_open_ok(const char *uri);
/* Connects and fails the test unless the connection is clean. */
sstore_conn *st_conn_ok(sstore *s);
/* Writes claims JSON for subject sub into buf (cap bytes), padded with a "pad" string member so the
 * whole is at least min_len bytes. Returns its length. Fails the test when cap is too small. */
size_t st_claims(char *buf, size_t cap, const char *sub, size_t min_len);
/* Sleeps ms milliseconds. */
void st_sleep_ms(long ms);
/* Monotonic milliseconds. */
long long st_now_ms(void);
/* Fails the test when the sorted copy of ids[0..n) (each SSTORE_ID_LEN+1 bytes) has a duplicate. */
void st_assert_unique(char (*ids)[SSTORE_ID_LEN + 1], size_t n);

/* Starts a private PostgreSQL (pg 1) or memcached (pg 0) for a test, as `authbench run` starts its
 * own (bench/run/run_pgmc.h), its log in a fresh temporary directory. 0, or -1 with a message on
 * stderr. */
int st_server_start(ab_run_srv *s, int pg);
/* Stops it and removes its directory and log. Safe twice. */
void st_server_stop(ab_run_srv *s);

/* The servers the conformance suites run their backend cases on (test_conformance.c,
 * test_async_conformance.c): a private redis-server with the ACL user "suite" (password "s3cret@x",
 * keys sess:*), a private 3-master Redis Cluster, PostgreSQL and memcached. */
typedef struct st_servers {
    tsupport_redis redis;
    tsupport_cluster cluster;
    ab_run_srv pg, mc;
} st_servers;
/* Starts every one. 0, or -1 with a message on stderr and nothing left running. */
int st_servers_start(st_servers *s);
/* Stops them all. Safe twice. */
void st_servers_stop(st_servers *s);

/* Which of the servers a suite case uses (the %d of its URI format). */
enum { ST_NONE, ST_REDIS, ST_CLUSTER, ST_POSTGRES, ST_MEMCACHED };
/* A suite case's URI into out (cap bytes), from fmt and the server it uses (on): the server's port,
 * the cluster's first two seeds' ports, or for ST_NONE a fresh temporary directory (*dir, freed by
 * st_case_dir_free) for a file:// fmt, else fmt as it is. 0, or -1 when no directory could be made. */
int st_case_uri(char *out, size_t cap, const char *fmt, int on, const st_servers *s, char **dir);
/* Removes and frees a case's temporary directory; *dir is NULL after (it may be NULL before). */
void st_case_dir_free(char **dir);

#endif /* STORE_TEST_H */

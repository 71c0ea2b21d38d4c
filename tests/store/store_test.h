/* store_test.h — helpers shared by the session-store tests (cmocka): open-or-fail, claims, sleeps, uniqueness. */
#ifndef STORE_TEST_H
#define STORE_TEST_H

#include <stddef.h>

#include "run_pgmc.h"
#include "sstore.h"

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

/* A suite case's URI into out (cap bytes): fmt with the Redis port when redis is 1, the two cluster
 * seeds' ports when it is 2, a fresh temporary directory (*dir, the caller's to remove and free) for
 * a file:// fmt, else fmt as it is. 0, or -1 when no directory could be made. */
int st_case_uri(char *out, size_t cap, const char *fmt, int redis, int port, int seed0, int seed1, char **dir);

/* Starts a private PostgreSQL (pg 1) or memcached (pg 0) for a test, as `authbench run` starts its
 * own (bench/run/run_pgmc.h), its log in a fresh temporary directory. 0, or -1 with a message on
 * stderr. */
int st_server_start(ab_run_srv *s, int pg);
/* Stops it and removes its directory and log. Safe twice. */
void st_server_stop(ab_run_srv *s);

#endif /* STORE_TEST_H */

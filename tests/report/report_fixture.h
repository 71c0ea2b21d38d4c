/* report_fixture.h — a schema-3 run written by the decision tests: open-loop deployment cells with
 * per-repetition p99 intervals, proxied cells with their 0-delay controls, closed-loop capacity
 * cells, sweeps, store_capacity for Redis and the cluster, and Redis CPU per request (INFO). Test
 * data with realistic magnitudes for 1250 req/s per server on a small machine, not measurements. */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include <cjson/cJSON.h>

/* The run's results.json (the caller deletes it). */
cJSON *rf_results(void);
/* Adds the store-failure cells: the store-outage group in ES256 (session, stateless JWT, the denylist
 * failing closed and open, the pushed denylist, the verified-token cache) with fault_outcome and
 * timeseries, and two store-sweep cells (PostgreSQL DELETE, Redis expiry) with sessions_live and
 * store_bytes_per_session. None is a decision cell. */
void rf_add_store_failures(cJSON *doc);
/* Adds deployment cells at 250 µs of the pushed denylist over Redis, PostgreSQL and Memcached (poll,
 * sync_ms 100) and of the denylist over PostgreSQL, each with its probed revocation latency. */
void rf_add_pushed_variants(cJSON *doc);
/* Writes doc as <dir>/results.json. */
void rf_write(const char *dir, const cJSON *doc);
/* A fresh temp dir holding rf_results(); returns its malloc'd path. */
char *rf_run_dir(void);
/* The cell object with this id in doc (aborts when absent). */
cJSON *rf_cell(cJSON *doc, const char *id);
/* Sets a cell's repetition p99 median and interval (µs), and its merged latency_us.p99. */
void rf_set_p99(cJSON *doc, const char *id, double median, double lo, double hi);
/* Sets a cell's member to a number / a bool. */
void rf_set_num(cJSON *doc, const char *id, const char *name, double v);
void rf_set_bool(cJSON *doc, const char *id, const char *name, int v);

#endif /* REPORT_FIXTURE_H */

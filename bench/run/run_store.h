/* run_store.h — the stores a run starts or uses: a Redis (redis.c) and a Redis Cluster (cluster.c),
 * their flushing and their counters. *
 * Prefix: ab_run_ / AB_RUN_. Not a public API: only bench/run/ and tests/run/ include it. */
#ifndef AB_RUN_STORE_H
#define AB_RUN_STORE_H

#include <stddef.h>

#include "ab_results.h"
#include "run_proc.h"

/* ---- Redis (redis.c) -------------------------------------------------------------------------- */

typedef struct ab_run_redis {
    int running;                 /* 1 when reachable (own and started, or the user's) */
    int own;                     /* 1 when started by us (ours to flush and stop) */
    char host[64];
    int port;
    char auth[128];              /* "user:pass@" or "" (from the user's URL) */
    int db;
    char dir[AB_RUN_PATH_MAX];   /* own: its temporary directory */
    char version[32];
    ab_run_proc proc;
} ab_run_redis;

/* Starts redis-server on a free loopback port in a new directory under tmp_base. 0, or -1. */
int ab_run_redis_start(ab_run_redis *r, const char *tmp_base, const char *log_path, char *err,
                       size_t errlen);
/* ab_run_redis_start with extra "--name value" redis-server arguments (NULL-terminated, may be
 * NULL). */
int ab_run_redis_start_ex(ab_run_redis *r, const char *tmp_base, const char *log_path, char *const extra[],
                          char *err, size_t errlen);
/* Runs cmd (INFO, CLUSTER INFO, CLUSTER NODES …) and copies its text reply into out (truncated to
 * len - 1). 0, or -1 when Redis does not answer or the reply is no text. */
int ab_run_redis_text(const ab_run_redis *r, const char *cmd, char *out, size_t len);
/* Starts an own Redis again on its port and directory (after it was killed). 0, or -1 with err. */
int ab_run_redis_restart(ab_run_redis *r, const char *log_path, char *err, size_t errlen);
/* Uses an existing Redis at url (redis://[user:pass@]host:port[/db]): checks it answers. 0 / -1. */
int ab_run_redis_use(ab_run_redis *r, const char *url, char *err, size_t errlen);
/* Stops an own Redis and removes its directory; forgets a user's. Safe twice. */
void ab_run_redis_stop(ab_run_redis *r);
/* The store URI for host:port (the proxy's or Redis's own), with r's credentials and db. */
void ab_run_redis_uri(const ab_run_redis *r, const char *host, int port, char *out, size_t len);
/* FLUSHALL on an own Redis (never on a user's). 0 or -1. */
int ab_run_redis_flush(const ab_run_redis *r);
/* Snapshot of the counters. 0, or -1 when Redis does not answer. */
int ab_run_redis_snapshot(const ab_run_redis *r, ab_res_redis_counts *out);

/* ---- Redis Cluster (cluster.c) ---------------------------------------------------------------- */

#define AB_RUN_CLUSTER_NODES 3    /* masters of the run's own cluster */
#define AB_RUN_CLUSTER_MAX 16     /* masters of a user's cluster we follow */

typedef struct ab_run_cluster {
    int running;                  /* 1 when reachable (own and started, or the user's) */
    int own;                      /* 1 when started by us (ours to flush and stop) */
    char uri[1024];               /* the store URI servers get: redis-cluster://host:port,… */
    ab_run_redis masters[AB_RUN_CLUSTER_MAX]; /* own: the nodes started; the user's: as discovered */
    size_t nmasters;
    char version[32];
} ab_run_cluster;

/* Starts a 3-master cluster (no replicas): three redis-server --cluster-enabled yes on free loopback
 * ports in directories under tmp_base (logs <log_dir>/redis-cluster-<i>.log), joined with
 * redis-cli --cluster create, ready when every node reports cluster_state:ok. 0, or -1 with err
 * (nothing left running). */
int ab_run_cluster_start(ab_run_cluster *c, const char *tmp_base, const char *log_dir, char *err, size_t errlen);
/* Uses the user's cluster at url (redis-cluster://[user:pass@]host:port[,…]): finds its masters
 * (CLUSTER NODES on the first seed that answers). 0, or -1 with err. */
int ab_run_cluster_use(ab_run_cluster *c, const char *url, char *err, size_t errlen);
/* Stops an own cluster and removes its directories; forgets a user's. Safe twice. */
void ab_run_cluster_stop(ab_run_cluster *c);
/* FLUSHALL on every master of an own cluster (never on a user's). 0 or -1. */
int ab_run_cluster_flush(const ab_run_cluster *c);
/* The masters' counters summed. 0, or -1 when one does not answer. */
int ab_run_cluster_snapshot(const ab_run_cluster *c, ab_res_redis_counts *out);
/* 1 when the cell's mechanism keeps its sessions in the Redis Cluster. */
int ab_run_cell_needs_cluster(const ab_res_cell *c);

#endif /* AB_RUN_STORE_H */

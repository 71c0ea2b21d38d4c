/* cluster.h — the redis-cluster:// transport under the redis backend's commands: seed nodes, one
 * counted link (redis_link.c) per node per connection, the slot map, MOVED/ASK/TRYAGAIN/CLUSTERDOWN
 * (private to session_store; routing primitives in cluster_slots.h). */
#ifndef SSTORE_CLUSTER_H
#define SSTORE_CLUSTER_H

#include <stddef.h>

#include "redis_link.h"

#define RCL_MAX_REDIRECTS 5     /* MOVED/ASK followed per command before giving up */
#define RCL_RETRY_MIN_MS 10     /* TRYAGAIN/CLUSTERDOWN: first wait, doubling … */
#define RCL_RETRY_MAX_MS 160    /* … up to this; retries stop at the command timeout (timeout_ms) */

typedef struct rcl_seed {
    char *host;
    int port;
} rcl_seed;

/* The nodes named in the URI, asked in order for the slot map. */
typedef struct rcl_seeds {
    rcl_seed *v;
    size_t n;
} rcl_seeds;

/* Parses "host:port[,host:port…]" (default port 6379). 0, or -1 with a reason in err. */
int rcl_seeds_parse(rcl_seeds *s, const char *authority, char *err, size_t errlen);
void rcl_seeds_free(rcl_seeds *s);

typedef struct rcl_conn rcl_conn;

/* A connection's view of the cluster: connects the seeds, reads the slot map (CLUSTER SLOTS) and
 * connects every master, so that later commands pay only their own round trips. base holds the
 * credentials and timeouts (its host is not used) and must outlive the connection. Returns
 * SSTORE_OK, or an error set on owner; *out is usable either way (the next command retries what
 * failed) unless the status is SSTORE_ERR_NOMEM and *out is NULL. */
int rcl_conn_open(rcl_conn **out, const rlink_cfg *base, const rcl_seeds *seeds, sstore_conn *owner);
/* Closes every node link and frees cl (NULL accepted). */
void rcl_conn_free(rcl_conn *cl);

/* Runs one command on the master serving argv[keyi]'s slot and returns its reply (freed by the
 * caller): follows MOVED (the map is refreshed) and ASK (ASKING, then the command, in one round
 * trip), counting each in the owner's redirects; waits out TRYAGAIN and CLUSTERDOWN with bounded
 * backoff. Other error replies are returned as replies. SSTORE_OK, or an error set on the owner. */
int rcl_command(rcl_conn *cl, int keyi, int argc, const char **argv, const size_t *argvlen, redisReply **reply);

/* GET keys[0..n) (lengths keylens): grouped by master, one pipelined round trip per master,
 * replies[i] for keys[i] (freed by the caller); a key redirected meanwhile is retried alone with
 * rcl_command. SSTORE_OK, or the error that failed the batch (replies[] then all NULL). */
int rcl_get_batch(rcl_conn *cl, const char *const *keys, const size_t *keylens, size_t n, redisReply **replies);

#endif /* SSTORE_CLUSTER_H */

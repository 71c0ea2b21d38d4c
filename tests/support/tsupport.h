/* tsupport.h — helpers shared by the test executables: vectors, files, free ports, a private
 * redis-server, a private 3-master Redis Cluster, child processes. */
#ifndef TSUPPORT_H
#define TSUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* The shared test-vector folder (AUTHBENCH_VECTORS, else the build's default). Aborts the test run
 * with a clear message when the folder is missing: missing vectors are a failure, not a skip. */
const char *tsupport_vectors_dir(void);
/* Reads a whole file into a NUL-terminated malloc'd buffer; NULL on error. *len may be NULL. */
char *tsupport_read_file(const char *path, size_t *len);
/* Writes len bytes to path (created 0600). Returns 0 or -1. */
int tsupport_write_file(const char *path, const void *data, size_t len);
/* Makes a fresh temporary directory (mkdtemp under $TMPDIR or /tmp); returns a malloc'd path. */
char *tsupport_tmpdir(const char *tag);
/* Removes a directory tree (best effort). */
void tsupport_rmtree(const char *path);
/* A TCP port on 127.0.0.1 that was free a moment ago. */
int tsupport_free_port(void);
/* Decodes hex into a malloc'd buffer; NULL on bad input. */
unsigned char *tsupport_hex(const char *hex, size_t *len);

/* A private redis-server on a free loopback port in a temporary directory. */
typedef struct tsupport_redis {
    pid_t pid;
    int port;
    char *dir;
    const char *const *args; /* the extra arguments, kept for restart (caller-owned) */
} tsupport_redis;
/* Starts redis-server with extra "--name value" arguments (NULL-terminated list, may be NULL) and
 * waits until it answers PING. Returns 0, or -1 with a message on stderr. */
int tsupport_redis_start(tsupport_redis *r, const char *const *extra_args);
/* Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory. Safe to call twice. */
void tsupport_redis_stop(tsupport_redis *r);
/* Restarts a stopped server on the same port and directory. Returns 0 or -1. */
int tsupport_redis_restart(tsupport_redis *r);
/* Sends one inline command and discards the reply (e.g. "CONFIG SET requirepass x"). 0 or -1. */
int tsupport_redis_cmd(const tsupport_redis *r, const char *cmd);

/* Sends one inline command to the redis-server on 127.0.0.1:port and copies its raw RESP reply
 * (NUL-terminated, truncated to cap-1) into buf, waiting up to 2 s for all of it. 0, or -1. */
int tsupport_redis_query(int port, const char *cmd, char *buf, size_t cap);

/* A private Redis Cluster of three masters, no replicas: three redis-server --cluster-enabled yes,
 * each on a free loopback port in its own temporary directory, joined by redis-cli --cluster create. */
#define TSUPPORT_CLUSTER_NODES 3
typedef struct tsupport_cluster {
    tsupport_redis nodes[TSUPPORT_CLUSTER_NODES];
    char bus_port[TSUPPORT_CLUSTER_NODES][16];   /* internal: each node's cluster bus port */
    const char *args[TSUPPORT_CLUSTER_NODES][12]; /* internal: each node's extra arguments */
} tsupport_cluster;
/* Starts the nodes, creates the cluster and waits until every node reports cluster_state:ok with
 * all slots assigned and knows the others (up to 20 s). 0, or -1 with a message on stderr; nothing
 * started is left running. */
int tsupport_cluster_start(tsupport_cluster *c);
/* Stops every node and removes their directories. Safe to call twice. */
void tsupport_cluster_stop(tsupport_cluster *c);
/* "127.0.0.1:P1,127.0.0.1:P2,…" of the first n nodes into out. Returns out. */
char *tsupport_cluster_seeds(const tsupport_cluster *c, int n, char *out, size_t len);

/* A child process whose stdout the test reads (e.g. `authbench serve`, which prints one ready line). */
typedef struct tsupport_proc { pid_t pid; int out_fd; char line[512]; } tsupport_proc;
/* Starts argv (argv[0] a path, NULL-terminated), waits up to timeout_ms for a stdout line beginning
 * with ready_prefix and copies it into p->line. 0, or -1 (child killed, message on stderr).
 * The child's stderr is the test's. Only the ready line and the lines before it are consumed: later
 * output stays readable on p->out_fd. ready_prefix "" takes the first line. */
int tsupport_proc_start(tsupport_proc *p, char *const argv[], const char *ready_prefix, int timeout_ms);
/* SIGTERM, wait up to 5 s, then SIGKILL; closes out_fd. Returns the exit status as waitpid gives it
 * (-1 when there is no process). Safe to call twice. */
int tsupport_proc_stop(tsupport_proc *p);

/* Starts `bin proxy` (authbench's latency proxy) on a free loopback port in front of
 * 127.0.0.1:upstream_port with the given --delay and --jitter, and waits for its ready line.
 * Returns its port, or -1 (message on stderr). Stop it with tsupport_proc_stop. */
int tsupport_proxy_start(tsupport_proc *p, const char *bin, int upstream_port, const char *delay, const char *jitter);

#endif /* TSUPPORT_H */

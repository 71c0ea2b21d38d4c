/* sstore.h — server-side session stores behind one interface: memory, Redis, Redis Cluster, files,
 * PostgreSQL, Memcached.
 *
 * Prefix: sstore_ / SSTORE_.
 *
 * Object model
 *   sstore       a store opened from a URI: the shared state of one backend in one process
 *                (the memory table, the file store's directory and options, the Redis address and
 *                credentials). Thread-safe.
 *   sstore_conn  one thread's handle on a store: its own Redis connection, its own scratch buffers,
 *                its own I/O counters and its last error. One per thread; never shared.
 *
 * URIs (an unknown option or a malformed value is an SSTORE_ERR_ARG from sstore_open)
 *   memory://[?max=N&max_bytes=N&ttl_sweep_ms=MS]
 *       max           live sessions at most (default 1000000)
 *       max_bytes     bytes of ids + claims + per-entry overhead at most (default 256 MiB)
 *       ttl_sweep_ms  period of the background expiry sweeper; 0 = no sweeper thread (default 1000)
 *       Policy when full: REFUSAL. create/put return SSTORE_ERR_FULL; nothing live is evicted (a
 *       session store that silently logs users out would hide the problem from the benchmark).
 *       Expired sessions are invisible at once but hold their slot until swept (by the sweeper,
 *       by sstore_sweep(), or when their id is read or reused).
 *   redis://[user:pass@]host:port[/db][?connect_timeout_ms=N&timeout_ms=N&reconnect_max_ms=N]
 *       user:pass     AUTH user pass (Redis 6 ACL); ":pass@" or "pass@" alone is AUTH pass.
 *                     Percent-encoding (%40 for '@', …) is decoded in user, pass and path.
 *       db            SELECT db after connecting (default 0)
 *       connect_timeout_ms (default 1000), timeout_ms per command round trip (default 2000):
 *                     a round trip without a reply for timeout_ms fails with SSTORE_ERR_TIMEOUT
 *                     (one that trickles in is cut at most twice that); the timed-out connection
 *                     is closed (its replies would be out of step) and reopened by the next call.
 *       reconnect_max_ms  ceiling of the reconnect backoff (10 ms doubling; default 1000). While
 *                     backing off, operations fail at once with SSTORE_ERR_IO instead of waiting.
 *       Keys are "sess:<id>"; the value is the session record (below); the key's TTL is the
 *       session's (SET … EX ttl NX; touch rewrites the record's times and the TTL atomically in a
 *       server-side script).
 *   file:///dir?fsync=always|never&direct=0|1&lock=flock|none
 *       dir must exist and be writable. One file per session, fanned out like PHP's files handler
 *       (save_path "1;dir"): dir/<id[0]>/sess_<id>; the 64 folders are made when the store is
 *       opened (PHP expects its levels to exist), never by a create. Writes go to a hidden temporary
 *       name (".tmp_…") in the same folder, then link() (create: fails if present) or rename()
 *       (touch), so a reader sees a whole record or none, also after ENOSPC or a crash.
 *       fsync=always (default never) fsyncs the file before it becomes visible and the folder
 *       after; direct=1 (default 0) reads with O_DIRECT (refused at open, with a clear error, on a
 *       filesystem without O_DIRECT: ramfs, tmpfs before Linux 6.6); lock=flock (default none)
 *       takes flock(LOCK_EX) on the session file around every operation, as PHP does, so
 *       concurrent requests of one session serialise (and wait for each other, as in PHP).
 *       Expiry is the deadline stored in the record; sstore_sweep() deletes expired sessions and
 *       temporary files left by a crash (older than a minute).
 *   redis-cluster://[user:pass@]host:port[,host:port…][?connect_timeout_ms=N&timeout_ms=N&reconnect_max_ms=N]
 *       The nodes given are seeds: the first that answers CLUSTER SLOTS gives the slot map, and
 *       every connection then holds one link per master (each as a redis:// link: credentials,
 *       timeouts and reconnect backoff as above; no /db: a cluster has only database 0). A key
 *       goes to the master of its hash slot (CRC16 mod 16384; the same keys as redis://, so a
 *       session's slot is that of "sess:<id>"). MOVED is followed and the map read again; ASK is
 *       followed once, with ASKING; TRYAGAIN and CLUSTERDOWN are retried with a doubling wait
 *       (10 ms up to 160 ms) until timeout_ms has passed. Every MOVED or ASK followed counts in
 *       the redirects counter; the CLUSTER SLOTS reads count as round trips like any command.
 *       sstore_get_batch groups the gets by master: one pipelined round trip per master.
 *       The routing is authbench's own (Debian 12's hiredis 0.14 is too old for hiredis-cluster).
 *   postgres://[user[:pass]@]host[:port][/db][?table=T&unlogged=0|1&synchronous_commit=on|off&
 *               connect_timeout_ms=N&timeout_ms=N&reconnect_max_ms=N]
 *       Through libpq. "user@host" is a user without a password (psql's reading; redis:// reads a
 *       lone word as the password). db defaults to postgres, port to 5432, table to
 *       authbench_sessions ([A-Za-z_][A-Za-z0-9_]*, at most 63), created with its index when missing
 *       (once per process, by the first connection, under an advisory lock):
 *         T (id text PRIMARY KEY, data bytea NOT NULL, last_seen_ms bigint NOT NULL,
 *            expires_at timestamptz NOT NULL), index T_expires_at ON T (expires_at)
 *       unlogged=1 creates it UNLOGGED (no WAL; emptied after a crash); synchronous_commit sets the
 *       connections' setting (default on). data is the session record (below). Every operation is
 *       one prepared statement in its own implicit transaction, on one connection in pipeline mode
 *       (a put: INSERT … ON CONFLICT DO UPDATE … WHERE the old row expired; touch: UPDATE of
 *       last_seen_ms and expires_at only, as connect-pg-simple's touch — a get reports those
 *       columns' times). Times are the client's clock. sstore_sweep() is
 *       DELETE FROM T WHERE expires_at < now() on a connection of its own, as Django's clearsessions.
 *       Timeouts and reconnect backoff as redis:// except connect_timeout_ms (default 5000: the server
 *       forks a backend per connection); net bytes are the kernel's TCP_INFO counts of the
 *       socket (libpq does its own I/O: store_syscalls are not counted).
 *   memcached://host[:port][?connect_timeout_ms=N&timeout_ms=N&reconnect_max_ms=N]
 *       The text protocol on our own socket (libmemcached has no callback-driven non-blocking API:
 *       see mc_async.c). Items "sess:<id>" hold the record; put is add (then gets + cas over an expired
 *       record), touch gets + cas of the record with new times (retried when written under us),
 *       delete gets + delete in one write. exptime is the TTL rounded up plus one second (memcached's
 *       clock ticks per second and could drop an item early); the record's expires_ms decides
 *       what is live. sstore_sweep() returns 0: memcached expires items itself. No credentials
 *       (the text protocol has none). Port 11211 by default.
 *
 * The session record (Redis and memcached value, PostgreSQL data column, file content): a header
 * line of JSON, then the claims
 * byte for byte as given to create/put:
 *   {"v":1,"created_ms":…,"last_seen_ms":…,"expires_ms":…,"claims_bytes":N,"claims_crc32c":K}\n<claims>
 * Times are Unix milliseconds; K is the CRC-32C (Castagnoli) of the N bytes of claims. Claims are
 * checked to be a JSON object when stored. A read parses the header strictly and checks the claims'
 * length and checksum — not their JSON again: the caller deserialises them once, as an application
 * loading its session does. Anything else (truncated, damaged) is SSTORE_ERR_CORRUPT.
 *
 * A session is a JSON object of claims (sub, iss, aud, iat, exp, jti, roles, …) stored under a
 * session id, with created / last-seen / expiry times kept by the store.
 *
 * Errors live in the handle that failed (sstore_errstr(), sstore_conn_errstr(); never NULL).
 * Destructors accept NULL.
 */
#ifndef SSTORE_H
#define SSTORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Session ids: 128 bits from a CSPRNG (OpenSSL RAND_bytes), base64url without padding. */
#define SSTORE_ID_BYTES 16
#define SSTORE_ID_LEN 22       /* characters of a generated id */
#define SSTORE_KEY_MAX 128     /* longest id accepted by put/get/touch/delete ([A-Za-z0-9_-] only) */
#define SSTORE_CLAIMS_MAX 65536 /* largest claims JSON accepted by create/put (SSTORE_ERR_ARG above) */
#define SSTORE_TTL_MAX 315360000 /* longest TTL in seconds (10 years); ttl_s must be 1..SSTORE_TTL_MAX */

typedef enum sstore_status {
    SSTORE_OK = 0,
    SSTORE_NOT_FOUND,     /* no such session, or it has expired */
    SSTORE_EXISTS,        /* put with an id already present */
    SSTORE_ERR_ARG,       /* bad id, bad URI, value too large */
    SSTORE_ERR_IO,        /* network or disk error (message says which); Redis unreachable */
    SSTORE_ERR_TIMEOUT,   /* connect or command timeout */
    SSTORE_ERR_AUTH,      /* wrong Redis password / ACL */
    SSTORE_ERR_CORRUPT,   /* a stored record that does not parse: rejected, reported */
    SSTORE_ERR_FULL,      /* memory store at max sessions (refusal policy), ENOSPC on disk */
    SSTORE_ERR_NOMEM,
    SSTORE_ERR_PROTOCOL,  /* unexpected reply from the server */
    SSTORE_ERR_CLOSED,    /* non-blocking API: the connection was freed with the operation in flight */
    SSTORE_STATUS__COUNT
} sstore_status;

/* A short stable name for a status ("not_found", "io", …). Never NULL. */
const char *sstore_status_name(sstore_status st);

/* I/O counters of one connection, declared once: X(name, figure, description) for each field.
 * name is the field and the /stats key; figure the stem of the per-request figure a benchmark
 * derives from it (<figure>_per_req). All monotonic uint64_t; take snapshots and diff them. Adding a
 * counter is one line here (and the code that counts it). */
#define SSTORE_COUNTERS(X) \
    X(ops, store_ops, "store operations issued (create, get, touch, delete, put)") \
    X(errors, store_errors, "operations that returned an error status (not NOT_FOUND)") \
    X(round_trips, store_round_trips, "network round trips (Redis); 0 for local stores") \
    X(net_bytes_out, store_net_bytes_out, "bytes written to the store's socket") \
    X(net_bytes_in, store_net_bytes_in, "bytes read from the store's socket") \
    X(disk_bytes_read, disk_bytes_read, "bytes read() returned from session files") \
    X(disk_bytes_written, disk_bytes_written, "bytes write() returned to session files") \
    X(fsyncs, fsyncs, "fsync/fdatasync calls, files and directories") \
    X(syscalls, store_syscalls, "I/O system calls the store made (open, read, write, rename, ...)") \
    X(reconnects, store_reconnects, "successful reconnects after a lost connection") \
    X(redirects, store_redirects, "MOVED/ASK followed (cluster)") \
    X(fsync_ns, fsync_ns, "time spent in fsync/fdatasync (the fsyncs above), nanoseconds")

#define SSTORE_COUNTER_FIELD_(name, figure, desc) uint64_t name;
typedef struct sstore_counters {
    SSTORE_COUNTERS(SSTORE_COUNTER_FIELD_)
} sstore_counters;
#undef SSTORE_COUNTER_FIELD_

/* How many counters the list holds. */
#define SSTORE_COUNTER_ONE_(name, figure, desc) +1
#define SSTORE_NCOUNTERS (0 SSTORE_COUNTERS(SSTORE_COUNTER_ONE_))

/* out = b - a (field by field). */
void sstore_counters_diff(const sstore_counters *a, const sstore_counters *b, sstore_counters *out);
/* acc += x (field by field). */
void sstore_counters_add(sstore_counters *acc, const sstore_counters *x);

/* A session as read back. data points into the connection's scratch buffer: valid until the next
 * call on the same connection. */
typedef struct sstore_session {
    const char *data;   /* claims JSON, not NUL-terminated */
    size_t data_len;
    int64_t created;    /* Unix seconds */
    int64_t last_seen;  /* Unix seconds, updated by touch */
    int64_t expires;    /* Unix seconds */
} sstore_session;

typedef struct sstore sstore;
typedef struct sstore_conn sstore_conn;

/* Opens a store from a URI. Returns NULL only when memory is exhausted; otherwise check
 * sstore_err(): a malformed URI, a missing or unwritable directory is reported there. Opening a
 * Redis store does not connect; connections are made by sstore_connect(). */
sstore *sstore_open(const char *uri);
void sstore_close(sstore *st);
int sstore_err(const sstore *st);
const char *sstore_errstr(const sstore *st);
/* The backend's name: "memory", "redis", "redis-cluster", "file", "postgres", "memcached". */
const char *sstore_backend(const sstore *st);

/* A connection for the calling thread (st must outlive it; the caller frees it with
 * sstore_conn_free). Returns NULL only when memory is exhausted; check sstore_conn_err(): an
 * unreachable Redis or a wrong password is reported there, and operations on such a connection
 * retry the connection with bounded backoff. A connection on a store that failed to open fails
 * every operation with the store's error. */
sstore_conn *sstore_connect(sstore *st);
void sstore_conn_free(sstore_conn *c);
/* The status and message of the last call on c that failed; each call starts by clearing them, so
 * after a call that returned SSTORE_OK, SSTORE_NOT_FOUND or SSTORE_EXISTS they are SSTORE_OK and
 * "" (for a batch: the last item that failed). The message names the store, never a password. */
int sstore_conn_err(const sstore_conn *c);
const char *sstore_conn_errstr(const sstore_conn *c);

/* Every operation returns an sstore_status. Claims must be one JSON object of at most
 * SSTORE_CLAIMS_MAX bytes and ttl_s in 1..SSTORE_TTL_MAX, else SSTORE_ERR_ARG. Expiry is kept to
 * the millisecond: a session is gone ttl_s seconds after its create or last touch. */

/* Generates a fresh session id (SSTORE_ID_LEN chars + NUL into id_out) and stores claims under it
 * for ttl_s seconds; retries on the (astronomically unlikely) id collision. */
int sstore_create(sstore_conn *c, const char *claims, size_t claims_len, int64_t ttl_s,
                  char id_out[SSTORE_ID_LEN + 1]);
/* Stores claims under a caller-chosen id (e.g. a revoked token's jti) if it is not present:
 * SSTORE_OK, or SSTORE_EXISTS when a live session has that id (an expired one gives way). */
int sstore_put(sstore_conn *c, const char *id, const char *claims, size_t claims_len, int64_t ttl_s);
/* Reads a session: SSTORE_OK and *out filled, or SSTORE_NOT_FOUND (absent or expired). */
int sstore_get(sstore_conn *c, const char *id, sstore_session *out);
/* Sliding expiry: sets last_seen to now and expiry to now + ttl_s; SSTORE_NOT_FOUND when the
 * session is absent or expired (never brought back). */
int sstore_touch(sstore_conn *c, const char *id, int64_t ttl_s);
/* Deletes a session: SSTORE_OK, or SSTORE_NOT_FOUND when it was not there. */
int sstore_delete(sstore_conn *c, const char *id);
/* Removes expired sessions where the backend keeps them itself (memory, file); returns how many,
 * or -1 on error. Redis expires keys by itself: returns 0. */
long sstore_sweep(sstore_conn *c);

/* Pipelining (Redis; other backends run the batch one by one): n gets in one round trip.
 * status[i] gets each result (SSTORE_ERR_ARG for a bad id); sessions[i] as in sstore_get, all
 * valid together until the next call on c. Returns SSTORE_OK when the batch ran, or the error that
 * failed it as a whole (every status[i] is then that error). Counts n operations. */
int sstore_get_batch(sstore_conn *c, const char *const *ids, size_t n, sstore_session *sessions,
                     int *status);

/* A snapshot of this connection's counters. */
void sstore_conn_counters(const sstore_conn *c, sstore_counters *out);

/* What the store holds, as the server itself reports it, in bytes: postgres:// the table's total
 * size (heap, index, TOAST: pg_total_relation_size), memcached:// the bytes of its items ("stats"
 * bytes), redis:// the server's used_memory (INFO memory: everything it holds, overhead included),
 * memory:// the bytes it accounts (ids, claims, per-entry overhead). -1 with SSTORE_ERR_ARG set on c
 * where the backend has no such figure (file://, redis-cluster://), or -1 with the error. Divided by
 * the sessions stored it is the store's bytes per session. */
long long sstore_stored_bytes(sstore_conn *c);

/* Fills st with n sessions of the given claims and TTL before a benchmark — the live sessions a
 * production store holds besides those a run touches — through the non-blocking API with up to
 * inflight creates in flight over up to 8 connections (pipelined where the backend pipelines; a
 * store that commits every write, as PostgreSQL, flushes the commits of concurrent connections
 * together, never those of one). progress
 * (may be NULL) is called with the count done after every tenth of n and at the end. Returns how
 * many were created (n), or -1 with the first failure's message in err. */
long long sstore_fill(sstore *st, uint64_t n, const char *claims, size_t claims_len, int64_t ttl_s, unsigned inflight,
                      void (*progress)(void *arg, uint64_t done, uint64_t n), void *arg, char *err, size_t errlen);

/* ==== Non-blocking API ======================================================================
 *
 * Object model
 *   sstore_async  one event loop's handle on a store (st must outlive it): for redis:// one
 *                 non-blocking socket, for redis-cluster:// one per master, for file:// a small
 *                 worker pool and the eventfd it completes through, for memory:// nothing to wait
 *                 for. One per loop thread; never shared. Errors and counters live in it, as in
 *                 sstore_conn (sstore_async_err(), sstore_async_counters()).
 *   sstore_loop   the hooks the caller's loop gives (an adapter fills them, as hiredis's async
 *                 ev.addRead/delRead/addWrite/delWrite/cleanup): the library asks for read or
 *                 write interest on its fds through them and calls nothing else of its owner.
 *
 * Driving it: the loop calls sstore_async_on_readable() / sstore_async_on_writable() when an fd
 * the library asked about is ready, waits at most sstore_async_timeout_ms() (as its epoll_wait
 * timeout) and then calls sstore_async_on_timer(). Hooks may be called from inside any sstore_async
 * call, including sstore_async_connect() and sstore_async_free(); interest is level-triggered (an
 * fd stays interesting until its del hook). One loop per thread, each with its own handle:
 *
 *     sstore_loop hooks = {loop, add_read, del_read, add_write, del_write, forget}; // epoll_ctl
 *     sstore_async *a = sstore_async_connect(st, &hooks);
 *     sstore_async_get(a, sid, session_read, req);      // later: session_read(req, status, result)
 *     for (;;) {
 *         int n = epoll_wait(ep, ev, 64, sstore_async_timeout_ms(a)), i;   // -1: no store timer
 *         for (i = 0; i < n; i++)
 *             if (is_store_fd(ev[i])) {                 // an fd the hooks were given
 *                 if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
 *                     sstore_async_on_readable(a, fd_of(ev[i]));
 *                 if (ev[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
 *                     sstore_async_on_writable(a, fd_of(ev[i]));
 *             } else { ... the loop's own connections ... }
 *         if (sstore_async_timeout_ms(a) == 0)
 *             sstore_async_on_timer(a);
 *     }
 *
 * Operations: sstore_async_get/put/create/touch/delete take the arguments of the blocking calls
 * plus a completion callback cb(arg, status, result). A submit that returns SSTORE_OK has taken the
 * operation: cb runs exactly once, on the loop's thread, inside one of the sstore_async calls. A
 * submit that returns anything else (SSTORE_ERR_ARG for bad arguments, SSTORE_ERR_NOMEM,
 * SSTORE_ERR_CLOSED while the handle is being freed) has not: cb never runs, the error is on the
 * handle. Statuses are those of the blocking calls; result->session (get) and result->id point into
 * the library's buffers and are valid until cb returns (copy what you keep).
 *   memory://        completes inline: cb runs before the submit returns. A submit from inside a
 *                    cb is queued and runs (with its cb) right after the outer cb returns, still
 *                    inside the outermost submit: no recursion, no data pulled from under a cb.
 *   redis://         pipelined: a command submitted while nothing is in flight is written at once;
 *                    every one submitted while others are in flight waits for the writable socket
 *                    and they go out in one write; replies are matched in order. A GET reply is
 *                    handed to cb straight from the receive buffer (no malloc per get).
 *   redis-cluster:// as redis://, per master. The slot map is read (blocking, as
 *                    sstore_connect does) by sstore_async_connect, and later without waiting (a
 *                    CLUSTER SLOTS on a link, not counted as an op) after a MOVED, a CLUSTERDOWN or
 *                    a link gone down. MOVED re-sends the operation to the new master and updates
 *                    the slot, ASK re-sends it once after ASKING, TRYAGAIN/CLUSTERDOWN re-send it
 *                    after 10, 20, … 160 ms until timeout_ms; each MOVED/ASK counts in redirects.
 *                    A key's operations complete in the order they were submitted, across ASK and
 *                    MOVED: after a MOVED the slot's other operations still on their way to the old
 *                    master are re-sent behind the redirected one (their MOVED replies dropped),
 *                    and a map read again moves no slot with operations still on their way. Only
 *                    TRYAGAIN/CLUSTERDOWN waits (not met by single-key commands in a migration)
 *                    and a NOSCRIPT after SCRIPT FLUSH (the touch script is loaded with every
 *                    connect) can let a later operation pass.
 *   file://          the blocking calls run on worker threads (2); their results come back to the
 *                    loop through an eventfd (read interest), so an fsync never stalls the loop.
 *                    A session's operations always go to the same worker: they run in order.
 * cb is never called inside a network or file store's submit: an operation that fails at once
 * (reconnect backoff) completes at the next sstore_async_on_timer(), and sstore_async_timeout_ms()
 * is then 0.
 *
 * Timeouts and failures (redis, redis-cluster): an operation without its reply timeout_ms after it
 * was submitted fails with SSTORE_ERR_TIMEOUT, and so does every other one on that socket (its
 * replies would be out of step): the socket is closed and the next submit reconnects. A socket
 * that fails (reset, closed by the server, protocol error) fails every operation on it with that
 * error. A connect (or its AUTH/SELECT/PING) that fails schedules the next one with the blocking
 * API's doubling backoff; until then operations fail at once with that connect's error.
 *
 * Closing: sstore_async_free() completes every operation still in flight with SSTORE_ERR_CLOSED
 * (whether it took effect is unknown) before it returns — or, called from inside a cb, once that
 * cb's sstore_async call unwinds (submits from the callbacks meanwhile return SSTORE_ERR_CLOSED);
 * the handle must not be used once sstore_async_free() has returned to code outside a callback.
 *
 * Counters count as in the blocking API: one op per submit (create's retries on a colliding id
 * included in one), errors at completion, and round_trips one per write of the commands queued
 * (a flush) on a socket: ops / round_trips is the pipelining depth. */

typedef struct sstore_async sstore_async;

/* The caller's event loop, as the library sees it. data is passed back to every hook. */
typedef struct sstore_loop {
    void *data;
    void (*add_read)(void *data, int fd);
    void (*del_read)(void *data, int fd);
    void (*add_write)(void *data, int fd);
    void (*del_write)(void *data, int fd);
    void (*cleanup)(void *data, int fd); /* fd is about to be closed: forget it */
} sstore_loop;

/* What an operation completed with; valid until the callback returns. */
typedef struct sstore_result {
    const char *id;         /* the session id it was about (create: the new one; "" on failure) */
    sstore_session session; /* get with SSTORE_OK: the session; zeroed otherwise */
    const char *errstr;     /* why it failed ("" unless status is an error) */
} sstore_result;

typedef void (*sstore_async_cb)(void *arg, int status, const sstore_result *result);

/* 1 when st's non-blocking operations always complete inside their submit (memory://), so a loop
 * may as well call the blocking API on its own sstore_conn: it never waits either, and costs less
 * per operation than a submit and its callback. 0 for every other store (and one that did not open). */
int sstore_completes_inline(const sstore *st);

/* A non-blocking handle on st for one loop (hooks copied). Returns NULL only when memory is
 * exhausted; otherwise check sstore_async_err() as for sstore_connect (an unreachable cluster, a
 * worker pool that did not start). Free with sstore_async_free. */
sstore_async *sstore_async_connect(sstore *st, const sstore_loop *loop);
/* Completes what is in flight with SSTORE_ERR_CLOSED, drops the fds (cleanup hook) and frees a.
 * NULL accepted. */
void sstore_async_free(sstore_async *a);
/* The last error on a (an operation's failure, or the connect's); "" when none. */
int sstore_async_err(const sstore_async *a);
const char *sstore_async_errstr(const sstore_async *a);

int sstore_async_get(sstore_async *a, const char *id, sstore_async_cb cb, void *arg);
int sstore_async_put(sstore_async *a, const char *id, const char *claims, size_t claims_len, int64_t ttl_s,
                     sstore_async_cb cb, void *arg);
int sstore_async_create(sstore_async *a, const char *claims, size_t claims_len, int64_t ttl_s, sstore_async_cb cb,
                        void *arg);
int sstore_async_touch(sstore_async *a, const char *id, int64_t ttl_s, sstore_async_cb cb, void *arg);
int sstore_async_delete(sstore_async *a, const char *id, sstore_async_cb cb, void *arg);

/* The loop's entry points: fd (one the library asked interest in) is readable / writable. */
void sstore_async_on_readable(sstore_async *a, int fd);
void sstore_async_on_writable(sstore_async *a, int fd);
/* Milliseconds until the library needs sstore_async_on_timer (0: now), or -1 when it needs no timer. */
int sstore_async_timeout_ms(const sstore_async *a);
/* Fails what has timed out, completes what failed at submit, re-sends what waited (cluster). */
void sstore_async_on_timer(sstore_async *a);
/* Operations submitted and not yet completed. */
size_t sstore_async_pending(const sstore_async *a);
/* A snapshot of a's counters. */
void sstore_async_counters(const sstore_async *a, sstore_counters *out);

/* ==== end of the non-blocking API ========================================================== */

/* Fills out with a new random id (SSTORE_ID_LEN chars + NUL). Returns SSTORE_OK or an error. */
int sstore_id_new(char out[SSTORE_ID_LEN + 1]);
/* 1 when id is a usable key: 1..SSTORE_KEY_MAX characters of [A-Za-z0-9_-]. */
int sstore_id_valid(const char *id);

/* ==== Publish / subscribe (pubsub.c) ========================================================
 *
 * What a denylist pushed to every server needs from its store: a set of ids with an expiry that
 * every server can list (to catch up), and a way every server hears a new id. Three channels
 * (sstore_pubsub_channel()):
 *   redis://      "pubsub"  SET … EX … NX + PUBLISH in one round trip; SUBSCRIBE; SCAN + MGET
 *   postgres://   "notify"  a table authbench_pubsub; INSERT + pg_notify in one statement; LISTEN;
 *                           one SELECT (pubsub_pg.c)
 *   memcached://  "poll"    no pub/sub, no key listing: a revocation log in the store (a sequence
 *                           key and one entry per publish; two round trips) that a subscriber
 *                           reads every sync_ms (pubsub_mc.c says what happens to entries gone
 *                           before a subscriber read them: sstore_pubsub_gaps())
 * Every call on another backend fails with SSTORE_ERR_ARG ("… has no publish/subscribe").
 *
 * Object model
 *   sstore_pubsub  one blocking connection of its own (not an sstore_conn's: a subscribed Redis or
 *                  listening PostgreSQL connection does nothing else), with its own error and
 *                  counters, for one thread. Either a publisher (sstore_pubsub_add_publish,
 *                  sstore_pubsub_scan) or, after sstore_pubsub_subscribe, a subscriber
 *                  (sstore_pubsub_next). Connects with the store URI's timeouts, reconnects after
 *                  a backoff (10 ms doubling to reconnect_max_ms); a subscriber never does (what was
 *                  published meanwhile would be lost unseen): its owner frees it, subscribes again
 *                  and catches up with a scan.
 *
 * Set and channel names are 1..63 characters of [A-Za-z0-9:_-]; on Redis keys are "<set><id>";
 * the value (a row's msg, a log entry) is the message published. */

typedef struct sstore_pubsub sstore_pubsub;

#define SSTORE_PUBSUB_SYNC_MS_DEFAULT 100 /* a polling backend's interval, unless set */
#define SSTORE_PUBSUB_SYNC_MS_MAX 60000

/* How a store's publish/subscribe reaches subscribers: "pubsub" (redis), "notify" (postgres),
 * "poll" (memcached), or NULL when backend (an sstore_backend() name) has none. */
const char *sstore_pubsub_channel(const char *backend);

/* A connection on st (connects now, memcached at the first call). NULL only when out of memory;
 * check sstore_pubsub_err(): an unreachable store is reported there and the next call retries.
 * Free with sstore_pubsub_free. */
sstore_pubsub *sstore_pubsub_connect(sstore *st);
void sstore_pubsub_free(sstore_pubsub *p);
int sstore_pubsub_err(const sstore_pubsub *p);
const char *sstore_pubsub_errstr(const sstore_pubsub *p);
/* A snapshot of p's counters (round trips, bytes, reconnects, …). */
void sstore_pubsub_counters(const sstore_pubsub *p, sstore_counters *out);

/* Adds id to set for ttl_s seconds and announces msg on channel: one round trip (memcached: two).
 * SSTORE_OK, or SSTORE_EXISTS when id was in the set already (msg is announced again either way:
 * a subscriber's insert is idempotent), or an error. *heard (may be NULL): the subscribers it
 * reached (Redis's PUBLISH reply), -1 when the store cannot say. msg is at most 1 KiB. */
int sstore_pubsub_add_publish(sstore_pubsub *p, const char *set, const char *id, const char *msg,
                              int64_t ttl_s, const char *channel, long *heard);
/* Calls fn(arg, msg, len) with the value of every live member of set (Redis: SCAN MATCH <set>*
 * COUNT 1000, then MGET of each batch; PostgreSQL: one SELECT; memcached: every entry of the
 * set's log, 500 per round trip). SSTORE_OK when the whole set was listed, or the error that
 * stopped it. *n (may be NULL): values handed to fn. */
typedef void (*sstore_pubsub_fn)(void *arg, const char *msg, size_t len);
int sstore_pubsub_scan(sstore_pubsub *p, const char *set, sstore_pubsub_fn fn, void *arg, size_t *n);

/* A polling backend's interval between syncs (memcached; the others ignore it), 1..
 * SSTORE_PUBSUB_SYNC_MS_MAX ms, before sstore_pubsub_subscribe. SSTORE_OK or SSTORE_ERR_ARG. */
int sstore_pubsub_set_sync_ms(sstore_pubsub *p, unsigned ms);
/* Turns p into a subscriber of what is published to set on channel (Redis: SUBSCRIBE channel;
 * PostgreSQL: LISTEN channel; memcached: the set's log from its current end). SSTORE_OK or an error. */
int sstore_pubsub_subscribe(sstore_pubsub *p, const char *set, const char *channel);
/* A subscriber's fd, to poll for POLLIN; -1 when the connection is down or there is nothing to
 * wait on (a polling backend: see sstore_pubsub_wait_ms). */
int sstore_pubsub_fd(const sstore_pubsub *p);
/* How long a subscriber may wait (on its fd, if any) before calling sstore_pubsub_next again:
 * -1 until the fd is readable (pushed), else milliseconds until the next sync is due (0: now). */
int sstore_pubsub_wait_ms(const sstore_pubsub *p);
/* The next message, without waiting (a polling backend syncs here when due: its round trips):
 * SSTORE_OK with *msg and *len (valid until the next call on p), SSTORE_NOT_FOUND when none has
 * arrived (wait as above), or an error: the subscription broke (the connection is closed; free p
 * and subscribe again, then catch up). */
int sstore_pubsub_next(sstore_pubsub *p, const char **msg, size_t *len);
/* A polling subscriber's log entries that were gone when it asked for them, past a grace of
 * twice timeout_ms (expired — harmless, their tokens expired too — or evicted by memcached, which
 * cannot tell them apart); 0 for the pushing backends. */
uint64_t sstore_pubsub_gaps(const sstore_pubsub *p);

/* ==== end of publish / subscribe ============================================================ */

#ifdef __cplusplus
}
#endif

#endif /* SSTORE_H */

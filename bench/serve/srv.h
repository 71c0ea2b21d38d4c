/* srv.h — internals of `authbench serve`: the server, its models, threads, connections, counters.
 *
 * Two server models (srv.model), chosen with --model:
 *   async  event-loop threads (srv_thread) call the mechanism's _async calls; a call that waits on
 *          the store completes later, and the connection waits meanwhile (its later pipelined
 *          requests stay unparsed) while the loop serves other connections.
 *   pool   event-loop threads do the I/O; a request that needs the mechanism is a job queued on the
 *          one shared queue of srv_pool.c, where any idle worker thread runs the blocking call and
 *          hands the connection back to its loop (the loop's done list and eventfd).
 * Either way a connection has at most one request pending (c->pending), so its answers stay in
 * order; a /stats waiting for the other threads to publish their counters is pending too
 * (srv_stats.c). */
#ifndef AB_SRV_H
#define AB_SRV_H

#include <http_parser.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ab_buf.h"
#include "ab_mech.h"

#define SRV_HDR_MAX (8 * 1024)      /* request line + headers: more is a 431 */
#define SRV_BODY_MAX (64 * 1024)    /* request body: more is a 413 */
#define SRV_RBUF_INIT 4096
#define SRV_RBUF_MAX (SRV_HDR_MAX + SRV_BODY_MAX + 8192) /* + chunked-encoding overhead */
#define SRV_WBUF_HIGH (256 * 1024)  /* stop parsing pipelined requests while this much is unsent (a
                                     * bound; reading already stops while the socket is full) */
#define SRV_FORM_MAX 256            /* body bytes kept for the login form */
#define SRV_AUTH_SAMPLE 16          /* auth CPU time is measured on 1 request in 16 */

/* Three-state result of non-blocking I/O. */
enum { SRV_OK = 0, SRV_ERR = -1, SRV_RETRY = 1 };

/* Counters of one thread, declared once: X(name, stats key or NULL, description). A counter with a
 * key is in /stats under it; those without feed derived figures there (srv_stats.c). All monotonic
 * uint64_t; /stats requests are not counted. */
#define SRV_COUNTERS(X) \
    X(requests, "requests", "responses sent") \
    X(auth_ok, "auth_ok", "credentials accepted (GET /api, POST /logout)") \
    X(auth_fail, "auth_fail", "credentials refused with a 401") \
    X(store_errors, "store_errors", "503s: the store failed") \
    X(internal_errors, "internal_errors", "500s") \
    X(logins, "logins", "credentials issued") \
    X(logouts, "logouts", "successful logouts") \
    X(bad_requests, "bad_requests", "400, 404, 405, 408, 413, 431, 505") \
    X(bytes_in, "bytes_in", "request bytes") \
    X(bytes_out, "bytes_out", "response bytes") \
    X(auth_cpu_gross_ns, NULL, "thread CPU of the sampled authenticate calls, clock included") \
    X(auth_clock_ns, NULL, "thread CPU of as many empty clock pairs: the clock's own cost") \
    X(auth_samples, "auth_cpu_samples", "authenticate calls timed: 1 in SRV_AUTH_SAMPLE") \
    X(auth_calls, "auth_calls", "authenticate calls") \
    X(accepted, "connections_accepted", "connections accepted") \
    X(closed, NULL, "connections closed")

#define SRV_COUNTER_FIELD_(name, key, desc) uint64_t name;
typedef struct srv_counters {
    SRV_COUNTERS(SRV_COUNTER_FIELD_)
    uint64_t fail_by_reason[AB_MECH_STATUS__COUNT]; /* the 401s by reason */
} srv_counters;
#undef SRV_COUNTER_FIELD_

/* A byte range of the current request, relative to its first byte (the buffer may move). */
typedef struct srv_span {
    uint32_t off, len;
} srv_span;

/* What the parser callbacks gather about the current request. */
typedef struct srv_req {
    srv_span url;
    uint32_t path_len;       /* of url, without the query (set when the request is complete) */
    srv_span field, value;   /* the header being read */
    srv_span cred;           /* the credential, once found */
    int in_value;            /* the last header callback was a value */
    int headers_done;
    int error;               /* HTTP status to answer with before closing (400/413/431/505) */
    uint64_t body_len;
    size_t form_len;
    char form[SRV_FORM_MAX];
} srv_req;

typedef struct srv_thread srv_thread;

typedef enum srv_model { SRV_MODEL_ASYNC = 0, SRV_MODEL_POOL } srv_model;
typedef enum srv_route {
    SRV_ROUTE_API, SRV_ROUTE_LOGIN, SRV_ROUTE_LOGOUT, SRV_ROUTE_REFRESH, SRV_ROUTE_STATS
} srv_route;

/* The mechanism call of a connection's current request, and its answer. */
typedef struct srv_job {
    struct srv_conn *next;   /* the pool's queue, then the loop's done list */
    int route;               /* srv_route */
    int status;              /* ab_mech_status once done */
    int timed;               /* time the call's thread CPU: 0 no, 1 clock pair first, 2 after */
    const char *cred;        /* the credential (in the read buffer, or the copy below) */
    size_t cred_len;
    char *copy;              /* pool: the credential copied (the read buffer may move) */
    size_t copy_cap;
    char user[AB_MECH_USER_MAX + 2]; /* login: one more than a name, so a longer one stays invalid */
    ab_mech_principal who;   /* api: whose credential */
    char *out;               /* login: the credential issued, ab_mech_credential_max() + 1 bytes */
    size_t out_len;
    uint64_t cpu_gross_ns;   /* timed calls: thread CPU of the call, clock included */
    uint64_t clock_ns;       /* timed calls: thread CPU of an empty clock pair */
    uint64_t stats_gen;      /* /stats: the publication every other loop must have made first */
} srv_job;

typedef struct srv_conn {
    int fd;
    srv_thread *t;
    struct srv_conn *prev, *next; /* the thread's list, least recently active first */
    uint64_t last_us;
    http_parser parser;
    char *rbuf;
    size_t rcap, rlen;
    size_t msg_start;        /* first byte of the request being parsed */
    size_t parsed;           /* bytes given to the parser */
    ab_buf out;              /* responses not yet sent (out.len bytes) */
    size_t woff;             /* bytes of out already sent */
    int close_after;         /* close once the output is sent */
    uint64_t req_start_us;   /* when the first byte of the request being read arrived; 0: none pending */
    srv_req req;
    int pending;             /* job is with a worker or the mechanism: parse and read nothing more */
    int dead;                /* closed while pending: freed when the job comes back */
    srv_job job;
} srv_conn;

typedef struct srv_pool srv_pool;

#define SRV_WATCH_MAX 32 /* store descriptors one thread's mechanism handle may watch */

/* One store descriptor the thread's mechanism handle asked to watch (async model). */
typedef struct srv_watch {
    int used;
    int fd;
    uint32_t events;         /* EPOLLIN / EPOLLOUT wanted (level-triggered) */
    int registered;          /* in the thread's epoll set */
} srv_watch;

typedef struct srv srv;

struct srv_thread {
    srv *s;
    int idx;
    pthread_t tid;
    int started;
    int lfd;                 /* this thread's listening socket (SO_REUSEPORT) */
    int epfd;
    int accept_paused;       /* out of descriptors: accepting resumes on the next tick */
    ab_mech_ctx *mech;
    int mech_waits;          /* async: ab_mech_ctx_async(mech), its calls may answer later */
    size_t cred_cap;         /* ab_mech_credential_max() + 1: a login job's output buffer */
    char *scratch;           /* login response pieces, 2 * cred_cap + 128 bytes */
    srv_conn *head, *tail;
    srv_counters live;       /* written by this thread only */
    pthread_mutex_t pub_lock; /* guards pub and pub_mech, copies published for /stats */
    srv_counters pub;
    ab_mech_counters pub_mech;
    uint64_t pub_seen;       /* the last s->pub_asked this thread published for */
    _Atomic uint64_t pub_gen; /* ... the same, for the /stats of other threads to read */
    srv_conn *stats_wait;    /* its /stats requests waiting for other threads to publish (job.next) */
    int done_fd;             /* eventfd: readable when workers handed connections back */
    pthread_mutex_t done_lock; /* guards done */
    srv_conn *done;          /* connections whose job is done (linked by job.next) */
    srv_conn *ready;         /* async: connections whose job the mechanism answered (this thread) */
    srv_watch watch[SRV_WATCH_MAX];
};

struct srv {
    int model;               /* srv_model */
    int nworkers;            /* pool: worker threads */
    srv_pool *pool;
    ab_mech *mech;
    ab_mech_kind kind;
    int can_revoke;
    int nthreads;
    srv_thread *threads;
    int stop_fd;             /* eventfd: readable once the server must stop */
    _Atomic uint64_t pub_asked; /* publications asked for by /stats requests (srv_stats_ask) */
    uint64_t idle_us;
    uint64_t request_us;     /* a request must arrive whole within this of its first byte (else 408) */
    uint64_t tick_ms;        /* idle sweep and accept-retry period: min(1 s, idle / 4) */
    uint64_t start_us;
    http_parser_settings settings;
};

/* cmd_serve.c: s's state apart from sockets: mechanism m (s takes it), nthreads zeroed threads
 * (no descriptors yet), timeouts, parser settings. 0, or -1 when out of memory. */
int srv_init(srv *s, ab_mech *m, int nthreads, uint64_t idle_us, uint64_t request_us);
/* cmd_serve.c: gives t, thread idx of s, its buffers and (async model) its mechanism handle, a loop
 * handle whose store descriptors join t's epoll set in srv_thread_setup (no socket, no epoll yet).
 * 0 or -1 (message printed). */
int srv_thread_init(srv *s, srv_thread *t, int idx);
/* cmd_serve.c: frees what srv_thread_init and srv_thread_setup made (any part may be missing). */
void srv_thread_release(srv_thread *t);

/* srv_loop.c: the state of a connection on socket fd (-1: none) of t: buffers and parser; not yet
 * in t's list. NULL when out of memory. */
srv_conn *srv_conn_new(srv_thread *t, int fd);
/* srv_loop.c: frees c and its buffers (not its socket). Accepts NULL. */
void srv_conn_free(srv_conn *c);
/* srv_loop.c: makes t's epoll set with its listening socket and the stop eventfd. 0 or -1 (errno). */
int srv_thread_setup(srv_thread *t);
/* srv_loop.c: one thread's event loop (pthread entry point, arg is its srv_thread). */
void *srv_thread_main(void *arg);
/* srv_loop.c: makes the thread's listening socket bound to addr (SO_REUSEPORT). 0 or -1 (errno). */
int srv_listen(const struct sockaddr *addr, socklen_t len);
/* srv_loop.c: c's /stats waits, pending, until every other thread has published
 * c->job.stats_gen; then it is answered like a job that came back. */
void srv_stats_park(srv_conn *c);

/* srv_loop.c: hands c, whose job is done, back to its thread (any thread may call it). */
void srv_post_done(srv_conn *c);
/* srv_loop.c: frees the connections left on t's done list (after the workers stopped). */
void srv_thread_drain_done(srv_thread *t);

/* srv_mechio.c: the loop hooks of t (its watch table and epoll set) for its mechanism handle. */
void srv_mech_hooks(srv_thread *t, ab_mech_loop *out);
/* srv_mechio.c: puts the watches asked for before t's epoll set existed into it. */
void srv_watch_all(srv_thread *t);
/* srv_mechio.c: 1 when ev is for one of t's watches (then handed to the mechanism), else 0. */
struct epoll_event;
int srv_watch_event(srv_thread *t, struct epoll_event *ev);
/* srv_mechio.c: how long epoll_wait may sleep: tick_ms, or less when the mechanism's timer is due. */
int srv_mech_wait_ms(srv_thread *t, int tick_ms);
/* srv_mechio.c: runs the mechanism's timer when it is due. */
void srv_mech_timer(srv_thread *t);
/* srv_mechio.c: c's job was answered later by the mechanism, on c's thread: to be resumed after
 * the event batch. */
void srv_post_ready(srv_conn *c);
/* srv_mechio.c: takes t's ready list (linked by job.next). */
srv_conn *srv_take_ready(srv_thread *t);

/* srv_pool.c: starts s->nworkers workers, each with its own mechanism handle. 0 or -1 (message
 * printed; the workers that started are stopped by srv_pool_stop). */
int srv_pool_start(srv *s);
/* srv_pool.c: queues c's job for the next idle worker (loop thread). */
void srv_pool_submit(srv_pool *p, srv_conn *c);
/* srv_pool.c: stops and joins the workers (each finishes its job), frees the connections still
 * queued (all closed by then) and the pool. Accepts s->pool NULL. */
void srv_pool_stop(srv *s);
/* srv_pool.c: adds the workers' published mechanism counters to acc (none without a pool). */
void srv_pool_counters(srv *s, ab_mech_counters *acc);
/* srv_pool.c: "async" or "pool". */
const char *srv_model_name(int model);

/* srv_job.c: runs j's mechanism call on m, blocking (a worker): fills j->status and its answer,
 * and the thread CPU when j->timed. */
void srv_job_run(ab_mech_ctx *m, srv_job *j, size_t out_cap);
/* srv_job.c: starts j's call through m's _async calls (an async loop). Returns AB_MECH_PENDING
 * when done(arg, status) will follow, else the status (j filled). */
int srv_job_start(ab_mech_ctx *m, srv_job *j, size_t out_cap, ab_mech_done_fn done, void *arg);
/* srv_job.c: copies j's credential into j->copy (the pool: the read buffer may move while the
 * job waits). 0, or -1 when out of memory. */
int srv_job_keep_cred(srv_job *j);

/* srv_http.c: fills the parser callbacks. */
void srv_http_settings(http_parser_settings *settings);
/* srv_http.c: parses what is buffered on c and appends the responses to its output; a request still
 * incomplete s->request_us after its first byte arrived (c->last_us is now) gets a 408. */
void srv_http_process(srv_conn *c);
/* srv_http.c: the bytes in[0..len) arrive on c as reads would bring them, without a socket: taken
 * into c's buffer within the same limits (srv_conn_room), parsed and answered, the answers appended
 * to c's output (the caller empties it: out.len = 0 is "sent"). Returns the bytes taken: fewer than len
 * once c is to be closed (close_after). The seam the HTTP fuzzer and tests drive. */
size_t srv_http_feed(srv_conn *c, const char *in, size_t len);
/* srv_http.c: makes room to read: grows c's buffer up to SRV_RBUF_MAX. 0, or -1 when the request
 * is too big (answered, close_after set) or memory is out (close_after set). */
int srv_conn_room(srv_conn *c);
/* srv_http.c: answers c's finished job (counts it, writes the response) and clears c->pending. */
void srv_http_finish(srv_conn *c);
/* srv_http.c: answers status with a JSON error and marks c to close (parse errors, overflow). */
void srv_http_fail(srv_conn *c, int status);
/* srv_http.c: appends a response: status, extra header lines (each ending "\r\n", may be NULL),
 * JSON body. counted: 0 for /stats. Returns 0 or -1 (out of memory: c is marked to close). */
int srv_respond(srv_conn *c, int status, const char *extra, size_t extra_len, const char *body,
                size_t body_len, int counted);

/* srv_stats.c: appends the /stats body (all threads merged) to out. 0, or -1 when out failed
 * (over its bound, or out of memory). */
int srv_stats_json(srv_thread *self, ab_buf *out);
/* srv_stats.c: asks every thread but self to publish its counters at the end of its current turn
 * (waking those asleep), so that a /stats answered by self includes every response any thread
 * sent before. Returns the generation to wait for with srv_stats_published, or 0 when self is the
 * only thread (nothing to wait for). */
uint64_t srv_stats_ask(srv_thread *self);
/* srv_stats.c: 1 once every thread but self has published generation gen (or a later one). */
int srv_stats_published(const srv_thread *self, uint64_t gen);
/* srv_stats.c: publishes t's counters when a /stats asked since its last publication; called by
 * t at the end of each turn, after that turn's responses were sent. */
void srv_stats_publish_asked(srv_thread *t);

#endif /* AB_SRV_H */

/* load_int.h — internals of the load generator: users and workload, the balancer, per-thread
 * statistics, the HTTP client (load_client.c, which reports through the hooks it is given) and the
 * thread's state machine and loop (load_thread.c). Private to bench/load. */
#ifndef ABL_INT_H
#define ABL_INT_H

#include <cjson/cJSON.h>
#include <http_parser.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ab_hist.h"
#include "ab_load.h"
#include "ab_rng.h"
#include "ab_timerq.h"

#define ABL_HIST_HIGHEST_NS 100000000000ull /* 100 s: latencies above are clamped and counted */
#define ABL_HIST_SIGFIGS 3
#define ABL_SECOND_SIGFIGS 2                /* the per-second p50/p99 need less precision */
#define ABL_RBUF_BYTES 65536
#define ABL_BODY_MAX 8192                   /* captured response body (login answers) */
#define ABL_TICK_NS 10000000ull             /* housekeeping: timeouts, stop flag, progress */
#define ABL_RETRY_NS 1000000ull             /* back-off after a failed connect */
#define ABL_LOGIN_MAX_NS 120000000000ull    /* the initial logins must be over within 2 minutes */

/* ABL_OP_REFRESH: POST /refresh (jwt+refresh), sent for a user whose request got a 401 while it holds
 * a refresh token: its next operation buys a new access token, as a client does on "expired". */
typedef enum abl_op { ABL_OP_REQUEST = 0, ABL_OP_LOGIN, ABL_OP_LOGOUT, ABL_OP_REFRESH, ABL_OP_COUNT } abl_op;
extern const char *const abl_op_names[ABL_OP_COUNT];

/* Error kinds; HTTP 401 is not among them: it is counted as an auth failure. ABL_ERR_NONE (an
 * answer arrived) indexes nothing; the others index errors[] and abl_err_names[]. */
typedef enum abl_err {
    ABL_ERR_NONE = -1,
    ABL_ERR_CONNECT = 0, /* connect refused/failed */
    ABL_ERR_READ,        /* reset or closed by the server while a request was in flight */
    ABL_ERR_WRITE,
    ABL_ERR_TIMEOUT,
    ABL_ERR_PARSE,       /* malformed HTTP response */
    ABL_ERR_HTTP_4XX,    /* other than 401 */
    ABL_ERR_HTTP_5XX,
    ABL_ERR_HTTP_OTHER,  /* 1xx/3xx */
    ABL_ERR_LOGIN,       /* a login answered 200 without a usable credential */
    ABL_ERR_COUNT
} abl_err;
extern const char *const abl_err_names[ABL_ERR_COUNT];

/* ---- users and workload (load_workload.c) ---- */
typedef enum abl_user_state { ABL_USER_OUT = 0, ABL_USER_IN, ABL_USER_BUSY } abl_user_state;

typedef struct abl_user {
    char name[16];
    abl_user_state state;
    unsigned inflight;  /* requests in flight with the current credential */
    unsigned sticky;    /* the target a sticky balancer sends this user to */
    unsigned home;      /* the target the user last logged in at */
    char *login;        /* prebuilt POST /login */
    size_t login_len;
    char *req;          /* prebuilt GET path with the credential; NULL while logged out */
    size_t req_len;
    char *logout;       /* prebuilt POST /logout with the credential */
    size_t logout_len;
    char *refresh;      /* prebuilt POST /refresh with the login's refresh token (jwt+refresh), or NULL */
    size_t refresh_len;
    int stale;          /* a request got 401 while it holds a refresh token: refresh next */
    size_t cred_len;
} abl_user;

/* Key distribution over one thread's users: uniform, or zipf through a CDF table. */
typedef struct abl_keys {
    double *cdf; /* NULL for uniform */
    size_t n;
} abl_keys;

int abl_keys_init(abl_keys *k, size_t n, double theta);
size_t abl_keys_sample(const abl_keys *k, ab_rng *rng);
void abl_keys_free(abl_keys *k);
abl_op abl_mix_sample(const ab_load_config *cfg, ab_rng *rng);
/* The users this generator drives, [*first, *first + *n): its shard of cfg->users. */
void abl_shard_users(const ab_load_config *cfg, size_t *first, size_t *n);
/* The requests/s this generator sends: its shard of cfg->rate (0: closed loop). */
double abl_shard_rate(const ab_load_config *cfg);
/* Names users first..first+n-1, computes their sticky target, prebuilds their login requests. */
int abl_users_init(abl_user *u, size_t first, size_t n, const ab_load_config *cfg);
/* Parses a login answer body and prebuilds the user's request and logout buffers. 0 or -1. */
int abl_user_set_credential(abl_user *u, const char *body, size_t len, const ab_load_config *cfg);
void abl_user_clear_credential(abl_user *u);
void abl_users_free(abl_user *u, size_t n);

/* ---- load balancer (load_lb.c) ---- */
unsigned abl_lb_sticky(const char *user, size_t ntargets);
unsigned abl_lb_pick(const ab_load_config *cfg, const abl_user *u, unsigned *rr, ab_rng *rng);
const char *abl_lb_name(ab_load_lb lb);

/* ---- statistics (load_stats.c) ---- */
typedef struct abl_second {
    uint64_t requests;   /* answered (2xx or not); transport errors are in errors only */
    uint64_t ok;         /* 2xx answers: the second's goodput */
    uint64_t errors;
    uint64_t auth_failures;
    ab_hist *lat; /* ns, from the intended send time */
} abl_second;

typedef struct abl_stats {
    ab_hist *lat;     /* ns, successful (2xx) answers, from the intended send time (coordinated
                         omission corrected) */
    ab_hist *lat_unc; /* ns, successful answers, from the actual send time */
    ab_hist *lat_failed; /* ns, failed answers (non-2xx, 401 included; timeouts; logins answered
                            without a credential), from the intended send time */
    ab_hist *lag;     /* ns, open loop: how late each send went out against its intended time */
    uint64_t requests;      /* answers received and timeouts, in the window */
    uint64_t sent;          /* requests whose send started in the window */
    uint64_t backlog_ns;    /* open loop: at the end of the window, how far behind its schedule the
                               most behind client was (merged: the largest) */
    uint64_t cpu_ns;        /* load threads' CPU time over the window (merged: summed) */
    uint64_t ok;            /* 2xx */
    uint64_t auth_failures; /* 401 */
    uint64_t errors[ABL_ERR_COUNT];
    uint64_t by_op[ABL_OP_COUNT];     /* answered requests (and timeouts) per operation */
    uint64_t bytes_out[ABL_OP_COUNT]; /* request bytes written, client -> server */
    uint64_t bytes_in[ABL_OP_COUNT];  /* response bytes read, server -> client */
    uint64_t mix_deferred;  /* login/logout drawn for a user with requests in flight: sent as a request */
    uint64_t away;          /* requests sent to a server other than the one the user logged in at */
    uint64_t connects;      /* TCP connections opened (all phases) */
    uint64_t in_flight_at_end;
    abl_second *secs;
    size_t nsecs;
} abl_stats;

int abl_stats_init(abl_stats *s, size_t nsecs);
void abl_stats_free(abl_stats *s);
/* dst += src (same nsecs). 0 or -1. */
int abl_stats_merge(abl_stats *dst, const abl_stats *src);
uint64_t abl_stats_errors(const abl_stats *s);

/* ---- the HTTP client (load_client.c) ---- */
typedef struct abl_thread abl_thread;
typedef struct abl_client abl_client;

/* Called when c's request ends: err ABL_ERR_NONE and the HTTP status of the answer, or status 0
 * and the error. c is idle when the hook runs (the hook may send c's next request on it). */
typedef void (*abl_client_done_fn)(abl_client *c, uint64_t now, int status, abl_err err);

/* What clients are given by their owner (one per event loop, outliving its clients). */
typedef struct abl_client_env {
    const ab_load_config *cfg;     /* the targets and the request timeout */
    int epfd;                      /* sockets are registered here, data.ptr their abl_sock */
    char *rbuf;                    /* the read buffer the loop's clients share */
    size_t rbuf_len;
    http_parser_settings settings; /* the client's parser callbacks */
    abl_client_done_fn done;
} abl_client_env;

typedef struct abl_sock {
    abl_client *c;
    int fd;           /* -1 when closed */
    int connecting;
    unsigned target;
    uint32_t events;  /* epoll interest registered */
    http_parser parser;
} abl_sock;

typedef enum abl_client_state {
    ABL_C_IDLE = 0,  /* nothing to do (login phase over, or no usable user) */
    ABL_C_WAIT,      /* timer queued: next open-loop send or a retry */
    ABL_C_SEND,      /* connecting or writing */
    ABL_C_RECV       /* request written, waiting for the answer */
} abl_client_state;

struct abl_client {
    const abl_client_env *env;
    abl_thread *t;            /* the owner's: the client itself never reads it */
    unsigned gindex;          /* the owner's: index over all threads (open-loop phase) */
    abl_client_state state;
    ab_timer timer;
    abl_sock *socks;          /* one per target, opened when first used */
    abl_sock *cur;
    abl_user *user;
    abl_op op;
    const char *wbuf;
    size_t wlen;
    size_t woff;
    uint64_t intended_ns;     /* when the request should have gone (open loop) or went (closed) */
    uint64_t next_ns;         /* open loop: the intended time of the next request */
    uint64_t sent_ns;         /* when its first byte was written */
    uint64_t rbytes;          /* response bytes read so far */
    int done;                 /* the parser completed the answer */
    int capture;              /* keep the body (logins) */
    int away;                 /* the request goes to a server the user did not log in at */
    size_t body_len;
    char body[ABL_BODY_MAX];
};

/* Where the threads meet between the login phase and the run: each reports its logins done, then
 * waits for the coordinator to set the run times and open the gate. */
typedef struct abl_sync {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned logged_in; /* threads whose login phase is over */
    int go;
} abl_sync;

typedef enum abl_phase { ABL_PHASE_LOGIN = 0, ABL_PHASE_RUN, ABL_PHASE_DONE } abl_phase;

struct abl_thread {
    const ab_load_config *cfg;
    unsigned index;
    int epfd;
    ab_timerq *timers;
    ab_timer tick;
    abl_client *clients;
    unsigned nclients;
    abl_user *users;          /* this thread's share of the users */
    size_t nusers;
    abl_keys keys;
    ab_rng rng;
    unsigned rr;
    abl_phase phase;
    uint64_t login_start_ns;
    size_t login_next;        /* initial login phase: next user to log in */
    size_t login_pending;     /* initial logins not yet answered */
    uint64_t login_ok;
    uint64_t login_failed;
    int login_fatal;          /* a transport error during the initial logins */
    char login_err[320];
    uint64_t run_ns;          /* start of warm-up (shared by all threads) */
    uint64_t measure_ns;      /* start of the measured window */
    uint64_t end_ns;
    uint64_t interval_ns;     /* open loop: per-client send interval; 0 = closed loop */
    ab_timer mark;            /* fires at measure_ns: the thread's CPU clock is read there */
    int64_t cpu_mark_ns;      /* CLOCK_THREAD_CPUTIME_ID at measure_ns; -1 until then */
    abl_stats stats;          /* the measured window */
    abl_stats warm;           /* warm-up: counted apart, never reported as results */
    _Atomic uint64_t live_requests; /* published every tick, for the progress line */
    struct abl_sync *sync;
    const volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM */
    abl_client_env env;       /* what the thread's clients are given */
    char err[160];
    char rbuf[ABL_RBUF_BYTES];
};

/* load_client.c: fills env (parser callbacks included) for clients of one loop. */
void abl_client_env_init(abl_client_env *env, const ab_load_config *cfg, int epfd, char *rbuf, size_t rbuf_len,
                         abl_client_done_fn done);
/* load_client.c: c idle, with one closed socket per target of env in socks. */
void abl_client_init(abl_client *c, const abl_client_env *env, abl_sock *socks);
void abl_client_close_all(abl_client *c);
/* load_client.c: sends c's current request (user, op, wbuf set) now: connects if needed, writes; its
 * end comes through env->done (at once when the connect fails). 1 when it opened a connection. */
int abl_client_send(abl_client *c, uint64_t now);
/* load_client.c: handles epoll events on one of c's sockets. */
void abl_client_event(abl_sock *s, uint32_t events);
/* load_client.c: gives up on c's in-flight request if it is older than the timeout. */
void abl_client_check_timeout(abl_client *c, uint64_t now);

/* load_thread.c: a thread's state machine and loop. Thread body: login phase, the meeting at t->sync
 * (the coordinator sets run_ns/measure_ns/end_ns before opening the gate; end_ns 0 aborts), run
 * phase. Returns NULL, or the thread on failure (t->err set). */
void *abl_thread_main(void *arg);
/* Allocates a thread's users, clients, sockets, statistics, epoll and timers. 0, or -1 with t->err. */
int abl_thread_setup(abl_thread *t, size_t first_user, size_t nusers, unsigned first_client, unsigned nclients);
void abl_thread_cleanup(abl_thread *t);

/* ---- the run's results (load_run.c builds them; load_json.c and load_summary.c print them) ---- */
struct ab_load_result {
    ab_load_config cfg;       /* as run; cfg.targets points at targets */
    ab_load_target *targets;
    abl_stats stats;          /* the measured window, all threads merged */
    abl_stats warm;           /* the warm-up, merged (reported apart, never in the results) */
    double window_s;          /* measured window actually covered (shorter when interrupted) */
    int interrupted;
    uint64_t login_ok;        /* initial logins */
    uint64_t login_failed;
    double login_s;
    int64_t started_unix;
    double window_start_unix_ms; /* the wall clock when the measured window began */
    uint64_t window_start_mono_us, window_end_mono_us; /* CLOCK_MONOTONIC; 0 for a merged result */
    size_t users_first;       /* the users driven: [users_first, users_first + users_n) … */
    size_t users_n;           /* … (merged: how many distinct users the generators drove) */
    double rate_eff;          /* requests/s asked of this generator (merged: summed); 0 closed loop */
    cJSON *environment;       /* {"hostname", "cores"}; NULL for a merged result */
    cJSON **server_delta;     /* per target: /stats after - before; NULL when unavailable */
    char (*server_err)[160];  /* per target: why server_delta is NULL */
};

/* A result holding a copy of cfg (targets copied) and empty statistics sized for its duration, its
 * users and rate taken from cfg's shard; NULL when out of memory. */
ab_load_result *abl_result_new(const ab_load_config *cfg);

#endif /* ABL_INT_H */

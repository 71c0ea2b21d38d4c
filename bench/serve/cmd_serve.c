/* cmd_serve.c — `authbench serve`: options, the mechanism, listening sockets, threads, signals. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ab_cli.h"
#include "ab_net.h"
#include "ab_opt.h"
#include "commands.h"
#include "srv.h"

#define CMD "serve"

typedef struct serve_opts {
    char *mechanism; /* malloc'd: --mechanism's copy (argv then hides its password) or the file's line */
    const char *listen;
    const char *key_file;
    int threads;
    int model;
    int workers;
    int64_t ttl_s;
    uint64_t idle_us;
    uint64_t request_us;
} serve_opts;

/* The cores this process may run on (at least 1). */
static int online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 && n < 256 ? (int)n : 1;
}

/* Prints --help. */
static void usage(void)
{
    printf("usage: authbench serve (--mechanism M | --mechanism-file FILE) --listen HOST:PORT\n"
           "                       [--model async|pool] [--threads N] [--workers N] [--key FILE]\n"
           "                       [--ttl D] [--idle-timeout D] [--request-timeout D]\n\n"
           "A simulated app server: HTTP/1.1 with keep-alive on epoll loops, authenticating every\n"
           "request with one mechanism. One process is one server, with its own store\n"
           "connections, memory and disk directory.\n\n"
           "  --mechanism M      none | session:<store URI> | jwt:<ALG> | jwt+denylist:<ALG>,<store URI>\n"
           "                     | jwt+pushed-denylist:<ALG>,redis://…|postgres://…|memcached://…\n"
           "                     store URIs: memory://, redis://host:port[/db],\n"
           "                     redis-cluster://host:port[,host:port…], file:///dir?fsync=…\n"
           "                     (a password given here shows in ps until it is parsed)\n"
           "                     options after '?' (a store URI's beside its own): claims=BYTES;\n"
           "                     session: touch=never|always|after:S, l1=TTL, l1_size=N; jwt: cache=N;\n"
           "                     jwt+denylist: on_store_error=closed|open; jwt+pushed-denylist over\n"
           "                     memcached: sync_ms=N (poll interval, default 100) (bench/mech/ab_mech.h)\n"
           "  --mechanism-file FILE  M from the first line of FILE, which must be yours and mode 0600\n"
           "                     (no access for group or others): a store password never on argv.\n"
           "                     authbench run starts its servers this way\n"
           "  --listen HOST:PORT where to listen (port 0 picks a free one)\n"
           "  --model async|pool how requests wait for the store (default async):\n"
           "                     async: each loop's store client is non-blocking and pipelined, a\n"
           "                     store wait holds up only its own connection (Node with ioredis,\n"
           "                     Spring WebFlux with Lettuce, redis-py asyncio)\n"
           "                     pool: the loops do the I/O and queue each request on one shared\n"
           "                     queue; any idle worker runs it, blocking on the store (PHP-FPM,\n"
           "                     gunicorn sync workers, Puma, Tomcat's thread pool)\n"
           "  --threads N        event-loop threads, each with its own listening socket (SO_REUSEPORT);\n"
           "                     async: each with its own store connection (default: the cores, %d)\n"
           "  --workers N        pool: worker threads, each with its own store connection; latency\n"
           "                     grows once all N are busy (default 2 x cores + 1, %d)\n"
           "  --key FILE         JWT signing key, an HMAC secret or private PEM; every server of a run\n"
           "                     shares it (make one: authbench jwt keygen --alg ALG --out PREFIX)\n"
           "  --ttl D            credential lifetime: 3600s, 15m, … (default 1h)\n"
           "  --idle-timeout D   close keep-alive connections idle this long (default 30s)\n"
           "  --request-timeout D  a request (line, headers, body) must arrive whole within D of its\n"
           "                     first byte, however it trickles in: else 408 and close (default 10s)\n\n"
           "Endpoints\n"
           "  POST /login?user=NAME (or body user=NAME)  200 {\"credential\":…,\"kind\":\"cookie\"|\"bearer\"}\n"
           "                     (+ Set-Cookie: sid=… for cookies); NAME is 1..64 of [A-Za-z0-9._-]\n"
           "  GET /api/…         Cookie: sid=… or Authorization: Bearer …: 200 {\"sub\":…}, 401\n"
           "                     {\"error\":reason}, 503 when the store fails\n"
           "  POST /logout       200 {\"revoked\":true}; {\"revoked\":false} for none and jwt:<ALG>,\n"
           "                     whose credentials cannot be withdrawn; 401 for a refused credential\n"
           "  POST /refresh      jwt+refresh: Authorization: Bearer <the login's \"refresh\">: 200 a new\n"
           "                     {\"credential\":…}; 401 unknown_session once logged out\n"
           "  GET /stats         counters since start as JSON (not counted themselves)\n"
           "Limits: 8 KiB of headers (431), 64 KiB of body (413), --request-timeout (408); malformed\n"
           "requests get 400, HTTP versions other than 1.x 505; each closes the connection. 404/405\n"
           "keep it open.\n\n"
           "Prints 'listening on HOST:PORT' on stdout when ready; SIGTERM or SIGINT stops it.\n",
           online_cores(), 2 * online_cores() + 1);
}

enum { O_MECHANISM = 256, O_MECHANISM_FILE, O_LISTEN, O_KEY, O_THREADS, O_MODEL, O_WORKERS, O_TTL,
       O_IDLE, O_REQUEST };

static const char *const model_names[] = {"async", "pool", NULL}; /* srv_model order */

static const struct option serve_options[] = {
    {"mechanism", required_argument, NULL, O_MECHANISM}, {"mechanism-file", required_argument, NULL, O_MECHANISM_FILE},
    {"listen", required_argument, NULL, O_LISTEN}, {"key", required_argument, NULL, O_KEY},
    {"threads", required_argument, NULL, O_THREADS}, {"model", required_argument, NULL, O_MODEL},
    {"workers", required_argument, NULL, O_WORKERS}, {"ttl", required_argument, NULL, O_TTL},
    {"idle-timeout", required_argument, NULL, O_IDLE}, {"request-timeout", required_argument, NULL, O_REQUEST},
    {NULL, 0, NULL, 0}};

/* Takes the mechanism spec of --mechanism (hidden in argv then) or --mechanism-file; once only. */
static void take_mechanism(const ab_opt *p, serve_opts *o, int from_file)
{
    if (o->mechanism != NULL)
        ab_opt_fail(p, "give --mechanism or --mechanism-file once");
    o->mechanism = from_file ? ab_opt_secret_file(p) : ab_opt_secret(p);
}

/* Parses the options (o->mechanism is malloc'd); exits 2 on bad usage, 0 after --help. */
static void parse_args(int argc, char **argv, serve_opts *o)
{
    ab_opt p;
    int c;
    memset(o, 0, sizeof *o);
    o->threads = online_cores();
    o->workers = 2 * online_cores() + 1;
    o->ttl_s = AB_MECH_DEFAULT_TTL;
    o->idle_us = 30u * 1000000u;
    o->request_us = 10u * 1000000u;
    ab_opt_init(&p, CMD, usage, serve_options, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case O_MECHANISM: take_mechanism(&p, o, 0); break;
        case O_MECHANISM_FILE: take_mechanism(&p, o, 1); break;
        case O_LISTEN: o->listen = ab_opt_value(&p); break;
        case O_KEY: o->key_file = ab_opt_value(&p); break;
        case O_THREADS: o->threads = (int)ab_opt_u64(&p, 1, 256); break;
        case O_MODEL: o->model = ab_opt_choice(&p, model_names); break;
        case O_WORKERS: o->workers = (int)ab_opt_u64(&p, 1, 1024); break;
        case O_TTL: o->ttl_s = (int64_t)(ab_opt_duration_us(&p) / 1000000u); break;
        case O_IDLE: o->idle_us = ab_opt_duration_us(&p); break;
        case O_REQUEST: o->request_us = ab_opt_duration_us(&p); break;
        }
    }
    if (o->mechanism == NULL || o->listen == NULL)
        ab_opt_fail(&p, "--mechanism (or --mechanism-file) and --listen are required");
    if (o->ttl_s < 1 || o->ttl_s > 315360000)
        ab_opt_fail(&p, "--ttl: must be between 1 s and 10 years");
    if (o->idle_us < 1000)
        ab_opt_fail(&p, "--idle-timeout: must be at least 1ms");
    if (o->request_us < 1000)
        ab_opt_fail(&p, "--request-timeout: must be at least 1ms");
}

/* Opens one listening socket per thread on the same address (the first fixes a port 0). Fills
 * shown with the real address. 0 or -1 (message printed). */
static int open_listeners(srv *s, const char *hostport, char *shown, size_t shown_len)
{
    struct sockaddr_storage addr;
    socklen_t len;
    char err[160];
    int i;
    if (ab_net_resolve(hostport, &addr, &len, err, sizeof err) != 0) {
        ab_err(CMD, "--listen: %s", err);
        return -1;
    }
    for (i = 0; i < s->nthreads; i++) {
        srv_thread *t = &s->threads[i];
        t->lfd = srv_listen((struct sockaddr *)&addr, len);
        if (t->lfd < 0) {
            ab_err(CMD, "cannot listen on %s: %s", hostport, strerror(errno));
            return -1;
        }
        len = sizeof addr;
        if (i == 0 && getsockname(t->lfd, (struct sockaddr *)&addr, &len) != 0) {
            ab_err(CMD, "getsockname: %s", strerror(errno));
            return -1;
        }
    }
    ab_net_format((struct sockaddr *)&addr, len, shown, shown_len);
    return 0;
}

int srv_thread_init(srv *s, srv_thread *t, int idx)
{
    ab_mech_loop hooks;
    if (pthread_mutex_init(&t->pub_lock, NULL) != 0 || pthread_mutex_init(&t->done_lock, NULL) != 0) {
        ab_err(CMD, "pthread_mutex_init failed");
        return -1;
    }
    t->s = s; /* marks the mutexes as made */
    t->idx = idx;
    /* async: a loop handle, its store driven by this thread's loop; a pool's loops never call the
     * mechanism (its workers have the handles) */
    srv_mech_hooks(t, &hooks);
    t->mech = s->model == SRV_MODEL_ASYNC ? ab_mech_ctx_new_loop(s->mech, &hooks) : NULL;
    t->mech_waits = t->mech != NULL && ab_mech_ctx_async(t->mech);
    t->cred_cap = ab_mech_credential_max(s->mech) + 1;
    t->scratch = malloc(2 * t->cred_cap + 128);
    if ((t->mech == NULL && s->model == SRV_MODEL_ASYNC) || t->scratch == NULL) {
        ab_err(CMD, "out of memory");
        return -1;
    }
    if (t->mech != NULL && ab_mech_ctx_err(t->mech) != 0) {
        ab_err(CMD, "%s: %s", s->mech != NULL ? ab_mech_spec(s->mech) : "", ab_mech_ctx_errstr(t->mech));
        return -1;
    }
    return 0;
}

/* Gives thread t its mechanism handle, buffers and epoll set. 0 or -1 (message printed). */
static int prepare_thread(srv *s, srv_thread *t, int idx)
{
    if (srv_thread_init(s, t, idx) != 0)
        return -1;
    if (srv_thread_setup(t) != 0) {
        ab_err(CMD, "epoll: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void srv_thread_release(srv_thread *t)
{
    if (t->lfd >= 0)
        close(t->lfd);
    if (t->epfd >= 0)
        close(t->epfd);
    if (t->done_fd >= 0)
        close(t->done_fd);
    ab_mech_ctx_free(t->mech);
    free(t->scratch);
    if (t->s != NULL) {
        pthread_mutex_destroy(&t->pub_lock);
        pthread_mutex_destroy(&t->done_lock);
    }
}

/* Starts the threads. 0, or -1 after stopping those that started. */
static int start_threads(srv *s)
{
    int i, e;
    for (i = 0; i < s->nthreads; i++) {
        if ((e = pthread_create(&s->threads[i].tid, NULL, srv_thread_main, &s->threads[i])) != 0) {
            ab_err(CMD, "pthread_create: %s", strerror(e));
            return -1;
        }
        s->threads[i].started = 1;
    }
    return 0;
}

/* Wakes every thread through the stop eventfd and joins those that started; then stops the
 * pool's workers and frees the connections they handed back. */
static void stop_threads(srv *s)
{
    uint64_t one = 1;
    int i;
    if (write(s->stop_fd, &one, sizeof one) != (ssize_t)sizeof one)
        ab_err(CMD, "eventfd write: %s", strerror(errno));
    for (i = 0; i < s->nthreads; i++)
        if (s->threads[i].started)
            pthread_join(s->threads[i].tid, NULL);
    srv_pool_stop(s);
    for (i = 0; i < s->nthreads; i++)
        srv_thread_drain_done(&s->threads[i]);
}

/* Waits for SIGTERM or SIGINT (blocked in every thread, taken here). */
static void wait_for_stop(const sigset_t *set)
{
    int sig;
    while (sigwait(set, &sig) != 0)
        ;
}

/* Opens the mechanism from the options; exits 1 with its message when it does not open. */
static ab_mech *open_mechanism(const serve_opts *o)
{
    ab_mech_options mo = {o->key_file, o->ttl_s};
    ab_mech *m = ab_mech_open(o->mechanism, &mo);
    if (m == NULL)
        ab_fail(CMD, "out of memory");
    if (ab_mech_err(m) != 0) {
        ab_err(CMD, "%s", ab_mech_errstr(m));
        ab_mech_close(m);
        exit(AB_EXIT_FAIL);
    }
    if (ab_mech_size_note(ab_mech_credential_max(m))[0] != '\0') /* claims= made it large */
        ab_err(CMD, "note: %s issues credentials of up to %zu bytes, %s", ab_mech_spec(m),
               ab_mech_credential_max(m), ab_mech_size_note(ab_mech_credential_max(m)));
    return m;
}

int srv_init(srv *s, ab_mech *m, int nthreads, uint64_t idle_us, uint64_t request_us)
{
    int i;
    s->mech = m;
    s->kind = ab_mech_kind_of(m);
    s->can_revoke = ab_mech_can_revoke(m);
    s->nthreads = nthreads;
    s->idle_us = idle_us;
    s->request_us = request_us;
    s->tick_ms = idle_us / 4000u < 1000u ? (idle_us / 4000u ? idle_us / 4000u : 1u) : 1000u;
    s->start_us = ab_now_us();
    srv_http_settings(&s->settings);
    if ((s->threads = calloc((size_t)nthreads, sizeof *s->threads)) == NULL)
        return -1;
    for (i = 0; i < nthreads; i++)
        s->threads[i].lfd = s->threads[i].epfd = s->threads[i].done_fd = -1;
    return 0;
}

/* Sets up s from the options: mechanism, threads, listeners. 0 or -1 (message printed). */
static int setup(srv *s, const serve_opts *o, char *shown, size_t shown_len)
{
    int i;
    s->model = o->model;
    s->nworkers = o->model == SRV_MODEL_POOL ? o->workers : 0;
    if (srv_init(s, open_mechanism(o), o->threads, o->idle_us, o->request_us) != 0 ||
        (s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        ab_err(CMD, "%s", s->threads == NULL ? "out of memory" : strerror(errno));
        return -1;
    }
    if (open_listeners(s, o->listen, shown, shown_len) != 0)
        return -1;
    for (i = 0; i < s->nthreads; i++)
        if (prepare_thread(s, &s->threads[i], i) != 0)
            return -1;
    return s->model == SRV_MODEL_POOL ? srv_pool_start(s) : 0;
}

/* Frees everything setup made. */
static void teardown(srv *s)
{
    int i;
    srv_pool_stop(s); /* when setup failed half-way */
    for (i = 0; s->threads != NULL && i < s->nthreads; i++)
        srv_thread_release(&s->threads[i]);
    free(s->threads);
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    ab_mech_close(s->mech);
}

int ab_cmd_serve(int argc, char **argv)
{
    serve_opts o;
    srv s;
    sigset_t set;
    char shown[128];
    int rc = AB_EXIT_FAIL;
    parse_args(argc, argv, &o);
    memset(&s, 0, sizeof s);
    s.stop_fd = -1;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* SIGXFSZ ignored: a write past the file size limit fails with EFBIG, which the file store
     * reports as a store error (a disk-full fault), instead of killing the server */
    if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
        setup(&s, &o, shown, sizeof shown) != 0)
        goto out;
    if (start_threads(&s) == 0) {
        printf("listening on %s\n", shown);
        fflush(stdout);
        wait_for_stop(&set);
        rc = AB_EXIT_OK;
    }
    stop_threads(&s);
out:
    teardown(&s);
    free(o.mechanism);
    return rc;
}

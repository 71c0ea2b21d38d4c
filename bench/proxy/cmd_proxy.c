/* cmd_proxy.c — `authbench proxy`: options, the listening socket, threads, signals, the stats file,
 * the summary. */
#include <errno.h>
#include <poll.h>
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
#include "ab_proxy.h"
#include "commands.h"
#include "proxy_int.h"

#define CMD "proxy"

static volatile sig_atomic_t abp_stop_requested;
static int abp_stop_fd = -1;
static volatile sig_atomic_t abp_drop_gen; /* SIGUSR1s so far */
static int abp_drop_fd = -1;
static int abp_stats_fd = -1; /* eventfd written on each SIGUSR2, read by the main thread */

/* Prints --help. */
static void usage(void)
{
    printf("usage: authbench proxy --listen HOST:PORT --upstream HOST:PORT --delay D [--jitter J]\n"
           "                       [--threads N] [--stats-file PATH]\n\n"
           "A TCP relay that holds every chunk it reads for a one-way delay before passing it on, in\n"
           "both directions, to simulate network distance (e.g. to a session store) where the kernel\n"
           "has no netem. A request/response round trip through it therefore gains 2 x delay.\n\n"
           "  --listen HOST:PORT    where clients connect (port 0 picks a free one)\n"
           "  --upstream HOST:PORT  where each client connection is relayed to\n"
           "  --delay D             one-way delay per direction: 250us, 1.5ms, 1s (default 0)\n"
           "  --jitter J            each chunk's delay is uniform in [D-J, D+J] (J <= D), but a chunk\n"
           "                        never overtakes an earlier one of the same connection (default 0)\n"
           "  --threads N           event-loop threads (default 1)\n"
           "  --stats-file PATH     write the delay the chunks actually got to PATH (JSON, atomically:\n"
           "                        a temporary file renamed) at exit and on each SIGUSR2:\n"
           "                          {\"chunks\": N, \"delay_target_us\": D, \"jitter_us\": J,\n"
           "                           \"achieved_delay_us\": {\"mean\",\"p50\",\"p99\",\"max\"},\n"
           "                           \"lateness_us\": {\"mean\",\"p99\",\"max\"}, \"early_chunks\": N,\n"
           "                           \"clamped_chunks\": N}\n"
           "                        over every data chunk since the start, both directions: achieved =\n"
           "                        when its last byte was written on - when it was read; lateness =\n"
           "                        that release - its deadline (0 for the early_chunks released up to\n"
           "                        the timer lead before it). Figures are null while no chunk passed.\n"
           "                        The file is written by the main thread, never by the relay.\n\n"
           "Prints 'listening on HOST:PORT' on stdout when ready. SIGTERM or SIGINT stops it; it then\n"
           "prints the connection and byte counts and the achieved delay on stderr. SIGUSR1 resets\n"
           "every relayed connection at once (both peers get a TCP reset; new connections are relayed\n"
           "as before): a network fault on demand, which `authbench run` injects in its proxy-drop cells.\n\n"
           "Accuracy: deadlines are absolute timerfd times with 1 ns timer slack, and the timer is\n"
           "armed early by the wake-up latency measured recently, so delays hold on average; single\n"
           "chunks still vary by the machine's scheduling noise (tens of us when it is busy): the stats\n"
           "file says by how much. The relay itself adds what any extra TCP hop adds: here (2 cores,\n"
           "loopback, Release build, a busy machine) +16-24 us to the p50 of a redis-benchmark -c 1 GET,\n"
           "+20-45 us to authbench load's closed-loop p50 against serve session:redis, +45-110 us at\n"
           "1000 req/s open loop, where every chunk wakes the idle relay. On a quiet machine each chunk\n"
           "wakes relay threads from idle, which costs more: +30 us on redis-benchmark -c 1's mean\n"
           "(Release), +97-123 us on the median PING of the ASan test build; the stated bound is %d us\n"
           "on the median round trip of one connection (tests/bench/test_proxy.c checks it).\n"
           "Measure a --delay 0 control beside any delayed cell.\n",
           AB_PROXY_HOP_COST_US);
}

enum { O_LISTEN = 256, O_UPSTREAM, O_DELAY, O_JITTER, O_THREADS, O_STATS_FILE };

static const struct option proxy_options[] = {
    {"listen", required_argument, NULL, O_LISTEN}, {"upstream", required_argument, NULL, O_UPSTREAM},
    {"delay", required_argument, NULL, O_DELAY}, {"jitter", required_argument, NULL, O_JITTER},
    {"threads", required_argument, NULL, O_THREADS}, {"stats-file", required_argument, NULL, O_STATS_FILE},
    {NULL, 0, NULL, 0}};

/* Resolves HOST:PORT of the option named flag into addr. Exits 2 when it does not resolve. */
static void resolve(const ab_opt *p, const char *flag, const char *hostport, struct sockaddr_storage *addr,
                    socklen_t *len)
{
    char err[160];
    if (ab_net_resolve(hostport, addr, len, err, sizeof err) != 0)
        ab_opt_fail(p, "%s: %s", flag, err);
}

/* Parses the options into cfg and *stats_file; exits 2 on bad usage, 0 after --help. */
static void parse_args(int argc, char **argv, abp_config *cfg, const char **stats_file)
{
    const char *listen_s = NULL, *upstream_s = NULL;
    ab_opt p;
    int c;
    memset(cfg, 0, sizeof *cfg);
    cfg->threads = 1;
    ab_opt_init(&p, CMD, usage, proxy_options, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END) {
        switch (c) {
        case O_LISTEN: listen_s = ab_opt_value(&p); break;
        case O_UPSTREAM: upstream_s = ab_opt_value(&p); break;
        case O_DELAY: cfg->delay_ns = ab_opt_duration_us(&p) * 1000u; break;
        case O_JITTER: cfg->jitter_ns = ab_opt_duration_us(&p) * 1000u; break;
        case O_THREADS: cfg->threads = (unsigned)ab_opt_u64(&p, 1, 256); break;
        case O_STATS_FILE: *stats_file = ab_opt_value(&p); break;
        }
    }
    if (listen_s == NULL || upstream_s == NULL)
        ab_opt_fail(&p, "--listen and --upstream are required");
    if (cfg->jitter_ns > cfg->delay_ns)
        ab_opt_fail(&p, "--jitter must not exceed --delay");
    if (*stats_file != NULL && **stats_file == '\0')
        ab_opt_fail(&p, "--stats-file: empty path");
    resolve(&p, "--listen", listen_s, &cfg->listen_addr, &cfg->listen_len);
    resolve(&p, "--upstream", upstream_s, &cfg->upstream_addr, &cfg->upstream_len);
}

/* SIGTERM/SIGINT: wakes every thread through the stop eventfd (write is async-signal-safe); a
 * second one ends the process at once, whatever the threads are doing. */
static void on_signal(int sig)
{
    uint64_t one = 1;
    if (abp_stop_requested && sig != 0) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    abp_stop_requested = 1;
    if (write(abp_stop_fd, &one, sizeof one) < 0) {
        /* nothing safe to do here; the flag is set */
    }
}

/* SIGUSR1: a drop request for every thread (the eventfd write wakes them all). */
static void on_drop(int sig)
{
    uint64_t one = 1;
    (void)sig;
    abp_drop_gen++;
    if (write(abp_drop_fd, &one, sizeof one) < 0) {
        /* nothing safe to do here; the next drop request wakes the threads again */
    }
}

/* SIGUSR2: asks the main thread to write the stats file (the eventfd write wakes it). */
static void on_stats(int sig)
{
    uint64_t one = 1;
    (void)sig;
    if (write(abp_stats_fd, &one, sizeof one) < 0) {
        /* nothing safe to do here; the file is written at exit anyway */
    }
}

/* Installs the stop, drop and stats handlers and ignores SIGPIPE. 0 or -1. */
static int install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = on_drop;
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = on_stats;
    if (sigaction(SIGUSR2, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

/* Opens the non-blocking listening socket and prints its address. The fd, or -1 (message printed). */
static int listen_open(const abp_config *cfg)
{
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    char name[160];
    int one = 1;
    int fd = socket(cfg->listen_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)&cfg->listen_addr, cfg->listen_len) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
        ab_err(CMD, "cannot listen on %s: %s",
               ab_net_format((const struct sockaddr *)&cfg->listen_addr, cfg->listen_len, name, sizeof name),
               strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    printf("listening on %s\n", ab_net_format((struct sockaddr *)&bound, blen, name, sizeof name));
    fflush(stdout);
    return fd;
}

/* pthread entry: runs one event loop; on failure stops the others. */
static void *thread_main(void *arg)
{
    abp_thread *t = arg;
    if (abp_thread_run(t) != 0) {
        uint64_t one = 1;
        ab_err(CMD, "%s", t->err);
        if (write(t->stop_fd, &one, sizeof one) < 0)
            ab_err(CMD, "cannot signal the other threads: %s", strerror(errno));
        return t;
    }
    return NULL;
}

/* Waits until a stop is requested (or a thread failed), writing the stats file on each SIGUSR2. */
static void supervise(const abp_config *cfg, abp_delay *delay, const char *stats_file)
{
    struct pollfd p[2] = {{abp_stop_fd, POLLIN, 0}, {abp_stats_fd, POLLIN, 0}};
    char err[320];
    for (;;) {
        uint64_t n;
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            ab_err(CMD, "poll: %s", strerror(errno));
            return;
        }
        if (p[0].revents & POLLIN)
            return;
        if ((p[1].revents & POLLIN) && read(abp_stats_fd, &n, sizeof n) == (ssize_t)sizeof n && stats_file != NULL &&
            abp_delay_write(delay, cfg, stats_file, err, sizeof err) != 0)
            ab_err(CMD, "%s", err);
    }
}

/* Starts the threads, supervises them until a stop, waits for them, sums their counters. 0 when
 * all ran cleanly, else -1. */
static int run_threads(abp_thread *ts, unsigned n, abp_counters *sum, const char *stats_file)
{
    pthread_t *ids = calloc(n, sizeof *ids);
    unsigned i, started = 0;
    int rc = 0;
    if (ids == NULL)
        return -1;
    for (i = 0; i < n; i++) {
        if (pthread_create(&ids[i], NULL, thread_main, &ts[i]) != 0) {
            ab_err(CMD, "cannot start thread %u", i);
            on_signal(0);
            rc = -1;
            break;
        }
        started++;
    }
    supervise(ts[0].cfg, ts[0].delay, stats_file);
    for (i = 0; i < started; i++) {
        void *res;
        if (pthread_join(ids[i], &res) != 0 || res != NULL)
            rc = -1;
        sum->accepted += ts[i].counters.accepted;
        sum->upstream_failures += ts[i].counters.upstream_failures;
        sum->bytes_up += ts[i].counters.bytes_up;
        sum->bytes_down += ts[i].counters.bytes_down;
        sum->closed += ts[i].counters.closed;
        sum->dropped += ts[i].counters.dropped;
    }
    free(ids);
    return rc;
}

/* The summary on stderr: connections, bytes, the delay achieved. */
static void print_summary(const abp_counters *sum, abp_delay *d)
{
    fprintf(stderr, "authbench: proxy: stopped%s: %llu connections (%llu upstream failures, %llu reset on "
            "SIGUSR1), %llu bytes client->upstream, %llu bytes upstream->client",
            abp_stop_requested ? "" : " on error", (unsigned long long)sum->accepted,
            (unsigned long long)sum->upstream_failures, (unsigned long long)sum->dropped,
            (unsigned long long)sum->bytes_up, (unsigned long long)sum->bytes_down);
    if (ab_hist_count(d->achieved) > 0)
        fprintf(stderr, "; %llu chunks held %.1f us on average (p99 %.1f us), %.1f us late on average (p99 %.1f us)",
                (unsigned long long)ab_hist_count(d->achieved), ab_hist_mean(d->achieved) / 1e3,
                (double)ab_hist_percentile(d->achieved, 99) / 1e3, ab_hist_mean(d->late) / 1e3,
                (double)ab_hist_percentile(d->late, 99) / 1e3);
    fprintf(stderr, "\n");
}

/* Closes an fd of ours if it is open and marks it closed. */
static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int ab_cmd_proxy(int argc, char **argv)
{
    abp_config cfg;
    abp_counters sum = {0, 0, 0, 0, 0, 0};
    abp_thread *ts = NULL;
    abp_delay delay;
    const char *stats_file = NULL;
    char err[320];
    int lfd = -1, rc = AB_EXIT_FAIL, have_delay;
    unsigned i;
    parse_args(argc, argv, &cfg, &stats_file);
    have_delay = abp_delay_init(&delay) == 0;
    abp_stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    abp_drop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    abp_stats_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!have_delay || abp_stop_fd < 0 || abp_drop_fd < 0 || abp_stats_fd < 0 || install_signals() != 0) {
        ab_err(CMD, "%s", have_delay ? strerror(errno) : "out of memory");
        goto done;
    }
    if ((ts = calloc(cfg.threads, sizeof *ts)) == NULL || (lfd = listen_open(&cfg)) < 0)
        goto done;
    for (i = 0; i < cfg.threads; i++) {
        ts[i] = (abp_thread){.cfg = &cfg, .epfd = -1, .listen_fd = lfd, .stop_fd = abp_stop_fd,
                             .drop_fd = abp_drop_fd, .drop_gen = &abp_drop_gen, .delay = &delay,
                             .rng = {0x9E3779B97F4A7C15ull ^ ((uint64_t)i + 1) * 0xBF58476D1CE4E5B9ull}};
    }
    if (run_threads(ts, cfg.threads, &sum, stats_file) == 0)
        rc = AB_EXIT_OK;
    print_summary(&sum, &delay);
    if (stats_file != NULL && abp_delay_write(&delay, &cfg, stats_file, err, sizeof err) != 0) {
        ab_err(CMD, "%s", err);
        rc = AB_EXIT_FAIL;
    }
done:
    for (i = 0; ts != NULL && i < cfg.threads; i++)
        abp_thread_cleanup(&ts[i]);
    free(ts);
    close_fd(&lfd);
    close_fd(&abp_stop_fd);
    close_fd(&abp_drop_fd);
    close_fd(&abp_stats_fd);
    abp_delay_free(&delay); /* also after a failed init: it frees what there is */
    return rc;
}

/* test_proxy.c — `authbench proxy` against a private redis-server: the configured delay shows in
 * the PING round trip, the stats file reports the delay the chunks got (on SIGUSR2 and at exit), a
 * 0-delay proxy adds no more than its stated hop cost, bytes keep their order under jitter, SIGUSR1
 * resets the relayed connections, SIGTERM stops it, bad usage exits 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ab_proxy.h"
#include "test_load_util.h"

/* Monotonic nanoseconds. */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY and a 5 s receive timeout. */
static int connect_port(int port)
{
    struct sockaddr_in a;
    struct timeval tv = {5, 0};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    return fd;
}

/* Reads exactly n bytes. */
static void read_exact(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
}

/* qsort comparator for uint64_t. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median round trip of n PINGs on one connection to port, in nanoseconds. */
static uint64_t median_ping_ns(int port, int n)
{
    uint64_t rtt[64];
    char buf[8];
    int fd = connect_port(port), i;
    assert_true(n <= 64);
    for (i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        assert_int_equal(write(fd, "PING\r\n", 6), 6);
        read_exact(fd, buf, 7);
        assert_memory_equal(buf, "+PONG\r\n", 7);
        rtt[i] = now_ns() - t0;
    }
    close(fd);
    qsort(rtt, (size_t)n, sizeof rtt[0], cmp_u64);
    return rtt[n / 2];
}

/* Starts the proxy in front of redis with the given delay and jitter; returns its port. */
static int proxy_start(tsupport_proc *p, int upstream_port, const char *delay, const char *jitter)
{
    int port = tsupport_proxy_start(p, tload_bin(), upstream_port, delay, jitter);
    assert_true(port > 0);
    return port;
}

/* What the proxy at proxy_port adds to the median PING round trip to redis at redis_port, in ns:
 * measured up to three times, direct then proxied, until it falls in [lo, hi] (a busy 2-core
 * machine can delay one whole series of PINGs; the bounds themselves are never widened). */
static uint64_t added_round_trip_ns(int redis_port, int proxy_port, uint64_t lo, uint64_t hi)
{
    uint64_t added = 0;
    int attempt;
    for (attempt = 1; attempt <= 3; attempt++) {
        uint64_t direct = median_ping_ns(redis_port, 64), proxied = median_ping_ns(proxy_port, 64);
        added = proxied > direct ? proxied - direct : 0;
        fprintf(stderr, "# PING median: direct %.1f us, through the proxy %.1f us, added %.1f us (expected %.0f-%.0f us)\n",
                (double)direct / 1e3, (double)proxied / 1e3, (double)added / 1e3, (double)lo / 1e3, (double)hi / 1e3);
        if (added >= lo && added <= hi)
            break;
    }
    return added;
}

static void proxy_adds_twice_the_one_way_delay_to_a_redis_round_trip(void **state)
{
    tsupport_redis r;
    tsupport_proc p;
    int port, status;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    port = proxy_start(&p, r.port, "2ms", "0");
    assert_in_range(added_round_trip_ns(r.port, port, 3200000u, 4800000u), 3200000u, 4800000u); /* 2 x 2 ms +-20% */
    status = tsupport_proc_stop(&p);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* SIGTERM stops it cleanly */
    tsupport_redis_stop(&r);
}

/* Starts the proxy in front of redis with --delay delay and --stats-file stats; returns its port. */
static int proxy_start_stats(tsupport_proc *p, int upstream_port, const char *delay, const char *stats)
{
    char up[32];
    char *argv[] = {(char *)tload_bin(), "proxy", "--listen", "127.0.0.1:0", "--upstream", up, "--delay",
                    (char *)delay, "--stats-file", (char *)stats, NULL};
    const char *colon;
    snprintf(up, sizeof up, "127.0.0.1:%d", upstream_port);
    assert_int_equal(tsupport_proc_start(p, argv, "listening on", 10000), 0);
    assert_non_null(colon = strrchr(p->line, ':'));
    return atoi(colon + 1);
}

/* The stats file at path, parsed (waits up to 5 s for it to appear). */
static cJSON *read_stats(const char *path)
{
    char *text = NULL;
    cJSON *j;
    int k;
    for (k = 0; k < 500 && (text = tsupport_read_file(path, NULL)) == NULL; k++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_non_null(text);
    assert_non_null(j = cJSON_Parse(text));
    free(text);
    return j;
}

/* Checks the stats file at path for a proxy at delay_us: at least min_chunks chunks, the achieved mean within [delay - 2 %, delay + 5 ms] (a correctness
 * check, not a timing benchmark: the timer lead may release a chunk a few us early), lateness
 * >= 0, p99 <= max. when: "SIGUSR2" or "exit". */
static void check_stats(const char *path, double delay_us, const char *when, double min_chunks)
{
    cJSON *j = read_stats(path);
    fprintf(stderr, "# delay %.0f us, %s: %.0f chunks, achieved mean %.1f us p99 %.1f us, late mean %.1f us\n",
            delay_us, when, tload_num(j, "chunks"), tload_num(j, "achieved_delay_us.mean"), tload_num(j, "achieved_delay_us.p99"),
            tload_num(j, "lateness_us.mean"));
    assert_true(tload_num(j, "delay_target_us") == delay_us);
    assert_true(tload_num(j, "chunks") >= min_chunks);
    assert_true(tload_num(j, "achieved_delay_us.mean") >= delay_us * 0.98 &&
                tload_num(j, "achieved_delay_us.mean") <= delay_us + 5000);
    assert_true(tload_num(j, "achieved_delay_us.p99") <= tload_num(j, "achieved_delay_us.max"));
    assert_true(tload_num(j, "lateness_us.mean") >= 0 && tload_num(j, "lateness_us.mean") <= 5000);
    cJSON_Delete(j);
    unlink(path);
}

/* PINGs through a proxy at delay with a stats file: the file is written on SIGUSR2 while the
 * proxy runs, and again at exit with the later PINGs too. */
static void check_stats_file_at(double delay_us, const char *delay)
{
    char *dir = tsupport_tmpdir("proxystats"), path[512];
    tsupport_redis r;
    tsupport_proc p;
    int port, status;
    snprintf(path, sizeof path, "%s/stats.json", dir);
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    port = proxy_start_stats(&p, r.port, delay, path);
    median_ping_ns(port, 20);
    assert_int_equal(kill(p.pid, SIGUSR2), 0);
    /* a PING and its PONG each, but the last PONG's release may be recorded just after the file */
    check_stats(path, delay_us, "SIGUSR2", 39);
    median_ping_ns(port, 20);
    status = tsupport_proc_stop(&p);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_stats(path, delay_us, "exit", 80); /* at exit every chunk is in */
    tsupport_redis_stop(&r);
    tsupport_rmtree(dir);
    free(dir);
}

static void stats_file_should_report_the_delay_chunks_got_at_0_and_1ms(void **state)
{
    (void)state;
    check_stats_file_at(0, "0");
    check_stats_file_at(1000, "1ms");
}

/* The hop cost --help states as the bound of a 0-delay proxy on a round trip's median (ab_proxy.h). */
#define HOP_COST_BOUND_NS (AB_PROXY_HOP_COST_US * 1000u)

static void a_0_delay_proxy_should_add_at_most_its_stated_hop_cost_to_the_median_round_trip(void **state)
{
    tsupport_redis r;
    tsupport_proc p;
    int port;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    port = proxy_start(&p, r.port, "0", "0");
    assert_true(added_round_trip_ns(r.port, port, 0, HOP_COST_BOUND_NS) <= HOP_COST_BOUND_NS);
    tsupport_proc_stop(&p);
    tsupport_redis_stop(&r);
}

static void proxy_keeps_byte_order_under_jitter(void **state)
{
    tsupport_redis r;
    tsupport_proc p;
    char cmd[64], want[64], got[64];
    int port, fd, i;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    port = proxy_start(&p, r.port, "500us", "500us");
    fd = connect_port(port);
    for (i = 0; i < 100; i++) { /* separate writes, so separate chunks with different delays */
        struct timespec gap = {0, 20000};
        int n = snprintf(cmd, sizeof cmd, "ECHO %05d\r\n", i);
        assert_int_equal(write(fd, cmd, (size_t)n), n);
        nanosleep(&gap, NULL);
    }
    for (i = 0; i < 100; i++) {
        int n = snprintf(want, sizeof want, "$5\r\n%05d\r\n", i);
        read_exact(fd, got, (size_t)n);
        assert_memory_equal(got, want, (size_t)n);
    }
    close(fd);
    tsupport_proc_stop(&p);
    tsupport_redis_stop(&r);
}

static void sigusr1_should_reset_every_relayed_connection_and_keep_relaying(void **state)
{
    tsupport_redis r;
    tsupport_proc p;
    char buf[16];
    int port, fd[2], i, status;
    (void)state;
    assert_int_equal(tsupport_redis_start(&r, NULL), 0);
    port = proxy_start(&p, r.port, "0", "0");
    for (i = 0; i < 2; i++) { /* two live relayed connections */
        fd[i] = connect_port(port);
        assert_int_equal(write(fd[i], "PING\r\n", 6), 6);
        read_exact(fd[i], buf, 7);
    }
    assert_int_equal(kill(p.pid, SIGUSR1), 0);
    for (i = 0; i < 2; i++) { /* each sees its connection end (a reset), well before the 5 s timeout */
        ssize_t n = read(fd[i], buf, sizeof buf);
        assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
        close(fd[i]);
    }
    fd[0] = connect_port(port); /* and the proxy relays new connections as before */
    assert_int_equal(write(fd[0], "PING\r\n", 6), 6);
    read_exact(fd[0], buf, 7);
    assert_memory_equal(buf, "+PONG\r\n", 7);
    close(fd[0]);
    status = tsupport_proc_stop(&p);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tsupport_redis_stop(&r);
}

/* Runs `authbench proxy` with up to 8 arguments (NULL-terminated); asserts exit 2 and exactly one
 * line on stderr. */
static void expect_usage_error(const char *const *args)
{
    char *argv[12] = {(char *)tload_bin(), "proxy"};
    char *err = NULL;
    int i, rc;
    for (i = 0; args[i] != NULL && i < 8; i++)
        argv[2 + i] = (char *)args[i];
    rc = tload_run(argv, 10000, NULL, &err);
    assert_int_equal(rc, 2);
    assert_int_equal(tload_lines(err), 1);
    assert_non_null(strstr(err, "authbench: proxy:"));
    free(err);
}

static void proxy_bad_usage_exits_2_with_one_line(void **state)
{
    static const char *const cases[][9] = {
        {"--listen", "127.0.0.1:0", "--delay", "1ms", NULL}, /* no --upstream */
        {"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--delay", "soon", NULL},
        {"--listen", "nohostport", "--upstream", "127.0.0.1:1", NULL},
        {"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--delay", "1ms", "--jitter", "2ms", NULL},
        {"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--threads", "0", NULL},
        {"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--bogus", "1", NULL},
        {"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--stats-file", "", NULL},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error(cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proxy_adds_twice_the_one_way_delay_to_a_redis_round_trip),
        cmocka_unit_test(stats_file_should_report_the_delay_chunks_got_at_0_and_1ms),
        cmocka_unit_test(a_0_delay_proxy_should_add_at_most_its_stated_hop_cost_to_the_median_round_trip),
        cmocka_unit_test(proxy_keeps_byte_order_under_jitter),
        cmocka_unit_test(sigusr1_should_reset_every_relayed_connection_and_keep_relaying),
        cmocka_unit_test(proxy_bad_usage_exits_2_with_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* tsupport.c — helpers shared by the test executables (see tsupport.h). */
#include "tsupport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *tsupport_vectors_dir(void)
{
    const char *dir = getenv("AUTHBENCH_VECTORS");
    struct stat st;
    if (dir == NULL || *dir == '\0')
        dir = AUTHBENCH_VECTORS_DEFAULT;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "test vectors not found at %s (set AUTHBENCH_VECTORS): failing, not skipping\n", dir);
        exit(1);
    }
    return dir;
}

char *tsupport_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)n + 1);
    if (buf == NULL)
        goto out;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
out:
    fclose(f);
    return buf;
}

int tsupport_write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ssize_t w;
    if (fd < 0)
        return -1;
    w = write(fd, data, len);
    close(fd);
    return w == (ssize_t)len ? 0 : -1;
}

char *tsupport_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    char *out;
    snprintf(tmpl, sizeof tmpl, "%s/authbench-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (mkdtemp(tmpl) == NULL)
        return NULL;
    out = strdup(tmpl);
    return out;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

void tsupport_rmtree(const char *path)
{
    if (path != NULL)
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int tsupport_free_port(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int port = -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

unsigned char *tsupport_hex(const char *hex, size_t *len)
{
    size_t n = strlen(hex), i;
    unsigned char *out;
    if (n % 2 != 0)
        return NULL;
    out = malloc(n / 2 + 1);
    if (out == NULL)
        return NULL;
    for (i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

static int connect_port(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int tsupport_redis_cmd(const tsupport_redis *r, const char *cmd)
{
    char buf[512];
    int fd = connect_port(r->port);
    ssize_t n;
    if (fd < 0)
        return -1;
    snprintf(buf, sizeof buf, "%s\r\n", cmd);
    n = write(fd, buf, strlen(buf));
    if (n > 0)
        n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 && buf[0] != '-' ? 0 : -1;
}

static int spawn_redis(tsupport_redis *r, const char *const *extra)
{
    const char *argv[64];
    char port[16];
    int i = 0, k;
    snprintf(port, sizeof port, "%d", r->port);
    argv[i++] = "redis-server";
    argv[i++] = "--port"; argv[i++] = port;
    argv[i++] = "--bind"; argv[i++] = "127.0.0.1";
    argv[i++] = "--dir"; argv[i++] = r->dir;
    argv[i++] = "--save"; argv[i++] = "";
    argv[i++] = "--appendonly"; argv[i++] = "no";
    argv[i++] = "--daemonize"; argv[i++] = "no";
    argv[i++] = "--logfile"; argv[i++] = "redis.log";
    for (k = 0; extra != NULL && extra[k] != NULL && i < 62; k++)
        argv[i++] = extra[k];
    argv[i] = NULL;
    r->pid = fork();
    if (r->pid < 0)
        return -1;
    if (r->pid == 0) {
        /* The server must not hold the test's descriptors (a pipe's write end kept open by it would
         * keep the test's reader from ever seeing EOF). */
        for (k = 3; k < 1024; k++)
            close(k);
        /* Nor outlive a test that failed before stopping it: it would hold ctest's output pipe
         * open and turn one failure into a timeout. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
            _exit(127);
        execvp("redis-server", (char *const *)argv);
        fprintf(stderr, "cannot run redis-server: %s (run scripts/setup.sh)\n", strerror(errno));
        _exit(127);
    }
    for (k = 0; k < 500; k++) { /* up to 5 s */
        struct timespec ts = {0, 10 * 1000 * 1000};
        int status, fd;
        if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
            fprintf(stderr, "redis-server exited at start (see %s/redis.log)\n", r->dir);
            r->pid = 0;
            return -1;
        }
        if ((fd = connect_port(r->port)) >= 0) {
            close(fd);
            return 0;
        }
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "redis-server did not answer on port %d\n", r->port);
    return -1;
}

int tsupport_redis_start(tsupport_redis *r, const char *const *extra_args)
{
    memset(r, 0, sizeof *r);
    r->dir = tsupport_tmpdir("redis");
    r->port = tsupport_free_port();
    r->args = extra_args;
    if (r->dir != NULL && r->port >= 0 && spawn_redis(r, extra_args) == 0)
        return 0;
    tsupport_redis_stop(r); /* a half-started server and its directory do not outlive the failure */
    return -1;
}

static void stop_pid(tsupport_redis *r)
{
    int k, status;
    if (r->pid <= 0)
        return;
    kill(r->pid, SIGTERM);
    for (k = 0; k < 500; k++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        if (waitpid(r->pid, &status, WNOHANG) == r->pid)
            break;
        nanosleep(&ts, NULL);
    }
    if (k == 500) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, &status, 0);
    }
    r->pid = 0;
}

int tsupport_redis_restart(tsupport_redis *r)
{
    stop_pid(r);
    return spawn_redis(r, r->args);
}

void tsupport_redis_stop(tsupport_redis *r)
{
    stop_pid(r);
    if (r->dir != NULL) {
        tsupport_rmtree(r->dir);
        free(r->dir);
        r->dir = NULL;
    }
}

/* The monotonic clock in milliseconds. */
static uint64_t mono_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* Reads one line (up to '\n' or EOF, one byte at a time so nothing after it is consumed) into
 * line, truncated to cap-1 bytes. 1 a line, 0 EOF, -1 timeout or error. */
static int read_line(int fd, char *line, size_t cap, uint64_t deadline_ms)
{
    size_t n = 0;
    for (;;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        uint64_t now = mono_ms();
        char c;
        ssize_t r;
        if (now >= deadline_ms)
            return -1;
        r = poll(&pfd, 1, (int)(deadline_ms - now));
        if (r > 0)
            r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || (r == 0 && pfd.revents == 0))
            return -1;
        if (r == 0 && n == 0)
            return 0; /* EOF: line keeps the previous line, for the caller's message */
        if (r == 0 || c == '\n') {
            line[n] = '\0';
            return 1;
        }
        if (n + 1 < cap)
            line[n++] = c;
    }
}

/* Forks and execs argv with stdout on a pipe whose read end goes to p->out_fd. 0 or -1. */
static int spawn_piped(tsupport_proc *p, char *const argv[])
{
    int fds[2];
    pid_t parent = getpid();
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fprintf(stderr, "pipe2: %s\n", strerror(errno));
        return -1;
    }
    p->pid = fork();
    if (p->pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (p->pid == 0) {
        /* a test that fails part-way (cmocka longjmps past its cleanup) must not leave it running */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent || dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    p->out_fd = fds[0];
    return 0;
}

int tsupport_proc_start(tsupport_proc *p, char *const argv[], const char *ready_prefix, int timeout_ms)
{
    uint64_t deadline = mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int r;
    memset(p, 0, sizeof *p);
    p->out_fd = -1;
    if (spawn_piped(p, argv) != 0)
        return -1;
    while ((r = read_line(p->out_fd, p->line, sizeof p->line, deadline)) == 1)
        if (strncmp(p->line, ready_prefix, strlen(ready_prefix)) == 0)
            return 0;
    fprintf(stderr, "%s: %s before printing '%s' (last line: '%s')\n", argv[0],
            r == 0 ? "exited" : "timed out", ready_prefix, p->line);
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &r, 0);
    close(p->out_fd);
    p->pid = 0;
    p->out_fd = -1;
    return -1;
}

int tsupport_proc_stop(tsupport_proc *p)
{
    int k, status = -1;
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    for (k = 0; k < 500; k++) { /* up to 5 s */
        struct timespec ts = {0, 10 * 1000 * 1000};
        if (waitpid(p->pid, &status, WNOHANG) == p->pid)
            break;
        nanosleep(&ts, NULL);
    }
    if (k == 500) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
    }
    if (p->out_fd >= 0)
        close(p->out_fd);
    p->pid = 0;
    p->out_fd = -1;
    return status;
}

/* 1 when buf[0..n) holds a whole reply: a bulk string by its length, anything else by its line. */
static int reply_whole(const char *buf, size_t n)
{
    const char *eol = memmem(buf, n, "\r\n", 2);
    long len;
    if (eol == NULL)
        return 0;
    if (buf[0] != '$')
        return 1;
    len = strtol(buf + 1, NULL, 10);
    return len < 0 || (size_t)(eol + 2 - buf) + (size_t)len + 2 <= n;
}

int tsupport_redis_query(int port, const char *cmd, char *buf, size_t cap)
{
    char line[512];
    uint64_t deadline = mono_ms() + 2000;
    size_t n = 0;
    int fd = connect_port(port), rc = -1;
    if (fd < 0 || cap < 2)
        goto out;
    snprintf(line, sizeof line, "%s\r\n", cmd);
    if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
        goto out;
    while (n + 1 < cap && !reply_whole(buf, n) && mono_ms() < deadline) {
        struct pollfd pfd = {fd, POLLIN, 0};
        ssize_t k = poll(&pfd, 1, 100) > 0 ? read(fd, buf + n, cap - 1 - n) : 0;
        if (k < 0 && errno != EINTR)
            goto out;
        n += k > 0 ? (size_t)k : 0;
        buf[n] = '\0';
    }
    rc = n > 0 && reply_whole(buf, n) ? 0 : -1;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

char *tsupport_cluster_seeds(const tsupport_cluster *c, int n, char *out, size_t len)
{
    size_t used = 0;
    int i;
    out[0] = '\0';
    for (i = 0; i < n && i < TSUPPORT_CLUSTER_NODES && used < len; i++)
        used += (size_t)snprintf(out + used, len - used, "%s127.0.0.1:%d", i ? "," : "", c->nodes[i].port);
    return out;
}

/* Starts node i with cluster mode on and its own bus port (port + 10000 may not exist). 0 or -1. */
static int cluster_node_start(tsupport_cluster *c, int i)
{
    const char **a = c->args[i];
    int bus = tsupport_free_port();
    if (bus < 0)
        return -1;
    snprintf(c->bus_port[i], sizeof c->bus_port[i], "%d", bus);
    a[0] = "--cluster-enabled", a[1] = "yes", a[2] = "--cluster-config-file", a[3] = "nodes.conf";
    a[4] = "--cluster-port", a[5] = c->bus_port[i], a[6] = "--cluster-node-timeout", a[7] = "5000";
    a[8] = "--protected-mode", a[9] = "yes", a[10] = NULL;
    return tsupport_redis_start(&c->nodes[i], a);
}

/* Waits up to timeout_ms for pid; kills it when it takes longer. The exit status, or -1. */
static int wait_child(pid_t pid, int timeout_ms)
{
    uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;
    int status;
    while (waitpid(pid, &status, WNOHANG) != pid) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        if (mono_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        nanosleep(&ts, NULL);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* redis-cli --cluster create over the nodes, its output into the first node's directory. 0 or -1. */
static int cluster_create(const tsupport_cluster *c)
{
    char hp[TSUPPORT_CLUSTER_NODES][32], log[600];
    const char *argv[TSUPPORT_CLUSTER_NODES + 8];
    int i, n = 0, fd;
    pid_t pid;
    snprintf(log, sizeof log, "%s/cluster-create.log", c->nodes[0].dir);
    argv[n++] = "redis-cli", argv[n++] = "--cluster", argv[n++] = "create";
    for (i = 0; i < TSUPPORT_CLUSTER_NODES; i++)
        argv[n++] = hp[i], snprintf(hp[i], sizeof hp[i], "127.0.0.1:%d", c->nodes[i].port);
    argv[n++] = "--cluster-replicas", argv[n++] = "0", argv[n++] = "--cluster-yes", argv[n] = NULL;
    if ((pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        if ((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        for (fd = 3; fd < 1024; fd++)
            close(fd);
        execvp("redis-cli", (char *const *)argv);
        fprintf(stderr, "cannot run redis-cli: %s (run scripts/setup.sh)\n", strerror(errno));
        _exit(127);
    }
    if (wait_child(pid, 30000) == 0)
        return 0;
    fprintf(stderr, "redis-cli --cluster create failed (see %s)\n", log);
    return -1;
}

/* 1 when node i reports cluster_state:ok, every slot assigned and every node known. */
static int cluster_node_ok(const tsupport_cluster *c, int i)
{
    char buf[8192], known[64];
    snprintf(known, sizeof known, "cluster_known_nodes:%d\r\n", TSUPPORT_CLUSTER_NODES);
    return tsupport_redis_query(c->nodes[i].port, "CLUSTER INFO", buf, sizeof buf) == 0 &&
           strstr(buf, "cluster_state:ok") != NULL && strstr(buf, "cluster_slots_assigned:16384") != NULL &&
           strstr(buf, known) != NULL;
}

/* Waits up to 20 s until every node is ok. 0 or -1. */
static int cluster_wait_ok(const tsupport_cluster *c)
{
    int k, i, ok;
    for (k = 0; k < 400; k++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        for (i = 0, ok = 1; i < TSUPPORT_CLUSTER_NODES && ok; i++)
            ok = cluster_node_ok(c, i);
        if (ok)
            return 0;
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "the Redis Cluster did not reach cluster_state:ok in 20 s (see %s/redis.log)\n", c->nodes[0].dir);
    return -1;
}

int tsupport_cluster_start(tsupport_cluster *c)
{
    int i;
    memset(c, 0, sizeof *c);
    for (i = 0; i < TSUPPORT_CLUSTER_NODES; i++)
        if (cluster_node_start(c, i) != 0)
            goto fail;
    if (cluster_create(c) == 0 && cluster_wait_ok(c) == 0)
        return 0;
fail:
    tsupport_cluster_stop(c);
    return -1;
}

void tsupport_cluster_stop(tsupport_cluster *c)
{
    int i;
    for (i = 0; i < TSUPPORT_CLUSTER_NODES; i++)
        tsupport_redis_stop(&c->nodes[i]);
}

int tsupport_proxy_start(tsupport_proc *p, const char *bin, int upstream_port, const char *delay, const char *jitter)
{
    char up[32];
    char *argv[] = {(char *)bin, "proxy", "--listen", "127.0.0.1:0", "--upstream", up, "--delay",
                    (char *)delay, "--jitter", (char *)jitter, NULL};
    const char *colon;
    snprintf(up, sizeof up, "127.0.0.1:%d", upstream_port);
    if (tsupport_proc_start(p, argv, "listening on", 10000) != 0)
        return -1;
    if ((colon = strrchr(p->line, ':')) == NULL) {
        fprintf(stderr, "proxy: no port in its ready line '%s'\n", p->line);
        tsupport_proc_stop(p);
        return -1;
    }
    return atoi(colon + 1);
}

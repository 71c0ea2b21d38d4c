/* tsupport.c — helpers shared by the test executables (see tsupport.h). */
#include "tsupport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    if (r->dir == NULL || r->port < 0)
        return -1;
    r->args = extra_args;
    return spawn_redis(r, extra_args);
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

/* proc.c — child processes of `authbench run`: spawn in a process group, wait for a ready line in
 * the log, stop (TERM, then KILL), and a registry so nothing is left running on Ctrl-C or failure. */
#include "run_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AB_RUN_MAX_CHILDREN 256

volatile sig_atomic_t ab_run_stop_signal = 0;

/* Process groups of the children still running; touched by the signal handler, so plain slots. */
static volatile pid_t children[AB_RUN_MAX_CHILDREN];

/* Records a child's pid (its group id) in the registry. */
static void registry_add(pid_t pid)
{
    size_t i;
    for (i = 0; i < AB_RUN_MAX_CHILDREN; i++)
        if (children[i] == 0) {
            children[i] = pid;
            return;
        }
}

/* Forgets a reaped child. */
static void registry_remove(pid_t pid)
{
    size_t i;
    for (i = 0; i < AB_RUN_MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

/* First stop signal: remember it; the run loop stops what it started. A second one: kill now. */
static void on_stop_signal(int sig)
{
    size_t i;
    if (ab_run_stop_signal == 0) {
        ab_run_stop_signal = sig;
        return;
    }
    for (i = 0; i < AB_RUN_MAX_CHILDREN; i++)
        if (children[i] > 0)
            kill(-children[i], SIGKILL);
    _exit(128 + sig);
}

void ab_run_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int ab_run_sleep_ms(unsigned ms)
{
    uint64_t end = ab_now_us() + (uint64_t)ms * 1000u;
    while (ab_run_stop_signal == 0) {
        uint64_t now = ab_now_us();
        struct timespec ts;
        if (now >= end)
            return 0;
        ts.tv_sec = (time_t)((end - now) / 1000000u);
        ts.tv_nsec = (long)((end - now) % 1000000u) * 1000;
        nanosleep(&ts, NULL);
    }
    return -1;
}

int ab_run_find_program(const char *name, char *path, size_t len)
{
    const char *dirs = getenv("PATH");
    char buf[AB_RUN_PATH_MAX];
    if (strchr(name, '/') != NULL) {
        ab_fmt(path, len, "%s", name);
        return access(name, X_OK) == 0;
    }
    if (dirs == NULL)
        dirs = "/usr/local/bin:/usr/bin:/bin";
    while (*dirs != '\0') {
        size_t n = strcspn(dirs, ":");
        ab_fmt(buf, sizeof buf, "%.*s/%s", (int)n, n ? dirs : ".", name);
        if (access(buf, X_OK) == 0) {
            ab_fmt(path, len, "%s", buf);
            return 1;
        }
        dirs += n + (dirs[n] == ':');
    }
    return 0;
}

int ab_run_free_port(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int port = -1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* In the child: own group, die with the parent, default signals, output to out_fd, then exec. */
static void child_exec(char *const argv[], int out_fd, char *const env[], pid_t parent)
{
    size_t i;
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(127);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
        _exit(127);
    for (i = 0; env != NULL && env[i] != NULL; i++)
        putenv(env[i]);
    execvp(argv[0], argv);
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int ab_run_proc_start(ab_run_proc *p, const char *name, char *const argv[], const char *log_path,
                      char *const env[], char *err, size_t errlen)
{
    pid_t parent = getpid();
    int fd;
    memset(p, 0, sizeof *p);
    ab_fmt(p->name, sizeof p->name, "%s", name);
    ab_fmt(p->log, sizeof p->log, "%s", log_path);
    fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        ab_fmt(err, errlen, "%s: cannot open log %s: %s", name, log_path, strerror(errno));
        return -1;
    }
    p->pid = fork();
    if (p->pid == 0)
        child_exec(argv, fd, env, parent);
    close(fd);
    if (p->pid < 0) {
        ab_fmt(err, errlen, "%s: fork: %s", name, strerror(errno));
        p->pid = 0;
        return -1;
    }
    setpgid(p->pid, p->pid); /* also here, so the group exists before we might signal it */
    registry_add(p->pid);
    return 0;
}

int ab_run_proc_poll(ab_run_proc *p)
{
    pid_t r;
    if (p->pid <= 0)
        return 1;
    r = waitpid(p->pid, &p->status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return 0;
    registry_remove(p->pid);
    p->pid = 0;
    return 1;
}

/* Looks for a line starting with prefix in the log text; copies it to out. 1 found, 0 not. */
static int find_line(const char *text, const char *prefix, char *out, size_t len)
{
    const char *line = text;
    size_t plen = strlen(prefix);
    while (line != NULL && *line != '\0') {
        const char *nl = strchr(line, '\n');
        if (nl == NULL)
            return 0; /* an unfinished line: wait for its end */
        if (strncmp(line, prefix, plen) == 0) {
            ab_fmt(out, len, "%.*s", (int)(nl - line), line);
            return 1;
        }
        line = nl + 1;
    }
    return 0;
}

/* Describes why a child did not get ready: exited (status) or timed out, with the log's tail. */
static void not_ready(ab_run_proc *p, int exited, const char *prefix, char *err, size_t errlen)
{
    char tail[200];
    ab_run_log_tail(p->log, tail, sizeof tail);
    if (exited && WIFEXITED(p->status))
        ab_fmt(err, errlen, "%s exited with status %d before '%s'%s%s", p->name,
                 WEXITSTATUS(p->status), prefix, *tail ? ": " : "", tail);
    else if (exited)
        ab_fmt(err, errlen, "%s died of signal %d before '%s'%s%s", p->name,
                 WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0, prefix, *tail ? ": " : "", tail);
    else
        ab_fmt(err, errlen, "%s did not print '%s' in time%s%s", p->name, prefix,
                 *tail ? "; last line: " : "", tail);
}

int ab_run_proc_wait_ready(ab_run_proc *p, const char *prefix, unsigned timeout_ms, char *err,
                           size_t errlen)
{
    uint64_t end = ab_now_us() + (uint64_t)timeout_ms * 1000u;
    for (;;) {
        char *text = ab_read_file(p->log, 1u << 20, NULL);
        int found = text != NULL && find_line(text, prefix, p->ready, sizeof p->ready);
        free(text);
        if (found)
            return 0;
        if (ab_run_proc_poll(p)) {
            not_ready(p, 1, prefix, err, errlen);
            return -1;
        }
        if (ab_now_us() >= end || ab_run_sleep_ms(10) != 0) {
            if (ab_run_stop_signal != 0)
                ab_fmt(err, errlen, "interrupted");
            else
                not_ready(p, 0, prefix, err, errlen);
            ab_run_proc_stop(p, SIGKILL, 1000);
            return -1;
        }
    }
}

void ab_run_proc_stop(ab_run_proc *p, int sig, unsigned grace_ms)
{
    uint64_t end;
    if (p->pid <= 0)
        return;
    kill(-p->pid, sig);
    end = ab_now_us() + (uint64_t)grace_ms * 1000u;
    while (!ab_run_proc_poll(p)) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        if (ab_now_us() >= end) {
            pid_t pid = p->pid;
            kill(-pid, SIGKILL);
            while (waitpid(pid, &p->status, 0) < 0 && errno == EINTR)
                ;
            registry_remove(pid);
            p->pid = 0;
            return;
        }
        nanosleep(&ts, NULL);
    }
}

void ab_run_proc_kill_all(void)
{
    size_t i;
    for (i = 0; i < AB_RUN_MAX_CHILDREN; i++) {
        pid_t pid = children[i];
        int status;
        if (pid <= 0)
            continue;
        kill(-pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        children[i] = 0;
    }
}

/* Reads what is available on fd into out (appending at *used, keeping a NUL). 0 EOF, 1 more. */
static int drain(int fd, char *out, size_t cap, size_t *used)
{
    char scratch[4096];
    ssize_t n;
    size_t room = *used + 1 < cap ? cap - 1 - *used : 0;
    n = read(fd, room ? out + *used : scratch, room ? room : sizeof scratch);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    if (room)
        *used += (size_t)n;
    out[*used] = '\0';
    return 1;
}

/* Forks argv with stdout on a pipe (stderr to /dev/null). Returns the pid, -1 on error. */
static pid_t spawn_capture(char *const argv[], int *rfd)
{
    int fds[2];
    pid_t pid;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (dup2(fds[1], STDOUT_FILENO) < 0 || devnull < 0 || dup2(devnull, STDERR_FILENO) < 0)
            _exit(127);
        setpgid(0, 0);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    setpgid(pid, pid);
    registry_add(pid);
    *rfd = fds[0];
    return pid;
}

int ab_run_capture(char *const argv[], char *out, size_t cap, unsigned timeout_ms)
{
    uint64_t end = ab_now_us() + (uint64_t)timeout_ms * 1000u;
    size_t used = 0;
    int fd = -1, status = 0, open_pipe = 1;
    pid_t pid = spawn_capture(argv, &fd);
    out[0] = '\0';
    if (pid < 0)
        return -1;
    while (open_pipe && ab_now_us() < end && ab_run_stop_signal == 0) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, 50);
        if (r > 0)
            open_pipe = drain(fd, out, cap, &used);
    }
    close(fd);
    if (open_pipe)
        kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    registry_remove(pid);
    if (open_pipe || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

char *ab_run_log_tail(const char *path, char *buf, size_t len)
{
    size_t n = 0;
    char *text = ab_read_file(path, 8u << 20, &n);
    buf[0] = '\0';
    if (text == NULL)
        return buf;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        text[--n] = '\0';
    if (n > 0) {
        char *start = strrchr(text, '\n');
        ab_fmt(buf, len, "%s", start ? start + 1 : text);
    }
    free(text);
    return buf;
}

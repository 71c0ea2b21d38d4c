/* run_proc.h — bench/run's child processes (proc.c): start, wait for a ready line, poll, stop,
 * capture, the stop signal every wait loop checks; and what every file of bench/run shares (the
 * command name, path lengths). *
 * Prefix: ab_run_ / AB_RUN_. Not a public API: only bench/run/ and tests/run/ include it. */
#ifndef AB_RUN_PROC_H
#define AB_RUN_PROC_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "ab_cli.h"

#define AB_RUN_CMD "run"
#define AB_RUN_PATH_MAX 1024

/* ---- processes (proc.c) ----------------------------------------------------------------------- */

/* Set by the SIGINT/SIGTERM handler to the signal number; every wait loop checks it. */
extern volatile sig_atomic_t ab_run_stop_signal;

/* A child process in its own process group, stdout and stderr appended to a log file. */
typedef struct ab_run_proc {
    pid_t pid;                    /* 0 when not running */
    int status;                   /* waitpid status once reaped */
    char name[48];
    char log[AB_RUN_PATH_MAX];
    char ready[256];              /* the ready line, once seen */
} ab_run_proc;

/* Installs the SIGINT/SIGTERM handlers (a second signal kills every child and exits). */
void ab_run_signals_install(void);
/* Starts argv (argv[0] a path or a name looked up in PATH) with "NAME=value" strings from env
 * (NULL-terminated, may be NULL) added to its environment. 0, or -1 with err. */
int ab_run_proc_start(ab_run_proc *p, const char *name, char *const argv[], const char *log_path,
                      char *const env[], char *err, size_t errlen);
/* Waits until the log holds a line starting with prefix (copied to p->ready), the child exits, the
 * timeout passes or a stop signal arrives. 0, or -1 with err (quoting the log's last line). */
int ab_run_proc_wait_ready(ab_run_proc *p, const char *prefix, unsigned timeout_ms, char *err,
                           size_t errlen);
/* Reaps the child if it has exited: 1 exited (p->status set, p->pid 0), 0 still running. */
int ab_run_proc_poll(ab_run_proc *p);
/* Sends sig to the group, waits up to grace_ms, then SIGKILL; reaps. Safe on a stopped proc. */
void ab_run_proc_stop(ab_run_proc *p, int sig, unsigned grace_ms);
/* SIGKILLs every child group still registered and reaps them (for failure paths and exit). */
void ab_run_proc_kill_all(void);
/* Runs argv to completion (at most timeout_ms) and captures its stdout (NUL-terminated, truncated
 * to cap-1). Returns the exit status (0..255), or -1 when it could not run or timed out. */
int ab_run_capture(char *const argv[], char *out, size_t cap, unsigned timeout_ms);
/* The last non-empty line of a log file into buf ("" when none). Returns buf. */
char *ab_run_log_tail(const char *path, char *buf, size_t len);
/* 1 when name resolves to an executable in PATH (or is an executable path). */
int ab_run_find_program(const char *name, char *path, size_t len);
/* Sleeps ms milliseconds unless a stop signal arrives. 0, or -1 when stopped. */
int ab_run_sleep_ms(unsigned ms);
/* A TCP port on 127.0.0.1 that was free a moment ago, or -1. */
int ab_run_free_port(void);

#endif /* AB_RUN_PROC_H */

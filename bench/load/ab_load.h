/* ab_load.h — the authbench load generator and load balancer: configuration, one run, its results
 * (mergeable histograms, counters, per-second series) as a summary and as JSON. */
#ifndef AB_LOAD_H
#define AB_LOAD_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the balancer picks the server for each request. */
typedef enum ab_load_lb {
    AB_LOAD_LB_RR = 0,     /* round robin, per thread */
    AB_LOAD_LB_RANDOM = 1, /* uniform random */
    AB_LOAD_LB_STICKY = 2  /* user -> server by a hash of the user name */
} ab_load_lb;

typedef struct ab_load_target {
    char name[128]; /* as given: "HOST:PORT" */
    struct sockaddr_storage addr;
    socklen_t addrlen;
} ab_load_target;

typedef struct ab_load_config {
    ab_load_target *targets; /* caller-owned */
    size_t ntargets;
    ab_load_lb lb;
    unsigned connections;  /* simulated clients, in total over all threads */
    unsigned threads;
    uint64_t duration_us;  /* measured window */
    uint64_t warmup_us;    /* run before the window, never counted */
    double rate;           /* requests/s in total; 0 = closed loop */
    unsigned users;
    double zipf_theta;     /* 0 = uniform key distribution */
    double mix_login, mix_request, mix_logout; /* weights */
    char path[256];        /* GET path of a "request", e.g. /api/x */
    uint64_t timeout_us;   /* a request unanswered this long counts as a timeout error */
    uint64_t seed;
    int progress;          /* progress on stderr */
    int fetch_stats;       /* GET /stats from every target before and after the window */
    volatile sig_atomic_t *stop; /* optional: becomes non-zero to end the run early (SIGINT) */
} ab_load_config;

/* Fills the defaults: rr, 10 connections, 2 threads, 10 s, 1 s warm-up, closed loop, 100 users,
 * uniform, request only, /api/x, 2 s timeout, server stats on. Targets left empty. */
void ab_load_config_defaults(ab_load_config *cfg);

typedef struct ab_load_result ab_load_result;

/* Runs the load: checks every target answers, logs every user in, warms up, measures, stops.
 * Returns the results (free with ab_load_result_free), or NULL with a one-line reason in err;
 * *unreachable is set to 1 when the reason is a target that cannot be reached. */
ab_load_result *ab_load_run(const ab_load_config *cfg, int *unreachable, char *err, size_t errlen);
void ab_load_result_free(ab_load_result *r);

/* The human summary, every number with its unit. */
void ab_load_result_print(const ab_load_result *r, FILE *out);
/* The whole result as JSON text (malloc'd; the caller frees it), NULL when out of memory. */
char *ab_load_result_json(const ab_load_result *r);

#ifdef __cplusplus
}
#endif

#endif /* AB_LOAD_H */

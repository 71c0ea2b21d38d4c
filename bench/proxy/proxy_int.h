/* proxy_int.h — internals of `authbench proxy`: configuration, per-thread event loop state, the
 * relay of one client↔upstream connection pair with delayed, order-preserving chunks, and the
 * delay each chunk actually got (shared by the threads, written to the stats file). */
#ifndef ABP_INT_H
#define ABP_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ab_hist.h"
#include "ab_rng.h"
#include "ab_timerq.h"

#define ABP_CHUNK_BYTES 16384u             /* one read() into one chunk */
#define ABP_DIR_MAX_QUEUED (4u << 20)      /* stop reading a side while this much waits to go out */

typedef struct abp_config {
    struct sockaddr_storage listen_addr;
    socklen_t listen_len;
    struct sockaddr_storage upstream_addr;
    socklen_t upstream_len;
    uint64_t delay_ns;  /* one-way delay added to every chunk */
    uint64_t jitter_ns; /* each chunk's delay is uniform in [delay-jitter, delay+jitter] */
    unsigned threads;
} abp_config;

/* Counters of one thread, summed after join. */
typedef struct abp_counters {
    uint64_t accepted;
    uint64_t upstream_failures; /* upstream connect refused or reset before any byte */
    uint64_t bytes_up;          /* client → upstream, delivered */
    uint64_t bytes_down;        /* upstream → client, delivered */
    uint64_t closed;
    uint64_t dropped;           /* pairs reset on a drop request (SIGUSR1) */
} abp_counters;

/* The delay every data chunk got, over the proxy's life: achieved = release (its last byte written
 * to the other side) - arrival (read); lateness = release - deadline (arrival + delay +- jitter, or
 * the previous chunk's deadline when that is later), 0 for a chunk released before its deadline
 * (the timer is armed early by the measured wake-up latency), counted in early. The relay threads
 * record under mu; the main thread snapshots it for the stats file. */
typedef struct abp_delay {
    pthread_mutex_t mu;
    ab_hist *achieved; /* ns */
    ab_hist *late;     /* ns */
    uint64_t early;
} abp_delay;

#define ABP_DELAY_HIGHEST_NS 60000000000ull /* 60 s: a chunk held longer is clamped (and counted) */

/* 0, or -1 when out of memory. */
int abp_delay_init(abp_delay *d);
void abp_delay_free(abp_delay *d);
/* Records one released chunk (monotonic ns). Thread-safe. */
void abp_delay_record(abp_delay *d, uint64_t arrival_ns, uint64_t due_ns, uint64_t release_ns);
/* Writes the stats file (atomically: temporary file, then rename): {"chunks", "delay_target_us",
 * "jitter_us", "achieved_delay_us": {"mean","p50","p99","max"}, "lateness_us": {"mean","p99","max"},
 * "early_chunks"}, the figures null while no chunk was relayed. 0, or -1 with err. */
int abp_delay_write(abp_delay *d, const abp_config *cfg, const char *path, char *err, size_t errlen);

typedef struct abp_chunk abp_chunk;
typedef struct abp_pair abp_pair;

/* One event-loop thread: its epoll, its timer queue, its connection pairs. */
typedef struct abp_thread {
    const abp_config *cfg;
    int epfd; /* -1 until the loop starts */
    int listen_fd;  /* shared by all threads (EPOLLEXCLUSIVE) */
    int stop_fd;    /* eventfd, readable once a stop was requested */
    int drop_fd;    /* eventfd written on each drop request (watched edge-triggered by every thread) */
    const volatile sig_atomic_t *drop_gen; /* drop requests so far */
    sig_atomic_t drop_seen;                /* the last one this thread carried out */
    ab_timerq *timers;
    abp_chunk *free_chunks; /* recycled chunk buffers */
    abp_pair *live;         /* open pairs */
    abp_pair *graveyard;    /* closed pairs, freed after the current epoll batch */
    ab_rng rng;             /* jitter */
    uint64_t lead_ns;       /* timer armed this much early: the measured wake-up latency (EWMA) */
    abp_delay *delay;       /* shared: the delay each chunk got */
    abp_counters counters;
    char err[128];
} abp_thread;

/* Runs one thread's event loop until the stop eventfd fires. Returns 0, or -1 with t->err set. */
int abp_thread_run(abp_thread *t);
/* Frees everything a thread still holds (open pairs are closed). */
void abp_thread_cleanup(abp_thread *t);

#endif /* ABP_INT_H */

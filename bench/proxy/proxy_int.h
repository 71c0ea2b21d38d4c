/* proxy_int.h — internals of `authbench proxy`: configuration, per-thread event loop state, and the
 * relay of one client↔upstream connection pair with delayed, order-preserving chunks. */
#ifndef ABP_INT_H
#define ABP_INT_H

#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

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
    abp_counters counters;
    char err[128];
} abp_thread;

/* Runs one thread's event loop until the stop eventfd fires. Returns 0, or -1 with t->err set. */
int abp_thread_run(abp_thread *t);
/* Frees everything a thread still holds (open pairs are closed). */
void abp_thread_cleanup(abp_thread *t);

#endif /* ABP_INT_H */

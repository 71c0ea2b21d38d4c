/* ab_timerq.h — a deadline queue (binary min-heap) driven by one timerfd on CLOCK_MONOTONIC with
 * absolute deadlines, for sub-millisecond timing inside an epoll loop (the proxy's delayed chunks,
 * the load generator's open-loop send times). Not thread-safe: one queue per event-loop thread. */
#ifndef AB_TIMERQ_H
#define AB_TIMERQ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ab_timerq ab_timerq;

/* A timer embedded in the caller's object (find the object back with offsetof). Zero-initialise
 * it; `pos` is 0 while the timer is not queued. */
typedef struct ab_timer {
    uint64_t due_ns; /* absolute deadline on ab_now_ns()'s clock */
    size_t pos;      /* heap index + 1 while queued, else 0 (owned by the queue) */
} ab_timer;

/* A new queue with its timerfd (non-blocking, close-on-exec). NULL with errno set on failure. */
ab_timerq *ab_timerq_new(void);
/* Closes the timerfd and frees the queue (not the timers it holds). Accepts NULL. */
void ab_timerq_free(ab_timerq *q);
/* The timerfd to watch for EPOLLIN. */
int ab_timerq_fd(const ab_timerq *q);
/* Queues t for due_ns (re-queues it when already queued). 0, or -1 when out of memory. */
int ab_timerq_add(ab_timerq *q, ab_timer *t, uint64_t due_ns);
/* Removes t if it is queued; a no-op otherwise. */
void ab_timerq_remove(ab_timerq *q, ab_timer *t);
/* Removes and returns the earliest timer whose deadline is <= now_ns, or NULL. */
ab_timer *ab_timerq_pop_due(ab_timerq *q, uint64_t now_ns);
/* The earliest deadline, or UINT64_MAX when empty. */
uint64_t ab_timerq_next(const ab_timerq *q);
/* Call when the timerfd is readable: drains its expiry count and sets *armed_ns (may be NULL) to
 * the time the timerfd was armed for (0 if it was not armed), so the caller can measure how late
 * the wake-up came. 0, or -1 with errno set. */
int ab_timerq_ack(ab_timerq *q, uint64_t *armed_ns);
/* Arms the timerfd lead_ns before the earliest deadline (disarms when empty); a no-op when already
 * armed for that time. lead_ns compensates the wake-up latency the caller measured (0 for none).
 * Call after every batch of adds/pops. 0, or -1 with errno set. */
int ab_timerq_arm(ab_timerq *q, uint64_t lead_ns);
size_t ab_timerq_size(const ab_timerq *q);

#ifdef __cplusplus
}
#endif

#endif /* AB_TIMERQ_H */

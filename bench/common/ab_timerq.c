/* ab_timerq.c — binary min-heap of embedded timers plus one absolute-deadline timerfd. */
#include "ab_timerq.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct ab_timerq {
    ab_timer **heap;
    size_t len;
    size_t cap;
    int fd;
    uint64_t armed_ns; /* deadline the timerfd is set for, 0 when disarmed or expired */
};

ab_timerq *ab_timerq_new(void)
{
    ab_timerq *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (q->fd < 0) {
        free(q);
        return NULL;
    }
    return q;
}

void ab_timerq_free(ab_timerq *q)
{
    if (q == NULL)
        return;
    close(q->fd);
    free(q->heap);
    free(q);
}

int ab_timerq_fd(const ab_timerq *q)
{
    return q->fd;
}

size_t ab_timerq_size(const ab_timerq *q)
{
    return q->len;
}

uint64_t ab_timerq_next(const ab_timerq *q)
{
    return q->len ? q->heap[0]->due_ns : UINT64_MAX;
}

/* Puts t at heap index i and records the index in the timer. */
static void place(ab_timerq *q, size_t i, ab_timer *t)
{
    q->heap[i] = t;
    t->pos = i + 1;
}

/* Moves the timer at index i towards the root while it is earlier than its parent. */
static void sift_up(ab_timerq *q, size_t i)
{
    ab_timer *t = q->heap[i];
    while (i > 0 && q->heap[(i - 1) / 2]->due_ns > t->due_ns) {
        place(q, i, q->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    place(q, i, t);
}

/* Moves the timer at index i towards the leaves while a child is earlier. */
static void sift_down(ab_timerq *q, size_t i)
{
    ab_timer *t = q->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->len)
            break;
        if (c + 1 < q->len && q->heap[c + 1]->due_ns < q->heap[c]->due_ns)
            c++;
        if (q->heap[c]->due_ns >= t->due_ns)
            break;
        place(q, i, q->heap[c]);
        i = c;
    }
    place(q, i, t);
}

int ab_timerq_add(ab_timerq *q, ab_timer *t, uint64_t due_ns)
{
    if (t->pos != 0)
        ab_timerq_remove(q, t);
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        ab_timer **heap = realloc(q->heap, cap * sizeof *heap);
        if (heap == NULL)
            return -1;
        q->heap = heap;
        q->cap = cap;
    }
    t->due_ns = due_ns;
    place(q, q->len++, t);
    sift_up(q, q->len - 1);
    return 0;
}

void ab_timerq_remove(ab_timerq *q, ab_timer *t)
{
    size_t i;
    ab_timer *last;
    if (t->pos == 0)
        return;
    i = t->pos - 1;
    t->pos = 0;
    last = q->heap[--q->len];
    if (i == q->len)
        return;
    place(q, i, last);
    sift_down(q, i);
    sift_up(q, last->pos - 1);
}

ab_timer *ab_timerq_pop_due(ab_timerq *q, uint64_t now_ns)
{
    ab_timer *t;
    if (q->len == 0 || q->heap[0]->due_ns > now_ns)
        return NULL;
    t = q->heap[0];
    ab_timerq_remove(q, t);
    return t;
}

int ab_timerq_ack(ab_timerq *q, uint64_t *armed_ns)
{
    uint64_t ticks;
    if (armed_ns != NULL)
        *armed_ns = q->armed_ns;
    q->armed_ns = 0;
    if (read(q->fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
        return -1;
    return 0;
}

int ab_timerq_arm(ab_timerq *q, uint64_t lead_ns)
{
    struct itimerspec its = {{0, 0}, {0, 0}};
    uint64_t due = q->len ? q->heap[0]->due_ns : 0;
    due = due > lead_ns ? due - lead_ns : due;
    if (due == 0 && q->len)
        due = 1; /* an all-zero it_value would disarm */
    if (due == q->armed_ns)
        return 0;
    its.it_value.tv_sec = (time_t)(due / 1000000000u);
    its.it_value.tv_nsec = (long)(due % 1000000000u);
    if (timerfd_settime(q->fd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
        return -1;
    q->armed_ns = due;
    return 0;
}

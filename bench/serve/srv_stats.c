/* srv_stats.c — the GET /stats document: every thread's counters merged (each thread publishing
 * its own when a /stats asks), process CPU from getrusage, I/O from /proc/self/io. Appends go to an
 * ab_buf whose failure sticks: checked once. */
#include "srv.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ab_cli.h"

/* Appends s as a JSON string (quotes, backslashes and control characters escaped). */
static void put_json_str(ab_buf *b, const char *s)
{
    ab_buf_printf(b, "\"");
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            ab_buf_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            ab_buf_printf(b, "\\u%04x", ch);
        else
            ab_buf_printf(b, "%c", ch);
    }
    ab_buf_printf(b, "\"");
}

/* acc += x over the counter list and the 401 reasons. */
static void srv_counters_add(srv_counters *acc, const srv_counters *x)
{
    size_t i;
#define ADD_(name, key, desc) acc->name += x->name;
    SRV_COUNTERS(ADD_)
#undef ADD_
    for (i = 0; i < AB_MECH_STATUS__COUNT; i++)
        acc->fail_by_reason[i] += x->fail_by_reason[i];
}

/* ---- publication: each thread's counters copied for the /stats of the others ---------------
 *
 * A thread publishes when a /stats asked it to (srv_stats_ask bumps s->pub_asked and wakes every
 * other thread), at the end of its turn, after that turn's responses were sent; the /stats waits,
 * pending, until every other thread has (srv_stats_published). So a /stats includes every response
 * a client saw before sending it, whichever thread sent that response, and an ordinary request
 * costs no publication at all: copying the counters under a lock before each response left was
 * ~150 instructions and two locked operations per request. */

/* Copies t's counters (its own and its mechanism handle's) where the other threads read them. */
static void publish(srv_thread *t)
{
    pthread_mutex_lock(&t->pub_lock);
    t->pub = t->live;
    ab_mech_ctx_counters(t->mech, &t->pub_mech);
    pthread_mutex_unlock(&t->pub_lock);
}

void srv_stats_publish_asked(srv_thread *t)
{
    uint64_t asked = atomic_load_explicit(&t->s->pub_asked, memory_order_acquire);
    if (asked == t->pub_seen)
        return;
    publish(t);
    t->pub_seen = asked;
    atomic_store_explicit(&t->pub_gen, asked, memory_order_release);
}

uint64_t srv_stats_ask(srv_thread *self)
{
    srv *s = self->s;
    uint64_t gen, one = 1;
    int i;
    if (s->nthreads < 2)
        return 0;
    gen = atomic_fetch_add_explicit(&s->pub_asked, 1, memory_order_acq_rel) + 1;
    for (i = 0; i < s->nthreads; i++) /* the done eventfd wakes a thread asleep in epoll_wait */
        if (&s->threads[i] != self && write(s->threads[i].done_fd, &one, sizeof one) != (ssize_t)sizeof one)
            ab_err("serve", "thread %d: eventfd write: %s", i, strerror(errno));
    return gen;
}

int srv_stats_published(const srv_thread *self, uint64_t gen)
{
    const srv *s = self->s;
    int i;
    for (i = 0; i < s->nthreads; i++)
        if (&s->threads[i] != self && atomic_load_explicit(&s->threads[i].pub_gen, memory_order_acquire) < gen)
            return 0;
    return 1;
}

/* Sums every thread's counters: self's live ones, the others' last publication. */
static void merge(srv_thread *self, srv_counters *sum, ab_mech_counters *mech)
{
    srv *s = self->s;
    int i;
    memset(sum, 0, sizeof *sum);
    memset(mech, 0, sizeof *mech);
    for (i = 0; i < s->nthreads; i++) {
        srv_thread *t = &s->threads[i];
        srv_counters c;
        ab_mech_counters m;
        if (t == self) {
            c = t->live;
            ab_mech_ctx_counters(t->mech, &m);
        } else {
            pthread_mutex_lock(&t->pub_lock);
            c = t->pub;
            m = t->pub_mech;
            pthread_mutex_unlock(&t->pub_lock);
        }
        srv_counters_add(sum, &c);
        ab_mech_counters_add(mech, &m);
    }
    srv_pool_counters(s, mech); /* the pool model's workers hold the mechanism handles */
}

/* The 401 reasons, in the order /stats lists them. */
static const int fail_reasons[] = {
    AB_MECH_MISSING, AB_MECH_MALFORMED, AB_MECH_BAD_SIGNATURE, AB_MECH_EXPIRED,
    AB_MECH_INVALID_CLAIMS, AB_MECH_REVOKED, AB_MECH_UNKNOWN_SESSION,
};

/* Appends "name":value pairs separated by commas. */
static void put_fields(ab_buf *b, const char *const *names, const uint64_t *vals, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        ab_buf_printf(b, "%s\"%s\":%llu", i ? "," : "", names[i], (unsigned long long)vals[i]);
}

/* The server's counters with a /stats key: the key and where the counter is in srv_counters. */
static const struct {
    const char *key;
    size_t off;
} listed[] = {
#define ROW_(name, key, desc) {key, offsetof(srv_counters, name)},
    SRV_COUNTERS(ROW_)
#undef ROW_
};

/* Appends "key":value, for every counter of the list that has a key. */
static void put_listed(ab_buf *b, const srv_counters *c)
{
    uint64_t v;
    size_t i;
    for (i = 0; i < sizeof listed / sizeof listed[0]; i++)
        if (listed[i].key != NULL) {
            memcpy(&v, (const char *)c + listed[i].off, sizeof v);
            ab_buf_printf(b, "\"%s\":%llu,", listed[i].key, (unsigned long long)v);
        }
}

/* The request counters: the listed ones, the 401s by reason, the connections open. */
static void put_requests(ab_buf *b, const srv_counters *c)
{
    size_t i;
    put_listed(b, c);
    ab_buf_printf(b, "\"auth_fail_by_reason\":{");
    for (i = 0; i < sizeof fail_reasons / sizeof fail_reasons[0]; i++)
        ab_buf_printf(b, "%s\"%s\":%llu", i ? "," : "", ab_mech_status_name(fail_reasons[i]),
                  (unsigned long long)c->fail_by_reason[fail_reasons[i]]);
    ab_buf_printf(b, "},\"connections_open\":%llu,", (unsigned long long)(c->accepted - c->closed));
}

/* The mechanism's own counters, under their names. */
static void put_mech(ab_buf *b, const ab_mech_counters *m)
{
#define PUT_(name, desc) ab_buf_printf(b, "\"%s\":%llu,", #name, (unsigned long long)m->name);
    AB_MECH_COUNTERS(PUT_)
#undef PUT_
}

/* The mechanism's process-wide figures (AB_MECH_SHARED: the pushed denylist's subscriber). */
static void put_mech_shared(ab_buf *b, const ab_mech *mech)
{
    ab_mech_shared_counters sh;
    ab_mech_shared(mech, &sh);
#define PUT_(name, desc) ab_buf_printf(b, "\"%s\":%llu,", #name, (unsigned long long)sh.name);
    AB_MECH_SHARED(PUT_)
#undef PUT_
}

/* Microseconds of a timeval. */
static uint64_t tv_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Process CPU (getrusage), and the CPU inside authenticate: the timed calls less as many empty
 * clock pairs (CLOCK_THREAD_CPUTIME_ID is a system call here, ~0.5 us, more than "none" costs),
 * scaled from the 1-in-SRV_AUTH_SAMPLE sample to every call. */
static void put_cpu(ab_buf *b, const srv_counters *c)
{
    static const char *const names[] = {"cpu_user_us", "cpu_sys_us", "auth_cpu_ns",
        "auth_cpu_sampled_1_in", "auth_cpu_clock_cost_ns"};
    uint64_t net = c->auth_cpu_gross_ns > c->auth_clock_ns ? c->auth_cpu_gross_ns - c->auth_clock_ns : 0;
    struct rusage ru;
    uint64_t vals[] = {0, 0, net * SRV_AUTH_SAMPLE, SRV_AUTH_SAMPLE,
                       c->auth_samples ? c->auth_clock_ns / c->auth_samples : 0};
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        vals[0] = tv_us(ru.ru_utime);
        vals[1] = tv_us(ru.ru_stime);
    }
    put_fields(b, names, vals, sizeof vals / sizeof vals[0]);
    ab_buf_printf(b, ",");
}

/* The store I/O of every thread's connection, one key per counter of SSTORE_COUNTERS. */
static void put_store(ab_buf *b, const ab_mech_store_io *s)
{
    const char *sep = "";
    ab_buf_printf(b, "\"store\":{");
#define PUT_(name, figure, desc) \
    ab_buf_printf(b, "%s\"%s\":%llu", sep, #name, (unsigned long long)s->name); \
    sep = ",";
    SSTORE_COUNTERS(PUT_)
#undef PUT_
    ab_buf_printf(b, "},");
}

/* /proc/self/io as an object, or null where the kernel does not offer it. */
static void put_proc_io(ab_buf *b)
{
    static const char *const keys[] = {"rchar", "wchar", "syscr", "syscw", "read_bytes", "write_bytes"};
    uint64_t v[6] = {0};
    char name[32];
    unsigned long long val;
    size_t i, found = 0;
    FILE *f = fopen("/proc/self/io", "r");
    if (f == NULL) {
        ab_buf_printf(b, "\"proc_io\":null");
        return;
    }
    while (fscanf(f, "%31[^:]: %llu\n", name, &val) == 2)
        for (i = 0; i < 6; i++)
            if (strcmp(name, keys[i]) == 0) {
                v[i] = val;
                found++;
            }
    fclose(f);
    if (found == 0) {
        ab_buf_printf(b, "\"proc_io\":null");
        return;
    }
    ab_buf_printf(b, "\"proc_io\":{");
    put_fields(b, keys, v, 6);
    ab_buf_printf(b, "}");
}

int srv_stats_json(srv_thread *self, ab_buf *b)
{
    srv_counters c;
    ab_mech_counters m;
    srv *s = self->s;
    merge(self, &c, &m);
    ab_buf_printf(b, "{\"mechanism\":");
    put_json_str(b, ab_mech_spec(s->mech));
    ab_buf_printf(b, ",\"family\":\"%s\",\"kind\":\"%s\",\"model\":\"%s\",\"workers\":%d,\"pid\":%ld,"
                  "\"threads\":%d,\"uptime_ms\":%llu,", ab_mech_family(s->mech), ab_mech_kind_name(s->kind),
                  srv_model_name(s->model), s->nworkers, (long)getpid(), s->nthreads,
              (unsigned long long)((ab_now_us() - s->start_us) / 1000u));
    put_requests(b, &c);
    put_mech(b, &m);
    put_mech_shared(b, s->mech);
    put_cpu(b, &c);
    put_store(b, &m.store);
    put_proc_io(b);
    ab_buf_printf(b, "}");
    return b->failed ? -1 : 0;
}

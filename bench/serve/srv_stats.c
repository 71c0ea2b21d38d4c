/* srv_stats.c — the GET /stats document: every thread's counters merged, process CPU from
 * getrusage, I/O from /proc/self/io. */
#include "srv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ab_cli.h"

/* A bounded text buffer; overflow is remembered, not fatal. */
typedef struct sbuf {
    char *p;
    size_t cap, len;
    int overflow;
} sbuf;

/* Appends formatted text. */
__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (b->overflow)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len)
        b->overflow = 1;
    else
        b->len += (size_t)n;
}

/* Appends s as a JSON string (quotes, backslashes and control characters escaped). */
static void sb_json_str(sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            sb_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            sb_printf(b, "\\u%04x", ch);
        else
            sb_printf(b, "%c", ch);
    }
    sb_printf(b, "\"");
}

/* Adds arrays of n uint64_t counters. */
static void add_u64s(uint64_t *acc, const uint64_t *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        acc[i] += x[i];
}

/* Sums every thread's counters: self's live ones, the others' last publication. */
static void merge(srv_thread *self, srv_counters *sum, ab_mech_counters *mech)
{
    srv *s = self->s;
    int i;
    _Static_assert(sizeof(srv_counters) % sizeof(uint64_t) == 0, "counters are all uint64_t");
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
        add_u64s((uint64_t *)(void *)sum, (const uint64_t *)(const void *)&c,
                 sizeof c / sizeof(uint64_t));
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
static void sb_fields(sbuf *b, const char *const *names, const uint64_t *vals, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        sb_printf(b, "%s\"%s\":%llu", i ? "," : "", names[i], (unsigned long long)vals[i]);
}

/* The request counters. */
static void put_requests(sbuf *b, const srv_counters *c)
{
    static const char *const names[] = {"store_errors", "internal_errors", "logins", "logouts",
        "bad_requests", "bytes_in", "bytes_out", "connections_accepted", "connections_open"};
    const uint64_t vals[] = {c->store_errors, c->internal_errors, c->logins, c->logouts,
        c->bad_requests, c->bytes_in, c->bytes_out, c->accepted, c->accepted - c->closed};
    size_t i;
    sb_printf(b, "\"requests\":%llu,\"auth_ok\":%llu,\"auth_fail\":%llu,\"auth_fail_by_reason\":{",
              (unsigned long long)c->requests, (unsigned long long)c->auth_ok,
              (unsigned long long)c->auth_fail);
    for (i = 0; i < sizeof fail_reasons / sizeof fail_reasons[0]; i++)
        sb_printf(b, "%s\"%s\":%llu", i ? "," : "", ab_mech_status_name(fail_reasons[i]),
                  (unsigned long long)c->fail_by_reason[fail_reasons[i]]);
    sb_printf(b, "},");
    sb_fields(b, names, vals, sizeof vals / sizeof vals[0]);
    sb_printf(b, ",");
}

/* Microseconds of a timeval. */
static uint64_t tv_us(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Process CPU (getrusage), and the CPU inside authenticate: the timed calls less as many empty
 * clock pairs (CLOCK_THREAD_CPUTIME_ID is a system call here, ~0.5 us, more than "none" costs),
 * scaled from the 1-in-SRV_AUTH_SAMPLE sample to every call. */
static void put_cpu(sbuf *b, const srv_counters *c, const ab_mech_counters *m)
{
    static const char *const names[] = {"cpu_user_us", "cpu_sys_us", "auth_cpu_ns",
        "auth_cpu_sampled_1_in", "auth_cpu_samples", "auth_cpu_clock_cost_ns", "auth_calls",
        "signatures", "verifications"};
    uint64_t net = c->auth_cpu_gross_ns > c->auth_clock_ns ? c->auth_cpu_gross_ns - c->auth_clock_ns : 0;
    struct rusage ru;
    uint64_t vals[] = {0, 0, net * SRV_AUTH_SAMPLE, SRV_AUTH_SAMPLE, c->auth_samples,
                       c->auth_samples ? c->auth_clock_ns / c->auth_samples : 0, c->auth_calls,
                       m->signatures, m->verifications};
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        vals[0] = tv_us(ru.ru_utime);
        vals[1] = tv_us(ru.ru_stime);
    }
    sb_fields(b, names, vals, sizeof vals / sizeof vals[0]);
    sb_printf(b, ",");
}

/* The store I/O of every thread's connection (ab_mech_store_io is all uint64_t, in this order). */
static void put_store(sbuf *b, const ab_mech_store_io *s)
{
    static const char *const names[] = {"ops", "errors", "round_trips", "net_bytes_out",
        "net_bytes_in", "disk_bytes_read", "disk_bytes_written", "fsyncs", "syscalls", "reconnects",
        "redirects"};
    _Static_assert(sizeof names / sizeof names[0] == sizeof *s / sizeof(uint64_t), "one name a field");
    sb_printf(b, "\"store\":{");
    sb_fields(b, names, (const uint64_t *)(const void *)s, sizeof names / sizeof names[0]);
    sb_printf(b, "},");
}

/* /proc/self/io as an object, or null where the kernel does not offer it. */
static void put_proc_io(sbuf *b)
{
    static const char *const keys[] = {"rchar", "wchar", "syscr", "syscw", "read_bytes", "write_bytes"};
    uint64_t v[6] = {0};
    char name[32];
    unsigned long long val;
    size_t i, found = 0;
    FILE *f = fopen("/proc/self/io", "r");
    if (f == NULL) {
        sb_printf(b, "\"proc_io\":null");
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
        sb_printf(b, "\"proc_io\":null");
        return;
    }
    sb_printf(b, "\"proc_io\":{");
    sb_fields(b, keys, v, 6);
    sb_printf(b, "}");
}

size_t srv_stats_json(srv_thread *self, char *buf, size_t cap)
{
    sbuf b = {buf, cap, 0, 0};
    srv_counters c;
    ab_mech_counters m;
    srv *s = self->s;
    merge(self, &c, &m);
    sb_printf(&b, "{\"mechanism\":");
    sb_json_str(&b, ab_mech_spec(s->mech));
    sb_printf(&b, ",\"family\":\"%s\",\"kind\":\"%s\",\"model\":\"%s\",\"workers\":%d,\"pid\":%ld,"
              "\"threads\":%d,\"uptime_ms\":%llu,", ab_mech_family(s->mech), ab_mech_kind_name(s->kind),
              srv_model_name(s->model), s->nworkers, (long)getpid(), s->nthreads,
              (unsigned long long)((ab_now_us() - s->start_us) / 1000u));
    put_requests(&b, &c);
    put_cpu(&b, &c, &m);
    put_store(&b, &m.store);
    put_proc_io(&b);
    sb_printf(&b, "}");
    return b.overflow ? 0 : b.len;
}

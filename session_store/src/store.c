/* store.c — the public API: URI dispatch to the backend table, argument checks, counters, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"
#include "sstore_int.h"

#define CREATE_TRIES 4 /* fresh ids tried when one collides (2^-128 odds: one retry is plenty) */

/* The backends, picked by URI scheme. */
static const sstore_backend_ops *const backends[] = {
    &sstore_memory_backend,
    &sstore_redis_backend,
    &sstore_cluster_backend,
    &sstore_file_backend,
    &sstore_postgres_backend,
    &sstore_memcached_backend,
};
#define NBACKENDS (sizeof backends / sizeof backends[0])

static const char *const status_names[SSTORE_STATUS__COUNT] = {
    "ok", "not_found", "exists", "arg", "io", "timeout", "auth", "corrupt", "full", "nomem", "protocol", "closed",
};

const char *sstore_status_name(sstore_status st)
{
    return (unsigned)st < SSTORE_STATUS__COUNT ? status_names[st] : "unknown";
}

/* Writes status st and the formatted message into a handle's error fields. Returns st. */
static int set_err(int *err, char *errstr, int st, const char *fmt, va_list ap)
{
    *err = st;
    vsnprintf(errstr, SSTORE_ERRSTR_LEN, fmt, ap);
    return st;
}

int sstore_set_err(sstore *s, int st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_err(&s->err, s->errstr, st, fmt, ap);
    va_end(ap);
    return st;
}

int sstore_conn_set_err(sstore_conn *c, int st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_err(&c->err, c->errstr, st, fmt, ap);
    va_end(ap);
    return st;
}

int64_t sstore_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sstore_buf_reserve(char **buf, size_t *cap, size_t need)
{
    size_t ncap = *cap ? *cap : 256;
    char *nbuf;
    if (need <= *cap)
        return 0;
    while (ncap < need)
        ncap *= 2;
    if ((nbuf = realloc(*buf, ncap)) == NULL)
        return -1;
    *buf = nbuf;
    *cap = ncap;
    return 0;
}

/* The backend for a URI scheme, or NULL. */
static const sstore_backend_ops *find_backend(const char *scheme)
{
    size_t i;
    for (i = 0; i < NBACKENDS; i++)
        if (strcmp(backends[i]->scheme, scheme) == 0)
            return backends[i];
    return NULL;
}

/* Parses the URI, picks the backend and opens it; errors land in s. */
static void open_uri(sstore *s, const char *uri)
{
    char err[SSTORE_ERRSTR_LEN];
    sstore_uri u;
    if (sstore_uri_parse(uri, &u, err, sizeof err) != 0) {
        sstore_set_err(s, SSTORE_ERR_ARG, "%s", err);
        return;
    }
    s->be = find_backend(u.scheme);
    if (s->be == NULL)
        sstore_set_err(s, SSTORE_ERR_ARG, "unknown store scheme '%s://' (known: memory://, redis://, redis-cluster://, file://, postgres://, memcached://)", u.scheme);
    else if (s->be->open(s, &u) == SSTORE_OK && sstore_uri_check_unused(&u, err, sizeof err) != 0)
        sstore_set_err(s, SSTORE_ERR_ARG, "%s", err);
    sstore_uri_free(&u);
}

sstore *sstore_open(const char *uri)
{
    sstore *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    open_uri(s, uri);
    return s;
}

void sstore_close(sstore *st)
{
    if (st == NULL)
        return;
    if (st->be != NULL)
        st->be->close(st);
    free(st);
}

int sstore_err(const sstore *st)
{
    return st->err;
}

const char *sstore_errstr(const sstore *st)
{
    return st->err ? st->errstr : "";
}

const char *sstore_backend(const sstore *st)
{
    return st->be != NULL ? st->be->name : "none";
}

sstore_conn *sstore_connect(sstore *st)
{
    sstore_conn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->st = st;
    if (st->err != SSTORE_OK) {
        sstore_conn_set_err(c, st->err, "store not open: %s", st->errstr);
        return c;
    }
    if (st->be->conn_open(c) == SSTORE_ERR_NOMEM && c->impl == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void sstore_conn_free(sstore_conn *c)
{
    if (c == NULL)
        return;
    if (c->impl != NULL)
        c->st->be->conn_close(c);
    free(c->batch_buf);
    free(c);
}

int sstore_conn_err(const sstore_conn *c)
{
    return c->err;
}

const char *sstore_conn_errstr(const sstore_conn *c)
{
    return c->err ? c->errstr : "";
}

/* Starts an operation: clears the last error, counts it, refuses a connection without a store. */
static int op_begin(sstore_conn *c, size_t nops)
{
    c->err = SSTORE_OK;
    c->errstr[0] = '\0';
    c->ctr.ops += nops;
    if (c->impl == NULL)
        return sstore_conn_set_err(c, c->st->err ? c->st->err : SSTORE_ERR_ARG, "store not open: %s",
                                   c->st->err ? c->st->errstr : "no backend");
    return SSTORE_OK;
}

/* Ends an operation: counts an error status. Returns st. */
static int op_end(sstore_conn *c, int st)
{
    if (st != SSTORE_OK && st != SSTORE_NOT_FOUND && st != SSTORE_EXISTS)
        c->ctr.errors++;
    return st;
}

/* (sstore_int.h) Checks an id and returns SSTORE_OK or an ARG error set on c. */
int sstore_check_id(sstore_conn *c, const char *id)
{
    if (!sstore_id_valid(id))
        return sstore_conn_set_err(c, SSTORE_ERR_ARG, "bad session id: expected 1..%d characters of [A-Za-z0-9_-]",
                                   SSTORE_KEY_MAX);
    return SSTORE_OK;
}

/* Checks a TTL in seconds and returns SSTORE_OK or an ARG error set on c. */
int sstore_check_ttl(sstore_conn *c, int64_t ttl_s)
{
    if (ttl_s < 1 || ttl_s > SSTORE_TTL_MAX)
        return sstore_conn_set_err(c, SSTORE_ERR_ARG, "bad ttl %lld s: expected 1..%d", (long long)ttl_s, SSTORE_TTL_MAX);
    return SSTORE_OK;
}

/* Checks claims (a JSON object, not too large) and returns SSTORE_OK or an ARG error set on c. */
int sstore_check_claims(sstore_conn *c, const char *claims, size_t len)
{
    char err[160];
    if (claims == NULL || len > SSTORE_CLAIMS_MAX)
        return sstore_conn_set_err(c, SSTORE_ERR_ARG, "claims missing or larger than %d bytes", SSTORE_CLAIMS_MAX);
    if (sstore_claims_check(claims, len, err, sizeof err) != 0)
        return sstore_conn_set_err(c, SSTORE_ERR_ARG, "%s", err);
    return SSTORE_OK;
}

int sstore_put(sstore_conn *c, const char *id, const char *claims, size_t claims_len, int64_t ttl_s)
{
    int st = op_begin(c, 1);
    if (st == SSTORE_OK && (st = sstore_check_id(c, id)) == SSTORE_OK && (st = sstore_check_ttl(c, ttl_s)) == SSTORE_OK &&
        (st = sstore_check_claims(c, claims, claims_len)) == SSTORE_OK)
        st = c->st->be->put(c, id, claims, claims_len, ttl_s * 1000);
    return op_end(c, st);
}

int sstore_create(sstore_conn *c, const char *claims, size_t claims_len, int64_t ttl_s,
                  char id_out[SSTORE_ID_LEN + 1])
{
    int st = op_begin(c, 1), tries;
    id_out[0] = '\0';
    if (st == SSTORE_OK && (st = sstore_check_ttl(c, ttl_s)) == SSTORE_OK)
        st = sstore_check_claims(c, claims, claims_len);
    for (tries = 0; st == SSTORE_OK && tries < CREATE_TRIES; tries++) {
        if (sstore_id_new(id_out) != SSTORE_OK)
            st = sstore_conn_set_err(c, SSTORE_ERR_IO, "RAND_bytes failed: no session id");
        else if ((st = c->st->be->put(c, id_out, claims, claims_len, ttl_s * 1000)) == SSTORE_EXISTS)
            st = SSTORE_OK; /* collided: draw again */
        else
            break;
    }
    if (st == SSTORE_OK && tries == CREATE_TRIES)
        st = sstore_conn_set_err(c, SSTORE_ERR_IO, "%d fresh session ids all existed: broken random source?", CREATE_TRIES);
    if (st != SSTORE_OK)
        id_out[0] = '\0';
    return op_end(c, st);
}

int sstore_get(sstore_conn *c, const char *id, sstore_session *out)
{
    int st = op_begin(c, 1);
    memset(out, 0, sizeof *out);
    if (st == SSTORE_OK && (st = sstore_check_id(c, id)) == SSTORE_OK)
        st = c->st->be->get(c, id, out);
    if (st != SSTORE_OK)
        memset(out, 0, sizeof *out);
    return op_end(c, st);
}

int sstore_touch(sstore_conn *c, const char *id, int64_t ttl_s)
{
    int st = op_begin(c, 1);
    if (st == SSTORE_OK && (st = sstore_check_id(c, id)) == SSTORE_OK && (st = sstore_check_ttl(c, ttl_s)) == SSTORE_OK)
        st = c->st->be->touch(c, id, ttl_s * 1000);
    return op_end(c, st);
}

int sstore_delete(sstore_conn *c, const char *id)
{
    int st = op_begin(c, 1);
    if (st == SSTORE_OK && (st = sstore_check_id(c, id)) == SSTORE_OK)
        st = c->st->be->del(c, id);
    return op_end(c, st);
}

long sstore_sweep(sstore_conn *c)
{
    long n = -1;
    if (op_begin(c, 0) == SSTORE_OK)
        n = c->st->be->sweep(c);
    if (n < 0)
        c->ctr.errors++;
    return n;
}

/* The batch one get at a time, every item's data copied into c->batch_buf so that all stay valid
 * until the next call; pointers are set once all are in, since the buffer moves while it grows. */
static int batch_one_by_one(sstore_conn *c, const char *const *ids, size_t n, sstore_session *out, int *status)
{
    size_t i, used = 0;
    for (i = 0; i < n; i++) {
        status[i] = sstore_check_id(c, ids[i]);
        if (status[i] == SSTORE_OK)
            status[i] = c->st->be->get(c, ids[i], &out[i]);
        if (status[i] != SSTORE_OK) {
            memset(&out[i], 0, sizeof out[i]);
            continue;
        }
        if (sstore_buf_reserve(&c->batch_buf, &c->batch_cap, used + out[i].data_len + 1) != 0)
            return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory in a batch of %zu gets", n);
        memcpy(c->batch_buf + used, out[i].data, out[i].data_len);
        used += out[i].data_len;
    }
    for (i = 0, used = 0; i < n; i++)
        if (status[i] == SSTORE_OK) {
            out[i].data = c->batch_buf + used;
            used += out[i].data_len;
        }
    return SSTORE_OK;
}

/* Counts the items of a batch that ended in an error. */
static void count_item_errors(sstore_conn *c, size_t n, const int *status)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (status[i] != SSTORE_OK && status[i] != SSTORE_NOT_FOUND)
            c->ctr.errors++;
}

int sstore_get_batch(sstore_conn *c, const char *const *ids, size_t n, sstore_session *sessions, int *status)
{
    int st = op_begin(c, n);
    size_t i;
    if (n == 0)
        return st;
    memset(sessions, 0, n * sizeof *sessions);
    if (st == SSTORE_OK)
        st = c->st->be->get_batch != NULL ? c->st->be->get_batch(c, ids, n, sessions, status)
                                          : batch_one_by_one(c, ids, n, sessions, status);
    if (st != SSTORE_OK)
        for (i = 0; i < n; i++) {
            status[i] = st;
            memset(&sessions[i], 0, sizeof sessions[i]);
        }
    count_item_errors(c, n, status);
    return st;
}

long long sstore_stored_bytes(sstore_conn *c)
{
    if (op_begin(c, 0) != SSTORE_OK)
        return -1;
    if (c->st->be->stored_bytes == NULL) {
        sstore_conn_set_err(c, SSTORE_ERR_ARG, "%s:// does not report the bytes it stores", c->st->be->scheme);
        return -1;
    }
    return c->st->be->stored_bytes(c);
}

void sstore_conn_counters(const sstore_conn *c, sstore_counters *out)
{
    *out = c->ctr;
}

void sstore_counters_diff(const sstore_counters *a, const sstore_counters *b, sstore_counters *out)
{
#define DIFF_(name, figure, desc) out->name = b->name - a->name;
    SSTORE_COUNTERS(DIFF_)
#undef DIFF_
}

void sstore_counters_add(sstore_counters *acc, const sstore_counters *x)
{
#define ADD_(name, figure, desc) acc->name += x->name;
    SSTORE_COUNTERS(ADD_)
#undef ADD_
}

/* redis_link.c — one Redis connection: hiredis connects and parses; we do the socket I/O ourselves
 * (commands formatted as RESP into one buffer, so a pipeline is one send) so that every byte is
 * counted where it crosses the socket.
 *
 * Counting: net_bytes_out / net_bytes_in are the sums of what send() / recv() returned on the
 * connection's socket — the RESP bytes of commands and replies, TCP/IP headers excluded — for
 * every command including the AUTH/SELECT/PING handshake of each (re)connect. round_trips counts
 * one per send-then-wait exchange: a pipelined batch is one. syscalls counts send and recv calls. */
#include "redis_link.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define RLINK_DEFAULT_CONNECT_MS 1000
#define RLINK_DEFAULT_TIMEOUT_MS 2000
#define RLINK_DEFAULT_RECONNECT_MAX_MS 1000
#define RLINK_MAX_HANDSHAKE 3 /* AUTH, SELECT, PING */
#define RLINK_IN_ROOM 16384   /* free space in the bulk receive buffer before each recv */
#define RLINK_BULK_MAX ((size_t)512 << 20) /* Redis' proto-max-bulk-len: longer goes to hiredis */
#define RLINK_NIL SIZE_MAX    /* scan_bulk's length for a nil reply */

int64_t rlink_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the /db path into cfg->db. 0 or -1. */
static int parse_db(rlink_cfg *cfg, const char *path, char *err, size_t errlen)
{
    char *end = NULL;
    long db;
    if (path[0] == '\0' || strcmp(path, "/") == 0)
        return 0;
    db = strtol(path + 1, &end, 10);
    if (path[1] < '0' || path[1] > '9' || *end != '\0' || db < 0 || db > 1000000) {
        snprintf(err, errlen, "redis://: path '%s' is not a database number (/0, /1, …)", path);
        return -1;
    }
    cfg->db = (int)db;
    return 0;
}

/* Reads the timeout options into cfg. 0 or -1. */
int rlink_cfg_parse_timeouts(rlink_cfg *cfg, sstore_uri *u, int connect_default_ms, char *err, size_t errlen)
{
    uint64_t ct, t, rm;
    if (sstore_uri_u64(u, "connect_timeout_ms", 1, 600000, (uint64_t)connect_default_ms, &ct, err, errlen) != 0 ||
        sstore_uri_u64(u, "timeout_ms", 1, 600000, RLINK_DEFAULT_TIMEOUT_MS, &t, err, errlen) != 0 ||
        sstore_uri_u64(u, "reconnect_max_ms", RLINK_BACKOFF_MIN_MS, 600000, RLINK_DEFAULT_RECONNECT_MAX_MS, &rm,
                       err, errlen) != 0)
        return -1;
    cfg->connect_timeout_ms = (int)ct;
    cfg->timeout_ms = (int)t;
    cfg->reconnect_max_ms = (int)rm;
    return 0;
}

int rlink_cfg_parse_options(rlink_cfg *cfg, sstore_uri *u, char *err, size_t errlen)
{
    if (rlink_cfg_parse_timeouts(cfg, u, RLINK_DEFAULT_CONNECT_MS, err, errlen) != 0)
        return -1;
    if ((u->user != NULL && (cfg->user = strdup(u->user)) == NULL) ||
        (u->pass != NULL && (cfg->pass = strdup(u->pass)) == NULL)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (cfg->user != NULL && cfg->pass == NULL) {
        snprintf(err, errlen, "%s://: user '%s' given without a password (user:pass@host)", u->scheme, cfg->user);
        return -1;
    }
    return 0;
}

int rlink_cfg_parse(rlink_cfg *cfg, sstore_uri *u, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (u->authority[0] == '\0' || strchr(u->authority, ',') != NULL) {
        snprintf(err, errlen, "redis:// needs one host:port (e.g. redis://127.0.0.1:6379)%s",
                 u->authority[0] ? "; several nodes are redis-cluster://" : "");
        return -1;
    }
    if (sstore_uri_hostport(u->authority, strlen(u->authority), &cfg->host, &cfg->port, RLINK_DEFAULT_PORT,
                            err, errlen) != 0 ||
        parse_db(cfg, u->path, err, errlen) != 0 || rlink_cfg_parse_options(cfg, u, err, errlen) != 0) {
        rlink_cfg_free(cfg);
        return -1;
    }
    return 0;
}

void rlink_cfg_free(rlink_cfg *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->host);
    free(cfg->user);
    free(cfg->pass);
    memset(cfg, 0, sizeof *cfg);
}

/* Takes the link down after an error: closes the socket and drops pending commands. */
static void link_down(rlink *l, int st)
{
    if (l->ctx != NULL)
        redisFree(l->ctx);
    l->ctx = NULL;
    l->olen = 0;
    l->down_status = st;
    snprintf(l->down_msg, sizeof l->down_msg, "%s", l->owner->errstr);
}

/* Sends buf[0..len) whole. SSTORE_OK, or an error set on the owner. */
static int send_all(rlink *l, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t k = send(l->ctx->fd, buf, len, MSG_NOSIGNAL);
        l->owner->ctr.syscalls++;
        if (k > 0) {
            l->owner->ctr.net_bytes_out += (uint64_t)k;
            buf += k;
            len -= (size_t)k;
        } else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return sstore_conn_set_err(l->owner, SSTORE_ERR_TIMEOUT, "redis %s:%d: send timed out after %d ms",
                                       l->cfg->host, l->cfg->port, l->cfg->timeout_ms);
        } else if (k < 0 && errno != EINTR) {
            return sstore_conn_set_err(l->owner, SSTORE_ERR_IO, "redis %s:%d: send: %s", l->cfg->host,
                                       l->cfg->port, strerror(errno));
        }
    }
    return SSTORE_OK;
}

/* The timeout error for a round trip that ran out of time. */
static int timeout_err(rlink *l)
{
    return sstore_conn_set_err(l->owner, SSTORE_ERR_TIMEOUT, "redis %s:%d: no reply within %d ms", l->cfg->host,
                               l->cfg->port, l->cfg->timeout_ms);
}

/* One recv into buf[0..cap), unless the round trip is past its deadline (SO_RCVTIMEO bounds each
 * wait, the deadline the whole exchange); *got bytes. SSTORE_OK, or an error set on the owner. */
static int recv_into(rlink *l, char *buf, size_t cap, int64_t deadline, size_t *got)
{
    ssize_t k;
    do {
        if (rlink_mono_ms() > deadline)
            return timeout_err(l);
        k = recv(l->ctx->fd, buf, cap, 0);
        l->owner->ctr.syscalls++;
    } while (k < 0 && errno == EINTR);
    if (k > 0) {
        l->owner->ctr.net_bytes_in += (uint64_t)k;
        *got = (size_t)k;
        return SSTORE_OK;
    }
    if (k == 0)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_IO, "redis %s:%d: connection closed by the server",
                                   l->cfg->host, l->cfg->port);
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return timeout_err(l);
    return sstore_conn_set_err(l->owner, SSTORE_ERR_IO, "redis %s:%d: recv: %s", l->cfg->host, l->cfg->port,
                               strerror(errno));
}

/* One recv fed to the hiredis reader. SSTORE_OK, or an error set on the owner. */
static int recv_some(rlink *l, int64_t deadline)
{
    size_t k = 0;
    int st = recv_into(l, l->ibuf, sizeof l->ibuf, deadline, &k);
    if (st == SSTORE_OK && redisReaderFeed(l->ctx->reader, l->ibuf, k) != REDIS_OK)
        st = sstore_conn_set_err(l->owner, SSTORE_ERR_NOMEM, "redis: out of memory reading a reply");
    return st;
}

/* The next reply from the hiredis reader, receiving as needed: SSTORE_OK with *out set (the
 * caller's), or an error set on the owner. */
static int next_reply(rlink *l, int64_t deadline, redisReply **out)
{
    void *r = NULL;
    int st = SSTORE_OK;
    while (st == SSTORE_OK && r == NULL) {
        if (redisReaderGetReply(l->ctx->reader, &r) != REDIS_OK)
            return sstore_conn_set_err(l->owner, SSTORE_ERR_PROTOCOL, "redis %s:%d: protocol error: %s",
                                       l->cfg->host, l->cfg->port, l->ctx->reader->errstr);
        if (r == NULL)
            st = recv_some(l, deadline);
    }
    *out = r;
    return st;
}

/* Frees replies[0..n) and NULLs them. */
static void free_replies(redisReply **replies, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (replies[i] != NULL)
            freeReplyObject(replies[i]);
        replies[i] = NULL;
    }
}

/* Sends buf and reads n replies (one round trip). SSTORE_OK, or an error set on the owner with
 * the link taken down and replies[] freed. */
static int exchange(rlink *l, const char *buf, size_t len, size_t n, redisReply **replies)
{
    int64_t deadline = rlink_mono_ms() + l->cfg->timeout_ms;
    size_t got = 0;
    int st = send_all(l, buf, len);
    l->owner->ctr.round_trips++;
    while (st == SSTORE_OK && got < n)
        if ((st = next_reply(l, deadline, &replies[got])) == SSTORE_OK)
            got++;
    if (st != SSTORE_OK) {
        free_replies(replies, got);
        link_down(l, st);
    }
    return st;
}

/* Appends the handshake (AUTH, SELECT, PING) to l's output. Returns how many commands, or 0 on
 * out-of-memory. */
static size_t handshake_append(rlink *l)
{
    const char *argv[3];
    char db[16];
    size_t n = 0;
    if (l->cfg->pass != NULL) {
        int argc = 0;
        argv[argc++] = "AUTH";
        if (l->cfg->user != NULL)
            argv[argc++] = l->cfg->user;
        argv[argc++] = l->cfg->pass;
        if (rlink_append(l, argc, argv, NULL) != SSTORE_OK)
            return 0;
        n++;
    }
    if (l->cfg->db != 0) {
        snprintf(db, sizeof db, "%d", l->cfg->db);
        argv[0] = "SELECT";
        argv[1] = db;
        if (rlink_append(l, 2, argv, NULL) != SSTORE_OK)
            return 0;
        n++;
    }
    argv[0] = "PING";
    return rlink_append(l, 1, argv, NULL) == SSTORE_OK ? n + 1 : 0;
}

/* Checks the handshake replies; SSTORE_OK or the first failure (set on the owner). */
static int handshake_check(rlink *l, redisReply **replies, size_t n)
{
    size_t i = 0;
    if (l->cfg->pass != NULL && replies[i++]->type == REDIS_REPLY_ERROR)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_AUTH, "redis %s:%d: AUTH%s%s refused: %s", l->cfg->host,
                                   l->cfg->port, l->cfg->user ? " as " : "", l->cfg->user ? l->cfg->user : "",
                                   replies[0]->str);
    if (l->cfg->db != 0 && replies[i++]->type == REDIS_REPLY_ERROR)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_ARG, "redis %s:%d: SELECT %d refused: %s", l->cfg->host,
                                   l->cfg->port, l->cfg->db, replies[i - 1]->str);
    if (replies[i]->type == REDIS_REPLY_ERROR)
        return rlink_reply_error(l, replies[i], "PING");
    if (i + 1 != n || replies[i]->type != REDIS_REPLY_STATUS)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_PROTOCOL, "redis %s:%d: unexpected reply to PING: not a Redis server?",
                                   l->cfg->host, l->cfg->port);
    return SSTORE_OK;
}

/* Opens the TCP connection with its timeouts. SSTORE_OK or an error set on the owner. */
static int open_socket(rlink *l)
{
    struct timeval ct = {l->cfg->connect_timeout_ms / 1000, (l->cfg->connect_timeout_ms % 1000) * 1000};
    struct timeval t = {l->cfg->timeout_ms / 1000, (l->cfg->timeout_ms % 1000) * 1000};
    int one = 1;
    l->ctx = redisConnectWithTimeout(l->cfg->host, l->cfg->port, ct);
    if (l->ctx == NULL)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_NOMEM, "redis: out of memory");
    if (l->ctx->err != 0)
        return sstore_conn_set_err(l->owner, strstr(l->ctx->errstr, "timed out") ? SSTORE_ERR_TIMEOUT : SSTORE_ERR_IO,
                                   "redis %s:%d: cannot connect: %s", l->cfg->host, l->cfg->port, l->ctx->errstr);
    if (redisSetTimeout(l->ctx, t) != REDIS_OK ||
        setsockopt(l->ctx->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_IO, "redis %s:%d: cannot set socket options: %s",
                                   l->cfg->host, l->cfg->port, strerror(errno));
    return SSTORE_OK;
}

/* Connects and runs the handshake (appended after any commands already pending, which are kept
 * for the caller); on failure drops them and schedules the next attempt (doubling backoff). */
static int link_connect(rlink *l)
{
    redisReply *replies[RLINK_MAX_HANDSHAKE] = {NULL};
    size_t n = 0, base = l->olen;
    int st = open_socket(l);
    if (st == SSTORE_OK && (n = handshake_append(l)) == 0)
        st = sstore_conn_set_err(l->owner, SSTORE_ERR_NOMEM, "redis: out of memory");
    if (st == SSTORE_OK && (st = exchange(l, l->obuf + base, l->olen - base, n, replies)) == SSTORE_OK)
        st = handshake_check(l, replies, n);
    free_replies(replies, n);
    l->olen = base;
    if (st == SSTORE_OK && l->ever_tried)
        l->owner->ctr.reconnects++;
    l->ever_tried = 1;
    if (st == SSTORE_OK) {
        l->backoff_ms = RLINK_BACKOFF_MIN_MS;
        return st;
    }
    link_down(l, st);
    l->retry_at_ms = rlink_mono_ms() + l->backoff_ms;
    l->backoff_ms = l->backoff_ms * 2 > l->cfg->reconnect_max_ms ? l->cfg->reconnect_max_ms : l->backoff_ms * 2;
    return st;
}

int rlink_init(rlink *l, const rlink_cfg *cfg, sstore_conn *owner)
{
    memset(l, 0, sizeof *l);
    l->cfg = cfg;
    l->owner = owner;
    l->backoff_ms = RLINK_BACKOFF_MIN_MS;
    return link_connect(l);
}

void rlink_close(rlink *l)
{
    if (l == NULL)
        return;
    if (l->ctx != NULL)
        redisFree(l->ctx);
    free(l->obuf);
    free(l->in);
    memset(l, 0, sizeof *l);
}

/* Writes a RESP length line ("*3\r\n", "$12\r\n") at p; returns its length. */
static size_t resp_line(char *p, char type, size_t n)
{
    char digits[24];
    size_t k = 0, len = 0;
    do
        digits[k++] = (char)('0' + n % 10);
    while ((n /= 10) != 0);
    p[len++] = type;
    while (k > 0)
        p[len++] = digits[--k];
    p[len++] = '\r';
    p[len++] = '\n';
    return len;
}

/* Writes one RESP bulk argument, the concatenation a[0..alen) b[0..blen), at p; returns the end. */
static char *put_arg(char *p, const char *a, size_t alen, const char *b, size_t blen)
{
    p += resp_line(p, '$', alen + blen);
    memcpy(p, a, alen);
    if (blen > 0)
        memcpy(p + alen, b, blen);
    p += alen + blen;
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

size_t rlink_resp_size(int argc, const char **argv, const size_t *argvlen)
{
    size_t need = 32, i;
    for (i = 0; i < (size_t)argc; i++)
        need += 32 + (argvlen != NULL ? argvlen[i] : strlen(argv[i]));
    return need;
}

size_t rlink_resp_write(char *buf, int argc, const char **argv, const size_t *argvlen)
{
    char *p = buf;
    size_t i;
    p += resp_line(p, '*', (size_t)argc);
    for (i = 0; i < (size_t)argc; i++)
        p = put_arg(p, argv[i], argvlen != NULL ? argvlen[i] : strlen(argv[i]), NULL, 0);
    return (size_t)(p - buf);
}

int rlink_append(rlink *l, int argc, const char **argv, const size_t *argvlen)
{
    if (sstore_buf_reserve(&l->obuf, &l->ocap, l->olen + rlink_resp_size(argc, argv, argvlen)) != 0)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_NOMEM, "redis: out of memory formatting a command");
    l->olen += rlink_resp_write(l->obuf + l->olen, argc, argv, argvlen);
    return SSTORE_OK;
}

int rlink_append_key(rlink *l, const char *cmd, size_t cmdlen, const char *prefix, size_t plen, const char *key,
                     size_t keylen)
{
    char *p;
    if (sstore_buf_reserve(&l->obuf, &l->ocap, l->olen + 64 + cmdlen + plen + keylen) != 0)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_NOMEM, "redis: out of memory formatting a command");
    p = l->obuf + l->olen;
    memcpy(p, "*2\r\n", 4);
    p = put_arg(p + 4, cmd, cmdlen, NULL, 0);
    p = put_arg(p, prefix, plen, key, keylen);
    l->olen = (size_t)(p - l->obuf);
    return SSTORE_OK;
}

void rlink_discard(rlink *l)
{
    l->olen = 0;
}

/* Connects first when the link is down and its backoff has passed. SSTORE_OK, or the error set
 * on the owner with the pending commands dropped. */
static int link_ready(rlink *l)
{
    if (l->ctx != NULL)
        return SSTORE_OK;
    if (rlink_mono_ms() < l->retry_at_ms) {
        l->olen = 0;
        return sstore_conn_set_err(l->owner, l->down_status, "%s (reconnecting: next attempt in %lld ms)",
                                   l->down_msg, (long long)(l->retry_at_ms - rlink_mono_ms()));
    }
    return link_connect(l);
}

int rlink_roundtrip(rlink *l, size_t n, redisReply **replies)
{
    int st;
    memset(replies, 0, n * sizeof *replies);
    if ((st = link_ready(l)) == SSTORE_OK)
        st = exchange(l, l->obuf, l->olen, n, replies);
    l->olen = 0;
    return st;
}

/* The "$-1\r\n" nil reply at p[0..avail): 1 whole, 0 a prefix of it, -1 something else. */
static int scan_nil(const char *p, size_t avail)
{
    if (avail < 5)
        return memcmp(p, "$-1\r\n", avail) == 0 ? 0 : -1;
    return memcmp(p, "$-1\r\n", 5) == 0 ? 1 : -1;
}

/* Scans one bulk-string reply ("$<len>\r\n<bytes>\r\n" or nil) at p[0..avail): 1 with its size in
 * *used and its length in *len (RLINK_NIL for nil), 0 when more bytes are needed, -1 when it is not
 * a well-formed bulk string (hiredis then reads it and says what it is). */
static int scan_bulk(const char *p, size_t avail, size_t *used, size_t *len)
{
    size_t i = 1, v = 0, head;
    int nil;
    if (avail == 0)
        return 0;
    if (p[0] != '$')
        return -1;
    if (avail > 1 && p[1] == '-') {
        if ((nil = scan_nil(p, avail)) == 1)
            *used = 5, *len = RLINK_NIL;
        return nil;
    }
    while (i < avail && i <= 9 && p[i] >= '0' && p[i] <= '9')
        v = v * 10 + (size_t)(p[i++] - '0');
    if (i == avail)
        return 0;
    if (i == 1 || p[i] != '\r') /* no digits, more than 9, or not a line end */
        return -1;
    if (i + 1 == avail)
        return 0;
    if (p[i + 1] != '\n' || v > RLINK_BULK_MAX)
        return -1;
    head = i + 2;
    if (avail - head < v + 2)
        return 0;
    if (p[head + v] != '\r' || p[head + v + 1] != '\n')
        return -1;
    *used = head + v + 2;
    *len = v;
    return 1;
}

/* Takes the bulk replies at l->in[*pos..inlen) into out[*got..n) (offsets, not pointers: the buffer
 * may still move); returns 1 when a reply is not a bulk string (the rest is for hiredis), else 0. */
static int parse_bulks(rlink *l, size_t *pos, size_t n, rlink_bulk *out, size_t *got)
{
    size_t used = 0, len = 0;
    int r = 0;
    while (*got < n && (r = scan_bulk(l->in + *pos, l->inlen - *pos, &used, &len)) == 1) {
        rlink_bulk *b = &out[(*got)++];
        b->str = NULL;
        b->obj = NULL;
        b->len = len == RLINK_NIL ? 0 : len;
        b->off = len == RLINK_NIL ? RLINK_NIL : *pos + used - len - 2;
        *pos += used;
    }
    return *got < n && r < 0;
}

/* One recv appended to l->in (grown to leave RLINK_IN_ROOM free). SSTORE_OK or an error. */
static int recv_in(rlink *l, int64_t deadline)
{
    size_t k = 0;
    int st;
    if (sstore_buf_reserve(&l->in, &l->incap, l->inlen + RLINK_IN_ROOM) != 0)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_NOMEM, "redis: out of memory reading a reply");
    st = recv_into(l, l->in + l->inlen, l->incap - l->inlen, deadline, &k);
    l->inlen += k;
    return st;
}

/* The rest of a batch through the hiredis reader (from l->in[pos..) on) into out[*got..n). */
static int read_objects(rlink *l, size_t pos, size_t n, rlink_bulk *out, size_t *got, int64_t deadline)
{
    int st = SSTORE_OK;
    if (redisReaderFeed(l->ctx->reader, l->in + pos, l->inlen - pos) != REDIS_OK)
        return sstore_conn_set_err(l->owner, SSTORE_ERR_NOMEM, "redis: out of memory reading a reply");
    l->inlen = pos;
    while (st == SSTORE_OK && *got < n) {
        rlink_bulk *b = &out[*got];
        b->str = NULL;
        b->len = 0;
        b->off = RLINK_NIL;
        if ((st = next_reply(l, deadline, &b->obj)) == SSTORE_OK)
            (*got)++;
    }
    return st;
}

/* Sends the pending commands and reads n replies into out[]; *got of them were taken. */
static int exchange_bulk(rlink *l, size_t n, rlink_bulk *out, size_t *got)
{
    int64_t deadline = rlink_mono_ms() + l->cfg->timeout_ms;
    size_t pos = 0;
    int st = send_all(l, l->obuf, l->olen), other = 0;
    l->owner->ctr.round_trips++;
    l->inlen = 0;
    while (st == SSTORE_OK && *got < n && !(other = parse_bulks(l, &pos, n, out, got)))
        if (*got < n)
            st = recv_in(l, deadline);
    if (st == SSTORE_OK && other)
        st = read_objects(l, pos, n, out, got, deadline);
    else if (st == SSTORE_OK && pos != l->inlen)
        st = sstore_conn_set_err(l->owner, SSTORE_ERR_PROTOCOL, "redis %s:%d: %zu bytes after the last reply",
                                 l->cfg->host, l->cfg->port, l->inlen - pos);
    return st;
}

int rlink_roundtrip_bulk(rlink *l, size_t n, rlink_bulk *out)
{
    size_t got = 0, i;
    int st = link_ready(l);
    if (st == SSTORE_OK)
        st = exchange_bulk(l, n, out, &got);
    l->olen = 0;
    if (st != SSTORE_OK) {
        for (i = 0; i < got; i++)
            if (out[i].obj != NULL)
                freeReplyObject(out[i].obj);
        memset(out, 0, n * sizeof *out);
        if (l->ctx != NULL)
            link_down(l, st);
        return st;
    }
    for (i = 0; i < n; i++)
        if (out[i].obj == NULL && out[i].off != RLINK_NIL)
            out[i].str = l->in + out[i].off;
    return SSTORE_OK;
}

int rlink_error_status(const char *msg)
{
    if (strncmp(msg, "NOAUTH", 6) == 0 || strncmp(msg, "WRONGPASS", 9) == 0 || strncmp(msg, "NOPERM", 6) == 0)
        return SSTORE_ERR_AUTH;
    if (strncmp(msg, "OOM", 3) == 0)
        return SSTORE_ERR_FULL;
    return SSTORE_ERR_PROTOCOL;
}

int rlink_reply_error(rlink *l, const redisReply *r, const char *what)
{
    return sstore_conn_set_err(l->owner, rlink_error_status(r->str), "redis %s:%d: %s: %s", l->cfg->host,
                               l->cfg->port, what, r->str);
}

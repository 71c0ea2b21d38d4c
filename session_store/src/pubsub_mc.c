/* pubsub_mc.c — publish/subscribe on memcached:// (pubsub_int.h) by a periodic sync: memcached has
 * no pub/sub and cannot list its keys, so the store keeps a revocation log that every subscriber
 * polls every sync_ms.
 *
 * The log of set S: a sequence key "S.seq" and one entry "S.<n>" per publish (value: the message,
 * expiry: the id's ttl + 1 s, as memcached's clock ticks in whole seconds). A publish is two round
 * trips: [add "S<id>" (the set's member: SSTORE_EXISTS when it was there), add "S.seq" (creates the
 * log when missing), incr "S.seq"] then [add "S.<n>"]. A sync is one round trip for the sequence
 * and one pipelined batch of gets for the entries after the subscriber's position.
 *
 * The sequence starts at epoch << 32, the epoch a random 31-bit number drawn by whoever creates
 * the log: a log created again (memcached restarted, or the sequence key evicted) has another
 * epoch, so its entries never collide with an old log's, and a subscriber that sees the epoch
 * change (or the sequence gone) reports the subscription broken — its owner subscribes again and
 * catches up (a scan reads every entry of the current log).
 *
 * Entries gone when a subscriber asks for them: a publisher between its incr and its add (one
 * round trip), an entry that expired (its token expired too: harmless), or one memcached evicted
 * (a revocation lost for the servers that had not read it yet). memcached cannot tell these apart,
 * so a missing entry is asked for again at every sync for a grace of twice the store's timeout_ms,
 * then counted in sstore_pubsub_gaps() and given up. A subscriber that was down past entries reads
 * them at its catch-up while they live (their expiry is the token's). A restarted memcached holds no
 * log: the servers keep what they had in memory, a server started after it knows nothing older.
 *
 * The protocol: mc_proto.h frames the replies of get and add; incr answers a bare number line,
 * which mc_reply_parse does not frame (no other memcached:// command needs it), so
 * frame_reply() reads that one line here. Gets are pipelined one key per command rather than a
 * multi-key get, whose reply (several VALUEs before one END) mc_reply_parse refuses; the round trip
 * is the same one. */
#include "mc_store.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mc_proto.h"
#include "pubsub_int.h"

#define MC_PS_BATCH 500          /* entries asked for in one round trip */
#define MC_PS_RETRY_MAX 1024     /* missing entries asked for again */
#define MC_PS_RECHECK 64         /* entries before the position at subscribe asked for again (publishes in flight) */
#define MC_PS_EPOCH_SHIFT 32
#define MC_PS_MONTH_S 2592000    /* memcached reads a longer exptime as a Unix time */

/* A missing log entry asked for again until until_ms; counted a gap when it never came. */
typedef struct mc_retry {
    uint64_t n;
    int64_t until_ms;
    int counts;       /* 0: one of the entries before the subscribe (may be long expired: no gap) */
} mc_retry;

/* p->impl of a memcached:// store. */
typedef struct mc_pubsub {
    const mc_store *ms;
    int fd;                      /* -1 while down */
    int ever_up;
    int64_t retry_at_ms;         /* monotonic: no connect before this while down */
    int backoff_ms;
    char *out, *in;              /* one round trip's commands and its replies as received */
    size_t olen, ocap, inlen, incap;
    char set[64];                /* a subscriber's */
    uint64_t epoch, pos;         /* the log's epoch (0: no log seen yet) and the last entry read */
    int64_t next_sync_ms;
    mc_retry retry[MC_PS_RETRY_MAX];
    size_t nretry;
    char *q;                     /* messages read by the last sync, NUL-separated, handed out from qoff */
    size_t qlen, qcap, qoff;
} mc_pubsub;

#define MP(p) ((mc_pubsub *)(p)->impl)

/* One reply of a round trip: a framed one, or incr's number (kind MC_VALUE, num set). */
typedef struct mc_ans {
    mc_reply r;
    uint64_t num;
} mc_ans;

static int mp_open(sstore_pubsub *p)
{
    mc_pubsub *m = calloc(1, sizeof *m);
    if (m == NULL)
        return pubsub_fail(p, SSTORE_ERR_NOMEM, "out of memory");
    m->ms = p->owner.st->impl;
    m->fd = -1;
    m->backoff_ms = RLINK_BACKOFF_MIN_MS;
    p->impl = m;
    return SSTORE_OK; /* connects at the first round trip */
}

static void mp_close(sstore_pubsub *p)
{
    mc_pubsub *m = MP(p);
    if (m->fd >= 0)
        close(m->fd);
    free(m->out);
    free(m->in);
    free(m->q);
    free(m);
    p->impl = NULL;
}

/* Closes the socket after a failure: the next round trip connects again after the backoff. Returns st. */
static int link_down(sstore_pubsub *p, int st, int connecting)
{
    mc_pubsub *m = MP(p);
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
    if (connecting) {
        m->retry_at_ms = rlink_mono_ms() + m->backoff_ms;
        m->backoff_ms = m->backoff_ms * 2 > m->ms->cfg.reconnect_max_ms ? m->ms->cfg.reconnect_max_ms : m->backoff_ms * 2;
    }
    return st;
}

/* Connects (non-blocking, connect_timeout_ms), when down and the backoff allows. SSTORE_OK or an error. */
static int link_up(sstore_pubsub *p)
{
    mc_pubsub *m = MP(p);
    const rlink_cfg *cfg = &m->ms->cfg;
    struct addrinfo hints = {0}, *ai = NULL;
    char port[8];
    int err = 0;
    socklen_t elen = sizeof err;
    if (m->fd >= 0)
        return SSTORE_OK;
    if (rlink_mono_ms() < m->retry_at_ms)
        return pubsub_fail(p, SSTORE_ERR_IO, "%s: down (reconnecting)", m->ms->where);
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", cfg->port);
    if (getaddrinfo(cfg->host, port, &hints, &ai) != 0 || ai == NULL)
        return link_down(p, pubsub_fail(p, SSTORE_ERR_IO, "%s: cannot resolve the host", m->ms->where), 1);
    m->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    p->owner.ctr.syscalls += 2;
    if (m->fd < 0 || (connect(m->fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) ||
        pubsub_wait_fd(m->fd, POLLOUT, rlink_mono_ms() + cfg->connect_timeout_ms) != 1 ||
        getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
        freeaddrinfo(ai);
        return link_down(p, pubsub_fail(p, SSTORE_ERR_IO, "%s: cannot connect: %s", m->ms->where,
                                        strerror(err != 0 ? err : errno != 0 ? errno : ETIMEDOUT)), 1);
    }
    freeaddrinfo(ai);
    if (m->ever_up)
        p->owner.ctr.reconnects++;
    m->ever_up = 1;
    m->backoff_ms = RLINK_BACKOFF_MIN_MS;
    return SSTORE_OK;
}

/* Appends len bytes of command to the round trip's output. SSTORE_OK or SSTORE_ERR_NOMEM. */
static int put_cmd(sstore_pubsub *p, size_t need, const char *key, size_t klen, const char *verb, long long exptime,
                   const char *value, size_t vlen)
{
    mc_pubsub *m = MP(p);
    if (sstore_buf_reserve(&m->out, &m->ocap, m->olen + need) != 0)
        return pubsub_fail(p, SSTORE_ERR_NOMEM, "out of memory");
    m->olen += value != NULL ? mc_cmd_store(m->out + m->olen, verb, key, klen, exptime, value, vlen, 0)
                             : mc_cmd_key(m->out + m->olen, verb, key, klen);
    return SSTORE_OK;
}

/* "get <key>" (value NULL) or "add <key> 0 <exptime> <bytes>\r\n<value>" into the output. */
static int cmd(sstore_pubsub *p, const char *verb, const char *key, long long exptime, const char *value)
{
    size_t klen = strlen(key), vlen = value != NULL ? strlen(value) : 0;
    return put_cmd(p, mc_cmd_size(klen, vlen), key, klen, verb, exptime, value, vlen);
}

/* Frames one reply at buf (incr_reply: the answer to an incr, a number line or NOT_FOUND): as
 * mc_reply_parse, with a number line read here (see the top of the file). */
static int frame_reply(const char *buf, size_t avail, int incr_reply, mc_ans *a, size_t *used)
{
    const char *nl;
    char *end;
    if (avail == 0)
        return 0;
    if (!incr_reply || buf[0] < '0' || buf[0] > '9')
        return mc_reply_parse(buf, avail, &a->r, used);
    nl = memchr(buf, '\n', avail);
    if (nl == NULL)
        return avail > 24 ? -1 : 0;
    errno = 0;
    a->num = strtoull(buf, &end, 10);
    if (errno != 0 || end != nl - 1 || *end != '\r')
        return -1;
    memset(&a->r, 0, sizeof a->r);
    a->r.kind = MC_VALUE;
    *used = (size_t)(nl + 1 - buf);
    return 1;
}

/* Sends the output and reads n replies into ans (incr_at: the index of an incr's reply, or -1),
 * within timeout_ms. SSTORE_OK, or an error (the connection is closed: it is out of step). The
 * replies point into the receive buffer until the next round trip. */
static int roundtrip(sstore_pubsub *p, size_t n, int incr_at, mc_ans *ans)
{
    mc_pubsub *m = MP(p);
    int64_t deadline;
    size_t sent = 0, got = 0, off = 0, used;
    ssize_t k;
    int st = link_up(p), f;
    if (st != SSTORE_OK) {
        m->olen = 0;
        return st;
    }
    deadline = rlink_mono_ms() + m->ms->cfg.timeout_ms;
    m->inlen = 0;
    while (sent < m->olen) {
        if ((k = send(m->fd, m->out + sent, m->olen - sent, MSG_NOSIGNAL)) < 0 && errno != EAGAIN && errno != EINTR)
            return link_down(p, pubsub_fail(p, SSTORE_ERR_IO, "%s: send: %s", m->ms->where, strerror(errno)), 0);
        p->owner.ctr.syscalls++;
        if (k > 0)
            sent += (size_t)k, p->owner.ctr.net_bytes_out += (uint64_t)k;
        else if (pubsub_wait_fd(m->fd, POLLOUT, deadline) != 1)
            return link_down(p, pubsub_fail(p, SSTORE_ERR_TIMEOUT, "%s: no reply within %d ms", m->ms->where,
                                            m->ms->cfg.timeout_ms), 0);
    }
    m->olen = 0;
    p->owner.ctr.round_trips++;
    while (got < n) {
        f = frame_reply(m->in + off, m->inlen - off, (int)got == incr_at, &ans[got], &used);
        if (f < 0)
            return link_down(p, pubsub_fail(p, SSTORE_ERR_PROTOCOL, "%s: malformed reply", m->ms->where), 0);
        if (f == 1) {
            off += used, got++;
            continue;
        }
        if (sstore_buf_reserve(&m->in, &m->incap, m->inlen + 65536) != 0)
            return link_down(p, pubsub_fail(p, SSTORE_ERR_NOMEM, "out of memory"), 0);
        if (pubsub_wait_fd(m->fd, POLLIN, deadline) != 1)
            return link_down(p, pubsub_fail(p, SSTORE_ERR_TIMEOUT, "%s: no reply within %d ms", m->ms->where,
                                            m->ms->cfg.timeout_ms), 0);
        k = recv(m->fd, m->in + m->inlen, m->incap - m->inlen, 0);
        p->owner.ctr.syscalls++;
        if (k <= 0 && !(k < 0 && (errno == EAGAIN || errno == EINTR)))
            return link_down(p, pubsub_fail(p, SSTORE_ERR_IO, "%s: %s", m->ms->where,
                                            k == 0 ? "connection closed by the server" : strerror(errno)), 0);
        if (k > 0)
            m->inlen += (size_t)k, p->owner.ctr.net_bytes_in += (uint64_t)k;
    }
    for (got = 0, off = 0; got < n; got++, off += used) /* again: the buffer may have moved as it grew */
        frame_reply(m->in + off, m->inlen - off, (int)got == incr_at, &ans[got], &used);
    return SSTORE_OK;
}

/* An error reply (or one of a kind we did not ask for) as a status set on p. */
static int bad_reply(sstore_pubsub *p, const mc_ans *a, const char *what)
{
    const mc_reply *r = &a->r;
    int st = r->kind == MC_SERVER_ERROR && r->data_len >= 13 && memcmp(r->data, "out of memory", 13) == 0
                 ? SSTORE_ERR_FULL : SSTORE_ERR_PROTOCOL;
    return pubsub_fail(p, st, "%s: %s: %.*s", MP(p)->ms->where, what, r->data != NULL ? (int)r->data_len : 17,
                       r->data != NULL ? r->data : "unexpected reply");
}

/* memcached's exptime for an entry of ttl_s seconds: one second more (its clock ticks whole seconds). */
static long long exptime_of(int64_t ttl_s)
{
    return ttl_s + 1 > MC_PS_MONTH_S ? (long long)(sstore_now_ms() / 1000 + ttl_s + 1) : (long long)ttl_s + 1;
}

/* A new log's first sequence value: a random epoch (1..2^31-1) shifted up, as text into buf. */
static void new_log_base(char *buf, size_t cap)
{
    uint32_t e = 0;
    while ((e & 0x7fffffffu) == 0 && getrandom(&e, sizeof e, 0) != (ssize_t)sizeof e)
        e = (uint32_t)rlink_mono_ms() ^ (uint32_t)getpid();
    snprintf(buf, cap, "%" PRIu64, (uint64_t)(e & 0x7fffffffu ? e & 0x7fffffffu : 1u) << MC_PS_EPOCH_SHIFT);
}

/* The round trips of a publish (see the top of the file). */
static int mp_add_publish(sstore_pubsub *p, const char *set, const char *id, const char *msg, int64_t ttl_s,
                          const char *channel, long *heard)
{
    char member[SSTORE_KEY_MAX + 80], seq[80], incr[88], entry[120], base[24];
    mc_ans a[3];
    int st, existed;
    (void)channel; /* nobody listens on memcached: subscribers poll the set's log */
    (void)heard;
    snprintf(member, sizeof member, "%s%s", set, id);
    snprintf(seq, sizeof seq, "%s.seq", set);
    snprintf(incr, sizeof incr, "%s 1", seq); /* "incr <key> 1": the key and the step */
    new_log_base(base, sizeof base);
    if ((st = cmd(p, "add", member, exptime_of(ttl_s), msg)) != SSTORE_OK || (st = cmd(p, "add", seq, 0, base)) != SSTORE_OK ||
        (st = cmd(p, "incr", incr, 0, NULL)) != SSTORE_OK)
        return st;
    if ((st = roundtrip(p, 3, 2, a)) != SSTORE_OK)
        return st;
    if (a[0].r.kind != MC_STORED && a[0].r.kind != MC_NOT_STORED)
        return bad_reply(p, &a[0], "add");
    existed = a[0].r.kind == MC_NOT_STORED;
    if (a[2].r.kind != MC_VALUE)
        return a[2].r.kind == MC_NOT_FOUND ? pubsub_fail(p, SSTORE_ERR_IO, "%s: the log's sequence vanished "
                                                         "between add and incr", MP(p)->ms->where)
                                           : bad_reply(p, &a[2], "incr");
    snprintf(entry, sizeof entry, "%s.%" PRIu64, set, a[2].num);
    if ((st = cmd(p, "add", entry, exptime_of(ttl_s), msg)) != SSTORE_OK || (st = roundtrip(p, 1, -1, a)) != SSTORE_OK)
        return st;
    if (a[0].r.kind != MC_STORED)
        return bad_reply(p, &a[0], "add of the log entry");
    return existed ? SSTORE_EXISTS : SSTORE_OK;
}

/* The log's sequence value into *v (0: no log). SSTORE_OK or an error. */
static int read_seq(sstore_pubsub *p, const char *set, uint64_t *v)
{
    char key[80], num[24];
    mc_ans a;
    char *end;
    int st;
    snprintf(key, sizeof key, "%s.seq", set);
    if ((st = cmd(p, "get", key, 0, NULL)) != SSTORE_OK || (st = roundtrip(p, 1, -1, &a)) != SSTORE_OK)
        return st;
    *v = 0;
    if (a.r.kind == MC_END)
        return SSTORE_OK;
    if (a.r.kind != MC_VALUE || a.r.data_len == 0 || a.r.data_len >= sizeof num)
        return bad_reply(p, &a, "get of the log's sequence");
    memcpy(num, a.r.data, a.r.data_len);
    num[a.r.data_len] = '\0';
    *v = strtoull(num, &end, 10);
    return *end == '\0' && *v >> MC_PS_EPOCH_SHIFT != 0 ? SSTORE_OK
                                                          : pubsub_fail(p, SSTORE_ERR_PROTOCOL, "%s: %s is not a log sequence",
                                                                        MP(p)->ms->where, key);
}

/* Asks for the entries nums[0..n) in one round trip; found ones go to fn(arg, msg, len), and
 * found[i] says which came (may be NULL). SSTORE_OK or an error. */
static int get_entries(sstore_pubsub *p, const char *set, const uint64_t *nums, size_t n, sstore_pubsub_fn fn,
                       void *arg, int *found)
{
    mc_ans *a = calloc(n, sizeof *a);
    char key[120];
    size_t i;
    int st = a != NULL ? SSTORE_OK : pubsub_fail(p, SSTORE_ERR_NOMEM, "out of memory");
    for (i = 0; st == SSTORE_OK && i < n; i++) {
        snprintf(key, sizeof key, "%s.%" PRIu64, set, nums[i]);
        st = cmd(p, "get", key, 0, NULL);
    }
    if (st == SSTORE_OK)
        st = roundtrip(p, n, -1, a);
    for (i = 0; st == SSTORE_OK && i < n; i++) {
        if (a[i].r.kind != MC_VALUE && a[i].r.kind != MC_END)
            st = bad_reply(p, &a[i], "get of a log entry");
        else if (a[i].r.kind == MC_VALUE)
            fn(arg, a[i].r.data, a[i].r.data_len);
        if (found != NULL)
            found[i] = a[i].r.kind == MC_VALUE;
    }
    MP(p)->olen = 0;
    free(a);
    return st;
}

/* Every entry of the set's current log (those gone are skipped: expired or evicted). */
static int mp_scan(sstore_pubsub *p, const char *set, sstore_pubsub_fn fn, void *arg, size_t *n)
{
    uint64_t v, k, nums[MC_PS_BATCH], base;
    size_t i;
    int st = read_seq(p, set, &v), found[MC_PS_BATCH];
    base = v >> MC_PS_EPOCH_SHIFT << MC_PS_EPOCH_SHIFT;
    for (k = base + 1; st == SSTORE_OK && v != 0 && k <= v;) {
        for (i = 0; i < MC_PS_BATCH && k <= v; i++)
            nums[i] = k++;
        st = get_entries(p, set, nums, i, fn, arg, found);
        while (st == SSTORE_OK && i-- > 0)
            *n += (size_t)found[i];
    }
    return st;
}

/* Queues a message read by a sync (sstore_pubsub_fn). */
static void queue_msg(void *arg, const char *msg, size_t len)
{
    mc_pubsub *m = MP((sstore_pubsub *)arg);
    if (sstore_buf_reserve(&m->q, &m->qcap, m->qlen + len + 1) != 0)
        return; /* out of memory: the message is lost like an evicted entry, counted below */
    memcpy(m->q + m->qlen, msg, len);
    m->q[m->qlen + len] = '\0';
    m->qlen += len + 1;
}

/* Adds log entry n to the retry list (counts: a gap if it never comes). 0, or -1 when full. */
static int retry_add(mc_pubsub *m, uint64_t n, int counts, int64_t now)
{
    if (m->nretry == MC_PS_RETRY_MAX)
        return -1;
    m->retry[m->nretry].n = n;
    m->retry[m->nretry].until_ms = now + 2 * (int64_t)m->ms->cfg.timeout_ms;
    m->retry[m->nretry++].counts = counts;
    return 0;
}

/* Remembers the log's position; the entries just before it, which publishers may still be
 * writing, are asked for again at the first syncs (not gaps when absent: they may be old). */
static int mp_subscribe(sstore_pubsub *p, const char *set, const char *channel)
{
    mc_pubsub *m = MP(p);
    uint64_t v, k;
    int st = read_seq(p, set, &v);
    (void)channel;
    if (st != SSTORE_OK)
        return st;
    snprintf(m->set, sizeof m->set, "%s", set);
    m->epoch = v >> MC_PS_EPOCH_SHIFT;
    m->pos = v;
    for (k = v; v != 0 && k > (v >> MC_PS_EPOCH_SHIFT << MC_PS_EPOCH_SHIFT) && k + MC_PS_RECHECK > v; k--)
        retry_add(m, k, 0, rlink_mono_ms());
    m->next_sync_ms = rlink_mono_ms() + p->sync_ms;
    return SSTORE_OK;
}

/* Nothing to wait on: the subscriber polls. */
static int mp_fd(const sstore_pubsub *p)
{
    (void)p;
    return -1;
}

static int mp_wait_ms(const sstore_pubsub *p)
{
    const mc_pubsub *m = p->impl;
    int64_t left = m->next_sync_ms - rlink_mono_ms();
    return m->qoff < m->qlen || left <= 0 ? 0 : (int)left;
}

/* The subscription broke (the log is gone or restarted, or the store unreachable). Returns st. */
static int broken(sstore_pubsub *p, int st, const char *why)
{
    if (why != NULL)
        pubsub_fail(p, st, "%s: %s", MP(p)->ms->where, why);
    mp_close(p);
    return st;
}

/* Which entries one sync asks for: the retries still due (expired ones counted as gaps and
 * dropped), then the new ones after the position up to v. Returns how many are in nums. */
static size_t sync_plan(sstore_pubsub *p, uint64_t v, uint64_t *nums, int64_t now)
{
    mc_pubsub *m = MP(p);
    size_t n = 0, i, kept = 0;
    for (i = 0; i < m->nretry; i++) {
        if (m->retry[i].until_ms < now) {
            p->gaps += (uint64_t)m->retry[i].counts;
            continue;
        }
        m->retry[kept++] = m->retry[i];
        if (n < MC_PS_BATCH / 2)
            nums[n++] = m->retry[i].n;
    }
    m->nretry = kept;
    while (n < MC_PS_BATCH && m->pos < v)
        nums[n++] = ++m->pos;
    return n;
}

/* One sync: the sequence, then the entries after the position (and the retries) into the queue. */
static int sync_log(sstore_pubsub *p)
{
    mc_pubsub *m = MP(p);
    uint64_t v, nums[MC_PS_BATCH], was = m->pos;
    int found[MC_PS_BATCH], st = read_seq(p, m->set, &v);
    int64_t now = rlink_mono_ms();
    size_t n, i, j;
    if (st != SSTORE_OK)
        return broken(p, st, NULL);
    if (v == 0 && m->epoch != 0)
        return broken(p, SSTORE_ERR_IO, "subscription lost: the revocation log is gone (memcached restarted or evicted it)");
    if (v != 0 && m->epoch != 0 && v >> MC_PS_EPOCH_SHIFT != m->epoch)
        return broken(p, SSTORE_ERR_IO, "subscription lost: the revocation log was created again");
    if (v != 0 && m->epoch == 0) /* the first log since we subscribed: read it from its start */
        m->epoch = v >> MC_PS_EPOCH_SHIFT, m->pos = m->epoch << MC_PS_EPOCH_SHIFT;
    m->qlen = m->qoff = 0;
    n = sync_plan(p, v, nums, now);
    if (n > 0 && (st = get_entries(p, m->set, nums, n, queue_msg, p, found)) != SSTORE_OK)
        return broken(p, st, NULL);
    for (i = 0; i < n; i++) {
        if (found[i]) { /* a retry that came is taken off the list */
            for (j = 0; j < m->nretry && m->retry[j].n != nums[i]; j++)
                ;
            if (j < m->nretry)
                m->retry[j] = m->retry[--m->nretry];
        } else if (nums[i] > was && retry_add(m, nums[i], 1, now) != 0)
            p->gaps++;
    }
    m->next_sync_ms = m->pos < v ? now : now + p->sync_ms; /* behind: the next batch at once */
    return SSTORE_OK;
}

static int mp_next(sstore_pubsub *p, const char **msg, size_t *len)
{
    mc_pubsub *m = MP(p);
    int st;
    if (m->qoff >= m->qlen) {
        if (rlink_mono_ms() < m->next_sync_ms)
            return SSTORE_NOT_FOUND;
        if ((st = sync_log(p)) != SSTORE_OK)
            return st;
        if (m->qoff >= m->qlen)
            return SSTORE_NOT_FOUND;
    }
    *msg = m->q + m->qoff;
    *len = strlen(*msg);
    m->qoff += *len + 1;
    return SSTORE_OK;
}

const pubsub_ops sstore_pubsub_mc = {
    "memcached", "poll", mp_open, mp_close, mp_add_publish, mp_scan, mp_subscribe, mp_fd, mp_wait_ms, mp_next,
};

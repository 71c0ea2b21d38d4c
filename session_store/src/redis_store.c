/* redis_store.c — the redis:// and redis-cluster:// backends: sessions as "sess:<id>" string keys
 * holding the JSON record; redis:// has one counted link (redis_link.c) per connection and pipelines
 * a batch of gets in one round trip; redis-cluster:// runs the same commands through the cluster
 * transport (cluster_store.c: a link per master, slot routing, redirects), a batch grouped by master. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "record.h"
#include "redis_store.h"

#define KEY_PREFIX REDIS_KEY_PREFIX
#define KEY_BUF REDIS_KEY_BUF

/* (redis_store.h) touch in one round trip and atomically: rewrites the record's last_seen_ms/expires_ms (the first
 * match is the header's: the claims come after it) and the key's TTL. KEYS[1] key; ARGV now_ms,
 * expires_ms, ttl_s. Returns 1, nil when absent, or an AB_CORRUPT error. */
const char redis_touch_script[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then return false end\n"
    "local s, e = string.find(v, '\"last_seen_ms\":%d+,\"expires_ms\":%d+')\n"
    "if not s then return redis.error_reply('AB_CORRUPT session record has no last_seen_ms/expires_ms') end\n"
    "redis.call('SET', KEYS[1], string.sub(v, 1, s - 1) .. '\"last_seen_ms\":' .. ARGV[1] ..\n"
    "           ',\"expires_ms\":' .. ARGV[2] .. string.sub(v, e + 1), 'EX', ARGV[3])\n"
    "return 1\n";

typedef struct redis_conn {
    rlink link;         /* redis:// */
    rcl_conn *cluster;  /* redis-cluster:// (link then unused) */
    redisReply **held; /* replies whose strings the last get/batch handed out */
    size_t nheld;
    size_t heldcap;
    char *rec;         /* record encoding buffer */
    size_t reccap;
    rlink_bulk *bulk;  /* redis://: the replies of the last get/batch */
    size_t bulkcap;
} redis_conn;

/* Hex SHA1 of the touch script into rs->touch_sha. 0 or -1. */
static int script_sha(redis_store *rs)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    if (EVP_Digest(redis_touch_script, strlen(redis_touch_script), md, &len, EVP_sha1(), NULL) != 1 || len != 20)
        return -1;
    for (i = 0; i < len; i++)
        snprintf(rs->touch_sha + 2 * i, 3, "%02x", md[i]);
    return 0;
}

static int redis_open(sstore *st, sstore_uri *u)
{
    redis_store *rs = calloc(1, sizeof *rs);
    char err[SSTORE_ERRSTR_LEN - 16];
    if (rs == NULL)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    st->impl = rs;
    if (rlink_cfg_parse(&rs->cfg, u, err, sizeof err) != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "%s", err);
    if (script_sha(rs) != 0)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "redis: SHA1 of the touch script failed (OpenSSL)");
    return SSTORE_OK;
}

/* redis-cluster://[user:pass@]host:port[,host:port…][?options]: no database (a cluster has db 0). */
static int cluster_open(sstore *st, sstore_uri *u)
{
    redis_store *rs = calloc(1, sizeof *rs);
    char err[SSTORE_ERRSTR_LEN - 16];
    if (rs == NULL)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "out of memory");
    st->impl = rs;
    if (u->path[0] != '\0' && strcmp(u->path, "/") != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "redis-cluster://: path '%s': a cluster has no databases "
                              "(no /db)", u->path);
    if (rcl_seeds_parse(&rs->seeds, u->authority, err, sizeof err) != 0 ||
        rlink_cfg_parse_options(&rs->cfg, u, err, sizeof err) != 0)
        return sstore_set_err(st, SSTORE_ERR_ARG, "%s", err);
    if (script_sha(rs) != 0)
        return sstore_set_err(st, SSTORE_ERR_NOMEM, "redis: SHA1 of the touch script failed (OpenSSL)");
    return SSTORE_OK;
}

static void redis_close(sstore *st)
{
    redis_store *rs = st->impl;
    if (rs == NULL)
        return;
    rlink_cfg_free(&rs->cfg);
    rcl_seeds_free(&rs->seeds);
    free(rs);
    st->impl = NULL;
}

static int redis_conn_open(sstore_conn *c)
{
    redis_conn *rc = calloc(1, sizeof *rc);
    redis_store *rs = c->st->impl;
    if (rc == NULL)
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    c->impl = rc;
    if (rs->seeds.n > 0)
        return rcl_conn_open(&rc->cluster, &rs->cfg, &rs->seeds, c);
    return rlink_init(&rc->link, &rs->cfg, c);
}

/* Frees the replies held for the previous call's sessions. */
static void release_held(redis_conn *rc)
{
    size_t i;
    for (i = 0; i < rc->nheld; i++)
        freeReplyObject(rc->held[i]);
    rc->nheld = 0;
}

static void redis_conn_close(sstore_conn *c)
{
    redis_conn *rc = c->impl;
    if (rc == NULL)
        return;
    release_held(rc);
    rlink_close(&rc->link);
    rcl_conn_free(rc->cluster);
    free(rc->held);
    free(rc->rec);
    free(rc->bulk);
    free(rc);
    c->impl = NULL;
}

size_t redis_make_key(char *key, const char *id)
{
    size_t len = strlen(id);
    memcpy(key, KEY_PREFIX, sizeof KEY_PREFIX - 1);
    memcpy(key + sizeof KEY_PREFIX - 1, id, len + 1);
    return sizeof KEY_PREFIX - 1 + len;
}

/* Sends one command (its key is argv[keyi]) and reads its reply (*reply freed by the caller).
 * SSTORE_OK or an error. */
static int command(sstore_conn *c, int keyi, int argc, const char **argv, const size_t *argvlen, redisReply **reply)
{
    redis_conn *rc = c->impl;
    int st;
    if (rc->cluster != NULL)
        return rcl_command(rc->cluster, keyi, argc, argv, argvlen, reply);
    st = rlink_append(&rc->link, argc, argv, argvlen);
    *reply = NULL;
    return st == SSTORE_OK ? rlink_roundtrip(&rc->link, 1, reply) : st;
}

/* The error for a reply of an unexpected type to cmd. */
static int unexpected(sstore_conn *c, const redisReply *r, const char *cmd)
{
    redis_conn *rc = c->impl;
    if (r->type == REDIS_REPLY_ERROR)
        return rlink_reply_error(&rc->link, r, cmd);
    return sstore_conn_set_err(c, SSTORE_ERR_PROTOCOL, "redis %s: unexpected reply type %d", cmd, r->type);
}

static int redis_put(sstore_conn *c, const char *id, const char *claims, size_t claims_len, int64_t ttl_ms)
{
    redis_conn *rc = c->impl;
    sstore_record r = {0, 0, 0, claims, claims_len, 0};
    char key[KEY_BUF], ttl[24];
    const char *argv[6] = {"SET", key, NULL, "EX", ttl, "NX"}; /* TTLs are whole seconds */
    size_t argvlen[6] = {3, 0, 0, 2, 0, 2};
    redisReply *reply;
    int st;
    release_held(rc);
    if (sstore_buf_reserve(&rc->rec, &rc->reccap, claims_len + SSTORE_RECORD_OVERHEAD) != 0)
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    r.created_ms = r.last_seen_ms = sstore_now_ms();
    r.expires_ms = r.created_ms + ttl_ms;
    argv[2] = rc->rec;
    argvlen[1] = redis_make_key(key, id);
    argvlen[2] = sstore_record_encode(rc->rec, rc->reccap, &r);
    argvlen[4] = (size_t)snprintf(ttl, sizeof ttl, "%" PRId64, ttl_ms / 1000);
    if ((st = command(c, 1, 6, argv, argvlen, &reply)) != SSTORE_OK)
        return st;
    if (reply->type == REDIS_REPLY_NIL)
        st = SSTORE_EXISTS;
    else if (reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "OK") != 0)
        st = unexpected(c, reply, "SET");
    freeReplyObject(reply);
    return st;
}

int redis_take_value(sstore_conn *c, const char *id, const char *str, size_t len, int64_t now_ms,
                     sstore_session *out)
{
    sstore_record r;
    char err[160];
    if (str == NULL)
        return SSTORE_NOT_FOUND;
    if (sstore_record_decode(str, len, &r, err, sizeof err) != 0)
        return sstore_conn_set_err(c, SSTORE_ERR_CORRUPT, "redis: session %s: corrupt record: %s", id, err);
    if (r.expires_ms <= now_ms)
        return SSTORE_NOT_FOUND; /* Redis expires it within a moment */
    sstore_record_to_session(&r, out);
    return SSTORE_OK;
}

/* Interprets a GET reply object for id into *out; a string reply is kept (held) while out points
 * in it, any other is freed. */
static int take_get_reply(sstore_conn *c, const char *id, redisReply *reply, int64_t now_ms, sstore_session *out)
{
    redis_conn *rc = c->impl;
    int st;
    if (reply->type == REDIS_REPLY_NIL)
        st = SSTORE_NOT_FOUND;
    else if (reply->type != REDIS_REPLY_STRING)
        st = unexpected(c, reply, "GET");
    else
        st = redis_take_value(c, id, reply->str, reply->len, now_ms, out);
    if (st != SSTORE_OK) {
        freeReplyObject(reply);
        return st;
    }
    rc->held[rc->nheld++] = reply;
    return SSTORE_OK;
}

/* Interprets a GET reply of rlink_roundtrip_bulk for id into *out (an object reply is held or freed). */
static int take_bulk(sstore_conn *c, const char *id, const rlink_bulk *b, int64_t now_ms, sstore_session *out)
{
    if (b->obj != NULL)
        return take_get_reply(c, id, b->obj, now_ms, out);
    return redis_take_value(c, id, b->str, b->len, now_ms, out);
}

/* Makes room to hold n replies. SSTORE_OK or NOMEM. */
static int reserve_held(sstore_conn *c, size_t n)
{
    redis_conn *rc = c->impl;
    redisReply **h;
    if (n <= rc->heldcap)
        return SSTORE_OK;
    if ((h = realloc(rc->held, n * sizeof *h)) == NULL)
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    rc->held = h;
    rc->heldcap = n;
    return SSTORE_OK;
}

/* Makes room for n replies of a bulk round trip (and n held objects should they come as such). */
static int reserve_bulk(sstore_conn *c, size_t n)
{
    redis_conn *rc = c->impl;
    rlink_bulk *b;
    if (n > rc->bulkcap) {
        if ((b = realloc(rc->bulk, n * sizeof *b)) == NULL)
            return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
        rc->bulk = b;
        rc->bulkcap = n;
    }
    return reserve_held(c, n);
}

/* GET through the cluster transport. */
static int cluster_get(sstore_conn *c, const char *id, sstore_session *out)
{
    char key[KEY_BUF];
    const char *argv[2] = {"GET", key};
    size_t argvlen[2] = {3, 0};
    redisReply *reply;
    int st;
    argvlen[1] = redis_make_key(key, id);
    if ((st = command(c, 1, 2, argv, argvlen, &reply)) != SSTORE_OK)
        return st;
    return take_get_reply(c, id, reply, sstore_now_ms(), out);
}

static int redis_get(sstore_conn *c, const char *id, sstore_session *out)
{
    redis_conn *rc = c->impl;
    int st;
    release_held(rc);
    if ((st = reserve_bulk(c, 1)) != SSTORE_OK)
        return st;
    if (rc->cluster != NULL)
        return cluster_get(c, id, out);
    if ((st = rlink_append_key(&rc->link, "GET", 3, KEY_PREFIX, sizeof KEY_PREFIX - 1, id, strlen(id))) != SSTORE_OK ||
        (st = rlink_roundtrip_bulk(&rc->link, 1, rc->bulk)) != SSTORE_OK)
        return st;
    return take_bulk(c, id, &rc->bulk[0], sstore_now_ms(), out);
}

/* Appends a GET for every valid id (status[i] = SSTORE_ERR_ARG for the others); returns how many
 * were appended through *m. SSTORE_OK or NOMEM. */
static int batch_append(sstore_conn *c, const char *const *ids, size_t n, int *status, size_t *m)
{
    redis_conn *rc = c->impl;
    size_t i;
    int st = SSTORE_OK;
    for (i = 0, *m = 0; i < n && st == SSTORE_OK; i++) {
        status[i] = sstore_id_valid(ids[i]) ? SSTORE_OK : SSTORE_ERR_ARG;
        if (status[i] != SSTORE_OK)
            continue;
        st = rlink_append_key(&rc->link, "GET", 3, KEY_PREFIX, sizeof KEY_PREFIX - 1, ids[i], strlen(ids[i]));
        if (st == SSTORE_OK)
            (*m)++;
    }
    return st;
}

/* The batch's GETs through the cluster transport, grouped by master: status[i] as batch_append
 * sets it, replies[0..*m) for the valid ids in order. SSTORE_OK or an error. */
static int cluster_batch(sstore_conn *c, const char *const *ids, size_t n, int *status, redisReply **replies,
                         size_t *m)
{
    redis_conn *rc = c->impl;
    char *buf = malloc(n * (KEY_BUF + sizeof(char *) + sizeof(size_t)));
    const char **keys = (const char **)(void *)buf;
    size_t *lens = (size_t *)(void *)(buf + n * sizeof(char *)), i;
    char *key = buf + n * (sizeof(char *) + sizeof(size_t));
    int st;
    if (buf == NULL)
        return sstore_conn_set_err(c, SSTORE_ERR_NOMEM, "out of memory");
    for (i = 0, *m = 0; i < n; i++) {
        status[i] = sstore_id_valid(ids[i]) ? SSTORE_OK : SSTORE_ERR_ARG;
        if (status[i] != SSTORE_OK)
            continue;
        keys[*m] = key + *m * KEY_BUF;
        lens[*m] = redis_make_key(key + *m * KEY_BUF, ids[i]);
        (*m)++;
    }
    st = *m > 0 ? rcl_get_batch(rc->cluster, keys, lens, *m, replies) : SSTORE_OK;
    free(buf);
    return st;
}

/* The results of a batch's m replies (valid ids in order) into status[]/out[], and the batch's
 * note on invalid ids. */
static void take_batch(sstore_conn *c, const char *const *ids, size_t n, size_t m, sstore_session *out, int *status,
                       redisReply **replies)
{
    redis_conn *rc = c->impl;
    int64_t now = sstore_now_ms();
    size_t i, j;
    for (i = 0, j = 0; i < n; i++)
        if (status[i] == SSTORE_OK)
            status[i] = replies != NULL ? take_get_reply(c, ids[i], replies[j++], now, &out[i])
                                        : take_bulk(c, ids[i], &rc->bulk[j++], now, &out[i]);
    if (m < n)
        sstore_conn_set_err(c, SSTORE_ERR_ARG, "batch: %zu of %zu ids are not valid session ids", n - m, n);
}

static int redis_get_batch(sstore_conn *c, const char *const *ids, size_t n, sstore_session *out, int *status)
{
    redis_conn *rc = c->impl;
    redisReply **replies = NULL;
    size_t m = 0;
    int st;
    release_held(rc);
    if ((st = reserve_held(c, 2 * n)) != SSTORE_OK || (st = reserve_bulk(c, n)) != SSTORE_OK)
        return st;
    if (rc->cluster != NULL) {
        replies = rc->held + n; /* the second half of held is the replies' landing place */
        st = cluster_batch(c, ids, n, status, replies, &m);
    } else if ((st = batch_append(c, ids, n, status, &m)) == SSTORE_OK && m > 0) {
        st = rlink_roundtrip_bulk(&rc->link, m, rc->bulk);
    } else {
        rlink_discard(&rc->link);
    }
    if (st == SSTORE_OK)
        take_batch(c, ids, n, m, out, status, replies);
    return st;
}

static int redis_touch(sstore_conn *c, const char *id, int64_t ttl_ms)
{
    redis_store *rs = c->st->impl;
    char key[KEY_BUF], now[24], exp[24], ttl[24];
    int64_t t = sstore_now_ms();
    const char *argv[7] = {"EVALSHA", rs->touch_sha, "1", key, now, exp, ttl};
    redisReply *reply;
    int st;
    release_held(c->impl);
    redis_make_key(key, id);
    snprintf(now, sizeof now, "%" PRId64, t);
    snprintf(exp, sizeof exp, "%" PRId64, t + ttl_ms);
    snprintf(ttl, sizeof ttl, "%" PRId64, ttl_ms / 1000);
    if ((st = command(c, 3, 7, argv, NULL, &reply)) != SSTORE_OK)
        return st;
    if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(reply); /* first touch since the server started: send the script itself */
        argv[0] = "EVAL";
        argv[1] = redis_touch_script;
        if ((st = command(c, 3, 7, argv, NULL, &reply)) != SSTORE_OK)
            return st;
    }
    if (reply->type == REDIS_REPLY_NIL)
        st = SSTORE_NOT_FOUND;
    else if (reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "AB_CORRUPT") != NULL)
        st = sstore_conn_set_err(c, SSTORE_ERR_CORRUPT, "redis: session %s: corrupt record (touch)", id);
    else if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1)
        st = unexpected(c, reply, "EVALSHA touch");
    freeReplyObject(reply);
    return st;
}

static int redis_del(sstore_conn *c, const char *id)
{
    char key[KEY_BUF];
    const char *argv[2] = {"DEL", key};
    size_t argvlen[2] = {3, 0};
    redisReply *reply;
    int st;
    release_held(c->impl);
    argvlen[1] = redis_make_key(key, id);
    if ((st = command(c, 1, 2, argv, argvlen, &reply)) != SSTORE_OK)
        return st;
    if (reply->type != REDIS_REPLY_INTEGER)
        st = unexpected(c, reply, "DEL");
    else if (reply->integer == 0)
        st = SSTORE_NOT_FOUND;
    freeReplyObject(reply);
    return st;
}

static long redis_sweep(sstore_conn *c)
{
    release_held(c->impl);
    return 0; /* Redis expires keys itself */
}

/* used_memory of INFO memory (redis:// only: a cluster's would be one master's). */
static long long redis_stored_bytes(sstore_conn *c)
{
    const char *argv[2] = {"INFO", "memory"}, *p;
    redis_conn *rc = c->impl;
    redisReply *r = NULL;
    long long n = -1;
    release_held(rc);
    if (command(c, 1, 2, argv, NULL, &r) != SSTORE_OK)
        return -1;
    if (r->type == REDIS_REPLY_STRING && (p = strstr(r->str, "used_memory:")) != NULL)
        n = atoll(p + 12);
    else
        sstore_conn_set_err(c, SSTORE_ERR_PROTOCOL, "redis INFO memory: no used_memory");
    freeReplyObject(r);
    return n;
}

/* redis-cluster:// is the same commands on a different transport: only open differs (and, through
 * the connection's cluster handle, conn_open, the command path and the batch). */
const sstore_backend_ops sstore_cluster_backend = {
    .name = "redis-cluster",
    .scheme = "redis-cluster",
    .open = cluster_open,
    .close = redis_close,
    .conn_open = redis_conn_open,
    .conn_close = redis_conn_close,
    .put = redis_put,
    .get = redis_get,
    .touch = redis_touch,
    .del = redis_del,
    .sweep = redis_sweep,
    .get_batch = redis_get_batch,
};

const sstore_backend_ops sstore_redis_backend = {
    .name = "redis",
    .scheme = "redis",
    .open = redis_open,
    .close = redis_close,
    .conn_open = redis_conn_open,
    .conn_close = redis_conn_close,
    .put = redis_put,
    .get = redis_get,
    .touch = redis_touch,
    .del = redis_del,
    .sweep = redis_sweep,
    .get_batch = redis_get_batch,
    .stored_bytes = redis_stored_bytes,
};

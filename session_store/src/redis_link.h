/* redis_link.h — one counted Redis connection of one sstore_conn: connect with AUTH/SELECT, round
 * trips of pipelined commands, timeouts, reconnect with bounded backoff (private to session_store).
 * The redis backend uses one link per connection; a cluster backend uses one per node. */
#ifndef SSTORE_REDIS_LINK_H
#define SSTORE_REDIS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "sstore_int.h"

#define RLINK_BACKOFF_MIN_MS 10
#define RLINK_DEFAULT_PORT 6379

/* Where and how to connect; shared read-only by every link of a store. */
typedef struct rlink_cfg {
    char *host;
    int port;
    char *user; /* NULL: AUTH pass alone (or no AUTH without pass) */
    char *pass; /* NULL: no AUTH */
    int db;
    int connect_timeout_ms;
    int timeout_ms;
    int reconnect_max_ms;
} rlink_cfg;

typedef struct rlink {
    const rlink_cfg *cfg;
    sstore_conn *owner;   /* errors and counters are recorded here */
    redisContext *ctx;    /* NULL while down */
    int ever_tried;       /* a connect was attempted before (later successes are reconnects) */
    int64_t retry_at_ms;  /* monotonic: no connect attempt before this while down */
    int backoff_ms;       /* the wait after the next failed attempt */
    int down_status;      /* why it is down (an sstore_status) */
    char down_msg[SSTORE_ERRSTR_LEN];
    char *obuf;           /* commands appended, not yet sent */
    size_t olen;
    size_t ocap;
    char ibuf[16384];     /* recv buffer fed to the hiredis reader */
    char *in;             /* rlink_roundtrip_bulk: the batch's replies as received (grows) */
    size_t inlen;
    size_t incap;
} rlink;

/* One reply of rlink_roundtrip_bulk: a bulk string (str/len, pointing into the link's receive
 * buffer), nil (str NULL, obj NULL), or any other reply as a hiredis object (obj, the caller's). */
typedef struct rlink_bulk {
    const char *str;
    size_t len;
    size_t off;           /* where str starts in the receive buffer (internal) */
    redisReply *obj;
} rlink_bulk;

/* Reads host:port, credentials, /db and the timeout options of a redis:// URI into cfg (strings
 * malloc'd, freed by rlink_cfg_free). 0, or -1 with a reason in err. */
int rlink_cfg_parse(rlink_cfg *cfg, sstore_uri *u, char *err, size_t errlen);
/* Reads only the credentials and the timeout options of u into cfg (host, port and db untouched):
 * what every node of a cluster shares. 0, or -1 with a reason in err (cfg then holds what was read:
 * free it with rlink_cfg_free). */
int rlink_cfg_parse_options(rlink_cfg *cfg, sstore_uri *u, char *err, size_t errlen);
/* Reads only connect_timeout_ms (default connect_default_ms), timeout_ms and reconnect_max_ms (the
 * same ranges, and the others' defaults, for every networked store: redis, postgres, memcached). 0,
 * or -1 with a reason in err. */
int rlink_cfg_parse_timeouts(rlink_cfg *cfg, sstore_uri *u, int connect_default_ms, char *err, size_t errlen);
void rlink_cfg_free(rlink_cfg *cfg);

/* Sets up l and connects. SSTORE_OK, or the connect error (set on owner); l stays usable and the
 * next round trip retries. */
int rlink_init(rlink *l, const rlink_cfg *cfg, sstore_conn *owner);
/* Closes the connection and frees l's buffers (l itself is the caller's). Accepts a zeroed l. */
void rlink_close(rlink *l);

/* Appends one command (RESP; argvlen NULL: NUL-terminated arguments) to the pending output.
 * SSTORE_OK or SSTORE_ERR_NOMEM. */
int rlink_append(rlink *l, int argc, const char **argv, const size_t *argvlen);
/* One round trip: connects first if down (backoff permitting), sends every appended command and
 * reads n replies into replies[] (the caller frees each with freeReplyObject). SSTORE_OK, or an
 * error set on the owner: the pending commands are dropped, replies[] all NULL, and after an I/O
 * error or timeout the connection is closed (it is out of step) and reopened by the next call.
 * Error replies (-ERR …) are replies, not link errors: see rlink_reply_status(). */
int rlink_roundtrip(rlink *l, size_t n, redisReply **replies);

/* rlink_roundtrip for commands answered by bulk strings (GET): the common replies ($<len> and $-1)
 * are read straight from the receive buffer without a reply object; anything else (an error
 * reply, another type, a malformed line) and every reply after it in the batch go through the
 * hiredis reader into out[i].obj. The strings stay valid until the next round trip on l. Errors
 * as rlink_roundtrip (out[] then holds no objects). */
int rlink_roundtrip_bulk(rlink *l, size_t n, rlink_bulk *out);

/* Appends "<cmd> <prefix><key>" (a two-argument command, the key given in two parts) to the
 * pending output, formatted in place. SSTORE_OK or SSTORE_ERR_NOMEM. */
int rlink_append_key(rlink *l, const char *cmd, size_t cmdlen, const char *prefix, size_t plen, const char *key,
                     size_t keylen);

/* Monotonic milliseconds (backoff and deadlines must not follow wall-clock jumps). */
int64_t rlink_mono_ms(void);

/* The RESP encoding of one command (argvlen NULL: NUL-terminated arguments): at most
 * rlink_resp_size() bytes, written at p by rlink_resp_write(), which returns its length. */
size_t rlink_resp_size(int argc, const char **argv, const size_t *argvlen);
size_t rlink_resp_write(char *p, int argc, const char **argv, const size_t *argvlen);

/* The status for an error reply's message: NOAUTH/WRONGPASS/NOPERM → SSTORE_ERR_AUTH, OOM →
 * SSTORE_ERR_FULL, others → SSTORE_ERR_PROTOCOL. */
int rlink_error_status(const char *msg);

/* Drops the commands appended since the last round trip. */
void rlink_discard(rlink *l);

/* The status for an error reply: NOAUTH/WRONGPASS/NOPERM → SSTORE_ERR_AUTH, OOM → SSTORE_ERR_FULL,
 * others → SSTORE_ERR_PROTOCOL; records "redis <what>: <message>" on the owner. */
int rlink_reply_error(rlink *l, const redisReply *r, const char *what);

#endif /* SSTORE_REDIS_LINK_H */

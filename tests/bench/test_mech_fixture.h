/* test_mech_fixture.h — what the mechanism and server tests share: a private redis-server, a
 * temporary directory, key files for every algorithm family, and the mechanisms to run. */
#ifndef TEST_MECH_FIXTURE_H
#define TEST_MECH_FIXTURE_H

#include "tsupport.h"

#include "ab_mech.h"

#define TMF_SPECS 24
#define TMF_LOOP_FDS 16

typedef struct tmf_fixture {
    tsupport_redis redis;
    char *dir;
    /* private keys as `authbench jwt keygen` writes them: raw HMAC secrets, PKCS#8 PEM */
    char hs[512], hs_other[512], rsa[512], ec[512], ed[512];
    char specs[TMF_SPECS][512]; /* every mechanism, each with the key it needs (or NULL) */
    const char *keys[TMF_SPECS];
    int nspecs;
} tmf_fixture;

extern tmf_fixture tmf;

/* Starts redis-server, makes the directory and the keys, and lists none, session:memory/redis/
 * file, jwt:HS256/RS256/PS256/ES256/EdDSA, jwt+denylist:HS256 over redis and memory and
 * jwt+pushed-denylist:ES256 over redis.
 * 0, or -1 with a message on stderr. */
int tmf_setup(void);
/* Stops redis-server and removes the directory. */
void tmf_teardown(void);
/* cmocka group setup and teardown of the mechanism tests: tmf_setup plus jwt+denylist:ES256 over
 * files, EdDSA and RS256 denylists over redis, and specs with options (claims=, touch=, l1=,
 * cache=); tmf_teardown. */
int tmf_group_setup(void **state);
int tmf_group_teardown(void **state);
/* cmocka group setup of tmf_setup alone (the server and revocation tests); its teardown is
 * tmf_group_teardown. */
int tmf_base_group_setup(void **state);
/* Appends a mechanism to the list. */
void tmf_add_spec(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens spec with key and ttl, failing the test (cmocka) when it does not open. */
ab_mech *tmf_open_ok(const char *spec, const char *key, int64_t ttl);
/* A blocking handle on m, failing the test when it does not connect. */
ab_mech_ctx *tmf_ctx_ok(ab_mech *m);
/* Issues a credential for user into cred (cap bytes), failing the test on an error; its length. */
size_t tmf_issue_ok(ab_mech_ctx *c, const char *user, char *cred, size_t cap);
/* ab_mech_authenticate of cred on c (the principal dropped): AB_MECH_OK, AB_MECH_REVOKED, … */
int tmf_check(ab_mech_ctx *c, const char *cred);
/* Microseconds from since_us until c refuses cred as revoked, polling every poll_us; fails the test
 * (cmocka) when it is still accepted ms after since_us. */
uint64_t tmf_until_refused(ab_mech_ctx *c, const char *cred, uint64_t since_us, long ms, unsigned poll_us);

/* A small poll(2) loop for a loop handle (ab_mech_ctx_new_loop): the fds its hooks asked about. */
typedef struct tmf_loop {
    int fd[TMF_LOOP_FDS];
    short events[TMF_LOOP_FDS];
    ab_mech_ctx *c;
} tmf_loop;

/* The hooks of L (for ab_mech_ctx_new_loop). */
ab_mech_loop tmf_loop_hooks(tmf_loop *L);
/* A loop handle on m through L (L's table emptied first); NULL when out of memory. */
ab_mech_ctx *tmf_loop_ctx(tmf_loop *L, ab_mech *m);
/* One expected answer of an _async call. */
typedef struct tmf_done {
    int calls, status;
} tmf_done;
/* The done callback of a tmf_done (arg). */
void tmf_done_cb(void *arg, int status);
/* The answer of an _async call that returned st: st itself, or (AB_MECH_PENDING) the status done
 * got once the loop brought it (at most 5 s of turns); -100 when it never came. */
int tmf_answer(tmf_loop *L, int st, tmf_done *done);

#endif /* TEST_MECH_FIXTURE_H */

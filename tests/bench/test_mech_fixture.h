/* test_mech_fixture.h — what the mechanism and server tests share: a private redis-server, a
 * temporary directory, key files for every algorithm family, and the mechanisms to run. */
#ifndef TEST_MECH_FIXTURE_H
#define TEST_MECH_FIXTURE_H

#include "tsupport.h"

#define TMF_SPECS 16

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
 * files; tmf_teardown. */
int tmf_group_setup(void **state);
int tmf_group_teardown(void **state);
/* Appends a mechanism to the list. */
void tmf_add_spec(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* TEST_MECH_FIXTURE_H */

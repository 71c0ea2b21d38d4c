/* test_mech_fixture.c — the shared fixture of the mechanism and server tests (see the header). */
#include "test_mech_fixture.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <ajwt.h>

tmf_fixture tmf;

/* Writes a fresh private key for alg into dir/name. 0 or -1. */
static int write_key(ajwt_alg alg, const char *name, char *path, size_t cap)
{
    unsigned char *priv = NULL;
    char *pub = NULL, err[256];
    size_t priv_len = 0, pub_len = 0;
    int rc = -1;
    if (ajwt_keygen(alg, &priv, &priv_len, &pub, &pub_len, err, sizeof err) != AJWT_OK) {
        fprintf(stderr, "keygen %s: %s\n", ajwt_alg_name(alg), err);
        goto out;
    }
    snprintf(path, cap, "%s/%s", tmf.dir, name);
    rc = tsupport_write_file(path, priv, priv_len);
out:
    free(priv);
    free(pub);
    return rc;
}

void tmf_add_spec(const char *key, const char *fmt, ...)
{
    va_list ap;
    if (tmf.nspecs >= TMF_SPECS)
        return;
    va_start(ap, fmt);
    vsnprintf(tmf.specs[tmf.nspecs], sizeof tmf.specs[0], fmt, ap);
    va_end(ap);
    tmf.keys[tmf.nspecs++] = key;
}

int tmf_setup(void)
{
    if (tsupport_redis_start(&tmf.redis, NULL) != 0 || (tmf.dir = tsupport_tmpdir("mech")) == NULL)
        return -1;
    if (write_key(AJWT_HS256, "hs256.key", tmf.hs, sizeof tmf.hs) != 0 ||
        write_key(AJWT_HS256, "hs256-other.key", tmf.hs_other, sizeof tmf.hs_other) != 0 ||
        write_key(AJWT_RS256, "rsa.pem", tmf.rsa, sizeof tmf.rsa) != 0 ||
        write_key(AJWT_ES256, "ec.pem", tmf.ec, sizeof tmf.ec) != 0 ||
        write_key(AJWT_EDDSA, "ed.pem", tmf.ed, sizeof tmf.ed) != 0)
        return -1;
    tmf_add_spec(NULL, "none");
    tmf_add_spec(NULL, "session:memory://");
    tmf_add_spec(NULL, "session:redis://127.0.0.1:%d", tmf.redis.port);
    tmf_add_spec(NULL, "session:file://%s", tmf.dir);
    tmf_add_spec(tmf.hs, "jwt:HS256");
    tmf_add_spec(tmf.rsa, "jwt:RS256");
    tmf_add_spec(tmf.rsa, "jwt:PS256");
    tmf_add_spec(tmf.ec, "jwt:ES256");
    tmf_add_spec(tmf.ed, "jwt:EdDSA");
    tmf_add_spec(tmf.hs, "jwt+denylist:HS256,redis://127.0.0.1:%d", tmf.redis.port);
    tmf_add_spec(tmf.hs, "jwt+denylist:HS256,memory://");
    tmf_add_spec(tmf.ec, "jwt+pushed-denylist:ES256,redis://127.0.0.1:%d", tmf.redis.port);
    return 0;
}

void tmf_teardown(void)
{
    tsupport_redis_stop(&tmf.redis);
    tsupport_rmtree(tmf.dir);
    free(tmf.dir);
    tmf.dir = NULL;
}

int tmf_group_setup(void **state)
{
    (void)state;
    if (tmf_setup() != 0)
        return -1;
    tmf_add_spec(tmf.ec, "jwt+denylist:ES256,file://%s", tmf.dir);
    return 0;
}

int tmf_group_teardown(void **state)
{
    (void)state;
    tmf_teardown();
    return 0;
}

/* uri.h — store URIs: scheme://[user[:pass]@]authority[/path][?key=value&…] (private to session_store). */
#ifndef SSTORE_URI_H
#define SSTORE_URI_H

#include <stddef.h>
#include <stdint.h>

#define SSTORE_URI_MAX_PARAMS 16

typedef struct sstore_uri_param {
    char *key;
    char *val;
    int used; /* set when a backend read it; unread ones are unknown options */
} sstore_uri_param;

/* A parsed URI. Every string is malloc'd and owned by the struct (sstore_uri_free). */
typedef struct sstore_uri {
    char *scheme;    /* as written, e.g. "redis" */
    char *user;      /* percent-decoded; NULL when absent */
    char *pass;      /* percent-decoded; NULL when absent */
    int pass_only;   /* the userinfo had no ':' ("word@host"): redis reads word as the password, postgres
                      * as the user (the URI forms redis-cli and psql each accept) */
    char *authority; /* host[:port][,host[:port]…] as written; "" when empty */
    char *path;      /* percent-decoded; "" when absent, else starts with '/' */
    sstore_uri_param params[SSTORE_URI_MAX_PARAMS];
    size_t nparams;
} sstore_uri;

/* Parses text into *u (zeroed first). 0, or -1 with a one-line reason in err; *u is then freed.
 * Error messages never repeat the password. */
int sstore_uri_parse(const char *text, sstore_uri *u, char *err, size_t errlen);
/* Frees what u owns (u itself is the caller's); accepts a zeroed or already freed u. */
void sstore_uri_free(sstore_uri *u);

/* The value of option key (marking it used), or NULL when absent. */
const char *sstore_uri_get(sstore_uri *u, const char *key);
/* Option key as an integer in [min, max], dflt when absent. 0, or -1 with a reason in err. */
int sstore_uri_u64(sstore_uri *u, const char *key, uint64_t min, uint64_t max, uint64_t dflt,
                   uint64_t *out, char *err, size_t errlen);
/* Option key as the index of one of names (NULL-terminated), dflt when absent. 0 or -1. */
int sstore_uri_enum(sstore_uri *u, const char *key, const char *const *names, int dflt, int *out,
                    char *err, size_t errlen);
/* -1 with "unknown option 'k' for <scheme>://" in err when an option was never read, else 0. */
int sstore_uri_check_unused(const sstore_uri *u, char *err, size_t errlen);

/* Splits one "host:port" ("[v6]:port" too) into a malloc'd *host and *port; default_port when
 * the port is absent. 0, or -1 with a reason in err. */
int sstore_uri_hostport(const char *hp, size_t len, char **host, int *port, int default_port,
                        char *err, size_t errlen);

#endif /* SSTORE_URI_H */

/* memcached.c — the run's memcached (see run_pgmc.h; started by postgres.c's common pieces): the
 * user's URL checked, flush_all between cells; and what a run does with both servers (setup, the
 * cell's server and URI, emptying, their stored bytes). */
#include "run_pgmc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sstore.h"

/* Sends one text command and reads the reply up to its last line (ending in end). 0 or -1. */
static int mc_text(const ab_run_srv *s, const char *cmd, const char *end, char *out, size_t len)
{
    struct sockaddr_in sa;
    struct timeval tv = {2, 0};
    size_t n = 0;
    ssize_t k;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)s->port);
    if (fd < 0 || inet_pton(AF_INET, s->host, &sa.sin_addr) != 1)
        goto done;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0)
        goto done;
    while (n + 1 < len && (k = recv(fd, out + n, len - 1 - n, 0)) > 0) {
        n += (size_t)k;
        out[n] = '\0';
        if (n >= strlen(end) && strcmp(out + n - strlen(end), end) == 0) {
            ok = 1;
            break;
        }
    }
done:
    if (fd >= 0)
        close(fd);
    return ok ? 0 : -1;
}

int ab_run_mc_use(ab_run_srv *s, const char *url, char *err, size_t errlen)
{
    const char *hp = url + 12, *colon;
    sstore *st;
    sstore_conn *c = NULL;
    sstore_session out;
    int ok;
    memset(s, 0, sizeof *s);
    colon = strrchr(hp, ':');
    if (strncmp(url, "memcached://", 12) != 0 || colon == NULL || (size_t)(colon - hp) >= sizeof s->host ||
        (s->port = atoi(colon + 1)) <= 0) {
        ab_fmt(err, errlen, "--memcached-url %s: expected memcached://host:port", url);
        return -1;
    }
    ab_fmt(s->host, sizeof s->host, "%.*s", (int)(colon - hp), hp);
    ab_fmt(s->url, sizeof s->url, "%s", url);
    st = sstore_open(url);
    if (st != NULL && sstore_err(st) == SSTORE_OK)
        c = sstore_connect(st);
    ok = c != NULL && sstore_get(c, "ready-probe", &out) == SSTORE_NOT_FOUND;
    if (!ok)
        ab_fmt(err, errlen, "the memcached at %s does not answer: %s", url,
               c != NULL ? sstore_conn_errstr(c) : st != NULL ? sstore_errstr(st) : "out of memory");
    sstore_conn_free(c);
    sstore_close(st);
    s->running = ok;
    return ok ? 0 : -1;
}

int ab_run_url_field_check(const cJSON *sc, const char *field, const char *scheme, char *err, size_t errlen)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(sc, field);
    if (it == NULL || cJSON_IsNull(it) || (cJSON_IsString(it) && strncmp(it->valuestring, scheme, strlen(scheme)) == 0))
        return 0;
    ab_fmt(err, errlen, "scenario: %s: expected null or %shost:port%s", field, scheme,
           strcmp(scheme, "postgres://") == 0 ? "/db (user[:pass]@ before the host)" : "");
    return -1;
}

ab_run_srv *ab_run_pgmc_of(ab_run_srv *pg, ab_run_srv *mc, const char *store)
{
    return strcmp(store, "postgres") == 0 ? pg : strcmp(store, "memcached") == 0 ? mc : NULL;
}

/* 1 when a cell of cells keeps its sessions in store. */
static int cells_use(const ab_res_cell *cells, size_t n, const char *store)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(cells[i].store, store) == 0)
            return 1;
    return 0;
}

int ab_run_pgmc_setup(ab_run_srv *pg, ab_run_srv *mc, const cJSON *sc, const ab_res_cell *cells, size_t n,
                      const char *tmp_base, const char *log_dir, char *err, size_t errlen)
{
    const char *pgu = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sc, "postgres_url"));
    const char *mcu = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sc, "memcached_url"));
    char log[AB_RUN_PATH_MAX + 16];
    if (cells_use(cells, n, "postgres")) {
        ab_fmt(log, sizeof log, "%s/postgres.log", log_dir);
        if ((pgu != NULL ? ab_run_pg_use(pg, pgu, err, errlen) : ab_run_pg_start(pg, tmp_base, log, err, errlen)) != 0)
            return -1;
    }
    if (cells_use(cells, n, "memcached")) {
        ab_fmt(log, sizeof log, "%s/memcached.log", log_dir);
        if ((mcu != NULL ? ab_run_mc_use(mc, mcu, err, errlen) : ab_run_mc_start(mc, tmp_base, log, err, errlen)) != 0)
            return -1;
    }
    return 0;
}

int ab_run_srv_flush(const ab_run_srv *s, char *err, size_t errlen)
{
    int pg = strncmp(s->url, "postgres", 8) == 0;
    if (!s->own)
        return 0;
    if ((pg ? ab_run_pg_flush(s) : ab_run_mc_flush(s)) == 0)
        return 0;
    ab_fmt(err, errlen, "the run's %s stopped answering", pg ? "PostgreSQL" : "memcached");
    return -1;
}

void ab_run_srv_uri(const ab_run_srv *s, const char *host, int port, char *out, size_t len)
{
    const char *auth = strstr(s->url, "://"), *hp, *rest;
    auth = auth != NULL ? auth + 3 : s->url;
    rest = auth + strcspn(auth, "/?");
    hp = memchr(auth, '@', (size_t)(rest - auth));
    hp = hp != NULL ? hp + 1 : auth;
    ab_fmt(out, len, "%.*s%s:%d%s", (int)(hp - s->url), s->url, host, port, rest);
}

long long ab_run_srv_store_bytes(const ab_run_srv *s)
{
    sstore *st = sstore_open(s->url);
    sstore_conn *c = st != NULL && sstore_err(st) == SSTORE_OK ? sstore_connect(st) : NULL;
    long long n = c != NULL && sstore_conn_err(c) == SSTORE_OK ? sstore_stored_bytes(c) : -1;
    sstore_conn_free(c);
    sstore_close(st);
    return n;
}

int ab_run_mc_flush(const ab_run_srv *s)
{
    char out[64];
    return s->own ? mc_text(s, "flush_all\r\n", "OK\r\n", out, sizeof out) : -1;
}

/* test_serve_client.h — a small blocking HTTP/1.1 client and server launcher for the serve tests. */
#ifndef TEST_SERVE_CLIENT_H
#define TEST_SERVE_CLIENT_H

#include <stddef.h>

#include "tsupport.h"

/* One keep-alive connection; bytes past a response stay buffered for the next (pipelining). */
typedef struct tsc_conn {
    int fd;
    size_t len;
    char buf[65536];
} tsc_conn;

typedef struct tsc_resp {
    int status;
    char head[4096];  /* status line and headers, NUL-terminated */
    char body[16384]; /* NUL-terminated */
    size_t body_len;
} tsc_resp;

/* A started `authbench serve` and its port. */
typedef struct tsc_server {
    tsupport_proc proc;
    int port;
} tsc_server;

/* The server model the tests run under: $AUTHBENCH_SERVE_MODEL ("async", "pool"), or NULL when it
 * is not set (serve's default, async). ctest runs each serve test once per model. */
const char *tsc_model(void);
/* Starts $AUTHBENCH_BIN serve --mechanism spec --listen 127.0.0.1:0 [--key key] [--model
 * tsc_model()] plus extra arguments (NULL-terminated list, may be NULL; a --model there wins);
 * waits for its ready line. 0 or -1. */
int tsc_server_start(tsc_server *s, const char *spec, const char *key, const char *const *extra);
/* SIGTERM; returns the exit status as waitpid gives it. */
int tsc_server_stop(tsc_server *s);

/* Connects to 127.0.0.1:port (reads time out after 5 s). 0 or -1. */
int tsc_connect(tsc_conn *c, int port);
void tsc_close(tsc_conn *c);
/* Sends all of data. 0 or -1. */
int tsc_send(tsc_conn *c, const char *data, size_t len);
/* Reads one response (Content-Length framed). 0, or -1 on EOF, timeout or a malformed response. */
int tsc_read(tsc_conn *c, tsc_resp *r);
/* 1 when the server closed the connection (EOF within 5 s, nothing else sent), else 0. */
int tsc_peer_closed(tsc_conn *c);
/* One request on a fresh connection. Returns the status, or -1. */
int tsc_request(int port, const char *req, tsc_resp *r);
/* Copies header name's value (case-insensitive) into out. 1 found, 0 not. */
int tsc_header(const tsc_resp *r, const char *name, char *out, size_t cap);

/* Endpoint helpers (Host and Content-Length set). kind is "cookie" or "bearer". */
int tsc_login(int port, const char *user, char *cred, size_t cap, char *kind, size_t kind_cap);
int tsc_api(int port, const char *kind, const char *cred, tsc_resp *r);
int tsc_logout(int port, const char *kind, const char *cred, tsc_resp *r);
/* GET /stats, parsed (a cJSON *, the caller deletes it); NULL on failure. */
void *tsc_stats(int port);
/* A number of a parsed /stats object at a dotted path ("store.ops"); -1 when absent. */
double tsc_stat(const void *stats, const char *path);

#endif /* TEST_SERVE_CLIENT_H */

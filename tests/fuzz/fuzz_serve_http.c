/* fuzz_serve_http.c — fuzz target: the bytes a client sends to `authbench serve`, through the
 * server's own buffer limits, parser and routes (srv_http_feed, no socket): all at once to a
 * session:memory:// server (cookie credentials) and in small reads to a "none" server (bearer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "srv.h"

#define NSERVERS 2

static srv servers[NSERVERS];

/* Opens a server for spec with one thread, no sockets. Aborts when it cannot. */
static void open_server(srv *s, const char *spec)
{
    ab_mech *m = ab_mech_open(spec, NULL);
    if (m == NULL || ab_mech_err(m) != 0 || srv_init(s, m, 1, 30000000u, 10000000u) != 0 ||
        srv_thread_init(s, &s->threads[0], 0) != 0) {
        fprintf(stderr, "fuzz: cannot open a %s server\n", spec);
        abort();
    }
}

/* Feeds data to a new connection of s in reads of at most chunk bytes, the output "sent" after
 * each; checks that every answer is a whole HTTP response. */
static void feed(srv *s, const uint8_t *data, size_t size, size_t chunk)
{
    srv_conn *c = srv_conn_new(&s->threads[0], -1);
    size_t off = 0;
    if (c == NULL)
        abort();
    while (off < size && !c->close_after) {
        size_t n = size - off < chunk ? size - off : chunk, took = srv_http_feed(c, (const char *)data + off, n);
        if (c->out.len > 0 && (c->out.len < 12 || memcmp(c->out.data, "HTTP/1.1 ", 9) != 0))
            abort();
        c->out.len = c->woff = 0;
        if (took < n && !c->close_after)
            abort(); /* bytes refused only when the connection is to close */
        off += took;
    }
    srv_conn_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (servers[0].threads == NULL) {
        open_server(&servers[0], "session:memory://?max=1000");
        open_server(&servers[1], "none");
    }
    feed(&servers[0], data, size, size > 0 ? size : 1);
    feed(&servers[1], data, size, 1 + (size > 0 ? data[0] % 13 : 0));
    return 0;
}

/* Requests a client may send: the load generator's, and the edge cases the server must refuse. */
static const char *const requests[] = {
    "POST /login?user=alice HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    ("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
     "Content-Length: 10\r\n\r\nuser=bob12"),
    "GET /api/items HTTP/1.1\r\nHost: x\r\nCookie: theme=dark; sid=AAAAAAAAAAAAAAAAAAAAAA\r\n\r\n",
    ("GET /api/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\n\r\n"
     "GET /api/x HTTP/1.1\r\nAuthorization: bearer\t carol \r\n\r\n"),
    "POST /logout HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice\r\nContent-Length: 0\r\n\r\n",
    "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /api/x HTTP/1.0\r\nConnection: keep-alive\r\nAuthorization: Bearer a\r\n\r\n",
    "POST /login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nuser=\r\n3\r\nabc\r\n0\r\n\r\n",
    "POST /login HTTP/1.1\r\nContent-Length: 999999\r\n\r\n",
    "GET /api/x HTTP/2.0\r\n\r\n",
    "DELETE /login HTTP/1.1\r\n\r\nGET /nowhere HTTP/1.1\r\n\r\n",
    "GET /api/x HTTP/1.1\r\nConnection: close\r\nCookie: sid=\r\n\r\n",
    "GET /api/x HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    "\r\n\r\nGET / HTTP/1.1\r\nX: \x01\r\n\r\n",
};

int fuzz_seeds(const char *dir)
{
    char *big;
    size_t i;
    int n = 0;
    for (i = 0; i < sizeof requests / sizeof requests[0]; i++)
        if (fuzz_seed_str(dir, "req", n++, requests[i]) != 0)
            return -1;
    /* headers past the 8 KiB limit: the 431 path */
    if ((big = malloc(SRV_HDR_MAX + 64)) == NULL)
        return -1;
    memcpy(big, "GET /api/x HTTP/1.1\r\nX: ", 24);
    memset(big + 24, 'a', SRV_HDR_MAX + 36);
    memcpy(big + SRV_HDR_MAX + 60, "\r\n\r\n", 4);
    i = (size_t)fuzz_seed(dir, "big", n++, big, SRV_HDR_MAX + 64);
    free(big);
    return i == 0 ? n : -1;
}

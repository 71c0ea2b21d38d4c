/* ab_http.h — the blocking HTTP/1.1 client of the side channels (the load generator's probe and
 * GET /stats, the revocation probes): a connect within a timeout, a whole write, and one answer
 * read and framed by libhttp-parser, every wait bounded. A few requests per run go this way; the
 * measured traffic has its own non-blocking client (bench/load/load_client.c).
 *
 * The caller owns the socket (close it) and the body buffer; nothing here keeps state. */
#ifndef AB_HTTP_H
#define AB_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "ab_buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Connects to addr within timeout_ms: a non-blocking, close-on-exec socket with TCP_NODELAY (a
 * request is one small write: Nagle would hold it). The fd, or -1 with errno (ETIMEDOUT when the
 * time ran out). */
int ab_http_connect(const struct sockaddr_storage *addr, socklen_t len, int timeout_ms);
/* Writes all len bytes to fd (from ab_http_connect), waiting at most timeout_ms whenever the socket
 * is full. 0, or -1 with errno. */
int ab_http_send(int fd, const char *data, size_t len, int timeout_ms);
/* Reads one answer from fd, waiting at most timeout_ms for each chunk: its body replaces *body's
 * contents (a body over the buffer's bound is refused) and *keep_alive (may be NULL) says whether
 * the connection may carry the next request. Bytes after the answer stay on the socket (peeked, and
 * only the answer's consumed). The HTTP status, or -1 with a one-line reason in err ("closed the
 * connection", the errno text, "not an HTTP answer (HPE_…)"); fd is then of no further use. */
int ab_http_recv(int fd, ab_buf *body, int timeout_ms, int *keep_alive, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* AB_HTTP_H */

/* ab_net.h — what the event loops of the proxy, the load generator and the server share:
 * "HOST:PORT" parsing (names, IPv4, "[IPv6]:PORT"), printing a socket address back in that form,
 * and one epoll wait. */
#ifndef AB_NET_H
#define AB_NET_H

#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Resolves "HOST:PORT" (port 0..65535) to its first TCP address. 0, or -1 with a one-line reason
 * in err. */
int ab_net_resolve(const char *hostport, struct sockaddr_storage *addr, socklen_t *len, char *err,
                   size_t errlen);
/* Formats addr as "HOST:PORT" ("[::1]:PORT" for IPv6) into buf. Returns buf. */
char *ab_net_format(const struct sockaddr *addr, socklen_t len, char *buf, size_t buflen);
/* epoll_wait for at most max events and timeout_ms (-1: no limit). The number of events, 0 when a
 * signal interrupted the wait (so the caller looks at its stop flag), or -1 with "epoll_wait: <why>"
 * in err. */
int ab_net_wait(int epfd, struct epoll_event *evs, int max, int timeout_ms, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* AB_NET_H */

/* ab_net.h — TCP address helpers shared by the proxy and the load generator: "HOST:PORT" parsing
 * (names, IPv4, "[IPv6]:PORT") and printing a socket address back in that form. */
#ifndef AB_NET_H
#define AB_NET_H

#include <stddef.h>
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

#ifdef __cplusplus
}
#endif

#endif /* AB_NET_H */

/* ab_net.c — "HOST:PORT" resolution and formatting with getaddrinfo/getnameinfo; the event loops'
 * epoll wait. */
#include "ab_net.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "ab_cli.h"

/* Splits "HOST:PORT" or "[V6]:PORT" into host and port strings. 0 or -1. */
static int split_hostport(const char *s, char *host, size_t hostlen, const char **port)
{
    const char *colon = strrchr(s, ':');
    const char *h = s;
    size_t n;
    if (colon == NULL || colon[1] == '\0')
        return -1;
    n = (size_t)(colon - s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        h = s + 1;
        n -= 2;
    } else if (memchr(s, ':', n) != NULL) {
        return -1; /* a bare IPv6 address needs brackets */
    }
    if (n == 0 || n >= hostlen)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    *port = colon + 1;
    return 0;
}

int ab_net_resolve(const char *hostport, struct sockaddr_storage *addr, socklen_t *len, char *err,
                   size_t errlen)
{
    char host[256];
    const char *port;
    uint64_t portnum;
    struct addrinfo hints, *res = NULL;
    int rc;
    if (split_hostport(hostport, host, sizeof host, &port) != 0 ||
        ab_parse_u64(port, 0, 65535, &portnum) != 0) {
        snprintf(err, errlen, "'%s' is not HOST:PORT", hostport);
        return -1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

char *ab_net_format(const struct sockaddr *addr, socklen_t len, char *buf, size_t buflen)
{
    char host[128], port[16];
    if (getnameinfo(addr, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(buf, buflen, "?:?");
    else if (addr->sa_family == AF_INET6)
        snprintf(buf, buflen, "[%s]:%s", host, port);
    else
        snprintf(buf, buflen, "%s:%s", host, port);
    return buf;
}

int ab_net_wait(int epfd, struct epoll_event *evs, int max, int timeout_ms, char *err, size_t errlen)
{
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    if (n >= 0 || errno == EINTR)
        return n >= 0 ? n : 0;
    snprintf(err, errlen, "epoll_wait: %s", strerror(errno));
    return -1;
}

/* rv_int.h — internals of bench/revoke: a blocking keep-alive HTTP/1.1 client for the probes. */
#ifndef RV_INT_H
#define RV_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ab_buf.h"

#define RV_BODY_MAX 16384   /* an endpoint's answer body (the login's carries the credential) */
#define RV_TIMEOUT_MS 2000  /* connect and each answer */

/* One server: its address and one keep-alive connection (fd -1 while closed). */
typedef struct rv_conn {
    char name[128];                /* "HOST:PORT" as given */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int fd;
    ab_buf req;                    /* the request being sent */
    ab_buf body;                   /* the last answer's body */
    int status;                    /* the last answer's HTTP status */
} rv_conn;

/* Resolves name. 0, or -1 with a reason in err. */
int rv_conn_init(rv_conn *c, const char *name, char *err, size_t errlen);
void rv_conn_free(rv_conn *c);
/* Sends one request, formatted (connecting first when closed). 0, or -1 with a reason in err (the
 * connection is then closed). */
int rv_send(rv_conn *c, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reads the answer to the request sent: 0 with c->status and c->body, or -1 with a reason. */
int rv_recv(rv_conn *c, char *err, size_t errlen);

#endif /* RV_INT_H */

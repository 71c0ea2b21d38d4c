/* test_serve_client.c — a small blocking HTTP/1.1 client and server launcher for the serve tests. */
#include "test_serve_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

const char *tsc_model(void)
{
    const char *m = getenv("AUTHBENCH_SERVE_MODEL");
    return m != NULL && *m != '\0' ? m : NULL;
}

int tsc_server_start(tsc_server *s, const char *spec, const char *key, const char *const *extra)
{
    const char *bin = getenv("AUTHBENCH_BIN");
    char *argv[32];
    int i = 0, k;
    const char *colon;
    if (bin == NULL) {
        fprintf(stderr, "AUTHBENCH_BIN is not set (run through ctest)\n");
        return -1;
    }
    argv[i++] = (char *)bin;
    argv[i++] = "serve";
    argv[i++] = "--mechanism";
    argv[i++] = (char *)spec;
    argv[i++] = "--listen";
    argv[i++] = "127.0.0.1:0";
    if (key != NULL) {
        argv[i++] = "--key";
        argv[i++] = (char *)key;
    }
    if (tsc_model() != NULL) {
        argv[i++] = "--model";
        argv[i++] = (char *)tsc_model();
    }
    for (k = 0; extra != NULL && extra[k] != NULL && i < 31; k++)
        argv[i++] = (char *)extra[k];
    argv[i] = NULL;
    if (tsupport_proc_start(&s->proc, argv, "listening on ", 10000) != 0)
        return -1;
    colon = strrchr(s->proc.line, ':');
    s->port = colon != NULL ? atoi(colon + 1) : 0;
    return s->port > 0 ? 0 : -1;
}

int tsc_server_stop(tsc_server *s)
{
    return tsupport_proc_stop(&s->proc);
}

int tsc_connect(tsc_conn *c, int port)
{
    struct sockaddr_in a;
    struct timeval tv = {5, 0};
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

void tsc_close(tsc_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

int tsc_send(tsc_conn *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads more bytes into the buffer. >0 bytes read, 0 EOF, -1 error or timeout. */
static ssize_t fill(tsc_conn *c)
{
    ssize_t n;
    if (c->len >= sizeof c->buf)
        return -1;
    do
        n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        c->len += (size_t)n;
    return n;
}

/* The Content-Length of a response head, or -1. */
static long content_length(const char *head)
{
    const char *p = strcasestr(head, "\r\nContent-Length:");
    return p != NULL ? strtol(p + 17, NULL, 10) : -1;
}

int tsc_read(tsc_conn *c, tsc_resp *r)
{
    char *end;
    size_t hlen;
    long blen;
    memset(r, 0, sizeof *r);
    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
        if (fill(c) <= 0)
            return -1;
    hlen = (size_t)(end - c->buf) + 4;
    if (hlen >= sizeof r->head || sscanf(c->buf, "HTTP/1.1 %d", &r->status) != 1)
        return -1;
    memcpy(r->head, c->buf, hlen);
    blen = content_length(r->head);
    if (blen < 0 || (size_t)blen >= sizeof r->body)
        return -1;
    while (c->len < hlen + (size_t)blen)
        if (fill(c) <= 0)
            return -1;
    memcpy(r->body, c->buf + hlen, (size_t)blen);
    r->body_len = (size_t)blen;
    memmove(c->buf, c->buf + hlen + (size_t)blen, c->len - hlen - (size_t)blen);
    c->len -= hlen + (size_t)blen;
    return 0;
}

int tsc_peer_closed(tsc_conn *c)
{
    return c->len == 0 && fill(c) == 0;
}

int tsc_request(int port, const char *req, tsc_resp *r)
{
    tsc_conn *c = malloc(sizeof *c);
    int st = -1;
    if (c == NULL)
        return -1;
    if (tsc_connect(c, port) == 0 && tsc_send(c, req, strlen(req)) == 0 && tsc_read(c, r) == 0)
        st = r->status;
    tsc_close(c);
    free(c);
    return st;
}

int tsc_header(const tsc_resp *r, const char *name, char *out, size_t cap)
{
    const char *p = r->head;
    size_t n = strlen(name);
    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1, *e = strstr(v, "\r\n");
            size_t len;
            while (*v == ' ')
                v++;
            len = e != NULL ? (size_t)(e - v) : strlen(v);
            if (len >= cap)
                return 0;
            memcpy(out, v, len);
            out[len] = '\0';
            return 1;
        }
    }
    return 0;
}

/* Copies a string member of a JSON body into out. 1 found, 0 not. */
static int json_str(const char *body, const char *name, char *out, size_t cap)
{
    cJSON *root = cJSON_Parse(body);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    int ok = cJSON_IsString(v) && strlen(v->valuestring) < cap;
    if (ok)
        strcpy(out, v->valuestring);
    cJSON_Delete(root);
    return ok;
}

int tsc_login(int port, const char *user, char *cred, size_t cap, char *kind, size_t kind_cap)
{
    char req[512];
    tsc_resp *r = malloc(sizeof *r);
    int st;
    snprintf(req, sizeof req, "POST /login?user=%s HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", user);
    st = r != NULL ? tsc_request(port, req, r) : -1;
    if (st == 200 && (!json_str(r->body, "credential", cred, cap) || !json_str(r->body, "kind", kind, kind_cap)))
        st = -1;
    free(r);
    return st;
}

/* Sends "METHOD path" with the credential in the header its kind uses. */
static int with_cred(int port, const char *method, const char *path, const char *kind,
                     const char *cred, tsc_resp *r)
{
    size_t cap = strlen(cred) + 256;
    char *req = malloc(cap);
    int st;
    if (req == NULL)
        return -1;
    if (strcmp(kind, "cookie") == 0)
        snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: t\r\nCookie: theme=dark; sid=%s; lang=en\r\n"
                 "Content-Length: 0\r\n\r\n", method, path, cred);
    else
        snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                 "Content-Length: 0\r\n\r\n", method, path, cred);
    st = tsc_request(port, req, r);
    free(req);
    return st;
}

int tsc_api(int port, const char *kind, const char *cred, tsc_resp *r)
{
    return with_cred(port, "GET", "/api/profile", kind, cred, r);
}

int tsc_logout(int port, const char *kind, const char *cred, tsc_resp *r)
{
    return with_cred(port, "POST", "/logout", kind, cred, r);
}

void *tsc_stats(int port)
{
    tsc_resp *r = malloc(sizeof *r);
    cJSON *root = NULL;
    if (r != NULL && tsc_request(port, "GET /stats HTTP/1.1\r\nHost: t\r\n\r\n", r) == 200)
        root = cJSON_ParseWithLength(r->body, r->body_len);
    free(r);
    return root;
}

double tsc_stat(const void *stats, const char *path)
{
    const cJSON *node = stats;
    char buf[128], *save = NULL, *part;
    snprintf(buf, sizeof buf, "%s", path);
    for (part = strtok_r(buf, ".", &save); part != NULL && node != NULL; part = strtok_r(NULL, ".", &save))
        node = cJSON_GetObjectItemCaseSensitive(node, part);
    return cJSON_IsNumber(node) ? node->valuedouble : -1;
}

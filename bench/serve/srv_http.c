/* srv_http.c — HTTP/1.1 for `authbench serve`: libhttp-parser callbacks, the routes (/login, /api/…,
 * /logout, /stats) and response writing. */
#include "srv.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SRV_STATS_MAX 8192

/* What every response starts with: the status line of an HTTP status and the JSON content type,
 * up to the Content-Length value; its length in *len. */
static const char *status_line(int status, size_t *len)
{
#define SRV_JSON_ "Content-Type: application/json\r\nContent-Length: "
#define SRV_LINE_(text) (*len = sizeof text SRV_JSON_ - 1, text SRV_JSON_)
    switch (status) {
    case 200: return SRV_LINE_("HTTP/1.1 200 OK\r\n");
    case 400: return SRV_LINE_("HTTP/1.1 400 Bad Request\r\n");
    case 401: return SRV_LINE_("HTTP/1.1 401 Unauthorized\r\n");
    case 404: return SRV_LINE_("HTTP/1.1 404 Not Found\r\n");
    case 405: return SRV_LINE_("HTTP/1.1 405 Method Not Allowed\r\n");
    case 408: return SRV_LINE_("HTTP/1.1 408 Request Timeout\r\n");
    case 413: return SRV_LINE_("HTTP/1.1 413 Content Too Large\r\n");
    case 431: return SRV_LINE_("HTTP/1.1 431 Request Header Fields Too Large\r\n");
    case 503: return SRV_LINE_("HTTP/1.1 503 Service Unavailable\r\n");
    case 505: return SRV_LINE_("HTTP/1.1 505 HTTP Version Not Supported\r\n");
    default: return SRV_LINE_("HTTP/1.1 500 Internal Server Error\r\n");
    }
#undef SRV_LINE_
#undef SRV_JSON_
}

/* Copies n bytes to p, inside room already reserved; returns the end. */
static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* Writes v in decimal at p, inside room already reserved; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do
        tmp[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return put(p, tmp + i, sizeof tmp - i);
}

int srv_respond(srv_conn *c, int status, const char *extra, size_t extra_len, const char *body,
                size_t body_len, int counted)
{
    size_t line_len, start = c->out.len;
    const char *line = status_line(status, &line_len);
    int http10_ka = !c->close_after && c->parser.http_major == 1 && c->parser.http_minor == 0;
    char *p;
    if (ab_buf_reserve(&c->out, line_len + 24 + extra_len + 32 + body_len) != 0) {
        c->close_after = 1;
        return -1;
    }
    /* Written in place into the room just reserved, the length and the NUL set once at the end:
     * one bounds check per response, not one per piece (an ab_buf_append per piece was ~350 of the
     * ~19,000 user-space instructions of a session:memory request, callgrind). */
    p = put(c->out.data + start, line, line_len);
    p = put_u64(p, body_len);
    p = put(p, "\r\n", 2);
    if (extra_len > 0)
        p = put(p, extra, extra_len);
    if (c->close_after)
        p = put(p, "Connection: close\r\n", 19);
    else if (http10_ka)
        p = put(p, "Connection: keep-alive\r\n", 24);
    p = put(p, "\r\n", 2);
    p = put(p, body, body_len);
    *p = '\0';
    c->out.len = (size_t)(p - c->out.data);
    if (counted) {
        c->t->live.requests++;
        c->t->live.bytes_out += c->out.len - start;
    }
    return 0;
}

int srv_conn_room(srv_conn *c)
{
    size_t cap;
    char *p;
    if (c->rlen < c->rcap)
        return 0;
    if (c->rcap >= SRV_RBUF_MAX) {
        srv_http_fail(c, c->req.headers_done ? 413 : 431);
        return -1;
    }
    cap = c->rcap * 2 < SRV_RBUF_MAX ? c->rcap * 2 : SRV_RBUF_MAX;
    if ((p = realloc(c->rbuf, cap)) == NULL) {
        c->close_after = 1;
        return -1;
    }
    c->rbuf = p;
    c->rcap = cap;
    return 0;
}

/* Answers {"error":"<reason>"} with status. */
static void respond_error(srv_conn *c, int status, const char *reason)
{
    char body[96];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", reason);
    srv_respond(c, status, NULL, 0, body, (size_t)n, 1);
}

void srv_http_fail(srv_conn *c, int status)
{
    c->t->live.bytes_in += c->rlen - c->msg_start;
    c->t->live.bad_requests++;
    c->close_after = 1;
    respond_error(c, status, status == 431   ? "headers_too_large"
                             : status == 413 ? "body_too_large"
                             : status == 408 ? "request_timeout"
                             : status == 505 ? "http_version_not_supported"
                                             : "bad_request");
}

/* ---- parser callbacks ---------------------------------------------------------------------- */

/* Adds at..at+len to span s: extends it when contiguous, else starts it. -1 (431) past the limit. */
static int span_add(srv_conn *c, srv_span *s, const char *at, size_t len)
{
    size_t off = (size_t)(at - (c->rbuf + c->msg_start));
    if (off + len > SRV_HDR_MAX) {
        c->req.error = 431;
        return -1;
    }
    if (s->len > 0 && off == (size_t)s->off + s->len) {
        s->len += (uint32_t)len;
    } else {
        s->off = (uint32_t)off;
        s->len = (uint32_t)len;
    }
    return 0;
}

/* 1 when span s of the current request equals name, ignoring case. */
static int span_is(const srv_conn *c, srv_span s, const char *name)
{
    return strlen(name) == s.len && strncasecmp(c->rbuf + c->msg_start + s.off, name, s.len) == 0;
}

/* Narrows s to its bytes from i to j, skipping spaces and tabs at both ends. */
static srv_span span_trim(const srv_conn *c, srv_span s, size_t i, size_t j)
{
    const char *p = c->rbuf + c->msg_start + s.off;
    srv_span r;
    while (i < j && (p[i] == ' ' || p[i] == '\t'))
        i++;
    while (j > i && (p[j - 1] == ' ' || p[j - 1] == '\t'))
        j--;
    r.off = s.off + (uint32_t)i;
    r.len = (uint32_t)(j - i);
    return r;
}

/* Finds "sid=" among the pairs of a Cookie header value. */
static void find_sid(srv_conn *c, srv_span v)
{
    const char *p = c->rbuf + c->msg_start + v.off;
    size_t i = 0;
    while (i < v.len) {
        size_t j = i;
        srv_span pair;
        while (j < v.len && p[j] != ';')
            j++;
        pair = span_trim(c, v, i, j);
        if (pair.len > 4 && memcmp(c->rbuf + c->msg_start + pair.off, "sid=", 4) == 0) {
            c->req.cred = span_trim(c, pair, 4, pair.len);
            return;
        }
        i = j + 1;
    }
}

/* Takes the token of an "Authorization: Bearer <token>" value. */
static void find_bearer(srv_conn *c, srv_span v)
{
    const char *p = c->rbuf + c->msg_start + v.off;
    if (v.len > 7 && strncasecmp(p, "bearer", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
        c->req.cred = span_trim(c, v, 7, v.len);
}

/* A header is complete: keeps the first credential of the mechanism's kind. */
static void header_done(srv_conn *c)
{
    c->req.in_value = 0;
    if (c->req.cred.len > 0)
        return;
    if (c->t->s->kind == AB_MECH_COOKIE && span_is(c, c->req.field, "cookie"))
        find_sid(c, c->req.value);
    else if (c->t->s->kind == AB_MECH_BEARER && span_is(c, c->req.field, "authorization"))
        find_bearer(c, c->req.value);
}

/* A new request: clears what the previous one gathered. */
static int on_message_begin(http_parser *p)
{
    srv_conn *c = p->data;
    memset(&c->req, 0, offsetof(srv_req, form));
    return 0;
}

/* The request target, possibly in pieces. */
static int on_url(http_parser *p, const char *at, size_t len)
{
    srv_conn *c = p->data;
    return span_add(c, &c->req.url, at, len);
}

/* A header name, possibly in pieces; a name after a value completes the previous header. */
static int on_header_field(http_parser *p, const char *at, size_t len)
{
    srv_conn *c = p->data;
    if (c->req.in_value) {
        header_done(c);
        c->req.field.len = 0;
    }
    return span_add(c, &c->req.field, at, len);
}

/* A header value, possibly in pieces. */
static int on_header_value(http_parser *p, const char *at, size_t len)
{
    srv_conn *c = p->data;
    if (!c->req.in_value)
        c->req.value.len = 0;
    c->req.in_value = 1;
    return span_add(c, &c->req.value, at, len);
}

/* End of headers: the last header, and the declared body size against the limit. */
static int on_headers_complete(http_parser *p)
{
    srv_conn *c = p->data;
    if (c->req.in_value)
        header_done(c);
    c->req.headers_done = 1;
    if (p->http_major != 1) {
        c->req.error = 505;
        return -1;
    }
    if (p->content_length != UINT64_MAX && p->content_length > SRV_BODY_MAX) {
        c->req.error = 413;
        return -1;
    }
    return 0;
}

/* Body bytes: counted against the limit; the first SRV_FORM_MAX kept for the login form. */
static int on_body(http_parser *p, const char *at, size_t len)
{
    srv_conn *c = p->data;
    size_t keep = SRV_FORM_MAX - c->req.form_len;
    c->req.body_len += len;
    if (c->req.body_len > SRV_BODY_MAX) {
        c->req.error = 413;
        return -1;
    }
    if (keep > len)
        keep = len;
    memcpy(c->req.form + c->req.form_len, at, keep);
    c->req.form_len += keep;
    return 0;
}

/* A whole request: pause so that http_parser_execute returns right after its last byte. */
static int on_message_complete(http_parser *p)
{
    http_parser_pause(p, 1);
    return 0;
}

void srv_http_settings(http_parser_settings *s)
{
    http_parser_settings_init(s);
    s->on_message_begin = on_message_begin;
    s->on_url = on_url;
    s->on_header_field = on_header_field;
    s->on_header_value = on_header_value;
    s->on_headers_complete = on_headers_complete;
    s->on_body = on_body;
    s->on_message_complete = on_message_complete;
}

/* ---- routes -------------------------------------------------------------------------------- */

/* Counts a credential check's outcome. */
static void count_auth(srv_thread *t, int st)
{
    int http;
    if (st == AB_MECH_OK) {
        t->live.auth_ok++;
        return;
    }
    http = ab_mech_status_http(st);
    if (http == 401) {
        t->live.auth_fail++;
        t->live.fail_by_reason[st]++;
    } else if (http == 503) {
        t->live.store_errors++;
    } else {
        t->live.internal_errors++;
    }
}

/* Answers a failed mechanism call with its status and reason. */
static void respond_mech_error(srv_conn *c, int st)
{
    respond_error(c, ab_mech_status_http(st), ab_mech_status_name(st));
}

/* GET /api/…: 200 {"sub":"<user>"} or the refusal. */
static void answer_api(srv_conn *c)
{
    const srv_job *j = &c->job;
    char body[AB_MECH_USER_MAX + 16];
    size_t n;
    count_auth(c->t, j->status);
    if (j->status != AB_MECH_OK) {
        respond_mech_error(c, j->status);
        return;
    }
    n = strlen(j->who.sub);
    memcpy(body, "{\"sub\":\"", 8);
    memcpy(body + 8, j->who.sub, n);
    memcpy(body + 8 + n, "\"}", 2);
    srv_respond(c, 200, NULL, 0, body, n + 10, 1);
}

/* Copies the value of "user=" from a query string or form (s, len) into out. 1 found, 0 not. */
static int find_user(const char *s, size_t len, char *out, size_t cap)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != '&')
            j++;
        if (j - i >= 5 && memcmp(s + i, "user=", 5) == 0) {
            size_t n = j - i - 5 < cap - 1 ? j - i - 5 : cap - 1;
            memcpy(out, s + i + 5, n);
            out[n] = '\0';
            return 1;
        }
        i = j + 1;
    }
    return 0;
}

/* The login's user: from the query string, else from the form body. */
static void login_user(srv_conn *c, char *user, size_t cap)
{
    const char *url = c->rbuf + c->msg_start + c->req.url.off;
    const char *q = memchr(url, '?', c->req.url.len);
    user[0] = '\0';
    if (q != NULL && find_user(q + 1, (size_t)(url + c->req.url.len - q - 1), user, cap))
        return;
    find_user(c->req.form, c->req.form_len, user, cap);
}

/* Counts a login that issued nothing: a bad name is a bad request, the rest server errors. */
static void count_login_fail(srv_thread *t, int st)
{
    if (st == AB_MECH_BAD_USER)
        t->live.bad_requests++;
    else if (st == AB_MECH_STORE_ERROR)
        t->live.store_errors++;
    else
        t->live.internal_errors++;
}

/* POST /login: {"credential":…,"kind":…} (+ Set-Cookie for cookies), or the failure. */
static void answer_login(srv_conn *c)
{
    srv_thread *t = c->t;
    const srv_job *j = &c->job;
    const char *kind = ab_mech_kind_name(t->s->kind), *refresh;
    size_t blen, elen = 0;
    if (j->status != AB_MECH_OK) {
        count_login_fail(t, j->status);
        respond_mech_error(c, j->status);
        return;
    }
    refresh = ab_mech_refresh_token_of(t->s->mech, j->out, j->out_len);
    t->live.logins++;
    /* scratch holds 2 * cred_cap + 128 bytes: the body, then the Set-Cookie line */
    blen = (size_t)sprintf(t->scratch, "{\"credential\":\"%.*s\",\"kind\":\"%s\"", (int)j->out_len,
                           j->out, kind);
    if (refresh != NULL) /* jwt+refresh: the refresh token came with it */
        blen += (size_t)sprintf(t->scratch + blen, ",\"refresh\":\"%s\"", refresh);
    t->scratch[blen++] = '}';
    if (t->s->kind == AB_MECH_COOKIE)
        elen = (size_t)sprintf(t->scratch + blen, "Set-Cookie: sid=%.*s; Path=/; HttpOnly\r\n",
                               (int)j->out_len, j->out);
    srv_respond(c, 200, t->scratch + blen, elen, t->scratch, blen, 1);
}

/* POST /refresh (jwt+refresh, the refresh token as the bearer credential): {"credential":…,
 * "kind":"bearer"}, a new access token; or the refusal (401 unknown_session: logged out). */
static void answer_refresh(srv_conn *c)
{
    srv_thread *t = c->t;
    const srv_job *j = &c->job;
    size_t blen;
    if (j->status != AB_MECH_OK) {
        count_auth(t, j->status);
        respond_mech_error(c, j->status);
        return;
    }
    blen = (size_t)sprintf(t->scratch, "{\"credential\":\"%.*s\",\"kind\":\"bearer\"}", (int)j->out_len, j->out);
    srv_respond(c, 200, NULL, 0, t->scratch, blen, 1);
}

/* POST /logout: {"revoked":true|false} (false: the mechanism cannot), or the refusal. */
static void answer_logout(srv_conn *c)
{
    static const char gone[] = "Set-Cookie: sid=; Path=/; Max-Age=0; HttpOnly\r\n";
    srv_thread *t = c->t;
    int st = c->job.status;
    count_auth(t, st);
    if (st != AB_MECH_OK) {
        respond_mech_error(c, st);
        return;
    }
    t->live.logouts++;
    if (t->s->can_revoke)
        srv_respond(c, 200, t->s->kind == AB_MECH_COOKIE ? gone : NULL,
                    t->s->kind == AB_MECH_COOKIE ? sizeof gone - 1 : 0, "{\"revoked\":true}", 16, 1);
    else
        srv_respond(c, 200, NULL, 0, "{\"revoked\":false}", 17, 1);
}

/* GET /stats: every thread's counters merged; not counted itself. */
static void answer_stats(srv_conn *c)
{
    ab_buf body;
    ab_buf_init(&body, SRV_STATS_MAX);
    if (srv_stats_json(c->t, &body) == 0)
        srv_respond(c, 200, NULL, 0, body.data, body.len, 0);
    else
        srv_respond(c, 500, NULL, 0, "{\"error\":\"internal\"}", 20, 0);
    ab_buf_free(&body);
}

void srv_http_finish(srv_conn *c)
{
    srv_thread *t = c->t;
    srv_job *j = &c->job;
    c->pending = 0;
    if (j->route == SRV_ROUTE_STATS) {
        answer_stats(c);
        return;
    }
    if (j->timed) {
        t->live.auth_cpu_gross_ns += j->cpu_gross_ns;
        t->live.auth_clock_ns += j->clock_ns;
        j->cpu_gross_ns = j->clock_ns = 0;
    }
    if (j->route == SRV_ROUTE_LOGIN)
        answer_login(c);
    else if (j->route == SRV_ROUTE_LOGOUT)
        answer_logout(c);
    else if (j->route == SRV_ROUTE_REFRESH)
        answer_refresh(c);
    else
        answer_api(c);
}

/* The mechanism answered c's job later (async model): resumed after the loop's event batch. */
static void job_done(void *arg, int status)
{
    srv_conn *c = arg;
    c->job.status = status;
    srv_post_ready(c);
}

/* Hands the job to the server's model: a pool worker; or the mechanism: its blocking call when the
 * handle never waits, else its _async call (which may answer at once: then so does the server). */
static void dispatch(srv_conn *c)
{
    srv_thread *t = c->t;
    srv_job *j = &c->job;
    if (t->s->model == SRV_MODEL_POOL) {
        if (srv_job_keep_cred(j) != 0) {
            j->status = AB_MECH_INTERNAL;
            srv_http_finish(c);
            return;
        }
        c->pending = 1;
        srv_pool_submit(t->s->pool, c);
        return;
    }
    if (!t->mech_waits) /* none, jwt:<ALG>, memory://: the blocking call never waits, and costs less */
        srv_job_run(t->mech, j, t->cred_cap);
    else if (srv_job_start(t->mech, j, t->cred_cap, job_done, c) == AB_MECH_PENDING) {
        c->pending = 1;
        return;
    }
    srv_http_finish(c);
}

/* Starts the mechanism call of a login, api or logout request (a missing credential is answered
 * at once); 1 in SRV_AUTH_SAMPLE api calls is timed. */
static void start_job(srv_conn *c, int route)
{
    srv_thread *t = c->t;
    srv_job *j = &c->job;
    j->route = route;
    j->timed = 0;
    j->cred = c->rbuf + c->msg_start + c->req.cred.off;
    j->cred_len = c->req.cred.len;
    j->status = AB_MECH_INTERNAL;
    if (route == SRV_ROUTE_LOGIN)
        login_user(c, j->user, sizeof j->user);
    if ((route == SRV_ROUTE_LOGIN || route == SRV_ROUTE_REFRESH) && j->out == NULL &&
        (j->out = malloc(t->cred_cap)) == NULL) {
        srv_http_finish(c);
        return;
    }
    if (route != SRV_ROUTE_LOGIN && j->cred_len == 0) {
        j->status = AB_MECH_MISSING;
        srv_http_finish(c);
        return;
    }
    if (route == SRV_ROUTE_API && t->live.auth_calls++ % SRV_AUTH_SAMPLE == 0)
        j->timed = (t->live.auth_samples++ & 1) == 0 ? 1 : 2;
    dispatch(c);
}

/* GET /stats: answered once every other thread has published its counters (at the end of its
 * turn: srv_stats_ask), at once on a server of one thread. */
static void route_stats(srv_conn *c)
{
    c->job.route = SRV_ROUTE_STATS;
    c->job.timed = 0;
    if ((c->job.stats_gen = srv_stats_ask(c->t)) == 0)
        answer_stats(c);
    else
        srv_stats_park(c);
}

/* 1 when the request's path (without the query: req.path_len) is path; prefix: starts with it. */
static int path_is(const srv_conn *c, const char *path, int prefix)
{
    size_t len = c->req.path_len, n = strlen(path);
    return (prefix ? len >= n : len == n) && memcmp(c->rbuf + c->msg_start + c->req.url.off, path, n) == 0;
}

/* A 404 or 405: counted as a bad request; the connection stays open. */
static void route_unknown(srv_conn *c, int status)
{
    c->t->live.bad_requests++;
    respond_error(c, status, status == 404 ? "not_found" : "method_not_allowed");
}

/* Routes one complete request. */
static void handle_message(srv_conn *c)
{
    int method = (int)c->parser.method;
    const char *url = c->rbuf + c->msg_start + c->req.url.off, *q = memchr(url, '?', c->req.url.len);
    c->req.path_len = q != NULL ? (uint32_t)(q - url) : c->req.url.len; /* once, for every path_is */
    if (!http_should_keep_alive(&c->parser) || c->parser.upgrade)
        c->close_after = 1;
    if (path_is(c, "/stats", 0) && method == HTTP_GET) {
        route_stats(c);
        return;
    }
    c->t->live.bytes_in += c->parsed - c->msg_start;
    if (path_is(c, "/api/", 1))
        method == HTTP_GET ? start_job(c, SRV_ROUTE_API) : route_unknown(c, 405);
    else if (path_is(c, "/login", 0))
        method == HTTP_POST ? start_job(c, SRV_ROUTE_LOGIN) : route_unknown(c, 405);
    else if (path_is(c, "/logout", 0))
        method == HTTP_POST ? start_job(c, SRV_ROUTE_LOGOUT) : route_unknown(c, 405);
    else if (path_is(c, "/refresh", 0))
        method == HTTP_POST ? start_job(c, SRV_ROUTE_REFRESH) : route_unknown(c, 405);
    else
        route_unknown(c, path_is(c, "/stats", 0) ? 405 : 404);
}

/* Moves the unparsed tail (a partial request) to the front of the buffer. */
static void compact(srv_conn *c)
{
    if (c->msg_start == 0)
        return;
    if (c->msg_start == c->rlen) { /* all parsed: nothing to move */
        c->rlen = c->parsed = c->msg_start = 0;
        return;
    }
    memmove(c->rbuf, c->rbuf + c->msg_start, c->rlen - c->msg_start);
    c->rlen -= c->msg_start;
    c->parsed -= c->msg_start;
    c->msg_start = 0;
}

/* Starts or stops the clock of the request being read (its first byte came with the last read, at
 * c->last_us, unless it was pending before) and answers 408 once it has run out while the server
 * waits for the client's bytes (not while its own output holds parsing back). */
static void request_deadline(srv_conn *c, int completed)
{
    if (c->msg_start == c->rlen) {
        c->req_start_us = 0;
        return;
    }
    if (c->req_start_us == 0 || completed)
        c->req_start_us = c->last_us;
    else if (!c->close_after && c->parsed == c->rlen && c->last_us - c->req_start_us > c->t->s->request_us)
        srv_http_fail(c, 408);
}

void srv_http_process(srv_conn *c)
{
    int completed = 0;
    while (c->parsed < c->rlen && !c->close_after && !c->pending && c->out.len < SRV_WBUF_HIGH) {
        size_t n = http_parser_execute(&c->parser, &c->t->s->settings, c->rbuf + c->parsed,
                                       c->rlen - c->parsed);
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        c->parsed += n;
        if (e == HPE_PAUSED) {
            http_parser_pause(&c->parser, 0);
            handle_message(c);
            c->msg_start = c->parsed;
            completed = 1;
        } else if (e != HPE_OK) {
            srv_http_fail(c, c->req.error ? c->req.error : 400);
        } else if (!c->req.headers_done && c->parsed - c->msg_start > SRV_HDR_MAX) {
            srv_http_fail(c, 431);
        }
    }
    request_deadline(c, completed);
    if (!c->close_after)
        compact(c);
}

size_t srv_http_feed(srv_conn *c, const char *in, size_t len)
{
    size_t taken = 0;
    while (taken < len && !c->close_after && srv_conn_room(c) == 0) {
        size_t n = c->rcap - c->rlen < len - taken ? c->rcap - c->rlen : len - taken;
        memcpy(c->rbuf + c->rlen, in + taken, n);
        c->rlen += n;
        taken += n;
        srv_http_process(c);
    }
    return taken;
}

/* rep.c — one repetition: run `authbench load`, learn its exact measured window from the line it
 * announces (AB_LOAD_WINDOW_LINE, CLOCK_MONOTONIC), snapshot Redis and the servers' /stats at the
 * window's start and end, inject the cell's fault fault_at into it (or run its store sweep), and
 * read the load's JSON. */
#include "run_exec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ab_http.h"
#include "ab_net.h"
#include "load/ab_load.h"

#define POLL_MS 20

/* What the monitor loop knows while the load runs. */
typedef struct rep_watch {
    uint64_t window_us;         /* measured window begins (announced by the load), 0 before */
    uint64_t window_end_us;     /* and ends */
    double window_unix_ms;      /* its start on the wall clock, -1 before */
    uint64_t fault_us;          /* fault injected, 0 before */
    uint64_t fault_end_us;      /* fault lifted (its injection for an instant one), 0 before */
    char fault_note[160];       /* why injecting or lifting it failed, or "" */
    uint64_t deadline_us;
    ab_res_redis_counts redis0, redis1; /* at the window's start and end */
    double requests0, requests1;        /* servers' request counts there, -1 when unknown */
    int have0, have1;           /* 0 not yet, 1 taken, -1 failed (no Redis figures then) */
    ab_run_cpu_times cpu0, cpu1;        /* the machine's and the run's CPU times there (steal, other work) */
    char counters_note[96];     /* why there are no deltas, or "" */
} rep_watch;

#define HTTP_TIMEOUT_MS 2000
#define HTTP_BODY_MAX 65536

/* Sends "METHOD PATH" to target "HOST:PORT" and parses the JSON body of a 200 answer (the caller
 * frees it); NULL otherwise. Through the side channels' one blocking client (ab_http.h). */
static cJSON *http_json(const char *target, const char *method_path)
{
    struct sockaddr_storage addr;
    socklen_t alen;
    char req[256], err[160];
    ab_buf body;
    cJSON *j = NULL;
    int fd;
    if (ab_net_resolve(target, &addr, &alen, err, sizeof err) != 0 ||
        (fd = ab_http_connect(&addr, alen, HTTP_TIMEOUT_MS)) < 0)
        return NULL;
    ab_fmt(req, sizeof req, "%s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
           method_path, target);
    ab_buf_init(&body, HTTP_BODY_MAX);
    if (ab_http_send(fd, req, strlen(req), HTTP_TIMEOUT_MS) == 0 &&
        ab_http_recv(fd, &body, HTTP_TIMEOUT_MS, NULL, err, sizeof err) == 200 && body.data != NULL)
        j = cJSON_Parse(body.data);
    close(fd);
    ab_buf_free(&body);
    return j;
}

/* The sum over e's servers of a numeric /stats field; -1 when a server does not answer. */
static double servers_sum(const ab_run_rep_env *e, const char *field)
{
    char targets[sizeof e->targets], *save = NULL, *t;
    double sum = 0;
    ab_fmt(targets, sizeof targets, "%s", e->targets);
    for (t = strtok_r(targets, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        cJSON *j = http_json(t, "GET /stats");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, field);
        int ok = cJSON_IsNumber(v);
        if (ok)
            sum += v->valuedouble;
        cJSON_Delete(j);
        if (!ok)
            return -1;
    }
    return sum;
}

/* The length of the credential a login on the first server issues (user0, as the load names its
 * first user), or -1. A probe of our own: the load does not report it. */
static long credential_probe(const ab_run_rep_env *e)
{
    char first[64];
    cJSON *j;
    long n = -1;
    ab_fmt(first, sizeof first, "%.*s", (int)strcspn(e->targets, ","), e->targets);
    j = http_json(first, "POST /login?user=user0");
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "credential")))
        n = (long)strlen(cJSON_GetObjectItemCaseSensitive(j, "credential")->valuestring);
    cJSON_Delete(j);
    return n;
}

/* Formats seconds for a command line: "2.5s". */
static void fmt_s(uint64_t us, char *out, size_t len)
{
    ab_fmt(out, len, "%gs", (double)us / 1e6);
}

/* Starts `authbench load` for cell c against e->targets, JSON into json_path. 0, or -1 with err. */
static int start_load(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, const char *json_path,
                      ab_run_proc *load, char *err, size_t errlen)
{
    char conns[16], threads[16], dur[32], warm[32], users[16], mix[96], rate[32], log[AB_RUN_PATH_MAX];
    char *argv[32] = {ctx->self, "load", "--targets", e->targets, "--lb", (char *)c->lb,
                      "--connections", conns, "--threads", threads, "--duration", dur,
                      "--warmup", warm, "--users", users, "--key-dist", (char *)c->key_dist,
                      "--mix", mix, "--json", (char *)json_path, "--no-progress", NULL};
    int n = 23;
    ab_fmt(conns, sizeof conns, "%u", c->connections);
    ab_fmt(threads, sizeof threads, "%u", c->threads);
    fmt_s(c->duration_us, dur, sizeof dur);
    fmt_s(c->warmup_us, warm, sizeof warm);
    ab_fmt(users, sizeof users, "%u", c->users);
    ab_fmt(mix, sizeof mix, "login=%u,request=%u,logout=%u", c->mix_login, c->mix_request, c->mix_logout);
    if (c->rate_per_sec > 0) {
        ab_fmt(rate, sizeof rate, "%g", c->rate_per_sec);
        argv[n++] = "--rate", argv[n++] = rate;
    }
    if (ctx->shard != NULL)
        argv[n++] = "--shard", argv[n++] = (char *)ctx->shard;
    argv[n] = NULL;
    ab_fmt(log, sizeof log, "%s/rep%u-load.log", e->cell_dir, e->rep);
    return ab_run_proc_start(load, "authbench load", argv, log, NULL, err, errlen);
}

/* The counters of the cell's store: its Redis, or its cluster's masters summed. 0, or -1. */
static int store_snapshot(const ab_run_rep_env *e, ab_res_redis_counts *out)
{
    if (e->cluster != NULL)
        return e->cluster->running ? ab_run_cluster_snapshot(e->cluster, out) : -1;
    return e->redis != NULL && e->redis->running ? ab_run_redis_snapshot(e->redis, out) : -1;
}

/* Reads the window the load announced in its log (AB_LOAD_WINDOW_LINE) into w. 1 once known. */
static int window_announced(const ab_run_proc *load, rep_watch *w)
{
    unsigned long long start = 0, end = 0;
    double unix_ms = -1;
    char *text = ab_read_file(load->log, 1u << 20, NULL);
    const char *line = text != NULL ? strstr(text, AB_LOAD_WINDOW_LINE) : NULL;
    int ok = line != NULL && strchr(line, '\n') != NULL &&
             sscanf(line + strlen(AB_LOAD_WINDOW_LINE), " start_mono_us=%llu end_mono_us=%llu start_unix_ms=%lf",
                    &start, &end, &unix_ms) == 3 && start > 0 && end >= start;
    free(text);
    if (ok) {
        w->window_us = start;
        w->window_end_us = end;
        w->window_unix_ms = unix_ms;
    }
    return ok;
}

/* Snapshots the store's counters and the servers' requests at the window's start or end (when);
 * 1, or -1 (no Redis figures for this repetition) with the reason in w->counters_note. */
static int take_snapshot(const ab_run_rep_env *e, rep_watch *w, const char *when, ab_res_redis_counts *redis,
                         double *requests)
{
    int rc = store_snapshot(e, redis) == 0 ? 1 : -1;
    *requests = servers_sum(e, "requests");
    if (rc == 1 && *requests < 0)
        rc = -1, ab_fmt(w->counters_note, sizeof w->counters_note, "a server's /stats did not answer at the %s", when);
    else if (rc != 1)
        ab_fmt(w->counters_note, sizeof w->counters_note, "no store counters at the %s", when);
    return rc;
}

/* Follows the announced window: learns it from the load's log, then takes the snapshots at its
 * start and its end. */
static void watch_window(const ab_run_rep_env *e, const ab_run_proc *load, rep_watch *w, uint64_t now)
{
    if (w->window_us == 0 && !window_announced(load, w))
        return;
    if (w->have0 == 0 && now >= w->window_us) {
        ab_run_cpu_times_read_tree(&w->cpu0);
        w->have0 = take_snapshot(e, w, "window's start", &w->redis0, &w->requests0);
    }
    if (w->have0 != 0 && w->have1 == 0 && now >= w->window_end_us) {
        ab_run_cpu_times_read_tree(&w->cpu1);
        w->have1 = take_snapshot(e, w, "window's end", &w->redis1, &w->requests1);
    }
}

/* The next instant the watch must act at (window start or end, fault, lift), at most POLL_MS away. */
static uint64_t next_event_us(const ab_res_cell *c, const rep_watch *w, uint64_t now)
{
    const ab_res_fault *f = ab_res_fault_find(c->fault);
    uint64_t next = now + POLL_MS * 1000u, t[4] = {0, 0, 0, 0};
    size_t i;
    if (w->window_us == 0)
        return next;
    t[0] = w->have0 == 0 ? w->window_us : 0;
    t[1] = w->have1 == 0 ? w->window_end_us : 0;
    t[2] = f != NULL && w->fault_us == 0 ? w->window_us + c->fault_at_us : 0;
    t[3] = f != NULL && f->span == AB_RES_FAULT_FOR && w->fault_us != 0 && w->fault_end_us == 0
               ? w->fault_us + c->fault_for_us
               : 0;
    for (i = 0; i < 4; i++)
        if (t[i] != 0 && t[i] < next)
            next = t[i] > now ? t[i] : now;
    return next;
}

/* Sleeps until the monotonic instant at_us (or returns at once when past or stopped). */
static void sleep_until_us(uint64_t at_us)
{
    uint64_t now = ab_now_us();
    struct timespec ts;
    if (at_us <= now || ab_run_stop_signal != 0)
        return;
    ts.tv_sec = (time_t)((at_us - now) / 1000000u);
    ts.tv_nsec = (long)((at_us - now) % 1000000u) * 1000;
    nanosleep(&ts, NULL);
}

/* Injects the cell's fault when its time has come (fault.c), and lifts it fault_for later. */
static void watch_fault(ab_run_rep_env *e, const ab_res_cell *c, rep_watch *w, uint64_t now)
{
    const ab_res_fault *f = ab_res_fault_find(c->fault);
    char note[160];
    if (f == NULL || w->window_us == 0)
        return;
    if (w->fault_us == 0 && now >= w->window_us + c->fault_at_us) {
        w->fault_us = now;
        if (ab_run_fault_inject(e, c, note, sizeof note) != 0 || note[0] != '\0')
            ab_fmt(w->fault_note, sizeof w->fault_note, "%s", note);
        if (f->span == AB_RES_FAULT_INSTANT)
            w->fault_end_us = now;
    } else if (w->fault_us != 0 && w->fault_end_us == 0 && f->span == AB_RES_FAULT_FOR &&
               now >= w->fault_us + c->fault_for_us) {
        w->fault_end_us = f->ends_itself ? w->fault_us + c->fault_for_us : now;
        if (ab_run_fault_lift(e, c, note, sizeof note) != 0)
            ab_fmt(w->fault_note, sizeof w->fault_note, "not lifted: %s", note);
    }
}

/* Waits for the load to exit, following the window and the fault. 0, or -1 with err. */
static int watch_load(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, ab_run_proc *load,
                      rep_watch *w, char *err, size_t errlen)
{
    char tail[200];
    while (!ab_run_proc_poll(load)) {
        uint64_t now = ab_now_us();
        if (now > w->deadline_us || ab_run_stop_signal != 0) {
            ab_run_proc_stop(load, SIGKILL, 1000);
            ab_fmt(err, errlen, ab_run_stop_signal ? "interrupted" : "authbench load did not finish in time");
            return -1;
        }
        if (w->window_us == 0 && window_announced(load, w)) /* its threads are all up now */
            ab_run_pin(&ctx->placement, AB_RUN_ROLE_LOAD, load->pid);
        watch_window(e, load, w, now);
        watch_fault(e, c, w, ab_now_us()); /* the snapshots may have taken a moment */
        ab_run_sweep_watch(e, c, w->window_us, ab_now_us());
        ab_run_progress_tick(&ctx->progress);
        sleep_until_us(next_event_us(c, w, ab_now_us()));
    }
    if (WIFEXITED(load->status) && WEXITSTATUS(load->status) == 0)
        return 0;
    ab_run_log_tail(load->log, tail, sizeof tail);
    ab_fmt(err, errlen, "authbench load failed (%s %d): %s",
             WIFEXITED(load->status) ? "status" : "signal",
             WIFEXITED(load->status) ? WEXITSTATUS(load->status) : WTERMSIG(load->status), tail);
    return -1;
}

/* 1 when the counters b are not below a (a Redis restarted in the window starts again from 0). */
static int counts_grew(const ab_res_redis_counts *a, const ab_res_redis_counts *b)
{
    return b->calls >= a->calls && b->net_in >= a->net_in && b->net_out >= a->net_out && b->cpu_us >= a->cpu_us;
}

/* The Redis and request deltas over the announced window into rep, or why there are none. */
static void window_deltas(rep_watch *w, ab_res_rep *rep)
{
    if (w->window_us == 0 || w->have0 == 0)
        ab_fmt(w->counters_note, sizeof w->counters_note, "the load %s",
               w->window_us ? "ended before its window" : "announced no window");
    else if (w->have0 == 1 && w->have1 == 1 && !(w->requests1 > w->requests0))
        ab_fmt(w->counters_note, sizeof w->counters_note, "the servers counted no request in the window");
    else if (w->have0 == 1 && w->have1 == 1 && !counts_grew(&w->redis0, &w->redis1))
        ab_fmt(w->counters_note, sizeof w->counters_note, "Redis restarted in the window (its counters began again)");
    else if (w->have0 == 1 && w->have1 == 1) {
        rep->have_redis = 1;
        rep->redis_delta.calls = w->redis1.calls - w->redis0.calls;
        rep->redis_delta.net_in = w->redis1.net_in - w->redis0.net_in;
        rep->redis_delta.net_out = w->redis1.net_out - w->redis0.net_out;
        rep->redis_delta.cpu_us = w->redis1.cpu_us - w->redis0.cpu_us;
        rep->server_requests = (uint64_t)(w->requests1 - w->requests0);
    }
    ab_fmt(rep->counters_note, sizeof rep->counters_note, "%s", rep->have_redis ? "" : w->counters_note);
}

/* After the load: the deltas over the announced window (a load that stopped early is measured up
 * to its exit), the window's start and the fault's times. */
static void collect_counters(const ab_run_rep_env *e, const ab_res_cell *c, rep_watch *w, ab_res_rep *rep)
{
    if (w->have0 == 1 && w->have1 == 0) {
        ab_run_cpu_times_read_tree(&w->cpu1);
        w->have1 = take_snapshot(e, w, "load's exit", &w->redis1, &w->requests1);
    }
    window_deltas(w, rep);
    rep->steal_frac = ab_run_steal_frac(&w->cpu0, &w->cpu1);
    rep->other_cpu_window_frac = ab_run_other_cpu_window_frac(&w->cpu0, &w->cpu1);
    rep->window_start_unix_ms = w->window_unix_ms;
    rep->fault_at_s = rep->fault_end_s = -1;
    if (c->fault[0] != '\0' && w->fault_us != 0)
        rep->fault_at_s = ((double)w->fault_us - (double)w->window_us) / 1e6;
    if (c->fault[0] != '\0' && w->fault_end_us != 0)
        rep->fault_end_s = ((double)w->fault_end_us - (double)w->window_us) / 1e6;
    ab_fmt(rep->fault_note, sizeof rep->fault_note, "%s", w->fault_note);
}

/* Reads the load's JSON into rep->load. 0, or -1 with err. */
static int read_load_json(const char *path, ab_res_rep *rep, char *err, size_t errlen)
{
    char *text = ab_read_file(path, 256u << 20, NULL);
    if (text == NULL) {
        ab_fmt(err, errlen, "authbench load wrote no %s: %s", path, strerror(errno));
        return -1;
    }
    rep->load = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(rep->load)) {
        cJSON_Delete(rep->load);
        rep->load = NULL;
        ab_fmt(err, errlen, "%s: not a JSON object", path);
        return -1;
    }
    return 0;
}

int ab_run_rep_execute(ab_run_ctx *ctx, ab_run_rep_env *e, const ab_res_cell *c, ab_res_rep *rep,
                       char *err, size_t errlen)
{
    char json[AB_RUN_PATH_MAX];
    ab_run_proc load;
    rep_watch w;
    int rc;
    memset(&w, 0, sizeof w);
    ab_fmt(json, sizeof json, "%s/rep%u.json", e->cell_dir, e->rep);
    rep->credential_bytes = credential_probe(e);
    w.requests0 = w.requests1 = w.window_unix_ms = -1;
    w.deadline_us = ab_now_us() + 30000000u + 2 * (c->warmup_us + c->duration_us) +
                    (uint64_t)c->users * 2000u;
    if (start_load(ctx, e, c, json, &load, err, errlen) != 0)
        return -1;
    ab_run_pin(&ctx->placement, AB_RUN_ROLE_LOAD, load.pid);
    rc = watch_load(ctx, e, c, &load, &w, err, errlen);
    ab_run_sweep_finish(e, c, w.window_us, rep); /* its thread joined whatever the load did */
    if (rc != 0)
        return -1;
    collect_counters(e, c, &w, rep);
    return read_load_json(json, rep, err, errlen);
}

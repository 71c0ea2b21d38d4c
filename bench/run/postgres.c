/* postgres.c — the run's PostgreSQL (see run_pgmc.h): initdb into a temporary directory, the
 * server in the foreground as a child of ours (its own process group: postmaster and backends),
 * ready when a postgres:// store on it answers; TRUNCATE between cells, the table's size. The
 * common server pieces (signal, restart, stop) for memcached.c too. */
#include "run_pgmc.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "sstore.h"

/* The directory of PostgreSQL's server programs (initdb, postgres): PATH first, then Debian's. */
static int pg_bindir(char *out, size_t len)
{
    char path[AB_RUN_PATH_MAX];
    glob_t g;
    int ok;
    if (ab_run_find_program("initdb", path, sizeof path)) {
        char *slash = strrchr(path, '/');
        ab_fmt(out, len, "%.*s", slash != NULL ? (int)(slash - path) : 1, slash != NULL ? path : ".");
        return 1;
    }
    if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0)
        return 0;
    ok = g.gl_pathc > 0;
    if (ok) /* the newest major version sorts last */
        ab_fmt(out, len, "%.*s", (int)(strlen(g.gl_pathv[g.gl_pathc - 1]) - 7), g.gl_pathv[g.gl_pathc - 1]);
    globfree(&g);
    return ok;
}

/* The account a server runs as when we are root (PostgreSQL refuses root): postgres, else nobody.
 * NULL when we are not root. */
static const struct passwd *server_user(void)
{
    const struct passwd *pw;
    if (geteuid() != 0)
        return NULL;
    pw = getpwnam("postgres");
    return pw != NULL ? pw : getpwnam("nobody");
}

/* argv prefixed, when root, with setpriv to run as pw (which execs: no extra process). */
static void as_user(const struct passwd *pw, char **argv, char *const *cmd, char *ids[3])
{
    int n = 0;
    if (pw != NULL) {
        ab_fmt(ids[0], 32, "--reuid=%u", (unsigned)pw->pw_uid);
        ab_fmt(ids[1], 32, "--regid=%u", (unsigned)pw->pw_gid);
        argv[n++] = "setpriv", argv[n++] = ids[0], argv[n++] = ids[1], argv[n++] = "--clear-groups",
        argv[n++] = "--";
    }
    while (*cmd != NULL)
        argv[n++] = *cmd++;
    argv[n] = NULL;
}

/* 1 when a store on s->url answers a get (ready), polled for up to timeout_ms. */
static int store_answers(ab_run_srv *s, unsigned timeout_ms)
{
    unsigned waited;
    for (waited = 0; waited <= timeout_ms; waited += 50) {
        sstore *st = sstore_open(s->url);
        sstore_conn *c = st != NULL && sstore_err(st) == SSTORE_OK ? sstore_connect(st) : NULL;
        sstore_session out;
        int ok = c != NULL && sstore_get(c, "ready-probe", &out) == SSTORE_NOT_FOUND;
        sstore_conn_free(c);
        sstore_close(st);
        if (ok)
            return 1;
        if ((s->own && ab_run_proc_poll(&s->proc)) || ab_run_sleep_ms(50) != 0)
            return 0;
    }
    return 0;
}

/* Starts the server process of s (postgres or memcached) and waits until a store on it answers. */
static int srv_spawn(ab_run_srv *s, char *err, size_t errlen)
{
    const struct passwd *pw = server_user();
    char port[16], bin[AB_RUN_PATH_MAX], data[AB_RUN_PATH_MAX + 8], id0[32], id1[32], *ids[3] = {id0, id1, NULL};
    char *argv[24], tail[200];
    int pg = strncmp(s->url, "postgres", 8) == 0;
    ab_fmt(port, sizeof port, "%d", s->port);
    if (pg) {
        char *cmd[] = {bin, "-D", data, "-p", port, "-k", s->dir, "-c", "listen_addresses=127.0.0.1",
                       "-c", "max_connections=300", NULL};
        if (!pg_bindir(bin, sizeof bin) || ab_fmt(data, sizeof data, "%s/data", s->dir) < 0)
            return ab_fmt(err, errlen, "PostgreSQL's programs not found: run scripts/setup.sh"), -1;
        strncat(bin, "/postgres", sizeof bin - strlen(bin) - 1);
        as_user(pw, argv, cmd, ids);
    } else {
        char *cmd[] = {"memcached", "-l", "127.0.0.1", "-p", port, "-U", "0", "-m", "256", "-c", "4096",
                       pw != NULL ? "-u" : NULL, pw != NULL ? "nobody" : NULL, NULL};
        as_user(NULL, argv, cmd, ids);
    }
    if (ab_run_proc_start(&s->proc, pg ? "postgres" : "memcached", argv, s->log, NULL, err, errlen) != 0)
        return -1;
    if (store_answers(s, 20000)) {
        s->running = 1;
        return 0;
    }
    ab_fmt(err, errlen, "%s did not answer on port %d: %s", pg ? "postgres" : "memcached", s->port,
           ab_run_sleep_ms(0) != 0 ? "interrupted" : ab_run_log_tail(s->log, tail, sizeof tail));
    ab_run_proc_stop(&s->proc, SIGKILL, 1000);
    return -1;
}

/* A fresh directory under tmp_base for s — owned by the server's account when root, and then under
 * $TMPDIR or /tmp instead: that account cannot enter a private (0700) tmp_base of ours. 0 or -1. */
static int srv_dir(ab_run_srv *s, const char *tmp_base, const char *tag, char *err, size_t errlen)
{
    const struct passwd *pw = server_user();
    if (pw != NULL)
        tmp_base = getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] != '\0' ? getenv("TMPDIR") : "/tmp";
    ab_fmt(s->dir, sizeof s->dir, "%s/%s-XXXXXX", tmp_base, tag);
    if (mkdtemp(s->dir) == NULL || (pw != NULL && chown(s->dir, pw->pw_uid, pw->pw_gid) != 0)) {
        ab_fmt(err, errlen, "cannot make a directory for %s under %s: %s", tag, tmp_base, strerror(errno));
        return -1;
    }
    return 0;
}

/* initdb of s->dir/data: trust authentication for the user authbench (loopback only), UTF-8. */
static int pg_initdb(ab_run_srv *s, char *err, size_t errlen)
{
    const struct passwd *pw = server_user();
    char bin[AB_RUN_PATH_MAX], data[AB_RUN_PATH_MAX + 8], id0[32], id1[32], *ids[3] = {id0, id1, NULL};
    char *cmd[] = {bin, "-D", data, "-A", "trust", "-U", "authbench", "-E", "UTF8", "--no-sync", NULL}, *argv[24];
    char out[2048];
    int rc;
    if (!pg_bindir(bin, sizeof bin)) {
        ab_fmt(err, errlen, "PostgreSQL's initdb not found: run scripts/setup.sh (apt-get install postgresql)");
        return -1;
    }
    strncat(bin, "/initdb", sizeof bin - strlen(bin) - 1);
    ab_fmt(data, sizeof data, "%s/data", s->dir);
    as_user(pw, argv, cmd, ids);
    if ((rc = ab_run_capture(argv, out, sizeof out, 120000)) != 0) {
        ab_fmt(err, errlen, "initdb %s failed (exit %d)", data, rc);
        return -1;
    }
    return 0;
}

/* The server's version ("15.20") through a query, into s->version. */
static void pg_read_version(ab_run_srv *s)
{
    PGconn *pg = PQconnectdb(s->url);
    if (pg != NULL && PQstatus(pg) == CONNECTION_OK)
        ab_fmt(s->version, sizeof s->version, "%s", PQparameterStatus(pg, "server_version"));
    PQfinish(pg);
}

/* Starts an own server of kind tag in a fresh directory, on a free port (retried: it may be taken). */
static int srv_start(ab_run_srv *s, const char *tmp_base, const char *log_path, const char *tag, char *err,
                     size_t errlen)
{
    int attempt, pg = strcmp(tag, "postgres") == 0;
    if (srv_dir(s, tmp_base, tag, err, errlen) != 0 || (pg && pg_initdb(s, err, errlen) != 0))
        return -1;
    ab_fmt(s->host, sizeof s->host, "127.0.0.1");
    ab_fmt(s->log, sizeof s->log, "%s", log_path);
    s->own = 1;
    for (attempt = 0; attempt < 3 && ab_run_stop_signal == 0; attempt++) {
        if ((s->port = ab_run_free_port()) <= 0)
            continue;
        if (pg)
            ab_fmt(s->url, sizeof s->url, "postgres://authbench@127.0.0.1:%d/postgres", s->port);
        else
            ab_fmt(s->url, sizeof s->url, "memcached://127.0.0.1:%d", s->port);
        if (srv_spawn(s, err, errlen) == 0)
            return 0;
    }
    return -1;
}

int ab_run_pg_start(ab_run_srv *s, const char *tmp_base, const char *log_path, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (srv_start(s, tmp_base, log_path, "postgres", err, errlen) != 0) {
        ab_run_srv_stop(s);
        return -1;
    }
    pg_read_version(s);
    return 0;
}

/* host and port of s->url (postgres://[userinfo@]host[:port][/…]) into s. 0 or -1. */
static int url_hostport(ab_run_srv *s)
{
    const char *auth = s->url + 11, *end = auth + strcspn(auth, "/?"), *at = memchr(auth, '@', (size_t)(end - auth));
    const char *hp = at != NULL ? at + 1 : auth, *colon = memchr(hp, ':', (size_t)(end - hp));
    size_t hlen = (size_t)((colon != NULL ? colon : end) - hp);
    if (hlen == 0 || hlen >= sizeof s->host)
        return -1;
    ab_fmt(s->host, sizeof s->host, "%.*s", (int)hlen, hp);
    s->port = colon != NULL ? atoi(colon + 1) : 5432;
    return s->port > 0 && s->port < 65536 ? 0 : -1;
}

int ab_run_pg_use(ab_run_srv *s, const char *url, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    ab_fmt(s->url, sizeof s->url, "%s", url);
    if (strncmp(url, "postgres://", 11) != 0 || url_hostport(s) != 0) {
        ab_fmt(err, errlen, "--postgres-url %s: expected postgres://user[:pass]@host:port/db", url);
        return -1;
    }
    if (!store_answers(s, 2000)) {
        ab_fmt(err, errlen, "the PostgreSQL at the --postgres-url given does not answer a session store's query");
        return -1;
    }
    s->running = 1;
    pg_read_version(s);
    return 0;
}

/* Runs one statement on s; its first value into out (may be NULL). 0 or -1. */
static int pg_exec(const ab_run_srv *s, const char *sql, char *out, size_t len)
{
    char conninfo[600], *q;
    PGconn *pg;
    PGresult *r;
    int ok;
    ab_fmt(conninfo, sizeof conninfo, "%s", s->url);
    if ((q = strchr(conninfo, '?')) != NULL) /* the store options are no libpq ones */
        *q = '\0';
    pg = PQconnectdb(conninfo);
    r = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, sql) : NULL;
    ok = r != NULL && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    if (ok && out != NULL)
        ab_fmt(out, len, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(pg);
    return ok ? 0 : -1;
}

int ab_run_pg_flush(const ab_run_srv *s)
{
    return s->own ? pg_exec(s, "TRUNCATE " AB_RUN_PG_TABLE, NULL, 0) : -1;
}

int ab_run_pg_settle(const ab_run_srv *s)
{
    if (!s->own)
        return 0;
    return pg_exec(s, "VACUUM ANALYZE " AB_RUN_PG_TABLE, NULL, 0) == 0 && pg_exec(s, "CHECKPOINT", NULL, 0) == 0 ? 0 : -1;
}

int ab_run_mc_start(ab_run_srv *s, const char *tmp_base, const char *log_path, char *err, size_t errlen)
{
    char prog[AB_RUN_PATH_MAX];
    memset(s, 0, sizeof *s);
    if (!ab_run_find_program("memcached", prog, sizeof prog)) {
        ab_fmt(err, errlen, "memcached not found: run scripts/setup.sh (or apt-get install memcached)");
        return -1;
    }
    if (srv_start(s, tmp_base, log_path, "memcached", err, errlen) != 0) {
        ab_run_srv_stop(s);
        return -1;
    }
    return 0;
}

/* Sends sig to every child of pid (read from /proc/<n>/stat's ppid field). */
static void signal_children(pid_t pid, int sig)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        char path[300], buf[512], *rp;
        FILE *f;
        int ppid = 0;
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        ab_fmt(path, sizeof path, "/proc/%s/stat", de->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        if (fgets(buf, sizeof buf, f) != NULL && (rp = strrchr(buf, ')')) != NULL &&
            sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid == pid)
            kill((pid_t)atoi(de->d_name), sig);
        fclose(f);
    }
    if (d != NULL)
        closedir(d);
}

int ab_run_srv_signal(ab_run_srv *s, int sig)
{
    if (!s->own || s->proc.pid <= 0 || kill(-s->proc.pid, sig) != 0)
        return -1;
    signal_children(s->proc.pid, sig); /* PostgreSQL's backends each run in a session of their own (setsid) */
    if (sig == SIGKILL) {
        ab_run_proc_stop(&s->proc, SIGKILL, 2000);
        s->running = 0;
    }
    return 0;
}

int ab_run_srv_restart(ab_run_srv *s, char *err, size_t errlen)
{
    if (!s->own || s->running) {
        ab_fmt(err, errlen, "%s", s->running ? "the server is still running" : "not a server of the run's own");
        return -1;
    }
    if (strncmp(s->url, "postgres", 8) == 0) { /* a killed postmaster leaves its pid file behind */
        char pidfile[AB_RUN_PATH_MAX + 32];
        ab_fmt(pidfile, sizeof pidfile, "%s/data/postmaster.pid", s->dir);
        unlink(pidfile);
    }
    return srv_spawn(s, err, errlen);
}

/* Removes the directory tree at path (best effort; it holds only what the server wrote). */
static void rm_tree(const char *path)
{
    char *argv[] = {"rm", "-rf", (char *)path, NULL}, out[64];
    if (path[0] != '\0')
        (void)ab_run_capture(argv, out, sizeof out, 30000);
}

void ab_run_srv_stop(ab_run_srv *s)
{
    if (s->own && s->proc.pid > 0) {
        kill(-s->proc.pid, SIGCONT); /* a paused server must see the SIGTERM */
        signal_children(s->proc.pid, SIGCONT);
        ab_run_proc_stop(&s->proc, SIGTERM, 5000);
    }
    if (s->own && s->dir[0] != '\0')
        rm_tree(s->dir);
    s->dir[0] = '\0';
    s->running = s->own = 0;
}

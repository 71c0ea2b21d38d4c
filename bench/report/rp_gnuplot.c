/* rp_gnuplot.c — drives gnuplot: chart data files, one template per chart run for SVG and PNG into
 * a temporary folder, then each image put in place atomically. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ab_cli.h"
#include "rp_int.h"

#ifndef AUTHBENCH_GNUPLOT_DIR_DEFAULT
#define AUTHBENCH_GNUPLOT_DIR_DEFAULT "scripts/gnuplot"
#endif
#define RP_MAX_IMAGE (64u * 1024 * 1024)

extern char **environ;

const char *rp_gnuplot_dir(void)
{
    const char *env = getenv("AUTHBENCH_GNUPLOT_DIR");
    return env != NULL && *env != '\0' ? env : AUTHBENCH_GNUPLOT_DIR_DEFAULT;
}

void rp_gp_quote(rp_buf *b, const char *s)
{
    rp_buf_puts(b, "'");
    for (; *s; s++)
        rp_buf_puts(b, *s == '\'' ? "''" : (char[2]){*s, '\0'});
    rp_buf_puts(b, "'");
}

/* 1 when an executable named name is on PATH. */
static int on_path(const char *name)
{
    const char *path = getenv("PATH"), *p;
    char full[4096];
    if (path == NULL)
        path = "/usr/bin:/bin";
    for (p = path; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(full, sizeof full, "%.*s/%s", (int)n, p, name);
        if (n > 0 && access(full, X_OK) == 0)
            return 1;
        p += n + (p[n] == ':');
    }
    return 0;
}

/* malloc'd "<a>/<b>". */
static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

int rp_plot_init(rp_plot *pl, const char *run_dir, const char *gpdir, char *err, size_t errlen)
{
    char tmpl[4096], *common = join(gpdir, "common.gp");
    const char *tmp = getenv("TMPDIR");
    memset(pl, 0, sizeof *pl);
    pl->gpdir = gpdir;
    if (!on_path("gnuplot")) {
        snprintf(err, errlen, "gnuplot not found on PATH: install it with 'apt-get install gnuplot-nox' (scripts/setup.sh does)");
        goto fail;
    }
    if (common == NULL || access(common, R_OK) != 0) {
        snprintf(err, errlen, "gnuplot templates not found in %s (set AUTHBENCH_GNUPLOT_DIR to scripts/gnuplot)", gpdir);
        goto fail;
    }
    pl->charts_dir = join(run_dir, "charts");
    pl->data_dir = join(run_dir, "charts/data");
    snprintf(tmpl, sizeof tmpl, "%s/authbench-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (pl->charts_dir == NULL || pl->data_dir == NULL || ab_mkdirs(pl->data_dir, 0755) != 0 || mkdtemp(tmpl) == NULL) {
        snprintf(err, errlen, "cannot make the chart folders under %s: %s", run_dir, strerror(errno));
        goto fail;
    }
    pl->work_dir = strdup(tmpl);
    free(common);
    return pl->work_dir ? 0 : -1;
fail:
    free(common);
    rp_plot_free(pl);
    return -1;
}

void rp_plot_free(rp_plot *pl)
{
    if (pl->work_dir != NULL)
        rmdir(pl->work_dir);
    free(pl->charts_dir);
    free(pl->data_dir);
    free(pl->work_dir);
    memset(pl, 0, sizeof *pl);
}

int rp_plot_data(const rp_plot *pl, const char *name, const rp_buf *data, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.dat", pl->data_dir, name);
    if (data->oom || ab_write_file_atomic(path, data->p ? data->p : "", data->len) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, data->oom ? "out of memory" : strerror(errno));
        return -1;
    }
    return 0;
}

/* gnuplot's error from its stderr log into err: the last line that is not a warning. */
static void gnuplot_error(const char *log, const char *tmpl, char *err, size_t errlen)
{
    char *text = ab_read_file(log, 65536, NULL), *line, *save = NULL;
    const char *msg = NULL;
    for (line = text ? strtok_r(text, "\n", &save) : NULL; line != NULL; line = strtok_r(NULL, "\n", &save))
        if (strstr(line, "warning:") == NULL && strspn(line, " ^") < strlen(line))
            msg = line;
    snprintf(err, errlen, "gnuplot failed on %s: %s", tmpl, msg ? msg : "(no message)");
    free(text);
}

/* Runs gnuplot -e vars template with stderr into log; 0 when it exits 0. */
static int spawn_gnuplot(const char *vars, const char *tmpl, const char *log)
{
    posix_spawn_file_actions_t fa;
    char *argv[] = {"gnuplot", "-e", (char *)vars, (char *)tmpl, NULL};
    pid_t pid;
    int status = 0, rc = -1;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    if (posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) == 0 &&
        posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600) == 0 &&
        posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ) == 0 && waitpid(pid, &status, 0) == pid)
        rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* Moves work/<name>.<ext> into charts/ atomically; a missing or empty image is an error. */
static int install_image(const rp_plot *pl, const char *name, const char *ext, char *err, size_t errlen)
{
    char from[4096], to[4096];
    size_t len = 0;
    char *img;
    int rc = -1;
    snprintf(from, sizeof from, "%s/%s.%s", pl->work_dir, name, ext);
    snprintf(to, sizeof to, "%s/%s.%s", pl->charts_dir, name, ext);
    img = ab_read_file(from, RP_MAX_IMAGE, &len);
    if (img == NULL || len == 0)
        snprintf(err, errlen, "gnuplot wrote no %s for chart %s", ext, name);
    else if (ab_write_file_atomic(to, img, len) != 0)
        snprintf(err, errlen, "cannot write %s: %s", to, strerror(errno));
    else
        rc = 0;
    unlink(from);
    free(img);
    return rc;
}

/* One format of one chart. */
static int plot_one(const rp_plot *pl, const char *name, const char *fmt, const char *vars, char *err, size_t errlen)
{
    char tmpl[4096], log[4096], out[4096], data[4096];
    rp_buf all = {0};
    int rc = -1;
    snprintf(tmpl, sizeof tmpl, "%s/%s.gp", pl->gpdir, name);
    snprintf(log, sizeof log, "%s/gnuplot.log", pl->work_dir);
    snprintf(out, sizeof out, "%s/%s.%s", pl->work_dir, name, fmt);
    snprintf(data, sizeof data, "%s/%s.dat", pl->data_dir, name);
    rp_buf_puts(&all, "gpdir=");
    rp_gp_quote(&all, pl->gpdir);
    rp_buf_printf(&all, "; fmt='%s'; out=", fmt);
    rp_gp_quote(&all, out);
    rp_buf_puts(&all, "; datafile=");
    rp_gp_quote(&all, data);
    rp_buf_printf(&all, "; %s", vars ? vars : "");
    if (all.oom)
        snprintf(err, errlen, "out of memory");
    else if (spawn_gnuplot(all.p, tmpl, log) != 0)
        gnuplot_error(log, tmpl, err, errlen);
    else
        rc = install_image(pl, name, fmt, err, errlen);
    unlink(log);
    unlink(out);
    rp_buf_free(&all);
    return rc;
}

int rp_plot_run(const rp_plot *pl, const char *name, const char *vars, char *err, size_t errlen)
{
    if (plot_one(pl, name, "svg", vars, err, errlen) != 0)
        return -1;
    return plot_one(pl, name, "png", vars, err, errlen);
}

void rp_plot_remove(const rp_plot *pl, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.svg", pl->charts_dir, name);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s.png", pl->charts_dir, name);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s.dat", pl->data_dir, name);
    unlink(path);
}

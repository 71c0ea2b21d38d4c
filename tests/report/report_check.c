/* report_check.c — helpers of the report tests: fixture copies, running authbench, Markdown tables,
 * and an evaluator for the figure source expressions the report prints. */
#include "report_check.h"

#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsupport.h"

extern char **environ;

/* Copies one fixture file into dir. */
static void copy_one(const char *src_dir, const char *dir, const char *name)
{
    char path[4096];
    size_t len;
    char *text;
    snprintf(path, sizeof path, "%s/%s", src_dir, name);
    text = tsupport_read_file(path, &len);
    if (text == NULL) {
        fprintf(stderr, "fixture file %s missing\n", path);
        abort();
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tsupport_write_file(path, text, len) != 0)
        abort();
    free(text);
}

char *rc_fixture_copy(void)
{
    const char *src = getenv("AUTHBENCH_SOURCE_DIR");
    char from[4096];
    char *dir = tsupport_tmpdir("report");
    snprintf(from, sizeof from, "%s/tests/report/fixture-run", src ? src : ".");
    copy_one(from, dir, "results.json");
    copy_one(from, dir, "micro.json");
    return dir;
}

cJSON *rc_json(const char *dir, const char *name)
{
    char path[4096];
    size_t len;
    char *text;
    cJSON *j;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    text = tsupport_read_file(path, &len);
    if (text == NULL)
        return NULL;
    j = cJSON_ParseWithLength(text, len);
    free(text);
    return j;
}

void rc_write(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tsupport_write_file(path, text, strlen(text)) != 0)
        abort();
}

int rc_nonempty(const char *dir, const char *rel)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* The environment for the child: ours, with PATH replaced when path != NULL. */
static char **child_env(const char *path, char *pathvar, size_t len)
{
    size_t n = 0, i, k = 0;
    char **env;
    while (environ[n] != NULL)
        n++;
    env = calloc(n + 2, sizeof *env);
    if (env == NULL)
        abort();
    for (i = 0; i < n; i++)
        if (path == NULL || strncmp(environ[i], "PATH=", 5) != 0)
            env[k++] = environ[i];
    if (path != NULL) {
        snprintf(pathvar, len, "PATH=%s", path);
        env[k++] = pathvar;
    }
    return env;
}

int rc_run(const char *const *args, const char *path, char **err)
{
    char *argv[32], pathvar[4096], log[] = "/tmp/report-test-stderr-XXXXXX";
    const char *bin = getenv("AUTHBENCH_BIN");
    posix_spawn_file_actions_t fa;
    char **env = child_env(path, pathvar, sizeof pathvar);
    int fd = mkstemp(log), status = -1, i;
    pid_t pid;
    argv[0] = (char *)(bin ? bin : "authbench");
    for (i = 0; args[i] != NULL && i < 30; i++)
        argv[i + 1] = (char *)args[i];
    argv[i + 1] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (fd < 0 || posix_spawn(&pid, argv[0], &fa, NULL, argv, env) != 0 || waitpid(pid, &status, 0) != pid)
        abort();
    posix_spawn_file_actions_destroy(&fa);
    close(fd);
    *err = tsupport_read_file(log, NULL);
    unlink(log);
    free(env);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Splits one "| a | b |" line (up to its newline) into trimmed cells; returns the count. */
static size_t split_row(const char *line, char **cells, size_t max)
{
    const char *eol = strchr(line, '\n'), *p = line, *end;
    size_t n = 0;
    if (eol == NULL)
        eol = line + strlen(line);
    p = memchr(p, '|', (size_t)(eol - p));
    while (p != NULL && n < max) {
        size_t len;
        p++;
        end = memchr(p, '|', (size_t)(eol - p));
        while (end != NULL && end[-1] == '\\')
            end = memchr(end + 1, '|', (size_t)(eol - end - 1));
        if (end == NULL)
            break;
        while (*p == ' ')
            p++;
        len = p < end ? (size_t)(end - p) : 0;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        cells[n++] = strndup(p, len);
        p = end;
    }
    return n;
}

size_t rc_table_read(const char *md, const char *header_prefix, rc_table *t)
{
    const char *line = strstr(md, header_prefix);
    char *cells[64];
    memset(t, 0, sizeof *t);
    if (line == NULL)
        return 0;
    t->ncols = split_row(line, cells, 64);
    for (size_t i = 0; i < t->ncols; i++) /* header cells are not kept */
        free(cells[i]);
    line = strchr(line, '\n');               /* the header */
    line = line ? strchr(line + 1, '\n') : NULL; /* the |---| rule */
    while (line != NULL && line[1] == '|') {
        size_t n = split_row(line + 1, cells, 64);
        t->rows = realloc(t->rows, (t->nrows + 1) * sizeof *t->rows);
        t->rows[t->nrows] = calloc(t->ncols + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            if (i < t->ncols)
                t->rows[t->nrows][i] = cells[i];
            else
                free(cells[i]);
        }
        t->nrows++;
        line = strchr(line + 1, '\n');
    }
    return t->nrows;
}

void rc_table_free(rc_table *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    free(t->rows);
    memset(t, 0, sizeof *t);
}

double rc_num(const cJSON *obj, const char *path)
{
    char part[128];
    while (obj != NULL) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(part, sizeof part, "%.*s", (int)n, path);
        if (cJSON_IsArray(obj) && n > 0 && strspn(part, "0123456789") == n)
            obj = cJSON_GetArrayItem(obj, atoi(part)); /* "sweeps.0.capacity_at_slo_per_sec" */
        else
            obj = cJSON_GetObjectItemCaseSensitive(obj, part);
        if (dot == NULL)
            return cJSON_IsNumber(obj) ? obj->valuedouble : NAN;
        path = dot + 1;
    }
    return NAN;
}

const cJSON *rc_cell(const cJSON *results, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(results, "cells")) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "id");
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return c;
    }
    return NULL;
}

/* ---- the expression evaluator: a small recursive-descent parser ---- */
typedef struct rc_ev {
    const char *p;
    const cJSON *results, *micro;
} rc_ev;

static double ev_expr(rc_ev *e);

/* Skips spaces. */
static void ev_ws(rc_ev *e)
{
    while (*e->p == ' ')
        e->p++;
}

/* Reads "[NAME]" into buf; NULL on error. */
static const char *ev_bracket(rc_ev *e, char *buf, size_t len)
{
    const char *end;
    if (*e->p != '[' || (end = strchr(e->p, ']')) == NULL || (size_t)(end - e->p) > len)
        return NULL;
    snprintf(buf, len, "%.*s", (int)(end - e->p - 1), e->p + 1);
    e->p = end + 1;
    return buf;
}

/* Reads a dotted path of identifiers after a '.'. */
static const char *ev_path(rc_ev *e, char *buf, size_t len)
{
    size_t n = 0;
    if (*e->p != '.')
        return NULL;
    e->p++;
    while ((*e->p == '_' || *e->p == '.' || (*e->p >= 'a' && *e->p <= 'z') || (*e->p >= '0' && *e->p <= '9')) && n + 1 < len)
        buf[n++] = *e->p++;
    buf[n] = '\0';
    return n ? buf : NULL;
}

/* The micro.json row named name. */
static const cJSON *ev_micro_row(const cJSON *micro, const char *name)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(micro, "benchmarks")) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(b, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return b;
    }
    return NULL;
}

/* cells[ID].path, run.path, micro[NAME].field. */
static double ev_ref(rc_ev *e)
{
    char name[256], path[256];
    if (strncmp(e->p, "cells", 5) == 0) {
        e->p += 5;
        if (!ev_bracket(e, name, sizeof name) || !ev_path(e, path, sizeof path))
            return NAN;
        return rc_num(rc_cell(e->results, name), path);
    }
    if (strncmp(e->p, "micro", 5) == 0) {
        e->p += 5;
        if (!ev_bracket(e, name, sizeof name) || !ev_path(e, path, sizeof path))
            return NAN;
        return rc_num(ev_micro_row(e->micro, name), path);
    }
    if (strncmp(e->p, "run", 3) == 0) {
        e->p += 3;
        return ev_path(e, path, sizeof path) ? rc_num(e->results, path) : NAN;
    }
    return NAN;
}

/* min(a, b, …). */
static double ev_min(rc_ev *e)
{
    double v = INFINITY;
    e->p += 4;
    for (;;) {
        v = fmin(v, ev_expr(e));
        ev_ws(e);
        if (*e->p == ',') {
            e->p++;
            continue;
        }
        if (*e->p != ')')
            return NAN;
        e->p++;
        return v;
    }
}

/* number | ref | min(...) | (expr). */
static double ev_factor(rc_ev *e)
{
    char *end;
    double v;
    ev_ws(e);
    if (*e->p == '(') {
        e->p++;
        v = ev_expr(e);
        ev_ws(e);
        if (*e->p++ != ')')
            return NAN;
        return v;
    }
    if (strncmp(e->p, "min(", 4) == 0)
        return ev_min(e);
    if ((*e->p >= '0' && *e->p <= '9') || *e->p == '-') {
        v = strtod(e->p, &end);
        e->p = end;
        return v;
    }
    return ev_ref(e);
}

/* factor (('*' | '/') factor)*. */
static double ev_term(rc_ev *e)
{
    double v = ev_factor(e);
    for (;;) {
        ev_ws(e);
        if (*e->p == '*')
            e->p++, v *= ev_factor(e);
        else if (*e->p == '/')
            e->p++, v /= ev_factor(e);
        else
            return v;
    }
}

static double ev_expr(rc_ev *e)
{
    double v = ev_term(e);
    for (;;) {
        ev_ws(e);
        if (*e->p == '+')
            e->p++, v += ev_term(e);
        else if (*e->p == '-' && e->p[1] == ' ')
            e->p++, v -= ev_term(e);
        else
            return v;
    }
}

double rc_eval(const char *expr, const cJSON *results, const cJSON *micro)
{
    rc_ev e = {expr, results, micro};
    double v = ev_expr(&e);
    ev_ws(&e);
    return *e.p == '\0' ? v : NAN;
}

int rc_parse_shown(const char *shown, double *value, double *half_ulp)
{
    static const struct { const char *unit; double scale; } units[] = {
        {" ms", 1000}, {" µs", 1}, {" req/s", 1}, {" B", 1}, {"%", 1}, {"", 1}};
    char *end;
    const char *dot;
    double v = strtod(shown, &end);
    int decimals = 0;
    size_t i;
    if (end == shown)
        return -1;
    dot = memchr(shown, '.', (size_t)(end - shown));
    if (dot != NULL)
        decimals = (int)(end - dot - 1);
    for (i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            *value = v * units[i].scale;
            *half_ulp = 0.5 * pow(10, -decimals) * units[i].scale;
            return 0;
        }
    return -1;
}

/* 1 when text[0..len) (a bold figure) is the shown value of a row of the sources table. */
static int is_listed(const rc_table *t, const char *text, size_t len)
{
    size_t r;
    for (r = 0; r < t->nrows; r++)
        if (strlen(t->rows[r][1]) == len && strncmp(t->rows[r][1], text, len) == 0)
            return 1;
    return 0;
}

/* Every bold number in md is listed in the sources table: how many, or -1 with why. */
static int check_bold_numbers(const char *md, const rc_table *t, char *why, size_t len)
{
    const char *p = md, *end;
    int n = 0;
    while ((p = strstr(p, "**")) != NULL && (end = strstr(p + 2, "**")) != NULL) {
        if (p[2] >= '0' && p[2] <= '9') {
            if (!is_listed(t, p + 2, (size_t)(end - p - 2))) {
                snprintf(why, len, "bold figure '%.*s' has no source in the report", (int)(end - p - 2), p + 2);
                return -1;
            }
            n++;
        }
        p = end + 2;
    }
    return n;
}

/* Checks one row of the sources table; -1 with why. */
static int check_source_row(char **row, const cJSON *results, const cJSON *micro, char *why, size_t len)
{
    char src[1024];
    double exact = strtod(row[2], NULL), shown, half, computed;
    snprintf(src, sizeof src, "%.*s", (int)strlen(row[3]) - 2, row[3] + 1); /* strip backticks */
    computed = rc_eval(src, results, micro);
    if (isnan(computed) || fabs(computed - exact) > 1e-6 * fmax(1, fabs(exact))) {
        snprintf(why, len, "figure '%s': source `%s` gives %g, report says %s", row[0], src, computed, row[2]);
        return -1;
    }
    if (rc_parse_shown(row[1], &shown, &half) != 0 || fabs(shown - exact) > half + 1e-9) {
        snprintf(why, len, "figure '%s': shown '%s' does not round %s", row[0], row[1], row[2]);
        return -1;
    }
    return 0;
}

int rc_check_figures(const char *md, const cJSON *results, const cJSON *micro, char *why, size_t len)
{
    rc_table t;
    size_t r;
    int n = -1;
    if (rc_table_read(md, "| figure | shown | exact | source |", &t) == 0) {
        snprintf(why, len, "the report has no sources table");
        return -1;
    }
    for (r = 0; r < t.nrows; r++)
        if (check_source_row(t.rows[r], results, micro, why, len) != 0)
            goto done;
    n = check_bold_numbers(md, &t, why, len);
done:
    rc_table_free(&t);
    return n;
}

const cJSON *rc_option(const cJSON *decision, const char *id)
{
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(decision, "options")) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "id");
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return o;
    }
    return NULL;
}

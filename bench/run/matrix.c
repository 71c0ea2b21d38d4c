/* matrix.c — expands a scenario's groups into cells (the cartesian product of each group's axes),
 * names them, estimates their time and prints the matrix for --dry-run. */
#include "run_scenario.h"

#include <ab_mech.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The axes of one group, in expansion order (servers innermost). */
typedef struct group_axes {
    const cJSON *mechs, *mix, *delay, *lb, *rate, *conns, *servers;
} group_axes;

/* The values picked for one cell. */
typedef struct cell_pick {
    const char *mech;
    const cJSON *mix;
    uint64_t delay_us;
    const char *lb;
    double rate;
    unsigned conns, servers;
} cell_pick;

int ab_run_cell_needs_redis(const ab_res_cell *c)
{
    const ab_res_fault *f = ab_res_fault_find(c->fault);
    return strcmp(c->store, "redis") == 0 || (f != NULL && (f->needs & AB_RES_FAULT_OWN_REDIS));
}

/* The mechanism name without its options ("session:redis?touch=always" -> "session:redis") into
 * out (len bytes). Returns out. */
static const char *mech_base(const char *name, char *out, size_t len)
{
    ab_fmt(out, len, "%.*s", (int)strcspn(name, "?"), name);
    return out;
}

/* 1 when the mechanism talks to Redis (so a store delay applies). */
static int mech_uses_redis(const char *name)
{
    char b[64];
    const char *m = mech_base(name, b, sizeof b);
    size_t n = strlen(m);
    return strcmp(m, "session:redis") == 0 || (strncmp(m, "jwt+denylist:", 13) == 0 && n > 6 &&
                                               strcmp(m + n - 6, ",redis") == 0);
}

/* The load-balancer policy a mechanism needs in practice: sticky for stores local to a server. */
static const char *natural_lb(const char *name)
{
    char b[64];
    const char *m = mech_base(name, b, sizeof b);
    return strcmp(m, "session:memory") == 0 || strncmp(m, "session:file-", 13) == 0 ? "sticky" : "rr";
}

/* Fills touch and claims_bytes from the options after the name's '?' (checked by the scenario). */
static void mech_options(ab_res_cell *c)
{
    const char *q = strchr(c->mechanism, '?');
    ab_mech_settings o;
    char err[256];
    if (ab_mech_options_parse(c->family, q != NULL ? q + 1 : "", &o, err, sizeof err) != 0)
        return;
    ab_fmt(c->touch, sizeof c->touch, "%s", o.touch_name);
    c->claims_bytes = (unsigned)o.claims_bytes;
}

/* Fills family, store, alg and disk_mode from the mechanism name, touch and claims_bytes from its
 * options. */
static void mech_parts(ab_res_cell *c)
{
    char b[64];
    const char *m = mech_base(c->mechanism, b, sizeof b), *colon = strchr(m, ':');
    ab_fmt(c->family, sizeof c->family, "%.*s", colon ? (int)(colon - m) : (int)strlen(m), m);
    if (strncmp(m, "session:file-", 13) == 0) {
        ab_fmt(c->store, sizeof c->store, "file");
        ab_fmt(c->disk_mode, sizeof c->disk_mode, "%s", m + 13);
    } else if (strncmp(m, "session:", 8) == 0) {
        ab_fmt(c->store, sizeof c->store, "%s", m + 8);
    } else if (strncmp(m, "jwt+denylist:", 13) == 0) {
        const char *comma = strchr(m, ',');
        ab_fmt(c->alg, sizeof c->alg, "%.*s", (int)(comma - (m + 13)), m + 13);
        ab_fmt(c->store, sizeof c->store, "%s", comma + 1);
    } else if (strncmp(m, "jwt:", 4) == 0) {
        ab_fmt(c->alg, sizeof c->alg, "%s", m + 4);
    }
    mech_options(c);
}

/* A weight of a checked mix object: a whole number, 0 when the member is absent. */
static unsigned mix_weight(const cJSON *obj, const char *key)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(w) ? (unsigned)w->valuedouble : 0;
}

/* Resolves a mix value (a name or an object) into the cell's weights and mix_name. */
static void mix_resolve(const cJSON *sc, const cJSON *mix, ab_res_cell *c)
{
    static const struct { const char *name; unsigned l, r, o; } builtin[] = {
        {"read", 0, 100, 0}, {"login-heavy", 50, 50, 0}, {"churn", 10, 80, 10}};
    const cJSON *obj = mix;
    size_t i;
    if (cJSON_IsString(mix)) {
        ab_fmt(c->mix_name, sizeof c->mix_name, "%s", mix->valuestring);
        for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
            if (strcmp(mix->valuestring, builtin[i].name) == 0) {
                c->mix_login = builtin[i].l, c->mix_request = builtin[i].r, c->mix_logout = builtin[i].o;
                return;
            }
        obj = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sc, "mixes"),
                                               mix->valuestring);
    }
    c->mix_login = mix_weight(obj, "login");
    c->mix_request = mix_weight(obj, "request");
    c->mix_logout = mix_weight(obj, "logout");
    if (!cJSON_IsString(mix))
        ab_fmt(c->mix_name, sizeof c->mix_name, "l%u-r%u-o%u", c->mix_login, c->mix_request,
                 c->mix_logout);
}

/* A group field as a whole number / duration (fields were validated before). */
static unsigned gnum(const cJSON *g, const char *key)
{
    return (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(g, key));
}

static uint64_t gdur(const cJSON *g, const char *key)
{
    uint64_t us = 0;
    if (ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(g, key), &us) != 0)
        us = 0;
    return us;
}

/* Appends "-word" to an id. */
static void id_add(char *id, size_t len, const char *word)
{
    size_t n = strlen(id);
    ab_fmt(id + n, len - n, "%s%s", n ? "-" : "", word);
}

/* The cell's id: mechanism, then what sets it apart; lowercase [a-z0-9-]. */
static void cell_id(ab_res_cell *c, int many_conns)
{
    char part[48], *p;
    size_t i, o = 0;
    for (i = 0; c->mechanism[i] != '\0' && o + 1 < sizeof c->id; i++) {
        int ch = tolower((unsigned char)c->mechanism[i]);
        if (!isalnum(ch))
            ch = '-';
        if (ch != '-' || (o > 0 && c->id[o - 1] != '-'))
            c->id[o++] = (char)ch;
    }
    c->id[o] = '\0';
    if (c->store_delay_us > 0)
        ab_fmt(part, sizeof part, "d%lluus", (unsigned long long)c->store_delay_us), id_add(c->id, sizeof c->id, part);
    if (strcmp(c->lb, natural_lb(c->mechanism)) != 0)
        id_add(c->id, sizeof c->id, c->lb);
    if (strcmp(c->mix_name, "read") != 0)
        id_add(c->id, sizeof c->id, c->mix_name);
    if (c->rate_per_sec > 0)
        ab_fmt(part, sizeof part, "r%.0f", c->rate_per_sec), id_add(c->id, sizeof c->id, part);
    if (ab_res_fault_find(c->fault) != NULL)
        id_add(c->id, sizeof c->id, ab_res_fault_find(c->fault)->id);
    if (strcmp(c->server_model, "async") != 0)
        id_add(c->id, sizeof c->id, c->server_model);
    if (many_conns)
        ab_fmt(part, sizeof part, "c%u", c->connections), id_add(c->id, sizeof c->id, part);
    ab_fmt(part, sizeof part, "s%u", c->servers);
    id_add(c->id, sizeof c->id, part);
    for (p = c->id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-')
            *p = '-';
}

/* Formats a delay for labels: "250 µs", "1 ms". */
static void fmt_delay(uint64_t us, char *out, size_t len)
{
    if (us >= 1000 && us % 1000 == 0)
        ab_fmt(out, len, "%llu ms", (unsigned long long)(us / 1000));
    else if (us >= 1000)
        ab_fmt(out, len, "%.2f ms", (double)us / 1000.0);
    else
        ab_fmt(out, len, "%llu \xc2\xb5s", (unsigned long long)us);
}

/* The base of a label: "session redis", "session file (O_DIRECT)" → parts before qualifiers. */
static void label_base(const ab_res_cell *c, char *out, size_t len, char *qual, size_t qlen)
{
    static const struct { const char *mode, *text; } modes[] = {
        {"pagecache", "page cache"}, {"direct", "O_DIRECT"}, {"fsync", "fsync"}};
    size_t i;
    if (strcmp(c->family, "none") == 0)
        ab_fmt(out, len, "none");
    else if (strcmp(c->family, "session") == 0)
        ab_fmt(out, len, "session %s", c->store);
    else if (strcmp(c->family, "jwt") == 0)
        ab_fmt(out, len, "jwt %s", c->alg);
    else
        ab_fmt(out, len, "jwt+denylist %s %s", c->alg, c->store);
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(c->disk_mode, modes[i].mode) == 0)
            ab_fmt(qual, qlen, "%s", modes[i].text);
}

/* Appends ", text" (or "text") to a qualifier list. */
static void qual_add(char *q, size_t len, const char *text)
{
    size_t n = strlen(q);
    ab_fmt(q + n, len - n, "%s%s", n ? ", " : "", text);
}

/* The cell's legend label, the same across server counts: "session redis (1 ms)". */
static void cell_label(ab_res_cell *c)
{
    char base[64], q[96] = "", part[40];
    label_base(c, base, sizeof base, q, sizeof q);
    if (strchr(c->mechanism, '?') != NULL) /* its options: "touch=always&claims=4000" */
        qual_add(q, sizeof q, strchr(c->mechanism, '?') + 1);
    if (c->store_delay_us > 0)
        fmt_delay(c->store_delay_us, part, sizeof part), qual_add(q, sizeof q, part);
    if (strcmp(c->lb, natural_lb(c->mechanism)) != 0)
        qual_add(q, sizeof q, c->lb);
    if (strcmp(c->mix_name, "read") != 0)
        qual_add(q, sizeof q, c->mix_name);
    if (c->rate_per_sec > 0)
        ab_fmt(part, sizeof part, "%.0f req/s", c->rate_per_sec), qual_add(q, sizeof q, part);
    if (ab_res_fault_find(c->fault) != NULL)
        qual_add(q, sizeof q, ab_res_fault_find(c->fault)->label);
    if (strcmp(c->server_model, "async") != 0)
        qual_add(q, sizeof q, "pool server");
    if (q[0] != '\0')
        ab_fmt(c->label, sizeof c->label, "%s (%s)", base, q);
    else
        ab_fmt(c->label, sizeof c->label, "%s", base);
}

/* Fills a cell from group g (index gi) and the picked axis values. */
static void cell_fill(const cJSON *sc, const cJSON *g, int gi, const cell_pick *p, int many_conns,
                      ab_res_cell *c)
{
    const cJSON *fault = cJSON_GetObjectItemCaseSensitive(g, "fault");
    memset(c, 0, sizeof *c);
    c->group = gi;
    ab_fmt(c->mechanism, sizeof c->mechanism, "%s", p->mech);
    mech_parts(c);
    mix_resolve(sc, p->mix, c);
    ab_fmt(c->lb, sizeof c->lb, "%s", p->lb);
    ab_fmt(c->key_dist, sizeof c->key_dist, "%s",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "key_dist")));
    c->store_delay_us = p->delay_us;
    c->rate_per_sec = p->rate;
    c->connections = p->conns;
    c->servers = p->servers;
    c->users = gnum(g, "users");
    c->repetitions = gnum(g, "repetitions");
    c->threads = gnum(g, "threads");
    c->server_threads = gnum(g, "server_threads");
    ab_fmt(c->server_model, sizeof c->server_model, "%s",
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "server_model")));
    c->duration_us = gdur(g, "duration");
    c->warmup_us = gdur(g, "warmup");
    c->store_jitter_us = mech_uses_redis(p->mech) ? gdur(g, "store_jitter") : 0;
    if (cJSON_IsString(fault)) {
        ab_fmt(c->fault, sizeof c->fault, "%s", fault->valuestring);
        c->fault_at_us = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(g, "fault_at"))
                             ? c->duration_us / 2 : gdur(g, "fault_at");
        c->fault_for_us = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(g, "fault_for"))
                              ? 1000000u : gdur(g, "fault_for");
    }
    cell_id(c, many_conns);
    cell_label(c);
}

/* Appends a cell to the growing array; makes its id unique with a -2, -3 … suffix. 0 or -1. */
static int cells_push(ab_res_cell **cells, size_t *n, size_t *cap, const ab_res_cell *c)
{
    size_t i, k = 1;
    ab_res_cell *dst;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        ab_res_cell *grown = realloc(*cells, ncap * sizeof *grown);
        if (grown == NULL)
            return -1;
        *cells = grown, *cap = ncap;
    }
    dst = &(*cells)[*n];
    *dst = *c;
    for (i = 0; i < *n; i++)
        if (strcmp((*cells)[i].id, dst->id) == 0) {
            size_t len = strlen(c->id);
            ab_fmt(dst->id + len, sizeof dst->id - len, "-%zu", ++k);
            i = (size_t)-1; /* check the new id from the start */
        }
    (*n)++;
    return 0;
}

/* Expands the inner axes (lb, rate, connections, servers) of one pick. 0 or -1. */
static int expand_inner(const cJSON *sc, const cJSON *g, int gi, const group_axes *a, cell_pick *p,
                        ab_res_cell **cells, size_t *n, size_t *cap)
{
    int il, ir, ic, is, many_conns = ab_run_axis_len(a->conns) > 1;
    ab_res_cell c;
    for (il = 0; il < ab_run_axis_len(a->lb); il++)
        for (ir = 0; ir < ab_run_axis_len(a->rate); ir++)
            for (ic = 0; ic < ab_run_axis_len(a->conns); ic++)
                for (is = 0; is < ab_run_axis_len(a->servers); is++) {
                    const cJSON *rate = ab_run_axis_get(a->rate, ir);
                    p->lb = ab_run_axis_get(a->lb, il)->valuestring;
                    p->rate = cJSON_IsNumber(rate) ? rate->valuedouble : 0;
                    p->conns = (unsigned)ab_run_axis_get(a->conns, ic)->valuedouble;
                    p->servers = (unsigned)ab_run_axis_get(a->servers, is)->valuedouble;
                    cell_fill(sc, g, gi, p, many_conns, &c);
                    if (cells_push(cells, n, cap, &c) != 0)
                        return -1;
                }
    return 0;
}

/* Expands one group: mechanisms × mix × store delay (Redis mechanisms only) × inner axes. */
static int expand_group(const cJSON *sc, const cJSON *g, int gi, ab_res_cell **cells, size_t *n,
                        size_t *cap)
{
    group_axes a;
    cell_pick p;
    int im, ix, id;
    a.mechs = cJSON_GetObjectItemCaseSensitive(g, "mechanisms");
    a.mix = cJSON_GetObjectItemCaseSensitive(g, "mix");
    a.delay = cJSON_GetObjectItemCaseSensitive(g, "store_delay");
    a.lb = cJSON_GetObjectItemCaseSensitive(g, "lb");
    a.rate = cJSON_GetObjectItemCaseSensitive(g, "rate");
    a.conns = cJSON_GetObjectItemCaseSensitive(g, "connections");
    a.servers = cJSON_GetObjectItemCaseSensitive(g, "servers");
    for (im = 0; im < ab_run_axis_len(a.mechs); im++)
        for (ix = 0; ix < ab_run_axis_len(a.mix); ix++)
            for (id = 0; id < ab_run_axis_len(a.delay); id++) {
                p.mech = ab_run_axis_get(a.mechs, im)->valuestring;
                p.mix = ab_run_axis_get(a.mix, ix);
                if (!mech_uses_redis(p.mech) && id > 0)
                    break; /* a store delay means nothing without a remote store */
                if (!mech_uses_redis(p.mech) || ab_run_json_duration_us(ab_run_axis_get(a.delay, id), &p.delay_us) != 0)
                    p.delay_us = 0;
                if (expand_inner(sc, g, gi, &a, &p, cells, n, cap) != 0)
                    return -1;
            }
    return 0;
}

int ab_run_matrix_expand(const cJSON *sc, ab_res_cell **out, size_t *n, char *err, size_t errlen)
{
    const cJSON *g;
    size_t cap = 0;
    int gi = 0;
    *out = NULL;
    *n = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(sc, "groups")) {
        if (expand_group(sc, g, gi++, out, n, &cap) != 0) {
            ab_fmt(err, errlen, "out of memory expanding the matrix");
            free(*out);
            *out = NULL;
            *n = 0;
            return -1;
        }
    }
    return 0;
}

double ab_run_cell_estimate_s(const ab_res_cell *c)
{
    /* Per repetition: servers and store start, users log in, warm-up, measurement, stop. The
     * constants were measured on the 2-core development machine. */
    double per_rep = (double)(c->warmup_us + c->duration_us) / 1e6 + 0.6 + 0.15 * c->servers +
                     (double)c->users / 5000.0 + (c->store_delay_us > 0 ? 0.2 : 0);
    return per_rep * c->repetitions;
}

/* Formats seconds as "1h02m", "4m05s" or "12s". */
static void fmt_time(double s, char *out, size_t len)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        ab_fmt(out, len, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
    else if (t >= 60)
        ab_fmt(out, len, "%ldm%02lds", t / 60, t % 60);
    else
        ab_fmt(out, len, "%lds", t);
}

void ab_run_matrix_print(FILE *out, const ab_res_cell *cells, size_t n, double extra_s)
{
    double total = extra_s;
    char rate[16], t[16];
    size_t i;
    fprintf(out, "%4s  %-40s %3s %-6s %5s %7s %-11s %8s %6s %4s %7s\n", "#", "cell", "srv", "lb",
            "conns", "rate", "mix", "delay_us", "dur_s", "reps", "est");
    for (i = 0; i < n; i++) {
        const ab_res_cell *c = &cells[i];
        double est = ab_run_cell_estimate_s(c);
        total += est;
        if (c->rate_per_sec > 0)
            ab_fmt(rate, sizeof rate, "%.0f", c->rate_per_sec);
        else
            ab_fmt(rate, sizeof rate, "closed");
        fmt_time(est, t, sizeof t);
        fprintf(out, "%4zu  %-40s %3u %-6s %5u %7s %-11s %8llu %6.1f %4u %7s\n", i + 1, c->id,
                c->servers, c->lb, c->connections, rate, c->mix_name,
                (unsigned long long)c->store_delay_us, (double)c->duration_us / 1e6, c->repetitions, t);
    }
    fmt_time(total, t, sizeof t);
    fprintf(out, "%zu cells; estimated time %s (including %.0f s for store capacity, "
                 "micro-benchmarks and the report)\n", n, t, extra_s);
}

/* matrix.c — expands a scenario's groups into cells (the cartesian product of each group's axes),
 * names them, estimates their time and prints the matrix for --dry-run. */
#include "run_scenario.h"
#include "run_exec.h" /* AB_RUN_OTHER_CPU_PROBE_MS, in the estimate */

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
    /* what kind of cell of its combination it is (issue 14) */
    const char *kind;          /* capacity | deployment | sweep | control | fault | store-sweep */
    int rate_in_id;            /* the rate was stated (rate field, sweep rates): -r<rate> in the id */
    int via_proxy;
    double fraction;           /* a sweep point as a fraction of capacity, 0 otherwise */
    const char *sweep_of;      /* the capacity cell's id, or NULL */
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

/* 1 when the mechanism talks to a networked store — Redis, PostgreSQL, memcached (so a store delay applies). */
static int mech_uses_redis(const char *name)
{
    char b[64];
    const char *m = mech_base(name, b, sizeof b);
    size_t n = strlen(m);
    return strcmp(m, "session:redis") == 0 || strcmp(m, "session:postgres") == 0 ||
           strcmp(m, "session:memcached") == 0 || strncmp(m, "jwt+pushed-denylist:", 20) == 0 ||
           strncmp(m, "jwt+refresh:", 12) == 0 ||
           (strncmp(m, "jwt+denylist:", 13) == 0 &&
            ((n > 6 && strcmp(m + n - 6, ",redis") == 0) || (n > 9 && strcmp(m + n - 9, ",postgres") == 0) ||
             (n > 10 && strcmp(m + n - 10, ",memcached") == 0)));
}

/* 1 when the cell's store is one all its servers share, which the run can fill (scenario "sessions"). */
static int store_shared(const ab_res_cell *c)
{
    return strcmp(c->store, "redis") == 0 || strcmp(c->store, "redis-cluster") == 0 ||
           strcmp(c->store, "postgres") == 0 || strcmp(c->store, "memcached") == 0;
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
    } else if (strncmp(m, "jwt+denylist:", 13) == 0 || strncmp(m, "jwt+pushed-denylist:", 20) == 0 ||
               strncmp(m, "jwt+refresh:", 12) == 0) {
        const char *comma = strchr(m, ',');
        ab_fmt(c->alg, sizeof c->alg, "%.*s", (int)(comma - (colon + 1)), colon + 1);
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

/* A count for ids and labels after prefix ("n100k", "n2500", "n1m"; prefix 0: none). */
static void fmt_count(uint64_t v, char *out, size_t len, char prefix)
{
    const char *p = prefix ? (char[2]){prefix, '\0'} : "";
    if (v >= 1000000 && v % 1000000 == 0)
        ab_fmt(out, len, "%s%llum", p, (unsigned long long)(v / 1000000));
    else if (v >= 1000 && v % 1000 == 0)
        ab_fmt(out, len, "%s%lluk", p, (unsigned long long)(v / 1000));
    else
        ab_fmt(out, len, "%s%llu", p, (unsigned long long)v);
}

/* The cell's id: mechanism, then what sets it apart; lowercase [a-z0-9-]. */
static void cell_id(ab_res_cell *c, int many_conns, int rate_in_id)
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
    else if (c->via_proxy && strcmp(c->kind, "control") == 0)
        id_add(c->id, sizeof c->id, "p0");
    if (strcmp(c->lb, natural_lb(c->mechanism)) != 0)
        id_add(c->id, sizeof c->id, c->lb);
    if (strcmp(c->mix_name, "read") != 0)
        id_add(c->id, sizeof c->id, c->mix_name);
    if (rate_in_id)
        ab_fmt(part, sizeof part, "r%.0f", c->rate_per_sec), id_add(c->id, sizeof c->id, part);
    if (c->rate_fraction > 0)
        ab_fmt(part, sizeof part, "sw%.0f", c->rate_fraction * 100), id_add(c->id, sizeof c->id, part);
    if (strcmp(c->kind, "deployment") == 0 || (strcmp(c->kind, "control") == 0 && c->sweep_of[0] != '\0'))
        id_add(c->id, sizeof c->id, "dep");
    if (ab_res_fault_find(c->fault) != NULL)
        id_add(c->id, sizeof c->id, ab_res_fault_find(c->fault)->id);
    if (c->sessions > 0)
        fmt_count(c->sessions, part, sizeof part, 'n'), id_add(c->id, sizeof c->id, part);
    if (c->sweep_expired > 0)
        id_add(c->id, sizeof c->id, "sweep");
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
        ab_fmt(out, len, "%s %s %s", c->family, c->alg, c->store);
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
static void cell_label(ab_res_cell *c, int rate_in_id)
{
    char base[64], q[96] = "", part[40], num[24];
    label_base(c, base, sizeof base, q, sizeof q);
    if (strchr(c->mechanism, '?') != NULL) /* its options: "touch=always&claims=4000" */
        qual_add(q, sizeof q, strchr(c->mechanism, '?') + 1);
    if (c->store_delay_us > 0)
        fmt_delay(c->store_delay_us, part, sizeof part), qual_add(q, sizeof q, part);
    if (strcmp(c->lb, natural_lb(c->mechanism)) != 0)
        qual_add(q, sizeof q, c->lb);
    if (strcmp(c->mix_name, "read") != 0)
        qual_add(q, sizeof q, c->mix_name);
    if (c->via_proxy && c->store_delay_us == 0 && strcmp(c->kind, "control") == 0)
        qual_add(q, sizeof q, "proxied, 0 \xc2\xb5s");
    if (rate_in_id)
        ab_fmt(part, sizeof part, "%.0f req/s", c->rate_per_sec), qual_add(q, sizeof q, part);
    if (c->rate_fraction > 0)
        ab_fmt(part, sizeof part, "%.0f %% of capacity", c->rate_fraction * 100), qual_add(q, sizeof q, part);
    if (c->sweep_of[0] != '\0' && c->rate_fraction == 0 && !rate_in_id)
        qual_add(q, sizeof q, "deployment rate");
    if (ab_res_fault_find(c->fault) != NULL)
        qual_add(q, sizeof q, ab_res_fault_find(c->fault)->label);
    if (c->sessions > 0) {
        fmt_count(c->sessions, num, sizeof num, 0);
        ab_fmt(part, sizeof part, "%s live sessions", num), qual_add(q, sizeof q, part);
    }
    if (c->sweep_expired > 0) {
        fmt_count(c->sweep_expired, num, sizeof num, 0);
        ab_fmt(part, sizeof part, "sweep of %s expired", num), qual_add(q, sizeof q, part);
    }
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
    const cJSON *sweep = cJSON_GetObjectItemCaseSensitive(g, "store_sweep");
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
    c->store_jitter_us = mech_uses_redis(p->mech) && p->delay_us > 0 ? gdur(g, "store_jitter") : 0;
    ab_fmt(c->kind, sizeof c->kind, "%s", p->kind);
    c->via_proxy = p->via_proxy;
    c->rate_fraction = p->fraction;
    ab_fmt(c->sweep_of, sizeof c->sweep_of, "%s", p->sweep_of != NULL ? p->sweep_of : "");
    if (cJSON_IsString(fault)) {
        ab_fmt(c->fault, sizeof c->fault, "%s", fault->valuestring);
        c->fault_at_us = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(g, "fault_at"))
                             ? c->duration_us / 2 : gdur(g, "fault_at");
        c->fault_for_us = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(g, "fault_for"))
                              ? 1000000u : gdur(g, "fault_for");
        c->via_proxy |= (ab_res_fault_find(c->fault)->needs & AB_RES_FAULT_PROXY) != 0;
    }
    c->sessions = store_shared(c) ? gnum(g, "sessions") : 0; /* nothing to fill beside a stateless one */
    if (cJSON_IsObject(sweep)) {
        c->sweep_expired = gnum(sweep, "expired");
        c->sweep_at_us = gdur(sweep, "at");
    }
    cell_id(c, many_conns, p->rate_in_id);
    cell_label(c, p->rate_in_id);
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

/* The growing matrix of cells. */
typedef struct cell_list {
    ab_res_cell *cells;
    size_t n, cap;
} cell_list;

/* Fills a cell from the pick and appends it. With dedupe, a cell whose id is already there is
 * skipped (the 0-delay control of two delays is one cell). 0 or -1. */
static int add_cell(const cJSON *sc, const cJSON *g, int gi, const cell_pick *p, int many_conns, int dedupe,
                    cell_list *l)
{
    ab_res_cell c;
    size_t i;
    cell_fill(sc, g, gi, p, many_conns, &c);
    for (i = 0; dedupe && i < l->n; i++)
        if (strcmp(l->cells[i].id, c.id) == 0)
            return 0;
    return cells_push(&l->cells, &l->n, &l->cap, &c);
}

/* Adds the cell of pick p and, when the group asks for controls and p reaches its store through
 * the proxy at a delay, its twin through the proxy at 0 delay. 0 or -1. */
static int add_with_control(const cJSON *sc, const cJSON *g, int gi, const cell_pick *p, int many_conns,
                            cell_list *l)
{
    cell_pick twin = *p;
    if (add_cell(sc, g, gi, p, many_conns, 0, l) != 0)
        return -1;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "controls")) || p->delay_us == 0 ||
        !mech_uses_redis(p->mech))
        return 0;
    twin.delay_us = 0;
    twin.kind = "control";
    twin.via_proxy = 1;
    return add_cell(sc, g, gi, &twin, many_conns, 1, l);
}

/* After the capacity cell at cap_index: its deployment cell (open_loop) and its sweep points,
 * each naming it in sweep_of. 0 or -1. */
static int add_open_loop(const cJSON *sc, const cJSON *g, int gi, const cell_pick *cap_pick, size_t cap_index,
                         int many_conns, cell_list *l)
{
    const cJSON *sweep = cJSON_GetObjectItemCaseSensitive(g, "sweep"), *it;
    const cJSON *rates = cJSON_GetObjectItemCaseSensitive(sweep, "rates");
    char cap_id[sizeof l->cells[0].id];
    const cJSON *points = cJSON_IsArray(sweep) ? sweep : rates;
    cell_pick p = *cap_pick;
    ab_fmt(cap_id, sizeof cap_id, "%s", l->cells[cap_index].id); /* unique by now (cells_push) */
    p.sweep_of = cap_id;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "open_loop"))) {
        p.kind = "deployment";
        p.rate = ab_run_deployment_per_server(sc) * p.servers;
        if (add_with_control(sc, g, gi, &p, many_conns, l) != 0)
            return -1;
    }
    p.kind = "sweep";
    cJSON_ArrayForEach(it, points) {
        p.fraction = rates == NULL ? it->valuedouble : 0;
        p.rate = rates == NULL ? 0 : it->valuedouble; /* a fraction's rate: from the capacity cell's round 1 */
        p.rate_in_id = rates != NULL;
        if (add_cell(sc, g, gi, &p, many_conns, 0, l) != 0)
            return -1;
    }
    return 0;
}

/* Adds the cells of one combination: a fault or store-sweep cell (open loop at the deployment's rate
 * unless the group states one), an open-loop cell at a stated rate, or a capacity cell (closed loop) with the
 * open-loop cells derived from it. 0 or -1. */
static int add_combination(const cJSON *sc, const cJSON *g, int gi, const cJSON *rate, cell_pick *p,
                           int many_conns, cell_list *l)
{
    size_t cap_index;
    p->rate = cJSON_IsNumber(rate) ? rate->valuedouble : 0;
    p->rate_in_id = p->rate > 0;
    p->via_proxy = p->delay_us > 0;
    p->fraction = 0;
    p->sweep_of = NULL;
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(g, "fault")) ||
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(g, "store_sweep"))) {
        p->kind = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(g, "store_sweep")) ? "store-sweep" : "fault";
        if (p->rate == 0)
            p->rate = ab_run_deployment_per_server(sc) * p->servers;
        return add_cell(sc, g, gi, p, many_conns, 0, l);
    }
    p->kind = p->rate > 0 ? "sweep" : "capacity";
    cap_index = l->n;
    if (add_with_control(sc, g, gi, p, many_conns, l) != 0)
        return -1;
    return p->rate > 0 ? 0 : add_open_loop(sc, g, gi, p, cap_index, many_conns, l);
}

/* Expands the inner axes (lb, rate, connections, servers) of one pick. 0 or -1. */
static int expand_inner(const cJSON *sc, const cJSON *g, int gi, const group_axes *a, cell_pick *p,
                        cell_list *l)
{
    int il, ir, ic, is, many_conns = ab_run_axis_len(a->conns) > 1;
    for (il = 0; il < ab_run_axis_len(a->lb); il++)
        for (ir = 0; ir < ab_run_axis_len(a->rate); ir++)
            for (ic = 0; ic < ab_run_axis_len(a->conns); ic++)
                for (is = 0; is < ab_run_axis_len(a->servers); is++) {
                    p->lb = ab_run_axis_get(a->lb, il)->valuestring;
                    p->conns = (unsigned)ab_run_axis_get(a->conns, ic)->valuedouble;
                    p->servers = (unsigned)ab_run_axis_get(a->servers, is)->valuedouble;
                    if (add_combination(sc, g, gi, ab_run_axis_get(a->rate, ir), p, many_conns, l) != 0)
                        return -1;
                }
    return 0;
}

/* Expands one group: mechanisms × mix × store delay (Redis mechanisms only) × inner axes. */
static int expand_group(const cJSON *sc, const cJSON *g, int gi, cell_list *l)
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
                if (expand_inner(sc, g, gi, &a, &p, l) != 0)
                    return -1;
            }
    return 0;
}

int ab_run_matrix_expand(const cJSON *sc, ab_res_cell **out, size_t *n, char *err, size_t errlen)
{
    const cJSON *g;
    cell_list l = {NULL, 0, 0};
    int gi = 0;
    *out = NULL;
    *n = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(sc, "groups")) {
        if (expand_group(sc, g, gi++, &l) != 0) {
            ab_fmt(err, errlen, "out of memory expanding the matrix");
            free(l.cells);
            return -1;
        }
    }
    *out = l.cells;
    *n = l.n;
    return 0;
}

/* Logins per second the load gets from the servers before its warm-up (each signs a token or
 * creates a session): RSA signing is the slow one. Measured with 500 users on the 2-core
 * development machine (quick run: RS256 0.14-0.29 s, ES256 0.03-0.07 s, HS256/sessions 0.01-0.04 s;
 * 2000 users into the fsync file store: 1.2-6 s, median 3.2 s, on a machine busy with other work). */
static double login_rate(const ab_res_cell *c)
{
    if (strcmp(c->disk_mode, "fsync") == 0) /* a file and its directory synced per login */
        return 600;
    if (c->alg[0] == 'R' || c->alg[0] == 'P')
        return 2500;
    if (c->alg[0] == 'E')
        return 8000;
    return 15000;
}

/* Sessions per second sstore_fill stores into the cell's store (AB_RUN_FILL_RATE_*, run_exec.h). */
static double fill_rate(const ab_res_cell *c)
{
    if (strcmp(c->store, "postgres") == 0)
        return AB_RUN_FILL_RATE_POSTGRES;
    if (strcmp(c->store, "memcached") == 0)
        return AB_RUN_FILL_RATE_MEMCACHED;
    return AB_RUN_FILL_RATE_REDIS;
}

/* Seconds to start the store of a cell's own (a fault killing it): a redis-server or memcached at
 * once, a PostgreSQL after its initdb (about 2.5 s seen in test_run_stores on 2 busy cores). */
static double own_store_start_s(const ab_res_cell *c)
{
    return strcmp(c->store, "postgres") == 0 ? 2.5 : 0.1;
}

double ab_run_cell_estimate_s(const ab_res_cell *c)
{
    /* Per repetition: the users log in, warm-up, the measured window, and what the run does around
     * them (start the servers, flush the store, start the proxy, probe a credential, stop them
     * all), 0.09-0.15 s per repetition over a quick run on the 2-core development machine, and the
     * probe of the machine's other work before it (AB_RUN_OTHER_CPU_PROBE_MS). A fault
     * acting on the store starts one of the cell's own; a file store's session files are removed
     * after each repetition (about 0.5 ms a user, seen with 2000 users); a store's live and expired
     * sessions are filled every repetition (the store is emptied between them), a PostgreSQL table
     * then vacuumed and checkpointed (about 2 s for 200,000 rows). */
    const ab_res_fault *f = ab_res_fault_find(c->fault);
    double per_rep = (double)(c->warmup_us + c->duration_us) / 1e6 + (double)c->users / login_rate(c) + 0.1 +
                     AB_RUN_OTHER_CPU_PROBE_MS / 1000.0 +
                     0.03 * c->servers + (c->via_proxy ? 0.03 : 0) +
                     (f != NULL && (f->needs & AB_RES_FAULT_OWN_REDIS) ? own_store_start_s(c) : 0) +
                     (strcmp(c->store, "file") == 0 ? 0.0005 * c->users : 0) +
                     (double)(c->sessions + c->sweep_expired) / fill_rate(c) +
                     (c->sessions + c->sweep_expired > 0 && strcmp(c->store, "postgres") == 0 ? 2 : 0);
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
    char rate[24], t[16];
    size_t i;
    fprintf(out, "%4s  %-44s %-10s %3s %-6s %5s %9s %-11s %8s %6s %4s %7s\n", "#", "cell", "kind", "srv", "lb",
            "conns", "rate", "mix", "delay_us", "dur_s", "reps", "est");
    for (i = 0; i < n; i++) {
        const ab_res_cell *c = &cells[i];
        double est = ab_run_cell_estimate_s(c);
        total += est;
        if (c->rate_fraction > 0)
            ab_fmt(rate, sizeof rate, "%.0f%%cap", c->rate_fraction * 100);
        else if (c->rate_per_sec > 0)
            ab_fmt(rate, sizeof rate, "%.0f", c->rate_per_sec);
        else
            ab_fmt(rate, sizeof rate, "closed");
        fmt_time(est, t, sizeof t);
        fprintf(out, "%4zu  %-44s %-10s %3u %-6s %5u %9s %-11s %8llu %6.1f %4u %7s\n", i + 1, c->id, c->kind,
                c->servers, c->lb, c->connections, rate, c->mix_name,
                (unsigned long long)c->store_delay_us, (double)c->duration_us / 1e6, c->repetitions, t);
    }
    fmt_time(total, t, sizeof t);
    fprintf(out, "%zu cells; estimated time %s (including %.0f s for store capacity, "
                 "micro-benchmarks and the report); rate: requests/s in all (closed: closed loop, "
                 "N%%cap: N %% of the capacity cell's round-1 rate)\n", n, t, extra_s);
}

/* scenario.c — scenario JSON: parse, merge defaults into groups, command-line overrides, mechanism
 * filter and validation of every field (messages name the field). Format: bench/run/SCENARIO.md. */
#include "run_scenario.h"
#include "run_pgmc.h"

#include <ab_mech.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a group field is checked. */
typedef enum field_kind {
    FK_MECHS,      /* string or list of mechanism names */
    FK_UINT_LIST,  /* whole number or list */
    FK_UINT,       /* whole number */
    FK_LB_LIST,    /* rr | random | sticky, or list */
    FK_RATE_LIST,  /* null (closed loop), a rate > 0, or a list of those */
    FK_MIX_LIST,   /* a mix name, a {login,request,logout} object, or a list of those */
    FK_DUR_LIST,   /* duration or list */
    FK_DUR,        /* duration: "250us", "1.5s", or a number of seconds */
    FK_DUR_NULL,   /* duration or null */
    FK_KEY_DIST,   /* uniform | zipf:θ */
    FK_FAULT,      /* null | a fault name (fault.c) */
    FK_MODEL,      /* async | pool: the server model (serve --model) */
    FK_BOOL,       /* true | false */
    FK_SWEEP       /* null, a list of fractions of capacity, or {"rates": [...]} (scenario_rate.c) */
} field_kind;

typedef struct group_field {
    const char *name;
    field_kind kind;
    uint64_t min, max;   /* for whole numbers */
    const char *dflt;    /* JSON of the default value */
} group_field;

static const group_field group_fields[] = {
    {"mechanisms", FK_MECHS, 0, 0, NULL},
    {"servers", FK_UINT_LIST, 1, 64, "[1]"},
    {"lb", FK_LB_LIST, 0, 0, "\"rr\""},
    {"connections", FK_UINT_LIST, 1, 100000, "16"},
    {"rate", FK_RATE_LIST, 0, 0, "null"},
    {"users", FK_UINT, 1, 10000000, "1000"},
    {"key_dist", FK_KEY_DIST, 0, 0, "\"zipf:0.99\""},
    {"mix", FK_MIX_LIST, 0, 0, "\"read\""},
    {"duration", FK_DUR, 0, 0, "\"5s\""},
    {"warmup", FK_DUR, 0, 0, "\"1s\""},
    {"repetitions", FK_UINT, 1, 100, "3"},
    {"threads", FK_UINT, 1, 256, "1"},
    {"server_threads", FK_UINT, 1, 256, "1"},
    {"server_model", FK_MODEL, 0, 0, "\"async\""},
    {"store_delay", FK_DUR_LIST, 0, 0, "\"0\""},
    {"store_jitter", FK_DUR, 0, 0, "\"0\""},
    {"fault", FK_FAULT, 0, 0, "null"},
    {"fault_at", FK_DUR_NULL, 0, 0, "null"},
    {"fault_for", FK_DUR_NULL, 0, 0, "null"},
    {"open_loop", FK_BOOL, 0, 0, "false"},
    {"sweep", FK_SWEEP, 0, 0, "null"},
    {"controls", FK_BOOL, 0, 0, "false"},
};
#define N_GROUP_FIELDS (sizeof group_fields / sizeof group_fields[0])

/* Top-level fields and their defaults. */
static const struct { const char *name; const char *dflt; } top_fields[] = {
    {"name", "\"custom\""},
    {"description", "\"\""},
    {"redis_url", "null"},
    {"redis_cluster_url", "null"},
    {"postgres_url", "null"},
    {"memcached_url", "null"},
    {"disk_dir", "null"},
    {"store_capacity", "{\"clients\": 50, \"duration\": \"2s\"}"},
    {"micro", "{\"min_time\": \"0.1s\", \"repetitions\": 3}"},
    {"mixes", "{}"},
    {"deployment", "{\"peak_rate_per_sec\": 5000, \"servers\": 4}"},
    {"slo_p99_ms", "5"},
    {"seed", "1"},
    {"remeasure", "0.1"},
};
#define N_TOP_FIELDS (sizeof top_fields / sizeof top_fields[0])

static const char *const algs[] = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
                                   "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};

/* The group field called name, or NULL. */
static const group_field *group_field_find(const char *name)
{
    size_t i;
    for (i = 0; i < N_GROUP_FIELDS; i++)
        if (strcmp(group_fields[i].name, name) == 0)
            return &group_fields[i];
    return NULL;
}

/* 1 when name is a top-level field. */
static int top_field_known(const char *name)
{
    size_t i;
    for (i = 0; i < N_TOP_FIELDS; i++)
        if (strcmp(top_fields[i].name, name) == 0)
            return 1;
    return strcmp(name, "groups") == 0 || strcmp(name, "defaults") == 0 ||
           strcmp(name, "schema") == 0 || strcmp(name, "comment") == 0;
}

/* 1 when alg is a JOSE algorithm authbench supports. */
static int alg_known(const char *alg)
{
    size_t i;
    for (i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (strcmp(algs[i], alg) == 0)
            return 1;
    return 0;
}

/* 1 when m is a mechanism name of the scenario format. */
static int mechanism_known(const char *m)
{
    static const char *const fixed[] = {"none", "session:memory", "session:redis", "session:redis-cluster",
                                        "session:file-pagecache", "session:file-direct",
                                        "session:file-fsync", "session:postgres", "session:memcached"};
    char alg[16];
    const char *comma, *rest;
    size_t i;
    int pushed = strncmp(m, "jwt+pushed-denylist:", 20) == 0; /* through Redis pub/sub: redis only */
    for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(m, fixed[i]) == 0)
            return 1;
    if (strncmp(m, "jwt:", 4) == 0)
        return alg_known(m + 4);
    if (strncmp(m, "jwt+refresh:", 12) == 0) /* jwt+refresh:<ALG>,redis (?access_ttl=S: an option) */
        return (comma = strchr(m + 12, ',')) != NULL && (size_t)(comma - (m + 12)) < sizeof alg &&
               ab_fmt(alg, sizeof alg, "%.*s", (int)(comma - (m + 12)), m + 12) == 0 && alg_known(alg) &&
               strcmp(comma + 1, "redis") == 0;
    if (!pushed && strncmp(m, "jwt+denylist:", 13) != 0)
        return 0;
    rest = m + (pushed ? 20 : 13);
    if ((comma = strchr(rest, ',')) == NULL || (size_t)(comma - rest) >= sizeof alg)
        return 0;
    ab_fmt(alg, sizeof alg, "%.*s", (int)(comma - rest), rest);
    return alg_known(alg) && (strcmp(comma + 1, "redis") == 0 || (!pushed && strcmp(comma + 1, "memory") == 0));
}

/* 1 when m is a mechanism name, maybe with mechanism options after '?' (session:redis?touch=always,
 * jwt:ES256?cache=1000&claims=4000): the name known, the options those of its family (ab_mech.h). */
static int mechanism_name_ok(const char *m)
{
    char base[64], family[32], err[256];
    const char *q = strchr(m, '?');
    size_t n = q != NULL ? (size_t)(q - m) : strlen(m);
    if (n >= sizeof base)
        return 0;
    ab_fmt(base, sizeof base, "%.*s", (int)n, m);
    ab_fmt(family, sizeof family, "%.*s", (int)strcspn(base, ":"), base);
    return mechanism_known(base) && (q == NULL || ab_mech_options_parse(family, q + 1, NULL, err, sizeof err) == 0);
}

int ab_run_json_duration_us(const cJSON *it, uint64_t *us)
{
    if (cJSON_IsString(it))
        return ab_parse_duration_us(it->valuestring, us);
    if (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble < 1e9) {
        *us = (uint64_t)(it->valuedouble * 1e6 + 0.5);
        return 0;
    }
    return -1;
}

int ab_run_axis_len(const cJSON *it)
{
    return cJSON_IsArray(it) ? cJSON_GetArraySize(it) : 1;
}

const cJSON *ab_run_axis_get(const cJSON *it, int i)
{
    return cJSON_IsArray(it) ? cJSON_GetArrayItem(it, i) : it;
}

/* Checks a {login, request, logout} object of whole-number weights. 0 or -1. */
static int mix_object_ok(const cJSON *o)
{
    static const char *const keys[] = {"login", "request", "logout"};
    const cJSON *it;
    double sum = 0;
    size_t i;
    if (!cJSON_IsObject(o))
        return -1;
    cJSON_ArrayForEach(it, o) {
        int known = 0;
        for (i = 0; i < 3; i++)
            known |= strcmp(it->string, keys[i]) == 0;
        if (!known || !cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 1e6 ||
            it->valuedouble != (double)(long)it->valuedouble)
            return -1;
        sum += it->valuedouble;
    }
    return sum > 0 ? 0 : -1;
}

/* Checks one mix value (a name known in mixes or built in, or an object). */
static int mix_ok(const cJSON *sc, const cJSON *it)
{
    static const char *const builtin[] = {"read", "login-heavy", "churn"};
    size_t i;
    if (cJSON_IsObject(it))
        return mix_object_ok(it);
    if (!cJSON_IsString(it))
        return -1;
    for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(it->valuestring, builtin[i]) == 0)
            return 0;
    return mix_object_ok(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sc, "mixes"),
                                                          it->valuestring));
}

/* Checks "uniform" or "zipf:θ" with 0 < θ <= 5. */
static int key_dist_ok(const cJSON *it)
{
    double theta;
    if (!cJSON_IsString(it))
        return -1;
    if (strcmp(it->valuestring, "uniform") == 0)
        return 0;
    if (strncmp(it->valuestring, "zipf:", 5) != 0 ||
        ab_parse_double(it->valuestring + 5, 0.0001, 5, &theta) != 0)
        return -1;
    return 0;
}

/* Checks one element of an axis field. 0 or -1. */
static int axis_item_ok(const cJSON *sc, const group_field *f, const cJSON *it)
{
    uint64_t us;
    switch (f->kind) {
    case FK_MECHS:
        return cJSON_IsString(it) && mechanism_name_ok(it->valuestring) ? 0 : -1;
    case FK_UINT_LIST:
    case FK_UINT:
        return cJSON_IsNumber(it) && it->valuedouble >= (double)f->min && it->valuedouble <= (double)f->max &&
                       it->valuedouble == (double)(uint64_t)it->valuedouble /* cast only once in range */
                   ? 0 : -1;
    case FK_LB_LIST:
        return cJSON_IsString(it) && (strcmp(it->valuestring, "rr") == 0 ||
                                      strcmp(it->valuestring, "random") == 0 ||
                                      strcmp(it->valuestring, "sticky") == 0) ? 0 : -1;
    case FK_RATE_LIST:
        return cJSON_IsNull(it) || (cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble <= 1e8)
                   ? 0 : -1;
    case FK_MIX_LIST:
        return mix_ok(sc, it);
    case FK_DUR_LIST:
    case FK_DUR:
        return ab_run_json_duration_us(it, &us);
    case FK_DUR_NULL:
        return cJSON_IsNull(it) ? 0 : ab_run_json_duration_us(it, &us);
    case FK_KEY_DIST:
        return key_dist_ok(it);
    case FK_FAULT:
        return cJSON_IsNull(it) || (cJSON_IsString(it) && ab_res_fault_find(it->valuestring) != NULL) ? 0 : -1;
    case FK_MODEL:
        return cJSON_IsString(it) && (strcmp(it->valuestring, "async") == 0 ||
                                      strcmp(it->valuestring, "pool") == 0) ? 0 : -1;
    case FK_BOOL:
        return cJSON_IsBool(it) ? 0 : -1;
    case FK_SWEEP:
        return ab_run_sweep_ok(it);
    }
    return -1;
}

/* What a field expects, for messages. */
static const char *field_expects(const group_field *f)
{
    switch (f->kind) {
    case FK_MECHS: return "mechanism names: none, session:memory, session:redis, session:redis-cluster, "
                          "session:postgres, session:memcached, session:file-pagecache, "
                          "session:file-direct, session:file-fsync, jwt:<ALG>, jwt+denylist:<ALG>,redis|memory, "
                          "jwt+pushed-denylist:<ALG>,redis, jwt+refresh:<ALG>,redis, "
                          "each maybe with options: ?claims=BYTES, session ?touch=never|always|after:S, "
                          "?l1=TTL&l1_size=N, jwt ?cache=N, jwt+denylist ?on_store_error=closed|open, "
                          "jwt+refresh ?access_ttl=S";
    case FK_UINT_LIST: return "a whole number (or a list of them) in";
    case FK_UINT: return "a whole number in";
    case FK_LB_LIST: return "rr, random or sticky (or a list)";
    case FK_RATE_LIST: return "null (closed loop) or requests per second (or a list)";
    case FK_MIX_LIST: return "a mix name (read, login-heavy, churn, or one in \"mixes\") or "
                             "{\"login\":N,\"request\":N,\"logout\":N}";
    case FK_DUR_LIST: return "a duration like \"250us\" or \"1ms\" (or a list)";
    case FK_DUR: return "a duration like \"2s\" or a number of seconds";
    case FK_DUR_NULL: return "a duration or null";
    case FK_KEY_DIST: return "\"uniform\" or \"zipf:<theta>\"";
    case FK_FAULT: return "null or one of store-outage, redis-restart, redis-pause, proxy-drop, disk-full, "
                          "server-kill";
    case FK_MODEL: return "\"async\" or \"pool\"";
    case FK_BOOL: return "true or false";
    case FK_SWEEP: return "null, fractions of the measured capacity like [0.25, 0.5, 1] (0.001..2), or "
                          "{\"rates\": [requests/s, ...]}";
    }
    return "?";
}

/* Checks one field of group gi. 0, or -1 with err naming groups[gi].field and the bad value. */
static int group_field_check(const cJSON *sc, int gi, const group_field *f, const cJSON *v,
                             char *err, size_t errlen)
{
    int i, n = ab_run_axis_len(v);
    int is_list = f->kind == FK_MECHS || f->kind == FK_UINT_LIST || f->kind == FK_LB_LIST ||
                  f->kind == FK_RATE_LIST || f->kind == FK_MIX_LIST || f->kind == FK_DUR_LIST;
    const cJSON *bad = v;
    char *shown;
    if (f->kind == FK_SWEEP && ab_run_sweep_ok(v) == 0)
        return 0; /* a list, but one value: not an axis */
    if (f->kind != FK_SWEEP && !(cJSON_IsArray(v) && !is_list) && n > 0) {
        for (i = 0; i < n; i++)
            if (axis_item_ok(sc, f, ab_run_axis_get(v, i)) != 0)
                break;
        if (i == n)
            return 0;
        bad = ab_run_axis_get(v, i);
    }
    shown = cJSON_PrintUnformatted(bad);
    if (f->kind == FK_UINT || f->kind == FK_UINT_LIST)
        ab_fmt(err, errlen, "scenario: groups[%d].%s: %.60s: expected %s %llu..%llu", gi, f->name,
                   shown ? shown : "?", field_expects(f), (unsigned long long)f->min, (unsigned long long)f->max);
    else
        ab_fmt(err, errlen, "scenario: groups[%d].%s: %.60s: expected %s", gi, f->name,
                   shown ? shown : "?", field_expects(f));
    free(shown);
    return -1;
}

/* A fault acting on Redis stops, pauses or cuts off one redis-server of the cell's own: a cluster
 * cell has none (disk-full and server-kill act on the app servers and apply to it). */
static int cluster_fault_check(const cJSON *g, int gi, char *err, size_t errlen)
{
    const cJSON *mechs = cJSON_GetObjectItemCaseSensitive(g, "mechanisms");
    const ab_res_fault *f = ab_res_fault_find(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "fault")));
    int i;
    if (f == NULL || f->needs == 0)
        return 0;
    for (i = 0; i < ab_run_axis_len(mechs); i++) {
        const char *m = cJSON_GetStringValue(ab_run_axis_get(mechs, i));
        if (m != NULL && strcmp(m, "session:redis-cluster") == 0) {
            ab_fmt(err, errlen, "scenario: groups[%d].fault: %s is not available for "
                       "session:redis-cluster (it acts on a single redis-server)", gi, f->name);
            return -1;
        }
    }
    return 0;
}

/* Checks every field of group gi (unknown names are errors, to catch typos). */
static int group_check(const cJSON *sc, const cJSON *g, int gi, char *err, size_t errlen)
{
    const cJSON *it;
    if (!cJSON_IsObject(g)) {
        ab_fmt(err, errlen, "scenario: groups[%d]: expected an object", gi);
        return -1;
    }
    cJSON_ArrayForEach(it, g) {
        const group_field *f = group_field_find(it->string);
        if (f == NULL && strcmp(it->string, "comment") != 0) {
            ab_fmt(err, errlen, "scenario: groups[%d].%s: unknown field", gi, it->string);
            return -1;
        }
        if (f != NULL && group_field_check(sc, gi, f, it, err, errlen) != 0)
            return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(g, "mechanisms") == NULL) {
        ab_fmt(err, errlen, "scenario: groups[%d].mechanisms: missing", gi);
        return -1;
    }
    return cluster_fault_check(g, gi, err, errlen);
}

/* Checks the top-level fields other than groups. */
static int top_check(const cJSON *sc, char *err, size_t errlen)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, sc) {
        if (!top_field_known(it->string)) {
            ab_fmt(err, errlen, "scenario: %s: unknown field", it->string);
            return -1;
        }
    }
    it = cJSON_GetObjectItemCaseSensitive(sc, "name");
    if (!cJSON_IsString(it) || *it->valuestring == '\0' || strlen(it->valuestring) > 48 ||
        strspn(it->valuestring, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
            strlen(it->valuestring)) {
        ab_fmt(err, errlen, "scenario: name: expected 1-48 characters of [A-Za-z0-9._-]");
        return -1;
    }
    it = cJSON_GetObjectItemCaseSensitive(sc, "redis_url");
    if (!cJSON_IsNull(it) && !(cJSON_IsString(it) && strncmp(it->valuestring, "redis://", 8) == 0)) {
        ab_fmt(err, errlen, "scenario: redis_url: expected null or redis://host:port");
        return -1;
    }
    it = cJSON_GetObjectItemCaseSensitive(sc, "redis_cluster_url");
    if (!cJSON_IsNull(it) && it != NULL &&
        !(cJSON_IsString(it) && strncmp(it->valuestring, "redis-cluster://", 16) == 0)) {
        ab_fmt(err, errlen, "scenario: redis_cluster_url: expected null or redis-cluster://host:port[,host:port…]");
        return -1;
    }
    if (ab_run_url_field_check(sc, "postgres_url", "postgres://", err, errlen) != 0 ||
        ab_run_url_field_check(sc, "memcached_url", "memcached://", err, errlen) != 0)
        return -1;
    it = cJSON_GetObjectItemCaseSensitive(sc, "remeasure");
    if (it != NULL && !(cJSON_IsNumber(it) && it->valuedouble >= 0 && it->valuedouble <= 1)) {
        ab_fmt(err, errlen, "scenario: remeasure: expected a share of the run's repetitions in 0..1 (0: never re-measure)");
        return -1;
    }
    it = cJSON_GetObjectItemCaseSensitive(sc, "disk_dir");
    if (!cJSON_IsNull(it) && !(cJSON_IsString(it) && *it->valuestring != '\0')) {
        ab_fmt(err, errlen, "scenario: disk_dir: expected null or a directory");
        return -1;
    }
    return 0;
}

/* Checks store_capacity {clients, duration} and micro {min_time, repetitions, filter}, or false. */
static int extras_check(const cJSON *sc, char *err, size_t errlen)
{
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(sc, "store_capacity");
    const cJSON *mic = cJSON_GetObjectItemCaseSensitive(sc, "micro");
    const cJSON *it;
    uint64_t us;
    if (!cJSON_IsFalse(cap)) {
        it = cJSON_GetObjectItemCaseSensitive(cap, "clients");
        if (!cJSON_IsObject(cap) || !cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 1000 ||
            ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(cap, "duration"), &us) != 0 || us == 0) {
            ab_fmt(err, errlen, "scenario: store_capacity: expected false or {\"clients\": 1..1000, \"duration\": \"2s\"}");
            return -1;
        }
    }
    if (!cJSON_IsFalse(mic)) {
        it = cJSON_GetObjectItemCaseSensitive(mic, "repetitions");
        if (!cJSON_IsObject(mic) || !cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 100 ||
            ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(mic, "min_time"), &us) != 0 ||
            !(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(mic, "filter")) ||
              !cJSON_HasObjectItem(mic, "filter") || cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(mic, "filter")))) {
            ab_fmt(err, errlen, "scenario: micro: expected false or {\"min_time\": \"0.1s\", \"repetitions\": N[, \"filter\": REGEX]}");
            return -1;
        }
    }
    return 0;
}

int ab_run_scenario_check(const cJSON *sc, char *err, size_t errlen)
{
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(sc, "groups"), *g;
    int gi = 0;
    if (top_check(sc, err, errlen) != 0 || extras_check(sc, err, errlen) != 0)
        return -1;
    if (!cJSON_IsArray(groups) || cJSON_GetArraySize(groups) == 0) {
        ab_fmt(err, errlen, "scenario: groups: expected a non-empty list of groups");
        return -1;
    }
    cJSON_ArrayForEach(g, groups) {
        if (group_check(sc, g, gi++, err, errlen) != 0)
            return -1;
    }
    return ab_run_scenario_check_rates(sc, err, errlen);
}

/* Adds to obj every field of defaults it lacks (copies). */
static void merge_missing(cJSON *obj, const cJSON *defaults)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, defaults) {
        if (!cJSON_HasObjectItem(obj, it->string))
            cJSON_AddItemToObject(obj, it->string, cJSON_Duplicate(it, 1));
    }
}

/* Adds the built-in default of every group field obj lacks. */
static void merge_builtin_group_defaults(cJSON *obj)
{
    size_t i;
    for (i = 0; i < N_GROUP_FIELDS; i++)
        if (group_fields[i].dflt != NULL && !cJSON_HasObjectItem(obj, group_fields[i].name))
            cJSON_AddItemToObject(obj, group_fields[i].name, cJSON_Parse(group_fields[i].dflt));
}

/* Fills in top-level defaults, merges "defaults" into each group, then removes "defaults". */
static int normalise(cJSON *sc, char *err, size_t errlen)
{
    cJSON *defaults = cJSON_DetachItemFromObjectCaseSensitive(sc, "defaults"), *g;
    cJSON *groups = cJSON_GetObjectItemCaseSensitive(sc, "groups");
    size_t i;
    int rc = 0, gi = 0;
    if (defaults != NULL && !cJSON_IsObject(defaults)) {
        ab_fmt(err, errlen, "scenario: defaults: expected an object of group fields");
        rc = -1;
        goto out;
    }
    for (i = 0; i < N_TOP_FIELDS; i++)
        if (!cJSON_HasObjectItem(sc, top_fields[i].name))
            cJSON_AddItemToObject(sc, top_fields[i].name, cJSON_Parse(top_fields[i].dflt));
    cJSON_ArrayForEach(g, groups) {
        if (!cJSON_IsObject(g)) {
            ab_fmt(err, errlen, "scenario: groups[%d]: expected an object", gi);
            rc = -1;
            goto out;
        }
        merge_missing(g, defaults);
        merge_builtin_group_defaults(g);
        gi++;
    }
out:
    cJSON_Delete(defaults);
    return rc;
}

/* Line and column of position pos in text, for messages. */
static void line_col(const char *text, const char *pos, int *line, int *col)
{
    *line = 1, *col = 1;
    for (; text < pos && *text != '\0'; text++) {
        if (*text == '\n')
            (*line)++, *col = 1;
        else
            (*col)++;
    }
}

cJSON *ab_run_scenario_parse(const char *text, const char *origin, char *err, size_t errlen)
{
    const char *end = NULL;
    int line, col;
    cJSON *sc = cJSON_ParseWithLengthOpts(text, strlen(text), &end, 0);
    if (sc == NULL) {
        line_col(text, end ? end : text, &line, &col);
        ab_fmt(err, errlen, "scenario %s: not valid JSON at line %d, column %d", origin, line, col);
        return NULL;
    }
    if (!cJSON_IsObject(sc) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(sc, "groups"))) {
        ab_fmt(err, errlen, "scenario %s: groups: expected an object with a list of groups", origin);
        cJSON_Delete(sc);
        return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(sc, "schema");
    if (normalise(sc, err, errlen) != 0 || ab_run_scenario_check(sc, err, errlen) != 0) {
        cJSON_Delete(sc);
        return NULL;
    }
    cJSON_AddItemToObject(sc, "schema", cJSON_CreateString("authbench.scenario/1"));
    return sc;
}

/* Parses an override's value: JSON when it parses, else the bare string. */
static cJSON *override_value(const char *s)
{
    cJSON *v = cJSON_Parse(s);
    return v != NULL ? v : cJSON_CreateString(s);
}

int ab_run_scenario_set(cJSON *sc, const char *assignment, char *err, size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    char key[64];
    cJSON *g;
    if (eq == NULL || eq == assignment || (size_t)(eq - assignment) >= sizeof key) {
        ab_fmt(err, errlen, "--set: expected FIELD=VALUE, got '%s'", assignment);
        return -1;
    }
    ab_fmt(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    if (group_field_find(key) != NULL) {
        cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(sc, "groups")) {
            cJSON_DeleteItemFromObjectCaseSensitive(g, key);
            cJSON_AddItemToObject(g, key, override_value(eq + 1));
        }
        return 0;
    }
    if (!top_field_known(key) || strcmp(key, "groups") == 0 || strcmp(key, "schema") == 0 ||
        strcmp(key, "defaults") == 0) {
        ab_fmt(err, errlen, "--set: unknown scenario field '%s'", key);
        return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(sc, key);
    cJSON_AddItemToObject(sc, key, override_value(eq + 1));
    return 0;
}

/* 1 when mechanism m matches one filter word: the name itself (with or without its options) or
 * its family. */
static int filter_match(const char *m, const char *word, size_t len)
{
    size_t fam = strcspn(m, ":");
    if ((strlen(m) == len || strcspn(m, "?") == len) && strncmp(m, word, len) == 0)
        return 1;
    return fam == len && strncmp(m, word, len) == 0;
}

/* 1 when m matches any word of the comma-separated list. */
static int filter_any(const char *m, const char *list)
{
    while (*list != '\0') {
        size_t n = strcspn(list, ",");
        if (n > 0 && filter_match(m, list, n))
            return 1;
        list += n + (list[n] == ',');
    }
    return 0;
}

/* Removes from group g the mechanisms the filter does not keep; returns how many remain. */
static int filter_group(cJSON *g, const char *list)
{
    cJSON *mechs = cJSON_GetObjectItemCaseSensitive(g, "mechanisms"), *kept = cJSON_CreateArray();
    int i, n = ab_run_axis_len(mechs);
    for (i = 0; i < n; i++) {
        const cJSON *m = ab_run_axis_get(mechs, i);
        if (cJSON_IsString(m) && filter_any(m->valuestring, list))
            cJSON_AddItemToArray(kept, cJSON_CreateString(m->valuestring));
    }
    n = cJSON_GetArraySize(kept);
    cJSON_ReplaceItemInObjectCaseSensitive(g, "mechanisms", kept);
    return n;
}

int ab_run_scenario_filter(cJSON *sc, const char *list, char *err, size_t errlen)
{
    cJSON *groups = cJSON_GetObjectItemCaseSensitive(sc, "groups");
    int i;
    for (i = cJSON_GetArraySize(groups) - 1; i >= 0; i--)
        if (filter_group(cJSON_GetArrayItem(groups, i), list) == 0)
            cJSON_DeleteItemFromArray(groups, i);
    if (cJSON_GetArraySize(groups) == 0) {
        ab_fmt(err, errlen, "--mechanisms: '%s' matches no mechanism of the scenario", list);
        return -1;
    }
    return 0;
}

cJSON *ab_run_scenario_shown(const cJSON *sc)
{
    static const char *const urls[] = {"redis_url", "redis_cluster_url", "postgres_url", "memcached_url"};
    cJSON *copy = cJSON_Duplicate(sc, 1);
    char masked[2048];
    size_t i;
    for (i = 0; copy != NULL && i < sizeof urls / sizeof urls[0]; i++) {
        const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(copy, urls[i]));
        if (u != NULL)
            cJSON_ReplaceItemInObjectCaseSensitive(copy, urls[i],
                                                   cJSON_CreateString(ab_mask_secrets(u, masked, sizeof masked)));
    }
    return copy;
}

const char *ab_run_scenario_name(const cJSON *sc)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(sc, "name");
    return cJSON_IsString(n) ? n->valuestring : "custom";
}

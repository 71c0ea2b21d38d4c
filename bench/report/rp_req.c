/* rp_req.c — the requirements file (the ADR's decision drivers): defaults and strict JSON parsing. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "rp_int.h"

#define RP_MAX_REQ_FILE (1024u * 1024)

void rp_req_defaults(rp_req *r)
{
    memset(r, 0, sizeof *r);
    r->peak_rps = 5000;
    r->servers = 4;
    r->cores_per_server = NAN;
    r->store_distance_us = 250;
    r->instant_revocation = 0;
    r->revocation_delay_s = 60;
    r->access_token_lifetime_s = 900;
    r->token_budget_bytes = 4096;
    r->multi_region = 0;
    r->region_distance_us = 30000;
    r->slo_p99_ms = 50; /* the authentication step's share of a request budget, not a whole page's */
    /* Two options whose p99 intervals are apart by less than this are not told apart: with 3 to 5
     * repetitions a bootstrap interval of the median spans about their range, and two options with
     * the same cost (a stateless JWT and a pushed denylist: one signature, no store trip) then
     * "separate" by chance in about one run of ten, which would flip the verdict between reruns. */
    r->min_difference_us = 100;
    r->jwt_alg_class = RP_ALG_ASYMMETRIC; /* verifiers hold public keys only */
    snprintf(r->source, sizeof r->source, "built-in defaults");
}

/* One numeric field of the file: name, destination, minimum, maximum. */
typedef struct req_num {
    const char *name;
    size_t off;
    double min, max;
} req_num;

static const req_num req_nums[] = {
    {"peak_requests_per_sec", offsetof(rp_req, peak_rps), 1, 1e12},
    {"servers", offsetof(rp_req, servers), 1, 100000},
    {"cores_per_server", offsetof(rp_req, cores_per_server), 0.1, 4096},
    {"store_distance_us", offsetof(rp_req, store_distance_us), 0, 1e7},
    {"revocation_delay_s", offsetof(rp_req, revocation_delay_s), 0, 1e9},
    {"access_token_lifetime_s", offsetof(rp_req, access_token_lifetime_s), 1, 1e9},
    {"token_budget_bytes", offsetof(rp_req, token_budget_bytes), 16, 1e9},
    {"region_distance_us", offsetof(rp_req, region_distance_us), 0, 1e7},
    {"slo_p99_ms", offsetof(rp_req, slo_p99_ms), 0.001, 1e6},
    {"min_difference_us", offsetof(rp_req, min_difference_us), 0, 1e9},
};

/* Reads "jwt_alg_class": "asymmetric" | "hmac". */
static int req_alg_class(rp_req *r, const cJSON *m, char *err, size_t errlen)
{
    r->given |= RP_REQ_ALG_CLASS;
    if (cJSON_IsString(m) && strcmp(m->valuestring, "asymmetric") == 0)
        r->jwt_alg_class = RP_ALG_ASYMMETRIC;
    else if (cJSON_IsString(m) && strcmp(m->valuestring, "hmac") == 0)
        r->jwt_alg_class = RP_ALG_HMAC;
    else {
        snprintf(err, errlen, "requirements: \"jwt_alg_class\" must be \"asymmetric\" or \"hmac\"");
        return -1;
    }
    return 0;
}

/* Reads one member into r; -1 with a message when unknown or of the wrong type/range. */
static int req_member(rp_req *r, const cJSON *m, char *err, size_t errlen)
{
    size_t i;
    int *flag = strcmp(m->string, "instant_revocation") == 0 ? &r->instant_revocation
              : strcmp(m->string, "multi_region") == 0   ? &r->multi_region : NULL;
    if (flag != NULL) {
        r->given |= flag == &r->instant_revocation ? RP_REQ_INSTANT : RP_REQ_MULTI;
        if (!cJSON_IsBool(m)) {
            snprintf(err, errlen, "requirements: \"%s\" must be true or false", m->string);
            return -1;
        }
        *flag = cJSON_IsTrue(m);
        return 0;
    }
    if (strcmp(m->string, "jwt_alg_class") == 0)
        return req_alg_class(r, m, err, errlen);
    for (i = 0; i < sizeof req_nums / sizeof req_nums[0]; i++) {
        if (strcmp(m->string, req_nums[i].name) != 0)
            continue;
        if (!cJSON_IsNumber(m) || m->valuedouble < req_nums[i].min || m->valuedouble > req_nums[i].max) {
            snprintf(err, errlen, "requirements: \"%s\" must be a number in [%g, %g]", m->string,
                     req_nums[i].min, req_nums[i].max);
            return -1;
        }
        *(double *)(void *)((char *)r + req_nums[i].off) = m->valuedouble;
        r->given |= 1u << i;
        return 0;
    }
    if (m->string[0] == '_' || strcmp(m->string, "comment") == 0)
        return 0; /* "_note", "comment": free text for the reader */
    snprintf(err, errlen, "requirements: unknown field \"%s\" (see bench/report/DECISION.md)", m->string);
    return -1;
}

int rp_req_parse(rp_req *r, const char *text, size_t len, const char *origin, char *err, size_t errlen)
{
    const cJSON *m;
    cJSON *root = cJSON_ParseWithLength(text, len);
    int rc = -1;
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "requirements: %s is not a JSON object", origin);
        goto done;
    }
    cJSON_ArrayForEach(m, root)
        if (req_member(r, m, err, errlen) != 0)
            goto done;
    snprintf(r->source, sizeof r->source, "%s", origin);
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

void rp_req_from_run(rp_req *r, const cJSON *results)
{
    double peak = ab_json_num_or(results, "deployment.peak_rate_per_sec", NAN);
    double servers = ab_json_num_or(results, "deployment.servers", NAN), slo = ab_json_num_or(results, "slo_p99_ms", NAN);
    if (!(r->given & RP_REQ_PEAK) && peak >= 1) {
        r->peak_rps = peak;
        r->from_run |= RP_REQ_PEAK;
    }
    if (!(r->given & RP_REQ_SERVERS) && servers >= 1) {
        r->servers = servers;
        r->from_run |= RP_REQ_SERVERS;
    }
    if (!(r->given & RP_REQ_SLO) && slo > 0) {
        r->slo_p99_ms = slo;
        r->from_run |= RP_REQ_SLO;
    }
}

int rp_req_load(rp_req *r, const char *path, char *err, size_t errlen)
{
    size_t len;
    int rc;
    char *text = ab_read_file(path, RP_MAX_REQ_FILE, &len);
    if (text == NULL) {
        snprintf(err, errlen, "requirements: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    rc = rp_req_parse(r, text, len, path, err, errlen);
    free(text);
    return rc;
}

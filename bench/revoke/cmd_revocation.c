/* cmd_revocation.c — `authbench revocation`: the time from a logout on one server until every
 * server rejects the credential, measured by probing (ab_revoke.h), as text or JSON. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "ab_opt.h"
#include "ab_revoke.h"
#include "commands.h"

#define CMD "revocation"

/* Prints --help. */
static void usage(void)
{
    printf(
        "usage: authbench revocation --targets HOST:PORT[,HOST:PORT...] [options]\n\n"
        "Measures revocation latency against running servers (authbench serve) that share one store:\n"
        "per sample a user logs in on the first target, every target is checked to accept the\n"
        "credential, the user logs out on the first target (t0: its answer arrives), and then every\n"
        "target is probed (GET /api/x with the credential, all targets in parallel) until each one\n"
        "answers 401. A target's latency is when its first refused probe was sent, after t0; the\n"
        "sample's is the largest over the targets. A credential still accepted after --max-wait (or\n"
        "at once, when the logout answered {\"revoked\":false}: a stateless token) ends at its exp: for\n"
        "a JWT the sample is its remaining lifetime at t0 and the method is token_lifetime; any other\n"
        "credential still accepted is a failure (not revoked within max-wait).\n\n"
        "  --targets LIST         servers, comma-separated; the first logs users in and out (required)\n"
        "  --samples N            users logged in and out                                   [20]\n"
        "  --probe-interval D     at most one probe round per D (1ms, 250us)               [1ms]\n"
        "  --max-wait D           how long a credential may stay accepted after logout     [5s]\n"
        "  --user-prefix P        user names are P-<pid>-<n>                               [revoke]\n"
        "  --json                 print the JSON document below instead of the text summary\n\n"
        "JSON: {\"revocation_latency_us\": {\"p50\",\"p99\",\"max\",\"n\",\"bound_us\",\"method\"},\n"
        "\"mechanism\", \"family\", \"request_latency_us\": {\"p50\",\"p99\"}, \"refresh_latency_us\": {\"p50\",\"p99\",\n"
        "\"max\",\"n\"} (jwt+refresh: one POST /refresh per sample, else null), \"probes\", \"refused_probes\",\n"
        "\"token_lifetime_samples\", \"probe_interval_us\", \"max_wait_us\"}: microseconds; bound_us is the\n"
        "mechanism's stated bound (bench/revoke/README.md), null when none is stated.\n"
        "Exit status: 0 measured, 1 a target unreachable, a fresh credential refused or a credential\n"
        "not revoked within max-wait, 2 bad usage.\n");
}

enum { O_TARGETS = 256, O_SAMPLES, O_INTERVAL, O_MAX_WAIT, O_PREFIX, O_JSON };

static const struct option revocation_options[] = {
    {"targets", required_argument, NULL, O_TARGETS}, {"samples", required_argument, NULL, O_SAMPLES},
    {"probe-interval", required_argument, NULL, O_INTERVAL}, {"max-wait", required_argument, NULL, O_MAX_WAIT},
    {"user-prefix", required_argument, NULL, O_PREFIX}, {"json", no_argument, NULL, O_JSON},
    {NULL, 0, NULL, 0}};

/* Splits "H:P,H:P" into o->targets (pointing into list, which it cuts). Exits 2 on bad input. */
static void parse_targets(const ab_opt *p, char *list, ab_revoke_opts *o)
{
    char *save = NULL, *tok;
    o->ntargets = 0;
    for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        if (o->ntargets == AB_REVOKE_MAX_TARGETS)
            ab_opt_bad(p, "more than %d targets", AB_REVOKE_MAX_TARGETS);
        o->targets[o->ntargets++] = tok;
    }
    if (o->ntargets == 0)
        ab_opt_bad(p, "no target given");
}

/* A user prefix must make valid user names ([A-Za-z0-9._-], short enough). Exits 2 otherwise. */
static void parse_prefix(const ab_opt *p, ab_revoke_opts *o)
{
    const char *v = ab_opt_value(p);
    if (v[0] == '\0' || strlen(v) > 32 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                     "0123456789._-") != strlen(v))
        ab_opt_bad(p, "'%s' is not 1..32 characters of [A-Za-z0-9._-]", v);
    o->user_prefix = v;
}

/* Parses argv into o (targets point into a copy kept in *list). Exits 0 after --help, 2 on bad usage. */
static void parse_args(int argc, char **argv, ab_revoke_opts *o, char **list, int *json)
{
    ab_opt p;
    int c;
    ab_opt_init(&p, CMD, usage, revocation_options, argc, argv);
    while ((c = ab_opt_next(&p)) != AB_OPT_END)
        switch (c) {
        case O_TARGETS:
            free(*list);
            if ((*list = strdup(ab_opt_value(&p))) == NULL)
                ab_fail(CMD, "out of memory");
            parse_targets(&p, *list, o);
            break;
        case O_SAMPLES: o->samples = (unsigned)ab_opt_u64(&p, 1, 100000); break;
        case O_INTERVAL: o->probe_interval_us = ab_opt_duration_us(&p); break;
        case O_MAX_WAIT: o->max_wait_us = ab_opt_duration_us(&p); break;
        case O_PREFIX: parse_prefix(&p, o); break;
        case O_JSON: *json = 1; break;
        }
    if (o->ntargets == 0)
        ab_opt_fail(&p, "--targets is required");
    if (o->max_wait_us == 0 || o->max_wait_us > 3600ull * 1000000)
        ab_opt_fail(&p, "--max-wait must be more than 0 and at most 1h");
    if (o->probe_interval_us > o->max_wait_us)
        ab_opt_fail(&p, "--probe-interval is longer than --max-wait");
}

/* The whole document of --json. NULL when out of memory. */
static cJSON *document(const ab_revoke_opts *o, const ab_revoke_result *r)
{
    cJSON *j = cJSON_CreateObject(), *lat = ab_revoke_json(r), *req = cJSON_CreateObject();
    if (j == NULL || lat == NULL || req == NULL) {
        cJSON_Delete(j);
        cJSON_Delete(lat);
        cJSON_Delete(req);
        return NULL;
    }
    cJSON_AddItemToObject(j, "revocation_latency_us", lat);
    cJSON_AddStringToObject(j, "mechanism", r->mechanism);
    cJSON_AddStringToObject(j, "family", r->family);
    cJSON_AddNumberToObject(req, "p50", (double)r->request_p50_us);
    cJSON_AddNumberToObject(req, "p99", (double)r->request_p99_us);
    cJSON_AddItemToObject(j, "request_latency_us", req);
    if (r->refresh_n > 0 && (req = cJSON_AddObjectToObject(j, "refresh_latency_us")) != NULL) {
        cJSON_AddNumberToObject(req, "p50", (double)r->refresh_p50_us);
        cJSON_AddNumberToObject(req, "p99", (double)r->refresh_p99_us);
        cJSON_AddNumberToObject(req, "max", (double)r->refresh_max_us);
        cJSON_AddNumberToObject(req, "n", r->refresh_n);
    } else {
        cJSON_AddNullToObject(j, "refresh_latency_us");
    }
    cJSON_AddNumberToObject(j, "probes", (double)r->probes);
    cJSON_AddNumberToObject(j, "refused_probes", (double)r->revoked_probes);
    cJSON_AddNumberToObject(j, "token_lifetime_samples", r->token_lifetime_samples);
    cJSON_AddNumberToObject(j, "probe_interval_us", (double)o->probe_interval_us);
    cJSON_AddNumberToObject(j, "max_wait_us", (double)o->max_wait_us);
    return j;
}

/* The text summary. */
static void print_text(const ab_revoke_opts *o, const ab_revoke_result *r)
{
    printf("mechanism  %s (%s), %zu servers\n", r->mechanism, r->family, o->ntargets);
    printf("revocation %s over %u samples: p50 %llu us, p99 %llu us, max %llu us", r->method, r->n,
           (unsigned long long)r->p50_us, (unsigned long long)r->p99_us, (unsigned long long)r->max_us);
    if (r->bound_us >= 0)
        printf(" (stated bound %lld us)", (long long)r->bound_us);
    printf("\nrequest    p50 %llu us, p99 %llu us (one accepted probe's round trip)\n",
           (unsigned long long)r->request_p50_us, (unsigned long long)r->request_p99_us);
    if (r->refresh_n > 0)
        printf("refresh    p50 %llu us, p99 %llu us, max %llu us over %u POST /refresh\n",
               (unsigned long long)r->refresh_p50_us, (unsigned long long)r->refresh_p99_us,
               (unsigned long long)r->refresh_max_us, r->refresh_n);
    printf("probes     %llu after the logouts, %llu refused, at most one round per %llu us\n",
           (unsigned long long)r->probes, (unsigned long long)r->revoked_probes,
           (unsigned long long)o->probe_interval_us);
}

int ab_cmd_revocation(int argc, char **argv)
{
    ab_revoke_opts o;
    ab_revoke_result r;
    char *list = NULL, err[512], *text;
    int json = 0, rc = AB_EXIT_FAIL;
    cJSON *doc;
    ab_revoke_opts_init(&o);
    parse_args(argc, argv, &o, &list, &json);
    if (ab_revoke_measure(&o, &r, err, sizeof err) != 0)
        ab_err(CMD, "%s", err);
    else if (!json) {
        print_text(&o, &r);
        rc = AB_EXIT_OK;
    } else {
        doc = document(&o, &r);
        text = doc != NULL ? cJSON_Print(doc) : NULL;
        if (text != NULL)
            printf("%s\n", text);
        else
            ab_err(CMD, "out of memory");
        rc = text != NULL ? AB_EXIT_OK : AB_EXIT_FAIL;
        free(text);
        cJSON_Delete(doc);
    }
    free(list);
    return rc;
}

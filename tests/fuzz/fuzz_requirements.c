/* fuzz_requirements.c — fuzz target: a requirements file through `authbench report`'s reader
 * (rp_req_parse), then what the report does with requirements it accepted: the capacity model's
 * parameters, the decision, its sensitivity, decision.json and the ADR text, over the test fixture run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rp_int.h"

static rp_run run;

/* The ADR in Markdown for these requirements, as `authbench report` builds it (charts absent). */
static void use_requirements(const rp_req *req)
{
    static const char *const names[RP_NCHARTS] = {"throughput", "spectrum", "cpu", "io", "micro", "distance", "avail",
                                                  "sweep", "winners"};
    static rp_decision dec; /* large: off the stack */
    static rp_sens sens;
    rp_params params;
    rp_chart charts[RP_NCHARTS];
    rp_figs figs = {0};
    rp_doc doc = {0};
    rp_buf md = {0};
    rp_ctx c = {.run = &run, .params = &params, .req = req, .dec = &dec, .sens = &sens, .charts = charts, .figs = &figs,
                .doc = &doc};
    cJSON *dj;
    int k;
    memset(charts, 0, sizeof charts);
    for (k = 0; k < RP_NCHARTS; k++)
        charts[k].name = names[k];
    rp_params_init(&params, &run, NULL, req);
    rp_decide(&dec, &run, &params, req);
    rp_sensitivity(&sens, &run, &params, req);
    if ((dj = rp_decision_json(&run, &params, req, &dec, &sens)) == NULL)
        abort();
    cJSON_Delete(dj);
    rp_adr_head(&c);
    rp_adr_outcome(&c);
    rp_adr_proscons(&c);
    rp_adr_more(&c);
    if (rp_doc_markdown(&doc, &md) != 0)
        abort();
    rp_buf_free(&md);
    rp_doc_free(&doc);
    rp_figs_free(&figs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    rp_req req;
    if (run.root == NULL && rp_run_load(&run, FUZZ_SOURCE_DIR "/tests/report/fixture-run", err, sizeof err) != 0) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    rp_req_defaults(&req);
    if (rp_req_parse(&req, (const char *)data, size, "fuzz", err, sizeof err) == 0)
        use_requirements(&req);
    else if (err[0] == '\0')
        abort(); /* a refusal always says why */
    return 0;
}

/* Requirements a user may write (bench/report/DECISION.md), and near misses. */
static const char *const hand[] = {
    "{}",
    ("{\"peak_requests_per_sec\":20000,\"servers\":8,\"cores_per_server\":4,\"store_distance_us\":500,"
     "\"instant_revocation\":true,\"revocation_delay_s\":0,\"access_token_lifetime_s\":300,"
     "\"token_budget_bytes\":1024,\"multi_region\":true,\"region_distance_us\":40000,\"_note\":\"x\"}"),
    "{\"peak_requests_per_sec\":1e12,\"servers\":100000,\"cores_per_server\":0.1,\"token_budget_bytes\":16}",
    ("{\"peak_requests_per_sec\":1,\"servers\":1,\"cores_per_server\":4096,\"store_distance_us\":1e7,"
     "\"revocation_delay_s\":1e9,\"access_token_lifetime_s\":1,\"region_distance_us\":0,\"comment\":\"c\"}"),
    "{\"servers\":\"4\"}",
    "{\"typo\":1}",
    "[1,2]",
    "{\"multi_region\":1}",
    "{\"slo_p99_ms\":0.5,\"jwt_alg_class\":\"hmac\"}",
    "{\"jwt_alg_class\":\"rsa\"}",
};

int fuzz_seeds(const char *dir)
{
    size_t i;
    int n = 0;
    for (i = 0; i < sizeof hand / sizeof hand[0]; i++)
        if (fuzz_seed_str(dir, "hand", n++, hand[i]) != 0)
            return -1;
    return n;
}

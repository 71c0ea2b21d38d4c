/* rp_adr_more.c — the ADR's pros and cons of each option, what the numbers cannot show, and the
 * charts with their captions. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rp_int.h"

/* Appends " + cells[ID].part" for each measured part; adds them to *sum. Returns how many. */
static int sum_parts(char *expr, size_t len, const rp_cell *cell, const char *const *parts, size_t nparts, double *sum)
{
    size_t i, n = strlen(expr);
    int k = 0;
    for (i = 0; i < nparts && n < len; i++) {
        double v = rp_cell_num(cell, parts[i]);
        if (!rp_has(v))
            continue;
        *sum += v;
        n += (size_t)snprintf(expr + n, len - n, "%scells[%s].%s", k++ ? " + " : "", cell->id, parts[i]);
    }
    return k;
}

/* Share of c's requests that failed: (401s + errors) / (answered requests + transport errors), registered
 * as a figure; "not measured" if absent. */
static const char *failed_share(rp_ctx *c, const rp_cell *cell, const char *label)
{
    static const char *const failed[] = {"auth_failures", "errors.connect", "errors.read", "errors.timeout", "errors.http_5xx"};
    static const char *const tried[] = {"requests", "errors.connect", "errors.read", "errors.timeout"};
    char expr[1000] = "100 * (";
    double bad = 0, all = 0;
    int k = sum_parts(expr, sizeof expr, cell, failed, 5, &bad);
    snprintf(expr + strlen(expr), sizeof expr - strlen(expr), ") / (");
    if (k == 0 || sum_parts(expr, sizeof expr, cell, tried, 4, &all) == 0 || !(all > 0) || !rp_has(rp_cell_num(cell, "requests")))
        return "not measured";
    snprintf(expr + strlen(expr), sizeof expr - strlen(expr), ")");
    return rp_figure(c->figs, label, 100 * bad / all, RP_U_PCT, "%s", expr);
}

const char *rp_cell_fig(rp_ctx *c, const rp_cell *cell, const char *field, int unit, const char *what)
{
    char label[200];
    if (cell == NULL)
        return "not measured";
    snprintf(label, sizeof label, "%s, %s", what, cell->label);
    return rp_figure(c->figs, label, rp_cell_num(cell, field), unit, "cells[%s].%s", cell->id, field);
}

/* The per-server cell of a local store behind a non-sticky LB (the failure evidence), or NULL. */
static const rp_cell *unsticky_cell(const rp_run *run)
{
    size_t i;
    for (i = 0; i < run->ncells; i++) {
        const rp_cell *c = &run->cells[i];
        if (c->ok && c->series >= 0 && !run->series[c->series].projectable && c->servers > 1)
            return c;
    }
    return NULL;
}

/* Option o through the store outage of cell out: the share failed, the goodput kept, the revocations. */
static void option_outage(rp_ctx *c, const rp_option *o, const rp_cell *out)
{
    char label[200], revs[1400];
    double unavailable = rp_cell_num(out, "fault_outcome.unavailable_frac");
    snprintf(label, sizeof label, "failed share, %s through the store outage (`%s`)", o->id, out->id);
    rp_outage_revocations(c, out, revs, sizeof revs);
    rp_doc_add(c->doc, RP_B_LI, NULL, "%s: with the store stopped %.10g s into the %.10g s window (`%s`%s), %s of requests "
               "failed over the whole window; goodput through the outage %s at %s offered. Revocations made during it: %s.",
               !rp_has(unavailable) ? "Availability" : unavailable > 0 ? "Bad (availability)" : "Good (availability)",
               out->fault_at_s, rp_cell_num(out, "duration_s"), out->id,
               out->alg && o->est.alg && strcmp(out->alg, o->est.alg) != 0
                   ? "; its algorithm differs from the option's: what it shows is whether the store is on the path" : "",
               failed_share(c, out, label), rp_cell_fig(c, out, "fault_outcome.goodput_after_per_s", RP_U_RPS,
               "goodput through the outage"), rp_cell_fig(c, out, rp_has(rp_cell_num(out, "target_rate_per_sec")) ?
               "target_rate_per_sec" : "rate_per_sec", RP_U_RPS, "offered rate"), revs);
}

/* A pushed denylist's revocation bound: the channel revocations travel on (and its poll period), the
 * bound the mechanism states and what the run measured against it. */
static void pushed_bound(rp_ctx *c, const rp_option *o)
{
    const rp_cell *e = o->est.cell;
    int recorded;
    const char *channel = rp_cell_channel(e, &recorded);
    double sync_ms = rp_cell_sync_ms(e);
    char poll[160] = "";
    if (rp_has(rp_cell_num(e, "pushed_denylist.sync_ms")))
        snprintf(poll, sizeof poll, ", every %s ms", rp_cell_fig(c, e, "pushed_denylist.sync_ms", RP_U_PLAIN, "poll period (ms)"));
    else if (rp_has(sync_ms))
        snprintf(poll, sizeof poll, ", every %.10g ms (the spec's sync_ms)", sync_ms);
    rp_doc_add(c->doc, RP_B_LI, NULL, "Revocation: pushed over `%s`%s (%s%s). Measured (`%s`, a logout on one server, "
               "every server probed until it refuses): p50 %s, p99 %s, max %s against a stated bound of %s.",
               channel ? channel : "?", poll,
               strcmp(channel ? channel : "", "poll") == 0 ? "each server polls the store's revocation log"
               : strcmp(channel ? channel : "", "notify") == 0 ? "PostgreSQL LISTEN/NOTIFY, a catch-up by SELECT on reconnect"
               : "Redis pub/sub, a catch-up by SCAN on reconnect",
               recorded ? "" : "; inferred from its store: the run did not record the channel", e->id,
               rp_cell_fig(c, e, "revocation_latency_us.p50", RP_U_US, "revocation latency p50"),
               rp_cell_fig(c, e, "revocation_latency_us.p99", RP_U_US, "revocation latency p99"),
               rp_cell_fig(c, e, "revocation_latency_us.max", RP_U_US, "revocation latency max"),
               rp_cell_fig(c, e, "revocation_latency_us.bound_us", RP_U_US, "stated revocation bound"));
    if (rp_cell_num(e, "pushed_denylist.gaps") > 0)
        rp_doc_add(c->doc, RP_B_LI, NULL, "Bad: %s revocations were lost in the window: their log entries expired or were "
                   "evicted before a server read them, so those tokens are accepted until they expire.",
                   rp_cell_fig(c, e, "pushed_denylist.gaps", RP_U_PLAIN, "revocations lost (log gaps)"));
}

/* Pros and cons of one option from its measured cells. */
static void option_pros_cons(rp_ctx *c, int k)
{
    const rp_option *o = &c->dec->opt[k];
    const rp_cell *b = o->series ? o->series->base : o->est.cell, *outage, *rr;
    rp_doc_add(c->doc, RP_B_H3, NULL, "%s", o->name);
    if (b == NULL) {
        rp_doc_add(c->doc, RP_B_P, NULL, "Not measured in this run: no successful cell.");
        return;
    }
    rp_doc_add(c->doc, RP_B_LI, NULL, "Measured (`%s`, %.0f server%s): p99 %s, server CPU %s per request, credential %s, "
               "%s store round trips per request.", b->id, b->servers, b->servers == 1 ? "" : "s",
               rp_cell_fig(c, b, "latency_us.p99", RP_U_US, "p99"), rp_cell_fig(c, b, "server_cpu_us_per_req", RP_U_US, "server CPU per request"),
               rp_cell_fig(c, b, "credential_bytes", RP_U_BYTES, "credential bytes"),
               rp_cell_fig(c, b, "store_round_trips_per_req", RP_U_PLAIN, "store round trips per request"));
    for (outage = NULL; (outage = rp_outage_cell(c->run, k, o->est.alg, outage)) != NULL;)
        option_outage(c, o, outage);
    if (k == RP_OPT_LOCAL_SESSION && (rr = unsticky_cell(c->run)) != NULL)
        rp_doc_add(c->doc, RP_B_LI, NULL, "Bad: without a sticky load balancer (`%s`, %.0f servers) %s of requests were "
                   "rejected: the session lives on another server.", rr->id, rr->servers,
                   failed_share(c, rr, "failed share, per-server sessions without sticky LB"));
    if (k == RP_OPT_SHARED_SESSION || k == RP_OPT_LOCAL_SESSION)
        rp_doc_add(c->doc, RP_B_LI, NULL, "Good: revocation is a delete; the credential is an opaque random id.");
    if (k == RP_OPT_JWT)
        rp_doc_add(c->doc, RP_B_LI, NULL, "Bad: valid until it expires (%.10g s lifetime in the drivers); every server holds "
                   "a verification key.", c->req->access_token_lifetime_s);
    if (k == RP_OPT_HYBRID)
        rp_doc_add(c->doc, RP_B_LI, NULL, "Good: revocation within the denylist's replication delay. Bad: the store is on "
                   "the request path again (a denylist miss still costs the round trip).");
    if (rp_option_pushed(k) && o->est.cell != NULL)
        pushed_bound(c, o);
}

/* The qualitative side: key distribution, confidentiality, size, clocks, ids, CIA. */
static void cannot_show(rp_ctx *c)
{
    const rp_option *j = &c->dec->opt[RP_OPT_JWT];
    rp_doc_add(c->doc, RP_B_H3, NULL, "What the numbers cannot show");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Key distribution: HS256/384/512 share one secret with every verifier, and any holder "
               "of it can mint tokens; with RS/PS/ES/EdDSA the issuer alone holds the private key and verifiers hold only a "
               "public key (publish it as a JWKS, rotate with `kid`). Pin the expected algorithm; never accept `none`.");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Payload confidentiality: a JWT is signed, not encrypted: anyone who sees it can "
               "base64url-decode its claims. Keep personal data out of claims (or use JWE); session data stays on the server.");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Token size: browsers guarantee only 4096 bytes per cookie and proxies cap header "
               "sizes (often 8 KiB). The JWT measured here is %s; claims grow with roles and scopes.",
               j->est.cell ? rp_cell_fig(c, j->est.cell, "credential_bytes", RP_U_BYTES, "credential bytes") : "not measured");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Clock skew: `exp`, `nbf` and `iat` are checked against each verifier's clock; the "
               "leeway allowed for skew lengthens every token's effective lifetime. Keep servers on NTP.");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Session id entropy: a session id is a bearer secret; authbench's are 128 bits from "
               "a CSPRNG (OpenSSL RAND_bytes). Fewer bits or a non-cryptographic generator make ids guessable.");
    rp_doc_add(c->doc, RP_B_LI, NULL, "Confidentiality: both credentials are bearer tokens: TLS everywhere, cookies "
               "`Secure; HttpOnly; SameSite`. Integrity: a JWT's signature protects its claims; a session's claims live "
               "where the client cannot touch them. Availability: the store-outage cells above and chart 7 are the "
               "evidence: a shared store on the request path is a dependency of every request.");
}

/* One fault cell: what was done and when, the errors and 401s from then on, and the recovery. */
static void fault_cell(rp_ctx *c, const rp_cell *cell)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(cell->json, "fault_outcome");
    const char *what = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "what"));
    const char *note = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "note"));
    double lasted = rp_cell_num(cell, "fault_for_s");
    char lifted[64] = "", after[600];
    if (rp_has(lasted))
        snprintf(lifted, sizeof lifted, ", for %.10g s", lasted);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "injected")))
        snprintf(after, sizeof after, "not injected%s%s", note ? ": " : "", note ? note : "");
    else if (rp_cell_num(cell, "fault_outcome.errors_after") == 0)
        snprintf(after, sizeof after, "no request failed with an error");
    else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "recovered")))
        snprintf(after, sizeof after, "errors stopped within %s s after the fault ended (1 s resolution)",
                 rp_cell_fig(c, cell, "fault_outcome.recovery_s", RP_U_PLAIN, "seconds to recover"));
    else
        snprintf(after, sizeof after, "errors went on to the end of the window");
    rp_doc_add(c->doc, RP_B_LI, NULL, "`%s` (%s): %s, at %.2f s into the %.10g s window%s. From then on %s errors and "
               "%s refused credentials (401); %s.", cell->id, cell->label, what ? what : cell->fault, cell->fault_at_s,
               rp_cell_num(cell, "duration_s"), lifted, rp_cell_fig(c, cell, "fault_outcome.errors_after", RP_U_PLAIN,
               "errors after the fault"), rp_cell_fig(c, cell, "fault_outcome.auth_failures_after", RP_U_PLAIN,
               "401s after the fault"), after);
}

/* Every cell that injected a fault (store outage, Redis restart or pause, store connections reset,
 * disk full, a server killed), with its outcome. */
static void fault_cells(rp_ctx *c)
{
    size_t i;
    int any = 0;
    for (i = 0; i < c->run->ncells; i++) {
        const rp_cell *cell = &c->run->cells[i];
        if (!cell->ok || cell->fault == NULL || !rp_has(cell->fault_at_s))
            continue;
        if (any++ == 0)
            rp_doc_add(c->doc, RP_B_H3, NULL, "Through the injected faults");
        fault_cell(c, cell);
    }
}

void rp_adr_proscons(rp_ctx *c)
{
    int k;
    rp_doc_add(c->doc, RP_B_H2, NULL, "Pros and Cons of the Options");
    for (k = 0; k < RP_NOPT; k++)
        if (k <= RP_OPT_HYBRID || c->dec->opt[k].est.cell != NULL) /* later options only when measured */
            option_pros_cons(c, k);
    fault_cells(c);
    rp_adr_outage(c);
    rp_adr_stores(c);
    cannot_show(c);
}

void rp_adr_charts(rp_ctx *c)
{
    static const char *const captions[RP_NCHARTS] = {
        "Points are measured closed-loop throughput; dashed lines are the capacity model's projection, not measurements. "
        "Every server of a cell runs on the one measuring machine, so measured throughput stops growing once its cores are busy.",
        "Latency at each percentile from the cell's merged histogram (all repetitions). The x axis is 1/(1-p): each step "
        "right is one more nine. Closed loop at saturation, so latency includes queueing.",
        "Server CPU per request. The coloured part is the CPU spent in authenticate() (auth_cpu_us_per_req, sampled); the "
        "grey part is the rest (HTTP parsing, the response, the kernel). Hatched bars: the split was not measured.",
        "Bytes and operations per request. Credential bytes are the cookie value or token alone; store bytes are both "
        "directions of the app server's store connection.",
        "Google Benchmark times on the measuring machine (median of repetitions): authbench's verify and sign at a typical "
        "token, the bare OpenSSL operation on the same input (the floor) and libjwt's verify (a peer). A missing bar is a "
        "benchmark micro.json does not have.",
        "p99 (solid) and p50 (dashed) latency of store-backed mechanisms as the latency proxy delays each direction; "
        "the p99 of each stateless JWT is drawn flat beside them: a JWT never touches the store.",
        "Requests served per second through the store-outage cells; the dotted line marks when the store was stopped. "
        "Dashed lines are failed requests per second.",
        "p99 latency against the throughput each sweep point achieved (open loop), with the 95 % interval of the median "
        "over repetitions as error bars and the SLO as a dashed line: capacity at the SLO is the highest point under it. "
        "A hollow marker is a rate that was not reached: its latency is not latency at that rate.",
        "The verdict of the decision rule (with its significance gate) for each store distance and peak load, the other "
        "drivers unchanged: a model over the measured per-option costs, not a measurement. Grey: no measurable difference.",
        "The p99 of each second of the store-sweep cells (the median over repetitions of that second's p99), at the "
        "cell's offered rate; the dotted line marks where the store's sweep of expired sessions starts, as chart 7 "
        "marks the fault. The table \"Through a sweep of expired sessions\" gives the p99 before, during and after."};
    int k;
    rp_doc_add(c->doc, RP_B_H3, NULL, "Charts");
    for (k = 0; k < RP_NCHARTS; k++) {
        const rp_chart *ch = &c->charts[k];
        if (!ch->made) {
            rp_doc_add(c->doc, RP_B_P, NULL, "%s", ch->note);
            continue;
        }
        rp_doc_add(c->doc, RP_B_P, NULL, "**Chart %d.** %s: %s.", k + 1, ch->title, ch->subtitle);
        rp_doc_add(c->doc, RP_B_IMG, ch->name, "%s: %s", ch->title, ch->subtitle);
        rp_doc_add(c->doc, RP_B_P, NULL, "%s (`charts/%s.svg`, `charts/%s.png`, data in `charts/data/%s.dat`)", captions[k],
                   ch->name, ch->name, ch->name);
    }
}

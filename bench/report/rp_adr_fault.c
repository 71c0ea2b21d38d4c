/* rp_adr_fault.c — the ADR's store-failure evidence: per mechanism through a store outage, the goodput
 * it kept and what became of the revocations made meanwhile (each mechanism meets an outage its own
 * way: refused, let through unchecked, served from a pushed set, never checked); the store sweeps
 * (latency before, during and after); the sessions a store held and its size per session. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rp_int.h"

/* How a mechanism meets a store outage. */
enum { RP_OUT_SESSION, RP_OUT_STATELESS, RP_OUT_CACHE, RP_OUT_OPEN, RP_OUT_CLOSED, RP_OUT_PUSHED, RP_OUT_REFRESH,
       RP_OUT_NONE, RP_OUT_L1 };

/* 1 when c injected a store outage. */
static int is_outage(const rp_cell *c)
{
    return c->ok && c->fault != NULL && strcmp(c->fault, "store-outage") == 0 && c->mechanism != NULL;
}

/* The way the mechanism of c meets the outage. */
static int outage_way(const rp_cell *c)
{
    const char *f = c->family ? c->family : "";
    if (strcmp(f, "session") == 0)
        return strstr(c->mechanism, "l1=") != NULL ? RP_OUT_L1 : RP_OUT_SESSION;
    if (strcmp(f, "jwt") == 0)
        return strstr(c->mechanism, "cache=") != NULL ? RP_OUT_CACHE : RP_OUT_STATELESS;
    if (strcmp(f, "jwt+denylist") == 0)
        return strstr(c->mechanism, "on_store_error=open") != NULL ? RP_OUT_OPEN : RP_OUT_CLOSED;
    if (strcmp(f, "jwt+pushed-denylist") == 0)
        return RP_OUT_PUSHED;
    if (strcmp(f, "jwt+refresh") == 0)
        return RP_OUT_REFRESH;
    return RP_OUT_NONE;
}

/* 1 when c is a store-outage cell of option k in algorithm alg (NULL: any). */
static int outage_of(const rp_cell *c, int k, const char *alg)
{
    return is_outage(c) && rp_cell_fits(c, k) && (alg == NULL || (c->alg != NULL && strcmp(c->alg, alg) == 0));
}

const rp_cell *rp_outage_cell(const rp_run *run, int k, const char *alg, const rp_cell *after)
{
    size_t i, from = after != NULL ? (size_t)(after - run->cells) + 1 : 0;
    for (i = 0; alg != NULL && i < run->ncells && !outage_of(&run->cells[i], k, alg); i++)
        ;
    if (i == run->ncells)
        alg = NULL; /* none in the option's algorithm: the others show whether the store is on the path */
    for (i = from; i < run->ncells; i++)
        if (outage_of(&run->cells[i], k, alg))
            return &run->cells[i];
    return NULL;
}

const char *rp_outage_kind(const rp_cell *c)
{
    static const char *const kinds[] = {"none_missed", "never_checked", "never_checked", "all_missed", "none_missed",
                                        "measured", "until_access_ttl", "no_credential", "until_l1_ttl"};
    return kinds[outage_way(c)];
}

double rp_outage_seconds(const rp_cell *c, int *ended)
{
    double f = rp_cell_num(c, "fault_for_s");
    *ended = rp_has(f);
    return *ended ? f : rp_cell_num(c, "duration_s") - c->fault_at_s;
}

/* The outage's length in the window (s), registered: the fault's own length when it ended, else from
 * the fault to the window's end (the store never came back). */
static const char *outage_len(rp_ctx *c, const rp_cell *cell, int *ended)
{
    char label[200];
    *ended = rp_has(rp_cell_num(cell, "fault_for_s"));
    if (*ended)
        return rp_cell_fig(c, cell, "fault_for_s", RP_U_PLAIN, "outage length (s)");
    snprintf(label, sizeof label, "outage length to the window's end (s), %s", cell->label);
    return rp_figure(c->figs, label, rp_cell_num(cell, "duration_s") - cell->fault_at_s, RP_U_PLAIN,
                     "cells[%s].duration_s - cells[%s].fault_at_s", cell->id, cell->id);
}

/* The pushed denylist through the outage: what its subscribers counted, and whether a catch-up ran. */
static void pushed_words(rp_ctx *c, const rp_cell *cell, char *buf, size_t len)
{
    const char *n;
    int ended, recorded;
    const char *channel = rp_cell_channel(cell, &recorded);
    double breaks = rp_cell_num(cell, "pushed_denylist.breaks");
    if (!rp_has(rp_cell_num(cell, "pushed_denylist.missed"))) {
        snprintf(buf, len, "not measured (the cell has no `pushed_denylist`); the servers serve from the set they hold");
        return;
    }
    snprintf(buf, len, "measured over every server: %s missed (found by a catch-up after the channel came back), %s "
             "channel breaks, %s heard (channel `%s`%s); ",
             rp_cell_fig(c, cell, "pushed_denylist.missed", RP_U_PLAIN, "revocations missed"),
             rp_cell_fig(c, cell, "pushed_denylist.breaks", RP_U_PLAIN, "channel breaks"),
             rp_cell_fig(c, cell, "pushed_denylist.heard", RP_U_PLAIN, "revocations heard"), channel ? channel : "?",
             recorded ? "" : ", by its store");
    if (rp_cell_num(cell, "pushed_denylist.gaps") > 0) /* a polled log's entries gone before a server read them */
        snprintf(buf + strlen(buf), len - strlen(buf), "%s revocations lost for good (log entries expired or evicted "
                 "before a server read them: accepted until their tokens expire); ",
                 rp_cell_fig(c, cell, "pushed_denylist.gaps", RP_U_PLAIN, "revocations lost (log gaps)"));
    if (breaks == 0) {
        snprintf(buf + strlen(buf), len - strlen(buf), "the channel did not break");
        return;
    }
    n = outage_len(c, cell, &ended);
    if (ended)
        snprintf(buf + strlen(buf), len - strlen(buf), "the store came back after %s s and the catch-up on reconnect "
                 "caught up the missed ones", n);
    else
        snprintf(buf + strlen(buf), len - strlen(buf), "not caught up: the store never came back in the window (%s s), "
                 "so no catch-up ran; a revocation made during the outage cannot even be published (a logout writes to "
                 "the store) and is missed by every server until the store returns", n);
}

void rp_outage_revocations(rp_ctx *c, const rp_cell *cell, char *buf, size_t len)
{
    int ended;
    switch (outage_way(cell)) {
    case RP_OUT_SESSION:
        snprintf(buf, len, "none missed: no session is accepted while its store is down, revoked or not (the goodput "
                 "is what that costs)");
        break;
    case RP_OUT_CLOSED:
        snprintf(buf, len, "none missed: the denylist fails closed, so every token is refused while it cannot be read "
                 "(the goodput is what that costs)");
        break;
    case RP_OUT_OPEN: {
        const char *n = outage_len(c, cell, &ended);
        char label[200];
        snprintf(label, sizeof label, "requests let through unchecked (all repetitions), %s", cell->label);
        snprintf(buf, len, "every revocation during the outage is missed: the denylist fails open for the outage's "
                 "%s s%s, and %s requests were let through without the check",
                 n, ended ? "" : " (to the window's end; in production, until the store returns)",
                 rp_figure(c->figs, label, rp_cell_num(cell, "fail_open_per_req") * rp_cell_num(cell, "requests"),
                           RP_U_PLAIN, "cells[%s].fail_open_per_req * cells[%s].requests", cell->id, cell->id));
        break;
    }
    case RP_OUT_PUSHED: pushed_words(c, cell, buf, len); break;
    case RP_OUT_REFRESH:
        snprintf(buf, len, "an access token keeps working until its access_ttl, outage or not; refreshes need the store "
                 "and fail while it is down");
        break;
    case RP_OUT_NONE: snprintf(buf, len, "no credential"); break;
    case RP_OUT_L1:
        snprintf(buf, len, "a logout cannot reach the store while it is down; a server serves what its per-server "
                 "cache holds for at most the cache's TTL (its staleness window, the revocation delay it always has), "
                 "then refuses like a session without one");
        break;
    default:
        snprintf(buf, len, "revocation is never checked, outage or not: a revoked token works for its remaining lifetime "
                 "(%.10g s in the drivers)%s", c->req->access_token_lifetime_s,
                 outage_way(cell) == RP_OUT_CACHE ? "; the cache holds verified tokens, never past their exp" : "");
        break;
    }
}

/* The table row of one outage cell. */
static void outage_row(rp_ctx *c, const rp_cell *cell)
{
    static const char *const ways[] = {"fails (the store holds the sessions)", "never touches the store",
                                       "never touches the store", "fails open (unchecked)", "fails closed (refuses)",
                                       "serves from the pushed set", "serves until access tokens expire", "—",
                                       "serves its per-server cache until the entries' TTL, then fails"};
    char revs[1400], offered[64];
    const char *rate = rp_has(rp_cell_num(cell, "target_rate_per_sec")) ? "target_rate_per_sec" : "rate_per_sec";
    rp_outage_revocations(c, cell, revs, sizeof revs);
    snprintf(offered, sizeof offered, "%s", rp_cell_fig(c, cell, rate, RP_U_RPS, "offered rate"));
    rp_doc_add(c->doc, RP_B_TROW, NULL, "`%s`\t%s\t%s\t%s at %s offered\t%s\t%s", cell->id, ways[outage_way(cell)],
               rp_cell_fig(c, cell, "fault_at_s", RP_U_PLAIN, "store stopped at (s)"),
               rp_cell_fig(c, cell, "fault_outcome.goodput_after_per_s", RP_U_RPS, "goodput through the outage"), offered,
               rp_cell_fig(c, cell, "fault_outcome.unavailable_frac", RP_U_PLAIN, "unavailable share of the seconds"), revs);
}

void rp_adr_outage(rp_ctx *c)
{
    size_t i;
    int any = 0;
    for (i = 0; i < c->run->ncells; i++) {
        const rp_cell *cell = &c->run->cells[i];
        if (!is_outage(cell) || outage_way(cell) == RP_OUT_NONE)
            continue;
        if (any++ == 0) {
            rp_doc_add(c->doc, RP_B_H3, NULL, "Through a store outage: what keeps serving, and the revocations missed");
            rp_doc_add(c->doc, RP_B_P, NULL, "Each cell's store is stopped in its window while the load goes on at the "
                       "cell's offered rate. Goodput is 2xx answers per second from the fault's second on (medians of "
                       "the repetitions, results.json `fault_outcome.goodput_after_per_s`); unavailable is the share of "
                       "those seconds under half the goodput before. Chart 7 draws them per second.");
            rp_doc_add(c->doc, RP_B_THEAD, NULL, "cell\tthrough the outage it\tstore stopped at (s)\tgoodput through the "
                       "outage\tunavailable share of the seconds\trevocations made during the outage");
        }
        outage_row(c, cell);
    }
}

/* One store-sweep cell's row: the store, its sessions, the sweep and the p99 around it. A lazy store
 * (memcached) runs no sweep: it drops an item when it is read. */
static void sweep_row(rp_ctx *c, const rp_cell *cell)
{
    const char *method = ab_json_str(cell->json, "store_sweep.method"), *note = ab_json_str(cell->json, "store_sweep.note");
    int lazy = method != NULL && strcmp(method, "memcached-lazy") == 0;
    char exp[64], live[64], removed[160], took[96], at[160];
    snprintf(exp, sizeof exp, "%s", rp_cell_fig(c, cell, "store_sweep.expired", RP_U_PLAIN, "expired sessions"));
    snprintf(live, sizeof live, "%s", rp_cell_fig(c, cell, "store_sweep.live", RP_U_PLAIN, "live sessions"));
    if (lazy)
        snprintf(removed, sizeof removed, "none runs (memcached-lazy: an item is dropped when read)");
    else
        snprintf(removed, sizeof removed, "%s (%s)", rp_cell_fig(c, cell, "store_sweep.removed", RP_U_PLAIN, "removed"),
                 method ? method : "method not recorded");
    snprintf(took, sizeof took, "%s", lazy ? "—" : rp_cell_fig(c, cell, "store_sweep.sweep_ms", RP_U_PLAIN, "sweep took (ms)"));
    if (rp_has(rp_cell_num(cell, "store_sweep.started_s"))) /* when it began, as measured, beside when it was asked */
        snprintf(at, sizeof at, "%s s (asked %.10g s)", rp_cell_fig(c, cell, "store_sweep.started_s", RP_U_PLAIN,
                 "sweep started at (s)"), rp_cell_num(cell, "store_sweep.at_s"));
    else
        snprintf(at, sizeof at, "%s s", rp_cell_fig(c, cell, "store_sweep.at_s", RP_U_PLAIN, "sweep at (s)"));
    rp_doc_add(c->doc, RP_B_TROW, NULL, "`%s`\t%s\t%s / %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s%s", cell->id,
               cell->store ? cell->store : "?", exp, live, removed, took, at,
               rp_cell_fig(c, cell, "target_rate_per_sec", RP_U_RPS, "offered rate"),
               rp_cell_fig(c, cell, "store_sweep.p99_before_us", RP_U_US, "p99 before the sweep"),
               rp_cell_fig(c, cell, "store_sweep.p99_during_us", RP_U_US, "p99 during the sweep"),
               rp_cell_fig(c, cell, "store_sweep.p99_after_us", RP_U_US, "p99 after the sweep"),
               note ? "; note: " : "", note ? note : "");
}

/* The store-sweep cells (kind store-sweep): a row each, chart 10 per second. */
static void store_sweeps(rp_ctx *c)
{
    size_t i;
    int any = 0;
    for (i = 0; i < c->run->ncells; i++) {
        const rp_cell *cell = &c->run->cells[i];
        if (!cell->ok || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cell->json, "store_sweep")))
            continue;
        if (any++ == 0) {
            rp_doc_add(c->doc, RP_B_H3, NULL, "Through a sweep of expired sessions");
            rp_doc_add(c->doc, RP_B_P, NULL, "The store holds expired sessions among the live ones and its sweep runs "
                       "into the measured window (PostgreSQL: a DELETE of the expired rows; the file store: its sweep; "
                       "Redis: its own active expiry; Memcached: lazily, on access), while the load goes on at the "
                       "cell's offered rate. The p99s are medians over repetitions of the per-second p99: the seconds "
                       "before the sweep, the seconds it ran, the seconds after (results.json `store_sweep`; chart 10).");
            rp_doc_add(c->doc, RP_B_THEAD, NULL, "cell\tstore\texpired / live sessions\tremoved (method)\tsweep took "
                       "(ms)\tsweep at\toffered rate\tp99 before\tp99 during\tp99 after");
        }
        sweep_row(c, cell);
    }
}

/* The largest live-session count any cell's store held: the scenario's count. */
static const rp_cell *most_sessions(const rp_run *run)
{
    const rp_cell *best = NULL;
    size_t i;
    for (i = 0; i < run->ncells; i++) {
        double n = rp_cell_num(&run->cells[i], "sessions_live");
        if (run->cells[i].ok && rp_has(n) && (best == NULL || n > rp_cell_num(best, "sessions_live")))
            best = &run->cells[i];
    }
    return best;
}

/* Sessions at scale: per cell whose store said its size, the bytes per session and what the run's
 * largest count would take (a projection: bytes × sessions). */
static void sessions_at_scale(rp_ctx *c)
{
    const rp_cell *top = most_sessions(c->run);
    double n = rp_cell_num(top, "sessions_live");
    size_t i;
    int any = 0;
    for (i = 0; i < c->run->ncells; i++) {
        const rp_cell *cell = &c->run->cells[i];
        double b = rp_cell_num(cell, "store_bytes_per_session");
        char label[200], per[64], proj[96] = "—";
        if (!cell->ok || (!rp_has(b) && !(rp_cell_num(cell, "sessions_live") > 0)))
            continue;
        if (any++ == 0) {
            rp_doc_add(c->doc, RP_B_H3, NULL, "Sessions at scale");
            char most[160] = "no cell recorded its count: not projected";
            if (top != NULL)
                snprintf(most, sizeof most, "%.0f sessions, `%s`", n, top->id);
            rp_doc_add(c->doc, RP_B_P, NULL, "Live sessions in each cell's store at the window's start (`sessions_live`) "
                       "and the store's size per session (`store_bytes_per_session`, from the store's own size before "
                       "and after the fill). The last column is a projection, not a measurement: bytes per session × the "
                       "largest count of the run (%s).", most);
            rp_doc_add(c->doc, RP_B_THEAD, NULL, "cell\tstore\tlive sessions\tstore bytes per session\tprojected store "
                       "size at the run's largest count");
        }
        snprintf(per, sizeof per, "%s", rp_cell_fig(c, cell, "store_bytes_per_session", RP_U_BYTES, "store bytes per session"));
        if (rp_has(b) && rp_has(n)) {
            snprintf(label, sizeof label, "projected store size at %.0f sessions, %s", n, cell->label);
            snprintf(proj, sizeof proj, "%s (≈ %.0f MiB; projection)", rp_figure(c->figs, label, b * n, RP_U_BYTES,
                     "cells[%s].store_bytes_per_session * cells[%s].sessions_live", cell->id, top->id), b * n / 1048576);
        }
        rp_doc_add(c->doc, RP_B_TROW, NULL, "`%s`\t%s\t%s\t%s\t%s", cell->id, cell->store ? cell->store : "—",
                   rp_cell_fig(c, cell, "sessions_live", RP_U_PLAIN, "live sessions"), rp_has(b) ? per : "not measured (the store cannot say)", proj);
    }
}

void rp_adr_stores(rp_ctx *c)
{
    store_sweeps(c);
    sessions_at_scale(c);
}

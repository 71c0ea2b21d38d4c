/* progress.c — the progress of `authbench run` on stderr: one bar over the estimated time of every
 * cell (redrawn from the wait loops of cell.c and rep.c) and one line per finished cell. */
#include "run_exec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ab_run_progress_start(ab_run_progress *p, int enabled, double total_s, unsigned nrounds)
{
    memset(p, 0, sizeof *p);
    ab_progress_init(&p->bar, enabled);
    p->enabled = enabled;
    p->total_s = total_s;
    p->nrounds = nrounds;
}

void ab_run_progress_rep(ab_run_progress *p, unsigned round, size_t index, size_t count, const char *id,
                         double est_s)
{
    p->round = round;
    p->index = index;
    p->count = count;
    p->cell_id = id;
    p->rep_est_s = est_s;
    p->rep_start_us = ab_now_us();
    p->last_tick_us = 0;
    ab_run_progress_tick(p);
}

void ab_run_progress_tick(ab_run_progress *p)
{
    char label[192];
    uint64_t now = ab_now_us();
    double in_rep = (double)(now - p->rep_start_us) / 1e6;
    if (p->last_tick_us != 0 && now - p->last_tick_us < 200000)
        return; /* five redraws a second are enough */
    p->last_tick_us = now;
    if (in_rep > p->rep_est_s)
        in_rep = p->rep_est_s;
    ab_fmt(label, sizeof label, "round %u/%u cell %zu/%zu %s", p->round, p->nrounds, p->index + 1, p->count,
           p->cell_id ? p->cell_id : "");
    ab_progress_update(&p->bar, label, p->done_s + in_rep, p->total_s, "");
}

/* The rate a repetition was measured at, for its line: "closed loop", or the target and whether
 * it was reached (the load's rate_reached; absent from a load that predates it). */
static void rate_text(const cJSON *load, char *out, size_t len)
{
    const cJSON *reached = ab_json_at(load, "rate_reached");
    double target = ab_json_num_or(load, "target_rate_per_sec", ab_json_num_or(load, "config.rate_rps", 0));
    if (!(target > 0))
        ab_fmt(out, len, "closed loop");
    else if (cJSON_IsFalse(reached))
        ab_fmt(out, len, "at %.0f req/s: TARGET RATE NOT REACHED", target);
    else
        ab_fmt(out, len, "at %.0f req/s", target);
}

void ab_run_progress_rep_done(ab_run_progress *p, const cJSON *load, const char *err)
{
    char rate[96];
    p->done_s += p->rep_est_s;
    if (!p->enabled || (load == NULL && err == NULL))
        return;
    ab_progress_done(&p->bar);
    if (err != NULL) {
        fprintf(stderr, "authbench run: [round %u/%u %zu/%zu] %s: FAILED: %s\n", p->round, p->nrounds,
                p->index + 1, p->count, p->cell_id, err);
        return;
    }
    rate_text(load, rate, sizeof rate);
    fprintf(stderr, "authbench run: [round %u/%u %zu/%zu] %s: %.0f req/s %s, p99 %.0f us, %.0f auth failures\n",
            p->round, p->nrounds, p->index + 1, p->count, p->cell_id, ab_json_num_or(load, "requests_per_sec", NAN),
            rate, ab_json_num_or(load, "latency_us.p99", NAN), ab_json_num_or(load, "auth_failures", NAN));
}

void ab_run_progress_end(ab_run_progress *p)
{
    ab_progress_done(&p->bar);
}

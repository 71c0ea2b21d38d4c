/* progress.c — the progress of `authbench run` on stderr: one bar over the estimated time of every
 * cell (redrawn from the wait loops of cell.c and rep.c) and one line per finished cell. */
#include "run_exec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ab_run_progress_start(ab_run_progress *p, int enabled, double total_s, size_t ncells)
{
    memset(p, 0, sizeof *p);
    ab_progress_init(&p->bar, enabled);
    p->enabled = enabled;
    p->total_s = total_s;
    p->ncells = ncells;
}

void ab_run_progress_cell(ab_run_progress *p, size_t index, const char *id, double est_s)
{
    p->cell_index = index;
    p->cell_id = id;
    p->cell_est_s = est_s;
    p->cell_start_us = ab_now_us();
    p->last_tick_us = 0;
    ab_run_progress_tick(p);
}

void ab_run_progress_tick(ab_run_progress *p)
{
    char label[192];
    uint64_t now = ab_now_us();
    double in_cell = (double)(now - p->cell_start_us) / 1e6;
    if (p->last_tick_us != 0 && now - p->last_tick_us < 200000)
        return; /* five redraws a second are enough */
    p->last_tick_us = now;
    if (in_cell > p->cell_est_s)
        in_cell = p->cell_est_s;
    ab_fmt(label, sizeof label, "cell %zu/%zu %s", p->cell_index + 1, p->ncells, p->cell_id ? p->cell_id : "");
    ab_progress_update(&p->bar, label, p->done_s + in_cell, p->total_s, "");
}

void ab_run_progress_cell_done(ab_run_progress *p, const cJSON *cell)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(cell, "error");
    p->done_s += p->cell_est_s;
    if (!p->enabled || cell == NULL)
        return;
    ab_progress_done(&p->bar);
    if (cJSON_IsString(err))
        fprintf(stderr, "authbench run: [%zu/%zu] %s: FAILED: %s\n", p->cell_index + 1, p->ncells, p->cell_id,
                err->valuestring);
    else
        fprintf(stderr, "authbench run: [%zu/%zu] %s: %.0f req/s, p99 %.0f us, %.0f auth failures\n",
                p->cell_index + 1, p->ncells, p->cell_id, ab_json_num_or(cell, "requests_per_sec", NAN),
                ab_json_num_or(cell, "latency_us.p99", NAN), ab_json_num_or(cell, "auth_failures", NAN));
}

void ab_run_progress_end(ab_run_progress *p)
{
    ab_progress_done(&p->bar);
}

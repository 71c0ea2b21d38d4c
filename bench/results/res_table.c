/* res_table.c — the two tables of the results model: the per-request figures (from AB_RES_FIGURES)
 * and the faults a cell can inject. */
#include "res_int.h"

#include <string.h>

#define AB_RES_FIGURE_ROW(name, unit, source, source2, scale) {#name, unit, source, source2, scale},
static const ab_res_figure figures[] = {AB_RES_FIGURES(AB_RES_FIGURE_ROW)};
#undef AB_RES_FIGURE_ROW

static const ab_res_fault faults[] = {
    {"store-outage", "outage", "store outage", "the cell's Redis killed (SIGKILL), never restarted",
     AB_RES_FAULT_OWN_REDIS, AB_RES_FAULT_LASTING},
    {"redis-restart", "restart", "Redis restart",
     "the cell's Redis killed (SIGKILL), then started again on its port, empty (no persistence)",
     AB_RES_FAULT_OWN_REDIS, AB_RES_FAULT_FOR},
    {"redis-pause", "pause", "Redis paused", "CLIENT PAUSE on the cell's Redis: every command waits",
     AB_RES_FAULT_OWN_REDIS, AB_RES_FAULT_FOR},
    {"proxy-drop", "drop", "store connections reset",
     "the latency proxy in front of Redis resets every store connection at once (SIGUSR1)", AB_RES_FAULT_PROXY,
     AB_RES_FAULT_INSTANT},
    {"disk-full", "diskfull", "disk full",
     "every server's file size limit (RLIMIT_FSIZE) at 0: each write of a session file fails",
     0, AB_RES_FAULT_FOR},
    {"server-kill", "kill", "server killed", "the last app server killed (SIGKILL), never restarted", 0,
     AB_RES_FAULT_LASTING},
};

const ab_res_figure *ab_res_figures(size_t *n)
{
    *n = sizeof figures / sizeof figures[0];
    return figures;
}

const ab_res_fault *ab_res_fault_find(const char *name)
{
    size_t i;
    for (i = 0; name != NULL && i < sizeof faults / sizeof faults[0]; i++)
        if (strcmp(name, faults[i].name) == 0)
            return &faults[i];
    return NULL;
}

void ab_res_add_num_or_null(cJSON *o, const char *key, int has, double v)
{
    if (has)
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

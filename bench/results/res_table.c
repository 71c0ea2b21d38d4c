/* res_table.c — the two tables of the results model (the per-request figures from AB_RES_FIGURES,
 * the faults a cell can inject) and the leaf helper every other file of bench/results uses. */
#include "res_int.h"

#include <string.h>

#include "ab_mech.h"
#include "sstore.h"

#define AB_RES_FIGURE_ROW(name, unit, source, source2, scale, what) {#name, unit, source, source2, scale, what},
#define AB_RES_STORE_ROW(name, figure, what) {#figure "_per_req", NULL, #figure "_per_req", NULL, 1, what},
#define AB_RES_MECH_ROW(name, what) {#name "_per_req", NULL, #name "_per_req", NULL, 1, what},
static const ab_res_figure figures[] = {AB_RES_FIGURES(AB_RES_FIGURE_ROW) SSTORE_COUNTERS(AB_RES_STORE_ROW)
                                            AB_MECH_COUNTERS(AB_RES_MECH_ROW)};
#undef AB_RES_FIGURE_ROW
#undef AB_RES_STORE_ROW
#undef AB_RES_MECH_ROW

static const ab_res_fault faults[] = {
    {"store-outage", "outage", "store outage",
     "the cell's store (its own Redis, PostgreSQL or memcached) killed (SIGKILL), never restarted",
     AB_RES_FAULT_OWN_REDIS, AB_RES_FAULT_LASTING, 0},
    {"redis-restart", "restart", "Redis restart",
     "the cell's Redis killed (SIGKILL), then started again on its port, empty (no persistence)",
     AB_RES_FAULT_OWN_REDIS, AB_RES_FAULT_FOR, 0},
    {"redis-pause", "pause", "Redis paused", "CLIENT PAUSE on the cell's Redis: every command waits",
     AB_RES_FAULT_OWN_REDIS, AB_RES_FAULT_FOR, 1},
    {"proxy-drop", "drop", "store connections reset",
     "the latency proxy in front of Redis resets every store connection at once (SIGUSR1)", AB_RES_FAULT_PROXY,
     AB_RES_FAULT_INSTANT, 0},
    {"disk-full", "diskfull", "disk full",
     "every server's file size limit (RLIMIT_FSIZE) at 0: each write of a session file fails",
     0, AB_RES_FAULT_FOR, 0},
    {"server-kill", "kill", "server killed", "the last app server killed (SIGKILL), never restarted", 0,
     AB_RES_FAULT_LASTING, 0},
};

const ab_res_figure *ab_res_figures(size_t *n)
{
    *n = sizeof figures / sizeof figures[0];
    return figures;
}

const char *ab_res_figure_unit(const ab_res_figure *f)
{
    size_t len = strlen(f->name);
    if (f->unit != NULL)
        return f->unit;
    if (strstr(f->name, "bytes") != NULL)
        return "bytes";
    return len > 11 && strcmp(f->name + len - 11, "_ns_per_req") == 0 ? "ns" : "count";
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

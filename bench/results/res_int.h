/* res_int.h — internals shared by the files of bench/results/ (not a public API). */
#ifndef AB_RES_INT_H
#define AB_RES_INT_H

#include "ab_results.h"

/* Adds key: number, or null when the figure was not measured (has == 0). */
void ab_res_add_num_or_null(cJSON *o, const char *key, int has, double v);

/* The parameters of a cell as its results.json object starts (the same for a finished and a failed
 * cell). The caller owns it. */
cJSON *ab_res_cell_params(const ab_res_cell *c);

/* The cell fields of what it was measured under (res_rate.c): target_rate_per_sec,
 * achieved_rate_per_sec, rate_reached, loadgen_cpu_util, loadgen_bottleneck (add_rate); load_avg_1m,
 * steal_frac, busy_machine, placement, proxy_delay_achieved_us (add_noise); revocation_latency_us
 * and whatever else the repetitions' extra objects carry (add_extra, which replaces fields). */
void ab_res_add_rate(cJSON *o, const ab_res_cell *c, const ab_res_rep *reps, size_t n);
void ab_res_add_noise(cJSON *o, const ab_res_rep *reps, size_t n);
void ab_res_add_extra(cJSON *o, const ab_res_rep *reps, size_t n);

#endif /* AB_RES_INT_H */

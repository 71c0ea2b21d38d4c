/* res_int.h — internals shared by the files of bench/results/ (not a public API). */
#ifndef AB_RES_INT_H
#define AB_RES_INT_H

#include "ab_results.h"

/* Adds key: number, or null when the figure was not measured (has == 0). */
void ab_res_add_num_or_null(cJSON *o, const char *key, int has, double v);

/* The parameters of a cell as its results.json object starts (the same for a finished and a failed
 * cell). The caller owns it. */
cJSON *ab_res_cell_params(const ab_res_cell *c);

#endif /* AB_RES_INT_H */

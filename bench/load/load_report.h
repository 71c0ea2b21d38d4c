/* load_report.h — figures derived from a result, shared by the JSON writer and the summary. */
#ifndef ABL_REPORT_H
#define ABL_REPORT_H

#include "load_int.h"

#define ABL_NPCT 5
extern const double abl_pcts[ABL_NPCT];           /* 50, 90, 99, 99.9, 99.99 */
extern const char *const abl_pct_names[ABL_NPCT]; /* "p50", …, "p9999" */

/* Client-side bytes per answered-or-failed request, all operations together. */
typedef struct abl_io {
    double out_per_req;
    double in_per_req;
} abl_io;
void abl_client_io(const abl_stats *s, abl_io *io);

/* Per-request server figures from the /stats deltas, divided by the requests the servers counted. */
#define ABL_NSERVER_FIG 14
extern const char *const abl_server_fig_names[ABL_NSERVER_FIG];
typedef struct abl_server_fig {
    double v[ABL_NSERVER_FIG];
    double requests; /* requests the servers counted in the window */
} abl_server_fig;
/* 1 when at least one target's delta is available (figures filled), else 0. */
int abl_server_figures(const ab_load_result *r, abl_server_fig *f);

/* "uniform" or "zipf:<theta>". */
void abl_key_dist_name(const ab_load_config *cfg, char *buf, size_t len);

#endif /* ABL_REPORT_H */

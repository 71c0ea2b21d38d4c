/* load_report.h — figures derived from a result, shared by the JSON writer and the summary. */
#ifndef ABL_REPORT_H
#define ABL_REPORT_H

#include "ab_mech.h"
#include "load_int.h"
#include "sstore.h"

/* Client-side bytes per answered-or-failed request, all operations together. */
typedef struct abl_io {
    double out_per_req;
    double in_per_req;
} abl_io;
void abl_client_io(const abl_stats *s, abl_io *io);

/* Per-request server figures from the /stats deltas, divided by the requests the servers counted:
 * the server's own, X(id, name, /stats path, second path summed or NULL), then one per store counter
 * of SSTORE_COUNTERS ("<figure>_per_req" from "store.<name>"), then one per mechanism counter of
 * AB_MECH_COUNTERS ("<name>_per_req" from "<name>": l1_hits_per_req, touches_per_req, …). */
#define ABL_SERVER_FIGS(X) \
    X(CPU, "server_cpu_us_per_req", "cpu_user_us", "cpu_sys_us") \
    X(AUTH_CPU, "auth_cpu_ns_per_req", "auth_cpu_ns", NULL) \
    X(BYTES_IN, "server_bytes_in_per_req", "bytes_in", NULL) \
    X(BYTES_OUT, "server_bytes_out_per_req", "bytes_out", NULL) \
    X(PROC_READ, "proc_read_bytes_per_req", "proc_io.read_bytes", NULL) \
    X(PROC_WRITE, "proc_write_bytes_per_req", "proc_io.write_bytes", NULL)

#define ABL_FIG_ID_(id, name, path, path2) ABL_FIG_##id,
#define ABL_FIG_STORE_ID_(name, figure, desc) ABL_FIG_STORE_##name,
#define ABL_FIG_MECH_ID_(name, desc) ABL_FIG_MECH_##name,
typedef enum abl_server_fig_id {
    ABL_SERVER_FIGS(ABL_FIG_ID_)
    SSTORE_COUNTERS(ABL_FIG_STORE_ID_)
    AB_MECH_COUNTERS(ABL_FIG_MECH_ID_)
    ABL_NSERVER_FIG
} abl_server_fig_id;
#undef ABL_FIG_ID_
#undef ABL_FIG_STORE_ID_
#undef ABL_FIG_MECH_ID_

extern const char *const abl_server_fig_names[ABL_NSERVER_FIG];
typedef struct abl_server_fig {
    double v[ABL_NSERVER_FIG];
    double requests; /* requests the servers counted in the window */
} abl_server_fig;
/* 1 when at least one target's delta is available (figures filled), else 0. */
int abl_server_figures(const ab_load_result *r, abl_server_fig *f);

/* The rates of a result and what they say (ab_load.h defines rate_reached), per second of the
 * measured window; the load generator's own CPU. */
typedef struct abl_rates {
    double target;      /* requests/s asked of this generator (merged: summed); 0 closed loop */
    double achieved;    /* answers and timeouts completed */
    double sent;        /* requests sent */
    double goodput;     /* 2xx answers */
    double lag_p50_us, lag_late_us, lag_p99_us, lag_max_us; /* open loop: the schedule lag; late: at
                                                                the 1 - AB_LOAD_LATE_SHARE percentile */
    double backlog_us;  /* open loop: how far behind the most behind client was at the end */
    int behind;         /* open loop: the sender fell behind its schedule (ab_load.h) */
    int reached;        /* 1, 0, or -1 closed loop */
    double cpu_s;       /* the load threads' CPU over the window */
    double cpu_util;    /* cpu_s / (window s x threads), 0..1 */
    double cpu_us_per_req; /* -1 when nothing completed */
} abl_rates;
void abl_rates_of(const ab_load_result *r, abl_rates *x);

/* "uniform" or "zipf:<theta>". */
void abl_key_dist_name(const ab_load_config *cfg, char *buf, size_t len);

#endif /* ABL_REPORT_H */

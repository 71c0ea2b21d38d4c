/* rp_int.h — internals of `authbench report`: the loaded run, requirements, capacity model, decision
 * rule, figure registry, the document model and the chart makers. Not a public interface. */
#ifndef RP_INT_H
#define RP_INT_H

#include <stdarg.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "ab_json.h"
#include "ab_report.h"
#include "ab_results.h"

/* ---- growable text buffer (rp_text.c) ---- */
typedef struct rp_buf {
    char *p;      /* NUL-terminated while oom == 0 */
    size_t len, cap;
    int oom;      /* set once an append failed; later appends are ignored */
} rp_buf;
void rp_buf_put(rp_buf *b, const char *s, size_t n);
void rp_buf_puts(rp_buf *b, const char *s);
void rp_buf_printf(rp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_buf_vprintf(rp_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void rp_buf_free(rp_buf *b);

/* Units a figure is shown in; rp_fmt_value picks µs or ms, etc. */
enum { RP_U_US, RP_U_RPS, RP_U_BYTES, RP_U_PLAIN, RP_U_PCT };
/* Formats v in unit ("2.10 ms", "41235 req/s", "412 B", "0.90", "12.5%"); "not measured" for NaN. */
char *rp_fmt_value(double v, int unit, char *buf, size_t len);
/* A bare number with the same rounding as rp_fmt_value's RP_U_PLAIN; "—" for NaN. */
char *rp_fmt_num(double v, char *buf, size_t len);
/* 1 when v was measured (not NaN). */
int rp_has(double v);

/* ---- the run (rp_load.c) ---- */
enum { RP_KIND_STATELESS, RP_KIND_LOCAL, RP_KIND_SHARED };

typedef struct rp_cell {
    const cJSON *json;   /* the cell's object inside rp_run.root */
    ab_res_cell params;  /* its parameters as bench/results reads them; the strings below point here */
    const char *id, *label, *mechanism, *family, *store, *alg, *lb, *mix, *fault; /* NULL for "" */
    const char *status, *error; /* from json */
    double delay_us, servers, rate, fault_at_s;
    const char *kind;    /* schema 3: capacity | deployment | sweep | control | fault | store-sweep; NULL before */
    int via_proxy;       /* schema 3: reached its store through the latency proxy */
    double claims_bytes; /* extra claims in the credential (0 = the default) */
    int ok;              /* status == "ok" */
    int series;          /* index into rp_run.series, -1 when not part of the main comparison */
    int style;           /* colour/point style, shared by every chart */
} rp_cell;

typedef struct rp_series {
    const char *label, *mechanism, *family, *store, *lb;
    double delay_us;
    int kind;            /* RP_KIND_* */
    int style;
    const rp_cell *base; /* the ok cell with the fewest servers: the model's calibration */
    int projectable;     /* 0 for per-server stores behind a non-sticky LB (they fail, see the cells) */
} rp_series;

typedef struct rp_run {
    char *dir;
    cJSON *root;
    rp_cell *cells;
    size_t ncells;
    rp_series *series;
    size_t nseries;
    const char *main_mix;   /* mix of the main comparison cells */
    cJSON *micro;           /* micro.json, NULL when absent or unreadable */
    char micro_note[320];   /* why micro is NULL */
} rp_run;

/* Loads <dir>/results.json and <dir>/micro.json. 0, or -1 with a one-line message. */
int rp_run_load(rp_run *run, const char *dir, char *err, size_t errlen);
void rp_run_free(rp_run *run);
/* A number at a dotted path ("latency_us.p99") of the cell; NaN when absent, null or not a number
 * (ab_json_num_or with NaN: the report's "not measured"). */
double rp_cell_num(const rp_cell *c, const char *path);
/* jwt+pushed-denylist: the period of its poll in ms (pushed_denylist.sync_ms, else the spec's
 * sync_ms=), NaN when it does not poll or the run did not say. */
double rp_cell_sync_ms(const rp_cell *c);
/* jwt+pushed-denylist: how revocations reach the servers (pushed_denylist.channel: "pubsub", "notify",
 * "poll"), else NULL; *recorded is 0 when it is inferred from the store (a run before the field). */
const char *rp_cell_channel(const rp_cell *c, int *recorded);
/* The ok cell of series s at the given server count, or NULL. */
const rp_cell *rp_series_cell(const rp_run *run, int s, double servers);
/* Mechanism kind from family/store: stateless, per-server-local or shared store. */
int rp_kind_of(const char *family, const char *store);
/* Number of colour styles before they repeat with another point type. */
#define RP_NCOLOURS 8
const char *rp_colour(int style);

/* ---- requirements (rp_req.c) ---- */
enum { RP_ALG_ASYMMETRIC, RP_ALG_HMAC };
typedef struct rp_req {
    double peak_rps;
    double servers;
    double cores_per_server;        /* NaN = the run's cores */
    double store_distance_us;       /* one-way, app server to the shared store in its region */
    int instant_revocation;
    double revocation_delay_s;      /* tolerated delay between logout/ban and rejection */
    double access_token_lifetime_s; /* how long a stateless JWT stays valid */
    double token_budget_bytes;
    int multi_region;
    double region_distance_us;      /* one-way, between regions (used when multi_region) */
    double slo_p99_ms;              /* the latency objective: p99 at the deployment load */
    double min_difference_us;       /* the smallest p99 difference that matters: the gate's margin */
    int jwt_alg_class;              /* RP_ALG_*: the class that stands for every JWT option */
    char source[512];               /* "built-in defaults" or the file's path */
    unsigned given;                 /* RP_REQ_* bits of the fields the file set */
    unsigned from_run;              /* RP_REQ_* bits taken from the run (its deployment, its SLO) */
} rp_req;
enum { RP_REQ_PEAK = 1u << 0, RP_REQ_SERVERS = 1u << 1, RP_REQ_CORES = 1u << 2, RP_REQ_DISTANCE = 1u << 3,
       RP_REQ_REVOKE_DELAY = 1u << 4, RP_REQ_LIFETIME = 1u << 5, RP_REQ_BUDGET = 1u << 6, RP_REQ_REGION_DIST = 1u << 7,
       RP_REQ_SLO = 1u << 8, RP_REQ_INSTANT = 1u << 9, RP_REQ_MULTI = 1u << 10, RP_REQ_ALG_CLASS = 1u << 11 };
void rp_req_defaults(rp_req *r);
/* Reads requirements JSON text[0..len) over r (origin names it in messages and in r->source). 0, or
 * -1 with a one-line message. */
int rp_req_parse(rp_req *r, const char *text, size_t len, const char *origin, char *err, size_t errlen);
/* Fields the file did not set take the run's own when it recorded them: deployment.peak_rate_per_sec,
 * deployment.servers, slo_p99_ms (the load its deployment cells ran at, the SLO its sweeps were read
 * against). */
void rp_req_from_run(rp_req *r, const cJSON *results);
/* Reads a requirements file over the defaults. 0, or -1 with a one-line message. */
int rp_req_load(rp_req *r, const char *path, char *err, size_t errlen);

/* ---- capacity model (rp_model.c) ---- */
/* The stores the model knows a capacity for, each its own (the cluster's measured capacity, not
 * the single Redis's). */
enum { RP_ST_REDIS, RP_ST_CLUSTER, RP_ST_POSTGRES, RP_ST_MEMCACHED, RP_NSTORES };
typedef struct rp_store_cap {
    double ops;               /* ops/s at saturation; NaN when unknown */
    char expr[200];           /* a source expression (see rp_fig) */
    char src[240];            /* in words: measured, a projection over masters, a lower bound */
} rp_store_cap;
typedef struct rp_params {
    double cores;
    char cores_src[96];
    double store_cap;         /* Redis ops/s (= stores[RP_ST_REDIS]); NaN when unknown */
    char store_cap_expr[200];
    char store_cap_src[240];
    rp_store_cap stores[RP_NSTORES];
    double lb_cap;            /* requests/s, NaN = no ceiling */
    int max_servers;
} rp_params;
/* Fills params from options, requirements and the run. */
void rp_params_init(rp_params *p, const rp_run *run, const ab_report_opts *o, const rp_req *r);
/* The store of a cell in the model (RP_ST_*), or -1 when it has none the model caps. */
int rp_model_store(const rp_cell *c);
/* Projected requests/s of n servers calibrated on cell c (its CPU per request, its store's
 * capacity over its store ops per request); NaN when it cannot be projected. */
double rp_model_cell_rps(const rp_params *p, const rp_cell *c, double n);
/* The same projection as a source expression over results.json ("min(2 * 4 * 1e6 / cells[…]…)"). */
void rp_model_cell_expr(const rp_params *p, const rp_cell *c, double n, char *buf, size_t len);
/* Projected requests/s of series s at n servers (its calibration cell); NaN when it cannot be projected. */
double rp_model_rps(const rp_params *p, const rp_series *s, double n);
void rp_model_expr(const rp_params *p, const rp_series *s, double n, char *buf, size_t len);
/* Fewest servers (≤ max_servers) for which the projection reaches rps; 0 if none. */
int rp_model_servers_for(const rp_params *p, const rp_series *s, double rps);

/* ---- figure registry: every measured number quoted in prose (rp_text.c) ---- */
typedef struct rp_fig {
    char label[160];
    char shown[48];   /* as printed in the text, e.g. "2.10 ms" */
    char bold[56];    /* "**2.10 ms**" */
    double value;     /* exact, in the unit's base (µs, req/s, B, plain, %) */
    char source[1024]; /* expression over results.json / micro.json / requirement values */
} rp_fig;
typedef struct rp_figs {
    rp_fig **v;       /* each figure separately allocated: returned pointers stay valid */
    size_t n, cap;
} rp_figs;
/* Registers a figure and returns its text as printed in the report ("**2.10 ms**"), valid until the
 * registry is freed (stable across later calls). A NaN value returns "not measured" and registers nothing. */
const char *rp_figure(rp_figs *f, const char *label, double value, int unit, const char *source_fmt, ...)
    __attribute__((format(printf, 5, 6)));
void rp_figs_free(rp_figs *f);

/* ---- decision (rp_est.c, rp_decide.c, rp_sens.c; bench/report/DECISION.md) ---- */
/* The options, each with a stable id in decision.json (rp_option_id). The first four are the
 * classic ones; the others exist in a run only when its cells measured them. A denylist in another
 * store than Redis is an option of its own (DECISION.md): its store sets its latency, its revocation
 * channel (notify, poll) and what fails with it, so it never stands in for the Redis one. */
enum { RP_OPT_SHARED_SESSION, RP_OPT_LOCAL_SESSION, RP_OPT_JWT, RP_OPT_HYBRID, RP_OPT_PUSHED_DENYLIST,
       RP_OPT_L1_CACHE, RP_OPT_JWT_CACHE, RP_OPT_JWT_REFRESH, RP_OPT_POSTGRES, RP_OPT_MEMCACHED,
       RP_OPT_HYBRID_POSTGRES, RP_OPT_HYBRID_MEMCACHED, RP_OPT_PUSHED_POSTGRES, RP_OPT_PUSHED_MEMCACHED, RP_NOPT };
/* The estimation method of a run: one for every option (DECISION.md, "One estimation rule"). */
enum { RP_M_MEASURED, RP_M_EXTRAPOLATED, RP_M_CLOSED_LOOP };
/* The verdict when no single option wins. */
enum { RP_V_NONE = -1, RP_V_NO_DIFFERENCE = -2 };
#define RP_MAX_WHY 6

/* The measured inputs of one option's estimate: the cell it starts from and what the rule adds. */
typedef struct rp_est {
    const rp_cell *cell;       /* the cell the estimate starts from; NULL when the option was not measured */
    const rp_cell *at_d;       /* the deployment cell at the target distance, when one was measured */
    const rp_cell *direct;     /* the direct (not proxied) 0-delay deployment twin of a control, or NULL */
    const char *alg;           /* the JWT algorithm it stands for, or NULL */
    double target_us;          /* the one-way store distance the estimate is for */
    double add_us;             /* 2 · (target − the cell's delay) · round trips: 0 when measured there */
    double p99, lo, hi;        /* estimate and its 95 % interval (µs); lo/hi NaN when not measured */
    double cpu, cpu_lo, cpu_hi; /* server CPU µs per request at the cell, with its interval */
    double store_cpu;          /* store CPU µs per request (Redis INFO, redis_cpu_us_per_req), NaN = not measured */
    char expr[400], lo_expr[400], hi_expr[400]; /* sources of p99, lo, hi */
    char cpu_expr[3][200];     /* sources of cpu, cpu_lo, cpu_hi */
} rp_est;

typedef struct rp_option {
    const char *id;            /* stable, decision.json */
    const char *name;          /* in words */
    const rp_series *series;   /* the closed-loop series of the same mechanism (capacity, pros/cons), or NULL */
    rp_est est;                /* the estimate by the run's method */
    rp_est hmac;               /* the HMAC variant shown beside a JWT option (est.cell NULL when none) */
    double capacity_rps;       /* capacity model at the requirements' servers × cores; NaN = not projected */
    char capacity_expr[400];
    double slo_capacity_rps;   /* highest swept rate meeting the SLO (sweeps[].capacity_at_slo_per_sec), NaN */
    int slo_sweep;             /* index into the run's sweeps of that figure, -1 */
    const rp_cell *slo_cell;   /* without a sweep: the open-loop cell of the highest rate meeting the SLO */
    double revocation_s;       /* how long a revoked credential keeps working (NaN: until expiry): the larger of
                                  its bound by construction and the run's measurement (revocation_latency_us) */
    const char *revocation_from; /* "measured" (the cell's probed max is the figure), "by construction", or
                                  "token lifetime" */
    int out;                   /* ruled out by a hard requirement */
    char why[RP_MAX_WHY][300]; /* the reasons, in words */
    int nwhy;
} rp_option;

typedef struct rp_decision {
    rp_option opt[RP_NOPT];
    int method;                /* RP_M_* for every option */
    int verdict;               /* RP_OPT_*, RP_V_NO_DIFFERENCE or RP_V_NONE */
    int leader, runner_up;     /* the two lowest estimates among the options left, -1 */
    char gate[400];            /* the gate's outcome in words */
    double min_difference_us;  /* the gate's margin (rp_req.min_difference_us) */
    int chosen;                /* verdict when it is an option, else -1 (the ADR's wording) */
    const rp_series *jwt_alt;  /* the cheapest HMAC closed-loop series */
    int indicative;            /* the banner: see why_indicative */
    char why_indicative[600];
    char env_problems[400];    /* "" or the environment's problems, named */
} rp_decision;

/* 1 when a's p99 interval ends more than margin µs below b's start (the gate's test, rp_decide.c). */
int rp_gate_separated(const rp_option *a, const rp_option *b, double margin);
/* The stable id and the words of option k. */
const char *rp_option_id(int k);
const char *rp_option_name(int k);
/* The method's name in decision.json ("deployment_cell" …) and in words. */
const char *rp_method_id(int m);
const char *rp_method_words(int m);
/* The verdict's id in decision.json (an option's id, "no_measurable_difference", "none"). */
const char *rp_verdict_id(int v);

/* 1 when cell c measures option k by its mechanism (any kind, fault or not; cells with extra claims
 * stand for none). */
int rp_cell_fits(const rp_cell *c, int k);
/* 1 for the options whose credential is a JWT, and for those that push revocations to the servers. */
int rp_option_jwt(int k);
int rp_option_pushed(int k);
/* A cell of option k the estimate could start from in any algorithm class and at any distance
 * (closed: closed-loop series cells, else deployment cells), or NULL: to say why it was not used. */
const rp_cell *rp_est_any_cell(const rp_run *run, int k, int closed);
/* Fills every option's estimate for the requirements by one method (rp_est.c). Returns the method. */
int rp_estimate(rp_decision *d, const rp_run *run, const rp_req *r);
/* The whole decision: estimates, hard requirements, the significance gate, the banner. Pure: it
 * reads the run and the requirements, registers no figure, so the sensitivity re-runs it. */
void rp_decide(rp_decision *d, const rp_run *run, const rp_params *p, const rp_req *r);

/* ---- sensitivity (rp_sens.c) ---- */
enum { RP_FLIP_DISTANCE, RP_FLIP_PEAK, RP_FLIP_BUDGET, RP_FLIP_REVOCATION, RP_NFLIP };
#define RP_MAX_STEPS 8
typedef struct rp_flip {
    const char *driver;        /* the requirements field */
    const char *unit;
    int nsteps;
    double at[RP_MAX_STEPS];   /* the driver's value from which verdict[i] holds */
    int verdict[RP_MAX_STEPS]; /* the verdict from at[i] up to at[i + 1] */
} rp_flip;
#define RP_MAP_D 9
#define RP_MAP_L 8
typedef struct rp_sens {
    rp_flip flip[RP_NFLIP];
    double map_d[RP_MAP_D], map_l[RP_MAP_L]; /* one-way store distance (µs) × peak load (req/s) */
    int map[RP_MAP_D][RP_MAP_L];             /* the verdict at each point */
} rp_sens;
/* Re-runs rp_decide with one driver changed over a range, and over the distance × load grid. */
void rp_sensitivity(rp_sens *s, const rp_run *run, const rp_params *p, const rp_req *r);

/* ---- decision.json (rp_djson.c) ---- */
/* The decision as decision.json (schema authbench.decision/1, DECISION.md); the caller deletes it. */
/* The drivers the numbers cannot rank (static), and their count. */
const char *const *rp_non_numeric_drivers(size_t *n);
cJSON *rp_decision_json(const rp_run *run, const rp_params *p, const rp_req *r, const rp_decision *d, const rp_sens *s);

/* ---- document model (rp_doc.c) ---- */
enum { RP_B_H1, RP_B_H2, RP_B_H3, RP_B_P, RP_B_LI, RP_B_THEAD, RP_B_TROW, RP_B_IMG, RP_B_PRE };
typedef struct rp_block {
    int type;
    char *text;   /* inline markup: **bold**, `code`; table cells separated by '\t' */
    char *extra;  /* RP_B_IMG: the chart's base name */
} rp_block;
typedef struct rp_doc {
    rp_block *b;
    size_t n, cap;
    int oom;
} rp_doc;
void rp_doc_add(rp_doc *d, int type, const char *extra, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void rp_doc_free(rp_doc *d);
/* Renders as Markdown / as a self-contained HTML page (charts read from charts_dir). 0 or -1. */
int rp_doc_markdown(const rp_doc *d, rp_buf *out);
int rp_doc_html(const rp_doc *d, const char *charts_dir, rp_buf *out, char *err, size_t errlen);

/* ---- charts (rp_chart*.c, rp_gnuplot.c) ---- */
enum { RP_CH_THROUGHPUT, RP_CH_SPECTRUM, RP_CH_CPU, RP_CH_IO, RP_CH_MICRO, RP_CH_DISTANCE, RP_CH_AVAIL, RP_CH_SWEEP,
       RP_CH_WINNERS, RP_CH_STORESWEEP, RP_NCHARTS };
typedef struct rp_chart {
    const char *name;   /* file base name in charts/ and template name in scripts/gnuplot/ */
    char title[120];    /* short, the chart's heading */
    char subtitle[200]; /* what exactly it shows (load, servers) */
    int made;
    char note[512];     /* why it is missing */
} rp_chart;
typedef struct rp_plot {
    const char *gpdir;     /* templates */
    char *charts_dir;      /* <run>/charts */
    char *data_dir;        /* <run>/charts/data */
    char *work_dir;        /* temporary directory for gnuplot's output before the atomic rename */
} rp_plot;
/* Checks gnuplot is on PATH and makes the chart folders. 0, or -1 with a message. */
int rp_plot_init(rp_plot *pl, const char *run_dir, const char *gpdir, char *err, size_t errlen);
void rp_plot_free(rp_plot *pl);
/* Writes data file charts/data/<name>.dat atomically. 0 or -1. */
int rp_plot_data(const rp_plot *pl, const char *name, const rp_buf *data, char *err, size_t errlen);
/* Runs template <name>.gp for SVG and PNG with the extra gnuplot assignments vars ("a='x'; b=2").
 * 0, or -1 with gnuplot's first error line. */
int rp_plot_run(const rp_plot *pl, const char *name, const char *vars, char *err, size_t errlen);
/* Removes a chart left by an earlier report (its images and data) when this one has no data for it. */
void rp_plot_remove(const rp_plot *pl, const char *name);
/* The templates' folder: AUTHBENCH_GNUPLOT_DIR, else the source tree's scripts/gnuplot. */
const char *rp_gnuplot_dir(void);

/* The chart makers: fill ch (made or note) and return 0, or -1 on an I/O or gnuplot failure. */
int rp_chart_throughput(const rp_run *run, const rp_params *p, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_spectrum(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_cpu(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_io(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_micro(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_distance(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_avail(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_sweep(const rp_run *run, const rp_req *r, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_winners(const rp_sens *s, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
int rp_chart_storesweep(const rp_run *run, const rp_plot *pl, rp_chart *ch, char *err, size_t errlen);
/* The server count the per-mechanism charts (spectrum, CPU, I/O) compare at: the fewest measured. */
double rp_compare_servers(const rp_run *run);
/* Appends a gnuplot string literal (single-quoted, quotes doubled) of s. */
void rp_gp_quote(rp_buf *b, const char *s);
/* Appends a label as a double-quoted data-file field (inner double quotes become single). */
void rp_dat_label(rp_buf *b, const char *label);
/* Appends the header row of a per-second block: "second \"label\"\n" (charts 7 and 10). */
void rp_dat_second_head(rp_buf *b, const char *label);
/* Appends "n=K; colors='#.. #..'; points='7 5 ..'; " for a list of styles. */
void rp_style_vars(rp_buf *vars, const int *styles, size_t n);
/* gnuplot dash type of a style (solid for the first use of each colour). */
int rp_style_dash(int style);
/* Appends v, or NaN when not measured. */
void rp_dat_num(rp_buf *b, double v);
/* Runs the chart's template over its data; marks ch made. 0 or -1. */
int rp_chart_emit(const rp_plot *pl, rp_chart *ch, const rp_buf *data, const rp_buf *vars, char *err, size_t errlen);

/* ---- micro.json (rp_micro.c) ---- */
/* The time per operation in µs of benchmark name (median aggregate, else mean, else the plain
 * row); NaN when absent. key receives the row name used ("BM_x_median"), factor the µs per unit
 * of its real_time. */
double rp_micro_us(const cJSON *micro, const char *name, char *key, size_t keylen, double *factor);
/* The bootstrap 95 % interval (bench/results) of the median of a benchmark's repetitions (its run_type
 * "iteration" rows of run_name name) in µs; NaN when it ran fewer than twice. */
void rp_micro_ci(const cJSON *micro, const char *name, double *lo, double *hi);
/* Algorithms present in micro.json's BM_jwt_verify/<ALG>/typical rows, in order; returns count. */
size_t rp_micro_algs(const cJSON *micro, char algs[][16], size_t max);

/* ---- the ADR (rp_adr*.c) ---- */
typedef struct rp_ctx {
    const rp_run *run;
    const rp_params *params;
    const rp_req *req;
    const rp_decision *dec;
    const rp_sens *sens;
    const rp_chart *charts;   /* RP_NCHARTS */
    rp_figs *figs;
    rp_doc *doc;
} rp_ctx;
void rp_adr_head(rp_ctx *c);        /* title, status, context, drivers, options */
void rp_adr_outcome(rp_ctx *c);     /* decision outcome, consequences, the rule */
void rp_adr_decision(rp_ctx *c);    /* banner, verdict and gate, the options table (rp_adr_dec.c) */
void rp_adr_rule(rp_ctx *c);        /* the rule in words */
void rp_adr_sensitivity(rp_ctx *c); /* the flip points */
void rp_adr_proscons(rp_ctx *c);    /* pros and cons of the options, what the numbers cannot say */
void rp_adr_charts(rp_ctx *c);      /* the charts with their captions */
void rp_adr_more(rp_ctx *c);        /* model, key figures per cell, environment, figure sources */
/* A figure of cell (field at a dotted path) registered with cells[ID].field as its source, labelled
 * "what, the cell's label"; "not measured" when cell is NULL or the field absent. */
const char *rp_cell_fig(rp_ctx *c, const rp_cell *cell, const char *field, int unit, const char *what);
void rp_adr_outage(rp_ctx *c);      /* per mechanism through a store outage: goodput, revocations missed (rp_adr_fault.c) */
void rp_adr_stores(rp_ctx *c);      /* store sweeps and sessions at scale (rp_adr_fault.c) */
/* The next store-outage cell of option k after `after` (NULL: the first) in algorithm alg — any
 * algorithm when the run has none in alg, or alg is NULL — or NULL when there is no more. */
const rp_cell *rp_outage_cell(const rp_run *run, int k, const char *alg, const rp_cell *after);
/* What becomes of the revocations made during outage cell c: "none_missed" (refused: sessions, a
 * denylist failing closed), "all_missed" (a denylist failing open), "measured" (a pushed denylist:
 * pushed_denylist.missed), "never_checked" (a stateless JWT, a verified-token cache),
 * "until_access_ttl" (a refresh flow), "no_credential" (none). */
const char *rp_outage_kind(const rp_cell *c);
/* The outage's length in the window (s): fault_for_s when it ended (*ended 1), else to the window's end. */
double rp_outage_seconds(const rp_cell *c, int *ended);
/* What a revocation made during the outage of cell c becomes, in words with registered figures. */
void rp_outage_revocations(rp_ctx *c, const rp_cell *cell, char *buf, size_t len);

#endif /* RP_INT_H */

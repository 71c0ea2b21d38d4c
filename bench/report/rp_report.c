/* rp_report.c — ab_report_write: load the run, decide, draw the charts, write report.md and report.html. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ab_cli.h"
#include "rp_int.h"

/* Everything one report needs, freed in one place. */
typedef struct rp_job {
    rp_run run;
    rp_req req;
    rp_params params;
    rp_decision dec;
    rp_sens sens;
    rp_chart charts[RP_NCHARTS];
    rp_plot plot;
    rp_figs figs;
    rp_doc doc;
    ab_progress progress;
} rp_job;

/* Draws every chart; a chart without data gets its note, a gnuplot failure is an error. */
static int draw_charts(rp_job *j, char *err, size_t errlen)
{
    static const char *const names[RP_NCHARTS] = {"throughput", "spectrum", "cpu", "io", "micro", "distance", "avail",
                                                         "sweep", "winners", "storesweep"};
    int k, rc = 0;
    for (k = 0; k < RP_NCHARTS; k++)
        j->charts[k].name = names[k];
    for (k = 0; k < RP_NCHARTS && rc == 0; k++) {
        if (ab_now_us() - j->progress.start_us > 2000000) /* quiet unless it takes a while */
            ab_progress_update(&j->progress, "authbench: report: charts", k, RP_NCHARTS, names[k]);
        switch (k) {
        case RP_CH_THROUGHPUT: rc = rp_chart_throughput(&j->run, &j->params, &j->plot, &j->charts[k], err, errlen); break;
        case RP_CH_SPECTRUM: rc = rp_chart_spectrum(&j->run, &j->plot, &j->charts[k], err, errlen); break;
        case RP_CH_CPU: rc = rp_chart_cpu(&j->run, &j->plot, &j->charts[k], err, errlen); break;
        case RP_CH_IO: rc = rp_chart_io(&j->run, &j->plot, &j->charts[k], err, errlen); break;
        case RP_CH_MICRO: rc = rp_chart_micro(&j->run, &j->plot, &j->charts[k], err, errlen); break;
        case RP_CH_DISTANCE: rc = rp_chart_distance(&j->run, &j->plot, &j->charts[k], err, errlen); break;
        case RP_CH_AVAIL: rc = rp_chart_avail(&j->run, &j->plot, &j->charts[k], err, errlen); break;
        case RP_CH_SWEEP: rc = rp_chart_sweep(&j->run, &j->req, &j->plot, &j->charts[k], err, errlen); break;
        case RP_CH_WINNERS: rc = rp_chart_winners(&j->sens, &j->plot, &j->charts[k], err, errlen); break;
        default: rc = rp_chart_storesweep(&j->run, &j->plot, &j->charts[k], err, errlen); break;
        }
        if (rc == 0 && !j->charts[k].made)
            rp_plot_remove(&j->plot, names[k]);
    }
    ab_progress_done(&j->progress);
    return rc;
}

/* Builds the ADR's blocks in MADR order. */
static void build_doc(rp_job *j)
{
    rp_ctx c = {&j->run, &j->params, &j->req, &j->dec, &j->sens, j->charts, &j->figs, &j->doc};
    rp_adr_head(&c);
    rp_adr_outcome(&c);
    rp_adr_proscons(&c);
    rp_adr_more(&c);
}

/* Writes decision.json atomically. */
static int write_decision(rp_job *j, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    cJSON *doc = rp_decision_json(&j->run, &j->params, &j->req, &j->dec, &j->sens);
    int rc;
    snprintf(path, sizeof path, "%s/decision.json", dir);
    rc = doc != NULL ? ab_res_write_json(path, doc) : -1;
    if (rc != 0)
        snprintf(err, errlen, "cannot write %s: %s", path, doc ? strerror(errno) : "out of memory");
    cJSON_Delete(doc);
    return rc;
}

/* Renders and writes report.md and report.html atomically. */
static int write_docs(rp_job *j, const char *dir, char *err, size_t errlen)
{
    rp_buf md = {0}, html = {0};
    char path[4096];
    int rc = -1;
    if (rp_doc_markdown(&j->doc, &md) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (rp_doc_html(&j->doc, j->plot.charts_dir, &html, err, errlen) != 0)
        goto done;
    snprintf(path, sizeof path, "%s/report.md", dir);
    if (ab_write_file_atomic(path, md.p, md.len) != 0)
        goto io;
    snprintf(path, sizeof path, "%s/report.html", dir);
    if (ab_write_file_atomic(path, html.p, html.len) != 0)
        goto io;
    rc = 0;
    goto done;
io:
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
done:
    rp_buf_free(&md);
    rp_buf_free(&html);
    return rc;
}

/* Frees what the job holds. */
static void job_free(rp_job *j)
{
    rp_doc_free(&j->doc);
    rp_figs_free(&j->figs);
    rp_plot_free(&j->plot);
    rp_run_free(&j->run);
}

int ab_report_write_opts(const char *run_dir, const ab_report_opts *opts, char *err, size_t errlen)
{
    static rp_job zero;
    rp_job j = zero;
    int rc = -1;
    ab_progress_init(&j.progress, opts != NULL && opts->progress);
    rp_req_defaults(&j.req);
    if (opts != NULL && opts->requirements_path != NULL && rp_req_load(&j.req, opts->requirements_path, err, errlen) != 0)
        goto done;
    if (rp_run_load(&j.run, run_dir, err, errlen) != 0)
        goto done;
    rp_req_from_run(&j.req, j.run.root);
    if (rp_plot_init(&j.plot, run_dir, rp_gnuplot_dir(), err, errlen) != 0)
        goto done;
    rp_params_init(&j.params, &j.run, opts, &j.req);
    rp_decide(&j.dec, &j.run, &j.params, &j.req);
    rp_sensitivity(&j.sens, &j.run, &j.params, &j.req);
    if (draw_charts(&j, err, errlen) != 0)
        goto done;
    build_doc(&j);
    if (write_decision(&j, run_dir, err, errlen) != 0)
        goto done;
    rc = write_docs(&j, run_dir, err, errlen);
done:
    job_free(&j);
    return rc;
}

int ab_report_write(const char *run_dir, const char *requirements_path, char *err, size_t errlen)
{
    ab_report_opts o;
    memset(&o, 0, sizeof o);
    o.requirements_path = requirements_path;
    return ab_report_write_opts(run_dir, &o, err, errlen);
}

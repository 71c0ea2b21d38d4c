/* runner.c — the run itself: run directory, private temp dir, Redis, environment, store capacity,
 * the cells one by one (results rewritten after each), micro-benchmarks, the report, cleanup. */
#include "run_exec.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ab_report.h"

#define REPORT_ESTIMATE_S 3.0 /* 1.6 s for the quick run's report on 2 cores */

/* Removes one entry of a tree (nftw callback). */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

double ab_run_extras_estimate_s(const cJSON *sc, const ab_run_opts *o)
{
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(sc, "store_capacity");
    uint64_t us = 0;
    double s = 1.5; /* Redis start, environment, key generation */
    if (cJSON_IsObject(cap) && ab_run_json_duration_us(cJSON_GetObjectItemCaseSensitive(cap, "duration"), &us) == 0)
        s += (double)us / 1e6 + ((double)us / 2e6 > 2 ? 2 : (double)us / 2e6) + 0.3; /* + its warm-up */
    s += ab_run_micro_estimate_s(sc, o->micro);
    return s + (o->no_report ? 0 : REPORT_ESTIMATE_S);
}

/* The run directory: --out, else results/<UTC time>-<name>. Made, checked writable, and not
 * holding an earlier run. 0, or -1 with err. */
static int make_run_dir(ab_run_ctx *ctx, const ab_run_opts *o, const cJSON *sc, char *err, size_t errlen)
{
    char stamp[32], probe[AB_RUN_PATH_MAX + 16], abs[PATH_MAX];
    time_t t = time(NULL);
    struct tm tm;
    errno = 0;
    if (o->out != NULL)
        ab_fmt(ctx->dir, sizeof ctx->dir, "%s", o->out);
    else if (gmtime_r(&t, &tm) != NULL && strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) > 0)
        ab_fmt(ctx->dir, sizeof ctx->dir, "results/%s-%s", stamp, ab_run_scenario_name(sc));
    ab_fmt(probe, sizeof probe, "%s/results.json", ctx->dir);
    if (access(probe, F_OK) == 0) {
        ab_fmt(err, errlen, "%s already holds a run (results.json): choose another --out", ctx->dir);
        return -1;
    }
    if (ab_mkdirs(ctx->dir, 0755) != 0 || access(ctx->dir, W_OK) != 0 || realpath(ctx->dir, abs) == NULL ||
        strlen(abs) > AB_RUN_PATH_MAX - 200) {
        ab_fmt(err, errlen, "cannot write the run directory %s: %s", ctx->dir,
                   errno ? strerror(errno) : "path too long");
        return -1;
    }
    ab_fmt(ctx->dir, sizeof ctx->dir, "%s", abs); /* children and the results name it absolutely */
    return 0;
}

/* The private temporary directory (keys, Redis directories). 0, or -1 with err. */
static int make_tmp(ab_run_ctx *ctx, char *err, size_t errlen)
{
    const char *base = getenv("TMPDIR");
    ab_fmt(ctx->tmp, sizeof ctx->tmp, "%s/authbench-run-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(ctx->tmp) == NULL) {
        ab_fmt(err, errlen, "cannot make a temporary directory %s: %s", ctx->tmp, strerror(errno));
        ctx->tmp[0] = '\0';
        return -1;
    }
    return 0;
}

/* 1 when a cell needs the shared Redis; 2 when only the micro-benchmarks would use it. */
static int wants_redis(const cJSON *sc, const ab_res_cell *cells, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(cells[i].store, "redis") == 0)
            return 1;
    return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(sc, "micro")) ? 2 : 0;
}

/* Starts (or connects to) the shared Redis when the matrix needs it. 0, or -1 with err. */
static int setup_redis(ab_run_ctx *ctx, const cJSON *sc, const ab_res_cell *cells, size_t n,
                       char *err, size_t errlen)
{
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(sc, "redis_url");
    char log[AB_RUN_PATH_MAX + 16], prog[AB_RUN_PATH_MAX];
    int want = wants_redis(sc, cells, n);
    size_t i;
    for (i = 0; i < n; i++)
        if (cells[i].fault[0] != '\0' && !ab_run_find_program("redis-server", prog, sizeof prog)) {
            ab_fmt(err, errlen, "redis-server not found: run scripts/setup.sh (or apt-get install redis-server)");
            return -1;
        }
    if (want == 0)
        return 0;
    if (cJSON_IsString(url))
        return ab_run_redis_use(&ctx->redis, url->valuestring, err, errlen);
    if (want == 2 && !ab_run_find_program("redis-server", prog, sizeof prog))
        return 0; /* the micro-benchmarks then skip their Redis store */
    ab_fmt(log, sizeof log, "%s/redis.log", ctx->dir);
    return ab_run_redis_start(&ctx->redis, ctx->tmp, log, err, errlen);
}

/* Starts (or finds) the run's Redis Cluster when a cell keeps its sessions there. 0, or -1 with err. */
static int setup_cluster(ab_run_ctx *ctx, const cJSON *sc, const ab_res_cell *cells, size_t n, char *err,
                         size_t errlen)
{
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(sc, "redis_cluster_url");
    size_t i;
    for (i = 0; i < n && !ab_run_cell_needs_cluster(&cells[i]); i++)
        ;
    if (i == n)
        return 0;
    if (cJSON_IsString(url))
        return ab_run_cluster_use(&ctx->cluster, url->valuestring, err, errlen);
    return ab_run_cluster_start(&ctx->cluster, ctx->tmp, ctx->dir, err, errlen);
}

/* The run's notes: what a reader must know to read the figures right. */
static cJSON *run_notes(const ab_run_ctx *ctx, const ab_res_cell *cells, size_t n, const char *cap_why,
                        const cJSON *micro)
{
    cJSON *notes = cJSON_CreateArray();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char buf[512];
    size_t i;
    for (i = 0; i < n && cells[i].servers <= (unsigned)cores; i++)
        ;
    ab_fmt(buf, sizeof buf, "this machine has %ld cores and every server runs on it: throughput with more "
               "servers than cores is CPU-bound on one box and does not show scale-out%s (the report's "
               "capacity model projects it from the per-request costs)", cores,
               i < n ? ", which applies to this matrix's larger server counts" : "");
    cJSON_AddItemToArray(notes, cJSON_CreateString(buf));
    if (ctx->placement.pin && ctx->placement.isolated)
        ab_fmt(buf, sizeof buf, "the load generator, the servers and the stores + proxy ran on disjoint CPU sets "
               "(%s); absolute throughput is this machine's", ctx->placement.text);
    else
        ab_fmt(buf, sizeof buf, "all processes (load generator, servers, Redis, proxy) share this machine's cores "
               "(%s): per-request CPU figures are the comparable ones; absolute throughput is this machine's",
               ctx->placement.text);
    cJSON_AddItemToArray(notes, cJSON_CreateString(buf));
#if AB_RUN_SANITIZERS
    cJSON_AddItemToArray(notes, cJSON_CreateString("built with sanitizers: figures are not representative"));
#endif
    ab_fmt(buf, sizeof buf, "disk-store cells kept their files under %s (%s)%s", ctx->disk_dir, ctx->disk_fs,
               strcmp(ctx->disk_fs, "tmpfs") == 0 || strcmp(ctx->disk_fs, "overlay") == 0
                   ? ": a RAM or layered filesystem, so O_DIRECT and fsync there do not measure a disk" : "");
    cJSON_AddItemToArray(notes, cJSON_CreateString(buf));
    if (cap_why != NULL && *cap_why != '\0') {
        ab_fmt(buf, sizeof buf, "store capacity not measured: %s", cap_why);
        cJSON_AddItemToArray(notes, cJSON_CreateString(buf));
    }
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(micro, "ran"))) {
        ab_fmt(buf, sizeof buf, "micro-benchmarks not run: %s",
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(micro, "reason")));
        cJSON_AddItemToArray(notes, cJSON_CreateString(buf));
    }
    return notes;
}

/* Re-measuring: a repetition that ran on a busy machine (ab_res_rep_busy: other work during its
 * window or just before it, or steal) measured someone else's load as much as the cell's. After the
 * last round each such repetition is measured once more, in a round of its own, for at most the
 * scenario's "remeasure" share of the run's repetitions (default 0.1; in the matrix's order); a re-measure that ran quiet takes the
 * disturbed repetition's place, and the cell's `remeasured` record keeps what it replaced; one that
 * ran busy too changes nothing (the cell stays busy_machine). The rule looks at the machine only,
 * never at the figures, so it cannot choose a result. */
/* What the rounds know of one cell. */
typedef struct cell_state {
    ab_res_cell cell;         /* a copy: a sweep point's rate is set from its capacity cell's round 1 */
    ab_res_rep *reps;         /* 2 x cell.repetitions of them: the planned ones, then re-measures */
    unsigned *by;             /* per planned repetition: 0, or the number (1-based) of the re-measure
                                 that took its place */
    unsigned *of;             /* per re-measure m (reps[repetitions + m]): the repetition it re-measured */
    unsigned done;            /* repetitions run (the failed one and re-measures included) */
    int failed;
    char err[768];
    int added;                /* its result is in results.json */
} cell_state;

static void states_free(cell_state *st, size_t n);

/* The cells' states, each with its repetitions initialised; NULL when out of memory. */
static cell_state *states_new(const ab_res_cell *cells, size_t n)
{
    cell_state *st = calloc(n ? n : 1, sizeof *st);
    size_t i;
    unsigned k;
    for (i = 0; st != NULL && i < n; i++) {
        st[i].cell = cells[i];
        st[i].reps = calloc(2 * (size_t)cells[i].repetitions, sizeof *st[i].reps);
        st[i].by = calloc(cells[i].repetitions, sizeof *st[i].by);
        st[i].of = calloc(cells[i].repetitions, sizeof *st[i].of);
        if (st[i].reps == NULL || st[i].by == NULL || st[i].of == NULL) {
            states_free(st, i + 1);
            return NULL;
        }
        for (k = 0; k < 2 * cells[i].repetitions; k++)
            ab_res_rep_init(&st[i].reps[k]);
    }
    return st;
}

static void states_free(cell_state *st, size_t n)
{
    size_t i;
    for (i = 0; st != NULL && i < n; i++) {
        if (st[i].reps != NULL)
            ab_res_reps_free(st[i].reps, 2 * (size_t)st[i].cell.repetitions);
        free(st[i].reps);
        free(st[i].by);
        free(st[i].of);
    }
    free(st);
}

/* A sweep point's rate: its fraction of the capacity cell's requests/s in round 1 (the same rate in
 * every round, so its repetitions measure one load). 0, or -1 with the reason in st->err. */
static int resolve_rate(cell_state *st, cell_state *all, size_t n)
{
    size_t i;
    double cap;
    if (st->cell.rate_fraction <= 0 || st->cell.rate_per_sec > 0)
        return 0;
    for (i = 0; i < n && strcmp(all[i].cell.id, st->cell.sweep_of) != 0; i++)
        ;
    cap = i < n && all[i].done >= 1 ? ab_json_num_or(all[i].reps[0].load, "requests_per_sec", 0) : 0;
    if (!(cap > 0)) {
        ab_fmt(st->err, sizeof st->err, "no rate for this sweep point: its capacity cell %s has no round-1 "
               "throughput%s%s", st->cell.sweep_of, i < n && all[i].failed ? ": " : "",
               i < n && all[i].failed ? all[i].err : "");
        return -1;
    }
    st->cell.rate_per_sec = st->cell.rate_fraction * cap;
    return 0;
}

/* Adds the result of cell all[k] whose repetitions are done (or that failed, or, when interrupted,
 * ran some of them) to the results, among those already there in the order of the matrix; or
 * replaces it there, once its re-measures ran. */
static void add_result(ab_run_ctx *ctx, ab_res_doc *res, cell_state *all, size_t k)
{
    const ab_res_cell *c = &all[k].cell;
    ab_res_rep *kept = malloc(c->repetitions * sizeof *kept);
    cJSON *cell;
    size_t i;
    int pos = 0;
    for (i = 0; kept != NULL && i < c->repetitions; i++)
        kept[i] = all[k].by[i] ? all[k].reps[all[k].by[i] - 1] : all[k].reps[i];
    cell = ab_res_cell_result(c, kept != NULL ? kept : all[k].reps, c->repetitions, all[k].failed ? all[k].err : NULL);
    free(kept);
    for (i = c->repetitions; i < all[k].done; i++) { /* each re-measure, and what it was for */
        unsigned of = all[k].of[i - c->repetitions];
        ab_res_add_remeasured(cell, of, &all[k].reps[of - 1], (unsigned)i + 1, &all[k].reps[i],
                              all[k].by[of - 1] == i + 1);
    }
    if (strcmp(c->store, "file") == 0) {
        cJSON_AddStringToObject(cell, "disk_dir", ctx->disk_dir);
        cJSON_AddStringToObject(cell, "disk_fs", ctx->disk_fs);
    }
    for (i = 0; i < k; i++)
        pos += all[i].added;
    if (all[k].added) /* again, after its re-measures */
        ab_res_doc_replace_cell(res, pos, cell);
    else
        ab_res_doc_insert_cell(res, pos, cell);
    all[k].added = 1;
}

/* Runs the next repetition of one cell (round r, position i of len). */
static void run_rep(ab_run_ctx *ctx, ab_res_doc *res, cell_state *all, size_t n, cell_state *st,
                    unsigned r, size_t i, size_t len)
{
    const ab_res_cell *c = &st->cell;
    double est = ab_run_cell_estimate_s(c) / c->repetitions;
    int rc;
    ab_run_progress_rep(&ctx->progress, r, i, len, c->id, est);
    rc = st->failed || resolve_rate(st, all, n) != 0 ? -1
         : ab_run_cell_rep(ctx, c, st->done + 1, st->reps, st->err, sizeof st->err);
    if (ab_run_stop_signal != 0) {
        ab_run_progress_rep_done(&ctx->progress, NULL, NULL);
        return;
    }
    ab_run_progress_rep_done(&ctx->progress, rc == 0 ? st->reps[st->done].load : NULL,
                             rc == 0 ? NULL : st->err);
    st->done++;
    st->failed |= rc != 0;
    if (st->done == c->repetitions || st->failed)
        add_result(ctx, res, all, (size_t)(st - all));
}

/* After an interruption: the cells that ran part of their repetitions, as failed cells saying so. */
static void add_interrupted(ab_run_ctx *ctx, ab_res_doc *res, cell_state *st, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!st[i].added && st[i].done > 0) {
            st[i].failed = 1;
            ab_fmt(st[i].err, sizeof st[i].err, "interrupted after %u of %u repetitions", st[i].done,
                   st[i].cell.repetitions);
            add_result(ctx, res, st, i);
        }
}

/* The repetition_order object: the seed, the cells of each round in the order they ran. */
static cJSON *order_object(uint64_t seed, const cJSON *rounds)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seed", (double)seed);
    cJSON_AddItemToObject(o, "rounds", cJSON_Duplicate(rounds, 1));
    cJSON_AddStringToObject(o, "sweep_rate_from", "the capacity cell's round-1 requests_per_sec");
    return o;
}

/* Runs round r: every cell that has an r-th repetition once, in the seeded order. */
static void run_round(ab_run_ctx *ctx, ab_res_doc *res, cell_state *st, size_t n, const ab_res_cell *cells,
                      uint64_t seed, unsigned r, size_t *order, cJSON *rounds)
{
    size_t len = ab_run_round_order(cells, n, seed, r, order), i;
    char err[512];
    cJSON *ids = cJSON_CreateArray();
    cJSON_AddItemToArray(rounds, ids);
    for (i = 0; i < len && ab_run_stop_signal == 0; i++) {
        if (st[order[i]].added) { /* failed in an earlier round: its estimate counts as done */
            ab_run_progress_rep(&ctx->progress, r, i, len, cells[order[i]].id,
                                ab_run_cell_estimate_s(&cells[order[i]]) / cells[order[i]].repetitions);
            ab_run_progress_rep_done(&ctx->progress, NULL, NULL);
            continue;
        }
        cJSON_AddItemToArray(ids, cJSON_CreateString(cells[order[i]].id));
        run_rep(ctx, res, st, n, &st[order[i]], r, i, len);
        ab_res_doc_set(res, "repetition_order", order_object(seed, rounds));
        if (ab_res_doc_write(res, ctx->dir, 0, 0, NULL, err, sizeof err) != 0)
            ab_err(AB_RUN_CMD, "%s", err);
    }
}

/* Renames cells/<id>/rep<from>.json, rep<from>-*.log… to rep<to>… (prefix "rep<from>" followed by
 * '.' or '-'). 0, or -1 (errno) at the first that failed. */
static int rename_rep_files(const char *cell_dir, const char *from, const char *to)
{
    size_t flen = strlen(from);
    struct dirent *d;
    DIR *dir = opendir(cell_dir);
    int rc = 0;
    if (dir == NULL)
        return -1;
    while (rc == 0 && (d = readdir(dir)) != NULL) {
        char a[PATH_MAX], b[PATH_MAX];
        if (strncmp(d->d_name, from, flen) != 0 || (d->d_name[flen] != '.' && d->d_name[flen] != '-'))
            continue;
        ab_fmt(a, sizeof a, "%s/%s", cell_dir, d->d_name);
        ab_fmt(b, sizeof b, "%s/%s%s", cell_dir, to, d->d_name + flen);
        rc = rename(a, b);
    }
    closedir(dir);
    return rc;
}

/* A quiet re-measure (repetition b) took repetition a's place: their raw files swap names, so
 * cells/<id>/rep<a>.json is always the repetition in the figures (what `authbench merge` reads)
 * and rep<b>.json the disturbed one set aside. */
static void swap_rep_files(const ab_run_ctx *ctx, const char *id, unsigned a, unsigned b)
{
    char dir[PATH_MAX], na[32], nb[32];
    ab_fmt(dir, sizeof dir, "%s/cells/%s", ctx->dir, id);
    ab_fmt(na, sizeof na, "rep%u", a);
    ab_fmt(nb, sizeof nb, "rep%u", b);
    if (rename_rep_files(dir, na, "swap") != 0 || rename_rep_files(dir, nb, na) != 0 ||
        rename_rep_files(dir, "swap", nb) != 0)
        ab_err(AB_RUN_CMD, "cannot swap the raw files of %s's repetitions %u and %u: %s", id, a, b, strerror(errno));
}

/* One repetition to measure again: planned repetition rep (0-based) of cell st[cell]. */
typedef struct remeasure_pick {
    size_t cell;
    unsigned rep;
} remeasure_pick;

/* The busy planned repetitions of the cells that ran all of theirs (a failed cell is not measured
 * again), in the matrix's order: the first max of them into picks, their number returned, all of
 * them counted in *want. */
static size_t remeasure_picks(const cell_state *st, size_t n, remeasure_pick *picks, size_t max, size_t *want)
{
    size_t i, k = 0;
    unsigned j;
    *want = 0;
    for (i = 0; i < n; i++)
        for (j = 0; !st[i].failed && st[i].done == st[i].cell.repetitions && j < st[i].cell.repetitions; j++)
            if (ab_res_rep_busy(&st[i].reps[j]) && (*want)++ < max)
                picks[k].cell = i, picks[k++].rep = j;
    return k;
}

/* The re-measuring round (above), round r: the picked repetitions once more, each cell's result
 * replaced after its last (or when interrupted). */
static void remeasure_round(ab_run_ctx *ctx, ab_res_doc *res, cell_state *st, size_t n, unsigned r,
                            double frac, uint64_t seed, cJSON *rounds)
{
    size_t planned = 0, want, npicks, budget, i, k;
    char err[768], werr[512];
    remeasure_pick *picks;
    cJSON *ids;
    for (i = 0; i < n; i++)
        planned += st[i].cell.repetitions;
    budget = (size_t)ceil((double)planned * frac);
    if (budget == 0 || (picks = malloc(budget * sizeof *picks)) == NULL) /* re-measuring is off */
        return;
    if ((npicks = remeasure_picks(st, n, picks, budget, &want)) == 0) { /* nothing ran busy */
        free(picks);
        return;
    }
    ctx->progress.nrounds = r;
    for (k = 0; k < npicks; k++)
        ctx->progress.total_s += ab_run_cell_estimate_s(&st[picks[k].cell].cell) / st[picks[k].cell].cell.repetitions;
    if (ctx->progress.enabled)
        fprintf(stderr, "authbench run: round %u re-measures %zu of %zu repetitions that ran while other work kept "
                        "more than %.0f %% of the CPUs busy (or steal took over %.0f %%)%s\n",
                r, npicks, want, 100 * AB_RES_BUSY_OTHER_CPU_FRAC, 100 * AB_RES_BUSY_STEAL_FRAC,
                npicks < want ? ": the rest stay flagged busy_machine" : "");
    cJSON_AddItemToArray(rounds, ids = cJSON_CreateArray());
    for (k = 0; k < npicks && ab_run_stop_signal == 0; k++) {
        cell_state *s = &st[picks[k].cell];
        unsigned j = picks[k].rep;
        ab_res_rep *again = &s->reps[s->done];
        int rc;
        ab_run_progress_rep(&ctx->progress, r, k, npicks, s->cell.id,
                            ab_run_cell_estimate_s(&s->cell) / s->cell.repetitions);
        cJSON_AddItemToArray(ids, cJSON_CreateString(s->cell.id));
        rc = ab_run_cell_rep(ctx, &s->cell, s->done + 1, s->reps, err, sizeof err);
        ab_run_progress_rep_done(&ctx->progress, rc == 0 ? again->load : NULL, rc == 0 ? NULL : err);
        again->round = (int)r;
        s->of[s->done - s->cell.repetitions] = j + 1;
        s->done++;
        if (rc == 0 && !ab_res_rep_busy(again)) {
            s->by[j] = s->done;
            swap_rep_files(ctx, s->cell.id, j + 1, s->done);
        }
        if (k + 1 == npicks || picks[k + 1].cell != picks[k].cell || ab_run_stop_signal != 0) {
            add_result(ctx, res, st, picks[k].cell); /* what its re-measures did */
            ab_res_doc_set(res, "repetition_order", order_object(seed, rounds));
            if (ab_res_doc_write(res, ctx->dir, 0, 0, NULL, werr, sizeof werr) != 0)
                ab_err(AB_RUN_CMD, "%s", werr);
        }
    }
    free(picks);
}

/* Runs every cell in interleaved rounds (rounds.c); a cell's result is added once its repetitions
 * are done, and the results are rewritten after every repetition. Returns how many cells finished
 * ok. */
static size_t run_cells(ab_run_ctx *ctx, ab_res_doc *res, const cJSON *sc, const ab_res_cell *cells, size_t n)
{
    uint64_t seed = (uint64_t)ab_json_num_or(sc, "seed", 1);
    unsigned r, nrounds = ab_run_rounds(cells, n);
    size_t *order = malloc((n ? n : 1) * sizeof *order), i, ok = 0;
    cell_state *st = states_new(cells, n);
    cJSON *rounds = cJSON_CreateArray();
    if (order == NULL || st == NULL) {
        ab_err(AB_RUN_CMD, "out of memory");
        n = 0;
    }
    for (r = 1; r <= nrounds && n > 0 && ab_run_stop_signal == 0; r++)
        run_round(ctx, res, st, n, cells, seed, r, order, rounds);
    if (n > 0 && ab_run_stop_signal == 0)
        remeasure_round(ctx, res, st, n, nrounds + 1, ab_json_num_or(sc, "remeasure", 0.1), seed, rounds);
    ab_run_progress_end(&ctx->progress);
    if (ab_run_stop_signal != 0)
        add_interrupted(ctx, res, st, n);
    for (i = 0; i < n; i++)
        ok += st[i].added && !st[i].failed;
    cJSON_Delete(rounds);
    states_free(st, n);
    free(order);
    return ok;
}

/* The report at the end (unless --no-report). 0 or -1 (message printed). */
static int write_report(const ab_run_ctx *ctx, const ab_run_opts *o)
{
    char err[512];
    if (o->no_report)
        return 0;
    if (ab_report_write(ctx->dir, o->requirements, err, sizeof err) != 0) {
        ab_err(AB_RUN_CMD, "report: %s", err);
        return -1;
    }
    return 0;
}

/* Sets up what the run needs before the first cell. 0, or -1 with err. */
static int run_setup(ab_run_ctx *ctx, const ab_run_opts *o, const cJSON *sc, const ab_res_cell *cells,
                     size_t n, char *err, size_t errlen)
{
    const cJSON *dd = cJSON_GetObjectItemCaseSensitive(sc, "disk_dir");
    char path[AB_RUN_PATH_MAX + 32], disk[AB_RUN_PATH_MAX + 16];
    cJSON *shown;
    size_t i;
    ssize_t len = readlink("/proc/self/exe", ctx->self, sizeof ctx->self - 1);
    if (len <= 0) {
        ab_fmt(err, errlen, "cannot find the authbench program (/proc/self/exe): %s", strerror(errno));
        return -1;
    }
    ctx->self[len] = '\0';
    if (make_run_dir(ctx, o, sc, err, errlen) != 0 || make_tmp(ctx, err, errlen) != 0)
        return -1;
    ab_fmt(path, sizeof path, "%s/scenario.json", ctx->dir);
    if ((shown = ab_run_scenario_shown(sc)) == NULL || ab_res_write_json(path, shown) != 0) {
        ab_fmt(err, errlen, "cannot write %s: %s", path, shown == NULL ? "out of memory" : strerror(errno));
        cJSON_Delete(shown);
        return -1;
    }
    cJSON_Delete(shown);
    ab_fmt(disk, sizeof disk, "%s/disk", ctx->dir);
    ctx->disk_made = access(cJSON_IsString(dd) ? dd->valuestring : disk, F_OK) != 0 || !cJSON_IsString(dd);
    if (ab_run_pick_disk_dir(cJSON_IsString(dd) ? dd->valuestring : disk, cJSON_IsString(dd), ctx->disk_dir,
                             sizeof ctx->disk_dir, ctx->disk_fs, sizeof ctx->disk_fs, err, errlen) != 0)
        return -1;
    if (ab_run_placement_init(&ctx->placement, o->cpus, err, errlen) != 0)
        return -1;
    if (setup_redis(ctx, sc, cells, n, err, errlen) != 0)
        return -1;
    ab_run_pin(&ctx->placement, AB_RUN_ROLE_STORES, ctx->redis.proc.pid); /* 0 for a user's Redis: none */
    if (setup_cluster(ctx, sc, cells, n, err, errlen) != 0)
        return -1;
    for (i = 0; i < ctx->cluster.nmasters; i++)
        ab_run_pin(&ctx->placement, AB_RUN_ROLE_STORES, ctx->cluster.own ? ctx->cluster.masters[i].proc.pid : 0);
    if (ab_run_pgmc_setup(&ctx->pg, &ctx->mc, sc, cells, n, ctx->tmp, ctx->dir, err, errlen) != 0)
        return -1;
    ab_run_pin(&ctx->placement, AB_RUN_ROLE_STORES, ctx->pg.proc.pid); /* 0 when none, or the user's */
    ab_run_pin(&ctx->placement, AB_RUN_ROLE_STORES, ctx->mc.proc.pid);
    return 0;
}

/* Stops the shared Redis and removes the temporary and disk directories. */
static void run_cleanup(ab_run_ctx *ctx)
{
    ab_run_redis_stop(&ctx->redis);
    ab_run_cluster_stop(&ctx->cluster);
    ab_run_srv_stop(&ctx->pg);
    ab_run_srv_stop(&ctx->mc);
    ab_run_proc_kill_all();
    if (ctx->tmp[0] != '\0')
        nftw(ctx->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (ctx->disk_dir[0] != '\0' && ctx->disk_made)
        rmdir(ctx->disk_dir); /* ours, and only when empty */
}

/* Store capacity and the environment into the results, before the cells. */
static void run_preamble(ab_run_ctx *ctx, ab_res_doc *res, const cJSON *sc, char *cap_why, size_t len)
{
    cJSON *cap;
    cap_why[0] = '\0';
    cap = ab_run_store_capacity(ctx, sc, cap_why, len);
    ab_res_doc_set(res, "store_capacity", cap ? cap : cJSON_CreateNull());
}

/* The whole run after setup. Returns the exit status. */
static int run_body(ab_run_ctx *ctx, const ab_run_opts *o, const cJSON *sc, const ab_res_cell *cells,
                    size_t n, ab_res_doc *res)
{
    char err[512], cap_why[256];
    cJSON *micro = NULL;
    size_t ok;
    int interrupted, rc;
    run_preamble(ctx, res, sc, cap_why, sizeof cap_why);
    ok = run_cells(ctx, res, sc, cells, n);
    interrupted = ab_run_stop_signal != 0;
    micro = interrupted ? cJSON_CreateObject() : ab_run_micro(ctx, sc, o->micro);
    if (interrupted)
        cJSON_AddBoolToObject(micro, "ran", 0), cJSON_AddStringToObject(micro, "reason", "interrupted");
    ab_res_doc_set(res, "notes", run_notes(ctx, cells, n, cap_why, micro));
    ab_res_doc_set(res, "micro", micro);
    interrupted = ab_run_stop_signal != 0;
    if (ab_res_doc_write(res, ctx->dir, !interrupted, 1, NULL, err, sizeof err) != 0) {
        ab_err(AB_RUN_CMD, "%s", err);
        return AB_EXIT_FAIL;
    }
    if (interrupted)
        return 128 + ab_run_stop_signal;
    rc = write_report(ctx, o);
    if (!ctx->quiet)
        printf("run directory: %s\n%s%s%s", ctx->dir, rc == 0 && !o->no_report ? "report: " : "",
               rc == 0 && !o->no_report ? ctx->dir : "", rc == 0 && !o->no_report ? "/report.html\n" : "");
    if (ok < n)
        ab_err(AB_RUN_CMD, "%zu of %zu cells failed (see \"error\" in %s/results.json)", n - ok, n, ctx->dir);
    return ok == 0 && n > 0 ? AB_EXIT_FAIL : rc == 0 ? AB_EXIT_OK : AB_EXIT_FAIL;
}

/* results.json started in the run directory (header, environment, shard), or NULL with err. */
static ab_res_doc *results_start(const ab_run_ctx *ctx, const ab_run_opts *o, const cJSON *sc, char *err,
                                 size_t errlen)
{
    const char *redis_version = ctx->redis.running     ? ctx->redis.version
                                : ctx->cluster.running ? ctx->cluster.version
                                                       : NULL;
    cJSON *shown = ab_run_scenario_shown(sc);
    ab_res_doc *res = shown != NULL ? ab_res_doc_new(ab_run_scenario_name(sc), shown,
                                                     ab_run_environment(redis_version, ctx->disk_dir, ctx->disk_fs))
                                    : NULL;
    cJSON_Delete(shown);
    if (res == NULL)
        ab_fmt(err, errlen, "out of memory");
    else if (ab_res_doc_write(res, ctx->dir, 0, 0, NULL, err, errlen) != 0) {
        ab_res_doc_free(res);
        return NULL;
    } else {
        ab_res_doc_set(res, "shard", o->shard != NULL ? cJSON_CreateString(o->shard) : cJSON_CreateNull());
        ab_res_doc_set(res, "deployment", ab_run_deployment_json(sc));
        ab_res_doc_set(res, "slo_p99_ms", cJSON_CreateNumber(ab_json_num_or(sc, "slo_p99_ms", -1)));
    }
    return res;
}

int ab_run_execute(const ab_run_opts *o, const cJSON *sc, const ab_res_cell *cells, size_t n)
{
    ab_run_ctx *ctx = calloc(1, sizeof *ctx);
    ab_res_doc *res = NULL;
    char err[512];
    int rc = AB_EXIT_FAIL;
    double total_s = 0;
    size_t i;
    if (ctx == NULL)
        return AB_EXIT_FAIL;
    ab_run_signals_install();
    ctx->quiet = o->quiet;
    ctx->shard = o->shard;
    for (i = 0; i < n; i++)
        total_s += ab_run_cell_estimate_s(&cells[i]);
    ab_run_progress_start(&ctx->progress, !o->quiet, total_s, ab_run_rounds(cells, n));
    if (run_setup(ctx, o, sc, cells, n, err, sizeof err) != 0) {
        ab_err(AB_RUN_CMD, "%s", ab_run_stop_signal ? "interrupted" : err);
        rc = ab_run_stop_signal ? 128 + ab_run_stop_signal : AB_EXIT_FAIL;
    } else if ((res = results_start(ctx, o, sc, err, sizeof err)) == NULL)
        ab_err(AB_RUN_CMD, "%s", err);
    else
        rc = run_body(ctx, o, sc, cells, n, res);
    run_cleanup(ctx);
    ab_res_doc_free(res);
    free(ctx);
    return rc;
}

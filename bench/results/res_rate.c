/* res_rate.c — what a cell's figures were measured under: the rate it was driven at and reached, the
 * load generator's own CPU, the machine's noise (load average, steal time), the CPU placement, the
 * proxy's achieved delay, and the fields measured beside the load (a repetition's "extra"). */
#include "res_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ab_json.h"

/* The load JSON's fields (authbench load --json, since issue 14). */
#define LOAD_TARGET "target_rate_per_sec"
#define LOAD_ACHIEVED "achieved_rate_per_sec"
#define LOAD_REACHED "rate_reached"
#define LOAD_CPU_UTIL "loadgen_cpu.util"

/* The median of the repetitions' number at path into *med. Returns how many had it. */
static size_t median_of(const ab_res_rep *reps, size_t n, const char *path, double *med)
{
    double v[AB_RES_MAX_REPS];
    size_t i, k = 0;
    ab_res_summary s;
    for (i = 0; i < n && k < AB_RES_MAX_REPS; i++)
        if (ab_json_num(reps[i].load, path, &v[k]))
            k++;
    ab_res_summarize(v, k, &s);
    *med = s.median;
    return k;
}

/* rate_reached: false when a repetition fell short of its rate, true when every one reached it,
 * null when some repetition did not say (and none fell short): the load says null for a closed
 * loop, and a load of before issue 14 nothing. */
static void add_reached(cJSON *o, const ab_res_rep *reps, size_t n)
{
    size_t i, said = 0, reached = 0;
    for (i = 0; i < n; i++) {
        const cJSON *r = ab_json_at(reps[i].load, LOAD_REACHED);
        said += cJSON_IsBool(r);
        reached += cJSON_IsTrue(r);
    }
    if (reached < said)
        cJSON_AddBoolToObject(o, LOAD_REACHED, 0);
    else if (said == n && n > 0)
        cJSON_AddBoolToObject(o, LOAD_REACHED, 1);
    else
        cJSON_AddNullToObject(o, LOAD_REACHED);
}

void ab_res_add_rate(cJSON *o, const ab_res_cell *c, const ab_res_rep *reps, size_t n)
{
    double v;
    size_t i, k;
    int bottleneck = 0;
    k = median_of(reps, n, LOAD_TARGET, &v);
    if (k == 0 && c->rate_per_sec > 0) /* a load from before issue 14: the rate it was asked for */
        v = c->rate_per_sec, k = 1;
    ab_res_add_num_or_null(o, LOAD_TARGET, k > 0, v);
    k = median_of(reps, n, LOAD_ACHIEVED, &v);
    ab_res_add_num_or_null(o, LOAD_ACHIEVED, k > 0, v);
    add_reached(o, reps, n);
    k = median_of(reps, n, LOAD_CPU_UTIL, &v);
    ab_res_add_num_or_null(o, "loadgen_cpu_util", k > 0, v);
    for (i = 0; i < n; i++)
        if (ab_json_num(reps[i].load, LOAD_CPU_UTIL, &v) && v >= AB_RES_LOADGEN_BOTTLENECK_UTIL)
            bottleneck = 1;
    k > 0 ? (void)cJSON_AddBoolToObject(o, "loadgen_bottleneck", bottleneck)
          : (void)cJSON_AddNullToObject(o, "loadgen_bottleneck");
}

int ab_res_rep_busy(const ab_res_rep *r)
{
    long here = sysconf(_SC_NPROCESSORS_ONLN);
    double cores = r->cores > 0 ? (double)r->cores : (double)(here > 0 ? here : 1);
    int busy = r->other_cpu_window_frac > AB_RES_BUSY_OTHER_CPU_FRAC || r->other_cpu_frac > AB_RES_BUSY_OTHER_CPU_FRAC ||
               r->steal_frac > AB_RES_BUSY_STEAL_FRAC;
    if (r->other_cpu_frac < 0 && r->other_cpu_window_frac < 0) /* a run from before the probes */
        busy |= r->load_avg_1m > cores * AB_RES_BUSY_LOAD_PER_CORE;
    return busy;
}

/* busy_machine: some repetition was one of a busy machine (ab_res_rep_busy). Null when none of them
 * measured anything of the machine. */
static void add_busy(cJSON *o, const ab_res_rep *reps, size_t n)
{
    size_t i, known = 0;
    int busy = 0;
    for (i = 0; i < n; i++) {
        known += reps[i].load_avg_1m >= 0 || reps[i].steal_frac >= 0 || reps[i].other_cpu_frac >= 0 ||
                 reps[i].other_cpu_window_frac >= 0;
        busy |= ab_res_rep_busy(&reps[i]);
    }
    known > 0 ? (void)cJSON_AddBoolToObject(o, "busy_machine", busy) : (void)cJSON_AddNullToObject(o, "busy_machine");
}

void ab_res_add_remeasured(cJSON *cell, unsigned rep, const ab_res_rep *old, unsigned by, const ab_res_rep *again,
                           int replaced)
{
    cJSON *rm = cJSON_GetObjectItemCaseSensitive(cell, "remeasured"), *o = cJSON_CreateObject();
    if (rm == NULL)
        rm = cJSON_AddArrayToObject(cell, "remeasured");
    cJSON_AddItemToArray(rm, o);
    cJSON_AddNumberToObject(o, "rep", (double)rep);
    cJSON_AddNumberToObject(o, "by", (double)by);
    cJSON_AddBoolToObject(o, "replaced", replaced);
    ab_res_add_num_or_null(o, "other_cpu_frac", old->other_cpu_frac >= 0, old->other_cpu_frac);
    ab_res_add_num_or_null(o, "other_cpu_window_frac", old->other_cpu_window_frac >= 0, old->other_cpu_window_frac);
    ab_res_add_num_or_null(o, "steal_frac", old->steal_frac >= 0, old->steal_frac);
    ab_res_add_num_or_null(o, "p99_us", ab_json_at(old->load, "latency_us.p99") != NULL,
                           ab_json_num_or(old->load, "latency_us.p99", 0));
    ab_res_add_num_or_null(o, "by_other_cpu_window_frac", again->other_cpu_window_frac >= 0,
                           again->other_cpu_window_frac);
    ab_res_add_num_or_null(o, "by_p99_us", ab_json_at(again->load, "latency_us.p99") != NULL,
                           ab_json_num_or(again->load, "latency_us.p99", 0));
}

/* placement {"load", "servers", "stores", "isolated", "note"} from the first repetition's text:
 * its "load=…", "servers=…" and "stores=…" words are the CPU sets, the other words the note. Null
 * when it was not recorded. */
static void add_placement(cJSON *o, const ab_res_rep *r)
{
    static const char *const keys[] = {"load", "servers", "stores"};
    char text[sizeof r->placement], note[sizeof r->placement] = "", *word, *save = NULL;
    cJSON *p;
    size_t i, len;
    if (r->placement[0] == '\0') {
        cJSON_AddNullToObject(o, "placement");
        return;
    }
    p = cJSON_AddObjectToObject(o, "placement");
    memcpy(text, r->placement, sizeof text);
    for (word = strtok_r(text, " ", &save); word != NULL; word = strtok_r(NULL, " ", &save)) {
        for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (strncmp(word, keys[i], len = strlen(keys[i])) == 0 && word[len] == '=' &&
                !cJSON_HasObjectItem(p, keys[i]))
                break;
        if (i < sizeof keys / sizeof keys[0])
            cJSON_AddStringToObject(p, keys[i], word + len + 1);
        else if (strlen(note) + strlen(word) + 2 < sizeof note)
            strcat(strcat(note, note[0] ? " " : ""), word);
    }
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!cJSON_HasObjectItem(p, keys[i]))
            cJSON_AddNullToObject(p, keys[i]);
    cJSON_AddBoolToObject(p, "isolated", r->isolated);
    note[0] ? (void)cJSON_AddStringToObject(p, "note", note) : (void)cJSON_AddNullToObject(p, "note");
}

/* proxy_delay_achieved_us {"mean", "p99"}: medians of the repetitions' achieved one-way delay; null
 * when no repetition went through the proxy. */
static void add_proxy_delay(cJSON *o, const ab_res_rep *reps, size_t n)
{
    double mean[AB_RES_MAX_REPS], p99[AB_RES_MAX_REPS];
    size_t i, k = 0;
    ab_res_summary s;
    cJSON *d;
    for (i = 0; i < n && k < AB_RES_MAX_REPS; i++)
        if (reps[i].proxy_delay_mean_us >= 0 && reps[i].proxy_delay_p99_us >= 0)
            mean[k] = reps[i].proxy_delay_mean_us, p99[k++] = reps[i].proxy_delay_p99_us;
    if (k == 0) {
        cJSON_AddNullToObject(o, "proxy_delay_achieved_us");
        return;
    }
    d = cJSON_AddObjectToObject(o, "proxy_delay_achieved_us");
    ab_res_summarize(mean, k, &s);
    cJSON_AddNumberToObject(d, "mean", s.median);
    ab_res_summarize(p99, k, &s);
    cJSON_AddNumberToObject(d, "p99", s.median);
}

void ab_res_add_noise(cJSON *o, const ab_res_rep *reps, size_t n)
{
    double load = -1, steal = -1, other = -1, other_w = -1; /* the worst repetition's; -1: none measured it */
    size_t i;
    for (i = 0; i < n; i++) {
        load = reps[i].load_avg_1m > load ? reps[i].load_avg_1m : load;
        steal = reps[i].steal_frac > steal ? reps[i].steal_frac : steal;
        other = reps[i].other_cpu_frac > other ? reps[i].other_cpu_frac : other;
        other_w = reps[i].other_cpu_window_frac > other_w ? reps[i].other_cpu_window_frac : other_w;
    }
    ab_res_add_num_or_null(o, "load_avg_1m", load >= 0, load);
    ab_res_add_num_or_null(o, "steal_frac", steal >= 0, steal);
    ab_res_add_num_or_null(o, "other_cpu_frac", other >= 0, other);
    ab_res_add_num_or_null(o, "other_cpu_window_frac", other_w >= 0, other_w);
    add_busy(o, reps, n);
    if (n > 0)
        add_placement(o, &reps[0]);
    else
        cJSON_AddNullToObject(o, "placement");
    add_proxy_delay(o, reps, n);
}

void ab_res_add_extra(cJSON *o, const ab_res_rep *reps, size_t n)
{
    const cJSON *it;
    size_t i;
    cJSON_AddNullToObject(o, "revocation_latency_us"); /* until a repetition's extra says otherwise */
    for (i = 0; i < n; i++)
        cJSON_ArrayForEach(it, reps[i].extra) {
            if (it->string == NULL)
                continue;
            if (cJSON_HasObjectItem(o, it->string))
                cJSON_ReplaceItemInObjectCaseSensitive(o, it->string, cJSON_Duplicate(it, 1));
            else
                cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
        }
}

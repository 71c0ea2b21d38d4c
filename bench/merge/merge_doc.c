/* merge_doc.c — merging load documents: read back, merged by bench/load, written again with the
 * machines' environments listed and a section saying what was merged and what to keep in mind. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_cli.h"
#include "merge_int.h"

cJSON *abm_read_json(const char *path, char *err, size_t errlen)
{
    char *text = ab_read_file(path, 256u << 20, NULL);
    cJSON *doc;
    if (text == NULL) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    doc = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        snprintf(err, errlen, "%s: not a JSON object", path);
        return NULL;
    }
    return doc;
}

void abm_note_once(cJSON *arr, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
            return;
    }
    cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

/* One entry of "environments": the input's environment, where it came from, when and which shard. */
static cJSON *environment_of(const cJSON *doc, const char *name)
{
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(doc, "environment");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(doc, "config");
    static const char *const copied[] = {"started_utc", "window_start_unix_ms"};
    cJSON *o = cJSON_IsObject(env) ? cJSON_Duplicate(env, 1) : cJSON_CreateObject();
    size_t i;
    cJSON_AddStringToObject(o, "source", name);
    for (i = 0; i < sizeof copied / sizeof copied[0]; i++)
        if (cJSON_HasObjectItem(doc, copied[i]))
            cJSON_AddItemToObject(o, copied[i], cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, copied[i]), 1));
    if (cJSON_HasObjectItem(cfg, "shard"))
        cJSON_AddItemToObject(o, "shard", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(cfg, "shard"), 1));
    return o;
}

/* The "merge" section: inputs, how far apart their windows started, notes. */
static cJSON *merge_section(const cJSON *const *docs, const char *const *names, size_t n, const cJSON *notes)
{
    cJSON *o = cJSON_CreateObject(), *inputs = cJSON_AddArrayToObject(o, "inputs");
    double lo = INFINITY, hi = -INFINITY;
    size_t i;
    for (i = 0; i < n; i++) {
        double t = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(docs[i], "window_start_unix_ms"));
        cJSON_AddItemToArray(inputs, cJSON_CreateString(names[i]));
        lo = fmin(lo, t), hi = fmax(hi, t);
    }
    cJSON_AddNumberToObject(o, "runs", (double)n);
    cJSON_AddNumberToObject(o, "window_start_skew_ms", hi - lo);
    cJSON_AddItemToObject(o, "notes", notes != NULL ? cJSON_Duplicate(notes, 1) : cJSON_CreateArray());
    return o;
}

/* Reads every document back into a result. 0, or -1 with err naming the input. */
static int read_results(const cJSON *const *docs, const char *const *names, size_t n, ab_load_result **rs,
                        char *err, size_t errlen)
{
    char why[400];
    size_t i;
    for (i = 0; i < n; i++)
        if ((rs[i] = ab_load_result_from_doc(docs[i], why, sizeof why)) == NULL) {
            snprintf(err, errlen, "%s: %s", names[i], why);
            return -1;
        }
    return 0;
}

/* The merged result as a document with its environments and merge section; NULL on OOM. */
static cJSON *merged_doc(const ab_load_result *m, const cJSON *const *docs, const char *const *names, size_t n,
                         const cJSON *notes)
{
    cJSON *doc = ab_load_result_doc(m), *envs;
    size_t i;
    if (doc == NULL)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "environment");
    envs = cJSON_AddArrayToObject(doc, "environments");
    for (i = 0; i < n; i++)
        cJSON_AddItemToArray(envs, environment_of(docs[i], names[i]));
    cJSON_AddItemToObject(doc, "merge", merge_section(docs, names, n, notes));
    return doc;
}

cJSON *abm_merge_load_docs(const cJSON *const *docs, const char *const *names, size_t n, int shared_targets,
                           cJSON *notes, ab_load_result **result, char *err, size_t errlen)
{
    ab_load_result **rs = calloc(n, sizeof *rs), *m = NULL;
    cJSON *mine = cJSON_CreateArray(), *doc = NULL, *it;
    size_t i;
    if (rs == NULL || mine == NULL)
        snprintf(err, errlen, "out of memory");
    else if (read_results(docs, names, n, rs, err, errlen) == 0 &&
             (m = ab_load_results_merge(rs, n, shared_targets, mine, err, errlen)) != NULL &&
             (doc = merged_doc(m, docs, names, n, mine)) == NULL)
        snprintf(err, errlen, "out of memory");
    cJSON_ArrayForEach(it, mine) {
        if (notes != NULL)
            abm_note_once(notes, it->valuestring);
    }
    for (i = 0; rs != NULL && i < n; i++)
        ab_load_result_free(rs[i]);
    free(rs);
    cJSON_Delete(mine);
    if (result != NULL && doc != NULL)
        *result = m;
    else
        ab_load_result_free(m);
    return doc;
}

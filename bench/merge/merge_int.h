/* merge_int.h — internals of `authbench merge` (prefix abm_): reading the inputs, merging `authbench
 * load --json` documents (bench/load does the arithmetic) and `authbench run` directories (bench/results
 * aggregates the merged repetitions as it does a run's own). Private to bench/merge. */
#ifndef ABM_INT_H
#define ABM_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ab_load.h"

#define ABM_CMD "merge"
#define ABM_MAX_INPUTS 256
#define ABM_PATH_MAX 1024

/* The command line. */
typedef struct abm_opts {
    const char *inputs[ABM_MAX_INPUTS];
    size_t ninputs;
    const char *out;
    const char *requirements;
    int separate_targets; /* load files: each machine drove servers of its own */
    int no_report;
} abm_opts;

/* Reads and parses a JSON file (at most 256 MiB). NULL with a one-line reason in err. */
cJSON *abm_read_json(const char *path, char *err, size_t errlen);
/* Appends a copy of s to the string array arr unless it holds it already. */
void abm_note_once(cJSON *arr, const char *s);

/* Merges n load documents (names[i] says where docs[i] came from, for messages): each read back
 * (ab_load_result_from_doc), then merged (ab_load_results_merge). The merged document, with
 * "environments" (each input's environment, source, start and shard) in place of "environment" and
 * a "merge" section (inputs, notes, how far apart the windows started); NULL with err. Notes are
 * also appended to notes (may be NULL). With result non-NULL, the merged result is kept there (the
 * caller frees it). */
cJSON *abm_merge_load_docs(const cJSON *const *docs, const char *const *names, size_t n, int shared_targets,
                           cJSON *notes, ab_load_result **result, char *err, size_t errlen);

/* `authbench merge` of load files / run directories into o->out. Return the exit status. */
int abm_merge_load_files(const abm_opts *o);
int abm_merge_run_dirs(const abm_opts *o);

#endif /* ABM_INT_H */

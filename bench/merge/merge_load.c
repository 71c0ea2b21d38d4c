/* merge_load.c — `authbench merge` of `authbench load --json` files: one merged load.json in the
 * output directory and the merged summary on stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ab_cli.h"
#include "merge_int.h"

/* Prints each note as one line on stderr. */
static void print_notes(const cJSON *notes)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, notes) {
        fprintf(stderr, "authbench: %s: note: %s\n", ABM_CMD, cJSON_GetStringValue(it));
    }
}

/* Writes doc to <out>/load.json, refusing to replace a merge already there. 0, or -1 (printed). */
static int write_merged(const char *out, const cJSON *doc)
{
    char path[4096], *text;
    int rc;
    snprintf(path, sizeof path, "%s/load.json", out);
    if (access(path, F_OK) == 0) {
        ab_err(ABM_CMD, "%s exists already: choose another --out", path);
        return -1;
    }
    if (ab_mkdirs(out, 0755) != 0 || (text = cJSON_Print(doc)) == NULL) {
        ab_err(ABM_CMD, "cannot write %s: %s", path, strerror(errno ? errno : ENOMEM));
        return -1;
    }
    rc = ab_write_file_atomic(path, text, strlen(text));
    if (rc != 0)
        ab_err(ABM_CMD, "cannot write %s: %s", path, strerror(errno));
    free(text);
    return rc;
}

int abm_merge_load_files(const abm_opts *o)
{
    cJSON *docs[ABM_MAX_INPUTS] = {NULL}, *notes = cJSON_CreateArray(), *merged = NULL;
    ab_load_result *m = NULL;
    char err[512];
    size_t i;
    int rc = AB_EXIT_FAIL;
    for (i = 0; i < o->ninputs; i++)
        if ((docs[i] = abm_read_json(o->inputs[i], err, sizeof err)) == NULL)
            goto out;
    merged = abm_merge_load_docs((const cJSON *const *)docs, o->inputs, o->ninputs, !o->separate_targets, notes,
                                 &m, err, sizeof err);
    if (merged == NULL || write_merged(o->out, merged) != 0)
        goto out;
    ab_load_result_print(m, stdout);
    print_notes(notes);
    printf("merged %zu runs into %s/load.json\n", o->ninputs, o->out);
    rc = AB_EXIT_OK;
out:
    if (rc != AB_EXIT_OK && merged == NULL)
        ab_err(ABM_CMD, "%s", err);
    for (i = 0; i < o->ninputs; i++)
        cJSON_Delete(docs[i]);
    cJSON_Delete(merged);
    cJSON_Delete(notes);
    ab_load_result_free(m);
    return rc;
}

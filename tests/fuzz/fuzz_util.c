/* fuzz_util.c — seed writing and vector access for the fuzz targets (see fuzz.h). */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsupport.h"

int fuzz_seed(const char *dir, const char *tag, int n, const void *data, size_t len)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s-%d", dir, tag, n) >= (int)sizeof path ||
        tsupport_write_file(path, data, len) != 0) {
        fprintf(stderr, "fuzz: cannot write seed %s\n", path);
        return -1;
    }
    return 0;
}

int fuzz_seed_str(const char *dir, const char *tag, int n, const char *text)
{
    return fuzz_seed(dir, tag, n, text, strlen(text));
}

cJSON *fuzz_vector_json(const char *rel)
{
    char path[4096];
    size_t len = 0;
    char *text;
    cJSON *j;
    snprintf(path, sizeof path, "%s/%s", tsupport_vectors_dir(), rel);
    text = tsupport_read_file(path, &len);
    j = text != NULL ? cJSON_ParseWithLength(text, len) : NULL;
    if (j == NULL)
        fprintf(stderr, "fuzz: cannot read the vector file %s\n", path);
    free(text);
    return j;
}

/* scandir filter: names ending in ".json". */
static int is_json(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

int fuzz_vector_files(const char *sub, int (*fn)(const char *rel, void *arg), void *arg)
{
    char dir[4096], rel[4096];
    struct dirent **names;
    int i, n, rc = 0;
    snprintf(dir, sizeof dir, "%s/%s", tsupport_vectors_dir(), sub);
    if ((n = scandir(dir, &names, is_json, alphasort)) < 0) {
        fprintf(stderr, "fuzz: cannot list %s\n", dir);
        return -1;
    }
    for (i = 0; i < n; i++) {
        snprintf(rel, sizeof rel, "%s/%s", sub, names[i]->d_name);
        if (rc == 0)
            rc = fn(rel, arg);
        free(names[i]);
    }
    free(names);
    return rc;
}

char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* ab_json.c — the dotted-path accessor of ab_json.h. */
#include "ab_json.h"

#include <string.h>

const cJSON *ab_json_at(const cJSON *obj, const char *path)
{
    char key[AB_JSON_KEY_MAX];
    while (obj != NULL && path != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = cJSON_GetObjectItemCaseSensitive(obj, key);
        path += n + (path[n] == '.');
    }
    return path != NULL ? obj : NULL;
}

int ab_json_num(const cJSON *obj, const char *path, double *out)
{
    const cJSON *it = ab_json_at(obj, path);
    if (!cJSON_IsNumber(it))
        return 0;
    *out = it->valuedouble;
    return 1;
}

double ab_json_num_or(const cJSON *obj, const char *path, double dflt)
{
    double v = dflt;
    ab_json_num(obj, path, &v);
    return v;
}

const char *ab_json_str(const cJSON *obj, const char *path)
{
    return cJSON_GetStringValue(ab_json_at(obj, path));
}

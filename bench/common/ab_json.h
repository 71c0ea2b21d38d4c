/* ab_json.h — one dotted-path accessor for cJSON documents ("latency_us.p99"), shared by every module.
 *
 * The one rule for a missing value: a lookup never invents one. ab_json_at returns NULL when any
 * part of the path is absent (or the path is malformed); ab_json_num returns 0 and leaves *out
 * alone when the value is absent, null or not a number; ab_json_num_or returns the caller's dflt
 * then, so the caller states what absence means (0 for a count, NaN for "not measured").
 * Borrowed pointers only: nothing here allocates. */
#ifndef AB_JSON_H
#define AB_JSON_H

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AB_JSON_KEY_MAX 128 /* a path part longer than this finds nothing */

/* The item at a dotted path in obj (obj itself for ""), or NULL. Borrowed from obj. */
const cJSON *ab_json_at(const cJSON *obj, const char *path);
/* The number at path into *out: 1, or 0 (and *out untouched) when absent or not a number. */
int ab_json_num(const cJSON *obj, const char *path, double *out);
/* The number at path, or dflt when absent or not a number. */
double ab_json_num_or(const cJSON *obj, const char *path, double dflt);
/* The string at path, or NULL when absent or not a string. Borrowed from obj. */
const char *ab_json_str(const cJSON *obj, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* AB_JSON_H */

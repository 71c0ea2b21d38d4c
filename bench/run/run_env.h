/* run_env.h — what a run records about its machine and build (env.c), and where disk stores go. *
 * Prefix: ab_run_ / AB_RUN_. Not a public API: only bench/run/ and tests/run/ include it. */
#ifndef AB_RUN_ENV_H
#define AB_RUN_ENV_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* ---- environment (env.c) ---------------------------------------------------------------------- */

/* The environment object of results.json. redis_version may be NULL. Never NULL (OOM aborts). */
cJSON *ab_run_environment(const char *redis_version, const char *disk_dir, const char *disk_fs);
/* The 1-minute load average (/proc/loadavg), or -1: in the environment and per repetition. */
double ab_run_load_avg_1m(void);
/* Picks a directory for disk-store cells: preferred if it is on a real filesystem (not tmpfs or
 * overlay) or was chosen explicitly by the user, else /var/tmp. Writes the chosen base and its
 * filesystem type. 0, or -1 with err. */
int ab_run_pick_disk_dir(const char *preferred, int explicit_dir, char *out, size_t len, char *fs,
                         size_t fslen, char *err, size_t errlen);

#endif /* AB_RUN_ENV_H */

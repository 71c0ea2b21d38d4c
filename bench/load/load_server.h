/* load_server.h — the load generator's side channel to its targets: probe, /stats, deltas. */
#ifndef ABL_SERVER_H
#define ABL_SERVER_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "ab_json.h"
#include "ab_load.h"

/* Connects to the target (2 s timeout) and closes. 0, or -1 with "target X unreachable: why". */
int abl_server_probe(const ab_load_target *tg, char *err, size_t errlen);
/* GET /stats: the parsed JSON object (the caller deletes it), or NULL with a reason in err. */
cJSON *abl_server_stats(const ab_load_target *tg, char *err, size_t errlen);
/* A new object with after - before for every number (objects recursed; other values dropped). */
cJSON *abl_json_delta(const cJSON *before, const cJSON *after);

#endif /* ABL_SERVER_H */

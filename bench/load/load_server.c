/* load_server.c — blocking side-channel to the targets: a reachability probe before the run, and
 * GET /stats before and after the measured window, with the difference of every counter. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ab_buf.h"
#include "ab_http.h"
#include "load_server.h"

#define ABL_STATS_MAX (1u << 20)
#define ABL_TIMEOUT_MS 2000 /* the connect, and each wait for the answer */

int abl_server_probe(const ab_load_target *tg, char *err, size_t errlen)
{
    int fd = ab_http_connect(&tg->addr, tg->addrlen, ABL_TIMEOUT_MS);
    if (fd < 0) {
        snprintf(err, errlen, "target %s unreachable: %s", tg->name, strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

cJSON *abl_server_stats(const ab_load_target *tg, char *err, size_t errlen)
{
    char req[256], why[96] = "";
    ab_buf body;
    cJSON *j = NULL;
    int status = -1, fd;
    ab_buf_init(&body, ABL_STATS_MAX);
    snprintf(req, sizeof req, "GET /stats HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", tg->name);
    if ((fd = ab_http_connect(&tg->addr, tg->addrlen, ABL_TIMEOUT_MS)) < 0 ||
        ab_http_send(fd, req, strlen(req), ABL_TIMEOUT_MS) != 0)
        snprintf(why, sizeof why, "%s", strerror(errno));
    else
        status = ab_http_recv(fd, &body, ABL_TIMEOUT_MS, NULL, why, sizeof why);
    if (status == 200 && body.data != NULL)
        j = cJSON_ParseWithLength(body.data, body.len);
    if (j == NULL || !cJSON_IsObject(j)) {
        snprintf(err, errlen, "GET /stats from %s: %s", tg->name,
                 status < 0 ? why : status != 200 ? "not HTTP 200" : "not a JSON object");
        cJSON_Delete(j);
        j = NULL;
    }
    if (fd >= 0)
        close(fd);
    ab_buf_free(&body);
    return j;
}

/* Adds to out the difference after - before of every number, recursing into objects. */
static int delta_into(cJSON *out, const cJSON *before, const cJSON *after)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, after)
    {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(before, a->string);
        cJSON *d = NULL;
        if (cJSON_IsNumber(a))
            d = cJSON_CreateNumber(a->valuedouble - (cJSON_IsNumber(b) ? b->valuedouble : 0));
        else if (cJSON_IsObject(a) && (d = cJSON_CreateObject()) != NULL && delta_into(d, b, a) != 0) {
            cJSON_Delete(d);
            return -1;
        }
        if (d != NULL && !cJSON_AddItemToObject(out, a->string, d)) {
            cJSON_Delete(d);
            return -1;
        }
        if (d == NULL && (cJSON_IsNumber(a) || cJSON_IsObject(a)))
            return -1;
    }
    return 0;
}

cJSON *abl_json_delta(const cJSON *before, const cJSON *after)
{
    cJSON *out = cJSON_CreateObject();
    if (out != NULL && delta_into(out, before, after) != 0) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

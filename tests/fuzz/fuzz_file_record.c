/* fuzz_file_record.c — fuzz target: the bytes of a session file, read back by the file store
 * through its public API (sstore_get, then touch, get and delete when it is accepted): the session
 * record reader (header, length, CRC-32C) as every read of a session file meets it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "sstore.h"
#include "tsupport.h"

#define FUZZ_ID "AAAAAAAAAAAAAAAAAAAAAA"

static char *dir;
static sstore *store;
static sstore_conn *conn;

/* Closes the store and removes its folder (at exit). */
static void cleanup(void)
{
    sstore_conn_free(conn);
    sstore_close(store);
    tsupport_rmtree(dir);
    free(dir);
}

/* A file store in a fresh temporary folder, once per process; aborts when it cannot open. */
static void setup(void)
{
    char uri[4200];
    if (conn != NULL)
        return;
    if ((dir = tsupport_tmpdir("fuzz-store")) == NULL)
        abort();
    snprintf(uri, sizeof uri, "file://%s?lock=flock", dir);
    store = sstore_open(uri);
    conn = store != NULL ? sstore_connect(store) : NULL;
    if (conn == NULL || sstore_err(store) != 0 || sstore_conn_err(conn) != 0 || atexit(cleanup) != 0)
        abort();
}

/* Every byte of an accepted session must be readable: copied out (ASan checks the range). */
static void check_session(const sstore_session *s)
{
    char *copy = malloc(s->data_len + 1);
    if (copy == NULL)
        abort();
    memcpy(copy, s->data, s->data_len);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    sstore_session s;
    int st;
    setup();
    snprintf(path, sizeof path, "%s/%c/sess_%s", dir, FUZZ_ID[0], FUZZ_ID);
    if (tsupport_write_file(path, data, size) != 0)
        abort();
    st = sstore_get(conn, FUZZ_ID, &s);
    if (st != SSTORE_OK && st != SSTORE_NOT_FOUND && st != SSTORE_ERR_CORRUPT)
        abort(); /* a damaged file is corrupt, never an I/O error or worse */
    if (st == SSTORE_ERR_CORRUPT && sstore_conn_errstr(conn)[0] == '\0')
        abort();
    if (st == SSTORE_OK) {
        check_session(&s);
        if (sstore_touch(conn, FUZZ_ID, 60) == SSTORE_OK && sstore_get(conn, FUZZ_ID, &s) != SSTORE_OK)
            abort(); /* a touched session stays readable */
    }
    if (sstore_delete(conn, FUZZ_ID) != SSTORE_OK)
        unlink(path);
    return 0;
}

/* Writes the record the store itself makes for claims, and damaged copies of it. */
static int seed_records(const char *sdir, const char *claims, int *n)
{
    char id[SSTORE_ID_LEN + 1], path[4200];
    size_t len = 0;
    char *rec;
    int rc;
    if (sstore_create(conn, claims, strlen(claims), 3600, id) != SSTORE_OK)
        return -1;
    snprintf(path, sizeof path, "%s/%c/sess_%s", dir, id[0], id);
    if ((rec = tsupport_read_file(path, &len)) == NULL)
        return -1;
    rc = fuzz_seed(sdir, "record", (*n)++, rec, len) || fuzz_seed(sdir, "cut", (*n)++, rec, len / 2) ||
         fuzz_seed(sdir, "header", (*n)++, rec, strcspn(rec, "\n") + 1);
    rec[len - 1] ^= 1; /* a flipped bit in the claims: the checksum must catch it */
    rc = rc || fuzz_seed(sdir, "flip", (*n)++, rec, len);
    free(rec);
    return sstore_delete(conn, id) == SSTORE_OK && rc == 0 ? 0 : -1;
}

/* Headers in forms the reader takes through cJSON (other order, spaces) or must refuse. */
static const char *const hand[] = {
    ("{ \"claims_crc32c\":0, \"v\":1, \"created_ms\":0, \"last_seen_ms\":0, \"expires_ms\":99999999999999,"
     " \"claims_bytes\":0 }\n"),
    ("{\"v\":1,\"created_ms\":0,\"last_seen_ms\":0,\"expires_ms\":9007199254740993,\"claims_bytes\":2,"
     "\"claims_crc32c\":0}\n{}"),
    "{\"v\":2,\"created_ms\":0,\"last_seen_ms\":0,\"expires_ms\":1,\"claims_bytes\":0,\"claims_crc32c\":0}\n",
    "{\"v\":1,\"created_ms\":-1,\"last_seen_ms\":1e3,\"expires_ms\":1.5,\"claims_bytes\":-2,\"claims_crc32c\":\"x\"}\n",
    "\n", "{}\n{}",
};

int fuzz_seeds(const char *sdir)
{
    static const char *const claims[] = {
        ("{\"sub\":\"alice\",\"iss\":\"authbench\",\"aud\":\"authbench-api\",\"iat\":1,\"exp\":2,\"jti\":\"j\","
         "\"roles\":[\"user\"],\"name\":\"Alice\",\"email\":\"alice@example.com\"}"),
        "{}", "{\"a\":\"\\u00e9\\n\"}"};
    size_t i;
    int n = 0;
    setup();
    for (i = 0; i < sizeof claims / sizeof claims[0]; i++)
        if (seed_records(sdir, claims[i], &n) != 0)
            return -1;
    for (i = 0; i < sizeof hand / sizeof hand[0]; i++)
        if (fuzz_seed_str(sdir, "hand", n++, hand[i]) != 0)
            return -1;
    return n;
}

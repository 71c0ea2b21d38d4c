/* fuzz.h — what every fuzz target shares: the libFuzzer entry point each defines, its seed writer,
 * and helpers to write seeds from the shared test vectors. */
#ifndef AB_FUZZ_H
#define AB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Defined by each target: runs one input (libFuzzer's entry point). Always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Defined by each target: writes its seed corpus into the existing folder dir (from the test
 * vectors and hand-written cases). Returns the number written, or -1 (message on stderr). */
int fuzz_seeds(const char *dir);

/* Where a target's seeds go and how many it wrote so far (the arg of its fuzz_vector_files callbacks). */
typedef struct fuzz_seed_out {
    const char *dir;
    int n;
} fuzz_seed_out;

/* Writes seed number n of dir (file "<dir>/<tag>-<n>"), len bytes. 0, or -1 (message on stderr). */
int fuzz_seed(const char *dir, const char *tag, int n, const void *data, size_t len);
/* fuzz_seed of a NUL-terminated string. */
int fuzz_seed_str(const char *dir, const char *tag, int n, const char *text);
/* Parses <vectors>/<rel> (the shared test vectors; missing vectors are a failure). The caller
 * deletes the tree. NULL, with a message on stderr, when it does not parse. */
cJSON *fuzz_vector_json(const char *rel);
/* Calls fn(name, arg) for each "*.json" file of <vectors>/<sub>, in name order; stops at the first
 * non-zero return and returns it, or 0, or -1 when the folder cannot be read. */
int fuzz_vector_files(const char *sub, int (*fn)(const char *rel, void *arg), void *arg);
/* A NUL-terminated malloc'd copy of data[0..size) (aborts when out of memory). */
char *fuzz_strdup(const uint8_t *data, size_t size);

#endif /* AB_FUZZ_H */

/* fuzz_main.c — the replay program of a fuzz target (every build, no libFuzzer): writes the
 * target's seeds and runs them, or runs the given files and folders, through LLVMFuzzerTestOneInput
 * under whatever sanitizers the build has. ctest runs it without arguments. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "tsupport.h"

/* Runs one file through the target. 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
    size_t len = 0;
    char *data = tsupport_read_file(path, &len);
    if (data == NULL) {
        fprintf(stderr, "%s: cannot read\n", path);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    free(data);
    return 0;
}

/* Runs a file, or every file of a folder (not recursive). The count run, or -1. */
static int replay(const char *path)
{
    struct dirent **names;
    struct stat st;
    char sub[4096];
    int i, n, ran = 0;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return replay_file(path) == 0 ? 1 : -1;
    if ((n = scandir(path, &names, NULL, alphasort)) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(sub, &st) == 0 && S_ISREG(st.st_mode))
            ran += replay_file(sub) == 0 ? 1 : 0;
        free(names[i]);
    }
    free(names);
    return ran;
}

/* Empties dir (made when missing) and writes the target's seeds there. The count, or -1. */
static int write_seeds(const char *dir)
{
    tsupport_rmtree(dir);
    if (mkdir(dir, 0755) != 0) {
        fprintf(stderr, "cannot make %s\n", dir);
        return -1;
    }
    return fuzz_seeds(dir);
}

int main(int argc, char **argv)
{
    int i, n, total = 0;
    if (argc >= 2 && strcmp(argv[1], "--write-seeds") == 0) {
        if (argc != 3 || (n = write_seeds(argv[2])) <= 0)
            return 1;
        printf("%d seeds in %s\n", n, argv[2]);
        return 0;
    }
    if (argc < 2) { /* ctest: fresh seeds into the build's folder, then replay them */
        if (mkdir(FUZZ_SEEDS_DIR, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "cannot make %s\n", FUZZ_SEEDS_DIR);
            return 1;
        }
        if ((n = write_seeds(FUZZ_SEEDS_DIR "/" FUZZ_NAME)) <= 0)
            return 1;
        return replay(FUZZ_SEEDS_DIR "/" FUZZ_NAME) == n ? (printf("replayed %d seeds\n", n), 0) : 1;
    }
    for (i = 1; i < argc; i++) {
        if ((n = replay(argv[i])) < 0)
            return 1;
        total += n;
    }
    printf("replayed %d inputs\n", total);
    return 0;
}

/* fuzz_scenario.c — fuzz target: scenario JSON through `authbench run`'s reader
 * (ab_run_scenario_parse: JSON, defaults, every field's check), then what the run does with a
 * scenario it accepted: an override, the matrix expansion, the time estimate and the plan print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "run_scenario.h"
#include "tsupport.h"

static FILE *sink;

/* Expands an accepted scenario and walks every cell as the run's plan does. */
static void use_scenario(cJSON *sc)
{
    char err[512];
    ab_res_cell *cells = NULL;
    size_t n = 0, i;
    double total = 0;
    if (ab_run_scenario_set(sc, "repetitions=1", err, sizeof err) != 0 || ab_run_scenario_check(sc, err, sizeof err) != 0)
        abort(); /* a valid override of an accepted scenario must be accepted */
    if (ab_run_matrix_expand(sc, &cells, &n, err, sizeof err) == 0) {
        for (i = 0; i < n; i++)
            total += ab_run_cell_estimate_s(&cells[i]);
        ab_run_matrix_print(sink, cells, n, total);
    }
    free(cells);
    (void)strlen(ab_run_scenario_name(sc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512], *text = fuzz_strdup(data, size);
    cJSON *sc;
    if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
        abort();
    err[0] = '\0';
    sc = ab_run_scenario_parse(text, "fuzz", err, sizeof err);
    if (sc == NULL && err[0] == '\0')
        abort(); /* a refusal always says why */
    if (sc != NULL)
        use_scenario(sc);
    cJSON_Delete(sc);
    free(text);
    return 0;
}

/* Scenarios a user may write, and near misses the reader must refuse with a message. */
static const char *const hand[] = {
    "{\"groups\":[{\"mechanisms\":\"none\"}]}",
    ("{\"name\":\"t\",\"groups\":[{\"mechanisms\":[\"jwt:ES256\",\"session:file-fsync\"],\"servers\":[1,2],"
     "\"lb\":[\"rr\",\"sticky\"],\"rate\":[0,100],\"duration\":\"1s\",\"warmup\":0}]}"),
    ("{\"defaults\":{\"users\":10},\"groups\":[{\"mechanisms\":[\"jwt+denylist:HS256,memory\"],"
     "\"mix\":{\"login\":1,\"request\":8,\"logout\":1},\"key_dist\":\"zipf:1.2\"}]}"),
    ("{\"groups\":[{\"mechanisms\":[\"session:redis\"],\"fault\":\"store-outage\",\"fault_at\":\"1s\","
     "\"store_delay\":[\"0\",\"250us\"]}],\"redis_url\":\"redis://127.0.0.1:1\"}"),
    "{\"groups\":[{\"mechanisms\":[\"jwt:XX999\"]}]}",
    "{\"groups\":[],\"micro\":false,\"store_capacity\":false}",
    "{\"groups\":[{\"mechanisms\":[\"none\"],\"servers\":1e300,\"duration\":\"-1s\"}]}", /* found: cast out of range */
    "{\"groups\":[{\"mechanisms\":[\"none\"],\"typo\":1}],\"defaults\":[]}",
    "{\"groups\":[{\"mechanisms\":[\"none\"],\"mix\":{\"request\":1}}]}", /* found: absent weight was NaN */
};

int fuzz_seeds(const char *dir)
{
    static const char *const builtin[] = {"quick", "default"};
    size_t i;
    int n = 0;
    for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (fuzz_seed_str(dir, builtin[i], n++, ab_run_scenario_builtin(builtin[i])) != 0)
            return -1;
    for (i = 0; i < sizeof hand / sizeof hand[0]; i++)
        if (fuzz_seed_str(dir, "hand", n++, hand[i]) != 0)
            return -1;
    return n;
}

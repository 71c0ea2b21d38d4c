/* rounds.c — the order of interleaved repetitions: round r runs every cell that has an r-th
 * repetition once, in an order shuffled from the run's seed and the round, so no cell's repetitions
 * run back to back and a drift of the machine (another job, a thermal limit) spreads over every
 * cell instead of landing on a few. A cell whose rate is taken from a capacity cell (sweep_of) runs
 * after that cell in a round they share. Pure: the same seed gives the same order on every machine. */
#include "run_exec.h"

#include <stdlib.h>
#include <string.h>

#include "ab_rng.h"

unsigned ab_run_rounds(const ab_res_cell *cells, size_t n)
{
    unsigned r = 0;
    size_t i;
    for (i = 0; i < n; i++)
        if (cells[i].repetitions > r)
            r = cells[i].repetitions;
    return r;
}

/* Position in order[0..len) of the capacity cell of cells[k] (by sweep_of), or len when absent. */
static size_t capacity_pos(const ab_res_cell *cells, const size_t *order, size_t len, size_t k)
{
    size_t j;
    if (cells[k].sweep_of[0] == '\0')
        return len;
    for (j = 0; j < len; j++)
        if (strcmp(cells[order[j]].id, cells[k].sweep_of) == 0)
            return j;
    return len;
}

/* Moves order[from] to position to (from < to), shifting those between one place left. */
static void move_later(size_t *order, size_t from, size_t to)
{
    size_t k = order[from];
    memmove(&order[from], &order[from + 1], (to - from) * sizeof *order);
    order[to] = k;
}

/* The generator of round r: seeded with the r-th output of the run's seed, so rounds get unrelated
 * streams (seed ^ r or seed + r would give splitmix64 streams that are shifts of each other). */
static void round_rng(ab_rng *rng, uint64_t seed, unsigned round)
{
    uint64_t s = 0;
    unsigned i;
    ab_rng_seed(rng, seed);
    for (i = 0; i < round; i++)
        s = ab_rng_next(rng);
    ab_rng_seed(rng, s);
}

size_t ab_run_round_order(const ab_res_cell *cells, size_t n, uint64_t seed, unsigned round, size_t *order)
{
    ab_rng rng;
    size_t len = 0, i;
    for (i = 0; i < n; i++)
        if (cells[i].repetitions >= round)
            order[len++] = i;
    round_rng(&rng, seed, round);
    for (i = len; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)ab_rng_below(&rng, i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    /* A dependent cell before its capacity cell moves to a random place after it. One pass: a
     * capacity cell has no capacity cell of its own, so moving a dependent never breaks another. */
    for (i = 0; i < len; i++) {
        size_t cap = capacity_pos(cells, order, len, order[i]);
        if (cap < len && cap > i) {
            move_later(order, i, cap + (size_t)ab_rng_below(&rng, len - cap));
            i--; /* order[i] is a new cell now */
        }
    }
    return len;
}

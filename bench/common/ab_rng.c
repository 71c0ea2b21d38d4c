/* ab_rng.c — splitmix64 (Steele, Lea and Flood's SplittableRandom finaliser). */
#include "ab_rng.h"

void ab_rng_seed(ab_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t ab_rng_next(ab_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double ab_rng_double(ab_rng *r)
{
    return (double)(ab_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t ab_rng_below(ab_rng *r, uint64_t n)
{
    return n ? ab_rng_next(r) % n : 0;
}

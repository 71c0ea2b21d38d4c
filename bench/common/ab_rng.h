/* ab_rng.h — the one pseudo-random generator of the benchmark (key choice, operation mix, balancer,
 * proxy jitter, store-bench's keys): splitmix64, fast, and every seed (0 included) gives a
 * full-period stream. Not for secrets: session ids come from OpenSSL. One per thread. */
#ifndef AB_RNG_H
#define AB_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A generator's whole state; copy it to fork a stream. */
typedef struct ab_rng {
    uint64_t state;
} ab_rng;

/* Starts r at seed: the same seed gives the same stream, on every machine. */
void ab_rng_seed(ab_rng *r, uint64_t seed);
/* The next 64 uniformly distributed bits. */
uint64_t ab_rng_next(ab_rng *r);
/* A uniform double in [0, 1) with 53 bits of precision. */
double ab_rng_double(ab_rng *r);
/* A uniform integer in [0, n) (n > 0; the modulo bias is below 2^-40 for n < 2^24). 0 when n is 0. */
uint64_t ab_rng_below(ab_rng *r, uint64_t n);

#ifdef __cplusplus
}
#endif

#endif /* AB_RNG_H */

/* load_lb.c — the balancer's policies: which target serves a user's next request. */
#include <string.h>

#include "load_int.h"

const char *abl_lb_name(ab_load_lb lb)
{
    return lb == AB_LOAD_LB_RR ? "rr" : lb == AB_LOAD_LB_RANDOM ? "random" : "sticky";
}

unsigned abl_lb_sticky(const char *user, size_t ntargets)
{
    /* FNV-1a of the user name: stable across runs, processes and machines (shards agree) */
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *user; user++) {
        h ^= (unsigned char)*user;
        h *= 0x100000001b3ull;
    }
    return (unsigned)(h % ntargets);
}

unsigned abl_lb_pick(const ab_load_config *cfg, const abl_user *u, unsigned *rr, ab_rng *rng)
{
    unsigned n = (unsigned)cfg->ntargets;
    if (n == 1)
        return 0;
    switch (cfg->lb) {
    case AB_LOAD_LB_STICKY:
        return u->sticky;
    case AB_LOAD_LB_RANDOM:
        return (unsigned)ab_rng_below(rng, n);
    case AB_LOAD_LB_RR:
    default:
        *rr = *rr + 1 >= n ? 0 : *rr + 1;
        return *rr;
    }
}

/* ab_proxy.h — what `authbench proxy` (the latency relay) promises its users: the most its own hop
 * may add at 0 delay. Its --help states the figure and the tests hold the relay and the run's
 * 0-delay controls to it (tests/bench/test_proxy.c, tests/run/test_run_controls.c). */
#ifndef AB_PROXY_H
#define AB_PROXY_H

/* The stated hop cost: a 0-delay proxy adds at most this to the median round trip of one
 * connection (µs). 100 µs was measured on a busy machine, where the relay's threads never sleep
 * deeply; a quiet one wakes them from idle for every chunk, +97-123 µs under ASan. */
#define AB_PROXY_HOP_COST_US 200

#endif /* AB_PROXY_H */

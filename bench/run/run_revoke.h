/* run_revoke.h — the revocation step of a repetition (revoke_cell.c): after the load, users are
 * logged out on the first server and every server probed (bench/revoke/ab_revoke.h). */
#ifndef AB_RUN_REVOKE_H
#define AB_RUN_REVOKE_H

#include "run_exec.h"

#define AB_RUN_REVOKE_SAMPLES 10       /* users logged out per repetition */
#define AB_RUN_REVOKE_INTERVAL_US 100  /* probe rounds: the figure's resolution (a few samples: cheap) */

/* Measures revocation latency on what repetition reps[k] of cell c started (e), when the cell's
 * servers can share a credential check: a jwt family, or a Redis or Redis Cluster store, and no
 * fault (a fault leaves the store broken). The figure over this and the earlier repetitions'
 * samples goes into reps[k].extra ("revocation_latency_us", "revocation_samples_us", and for
 * jwt+refresh "refresh_latency_us", "refresh_samples_us"); a
 * measurement that fails leaves "revocation_latency_us" null and says why in "revocation_note".
 * A jwt+pushed-denylist cell (a fault cell too) also gets "pushed_denylist" {heard, missed, breaks,
 * gaps, channel, sync_ms}: its subscribers' figures over the measured windows so far, and how the
 * store delivers revocations. Never fails the cell. */
void ab_run_revoke_rep(const ab_run_rep_env *e, const ab_res_cell *c, ab_res_rep *reps, unsigned k);

#endif /* AB_RUN_REVOKE_H */

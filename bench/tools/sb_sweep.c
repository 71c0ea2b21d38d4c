/* sb_sweep.c — store-bench --sweep: one sstore_sweep() mid-window on a connection of its own, as a
 * framework's periodic cleanup runs beside the requests (see sb_int.h). */
#include <errno.h>
#include <string.h>

#include "ab_cli.h"
#include "sb_int.h"

static void *sweep_main(void *arg)
{
    sb_sweeper *sw = arg;
    sstore_conn *c = sstore_connect(sw->store);
    uint64_t t0;
    if (c == NULL || sstore_conn_err(c) != SSTORE_OK) {
        sw->r->swept = -1;
        ab_err(SB_CMD, "--sweep: cannot connect: %s", c != NULL ? sstore_conn_errstr(c) : "out of memory");
        sstore_conn_free(c);
        return NULL;
    }
    atomic_store(sw->sweeping, 1);
    t0 = ab_now_us();
    sw->r->swept = sstore_sweep(c);
    sw->r->sweep_ms = (double)(ab_now_us() - t0) / 1000.0;
    atomic_store(sw->sweeping, 0);
    if (sw->r->swept < 0)
        ab_err(SB_CMD, "--sweep: %s", sstore_conn_errstr(c));
    sw->r->sweep_ran = 1;
    sstore_conn_free(c);
    return NULL;
}

void sb_sweep_maybe_start(sb_sweeper *sw, uint64_t t_measure, uint64_t now)
{
    if (sw->cfg->sweep == 0 || sw->started || t_measure == 0 || now < t_measure + sw->cfg->duration_us / 2)
        return;
    sw->started = pthread_create(&sw->tid, NULL, sweep_main, sw) == 0;
    if (!sw->started)
        ab_err(SB_CMD, "--sweep: cannot start its thread");
}

void sb_sweep_join(sb_sweeper *sw)
{
    if (sw->started && (errno = pthread_join(sw->tid, NULL)) != 0)
        ab_err(SB_CMD, "joining the sweep: %s", strerror(errno));
    sw->started = 0;
}

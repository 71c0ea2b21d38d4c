/* test_load_reached.c — the rule that says whether an open-loop run reached its target rate
 * (ab_load.h), at its edges: 95 % of the target achieved, the backlog at the end, the share of late
 * sends; closed loop has no target. Results are built in memory, as a run would leave them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "load_int.h"

/* A result of an open-loop run (rate 0: closed loop) over a 2 s window that completed `requests`,
 * every send on time. */
static ab_load_result *result(double rate, uint64_t requests)
{
    ab_load_target tg = {.name = "127.0.0.1:1"};
    ab_load_config cfg;
    ab_load_result *r;
    ab_load_config_defaults(&cfg);
    cfg.targets = &tg;
    cfg.ntargets = 1;
    cfg.rate = rate;
    cfg.duration_us = 2000000;
    assert_non_null(r = abl_result_new(&cfg));
    r->window_s = 2;
    r->stats.requests = r->stats.sent = requests;
    if (rate > 0)
        ab_hist_record_n(r->stats.lag, 50000, requests); /* 50 us late: on time */
    return r;
}

static void closed_loop_should_have_no_target(void **state)
{
    ab_load_result *r = result(0, 1000);
    (void)state;
    assert_int_equal(ab_load_result_rate_reached(r), -1);
    ab_load_result_free(r);
}

static void achieving_95_percent_of_the_target_should_reach_it_and_less_should_not(void **state)
{
    ab_load_result *r = result(1000, 1900); /* 950 req/s of 1000 */
    (void)state;
    assert_int_equal(ab_load_result_rate_reached(r), 1);
    r->stats.requests = 1898; /* 949 req/s */
    assert_int_equal(ab_load_result_rate_reached(r), 0);
    ab_load_result_free(r);
}

static void a_backlog_over_10ms_at_the_end_should_not_reach_the_target(void **state)
{
    ab_load_result *r = result(1000, 2000);
    (void)state;
    r->stats.backlog_ns = 10000000; /* exactly the bound */
    assert_int_equal(ab_load_result_rate_reached(r), 1);
    r->stats.backlog_ns = 10100000;
    assert_int_equal(ab_load_result_rate_reached(r), 0);
    ab_load_result_free(r);
}

static void more_than_5_percent_of_sends_10ms_late_should_not_reach_the_target(void **state)
{
    ab_load_result *r = result(1000, 1900);
    (void)state;
    ab_hist_record_n(r->stats.lag, 50000000, 100); /* 100 of 2000 sends 50 ms late: 5 % exactly */
    assert_int_equal(ab_load_result_rate_reached(r), 1); /* a stall it recovered from */
    ab_hist_record_n(r->stats.lag, 50000000, 2);          /* a few more: over 5 % */
    assert_int_equal(ab_load_result_rate_reached(r), 0);
    ab_load_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closed_loop_should_have_no_target),
        cmocka_unit_test(achieving_95_percent_of_the_target_should_reach_it_and_less_should_not),
        cmocka_unit_test(a_backlog_over_10ms_at_the_end_should_not_reach_the_target),
        cmocka_unit_test(more_than_5_percent_of_sends_10ms_late_should_not_reach_the_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

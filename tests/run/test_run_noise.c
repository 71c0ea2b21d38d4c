/* test_run_noise.c — the noise record's own control (bench/run/placement.c): the CPU time of the
 * run's process tree, which ab_run_other_cpu_window_frac subtracts from the machine's to leave the
 * other work. A child that spins is the run's own work (its time must show in the tree, reaped or
 * not); the fraction stays within 0..1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "run_exec.h"

#define SPIN_NS 300000000LL /* 300 ms of the child's own CPU time: 30 ticks at USER_HZ 100 */

static long long cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A child that burns SPIN_NS of CPU and exits; the parent reaps it after the second reading when
 * reap_late (a zombie still shows its time) or before it (its time is in our cutime then). */
static void check_child(int reap_late)
{
    ab_run_cpu_times a, b;
    unsigned long long hz = (unsigned long long)sysconf(_SC_CLK_TCK);
    double other;
    pid_t pid;
    int status;
    ab_run_cpu_times_read_tree(&a);
    assert_true(a.ok && a.tree_ok);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        long long t0 = cpu_ns();
        volatile unsigned long x = 0;
        while (cpu_ns() - t0 < SPIN_NS)
            x++;
        _exit(0);
    }
    if (!reap_late)
        assert_int_equal(waitpid(pid, &status, 0), pid);
    else {
        struct timespec ts = {0, 20000000};
        siginfo_t si;
        /* wait for it to exit without reaping it (WNOWAIT leaves the zombie) */
        assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
        nanosleep(&ts, NULL);
    }
    ab_run_cpu_times_read_tree(&b);
    if (reap_late)
        assert_int_equal(waitpid(pid, &status, 0), pid);
    /* The child's 300 ms are in the tree: at least 80 % of them, in clock ticks. */
    assert_true(b.tree >= a.tree + (unsigned long long)(0.8 * 0.3 * (double)hz));
    other = ab_run_other_cpu_window_frac(&a, &b);
    assert_true(other >= 0 && other <= 1);
}

static void a_reaped_child_is_the_runs_own_work(void **state)
{
    (void)state;
    check_child(0);
}

static void a_child_not_yet_reaped_is_the_runs_own_work(void **state)
{
    (void)state;
    check_child(1);
}

static void failed_readings_give_no_fraction(void **state)
{
    ab_run_cpu_times a, b;
    (void)state;
    ab_run_cpu_times_read_tree(&a);
    b = a;
    assert_true(ab_run_other_cpu_window_frac(&a, &b) < 0); /* no time passed */
    b.total += 100, b.task += 10, b.tree_ok = 0;
    assert_true(ab_run_other_cpu_window_frac(&a, &b) < 0); /* the tree was not read */
    b.tree_ok = 1;
    b.tree = a.tree + 50; /* ours counted more than the machine's task time: clamped, not negative */
    assert_true(ab_run_other_cpu_window_frac(&a, &b) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_reaped_child_is_the_runs_own_work),
        cmocka_unit_test(a_child_not_yet_reaped_is_the_runs_own_work),
        cmocka_unit_test(failed_readings_give_no_fraction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

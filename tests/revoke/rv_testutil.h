/* rv_testutil.h — what the revocation tests share: running the authbench program and reading
 * what it printed. */
#ifndef RV_TESTUTIL_H
#define RV_TESTUTIL_H

#include <stddef.h>

/* Runs `$AUTHBENCH_BIN <args>` through the shell (args formatted; add 2>&1 to keep stderr) and
 * copies its stdout into out (cap bytes, NUL-terminated). Its exit status, or -1 when it did not
 * exit. */
int rvt_run(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* RV_TESTUTIL_H */

/* rv_testutil.c — the revocation tests' shared helpers (rv_testutil.h). */
#include "rv_testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int rvt_run(char *out, size_t cap, const char *fmt, ...)
{
    char args[1024], cmd[1400];
    va_list ap;
    size_t n = 0;
    FILE *f;
    int st;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s", getenv("AUTHBENCH_BIN"), args);
    out[0] = '\0';
    if ((f = popen(cmd, "r")) == NULL)
        return -1;
    while (n + 1 < cap && fgets(out + n, (int)(cap - n), f) != NULL)
        n += strlen(out + n);
    st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

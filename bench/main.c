/* main.c — the authbench program: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct ab_command {
    const char *name;
    ab_cmd_fn fn;
    const char *summary;
} ab_command;

static const ab_command commands[] = {
    {"jwt", ab_cmd_jwt, "keygen, sign and verify JWTs with authbench's JWT library"},
    {"store-bench", ab_cmd_store_bench, "drive a session store directly: ops/s, latency, I/O per operation"},
    {"proxy", ab_cmd_proxy, "TCP relay adding a one-way delay each way (simulated network distance)"},
    {"load", ab_cmd_load, "load generator and balancer: closed/open loop, latency, errors, cost per request"},
    {"report", ab_cmd_report, "charts and the architecture decision record (report.md, report.html) of a run"},
    {"serve", ab_cmd_serve, "a simulated app server authenticating every request with one mechanism"},
    {"run", ab_cmd_run, "run a benchmark matrix end to end: stores, servers, load, results/, report"},
    {"merge", ab_cmd_merge, "combine runs made at the same time on several machines into one"},
    {"compare", ab_cmd_compare, "did a change matter? two runs cell by cell, each change with its interval"},
    {"revocation", ab_cmd_revocation, "time from a logout on one server until every server rejects the credential"},
};

/* Prints the list of subcommands. */
static void usage(void)
{
    size_t i;
    printf("usage: authbench <command> [options]   (authbench <command> --help for details)\n\n"
           "authbench measures what authenticating a request costs: server-side sessions\n"
           "(memory, Redis, files) or stateless JWTs (HS*, RS*, PS*, ES*, EdDSA).\n\ncommands:\n");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        printf("  %-12s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    size_t i;
    if (argc < 2) { /* one line, as every usage error */
        fprintf(stderr, "authbench: missing command (see 'authbench --help')\n");
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage();
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("authbench %s\n", AUTHBENCH_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "authbench: unknown command '%s' (see 'authbench --help')\n", argv[1]);
    return 2;
}

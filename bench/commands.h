/* commands.h — the authbench subcommands, one entry point each (argv[0] is the subcommand name). */
#ifndef AB_COMMANDS_H
#define AB_COMMANDS_H

/* Each returns the process exit status: 0 success, 1 failure, 2 bad usage. */
typedef int (*ab_cmd_fn)(int argc, char **argv);

int ab_cmd_jwt(int argc, char **argv);          /* tools/cmd_jwt.c */
int ab_cmd_store_bench(int argc, char **argv);  /* tools/cmd_store_bench.c */
int ab_cmd_proxy(int argc, char **argv);        /* proxy/cmd_proxy.c */
int ab_cmd_load(int argc, char **argv);         /* load/cmd_load.c */
int ab_cmd_report(int argc, char **argv);       /* report/cmd_report.c */
int ab_cmd_serve(int argc, char **argv);        /* serve/cmd_serve.c */
int ab_cmd_run(int argc, char **argv);          /* run/cmd_run.c */
int ab_cmd_merge(int argc, char **argv);        /* merge/cmd_merge.c */
int ab_cmd_compare(int argc, char **argv);      /* compare/cmd_compare.c */
int ab_cmd_revocation(int argc, char **argv);   /* revoke/cmd_revocation.c */

#endif /* AB_COMMANDS_H */

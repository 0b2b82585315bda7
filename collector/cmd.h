/*
 * cmd.h - the `ringside` program's commands as tables for the command-line
 * layer (cli/cli.h): each command's options, in the order of its enum, so
 * a handler reads vals[RUN_SECONDS] and the table and the code cannot
 * disagree about which is which. The tables are data only
 * (cmd_tables.c); the handlers are main.c's and cmd_report.c's.
 */
#ifndef RS_COLLECTOR_CMD_H
#define RS_COLLECTOR_CMD_H

#include "cli.h"

enum { RUN_WORKLOAD, RUN_OUTPUT, RUN_SECONDS, RUN_COUNT, RUN_KERNEL,
       RUN_MEMORY, RUN_SMP, RUN_RING_PAGES, RUN_DUMP, RUN_FORCE_DUMP, RUN_GDB,
       RUN_HANG, RUN_POLL, RUN_QEMU, RUN_LAG_REPORT, RUN_STORE_SYNC,
       RUN_NOPTS };
enum { COL_OUTPUT, COL_FOLLOW, COL_POLL, COL_HANG, COL_WAIT,
       COL_TRIPLE_FAULT, COL_KERNEL, COL_NOPTS };
enum { INFO_JSON, INFO_TRACE, INFO_KERNEL, INFO_NOPTS };
enum { REP_JSON, REP_BY, REP_FROM, REP_TO, REP_HISTOGRAM, REP_CPATH,
       REP_TRACE, REP_TOP, REP_NOPTS };
enum { EXP_CTF, EXP_CHROME, EXP_FXT, EXP_OUT, EXP_FROM, EXP_TO, EXP_TRACE,
       EXP_NOPTS };
enum { IMP_OUTPUT, IMP_NOPTS };

extern const struct cli_command rs_cmd_run, rs_cmd_collect, rs_cmd_info,
				rs_cmd_report, rs_cmd_export, rs_cmd_import;
/* ringside itself: every command above, for --help and the man page. */
extern const struct cli_program rs_ringside;

/* `ringside report ARGS`: argv[0] is "report". Returns the exit status. */
int rs_report_cmd(int argc, char **argv);
/* `ringside import ARGS` (cmd_import.c). Returns the exit status. */
int rs_import_cmd(int argc, char **argv);

#endif /* RS_COLLECTOR_CMD_H */

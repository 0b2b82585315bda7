/*
 * options.h - what `ringside-view` accepts, as a table for the
 * command-line layer (cli/cli.h): parsing, --help and ringside-view(1)
 * all come from it. Indices in the enum's order.
 */
#ifndef RV_OPTIONS_H
#define RV_OPTIONS_H

#include "cli.h"

enum { RV_OPT_FOLLOW, RV_OPT_RENDER, RV_OPT_FROM, RV_OPT_TO, RV_OPT_SIZE,
       RV_OPT_HIST, RV_OPT_BENCH, RV_OPT_BENCH_FOLLOW, RV_OPT_SCRIPT,
       RV_NOPTS };

extern const struct cli_command rv_cmd;
extern const struct cli_program rv_program;

#endif /* RV_OPTIONS_H */

/*
 * info.h - `ringside info`: what a trace database holds, for people
 * (text) and for scripts and tests (--json).
 */
#ifndef RS_COLLECTOR_INFO_H
#define RS_COLLECTOR_INFO_H

#include <stdint.h>
#include <stdio.h>

struct rs_summary;

/* Runs the whole command. Returns the process exit status (0 or 1). */
int rs_info(const char *db_path, int64_t trace_id, int json);

/* The two renderings, separate so tests can call them on a summary. */
void rs_info_print_text(FILE *out, const struct rs_summary *s);
void rs_info_print_json(FILE *out, const struct rs_summary *s);

#endif /* RS_COLLECTOR_INFO_H */

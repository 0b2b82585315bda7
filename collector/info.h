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
/*
 * The same, with the frames named at print time by `namer(sym, summary)`
 * (rs_sym_summary, for info --kernel) over any names the database holds.
 * A hook rather than a call, so this file and what links it (the fuzz
 * targets) need no libdw.
 */
struct rs_symbolizer;
typedef void (*rs_namer)(struct rs_symbolizer *sym, struct rs_summary *sum);
int rs_info_named(const char *db_path, int64_t trace_id, int json,
		  struct rs_symbolizer *sym, rs_namer namer);

/* The two renderings, separate so tests can call them on a summary. */
void rs_info_print_text(FILE *out, const struct rs_summary *s);
void rs_info_print_json(FILE *out, const struct rs_summary *s);

#endif /* RS_COLLECTOR_INFO_H */

/*
 * export.h - writing a trace database in the formats other tools read:
 * CTF 1.8 (babeltrace2, Trace Compass), Chrome Trace Event JSON (the
 * Perfetto UI, DevTools) and the Fuchsia trace format (the Perfetto UI,
 * eio-trace). All read through trace_read.h.
 */
#ifndef RS_EXPORT_H
#define RS_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "trace_read.h"

/* Write trace `trace_id` (0 = latest) as CTF into directory `dir`
 * (created if missing). Returns 0 and the number of events written, or -1
 * with a one-line reason. */
int rs_export_ctf(struct rs_trace_db *db, int64_t trace_id, const char *dir,
		  uint64_t *events_out, char *err, size_t errlen);

/* Write trace `trace_id` as Chrome JSON into `path`. */
int rs_export_chrome(struct rs_trace_db *db, int64_t trace_id,
		     const char *path, char *err, size_t errlen);

/* Which trace, and which part of it: events with from_ns <= ts_ns <=
 * to_ns (INT64_MIN, INT64_MAX: all of it). */
struct rs_export_opts {
	int64_t trace_id;        /* 0 = latest */
	int64_t from_ns, to_ns;
};

/* Chrome JSON of a window of the trace; the number of its events in
 * `events_out` (may be NULL). */
int rs_export_chrome_window(struct rs_trace_db *db,
			    const struct rs_export_opts *o, const char *path,
			    uint64_t *events_out, char *err, size_t errlen);

/* The Fuchsia trace format (README.md has the mapping) into `path`. */
int rs_export_fxt(struct rs_trace_db *db, const struct rs_export_opts *o,
		  const char *path, uint64_t *events_out, char *err,
		  size_t errlen);

#endif

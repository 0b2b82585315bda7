/*
 * trace_read.h - reading a ringside trace database, for everything that
 * consumes one after the fact: the exporters, the report, the viewer's
 * loader. One place knows how events are laid out in the store, so a
 * change of storage touches only trace_read.c; the trace row itself is
 * read by rs_trace_row_read (rs_db.h).
 *
 * Opens read-only (rs_db_open) and refuses, with a one-line reason, any
 * file that is not a ringside database; it never writes.
 */
#ifndef RS_TRACE_READ_H
#define RS_TRACE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "ringside_ring.h"
#include "rs_db.h"

struct rs_trace_db;

/* What the trace row says (rs_trace_row, narrowed: ncpus is within
 * 1..RS_MAX_CPUS), with the trace's totals. */
struct rs_trace_meta {
	int64_t id;
	char source[256];
	uint64_t nonce, tsc_hz, boot_tsc, boot_wall_ns, region_gpa;
	uint32_t ncpus;
	char mode[16];
	char guest_state[16];
	int has_hung_at;
	int64_t hung_at_ns;
	int has_panic;
	char panic_reason[RS_REASON_LEN + 1];
	int64_t panic_ts_ns;
	uint64_t panic_rip, panic_vector, panic_fault_addr;
	uint32_t panic_cpu;
	char panic_regs[1024];        /* JSON object text, "" if none */
	int64_t events, lost;         /* totals */
	int64_t first_ts_ns, last_ts_ns;
};

/* One stored event. `str` is valid only during the callback. */
struct rs_row {
	int64_t ts_ns;
	uint64_t seq;
	uint16_t type;
	uint16_t cpu;
	uint32_t ctx;
	uint64_t a, b, c;
	const char *str;     /* NULL if none */
};

/* One gap: `count` records lost on `cpu` between from_ns and to_ns. */
struct rs_gap {
	uint16_t cpu;
	uint64_t count;
	int64_t from_ns, to_ns;   /* -1 if unknown */
};

/* Returns NULL with a one-line reason in `err`. */
struct rs_trace_db *rs_trace_open(const char *path, char *err, size_t errlen);
void rs_trace_close(struct rs_trace_db *db);
const char *rs_trace_error(const struct rs_trace_db *db);

/* trace_id 0 = the most recently created trace. Returns 0 or -1 (no such
 * trace, or a database error; rs_trace_error says which). */
int rs_trace_meta(struct rs_trace_db *db, int64_t trace_id,
		  struct rs_trace_meta *out);

/* Row order for rs_trace_events. */
enum rs_order {
	RS_ORDER_TIME,       /* by time, then cpu, then seq */
	RS_ORDER_CPU_TIME,   /* by cpu, then time, then seq */
};

typedef int (*rs_row_cb)(void *opaque, const struct rs_row *row);
typedef int (*rs_gap_cb)(void *opaque, const struct rs_gap *gap);

/* Deliver every event of the trace in `order` (optionally only those with
 * from_ns <= ts_ns <= to_ns; pass INT64_MIN/INT64_MAX for all). A non-zero
 * callback result stops and is returned; -1 on a database error. */
int rs_trace_events(struct rs_trace_db *db, int64_t trace_id,
		    enum rs_order order, int64_t from_ns, int64_t to_ns,
		    rs_row_cb cb, void *opaque);

/* Deliver every gap, by cpu then time. */
int rs_trace_gaps(struct rs_trace_db *db, int64_t trace_id, rs_gap_cb cb,
		  void *opaque);

/* Deliver every loss of unknown size (table lost_unknown: an imported
 * file's losses nobody counted), count 0, by id; nothing for a database
 * without the table. */
int rs_trace_unknown_gaps(struct rs_trace_db *db, int64_t trace_id,
			  rs_gap_cb cb, void *opaque);

/* For tools that need their own queries (the report). */
struct sqlite3 *rs_trace_sqlite(struct rs_trace_db *db);

#endif /* RS_TRACE_READ_H */

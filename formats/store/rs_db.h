/*
 * rs_db.h - opening a ringside trace database, and reading its trace row:
 * the one place that says how every tool gets at a store.
 *
 * The collector (writer), info, report, export and the viewer (readers)
 * all open a store with rs_db_open, so they share one policy: the path is
 * looked at before SQLite may open it (a FIFO or a foreign file never
 * reaches SQLite), read-only or read-write, one busy timeout per mode,
 * the `events` module registered, and the "is this our database" check.
 * The trace row (table trace) is read only by rs_trace_row_read.
 */
#ifndef RS_DB_H
#define RS_DB_H

#include <stddef.h>
#include <stdint.h>

#include "ringside_ring.h"

struct sqlite3;

/* The store's identity: PRAGMA application_id "RSDB" and the schema
 * version this build writes and reads (formats/store/schema.sql). */
#define RS_DB_APP_ID  0x52534442
#define RS_DB_VERSION 2

/* rs_db_open's flags: RS_DB_READ or RS_DB_WRITE, plus options. */
#define RS_DB_READ    0u  /* read-only; the file must exist and be ours */
#define RS_DB_WRITE   1u  /* read-write; made if absent or empty; one
			   * writer at a time (an exclusive flock) */
#define RS_DB_NOMUTEX 2u  /* the connection is used by one thread only */

/* How long a connection waits for another's lock before SQLITE_BUSY. A
 * reader gives up sooner: it is a person waiting (info, the viewer). */
#define RS_DB_BUSY_READ_MS  2000
#define RS_DB_BUSY_WRITE_MS 5000

/* rs_db_open's results: each names the step that refused, every one with
 * a one-line reason "<path>: ..." in err. Nothing was written to the file
 * in any failure. */
#define RS_DB_OK       0
#define RS_DB_EOPEN  (-1)  /* SQLite could not open it, another collector
			    * writes it, or out of memory */
#define RS_DB_EPATH  (-2)  /* refused before SQLite saw it (rs_db_precheck):
			    * missing (reading), not a regular file, not
			    * SQLite */
#define RS_DB_ECHECK (-3)  /* SQLite, but refused by rs_db_check: not ours,
			    * another schema version, or locked past the busy
			    * timeout */

/*
 * Open the store at `path` with `flags` into *db. RS_DB_WRITE needs
 * `lock_fd` (it receives the descriptor holding the writer's flock, to be
 * given back to rs_db_close); readers pass NULL. A new store (RS_DB_WRITE
 * on an absent or empty file) is left empty for the caller to give a
 * schema, and *created is set to 1 when `created` is not NULL. Returns
 * one of RS_DB_* above; on failure *db is NULL.
 */
int rs_db_open(const char *path, unsigned flags, struct sqlite3 **db,
	       int *lock_fd, int *created, char *err, size_t errlen);
/* Close what rs_db_open opened (either may be NULL / -1): the flock is
 * dropped only after SQLite has let go of the file. */
void rs_db_close(struct sqlite3 *db, int lock_fd);

/*
 * Is `db` a ringside trace database this build can read? Checks, in this
 * order, the application id, the schema version and the tables every
 * reader needs, and says which failed in one line ("<path>: ..."). Only
 * reads. rs_db_open asks it; so does anything holding a connection it
 * did not open that way. Returns 0 or -1.
 */
int rs_db_check(struct sqlite3 *db, const char *path, char *err,
		size_t errlen);

/*
 * The look at a database path before SQLite may open it (rs_db_open's
 * first step). It never blocks (rs_file.h: a FIFO, a socket, a device or
 * a directory is refused at once), and refuses a file that does not start
 * with SQLite's magic, so a foreign file never reaches SQLite. Returns 0
 * (starts like SQLite), 1 (absent or empty, only if `may_create`: a new
 * store may be made there), or -1 with a one-line reason "<path>: ..." in
 * err.
 */
int rs_db_precheck(const char *path, int may_create, char *err,
		   size_t errlen);

/*
 * One row of table trace, as stored. Text columns are "" when NULL, and
 * numbers 0; the has_* flags say which nullable ones were set. Columns a
 * version 2 file made before them lacks read as NULL. Nothing here is
 * bounded: the file may come from anywhere, callers clamp what they use
 * as a size or an index.
 */
struct rs_trace_row {
	int64_t id;
	char source[256];
	uint64_t nonce, region_gpa, region_size;
	int64_t ncpus;
	char mode[16];
	uint64_t tsc_hz, boot_tsc, boot_wall_ns;
	char tsc_source[16], tick_method[16];
	int64_t tick_hz, timer_hz;
	char guest_state[16];
	char state_why[200];
	int has_hung_at;
	int64_t hung_at_ns;
	int has_stall;              /* stalled_threads set */
	int64_t stalled_at_ns, stalled_threads;
	int has_stuck;              /* stuck_cpu set (guest_state stuck-cpu) */
	int64_t stuck_cpu;
	int has_stuck_at;
	int64_t stuck_at_ns;
	int has_panic;              /* panic_reason set */
	char panic_reason[RS_REASON_LEN + 1];
	int has_panic_vector, has_panic_rip;
	int64_t panic_cpu, panic_depth, panic_ts_ns;
	uint64_t panic_vector, panic_error_code, panic_fault_addr, panic_rip;
	/* JSON text, as long as the collector writes it at most (a longer,
	 * foreign one is cut, and no longer parses as JSON). */
	char panic_regs[RS_REG_COUNT * 48 + 8];          /* object */
	char panic_backtrace[RS_BACKTRACE_MAX * 24 + 8]; /* array */
	int64_t collected_at;
};

/* rs_trace_row_read's results besides 0. */
#define RS_DB_NO_TRACE 1    /* no such trace (or, for 0, none at all) */

/*
 * Read trace `trace_id` (0 = the most recently created) into *out.
 * Returns 0, RS_DB_NO_TRACE (err untouched: each tool words it), or -1 on
 * a database error with the reason in err.
 */
int rs_trace_row_read(struct sqlite3 *db, int64_t trace_id,
		      struct rs_trace_row *out, char *err, size_t errlen);

/*
 * The threads a deadlock holds: those whose last scheduling event
 * (THREAD_BLOCK, WAKE, YIELD, EXIT, or a SWITCH to them) is a block, with
 * what they wait on; for a promise, its label. Events lost to the ring
 * can hide a thread: the list is what the stored trace shows. `info` and
 * `report` both list them from here.
 */
struct rs_blocked_thread {
	int64_t tid;
	char name[32];
	char reason[12];          /* promise, sleep, event, join, ? */
	uint64_t object;          /* promise id, tid joined, ... */
	int has_label;
	char label[64];           /* the promise's label */
};
#define RS_BLOCKED_MAX 16

/* Fills out[0 .. *n - 1] (at most RS_BLOCKED_MAX, by tid) for trace
 * `trace_id` (not 0). Returns 0, or -1 (sqlite3_errmsg says why). */
int rs_db_blocked_threads(struct sqlite3 *db, int64_t trace_id,
			  struct rs_blocked_thread out[RS_BLOCKED_MAX], int *n);

#endif /* RS_DB_H */

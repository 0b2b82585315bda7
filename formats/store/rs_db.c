/*
 * rs_db.c - opening a trace database and reading its trace row, for
 * every tool (see rs_db.h).
 *
 * The database may come from anywhere: a user can hand us any file. So
 * the path is looked at before SQLite opens it, its markers are checked
 * before any table is read, a file that is not already ours is never
 * written, and every value read back is treated as data.
 */
#include "rs_db.h"

#include <assert.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "rs_file.h"
#include "sql_events.h"

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int ok = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
		 sqlite3_step(s) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

static int has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *s;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE"
			       " type = 'table' AND name = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

int rs_db_precheck(const char *path, int may_create, char *err,
		   size_t errlen)
{
	static const char sqlite_magic[16] = "SQLite format 3";
	char hdr[sizeof(sqlite_magic)];
	struct stat st;
	int fd = rs_open_regular(path, &st, err, errlen);

	if (fd < 0)
		return fd == -1 && errno == ENOENT && may_create ? 1 : -1;
	if (st.st_size == 0) {
		close(fd);
		if (may_create)
			return 1;
		snprintf(err, errlen, "%s: empty file, not a ringside database",
			 path);
		return -1;
	}
	ssize_t n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, sqlite_magic, sizeof(sqlite_magic)) != 0) {
		snprintf(err, errlen, "%s: not a ringside database (not a SQLite"
			 " file)", path);
		return -1;
	}
	return 0;
}

int rs_db_check(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	static const char *const need[] = { "trace", "chunks", "lost",
					    "trace_cpu", "promises", "threads" };
	int64_t app = 0, version = 0;

	if (pragma_int(db, "PRAGMA application_id", &app) != 0 ||
	    pragma_int(db, "PRAGMA user_version", &version) != 0) {
		/* Locked is not foreign: a writer (a collector creating the
		 * store) held it for longer than the caller's busy timeout. */
		if ((sqlite3_errcode(db) & 0xff) == SQLITE_BUSY)
			snprintf(err, errlen, "%s: database is busy (locked by"
				 " another process, e.g. a collector writing"
				 " it); try again", path);
		else
			snprintf(err, errlen, "%s: not a SQLite database (%s)",
				 path, sqlite3_errmsg(db));
		return -1;
	}
	if (app != RS_DB_APP_ID) {
		snprintf(err, errlen, "%s: not a ringside trace database "
			 "(application_id 0x%llx, expected 0x%x)", path,
			 (unsigned long long)(uint32_t)app, RS_DB_APP_ID);
		return -1;
	}
	/* Version 0 was never written by a ringside: let the tables say
	 * what is missing. Any other version is a ringside of another age. */
	if (version != 0 && version != RS_DB_VERSION) {
		snprintf(err, errlen, "%s: written by %s ringside (schema "
			 "version %lld; this one reads %d)", path,
			 version > RS_DB_VERSION ? "a newer" : "an older",
			 (long long)version, RS_DB_VERSION);
		return -1;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!has_table(db, need[i])) {
			snprintf(err, errlen, "%s: not a ringside trace database"
				 " (no table '%s')", path, need[i]);
			return -1;
		}
	if (version != RS_DB_VERSION) {
		snprintf(err, errlen, "%s: ringside tables without a schema "
			 "version", path);
		return -1;
	}
	return 0;
}

/*
 * One collector per database. Two would both append the same records (a
 * UNIQUE failure for one of them, or worse), and the second used to see
 * the first's schema transaction as "not a SQLite database". The writer
 * holds an exclusive flock(2) on the file for as long as the store is
 * open; readers (info, report, the viewer) take none and read on. flock
 * is independent of SQLite's own fcntl locks, and the descriptor stays
 * open until after sqlite3_close (rs_db_close), so closing it cannot drop
 * them.
 */
static int lock_writer(const char *path, int *lock_fd, char *err,
		       size_t errlen)
{
	struct stat sb;

	*lock_fd = rs_open_regular(path, &sb, err, errlen);
	if (*lock_fd < 0) {
		*lock_fd = -1;
		return -1;
	}
	if (flock(*lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			snprintf(err, errlen, "%s: database is busy: another"
				 " ringside collector is writing it", path);
		else
			snprintf(err, errlen, "%s: lock: %s", path,
				 strerror(errno));
		return -1;
	}
	return 0;
}

int rs_db_open(const char *path, unsigned flags, sqlite3 **db, int *lock_fd,
	       int *created, char *err, size_t errlen)
{
	const int writable = (flags & RS_DB_WRITE) != 0;

	assert(path && db && err && errlen > 0);
	assert(!(flags & ~(RS_DB_WRITE | RS_DB_NOMUTEX)));
	/* A writer must keep its lock; a reader takes none. */
	assert(writable == (lock_fd != NULL));
	*db = NULL;
	if (lock_fd)
		*lock_fd = -1;
	if (created)
		*created = 0;
	int pc = rs_db_precheck(path, writable, err, errlen);
	if (pc < 0)
		return RS_DB_EPATH;
	/* Read-only, and no creation when reading: a missing file is an
	 * error, not a new empty database. */
	int oflags = SQLITE_OPEN_READONLY;
	if (writable)
		oflags = SQLITE_OPEN_READWRITE | (pc == 1 ? SQLITE_OPEN_CREATE : 0);
	if (flags & RS_DB_NOMUTEX)
		oflags |= SQLITE_OPEN_NOMUTEX;
	int rc = RS_DB_EOPEN;
	if (sqlite3_open_v2(path, db, oflags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 *db ? sqlite3_errmsg(*db) : "out of memory");
		goto fail;
	}
	/* SQLite has created a missing file by now: lock it before any
	 * look inside, so a second collector learns it is second. */
	if (writable && lock_writer(path, lock_fd, err, errlen) != 0)
		goto fail;
	sqlite3_busy_timeout(*db, writable ? RS_DB_BUSY_WRITE_MS
					   : RS_DB_BUSY_READ_MS);
	if (writable)
		sqlite3_extended_result_codes(*db, 1);
	/* The `events` virtual table (and the views over it) need this. */
	if (rs_sql_register(*db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(*db));
		goto fail;
	}
	if (pc == 0 && rs_db_check(*db, path, err, errlen) != 0) {
		rc = RS_DB_ECHECK;
		goto fail;
	}
	if (created)
		*created = pc == 1;
	return RS_DB_OK;
fail:
	rs_db_close(*db, lock_fd ? *lock_fd : -1);
	*db = NULL;
	if (lock_fd)
		*lock_fd = -1;
	return rc;
}

void rs_db_close(sqlite3 *db, int lock_fd)
{
	sqlite3_close(db);
	if (lock_fd >= 0)
		close(lock_fd);  /* after sqlite3_close: see lock_writer */
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	snprintf(dst, len, "%s", v ? (const char *)v : "");
}

static int has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *s;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1)"
			       " WHERE name = ?2", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* The trace row's columns, in the order rs_trace_row_read reads them.
 * Those marked late came to version 2 after its first files: a file
 * without them is read with NULL in their place. */
static const struct {
	const char *name;
	int late;
} trace_col[] = {
	{ "id", 0 }, { "source", 0 }, { "nonce", 0 }, { "region_gpa", 0 },
	{ "region_size", 0 }, { "ncpus", 0 }, { "mode", 0 }, { "tsc_hz", 0 },
	{ "boot_tsc", 0 }, { "boot_wall_ns", 0 }, { "tsc_source", 1 },
	{ "tick_method", 1 }, { "tick_hz", 1 }, { "timer_hz", 1 },
	{ "guest_state", 0 }, { "state_why", 1 }, { "hung_at_ns", 0 },
	{ "stalled_at_ns", 1 }, { "stalled_threads", 1 },
	{ "panic_reason", 0 }, { "panic_cpu", 0 }, { "panic_vector", 0 },
	{ "panic_error_code", 0 }, { "panic_fault_addr", 0 },
	{ "panic_rip", 0 }, { "panic_ts_ns", 0 }, { "panic_depth", 0 },
	{ "panic_regs", 0 }, { "panic_backtrace", 0 }, { "collected_at", 0 },
	{ "stuck_cpu", 1 }, { "stuck_at_ns", 1 },
};
#define TRACE_NCOLS (sizeof(trace_col) / sizeof(trace_col[0]))

static int64_t col_i64(sqlite3_stmt *s, int col)
{
	return sqlite3_column_int64(s, col);
}

static uint64_t col_u64(sqlite3_stmt *s, int col)
{
	return (uint64_t)sqlite3_column_int64(s, col);
}

static int col_set(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) != SQLITE_NULL;
}

/* Column numbers follow trace_col. */
static void fill_row(sqlite3_stmt *s, struct rs_trace_row *r)
{
	r->id = col_i64(s, 0);
	copy_text(r->source, sizeof(r->source), s, 1);
	r->nonce = col_u64(s, 2);
	r->region_gpa = col_u64(s, 3);
	r->region_size = col_u64(s, 4);
	r->ncpus = col_i64(s, 5);
	copy_text(r->mode, sizeof(r->mode), s, 6);
	r->tsc_hz = col_u64(s, 7);
	r->boot_tsc = col_u64(s, 8);
	r->boot_wall_ns = col_u64(s, 9);
	copy_text(r->tsc_source, sizeof(r->tsc_source), s, 10);
	copy_text(r->tick_method, sizeof(r->tick_method), s, 11);
	r->tick_hz = col_i64(s, 12);
	r->timer_hz = col_i64(s, 13);
	copy_text(r->guest_state, sizeof(r->guest_state), s, 14);
	copy_text(r->state_why, sizeof(r->state_why), s, 15);
	r->has_hung_at = col_set(s, 16);
	r->hung_at_ns = col_i64(s, 16);
	r->stalled_at_ns = col_i64(s, 17);
	r->has_stall = col_set(s, 18);
	r->stalled_threads = col_i64(s, 18);
	r->has_panic = col_set(s, 19);
	copy_text(r->panic_reason, sizeof(r->panic_reason), s, 19);
	r->panic_cpu = col_i64(s, 20);
	r->has_panic_vector = col_set(s, 21);
	r->panic_vector = col_u64(s, 21);
	r->panic_error_code = col_u64(s, 22);
	r->panic_fault_addr = col_u64(s, 23);
	r->has_panic_rip = col_set(s, 24);
	r->panic_rip = col_u64(s, 24);
	r->panic_ts_ns = col_i64(s, 25);
	r->panic_depth = col_i64(s, 26);
	copy_text(r->panic_regs, sizeof(r->panic_regs), s, 27);
	copy_text(r->panic_backtrace, sizeof(r->panic_backtrace), s, 28);
	r->collected_at = col_i64(s, 29);
	r->has_stuck = col_set(s, 30);
	r->stuck_cpu = col_i64(s, 30);
	r->has_stuck_at = col_set(s, 31);
	r->stuck_at_ns = col_i64(s, 31);
}

int rs_trace_row_read(sqlite3 *db, int64_t trace_id, struct rs_trace_row *out,
		      char *err, size_t errlen)
{
	char sql[1024];
	size_t at = 0;
	sqlite3_stmt *s;

	assert(db && out && err);
	memset(out, 0, sizeof(*out));
	at += (size_t)snprintf(sql, sizeof(sql), "SELECT");
	for (size_t i = 0; i < TRACE_NCOLS; i++) {
		const char *name = trace_col[i].late &&
			!has_column(db, "trace", trace_col[i].name) ? "NULL"
			: trace_col[i].name;
		at += (size_t)snprintf(sql + at, sizeof(sql) - at, "%s %s",
				       i ? "," : "", name);
		assert(at < sizeof(sql));
	}
	snprintf(sql + at, sizeof(sql) - at, " FROM trace WHERE id = ?1 OR"
		 " (?1 = 0 AND id = (SELECT max(id) FROM trace))");
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "reading the trace: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(s, 1, trace_id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		fill_row(s, out);
	else if (rc != SQLITE_DONE)
		snprintf(err, errlen, "reading the trace: %s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? RS_DB_NO_TRACE : -1;
}

int rs_db_blocked_threads(sqlite3 *db, int64_t trace_id,
			  struct rs_blocked_thread out[RS_BLOCKED_MAX], int *n)
{
	static const char *const reasons[] = { "?", "promise", "sleep",
					       "event", "join" };
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(db,
		  "WITH changes AS ("
		  "  SELECT CASE type WHEN 4 THEN b ELSE a END AS tid, type,"
		  "         b AS reason, c AS object,"
		  "         row_number() OVER (PARTITION BY"
		  "           CASE type WHEN 4 THEN b ELSE a END"
		  "           ORDER BY ts_ns DESC, seq DESC) AS newest"
		  "  FROM events WHERE trace_id = ?1 AND type IN (3, 4, 5, 6, 7))"
		  " SELECT c.tid, t.name, c.reason, c.object, p.label"
		  " FROM changes c"
		  " LEFT JOIN threads t ON t.trace_id = ?1 AND t.tid = c.tid"
		  " LEFT JOIN promises p ON c.reason = 1 AND p.trace_id = ?1"
		  "   AND p.id = c.object"
		  " WHERE c.newest = 1 AND c.type = 5 ORDER BY c.tid",
		  -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, trace_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < RS_BLOCKED_MAX) {
		struct rs_blocked_thread *b = &out[(*n)++];
		int64_t why = sqlite3_column_int64(s, 2);
		b->tid = sqlite3_column_int64(s, 0);
		copy_text(b->name, sizeof(b->name), s, 1);
		snprintf(b->reason, sizeof(b->reason), "%s",
			 why > 0 && why <= RS_BLOCK_JOIN ? reasons[why] : "?");
		b->object = (uint64_t)sqlite3_column_int64(s, 3);
		b->has_label = sqlite3_column_type(s, 4) != SQLITE_NULL;
		copy_text(b->label, sizeof(b->label), s, 4);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

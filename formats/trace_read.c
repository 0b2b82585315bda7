/*
 * trace_read.c - the read side of the trace store (see trace_read.h).
 *
 * The database may come from anywhere: a user can hand us any file. So it
 * is opened read-only, its markers are checked before any table is read,
 * and every value read back is treated as data, never trusted as a size.
 */
#include "trace_read.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RS_APP_ID 0x52534442  /* "RSDB"; schema.sql sets it */
#define RS_SCHEMA_VERSION 1

struct rs_trace_db {
	sqlite3 *db;
	char err[256];
};

static int fail(struct rs_trace_db *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return -1;
}

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

struct rs_trace_db *rs_trace_open(const char *path, char *err, size_t errlen)
{
	struct rs_trace_db *t = calloc(1, sizeof(*t));
	int64_t app = 0, version = 0;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Read-only, and no creation: a missing file is an error, not a new
	 * empty database. */
	if (sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 t->db ? sqlite3_errmsg(t->db) : "out of memory");
		rs_trace_close(t);
		return NULL;
	}
	sqlite3_busy_timeout(t->db, 2000);
	if (pragma_int(t->db, "PRAGMA application_id", &app) != 0) {
		snprintf(err, errlen, "%s: not a SQLite database", path);
		rs_trace_close(t);
		return NULL;
	}
	if (app != RS_APP_ID) {
		snprintf(err, errlen, "%s: not a ringside trace (application_id "
			 "0x%llx)", path, (unsigned long long)app);
		rs_trace_close(t);
		return NULL;
	}
	if (pragma_int(t->db, "PRAGMA user_version", &version) != 0 ||
	    version < 1 || version > RS_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: ringside schema version %lld, this "
			 "tool reads %d", path, (long long)version,
			 RS_SCHEMA_VERSION);
		rs_trace_close(t);
		return NULL;
	}
	return t;
}

void rs_trace_close(struct rs_trace_db *t)
{
	if (!t)
		return;
	sqlite3_close(t->db);
	free(t);
}

const char *rs_trace_error(const struct rs_trace_db *t)
{
	return t->err;
}

struct sqlite3 *rs_trace_sqlite(struct rs_trace_db *t)
{
	return t->db;
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	snprintf(dst, len, "%s", v ? (const char *)v : "");
}

int rs_trace_meta(struct rs_trace_db *t, int64_t trace_id,
		  struct rs_trace_meta *m)
{
	static const char sql[] =
		"SELECT id, source, nonce, tsc_hz, coalesce(boot_wall_ns, 0),"
		" region_gpa, ncpus, mode, guest_state, hung_at_ns,"
		" panic_reason, coalesce(panic_ts_ns, 0), coalesce(panic_rip, 0),"
		" coalesce(panic_vector, 0), coalesce(panic_fault_addr, 0),"
		" coalesce(panic_cpu, 0), coalesce(panic_regs, ''),"
		" (SELECT count(*) FROM events WHERE trace_id = trace.id),"
		" (SELECT coalesce(sum(count), 0) FROM lost"
		"  WHERE trace_id = trace.id),"
		" (SELECT coalesce(min(ts_ns), 0) FROM events"
		"  WHERE trace_id = trace.id),"
		" (SELECT coalesce(max(ts_ns), 0) FROM events"
		"  WHERE trace_id = trace.id)"
		" FROM trace WHERE id = ?1 OR (?1 = 0 AND id = (SELECT max(id)"
		" FROM trace))";
	sqlite3_stmt *s;

	memset(m, 0, sizeof(*m));
	if (sqlite3_prepare_v2(t->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(t, "reading the trace: %s", sqlite3_errmsg(t->db));
	sqlite3_bind_int64(s, 1, trace_id);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return fail(t, "no trace %lld in the database",
				    (long long)trace_id);
		return fail(t, "reading the trace: %s", sqlite3_errmsg(t->db));
	}
	m->id = sqlite3_column_int64(s, 0);
	copy_text(m->source, sizeof(m->source), s, 1);
	m->nonce = (uint64_t)sqlite3_column_int64(s, 2);
	m->tsc_hz = (uint64_t)sqlite3_column_int64(s, 3);
	m->boot_wall_ns = (uint64_t)sqlite3_column_int64(s, 4);
	m->region_gpa = (uint64_t)sqlite3_column_int64(s, 5);
	int64_t ncpus = sqlite3_column_int64(s, 6);
	m->ncpus = ncpus > 0 && ncpus <= RS_MAX_CPUS ? (uint32_t)ncpus : 1;
	copy_text(m->mode, sizeof(m->mode), s, 7);
	copy_text(m->guest_state, sizeof(m->guest_state), s, 8);
	m->has_hung_at = sqlite3_column_type(s, 9) != SQLITE_NULL;
	m->hung_at_ns = sqlite3_column_int64(s, 9);
	m->has_panic = sqlite3_column_type(s, 10) != SQLITE_NULL;
	copy_text(m->panic_reason, sizeof(m->panic_reason), s, 10);
	m->panic_ts_ns = sqlite3_column_int64(s, 11);
	m->panic_rip = (uint64_t)sqlite3_column_int64(s, 12);
	m->panic_vector = (uint64_t)sqlite3_column_int64(s, 13);
	m->panic_fault_addr = (uint64_t)sqlite3_column_int64(s, 14);
	m->panic_cpu = (uint32_t)sqlite3_column_int64(s, 15);
	copy_text(m->panic_regs, sizeof(m->panic_regs), s, 16);
	m->events = sqlite3_column_int64(s, 17);
	m->lost = sqlite3_column_int64(s, 18);
	m->first_ts_ns = sqlite3_column_int64(s, 19);
	m->last_ts_ns = sqlite3_column_int64(s, 20);
	sqlite3_finalize(s);
	return 0;
}

int rs_trace_events(struct rs_trace_db *t, int64_t trace_id,
		    enum rs_order order, int64_t from_ns, int64_t to_ns,
		    rs_row_cb cb, void *opaque)
{
	static const char *const sql[] = {
		[RS_ORDER_TIME] =
			"SELECT ts_ns, seq, type, cpu, ctx, a, b, c, str FROM events"
			" WHERE trace_id = ?1 AND ts_ns BETWEEN ?2 AND ?3"
			" ORDER BY ts_ns, cpu, seq",
		[RS_ORDER_CPU_TIME] =
			"SELECT ts_ns, seq, type, cpu, ctx, a, b, c, str FROM events"
			" WHERE trace_id = ?1 AND ts_ns BETWEEN ?2 AND ?3"
			" ORDER BY cpu, ts_ns, seq",
	};
	sqlite3_stmt *s;
	int rc, result = 0;

	if (sqlite3_prepare_v2(t->db, sql[order], -1, &s, NULL) != SQLITE_OK)
		return fail(t, "reading events: %s", sqlite3_errmsg(t->db));
	sqlite3_bind_int64(s, 1, trace_id);
	sqlite3_bind_int64(s, 2, from_ns);
	sqlite3_bind_int64(s, 3, to_ns);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct rs_row r = {
			.ts_ns = sqlite3_column_int64(s, 0),
			.seq = (uint64_t)sqlite3_column_int64(s, 1),
			.type = (uint16_t)sqlite3_column_int64(s, 2),
			.cpu = (uint16_t)sqlite3_column_int64(s, 3),
			.ctx = (uint32_t)sqlite3_column_int64(s, 4),
			.a = (uint64_t)sqlite3_column_int64(s, 5),
			.b = (uint64_t)sqlite3_column_int64(s, 6),
			.c = (uint64_t)sqlite3_column_int64(s, 7),
			.str = (const char *)sqlite3_column_text(s, 8),
		};
		result = cb(opaque, &r);
		if (result)
			break;
	}
	if (!result && rc != SQLITE_DONE)
		result = fail(t, "reading events: %s", sqlite3_errmsg(t->db));
	sqlite3_finalize(s);
	return result;
}

int rs_trace_gaps(struct rs_trace_db *t, int64_t trace_id, rs_gap_cb cb,
		  void *opaque)
{
	static const char sql[] =
		"SELECT cpu, count, coalesce(from_ns, -1), coalesce(to_ns, -1)"
		" FROM lost WHERE trace_id = ?1 AND count > 0"
		" ORDER BY cpu, from_ns, id";
	sqlite3_stmt *s;
	int rc, result = 0;

	if (sqlite3_prepare_v2(t->db, sql, -1, &s, NULL) != SQLITE_OK)
		return fail(t, "reading losses: %s", sqlite3_errmsg(t->db));
	sqlite3_bind_int64(s, 1, trace_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct rs_gap g = {
			.cpu = (uint16_t)sqlite3_column_int64(s, 0),
			.count = (uint64_t)sqlite3_column_int64(s, 1),
			.from_ns = sqlite3_column_int64(s, 2),
			.to_ns = sqlite3_column_int64(s, 3),
		};
		result = cb(opaque, &g);
		if (result)
			break;
	}
	if (!result && rc != SQLITE_DONE)
		result = fail(t, "reading losses: %s", sqlite3_errmsg(t->db));
	sqlite3_finalize(s);
	return result;
}

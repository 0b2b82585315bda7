/*
 * store.c - opening the trace database and keeping its per-trace rows
 * (trace, trace_cpu, event_types). Event ingest is in store_ingest.c,
 * summaries in store_summary.c.
 *
 * The rule that shapes open: a file that is not already ours is never
 * written. rs_db_open (formats/store/rs_db.c) looks at the raw bytes before
 * SQLite touches the file, and asks SQLite for the application id before
 * any write; only then does setup_writable give it our schema.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rs_db.h"
#include "store_internal.h"

int rs_store_fail(struct rs_store *st, const char *what)
{
	snprintf(st->err, sizeof(st->err), "%s: %s", what,
		 st->db ? sqlite3_errmsg(st->db) : "no database");
	return -1;
}

const char *rs_store_error(const struct rs_store *st)
{
	return st->err;
}

static int exec(struct rs_store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "%s: %s", what,
			 msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int fill_event_types(struct rs_store *st)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO event_types (id, name) VALUES (?, ?)",
			       -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "event_types");
	for (int t = 0; t < RS_EV_TYPE_LIMIT; t++) {
		if (rs_event_nargs((uint16_t)t) < 0)
			continue;
		sqlite3_bind_int(s, 1, t);
		sqlite3_bind_text(s, 2, rs_event_name((uint16_t)t), -1,
				  SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return rs_store_fail(st, "event_types");
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return 0;
}

int rs_store_has_column(struct rs_store *st, const char *table,
			const char *column)
{
	sqlite3_stmt *s;
	int found = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM pragma_table_info(?1)"
			       " WHERE name = ?2", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* The checks' widenings, in the order they came: each lets `table`'s
 * check allow `name`, by replacing `from` (which every stored CREATE
 * that lacks `name` holds, whatever the line breaks around it) by `to`. */
static const struct {
	const char *table, *name, *from, *to;
} check_widening[] = {
	{ "trace", "'deadlocked'", "'hung',", "'hung', 'deadlocked'," },
	{ "trace", "'stuck-cpu'", "'deadlocked',", "'deadlocked', 'stuck-cpu'," },
	{ "frames", "'cpu_rip'", "kind = 'vcpu_rip')",
	  "kind = 'vcpu_rip' OR kind = 'cpu_rip')" },
};

/* SQL text of `s` with its quotes doubled, for a literal. */
static void sql_quote(char *out, size_t n, const char *s)
{
	size_t at = 0;

	for (; *s && at + 2 < n; s++) {
		out[at++] = *s;
		if (*s == '\'')
			out[at++] = '\'';
	}
	out[at] = '\0';
}

/* Does the stored CREATE of `table` already allow `name` (quoted)? 1, 0,
 * or -1. */
static int check_allows(struct rs_store *st, const char *table,
			const char *name)
{
	char sql[200], quoted[40];
	int64_t at = 0;

	sql_quote(quoted, sizeof(quoted), name);
	snprintf(sql, sizeof(sql), "SELECT instr(sql, '%s') FROM sqlite_master"
		 " WHERE type = 'table' AND name = '%s'", quoted, table);
	if (rs_store_scalar(st, sql, 0, &at) != 0)
		return -1;
	return at != 0;
}

/* Widen check_widening[i], editing the stored CREATE statement; see
 * upgrade_trace_table. */
static int widen_check(struct rs_store *st, size_t i)
{
	const char *what = "upgrading the schema";
	int64_t version = 0;
	char sql[400], from[80], to[120];

	if (rs_store_scalar(st, "PRAGMA schema_version", 0, &version) != 0)
		return -1;
	if (exec(st, "PRAGMA writable_schema = ON", what) != 0)
		return -1;
	sql_quote(from, sizeof(from), check_widening[i].from);
	sql_quote(to, sizeof(to), check_widening[i].to);
	snprintf(sql, sizeof(sql), "UPDATE sqlite_master SET sql = replace(sql,"
		 " '%s', '%s') WHERE type = 'table' AND name = '%s'", from, to,
		 check_widening[i].table);
	int rc = exec(st, sql, what);
	/* A new schema version makes every connection re-read the CREATE. */
	snprintf(sql, sizeof(sql), "PRAGMA schema_version = %lld",
		 (long long)version + 1);
	if (rc == 0)
		rc = exec(st, sql, what);
	if (exec(st, "PRAGMA writable_schema = OFF", what) != 0)
		rc = -1;
	if (rc == 0 && check_allows(st, check_widening[i].table,
				    check_widening[i].name) != 1) {
		snprintf(st->err, sizeof(st->err), "%s: the check of table %s is"
			 " not one this ringside knows", what,
			 check_widening[i].table);
		rc = -1;
	}
	return rc;
}

/*
 * Version 2 grew without a bump (as vcpu_regs did): the verdicts
 * 'deadlocked' and 'stuck-cpu', the columns that explain verdicts, how
 * the guest calibrated its clocks, and the frames kind 'cpu_rip'. A file
 * made before them gets the columns, and its CHECKs are widened in place:
 * SQLite cannot ALTER a CHECK, and editing the stored CREATE through
 * writable_schema is the way its documentation gives for loosening one
 * (every stored row already satisfies the wider list). Runs inside the schema transaction.
 */
static int upgrade_trace_table(struct rs_store *st)
{
	static const char *const column[][2] = {
		{ "state_why", "TEXT" }, { "stalled_at_ns", "INTEGER" },
		{ "stalled_threads", "INTEGER" }, { "tsc_source", "TEXT" },
		{ "tick_method", "TEXT" }, { "tick_hz", "INTEGER" },
		{ "timer_hz", "INTEGER" }, { "stuck_cpu", "INTEGER" },
		{ "stuck_at_ns", "INTEGER" },
	};
	const char *what = "upgrading the trace table";
	char sql[200];

	for (size_t i = 0; i < sizeof(column) / sizeof(column[0]); i++) {
		if (rs_store_has_column(st, "trace", column[i][0]))
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE trace ADD COLUMN %s %s",
			 column[i][0], column[i][1]);
		if (exec(st, sql, what) != 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(check_widening) / sizeof(check_widening[0]);
	     i++) {
		int allowed = check_allows(st, check_widening[i].table,
					   check_widening[i].name);
		if (allowed < 0)
			return -1;
		if (!allowed && widen_check(st, i) != 0)
			return -1;
	}
	return 0;
}

/* Every view of schema.sql holds this in its CREATE; change both
 * together. */
#define RS_VIEWS_MARK "ringside views 3"

/*
 * The views are code, not data: a database written by an older ringside
 * keeps the views it was given (CREATE VIEW IF NOT EXISTS leaves them).
 * Drop each of ours whose CREATE lacks this ringside's mark, before the
 * schema runs, so the schema creates it anew (a view of the user's own,
 * under another name, is left alone). Readers open read-only and see
 * what the last collect left. Runs inside the schema transaction.
 */
static int refresh_views(struct rs_store *st)
{
	static const char *const ours[] = {
		"thread_run", "sched", "thread", "counter_track",
		"thread_track", "track", "counter", "slice", "flow",
		"thread_state",
	};
	char sql[200];

	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		int64_t stale = 0;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master"
			 " WHERE type = 'view' AND name = '%s' AND"
			 " instr(sql, '" RS_VIEWS_MARK "') = 0", ours[i]);
		if (rs_store_scalar(st, sql, 0, &stale) != 0)
			return -1;
		snprintf(sql, sizeof(sql), "DROP VIEW %s", ours[i]);
		if (stale && exec(st, sql, "refreshing the views") != 0)
			return -1;
	}
	return 0;
}

/*
 * Writable setup. The schema (which sets the application id) runs before
 * WAL is switched on, so the id is in the main file from the first
 * moment: a later open that looks at raw bytes always recognises it.
 */
static int setup_writable(struct rs_store *st)
{
	if (exec(st, "BEGIN", "schema") != 0)
		return -1;
	if (refresh_views(st) != 0 || exec(st, rs_schema_sql, "schema") != 0 ||
	    upgrade_trace_table(st) != 0 ||
	    fill_event_types(st) != 0 || exec(st, "COMMIT", "schema") != 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (exec(st, "PRAGMA journal_mode=WAL", "journal") != 0 ||
	    exec(st, "PRAGMA synchronous=NORMAL", "journal") != 0 ||
	    exec(st, "PRAGMA cache_size=-65536", "cache") != 0)
		return -1;
	return rs_store_prepare_ingest(st);
}

struct rs_store *rs_store_open(const char *path, int writable, char *err,
			       size_t errlen)
{
	struct rs_store *st = calloc(1, sizeof(*st));

	assert(path && err);
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	st->writable = writable;
	st->lock_fd = -1;
	/* The policy (one writer, busy timeouts, the "is this ours" check
	 * before anything is written) is rs_db_open's. */
	/* A writable store is used by one thread at a time, the session's
	 * or the spool's writer, handed over under the spool's mutex: SQLite
	 * need not lock every call (a few % of ingest). */
	int rc = rs_db_open(path, writable ? RS_DB_WRITE | RS_DB_NOMUTEX
					   : RS_DB_READ, &st->db,
			    writable ? &st->lock_fd : NULL, NULL, err, errlen);
	/* What collect would write into is exactly what info, report and
	 * the viewer will open; a file they refuse is not touched. */
	if ((rc == RS_DB_EPATH && writable) || rc == RS_DB_ECHECK) {
		if (strlen(err) + 24 < errlen)
			strcat(err, "; refusing to touch it");
	}
	if (rc != RS_DB_OK) {
		free(st);
		return NULL;
	}
	if (writable && setup_writable(st) != 0) {
		snprintf(err, errlen, "%s: %s", path, st->err);
		rs_store_finalize_ingest(st);
		rs_db_close(st->db, st->lock_fd);
		free(st);
		return NULL;
	}
	return st;
}

void rs_store_close(struct rs_store *st)
{
	if (!st)
		return;
	if (st->in_txn)
		rs_store_rollback(st);
	rs_store_finalize_ingest(st);
	rs_db_close(st->db, st->lock_fd);
	free(st);
}

int rs_store_begin(struct rs_store *st)
{
	assert(st->writable && !st->in_txn);
	if (exec(st, "BEGIN", "begin") != 0)
		return -1;
	st->in_txn = 1;
	if (rs_store_ingest_begin(st) != 0) {
		rs_store_rollback(st);
		return -1;
	}
	return 0;
}

int rs_store_commit(struct rs_store *st)
{
	assert(st->in_txn);
	if (rs_store_ingest_flush(st) != 0) {
		rs_store_rollback(st);
		return -1;
	}
	st->in_txn = 0;
	if (exec(st, "COMMIT", "commit") != 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		rs_store_ingest_reset(st);
		return -1;
	}
	return 0;
}

void rs_store_rollback(struct rs_store *st)
{
	if (st->in_txn)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = 0;
	rs_store_ingest_reset(st);
}

static int64_t now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int load_resume(struct rs_store *st, const struct rs_layout *l,
		       struct rs_reader_cpu resume[RS_MAX_CPUS])
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT cpu, data_size, pos, seen, dropped_seen, last_tsc,"
			       " accepted, lost, rejected FROM trace_cpu WHERE trace_id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "trace_cpu");
	sqlite3_bind_int64(s, 1, st->trace_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t cpu = sqlite3_column_int64(s, 0);
		/* A row that does not fit this layout (a database edited by
		 * hand, or a header that changed size) is not resumed from:
		 * reading from the start again is safe, dedup drops repeats. */
		if (cpu < 0 || cpu >= l->ncpus ||
		    (uint64_t)sqlite3_column_int64(s, 1) != l->cpu[cpu].data_size)
			continue;
		struct rs_reader_cpu *c = &resume[cpu];
		c->pos = (uint64_t)sqlite3_column_int64(s, 2);
		c->seen = (uint64_t)sqlite3_column_int64(s, 3);
		c->dropped_seen = (uint64_t)sqlite3_column_int64(s, 4);
		c->last_tsc = (uint64_t)sqlite3_column_int64(s, 5);
		c->stats.accepted = (uint64_t)sqlite3_column_int64(s, 6);
		c->stats.lost = (uint64_t)sqlite3_column_int64(s, 7);
		c->stats.rejected = (uint64_t)sqlite3_column_int64(s, 8);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : rs_store_fail(st, "trace_cpu");
}

/* The header's clock calibration fields into parameters first..first+3;
 * 0 in the header ("unknown") becomes NULL. */
static void bind_clock_info(sqlite3_stmt *s, int first, const struct rs_layout *l)
{
	if (l->tsc_source)
		sqlite3_bind_text(s, first, rs_clock_source_name(l->tsc_source), -1,
				  SQLITE_STATIC);
	if (l->tick_method)
		sqlite3_bind_text(s, first + 1, rs_tick_method_name(l->tick_method),
				  -1, SQLITE_STATIC);
	if (l->tick_hz)
		sqlite3_bind_int64(s, first + 2, l->tick_hz);
	if (l->timer_hz)
		sqlite3_bind_int64(s, first + 3, rs_i64(l->timer_hz));
}

int rs_store_trace_begin(struct rs_store *st, const char *source,
			 const struct rs_layout *l,
			 struct rs_reader_cpu resume[RS_MAX_CPUS], int *resumed)
{
	sqlite3_stmt *s;
	int rc;

	assert(st->writable && !st->in_txn);
	memset(resume, 0, sizeof(resume[0]) * RS_MAX_CPUS);
	st->layout = *l;
	st->trace_id = 0;
	*resumed = 0;
	rs_store_ingest_reset(st);

	/* One statement creates or refreshes the row; the layout of a boot
	 * never changes, so overwriting it with the same values is fine. */
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO trace (source, nonce, region_gpa, region_size,"
			       " ncpus, mode, tsc_hz, boot_tsc, boot_wall_ns, collected_at,"
			       " tsc_source, tick_method, tick_hz, timer_hz)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
			       " ?11, ?12, ?13, ?14)"
			       " ON CONFLICT (nonce, region_gpa) DO UPDATE SET"
			       " source = ?1, collected_at = ?10"
			       " RETURNING id, guest_state",
			       -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "trace");
	sqlite3_bind_text(s, 1, source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, rs_i64(l->nonce));
	sqlite3_bind_int64(s, 3, rs_i64(l->region_gpa));
	sqlite3_bind_int64(s, 4, rs_i64(l->region_size));
	sqlite3_bind_int64(s, 5, l->ncpus);
	sqlite3_bind_text(s, 6, l->mode == RS_MODE_DISCARD ? "discard" : "overwrite",
			  -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, rs_i64(l->tsc_hz));
	sqlite3_bind_int64(s, 8, rs_i64(l->boot_tsc));
	if (l->boot_wall_ns)
		sqlite3_bind_int64(s, 9, rs_i64(l->boot_wall_ns));
	else
		sqlite3_bind_null(s, 9);
	sqlite3_bind_int64(s, 10, now_unix_ns());
	bind_clock_info(s, 11, l);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		st->trace_id = sqlite3_column_int64(s, 0);
		snprintf(st->state, sizeof(st->state), "%s",
			 (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return rs_store_fail(st, "trace");

	/* Existing per-CPU rows mean an earlier collect saw this boot. */
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM trace_cpu WHERE trace_id = ?",
			       -1, &q, NULL) != SQLITE_OK)
		return rs_store_fail(st, "trace_cpu");
	sqlite3_bind_int64(q, 1, st->trace_id);
	if (sqlite3_step(q) == SQLITE_ROW)
		*resumed = sqlite3_column_int64(q, 0) > 0;
	sqlite3_finalize(q);
	return *resumed ? load_resume(st, l, resume) : 0;
}

int rs_store_save_reader(struct rs_store *st, const struct rs_reader *r)
{
	sqlite3_stmt *s;

	assert(st->trace_id != 0);
	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO trace_cpu (trace_id, cpu, data_size,"
			       " pos, seen, dropped_seen, last_tsc, accepted, lost, rejected)"
			       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "trace_cpu");
	for (uint32_t i = 0; i < r->layout.ncpus; i++) {
		const struct rs_reader_cpu *c = &r->cpu[i];
		sqlite3_bind_int64(s, 1, st->trace_id);
		sqlite3_bind_int64(s, 2, i);
		sqlite3_bind_int64(s, 3, rs_i64(r->layout.cpu[i].data_size));
		sqlite3_bind_int64(s, 4, rs_i64(c->pos));
		sqlite3_bind_int64(s, 5, rs_i64(c->seen));
		sqlite3_bind_int64(s, 6, rs_i64(c->dropped_seen));
		sqlite3_bind_int64(s, 7, rs_i64(c->last_tsc));
		sqlite3_bind_int64(s, 8, rs_i64(c->stats.accepted));
		sqlite3_bind_int64(s, 9, rs_i64(c->stats.lost));
		sqlite3_bind_int64(s, 10, rs_i64(c->stats.rejected));
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return rs_store_fail(st, "trace_cpu");
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return 0;
}

const char *rs_store_trace_state(struct rs_store *st)
{
	return st->state;
}

static void json_hex_array(char *out, size_t outlen, const uint64_t *v,
			   unsigned n)
{
	size_t at = 0;

	at += (size_t)snprintf(out + at, outlen - at, "[");
	for (unsigned i = 0; i < n && at < outlen; i++)
		at += (size_t)snprintf(out + at, outlen - at, "%s\"0x%llx\"",
				       i ? ", " : "", (unsigned long long)v[i]);
	if (at < outlen)
		snprintf(out + at, outlen - at, "]");
}

static void json_regs(char *out, size_t outlen, const uint64_t *regs)
{
	size_t at = 0;

	at += (size_t)snprintf(out + at, outlen - at, "{");
	for (unsigned i = 0; i < RS_REG_COUNT && at < outlen; i++)
		at += (size_t)snprintf(out + at, outlen - at, "%s\"%s\": \"0x%llx\"",
				       i ? ", " : "", rs_reg_name(i),
				       (unsigned long long)regs[i]);
	if (at < outlen)
		snprintf(out + at, outlen - at, "}");
}

static int save_panic(struct rs_store *st, const struct rs_panic *p)
{
	char regs[RS_REG_COUNT * 48 + 8], bt[RS_BACKTRACE_MAX * 24 + 8];
	char reason[RS_REASON_LEN + 1];
	sqlite3_stmt *s;
	unsigned btn = p->backtrace_len < RS_BACKTRACE_MAX ? p->backtrace_len
							   : RS_BACKTRACE_MAX;

	memcpy(reason, p->reason, RS_REASON_LEN);
	reason[RS_REASON_LEN] = '\0';
	json_regs(regs, sizeof(regs), p->regs);
	json_hex_array(bt, sizeof(bt), p->backtrace, btn);
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE trace SET panic_reason = ?, panic_cpu = ?,"
			       " panic_vector = ?, panic_error_code = ?, panic_fault_addr = ?,"
			       " panic_rip = ?, panic_ts_ns = ?, panic_depth = ?,"
			       " panic_regs = ?, panic_backtrace = ? WHERE id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "panic");
	sqlite3_bind_text(s, 1, reason, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, p->cpu);
	sqlite3_bind_int64(s, 3, p->vector);
	sqlite3_bind_int64(s, 4, rs_i64(p->error_code));
	sqlite3_bind_int64(s, 5, rs_i64(p->fault_addr));
	sqlite3_bind_int64(s, 6, rs_i64(p->regs[RS_REG_RIP]));
	sqlite3_bind_int64(s, 7, rs_i64(rs_tsc_to_ns(&st->layout, p->tsc)));
	sqlite3_bind_int64(s, 8, p->depth);
	sqlite3_bind_text(s, 9, regs, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 10, bt, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 11, st->trace_id);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : rs_store_fail(st, "panic");
}

/* The panic_cpus.state of a register slot's state; NULL for NONE or a
 * value the contract does not define (no row: its registers mean
 * nothing we know). */
static const char *cpu_regs_state_name(uint32_t state)
{
	switch (state) {
	case RS_CPU_REGS_STOPPED: return "stopped";
	case RS_CPU_REGS_NO_ANSWER: return "no answer";
	case RS_CPU_REGS_PANICKED: return "panicked";
	default: return NULL;
	}
}

/* Every CPU's registers the panic path recorded (table panic_cpus). Each
 * poll sees them again; a slot that reads the same gives the same row. */
static int save_panic_cpus(struct rs_store *st, const struct rs_status *s)
{
	sqlite3_stmt *q = NULL;
	char regs[RS_REG_COUNT * 48 + 8];

	for (uint32_t i = 0; i < st->layout.ncpus && i < RS_MAX_CPUS; i++) {
		const struct rs_cpu_regs *r = &s->cpu_regs[i];
		const char *state = cpu_regs_state_name(r->state);
		if (!state)
			continue;
		if (!q && sqlite3_prepare_v2(st->db,
				"INSERT OR REPLACE INTO panic_cpus (trace_id, cpu,"
				" state, ts_ns, regs) VALUES (?, ?, ?, ?, ?)",
				-1, &q, NULL) != SQLITE_OK)
			return rs_store_fail(st, "panic_cpus");
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		sqlite3_bind_int64(q, 1, st->trace_id);
		sqlite3_bind_int64(q, 2, i);
		sqlite3_bind_text(q, 3, state, -1, SQLITE_STATIC);
		/* rs_tsc_to_ns gives 0 for a tsc before boot: unknown */
		uint64_t ns = rs_tsc_to_ns(&st->layout, r->tsc);
		if (ns)
			sqlite3_bind_int64(q, 4, rs_i64(ns));
		/* a CPU that did not answer left no registers */
		if (r->state != RS_CPU_REGS_NO_ANSWER) {
			json_regs(regs, sizeof(regs), r->regs);
			sqlite3_bind_text(q, 5, regs, -1, SQLITE_TRANSIENT);
		}
		if (sqlite3_step(q) != SQLITE_DONE) {
			rs_store_fail(st, "panic_cpus");
			sqlite3_finalize(q);
			return -1;
		}
	}
	sqlite3_finalize(q);
	return 0;
}

/*
 * "hung" and "deadlocked" are verdicts the collector reached by watching,
 * and a host-seen crash (triple fault, store_host.c) one it reached from
 * QEMU; the header still says running. A later look that cannot tell
 * (running, or unknown: one image) keeps any of them while the heartbeat
 * is where it was when we decided, so a snapshot (say, of a dump of the
 * same boot) does not undo it. Every column below reads the old row.
 */
#define KEEP_VERDICT \
	"(guest_state IN ('hung', 'deadlocked', 'stuck-cpu', 'crashed')" \
	" AND ?1 IN ('running', 'unknown') AND heartbeat_ticks IS ?2)"

int rs_store_set_status(struct rs_store *st, const struct rs_status *s,
			const struct rs_verdict *v)
{
	sqlite3_stmt *q;
	const int deadlocked = strcmp(v->state, RS_GS_DEADLOCKED) == 0;

	assert(st->trace_id != 0);
	assert(!deadlocked || s->stall_threads != 0);
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE trace SET"
			       " guest_state = CASE WHEN " KEEP_VERDICT
			       "   THEN guest_state ELSE ?1 END,"
			       " state_why = CASE WHEN " KEEP_VERDICT
			       "   THEN state_why ELSE ?5 END,"
			       " hung_at_ns = CASE WHEN ?1 = 'hung' THEN ?3"
			       "   WHEN " KEEP_VERDICT " THEN hung_at_ns ELSE NULL END,"
			       " stalled_at_ns = CASE WHEN ?1 = 'deadlocked' THEN ?6"
			       "   WHEN " KEEP_VERDICT " THEN stalled_at_ns ELSE NULL END,"
			       " stalled_threads = CASE WHEN ?1 = 'deadlocked' THEN ?7"
			       "   WHEN " KEEP_VERDICT " THEN stalled_threads ELSE NULL END,"
			       " stuck_cpu = CASE WHEN ?1 = 'stuck-cpu' THEN ?8"
			       "   WHEN " KEEP_VERDICT " THEN stuck_cpu ELSE NULL END,"
			       " stuck_at_ns = CASE WHEN ?1 = 'stuck-cpu' THEN ?9"
			       "   WHEN " KEEP_VERDICT " THEN stuck_at_ns ELSE NULL END,"
			       " heartbeat_ticks = ?2"
			       " WHERE id = ?4 RETURNING guest_state",
			       -1, &q, NULL) != SQLITE_OK)
		return rs_store_fail(st, "state");
	sqlite3_bind_text(q, 1, v->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, rs_i64(s->heartbeat_ticks));
	if (strcmp(v->state, RS_GS_HUNG) == 0 && v->hung_at_ns != UINT64_MAX)
		sqlite3_bind_int64(q, 3, rs_i64(v->hung_at_ns));
	else
		sqlite3_bind_null(q, 3);
	sqlite3_bind_int64(q, 4, st->trace_id);
	if (v->why)
		sqlite3_bind_text(q, 5, v->why, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 5);
	if (deadlocked) {
		sqlite3_bind_int64(q, 6, rs_i64(rs_tsc_to_ns(&st->layout,
							     s->stall_tsc)));
		sqlite3_bind_int64(q, 7, rs_i64(s->stall_threads));
	}
	if (strcmp(v->state, RS_GS_STUCK_CPU) == 0) {
		sqlite3_bind_int64(q, 8, v->stuck_cpu);
		if (v->stuck_at_ns != UINT64_MAX)
			sqlite3_bind_int64(q, 9, rs_i64(v->stuck_at_ns));
	}
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		snprintf(st->state, sizeof(st->state), "%s",
			 (const char *)sqlite3_column_text(q, 0));
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return rs_store_fail(st, "state");
	if (s->panic_valid && save_panic(st, &s->panic) != 0)
		return -1;
	return save_panic_cpus(st, s);
}

/*
 * store_summary.c - the numbers `ringside info` prints, computed with SQL
 * from the tables so they describe what is in the database (possibly
 * merged from several collects), not what one collect saw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_db.h"
#include "store_internal.h"

static int query(struct rs_store *st, sqlite3_stmt **s, const char *sql,
		 int64_t trace_id)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "query");
	if (sqlite3_bind_parameter_count(*s) > 0)
		sqlite3_bind_int64(*s, 1, trace_id);
	return 0;
}

int rs_store_scalar(struct rs_store *st, const char *sql, int64_t trace_id,
		    int64_t *out)
{
	sqlite3_stmt *s;

	if (query(st, &s, sql, trace_id) != 0)
		return -1;
	int rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
						     : rs_store_fail(st, "query");
}

static void copy_text(char *dst, size_t n, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* The trace row (the one reader of it, rs_trace_row_read), into the
 * summary: identity, verdict and why, the stall, the clocks' calibration
 * (unknown in a version 2 file from before those columns) and the panic
 * record's scalars. */
static int trace_row(struct rs_store *st, int64_t trace_id,
		     struct rs_trace_row *row, struct rs_summary *o)
{
	int rc = rs_trace_row_read(st->db, trace_id, row, st->err,
				   sizeof(st->err));

	if (rc == RS_DB_NO_TRACE) {
		if (trace_id)
			snprintf(st->err, sizeof(st->err), "no trace %lld in this database",
				 (long long)trace_id);
		else
			snprintf(st->err, sizeof(st->err), "the database holds no trace");
		return -1;
	}
	if (rc != 0)
		return -1;
	o->trace_id = row->id;
	snprintf(o->source, sizeof(o->source), "%s", row->source);
	o->nonce = row->nonce;
	o->region_gpa = row->region_gpa;
	o->region_size = row->region_size;
	o->ncpus = row->ncpus;
	snprintf(o->mode, sizeof(o->mode), "%s", row->mode);
	o->tsc_hz = row->tsc_hz;
	o->boot_wall_ns = row->boot_wall_ns;
	snprintf(o->guest_state, sizeof(o->guest_state), "%s", row->guest_state);
	o->has_hung_at = row->has_hung_at;
	o->hung_at_ns = row->hung_at_ns;
	o->collected_at = row->collected_at;
	o->has_panic = row->has_panic;
	memcpy(o->panic_reason, row->panic_reason, sizeof(o->panic_reason));
	o->panic_rip = row->panic_rip;
	o->panic_vector = row->panic_vector;
	o->panic_error_code = row->panic_error_code;
	o->panic_fault_addr = row->panic_fault_addr;
	o->has_vector = row->has_panic_vector;
	o->has_rip = row->has_panic_rip;
	o->panic_cpu = row->panic_cpu;
	o->panic_depth = row->panic_depth;
	snprintf(o->state_why, sizeof(o->state_why), "%s", row->state_why);
	o->has_stall = row->has_stall;
	o->stalled_at_ns = row->stalled_at_ns;
	o->stalled_threads = row->stalled_threads;
	o->has_stuck = row->has_stuck;
	o->stuck_cpu = row->stuck_cpu;
	o->stuck_at_ns = row->has_stuck_at ? row->stuck_at_ns : -1;
	snprintf(o->tsc_source, sizeof(o->tsc_source), "%s", row->tsc_source);
	snprintf(o->tick_method, sizeof(o->tick_method), "%s", row->tick_method);
	o->tick_hz = row->tick_hz;
	o->timer_hz = row->timer_hz;
	return 0;
}

static int by_type(struct rs_store *st, struct rs_summary *o)
{
	sqlite3_stmt *s;

	if (query(st, &s,
		  "SELECT coalesce(t.name, 'type_' || c.type), c.count"
		  " FROM type_counts c LEFT JOIN event_types t ON t.id = c.type"
		  " WHERE c.trace_id = ?1 AND c.count > 0 ORDER BY c.type",
		  o->trace_id) != 0)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	       o->nby_type < (int)RS_EV_TYPE_LIMIT) {
		struct rs_type_count *t = &o->by_type[o->nby_type++];
		copy_text(t->name, sizeof(t->name), s, 0);
		t->count = sqlite3_column_int64(s, 1);
		o->events += t->count;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rs_store_fail(st, "events");
}

static int promise_states(struct rs_store *st, struct rs_summary *o)
{
	static const char *const names[4] = { "pending", "resolved", "failed",
					       "cancelled" };
	sqlite3_stmt *s;

	if (query(st, &s, "SELECT state, count(*) FROM promises WHERE trace_id = ?1"
		  " GROUP BY state", o->trace_id) != 0)
		return -1;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		for (int i = 0; i < 4; i++)
			if (name && strcmp(name, names[i]) == 0)
				o->promises_by_state[i] = sqlite3_column_int64(s, 1);
		o->promises += sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : rs_store_fail(st, "promises");
}

static int time_range(struct rs_store *st, struct rs_summary *o)
{
	sqlite3_stmt *s;

	if (query(st, &s, "SELECT min(min_ns), max(max_ns) FROM chunks"
		  " WHERE trace_id = ?1", o->trace_id) != 0)
		return -1;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		o->has_ts = 1;
		o->first_ts_ns = sqlite3_column_int64(s, 0);
		o->last_ts_ns = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rs_store_fail(st, "events");
}

/* A JSON column of the trace row as json_each's argument: the row reader
 * gives "" for NULL (a host verdict, a triple fault, stores no registers),
 * and json_each("") is malformed where json_each(NULL) is no rows. */
static void bind_json(sqlite3_stmt *s, const char *text)
{
	if (text[0])
		sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 1);
}

/* The trace row's JSON columns are ours; SQLite's json_each reads them
 * back. */
static int panic_detail(struct rs_store *st, const struct rs_trace_row *r,
			struct rs_summary *o)
{
	sqlite3_stmt *s;
	int rc;

	if (query(st, &s, "SELECT j.key, j.value FROM json_each(?1) j", 0) != 0)
		return -1;
	bind_json(s, r->panic_regs);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && o->npanic_regs < RS_REG_COUNT) {
		copy_text(o->panic_regs[o->npanic_regs][0], 24, s, 0);
		copy_text(o->panic_regs[o->npanic_regs][1], 24, s, 1);
		o->npanic_regs++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return rs_store_fail(st, "panic_regs");

	if (query(st, &s, "SELECT j.value FROM json_each(?1) j", 0) != 0)
		return -1;
	bind_json(s, r->panic_backtrace);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
	       o->nbacktrace < (int)RS_BACKTRACE_MAX) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		o->backtrace[o->nbacktrace++] = v ? strtoull(v, NULL, 0) : 0;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0
						     : rs_store_fail(st, "panic_backtrace");
}

/* vCPU registers the host saw. A database from before the table existed
 * (opened read-only, so never upgraded) simply has none. */
static int vcpu_regs(struct rs_store *st, struct rs_summary *o)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT v.cpu, v.origin, j.key, j.value FROM vcpu_regs v,"
			       " json_each(v.regs) j WHERE v.trace_id = ?1 ORDER BY v.cpu",
			       -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, o->trace_id);
	int64_t cur = -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t cpu = sqlite3_column_int64(s, 0);
		if (cpu != cur) {
			if (o->nvcpu >= (int)RS_MAX_CPUS)
				break;
			cur = cpu;
			o->vcpu[o->nvcpu].cpu = (unsigned)cpu;
			copy_text(o->vcpu_origin[o->nvcpu], sizeof(o->vcpu_origin[0]), s, 1);
			o->nvcpu++;
		}
		const char *name = (const char *)sqlite3_column_text(s, 2);
		const char *v = (const char *)sqlite3_column_text(s, 3);
		rs_vcpu_regs_add(&o->vcpu[o->nvcpu - 1], name ? name : "?",
				 v ? strtoull(v, NULL, 0) : 0);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rs_store_fail(st, "vcpu_regs");
}

/* Every CPU's registers from the guest's panic path (panic_cpus). A
 * database from before the table existed (opened read-only) has none. */
static int panic_cpus(struct rs_store *st, struct rs_summary *o)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT p.cpu, p.state, p.ts_ns, j.key, j.value"
			       " FROM panic_cpus p LEFT JOIN json_each(p.regs) j"
			       " WHERE p.trace_id = ?1 ORDER BY p.cpu",
			       -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, o->trace_id);
	int64_t cur = -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t cpu = sqlite3_column_int64(s, 0);
		if (cpu < 0 || cpu >= (int64_t)RS_MAX_CPUS)
			continue;
		if (cpu != cur) {
			if (o->npanic_cpus >= (int)RS_MAX_CPUS)
				break;
			cur = cpu;
			struct rs_panic_cpu *p = &o->panic_cpus[o->npanic_cpus++];
			p->regs.cpu = (unsigned)cpu;
			copy_text(p->state, sizeof(p->state), s, 1);
			p->ts_ns = sqlite3_column_type(s, 2) == SQLITE_NULL ? -1
				   : sqlite3_column_int64(s, 2);
		}
		const char *name = (const char *)sqlite3_column_text(s, 3);
		const char *v = (const char *)sqlite3_column_text(s, 4);
		if (name)
			rs_vcpu_regs_add(&o->panic_cpus[o->npanic_cpus - 1].regs,
					 name, v ? strtoull(v, NULL, 0) : 0);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0
						     : rs_store_fail(st, "panic_cpus");
}

/* The clocks' disagreement the collect measured (cpu_skew). A database
 * from before the table existed (opened read-only) has none. */
static int cpu_skew(struct rs_store *st, struct rs_summary *o)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT cpu, from_cpu, pairs, min_gap_ns"
			       " FROM cpu_skew WHERE trace_id = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, o->trace_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t cpu = sqlite3_column_int64(s, 0);
		int64_t gap = sqlite3_column_int64(s, 3);
		o->skew_pairs += sqlite3_column_int64(s, 2);
		if (cpu < 0 || cpu >= (int64_t)RS_MAX_CPUS || gap >= 0 ||
		    gap == INT64_MIN || -gap <= o->behind[cpu].ns)
			continue;
		o->behind[cpu].ns = -gap;
		o->behind[cpu].of_cpu = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : rs_store_fail(st, "cpu_skew");
}

/* Each CPU's records (trace_cpu): that every CPU did work shows here. */
static int per_cpu(struct rs_store *st, struct rs_summary *o)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT cpu, accepted, lost FROM trace_cpu"
			       " WHERE trace_id = ?1 ORDER BY cpu", -1, &s,
			       NULL) != SQLITE_OK)
		return rs_store_fail(st, "trace_cpu");
	sqlite3_bind_int64(s, 1, o->trace_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && o->nper_cpu < (int)RS_MAX_CPUS) {
		struct rs_cpu_count *c = &o->per_cpu[o->nper_cpu++];
		c->cpu = sqlite3_column_int64(s, 0);
		c->accepted = sqlite3_column_int64(s, 1);
		c->lost = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : rs_store_fail(st, "trace_cpu");
}

/* The name a frames row gives, if its address is still the one the trace
 * holds there (a later collect may have replaced the panic record). */
static struct rs_sym_name *frame_slot(struct rs_summary *o, const char *kind,
				      int64_t idx, uint64_t addr)
{
	if (strcmp(kind, "panic_rip") == 0)
		return o->has_rip && addr == o->panic_rip ? &o->panic_rip_name : NULL;
	if (strcmp(kind, "backtrace") == 0)
		return idx >= 0 && idx < o->nbacktrace && o->backtrace[idx] == addr
			       ? &o->backtrace_name[idx] : NULL;
	if (strcmp(kind, "cpu_rip") == 0) {
		for (int i = 0; i < o->npanic_cpus; i++) {
			uint64_t rip;
			if (o->panic_cpus[i].regs.cpu == idx &&
			    rs_vcpu_regs_get(&o->panic_cpus[i].regs, "rip", &rip) == 0 &&
			    rip == addr)
				return &o->panic_cpu_rip_name[i];
		}
		return NULL;
	}
	for (int i = 0; i < o->nvcpu; i++) {
		uint64_t rip;
		if (o->vcpu[i].cpu == idx &&
		    rs_vcpu_regs_get(&o->vcpu[i], "rip", &rip) == 0 && rip == addr)
			return &o->vcpu_rip_name[i];
	}
	return NULL;
}

/* Names stored by run or collect --kernel. A database from before the
 * table existed (opened read-only, never upgraded) has none. */
static int frame_names(struct rs_store *st, struct rs_summary *o)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db,
			       "SELECT kind, idx, addr, function, file, line FROM frames"
			       " WHERE trace_id = ?1", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(s, 1, o->trace_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 0);
		struct rs_sym_name *n = frame_slot(o, kind ? kind : "",
						   sqlite3_column_int64(s, 1),
						   (uint64_t)sqlite3_column_int64(s, 2));
		if (!n)
			continue;
		n->tried = 1;
		copy_text(n->function, sizeof(n->function), s, 3);
		copy_text(n->file, sizeof(n->file), s, 4);
		int64_t line = sqlite3_column_int64(s, 5);
		n->line = n->file[0] && line > 0 && line <= 0x7fffffff ? (int)line : 0;
		if (!n->line)
			n->file[0] = '\0';
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : rs_store_fail(st, "frames");
}

/* The threads a deadlock holds (rs_db_blocked_threads). */
static int blocked_threads(struct rs_store *st, struct rs_summary *o)
{
	if (rs_db_blocked_threads(st->db, o->trace_id, o->blocked,
				  &o->nblocked) != 0)
		return rs_store_fail(st, "events");
	return 0;
}

/* Losses of unknown size, where the database has the table (older
 * version 2 files do not). */
static int lost_unknown(struct rs_store *st, struct rs_summary *o)
{
	if (!rs_store_has_column(st, "lost_unknown", "what"))
		return 0;
	if (rs_store_scalar(st, "SELECT count(*) FROM lost_unknown WHERE"
			    " trace_id = ?1", o->trace_id, &o->lost_unknown) != 0)
		return -1;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "SELECT what FROM lost_unknown WHERE"
			       " trace_id = ?1 ORDER BY id LIMIT 1", -1, &q,
			       NULL) != SQLITE_OK)
		return rs_store_fail(st, "lost_unknown");
	sqlite3_bind_int64(q, 1, o->trace_id);
	if (sqlite3_step(q) == SQLITE_ROW)
		snprintf(o->lost_unknown_what, sizeof(o->lost_unknown_what),
			 "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return 0;
}

int rs_store_summary(struct rs_store *st, int64_t trace_id,
		     struct rs_summary *o)
{
	struct rs_trace_row row;

	memset(o, 0, sizeof(*o));
	if (trace_row(st, trace_id, &row, o) != 0 ||
	    rs_store_scalar(st, "SELECT count(*) FROM trace", 0, &o->ntraces) != 0 ||
	    by_type(st, o) != 0 || promise_states(st, o) != 0 ||
	    time_range(st, o) != 0 ||
	    rs_store_scalar(st, "SELECT count(*) FROM threads WHERE trace_id = ?1",
		   o->trace_id, &o->threads) != 0 ||
	    rs_store_scalar(st, "SELECT sum(count) FROM lost WHERE trace_id = ?1",
		   o->trace_id, &o->lost_events) != 0)
		return -1;
	if (lost_unknown(st, o) != 0)
		return -1;
	if (o->has_panic && panic_detail(st, &row, o) != 0)
		return -1;
	if (strcmp(o->guest_state, RS_GS_DEADLOCKED) == 0 &&
	    blocked_threads(st, o) != 0)
		return -1;
	if (vcpu_regs(st, o) != 0 || panic_cpus(st, o) != 0 ||
	    cpu_skew(st, o) != 0 || per_cpu(st, o) != 0)
		return -1;
	return frame_names(st, o);
}

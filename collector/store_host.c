/*
 * store_host.c - what the host, not the guest, says about a trace: vCPU
 * registers read from the QEMU monitor or a core dump (table vcpu_regs),
 * and the host's crash verdict when the guest could not write a panic
 * record (a triple fault resets the CPU before any handler runs).
 *
 * Kept apart from store.c because these rows have a different author: a
 * reader of the database must be able to tell "the guest said" from "the
 * host saw", and SCHEMA.md documents which columns are which. The skew
 * between the CPUs' clocks is the host's measurement too.
 */
#include <stdio.h>
#include <string.h>

#include "skew.h"
#include "store_internal.h"

int rs_store_set_skew(struct rs_store *st, const struct rs_skew *k)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM cpu_skew WHERE trace_id = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "cpu_skew");
	sqlite3_bind_int64(s, 1, st->trace_id);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return rs_store_fail(st, "cpu_skew");
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO cpu_skew (trace_id, cpu, from_cpu, pairs,"
			       " min_gap_ns) VALUES (?, ?, ?, ?, ?)", -1, &s,
			       NULL) != SQLITE_OK)
		return rs_store_fail(st, "cpu_skew");
	for (unsigned from = 0; from < k->ncpus && from < RS_MAX_CPUS; from++)
		for (unsigned to = 0; to < k->ncpus && to < RS_MAX_CPUS; to++) {
			if (!k->pairs[from][to])
				continue;
			sqlite3_bind_int64(s, 1, st->trace_id);
			sqlite3_bind_int(s, 2, (int)to);
			sqlite3_bind_int(s, 3, (int)from);
			sqlite3_bind_int64(s, 4, rs_i64(k->pairs[from][to]));
			sqlite3_bind_int64(s, 5, k->min_gap[from][to]);
			if (sqlite3_step(s) != SQLITE_DONE) {
				sqlite3_finalize(s);
				return rs_store_fail(st, "cpu_skew");
			}
			sqlite3_reset(s);
		}
	sqlite3_finalize(s);
	return 0;
}

int rs_store_set_vcpu_regs(struct rs_store *st, const struct rs_vcpu_regs *r,
			   unsigned n, const char *origin)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db,
			       "INSERT OR REPLACE INTO vcpu_regs (trace_id, cpu, origin, regs)"
			       " VALUES (?, ?, ?, ?)", -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "vcpu_regs");
	for (unsigned i = 0; i < n; i++) {
		char json[RS_VCPU_REGS_MAX * 48 + 8];
		size_t at = 0;

		at += (size_t)snprintf(json + at, sizeof(json) - at, "{");
		for (unsigned k = 0; k < r[i].n && k < RS_VCPU_REGS_MAX &&
				     at < sizeof(json); k++)
			at += (size_t)snprintf(json + at, sizeof(json) - at,
					       "%s\"%s\": \"0x%llx\"", k ? ", " : "",
					       r[i].reg[k].name,
					       (unsigned long long)r[i].reg[k].value);
		if (at < sizeof(json))
			snprintf(json + at, sizeof(json) - at, "}");
		sqlite3_bind_int64(s, 1, st->trace_id);
		sqlite3_bind_int64(s, 2, r[i].cpu);
		sqlite3_bind_text(s, 3, origin, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 4, json, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlite3_finalize(s);
			return rs_store_fail(st, "vcpu_regs");
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return 0;
}

int rs_store_set_host_crash(struct rs_store *st, const char *reason,
			    int has_rip, uint64_t rip)
{
	sqlite3_stmt *s;

	/* Never over a guest-written panic record: that one knows more. */
	if (sqlite3_prepare_v2(st->db,
			       "UPDATE trace SET guest_state = 'crashed', hung_at_ns = NULL,"
			       " state_why = NULL, stalled_at_ns = NULL, stalled_threads = NULL,"
			       " stuck_cpu = NULL, stuck_at_ns = NULL,"
			       " panic_reason = ?1, panic_rip = ?2"
			       " WHERE id = ?3 AND (panic_reason IS NULL OR panic_vector IS NULL)"
			       " RETURNING guest_state",
			       -1, &s, NULL) != SQLITE_OK)
		return rs_store_fail(st, "trace");
	sqlite3_bind_text(s, 1, reason, -1, SQLITE_TRANSIENT);
	if (has_rip)
		sqlite3_bind_int64(s, 2, rs_i64(rip));
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int64(s, 3, st->trace_id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(st->state, sizeof(st->state), "%s",
			 (const char *)sqlite3_column_text(s, 0));
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : rs_store_fail(st, "trace");
}

int64_t rs_store_trace_id(const struct rs_store *st)
{
	return st->trace_id;
}

/* One row of table frames; a name never looked up is no row. */
static int frame_row(sqlite3_stmt *s, int64_t trace_id, const char *kind,
		     int64_t idx, uint64_t addr, const struct rs_sym_name *n)
{
	if (!n->tried)
		return SQLITE_DONE;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, trace_id);
	sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, idx);
	sqlite3_bind_int64(s, 4, rs_i64(addr));
	/* NULL, not "": "no name" must not read as a name. */
	if (n->function[0])
		sqlite3_bind_text(s, 5, n->function, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 5);
	if (n->file[0]) {
		sqlite3_bind_text(s, 6, n->file, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 7, n->line);
	} else {
		sqlite3_bind_null(s, 6);
		sqlite3_bind_null(s, 7);
	}
	return sqlite3_step(s);
}

int rs_store_set_frames(struct rs_store *st, const struct rs_summary *sum)
{
	sqlite3_stmt *s = NULL;
	int rc = SQLITE_DONE;

	if (rs_store_begin(st) != 0)
		return -1;
	sqlite3_stmt *del;
	if (sqlite3_prepare_v2(st->db, "DELETE FROM frames WHERE trace_id = ?",
			       -1, &del, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(del, 1, sum->trace_id);
	rc = sqlite3_step(del);
	sqlite3_finalize(del);
	if (rc != SQLITE_DONE ||
	    sqlite3_prepare_v2(st->db, "INSERT INTO frames (trace_id, kind, idx,"
			       " addr, function, file, line) VALUES (?, ?, ?, ?, ?, ?, ?)",
			       -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if (sum->has_panic && sum->has_rip)
		rc = frame_row(s, sum->trace_id, "panic_rip", 0, sum->panic_rip,
			       &sum->panic_rip_name);
	for (int i = 0; rc == SQLITE_DONE && i < sum->nbacktrace; i++)
		rc = frame_row(s, sum->trace_id, "backtrace", i, sum->backtrace[i],
			       &sum->backtrace_name[i]);
	for (int i = 0; rc == SQLITE_DONE && i < sum->nvcpu; i++) {
		uint64_t rip;
		if (rs_vcpu_regs_get(&sum->vcpu[i], "rip", &rip) == 0)
			rc = frame_row(s, sum->trace_id, "vcpu_rip", sum->vcpu[i].cpu,
				       rip, &sum->vcpu_rip_name[i]);
	}
	for (int i = 0; rc == SQLITE_DONE && i < sum->npanic_cpus; i++) {
		uint64_t rip;
		if (rs_vcpu_regs_get(&sum->panic_cpus[i].regs, "rip", &rip) == 0)
			rc = frame_row(s, sum->trace_id, "cpu_rip",
				       sum->panic_cpus[i].regs.cpu, rip,
				       &sum->panic_cpu_rip_name[i]);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(s);
	return rs_store_commit(st);
fail:
	rs_store_fail(st, "frames");
	sqlite3_finalize(s);
	rs_store_rollback(st);
	return -1;
}

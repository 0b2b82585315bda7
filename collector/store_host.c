/*
 * store_host.c - what the host, not the guest, says about a trace: vCPU
 * registers read from the QEMU monitor or a core dump (table vcpu_regs),
 * and the host's crash verdict when the guest could not write a panic
 * record (a triple fault resets the CPU before any handler runs).
 *
 * Kept apart from store.c because these rows have a different author: a
 * reader of the database must be able to tell "the guest said" from "the
 * host saw", and SCHEMA.md documents which columns are which.
 */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

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

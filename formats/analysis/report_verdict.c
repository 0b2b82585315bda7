/*
 * report_verdict.c - what the report says before any figure about how the
 * guest ended: a crashed guest's panic (reason, where), a deadlocked
 * guest's blocked threads and what each waits on. The blocked threads
 * come from rs_db_blocked_threads, as `info`'s do, and both print them
 * with the functions here, so the two never disagree.
 */
#include "report.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

void rs_report_blocked_text(FILE *o, const struct rs_blocked_thread *b)
{
	fprintf(o, "thread %" PRId64 " (%s) waits on ", b->tid,
		b->name[0] ? b->name : "?");
	if (strcmp(b->reason, "promise") == 0)
		fprintf(o, "promise %" PRIu64 " %s%s%s\n", b->object,
			b->has_label ? "\"" : "(no label)",
			b->has_label ? b->label : "", b->has_label ? "\"" : "");
	else if (strcmp(b->reason, "join") == 0)
		fprintf(o, "thread %" PRIu64 " to exit (join)\n", b->object);
	else
		fprintf(o, "%s %" PRIu64 "\n", b->reason, b->object);
}

void rs_report_blocked_json(FILE *o, const struct rs_blocked_thread *b)
{
	fprintf(o, "{\"tid\": %" PRId64 ", \"name\": ", b->tid);
	rs_report_json_str(o, b->name);
	fprintf(o, ", \"blocked_on\": \"%s\"", b->reason);
	if (strcmp(b->reason, "promise") == 0) {
		fprintf(o, ", \"promise_id\": %" PRIu64 ", \"label\": ",
			b->object);
		if (b->has_label)
			rs_report_json_str(o, b->label);
		else
			fprintf(o, "null");
	} else {
		fprintf(o, ", \"object\": %" PRIu64, b->object);
	}
	fputc('}', o);
}

/* The name the frames table gives the panic's rip, if it still names
 * that address ("" if none). */
static void panic_frame(sqlite3 *db, struct rs_report_verdict *v)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "SELECT function, file, line FROM frames"
			       " WHERE trace_id = ?1 AND kind = 'panic_rip'"
			       " AND idx = 0 AND addr = ?2", -1, &s,
			       NULL) != SQLITE_OK)
		return;    /* an older database without the table */
	sqlite3_bind_int64(s, 1, v->row.id);
	sqlite3_bind_int64(s, 2, (int64_t)v->row.panic_rip);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *f = sqlite3_column_text(s, 0);
		const unsigned char *file = sqlite3_column_text(s, 1);
		snprintf(v->function, sizeof(v->function), "%s",
			 f ? (const char *)f : "??");
		if (file)
			snprintf(v->file, sizeof(v->file), "%s:%d",
				 (const char *)file, sqlite3_column_int(s, 2));
	}
	sqlite3_finalize(s);
}

int rs_report_verdict(struct rs_trace_db *db, struct rs_report *r,
		      char *err, size_t errlen)
{
	sqlite3 *sql = rs_trace_sqlite(db);
	struct rs_report_verdict *v = &r->verdict;

	memset(v, 0, sizeof(*v));
	if (rs_trace_row_read(sql, r->meta.id, &v->row, err, errlen) != 0)
		return -1;
	if (v->row.has_panic && v->row.has_panic_rip)
		panic_frame(sql, v);
	if (strcmp(v->row.guest_state, "deadlocked") == 0 &&
	    rs_db_blocked_threads(sql, r->meta.id, v->blocked,
				  &v->nblocked) != 0) {
		snprintf(err, errlen, "reading the blocked threads: %s",
			 sqlite3_errmsg(sql));
		return -1;
	}
	return 0;
}

void rs_report_verdict_text(FILE *o, const struct rs_report *r)
{
	const struct rs_report_verdict *v = &r->verdict;
	char t[32];

	if (v->row.has_panic) {
		fprintf(o, "PANIC: %s\n", v->row.panic_reason);
		if (v->row.has_panic_rip) {
			fprintf(o, "  at rip 0x%" PRIx64, v->row.panic_rip);
			if (v->function[0])
				fprintf(o, " in %s%s%s", v->function,
					v->file[0] ? " " : "", v->file);
			if (v->row.has_panic_vector)
				fprintf(o, ", cpu %" PRId64 ", %s after boot",
					v->row.panic_cpu,
					rs_report_fmt_ns(t, sizeof(t),
							 v->row.panic_ts_ns));
			else
				fprintf(o, " (from the vCPU: the guest wrote no"
					" panic record)");
			fputc('\n', o);
		}
	}
	if (strcmp(v->row.guest_state, "deadlocked") != 0)
		return;
	fprintf(o, "DEADLOCKED: ");
	if (v->row.has_stall)
		fprintf(o, "%" PRId64 " threads blocked since %s after boot\n",
			v->row.stalled_threads,
			rs_report_fmt_ns(t, sizeof(t), v->row.stalled_at_ns));
	else
		fprintf(o, "every thread blocked\n");
	for (int i = 0; i < v->nblocked; i++) {
		fprintf(o, "  ");
		rs_report_blocked_text(o, &v->blocked[i]);
	}
}

void rs_report_verdict_json(FILE *o, const struct rs_report *r)
{
	const struct rs_report_verdict *v = &r->verdict;

	fprintf(o, "\"panic\":");
	if (!v->row.has_panic) {
		fprintf(o, "null,\n");
	} else {
		fprintf(o, "{\"reason\":");
		rs_report_json_str(o, v->row.panic_reason);
		fprintf(o, ",\"by\":\"%s\",\"rip\":",
			v->row.has_panic_vector ? "guest" : "host");
		if (v->row.has_panic_rip)
			fprintf(o, "\"0x%" PRIx64 "\"", v->row.panic_rip);
		else
			fprintf(o, "null");
		fprintf(o, ",\"function\":");
		if (v->function[0])
			rs_report_json_str(o, v->function);
		else
			fprintf(o, "null");
		fprintf(o, ",\"file\":");
		if (v->file[0])
			rs_report_json_str(o, v->file);
		else
			fprintf(o, "null");
		if (v->row.has_panic_vector)
			fprintf(o, ",\"cpu\":%" PRId64 ",\"ts_ns\":%" PRId64 "},\n",
				v->row.panic_cpu, v->row.panic_ts_ns);
		else
			fprintf(o, ",\"cpu\":null,\"ts_ns\":null},\n");
	}
	fprintf(o, "\"deadlock\":");
	if (strcmp(v->row.guest_state, "deadlocked") != 0) {
		fprintf(o, "null,\n");
		return;
	}
	if (v->row.has_stall)
		fprintf(o, "{\"stalled_at_ns\":%" PRId64 ",\"stalled_threads\":%"
			PRId64, v->row.stalled_at_ns, v->row.stalled_threads);
	else
		fprintf(o, "{\"stalled_at_ns\":null,\"stalled_threads\":null");
	fprintf(o, ",\"blocked_threads\":[");
	for (int i = 0; i < v->nblocked; i++) {
		fprintf(o, "%s", i ? ", " : "");
		rs_report_blocked_json(o, &v->blocked[i]);
	}
	fprintf(o, "]},\n");
}

/*
 * stress_qemu.c - the checks of the SMP ring stress under QEMU
 * (stress_qemu.h): one CPU at a time, the guest's own count from the
 * dump's ring header against the database's records and gaps, and the
 * emitstorm pattern of every record kept.
 */
#include "stress_qemu.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/source.h"
#include "sql_events.h"

#define STORM_NAME "emitstorm"
#define STORM_DONE "emitstorm: cpu done"
#define STORM_SEQ_MASK ((1ull << 48) - 1)

struct gap_row {
	int64_t count, from_ns, to_ns;  /* times: -1 if NULL */
};

/* What the walk over one CPU's records carries along. */
struct walk {
	unsigned cpu;
	struct rs_smp_stress_cpu *c;
	struct gap_row *rows;
	size_t nrows, next_row;
	uint64_t expect;                /* next record number */
	int64_t prev_ts;                /* -1 before the first record */
	int64_t prev_idx;               /* last storm sequence kept; -1 */
	uint64_t lost_since;            /* lost since the last storm record */
	char *bad;
	size_t badlen;
};

static int failf(char *bad, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(char *bad, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!*bad) {
		va_start(ap, fmt);
		vsnprintf(bad, len, fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* head_written of every CPU, from the dump's ring header. */
static int dump_written(const char *core, struct rs_smp_stress_result *r)
{
	char spec[4200], err[200];
	struct rs_source src;

	snprintf(spec, sizeof(spec), "core:%s", core);
	if (rs_source_open(spec, &src, err, sizeof(err)) != 0) {
		snprintf(r->first_bad, sizeof(r->first_bad), "%.90s: %s", core, err);
		return -1;
	}
	int rc = 0;
	if (src.hint_offset > src.len ||
	    src.len - src.hint_offset < sizeof(struct rs_header)) {
		snprintf(r->first_bad, sizeof(r->first_bad),
			 "%s: no ring header in the dump", core);
		rc = -1;
	} else {
		const volatile struct rs_header *h = (const volatile void *)
			(src.base + src.hint_offset);
		if (h->magic != RS_MAGIC || h->ncpus == 0 ||
		    h->ncpus > RS_MAX_CPUS) {
			snprintf(r->first_bad, sizeof(r->first_bad),
				 "%s: the ring header is not valid (ncpus %u)",
				 core, (unsigned)h->ncpus);
			rc = -1;
		} else {
			r->ncpus = h->ncpus;
			for (unsigned i = 0; i < r->ncpus; i++)
				r->cpu[i].written = h->cpu[i].head_written;
		}
	}
	rs_source_close(&src);
	return rc;
}

static int64_t one_int(sqlite3 *d, const char *sql, int64_t arg1,
		       int64_t arg2)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(d, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, arg1);
	sqlite3_bind_int64(st, 2, arg2);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t col_or(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL
		       ? -1 : sqlite3_column_int64(st, i);
}

/* The CPU's `lost` rows in the order they were stored. */
static int load_gaps(sqlite3 *d, int64_t trace, struct walk *w)
{
	sqlite3_stmt *st;
	size_t cap = 0;

	if (sqlite3_prepare_v2(d, "SELECT count, from_ns, to_ns FROM lost"
			       " WHERE trace_id = ? AND cpu = ? ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, trace);
	sqlite3_bind_int64(st, 2, w->cpu);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (w->nrows == cap) {
			cap = cap ? 2 * cap : 256;
			struct gap_row *n = realloc(w->rows, cap * sizeof(*n));
			if (!n) {
				sqlite3_finalize(st);
				return -1;
			}
			w->rows = n;
		}
		w->rows[w->nrows++] = (struct gap_row){
			sqlite3_column_int64(st, 0), col_or(st, 1), col_or(st, 2) };
	}
	sqlite3_finalize(st);
	return 0;
}

/* Records expect .. seq - 1 are missing: the next `lost` rows must
 * account for exactly them, between the records on either side. */
static int take_gap(struct walk *w, uint64_t seq, int64_t ts)
{
	const uint64_t g = seq - w->expect;
	uint64_t sum = 0;
	size_t first = w->next_row;

	while (sum < g && w->next_row < w->nrows)
		sum += (uint64_t)w->rows[w->next_row++].count;
	if (sum != g)
		return failf(w->bad, w->badlen, "cpu %u: records %" PRIu64
			     "..%" PRIu64 " missing, the lost table has %" PRIu64
			     " for them", w->cpu, w->expect, seq - 1, sum);
	const struct gap_row *a = &w->rows[first], *b = &w->rows[w->next_row - 1];
	if ((a->from_ns >= 0 && w->prev_ts >= 0 && a->from_ns != w->prev_ts) ||
	    (b->to_ns >= 0 && b->to_ns != ts))
		return failf(w->bad, w->badlen, "cpu %u: the gap before record %"
			     PRIu64 " is stored from %" PRId64 " to %" PRId64
			     " ns, its records are at %" PRId64 " and %" PRId64,
			     w->cpu, seq, a->from_ns, b->to_ns, w->prev_ts, ts);
	w->c->gaps++;
	w->lost_since += g;
	return 0;
}

/* One storm record or done mark (idx = its sequence or count). */
static int take_storm(struct walk *w, uint64_t seq, uint64_t a, int done)
{
	const uint64_t idx = a & STORM_SEQ_MASK;

	if (a >> 48 != w->cpu)
		return failf(w->bad, w->badlen, "cpu %u: record %" PRIu64
			     " was written for cpu %" PRIu64, w->cpu, seq, a >> 48);
	if (w->c->done >= 0)
		return failf(w->bad, w->badlen, "cpu %u: record %" PRIu64
			     " after the storm's done mark", w->cpu, seq);
	if ((int64_t)idx <= w->prev_idx)
		return failf(w->bad, w->badlen, "cpu %u: record %" PRIu64
			     " has storm sequence %" PRIu64 " after %" PRId64,
			     w->cpu, seq, idx, w->prev_idx);
	const uint64_t skipped = idx - (uint64_t)(w->prev_idx + 1);
	if (skipped > w->lost_since)
		return failf(w->bad, w->badlen, "cpu %u: %" PRIu64 " storm records"
			     " before record %" PRIu64 " missing, only %" PRIu64
			     " records lost there", w->cpu, skipped, seq, w->lost_since);
	w->lost_since = 0;
	if (done) {
		w->c->done = (int64_t)idx;
	} else {
		w->prev_idx = (int64_t)idx;
		w->c->storm++;
	}
	return 0;
}

static int walk_cpu(sqlite3 *d, int64_t trace, struct walk *w)
{
	sqlite3_stmt *st;
	int bad = 0;

	if (sqlite3_prepare_v2(d, "SELECT seq, ts_ns, type, a, str FROM events"
			       " WHERE trace_id = ? AND cpu = ? ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return failf(w->bad, w->badlen, "events: %s", sqlite3_errmsg(d));
	sqlite3_bind_int64(st, 1, trace);
	sqlite3_bind_int64(st, 2, w->cpu);
	while (!bad && sqlite3_step(st) == SQLITE_ROW) {
		const uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		const int64_t ts = sqlite3_column_int64(st, 1);
		const int type = sqlite3_column_int(st, 2);
		const uint64_t a = (uint64_t)sqlite3_column_int64(st, 3);
		const char *s = (const char *)sqlite3_column_text(st, 4);
		w->c->accepted++;
		if (seq < w->expect)
			bad = failf(w->bad, w->badlen, "cpu %u: record %" PRIu64
				    " after record %" PRIu64, w->cpu, seq,
				    w->expect - 1);
		else if (seq > w->expect)
			bad = take_gap(w, seq, ts);
		if (bad)
			break;
		w->expect = seq + 1;
		w->prev_ts = ts;
		if (type == RS_EV_COUNTER && s && !strcmp(s, STORM_NAME))
			bad = take_storm(w, seq, a, 0);
		else if (type == RS_EV_MARK && s && !strcmp(s, STORM_DONE))
			bad = take_storm(w, seq, a, 1);
	}
	sqlite3_finalize(st);
	return bad;
}

static int check_cpu(sqlite3 *d, int64_t trace, unsigned cpu,
		     struct rs_smp_stress_result *r)
{
	struct rs_smp_stress_cpu *c = &r->cpu[cpu];
	struct walk w = { .cpu = cpu, .c = c, .prev_ts = -1, .prev_idx = -1,
			  .bad = r->first_bad, .badlen = sizeof(r->first_bad) };
	char *bad = r->first_bad;
	const size_t len = sizeof(r->first_bad);

	c->done = -1;
	if (load_gaps(d, trace, &w) != 0) {
		free(w.rows);
		return failf(bad, len, "lost: %s", sqlite3_errmsg(d));
	}
	for (size_t i = 0; i < w.nrows; i++)
		c->lost += (uint64_t)w.rows[i].count;
	int rc = walk_cpu(d, trace, &w);
	if (!rc && w.next_row != w.nrows)
		rc = failf(bad, len, "cpu %u: %zu lost rows match no gap in the"
			   " records", cpu, w.nrows - w.next_row);
	free(w.rows);
	if (rc)
		return rc;
	if (c->accepted + c->lost != c->written)
		return failf(bad, len, "cpu %u: accepted %" PRIu64 " + lost %"
			     PRIu64 " != written %" PRIu64 " (the dump's header)",
			     cpu, c->accepted, c->lost, c->written);
	/* accepted + lost == written with every gap matched: no record
	 * after the last one kept is missing either. */
	if (w.expect != c->written)
		return failf(bad, len, "cpu %u: the last record kept is %" PRIu64
			     " of %" PRIu64 " written", cpu, w.expect, c->written);
	int64_t ta = one_int(d, "SELECT accepted FROM trace_cpu WHERE trace_id = ?"
			     " AND cpu = ?", trace, cpu);
	int64_t tl = one_int(d, "SELECT lost FROM trace_cpu WHERE trace_id = ?"
			     " AND cpu = ?", trace, cpu);
	if (ta != (int64_t)c->accepted || tl != (int64_t)c->lost)
		return failf(bad, len, "cpu %u: trace_cpu says %" PRId64 " accepted,"
			     " %" PRId64 " lost; the tables %" PRIu64 " and %" PRIu64,
			     cpu, ta, tl, c->accepted, c->lost);
	return 0;
}

int rs_smp_stress_check(const char *db, const char *core,
			struct rs_smp_stress_result *r)
{
	sqlite3 *d = NULL;

	memset(r, 0, sizeof(*r));
	if (dump_written(core, r) != 0)
		return -1;
	if (sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    rs_sql_register(d) != SQLITE_OK) {
		snprintf(r->first_bad, sizeof(r->first_bad), "%.90s: %s", db,
			 d ? sqlite3_errmsg(d) : "cannot open");
		sqlite3_close(d);
		return -1;
	}
	int64_t trace = one_int(d, "SELECT max(id) FROM trace", 0, 0);
	int64_t ncpus = one_int(d, "SELECT ncpus FROM trace WHERE id = ?", trace, 0);
	int rc = 0;
	if (ncpus != (int64_t)r->ncpus)
		rc = failf(r->first_bad, sizeof(r->first_bad), "the trace has %"
			   PRId64 " cpus, the dump's header %u", ncpus, r->ncpus);
	for (unsigned i = 0; !rc && i < r->ncpus; i++)
		rc = check_cpu(d, trace, i, r);
	sqlite3_close(d);
	return rc;
}

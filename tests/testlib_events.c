/*
 * testlib_events.c - events for databases a test builds by hand.
 *
 * Some suites (report, viewer follow) need traces with exact timestamps
 * that no real run produces. Their events are still made by the real
 * parts: guest-trace's writer encodes each record into a ring in memory,
 * the one decoder reads it back, and rs_chunk_pack stores the records as
 * the collector does. Only the derived tables (promises, threads, lost)
 * are left to the test, which writes them with SQL as it wants them.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_trace.h"
#include "rs_chunk.h"
#include "rs_decode.h"

#define CPUS       2
#define RING_BYTES (8u << 20)   /* per CPU: far more than any test writes */

struct rs_test_events {
	sqlite3 *db;
	int64_t trace_id;
	struct rs_header *region;
	size_t region_size;
	struct rs_layout clock;    /* the trace row's tsc_hz and boot_tsc */
	uint64_t seq_base[CPUS];   /* the trace's records already stored */
};

struct rs_test_events *rs_events_begin(sqlite3 *db, int64_t trace_id)
{
	struct rs_test_events *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->db = db;
	w->trace_id = trace_id;
	w->region_size = RS_HEADER_SIZE + CPUS * (size_t)RING_BYTES;
	w->region = aligned_alloc(RS_PAGE_SIZE, w->region_size);
	assert_non_null(w->region);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT tsc_hz, boot_tsc FROM"
			 " trace WHERE id = ?1", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_int64(q, 1, trace_id);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	w->clock.tsc_hz = (uint64_t)sqlite3_column_int64(q, 0);
	w->clock.boot_tsc = (uint64_t)sqlite3_column_int64(q, 1);
	sqlite3_finalize(q);
	assert_true(w->clock.tsc_hz > 0);
	struct gt_config cfg = {
		.region_size = w->region_size, .ncpus = CPUS,
		.mode = RS_MODE_DISCARD, .nonce = 0x7e57,
		.tsc_hz = w->clock.tsc_hz, .boot_tsc = w->clock.boot_tsc,
	};
	assert_int_equal(gt_region_init(w->region, &cfg), 0);
	/* Appending to a trace continues its record numbers. */
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		sqlite3_stmt *s;
		assert_int_equal(sqlite3_prepare_v2(db,
			"SELECT coalesce(max(first_seq + count), 0) FROM chunks"
			" WHERE trace_id = ?1 AND cpu = ?2", -1, &s, NULL),
			SQLITE_OK);
		sqlite3_bind_int64(s, 1, trace_id);
		sqlite3_bind_int(s, 2, (int)cpu);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		w->seq_base[cpu] = (uint64_t)sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	return w;
}

void rs_events_add(struct rs_test_events *w, unsigned cpu, int64_t ts,
		   uint16_t type, uint32_t ctx, uint64_t a, uint64_t b,
		   uint64_t c, const char *str)
{
	assert_true(cpu < CPUS && ts > 0);
	const int nargs = rs_event_nargs(type);
	assert_true(nargs >= 0);
	/* The smallest tsc that converts back to `ts` (exactly so when the
	 * clock runs at 1 GHz or faster). */
	const unsigned __int128 scaled =
		(unsigned __int128)ts * w->clock.tsc_hz + 999999999u;
	const uint64_t tsc = w->clock.boot_tsc + (uint64_t)(scaled / 1000000000u);
	if (rs_event_has_str(type))
		gt_emit_str_at(w->region, cpu, tsc, type, ctx,
			       (unsigned)nargs, a, b, str);
	else
		gt_emit_at(w->region, cpu, tsc, type, ctx,
			   (unsigned)nargs, a, b, c);
}

/* One CPU's run of records, collected from the decoder. */
struct run {
	struct rs_test_events *w;
	unsigned cpu;
	uint8_t *raw;
	size_t len;
	uint64_t first_seq, count;
	int64_t min_ns, max_ns;
	uint64_t type_count[RS_EV_TYPE_LIMIT];
};

static void write_run(struct run *r)
{
	void *blob;
	size_t blob_len;
	sqlite3_stmt *s;

	if (!r->count)
		return;
	assert_int_equal(rs_chunk_pack(r->raw, r->len, &blob, &blob_len), 0);
	assert_int_equal(sqlite3_prepare_v2(r->w->db,
		"INSERT INTO chunks (trace_id, cpu, first_seq, count, min_ns,"
		" max_ns, raw_size, records) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		-1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, r->w->trace_id);
	sqlite3_bind_int(s, 2, (int)r->cpu);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)(r->w->seq_base[r->cpu] +
						 r->first_seq));
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->count);
	sqlite3_bind_int64(s, 5, r->min_ns);
	sqlite3_bind_int64(s, 6, r->max_ns);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)r->len);
	sqlite3_bind_blob(s, 8, blob, (int)blob_len, free);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	r->len = r->count = 0;
}

static int take(void *opaque, const struct rs_event *ev)
{
	assert_int_not_equal(ev->type, RS_EV_LOST);   /* discard mode, big ring */
	assert_true(ev->cpu < CPUS);
	struct run *r = &((struct run *)opaque)[ev->cpu];
	if (r->len + ev->raw_size > RS_CHUNK_TARGET)
		write_run(r);
	if (!r->count) {
		r->first_seq = ev->seq;
		r->min_ns = INT64_MAX;
		r->max_ns = INT64_MIN;
	}
	const int64_t ts = (int64_t)rs_tsc_to_ns(&r->w->clock, ev->tsc);
	memcpy(r->raw + r->len, ev->raw, ev->raw_size);
	r->len += ev->raw_size;
	r->count++;
	r->min_ns = ts < r->min_ns ? ts : r->min_ns;
	r->max_ns = ts > r->max_ns ? ts : r->max_ns;
	r->type_count[ev->type]++;
	return 0;
}

void rs_events_end(struct rs_test_events *w)
{
	struct rs_layout l;
	struct rs_reader rd;
	char err[160];

	assert_int_equal(rs_layout_read(w->region, w->region_size, RS_GPA_ANY,
					&l, err, sizeof(err)), 0);
	struct run runs[CPUS];
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		runs[cpu] = (struct run){ .w = w, .cpu = cpu };
		runs[cpu].raw = malloc(RS_CHUNK_TARGET);
		assert_non_null(runs[cpu].raw);
	}
	assert_int_equal(rs_reader_init(&rd, w->region, w->region_size, &l), 0);
	assert_true(rs_reader_poll(&rd, take, runs) >= 0);
	for (unsigned cpu = 0; cpu < CPUS; cpu++)
		assert_int_equal(rd.cpu[cpu].stats.lost, 0);
	rs_reader_free(&rd);
	for (unsigned cpu = 0; cpu < CPUS; cpu++) {
		struct run *r = &runs[cpu];
		write_run(r);
		free(r->raw);
		for (unsigned t = 0; t < RS_EV_TYPE_LIMIT; t++) {
			if (!r->type_count[t])
				continue;
			char sql[256];
			snprintf(sql, sizeof(sql),
				 "INSERT INTO type_counts (trace_id, type, count)"
				 " VALUES (%lld, %u, %llu) ON CONFLICT DO UPDATE"
				 " SET count = count + excluded.count",
				 (long long)w->trace_id, t,
				 (unsigned long long)r->type_count[t]);
			assert_int_equal(sqlite3_exec(w->db, sql, NULL, NULL,
						      NULL), SQLITE_OK);
		}
	}
	free(w->region);
	free(w);
}

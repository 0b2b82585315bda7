/*
 * bench_ingest.c - collector ingest into SQLite, against a bare
 * prepared-insert loop of the same events, in one run.
 *
 * Both sides get the same decoded events (decoding is measured on its
 * own in bench_decode.c), WAL, and one transaction per 64 Ki events, the
 * collector's own batching. The store keeps records in compressed chunks
 * and derives threads, promises and per-type counts (formats/store/SCHEMA.md);
 * the bare loop is the obvious design it replaced, one row per event
 * (trace_id, cpu, seq, ts_ns, type, ctx, a, b, c, str) in a table with no
 * index at all, the fastest a row per event gets.
 */
#include "bench.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../collector/store.h"
#include "guest_trace.h"
#include "rs_decode.h"

#define EVENTS  (1u << 20)
#define BATCH   (1u << 16)

struct event_buf {
	struct rs_event *ev;
	char (*str)[32];
	uint8_t *raw;              /* the records' bytes, which the store keeps */
	size_t raw_len, raw_cap;
	size_t n;
};

static int keep_cb(void *opaque, const struct rs_event *ev)
{
	struct event_buf *b = opaque;
	if (b->n < EVENTS) {
		if (b->raw_len + ev->raw_size > b->raw_cap)
			bench_fail("ingest: record arena too small");
		b->ev[b->n] = *ev;
		memcpy(b->raw + b->raw_len, ev->raw, ev->raw_size);
		b->ev[b->n].raw = b->raw + b->raw_len;
		b->raw_len += ev->raw_size;
		if (ev->str) {
			snprintf(b->str[b->n], sizeof(b->str[0]), "%s", ev->str);
			b->ev[b->n].str = b->str[b->n];
		}
		b->n++;
	}
	return 0;
}

/* A realistic mix from the real writer, decoded by the real reader. */
static void make_events(struct event_buf *b, struct rs_layout *l)
{
	const size_t ring = 64u << 20, size = RS_HEADER_SIZE + ring;
	struct rs_header *h = aligned_alloc(RS_PAGE_SIZE, size);
	struct gt_config cfg = {
		.region_size = size, .ncpus = 1, .tsc_hz = 1000000000,
		.boot_tsc = 1, .nonce = 0xbe7c4, .region_gpa = 0x100000,
	};
	struct rs_reader rd;
	char err[160];

	if (!h || gt_region_init(h, &cfg) != 0)
		abort();
	for (uint64_t i = 0; i < EVENTS; i++) {
		uint64_t p = i / 4 + 1;
		switch (i & 3) {
		case 0: gt_emit(h, 0, RS_EV_PROMISE_CREATE, 2, RS_EV_NARGS(PROMISE_CREATE),
				p, p - 1, 2); break;
		case 1: gt_emit(h, 0, RS_EV_PROMISE_READ, 2, RS_EV_NARGS(PROMISE_READ),
				p, 3, 0); break;
		case 2: gt_emit(h, 0, RS_EV_THREAD_SWITCH, 2, RS_EV_NARGS(THREAD_SWITCH),
				2, 3, 0); break;
		default: gt_emit(h, 0, RS_EV_PROMISE_RESOLVE, 3, RS_EV_NARGS(PROMISE_RESOLVE),
				 p, 3, 0); break;
		}
	}
	if (rs_layout_read(h, size, RS_GPA_ANY, l, err, sizeof(err)) != 0 ||
	    rs_reader_init(&rd, h, size, l) != 0)
		abort();
	rs_reader_poll(&rd, keep_cb, b);
	rs_reader_free(&rd);
	free(h);
	if (b->n != EVENTS)
		bench_fail("ingest: generated %zu of %u events", b->n, EVENTS);
}

static double file_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (double)st.st_size : 0;
}

static double ingest_store(const struct event_buf *b, const struct rs_layout *l,
			   const char *path, double *bytes)
{
	char err[256];
	struct rs_reader_cpu resume[RS_MAX_CPUS];
	int resumed;

	unlink(path);
	struct rs_store *st = rs_store_open(path, 1, err, sizeof(err));
	if (!st || rs_store_trace_begin(st, "bench", l, resume, &resumed) != 0)
		bench_fail("ingest: store: %s", st ? rs_store_error(st) : err);
	double t0 = bench_now();
	for (size_t i = 0; i < b->n; i += BATCH) {
		rs_store_begin(st);
		for (size_t j = i; j < i + BATCH && j < b->n; j++)
			if (rs_store_event(st, &b->ev[j]) != 0)
				bench_fail("ingest: %s", rs_store_error(st));
		if (rs_store_commit(st) != 0)
			bench_fail("ingest: commit: %s", rs_store_error(st));
	}
	double t1 = bench_now();
	rs_store_close(st);
	*bytes = file_bytes(path) / (double)b->n;
	return (double)b->n / (t1 - t0);
}

static double ingest_bare(const struct event_buf *b, const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *ins;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "CREATE TABLE event_rows (trace_id INTEGER,"
			 " cpu INTEGER, seq INTEGER, ts_ns INTEGER, type INTEGER,"
			 " ctx INTEGER, a INTEGER, b INTEGER, c INTEGER, str TEXT)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO event_rows (trace_id, cpu, seq,"
			       " ts_ns, type, ctx, a, b, c, str) VALUES"
			       " (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &ins,
			       NULL) != SQLITE_OK)
		bench_fail("bare insert: %s", sqlite3_errmsg(db));
	double t0 = bench_now();
	for (size_t i = 0; i < b->n; i += BATCH) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (size_t j = i; j < i + BATCH && j < b->n; j++) {
			const struct rs_event *e = &b->ev[j];
			sqlite3_bind_int64(ins, 1, e->cpu);
			sqlite3_bind_int64(ins, 2, (sqlite3_int64)e->seq);
			sqlite3_bind_int64(ins, 3, (sqlite3_int64)e->tsc);
			sqlite3_bind_int64(ins, 4, e->type);
			sqlite3_bind_int64(ins, 5, e->ctx);
			sqlite3_bind_int64(ins, 6, (sqlite3_int64)e->a);
			sqlite3_bind_int64(ins, 7, (sqlite3_int64)e->b);
			sqlite3_bind_int64(ins, 8, (sqlite3_int64)e->c);
			if (e->str)
				sqlite3_bind_text(ins, 9, e->str, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(ins, 9);
			if (sqlite3_step(ins) != SQLITE_DONE)
				bench_fail("bare insert: %s", sqlite3_errmsg(db));
			sqlite3_reset(ins);
		}
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	double t1 = bench_now();
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return (double)b->n / (t1 - t0);
}

void bench_ingest(struct bench_results *res, const char *dir)
{
	struct event_buf b = {
		.ev = calloc(EVENTS, sizeof(struct rs_event)),
		.str = calloc(EVENTS, 32),
		.raw = malloc((size_t)EVENTS * RS_MAX_RECORD / 8),
		.raw_cap = (size_t)EVENTS * RS_MAX_RECORD / 8,
	};
	struct rs_layout l;
	char store_db[512], bare_db[512];

	if (!b.ev || !b.str || !b.raw)
		abort();
	make_events(&b, &l);
	snprintf(store_db, sizeof(store_db), "%s/ingest-store.db", dir);
	snprintf(bare_db, sizeof(bare_db), "%s/ingest-bare.db", dir);
	/* Alternate, and keep the better of two each: the first run of
	 * either warms the page cache for both. */
	double s1 = ingest_bare(&b, bare_db);
	double i1 = ingest_store(&b, &l, store_db, &res->bytes_per_event);
	double s2 = ingest_bare(&b, bare_db);
	double i2 = ingest_store(&b, &l, store_db, &res->bytes_per_event);
	res->bare_insert_eps = s1 > s2 ? s1 : s2;
	res->ingest_eps = i1 > i2 ? i1 : i2;
	unlink(store_db);
	unlink(bare_db);
	free(b.ev);
	free(b.str);
	free(b.raw);
}

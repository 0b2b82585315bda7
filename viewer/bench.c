/*
 * bench.c - measuring the viewer on big traces: --gen-bench-db writes a
 * synthetic trace of N events straight into a database laid out by
 * formats/schema.sql (the collector's embedded copy, so the two cannot
 * drift), and --bench loads a trace and renders a sweep of zoom levels
 * headlessly, printing the load time and the slowest frame.
 *
 * The synthetic guest: 2 CPUs, 8 worker threads, each step a thread runs,
 * creates a promise (a child of its previous one, labelled now and then),
 * resolves and reads older ones, touches the heap, and blocks; with
 * interrupts, idle periods, page allocations and a counter mixed in. It is
 * shaped like the kernel's workloads, at a rate of ~5 M events/s of guest
 * time, so every lane, row and arrow kind is exercised at scale.
 */
#include <cairo.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "draw.h"
#include "ringside_ring.h"
#include "viewer.h"

extern const char rs_schema_sql[];  /* $(BUILD)/gen/schema_sql.c */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
	sqlite3_stmt *ev, *ctr;
	uint64_t seq[2];
	uint64_t n, limit;
	int64_t t;
	uint32_t rng;
} gen;

static uint32_t rnd(gen *g)
{
	g->rng = g->rng * 1664525u + 1013904223u;
	return g->rng >> 8;
}

static void emit(gen *g, int cpu, int type, uint64_t ctx, int64_t a,
		 int64_t b, int64_t c, int nargs, const char *str)
{
	if (g->n >= g->limit)
		return;
	g->t += 40 + rnd(g) % 200;
	sqlite3_stmt *st = g->ev;
	sqlite3_bind_int(st, 1, cpu);
	sqlite3_bind_int64(st, 2, (int64_t)g->seq[cpu]);
	sqlite3_bind_int64(st, 3, g->t);
	sqlite3_bind_int(st, 4, type);
	sqlite3_bind_int64(st, 5, (int64_t)ctx);
	if (nargs > 0) sqlite3_bind_int64(st, 6, a); else sqlite3_bind_null(st, 6);
	if (nargs > 1) sqlite3_bind_int64(st, 7, b); else sqlite3_bind_null(st, 7);
	if (nargs > 2) sqlite3_bind_int64(st, 8, c); else sqlite3_bind_null(st, 8);
	if (str) sqlite3_bind_text(st, 9, str, -1, SQLITE_TRANSIENT);
	else sqlite3_bind_null(st, 9);
	sqlite3_step(st);
	sqlite3_reset(st);
	if (type == RS_EV_HEAP || type == RS_EV_RUNQ_LEN || type == RS_EV_COUNTER) {
		sqlite3_stmt *c2 = g->ctr;
		sqlite3_bind_text(c2, 1, type == RS_EV_HEAP ? "heap" :
				  type == RS_EV_RUNQ_LEN ? "runq_len" : str, -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_int64(c2, 2, g->t);
		sqlite3_bind_int64(c2, 3, a);
		sqlite3_bind_int(c2, 4, cpu);
		sqlite3_bind_int64(c2, 5, (int64_t)g->seq[cpu]);
		sqlite3_step(c2);
		sqlite3_reset(c2);
	}
	g->seq[cpu]++;
	g->n++;
}

#define NTHREADS 8
#define PENDING 4

static void generate(gen *g)
{
	uint64_t next_id = 1, heap = 4096;
	uint64_t pend[NTHREADS + 1][PENDING] = { { 0 } };
	uint64_t last[NTHREADS + 1] = { 0 };
	uint64_t cur[2] = { 0, 0 };
	char label[64];
	for (int th = 1; th <= NTHREADS; th++) {
		g_snprintf(label, sizeof label, "worker %d", th);
		emit(g, (th - 1) / 4, RS_EV_THREAD_CREATE, 0, th, 0, 0, 2, label);
	}
	for (uint64_t step = 0; g->n < g->limit; step++) {
		int cpu = (int)(step & 1);
		uint64_t th = 1 + (uint64_t)cpu * 4 + (step / 2) % 4;
		emit(g, cpu, RS_EV_THREAD_SWITCH, cur[cpu], (int64_t)cur[cpu],
		     (int64_t)th, 0, 2, NULL);
		cur[cpu] = th;
		/* resolve and read the oldest pending promise of this thread */
		uint64_t *slot = &pend[th][step / 2 % PENDING];
		if (*slot) {
			bool fail = rnd(g) % 16 == 0;
			if (fail)
				emit(g, cpu, RS_EV_PROMISE_FAIL, th, (int64_t)*slot,
				     0, 0, 2, "synthetic failure");
			else
				emit(g, cpu, RS_EV_PROMISE_RESOLVE, th,
				     (int64_t)*slot, 0, 0, 2, NULL);
			emit(g, cpu, RS_EV_PROMISE_READ, th, (int64_t)*slot, 0, 0,
			     2, NULL);
		}
		uint64_t id = next_id++;
		/* every third is a child of the thread's previous promise:
		 * nesting without unbounded depth */
		emit(g, cpu, RS_EV_PROMISE_CREATE, th, (int64_t)id,
		     id % 3 == 0 ? (int64_t)last[th] : 0, (int64_t)(rnd(g) % RS_PT_COUNT), 3, NULL);
		if (id % 4 == 0) {
			g_snprintf(label, sizeof label, "request %llu",
				   (unsigned long long)id);
			emit(g, cpu, RS_EV_PROMISE_LABEL, th, (int64_t)id, 0, 0, 1,
			     label);
		}
		*slot = id;
		last[th] = id;
		heap += 128;
		emit(g, cpu, RS_EV_HEAP, th, (int64_t)heap, 128, 0, 2, NULL);
		if (rnd(g) % 8 == 0) {
			emit(g, cpu, RS_EV_PAGE_ALLOC, th, 0x100000 + step * 4096,
			     0, 0, 2, NULL);
			heap -= 128;
			emit(g, cpu, RS_EV_HEAP, th, (int64_t)heap, -128, 0, 2, NULL);
		}
		if (rnd(g) % 10 == 0) {
			emit(g, cpu, RS_EV_IRQ_ENTER, th, 32, 0, 0, 1, NULL);
			emit(g, cpu, RS_EV_TIMER_FIRE, th, 1, 0, 0, 2, NULL);
			emit(g, cpu, RS_EV_IRQ_EXIT, th, 32, 0, 0, 1, NULL);
		}
		if (step % 64 == 0)
			emit(g, cpu, RS_EV_COUNTER, th, (int64_t)(step / 64), 0, 0,
			     1, "requests");
		emit(g, cpu, RS_EV_THREAD_BLOCK, th, (int64_t)th,
		     1 + (int64_t)(rnd(g) % 4), (int64_t)id, 3, NULL);
		emit(g, cpu, RS_EV_THREAD_WAKE, th, (int64_t)th, 0, 0, 2, NULL);
		emit(g, cpu, RS_EV_RUNQ_LEN, th, (int64_t)(rnd(g) % 5), 0, 0, 1,
		     NULL);
		if (rnd(g) % 12 == 0) {
			emit(g, cpu, RS_EV_THREAD_SWITCH, th, (int64_t)th, 0, 0, 2,
			     NULL);
			cur[cpu] = 0;
			emit(g, cpu, RS_EV_IDLE_ENTER, 0, 0, 0, 0, 0, NULL);
			g->t += 2000;
			emit(g, cpu, RS_EV_IDLE_EXIT, 0, 0, 0, 0, 0, NULL);
		}
	}
}

int rv_gen_bench_db(const char *out, uint64_t n)
{
	if (!n) {
		fprintf(stderr, "ringside-view: --gen-bench-db needs N > 0\n");
		return 2;
	}
	remove(out);
	sqlite3 *db;
	if (sqlite3_open(out, &db) != SQLITE_OK) {
		fprintf(stderr, "ringside-view: %s: cannot create\n", out);
		return 1;
	}
	char *msg = NULL;
	/* no journal while generating: a failed run is just deleted */
	if (sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;",
			 NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, rs_schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "ringside-view: %s: %s\n", out, msg);
		sqlite3_free(msg);
		sqlite3_close(db);
		return 1;
	}
	gen g = { .limit = n, .t = 1000000, .rng = 12345 };
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_exec(db, "INSERT INTO trace (id, source, nonce, region_gpa, "
		     "region_size, ncpus, mode, tsc_hz, boot_tsc, guest_state, "
		     "collected_at) VALUES (1, 'synthetic', 1, 0, 0, 2, "
		     "'overwrite', 1000000000, 0, 'exited', 0)", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO events (trace_id, cpu, seq, ts_ns, "
			   "type, ctx, a, b, c, str) VALUES "
			   "(1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &g.ev,
			   NULL);
	sqlite3_prepare_v2(db, "INSERT INTO counters (trace_id, name, ts_ns, "
			   "value, cpu, seq) VALUES (1, ?1, ?2, ?3, ?4, ?5)", -1,
			   &g.ctr, NULL);
	double t0 = now_s();
	generate(&g);
	sqlite3_finalize(g.ev);
	sqlite3_finalize(g.ctr);
	char sql[256];
	for (int c = 0; c < 2; c++) {
		snprintf(sql, sizeof sql, "INSERT INTO trace_cpu VALUES (1, %d, 0, "
			 "0, %llu, 0, 0, %llu, 0, 0)", c,
			 (unsigned long long)g.seq[c], (unsigned long long)g.seq[c]);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	for (int t = 1; t < RS_EV_TYPE_LIMIT; t++) {
		const char *name = rv_event_name(t);
		if (!name)
			continue;
		snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO event_types "
			 "VALUES (%d, '%s')", t, name);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, &msg);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	sqlite3_close(db);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "ringside-view: %s: %s\n", out, msg);
		sqlite3_free(msg);
		return 1;
	}
	printf("wrote %llu events to %s in %.1f s\n", (unsigned long long)g.n,
	       out, now_s() - t0);
	return 0;
}

int rv_bench(const char *path, int width, int height)
{
	char err[512];
	double t0 = now_s();
	rv_model *m = rv_model_load(path, err, sizeof err);
	if (!m) {
		fprintf(stderr, "ringside-view: %s\n", err);
		return 1;
	}
	double open_s = now_s() - t0;
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							width, height);
	cairo_t *cr = cairo_create(s);
	rv_view v = { .width = width, .height = height };
	rv_view_fit(&v, m);
	double full = v.ns_per_px, worst = 0, sum = 0, worst_w = 0;
	int frames = 0;
	/* zoom in x1.2 per step from the whole trace down to ~1 ns/px, at
	 * three positions (start, middle, end), as wheel zooming would */
	for (int pos = 0; pos < 3; pos++) {
		for (double npp = full; npp >= 0.5; npp /= 1.2) {
			double span = npp * (width - RV_LEFT_W);
			double centre = (double)m->t_min +
				(double)(m->t_max - m->t_min) * (0.02 + 0.48 * pos);
			v.ns_per_px = npp;
			v.from = centre - span / 2;
			double f0 = now_s();
			rv_draw(cr, m, &v);
			cairo_surface_flush(s);
			double ms = (now_s() - f0) * 1e3;
			sum += ms;
			frames++;
			if (getenv("RV_BENCH_FRAMES"))
				printf("frame pos %d npp %.4g ms %.2f\n", pos, npp, ms);
			if (ms > worst) {
				worst = ms;
				worst_w = span;
			}
		}
	}
	char wbuf[48];
	rv_fmt_dur(wbuf, sizeof wbuf, worst_w);
	printf("events %llu  promises+threads %u  rows %u  arrows %u\n",
	       (unsigned long long)m->nevents, m->pp.n, m->nrows, m->arrows.n);
	printf("open_s %.3f  frames %d  avg_frame_ms %.2f  max_frame_ms %.2f "
	       "(window %s)  size %dx%d\n", open_s, frames, sum / frames, worst,
	       wbuf, width, height);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	rv_model_free(m);
	return 0;
}

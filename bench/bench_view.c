/*
 * bench_view.c - the viewer on a 10 M-event trace: the view_open_s and
 * view_frame_ms_max rows, and the trace they are measured on.
 *
 * The trace is made the way a real one is, only faster than a guest
 * could: a synthetic guest writes records with guest-trace's writer
 * (gt_emit_at, so its clock is exact and its run repeatable), the one
 * decoder reads them back, and the collector's store ingests them. The
 * guest: 2 CPUs, 8 worker threads; each step a thread runs, creates a
 * promise (a child of its previous one, labelled now and then), resolves
 * and reads older ones, touches the heap, and blocks; interrupts, idle
 * periods, page allocations and a counter are mixed in. It is shaped like
 * the kernel's workloads at ~5 M events/s of guest time, so every lane,
 * row and arrow kind of the viewer is exercised at scale.
 *
 * `ringside-bench --gen-trace OUT.db N` writes such a trace by itself.
 */
#include "bench.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../collector/store.h"
#include "guest_trace.h"
#include "rs_chunk.h"
#include "rs_decode.h"

#define VIEW_EVENTS 10000000ull
/* the yardstick of view_bytes_per_event */
#define VIEW_SMALL_EVENTS 1000000ull
/* BENCH_BIG=1: the 100 M-event rows */
#define VIEW_BIG_EVENTS 100000000ull
/* Per CPU, overwriting; the reader drains it every POLL_EVERY events,
 * long before the writer could lap it (records are at most ~64 bytes),
 * and the generator checks that nothing was lost. */
#define RING_BYTES  (64u << 20)
#define POLL_EVERY  (256u << 10)

typedef struct {
	struct rs_header *h;
	struct rs_reader *rd;
	struct rs_store *st;
	uint64_t n, limit, since_poll;
	int64_t t;
	uint32_t rng;
	FILE *log;   /* --gen-live: one line per commit */
} gen;

static uint32_t rnd(gen *g)
{
	g->rng = g->rng * 1664525u + 1013904223u;
	return g->rng >> 8;
}

static int store_cb(void *opaque, const struct rs_event *ev)
{
	return rs_store_event(opaque, ev);
}

/* Hand everything written so far to the store, as one batch. */
static void drain(gen *g)
{
	if (rs_store_begin(g->st) != 0 ||
	    rs_reader_poll(g->rd, store_cb, g->st) < 0 ||
	    rs_store_save_reader(g->st, g->rd) != 0 ||
	    rs_store_commit(g->st) != 0)
		bench_fail("gen-trace: %s", rs_store_error(g->st));
	g->since_poll = 0;
	if (g->log) {
		/* events stored so far, and when (CLOCK_MONOTONIC, ns) */
		fprintf(g->log, "%llu %.0f\n", (unsigned long long)g->n,
			bench_now() * 1e9);
		fflush(g->log);
	}
}

/* The argument count is the event table's (rs_event_table.h). */
static void emit(gen *g, int cpu, int type, uint64_t ctx, int64_t a,
		 int64_t b, int64_t c, const char *str)
{
	const int nargs = rs_event_nargs((uint16_t)type);

	if (g->n >= g->limit)
		return;
	g->t += 40 + rnd(g) % 200;
	if (str)
		gt_emit_str_at(g->h, (unsigned)cpu, (uint64_t)g->t,
			       (uint16_t)type, (uint32_t)ctx, (unsigned)nargs,
			       (uint64_t)a, (uint64_t)b, str);
	else
		gt_emit_at(g->h, (unsigned)cpu, (uint64_t)g->t, (uint16_t)type,
			   (uint32_t)ctx, (unsigned)nargs, (uint64_t)a,
			   (uint64_t)b, (uint64_t)c);
	g->n++;
	if (++g->since_poll == POLL_EVERY)
		drain(g);
}

#define NTHREADS 8
#define PENDING 4

/* The synthetic guest's state between steps. */
typedef struct {
	uint64_t next_id, heap, step;
	uint64_t pend[NTHREADS + 1][PENDING];
	uint64_t last[NTHREADS + 1];
	uint64_t cur[2];
} world;

static void gen_begin(gen *g, world *w)
{
	char label[64];
	memset(w, 0, sizeof(*w));
	w->next_id = 1;
	w->heap = 4096;
	for (int th = 1; th <= NTHREADS; th++) {
		snprintf(label, sizeof label, "worker %d", th);
		emit(g, (th - 1) / 4, RS_EV_THREAD_CREATE, 0, th, 0, 0, label);
	}
}

/* One step: a thread runs on one CPU and does what the top says. */
static void gen_step(gen *g, world *w)
{
	char label[64];
	const uint64_t step = w->step++;
	int cpu = (int)(step & 1);
	uint64_t th = 1 + (uint64_t)cpu * 4 + (step / 2) % 4;
	emit(g, cpu, RS_EV_THREAD_SWITCH, w->cur[cpu], (int64_t)w->cur[cpu],
	     (int64_t)th, 0, NULL);
	w->cur[cpu] = th;
	/* resolve and read the oldest pending promise of this thread */
	uint64_t *slot = &w->pend[th][step / 2 % PENDING];
	if (*slot) {
		bool fail = rnd(g) % 16 == 0;
		if (fail)
			emit(g, cpu, RS_EV_PROMISE_FAIL, th, (int64_t)*slot,
			     0, 0, "synthetic failure");
		else
			emit(g, cpu, RS_EV_PROMISE_RESOLVE, th,
			     (int64_t)*slot, 0, 0, NULL);
		emit(g, cpu, RS_EV_PROMISE_READ, th, (int64_t)*slot, 0, 0,
		     NULL);
	}
	uint64_t id = w->next_id++;
	/* every third is a child of the thread's previous promise:
	 * nesting without unbounded depth */
	emit(g, cpu, RS_EV_PROMISE_CREATE, th, (int64_t)id,
	     id % 3 == 0 ? (int64_t)w->last[th] : 0,
	     (int64_t)(rnd(g) % RS_PT_COUNT), NULL);
	if (id % 4 == 0) {
		snprintf(label, sizeof label, "request %llu",
			 (unsigned long long)id);
		emit(g, cpu, RS_EV_PROMISE_LABEL, th, (int64_t)id, 0, 0,
		     label);
	}
	*slot = id;
	w->last[th] = id;
	w->heap += 128;
	emit(g, cpu, RS_EV_HEAP, th, (int64_t)w->heap, 128, 0, NULL);
	if (rnd(g) % 8 == 0) {
		emit(g, cpu, RS_EV_PAGE_ALLOC, th, 0x100000 + step * 4096,
		     0, 0, NULL);
		w->heap -= 128;
		emit(g, cpu, RS_EV_HEAP, th, (int64_t)w->heap, -128, 0, NULL);
	}
	if (rnd(g) % 10 == 0) {
		emit(g, cpu, RS_EV_IRQ_ENTER, th, 32, 0, 0, NULL);
		emit(g, cpu, RS_EV_TIMER_FIRE, th, 1, 0, 0, NULL);
		emit(g, cpu, RS_EV_IRQ_EXIT, th, 32, 0, 0, NULL);
	}
	if (step % 64 == 0)
		emit(g, cpu, RS_EV_COUNTER, th, (int64_t)(step / 64), 0, 0,
		     "requests");
	emit(g, cpu, RS_EV_THREAD_BLOCK, th, (int64_t)th,
	     1 + (int64_t)(rnd(g) % 4), (int64_t)id, NULL);
	emit(g, cpu, RS_EV_THREAD_WAKE, th, (int64_t)th, 0, 0, NULL);
	emit(g, cpu, RS_EV_RUNQ_LEN, th, (int64_t)(rnd(g) % 5), 0, 0,
	     NULL);
	if (rnd(g) % 12 == 0) {
		emit(g, cpu, RS_EV_THREAD_SWITCH, th, (int64_t)th, 0, 0,
		     NULL);
		w->cur[cpu] = 0;
		emit(g, cpu, RS_EV_IDLE_ENTER, 0, 0, 0, 0, NULL);
		g->t += 2000;
		emit(g, cpu, RS_EV_IDLE_EXIT, 0, 0, 0, 0, NULL);
	}
}

static void generate(gen *g)
{
	world w;
	gen_begin(g, &w);
	while (g->n < g->limit)
		gen_step(g, &w);
}

/* The synthetic guest's ring and the collector's store on `out`. */
static void gen_open(gen *g, const char *out, struct rs_reader *rd)
{
	const size_t size = RS_HEADER_SIZE + 2 * (size_t)RING_BYTES;
	struct gt_config cfg = {
		.region_size = size, .ncpus = 2, .mode = RS_MODE_OVERWRITE,
		.nonce = 0x6e6e, .tsc_hz = 1000000000, .boot_tsc = 0,
	};
	struct rs_reader_cpu resume[RS_MAX_CPUS];
	struct rs_layout l;
	char err[320];
	int resumed;

	g->t = 1000000;
	g->rng = 12345;
	g->rd = rd;
	g->h = aligned_alloc(RS_PAGE_SIZE, size);
	if (!g->h || gt_region_init(g->h, &cfg) != 0 ||
	    rs_layout_read(g->h, size, RS_GPA_ANY, &l, err, sizeof(err)) != 0 ||
	    rs_reader_init(rd, g->h, size, &l) != 0)
		bench_fail("gen-trace: cannot set up the synthetic guest");
	unlink(out);
	g->st = rs_store_open(out, 1, err, sizeof(err));
	if (!g->st || rs_store_trace_begin(g->st, "synthetic", &l, resume,
					  &resumed) != 0)
		bench_fail("gen-trace: %s", g->st ? rs_store_error(g->st) : err);
}

/* Checks nothing was lost and lets the guest go. */
static void gen_close(gen *g)
{
	struct rs_store_counts c;
	rs_store_counts(g->st, &c);
	if (c.inserted != g->n || c.lost != 0)
		bench_fail("gen-trace: stored %llu of %llu events, %llu lost",
			   (unsigned long long)c.inserted,
			   (unsigned long long)g->n, (unsigned long long)c.lost);
	rs_store_close(g->st);
	rs_reader_free(g->rd);
	free(g->h);
}

/* How often --gen-live commits: a collector's batch at its poll. */
#define LIVE_COMMIT_S 0.05

int bench_gen_live(const char *out, double eps, double seconds,
		   const char *log)
{
	struct rs_reader rd;
	gen g = { .limit = UINT64_MAX };
	world w;
	gen_open(&g, out, &rd);
	g.log = fopen(log, "w");
	if (!g.log)
		bench_fail("gen-live: cannot write %s", log);
	gen_begin(&g, &w);
	drain(&g);
	const double t0 = bench_now();
	double next = t0 + LIVE_COMMIT_S, now;
	while ((now = bench_now()) - t0 < seconds) {
		/* the guest's pace: eps events a second of wall time */
		while (g.n < (uint64_t)(eps * (now - t0)) && now < next) {
			for (int k = 0; k < 64; k++)
				gen_step(&g, &w);
			now = bench_now();
		}
		if (now >= next) {
			drain(&g);
			next += LIVE_COMMIT_S;
		} else {
			usleep(1000);
		}
	}
	drain(&g);
	const double took = bench_now() - t0;
	fprintf(g.log, "# eps %.0f\n", (double)g.n / took);
	fclose(g.log);
	g.log = NULL;
	gen_close(&g);
	printf("gen-live: %llu events to %s in %.1f s (%.0f/s)\n",
	       (unsigned long long)g.n, out, took, (double)g.n / took);
	return 0;
}

int bench_gen_trace(const char *out, uint64_t n)
{
	struct rs_reader rd;
	gen g = { .limit = n };
	gen_open(&g, out, &rd);
	double t0 = bench_now();
	generate(&g);
	drain(&g);
	struct rs_status s = { .state = RS_STATE_EXITED };
	struct rs_verdict exited = { RS_GS_EXITED, UINT64_MAX, NULL, 0,
				     UINT64_MAX };
	if (rs_store_begin(g.st) != 0 ||
	    rs_store_set_status(g.st, &s, &exited) != 0 ||
	    rs_store_commit(g.st) != 0)
		bench_fail("gen-trace: %s", rs_store_error(g.st));
	gen_close(&g);
	printf("gen-trace: %llu events to %s in %.1f s\n",
	       (unsigned long long)n, out, bench_now() - t0);
	return 0;
}

/* One `ringside-view --bench` run on a trace of n events (generated into
 * dir unless there): its log's figures. False with a note on failure. */
struct view_run {
	double open_s, avg, worst, cpu_worst, search;
	double one_worst;   /* the sweep on one thread (rv_draw_whole) */
	double first_picture_s, shown_open_s;   /* the window's open */
	double open_sys_s;   /* the open's system time */
	long rss_kb;
};

/* The open's system time from a --bench log, or NaN. */
static double open_sys_s(const char *log)
{
	char line[512];
	double cpu, sys;
	if (bench_grep_last(log, "open_cpu_s", line, sizeof(line)) != 0 ||
	    sscanf(line, "open_cpu_s %lf open_sys_s %lf", &cpu, &sys) != 2)
		return BENCH_NONE;
	return sys;
}

static bool view_run(struct bench_results *res, const char *dir, uint64_t n,
		     const char *name, struct view_run *out)
{
	char db[512], log[600], line[512];

	snprintf(db, sizeof(db), "%s/view-%s.db", dir, name);
	snprintf(log, sizeof(log), "%s/view-%s.log", dir, name);
	bench_gen_trace(db, n);
	/* The real viewer, headless: its --bench loads the trace, then draws
	 * a sweep of zoom levels at three positions (viewer/bench.c). */
	if (bench_sh("%s/ringside-view --bench %s > %s 2>&1", BENCH_BIN_DIR,
		     db, log) != 0 ||
	    bench_grep_last(log, "open_s", line, sizeof(line)) != 0) {
		bench_note(res, "viewer: ringside-view --bench failed (%s)", log);
		return false;
	}
	if (sscanf(line, "open_s %lf frames %*d avg_frame_ms %lf max_frame_ms %lf",
		   &out->open_s, &out->avg, &out->worst) != 3) {
		bench_note(res, "viewer: cannot read '%s'", line);
		return false;
	}
	out->search = out->cpu_worst = BENCH_NONE;
	out->rss_kb = 0;
	if (bench_grep_last(log, "search_ms", line, sizeof(line)) != 0 ||
	    sscanf(line, "search_ms %lf", &out->search) != 1)
		bench_note(res, "viewer: no search time in %s", log);
	if (bench_grep_last(log, "max_frame_cpu_ms", line, sizeof(line)) == 0)
		sscanf(line, "max_frame_cpu_ms %lf", &out->cpu_worst);
	out->one_worst = BENCH_NONE;
	if (bench_grep_last(log, "one_thread", line, sizeof(line)) != 0 ||
	    sscanf(line, "one_thread avg_frame_ms %*f max_frame_ms %lf",
		   &out->one_worst) != 1)
		bench_note(res, "viewer: no one-thread sweep in %s", log);
	out->first_picture_s = out->shown_open_s = BENCH_NONE;
	if (bench_grep_last(log, "shown_open_s", line, sizeof(line)) != 0 ||
	    sscanf(line, "shown_open_s %lf first_picture_s %lf",
		   &out->shown_open_s, &out->first_picture_s) != 2)
		bench_note(res, "viewer: no first picture in %s", log);
	out->open_sys_s = open_sys_s(log);
	if (bench_grep_last(log, "rss_kb", line, sizeof(line)) != 0 ||
	    sscanf(line, "rss_kb %ld", &out->rss_kb) != 1)
		bench_note(res, "viewer: no rss_kb in %s", log);
	/* the 1 M run's database is only a yardstick */
	if (n < VIEW_EVENTS)
		unlink(db);
	return true;
}

/* Model bytes per event: RSS growth between two traces over the events
 * added, so the libraries' and GTK's fixed share cancels out. */
static double bytes_per_event(const struct view_run *a, uint64_t na,
			      const struct view_run *b, uint64_t nb)
{
	if (!a->rss_kb || !b->rss_kb || nb <= na)
		return BENCH_NONE;
	return (double)(b->rss_kb - a->rss_kb) * 1024.0 / (double)(nb - na);
}

static int count_record(void *opaque, const struct rs_event *ev)
{
	(void)ev;
	++*(uint64_t *)opaque;
	return 0;
}

/* Seconds the one decoder takes, on one thread, to read every stored
 * chunk of db back into events: what the viewer's open is measured
 * against. NaN with a note if the database cannot be read. */
static double decode_all_s(struct bench_results *res, const char *db,
			   uint64_t want)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	struct rs_chunk_reader *rd = rs_chunk_reader_new();
	uint64_t n = 0;
	double t0 = bench_now(), s = BENCH_NONE;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "SELECT cpu, first_seq, count, raw_size, "
			       "records FROM chunks", -1, &st, NULL) != SQLITE_OK ||
	    !rd) {
		bench_note(res, "decode100m: cannot read %s", db);
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct rs_chunk c = {
			.cpu = (uint16_t)sqlite3_column_int(st, 0),
			.first_seq = (uint64_t)sqlite3_column_int64(st, 1),
			.count = (uint64_t)sqlite3_column_int64(st, 2),
			.raw_size = (uint64_t)sqlite3_column_int64(st, 3),
			.blob = sqlite3_column_blob(st, 4),
			.blob_len = (size_t)sqlite3_column_bytes(st, 4),
		};
		if (rs_chunk_decode(rd, &c, count_record, &n) != 0)
			break;
	}
	if (n == want)
		s = bench_now() - t0;
	else
		bench_note(res, "decode100m: decoded %llu of %llu events",
			   (unsigned long long)n, (unsigned long long)want);
out:
	sqlite3_finalize(st);
	sqlite3_close(h);
	rs_chunk_reader_free(rd);
	return s;
}

int bench_decode_db(const char *db, uint64_t n)
{
	struct bench_results r;
	memset(&r, 0, sizeof(r));
	double s = decode_all_s(&r, db, n);   /* (its notes go to stderr) */
	if (isnan(s))
		return 1;
	printf("decode_db_s %.3f events %llu (%.2f M/s, one thread)\n", s,
	       (unsigned long long)n, (double)n / s / 1e6);
	return 0;
}

/* The viewer's open of db again, with one frame and no sweep: its
 * open_s, and its system time in *sys_s. */
static double open_again_s(struct bench_results *res, const char *dir,
			   const char *db, double *sys_s)
{
	char log[600], line[512];
	double open_s = BENCH_NONE;
	snprintf(log, sizeof(log), "%s/view-100M-again.log", dir);
	if (bench_sh("RV_BENCH_ONLY=0 RV_BENCH_REPEAT=1 %s/ringside-view "
		     "--bench %s > %s 2>&1", BENCH_BIN_DIR, db, log) != 0 ||
	    bench_grep_last(log, "open_s", line, sizeof(line)) != 0 ||
	    sscanf(line, "open_s %lf", &open_s) != 1) {
		bench_note(res, "viewer: the second 100 M open failed (%s)",
			   log);
		return BENCH_NONE;
	}
	*sys_s = open_sys_s(log);
	return open_s;
}

/* BENCH_BIG=1 only (minutes): the viewer on 100 M events beside the
 * decoder alone on the same database; bytes per event from 10 M to it.
 * The database is opened twice, and the open row is the second: in a VM
 * whose balloon reports free pages to its host (virtio-balloon's
 * REPORTING, as on the development machine), memory freed a while ago
 * has been given back, and the first process to touch gigabytes of it
 * waits for the host to back every page again: clearing a page costs
 * about three times as much, which shows as system time, not as the
 * viewer's work (bench/README.md, session 15). The second open reuses
 * the pages the first freed moments before. The first is kept beside
 * it, with both opens' system time. */
static void bench_view_big(struct bench_results *res, const char *dir,
			   const struct view_run *r10)
{
	struct view_run big;
	char db[512];
	if (!view_run(res, dir, VIEW_BIG_EVENTS, "100M", &big))
		return;
	res->view100m_open_first_s = big.open_s;
	res->view100m_open_first_sys_s = big.open_sys_s;
	res->view100m_frame_ms_max = big.worst;
	res->view100m_frame_one_ms_max = big.one_worst;
	res->view100m_first_picture_s = big.first_picture_s;
	res->view100m_shown_open_s = big.shown_open_s;
	res->view100m_rss_gib = big.rss_kb ? big.rss_kb / 1048576.0 : BENCH_NONE;
	res->view_bytes_per_event = bytes_per_event(r10, VIEW_EVENTS, &big,
						    VIEW_BIG_EVENTS);
	snprintf(db, sizeof(db), "%s/view-100M.db", dir);
	res->view100m_open_s = open_again_s(res, dir, db,
					    &res->view100m_open_sys_s);
	res->decode100m_s = decode_all_s(res, db, VIEW_BIG_EVENTS);
	unlink(db);   /* 1.2 GB */
}

void bench_view(struct bench_results *res, const char *dir)
{
	struct view_run small, r;

	if (!view_run(res, dir, VIEW_SMALL_EVENTS, "1M", &small) ||
	    !view_run(res, dir, VIEW_EVENTS, "10M", &r))
		return;
	res->view_open_s = r.open_s;
	res->view_frame_ms_max = r.worst;
	res->view_frame_one_ms_max = r.one_worst;
	res->view_frame_ms_avg = r.avg;
	res->view_first_picture_s = r.first_picture_s;
	res->view_shown_open_s = r.shown_open_s;
	res->view_frame_cpu_ms_max = r.cpu_worst;
	res->view_search_ms = r.search;
	res->view_bytes_per_event = bytes_per_event(&small, VIEW_SMALL_EVENTS,
						    &r, VIEW_EVENTS);
	const char *big = getenv("BENCH_BIG");
	if (big && !strcmp(big, "1"))
		bench_view_big(res, dir, &r);
}

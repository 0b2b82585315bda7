/*
 * test_viewer_follow.c - --follow appends (viewer/follow.c): a database
 * written in steps, as a collector commits batches, is followed by one
 * rv_follow reloading after each step, and after every step its model
 * must equal, array for array, and draw, pixel for pixel, what one
 * rv_model_load of the same database gives; and each reload must decode
 * and derive exactly the events the step added, not the whole trace.
 *
 * Two traces: a real one (the hosted kernel's demo workload through the
 * real collector) replayed in steps, and a synthetic 2-CPU one made to
 * reach what the real one does not: cross-CPU wakes and migrations,
 * interrupts and allocator bursts on both CPUs (the all-CPU bands),
 * "becomes" chains, reads of long-resolved promises (touches that land
 * before later ones), failures, labels set late, and promises left open.
 * The steps go down to one event, so a step ends inside every kind of
 * open state. The events are written by the real parts (testlib_events.c:
 * guest-trace's writer, the one decoder, the collector's chunk packer).
 */
#include "testlib.h"
#include "ringside_ring.h"

#include <cairo.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../collector/store.h"
#include "draw.h"
#include "follow.h"
#include "lod.h"
#include "guest_trace.h"
#include "rs_decode.h"
#include "model.h"
#include "rs_db.h"
#include "view_fixture.h"

typedef struct {
	unsigned cpu;
	int64_t t;
	uint16_t type;
	uint32_t ctx;
	uint64_t a, b, c;
	char *str;
} ev;

typedef struct {
	ev *v;
	size_t n, cap;
} evlist;

static void add(evlist *l, unsigned cpu, int64_t t, uint16_t type,
		uint32_t ctx, uint64_t a, uint64_t b, uint64_t c, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		assert_non_null(l->v);
	}
	l->v[l->n++] = (ev){ cpu, t, type, ctx, a, b, c, s ? strdup(s) : NULL };
}

static void evlist_free(evlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].str);
	free(l->v);
}

/* A real trace's events in the order a load merges them. */
static void read_events(const char *db, evlist *l)
{
	sqlite3 *h;
	char err[256];
	assert_int_equal(rs_db_open(db, RS_DB_READ, &h, NULL, NULL, err,
				    sizeof err), RS_DB_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT cpu, ts_ns, type, ctx,"
		" a, b, c, str FROM events ORDER BY ts_ns, cpu, seq", -1, &q,
		NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		uint16_t type = (uint16_t)sqlite3_column_int(q, 2);
		if (type == RS_EV_LOST)
			continue;
		add(l, (unsigned)sqlite3_column_int(q, 0), sqlite3_column_int64(q, 1),
		    type, (uint32_t)sqlite3_column_int64(q, 3),
		    (uint64_t)sqlite3_column_int64(q, 4),
		    (uint64_t)sqlite3_column_int64(q, 5),
		    (uint64_t)sqlite3_column_int64(q, 6),
		    (const char *)sqlite3_column_text(q, 7));
	}
	sqlite3_finalize(q);
	sqlite3_close(h);
}

/* A 2-CPU guest doing everything the viewer draws (see the top). */
static void synthetic(evlist *l, int steps)
{
	int64_t t = 1000;
	uint64_t id = 1, open[8] = { 0 }, done[8] = { 0 };
	uint32_t cur[2] = { 0, 0 };
	for (uint32_t th = 1; th <= 6; th++)
		add(l, th % 2, t += 50, RS_EV_THREAD_CREATE, 0, th, 0, 0, "worker");
	for (int s = 0; s < steps; s++) {
		const unsigned cpu = (unsigned)(s % 2);
		const uint32_t th = 1 + (uint32_t)((s / 2) % 3) * 2 + cpu;
		add(l, cpu, t += 37, RS_EV_THREAD_SWITCH, cur[cpu], cur[cpu], th, 0, NULL);
		cur[cpu] = th;
		uint64_t *slot = &open[s % 8];
		if (*slot && s % 5 == 0) {
			/* becomes: the line carries on in the old one's row */
			add(l, cpu, t += 11, RS_EV_PROMISE_CREATE, th, id, 0, 1, NULL);
			add(l, cpu, t += 13, RS_EV_PROMISE_BECOMES, th, *slot, id, 0, NULL);
			*slot = id++;
		} else if (*slot && s % 7 == 3) {
			add(l, cpu, t += 9, RS_EV_PROMISE_FAIL, th, *slot, 0, 0, "boom");
			done[s % 8] = *slot;
			*slot = 0;
		} else if (*slot && s % 3 != 1) {
			add(l, cpu, t += 9, RS_EV_PROMISE_RESOLVE, th, *slot, 0, 0, NULL);
			done[s % 8] = *slot;
			*slot = 0;
		}
		if (done[(s + 3) % 8] && s % 4 == 2)   /* read long after */
			add(l, cpu, t += 7, RS_EV_PROMISE_READ, th, done[(s + 3) % 8], 0, 0, NULL);
		if (!*slot && s % 9 != 8) {
			add(l, cpu, t += 5, RS_EV_PROMISE_CREATE, th, id,
			    s % 3 == 0 && id > 1 ? id - 1 : 0, (uint64_t)(s % 4), NULL);
			*slot = id++;
		}
		if (s % 6 == 1 && *slot)
			add(l, cpu, t, RS_EV_PROMISE_LABEL, th, *slot, 0, 0, "req");
		if (s % 10 == 4 && *slot) {
			add(l, cpu, t += 3, RS_EV_PROMISE_TRY_READ, th, *slot, 0, 0, NULL);
			add(l, cpu, t += 3, RS_EV_PROMISE_SIGNAL, th, *slot, 0, 0, NULL);
		}
		if (s % 4 == 0) {
			add(l, cpu, t += 20, RS_EV_HEAP, th, 4096 + (uint64_t)s, 64, 0, NULL);
			add(l, cpu, t += 20, RS_EV_PAGE_ALLOC, th, 0x1000 * (uint64_t)s, 0, 0, NULL);
		}
		if (s % 5 == 2) {
			add(l, cpu, t += 30, RS_EV_IRQ_ENTER, th, 32, 0, 0, NULL);
			add(l, 1 - cpu, t += 10, RS_EV_IRQ_ENTER, cur[1 - cpu], 33, 0, 0, NULL);
			add(l, cpu, t += 30, RS_EV_IRQ_EXIT, th, 32, 0, 0, NULL);
			add(l, 1 - cpu, t += 10, RS_EV_IRQ_EXIT, cur[1 - cpu], 33, 0, 0, NULL);
		}
		if (s % 5 == 4) {   /* the other's closes first, inside this one */
			add(l, cpu, t += 30, RS_EV_IRQ_ENTER, th, 34, 0, 0, NULL);
			add(l, 1 - cpu, t += 10, RS_EV_IRQ_ENTER, cur[1 - cpu], 35, 0, 0, NULL);
			add(l, 1 - cpu, t += 10, RS_EV_IRQ_EXIT, cur[1 - cpu], 35, 0, 0, NULL);
			add(l, cpu, t += 30, RS_EV_IRQ_EXIT, th, 34, 0, 0, NULL);
		}
		if (s % 8 == 5) {   /* a wake here, the run there */
			uint32_t other = cur[1 - cpu];
			add(l, cpu, t += 15, RS_EV_THREAD_BLOCK, th, th, 1, id - 1, NULL);
			add(l, 1 - cpu, t += 15, RS_EV_THREAD_WAKE, other, th, 0, 0, NULL);
			add(l, cpu, t += 15, RS_EV_THREAD_MIGRATE, th, th, cpu, 1 - cpu, NULL);
		}
		if (s % 16 == 9) {
			add(l, cpu, t += 25, RS_EV_RUNQ_LEN, th, (uint64_t)(s % 5), 0, 0, NULL);
			add(l, cpu, t += 25, RS_EV_COUNTER, th, (uint64_t)s, 0, 0, "reqs");
			add(l, cpu, t += 5, RS_EV_THREAD_SWITCH, th, th, 0, 0, NULL);
			cur[cpu] = 0;
			add(l, cpu, t += 5, RS_EV_IDLE_ENTER, 0, 0, 0, 0, NULL);
			add(l, 1 - cpu, t += 5, RS_EV_IDLE_ENTER, 0, 0, 0, 0, NULL);
			add(l, cpu, t += 400, RS_EV_IDLE_EXIT, 0, 0, 0, 0, NULL);
			add(l, 1 - cpu, t += 5, RS_EV_IDLE_EXIT, 0, 0, 0, 0, NULL);
		}
		if (s % 50 == 17)
			add(l, cpu, t, RS_EV_MARK, th, (uint64_t)s, 0, 0, "tick");
	}
}

/* An empty trace to append to: the source's trace row, no events. */
static void empty_copy(const char *src, const char *dst, int ncpus)
{
	assert_int_equal(rs_run(NULL, 10, "cp '%s' '%s'", src, dst), 0);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(dst, &h), SQLITE_OK);
	char sql[200];
	snprintf(sql, sizeof sql, "DELETE FROM chunks; DELETE FROM type_counts;"
		 " UPDATE trace SET ncpus = %d", ncpus);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* Events [from, to) as one batch, as a collector commits one. */
static void append(const char *db, const evlist *l, size_t from, size_t to)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
	sqlite3_stmt *q;
	sqlite3_prepare_v2(h, "SELECT max(id) FROM trace", -1, &q, NULL);
	sqlite3_step(q);
	int64_t trace = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	struct rs_test_events *w = rs_events_begin(h, trace);
	for (size_t i = from; i < to; i++) {
		const ev *e = &l->v[i];
		rs_events_add(w, e->cpu, e->t, e->type, e->ctx, e->a, e->b, e->c,
			      e->str);
	}
	rs_events_end(w);
	assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* Exact comparison, naming the first thing that differs. */
#define EQ(x, y) do { long long x_ = (long long)(x), y_ = (long long)(y); \
	if (x_ != y_) fail_msg("%s: %lld != %lld (%s)", #x, x_, y_, what); \
	} while (0)

static void times_eq(const rv_times *a, const rv_times *b, uint32_t n,
		     const char *what)
{
	EQ(a->n, n);
	EQ(b->n, n);
	for (uint32_t i = 0; i < n; i++)
		EQ(rv_times_at(a, i), rv_times_at(b, i));
}

static void spans_eq(const rv_spans *a, const rv_spans *b, const char *what)
{
	EQ(a->n, b->n);
	times_eq(&a->start, &b->start, a->n, what);
	times_eq(&a->end, &b->end, a->n, what);
	for (uint32_t i = 0; i < a->n; i++) {
		EQ(RV_REF(a, i), RV_REF(b, i));
		EQ(RV_KIND(a, i), RV_KIND(b, i));
	}
	EQ(a->cum.n != 0, b->cum.n != 0);
	for (uint32_t i = 0; a->cum.n && i <= a->n; i++)
		EQ(RV_CUM(a, i), RV_CUM(b, i));
}

static void str_eq(const char *a, const char *b, const char *what)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_msg("%s: \"%s\" != \"%s\"", what, a ? a : "(null)",
			 b ? b : "(null)");
}

static void pps_eq(const rv_model *x, const rv_model *y)
{
	const char *what = "pp";
	const rv_pps *a = &x->pp, *b = &y->pp;
	EQ(a->n, b->n);
	for (uint32_t i = 0; i < a->n; i++) {
		EQ(rv_pp_id(a, i), rv_pp_id(b, i));
		EQ(a->parent[i], b->parent[i]);
		EQ(rv_pp_thread(a, i), rv_pp_thread(b, i));
		EQ(rv_pp_created(a, i), rv_pp_created(b, i));
		EQ(rv_pp_resolved(a, i), rv_pp_resolved(b, i));
		EQ(rv_pp_own_end(a, i), rv_pp_own_end(b, i));
		EQ(rv_pp_cont_root(a, i), rv_pp_cont_root(b, i));
		EQ(rv_pp_follows(a, i), rv_pp_follows(b, i));
		EQ(a->row[i], b->row[i]); EQ(a->ptype[i], b->ptype[i]);
		EQ(a->state[i], b->state[i]);
		EQ(rv_pp_lost_create(a, i), rv_pp_lost_create(b, i));
		EQ(rv_pp_cpu(a, i), rv_pp_cpu(b, i));
		EQ(rv_pp_cont_start(a, i), rv_pp_cont_start(b, i));
		EQ(rv_pp_label_t(a, i), rv_pp_label_t(b, i));
		str_eq(a->label[i], b->label[i], "label");
		str_eq(rv_pp_fail_msg(a, i), rv_pp_fail_msg(b, i), "fail_msg");
	}
}

static void rows_eq(const rv_model *x, const rv_model *y)
{
	char what[64];
	EQ(x->nrows, y->nrows);
	for (uint32_t r = 0; r < x->nrows; r++) {
		const rv_row *a = &x->rows[r], *b = &y->rows[r];
		snprintf(what, sizeof what, "row %u", r);
		EQ(a->n, b->n);
		times_eq(&a->start, &b->start, a->n, what);
		times_eq(&a->end, &b->end, a->n, what);
		for (uint32_t i = 0; i < a->n; i++)
			EQ(a->pp[i], b->pp[i]);
		for (uint32_t i = 0; i <= a->n; i++) {
			EQ(rv_row_nres(a, i), rv_row_nres(b, i));
			EQ(rv_row_nfail(a, i), rv_row_nfail(b, i));
		}
		for (int t = 0; t < RV_T_COUNT; t++) {
			snprintf(what, sizeof what, "row %u touch %d", r, t);
			EQ(a->ntouch[t], b->ntouch[t]);
			times_eq(&a->touch_t[t], &b->touch_t[t], a->ntouch[t], what);
			for (uint32_t i = 0; i < a->ntouch[t]; i++)
				EQ(a->touch_arrow[t][i], b->touch_arrow[t][i]);
		}
	}
}

static void counters_eq(const rv_model *x, const rv_model *y)
{
	char what[64];
	EQ(x->ncounters, y->ncounters);
	for (uint32_t k = 0; k < x->ncounters; k++) {
		const rv_counter *a = &x->counters[k], *b = &y->counters[k];
		snprintf(what, sizeof what, "counter %s", a->name);
		str_eq(a->name, b->name, what);
		EQ(a->n, b->n);
		times_eq(&a->t, &b->t, a->n, what);
		for (uint32_t i = 0; i < a->n; i++)
			EQ(rv_counter_v(a, i), rv_counter_v(b, i));
		EQ(a->vmin, b->vmin); EQ(a->vmax, b->vmax);
		EQ(a->nlevels, b->nlevels); EQ(a->cpus, b->cpus);
		/* the pyramid, level by level, as far as it is defined */
		uint32_t len = (a->n + 15) / 16, plen = 0;
		for (int l = 4; l < a->nlevels; l++) {
			if (l > 4) {
				plen = len;
				len = (len + 1) / 2;
			}
			(void)plen;
			for (uint32_t i = 0; i < len; i++) {
				EQ(a->pmin[l][i], b->pmin[l][i]);
				EQ(a->pmax[l][i], b->pmax[l][i]);
			}
		}
	}
}

static void models_eq(const rv_model *x, const rv_model *y)
{
	const char *what = "model";
	EQ(x->nevents, y->nevents);
	EQ(x->t_min, y->t_min); EQ(x->t_max, y->t_max);
	EQ(x->ncpus, y->ncpus); EQ(x->show_threads, y->show_threads);
	for (int c = 0; c < x->ncpus; c++) {
		spans_eq(&x->cpu_lane[c], &y->cpu_lane[c], "cpu_lane");
		spans_eq(&x->cpu_idle[c], &y->cpu_idle[c], "cpu_idle");
		spans_eq(&x->cpu_irq[c], &y->cpu_irq[c], "cpu_irq");
		spans_eq(&x->cpu_alloc[c], &y->cpu_alloc[c], "cpu_alloc");
		spans_eq(&x->cpu_gap[c], &y->cpu_gap[c], "cpu_gap");
	}
	spans_eq(&x->band_idle, &y->band_idle, "band_idle");
	spans_eq(&x->band_irq, &y->band_irq, "band_irq");
	spans_eq(&x->band_alloc, &y->band_alloc, "band_alloc");
	what = "xcpu";
	EQ(x->xcpu.n, y->xcpu.n);
	for (uint32_t i = 0; i < x->xcpu.n; i++) {
		EQ(x->xcpu.t0[i], y->xcpu.t0[i]); EQ(x->xcpu.t1[i], y->xcpu.t1[i]);
		EQ(x->xcpu.tid[i], y->xcpu.tid[i]); EQ(x->xcpu.kind[i], y->xcpu.kind[i]);
		EQ(x->xcpu.from[i], y->xcpu.from[i]); EQ(x->xcpu.to[i], y->xcpu.to[i]);
	}
	what = "threads";
	EQ(x->nthreads, y->nthreads);
	for (uint32_t i = 0; i < x->nthreads; i++) {
		const rv_thread *a = &x->threads[i], *b = &y->threads[i];
		EQ(a->tid, b->tid); EQ(a->created, b->created);
		EQ(a->exited, b->exited); EQ(a->pp, b->pp); EQ(a->parent, b->parent);
		str_eq(a->name, b->name, "thread name");
		spans_eq(&a->states, &b->states, "thread states");
	}
	pps_eq(x, y);
	what = "arrows";
	EQ(x->arrows.n, y->arrows.n);
	for (uint32_t i = 0; i < x->arrows.n; i++) {
		EQ(rv_arrow_t0(x, i), rv_arrow_t0(y, i));
		EQ(rv_arrow_t1(&x->arrows, i), rv_arrow_t1(&y->arrows, i));
		EQ(x->arrows.from[i], y->arrows.from[i]);
		EQ(x->arrows.to[i], y->arrows.to[i]);
		EQ(x->arrows.kind[i], y->arrows.kind[i]);
	}
	rows_eq(x, y);
	counters_eq(x, y);
	what = "marks";
	EQ(x->nmarks, y->nmarks);
	for (uint32_t i = 0; i < x->nmarks; i++) {
		EQ(x->marks[i].t, y->marks[i].t);
		EQ(x->marks[i].value, y->marks[i].value);
		str_eq(x->marks[i].text, y->marks[i].text, "mark");
	}
}

/* The same pixels: the whole trace, and its last tenth zoomed in. */
static void pictures_eq(const rv_model *x, const rv_model *y)
{
	rv_geom g;
	rv_geom_compute(y, &g);
	rv_view v = { .width = 900, .height = (int)g.total_h + RV_RULER_H + 20 };
	rv_view_fit(&v, y);
	for (int k = 0; k < 2; k++) {
		if (k == 1) {
			v.ns_per_px /= 10;
			v.from = (double)y->t_max - v.ns_per_px * (v.width - RV_LEFT_W) * 0.9;
		}
		pic a = draw_view(x, &v), b = draw_view(y, &v);
		assert_int_equal(a.stride, b.stride);
		if (memcmp(a.d, b.d, (size_t)a.stride * a.h))
			fail_msg("the followed model draws other pixels (view %d)", k);
		cairo_surface_destroy(a.s);
		cairo_surface_destroy(b.s);
	}
}

/* The drawing's fingers (lod.c) carried on by the follow: every list a
 * load indexes is indexed in the followed model too, up to its last item,
 * and gives the answers of a plain bisection at every bucket's start and
 * beside it; the crossings' prefix maxima are whole and right. (What
 * that saves a frame shows only on big traces: bench/README.md.) */
typedef struct {
	rv_times *v[4096];
	size_t n;
} lists;

static void collect(rv_times *a, void *data)
{
	lists *l = data;
	assert_true(l->n < G_N_ELEMENTS(l->v));
	l->v[l->n++] = a;
}

static void search_ok(const rv_times *a, int64_t t)
{
	if (rv_times_search(a, t) != rv_times_lower_bound(a, 0, a->n, t))
		fail_msg("a followed list's fingers mislead a search at %lld",
			 (long long)t);
}

static void fingers_kept(rv_model *x, rv_model *fresh)
{
	static lists a, b;
	a.n = b.n = 0;
	rv_lod_each(x, collect, &a);
	rv_lod_each(fresh, collect, &b);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		const rv_times *f = a.v[i];
		if (!b.v[i]->lod)
			continue;
		if (!f->lod || f->lod_n != f->n)
			fail_msg("list %zu of %u items: fingers for %u", i, f->n,
				 f->lod ? f->lod_n : 0);
		const int64_t last = rv_times_at(f, f->n - 1);
		assert_true((uint64_t)(last - f->lod_t0) >> f->lod_shift <
			    f->lod_nb);
		for (uint32_t k = 0; k < f->lod_nb; k++) {
			const int64_t tb = f->lod_t0 + ((int64_t)k << f->lod_shift);
			search_ok(f, tb - 1);
			search_ok(f, tb);
			search_ok(f, tb + 1);
		}
	}
	const rv_xcpu *xc = &x->xcpu;
	assert_int_equal(xc->hi_n, xc->n);
	int64_t hi = INT64_MIN;
	for (uint32_t i = 0; i < xc->n; i++) {
		hi = MAX(hi, MAX(xc->t0[i], xc->t1[i]));
		assert_int_equal(xc->hi_max[i], hi);
	}
}

/* Appends l in steps of the given sizes (cycled), reloading the follow
 * after each (deriving at most `slice` events an apply, 0: all, as the
 * window does between frames), and checks it against a fresh load every
 * time. */
static void follow_steps(const char *db, const evlist *l, const size_t *sizes,
			 int nsizes, uint64_t slice)
{
	char err[256];
	append(db, l, 0, 1);
	rv_follow *f = rv_follow_open(db, err, sizeof err, NULL, NULL);
	if (!f)
		fail_msg("%s", err);
	rv_follow_set_slice(f, slice);
	size_t at = 1;
	for (int s = 0; at < l->n; s++) {
		size_t k = sizes[s % nsizes];
		if (k > l->n - at)
			k = l->n - at;
		append(db, l, at, at + k);
		at += k;
		assert_int_equal(rv_follow_reload(f, err, sizeof err), 1);
		const rv_follow_stats *st = rv_follow_stats_get(f);
		/* only the new events, decoded and derived, no fresh load */
		assert_false(st->rebuilt);
		assert_int_equal(st->events, k);
		assert_int_equal(st->derived, k);
		rv_model *fresh = rv_model_load(db, err, sizeof err);
		if (!fresh)
			fail_msg("%s", err);
		models_eq(rv_follow_model(f), fresh);
		if (s % 7 == 0 || at == l->n) {
			pictures_eq(rv_follow_model(f), fresh);
			fingers_kept(rv_follow_model(f), fresh);
		}
		rv_model_free(fresh);
	}
	assert_int_equal(rv_follow_stats_get(f)->rebuilds, 0);
	/* nothing new: nothing read */
	assert_int_equal(rv_follow_reload(f, err, sizeof err), 0);
	rv_follow_free(f, false);
}

static void test_follow_synthetic(void **state)
{
	char *dir = rs_tmpdir();
	char db[512];
	snprintf(db, sizeof db, "%s/follow.db", dir);
	empty_copy(rs_src_path("samples/traces/pingpong.db"), db, 2);
	evlist l = { 0 };
	synthetic(&l, 300);
	const size_t sizes[] = { 1, 2, 3, 1, 5, 8, 1, 13, 40, 1, 1, 97 };
	follow_steps(db, &l, sizes, (int)(sizeof sizes / sizeof *sizes), 0);
	evlist_free(&l);
	rs_tmpdir_cleanup(dir);
}

/* The same in slices of 4 events an apply, published between. */
static void test_follow_sliced(void **state)
{
	char *dir = rs_tmpdir();
	char db[512];
	snprintf(db, sizeof db, "%s/follow.db", dir);
	empty_copy(rs_src_path("samples/traces/pingpong.db"), db, 2);
	evlist l = { 0 };
	synthetic(&l, 120);
	const size_t sizes[] = { 1, 9, 4, 23, 2, 61 };
	follow_steps(db, &l, sizes, (int)(sizeof sizes / sizeof *sizes), 4);
	evlist_free(&l);
	rs_tmpdir_cleanup(dir);
}

static void test_follow_real_trace(void **state)
{
	char *dir = rs_tmpdir();
	char *src = rs_make_trace(dir, "demo", 40, 0);
	char db[512];
	snprintf(db, sizeof db, "%s/follow.db", dir);
	evlist l = { 0 };
	read_events(src, &l);
	assert_true(l.n > 500);
	empty_copy(src, db, 1);
	const size_t sizes[] = { 1, 7, 3, 64, 250, 2, 999 };
	follow_steps(db, &l, sizes, (int)(sizeof sizes / sizeof *sizes), 0);
	evlist_free(&l);
	free(src);
	rs_tmpdir_cleanup(dir);
}

/* The collector's own path: the synthetic guest's records written into
 * a ring by guest-trace's writer, read back by the one decoder and stored
 * by the collector's store, committed in batches as `collect` does, down
 * to one record a commit. */
static int store_cb(void *opaque, const struct rs_event *e)
{
	return rs_store_event(opaque, e);
}

static void test_follow_collector_store(void **state)
{
	char *dir = rs_tmpdir(), err[320], db[512];
	snprintf(db, sizeof db, "%s/store.db", dir);
	const size_t size = RS_HEADER_SIZE + 2 * (size_t)(4u << 20);
	struct gt_config cfg = {
		.region_size = size, .ncpus = 2, .mode = RS_MODE_DISCARD,
		.nonce = 0x5107, .tsc_hz = 1000000000, .boot_tsc = 0,
	};
	struct rs_header *h = aligned_alloc(RS_PAGE_SIZE, size);
	struct rs_layout lay;
	struct rs_reader rd;
	struct rs_reader_cpu resume[RS_MAX_CPUS];
	int resumed;
	assert_non_null(h);
	assert_int_equal(gt_region_init(h, &cfg), 0);
	assert_int_equal(rs_layout_read(h, size, RS_GPA_ANY, &lay, err,
					sizeof err), 0);
	assert_int_equal(rs_reader_init(&rd, h, size, &lay), 0);
	struct rs_store *st = rs_store_open(db, 1, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(rs_store_trace_begin(st, "follow-test", &lay, resume,
					      &resumed), 0);
	evlist l = { 0 };
	synthetic(&l, 400);
	const size_t sizes[] = { 1, 3, 40, 2, 500, 7, 1, 90 };
	rv_follow *f = NULL;
	size_t at = 0;

	for (int s = 0; at < l.n; s++) {
		size_t k = sizes[s % 8] < l.n - at ? sizes[s % 8] : l.n - at;
		for (size_t i = at; i < at + k; i++) {
			const ev *e = &l.v[i];
			const int nargs = rs_event_nargs(e->type);
			if (e->str)
				gt_emit_str_at(h, e->cpu, (uint64_t)e->t, e->type,
					       e->ctx, (unsigned)nargs, e->a, e->b,
					       e->str);
			else
				gt_emit_at(h, e->cpu, (uint64_t)e->t, e->type,
					   e->ctx, (unsigned)nargs, e->a, e->b,
					   e->c);
		}
		at += k;
		assert_int_equal(rs_store_begin(st), 0);
		assert_true(rs_reader_poll(&rd, store_cb, st) >= 0);
		assert_int_equal(rs_store_save_reader(st, &rd), 0);
		assert_int_equal(rs_store_commit(st), 0);
		if (!f) {
			f = rv_follow_open(db, err, sizeof err, NULL, NULL);
			if (!f)
				fail_msg("%s", err);
			continue;
		}
		assert_int_equal(rv_follow_reload(f, err, sizeof err), 1);
		assert_false(rv_follow_stats_get(f)->rebuilt);
		assert_int_equal(rv_follow_stats_get(f)->events, k);
		rv_model *fresh = rv_model_load(db, err, sizeof err);
		if (!fresh)
			fail_msg("%s", err);
		models_eq(rv_follow_model(f), fresh);
		rv_model_free(fresh);
	}
	/* the chunks as stored: at least one per CPU a commit had records
	 * of (the store may extend its last chunk instead; the follow reads
	 * that one again, for its new records only) */
	sqlite3 *q;
	assert_int_equal(sqlite3_open(db, &q), SQLITE_OK);
	sqlite3_stmt *c;
	sqlite3_prepare_v2(q, "SELECT count(*), sum(count) FROM chunks", -1, &c,
			   NULL);
	assert_int_equal(sqlite3_step(c), SQLITE_ROW);
	assert_true(sqlite3_column_int(c, 0) >= 2);
	assert_int_equal(sqlite3_column_int64(c, 1), (int64_t)l.n);
	sqlite3_finalize(c);
	sqlite3_close(q);
	rv_follow_free(f, false);
	rs_store_close(st);
	rs_reader_free(&rd);
	free(h);
	evlist_free(&l);
	rs_tmpdir_cleanup(dir);
}

/* A batch that reaches back before what is derived (a CPU's records
 * committed after later ones of the other) cannot be appended: the
 * follow loads afresh, says so, and still equals a fresh load. */
static void test_follow_out_of_order(void **state)
{
	char *dir = rs_tmpdir(), err[256];
	char db[512];
	snprintf(db, sizeof db, "%s/follow.db", dir);
	empty_copy(rs_src_path("samples/traces/pingpong.db"), db, 2);
	evlist l = { 0 };
	synthetic(&l, 40);
	/* CPU 0's events first, then CPU 1's: the second batch goes back */
	evlist a = { 0 }, b = { 0 };
	for (size_t i = 0; i < l.n; i++)
		add(l.v[i].cpu ? &b : &a, l.v[i].cpu, l.v[i].t, l.v[i].type,
		    l.v[i].ctx, l.v[i].a, l.v[i].b, l.v[i].c, l.v[i].str);
	append(db, &a, 0, a.n);
	rv_follow *f = rv_follow_open(db, err, sizeof err, NULL, NULL);
	assert_non_null(f);
	append(db, &b, 0, b.n);
	assert_int_equal(rv_follow_reload(f, err, sizeof err), 1);
	assert_true(rv_follow_stats_get(f)->rebuilt);
	rv_model *fresh = rv_model_load(db, err, sizeof err);
	assert_non_null(fresh);
	models_eq(rv_follow_model(f), fresh);
	rv_model_free(fresh);
	rv_follow_free(f, false);
	evlist_free(&l);
	evlist_free(&a);
	evlist_free(&b);
	rs_tmpdir_cleanup(dir);
}

/* What the previews of a load saw (rv_load_show). */
typedef struct {
	uint64_t total, last;
	int64_t first_t;          /* the trace's first event */
	int n;
	long inked;               /* plot pixels not white, in all previews */
} previews;

/* Each preview: a model further on than the one before and short of the
 * whole, inside the extent it is given, drawable and not blank. */
static void preview_seen(void *data, const rv_model *m, int64_t lo, int64_t hi)
{
	previews *p = data;
	assert_true(m->nevents > p->last && m->nevents < p->total);
	p->last = m->nevents;
	assert_true(lo == p->first_t && lo <= m->t_min && m->t_max <= hi);
	rv_geom g;
	rv_geom_compute(m, &g);
	rv_view v = { .width = 700, .height = (int)g.total_h + RV_RULER_H };
	rv_view_fit_span(&v, lo, hi);
	pic a = draw_view(m, &v);
	for (int y = RV_RULER_H; y < a.h; y++)
		for (int x = RV_LEFT_W; x < v.width; x++)
			p->inked += (*(const uint32_t *)(a.d + (size_t)y *
					a.stride + 4 * (size_t)x) & 0xffffff) !=
				    0xffffff;
	cairo_surface_destroy(a.s);
	p->n++;
}

/*
 * A load with previews (the window's) gives the model a plain load
 * gives, array for array and pixel for pixel, though it was laid out and
 * published for show several times on the way: 1.1 M events of the
 * synthetic guest, so each CPU's records make two ranges and a preview
 * falls between them (preview_ms 0: at every range used up).
 */
static void test_load_shown_equals_load(void **state)
{
	char *dir = rs_tmpdir();
	char db[512], err[256];
	snprintf(db, sizeof db, "%s/big.db", dir);
	empty_copy(rs_src_path("samples/traces/pingpong.db"), db, 2);
	evlist l = { 0 };
	synthetic(&l, 190000);
	assert_true(l.n > 1100000);
	for (size_t at = 0; at < l.n; at += 100000)   /* the test ring's size */
		append(db, &l, at, at + 100000 < l.n ? at + 100000 : l.n);
	previews p = { .total = l.n, .first_t = l.v[0].t };
	const rv_load_show show = { .preview = preview_seen,
				    .preview_data = &p, .preview_ms = 0 };
	rv_model *shown = rv_model_load_shown(db, err, sizeof err, &show);
	if (!shown)
		fail_msg("%s", err);
	rv_model *plain = rv_model_load(db, err, sizeof err);
	if (!plain)
		fail_msg("%s", err);
	assert_true(p.n >= 1);
	assert_true(p.inked > 1000);
	assert_int_equal(shown->nevents, l.n);
	models_eq(shown, plain);
	pictures_eq(shown, plain);
	rv_model_free(shown);
	rv_model_free(plain);
	evlist_free(&l);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(viewer_follow,
	      cmocka_unit_test(test_follow_synthetic),
	      cmocka_unit_test(test_follow_sliced),
	      cmocka_unit_test(test_follow_real_trace),
	      cmocka_unit_test(test_follow_collector_store),
	      cmocka_unit_test(test_follow_out_of_order),
	      cmocka_unit_test(test_load_shown_equals_load))

/*
 * histogram.c - the latency histogram's model and drawing (histogram.h):
 * rs_report_compute for the figures, the promises table for which
 * promise is in which bar, cairo for the picture.
 */
#include "histogram.h"

#include <assert.h>
#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "ringside_ring.h"

const char *rv_hist_by_name(enum rs_report_by by)
{
	return by == RS_REPORT_BY_TYPE ? "type"
	       : by == RS_REPORT_BY_THREAD ? "thread" : "label";
}

void rv_hist_src_free(rv_hist_src *s)
{
	if (!s)
		return;
	rs_report_free(&s->rep);
	for (uint32_t i = 0; i < s->n; i++)
		g_free(s->key[i]);
	g_free(s->key);
	g_free(s->pid);
	g_free(s->value);
	g_free(s->sample);
	g_free(s->pp);
	g_free(s->of_pp);
	g_free(s);
}

/* The creating thread of each promise: the ctx of its (last, as the
 * report takes it) PROMISE_CREATE record in the range. */
static GHashTable *creators(sqlite3 *db, const struct rs_report *r)
{
	GHashTable *t = g_hash_table_new_full(g_int64_hash, g_int64_equal,
					      g_free, NULL);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT a, ctx FROM events WHERE trace_id "
			       "= ?1 AND type = ?2 AND ts_ns BETWEEN ?3 AND ?4 "
			       "ORDER BY ts_ns, cpu, seq", -1, &st,
			       NULL) != SQLITE_OK)
		return t;
	sqlite3_bind_int64(st, 1, r->meta.id);
	sqlite3_bind_int(st, 2, RS_EV_PROMISE_CREATE);
	sqlite3_bind_int64(st, 3, r->from_ns);
	sqlite3_bind_int64(st, 4, r->to_ns);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t *k = g_new(int64_t, 1);
		*k = sqlite3_column_int64(st, 0);
		g_hash_table_replace(t, k, GINT_TO_POINTER(
			(gint)(uint32_t)sqlite3_column_int64(st, 1) + 1));
	}
	sqlite3_finalize(st);
	return t;
}

static bool load_promises(rv_hist_src *s, struct rs_trace_db *tdb,
			  char *err, size_t errlen)
{
	sqlite3 *db = rs_trace_sqlite(tdb);
	const struct rs_report *r = &s->rep;
	GHashTable *cr = s->by == RS_REPORT_BY_THREAD ? creators(db, r) : NULL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT id, label, type, created_ns, "
			       "resolved_ns, state FROM promises WHERE "
			       "trace_id = ?1 ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		if (cr)
			g_hash_table_destroy(cr);
		return false;
	}
	sqlite3_bind_int64(st, 1, r->meta.id);
	uint32_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (s->n == cap) {
			cap = cap ? cap * 2 : 256;
			s->pid = g_renew(uint64_t, s->pid, cap);
			s->value = g_renew(uint64_t, s->value, cap);
			s->sample = g_renew(uint8_t, s->sample, cap);
			s->key = g_renew(char *, s->key, cap);
		}
		uint32_t i = s->n++;
		int64_t id = sqlite3_column_int64(st, 0);
		const char *label = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 2);
		const char *state = (const char *)sqlite3_column_text(st, 5);
		bool known = sqlite3_column_type(st, 3) != SQLITE_NULL &&
			     sqlite3_column_type(st, 4) != SQLITE_NULL;
		int64_t c = sqlite3_column_int64(st, 3);
		int64_t e = sqlite3_column_int64(st, 4);
		s->pid[i] = (uint64_t)id;
		/* the same test as report.c's lifetime samples */
		s->sample[i] = known && state && (!strcmp(state, "resolved") ||
						  !strcmp(state, "failed")) &&
			       c >= r->from_ns && e <= r->to_ns && e >= c;
		s->value[i] = s->sample[i] ? (uint64_t)(e - c) : 0;
		if (s->by == RS_REPORT_BY_LABEL) {
			/* the report's group: the label's pattern */
			char pat[256];
			rs_report_label_pattern(pat, sizeof(pat),
						label ? label : "(unlabelled)");
			s->key[i] = g_strdup(pat);
		} else if (s->by == RS_REPORT_BY_TYPE)
			s->key[i] = g_strdup(type ? type : "(unknown)");
		else {
			gpointer v = g_hash_table_lookup(cr, &id);
			s->key[i] = v ? g_strdup_printf("%u", (uint32_t)(
						GPOINTER_TO_INT(v) - 1))
				      : g_strdup("(unknown)");
		}
	}
	sqlite3_finalize(st);
	if (cr)
		g_hash_table_destroy(cr);
	return true;
}

rv_hist_src *rv_hist_src_new(const char *path, int64_t trace_id,
			     enum rs_report_by by, char *err, size_t errlen)
{
	struct rs_trace_db *db = rs_trace_open(path, err, errlen);
	if (!db)
		return NULL;
	rv_hist_src *s = g_new0(rv_hist_src, 1);
	s->by = by;
	bool ok = rs_report_compute(db, trace_id, INT64_MIN, INT64_MAX, by,
				    &s->rep, err, errlen) == 0 &&
		  load_promises(s, db, err, errlen);
	rs_trace_close(db);
	if (!ok) {
		rv_hist_src_free(s);
		return NULL;
	}
	return s;
}

void rv_hist_src_bind(rv_hist_src *s, const rv_model *m)
{
	/* promise id -> pp index + 1 (the last with that id) */
	struct rs_u64map t = { 0 };
	for (uint32_t p = 0; p < m->pp.n; p++)
		if (!rv_pp_is_thread(&m->pp, p)) {
			uint64_t *v = rs_u64map_put(&t, rv_pp_id(&m->pp, p), 0);
			if (!v)
				g_error("rv_hist_src_bind: out of memory");
			*v = p + 1;
		}
	g_free(s->pp);
	g_free(s->of_pp);
	s->npp = m->pp.n;
	s->pp = g_new(int32_t, s->n + 1);
	s->of_pp = g_new(int32_t, s->npp + 1);
	for (uint32_t p = 0; p < s->npp; p++)
		s->of_pp[p] = -1;
	for (uint32_t i = 0; i < s->n; i++) {
		const uint64_t *v = rs_u64map_find(&t, s->pid[i]);
		s->pp[i] = v ? (int32_t)(*v - 1) : -1;
		if (v)
			s->of_pp[s->pp[i]] = (int32_t)i;
	}
	rs_u64map_free(&t);
}

bool rv_hist_group_of(const rv_hist_src *s, uint32_t pp, char *buf,
		      size_t len)
{
	if (!s->of_pp || pp >= s->npp || s->of_pp[pp] < 0)
		return false;
	snprintf(buf, len, "%s", s->key[s->of_pp[pp]]);
	return true;
}

/* Bar edges: log-spaced from min to max, each snapped down to the start
 * of its HDR sub-bucket, so no sub-bucket straddles two bars. */
static void make_bars(rv_hist *h, const struct rs_hdr *hd)
{
	uint64_t e[RV_HIST_MAXBARS + 1];
	int ne = 0;
	uint64_t lo = rs_hdr_lowest_equivalent(h->min);
	uint64_t top = rs_hdr_highest_equivalent(h->max);
	uint64_t end = top == UINT64_MAX ? top : top + 1;
	double ll = log((double)(lo ? lo : 1)), lh = log((double)end);
	e[ne++] = lo;
	for (int i = 1; i < RV_HIST_BARS; i++) {
		double v = ceil(exp(ll + (lh - ll) * i / RV_HIST_BARS));
		uint64_t x = rs_hdr_lowest_equivalent((uint64_t)v);
		if (x > e[ne - 1] && x < end)
			e[ne++] = x;
	}
	e[ne++] = end;
	h->nbars = ne - 1;
	for (int i = 0; i < h->nbars; i++) {
		h->lo[i] = e[i];
		h->hi[i] = e[i + 1] - 1;
		h->cnt[i] = 0;
	}
	h->hi[h->nbars - 1] = top;
	struct rs_hdr_iter it;
	rs_hdr_iter_init(&it, hd);
	int b = 0;
	while (rs_hdr_iter_next(&it)) {
		while (b + 1 < h->nbars && it.lo > h->hi[b])
			b++;
		h->cnt[b] += it.count;
	}
	h->maxcnt = 0;
	for (int i = 0; i < h->nbars; i++)
		if (h->cnt[i] > h->maxcnt)
			h->maxcnt = h->cnt[i];
}

static const struct rs_report_group *find(const struct rs_report_section *sec,
					  const char *name)
{
	for (size_t i = 0; i < sec->n; i++)
		if (!strcmp(sec->groups[i].name, name))
			return &sec->groups[i];
	return NULL;
}

bool rv_hist_build(rv_hist *h, const rv_hist_src *s, int section,
		   const char *group)
{
	assert(h && s);
	memset(h, 0, sizeof *h);
	h->sel = -1;
	h->section = section;
	h->by = s->by;
	snprintf(h->group, sizeof h->group, "%s", group);
	const struct rs_report_section *sec = &s->rep.sec[section];
	const struct rs_report_group *g = find(sec, group);
	const char *what = section == RS_REPORT_WAKE ? "thread"
			   : rv_hist_by_name(s->by);
	char who[200];
	if (g && g->detail)
		snprintf(who, sizeof who, "%s %s (%s)", what, group, g->detail);
	else
		snprintf(who, sizeof who, "%s %s", what, group);
	snprintf(h->title, sizeof h->title, "%s, %s", sec->title, who);
	if (!g || !rs_hdr_count(g->h)) {
		snprintf(h->title, sizeof h->title, "%s, %s: no samples",
			 sec->title, who);
		return false;
	}
	const struct rs_hdr *hd = g->h;
	h->count = rs_hdr_count(hd);
	h->min = rs_hdr_min(hd);
	h->max = rs_hdr_max(hd);
	h->mean = rs_hdr_mean(hd);
	h->p50 = rs_hdr_percentile(hd, 50);
	h->p90 = rs_hdr_percentile(hd, 90);
	h->p99 = rs_hdr_percentile(hd, 99);
	h->p999 = rs_hdr_percentile(hd, 99.9);
	make_bars(h, hd);
	/* a thread's lifetimes come with its own wake-to-run figures */
	if (section == RS_REPORT_LIFETIME && s->by == RS_REPORT_BY_THREAD) {
		const struct rs_report_group *w =
			find(&s->rep.sec[RS_REPORT_WAKE], group);
		if (w && rs_hdr_count(w->h)) {
			char a[32], b[32], c[32];
			snprintf(h->extra, sizeof h->extra, "wake -> run: %" PRIu64
				 " wakes, p50 %s, p99 %s, max %s",
				 rs_hdr_count(w->h),
				 rs_report_fmt(a, sizeof a, rs_hdr_percentile(w->h, 50), "ns"),
				 rs_report_fmt(b, sizeof b, rs_hdr_percentile(w->h, 99), "ns"),
				 rs_report_fmt(c, sizeof c, rs_hdr_max(w->h), "ns"));
		}
	}
	return true;
}

uint32_t rv_hist_mark(const rv_hist *h, const rv_hist_src *s, int bar,
		      uint8_t *mark)
{
	memset(mark, 0, s->npp);
	if (h->section != RS_REPORT_LIFETIME || bar < 0 || bar >= h->nbars ||
	    !s->pp)
		return 0;
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->sample[i] && s->pp[i] >= 0 &&
		    s->value[i] >= h->lo[bar] && s->value[i] <= h->hi[bar] &&
		    !strcmp(s->key[i], h->group)) {
			mark[s->pp[i]] = 1;
			n++;
		}
	return n;
}

void rv_hist_print(FILE *f, const rv_hist *h)
{
	static const char *const keys[] = {
		[RS_REPORT_LIFETIME] = "promise_lifetime",
		[RS_REPORT_WAIT] = "wait_time", [RS_REPORT_WAKE] = "wake_to_run",
	};
	fprintf(f, "hist %s:%s by=%s count=%" PRIu64 " min=%" PRIu64
		" p50=%" PRIu64 " p90=%" PRIu64 " p99=%" PRIu64 " p999=%" PRIu64
		" max=%" PRIu64 " bars=%d\n",
		h->section <= RS_REPORT_WAKE ? keys[h->section] : "?", h->group,
		rv_hist_by_name(h->by), h->count, h->min, h->p50, h->p90,
		h->p99, h->p999, h->max, h->nbars);
	for (int i = 0; i < h->nbars; i++)
		fprintf(f, "bar %d %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", i,
			h->lo[i], h->hi[i], h->cnt[i]);
	fflush(f);
}

/* ---- drawing ------------------------------------------------------------ */

#define HX0 RV_HIST_PLOT_LEFT
#define HX1 RV_HIST_PLOT_RIGHT
#define HY0 RV_HIST_PLOT_TOP
#define HY1 RV_HIST_PLOT_BOTTOM

typedef struct { double x0, y0, x1, y1, bw; } plot_t;

static plot_t plot_of(const rv_hist *h, int w, int ht)
{
	plot_t p = { HX0, HY0, w - HX1, ht - HY1, 0 };
	if (p.x1 < p.x0 + 20)
		p.x1 = p.x0 + 20;
	if (p.y1 < p.y0 + 20)
		p.y1 = p.y0 + 20;
	p.bw = h->nbars ? (p.x1 - p.x0) / h->nbars : 0;
	return p;
}

int rv_hist_bar_at(const rv_hist *h, int w, int ht, double x, double y)
{
	plot_t p = plot_of(h, w, ht);
	if (!h->nbars || x < p.x0 || x >= p.x1 || y < p.y0 || y > p.y1 + 4)
		return -1;
	int b = (int)((x - p.x0) / p.bw);
	return b < h->nbars ? b : h->nbars - 1;
}

void rv_hist_bar_centre(const rv_hist *h, int w, int ht, int bar,
			double *x, double *y)
{
	plot_t p = plot_of(h, w, ht);
	*x = p.x0 + (bar + 0.5) * p.bw;
	*y = p.y1 - 2;
}

/* x of a value: inside its bar, linearly within the bar's range. */
static double value_x(const rv_hist *h, const plot_t *p, uint64_t v)
{
	for (int i = 0; i < h->nbars; i++)
		if (v <= h->hi[i]) {
			double f = v <= h->lo[i] ? 0 : (double)(v - h->lo[i]) /
				   (double)(h->hi[i] - h->lo[i] + 1);
			return p->x0 + (i + f) * p->bw;
		}
	return p->x1;
}

static void text(cairo_t *cr, double x, double y, const char *s, double align)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - e.x_advance * align, y);
	cairo_show_text(cr, s);
}

static void draw_figures(cairo_t *cr, const rv_hist *h, int w)
{
	const char *u = h->section == RS_REPORT_LIFETIME ||
			h->section == RS_REPORT_WAIT ||
			h->section == RS_REPORT_WAKE ? "ns" : "";
	const char *names[] = { "min", "p50", "p90", "p99", "p99.9", "max" };
	uint64_t vals[] = { h->min, h->p50, h->p90, h->p99, h->p999, h->max };
	char buf[64], line[200];
	cairo_set_font_size(cr, 12);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	snprintf(line, sizeof line, "count %" PRIu64, h->count);
	text(cr, 10, 40, line, 0);
	double colw = (w - 20) / 3.0;
	for (int i = 0; i < 6; i++) {
		double x = 10 + (i % 3) * colw, y = 58 + (i / 3) * 16;
		cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
		text(cr, x, y, names[i], 0);
		cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
		text(cr, x + 40, y, rs_report_fmt(buf, sizeof buf, vals[i], u), 0);
	}
	if (h->extra[0]) {
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.45);
		cairo_set_font_size(cr, 11);
		snprintf(line, sizeof line, "%s", h->extra);
		text(cr, colw + 10, 40, line, 0);
	}
}

static void draw_axes(cairo_t *cr, const rv_hist *h, const plot_t *p)
{
	char buf[64];
	cairo_set_font_size(cr, 10);
	cairo_set_line_width(cr, 1);
	/* count axis: 0, half, max */
	for (int k = 0; k <= 2; k++) {
		double c = (double)h->maxcnt * k / 2;
		double y = p->y1 - (p->y1 - p->y0) * k / 2.0;
		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, p->x0, floor(y) + 0.5);
		cairo_line_to(cr, p->x1, floor(y) + 0.5);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
		snprintf(buf, sizeof buf, "%.*f", fmod(c, 1) ? 1 : 0, c);
		text(cr, p->x0 - 5, y + 3, buf, 1);
	}
	/* value axis: the low edge of every few bars, and the top */
	int step = (int)ceil(70.0 / fmax(p->bw, 1));
	double last = -1e9;
	for (int i = 0; i <= h->nbars; i += step) {
		uint64_t v = i < h->nbars ? h->lo[i] : h->hi[h->nbars - 1];
		double x = p->x0 + i * p->bw;
		cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
		cairo_move_to(cr, floor(x) + 0.5, p->y1);
		cairo_line_to(cr, floor(x) + 0.5, p->y1 + 4);
		cairo_stroke(cr);
		if (x - last < 60)
			continue;
		rs_report_fmt(buf, sizeof buf, v, "ns");
		cairo_text_extents_t e;
		cairo_text_extents(cr, buf, &e);
		/* keep the first and last labels inside the pane */
		text(cr, x, p->y1 + 15, buf, i == 0 ? 0
		     : x + e.x_advance / 2 > p->x1 + HX1 - 2 ? 1 : 0.5);
		last = x;
	}
	cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
	text(cr, (p->x0 + p->x1) / 2, p->y1 + 30,
	     "log-spaced bars (click one to highlight its promises)", 0.5);
}

void rv_hist_draw(cairo_t *cr, const rv_hist *h, int w, int ht)
{
	cairo_save(cr);
	cairo_rectangle(cr, 0, 0, w, ht);
	cairo_clip(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, 13);
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, 10, 18, h->title[0] ? h->title
		 : "select a promise or a thread lane", 0);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	if (!h->count || !h->nbars) {
		cairo_restore(cr);
		return;
	}
	draw_figures(cr, h, w);
	plot_t p = plot_of(h, w, ht);
	draw_axes(cr, h, &p);
	double gap = p.bw > 4 ? 1 : 0;
	for (int i = 0; i < h->nbars; i++) {
		if (!h->cnt[i])
			continue;
		double bh = (p.y1 - p.y0) * (double)h->cnt[i] / (double)h->maxcnt;
		if (bh < 2)
			bh = 2;
		if (i == h->sel)
			cairo_set_source_rgb(cr, 0.85, 0.0, 0.75);
		else
			cairo_set_source_rgb(cr, RV_HIST_BAR_R / 255.0,
					     RV_HIST_BAR_G / 255.0,
					     RV_HIST_BAR_B / 255.0);
		cairo_rectangle(cr, p.x0 + i * p.bw + gap, p.y1 - bh,
				p.bw - 2 * gap, bh);
		cairo_fill(cr);
	}
	if (h->sel >= 0 && h->sel < h->nbars) {
		cairo_set_source_rgba(cr, 0.85, 0.0, 0.75, 0.12);
		cairo_rectangle(cr, p.x0 + h->sel * p.bw, p.y0, p.bw, p.y1 - p.y0);
		cairo_fill(cr);
	}
	/* percentile markers along the top of the plot */
	const char *pn[] = { "p50", "p90", "p99" };
	uint64_t pv[] = { h->p50, h->p90, h->p99 };
	cairo_set_font_size(cr, 10);
	double last = -1e9;
	for (int k = 0; k < 3; k++) {
		double x = floor(value_x(h, &p, pv[k])) + 0.5;
		cairo_set_source_rgba(cr, 0.8, 0.3, 0.0, 0.8);
		double dash[] = { 3, 3 };
		cairo_set_dash(cr, dash, 2, 0);
		cairo_move_to(cr, x, p.y0 - 4);
		cairo_line_to(cr, x, p.y1);
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
		if (x - last >= 24) {
			text(cr, x, p.y0 - 6, pn[k], 0.5);
			last = x;
		}
	}
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_move_to(cr, p.x0, p.y1 + 0.5);
	cairo_line_to(cr, p.x1, p.y1 + 0.5);
	cairo_stroke(cr);
	cairo_restore(cr);
}

int64_t rv_hit_thread_lane(const rv_model *m, const rv_view *v, double x,
			   double y)
{
	if (!m || !m->show_threads || y < RV_RULER_H)
		return -1;
	rv_geom g;
	rv_geom_compute(m, &g);
	double by = y - RV_RULER_H + v->yscroll - g.thread_y;
	if (by < 0 || by >= m->nthreads * (double)RV_THREAD_H)
		return -1;
	return (int64_t)(by / RV_THREAD_H);
}

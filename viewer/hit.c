/*
 * hit.c - what is under the pointer (tooltips, double-click), the summary
 * of a selected time range, becomes chains and label search. Shared by the
 * window and the tests, and kept apart from GTK so both can use it.
 */
#include "draw.h"

#include <assert.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ringside_ring.h"
#include "xcpu.h"

/* The span of s under time t, or -1 (with a pixel of slack either side
 * so sub-pixel spans can be pointed at). */
static int64_t span_at(const rv_spans *s, const rv_view *v, double t)
{
	uint32_t i = rv_spans_first_ending_after(s, (int64_t)(t - v->ns_per_px));
	if (i < s->n && (double)RV_START(s, i) <= t + v->ns_per_px)
		return i;
	return -1;
}

int64_t rv_hit_pp(const rv_model *m, const rv_view *v, double x, double y)
{
	rv_geom g;
	rv_geom_compute(m, &g);
	double by = y - RV_RULER_H + v->yscroll - g.rows_y;
	if (by < 0 || x < RV_LEFT_W)
		return -1;
	int32_t r = (int32_t)(by / RV_ROW_H);
	if (r >= (int32_t)m->nrows)
		return -1;
	const rv_row *row = &m->rows[r];
	double t = rv_t(v, x), slack = 3 * v->ns_per_px;
	uint32_t i = rv_row_first_ending_after(row, (int64_t)(t - slack));
	if (i < row->n && (double)RV_START(row, i) <= t + slack)
		return row->pp[i];
	return -1;
}

static void describe_pp(GString *s, const rv_model *m, uint32_t p)
{
	const rv_pps *pp = &m->pp;
	char a[48], b[48];
	if (rv_pp_is_thread(pp, p)) {
		g_string_append_printf(s, "thread %s (tid %llu)\n", pp->label[p],
				       (unsigned long long)rv_pp_id(pp, p));
	} else {
		g_string_append_printf(s, "promise %llu: %s\n",
				       (unsigned long long)rv_pp_id(pp, p),
				       rv_ptype_name(pp->ptype[p]));
		if (pp->label[p])
			g_string_append_printf(s, "label: %s\n", pp->label[p]);
	}
	rv_fmt_time(a, sizeof a, (double)rv_pp_created(pp, p));
	g_string_append_printf(s, "created: %s%s\n", a,
			       rv_pp_lost_create(pp, p) ? " (create lost)" : "");
	if (rv_pp_resolved(pp, p) != INT64_MAX) {
		rv_fmt_time(a, sizeof a, (double)rv_pp_resolved(pp, p));
		rv_fmt_dur(b, sizeof b, (double)(rv_pp_resolved(pp, p) -
						 rv_pp_created(pp, p)));
		static const char *const st[] = { "pending", "resolved", "failed",
						   "cancelled" };
		g_string_append_printf(s, "%s: %s (after %s)\n",
				       rv_pp_is_thread(pp, p) ? "exited" :
				       st[pp->state[p] & 3], a, b);
	} else if (pp->state[p] == RV_PS_END_UNKNOWN) {
		rv_fmt_time(a, sizeof a, (double)rv_pp_own_end(pp, p));
		g_string_append_printf(s, "end unknown: lost records (its cpu "
				       "lost records from %s)\n", a);
	} else {
		g_string_append(s, rv_pp_is_thread(pp, p) ? "still running\n"
				  : "never resolved\n");
	}
	if (rv_pp_fail_msg(pp, p))
		g_string_append_printf(s, "failed: %s\n", rv_pp_fail_msg(pp, p));
	if (pp->parent[p] >= 0)
		g_string_append_printf(s, "parent: %s %llu\n",
				       rv_pp_is_thread(pp, pp->parent[p]) ? "thread" :
				       "promise",
				       (unsigned long long)rv_pp_id(pp, pp->parent[p]));
	if (!rv_pp_is_thread(pp, p) && rv_pp_thread(pp, p) >= 0)
		g_string_append_printf(s, "created by thread %s\n",
				       m->threads[rv_pp_thread(pp, p)].name);
	const int32_t y = rv_pp_follows(pp, p);
	if (y >= 0)
		g_string_append_printf(s, "becomes promise %llu\n",
				       (unsigned long long)rv_pp_id(pp, y));
}

static void describe_span(GString *s, const rv_spans *sp, int64_t i,
			  const char *what)
{
	char a[48], d[48];
	rv_fmt_time(a, sizeof a, (double)RV_START(sp, i));
	rv_fmt_dur(d, sizeof d, (double)(RV_END(sp, i) - RV_START(sp, i)));
	g_string_append_printf(s, "%s\nfrom %s for %s", what, a, d);
}

static void describe_panic(GString *s, const rv_model *m)
{
	char buf[64];
	rv_fmt_time(buf, sizeof buf, (double)m->panic_t);
	g_string_append_printf(s, "PANIC at %s on cpu %lld\n%s\n", buf,
			       (long long)m->panic_cpu,
			       m->panic_reason ? m->panic_reason : "");
	if (m->panic_vector != RS_PANIC_VECTOR_NONE)
		g_string_append_printf(s, "vector %lld, fault address 0x%llx\n",
				       (long long)m->panic_vector,
				       (unsigned long long)m->panic_fault_addr);
	g_string_append_printf(s, "rip 0x%llx", (unsigned long long)m->panic_rip);
	if (m->panic_rip_name)
		g_string_append_printf(s, " in %s", m->panic_rip_name);
	g_string_append_printf(s, "\nregs %s\n", m->panic_regs ? m->panic_regs
							 : "{}");
	if (m->panic_cpus)
		g_string_append_printf(s, "%s\n", m->panic_cpus);
	if (m->panic_frames)
		g_string_append_printf(s, "backtrace:\n%s", m->panic_frames);
	else
		g_string_append_printf(s, "backtrace %s", m->panic_backtrace ?
				       m->panic_backtrace : "[]");
}

/* A loss drawn under x (at least 3 px wide, so a short one can be hit). */
static bool describe_lost(GString *s, const rv_model *m, const rv_view *v,
			  double x)
{
	for (uint32_t i = 0; i < m->nlost; i++) {
		const rv_lost *l = &m->lost[i];
		double a = l->from == INT64_MIN ? (double)m->t_min : (double)l->from;
		double b = l->to == INT64_MAX ? (double)m->t_max : (double)l->to;
		if (x >= rv_x(v, a) && x <= fmax(rv_x(v, b), rv_x(v, a) + 3)) {
			g_string_append_printf(s, "%lld record%s lost on cpu %d "
					       "between these times",
					       (long long)l->count,
					       l->count == 1 ? "" : "s", l->cpu);
			return true;
		}
	}
	return false;
}

/* The ruler: a mark near x, else the time at x. */
static void describe_ruler(GString *s, const rv_model *m, const rv_view *v,
			   double x, double t)
{
	for (uint32_t i = 0; i < m->nmarks; i++)
		if (fabs(rv_x(v, (double)m->marks[i].t) - x) <= 3) {
			g_string_append_printf(s, "mark %lld: %s",
					       (long long)m->marks[i].value,
					       m->marks[i].text);
			return;
		}
	char buf[64];
	rv_fmt_time(buf, sizeof buf, t);
	g_string_append_printf(s, "%s since boot", buf);
}

/* CPU lane c at time t: an interrupt, idle or the thread running, and an
 * allocator burst over any of them. */
static void describe_cpu(GString *s, const rv_model *m, const rv_view *v,
			 int c, double t)
{
	char buf[64];
	int64_t i = span_at(&m->cpu_irq[c], v, t);
	if (i >= 0) {
		snprintf(buf, sizeof buf, "cpu %d: interrupt, vector %u", c,
			 RV_REF(&m->cpu_irq[c], i));
		describe_span(s, &m->cpu_irq[c], i, buf);
	} else if ((i = span_at(&m->cpu_idle[c], v, t)) >= 0) {
		snprintf(buf, sizeof buf, "cpu %d: idle", c);
		describe_span(s, &m->cpu_idle[c], i, buf);
	} else if ((i = span_at(&m->cpu_lane[c], v, t)) >= 0) {
		uint32_t th = RV_REF(&m->cpu_lane[c], i);
		snprintf(buf, sizeof buf, "cpu %d: thread %s (tid %llu)", c,
			 th < m->nthreads ? m->threads[th].name : "?",
			 th < m->nthreads ?
			 (unsigned long long)m->threads[th].tid : 0ull);
		describe_span(s, &m->cpu_lane[c], i, buf);
	}
	if ((i = span_at(&m->cpu_alloc[c], v, t)) >= 0)
		g_string_append_printf(s, "\nallocator burst: %u record%s",
				       RV_REF(&m->cpu_alloc[c], i),
				       RV_REF(&m->cpu_alloc[c], i) == 1 ? "" : "s");
	rv_xcpu_describe(s, m, v, c, t);
}

/* Thread row th at time t: its state then. */
static void describe_thread(GString *s, const rv_model *m, const rv_view *v,
			    uint32_t th, double t)
{
	const rv_spans *st = &m->threads[th].states;
	int64_t i = span_at(st, v, t);
	if (i < 0)
		return;
	char what[128];
	if (RV_KIND(st, i) == RV_K_RUNNING)
		snprintf(what, sizeof what, "%s: running on cpu %u",
			 m->threads[th].name, RV_REF(st, i));
	else if (RV_KIND(st, i) >= RV_K_BLOCK_PROMISE)
		snprintf(what, sizeof what, "%s: %s (object %u)",
			 m->threads[th].name, rv_kind_name(RV_KIND(st, i)),
			 RV_REF(st, i));
	else
		snprintf(what, sizeof what, "%s: %s", m->threads[th].name,
			 rv_kind_name(RV_KIND(st, i)));
	describe_span(s, st, i, what);
}

/* The k-th counter shown, its value at time t. */
static void describe_counter(GString *s, const rv_model *m, uint32_t k,
			     double t)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->ncounters; i++) {
		const rv_counter *c = &m->counters[i];
		if (!c->shown || n++ != k)
			continue;
		uint32_t j = rv_times_lower_bound(&c->t, 0, c->n, (int64_t)t + 1);
		g_string_append_printf(s, "%s = %lld", c->name,
				       j ? (long long)rv_counter_v(c, j - 1) : 0LL);
	}
}

/* What is drawn at (x, y): the panic and hang markers and losses first
 * (they are drawn over everything), then by band from the top. */
char *rv_hit_describe(const rv_model *m, const rv_view *v, double x,
		      double y)
{
	assert(v);   /* m NULL: still loading, nothing to describe */
	if (!m || x < RV_LEFT_W)
		return NULL;
	rv_geom g;
	rv_geom_compute(m, &g);
	const double t = rv_t(v, x);
	const double by = y - RV_RULER_H + v->yscroll;
	GString *s = g_string_new(NULL);
	if (m->panicked && fabs(rv_x(v, (double)m->panic_t) - x) <= 4) {
		describe_panic(s, m);
		return g_string_free(s, FALSE);
	}
	if (m->hung && fabs(rv_x(v, (double)m->hung_at) - x) <= 4) {
		char buf[64];
		rv_fmt_time(buf, sizeof buf, (double)m->hung_at);
		g_string_append_printf(s, "HANG: the heartbeat stopped at %s", buf);
		return g_string_free(s, FALSE);
	}
	if (describe_lost(s, m, v, x))
		return g_string_free(s, FALSE);
	if (y < RV_RULER_H) {
		describe_ruler(s, m, v, x, t);
		return g_string_free(s, FALSE);
	}
	if (by >= g.cpu_y && by < g.cpu_y + m->ncpus * RV_LANE_H) {
		describe_cpu(s, m, v, (int)((by - g.cpu_y) / RV_LANE_H), t);
	} else if (m->show_threads && by >= g.thread_y &&
		   by < g.thread_y + m->nthreads * RV_THREAD_H) {
		describe_thread(s, m, v, (uint32_t)((by - g.thread_y) /
						    RV_THREAD_H), t);
	} else if (by >= g.counter_y && by < g.rows_y - RV_GAP) {
		describe_counter(s, m, (uint32_t)((by - g.counter_y) /
						  RV_COUNTER_H), t);
	} else {
		int64_t p = rv_hit_pp(m, v, x, y);
		if (p >= 0)
			describe_pp(s, m, (uint32_t)p);
	}
	if (!s->len) {
		g_string_free(s, TRUE);
		return NULL;
	}
	while (s->len && s->str[s->len - 1] == '\n')
		g_string_truncate(s, s->len - 1);
	return g_string_free(s, FALSE);
}

char *rv_range_summary(const uint64_t counts_in[256], int64_t a, int64_t b)
{
	assert(counts_in && a <= b);
	uint64_t counts[256], total = 0;
	for (int k = 0; k < 256; k++)
		total += counts[k] = counts_in[k];
	char d[48];
	rv_fmt_dur(d, sizeof d, (double)(b - a));
	GString *s = g_string_new(NULL);
	g_string_append_printf(s, "%s selected: %llu event%s", d,
			       (unsigned long long)total, total == 1 ? "" : "s");
	/* biggest first, so the summary reads as "mostly switches" */
	for (int shown = 0; shown < 8; shown++) {
		int best = -1;
		for (int k = 0; k < 256; k++)
			if (counts[k] && (best < 0 || counts[k] > counts[best]))
				best = k;
		if (best < 0)
			break;
		const char *n = rv_event_name(best);
		g_string_append_printf(s, "%s %llu %s", shown ? "," : " -",
				       (unsigned long long)counts[best],
				       n ? n : "?");
		counts[best] = 0;
	}
	return g_string_free(s, FALSE);
}

void rv_chain_mark(const rv_model *m, uint32_t pp, uint8_t *chain)
{
	assert(m && chain && pp < m->pp.n);
	memset(chain, 0, m->pp.n);
	/* back to the head of the chain: the root, or whoever became us */
	const int32_t root = rv_pp_cont_root(&m->pp, pp);
	uint32_t head = root >= 0 ? (uint32_t)root : pp;
	for (int32_t q = (int32_t)head; q >= 0; q = rv_pp_follows(&m->pp, q)) {
		if (chain[q])
			break;
		chain[q] = 1;
	}
}

/* Does hay contain low (ASCII, lower case) ignoring ASCII case? *ascii
 * is cleared when hay holds a byte past ASCII, where only casefolding
 * (which may map such a letter to an ASCII one) can tell. */
static bool ascii_icase_contains(const char *hay, const char *low, size_t nl,
				 bool *ascii)
{
	for (const char *h = hay; *h; h++) {
		if ((unsigned char)*h >= 0x80) {
			*ascii = false;
			return false;
		}
		size_t k = 0;
		while (k < nl && h[k] && g_ascii_tolower(h[k]) == low[k])
			k++;
		if (k == nl)
			return true;
	}
	return false;
}

/*
 * Case-insensitive substring search over every promise label. Most labels
 * are ASCII, and casefolding one is lower-casing it: those are compared in
 * place, without the allocation g_utf8_casefold makes per label (which was
 * most of a 10 M-event trace's 70-80 ms per keystroke). A label past ASCII
 * is casefolded as before, so both paths find the same matches.
 */
uint32_t rv_search(const rv_model *m, const char *needle, uint8_t *match)
{
	assert(m && needle && match);
	uint32_t n = 0;
	char *low = g_utf8_casefold(needle, -1);
	size_t nl = strlen(low);
	bool low_ascii = true;
	for (size_t k = 0; k < nl; k++)
		low_ascii &= (unsigned char)low[k] < 0x80;
	for (uint32_t i = 0; i < m->pp.n; i++) {
		const char *l = m->pp.label[i];
		bool hit = false, ascii = low_ascii;
		if (*low && l) {
			if (ascii)
				hit = ascii_icase_contains(l, low, nl, &ascii);
			if (!ascii) {
				char *f = g_utf8_casefold(l, -1);
				hit = strstr(f, low) != NULL;
				g_free(f);
			}
		}
		match[i] = hit;
		n += hit;
	}
	g_free(low);
	return n;
}

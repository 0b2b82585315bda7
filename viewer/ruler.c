/*
 * ruler.c - the ruler: its ticks and their labels (rv_ruler_compute), on
 * the one time base every number ringside prints uses: ns since the
 * guest's boot, the store's ts_ns, and their drawing (rv_draw_ruler). The
 * tests read the strings drawn, so what they check is what a user reads.
 *
 * Ticks fall on whole multiples of a 1/2/5 x 10^k ns step, and a label
 * has just the decimals that step needs, so neighbours always differ and
 * each label is its tick's time exactly. Far from boot at deep zoom that
 * would take many digits ("300.0000005 s"): then a round time is shown
 * once at the left and the ticks are labelled as offsets from it.
 *
 * rv_draw_ruler draws the ticks, their labels and grid lines down the
 * body, what the numbers count from, and the MARK records' flags.
 */
#include "draw.h"
#include "times.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Absolute labels up to this many significant digits; past it, an origin
 * and offsets (a label has to fit the ~90 px between ticks). */
#define RV_RULER_DIGITS 6

static void ruler_step(double ns_per_px, double *step)
{
	double want = ns_per_px * 90;  /* a grid line every ~90 px */
	double p = pow(10, floor(log10(want)));
	double s = p;
	if (want > 5 * p)
		s = 10 * p;
	else if (want > 2 * p)
		s = 5 * p;
	else if (want > p)
		s = 2 * p;
	*step = s < 1 ? 1 : s;
}

static const struct {
	int64_t ns;
	int exp;
	const char *name;
} units[] = {
	{ 1, 0, "ns" }, { 1000, 3, "us" }, { 1000000, 6, "ms" },
	{ 1000000000, 9, "s" },
};

/* The unit a magnitude of `a` ns reads best in. */
static int unit_for(int64_t a)
{
	int u = 3;
	while (u > 0 && a < units[u].ns)
		u--;
	return u;
}

/* Decimals of unit u that a multiple of `step` (1, 2 or 5 x 10^k ns)
 * needs to be exact. */
static int decimals_for(int64_t step, int u)
{
	int k = 0;
	while (step % 10 == 0 && k < units[u].exp) {
		step /= 10;
		k++;
	}
	return units[u].exp - k;
}

/* v ns in unit u with d decimals, from integers so it is exact for any
 * int64 (a double holds only 53 bits: 104 days in ns). */
static void fmt_fixed(char *buf, size_t len, const char *sign, int64_t v,
		      int u, int d)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t whole = a / (uint64_t)units[u].ns;
	uint64_t frac = a % (uint64_t)units[u].ns;
	for (int i = d; i < units[u].exp; i++)
		frac /= 10;
	if (d)
		snprintf(buf, len, "%s%s%llu.%0*llu %s", v < 0 ? "-" : "", sign,
			 (unsigned long long)whole, d, (unsigned long long)frac,
			 units[u].name);
	else
		snprintf(buf, len, "%s%s%llu %s", v < 0 ? "-" : "", sign,
			 (unsigned long long)whole, units[u].name);
}

static int digits(uint64_t a)
{
	int n = 1;
	while (a >= 10) {
		a /= 10;
		n++;
	}
	return n;
}

/* Round down to a multiple of m (m > 0), also below zero. */
static int64_t floor_to(int64_t t, int64_t m)
{
	int64_t q = t / m;
	if (t % m && t < 0)
		q--;
	return q * m;
}

/* The labels: absolute while they stay short, else offsets from a round
 * origin at or before the first tick (a multiple of ten steps, so it
 * stays put while the view pans by less than that). */
static void label_ticks(rv_ruler *r, const int64_t *tick, int64_t step)
{
	int64_t a0 = tick[0] < 0 ? -tick[0] : tick[0];
	int64_t a1 = tick[r->n - 1] < 0 ? -tick[r->n - 1] : tick[r->n - 1];
	int64_t amax = a0 > a1 ? a0 : a1;
	int u = unit_for(amax ? amax : step), d = decimals_for(step, u);
	if (digits((uint64_t)amax / (uint64_t)units[u].ns) + d <=
	    RV_RULER_DIGITS) {
		for (int i = 0; i < r->n; i++)
			fmt_fixed(r->label[i], sizeof r->label[i], "", tick[i],
				  u, d);
		return;
	}
	int64_t o = floor_to(tick[0], 10 * step);
	int uo = unit_for(o < 0 ? -o : o);
	r->origin = (double)o;
	fmt_fixed(r->origin_text, sizeof r->origin_text, "", o, uo,
		  decimals_for(10 * step, uo));
	int ur = unit_for(tick[r->n - 1] - o), dr = decimals_for(step, ur);
	for (int i = 0; i < r->n; i++)
		fmt_fixed(r->label[i], sizeof r->label[i], "+", tick[i] - o, ur,
			  dr);
}

void rv_ruler_compute(const rv_view *v, rv_ruler *r)
{
	assert(v && r);
	memset(r, 0, sizeof *r);
	double step;
	ruler_step(v->ns_per_px, &step);
	r->step = step;
	fmt_fixed(r->step_text, sizeof r->step_text, "", (int64_t)step,
		  unit_for((int64_t)step), 0);
	/* every tick whose line lands on a pixel of the plot: the right
	 * edge's too, so a window ending on a round time says so */
	double lo = ceil(v->from / step);
	double hi = floor((rv_t(v, v->width) + v->ns_per_px / 2) / step);
	if (!(lo >= -9e18 / step && hi <= 9e18 / step) || hi < lo)
		return;   /* off any int64 time; nothing to label */
	int64_t tick[RV_RULER_MAX];
	for (double k = lo; k <= hi && r->n < RV_RULER_MAX; k++) {
		tick[r->n] = (int64_t)k * (int64_t)step;
		r->t[r->n] = (double)tick[r->n];
		r->x[r->n] = fmin(floor(rv_x(v, r->t[r->n])) + 0.5,
				  v->width - 0.5);
		r->n++;
	}
	if (r->n)
		label_ticks(r, tick, (int64_t)step);
}

/* The ruler's left end says what its numbers count from: boot, or the
 * origin its labels are offsets of (shrunk to fit the lane-name column),
 * and the grid step below. */
static void draw_ruler_caption(cairo_t *cr, const rv_ruler *r)
{
	char buf[64];
	if (*r->origin_text)
		snprintf(buf, sizeof buf, "boot + %s", r->origin_text);
	else
		snprintf(buf, sizeof buf, "since boot");
	cairo_text_extents_t e;
	cairo_set_font_size(cr, 10);
	cairo_text_extents(cr, buf, &e);
	if (e.x_advance > RV_LEFT_W - 10)
		cairo_set_font_size(cr, 10 * (RV_LEFT_W - 10) / e.x_advance);
	cairo_set_source_rgb(cr, 0.3, 0.3, 0.35);
	cairo_move_to(cr, 6, 11);
	cairo_show_text(cr, buf);
	cairo_set_font_size(cr, 9);
	snprintf(buf, sizeof buf, "grid %s", r->step_text);
	cairo_move_to(cr, 6, RV_RULER_H - 3);
	cairo_show_text(cr, buf);
}

/* First mark from index lo on whose time is >= t (> t if after): marks
 * are in time order, so a frame bisects to its own instead of visiting
 * the trace's every one. */
static uint32_t mark_after(const rv_model *m, uint32_t lo, double t,
			   bool after)
{
	uint32_t hi = m->nmarks;
	while (lo < hi) {
		const uint32_t mid = lo + (hi - lo) / 2;
		const double mt = (double)m->marks[mid].t;
		RV_WORK(1);
		if (mt < t || (after && mt == t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void rv_draw_ruler(cairo_t *cr, const rv_model *m, const rv_view *v)
{
	rv_ruler r;
	rv_ruler_compute(v, &r);
	cairo_set_source_rgb(cr, 0.95, 0.95, 0.97);
	cairo_rectangle(cr, 0, 0, v->width, RV_RULER_H);
	cairo_fill(cr);
	cairo_set_font_size(cr, 10);
	cairo_set_line_width(cr, 1);
	for (int i = 0; i < r.n; i++) {
		double x = r.x[i];
		cairo_set_source_rgba(cr, 0.5, 0.5, 0.6, 0.25);
		cairo_move_to(cr, x, RV_RULER_H);
		cairo_line_to(cr, x, v->height);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.3, 0.3, 0.35);
		cairo_move_to(cr, x, RV_RULER_H - 6);
		cairo_line_to(cr, x, RV_RULER_H);
		cairo_stroke(cr);
		/* right of its tick, or left of it where it would run off
		 * the right edge */
		cairo_text_extents_t e;
		cairo_text_extents(cr, r.label[i], &e);
		double lx = x + 3 + e.x_advance > v->width ? x - 3 - e.x_advance
							    : x + 3;
		cairo_move_to(cr, lx, 11);
		cairo_show_text(cr, r.label[i]);
	}
	draw_ruler_caption(cr, &r);
	/* marks (MARK records) as small purple flags in the ruler */
	cairo_set_font_size(cr, 9);
	double last_x = -1e9;
	for (uint32_t i = mark_after(m, 0, rv_t(v, RV_LEFT_W), false);
	     i < m->nmarks;) {
		RV_WORK(1);
		double x = rv_x(v, (double)m->marks[i].t);
		if (x > v->width)
			break;
		const uint32_t k = i;
		/* the rest of this column has the same flag: on to the next
		 * column, or to the first mark here clear of the last text */
		if (x <= last_x && last_x < floor(x) + 1)
			i = mark_after(m, i + 1, rv_t(v, last_x), true);
		else
			i = mark_after(m, i + 1, rv_t(v, floor(x) + 1), false);
		cairo_set_source_rgb(cr, 0.5, 0.1, 0.6);
		cairo_rectangle(cr, floor(x), 13, 2, RV_RULER_H - 13);
		cairo_fill(cr);
		if (x > last_x) {
			cairo_text_extents_t e;
			cairo_text_extents(cr, m->marks[k].text, &e);
			/* near the right edge the text goes left of its flag,
			 * rather than being cut off */
			double tx = x + 3 + e.x_advance > v->width - 2 ?
				    x - 3 - e.x_advance : x + 3;
			cairo_move_to(cr, tx, RV_RULER_H - 2);
			cairo_show_text(cr, m->marks[k].text);
			last_x = x + e.x_advance + 6;
		}
	}
}

/*
 * ruler.c - the ruler's ticks and their labels (rv_ruler_compute), on the
 * one time base every number ringside prints uses: ns since the guest's
 * boot, the store's ts_ns. draw.c draws what this computes and the tests
 * read the same strings, so what they check is what a user reads.
 *
 * Ticks fall on whole multiples of a 1/2/5 x 10^k ns step, and a label
 * has just the decimals that step needs, so neighbours always differ and
 * each label is its tick's time exactly. Far from boot at deep zoom that
 * would take many digits ("300.0000005 s"): then a round time is shown
 * once at the left and the ticks are labelled as offsets from it.
 */
#include "draw.h"

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

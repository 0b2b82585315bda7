/*
 * bands.c - what a load computes from the per-CPU span lists once they are
 * derived (derive.c): the all-CPU interrupt and allocator bands, the union
 * of every CPU's spans, and the running totals of span lengths that a
 * zoomed-out pixel's shade is read from. A follow's publish extends them
 * from where they stopped (derive_follow.c), so these take a position.
 */
#include "model.h"

#include <glib.h>
#include <stdint.h>

#include "derive.h"
#include "xcpu.h"

/* Running totals of span lengths (rv_spans.cum), for drawing a pixel
 * that holds many short spans as pale as the time they fill: from the
 * first total not known valid (cum_n) to the end, so a --follow reload
 * computes only what is new. */
void rv_span_lengths(rv_spans *s)
{
	if (s->cum_n > s->n)
		s->cum_n = s->n;
	if (s->cum.n > s->cum_n + 1)
		rv_times_truncate(&s->cum, s->cum_n + 1);
	if (!s->cum.n)
		rv_times_push(&s->cum, 0);
	int64_t sum = RV_CUM(s, s->cum_n);
	for (uint32_t i = s->cum_n; i < s->n; i++) {
		/* A lying trace's spans can be longer, and add up to more,
		 * than int64 holds: lengths and totals saturate. */
		const uint64_t len = RV_END(s, i) > RV_START(s, i) ?
			(uint64_t)RV_END(s, i) - (uint64_t)RV_START(s, i) : 0;
		const uint64_t room = (uint64_t)(INT64_MAX - sum);
		sum = len < room ? sum + (int64_t)len : INT64_MAX;
		rv_times_push(&s->cum, sum);
	}
	s->cum_n = s->n;
}

void rv_union_more(rv_spans *out, rv_spans *in, int n, uint8_t kind,
		   uint32_t *pos, int64_t upto)
{
	for (;;) {
		int best = -1;
		for (int i = 0; i < n; i++)
			if (pos[i] < in[i].n &&
			    (best < 0 || RV_START(&in[i], pos[i]) <
					 RV_START(&in[best], pos[best])))
				best = i;
		if (best < 0 || RV_START(&in[best], pos[best]) > upto)
			break;
		int64_t s = RV_START(&in[best], pos[best]);
		int64_t e = RV_END(&in[best], pos[best]++);
		/* a lone record has no duration: it stays a tick in its CPU
		 * lane instead of painting the whole height */
		if (e == s)
			continue;
		if (out->n && s <= RV_END(out, out->n - 1)) {
			if (e > RV_END(out, out->n - 1)) {
				rv_times_set_last(&out->end, e);
				if (out->cum_n >= out->n)
					out->cum_n = out->n - 1;
			}
		} else {
			rv_spans_push(out, s, e, kind, 0);
		}
	}
}

/* Union of several sorted span lists into one (for the all-CPU bands). */
void rv_union_spans(rv_spans *out, rv_spans *in, int n, uint8_t kind)
{
	uint32_t *pos = g_new0(uint32_t, n);
	rv_union_more(out, in, n, kind, pos, INT64_MAX);
	g_free(pos);
}

void rv_span_totals(rv_model *m)
{
	rv_span_lengths(&m->band_idle);
	rv_span_lengths(&m->band_irq);
	rv_span_lengths(&m->band_alloc);
	for (int c = 0; c < m->ncpus; c++) {
		rv_span_lengths(&m->cpu_irq[c]);
		rv_span_lengths(&m->cpu_alloc[c]);
	}
}

void rv_finish_spans(rv_model *m)
{
	rv_union_spans(&m->band_irq, m->cpu_irq, m->ncpus, RV_K_IRQ);
	rv_union_spans(&m->band_alloc, m->cpu_alloc, m->ncpus, RV_K_ALLOC);
	rv_span_totals(m);
	rv_xcpu_sort_from(&m->xcpu, 0);
}

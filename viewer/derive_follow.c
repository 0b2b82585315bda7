/*
 * derive_follow.c - --follow's publish: the derivation (derive.c) stays
 * open across reloads, so a reload derives only the new events; what a
 * finished load would add at the end (open spans closed at the last
 * event, the all-CPU bands, the running totals, the promises whose end
 * is unknown) is added here for show and taken back before the next
 * events, so that a model grown by N reloads holds exactly what one load
 * of the same database holds.
 *
 * Cost per publish: the new spans, plus a constant per CPU and per
 * thread; bands merge the per-CPU spans no open span can precede any
 * more (the rest, after the oldest open interrupt or allocator burst,
 * is merged for show each time). With losses in the trace, the
 * end-unknown rule looks at every promise (rv_end_unknown): O(promises).
 */
#include "derive.h"

#include <assert.h>
#include <string.h>

static rv_spans *cpu_list(rv_model *m, int k, int c)
{
	rv_spans *l[4] = { m->cpu_lane, m->cpu_idle, m->cpu_irq, m->cpu_alloc };
	return &l[k][c];
}

static rv_spans *band(rv_model *m, int k)
{
	return k == 0 ? &m->band_idle : k == 1 ? &m->band_irq : &m->band_alloc;
}

static void truncate_spans(rv_spans *s, uint32_t n)
{
	rv_times_truncate(&s->start, n);
	rv_times_truncate(&s->end, n);
	rv_u32s_truncate(&s->ref, n);
	rv_u32s_truncate(&s->kind, n);
	s->n = n;
	if (s->cum_n > n)
		s->cum_n = n;
}

bool rv_builder_stale(const rv_builder *b)
{
	return b->stale;
}

bool rv_builder_last(const rv_builder *b, int64_t *t, int *cpu)
{
	*t = b->last_t;
	*cpu = b->last_cpu;
	return b->any;
}

void rv_builder_set_placed(rv_builder *b, uint32_t n)
{
	b->placed = n;
}

/* Merges into the bands the per-CPU interrupt and allocator spans that
 * no span still to come can start before: a CPU's next span starts at its
 * open one's start, or after its last event. */
static void settle_bands(rv_builder *b)
{
	rv_model *m = b->m;
	for (int k = 0; k < 2; k++) {
		if (!b->band_pos[k])
			b->band_pos[k] = g_new0(uint32_t, m->ncpus);
		int64_t upto = b->last_t;
		for (int c = 0; c < m->ncpus; c++) {
			const cpu_state *cs = &b->cpu[c];
			if (k == 0 && cs->irq_depth && cs->irq_since < upto)
				upto = cs->irq_since;
			if (k == 1 && cs->burst_n && cs->burst_start < upto)
				upto = cs->burst_start;
		}
		rv_union_more(k ? &m->band_alloc : &m->band_irq,
			      k ? m->cpu_alloc : m->cpu_irq, m->ncpus,
			      k ? RV_K_ALLOC : RV_K_IRQ, b->band_pos[k], upto);
	}
}

/* Remembers where every list the publish grows ends now. */
static void save_ends(rv_builder *b)
{
	rv_model *m = b->m;
	rv_provisional *p = &b->prov;
	p->cpu_n = g_renew(uint32_t, p->cpu_n, 4 * (gsize)m->ncpus);
	p->cpu = g_renew(cpu_state, p->cpu, m->ncpus);
	for (int c = 0; c < m->ncpus; c++)
		for (int k = 0; k < 4; k++)
			p->cpu_n[4 * c + k] = cpu_list(m, k, c)->n;
	memcpy(p->cpu, b->cpu, sizeof *b->cpu * m->ncpus);
	for (int k = 0; k < 3; k++) {
		rv_spans *s = band(m, k);
		p->band_n[k] = s->n;
		p->band_end[k] = s->n ? RV_END(s, s->n - 1) : 0;
	}
	p->nthreads = m->nthreads;
	p->thread_n = g_renew(uint32_t, p->thread_n, m->nthreads ? m->nthreads : 1);
	p->thread = g_renew(rv_thread, p->thread, m->nthreads ? m->nthreads : 1);
	for (uint32_t i = 0; i < m->nthreads; i++) {
		p->thread_n[i] = m->threads[i].states.n;
		p->thread[i] = m->threads[i];
	}
	p->t_min = m->t_min;
	p->t_max = m->t_max;
	if (!p->pp_undo)
		p->pp_undo = g_array_new(FALSE, FALSE, sizeof(rv_pp_undo));
	g_array_set_size(p->pp_undo, 0);
}

/* What rv_builder_finish closes at the end, closed the same way
 * (rv_close_open), with the builder's own state put back after. */
static void close_open(rv_builder *b)
{
	rv_model *m = b->m;
	rv_close_open(b);
	memcpy(b->cpu, b->prov.cpu, sizeof *b->cpu * m->ncpus);
	for (uint32_t i = 0; i < m->nthreads; i++) {
		rv_thread *th = &m->threads[i];
		const rv_thread *keep = &b->prov.thread[i];
		th->cur_kind = keep->cur_kind;
		th->cur_since = keep->cur_since;
		th->cur_ref = keep->cur_ref;
		th->cur_cpu = keep->cur_cpu;
	}
}

void rv_builder_publish(rv_builder *b)
{
	assert(b && !b->prov.on);
	rv_model *m = b->m;
	settle_bands(b);
	rv_xcpu_sort_from(&m->xcpu, b->xcpu_sorted);
	b->xcpu_sorted = m->xcpu.n;
	save_ends(b);
	b->prov.on = true;
	if (m->t_min > m->t_max)
		m->t_min = m->t_max = 0;
	close_open(b);
	/* the rest of the bands, as a finished load merges them */
	for (int k = 0; k < 2; k++) {
		uint32_t *pos = g_memdup2(b->band_pos[k],
					  sizeof(uint32_t) * m->ncpus);
		rv_union_more(k ? &m->band_alloc : &m->band_irq,
			      k ? m->cpu_alloc : m->cpu_irq, m->ncpus,
			      k ? RV_K_ALLOC : RV_K_IRQ, pos, INT64_MAX);
		g_free(pos);
	}
	rv_span_totals(m);
	rv_end_unknown(m, b->prov.pp_undo);
}

void rv_builder_unpublish(rv_builder *b)
{
	rv_provisional *p = &b->prov;
	if (!p->on)
		return;
	rv_model *m = b->m;
	for (guint i = p->pp_undo->len; i-- > 0;) {
		const rv_pp_undo *u = &g_array_index(p->pp_undo, rv_pp_undo, i);
		m->pp.state[u->pp] = u->state;
		rv_vals_set(&m->pp.own_end, u->pp, u->own_end);
	}
	for (int c = 0; c < m->ncpus; c++)
		for (int k = 0; k < 4; k++)
			truncate_spans(cpu_list(m, k, c), p->cpu_n[4 * c + k]);
	for (int k = 0; k < 3; k++) {
		rv_spans *s = band(m, k);
		truncate_spans(s, p->band_n[k]);
		if (s->n && RV_END(s, s->n - 1) != p->band_end[k]) {
			rv_times_set_last(&s->end, p->band_end[k]);
			if (s->cum_n >= s->n)
				s->cum_n = s->n - 1;
		}
	}
	for (uint32_t i = 0; i < p->nthreads; i++)
		truncate_spans(&m->threads[i].states, p->thread_n[i]);
	m->t_min = p->t_min;
	m->t_max = p->t_max;
	p->on = false;
}

void rv_provisional_free(rv_provisional *p)
{
	g_free(p->cpu_n);
	g_free(p->cpu);
	g_free(p->thread_n);
	g_free(p->thread);
	if (p->pp_undo)
		g_array_free(p->pp_undo, TRUE);
	memset(p, 0, sizeof *p);
}

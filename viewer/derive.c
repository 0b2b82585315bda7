/*
 * derive.c - turning the time-ordered event stream into what the viewer
 * draws: per-CPU lanes (which thread ran, idle), per-thread states
 * (running / runnable / blocked with reason), interrupt and allocator
 * bands, promise-like items and the arrows between them.
 *
 * One pass, O(1) per event (a hash lookup at most), because this runs on
 * every record of a 10 M-event trace while the window says "loading".
 *
 * Derivations that are choices, not facts of the trace:
 *   - A thread's state after a switch-out is "blocked(reason)" if it
 *     announced a thread_block since it last ran, else "runnable".
 *   - An allocator burst is a run of page_alloc/page_free/heap records on
 *     one CPU with nothing else in between; it spans first..last record.
 *   - Records whose resolver/reader id is 0 come from the kernel thread
 *     itself (ctx), so their arrows start at that thread's row.
 *   - Lost records (table lost) leave gaps: no CPU lane span, idle or
 *     interrupt span, or thread state crosses a gap of the CPU it belongs
 *     to (a thread's state belongs to the CPU of the event that set it;
 *     the all-CPU idle band to every CPU), since what happened there is
 *     unknown: the span stops at the gap's start and resumes after it;
 *     the CPU's lane resumes with the thread its first record after the
 *     gap names (ctx), since whoever ran before may not run any more.
 *   - A promise with no resolve/fail/cancel and no becomes whose CPU (that
 *     of its first record) lost records after its creation ends "unknown"
 *     at the start of the first such gap (RV_PS_END_UNKNOWN), rather than
 *     "never resolved" to the end of the trace: its end may be among the
 *     lost records. One that another became (its line moved onto that
 *     one's row) was pending then: the gap is the first after the move.
 */
#include "model.h"

#include <assert.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "ringside_ring.h"
#include "rs_decode.h"
#include "derive.h"
#include "idmap.h"
#include "xcpu.h"

/* rv_spans_push, inlined where the derivation pushes (two calls deep, a
 * push's calls were a fifth of its cost, and a load pushes one every
 * other event). */
static inline __attribute__((always_inline))
void spans_push(rv_spans *s, int64_t start, int64_t end, uint8_t kind,
		uint32_t ref)
{
	assert(s && s->n <= s->cap);
	if (s->n == s->cap)   /* the room a follow's totals are sized for */
		s->cap = s->cap ? s->cap * 2 : 64;
	rv_times_push(&s->start, start);
	rv_times_push(&s->end, end < start ? start : end);
	rv_u32s_push(&s->ref, ref);
	rv_u32s_push(&s->kind, kind);
	s->n++;
}

void rv_spans_push(rv_spans *s, int64_t start, int64_t end, uint8_t kind,
		   uint32_t ref)
{
	spans_push(s, start, end, kind, ref);
}

#define GROW(arr, cap) arr = g_realloc_n(arr, cap, sizeof *(arr))

/* Push [s, e) minus the gaps in `gaps` (sorted, disjoint): the pieces
 * before, between and after them. (Most traces have no gaps: then no
 * search, which was a third of a push here.) */
void rv_push_cut(rv_spans *out, const rv_spans *gaps, int64_t s,
		     int64_t e, uint8_t kind, uint32_t ref)
{
	if (e > s && gaps->n)
		for (uint32_t k = rv_spans_first_ending_after(gaps, s + 1);
		     k < gaps->n && RV_START(gaps, k) < e; k++) {
			if (RV_START(gaps, k) > s)
				rv_spans_push(out, s, RV_START(gaps, k), kind, ref);
			if (RV_END(gaps, k) >= e)
				return;
			if (RV_END(gaps, k) > s)
				s = RV_END(gaps, k);
		}
	rv_spans_push(out, s, e, kind, ref);
}

/* rv_push_cut where there is nothing to cut inline (most traces have no
 * gaps). */
static inline __attribute__((always_inline))
void push_cut(rv_spans *out, const rv_spans *gaps, int64_t s, int64_t e,
	      uint8_t kind, uint32_t ref)
{
	if (e > s && gaps->n)
		rv_push_cut(out, gaps, s, e, kind, ref);
	else
		spans_push(out, s, e, kind, ref);
}

static uint32_t pp_new(rv_model *m, uint64_t id, int64_t t, uint8_t cpu)
{
	rv_pps *p = &m->pp;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		GROW(p->parent, p->cap); GROW(p->cont_start, p->cap);
		GROW(p->row, p->cap); GROW(p->ptype, p->cap);
		GROW(p->state, p->cap);
		GROW(p->label, p->cap); GROW(p->fail_msg, p->cap);
		GROW(p->label_t, p->cap);
	}
	uint32_t i = p->n++;
	/* ids are a guest's choice, threads' and promises' mixed: the
	 * base of a block of them reaches either way */
	p->id.bias = RV_V_SIGNED;
	rv_vals_push(&p->id, (int64_t)id);
	p->parent[i] = -1;
	rv_u32s_push(&p->thread, 0);   /* links are index + 1 (rv_pp_link) */
	rv_vals_push(&p->created, t);
	rv_vals_push(&p->resolved, INT64_MAX);
	rv_vals_push(&p->own_end, INT64_MAX);
	rv_u32s_push(&p->cont_root, 0);
	p->cont_start[i] = INT64_MAX;
	rv_u32s_push(&p->follows, 0);
	p->row[i] = 0;
	p->ptype[i] = 0;
	p->state[i] = RV_PS_PENDING;
	rv_u32s_push(&p->lost_create, 0);
	rv_u32s_push(&p->cpu, cpu);
	p->label[i] = NULL;
	p->fail_msg[i] = NULL;
	p->label_t[i] = t;
	return i;
}

/* A thread by tid, made on first sight (its create may have been lost,
 * or it is tid 0, the boot context). */
static uint32_t thread_get(rv_builder *b, uint64_t tid, int64_t t)
{
	int64_t i = rv_idmap_get(&b->threads, tid);
	if (i >= 0)
		return (uint32_t)i;
	rv_model *m = b->m;
	if (m->nthreads == m->cap_threads) {
		m->cap_threads = m->cap_threads ? m->cap_threads * 2 : 16;
		GROW(m->threads, m->cap_threads);
	}
	uint32_t k = m->nthreads++;
	rv_thread *th = &m->threads[k];
	memset(th, 0, sizeof *th);
	th->tid = tid;
	char name[32];
	g_snprintf(name, sizeof name, tid ? "tid %llu" : "boot",
		   (unsigned long long)tid);
	th->name = g_string_chunk_insert(m->strings, name);
	th->created = t;
	th->exited = INT64_MAX;
	th->parent = -1;
	th->cur_kind = RV_K_RUNNABLE;
	th->cur_since = t;
	th->cur_cpu = b->ev_cpu;
	th->pp = pp_new(m, tid, t, b->ev_cpu);
	rv_pp_set_link(&m->pp.thread, th->pp, (int32_t)k);
	m->pp.ptype[th->pp] = 255;
	m->pp.label[th->pp] = th->name;
	rv_idmap_put(&b->threads, tid, k);
	return k;
}

void rv_thread_state(rv_builder *b, uint32_t ti, int64_t t, uint8_t kind,
			 uint32_t ref)
{
	rv_model *m = b->m;
	rv_thread *th = &m->threads[ti];
	if (th->cur_kind && t > th->cur_since)
		push_cut(&th->states, &m->cpu_gap[th->cur_cpu], th->cur_since,
			 t, th->cur_kind, th->cur_ref);
	th->cur_cpu = b->ev_cpu;
	th->cur_kind = kind;
	th->cur_ref = ref;
	th->cur_since = t;
}

static uint32_t promise_get(rv_builder *b, uint64_t id, int64_t t,
			    uint64_t ctx)
{
	int64_t i = rv_idmap_get(&b->promises, id);
	if (i >= 0)
		return (uint32_t)i;
	/* create lost: the promise starts where we first hear of it */
	uint32_t p = pp_new(b->m, id, t, b->ev_cpu);
	uint32_t th = thread_get(b, ctx, t);
	rv_u32s_set(&b->m->pp.lost_create, p, 1);
	rv_pp_set_link(&b->m->pp.thread, p, (int32_t)th);
	b->m->pp.parent[p] = (int32_t)b->m->threads[th].pp;
	rv_idmap_put(&b->promises, id, p);
	return p;
}

/* The pp an id of 0 stands for: the running kernel thread. */
static uint32_t actor(rv_builder *b, uint64_t id, int64_t t, uint64_t ctx)
{
	if (id)
		return promise_get(b, id, t, ctx);
	return b->m->threads[thread_get(b, ctx, t)].pp;
}

/* An arrow from pp `from` at t0 to pp `to` at t1. A t0 before t1 is
 * from's resolve (a read after it), which is set once: the arrow keeps
 * a bit for it instead of the time (rv_arrow_t0). */
static void arrow(rv_model *m, uint8_t kind, int64_t t0, uint32_t from,
		  int64_t t1, uint32_t to)
{
	rv_arrows *a = &m->arrows;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		GROW(a->from, a->cap); GROW(a->to, a->cap);
		GROW(a->kind, a->cap);
		a->t0_res = g_renew(uint64_t, a->t0_res, a->cap / 64);
	}
	uint32_t i = a->n++;
	if (!(i & 63))
		a->t0_res[i >> 6] = 0;
	if (t0 < t1) {
		assert(t0 == rv_pp_resolved(&m->pp, from));
		a->t0_res[i >> 6] |= 1ull << (i & 63);
	}
	rv_times_push(&a->t1, t1);
	a->from[i] = from;
	a->to[i] = to;
	a->kind[i] = kind;
}


static int lost_cmp(const void *a, const void *b)
{
	const rv_lost *x = a, *y = b;
	return x->from < y->from ? -1 : x->from > y->from;
}

/* The lost ranges as per-CPU gap lists (and one of all CPUs), sorted and
 * merged whatever order the table gave them in. */
static void gaps_from_lost(rv_builder *b)
{
	rv_model *m = b->m;
	m->cpu_gap = g_new0(rv_spans, m->ncpus);
	rv_spans *raw = g_new0(rv_spans, m->ncpus);
	rv_lost *sorted = g_memdup2(m->lost, sizeof *m->lost * m->nlost);
	/* the table is ordered by from_ns already: a check, mostly */
	if (m->nlost)
		qsort(sorted, m->nlost, sizeof *sorted, lost_cmp);
	for (uint32_t i = 0; i < m->nlost; i++) {
		const rv_lost *l = &sorted[i];
		if (l->cpu >= 0 && l->cpu < m->ncpus && l->to >= l->from)
			rv_spans_push(&raw[l->cpu], l->from, l->to, 0, 0);
	}
	g_free(sorted);
	for (int c = 0; c < m->ncpus; c++) {
		rv_spans *r = &raw[c];
		/* a gap of no length (from = to) cuts nothing */
		rv_union_spans(&m->cpu_gap[c], r, 1, 0);
		rv_spans_free(r);
	}
	g_free(raw);
	rv_union_spans(&b->gap_all, m->cpu_gap, m->ncpus, 0);
}

/* The rule for promises whose end is unknown (see the top of the file). */
void rv_end_unknown(rv_model *m, GArray *undo)
{
	rv_pps *p = &m->pp;
	for (uint32_t i = 0; i < p->n && m->nlost; i++) {
		if (rv_pp_is_thread(p, i) || rv_pp_follows(p, i) >= 0 ||
		    rv_pp_resolved(p, i) != INT64_MAX ||
		    rv_pp_cpu(p, i) >= m->ncpus)
			continue;
		/* known pending until its line moved onto its root's row (a
		 * record after any gap before that): its end can only be
		 * lost in a gap after the move */
		const int64_t c = rv_pp_cont_root(p, i) >= 0 ?
				  rv_pp_cont_start(p, i) : rv_pp_created(p, i);
		const rv_spans *g = &m->cpu_gap[rv_pp_cpu(p, i)];
		uint32_t k = rv_spans_first_ending_after(g, c + 1);
		if (k == g->n)
			continue;
		if (undo) {
			rv_pp_undo u = { i, p->state[i], rv_pp_own_end(p, i) };
			g_array_append_val(undo, u);
		}
		p->state[i] = RV_PS_END_UNKNOWN;
		rv_vals_set(&p->own_end, i, RV_START(g, k) > c ? RV_START(g, k) : c);
	}
}

rv_builder *rv_builder_new(rv_model *m)
{
	assert(m && m->strings);
	rv_builder *b = g_new0(rv_builder, 1);
	b->m = m;
	b->cpu = g_new0(cpu_state, m->ncpus);
	b->heap_ctr = b->runq_ctr = -1;
	for (int c = 0; c < m->ncpus; c++)
		b->cpu[c].thread = -1;
	m->cpu_lane = g_new0(rv_spans, m->ncpus);
	m->cpu_irq = g_new0(rv_spans, m->ncpus);
	m->cpu_idle = g_new0(rv_spans, m->ncpus);
	m->cpu_alloc = g_new0(rv_spans, m->ncpus);
	gaps_from_lost(b);
	b->gap_pos = g_new0(uint32_t, m->ncpus);
	b->xcpu = rv_xcpu_builder_new(m);
	m->t_min = INT64_MAX;
	m->t_max = INT64_MIN;
	return b;
}

void rv_close_burst(rv_model *m, cpu_state *cs, int cpu)
{
	if (cs->burst_n)
		push_cut(&m->cpu_alloc[cpu], &m->cpu_gap[cpu], cs->burst_start,
			 cs->burst_last, RV_K_ALLOC, cs->burst_n);
	cs->burst_n = 0;
}

void rv_cpu_switch(rv_builder *b, int cpu, int64_t t, int32_t to)
{
	cpu_state *cs = &b->cpu[cpu];
	if (cs->thread >= 0 && t > cs->since)
		push_cut(&b->m->cpu_lane[cpu], &b->m->cpu_gap[cpu], cs->since, t,
			 RV_K_THREAD, (uint32_t)cs->thread);
	cs->thread = to;
	cs->since = t;
}

/* The first record after a gap of its CPU says again which thread runs
 * there (ctx): the lane resumes with that thread, not with whichever ran
 * before the records were lost. */
static void gap_resume(rv_builder *b, int cpu, int64_t t, uint64_t ctx)
{
	const rv_spans *g = &b->m->cpu_gap[cpu];
	uint32_t *pos = &b->gap_pos[cpu];
	if (*pos >= g->n || RV_END(g, *pos) > t)
		return;
	while (*pos < g->n && RV_END(g, *pos) <= t)
		(*pos)++;
	int32_t th = (int32_t)thread_get(b, ctx, t);
	if (th != b->cpu[cpu].thread)
		rv_cpu_switch(b, cpu, t, th);
}

static void promise_event(rv_builder *b, int64_t t, int type, uint64_t ctx,
			  uint64_t a, uint64_t bb, uint64_t c, const char *str)
{
	rv_model *m = b->m;
	rv_pps *p = &m->pp;
	uint32_t x;
	switch (type) {
	case RS_EV_PROMISE_CREATE: {
		uint32_t th = thread_get(b, ctx, t);
		int64_t old = rv_idmap_get(&b->promises, a);
		/* created again: its start moves, and a follow may have
		 * placed it already */
		if (old >= 0 && (uint32_t)old < b->placed)
			b->stale = true;
		x = old >= 0 ? (uint32_t)old : pp_new(m, a, t, b->ev_cpu);
		rv_idmap_put(&b->promises, a, x);
		rv_vals_set(&p->created, x, t);
		p->label_t[x] = t;
		rv_pp_set_link(&p->thread, x, (int32_t)th);
		p->ptype[x] = (uint8_t)(c < RS_PT_COUNT ? c : RS_PT_COUNT);
		uint32_t par = actor(b, bb, t, ctx);
		p->parent[x] = (int32_t)par;
		arrow(m, RV_A_CREATE, t, par, t, x);
		break;
	}
	case RS_EV_PROMISE_READ:
	case RS_EV_PROMISE_TRY_READ: {
		x = promise_get(b, a, t, ctx);
		uint32_t r = actor(b, bb, t, ctx);
		if (type == RS_EV_PROMISE_TRY_READ)
			arrow(m, RV_A_TRY_READ, t, r, t, x);
		else if (p->state[x] == RV_PS_FAILED)
			arrow(m, RV_A_READ_FAILED, rv_pp_resolved(p, x), x, t, r);
		else
			arrow(m, RV_A_READ, rv_pp_resolved(p, x) < t ?
			      rv_pp_resolved(p, x) : t, x, t, r);
		break;
	}
	case RS_EV_PROMISE_RESOLVE:
	case RS_EV_PROMISE_FAIL:
	case RS_EV_PROMISE_CANCEL:
		x = promise_get(b, a, t, ctx);
		/* its row segment may have been settled with the first end */
		if (rv_pp_resolved(p, x) != INT64_MAX && x < b->placed)
			b->stale = true;
		if (rv_pp_resolved(p, x) == INT64_MAX)
			rv_vals_set(&p->resolved, x, t);
		if (rv_pp_follows(p, x) < 0)
			rv_vals_set(&p->own_end, x, rv_pp_resolved(p, x));
		p->state[x] = type == RS_EV_PROMISE_RESOLVE ? RV_PS_RESOLVED :
			type == RS_EV_PROMISE_FAIL ? RV_PS_FAILED :
			RV_PS_CANCELLED;
		if (str && type == RS_EV_PROMISE_FAIL)
			p->fail_msg[x] = g_string_chunk_insert(m->strings, str);
		arrow(m, type == RS_EV_PROMISE_FAIL ? RV_A_FAIL : RV_A_RESOLVE,
		      t, actor(b, bb, t, ctx), t, x);
		break;
	case RS_EV_PROMISE_BECOMES: {
		/* "a becomes b": a's line stops, b carries on in a's row */
		x = promise_get(b, a, t, ctx);
		uint32_t y = promise_get(b, bb, t, ctx);
		if (x == y || rv_pp_follows(p, x) >= 0 ||
		    rv_pp_cont_root(p, y) >= 0)
			break;
		/* an end a follow may have settled moves */
		if ((x < b->placed && rv_pp_resolved(p, x) != INT64_MAX) ||
		    (y < b->placed && (rv_pp_resolved(p, y) != INT64_MAX ||
				       rv_pp_follows(p, y) >= 0)))
			b->stale = true;
		rv_pp_set_link(&p->follows, x, (int32_t)y);
		rv_vals_set(&p->own_end, x, t);
		const int32_t root = rv_pp_cont_root(p, x);
		rv_pp_set_link(&p->cont_root, y, root >= 0 ? root : (int32_t)x);
		p->cont_start[y] = t;
		arrow(m, RV_A_BECOMES, t, y, t, x);
		break;
	}
	case RS_EV_PROMISE_LABEL:
		x = promise_get(b, a, t, ctx);
		if (str) {
			p->label[x] = g_string_chunk_insert(m->strings, str);
			p->label_t[x] = t;
		}
		break;
	case RS_EV_PROMISE_SIGNAL:
		x = promise_get(b, a, t, ctx);
		arrow(m, RV_A_SIGNAL, t, actor(b, bb, t, ctx), t, x);
		break;
	}
}

/* Counters are derived here from the same records the collector's
 * counters table comes from (heap: a = bytes in use, runq_len: a,
 * counter: a under its name): one pass over the events instead of a
 * second, index-ordered read of that table. */
static void counter_sample(rv_builder *b, int type, const char *name,
			   int64_t t, int64_t v)
{
	rv_model *m = b->m;
	int32_t *cache = type == RS_EV_HEAP ? &b->heap_ctr :
		type == RS_EV_RUNQ_LEN ? &b->runq_ctr : NULL;
	int32_t i = cache ? *cache : -1;
	if (i < 0 && !name)   /* heap and runq_len: named after their type */
		name = rs_event_name((uint16_t)type);
	if (i < 0)
		for (uint32_t k = 0; k < m->ncounters; k++)
			if (!strcmp(m->counters[k].name, name)) {
				i = (int32_t)k;
				break;
			}
	if (i < 0) {
		m->counters = g_realloc_n(m->counters, m->ncounters + 1,
					  sizeof *m->counters);
		i = (int32_t)m->ncounters++;
		rv_counter *c = &m->counters[i];
		memset(c, 0, sizeof *c);
		c->name = g_string_chunk_insert(m->strings, name);
		c->shown = true;
		c->v.bias = RV_V_SIGNED;   /* samples go up and down */
	}
	if (cache)
		*cache = i;
	rv_counter *c = &m->counters[i];
	c->cpus |= 1ull << (b->ev_cpu < 63 ? b->ev_cpu : 63);
	rv_times_push(&c->t, t);
	rv_vals_push(&c->v, v);
	c->n++;
	c->cap = c->v.cap;   /* the room a follow's pyramid is sized for */
}

static uint8_t block_kind(uint64_t reason)
{
	switch (reason) {
	case RS_BLOCK_PROMISE: return RV_K_BLOCK_PROMISE;
	case RS_BLOCK_SLEEP: return RV_K_BLOCK_SLEEP;
	case RS_BLOCK_EVENT: return RV_K_BLOCK_EVENT;
	case RS_BLOCK_JOIN: return RV_K_BLOCK_JOIN;
	default: return RV_K_BLOCK_OTHER;
	}
}

/* A thread's events: its life, its switches, and why it waits. */
static void thread_event(rv_builder *b, int cpu, int64_t t, int type,
			 uint64_t a, uint64_t bb, uint64_t c, const char *str)
{
	assert(b && b->m);
	rv_model *m = b->m;
	switch (type) {
	case RS_EV_THREAD_CREATE: {
		uint32_t ti = thread_get(b, a, t);
		rv_thread *th = &m->threads[ti];
		if (th->pp < b->placed)
			b->stale = true;   /* seen before its create */
		th->created = t;
		th->cur_since = t;
		rv_vals_set(&m->pp.created, th->pp, t);
		m->pp.label_t[th->pp] = t;
		if (str) {
			th->name = g_string_chunk_insert(m->strings, str);
			m->pp.label[th->pp] = th->name;
		}
		if (bb != a) {
			uint32_t par = thread_get(b, bb, t);
			m->threads[ti].parent = (int32_t)par;
			m->pp.parent[m->threads[ti].pp] =
				(int32_t)m->threads[par].pp;
			arrow(m, RV_A_CREATE, t, m->threads[par].pp, t,
			      m->threads[ti].pp);
		}
		break;
	}
	case RS_EV_THREAD_EXIT: {
		uint32_t ti = thread_get(b, a, t);
		rv_thread_state(b, ti, t, 0, 0);
		m->threads[ti].exited = t;
		uint32_t pp = m->threads[ti].pp;
		if (pp < b->placed && rv_pp_resolved(&m->pp, pp) != INT64_MAX)
			b->stale = true;   /* exited twice */
		rv_vals_set(&m->pp.resolved, pp, t);
		rv_vals_set(&m->pp.own_end, pp, t);
		m->pp.state[pp] = RV_PS_RESOLVED;
		break;
	}
	case RS_EV_THREAD_SWITCH: {
		uint32_t from = thread_get(b, a, t);
		uint32_t to = thread_get(b, bb, t);
		rv_thread *f = &m->threads[from];
		if (f->cur_kind == RV_K_RUNNING) {
			if (f->pending_block)
				rv_thread_state(b, from, t, f->pending_block,
					     f->pending_obj);
			else
				rv_thread_state(b, from, t, RV_K_RUNNABLE, 0);
		}
		f->pending_block = 0;
		if (m->threads[to].cur_kind)
			rv_thread_state(b, to, t, RV_K_RUNNING, (uint32_t)cpu);
		rv_cpu_switch(b, cpu, t, (int32_t)to);
		break;
	}
	case RS_EV_THREAD_BLOCK: {
		uint32_t ti = thread_get(b, a, t);
		rv_thread *th = &m->threads[ti];
		th->pending_block = block_kind(bb);
		th->pending_obj = (uint32_t)c;
		if (th->cur_kind != RV_K_RUNNING && th->cur_kind) {
			rv_thread_state(b, ti, t, th->pending_block, (uint32_t)c);
			th->pending_block = 0;
		}
		break;
	}
	case RS_EV_THREAD_WAKE: {
		uint32_t ti = thread_get(b, a, t);
		rv_thread *th = &m->threads[ti];
		th->pending_block = 0;
		if (th->cur_kind >= RV_K_BLOCK_PROMISE)
			rv_thread_state(b, ti, t, RV_K_RUNNABLE, 0);
		break;
	}
	}
}

/* What a CPU does besides running threads: interrupts and idle. */
static void cpu_event(rv_builder *b, int cpu, int64_t t, int type,
		      uint64_t a)
{
	rv_model *m = b->m;
	cpu_state *cs = &b->cpu[cpu];
	switch (type) {
	case RS_EV_IRQ_ENTER:
		if (cs->irq_depth++ == 0) {
			cs->irq_since = t;
			cs->irq_vec = (uint32_t)a;
		}
		break;
	case RS_EV_IRQ_EXIT:
		if (cs->irq_depth > 0 && --cs->irq_depth == 0)
			push_cut(&m->cpu_irq[cpu], &m->cpu_gap[cpu],
				 cs->irq_since, t, RV_K_IRQ, cs->irq_vec);
		break;
	case RS_EV_IDLE_ENTER:
		if (!cs->idle) {
			cs->idle = true;
			cs->idle_since = t;
			if (++b->nidle == m->ncpus)
				b->all_idle_since = t;
		}
		break;
	case RS_EV_IDLE_EXIT:
		if (cs->idle) {
			cs->idle = false;
			push_cut(&m->cpu_idle[cpu], &m->cpu_gap[cpu],
				 cs->idle_since, t, RV_K_IDLE, 0);
			if (b->nidle-- == m->ncpus)
				push_cut(&m->band_idle, &b->gap_all,
					 b->all_idle_since, t, RV_K_IDLE, 0);
		}
		break;
	}
}

static void mark_event(rv_model *m, int64_t t, uint64_t a, const char *str)
{
	if (m->nmarks == m->cap_marks) {
		m->cap_marks = m->cap_marks ? m->cap_marks * 2 : 16;
		GROW(m->marks, m->cap_marks);
	}
	m->marks[m->nmarks].t = t;
	m->marks[m->nmarks].value = (int64_t)a;
	m->marks[m->nmarks++].text = str ?
		g_string_chunk_insert(m->strings, str) : "";
}

/* Allocator events on a CPU gather into one burst until something else
 * happens there; true if this event was one of them. */
static bool alloc_burst(rv_builder *b, int cpu, int64_t t, int type)
{
	cpu_state *cs = &b->cpu[cpu];
	if (type == RS_EV_PAGE_ALLOC || type == RS_EV_PAGE_FREE ||
	    type == RS_EV_HEAP) {
		if (!cs->burst_n)
			cs->burst_start = t;
		cs->burst_last = t;
		cs->burst_n++;
		return true;
	}
	if (cs->burst_n && type != RS_EV_RUNQ_LEN && type != RS_EV_COUNTER)
		rv_close_burst(b->m, cs, cpu);
	return false;
}

/* One event: the body of rv_builder_run's loop, where a load's events
 * go a run of one CPU at a time (a call of nine arguments an event, and
 * its saves and restores, and the handlers above called rather than
 * inlined, were ~55 instructions of ~480 an event), inlined there alone
 * so that the handlers are inlined into it. */
static inline __attribute__((always_inline))
void builder_event(rv_builder *b, int cpu, int64_t t, int type, uint64_t ctx,
		   uint64_t a, uint64_t bb, uint64_t c, const char *str)
{
	rv_model *m = b->m;
	if (cpu < 0 || cpu >= m->ncpus)
		cpu = 0;
	b->ev_cpu = (uint8_t)cpu;
	b->any = true;
	b->last_t = t;
	b->last_cpu = cpu;
	m->nevents++;
	if (t < m->t_min)
		m->t_min = t;
	if (t > m->t_max)
		m->t_max = t;

	/* no gap on any CPU (most traces): nothing to resume after */
	if (b->gap_all.n)
		gap_resume(b, cpu, t, ctx);
	if (rv_xcpu_takes(type))
		rv_xcpu_event(b->xcpu, cpu, t, type, a, bb, c);
	if (type == RS_EV_HEAP || type == RS_EV_RUNQ_LEN ||
	    (type == RS_EV_COUNTER && str))
		counter_sample(b, type, str, t, (int64_t)a);
	if (alloc_burst(b, cpu, t, type))
		return;
	if (type >= RS_EV_THREAD_CREATE && type <= RS_EV_THREAD_WAKE)
		thread_event(b, cpu, t, type, a, bb, c, str);
	else if (type >= RS_EV_PROMISE_CREATE && type <= RS_EV_PROMISE_CANCEL)
		promise_event(b, t, type, ctx, a, bb, c, str);
	else if (type == RS_EV_MARK)
		mark_event(m, t, a, str);
	else
		cpu_event(b, cpu, t, type, a);
}

void rv_builder_run(rv_builder *b, int cpu, const rv_events *ev, uint32_t k0,
		    uint32_t k1)
{
	for (uint32_t k = k0; k < k1; k++)
		builder_event(b, cpu, ev->t[k], ev->type[k], ev->ctx[k],
			      ev->a[k], ev->b[k], ev->c[k], ev->str[k]);
}

void rv_builder_event(rv_builder *b, int cpu, int64_t t, int type,
		      uint64_t ctx, uint64_t a, uint64_t bb, uint64_t c,
		      const char *str)
{
	const uint8_t ty = (uint8_t)type;
	char *s = (char *)str;   /* read only, as a decoded range's */
	const rv_events one = { &t, &ty, &ctx, &a, &bb, &c, &s };
	rv_builder_run(b, cpu, &one, 0, 1);
}

/* Everything still open closed at the last event (t_max). */
void rv_close_open(rv_builder *b)
{
	rv_model *m = b->m;
	const int64_t end = m->t_max;
	for (int c = 0; c < m->ncpus; c++) {
		cpu_state *cs = &b->cpu[c];
		rv_close_burst(m, cs, c);
		rv_cpu_switch(b, c, end, -1);
		if (cs->idle)
			push_cut(&m->cpu_idle[c], &m->cpu_gap[c], cs->idle_since,
				 end, RV_K_IDLE, 0);
		if (cs->irq_depth)
			push_cut(&m->cpu_irq[c], &m->cpu_gap[c], cs->irq_since,
				 end, RV_K_IRQ, cs->irq_vec);
	}
	if (b->nidle == m->ncpus && m->ncpus)
		push_cut(&m->band_idle, &b->gap_all, b->all_idle_since, end,
			 RV_K_IDLE, 0);
	for (uint32_t i = 0; i < m->nthreads; i++)
		if (m->threads[i].cur_kind)
			rv_thread_state(b, i, end, 0, 0);
}

void rv_builder_close(rv_builder *b)
{
	assert(b);
	rv_model *m = b->m;
	if (m->t_min > m->t_max)
		m->t_min = m->t_max = 0;
	rv_close_open(b);
	/* when a line stops: becomes time if it followed another, else its
	 * resolution (INT64_MAX = never, drawn to the end with an arrowhead);
	 * the events keep own_end so (a follow publishes without this pass) */
	for (uint32_t i = 0; i < m->pp.n; i++)
		assert(rv_pp_follows(&m->pp, i) >= 0 ||
		       rv_pp_own_end(&m->pp, i) == rv_pp_resolved(&m->pp, i));
	rv_end_unknown(m, NULL);
	rv_pp_sparsify(&m->pp);
	rv_builder_free(b);
}

void rv_builder_finish(rv_builder *b)
{
	rv_model *m = b->m;
	rv_builder_close(b);
	rv_finish_spans(m);
}

void rv_builder_free(rv_builder *b)
{
	if (!b)
		return;
	rv_xcpu_builder_free(b->xcpu);
	rv_spans_free(&b->gap_all);
	g_free(b->gap_pos);
	rv_idmap_free(&b->promises);
	rv_idmap_free(&b->threads);
	g_free(b->cpu);
	g_free(b->band_pos[0]);
	g_free(b->band_pos[1]);
	rv_provisional_free(&b->prov);
	g_free(b);
}

/*
 * causal.c - pairing causes with their effects across CPUs (causal.h).
 * Every field comes from the guest: CPUs out of range are ignored, and a
 * thread that cannot be tracked (out of memory) is simply not paired.
 */
#include "causal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void rs_causal_init(struct rs_causal *c, rs_causal_cb cb, void *opaque)
{
	memset(c, 0, sizeof(*c));
	c->cb = cb;
	c->opaque = opaque;
}

void rs_causal_free(struct rs_causal *c)
{
	rs_u64map_free(&c->by_tid);
	free(c->thr);
	memset(c, 0, sizeof(*c));
}

static struct rs_causal_thread *thread(struct rs_causal *c, uint64_t tid)
{
	uint64_t *at = rs_u64map_find(&c->by_tid, tid);

	if (at)
		return &c->thr[*at - 1];
	if (c->nthr == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->thr, cap * sizeof(*c->thr));
		if (!p)
			goto oom;
		c->thr = p;
		c->cap = cap;
	}
	at = rs_u64map_put(&c->by_tid, tid, c->nthr + 1);
	if (!at)
		goto oom;
	memset(&c->thr[c->nthr], 0, sizeof(c->thr[0]));
	return &c->thr[c->nthr++];
oom:
	c->oom = 1;
	return NULL;
}

static void emit(struct rs_causal *c, enum rs_causal_kind kind,
		 const struct rs_causal_mark *from, uint16_t to_cpu,
		 int64_t to_ns, uint64_t tid)
{
	struct rs_causal_pair p = {
		.kind = kind, .from_cpu = from->cpu, .to_cpu = to_cpu,
		.from_ns = from->ns, .to_ns = to_ns, .tid = tid,
	};
	c->cb(c->opaque, &p);
}

static void on_block(struct rs_causal *c, uint64_t tid)
{
	struct rs_causal_thread *t = thread(c, tid);

	if (t) {
		memset(t, 0, sizeof(*t));
		t->blocked = 1;
	}
}

static void on_wake(struct rs_causal *c, const struct rs_row *r, uint64_t tid)
{
	struct rs_causal_thread *t = thread(c, tid);
	const struct rs_causal_mark here = { 1, r->cpu, r->ts_ns };

	if (!t || !t->blocked)
		return;  /* not blocked (as far as we saw): no run to pair */
	if (t->early.has) {
		/* it ran before this wake by the clocks: the run's clock is
		 * behind */
		emit(c, RS_CAUSAL_WAKE, &here, t->early.cpu, t->early.ns, tid);
		memset(t, 0, sizeof(*t));
		return;
	}
	t->wake = here;
}

static void on_switch_in(struct rs_causal *c, const struct rs_row *r,
			 uint64_t tid)
{
	struct rs_causal_thread *t = thread(c, tid);

	if (!t || !t->blocked)
		return;
	if (t->wake.has) {
		emit(c, RS_CAUSAL_WAKE, &t->wake, r->cpu, r->ts_ns, tid);
		memset(t, 0, sizeof(*t));
	} else if (!t->early.has) {
		t->early = (struct rs_causal_mark){ 1, r->cpu, r->ts_ns };
	}
}

static unsigned reason_slot(uint64_t reason)
{
	return reason < RS_CAUSAL_IPI_REASONS ? (unsigned)reason : 0;
}

static void on_ipi_send(struct rs_causal *c, const struct rs_row *r)
{
	if (r->a >= RS_MAX_CPUS)
		return;
	const unsigned to = (unsigned)r->a, why = reason_slot(r->b);
	const struct rs_causal_mark here = { 1, r->cpu, r->ts_ns };
	struct rs_causal_mark *early = &c->recv_early[to][why];

	if (early->has) {
		emit(c, RS_CAUSAL_IPI, &here, (uint16_t)to, early->ns, 0);
		early->has = 0;
		return;
	}
	if (!c->sent[to][why].has)
		c->sent[to][why] = here;  /* the first unanswered one */
}

static void on_ipi_recv(struct rs_causal *c, const struct rs_row *r)
{
	const unsigned why = reason_slot(r->a);
	struct rs_causal_mark *sent = &c->sent[r->cpu][why];

	if (sent->has) {
		emit(c, RS_CAUSAL_IPI, sent, r->cpu, r->ts_ns, 0);
		sent->has = 0;
		return;
	}
	c->recv_early[r->cpu][why] = (struct rs_causal_mark){ 1, r->cpu, r->ts_ns };
}

void rs_causal_feed(struct rs_causal *c, const struct rs_row *r)
{
	if (r->cpu >= RS_MAX_CPUS)
		return;
	/* the cases are rs_causal_takes's types */
	switch (r->type) {
	case RS_EV_THREAD_BLOCK:
		on_block(c, r->a);
		break;
	case RS_EV_THREAD_WAKE:
		on_wake(c, r, r->a);
		break;
	case RS_EV_THREAD_SWITCH:
		on_switch_in(c, r, r->b);
		break;
	case RS_EV_IPI_SEND:
		on_ipi_send(c, r);
		break;
	case RS_EV_IPI_RECV:
		on_ipi_recv(c, r);
		break;
	default:
		assert(!rs_causal_takes(r->type));
		break;
	}
}

/*
 * report_smp.c - the report's figures for a guest of several CPUs
 * (report_smp.h; REPORT.md says what each means). Every value comes from
 * the guest: CPUs and ids out of range are ignored or lumped as "other".
 */
#include "report_smp.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "causal.h"
#include "rs_decode.h"

struct rs_smp_acc {
	struct rs_report *r;
	struct rs_causal causal;
	int oom;
	struct {
		int64_t last;
		int seen, idle, has_thread;
	} cpu[RS_MAX_CPUS];
};

static const char *const lock_name[RS_REPORT_LOCKS] = {
	[0] = "other", [RS_LOCK_RUNQ] = "runq", [RS_LOCK_PROMISE] = "promise",
	[RS_LOCK_PAGES] = "pages", [RS_LOCK_HEAP] = "heap",
	[RS_LOCK_OTHER] = "other",
};
static const char *const ipi_name[RS_REPORT_IPIS] = {
	[0] = "other", [RS_IPI_WAKE] = "wake", [RS_IPI_STOP] = "stop",
};

static void on_pair(void *opaque, const struct rs_causal_pair *p)
{
	struct rs_smp_acc *a = opaque;

	if (p->kind != RS_CAUSAL_WAKE)
		return;
	if (p->to_ns < p->from_ns) {
		a->r->smp.wake_before_cause++;
		return;
	}
	if (rs_report_record(a->r, RS_REPORT_WAKE_CPU,
			     p->from_cpu == p->to_cpu ? "same-cpu" : "cross-cpu",
			     (uint64_t)(p->to_ns - p->from_ns)) != 0)
		a->oom = 1;
}

struct rs_smp_acc *rs_smp_acc_new(struct rs_report *r)
{
	struct rs_smp_acc *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->r = r;
	rs_causal_init(&a->causal, on_pair, a);
	return a;
}

void rs_smp_acc_free(struct rs_smp_acc *a)
{
	if (!a)
		return;
	rs_causal_free(&a->causal);
	free(a);
}

void rs_report_smp_free(struct rs_report_smp *s)
{
	for (size_t i = 0; i < s->nthreads; i++)
		free(s->by_thread[i].name);
	free(s->by_thread);
	s->by_thread = NULL;
	s->nthreads = s->cap = 0;
}

/* Time since this CPU's last event goes to idle or running. */
static void account(struct rs_smp_acc *a, const struct rs_row *e)
{
	struct rs_report_cpu *out = &a->r->smp.cpu[e->cpu];
	__typeof__(a->cpu[0]) *c = &a->cpu[e->cpu];

	if (c->seen && e->ts_ns > c->last) {
		if (c->idle)
			out->idle_ns += e->ts_ns - c->last;
		else if (c->has_thread)
			out->run_ns += e->ts_ns - c->last;
	}
	c->seen = out->seen = 1;
	c->last = e->ts_ns;
	if (e->type == RS_EV_THREAD_SWITCH)
		c->has_thread = 1;
	else if (e->type == RS_EV_IDLE_ENTER)
		c->idle = 1;
	else if (e->type == RS_EV_IDLE_EXIT)
		c->idle = 0;
}

/* One more migration of `tid`, kept in tid order. */
static int migrated(struct rs_report_smp *s, uint64_t tid, const char *name)
{
	size_t lo = 0, hi = s->nthreads;

	s->migrations++;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->by_thread[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nthreads && s->by_thread[lo].tid == tid) {
		s->by_thread[lo].n++;
		return 0;
	}
	if (s->nthreads == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->by_thread, cap * sizeof(*s->by_thread));
		if (!p)
			return -1;
		s->by_thread = p;
		s->cap = cap;
	}
	memmove(&s->by_thread[lo + 1], &s->by_thread[lo],
		(s->nthreads - lo) * sizeof(*s->by_thread));
	s->by_thread[lo] = (struct rs_report_migr){ tid, 1,
						     name ? strdup(name) : NULL };
	s->nthreads++;
	return 0;
}

static int lock_wait(struct rs_smp_acc *a, const struct rs_row *e)
{
	const uint64_t hz = a->r->meta.tsc_hz;
	const unsigned id = e->a < RS_REPORT_LOCKS ? (unsigned)e->a : 0;

	if (!hz)
		return 0;
	unsigned __int128 ns = (unsigned __int128)e->b * 1000000000u / hz;
	const uint64_t v = ns > INT64_MAX ? INT64_MAX : (uint64_t)ns;
	a->r->smp.lock_total_ns[id] += v;
	return rs_report_record(a->r, RS_REPORT_LOCK, lock_name[id], v);
}

int rs_smp_event(struct rs_smp_acc *a, const struct rs_row *e,
		 const char *name)
{
	struct rs_report_smp *s = &a->r->smp;

	if (e->cpu >= RS_MAX_CPUS)
		return 0;
	account(a, e);
	rs_causal_feed(&a->causal, e);
	switch (e->type) {
	case RS_EV_THREAD_MIGRATE:
		s->any = 1;
		if (migrated(s, e->a, name) != 0)
			a->oom = 1;
		break;
	case RS_EV_IPI_SEND:
		s->any = 1;
		s->ipi_sent[e->b < RS_REPORT_IPIS ? e->b : 0]++;
		break;
	case RS_EV_IPI_RECV:
		s->any = 1;
		s->ipi_recv[e->a < RS_REPORT_IPIS ? e->a : 0]++;
		break;
	case RS_EV_LOCK_CONTEND:
		s->any = 1;
		if (lock_wait(a, e) != 0)
			a->oom = 1;
		break;
	}
	return a->oom || a->causal.oom ? -1 : 0;
}

/* ---- printing ------------------------------------------------------------ */

void rs_report_smp_text(FILE *o, const struct rs_report *r)
{
	const struct rs_report_smp *s = &r->smp;
	char a[32], b[32];

	if (r->meta.ncpus < 2 && !s->any)
		return;
	fprintf(o, "\nCPUs (from each CPU's first event in the range to its last)\n");
	for (unsigned c = 0; c < r->meta.ncpus && c < RS_MAX_CPUS; c++) {
		const struct rs_report_cpu *u = &s->cpu[c];
		int64_t all = u->run_ns + u->idle_ns;
		if (!u->seen) {
			fprintf(o, "  cpu %u: no events in this range\n", c);
			continue;
		}
		fprintf(o, "  cpu %u: running %s, idle %s", c,
			rs_report_fmt_ns(a, sizeof(a), u->run_ns),
			rs_report_fmt_ns(b, sizeof(b), u->idle_ns));
		if (all > 0)
			fprintf(o, " (%.1f%% busy)", 100.0 * (double)u->run_ns / (double)all);
		fputc('\n', o);
	}
	fprintf(o, "migrations: %" PRIu64, s->migrations);
	for (size_t i = 0; i < s->nthreads; i++)
		fprintf(o, "%s thread %" PRIu64 "%s%s%s %" PRIu64, i ? "," : ":",
			s->by_thread[i].tid, s->by_thread[i].name ? " (" : "",
			s->by_thread[i].name ? s->by_thread[i].name : "",
			s->by_thread[i].name ? ")" : "", s->by_thread[i].n);
	fprintf(o, "\nIPIs:");
	for (int i = 1; i <= RS_REPORT_IPIS; i++) {
		const int k = i % RS_REPORT_IPIS;   /* wake, stop, then other */
		fprintf(o, "%s %s %" PRIu64 " sent, %" PRIu64 " received",
			i > 1 ? ";" : "", ipi_name[k], s->ipi_sent[k], s->ipi_recv[k]);
	}
	fputc('\n', o);
	int nlock = 0;
	for (int i = 1; i <= RS_REPORT_LOCKS; i++) {
		const int k = i % RS_REPORT_LOCKS;   /* named, then unknown ids */
		if (!s->lock_total_ns[k])
			continue;
		fprintf(o, "%s %s %s", nlock++ ? "," : "lock waits in all:",
			k ? lock_name[k] : "lock ids unknown",
			rs_report_fmt_ns(a, sizeof(a), (int64_t)s->lock_total_ns[k]));
	}
	if (nlock)
		fputc('\n', o);
	if (s->wake_before_cause)
		fprintf(o, "WARNING: %" PRIu64 " wake -> run pairs across CPUs were"
			" stamped before the wake: the CPUs' clocks disagree (see"
			" ringside info); left out of the latencies\n",
			s->wake_before_cause);
}

void rs_report_smp_json(FILE *o, const struct rs_report *r)
{
	const struct rs_report_smp *s = &r->smp;

	fprintf(o, "\"smp\":{\"cpus\":[");
	for (unsigned c = 0; c < r->meta.ncpus && c < RS_MAX_CPUS; c++) {
		const struct rs_report_cpu *u = &s->cpu[c];
		fprintf(o, "%s{\"cpu\":%u,", c ? "," : "", c);
		if (u->seen)
			fprintf(o, "\"running_ns\":%" PRId64 ",\"idle_ns\":%" PRId64 "}",
				u->run_ns, u->idle_ns);
		else
			fprintf(o, "\"running_ns\":null,\"idle_ns\":null}");
	}
	fprintf(o, "],\"migrations\":{\"total\":%" PRIu64 ",\"by_thread\":[",
		s->migrations);
	for (size_t i = 0; i < s->nthreads; i++) {
		fprintf(o, "%s{\"tid\":%" PRIu64 ",\"name\":", i ? "," : "",
			s->by_thread[i].tid);
		if (s->by_thread[i].name)
			rs_report_json_str(o, s->by_thread[i].name);
		else
			fputs("null", o);
		fprintf(o, ",\"count\":%" PRIu64 "}", s->by_thread[i].n);
	}
	fprintf(o, "]},\"ipi\":{");
	for (int i = 1; i <= RS_REPORT_IPIS; i++) {
		const int k = i % RS_REPORT_IPIS;
		fprintf(o, "%s\"%s\":{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 "}",
			i > 1 ? "," : "", ipi_name[k], s->ipi_sent[k], s->ipi_recv[k]);
	}
	fprintf(o, "},\"lock_total_ns\":{");
	for (int i = 1; i <= RS_REPORT_LOCKS - 1; i++)
		fprintf(o, "%s\"%s\":%" PRIu64, i > 1 ? "," : "",
			i == RS_LOCK_OTHER ? "other" : lock_name[i],
			s->lock_total_ns[i] + (i == RS_LOCK_OTHER ? s->lock_total_ns[0] : 0));
	fprintf(o, "},\"wake_before_cause\":%" PRIu64 "},\n", s->wake_before_cause);
}

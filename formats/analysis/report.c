/*
 * report.c - the computation behind `ringside report` (see report.h and
 * REPORT.md): one pass over the range's events in time order, plus the
 * promises, threads and lost tables, filling one HDR histogram per group.
 *
 * Nothing here prints; report_print.c does, and the viewer can call
 * rs_report_compute itself.
 */
#include "report.h"

#include <sqlite3.h>
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rs_decode.h"
#include "report_smp.h"
#include "rs_u64map.h"

/* ---- groups ------------------------------------------------------------ */

static const struct {
	const char *key, *title, *unit;
	int grouped;
} section_info[RS_REPORT_SECTIONS] = {
	[RS_REPORT_LIFETIME]   = { "promise_lifetime", "promise lifetime", "ns", 1 },
	[RS_REPORT_WAIT]       = { "wait_time", "wait on a promise", "ns", 1 },
	[RS_REPORT_WAKE]       = { "wake_to_run", "wake -> run latency, by thread", "ns", 1 },
	[RS_REPORT_RUNQ]       = { "runq_len", "run-queue length", "", 0 },
	[RS_REPORT_IRQ]        = { "irq", "interrupt handler duration, by vector", "ns", 1 },
	[RS_REPORT_TIMER]      = { "timer_lateness", "timer lateness (fire - due)", "ns", 0 },
	[RS_REPORT_WAKE_CPU]   = { "wake_to_run_cpu", "wake -> run latency, same CPU or across CPUs", "ns", 1 },
	[RS_REPORT_LOCK]       = { "lock_wait", "lock contention wait, by lock", "ns", 1 },
	[RS_REPORT_PAGE_ALLOC] = { "page_alloc", "page block allocations", "bytes", 0 },
	[RS_REPORT_HEAP_ALLOC] = { "heap_alloc", "heap allocations (positive deltas)", "bytes", 0 },
};

static size_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return (size_t)h;
}

static int grow_slots(struct rs_report_section *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 64;
	size_t *slots = calloc(n, sizeof(size_t));
	if (!slots)
		return -1;
	for (size_t g = 0; g < s->n; g++) {
		size_t i = hash_str(s->groups[g].name) & (n - 1);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = g + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return 0;
}

/* The group named `name` in section s, created on first use. */
static struct rs_report_group *group(struct rs_report_section *s,
				     const char *name, const char *detail)
{
	if ((s->n + 1) * 2 > s->nslots && grow_slots(s) != 0)
		return NULL;
	size_t i = hash_str(name) & (s->nslots - 1);
	for (; s->slots[i]; i = (i + 1) & (s->nslots - 1))
		if (strcmp(s->groups[s->slots[i] - 1].name, name) == 0)
			return &s->groups[s->slots[i] - 1];
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *g = realloc(s->groups, cap * sizeof(*s->groups));
		if (!g)
			return NULL;
		s->groups = g;
		s->cap = cap;
	}
	struct rs_report_group *g = &s->groups[s->n];
	g->name = strdup(name);
	g->detail = detail ? strdup(detail) : NULL;
	g->h = rs_hdr_new();
	if (!g->name || !g->h || (detail && !g->detail)) {
		free(g->name), free(g->detail), rs_hdr_free(g->h);
		return NULL;
	}
	s->slots[i] = ++s->n;
	return g;
}

/* ---- the computation ----------------------------------------------------- */

/* What the promises table says about one promise. */
struct pinfo {
	char *label, *type;
	int64_t created, resolved;
	int complete;           /* resolved or failed, both times known */
	uint32_t creator;
	int has_creator;
};

/* A thread blocked on a promise, waiting for it to settle. */
struct waiter {
	uint32_t tid;
	int64_t since;
	size_t next;            /* index + 1 of the next waiter, 0: none */
};

struct ctx {
	struct rs_report *r;
	struct rs_trace_db *db;
	uint64_t boot_tsc;
	int oom;
	struct pinfo *p;
	size_t np;
	struct rs_u64map pmap;     /* promise id -> index in p */
	struct rs_u64map tnames;   /* tid -> thread name (char *) */
	struct rs_u64map open;     /* tid -> promise it is blocked on */
	struct rs_u64map wheads;   /* promise id -> first waiter index + 1 */
	struct waiter *w;
	size_t nw, capw;
	struct rs_u64map woken;    /* tid -> wake time, UINT64_MAX: none */
	struct rs_smp_acc *smp;    /* several CPUs (report_smp.c) */
	struct {                /* per-CPU irq nesting */
		uint64_t vec[16];
		int64_t at[16];
		unsigned depth;
		uint64_t last_seq;
		int seen;
	} cpu[RS_MAX_CPUS];
};

static const char *thread_name(struct ctx *c, uint32_t tid)
{
	uint64_t *v = rs_u64map_find(&c->tnames, tid);
	return v ? (const char *)(uintptr_t)*v : NULL;
}

static void record(struct ctx *c, enum rs_report_section_id sec,
		   const char *name, const char *detail, uint64_t value)
{
	struct rs_report_group *g = group(&c->r->sec[sec], name, detail);
	if (!g || rs_hdr_record(g->h, value, 1) != 0)
		c->oom = 1;
}

int rs_report_record(struct rs_report *r, enum rs_report_section_id sec,
		     const char *name, uint64_t value)
{
	struct rs_report_group *g = group(&r->sec[sec], name, NULL);
	return g && rs_hdr_record(g->h, value, 1) == 0 ? 0 : -1;
}

static void record_tid(struct ctx *c, enum rs_report_section_id sec,
		       uint32_t tid, uint64_t value)
{
	char name[16];
	snprintf(name, sizeof(name), "%u", tid);
	record(c, sec, name, thread_name(c, tid), value);
}

void rs_report_label_pattern(char *out, size_t len, const char *label)
{
	size_t at = 0;

	assert(len > 0);
	for (const char *c = label; *c && at + 1 < len;) {
		if (c[0] == '0' && (c[1] == 'x' || c[1] == 'X') &&
		    isxdigit((unsigned char)c[2])) {
			for (c += 2; isxdigit((unsigned char)*c); c++)
				;
			out[at++] = '#';
		} else if (isdigit((unsigned char)*c)) {
			while (isdigit((unsigned char)*c))
				c++;
			out[at++] = '#';
		} else {
			out[at++] = *c++;
		}
	}
	out[at] = '\0';
}

/* Lifetime and wait samples are grouped by the promise's label pattern
 * or type, or by a thread. */
static void record_promise(struct ctx *c, enum rs_report_section_id sec,
			   const struct pinfo *p, uint32_t tid, int has_tid,
			   uint64_t value)
{
	switch (c->r->by) {
	case RS_REPORT_BY_LABEL: {
		char pat[256];
		rs_report_label_pattern(pat, sizeof(pat), p && p->label
					? p->label : "(unlabelled)");
		record(c, sec, pat, NULL, value);
		break;
	}
	case RS_REPORT_BY_TYPE:
		record(c, sec, p && p->type ? p->type : "(unknown)", NULL,
		       value);
		break;
	case RS_REPORT_BY_THREAD:
		if (has_tid)
			record_tid(c, sec, tid, value);
		else
			record(c, sec, "(unknown)", NULL, value);
		break;
	}
}

static struct pinfo *pinfo(struct ctx *c, uint64_t id)
{
	uint64_t *v = rs_u64map_find(&c->pmap, id);
	return v ? &c->p[*v] : NULL;
}

static int64_t col_or(sqlite3_stmt *s, int col, int64_t dflt)
{
	return sqlite3_column_type(s, col) == SQLITE_NULL
		       ? dflt : sqlite3_column_int64(s, col);
}

static char *col_dup(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? strdup((const char *)t) : NULL;
}

static int load_tables(struct ctx *c, char *err, size_t errlen)
{
	sqlite3 *db = rs_trace_sqlite(c->db);
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id, label, type, created_ns,"
			       " resolved_ns, state FROM promises WHERE"
			       " trace_id = ?1", -1, &s, NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(s, 1, c->r->meta.id);
	size_t cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (c->np == cap) {
			cap = cap ? cap * 2 : 1024;
			void *p = realloc(c->p, cap * sizeof(*c->p));
			if (!p)
				break;
			c->p = p;
		}
		struct pinfo *p = &c->p[c->np];
		const unsigned char *st = sqlite3_column_text(s, 5);
		memset(p, 0, sizeof(*p));
		p->label = col_dup(s, 1);
		p->type = col_dup(s, 2);
		p->created = col_or(s, 3, -1);
		p->resolved = col_or(s, 4, -1);
		/* create -> resolve/fail; a cancelled promise was abandoned,
		 * which says nothing about how long work takes. */
		p->complete = st && (strcmp((const char *)st, "resolved") == 0 ||
				     strcmp((const char *)st, "failed") == 0) &&
			      sqlite3_column_type(s, 3) != SQLITE_NULL &&
			      sqlite3_column_type(s, 4) != SQLITE_NULL;
		uint64_t *slot = rs_u64map_put(&c->pmap,
					 (uint64_t)sqlite3_column_int64(s, 0),
					 c->np);
		if (!slot)
			break;
		c->np++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		goto sqlfail;

	if (sqlite3_prepare_v2(db, "SELECT tid, name FROM threads WHERE"
			       " trace_id = ?1 AND name IS NOT NULL", -1, &s,
			       NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(s, 1, c->r->meta.id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *name = col_dup(s, 1);
		uint64_t *v = rs_u64map_put(&c->tnames,
				      (uint64_t)sqlite3_column_int64(s, 0), 0);
		if (!name || !v || *v) {   /* duplicate tid: keep the first */
			free(name);
			continue;
		}
		*v = (uint64_t)(uintptr_t)name;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		goto sqlfail;
	return 0;
sqlfail:
	snprintf(err, errlen, "reading the trace: %s", sqlite3_errmsg(db));
	return -1;
}

static void settle(struct ctx *c, const struct rs_row *e, int sample)
{
	uint64_t *head = rs_u64map_find(&c->wheads, e->a);
	if (!head || !*head)
		return;
	const struct pinfo *p = pinfo(c, e->a);
	for (size_t i = *head; i; i = c->w[i - 1].next) {
		struct waiter *w = &c->w[i - 1];
		uint64_t *o = rs_u64map_find(&c->open, w->tid);
		/* Only if the thread is still waiting on this promise: it
		 * may have been woken by something else and moved on. */
		if (!o || *o != e->a)
			continue;
		*o = UINT64_MAX;
		if (sample && e->ts_ns >= w->since)
			record_promise(c, RS_REPORT_WAIT, p, w->tid, 1,
				       (uint64_t)(e->ts_ns - w->since));
	}
	*head = 0;
}

static void block(struct ctx *c, const struct rs_row *e)
{
	uint32_t tid = (uint32_t)e->a;
	uint64_t *o = rs_u64map_put(&c->open, tid, UINT64_MAX);
	uint64_t *head = rs_u64map_put(&c->wheads, e->c, 0);
	if (!o || !head) {
		c->oom = 1;
		return;
	}
	/* The kernel blocks again if woken early; the wait started at the
	 * first block. */
	if (*o == e->c)
		return;
	if (c->nw == c->capw) {
		size_t cap = c->capw ? c->capw * 2 : 1024;
		void *w = realloc(c->w, cap * sizeof(*c->w));
		if (!w) {
			c->oom = 1;
			return;
		}
		c->w = w;
		c->capw = cap;
	}
	*o = e->c;
	c->w[c->nw] = (struct waiter){ tid, e->ts_ns, *head };
	*head = ++c->nw;
}

static void irq(struct ctx *c, const struct rs_row *e)
{
	if (e->cpu >= RS_MAX_CPUS)
		return;
	__typeof__(c->cpu[0]) *k = &c->cpu[e->cpu];
	if (e->type == RS_EV_IRQ_ENTER) {
		if (k->depth < 16) {
			k->vec[k->depth] = e->a;
			k->at[k->depth] = e->ts_ns;
		}
		k->depth++;
		return;
	}
	/* Exit: pop to the matching enter; unmatched exits (their enter
	 * was lost or before the range) are ignored. */
	for (unsigned d = k->depth < 16 ? k->depth : 16; d-- > 0;) {
		if (k->vec[d] != e->a)
			continue;
		char name[24];
		snprintf(name, sizeof(name), "%llu", (unsigned long long)e->a);
		if (e->ts_ns >= k->at[d])
			record(c, RS_REPORT_IRQ, name, NULL,
			       (uint64_t)(e->ts_ns - k->at[d]));
		k->depth = d;
		return;
	}
}

static int on_event(void *opaque, const struct rs_row *e)
{
	struct ctx *c = opaque;
	struct rs_report *r = c->r;

	if (e->cpu < RS_MAX_CPUS) {
		/* A hole in a CPU's record numbers is a loss: an irq enter
		 * or exit may be in it, so nesting starts over. */
		if (c->cpu[e->cpu].seen && e->seq != c->cpu[e->cpu].last_seq + 1)
			c->cpu[e->cpu].depth = 0;
		c->cpu[e->cpu].seen = 1;
		c->cpu[e->cpu].last_seq = e->seq;
	}
	if (rs_smp_event(c->smp, e, e->type == RS_EV_THREAD_MIGRATE
				    ? thread_name(c, (uint32_t)e->a) : NULL) != 0)
		c->oom = 1;
	switch (e->type) {
	case RS_EV_THREAD_BLOCK:
		if (e->b == RS_BLOCK_PROMISE)
			block(c, e);
		break;
	case RS_EV_PROMISE_RESOLVE:
	case RS_EV_PROMISE_FAIL:
		settle(c, e, 1);
		break;
	case RS_EV_PROMISE_CANCEL:
		settle(c, e, 0);
		break;
	case RS_EV_PROMISE_CREATE: {
		struct pinfo *p = pinfo(c, e->a);
		if (p) {
			p->creator = e->ctx;
			p->has_creator = 1;
		}
		break;
	}
	case RS_EV_THREAD_WAKE: {
		uint64_t *w = rs_u64map_put(&c->woken, e->a, UINT64_MAX);
		if (!w)
			c->oom = 1;
		else if (*w == UINT64_MAX)   /* the first wake counts */
			*w = (uint64_t)e->ts_ns;
		break;
	}
	case RS_EV_THREAD_SWITCH: {
		uint64_t *w = rs_u64map_find(&c->woken, e->b);
		if (w && *w != UINT64_MAX) {
			if ((uint64_t)e->ts_ns >= *w)
				record_tid(c, RS_REPORT_WAKE, (uint32_t)e->b,
					   (uint64_t)e->ts_ns - *w);
			*w = UINT64_MAX;
		}
		break;
	}
	case RS_EV_RUNQ_LEN:
		record(c, RS_REPORT_RUNQ, "runq_len", NULL, e->a);
		break;
	case RS_EV_IRQ_ENTER:
	case RS_EV_IRQ_EXIT:
		irq(c, e);
		break;
	case RS_EV_TIMER_FIRE: {
		uint64_t hz = r->meta.tsc_hz;
		if (!hz || e->b < c->boot_tsc)
			break;
		unsigned __int128 due = (unsigned __int128)(e->b - c->boot_tsc) *
					1000000000u / hz;
		/* A timer runs at or after its due time; earlier would be a
		 * clock conversion artefact, counted as on time. */
		uint64_t late = (unsigned __int128)e->ts_ns > due
					? (uint64_t)((unsigned __int128)e->ts_ns - due)
					: 0;
		record(c, RS_REPORT_TIMER, "timers", NULL, late);
		break;
	}
	case RS_EV_PAGE_ALLOC:
		if (e->b < 52)   /* orders beyond 2^64 bytes are garbage */
			record(c, RS_REPORT_PAGE_ALLOC, "pages", NULL,
			       (uint64_t)RS_PAGE_SIZE << e->b);
		break;
	case RS_EV_HEAP:
		if ((int64_t)e->b > 0)
			record(c, RS_REPORT_HEAP_ALLOC, "heap", NULL, e->b);
		if (!r->has_heap || e->a > r->heap_high_water)
			r->heap_high_water = e->a;
		r->has_heap = 1;
		break;
	}
	return c->oom ? 1 : 0;
}

/* Most samples first (what --top keeps); then by name, numbers in
 * names sorting as numbers: "req 2" before "req 10". */
static int cmp_group(const void *a, const void *b)
{
	const struct rs_report_group *x = a, *y = b;
	uint64_t nx = rs_hdr_count(x->h), ny = rs_hdr_count(y->h);
	if (nx != ny)
		return nx > ny ? -1 : 1;
	return strverscmp(x->name, y->name);
}

int rs_report_compute(struct rs_trace_db *db, int64_t trace_id,
		      int64_t from_ns, int64_t to_ns, enum rs_report_by by,
		      struct rs_report *r, char *err, size_t errlen)
{
	assert(db && r && err && errlen > 0);
	struct ctx c = { .r = r, .db = db };
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->by = by;
	for (int i = 0; i < RS_REPORT_SECTIONS; i++) {
		r->sec[i].key = section_info[i].key;
		r->sec[i].title = section_info[i].title;
		r->sec[i].unit = section_info[i].unit;
		r->sec[i].grouped = section_info[i].grouped;
	}
	if (rs_trace_meta(db, trace_id, &r->meta) != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		return -1;
	}
	if (rs_report_verdict(db, r, err, errlen) != 0)
		return -1;
	c.boot_tsc = r->meta.boot_tsc;
	/* With no bound given, the range reaches over losses at the edges
	 * too: a ring that lapped its reader lost the trace's start, and
	 * the loss line must say how much of the run that was. */
	int64_t first = r->meta.first_ts_ns, last = r->meta.last_ts_ns;
	rs_report_lost_extent(db, r->meta.id, &first, &last);
	r->from_ns = from_ns == INT64_MIN ? first
		     : from_ns > r->meta.first_ts_ns ? from_ns : r->meta.first_ts_ns;
	r->to_ns = to_ns == INT64_MAX ? last
		   : to_ns < r->meta.last_ts_ns ? to_ns : r->meta.last_ts_ns;
	if (r->to_ns < r->from_ns)
		r->to_ns = r->from_ns;     /* empty range: nothing in it */

	c.smp = rs_smp_acc_new(r);
	if (!c.smp) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (load_tables(&c, err, errlen) != 0)
		goto out;
	int ev = rs_trace_events(db, r->meta.id, RS_ORDER_TIME, r->from_ns,
				 r->to_ns, on_event, &c);
	if (ev != 0 || c.oom) {
		snprintf(err, errlen, "%s", c.oom ? "out of memory"
						  : rs_trace_error(db));
		goto out;
	}
	/* Lifetimes: both ends inside the range. */
	for (size_t i = 0; i < c.np; i++) {
		const struct pinfo *p = &c.p[i];
		if (p->complete && p->created >= r->from_ns &&
		    p->resolved <= r->to_ns && p->resolved >= p->created)
			record_promise(&c, RS_REPORT_LIFETIME, p, p->creator,
				       p->has_creator,
				       (uint64_t)(p->resolved - p->created));
	}
	if (c.oom) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (rs_report_lost(db, &r->meta, r->from_ns, r->to_ns, &r->lost) != 0) {
		snprintf(err, errlen, "%s", rs_trace_error(db));
		goto out;
	}
	double secs = (double)(r->to_ns - r->from_ns) / 1e9;
	for (int i = RS_REPORT_PAGE_ALLOC; i <= RS_REPORT_HEAP_ALLOC; i++) {
		uint64_t n = r->sec[i].n ? rs_hdr_count(r->sec[i].groups[0].h) : 0;
		double rate = secs > 0 ? (double)n / secs : 0.0;
		*(i == RS_REPORT_PAGE_ALLOC ? &r->page_allocs_per_sec
					    : &r->heap_allocs_per_sec) = rate;
	}
	for (int i = 0; i < RS_REPORT_SECTIONS; i++) {
		struct rs_report_section *s = &r->sec[i];
		if (s->n > 1)   /* groups is NULL when empty */
			qsort(s->groups, s->n, sizeof(*s->groups), cmp_group);
		free(s->slots);            /* indices are stale after sorting */
		s->slots = NULL;
		s->nslots = 0;
	}
	rc = 0;
out:
	for (size_t i = 0; i < c.np; i++)
		free(c.p[i].label), free(c.p[i].type);
	free(c.p);
	uint64_t tid, name;
	for (size_t pos = 0; rs_u64map_next(&c.tnames, &pos, &tid, &name);)
		free((void *)(uintptr_t)name);
	rs_u64map_free(&c.pmap);
	rs_u64map_free(&c.tnames);
	rs_u64map_free(&c.open);
	rs_u64map_free(&c.wheads);
	rs_u64map_free(&c.woken);
	rs_smp_acc_free(c.smp);
	free(c.w);
	return rc;
}

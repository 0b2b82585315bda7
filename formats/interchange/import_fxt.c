/*
 * import_fxt.c - the Fuchsia trace format (FXT), as eio-trace, OCaml's
 * `tracing` libraries and Fuchsia write it and Perfetto reads it, into
 * ringside's events.
 *
 * A file is 8-byte words: records, each a header word (type in bits 0-3,
 * size in words in bits 4-15, or 4-35 for type 15) and its payload.
 * Strings and threads are interned in tables (string records, thread
 * records) that later records refer to by index, or written inline.
 * Every size, index and reference is checked against the record and the
 * tables before use; a record that lies about its size, or refers to a
 * string or thread never registered, ends the import with one line.
 * A record of a type not read here is skipped by its size and counted.
 *
 * Mapping (the inverse of the natural export: threads as threads,
 * promises as async events with flows, counters as counters, marks as
 * instants). Thread events are on CPU 0 with ctx = the thread; a thread
 * koid up to 2^31 - 1 is its tid, a larger one gets 2^31 + n.
 *   kernel object (thread)  thread_create (name, tid), at the last time
 *                           seen (0 before any event)
 *   instant                 mark (name, value: its first integer argument)
 *   counter                 counter per numeric argument (name, or
 *                           name/argument when it has several; doubles
 *                           truncated to integers)
 *   duration begin / end    promise_create (type task, parent: the
 *                           thread's enclosing duration) + promise_label
 *                           (name), and promise_resolve at the end; ids
 *                           2^48 + n. Complete: the same, both at once.
 *                           An end with no begin on its thread: a mark.
 *   async begin / end       promise_create (type async, id: the
 *                           correlation id) + promise_label; promise_resolve
 *   async instant           mark (name, value: the correlation id)
 *   flow begin / step / end promise_read at the end: promise = the
 *                           duration the flow left (begin or last step),
 *                           reader = the one enclosing the end; begin and
 *                           step make no event of their own
 *   context switch          thread_switch on the record's CPU (legacy
 *                           and current records); thread wakeup:
 *                           thread_wake there
 *   log                     mark (the message)
 *   provider event 0        a loss of unknown size ("buffer filled up,
 *                           records were likely dropped")
 * Metadata, initialization (ticks per second, default 1 GHz as the spec
 * says), string and thread records set state and make no event; blob,
 * userspace object, large and unknown records are skipped and counted.
 * One string and thread table serves every provider section.
 * ringside's own export is read back as its records (ringside_vocab):
 * formats/interchange/README.md says how.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "rs_u64map.h"

#define FXT_MAGIC       0x0016547846040010ull
#define FXT_NTHREADS    0x100u
#define DURATION_ID0    (1ull << 48)

struct thr {
	uint32_t tid;
	uint64_t *stack;          /* open durations' promise ids */
	size_t n, cap;
};

struct fxt {
	struct rs_imp *im;
	uint64_t tps;             /* ticks per second */
	uint64_t last_ns;
	/* The string table: index -> offset in the file << 16 | length. A
	 * map, not an array of 32768: most files use a few, and an array
	 * cleared per file was most of a small file's cost. */
	struct rs_u64map strs;
	const uint8_t *base;
	struct { uint64_t pid, tid; int set; } thread[FXT_NTHREADS];
	struct rs_u64map by_koid;  /* thread koid -> index in thr */
	struct thr *thr;
	size_t nthr, cap;
	uint32_t next_big_tid;
	/* The file is ringside's own export (export_fxt.c: a process koid 1
	 * "kernel threads"); its pseudo-processes (CPUs, promises, lost
	 * records) hold views, not threads. */
	int ringside;
	uint64_t pseudo[4];
	int npseudo;
	uint64_t next_duration;
	struct rs_u64map flow;     /* flow id -> promise it left from */
	size_t off;                /* the record being read, for messages */
};

/* A reader over one record (or argument): words and strings in bounds. */
struct rd {
	struct fxt *f;
	const uint8_t *p;
	size_t n, pos;
};

static const char *const rec_names[16] = {
	"metadata", "initialization", "string", "thread", "event", "blob",
	"userspace object", "kernel object", "scheduling", "log", NULL, NULL,
	NULL, NULL, NULL, "large",
};

const char *rs_import_fxt_record_name(unsigned type)
{
	return type < 16 ? rec_names[type] : NULL;
}

static int bad(struct fxt *f, const char *what)
{
	return rs_imp_fail(f->im, "FXT record at offset %zu: %s", f->off, what);
}

static int word(struct rd *r, uint64_t *v)
{
	if (r->n - r->pos < 8)
		return bad(r->f, "runs past its size");
	*v = rs_imp_le64(r->p + r->pos);
	r->pos += 8;
	return 0;
}

/* A string ref: 0 empty, bit 15 inline (length in bits 0-14, the bytes
 * here padded to 8), else an index into the string table. */
static int str_ref(struct rd *r, uint16_t ref, const char **s, size_t *len)
{
	if (ref == 0) {
		*s = "";
		*len = 0;
		return 0;
	}
	if (ref & 0x8000) {
		const size_t l = ref & 0x7fff, padded = (l + 7) & ~(size_t)7;
		if (r->n - r->pos < padded)
			return bad(r->f, "an inline string runs past its size");
		*s = (const char *)r->p + r->pos;
		*len = l;
		r->pos += padded;
		return 0;
	}
	const uint64_t *at = rs_u64map_find(&r->f->strs, ref);
	if (!at) {
		char m[80];
		snprintf(m, sizeof(m), "string ref %u is not in the string"
			 " table", ref);
		return bad(r->f, m);
	}
	*s = (const char *)r->f->base + (*at >> 16);
	*len = *at & 0xffff;
	return 0;
}

/* A thread ref: 0 inline (process and thread koid words here), else an
 * index into the thread table. */
static int thread_ref(struct rd *r, unsigned ref, uint64_t *koid)
{
	uint64_t pid;
	if (ref == 0)
		return word(r, &pid) || word(r, koid) ? -1 : 0;
	if (!r->f->thread[ref].set) {
		char m[80];
		snprintf(m, sizeof(m), "thread ref %u is not in the thread"
			 " table", ref);
		return bad(r->f, m);
	}
	*koid = r->f->thread[ref].tid;
	return 0;
}

/* The thread's state, made on first sight; NULL on error. */
static struct thr *thread_of(struct fxt *f, uint64_t koid)
{
	uint64_t *at = rs_u64map_put(&f->by_koid, koid, f->nthr);
	if (!at) {
		rs_imp_fail(f->im, "out of memory");
		return NULL;
	}
	if (*at < f->nthr)
		return &f->thr[*at];
	if (f->nthr == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		void *p = realloc(f->thr, cap * sizeof(*f->thr));
		if (!p) {
			rs_imp_fail(f->im, "out of memory");
			return NULL;
		}
		f->thr = p;
		f->cap = cap;
	}
	struct thr *t = &f->thr[f->nthr++];
	memset(t, 0, sizeof(*t));
	t->tid = koid && koid <= 0x7fffffff ? (uint32_t)koid
					    : 0x80000000u + f->next_big_tid++;
	/* ringside's export writes ctx 0 of CPU n as 0x40000000 + n */
	if (f->ringside && koid >= 0x40000000 && koid < 0x40000000 + RS_MAX_CPUS)
		t->tid = 0;
	return t;
}

static int to_ns(struct fxt *f, uint64_t ticks, uint64_t *ns)
{
	unsigned __int128 v = (unsigned __int128)ticks * 1000000000u / f->tps;
	if (v > INT64_MAX)
		return bad(f, "a time past 2^63 ns");
	*ns = (uint64_t)v;
	f->last_ns = *ns;
	return 0;
}

/* ---- arguments --------------------------------------------------------- */

struct args {
	int nnum;
	int64_t first;            /* the first numeric value */
	char first_name[64];
	uint64_t process;         /* a koid argument named "process" */
	struct { int64_t v; char name[64]; } num[15];
	int nstr;                 /* the first string arguments */
	struct { char name[16]; const char *v; size_t len; } str[2];
};

static void copy_name(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static int64_t from_double(uint64_t bits)
{
	double d;
	memcpy(&d, &bits, sizeof(d));
	if (!(d == d))
		return 0;
	return d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
}

static int one_arg(struct rd *r, struct args *a)
{
	uint64_t h;
	if (word(r, &h))
		return -1;
	const size_t words = (h >> 4) & 0xfff;
	if (words == 0 || words * 8 > r->n - (r->pos - 8))
		return bad(r->f, "an argument's size is zero or past the record");
	struct rd s = { r->f, r->p + r->pos - 8, words * 8, 8 };
	r->pos += words * 8 - 8;
	const char *name, *sv;
	size_t nlen, svlen;
	if (str_ref(&s, (uint16_t)(h >> 16), &name, &nlen))
		return -1;
	uint64_t v = 0;
	int numeric = 1;
	switch (h & 0xf) {
	case 1: v = (uint64_t)(int64_t)(int32_t)(uint32_t)(h >> 32); break;
	case 2: v = (uint32_t)(h >> 32); break;
	case 3: case 4: case 7: case 8:
		if (word(&s, &v))
			return -1;
		if ((h & 0xf) == 8 && nlen == 7 && memcmp(name, "process", 7) == 0)
			a->process = v;
		numeric = (h & 0xf) <= 4;
		break;
	case 5:
		if (word(&s, &v))
			return -1;
		v = (uint64_t)from_double(v);
		break;
	case 6:
		if (str_ref(&s, (uint16_t)(h >> 32), &sv, &svlen))
			return -1;
		if (a->nstr < 2) {
			copy_name(a->str[a->nstr].name, sizeof(a->str[0].name),
				  name, nlen);
			a->str[a->nstr].v = sv;
			a->str[a->nstr++].len = svlen;
		}
		numeric = 0;
		break;
	case 9: v = (h >> 32) & 1; break;
	default: numeric = 0; break;   /* null, or a type not known */
	}
	if (numeric && a->nnum < 15) {
		a->num[a->nnum].v = (int64_t)v;
		copy_name(a->num[a->nnum].name, sizeof(a->num[0].name), name,
			  nlen);
		if (a->nnum++ == 0)
			a->first = (int64_t)v;
	}
	return 0;
}

static int read_args(struct rd *r, unsigned n, struct args *a)
{
	memset(a, 0, sizeof(*a));
	for (unsigned i = 0; i < n; i++)
		if (one_arg(r, a))
			return -1;
	return 0;
}

/* ---- events ------------------------------------------------------------ */

static int emit(struct fxt *f, uint16_t cpu, uint64_t ns, uint16_t type,
		uint32_t ctx, uint64_t a, uint64_t b, uint64_t c,
		const char *s, size_t len)
{
	return rs_imp_emit(f->im, cpu, ns, type, ctx, a, b, c, s, len);
}

static int push(struct fxt *f, struct thr *t, uint64_t id)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		void *p = realloc(t->stack, cap * sizeof(*t->stack));
		if (!p)
			return rs_imp_fail(f->im, "out of memory");
		t->stack = p;
		t->cap = cap;
	}
	t->stack[t->n++] = id;
	return 0;
}

static uint64_t top(const struct thr *t)
{
	return t->n ? t->stack[t->n - 1] : 0;
}

/* A promise that begins (a duration, or an async operation) and its name. */
static int begin(struct fxt *f, struct thr *t, uint64_t ns, uint64_t id,
		 uint64_t type, const char *name, size_t len)
{
	return emit(f, 0, ns, RS_EV_PROMISE_CREATE, t->tid, id, top(t), type,
		    NULL, 0) ||
	       emit(f, 0, ns, RS_EV_PROMISE_LABEL, t->tid, id, 0, 0, name, len);
}

static int counter(struct fxt *f, struct thr *t, uint64_t ns,
		   const struct args *a, const char *name, size_t len)
{
	char buf[RS_MAX_RECORD];
	for (int i = 0; i < a->nnum; i++) {
		if (a->nnum == 1)
			copy_name(buf, sizeof(buf), name, len);
		else
			snprintf(buf, sizeof(buf), "%.*s/%s",
				 (int)(len < 512 ? len : 512), name,
				 a->num[i].name);
		if (emit(f, 0, ns, RS_EV_COUNTER, t->tid,
			 (uint64_t)a->num[i].v, 0, 0, buf, strlen(buf)))
			return -1;
	}
	return 0;
}

static int flow(struct fxt *f, struct thr *t, uint64_t ns, unsigned etype,
		uint64_t id)
{
	uint64_t *from = rs_u64map_find(&f->flow, id);
	if (etype == 10) {       /* end: from where it was to here */
		if (from && *from && top(t))
			return emit(f, 0, ns, RS_EV_PROMISE_READ, t->tid, *from,
				    top(t), 0, NULL, 0);
		return 0;
	}
	uint64_t *at = rs_u64map_put(&f->flow, id, 0);
	if (!at)
		return rs_imp_fail(f->im, "out of memory");
	*at = top(t);
	return 0;
}

static int event_body(struct fxt *f, struct rd *r, unsigned etype,
		      struct thr *t, uint64_t ns, const struct args *a,
		      const char *name, size_t len)
{
	uint64_t x = 0, end = 0;
	if (etype == 1 || etype >= 4) {
		if (word(r, &x))
			return -1;
	}
	switch (etype) {
	case 0:
		return emit(f, 0, ns, RS_EV_MARK, t->tid, (uint64_t)a->first, 0,
			    0, name, len);
	case 1:
		return counter(f, t, ns, a, name, len);
	case 2:
	case 4:
		if (begin(f, t, ns, DURATION_ID0 + ++f->next_duration,
			  RS_PT_TASK, name, len) ||
		    push(f, t, DURATION_ID0 + f->next_duration))
			return -1;
		if (etype == 2)
			return 0;
		if (to_ns(f, x, &end))
			return -1;
		ns = end;   /* a complete event ends too */
		/* fall through */
	case 3:
		if (!t->n)
			return emit(f, 0, ns, RS_EV_MARK, t->tid, 0, 0, 0, name,
				    len);
		return emit(f, 0, ns, RS_EV_PROMISE_RESOLVE, t->tid,
			    t->stack[--t->n], 0, 0, NULL, 0);
	case 5:
		return begin(f, t, ns, x, RS_PT_ASYNC, name, len);
	case 6:
		return emit(f, 0, ns, RS_EV_MARK, t->tid, x, 0, 0, name, len);
	case 7:
		return emit(f, 0, ns, RS_EV_PROMISE_RESOLVE, t->tid, x, 0, 0,
			    NULL, 0);
	default:
		return flow(f, t, ns, etype, x);
	}
}

static int same(const char *s, size_t len, const char *lit)
{
	return len == strlen(lit) && memcmp(s, lit, len) == 0;
}

static int arg_u64(const struct args *a, const char *name, uint64_t *v)
{
	for (int i = 0; i < a->nnum; i++)
		if (strcmp(a->num[i].name, name) == 0) {
			*v = (uint64_t)a->num[i].v;
			return 1;
		}
	return 0;
}

static const char *arg_str(const struct args *a, const char *name,
			   size_t *len)
{
	for (int i = 0; i < a->nstr; i++)
		if (strcmp(a->str[i].name, name) == 0) {
			*len = a->str[i].len;
			return a->str[i].v;
		}
	return NULL;
}

/* A 1 ns "promise" slice named by its verb with every word of the record
 * under the event table's names: ringside's export of one record, read
 * back as that record. 1 if it was one, 0 if not, -1 on error. */
static int ringside_record(struct fxt *f, struct rd *r, struct thr *t,
			   uint64_t ns, const struct args *a,
			   const char *name, size_t len)
{
	uint64_t w[3] = { 0, 0, 0 }, end;
	const char *s = NULL;
	size_t slen = 0;
	for (uint16_t ty = RS_EV_PROMISE_CREATE; ty < RS_EV_PAGE_ALLOC; ty++) {
		const char *en = rs_event_name(ty);
		if (!en || strncmp(en, "promise_", 8) || !same(name, len, en + 8))
			continue;
		for (int i = 0; i < rs_event_nargs(ty); i++)
			if (!arg_u64(a, rs_event_arg_name(ty, (unsigned)i), &w[i]))
				return 0;
		if (rs_event_has_str(ty) == 1 &&
		    !(s = arg_str(a, rs_event_str_name(ty), &slen)))
			return 0;
		if (word(r, &end))
			return -1;
		return emit(f, 0, ns, ty, t->tid, w[0], w[1], w[2], s, slen) ? -1
									   : 1;
	}
	return 0;
}

/* ringside's own vocabulary (formats/interchange/README.md, FXT): its
 * records, and what its export adds as views of them (a promise's
 * lifetime, whose name is its label unless that is its type; flows; the
 * threads' runs and CPUs' occupants; instants on CPUs), which make no
 * event. 1 if handled, 0 if not, -1 on error. */
static int ringside_vocab(struct fxt *f, struct rd *r, unsigned etype,
			  struct thr *t, uint64_t ns, const struct args *a,
			  const char *cat, size_t clen, const char *name,
			  size_t len)
{
	uint64_t id;
	size_t tlen;
	const char *type;
	if (same(cat, clen, "promise")) {
		if (etype == 4)
			return ringside_record(f, r, t, ns, a, name, len);
		if (etype == 5 && (type = arg_str(a, "type", &tlen))) {
			if (word(r, &id))
				return -1;
			if (same(name, len, "promise") ||
			    (tlen == len && memcmp(type, name, len) == 0))
				return 1;
			return emit(f, 0, ns, RS_EV_PROMISE_LABEL, t->tid, id, 0,
				    0, name, len) ? -1 : 1;
		}
		if (etype == 7 && arg_str(a, "state", &tlen))
			return 1;
		return 0;
	}
	if (f->ringside && ((etype == 4 && (same(cat, clen, "sched") ||
					    same(cat, clen, "cpu") ||
					    same(cat, clen, "lost"))) ||
			    (etype == 0 && same(cat, clen, "cpu")))) {
		f->im->st->derived++;
		return 1;
	}
	return 0;
}

static int event_record(struct fxt *f, const uint8_t *p, size_t n,
			uint64_t h)
{
	struct rd r = { f, p, n, 8 };
	const unsigned etype = (h >> 16) & 0xf, nargs = (h >> 20) & 0xf;
	uint64_t ticks = 0, koid = 0, ns = 0;
	const char *cat, *name;
	size_t clen, nlen;
	struct args a;

	if (etype > 10) {         /* an event type not known: skipped */
		f->im->st->skipped++;
		return 0;
	}
	if (word(&r, &ticks) || thread_ref(&r, (h >> 24) & 0xff, &koid) ||
	    str_ref(&r, (uint16_t)(h >> 32), &cat, &clen) ||
	    str_ref(&r, (uint16_t)(h >> 48), &name, &nlen) ||
	    read_args(&r, nargs, &a) || to_ns(f, ticks, &ns))
		return -1;
	struct thr *t = thread_of(f, koid);
	if (!t)
		return -1;
	const int v = ringside_vocab(f, &r, etype, t, ns, &a, cat, clen, name,
				     nlen);
	if (v != 0)
		return v < 0 ? -1 : 0;
	return event_body(f, &r, etype, t, ns, &a, name, nlen);
}

/* ---- the other records --------------------------------------------------- */

static int kernel_object(struct fxt *f, const uint8_t *p, size_t n,
			 uint64_t h)
{
	struct rd r = { f, p, n, 8 };
	uint64_t koid;
	const char *name;
	size_t len;
	struct args a;
	if (word(&r, &koid) || str_ref(&r, (uint16_t)(h >> 24), &name, &len) ||
	    read_args(&r, (h >> 40) & 0xf, &a))
		return -1;
	const unsigned otype = (h >> 16) & 0xff;
	if (otype == 1) {                /* a process: ringside's own? */
		if (koid == 1 && same(name, len, "kernel threads"))
			f->ringside = 1;
		else if (f->npseudo < 4 && (same(name, len, "CPUs") ||
					    same(name, len, "promises") ||
					    same(name, len, "lost records")))
			f->pseudo[f->npseudo++] = koid;
		return 0;
	}
	if (otype != 2)                  /* only threads (ZX_OBJ_TYPE_THREAD) */
		return 0;
	for (int i = 0; f->ringside && i < f->npseudo; i++)
		if (a.process == f->pseudo[i]) {
			f->im->st->derived++;
			return 0;
		}
	struct thr *t = thread_of(f, koid);
	if (!t)
		return -1;
	if (f->ringside && t->tid == 0) {   /* a CPU's ctx 0: no thread */
		f->im->st->derived++;
		return 0;
	}
	return emit(f, 0, f->last_ns, RS_EV_THREAD_CREATE, t->tid, t->tid, 0, 0,
		    name, len);
}

static int sched_switch(struct fxt *f, uint64_t cpu, uint64_t ticks,
			uint64_t out, uint64_t in)
{
	uint64_t ns = 0;
	if (cpu >= RS_MAX_CPUS) {
		f->im->st->skipped++;   /* a CPU ringside cannot hold */
		return 0;
	}
	struct thr *to = thread_of(f, out), *ti = to ? thread_of(f, in) : NULL;
	if (!ti || to_ns(f, ticks, &ns))
		return -1;
	to = thread_of(f, out);      /* the table may have moved */
	return emit(f, (uint16_t)cpu, ns, RS_EV_THREAD_SWITCH, ti->tid, to->tid,
		    ti->tid, 0, NULL, 0);
}

static int scheduling(struct fxt *f, const uint8_t *p, size_t n, uint64_t h)
{
	struct rd r = { f, p, n, 8 };
	uint64_t ticks = 0, out = 0, in = 0, ns = 0;
	struct args a;
	switch (h >> 60) {
	case 0:  /* legacy: cpu 16-23, thread refs 28-35 and 36-43 */
		if (word(&r, &ticks) || thread_ref(&r, (h >> 28) & 0xff, &out) ||
		    thread_ref(&r, (h >> 36) & 0xff, &in))
			return -1;
		return sched_switch(f, (h >> 16) & 0xff, ticks, out, in);
	case 1:  /* context switch: args 16-19, cpu 20-35 */
		if (word(&r, &ticks) || word(&r, &out) || word(&r, &in) ||
		    read_args(&r, (h >> 16) & 0xf, &a))
			return -1;
		return sched_switch(f, (h >> 20) & 0xffff, ticks, out, in);
	case 2: { /* thread wakeup */
		const uint64_t cpu = (h >> 20) & 0xffff;
		if (word(&r, &ticks) || word(&r, &in) ||
		    read_args(&r, (h >> 16) & 0xf, &a) || to_ns(f, ticks, &ns))
			return -1;
		struct thr *t = cpu < RS_MAX_CPUS ? thread_of(f, in) : NULL;
		if (cpu >= RS_MAX_CPUS) {
			f->im->st->skipped++;
			return 0;
		}
		return t ? emit(f, (uint16_t)cpu, ns, RS_EV_THREAD_WAKE, 0,
				t->tid, 0, 0, NULL, 0) : -1;
	}
	default:
		f->im->st->skipped++;
		return 0;
	}
}

static int log_record(struct fxt *f, const uint8_t *p, size_t n, uint64_t h)
{
	struct rd r = { f, p, n, 8 };
	uint64_t ticks = 0, koid = 0, ns = 0;
	const size_t len = (h >> 16) & 0x7fff, padded = (len + 7) & ~(size_t)7;
	if (word(&r, &ticks) || thread_ref(&r, (h >> 32) & 0xff, &koid) ||
	    to_ns(f, ticks, &ns))
		return -1;
	if (r.n - r.pos < padded)
		return bad(f, "its message runs past its size");
	struct thr *t = thread_of(f, koid);
	return t ? emit(f, 0, ns, RS_EV_MARK, t->tid, 0, 0, 0,
			(const char *)p + r.pos, len) : -1;
}

static int metadata(struct fxt *f, uint64_t h)
{
	const unsigned mtype = (h >> 16) & 0xf;
	if (mtype == 3 && ((h >> 52) & 0xf) == 0) {
		char what[120];
		snprintf(what, sizeof(what), "FXT provider %u: a buffer filled"
			 " up, records were likely dropped",
			 (unsigned)((h >> 20) & 0xffffffff));
		rs_imp_gap(f->im, 0, what);
	}
	return 0;
}

static int string_record(struct fxt *f, const uint8_t *p, size_t n,
			 uint64_t h)
{
	const unsigned idx = (h >> 16) & 0x7fff;
	const size_t len = (h >> 32) & 0x7fff;
	if (len > n - 8)
		return bad(f, "its string runs past its size");
	if (idx == 0)   /* index 0 is the empty string: ignored, says the spec */
		return 0;
	uint64_t *at = rs_u64map_put(&f->strs, idx, 0);
	if (!at)
		return rs_imp_fail(f->im, "out of memory");
	*at = (uint64_t)(p + 8 - f->base) << 16 | len;
	return 0;
}

static int thread_record(struct fxt *f, const uint8_t *p, size_t n,
			 uint64_t h)
{
	struct rd r = { f, p, n, 8 };
	const unsigned idx = (h >> 16) & 0xff;
	uint64_t pid, tid;
	if (word(&r, &pid) || word(&r, &tid))
		return -1;
	if (idx) {
		f->thread[idx].pid = pid;
		f->thread[idx].tid = tid;
		f->thread[idx].set = 1;
	}
	return 0;
}

/* ---- the file ------------------------------------------------------------ */

static int record(struct fxt *f, const uint8_t *p, size_t n, uint64_t h)
{
	struct rs_import_stats *st = f->im->st;
	const unsigned type = h & 0xf;
	st->source_ops[type]++;
	switch (type) {
	case 0: return metadata(f, h);
	case 1: {
		struct rd r = { f, p, n, 8 };
		uint64_t tps;
		if (word(&r, &tps))
			return -1;
		if (tps == 0)
			return bad(f, "zero ticks per second");
		f->tps = st->ticks_per_second = tps;
		return 0;
	}
	case 2: return string_record(f, p, n, h);
	case 3: return thread_record(f, p, n, h);
	case 4: return event_record(f, p, n, h);
	case 7: return kernel_object(f, p, n, h);
	case 8: return scheduling(f, p, n, h);
	case 9: return log_record(f, p, n, h);
	default:
		st->skipped++;   /* blob, userspace object, large, unknown */
		return 0;
	}
}

static int walk(struct fxt *f, const uint8_t *buf, size_t len)
{
	if (len < 8 || rs_imp_le64(buf) != FXT_MAGIC)
		return rs_imp_fail(f->im, "not an FXT file: it does not start"
				   " with the magic record (0x%016llx)",
				   (unsigned long long)FXT_MAGIC);
	if (len % 8)
		return rs_imp_fail(f->im, "FXT file of %zu bytes: not a whole"
				   " number of 8-byte words", len);
	for (size_t off = 0; off < len;) {
		const uint64_t h = rs_imp_le64(buf + off);
		const uint64_t words = (h & 0xf) == 15 ? (h >> 4) & 0xffffffff
						       : (h >> 4) & 0xfff;
		f->off = off;
		if (words == 0)
			return bad(f, "zero size");
		if (words > (len - off) / 8) {
			char m[120];
			snprintf(m, sizeof(m), "its size (%llu words) runs past"
				 " the end of the file (%zu words left)",
				 (unsigned long long)words, (len - off) / 8);
			return bad(f, m);
		}
		if (record(f, buf + off, words * 8, h) != 0)
			return -1;
		off += words * 8;
	}
	return 0;
}

int rs_import_fxt_mem(const uint8_t *buf, size_t len,
		      const struct rs_import_sink *sink,
		      struct rs_import_stats *st, char *err, size_t errlen)
{
	struct rs_imp im;
	struct fxt *f = calloc(1, sizeof(*f));
	memset(st, 0, sizeof(*st));
	rs_imp_init(&im, sink, st, err, errlen);
	if (!f)
		return rs_imp_fail(&im, "out of memory");
	f->im = &im;
	f->tps = 1000000000ull;
	f->base = buf;
	st->bytes = len;
	st->hash = rs_imp_hash(RS_IMP_HASH0, buf, len);
	st->ncpus = 1;
	int rc = walk(f, buf, len);
	if (rc == 0)
		rc = rs_imp_finish(&im);
	for (size_t i = 0; i < f->nthr; i++)
		free(f->thr[i].stack);
	free(f->thr);
	rs_u64map_free(&f->by_koid);
	rs_u64map_free(&f->flow);
	rs_u64map_free(&f->strs);
	free(f);
	return rc;
}

int rs_import_fxt(const char *path, const struct rs_import_sink *sink,
		  struct rs_import_stats *st, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	memset(st, 0, sizeof(*st));
	if (rs_imp_read_file(path, &buf, &len, err, errlen) != 0)
		return -1;
	int rc = rs_import_fxt_mem(buf, len, sink, st, err, errlen);
	free(buf);
	return rc;
}

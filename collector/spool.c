/*
 * spool.c - records copied out of the rings, waiting in host memory for
 * the writer thread to store and commit them (spool.h says why and the
 * rules).
 *
 * The buffer is a byte ring of `cap` bytes addressed by monotonic
 * positions: [head, pub) is published and the writer's, [pub, tail) the
 * poll the reader is copying. Entries are 16-byte aligned and never wrap
 * the buffer's end (a WRAP entry fills what is left there):
 *
 *   RECS  a run of consecutive records of one CPU, verbatim as the guest
 *         wrote them (and as the decoder checked them), first seq, count
 *   LOST  one LOST event the decoder synthesized (count, from, to)
 *   MARK  the end of a poll: the reader state and guest status to save
 *
 * The writer parses RECS with rs_decode_record, the one decoder, again:
 * it is cheap beside the store (tens of ns against hundreds), and keeps
 * the spool at the size of the raw records, not of decoded events.
 */
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

enum { ENT_RECS = 1, ENT_LOST, ENT_MARK, ENT_WRAP };

struct ent {
	uint32_t kind, cpu;
	uint64_t size;              /* the whole entry, a multiple of ALIGN */
};
struct ent_recs {
	struct ent h;
	uint64_t first_seq, count;  /* raw records follow */
};
struct ent_lost {
	struct ent h;
	uint64_t count, from_tsc, to_tsc;
};
struct ent_mark {
	struct ent h;
	struct rs_reader_cpu cpu[RS_MAX_CPUS];
	struct rs_status st;
	struct rs_verdict v;
	int has_why;
	char why[200];
};

#define ALIGN 16u
#define ROUND(x) (((x) + ALIGN - 1) & ~(uint64_t)(ALIGN - 1))
/* Raw bytes of one RECS entry at most: a reservation is this size. */
#define SEG_MAX (64u * 1024)
/* A transaction ends at the first poll after this many spool bytes:
 * large enough that a writer that fell behind catches up in few commits,
 * small enough that one commit does not hold the WAL for long. */
#define TXN_BYTES (32u << 20)

struct rs_spool {
	struct rs_store *st;
	struct rs_layout layout;
	uint8_t *buf;
	size_t cap, need;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t thread;
	int started;
	/* under mu */
	uint64_t head, pub;
	int stop, hold, failed;
	rs_committed_cb on_commit;
	void *opaque;
	struct rs_spool_stats stats;
	char err[480];
	/* the reader's */
	uint64_t tail;
	uint64_t seg;               /* open RECS entry's position, or NO_SEG */
	uint32_t seg_fill;
	/* the writer's */
	struct rs_reader saved;     /* layout and cpu[] for rs_store_save_reader */
	uint64_t *tsc;
	size_t ntsc, tsc_cap;
	char strbuf[RS_MAX_RECORD + 1];
};

#define NO_SEG UINT64_MAX

static inline void *at(const struct rs_spool *sp, uint64_t pos)
{
	return sp->buf + pos % sp->cap;
}

/* ---- the writer thread ------------------------------------------------ */

static int writer_fail(struct rs_spool *sp, const char *what)
{
	pthread_mutex_lock(&sp->mu);
	snprintf(sp->err, sizeof(sp->err), "%s%s", what,
		 rs_store_error(sp->st));
	pthread_mutex_unlock(&sp->mu);
	return -1;
}

static void note_tsc(struct rs_spool *sp, uint64_t tsc)
{
	if (sp->ntsc == sp->tsc_cap) {
		size_t cap = sp->tsc_cap ? 2 * sp->tsc_cap : 65536;
		uint64_t *p = realloc(sp->tsc, cap * sizeof(*p));
		if (!p)
			return;   /* measurement only: never fail a collect */
		sp->tsc = p;
		sp->tsc_cap = cap;
	}
	sp->tsc[sp->ntsc++] = tsc;
}

/* Store one RECS entry's records. */
static int store_recs(struct rs_spool *sp, const struct ent_recs *e,
		      int want_tsc)
{
	const uint8_t *p = (const uint8_t *)(e + 1);
	size_t left = e->h.size - sizeof(*e);
	struct rs_event ev;

	for (uint64_t i = 0; i < e->count; i++) {
		size_t sz = rs_decode_record(p, left, &ev, sp->strbuf);
		if (sz == 0)   /* the decoder accepted it once already */
			return writer_fail(sp, "spool: a copied record does not"
					   " decode ");
		ev.seq = e->first_seq + i;
		ev.cpu = (uint16_t)e->h.cpu;
		if (rs_store_event(sp->st, &ev) != 0)
			return writer_fail(sp, "");
		if (want_tsc)
			note_tsc(sp, ev.tsc);
		p += sz;
		left -= sz;
	}
	return 0;
}

static int store_lost(struct rs_spool *sp, const struct ent_lost *e)
{
	struct rs_event ev = {
		.seq = UINT64_MAX, .tsc = e->from_tsc, .type = RS_EV_LOST,
		.cpu = (uint16_t)e->h.cpu, .a = e->count, .b = e->from_tsc,
		.c = e->to_tsc,
	};
	return rs_store_event(sp->st, &ev) != 0 ? writer_fail(sp, "") : 0;
}

static int store_mark(struct rs_spool *sp, const struct ent_mark *m)
{
	struct rs_verdict v = m->v;

	v.why = m->has_why ? m->why : NULL;
	return rs_store_set_status(sp->st, &m->st, &v) != 0
		       ? writer_fail(sp, "") : 0;
}

/*
 * One transaction: the entries from `from` up to `end` (which follows a
 * MARK), or fewer whole polls if they are many. Sets *upto to where it
 * stopped (just after a MARK). 0, or -1 with sp->err set.
 */
static int write_batch(struct rs_spool *sp, uint64_t from, uint64_t end,
		       int want_tsc, uint64_t *upto)
{
	const struct ent_mark *last = NULL;
	uint64_t pos = from;
	int rc = 0;

	if (rs_store_begin(sp->st) != 0)
		return writer_fail(sp, "");
	sp->ntsc = 0;
	while (pos < end && rc == 0) {
		const struct ent *e = at(sp, pos);
		assert(e->size >= sizeof(*e) && e->size % ALIGN == 0);
		switch (e->kind) {
		case ENT_RECS:
			rc = store_recs(sp, (const void *)e, want_tsc);
			break;
		case ENT_LOST:
			rc = store_lost(sp, (const void *)e);
			break;
		case ENT_MARK:
			last = (const void *)e;
			break;
		default:
			assert(e->kind == ENT_WRAP);
			break;
		}
		pos += e->size;
		if (e->kind == ENT_MARK && pos - from >= TXN_BYTES)
			break;
	}
	/* Published ranges end with a MARK: `last` is the poll the reader
	 * state is saved for. */
	assert(rc != 0 || last);
	/* Only the last poll's status: a verdict that keeps (hung, ...) ends
	 * the session, so it is always a batch's last, and a panic record,
	 * once there, is in every later status too. */
	if (rc == 0) {
		memcpy(sp->saved.cpu, last->cpu, sizeof(sp->saved.cpu));
		if (store_mark(sp, last) != 0 ||
		    rs_store_save_reader(sp->st, &sp->saved) != 0 ||
		    rs_store_commit(sp->st) != 0)
			rc = writer_fail(sp, "");
	}
	if (rc != 0) {
		rs_store_rollback(sp->st);
		return -1;
	}
	*upto = pos;
	return 0;
}

static void *writer_main(void *arg)
{
	struct rs_spool *sp = arg;

	pthread_mutex_lock(&sp->mu);
	for (;;) {
		while (!sp->stop && (sp->hold || sp->head == sp->pub))
			pthread_cond_wait(&sp->work, &sp->mu);
		if (sp->stop)
			break;
		const uint64_t from = sp->head, end = sp->pub;
		rs_committed_cb cb = sp->on_commit;
		void *opaque = sp->opaque;
		pthread_mutex_unlock(&sp->mu);

		uint64_t upto = from;
		int rc = write_batch(sp, from, end, cb != NULL, &upto);
		if (rc == 0 && cb && sp->ntsc)
			cb(opaque, sp->tsc, sp->ntsc);
		pthread_mutex_lock(&sp->mu);
		if (rc != 0) {
			sp->failed = 1;
			pthread_cond_broadcast(&sp->done);
			break;
		}
		sp->head = upto;
		sp->stats.commits++;
		pthread_cond_broadcast(&sp->done);
	}
	pthread_mutex_unlock(&sp->mu);
	return NULL;
}

/* ---- life ------------------------------------------------------------- */

/* What one poll may add at most: every ring's lap of records (a poll
 * delivers at most data_size bytes of a CPU, RING.md), the headers of
 * its runs (a run is cut at SEG_MAX and by the at most three LOST events
 * of a CPU's poll), those LOST events, the MARK, the last reservation's
 * unused part and one WRAP. */
static size_t poll_need(const struct rs_layout *l)
{
	size_t need = 2 * ROUND(sizeof(struct ent_mark)) +
		      2 * (SEG_MAX + sizeof(struct ent_recs));

	for (uint32_t i = 0; i < l->ncpus; i++) {
		size_t size = l->cpu[i].data_size;
		size_t runs = size / (SEG_MAX - RS_MAX_RECORD) + 5;
		need += size + runs * (sizeof(struct ent_recs) + ALIGN) +
			3 * ROUND(sizeof(struct ent_lost));
	}
	return (size_t)ROUND(need);
}

struct rs_spool *rs_spool_new(struct rs_store *st, const struct rs_layout *l,
			      size_t cap, char *err, size_t errlen)
{
	struct rs_spool *sp = calloc(1, sizeof(*sp));

	if (!sp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sp->st = st;
	sp->layout = *l;
	sp->saved.layout = *l;
	sp->need = poll_need(l);
	const int dflt = cap == 0;
	if (dflt) {
		const long pages = sysconf(_SC_PHYS_PAGES);
		const long page = sysconf(_SC_PAGESIZE);
		uint64_t ram8 = pages > 0 && page > 0
			? (uint64_t)pages * (uint64_t)page / 8 : 0;
		ram8 = ram8 > RS_SPOOL_MAX_CAP ? RS_SPOOL_MAX_CAP : ram8;
		ram8 = ram8 < RS_SPOOL_MIN_CAP ? RS_SPOOL_MIN_CAP : ram8;
		cap = (size_t)ram8 < 2 * sp->need ? 2 * sp->need : (size_t)ram8;
	}
	/* Never below one poll: the reader could not copy at all. */
	sp->cap = (size_t)ROUND(cap < sp->need ? sp->need : cap);
	sp->seg = NO_SEG;
	/* Pages are touched only as the spool fills: RSS follows use. Under
	 * an address-space limit (ulimit -v) the default shrinks to what
	 * can be had, down to one poll. */
	sp->buf = malloc(sp->cap);
	while (!sp->buf && dflt && sp->cap > sp->need) {
		sp->cap = sp->cap / 2 > sp->need ? (size_t)ROUND(sp->cap / 2)
						 : sp->need;
		sp->buf = malloc(sp->cap);
	}
	sp->stats.cap = sp->cap;
	if (!sp->buf) {
		snprintf(err, errlen, "out of memory for a %zu MiB spool",
			 sp->cap >> 20);
		free(sp);
		return NULL;
	}
	pthread_mutex_init(&sp->mu, NULL);
	pthread_cond_init(&sp->work, NULL);
	pthread_cond_init(&sp->done, NULL);
	/* Signals (stop, QMP's SIGCHLD) are the session thread's: the writer
	 * is started with them blocked. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&sp->thread, NULL, writer_main, sp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the writer thread");
		rs_spool_free(sp);
		return NULL;
	}
	sp->started = 1;
	pthread_setname_np(sp->thread, "ringside-writer");
	return sp;
}

void rs_spool_free(struct rs_spool *sp)
{
	if (!sp)
		return;
	if (sp->started) {
		pthread_mutex_lock(&sp->mu);
		sp->stop = 1;
		pthread_cond_broadcast(&sp->work);
		pthread_mutex_unlock(&sp->mu);
		pthread_join(sp->thread, NULL);
	}
	pthread_mutex_destroy(&sp->mu);
	pthread_cond_destroy(&sp->work);
	pthread_cond_destroy(&sp->done);
	free(sp->tsc);
	free(sp->buf);
	free(sp);
}

void rs_spool_on_commit(struct rs_spool *sp, rs_committed_cb cb, void *opaque)
{
	pthread_mutex_lock(&sp->mu);
	sp->on_commit = cb;
	sp->opaque = opaque;
	pthread_mutex_unlock(&sp->mu);
}

/* ---- the reader's side ------------------------------------------------ */

static uint64_t head_now(struct rs_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	uint64_t h = sp->head;
	pthread_mutex_unlock(&sp->mu);
	return h;
}

int rs_spool_room(struct rs_spool *sp)
{
	assert(sp->tail == sp->pub && sp->seg == NO_SEG);
	return sp->tail - head_now(sp) + sp->need <= sp->cap;
}

void rs_spool_defer(struct rs_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	sp->stats.deferred++;
	pthread_mutex_unlock(&sp->mu);
}

/* `len` contiguous bytes at the tail (after a WRAP if the buffer's end is
 * nearer), or NULL if the spool is full. */
static void *reserve(struct rs_spool *sp, size_t len)
{
	const size_t off = (size_t)(sp->tail % sp->cap);
	const size_t skip = sp->cap - off < len ? sp->cap - off : 0;

	assert(len % ALIGN == 0 && len <= sp->cap);
	if (sp->tail + skip + len - head_now(sp) > sp->cap)
		return NULL;
	if (skip) {
		struct ent *w = at(sp, sp->tail);
		*w = (struct ent){ .kind = ENT_WRAP, .size = skip };
		sp->tail += skip;
	}
	return at(sp, sp->tail);
}

static void close_seg(struct rs_spool *sp)
{
	if (sp->seg == NO_SEG)
		return;
	struct ent_recs *e = at(sp, sp->seg);
	e->h.size = ROUND(sizeof(*e) + sp->seg_fill);
	sp->tail = sp->seg + e->h.size;
	sp->seg = NO_SEG;
}

static int take_lost(struct rs_spool *sp, const struct rs_event *ev)
{
	const size_t len = ROUND(sizeof(struct ent_lost));
	struct ent_lost *e;

	close_seg(sp);
	if (!(e = reserve(sp, len)))
		return -1;
	*e = (struct ent_lost){ .h = { ENT_LOST, ev->cpu, len },
				.count = ev->a, .from_tsc = ev->b,
				.to_tsc = ev->c };
	sp->tail += len;
	return 0;
}

static int take_record(struct rs_spool *sp, const struct rs_event *ev)
{
	struct ent_recs *e = sp->seg == NO_SEG ? NULL : at(sp, sp->seg);

	if (!e || e->h.cpu != ev->cpu || e->first_seq + e->count != ev->seq ||
	    sp->seg_fill + ev->raw_size > SEG_MAX) {
		close_seg(sp);
		if (!(e = reserve(sp, ROUND(sizeof(*e) + SEG_MAX))))
			return -1;
		*e = (struct ent_recs){ .h = { ENT_RECS, ev->cpu, 0 },
					.first_seq = ev->seq };
		sp->seg = sp->tail;
		sp->seg_fill = 0;
	}
	memcpy((uint8_t *)(e + 1) + sp->seg_fill, ev->raw, ev->raw_size);
	sp->seg_fill += ev->raw_size;
	e->count++;
	return 0;
}

int rs_spool_take(void *spool, const struct rs_event *ev, size_t n)
{
	struct rs_spool *sp = spool;

	for (size_t i = 0; i < n; i++) {
		const int rc = ev[i].type == RS_EV_LOST ? take_lost(sp, &ev[i])
							: take_record(sp, &ev[i]);
		if (rc != 0)
			return -1;
	}
	return 0;
}

void rs_spool_discard(struct rs_spool *sp)
{
	sp->seg = NO_SEG;
	sp->tail = sp->pub;
}

int rs_spool_publish(struct rs_spool *sp, const struct rs_reader *r,
		     const struct rs_status *st, const struct rs_verdict *v)
{
	const size_t len = ROUND(sizeof(struct ent_mark));
	struct ent_mark *m;

	close_seg(sp);
	if (!(m = reserve(sp, len))) {
		/* rs_spool_room promised room for this: a bug, not a load */
		rs_spool_discard(sp);
		pthread_mutex_lock(&sp->mu);
		snprintf(sp->err, sizeof(sp->err), "spool: no room for a poll");
		sp->failed = 1;
		pthread_mutex_unlock(&sp->mu);
		return -1;
	}
	m->h = (struct ent){ ENT_MARK, 0, len };
	memcpy(m->cpu, r->cpu, sizeof(m->cpu));
	m->st = *st;
	m->v = *v;
	m->has_why = v->why != NULL;
	snprintf(m->why, sizeof(m->why), "%s", v->why ? v->why : "");
	sp->tail += len;

	pthread_mutex_lock(&sp->mu);
	sp->pub = sp->tail;
	sp->stats.polls++;
	if (sp->pub - sp->head > sp->stats.peak)
		sp->stats.peak = sp->pub - sp->head;
	const int failed = sp->failed;
	pthread_cond_signal(&sp->work);
	pthread_mutex_unlock(&sp->mu);
	return failed ? -1 : 0;
}

int rs_spool_flush(struct rs_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	while (!sp->failed && sp->head != sp->pub)
		pthread_cond_wait(&sp->done, &sp->mu);
	const int failed = sp->failed;
	pthread_mutex_unlock(&sp->mu);
	return failed ? -1 : 0;
}

const char *rs_spool_error(struct rs_spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	const char *e = sp->failed ? sp->err : NULL;
	pthread_mutex_unlock(&sp->mu);
	return e;
}

void rs_spool_stats(struct rs_spool *sp, struct rs_spool_stats *out)
{
	pthread_mutex_lock(&sp->mu);
	*out = sp->stats;
	pthread_mutex_unlock(&sp->mu);
}

void rs_spool_hold(struct rs_spool *sp, int hold)
{
	pthread_mutex_lock(&sp->mu);
	sp->hold = hold;
	pthread_cond_signal(&sp->work);
	pthread_mutex_unlock(&sp->mu);
}

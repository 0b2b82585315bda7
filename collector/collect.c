/*
 * collect.c - the collect loop: find the region in a source, read every
 * CPU's ring with the shared decoder, and store each poll's events in one
 * transaction, so a live reader of the database sees a batch within one
 * poll period of the guest publishing it.
 *
 * It stops on its own when the guest says it is done (exited, crashed),
 * when the guest stops beating (hung), when its ticks go on but it says no
 * thread can run (deadlocked), when the guest reboots, or on
 * SIGINT/SIGTERM/SIGHUP; in every case what was read so far is stored.
 * "running" is stored only for a guest whose heartbeat was seen to move:
 * a one-shot read watches it (up to --hang-secs), and a core, one instant,
 * is "unknown" unless it shows a deadlock (rs_judge_running, collect_verdict.c).
 *
 * The loop is a "session" (collect.h) so that `ringside run` drives the
 * same code while it also watches QEMU; rs_collect is the plain command.
 */
#include <assert.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "collect_internal.h"
#include "cpu_beats.h"
#include "mono.h"
#include "rs_decode.h"
#include "skew.h"
#include "source.h"
#include "spool.h"
#include "store.h"
#include "symbolize.h"

static volatile sig_atomic_t stop_signal;

/*
 * A file source can shrink under its mapping (someone truncates the RAM
 * file), and touching the lost pages raises SIGBUS. Reads of guest memory
 * run with this armed, so that ends the collect with a message instead of
 * a crash.
 */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void on_bus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

void rs_collect_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the poll sleep should end at once on a signal. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_bus;
	sigaction(SIGBUS, &sa, NULL);
}

int rs_collect_stop_signal(void)
{
	return stop_signal;
}

/*
 * The region is where the source hints (offset 0 for files) if a header
 * claims to be there -- then its validation error is the one to report --
 * and otherwise wherever a scan of the whole view finds one.
 */
static int find_region(const struct rs_source *src, size_t *off,
		       struct rs_layout *l, char *err, size_t errlen)
{
	const uint64_t hint = src->hint_offset;

	uint64_t magic = 0;

	/* memcpy: a view need not be 8-byte aligned (core segments). */
	if (hint < src->len && src->len - hint >= sizeof(magic))
		memcpy(&magic, (const void *)(src->base + hint), sizeof(magic));
	if (magic == RS_MAGIC) {
		uint64_t expect = src->check_gpa ? src->gpa + hint : RS_GPA_ANY;
		if (rs_layout_read(src->base + hint, src->len - hint, expect, l,
				   err, errlen) != 0)
			return -1;
		*off = hint;
		return 0;
	}
	int64_t at = rs_region_find(src->base, src->len, src->gpa, l, err,
				    errlen);
	if (at < 0)
		return -1;
	assert((uint64_t)at < src->len);
	*off = (size_t)at;
	return 0;
}


/*
 * Is the region still the boot we started reading? A reboot clears the
 * magic first and writes a new nonce, so those two decide. The reader
 * keeps the layout it validated at attach, so other header fields the
 * guest rewrites later cannot move it; they are lies (or corruption),
 * counted in `rewrites` and reported, but no reason to stop.
 */
static int same_boot(const struct rs_source *src, size_t off,
		     const struct rs_layout *was, uint64_t *rewrites,
		     char *why, size_t whylen)
{
	struct rs_layout now;
	uint64_t magic, nonce;
	char err[160];

	/* memcpy: a view need not be 8-byte aligned (core segments). */
	memcpy(&magic, (const void *)(src->base + off), sizeof(magic));
	memcpy(&nonce, (const void *)(src->base + off +
				      offsetof(struct rs_header, nonce)),
	       sizeof(nonce));
	if (magic != RS_MAGIC || nonce != was->nonce)
		return 0;
	if (rs_layout_read(src->base + off, src->len - off, RS_GPA_ANY, &now,
			   err, sizeof(err)) != 0) {
		(*rewrites)++;
		snprintf(why, whylen, "%s", err);
	} else if (now.ncpus != was->ncpus ||
		   now.region_size != was->region_size ||
		   memcmp(now.cpu, was->cpu, sizeof(now.cpu)) != 0) {
		(*rewrites)++;
		snprintf(why, whylen, "the ring layout changed");
	}
	return 1;
}


/* Say why the session failed (rs_session_error); returns -1. The
 * command prints it: nothing here writes to stderr. */
static int session_fail(struct rs_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int session_fail(struct rs_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* The database's last error (the writer thread's, if it failed), as a
 * session failure. */
static int store_fail(struct rs_session *s)
{
	const char *why = s->spool ? rs_spool_error(s->spool) : NULL;

	return session_fail(s, "%s: %s", s->o->db_path,
			    why ? why : rs_store_error(s->store));
}

/* Wait for the writer to commit everything read: the store is this
 * thread's until the next poll. 0, or -1 (rs_session_error). */
static int quiesce(struct rs_session *s)
{
	if (s->spool && rs_spool_flush(s->spool) != 0)
		return store_fail(s);
	return 0;
}

const char *rs_session_error(const struct rs_session *s)
{
	return s->err;
}


/*
 * Copy what the rings published since the last poll into the spool, if
 * it has room for a whole lap of every ring; else copy nothing (the
 * writer is that far behind: the guest's ring goes on, and the decoder
 * counts what it overwrites as lost, exactly, the next time), and say
 * so in *deferred. With `must` (the last poll, a verdict) it waits for
 * room instead. Returns the events taken, or -1 (rs_session_error).
 */
static long read_rings(struct rs_session *s, int must, int *deferred)
{
	*deferred = 0;
	if (!rs_spool_room(s->spool)) {
		if (!must) {
			rs_spool_defer(s->spool);
			*deferred = 1;
			return 0;
		}
		if (quiesce(s) != 0)
			return -1;
	}
	const double now = rs_mono_now();
	if (s->last_read > 0 && now - s->last_read > s->max_read_gap)
		s->max_read_gap = now - s->last_read;
	s->last_read = now;
	long n = rs_reader_poll_batch(s->reader, rs_spool_take, s->spool);
	if (n < 0) {
		rs_spool_discard(s->spool);
		return session_fail(s, "%s: the spool overflowed (a bug)",
				    s->o->source);
	}
	return n;
}

/* One poll: the rings copied into the spool and handed to the writer
 * with the reader state and guest state, to be stored atomically. A
 * last poll or a verdict that ends the session waits for the commit.
 * Returns 0, or -1 (rs_session_error). */
static int poll_once(struct rs_session *s, enum rs_stop *stop, int last)
{
	struct rs_status st;
	int watched = 1;

	/* A writer that failed takes nothing more: the session ends with
	 * its reason rather than go on reading into a spool nobody empties. */
	if (rs_spool_error(s->spool))
		return store_fail(s);
	rs_status_read(s->reader->region, &s->layout, &st);
	if (!s->o->follow && s->src.live && rs_ring_says_running(&st)) {
		watched = rs_heartbeat_moves(s);
		rs_status_read(s->reader->region, &s->layout, &st);
	}
	if (s->o->follow && !same_boot(&s->src, s->off, &s->layout, &s->rewrites,
					   s->rewrite_why, sizeof(s->rewrite_why))) {
		*stop = RS_STOP_REBOOT;
		return quiesce(s);
	}
	struct rs_verdict v = { rs_state_of(&st), UINT64_MAX, NULL, 0, UINT64_MAX };

	int deferred;
	long n = read_rings(s, last, &deferred);
	if (n < 0)
		return -1;
	/* Records read while the guest re-initialised its region would be
	 * from a mix of boots: drop the whole poll rather than guess. */
	if (s->o->follow && !same_boot(&s->src, s->off, &s->layout, &s->rewrites,
					   s->rewrite_why, sizeof(s->rewrite_why))) {
		rs_spool_discard(s->spool);
		*stop = RS_STOP_REBOOT;
		return quiesce(s);
	}

	if (strcmp(v.state, RS_GS_RUNNING) == 0)
		rs_judge_running(s, &st, watched, &v, stop);
	const char *state = v.state;
	/* Not read for want of room: the state goes with the next poll that
	 * reads, unless this one ends the session, which reads it all. */
	if (deferred && *stop == RS_STOP_NONE)
		return 0;
	if (deferred && (n = read_rings(s, 1, &deferred)) < 0)
		return -1;

	/* An idle guest should not cost a write every few milliseconds:
	 * with nothing new and no change of state, there is nothing to save. */
	if (n == 0 && !last && *stop == RS_STOP_NONE && s->written_state &&
	    strcmp(state, s->written_state) == 0)
		return 0;
	s->written_state = state;
	if (rs_spool_publish(s->spool, s->reader, &st, &v) != 0)
		return store_fail(s);
	/* A verdict, or the end: everything read is stored before the
	 * session says so. */
	if ((last || *stop != RS_STOP_NONE || s->o->store_sync) &&
	    quiesce(s) != 0)
		return -1;

	if (*stop == RS_STOP_HUNG || *stop == RS_STOP_DEADLOCK ||
	    *stop == RS_STOP_STUCK_CPU)
		return 0;
	/* The state was read before the poll, so everything the guest wrote
	 * before saying "done" is in this batch. */
	if (strcmp(state, RS_GS_EXITED) == 0 || strcmp(state, RS_GS_CRASHED) == 0) {
		s->guest_done = 1;
		*stop = RS_STOP_STATE;
		return quiesce(s);
	} else if (last) {
		*stop = stop_signal ? RS_STOP_SIGNAL : RS_STOP_SNAPSHOT;
	}
	return 0;
}

/* poll_once with SIGBUS turned into an error (see on_bus). */
int rs_session_poll(struct rs_session *s, int last, enum rs_stop *stop)
{
	*stop = RS_STOP_NONE;
	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		rs_spool_discard(s->spool);
		quiesce(s);
		return session_fail(s, "%s: guest memory vanished while reading"
				    " (file truncated?); stopped", s->o->source);
	}
	bus_armed = 1;
	int rc = poll_once(s, stop, last);
	bus_armed = 0;
	return rc;
}

void rs_session_print_summary(struct rs_session *s, enum rs_stop stop)
{
	struct rs_store_counts c;
	struct rs_spool_stats sp;
	uint64_t accepted = 0, lost = 0;

	quiesce(s);   /* a failure was said already; count what is stored */
	rs_store_counts(s->store, &c);
	rs_spool_stats(s->spool, &sp);
	for (uint32_t i = 0; i < s->layout.ncpus; i++) {
		accepted += s->reader->cpu[i].stats.accepted;
		lost += s->reader->cpu[i].stats.lost;
	}
	/* What was seen, not a guess at why: a reboot re-initialises the
	 * ring, and so can a guest that lies (the evil workload). */
	if (stop == RS_STOP_REBOOT)
		fprintf(stderr, "ringside: the guest re-initialised its ring while"
			" it was read (magic cleared or nonce changed, as a reboot"
			" does); stopped. Collect again to read the new ring.\n");
	if (s->rewrites)
		fprintf(stderr, "ringside: warning: the guest rewrote its region header"
			" while it was read (%llu looks; last: %s); the layout"
			" validated at attach was kept\n",
			(unsigned long long)s->rewrites, s->rewrite_why);
	if (s->reader->anomalies)
		fprintf(stderr, "ringside: warning: %llu inconsistent ring states seen"
			" and rejected (last: %s)\n",
			(unsigned long long)s->reader->anomalies, s->reader->err);
	/* The spool's policy at work: the losses it caused are among the
	 * lost counted below, like any other ring loss. */
	if (lost)
		fprintf(stderr, "ringside: the rings went up to %.0f ms between"
			" two reads\n", s->max_read_gap * 1e3);
	if (sp.deferred)
		fprintf(stderr, "ringside: warning: storing fell behind by more"
			" than the %zu MiB buffer; %llu polls did not read the"
			" rings (what the guest overwrote meanwhile is counted"
			" lost)\n", sp.cap >> 20,
			(unsigned long long)sp.deferred);
	fprintf(stderr,
		"ringside: %llu events stored (%llu already present), %llu lost;"
		" totals %llu accepted + %llu lost; guest %s\n",
		(unsigned long long)c.inserted, (unsigned long long)c.duplicates,
		(unsigned long long)c.lost, (unsigned long long)accepted,
		(unsigned long long)lost, rs_store_trace_state(s->store));
}

struct rs_session *rs_session_new(const struct rs_collect_opts *o)
{
	struct rs_session *s = calloc(1, sizeof(*s));

	if (s)
		s->o = o;
	return s;
}

int rs_session_attach(struct rs_session *s, struct rs_source *src, char *err,
		      size_t errlen)
{
	struct rs_reader_cpu resume[RS_MAX_CPUS];
	char why[400];
	int resumed;

	assert(!s->attached);
	if (find_region(src, &s->off, &s->layout, err, errlen) != 0)
		return -1;
	s->reader = calloc(1, sizeof(*s->reader));
	if (!s->reader) {
		snprintf(err, errlen, "out of memory");
		return RS_ATTACH_FAIL;
	}
	if (rs_reader_init(s->reader, src->base + s->off, src->len - s->off,
			   &s->layout) != 0) {
		snprintf(err, errlen, "%s: %s", src->spec, s->reader->err);
		goto fail;
	}
	/* Only now, with a valid ring in hand, may the database be created. */
	s->store = rs_store_open(s->o->db_path, 1, why, sizeof(why));
	if (!s->store) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	if (rs_store_trace_begin(s->store, src->spec, &s->layout, resume,
				 &resumed) != 0) {
		snprintf(err, errlen, "%s: %s", s->o->db_path,
			 rs_store_error(s->store));
		goto fail;
	}
	if (resumed)
		memcpy(s->reader->cpu, resume, sizeof(resume[0]) * s->layout.ncpus);
	s->spool = rs_spool_new(s->store, &s->layout, s->o->spool_bytes, err,
				errlen);
	if (!s->spool)
		goto fail;
	s->src = *src;
	s->attached = 1;
	s->hb_moved_at = rs_mono_now();
	s->hb_ticks = UINT64_MAX;  /* the first look counts as movement */
	rs_beats_reset(&s->beats, s->layout.ncpus);
	return 0;
fail:
	rs_store_close(s->store);
	s->store = NULL;
	rs_reader_free(s->reader);
	free(s->reader);
	s->reader = NULL;
	return RS_ATTACH_FAIL;
}

void rs_session_set_running(struct rs_session *s, int running)
{
	s->paused = !running;
}

uint64_t rs_session_heartbeat(const struct rs_session *s)
{
	return s->hb_ticks;
}

int rs_session_guest_done(const struct rs_session *s)
{
	return s->guest_done;
}

const char *rs_session_state(struct rs_session *s)
{
	if (!s->store)
		return RS_GS_UNKNOWN;
	quiesce(s);   /* a failure was said already: the state as stored */
	return rs_store_trace_state(s->store);
}

int rs_session_host_crash(struct rs_session *s, const char *reason,
			  int has_rip, uint64_t rip)
{
	if (quiesce(s) != 0)
		return -1;
	if (rs_store_set_host_crash(s->store, reason, has_rip, rip) != 0)
		return store_fail(s);
	return 0;
}

int rs_session_vcpu_regs(struct rs_session *s, const struct rs_vcpu_regs *r,
			 unsigned n, const char *origin)
{
	if (quiesce(s) != 0)
		return -1;
	if (rs_store_set_vcpu_regs(s->store, r, n, origin) != 0)
		return store_fail(s);
	return 0;
}

int rs_session_name_frames(struct rs_session *s, struct rs_symbolizer *sym)
{
	/* Large (registers, per-type names): off the stack. */
	static struct rs_summary sum;

	if (quiesce(s) != 0)
		return -1;
	if (rs_store_summary(s->store, rs_store_trace_id(s->store), &sum) != 0)
		goto fail;
	rs_sym_summary(sym, &sum);
	if (rs_store_set_frames(s->store, &sum) != 0)
		goto fail;
	return 0;
fail:
	return store_fail(s);
}

int rs_session_measure_skew(struct rs_session *s)
{
	static struct rs_skew k;   /* 4 KiB: off the stack */
	char why[300];

	/* One CPU has no other to disagree with: nothing to measure. */
	if (s->layout.ncpus < 2)
		return 0;
	if (quiesce(s) != 0)
		return -1;
	/* Read back through the store's reader, as info and the report
	 * do: the pairs need every CPU's events merged by time. */
	struct rs_trace_db *db = rs_trace_open(s->o->db_path, why, sizeof(why));
	if (!db)
		return session_fail(s, "%s", why);
	int rc = rs_skew_measure(db, rs_store_trace_id(s->store), &k, why,
				 sizeof(why));
	rs_trace_close(db);
	if (rc != 0)
		return session_fail(s, "%s: measuring clock skew: %s",
				    s->o->db_path, why);
	if (rs_store_begin(s->store) != 0 || rs_store_set_skew(s->store, &k) != 0) {
		rs_store_rollback(s->store);
		return store_fail(s);
	}
	if (rs_store_commit(s->store) != 0)
		return store_fail(s);
	return 0;
}

void rs_session_on_commit(struct rs_session *s, rs_committed_cb cb,
			  void *opaque)
{
	if (s->spool)
		rs_spool_on_commit(s->spool, cb, opaque);
}

struct rs_spool *rs_session_spool(struct rs_session *s)
{
	return s->spool;
}

void rs_session_free(struct rs_session *s)
{
	if (!s)
		return;
	/* The writer first: it may be using the store. */
	rs_spool_free(s->spool);
	rs_store_close(s->store);
	if (s->reader) {
		rs_reader_free(s->reader);
		free(s->reader);
	}
	if (s->attached)
		rs_source_close(&s->src);
	free(s);
}

/* Open the source and attach, retrying for `wait_secs` (a follow started
 * alongside the guest may be early). 0, or the exit status to return. */
static int open_and_attach(const struct rs_collect_opts *o,
			   struct rs_session *s)
{
	const double deadline = rs_mono_now() + o->wait_secs;
	struct rs_source src;
	char why[400];

	for (;;) {
		int rc = rs_source_open(o->source, &src, why, sizeof(why));
		if (rc == RS_SOURCE_USAGE) {
			fprintf(stderr, "ringside: %s (see ringside --help)\n", why);
			return 2;
		}
		if (rc == RS_SOURCE_NEVER) {
			/* No wait makes a FIFO a ring: say so now. */
			fprintf(stderr, "ringside: %s: %s\n", o->source, why);
			return 1;
		}
		if (rc == 0) {
			rc = rs_session_attach(s, &src, why, sizeof(why));
			if (rc == 0)
				return 0;
			rs_source_close(&src);
			if (rc == RS_ATTACH_FAIL) {
				fprintf(stderr, "ringside: %s\n", why);
				return 1;
			}
		}
		if (rs_mono_now() >= deadline || stop_signal) {
			fprintf(stderr, "ringside: %s: %s\n", o->source, why);
			return 1;
		}
		rs_sleep_secs(0.05);
	}
}

int rs_collect(const struct rs_collect_opts *o)
{
	struct rs_session *s = rs_session_new(o);
	struct rs_symbolizer *sym = NULL;
	enum rs_stop stop = RS_STOP_NONE;
	int status = 1;

	if (!s) {
		fprintf(stderr, "ringside: out of memory\n");
		return 1;
	}
	/* A bad --kernel is refused before anything is read or written. */
	if (o->kernel && !(sym = rs_sym_open_cli(o->kernel)))
		goto out;
	rs_collect_install_signals();
	status = open_and_attach(o, s);
	if (status != 0)
		goto out;
	status = 1;
	if (s->src.nvcpu &&
	    rs_session_vcpu_regs(s, s->src.vcpu, s->src.nvcpu,
				 s->src.vcpu_origin) != 0)
		goto fail;
	for (;;) {
		/* A core never changes: one read is all a follow could get. */
		int last = !o->follow || !s->src.live || stop_signal;

		if (rs_session_poll(s, last, &stop) != 0)
			goto fail;
		if (last || stop != RS_STOP_NONE)
			break;
		rs_sleep_secs(o->poll_ms / 1000.0);
	}
	if (rs_session_measure_skew(s) != 0 ||
	    (sym && rs_session_name_frames(s, sym) != 0))
		goto fail;
	rs_session_print_summary(s, stop);
	status = 0;
	goto out;
fail:
	fprintf(stderr, "ringside: %s\n", rs_session_error(s));
out:
	rs_sym_close(sym);
	rs_session_free(s);
	return status;
}

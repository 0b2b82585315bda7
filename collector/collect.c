/*
 * collect.c - the collect loop: find the region in a source, read every
 * CPU's ring with the shared decoder, and store each poll's events in one
 * transaction, so a live reader of the database sees a batch within one
 * poll period of the guest publishing it.
 *
 * It stops on its own when the guest says it is done (exited, crashed),
 * when the guest stops beating (hung), when the guest reboots, or on
 * SIGINT/SIGTERM; in every case what was read so far is stored.
 */
#include <assert.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "rs_decode.h"
#include "source.h"
#include "store.h"

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

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the poll sleep should end at once on a signal. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_bus;
	sigaction(SIGBUS, &sa, NULL);
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_secs(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s,
			       .tv_nsec = (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);  /* a signal cuts it short, which is wanted */
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

	if (hint < src->len && src->len - hint >= sizeof(uint64_t) &&
	    *(const volatile uint64_t *)(src->base + hint) == RS_MAGIC) {
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

/* Open the source and find a valid region, retrying for `wait_secs` (a
 * follow started alongside the guest may be early). */
static int open_region(const struct rs_collect_opts *o, struct rs_source *src,
		       size_t *off, struct rs_layout *l, char *err, size_t errlen)
{
	const double deadline = now_mono() + o->wait_secs;
	char why[200];

	for (;;) {
		int rc = rs_source_open(o->source, src, why, sizeof(why));
		if (rc == -2) {
			snprintf(err, errlen, "%s", why);
			return -2;
		}
		if (rc == 0) {
			if (find_region(src, off, l, why, sizeof(why)) == 0)
				return 0;
			rs_source_close(src);
		}
		if (now_mono() >= deadline || stop_signal) {
			snprintf(err, errlen, "%s: %s", o->source, why);
			return -1;
		}
		sleep_secs(0.05);
	}
}

static const char *state_of(const struct rs_status *s)
{
	if (s->panic_valid || s->state == RS_STATE_CRASHED)
		return RS_GS_CRASHED;
	switch (s->state) {
	case RS_STATE_BOOTING:
	case RS_STATE_RUNNING:
		return RS_GS_RUNNING;
	case RS_STATE_EXITED:
		return RS_GS_EXITED;
	default:
		return RS_GS_UNKNOWN;
	}
}

/* Is the region still the boot we started reading? A reboot rewrites the
 * header (magic first), so an invalid header counts as "no". */
static int same_boot(const struct rs_source *src, size_t off,
		     const struct rs_layout *was)
{
	struct rs_layout now;
	char err[160];

	if (rs_layout_read(src->base + off, src->len - off, RS_GPA_ANY, &now,
			   err, sizeof(err)) != 0)
		return 0;
	return now.nonce == was->nonce && now.ncpus == was->ncpus &&
	       now.region_size == was->region_size;
}

static int store_cb(void *opaque, const struct rs_event *ev)
{
	return rs_store_event(opaque, ev) == 0 ? 0 : -1;
}

enum stop_reason { STOP_SNAPSHOT, STOP_STATE, STOP_HUNG, STOP_SIGNAL,
		   STOP_REBOOT };

struct session {
	const struct rs_collect_opts *o;
	struct rs_source src;
	size_t off;
	struct rs_layout layout;
	struct rs_reader *reader;
	struct rs_store *store;
	/* hang detection: when the heartbeat last moved, by our clock */
	uint64_t hb_ticks;
	double hb_moved_at;
	const char *written_state;  /* last state stored, NULL before any */
};

/* One poll, stored atomically with the reader state and guest state.
 * Returns 0, or -1 on error (message printed). */
static int poll_once(struct session *s, enum stop_reason *stop, int last)
{
	struct rs_status st;
	uint64_t hung_at = UINT64_MAX;

	rs_status_read(s->reader->region, &s->layout, &st);
	if (s->o->follow && !same_boot(&s->src, s->off, &s->layout)) {
		*stop = STOP_REBOOT;
		return 0;
	}
	const char *state = state_of(&st);

	if (rs_store_begin(s->store) != 0)
		goto db_fail;
	long n = rs_reader_poll(s->reader, store_cb, s->store);
	if (n < 0) {
		rs_store_rollback(s->store);
		goto db_fail;
	}
	/* Records read while the guest re-initialised its region would be
	 * from a mix of boots: drop the whole batch rather than guess. */
	if (s->o->follow && !same_boot(&s->src, s->off, &s->layout)) {
		rs_store_rollback(s->store);
		*stop = STOP_REBOOT;
		return 0;
	}

	if (s->o->follow && st.state == RS_STATE_RUNNING && !st.panic_valid) {
		double now = now_mono();
		if (st.heartbeat_ticks != s->hb_ticks) {
			s->hb_ticks = st.heartbeat_ticks;
			s->hb_moved_at = now;
		} else if (now - s->hb_moved_at >= s->o->hang_secs) {
			state = RS_GS_HUNG;
			if (st.heartbeat_tsc)
				hung_at = rs_tsc_to_ns(&s->layout, st.heartbeat_tsc);
			*stop = STOP_HUNG;
		}
	}

	/* An idle guest should not cost a write every few milliseconds:
	 * with nothing new and no change of state, there is nothing to save. */
	if (n == 0 && !last && *stop != STOP_HUNG && s->written_state &&
	    strcmp(state, s->written_state) == 0) {
		rs_store_rollback(s->store);
		return 0;
	}
	s->written_state = state;
	if (rs_store_save_reader(s->store, s->reader) != 0 ||
	    rs_store_set_status(s->store, &st, state, hung_at) != 0) {
		rs_store_rollback(s->store);
		goto db_fail;
	}
	if (rs_store_commit(s->store) != 0)
		goto db_fail;

	if (*stop == STOP_HUNG)
		return 0;
	/* The state was read before the poll, so everything the guest wrote
	 * before saying "done" is in this batch. */
	if (strcmp(state, RS_GS_EXITED) == 0 || strcmp(state, RS_GS_CRASHED) == 0)
		*stop = STOP_STATE;
	else if (last)
		*stop = stop_signal ? STOP_SIGNAL : STOP_SNAPSHOT;
	return 0;

db_fail:
	fprintf(stderr, "ringside: %s: %s\n", s->o->db_path,
		rs_store_error(s->store));
	return -1;
}

/* poll_once with SIGBUS turned into an error (see on_bus). */
static int guarded_poll(struct session *s, enum stop_reason *stop, int last)
{
	if (sigsetjmp(bus_jmp, 1)) {
		bus_armed = 0;
		rs_store_rollback(s->store);
		fprintf(stderr, "ringside: %s: guest memory vanished while reading"
			" (file truncated?); stopped\n", s->o->source);
		return -1;
	}
	bus_armed = 1;
	int rc = poll_once(s, stop, last);
	bus_armed = 0;
	return rc;
}

static void print_summary(struct session *s, enum stop_reason stop)
{
	struct rs_store_counts c;
	uint64_t accepted = 0, lost = 0;

	rs_store_counts(s->store, &c);
	for (uint32_t i = 0; i < s->layout.ncpus; i++) {
		accepted += s->reader->cpu[i].stats.accepted;
		lost += s->reader->cpu[i].stats.lost;
	}
	if (stop == STOP_REBOOT)
		fprintf(stderr, "ringside: the guest rebooted (region nonce changed);"
			" stopped. Collect again to record the new boot.\n");
	if (s->reader->anomalies)
		fprintf(stderr, "ringside: warning: %llu inconsistent ring states seen (last: %s)\n",
			(unsigned long long)s->reader->anomalies, s->reader->err);
	fprintf(stderr,
		"ringside: %llu events stored (%llu already present), %llu lost;"
		" totals %llu accepted + %llu lost; guest %s\n",
		(unsigned long long)c.inserted, (unsigned long long)c.duplicates,
		(unsigned long long)c.lost, (unsigned long long)accepted,
		(unsigned long long)lost, rs_store_trace_state(s->store));
}

int rs_collect(const struct rs_collect_opts *o)
{
	struct session s;
	struct rs_reader_cpu resume[RS_MAX_CPUS];
	char err[400];
	int resumed, status = 1;
	enum stop_reason stop = STOP_SNAPSHOT;

	memset(&s, 0, sizeof(s));
	s.o = o;
	install_signals();
	int rc = open_region(o, &s.src, &s.off, &s.layout, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "ringside: %s\n", err);
		return rc == -2 ? 2 : 1;
	}
	s.reader = calloc(1, sizeof(*s.reader));
	if (!s.reader) {
		fprintf(stderr, "ringside: out of memory\n");
		goto out;
	}
	if (rs_reader_init(s.reader, s.src.base + s.off, s.src.len - s.off,
			   &s.layout) != 0) {
		fprintf(stderr, "ringside: %s: %s\n", o->source, s.reader->err);
		goto out;
	}
	/* Only now, with a valid ring in hand, may the database be created. */
	s.store = rs_store_open(o->db_path, 1, err, sizeof(err));
	if (!s.store) {
		fprintf(stderr, "ringside: %s\n", err);
		goto out;
	}
	if (rs_store_trace_begin(s.store, s.src.spec, &s.layout, resume,
				 &resumed) != 0) {
		fprintf(stderr, "ringside: %s: %s\n", o->db_path,
			rs_store_error(s.store));
		goto out;
	}
	if (resumed)
		memcpy(s.reader->cpu, resume, sizeof(resume[0]) * s.layout.ncpus);

	s.hb_moved_at = now_mono();
	s.hb_ticks = UINT64_MAX;  /* the first look counts as movement */
	for (;;) {
		int last = !o->follow || stop_signal;
		enum stop_reason why = STOP_SNAPSHOT;
		int done;

		if (guarded_poll(&s, &why, last) != 0)
			goto out;
		done = last || why != STOP_SNAPSHOT;
		if (done) {
			stop = why;
			break;
		}
		sleep_secs(o->poll_ms / 1000.0);
	}
	print_summary(&s, stop);
	status = 0;
out:
	rs_store_close(s.store);
	if (s.reader) {
		rs_reader_free(s.reader);
		free(s.reader);
	}
	rs_source_close(&s.src);
	return status;
}

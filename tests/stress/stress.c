/*
 * stress.c - the engine behind `make stress` and the stress tests: real
 * writers at full speed against a live reader, every accepted record
 * checked, every loss reconciled (see stress.h for the contract).
 *
 * Plain C and pthreads, no cmocka, so the standalone optimised program and
 * the test binary share exactly this code.
 */
#include "stress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guest_trace.h"
#include "rs_decode.h"

#define FIXED_TYPE RS_EV_THREAD_BLOCK   /* three u64 arguments */
#define FIXED_NARGS RS_EV_NARGS(THREAD_BLOCK)
#define STR_TYPE   RS_EV_MARK           /* one argument and a string */
#define STR_NARGS  RS_EV_NARGS(MARK)
#define STR_MAX    97                   /* string records: 32..128 bytes */
#define CTX_BASE   0x100u               /* ctx = CTX_BASE + cpu */

/* splitmix64's finaliser: any bit flipped in the input changes about half
 * the output, so a record pieced together from two records fails. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t payload_b(uint64_t seq, unsigned cpu)
{
	return mix(seq * 16 + cpu);
}

static uint64_t payload_c(uint64_t seq, uint64_t b, uint32_t ctx)
{
	return mix(seq ^ b ^ ((uint64_t)ctx << 32));
}

/* The string of string record `seq` on `cpu`: its length and letters
 * both follow from the pair. Returns the length. */
static unsigned payload_str(uint64_t seq, unsigned cpu, char *out)
{
	const uint64_t h = mix(seq ^ ((uint64_t)cpu << 48));
	const unsigned len = 1 + (unsigned)(h % STR_MAX);

	for (unsigned i = 0; i < len; i++)
		out[i] = (char)('a' + ((h >> ((i & 7) * 8)) + i) % 26);
	out[len] = '\0';
	return len;
}

static int is_str_record(const struct rs_stress_opts *o, uint64_t seq)
{
	return o->str_every && seq % o->str_every == o->str_every - 1;
}

struct writer {
	const struct rs_stress_opts *o;
	struct rs_header *h;
	unsigned cpu;
	uint64_t count;
	const volatile int *go;
	volatile int done;
	pthread_t thread;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	const uint32_t ctx = CTX_BASE + w->cpu;
	char s[STR_MAX + 1];

	while (!__atomic_load_n(w->go, __ATOMIC_ACQUIRE))
		;
	for (uint64_t i = 0; i < w->count; i++) {
		if (is_str_record(w->o, i)) {
			payload_str(i, w->cpu, s);
			gt_emit_str(w->h, w->cpu, STR_TYPE, ctx, STR_NARGS, i, 0,
				    s);
		} else {
			const uint64_t b = payload_b(i, w->cpu);
			gt_emit(w->h, w->cpu, FIXED_TYPE, ctx, FIXED_NARGS, i, b,
				payload_c(i, b, ctx));
		}
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The reader's view, checked record by record as it arrives. */
struct check {
	const struct rs_stress_opts *o;
	struct rs_stress_result *r;
	uint64_t next[RS_MAX_CPUS];      /* the seq the next record must carry */
	uint64_t accepted[RS_MAX_CPUS];
	uint64_t lost[RS_MAX_CPUS];
};

static void bad(struct check *k, const struct rs_event *ev, const char *why)
{
	k->r->corrupt++;
	if (!k->r->first_bad[0])
		snprintf(k->r->first_bad, sizeof(k->r->first_bad),
			 "cpu %u seq %llu (expected %llu) type %u a %llu: %s",
			 ev->cpu, (unsigned long long)ev->seq,
			 (unsigned long long)(ev->cpu < RS_MAX_CPUS
						      ? k->next[ev->cpu] : 0),
			 ev->type, (unsigned long long)ev->a, why);
}

static int check_cb(void *opaque, const struct rs_event *ev)
{
	struct check *k = opaque;
	const unsigned cpu = ev->cpu;

	if (cpu >= k->o->cpus) {
		bad(k, ev, "no such cpu");
		return 0;
	}
	if (ev->type == RS_EV_LOST) {
		/* An overwritten record kept its sequence number, so a loss
		 * moves the expected sequence by exactly its count. Discard
		 * mode drops records before they are numbered: no move. */
		if (k->o->mode == RS_MODE_OVERWRITE)
			k->next[cpu] += ev->a;
		k->lost[cpu] += ev->a;
		k->r->lost_events++;
		return 0;
	}
	k->accepted[cpu]++;
	if (ev->seq != k->next[cpu])
		bad(k, ev, "sequence does not follow the last record and losses");
	else if (ev->a != ev->seq)
		bad(k, ev, "payload sequence differs from the reader's number");
	else if (ev->ctx != CTX_BASE + cpu)
		bad(k, ev, "wrong ctx");
	else if (ev->tsc == 0)
		bad(k, ev, "zero timestamp");
	else if (is_str_record(k->o, ev->a)) {
		char want[STR_MAX + 1];
		unsigned len = payload_str(ev->a, cpu, want);
		if (ev->type != STR_TYPE || !ev->str || ev->str_len != len ||
		    memcmp(ev->str, want, len) != 0)
			bad(k, ev, "string record does not match its payload");
	} else if (ev->type != FIXED_TYPE || ev->b != payload_b(ev->a, cpu) ||
		   ev->c != payload_c(ev->a, ev->b, ev->ctx)) {
		bad(k, ev, "fixed record does not match its payload");
	}
	k->next[cpu] = ev->seq + 1;
	return 0;
}

static double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int all_done(const struct writer *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

/* After the run: every CPU's books must balance exactly. */
static void reconcile(struct check *k, const struct rs_reader *rd,
		      const struct rs_header *h, const struct writer *w)
{
	struct rs_stress_result *r = k->r;

	for (unsigned cpu = 0; cpu < k->o->cpus; cpu++) {
		const struct rs_cpu_stats *st = &rd->cpu[cpu].stats;
		const char *why = NULL;

		r->written += w[cpu].count;
		r->accepted += k->accepted[cpu];
		r->lost += k->lost[cpu];
		if (k->accepted[cpu] + k->lost[cpu] != w[cpu].count)
			why = "accepted + lost != written";
		else if (k->next[cpu] != h->cpu[cpu].head_written)
			why = "the sequence did not reach the last record";
		else if (k->o->mode == RS_MODE_DISCARD &&
			 k->lost[cpu] != h->cpu[cpu].dropped)
			why = "discard mode: lost is not what the writer dropped";
		else if (st->accepted != k->accepted[cpu] ||
			 st->lost != k->lost[cpu])
			why = "the reader's own counters disagree with what it delivered";
		else if (h->cpu[cpu].head_written + h->cpu[cpu].dropped !=
			 w[cpu].count)
			why = "the ring's counters disagree with the writer";
		else if (h->cpu[cpu].head != h->cpu[cpu].reserve)
			why = "a reservation was never published";
		if (why && !r->first_bad[0])
			snprintf(r->first_bad, sizeof(r->first_bad),
				 "cpu %u: %s (written %llu, accepted %llu, "
				 "lost %llu)", cpu, why,
				 (unsigned long long)w[cpu].count,
				 (unsigned long long)k->accepted[cpu],
				 (unsigned long long)k->lost[cpu]);
	}
}

int rs_stress_run(const struct rs_stress_opts *o, struct rs_stress_result *r)
{
	const size_t size = RS_HEADER_SIZE + o->cpus * o->ring_bytes;
	struct gt_config cfg = {
		.region_gpa = 0, .region_size = size, .ncpus = o->cpus,
		.mode = o->mode, .chunk_size = o->chunk, .nonce = 0x57e55ull,
		.tsc_hz = 1000000000ull, .boot_tsc = gt_rdtsc(),
	};
	struct writer w[RS_MAX_CPUS];
	struct rs_layout layout;
	struct rs_reader *rd = NULL;
	struct check *k = NULL;
	volatile int go = 0;
	char err[160];
	int status = -1;

	memset(r, 0, sizeof(*r));
	if (o->cpus == 0 || o->cpus > RS_MAX_CPUS) {
		snprintf(r->first_bad, sizeof(r->first_bad), "bad cpu count");
		return -1;
	}
	struct rs_header *h = aligned_alloc(RS_PAGE_SIZE, size);
	rd = calloc(1, sizeof(*rd));
	k = calloc(1, sizeof(*k));
	if (!h || !rd || !k || gt_region_init(h, &cfg) != 0 ||
	    rs_layout_read(h, size, RS_GPA_ANY, &layout, err, sizeof(err)) != 0 ||
	    layout.cpu[0].data_size != o->ring_bytes ||
	    rs_reader_init(rd, h, size, &layout) != 0) {
		snprintf(r->first_bad, sizeof(r->first_bad),
			 "cannot set up a %u x %zu-byte ring", o->cpus,
			 o->ring_bytes);
		goto out;
	}
	k->o = o;
	k->r = r;

	unsigned started = 0;
	for (unsigned i = 0; i < o->cpus; i++) {
		w[i] = (struct writer){
			.o = o, .h = h, .cpu = i, .go = &go,
			.count = o->events / o->cpus + (i < o->events % o->cpus),
		};
		if (pthread_create(&w[i].thread, NULL, writer_main, &w[i]) != 0)
			break;
		started++;
	}
	const double t0 = now_secs();
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	if (started < o->cpus) {
		/* Let the ones that started finish, then report. */
		for (unsigned i = 0; i < started; i++)
			pthread_join(w[i].thread, NULL);
		snprintf(r->first_bad, sizeof(r->first_bad), "pthread_create");
		goto out;
	}
	while (!all_done(w, o->cpus)) {
		rs_reader_poll(rd, check_cb, k);
		r->polls++;
	}
	for (unsigned i = 0; i < o->cpus; i++)
		pthread_join(w[i].thread, NULL);
	rs_reader_poll(rd, check_cb, k);  /* what was published last */
	r->polls++;
	r->secs = now_secs() - t0;
	r->anomalies = rd->anomalies;

	reconcile(k, rd, h, w);
	status = r->corrupt || r->anomalies || r->first_bad[0] ? 1 : 0;
	if (r->anomalies && !r->first_bad[0])
		snprintf(r->first_bad, sizeof(r->first_bad), "reader anomaly: %s",
			 rd->err);
out:
	if (rd)
		rs_reader_free(rd);
	free(rd);
	free(k);
	free(h);
	return status;
}

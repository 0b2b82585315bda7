/*
 * evil.c - a hostile guest: while it runs it rewrites its own ring header
 * and records with lies, and keeps emitting between them. It exists so
 * the collector's claim "a guest cannot make the reader misbehave" is
 * tested against a real running kernel, hosted and under QEMU.
 *
 * Each lie is held for LIE_NS with interrupts off (so no tick emits or
 * publishes over it, and a collector polling every few ms sees it), then
 * undone or made permanent, then the guest breathes: a few honest records
 * and a short sleep, so ticks and heartbeats go on between lies.
 *
 * Records it emits honestly (all MARK, ctx = main thread):
 *   count (default 200) "evil: normal" with a = 0..count-1, first, then
 *   a grace of 2 s (GRACE_NS) before the first lie;
 *   one "evil: lie" per lie, a = the lie's number (34 of them);
 *   count "evil: final" with a = 0..count-1, last, after every lie has
 *   been undone. A collector that survived must hold all of these.
 * Lies, in order (numbers as in `a`):
 *   records written raw and published as if valid: size 0, size not a
 *   multiple of 8, unknown type, a forged LOST of 10^12, a string record
 *   claiming 65528 bytes, one full lap of 8-byte PADs, a PAD of size 0,
 *   a record crossing a chunk boundary, one record claimed as 1000, three
 *   records claimed as one;
 *   published counters: head and count going backwards, the count alone
 *   going backwards, head jumping 5 laps ahead with 100000 records
 *   claimed (kept), head ahead of reserve (kept), reserve 3 laps ahead,
 *   a writer stuck nested (records written but never published), a
 *   packed pair that contradicts the full words;
 *   header (each with one valid THREAD_YIELD published meanwhile where
 *   the ring really is): ncpus 0xffffffff and 17, a 2^50-byte region, data_offset
 *   outside the region and inside the header, data_size 2^40 and not a
 *   power of two, chunk_size 0 and 2^30, region_gpa, abi_version,
 *   header_size, mode, tsc_hz;
 *   state 0x77 with the heartbeat going backwards and a panic record
 *   without NUL or sane backtrace length (never marked valid);
 *   last, the magic cleared, then the nonce changed (each restored) -
 *   which a following collector takes for a reboot and stops on.
 */
#include "workloads.h"

#include "../core/klib.h"
#include "../core/platform.h"
#include "../core/timer.h"
#include "../core/trace.h"

#define EVIL_DEFAULT 200
#define LIE_NS       40000000ull   /* 40 ms: many 5 ms collector polls */
#define BREATHE_NS   10000000ull
/* Between the honest records and the first lie: a lap of PADs soon
 * overwrites the ring, so a collector must have read them by then. One
 * attached 0.44 s after boot with six busy loops on two cores (a QEMU run
 * that stores no honest record); 2 s is ~5x that. */
#define GRACE_NS     2000000000ull

static struct rs_header *H;
static struct rs_cpu_ring *R;
static uint8_t *D;
static uint64_t SIZE;
static unsigned lie_no;
static struct rs_header saved;    /* static: a page is a lot of stack */

static void hold(void)
{
	uint64_t t0 = platform_cycles(), n = ns_to_cycles(LIE_NS);
	while (platform_cycles() - t0 < n)
		__asm__ __volatile__("pause" ::: "memory");
}

/* Store a u64 at ring position pos (8-aligned, so never split). */
static void put(uint64_t pos, uint64_t w)
{
	*(volatile uint64_t *)(D + (pos & (SIZE - 1))) = w;
}

static uint64_t word0(uint16_t type, uint16_t size)
{
	return (uint64_t)type | ((uint64_t)size << 16) | (1ull << 32);
}

/* Publish (reserve = head = pos, written = head_written = n) as the
 * writer would, whatever the truth. */
static void publish(uint64_t pos, uint64_t n)
{
	GT_WRITE_ONCE(R->reserve, pos);
	GT_WRITE_ONCE(R->written, n);
	GT_WRITE_ONCE(R->head_pair, RS_PAIR_PACK(pos, n));
	GT_WRITE_ONCE(R->head, pos);
	GT_WRITE_ONCE(R->head_written, n);
}

/* Words written raw at reserve and published as `claims` records. */
static void raw(const uint64_t *w, unsigned nw, uint64_t claims)
{
	uint64_t pos = R->reserve;
	for (unsigned i = 0; i < nw; i++)
		put(pos + 8ull * i, w[i]);
	publish(pos + 8ull * nw, R->written + claims);
}

/* Label the lie, then take the interrupts away for it. */
static unsigned long begin(void)
{
	trace_mark(lie_no++, "evil: lie");
	unsigned long f = platform_irq_save();
	saved = *H;
	return f;
}

/* Undo a header lie, keeping what was published meanwhile. */
static void restore_header(void)
{
	const struct rs_cpu_ring now = *R;
	uint64_t magic = saved.magic;
	*(volatile uint64_t *)&H->magic = 0;
	gt_barrier();
	memcpy((uint8_t *)H + 8, (const uint8_t *)&saved + 8,
		sizeof(saved) - 8);
	R->nesting = now.nesting;
	publish(now.head, now.head_written);
	gt_barrier();
	*(volatile uint64_t *)&H->magic = magic;
}

static void end(unsigned long f)
{
	platform_irq_restore(f);
	for (int i = 0; i < 3; i++)
		trace_mark(lie_no, "evil: between");
	ksleep_ns(BREATHE_NS);
}

static void record_lies(void)
{
	const uint64_t chunk = R->chunk_size;
	unsigned long f;

	f = begin(); raw((uint64_t[]){ word0(RS_EV_MARK, 0), 0, 0 }, 3, 1); hold(); end(f);
	f = begin(); raw((uint64_t[]){ word0(RS_EV_THREAD_EXIT, 20), 1, 2 }, 3, 1); hold(); end(f);
	f = begin(); raw((uint64_t[]){ word0(100, 24), 1, 2 }, 3, 1); hold(); end(f);
	f = begin();
	raw((uint64_t[]){ word0(RS_EV_LOST, 40), 1, 1000000000000ull, 1, 2 }, 5, 1);
	hold(); end(f);
	f = begin(); raw((uint64_t[]){ word0(RS_EV_MARK, 0xfff8), 1, 7, 0x4141414141414141ull }, 4, 1); hold(); end(f);

	/* The longest padding chain a ring holds: one lap of 8-byte PADs. */
	f = begin();
	uint64_t pos = R->reserve;
	for (uint64_t i = 0; i < SIZE / 8; i++)
		put(pos + 8 * i, word0(RS_EV_PAD, 8));
	publish(pos + SIZE, R->written);
	hold(); end(f);

	f = begin(); raw((uint64_t[]){ 0 }, 1, 0); hold(); end(f);

	/* Pad honestly to 16 bytes before a chunk end, then a 64-byte
	 * record across the boundary. */
	f = begin();
	pos = R->reserve;
	uint64_t room = chunk - (pos & (chunk - 1));
	if (room > 16) {
		put(pos, word0(RS_EV_PAD, (uint16_t)(room - 16)));
		pos += room - 16;
	}
	for (int i = 0; i < 8; i++)
		put(pos + 8ull * i, i ? 0x42 : word0(RS_EV_PROMISE_CREATE, 64));
	publish(pos + 64, R->written + 1);
	hold(); end(f);

	f = begin(); raw((uint64_t[]){ word0(RS_EV_THREAD_YIELD, 24), 1, 2 }, 3, 1000); hold(); end(f);
	f = begin();
	raw((uint64_t[]){ word0(RS_EV_THREAD_YIELD, 24), 1, 2,
			  word0(RS_EV_THREAD_YIELD, 24), 1, 3,
			  word0(RS_EV_THREAD_YIELD, 24), 1, 4 }, 9, 1);
	hold(); end(f);
}

static void counter_lies(void)
{
	unsigned long f;
	uint64_t head, n;

	/* Backwards, then back to the truth. */
	f = begin();
	head = R->head; n = R->head_written;
	publish(head > 4096 ? head - 4096 : 0, n > 10 ? n - 10 : 0);
	hold();
	publish(head, n);
	end(f);

	f = begin();
	head = R->head; n = R->head_written;
	publish(head, n > 10 ? n - 10 : 0);
	hold();
	publish(head, n);
	end(f);

	/* Far ahead, and the writer carries on from there. */
	f = begin(); publish(R->head + 5 * SIZE + 8, R->written + 100000); hold(); end(f);

	/* Head ahead of reserve; then reserve catches up (kept). */
	f = begin();
	head = R->head; n = R->head_written;
	GT_WRITE_ONCE(R->head_pair, RS_PAIR_PACK(head + 4096, n));
	GT_WRITE_ONCE(R->head, head + 4096);
	hold();
	publish(head + 4096, n);
	end(f);

	/* Reserve three laps ahead: everything looks overwritten. */
	f = begin();
	head = R->reserve;
	GT_WRITE_ONCE(R->reserve, head + 3 * SIZE);
	hold();
	GT_WRITE_ONCE(R->reserve, head);
	end(f);

	/* A writer stuck "nested": records land but are never published,
	 * until the nesting count is put right. */
	f = begin();
	GT_WRITE_ONCE(R->nesting, 7);
	for (int i = 0; i < 5; i++)
		trace_mark(i, "evil: unpublished");
	hold();
	GT_WRITE_ONCE(R->nesting, 0);
	end(f);

	/* A packed pair that contradicts the full-width words. */
	f = begin();
	head = R->head; n = R->head_written;
	GT_WRITE_ONCE(R->head_pair, 0x5a5a5a5a5a5a5a5aull);
	hold();
	publish(head, n);
	end(f);
}

/* One header field set to `v`, held, restored. While it lies, one
 * valid record is published where the ring really is: a reader that
 * re-read the layout from the header would now read outside it. */
#define HEADER_LIE(field, v)                                       \
	do {                                                       \
		unsigned long f_ = begin();                        \
		H->field = (v);                                    \
		raw((uint64_t[]){ word0(RS_EV_THREAD_YIELD, 24),   \
				  gt_rdtsc(), 1 }, 3, 1);          \
		hold();                                            \
		restore_header();                                  \
		end(f_);                                           \
	} while (0)

static void header_lies(void)
{
	HEADER_LIE(ncpus, 0xffffffffu);
	HEADER_LIE(ncpus, RS_MAX_CPUS + 1);
	HEADER_LIE(region_size, 1ull << 50);
	HEADER_LIE(cpu[0].data_offset, saved.region_size + RS_PAGE_SIZE);
	HEADER_LIE(cpu[0].data_offset, 0);
	HEADER_LIE(cpu[0].data_size, 1ull << 40);
	HEADER_LIE(cpu[0].data_size, 12288);
	HEADER_LIE(cpu[0].chunk_size, 0);
	HEADER_LIE(cpu[0].chunk_size, 1u << 30);
	HEADER_LIE(region_gpa, saved.region_gpa + RS_PAGE_SIZE);
	HEADER_LIE(abi_version, 99);
	HEADER_LIE(header_size, 1);
	HEADER_LIE(mode, 9);
	HEADER_LIE(tsc_hz, 0);

	/* State, heartbeat and an invalid panic record, together. */
	unsigned long f = begin();
	H->state = 0x77;
	H->heartbeat_ticks = 1;
	H->heartbeat_tsc = ~0ull;
	H->panic.backtrace_len = 0xffffffffu;
	memset(H->panic.reason, 'Z', RS_REASON_LEN);
	hold();
	restore_header();
	end(f);

	/* What a reboot looks like: a following collector stops here. */
	f = begin();
	*(volatile uint64_t *)&H->magic = 0;
	hold();
	restore_header();
	end(f);
	HEADER_LIE(nonce, saved.nonce ^ 0xe41ull);
}

static int evil_run(const struct workload_args *args)
{
	const uint64_t count = args->count ? args->count : EVIL_DEFAULT;

	H = trace_region;
	if (!H)
		return 1;
	R = &H->cpu[platform_cpu()];
	D = (uint8_t *)H + R->data_offset;
	SIZE = R->data_size;
	lie_no = 0;

	for (uint64_t i = 0; i < count; i++)
		trace_mark(i, "evil: normal");
	ksleep_ns(GRACE_NS);
	record_lies();
	counter_lies();
	header_lies();
	for (uint64_t i = 0; i < count; i++)
		trace_mark(i, "evil: final");
	if (!args->quiet)
		kprintf("evil: told %u lies\n", lie_no);
	return 0;
}

const struct workload workload_evil = {
	"evil", "lies to its collector: rewrites its ring header and records",
	evil_run,
};

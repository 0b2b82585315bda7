/*
 * ringside_ring.h - the ring ABI shared by the guest writer and every reader.
 *
 * This file, with the event table it includes (rs_event_table.h, beside
 * it), is all that both sides include. It describes bytes in guest
 * memory, so it uses fixed-width types, explicit offsets (checked below with
 * static asserts) and no pointers. The protocol that moves data through these
 * structures is documented in formats/contract/RING.md; read it before changing
 * anything here, and bump RS_ABI_VERSION when the layout changes.
 *
 * Freestanding: this header needs only <stdint.h> (the table includes
 * nothing), so Mini-OS, Unikraft and our own kernel can include it.
 */
#ifndef RINGSIDE_RING_H
#define RINGSIDE_RING_H

#include <stdint.h>

#include "rs_event_table.h"

/* "RNGSIDE1" read as a little-endian u64. Written last, after a release
 * barrier, so a reader that sees it sees a complete header. */
#define RS_MAGIC        0x3145444953474e52ull
#define RS_ABI_VERSION  1u

#define RS_PAGE_SIZE    4096u
#define RS_HEADER_SIZE  4096u      /* the header is exactly one page */
#define RS_MAX_CPUS     16u        /* CPU slots that fit in the header page */
#define RS_MIN_CHUNK    256u       /* smallest chunk a ring may declare */
#define RS_MAX_RECORD   1024u      /* no record is larger; strings truncate */
#define RS_REASON_LEN   120u
#define RS_BACKTRACE_MAX 32u

/* Ring modes (rs_header.mode). */
enum rs_mode {
	RS_MODE_OVERWRITE = 0,  /* flight recorder: keep the newest (default) */
	RS_MODE_DISCARD   = 1,  /* keep the oldest: drop new records when full */
};

/* Guest states (rs_header.state). */
enum rs_guest_state {
	RS_STATE_BOOTING = 0,
	RS_STATE_RUNNING = 1,
	RS_STATE_EXITED  = 2,
	RS_STATE_CRASHED = 3,
};

/*
 * Where rs_header.tsc_hz came from (rs_header.tsc_source). 0 is what a
 * guest that predates the field leaves there: unknown.
 */
enum rs_clock_source {
	RS_CLOCK_UNKNOWN   = 0,
	RS_CLOCK_CMDLINE   = 1, /* given by the host (tsc_khz= on the command line) */
	RS_CLOCK_XEN_CPUID = 2, /* Xen's CPUID leaf base+3: the rate Xen gives the guest */
	RS_CLOCK_CPUID_15  = 3, /* CPUID 0x15: crystal clock times the TSC ratio */
	RS_CLOCK_CPUID_16  = 4, /* CPUID 0x16: the nominal base frequency */
	RS_CLOCK_HPET      = 5, /* measured against the HPET main counter */
	RS_CLOCK_PIT       = 6, /* measured against the PIT (8254) */
	RS_CLOCK_HOSTED    = 7, /* a Linux process: measured with clock_gettime */
	RS_CLOCK_GUESS     = 8, /* nothing to measure against: a fixed guess */
	RS_CLOCK_XEN_PVCLOCK = 9, /* Xen's vcpu_time_info scale (PV guests: Mini-OS) */
	RS_CLOCK_LIMIT
};

/* What drives the heartbeat tick (rs_header.tick_method); 0 = unknown. */
enum rs_tick_method {
	RS_TICK_UNKNOWN       = 0,
	RS_TICK_LAPIC_PERIODIC = 1, /* LAPIC timer, periodic; its rate measured against the TSC */
	RS_TICK_TSC_DEADLINE  = 2, /* LAPIC TSC-deadline mode: re-armed from the TSC, no calibration */
	RS_TICK_HOSTED        = 3, /* a Linux process: an interval timer's signal */
	RS_TICK_LAPIC_ONESHOT = 4, /* LAPIC timer, one-shot, re-armed per tick from
				    * the TSC; its rate measured against the TSC */
	RS_TICK_XEN_TIMER     = 5, /* Xen's one-shot timer (set_timer_op, VIRQ_TIMER),
				    * re-armed per tick from Xen's system time */
	RS_TICK_LIMIT
};

static inline const char *rs_clock_source_name(uint32_t s)
{
	static const char *const names[RS_CLOCK_LIMIT] = {
		"unknown", "cmdline", "xen-cpuid", "cpuid-15h", "cpuid-16h",
		"hpet", "pit", "hosted", "guess", "xen-pvclock",
	};
	return s < RS_CLOCK_LIMIT ? names[s] : "invalid";
}

static inline const char *rs_tick_method_name(uint32_t m)
{
	static const char *const names[RS_TICK_LIMIT] = {
		"unknown", "lapic-periodic", "tsc-deadline", "hosted",
		"lapic-oneshot", "xen-timer",
	};
	return m < RS_TICK_LIMIT ? names[m] : "invalid";
}

/* Block reasons carried by RS_EV_THREAD_BLOCK. */
enum rs_block_reason {
	RS_BLOCK_PROMISE = 1,   /* waiting for a promise to resolve */
	RS_BLOCK_SLEEP   = 2,   /* waiting for a timer */
	RS_BLOCK_EVENT   = 3,   /* waiting for an interrupt / event channel */
	RS_BLOCK_JOIN    = 4,   /* waiting for another thread to exit */
};

/* Locks named by RS_EV_LOCK_CONTEND: the shared state of a kernel on
 * several CPUs (kernel/README.md says what each guards). */
enum rs_lock {
	RS_LOCK_RUNQ = 1,       /* a CPU's run queue */
	RS_LOCK_PROMISE = 2,    /* promises, waiters, timers and events */
	RS_LOCK_PAGES = 3,      /* the page allocator */
	RS_LOCK_HEAP = 4,       /* the heap */
	RS_LOCK_OTHER = 5,
};

/* Why one CPU interrupted another (RS_EV_IPI_SEND / RS_EV_IPI_RECV). */
enum rs_ipi_reason {
	RS_IPI_WAKE = 1,        /* work was queued for an idle CPU */
	RS_IPI_STOP = 2,        /* another CPU panicked: save registers, halt */
};

/*
 * Promise kinds carried by RS_EV_PROMISE_CREATE. 0-11 are mirage-profile's
 * thread types with its numbers; from 12 on the two lists part (released
 * values never change): mirage-profile's 12 on_any, 13 ignore_result and
 * 14 async are RS_PT_ON_ANY, RS_PT_IGNORE_RESULT and RS_PT_ASYNC here, as
 * `ringside import mirage:` maps them (formats/interchange/import_mirage.c).
 */
enum rs_promise_type {
	RS_PT_WAIT = 0, RS_PT_TASK, RS_PT_BIND, RS_PT_TRY, RS_PT_CHOOSE,
	RS_PT_PICK, RS_PT_JOIN, RS_PT_MAP, RS_PT_CONDITION, RS_PT_ON_SUCCESS,
	RS_PT_ON_FAILURE, RS_PT_ON_TERMINATION, RS_PT_ASYNC, RS_PT_SLEEP,
	RS_PT_EVENT, RS_PT_ON_ANY, RS_PT_IGNORE_RESULT, RS_PT_COUNT
};

/*
 * Record types: made from the one table in rs_event_table.h, where each
 * type's value, name, argument count and argument names are one line.
 * Payload words are u64; a type with a string ends in a NUL-padded one.
 * Every record carries `ctx`, the id of the kernel thread that was
 * running when it was emitted (0 = boot/idle).
 */
#define RS_EV_GEN_ENUM_(id, value, ...) RS_EV_##id = value,
enum rs_event_type {
	RS_EVENT_TABLE(RS_EV_GEN_ENUM_, RS_EV_GEN_ENUM_)
	RS_EV_TYPE_LIMIT = 128, /* types at or above this are invalid */
};
#undef RS_EV_GEN_ENUM_

/*
 * The same table as compile-time constants, for writers that know the
 * type they emit: RS_EV_NARGS(THREAD_EXIT) is its argument count and
 * RS_EV_HAS_STR(THREAD_EXIT) whether it ends in a string (1 or 0), so a
 * writer takes its count from the table instead of spelling it.
 */
#define RS_EV_GEN_NARGS_(id, value, name, n, ...) RS_EV_NARGS_##id = n,
#define RS_EV_GEN_NOSTR_(id, ...) RS_EV_HAS_STR_##id = 0,
#define RS_EV_GEN_STR_(id, ...) RS_EV_HAS_STR_##id = 1,
enum { RS_EVENT_TABLE(RS_EV_GEN_NARGS_, RS_EV_GEN_NARGS_) };
enum { RS_EVENT_TABLE(RS_EV_GEN_NOSTR_, RS_EV_GEN_STR_) };
#undef RS_EV_GEN_NARGS_
#undef RS_EV_GEN_NOSTR_
#undef RS_EV_GEN_STR_
#define RS_EV_NARGS(id)   RS_EV_NARGS_##id
#define RS_EV_HAS_STR(id) RS_EV_HAS_STR_##id

/*
 * Every record starts with this header and is a multiple of 8 bytes long.
 * A PAD record may be only the first 8 bytes (it has no tsc).
 */
struct rs_record {
	uint16_t type;       /* enum rs_event_type */
	uint16_t size;       /* whole record in bytes, multiple of 8 */
	uint32_t ctx;        /* running kernel thread id */
	uint64_t tsc;        /* timestamp in TSC ticks */
	/* uint64_t args[]; then an optional string */
};
#define RS_RECORD_HDR   16u
#define RS_PAD_MIN      8u

/*
 * Per-CPU ring control. Two cache lines: the first is written by the writer
 * on every emit, the second only when the outermost writer publishes, so a
 * polling reader mostly touches a line the writer does not dirty per record.
 * All positions are monotonic byte counts; the data offset of position p is
 * (p & (data_size - 1)).
 */
struct rs_cpu_ring {
	/* line 0: layout (written once at init) and writer state */
	uint64_t data_offset;   /* from the region start; page aligned */
	uint64_t data_size;     /* bytes, power of two */
	uint32_t chunk_size;    /* bytes, power of two; records never span one */
	uint32_t nesting;       /* writers in flight on this CPU (irq nesting) */
	uint64_t reserve;       /* end of the last reserved record */
	uint64_t written;       /* records fully written (monotonic) */
	uint64_t dropped;       /* records dropped in discard mode (monotonic) */
	uint64_t first_drop_tsc;/* tsc of the first drop, 0 if none */
	uint64_t pad0[1];
	/* line 1: what the outermost writer publishes */
	uint64_t head_pair;     /* the consistent pair, packed: RS_PAIR_* */
	uint64_t head;          /* every record below head is complete */
	uint64_t head_written;  /* number of records below head */
	/* this CPU's own heartbeat (RING.md, "Several CPUs"): its tick
	 * count and tsc, tsc written first; zero when the writer keeps only
	 * the header's (gt_heartbeat) */
	uint64_t hb_tsc;
	uint64_t hb_ticks;
	uint64_t pad2[3];
};

/*
 * head_pair holds (head / 8) mod 2^40 in its low bits and head_written
 * mod 2^24 in its high bits, so one 64-bit load gives a pair that belongs
 * together. The full 64-bit `head` and `head_written`, loaded right after,
 * restore the high bits: they can be ahead of the pair only by what the
 * writer emitted in between, far less than 2^39 bytes or 2^23 records.
 */
#define RS_PAIR_HEAD_BITS   40u
#define RS_PAIR_COUNT_BITS  24u
#define RS_PAIR_PACK(head, n) \
	((((head) >> 3) & ((1ull << RS_PAIR_HEAD_BITS) - 1)) | \
	 ((uint64_t)(n) << RS_PAIR_HEAD_BITS))

/* Registers saved in the panic record, in this order. */
enum rs_reg {
	RS_REG_RAX, RS_REG_RBX, RS_REG_RCX, RS_REG_RDX, RS_REG_RSI, RS_REG_RDI,
	RS_REG_RBP, RS_REG_RSP, RS_REG_R8, RS_REG_R9, RS_REG_R10, RS_REG_R11,
	RS_REG_R12, RS_REG_R13, RS_REG_R14, RS_REG_R15, RS_REG_RIP,
	RS_REG_RFLAGS, RS_REG_CS, RS_REG_SS, RS_REG_COUNT
};

/* rs_panic.vector of a software panic() rather than an exception. */
#define RS_PANIC_VECTOR_NONE 0xffffffffu

struct rs_panic {
	uint32_t valid;         /* 1 once the record is complete; written last */
	uint32_t cpu;
	uint32_t vector;        /* exception vector, or RS_PANIC_VECTOR_NONE */
	uint32_t depth;         /* panics seen; >1 means a panic in the panic path */
	uint64_t error_code;
	uint64_t fault_addr;    /* CR2 for page faults */
	uint64_t tsc;
	uint64_t regs[RS_REG_COUNT];
	uint32_t backtrace_len;
	uint32_t pad;
	uint64_t backtrace[RS_BACKTRACE_MAX];
	char reason[RS_REASON_LEN];
};

/*
 * A CPU's registers as another CPU's panic found it (RING.md, "Several
 * CPUs"): ncpus of these, one page at rs_header.cpu_regs_offset. The
 * writer fills regs and tsc, then sets state (store order), so a reader
 * that loads state first and sees it non-zero sees the rest.
 */
enum rs_cpu_regs_state {
	RS_CPU_REGS_NONE = 0,     /* nothing recorded */
	RS_CPU_REGS_STOPPED = 1,  /* stopped by the panic; regs as it stopped */
	RS_CPU_REGS_NO_ANSWER = 2,/* asked to stop, did not in time: no regs */
	RS_CPU_REGS_PANICKED = 3, /* the CPU that panicked (also in `panic`) */
};
struct rs_cpu_regs {
	uint32_t state;         /* enum rs_cpu_regs_state, written last */
	uint32_t cpu;
	uint64_t tsc;           /* when they were taken */
	uint64_t regs[RS_REG_COUNT];
};

/*
 * The region header: the first page of the region. Offsets are fixed by the
 * static asserts below.
 */
struct rs_header {
	/* line 0: identity and layout, written once at init */
	uint64_t magic;         /* RS_MAGIC, written last */
	uint32_t abi_version;
	uint32_t header_size;   /* RS_HEADER_SIZE */
	uint64_t nonce;         /* differs on every boot */
	uint64_t region_gpa;    /* guest-physical address of this header */
	uint64_t region_size;   /* header + all rings, bytes */
	uint32_t ncpus;         /* 1..RS_MAX_CPUS */
	uint32_t mode;          /* enum rs_mode */
	/* from the region start: ncpus struct rs_cpu_regs in a page of their
	 * own before the rings; 0 = none (one CPU, or an older writer) */
	uint64_t cpu_regs_offset;
	uint64_t pad0[1];
	/* line 1: clock, written once at init */
	uint64_t tsc_hz;
	uint64_t boot_tsc;
	uint64_t boot_wall_ns;  /* Unix time at boot_tsc in ns; 0 if unknown */
	uint32_t tsc_source;    /* enum rs_clock_source: how tsc_hz was found */
	uint32_t tick_method;   /* enum rs_tick_method */
	uint32_t tick_hz;       /* heartbeat tick rate asked for; 0 if unknown */
	uint32_t pad1a;
	uint64_t timer_hz;      /* LAPIC timer input clock as measured; 0 if
				 * not measured (TSC-deadline, hosted) or
				 * unknown */
	uint64_t pad1[2];
	/* line 2: liveness, written by the timer tick and state changes */
	uint64_t heartbeat_ticks;
	uint64_t heartbeat_tsc;
	uint32_t state;         /* enum rs_guest_state */
	uint32_t pad2;
	/* A stall: the scheduler found every thread blocked with nothing
	 * that could wake one (a deadlock). stall_threads is the number of
	 * threads blocked then, 0 = no stall; stall_tsc is when it was found
	 * (written before stall_threads, cleared after it: gt_set_stall). */
	uint64_t stall_tsc;
	uint64_t stall_threads;
	uint64_t pad3[3];
	/* panic record, then the per-CPU rings */
	struct rs_panic panic;
	uint8_t pad4[1024 - 192 - sizeof(struct rs_panic)];
	uint8_t reserved[1024];
	struct rs_cpu_ring cpu[RS_MAX_CPUS];
};

#define RS_STATIC_ASSERT(c, m) _Static_assert(c, m)
RS_STATIC_ASSERT(sizeof(struct rs_record) == 16, "record header is 16 bytes");
RS_STATIC_ASSERT(sizeof(struct rs_cpu_ring) == 128, "cpu ring is two lines");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_cpu_ring, hb_tsc) == 88 &&
		 __builtin_offsetof(struct rs_cpu_ring, hb_ticks) == 96,
		 "a CPU's heartbeat follows its head in line 1");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_cpu_ring, head_pair) == 64,
		 "published state starts the second line");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_header, cpu_regs_offset) == 48,
		 "the registers' offset in line 0's former padding");
RS_STATIC_ASSERT(sizeof(struct rs_cpu_regs) == 176 &&
		 RS_MAX_CPUS * sizeof(struct rs_cpu_regs) <= RS_PAGE_SIZE,
		 "every CPU's registers fit in one page");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_header, tsc_hz) == 64, "line 1");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_header, tsc_source) == 88 &&
		 __builtin_offsetof(struct rs_header, tick_hz) == 96 &&
		 __builtin_offsetof(struct rs_header, timer_hz) == 104,
		 "clock calibration fields in line 1's former padding");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_header, heartbeat_ticks) == 128,
		 "line 2");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_header, stall_tsc) == 152,
		 "the stall follows the state in line 2");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_header, panic) == 192, "panic");
RS_STATIC_ASSERT(__builtin_offsetof(struct rs_header, cpu) == 2048, "cpus");
RS_STATIC_ASSERT(sizeof(struct rs_header) == RS_HEADER_SIZE,
		 "the header is exactly one page");
/* Type numbers are ABI: stored traces and the schema's counters view
 * (8, 34, 64) spell them. tests/formats/test_event_table.c pins every one. */
RS_STATIC_ASSERT(RS_EV_PAD == 0 && RS_EV_LOST == 1 &&
		 RS_EV_THREAD_CREATE == 2 && RS_EV_RUNQ_LEN == 8 &&
		 RS_EV_PROMISE_CREATE == 16 && RS_EV_PAGE_ALLOC == 32 &&
		 RS_EV_HEAP == 34 && RS_EV_IRQ_ENTER == 48 &&
		 RS_EV_COUNTER == 64 && RS_EV_MARK == 65 &&
		 RS_EV_TYPE_LIMIT == 128, "event type numbers are ABI");
RS_STATIC_ASSERT(RS_PT_CONDITION == 8 && RS_PT_ON_TERMINATION == 11 &&
		 RS_PT_ASYNC == 12 && RS_PT_SLEEP == 13 && RS_PT_EVENT == 14 &&
		 RS_PT_ON_ANY == 15 && RS_PT_IGNORE_RESULT == 16,
		 "promise type numbers are ABI: new ones go at the end");

#endif /* RINGSIDE_RING_H */

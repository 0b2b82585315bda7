/*
 * rs_decode.h - the one decoder of ringside rings.
 *
 * Everything that reads a ring calls this: the collector (live and from
 * dumps), the tests, the benchmarks and the fuzz targets. It treats guest
 * memory as hostile: every size, offset and count read from the region is
 * checked against the mapping before it is used, and the layout is
 * snapshotted once so a guest that rewrites its header later cannot move
 * the reader outside the mapping.
 *
 * Host-side code (needs libc), but nothing here includes collector/ or
 * viewer/ headers.
 */
#ifndef RS_DECODE_H
#define RS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "ringside_ring.h"

/* One decoded record. `str` points into the reader's scratch copy and is
 * valid only during the callback; it is NUL-terminated. */
struct rs_event {
	uint64_t seq;        /* per-CPU record number, from 0 at boot */
	uint64_t tsc;
	uint16_t type;       /* enum rs_event_type */
	uint16_t cpu;
	uint32_t ctx;        /* running thread id */
	uint64_t a, b, c;    /* arguments; absent ones are 0 */
	const char *str;     /* NULL if the type carries no string */
	uint32_t str_len;
	/* The record's bytes as the guest wrote them (after validation), for
	 * the store, which keeps records verbatim; NULL for synthesized
	 * events (LOST). Valid only during the callback, like `str`. */
	const uint8_t *raw;
	uint32_t raw_size;
};

/* Number of u64 arguments each type carries (before its string), and
 * whether it has a string. -1 for types that are not valid records. */
int rs_event_nargs(uint16_t type);
int rs_event_has_str(uint16_t type);
const char *rs_event_name(uint16_t type);
/* Field names: argument i of a type, and its string; NULL if absent. */
const char *rs_event_arg_name(uint16_t type, unsigned i);
const char *rs_event_str_name(uint16_t type);
/* 1 if argument i of a type is signed (RS_EVENT_SIGNED_ARGS), else 0. */
int rs_event_arg_signed(uint16_t type, unsigned i);
const char *rs_promise_type_name(uint64_t t);
const char *rs_block_reason_name(uint64_t r);
const char *rs_state_name(uint32_t state);
const char *rs_reg_name(unsigned reg);

/*
 * Decode the record at `p` with `avail` readable bytes. Returns the record
 * size (>= 8) on success, or 0 if the bytes are not a valid record (size
 * not a multiple of 8, smaller than its type needs, larger than `avail` or
 * RS_MAX_RECORD, unknown type). PAD records decode with type RS_EV_PAD.
 * The string, if any, is copied into `strbuf` (RS_MAX_RECORD bytes) and
 * NUL-terminated there.
 */
size_t rs_decode_record(const uint8_t *p, size_t avail, struct rs_event *ev,
			char *strbuf);

/* What the header says, after validation against the mapping. */
struct rs_layout {
	uint64_t nonce;
	uint64_t region_gpa;
	uint64_t region_size;
	uint32_t ncpus;
	uint32_t mode;
	uint64_t tsc_hz;
	uint64_t boot_tsc;
	uint64_t boot_wall_ns;
	/* How the guest calibrated its clocks (ringside_ring.h); 0 = unknown. */
	uint32_t tsc_source;    /* enum rs_clock_source, unchecked */
	uint32_t tick_method;   /* enum rs_tick_method, unchecked */
	uint32_t tick_hz;
	uint64_t timer_hz;
	uint64_t cpu_regs_offset;   /* 0: no register page */
	struct {
		uint64_t data_offset;
		uint64_t data_size;
		uint32_t chunk_size;
	} cpu[RS_MAX_CPUS];
};

/*
 * Validate the header at `base` (with `avail` readable bytes from there).
 * If `expect_gpa` is not RS_GPA_ANY, the header's self-address must equal
 * it. On failure returns -1 and writes a one-line reason to `err`.
 */
#define RS_GPA_ANY UINT64_MAX
int rs_layout_read(const volatile void *base, size_t avail, uint64_t expect_gpa,
		   struct rs_layout *out, char *err, size_t errlen);

/*
 * Scan a mapping of guest memory for a valid region header at page-aligned
 * offsets. `map_gpa` is the guest-physical address of map[0] (used to check
 * the header's self-address). Returns the offset of the region, or -1 with
 * a reason in `err`.
 */
int64_t rs_region_find(const volatile void *map, size_t len, uint64_t map_gpa,
		       struct rs_layout *out, char *err, size_t errlen);

/* A snapshot of the header's volatile fields, taken without trusting them. */
struct rs_status {
	uint32_t state;
	uint64_t heartbeat_ticks;
	uint64_t heartbeat_tsc;
	uint64_t stall_threads;      /* 0: no stall published (RING.md) */
	uint64_t stall_tsc;          /* when it was found; 0 with no stall */
	int panic_valid;
	struct rs_panic panic;       /* copied; reason is NUL-terminated */
	uint64_t dropped[RS_MAX_CPUS];
	uint64_t first_drop_tsc[RS_MAX_CPUS];
	/* each CPU's own heartbeat (0 ticks: the writer keeps none) */
	uint64_t hb_ticks[RS_MAX_CPUS];
	uint64_t hb_tsc[RS_MAX_CPUS];
	/* each CPU's registers from another CPU's panic; state NONE when
	 * there is no register page or nothing was recorded */
	struct rs_cpu_regs cpu_regs[RS_MAX_CPUS];
};
void rs_status_read(const volatile void *region, const struct rs_layout *l,
		    struct rs_status *out);

/* Counters a reader keeps per CPU; exact by construction (RING.md). */
struct rs_cpu_stats {
	uint64_t accepted;     /* records delivered to the callback */
	uint64_t lost;         /* records written but never delivered */
	uint64_t rejected;     /* passes where the guest's metadata was inconsistent */
};

/*
 * The incremental reader. It keeps, per CPU, the position and record count
 * reached so far, and on each poll delivers the records published since.
 * When records were overwritten before it could copy them (overwrite mode)
 * or dropped by the writer (discard mode), it delivers one synthesized
 * RS_EV_LOST event carrying the exact count, before the records that follow
 * the gap.
 */
typedef int (*rs_event_cb)(void *opaque, const struct rs_event *ev);

struct rs_reader_cpu {
	uint64_t pos;          /* ring position read up to */
	uint64_t seen;         /* records accounted for (accepted + lost) */
	uint64_t dropped_seen; /* discard-mode drops already reported */
	uint64_t last_tsc;     /* tsc of the last accepted record */
	struct rs_cpu_stats stats;
};

struct rs_reader {
	const volatile uint8_t *region;
	size_t avail;              /* readable bytes at `region` */
	struct rs_layout layout;   /* snapshot; never re-read from the guest */
	struct rs_reader_cpu cpu[RS_MAX_CPUS];
	uint8_t *copy;             /* scratch, max data_size bytes */
	size_t copy_size;
	char strbuf[RS_MAX_RECORD + 1];
	char err[160];             /* last anomaly, for the caller to report */
	uint64_t anomalies;
};

/* Returns 0, or -1 with the reason in r->err. */
int rs_reader_init(struct rs_reader *r, const volatile void *region,
		   size_t avail, const struct rs_layout *layout);
void rs_reader_free(struct rs_reader *r);

/*
 * Deliver everything published since the last poll, CPU by CPU. Returns
 * the number of events delivered (including LOST events).
 *
 * A callback that returns non-zero stops the poll right after that event:
 * the event counts as delivered (in the CPU's stats too), and the next
 * poll resumes with the one after it, so stopping and resuming neither
 * repeats nor skips anything and accepted + lost == written still holds
 * (RING.md). The poll then returns a negative value, never a count: the
 * callback's value if it was negative, its negation if it was positive.
 */
long rs_reader_poll(struct rs_reader *r, rs_event_cb cb, void *opaque);

/*
 * The same poll, delivering events in arrays: `ev` holds `n` (>= 1)
 * consecutive events of one CPU, in order, valid (strings and raw bytes
 * included) only during the call. Same decoder, same checks, same
 * events, same accounting; only the per-event call is gone, for
 * consumers that spend little per event. A non-zero return stops the
 * poll as in rs_reader_poll, after the whole array: all n events count as
 * delivered and the next poll resumes after the last of them.
 */
typedef int (*rs_batch_cb)(void *opaque, const struct rs_event *ev, size_t n);
long rs_reader_poll_batch(struct rs_reader *r, rs_batch_cb cb, void *opaque);

/* Convert a tsc to nanoseconds since boot using the layout's clock. */
uint64_t rs_tsc_to_ns(const struct rs_layout *l, uint64_t tsc);

#endif /* RS_DECODE_H */

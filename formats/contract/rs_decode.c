/*
 * rs_decode.c - the one decoder: header validation, region discovery,
 * record decoding and the incremental lock-free reader.
 *
 * The reader side of the protocol in formats/contract/RING.md runs here. Every value
 * that comes from guest memory is copied out first and checked after the
 * copy, so a guest that rewrites its memory while we look cannot make us
 * use a value we did not check (no double fetch).
 */
#include "rs_decode.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RMB() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define VREAD(x) (*(const volatile __typeof__(x) *)&(x))

/* ---- the vocabulary ---------------------------------------------------- */

/* The vocabulary comes from the one event table (rs_event_table.h): how
 * many u64 arguments each type carries, what they are called, and what
 * its string is called. Exporters and tools take field names from here
 * so every output calls a field the same thing. */
struct type_info {
	const char *name;
	int8_t nargs;
	const char *arg[3];
	const char *str;       /* name of the string field, or NULL */
};

#define TYPE_INFO(id, v, nm, n, ...)                                        \
	[RS_EV_##id] = { nm, n, { __VA_ARGS__ }, NULL },
#define TYPE_INFO_S(id, v, nm, n, s, ...)                                   \
	[RS_EV_##id] = { nm, n, { __VA_ARGS__ }, s },
static const struct type_info types[RS_EV_TYPE_LIMIT] = {
	RS_EVENT_TABLE(TYPE_INFO, TYPE_INFO_S)
};

/* What the decoder checks per type, 32 bytes an entry so the hot loop
 * indexes it with a shift: a record of the type is valid iff
 * size - min < lim (unsigned). Types a guest may not write (unknown
 * ones, and LOST) have lim = 0, which nothing passes. The rule follows
 * from the table: header and arguments, plus the NUL of a string, never
 * above RS_MAX_RECORD; PAD alone may be as small as RS_PAD_MIN and fill
 * the rest of a chunk past RS_MAX_RECORD. `keep` masks the three
 * argument words: all ones for those the type has, zero for absent
 * ones, so loading all three and masking costs no branch on the count. */
struct rule {
	uint64_t keep[3];
	uint16_t min, lim;
	uint8_t nargs, has_str;
};
_Static_assert(sizeof(struct rule) == 32, "rule is indexed by a shift");

#define FIXED_MIN(n)  (RS_RECORD_HDR + 8u * (n))
#define KEEP(n)       { (n) > 0 ? ~0ull : 0, (n) > 1 ? ~0ull : 0,         \
			(n) > 2 ? ~0ull : 0 }
/* s: 1 if the type ends in a string (at least its NUL). */
#define RULE_MIN(id, n, s)                                                  \
	(RS_EV_##id == RS_EV_PAD ? RS_PAD_MIN : FIXED_MIN(n) + (s))
#define RULE_LIM(id, n, s)                                                  \
	(RS_EV_##id == RS_EV_PAD ? UINT16_MAX - RS_PAD_MIN + 1 :            \
	 RS_EV_##id == RS_EV_LOST ? 0 : RS_MAX_RECORD - FIXED_MIN(n) + 1 - (s))
#define RULE_OF(id, n, s)                                                   \
	[RS_EV_##id] = { KEEP(n), RULE_MIN(id, n, s), RULE_LIM(id, n, s), n, s },
#define RULE(id, v, nm, n, ...)   RULE_OF(id, n, 0)
#define RULE_S(id, v, nm, n, ...) RULE_OF(id, n, 1)
static const struct rule rules[RS_EV_TYPE_LIMIT] = {
	RS_EVENT_TABLE(RULE, RULE_S)
};

/* The rule and the writer (gt_emit) hold three argument words at most. */
#define AT_MOST_3(id, v, nm, n, ...)                                        \
	_Static_assert((n) <= 3, #id ": more than three arguments");
RS_EVENT_TABLE(AT_MOST_3, AT_MOST_3)

int rs_event_nargs(uint16_t type)
{
	if (type >= RS_EV_TYPE_LIMIT || !types[type].name)
		return -1;
	return types[type].nargs;
}

int rs_event_has_str(uint16_t type)
{
	return type < RS_EV_TYPE_LIMIT && types[type].name && types[type].str;
}

const char *rs_event_arg_name(uint16_t type, unsigned i)
{
	if (rs_event_nargs(type) <= (int)i)
		return NULL;
	return types[type].arg[i];
}

const char *rs_event_str_name(uint16_t type)
{
	return rs_event_has_str(type) ? types[type].str : NULL;
}

const char *rs_event_name(uint16_t type)
{
	if (type >= RS_EV_TYPE_LIMIT || !types[type].name)
		return "unknown";
	return types[type].name;
}

const char *rs_promise_type_name(uint64_t t)
{
	static const char *const names[RS_PT_COUNT] = {
		"wait", "task", "bind", "try", "choose", "pick", "join", "map",
		"condition", "on_success", "on_failure", "on_termination",
		"async", "sleep", "event",
	};
	return t < RS_PT_COUNT ? names[t] : "unknown";
}

const char *rs_block_reason_name(uint64_t r)
{
	switch (r) {
	case RS_BLOCK_PROMISE: return "promise";
	case RS_BLOCK_SLEEP:   return "sleep";
	case RS_BLOCK_EVENT:   return "event";
	case RS_BLOCK_JOIN:    return "join";
	default:               return "unknown";
	}
}

const char *rs_state_name(uint32_t state)
{
	switch (state) {
	case RS_STATE_BOOTING: return "booting";
	case RS_STATE_RUNNING: return "running";
	case RS_STATE_EXITED:  return "exited";
	case RS_STATE_CRASHED: return "crashed";
	default:               return "unknown";
	}
}

const char *rs_reg_name(unsigned reg)
{
	static const char *const names[RS_REG_COUNT] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
		"r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags",
		"cs", "ss",
	};
	return reg < RS_REG_COUNT ? names[reg] : "?";
}

/* ---- records ----------------------------------------------------------- */

/* Bytes the reader keeps readable past the end of its copy, so the fast
 * path can load the first word, the timestamp and all three argument
 * words of a record unconditionally (40 bytes from any p inside the
 * copy, aligned or not) and keep only what its type has: no branch on
 * the argument count, and never a read outside the reader's own buffer. */
#define COPY_SLACK 40u

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* A valid record has type < RS_EV_TYPE_LIMIT (bits 7-15 of its first
 * word clear) and a size that is a multiple of 8 (bits 16-18 clear):
 * one test for both. */
_Static_assert((RS_EV_TYPE_LIMIT & (RS_EV_TYPE_LIMIT - 1)) == 0 &&
	       RS_EV_TYPE_LIMIT <= 0x8000, "type limit must be a power of two");
#define W0_BAD_BITS ((uint64_t)(0xffffu & ~(RS_EV_TYPE_LIMIT - 1)) | (7ull << 16))

/*
 * The record decoder: rs_decode_record and the reader's hot loop both
 * inline this one function, so there is one set of checks. `slack` is a
 * constant: nonzero when p lies in the reader's own copy, with
 * COPY_SLACK readable bytes after its end. That changes how fields are
 * loaded and where strings are handed out, never what is accepted.
 * With slack, a string that is NUL-terminated inside its record is
 * delivered where it lies (the reader's scratch copy, as struct rs_event
 * promises); only one without a NUL (a lying guest) is cut into strbuf,
 * and *strbuf_used says so, since strbuf holds one string at a time.
 * Every load from p happens before any store to ev: p is bytes, which
 * may alias anything, so a store in between would force reloads.
 */
static inline __attribute__((always_inline)) size_t
decode_record(const uint8_t *p, size_t avail, struct rs_event *ev,
	      char *strbuf, const int slack, int *strbuf_used, uint16_t cpu,
	      uint64_t seq)
{
	/* With slack the first word is readable even past avail, and the
	 * size check below rejects what does not fit. */
	if (!slack && avail < RS_PAD_MIN)
		return 0;
	const uint64_t w0 = load64(p);
	const size_t size = (uint16_t)(w0 >> 16);
	if (w0 & W0_BAD_BITS)
		return 0;
	const unsigned type = (unsigned)w0 & (RS_EV_TYPE_LIMIT - 1);
	const struct rule *ru = &rules[type];
	/* Type known, guest-writable, size within its bounds (so >= 8),
	 * and within what is readable. */
	if (size - ru->min >= ru->lim || size > avail)
		return 0;

	/* size >= min >= 16 + 8 * nargs for every type but PAD (8 bytes,
	 * no timestamp): the words kept below are inside the record. */
	const int pad = type == RS_EV_PAD;
	uint64_t tsc, a, b, c;
	if (slack) {
		const uint64_t t = load64(p + 8);
		tsc = pad ? 0 : t;
		a = load64(p + 16) & ru->keep[0];
		b = load64(p + 24) & ru->keep[1];
		c = load64(p + 32) & ru->keep[2];
	} else {
		const unsigned nargs = ru->nargs;
		tsc = pad ? 0 : load64(p + 8);
		a = nargs >= 1 ? load64(p + 16) : 0;
		b = nargs >= 2 ? load64(p + 24) : 0;
		c = nargs >= 3 ? load64(p + 32) : 0;
	}
	ev->seq = seq;
	ev->tsc = tsc;
	ev->type = (uint16_t)type;
	ev->cpu = cpu;
	ev->ctx = (uint32_t)(w0 >> 32);
	ev->a = a;
	ev->b = b;
	ev->c = c;
	ev->str = NULL;
	ev->str_len = 0;
	ev->raw = p;
	ev->raw_size = (uint32_t)size;
	if (__builtin_expect(ru->has_str, 0)) {
		const size_t fixed = FIXED_MIN(ru->nargs);
		const uint8_t *s = p + fixed;
		const uint8_t *nul = memchr(s, 0, size - fixed);
		if (slack && nul) {
			ev->str = (const char *)s;
			ev->str_len = (uint32_t)(nul - s);
		} else {
			const size_t n = nul ? (size_t)(nul - s) : size - fixed;
			memcpy(strbuf, s, n);
			strbuf[n] = '\0';
			ev->str = strbuf;
			ev->str_len = (uint32_t)n;
			*strbuf_used = 1;
		}
	}
	return size;
}

size_t rs_decode_record(const uint8_t *p, size_t avail, struct rs_event *ev,
			char *strbuf)
{
	int used;
	return decode_record(p, avail, ev, strbuf, 0, &used, 0, 0);
}

/* ---- the header -------------------------------------------------------- */

static int is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int rs_layout_read(const volatile void *base, size_t avail, uint64_t expect_gpa,
		   struct rs_layout *out, char *err, size_t errlen)
{
	/* One copy, then every check on the copy: the guest may change the
	 * original while we look at it. */
	struct rs_header h;
	struct rs_header *hp = &h;

	if (avail < RS_HEADER_SIZE)
		FAIL("region truncated: %zu bytes, the header alone needs %u",
		     avail, RS_HEADER_SIZE);
	memcpy(hp, (const void *)base, sizeof(*hp));
	RMB();

	if (hp->magic != RS_MAGIC)
		FAIL("no ringside magic at the start of the region");
	if (hp->abi_version != RS_ABI_VERSION)
		FAIL("ring ABI version %u, this reader speaks %u",
		     hp->abi_version, RS_ABI_VERSION);
	if (hp->header_size != RS_HEADER_SIZE)
		FAIL("header size %u, expected %u", hp->header_size,
		     RS_HEADER_SIZE);
	if (expect_gpa != RS_GPA_ANY && hp->region_gpa != expect_gpa)
		FAIL("header says it lives at 0x%llx but was found at 0x%llx",
		     (unsigned long long)hp->region_gpa,
		     (unsigned long long)expect_gpa);
	if (hp->region_gpa & (RS_PAGE_SIZE - 1))
		FAIL("region address 0x%llx is not page aligned",
		     (unsigned long long)hp->region_gpa);
	if (hp->ncpus == 0 || hp->ncpus > RS_MAX_CPUS)
		FAIL("header claims %u CPUs (1..%u allowed)", hp->ncpus,
		     RS_MAX_CPUS);
	if (hp->mode != RS_MODE_OVERWRITE && hp->mode != RS_MODE_DISCARD)
		FAIL("unknown ring mode %u", hp->mode);
	if (hp->region_size < RS_HEADER_SIZE || hp->region_size > avail)
		FAIL("header claims a %llu-byte region but only %zu bytes are "
		     "mapped", (unsigned long long)hp->region_size, avail);
	if (hp->tsc_hz < 1000000 || hp->tsc_hz > 100000000000ull)
		FAIL("implausible TSC frequency %llu Hz",
		     (unsigned long long)hp->tsc_hz);

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < hp->ncpus; i++) {
		const struct rs_cpu_ring *r = &hp->cpu[i];
		const uint64_t off = r->data_offset, size = r->data_size;
		const uint64_t chunk = r->chunk_size;

		if (off < RS_HEADER_SIZE || (off & (RS_PAGE_SIZE - 1)))
			FAIL("cpu %u: ring offset 0x%llx is inside the header "
			     "or not page aligned", i, (unsigned long long)off);
		if (!is_pow2(size) || size < 2 * RS_PAGE_SIZE)
			FAIL("cpu %u: ring size %llu is not a power of two of at "
			     "least two pages", i, (unsigned long long)size);
		if (size > hp->region_size || off > hp->region_size - size)
			FAIL("cpu %u: ring [0x%llx, +%llu) lies outside the "
			     "%llu-byte region", i, (unsigned long long)off,
			     (unsigned long long)size,
			     (unsigned long long)hp->region_size);
		if (!is_pow2(chunk) || chunk < RS_MAX_RECORD || chunk > 32768 ||
		    chunk > size / 2)
			FAIL("cpu %u: chunk size %llu is invalid for a %llu-byte "
			     "ring", i, (unsigned long long)chunk,
			     (unsigned long long)size);
		for (uint32_t j = 0; j < i; j++) {
			const uint64_t o2 = out->cpu[j].data_offset;
			const uint64_t s2 = out->cpu[j].data_size;
			if (off < o2 + s2 && o2 < off + size)
				FAIL("cpu %u and cpu %u rings overlap", i, j);
		}
		out->cpu[i].data_offset = off;
		out->cpu[i].data_size = size;
		out->cpu[i].chunk_size = (uint32_t)chunk;
	}

	out->nonce = hp->nonce;
	out->region_gpa = hp->region_gpa;
	out->region_size = hp->region_size;
	out->ncpus = hp->ncpus;
	out->mode = hp->mode;
	out->tsc_hz = hp->tsc_hz;
	out->boot_tsc = hp->boot_tsc;
	out->boot_wall_ns = hp->boot_wall_ns;
	out->tsc_source = hp->tsc_source;
	out->tick_method = hp->tick_method;
	out->tick_hz = hp->tick_hz;
	out->timer_hz = hp->timer_hz;
	return 0;
}

int64_t rs_region_find(const volatile void *map, size_t len, uint64_t map_gpa,
		       struct rs_layout *out, char *err, size_t errlen)
{
	const volatile uint8_t *m = map;
	char why[160] = "";
	uint64_t candidates = 0;

	/* The region is page aligned in guest-physical space; scan pages by
	 * their gpa so a mapping that starts mid-page still lines up. */
	size_t first = (size_t)((RS_PAGE_SIZE - (map_gpa & (RS_PAGE_SIZE - 1))) &
				(RS_PAGE_SIZE - 1));
	for (size_t off = first; off + RS_HEADER_SIZE <= len;
	     off += RS_PAGE_SIZE) {
		uint64_t magic;
		memcpy(&magic, (const void *)(m + off), 8);
		if (magic != RS_MAGIC)
			continue;
		candidates++;
		if (rs_layout_read(m + off, len - off, map_gpa + off, out, why,
				   sizeof(why)) == 0)
			return (int64_t)off;
	}
	if (candidates)
		FAIL("found %llu ringside magic(s) but no valid header: %s",
		     (unsigned long long)candidates, why);
	FAIL("no ringside region found in %zu bytes of guest memory", len);
}

void rs_status_read(const volatile void *region, const struct rs_layout *l,
		    struct rs_status *out)
{
	const volatile struct rs_header *h = region;

	memset(out, 0, sizeof(*out));
	out->state = VREAD(h->state);
	out->heartbeat_ticks = VREAD(h->heartbeat_ticks);
	out->heartbeat_tsc = VREAD(h->heartbeat_tsc);
	/* Count first: the writer publishes the tsc before it and clears it
	 * after, so a count seen with a zero tsc is a stall being cleared. */
	out->stall_threads = VREAD(h->stall_threads);
	RMB();
	out->stall_tsc = VREAD(h->stall_tsc);
	if (out->stall_tsc == 0)
		out->stall_threads = 0;
	out->panic_valid = VREAD(h->panic.valid) == 1;
	RMB();
	memcpy(&out->panic, (const void *)&h->panic, sizeof(out->panic));
	out->panic.reason[RS_REASON_LEN - 1] = '\0';
	if (out->panic.backtrace_len > RS_BACKTRACE_MAX)
		out->panic.backtrace_len = RS_BACKTRACE_MAX;
	for (uint32_t i = 0; i < l->ncpus; i++) {
		out->dropped[i] = VREAD(h->cpu[i].dropped);
		out->first_drop_tsc[i] = VREAD(h->cpu[i].first_drop_tsc);
	}
}

uint64_t rs_tsc_to_ns(const struct rs_layout *l, uint64_t tsc)
{
	if (tsc <= l->boot_tsc || l->tsc_hz == 0)
		return 0;
	unsigned __int128 d = (unsigned __int128)(tsc - l->boot_tsc) * 1000000000u;
	d /= l->tsc_hz;
	return d > UINT64_MAX ? UINT64_MAX : (uint64_t)d;
}

/* ---- the reader -------------------------------------------------------- */

int rs_reader_init(struct rs_reader *r, const volatile void *region,
		   size_t avail, const struct rs_layout *layout)
{
	memset(r, 0, sizeof(*r));
	r->region = region;
	r->avail = avail;
	r->layout = *layout;
	if (layout->region_size > avail) {
		snprintf(r->err, sizeof(r->err), "region larger than mapping");
		return -1;
	}
	/* Bounded by the mapping: rs_layout_read checked each ring lies in
	 * region_size <= avail, so a lying header cannot make this huge. */
	size_t max = 0;
	for (uint32_t i = 0; i < layout->ncpus; i++)
		if (layout->cpu[i].data_size > max)
			max = layout->cpu[i].data_size;
	/* COPY_SLACK more than a lap, zeroed so the fast path's
	 * unconditional argument loads past the end read defined bytes. */
	r->copy = malloc(max + COPY_SLACK);
	if (!r->copy) {
		snprintf(r->err, sizeof(r->err), "out of memory for a %zu-byte "
			 "ring copy", max);
		return -1;
	}
	memset(r->copy + max, 0, COPY_SLACK);
	r->copy_size = max;
	return 0;
}

void rs_reader_free(struct rs_reader *r)
{
	free(r->copy);
	r->copy = NULL;
}

static void anomaly(struct rs_reader *r, unsigned cpu, const char *what)
{
	r->anomalies++;
	r->cpu[cpu].stats.rejected++;
	snprintf(r->err, sizeof(r->err), "cpu %u: %s", cpu, what);
}

/* Restore a value's high bits from `approx`, a full-width reading taken
 * just after the packed low `bits` were: the true value is the one nearest
 * to it with those low bits. */
static uint64_t unwrap(uint64_t low, uint64_t approx, unsigned bits)
{
	const uint64_t mask = (1ull << bits) - 1;
	const uint64_t behind = (approx - low) & mask;

	if (behind < (1ull << (bits - 1)))
		return approx - behind;
	return approx + (mask + 1 - behind);
}

/* Read (head, head_written) as the pair the outermost writer published:
 * one load of head_pair, then the full-width words for the high bits.
 * Returns -1 if the pair is further ahead of those words than one lap:
 * the writer stores the pair just before them, so an honest pair leads
 * by one publication at most, while a lying one could otherwise move
 * `pos` terabytes ahead and blind the reader for good. */
static int read_published(struct rs_reader *r, unsigned cpu, uint64_t *head,
			  uint64_t *n)
{
	const volatile struct rs_cpu_ring *cr =
		&((const volatile struct rs_header *)r->region)->cpu[cpu];

	const uint64_t pair = cr->head_pair;
	RMB();
	const uint64_t head_now = cr->head, n_now = cr->head_written;
	const uint64_t head_units = unwrap(pair & ((1ull << RS_PAIR_HEAD_BITS) - 1),
					   head_now >> 3, RS_PAIR_HEAD_BITS);
	*head = head_units << 3;
	*n = unwrap(pair >> RS_PAIR_HEAD_BITS, n_now, RS_PAIR_COUNT_BITS);
	const uint64_t lap = r->layout.cpu[cpu].data_size;
	if (*head > head_now && *head - head_now > lap)
		return -1;
	if (*n > n_now && *n - n_now > lap / RS_PAD_MIN)
		return -1;
	return 0;
}

/* Copy ring bytes [from, to) (to - from <= data_size) out of guest memory
 * into r->copy, unwrapping the ring. */
static void copy_out(struct rs_reader *r, unsigned cpu, uint64_t from,
		     uint64_t to)
{
	const uint64_t size = r->layout.cpu[cpu].data_size;
	const volatile uint8_t *data = r->region + r->layout.cpu[cpu].data_offset;
	const uint64_t len = to - from, off = from & (size - 1);
	const uint64_t first = len < size - off ? len : size - off;

	memcpy(r->copy, (const void *)(data + off), first);
	memcpy(r->copy + first, (const void *)data, len - first);
}

/* Where events go: one at a time (rs_reader_poll) or in arrays
 * (rs_reader_poll_batch). Both are fed by the same decoding loop. */
struct sink {
	rs_event_cb one;
	rs_batch_cb many;
	void *opaque;
};

/* Hand ev[0..n) to the sink; returns how many went out (the one a
 * per-event callback refused included) and the callback's value. */
static inline size_t emit(const struct sink *sk, const struct rs_event *ev,
			  size_t n, int *ret)
{
	if (sk->many) {
		*ret = sk->many(sk->opaque, ev, n);
		return n;
	}
	size_t i = 0;
	while (i < n && !*ret)
		*ret = sk->one(sk->opaque, &ev[i++]);
	return i;
}

static int deliver_lost(struct rs_reader *r, unsigned cpu, uint64_t count,
			uint64_t from_tsc, uint64_t to_tsc,
			const struct sink *sk, long *delivered)
{
	struct rs_event ev = {
		.seq = UINT64_MAX, .tsc = from_tsc, .type = RS_EV_LOST,
		.cpu = (uint16_t)cpu, .a = count, .b = from_tsc, .c = to_tsc,
	};
	r->cpu[cpu].stats.lost += count;
	int ret = 0;
	*delivered += (long)emit(sk, &ev, 1, &ret);
	return ret;
}

/* Bytes readable from copy offset `off` without crossing a chunk boundary
 * or the end of what was copied. Chunk boundaries are ring positions, and
 * the copy starts at ring position `start`, which need not be aligned. */
static size_t chunk_limit(uint64_t start, size_t off, size_t end,
			  uint64_t chunk)
{
	size_t chunk_end = (size_t)(((start + off) | (chunk - 1)) + 1 - start);
	return (chunk_end < end ? chunk_end : end) - off;
}

/*
 * Count the records in copy[off, end) that parse, stopping at the first
 * invalid one. Used only after a loss, to number the records that follow
 * the gap: they are the last `k` of the N the writer published.
 */
static uint64_t count_records(const struct rs_reader *r, uint64_t start,
			      size_t off, size_t end, uint64_t chunk,
			      size_t *stop)
{
	struct rs_event ev;
	char scratch[RS_MAX_RECORD + 1];
	uint64_t k = 0;

	while (off < end) {
		size_t lim = chunk_limit(start, off, end, chunk);
		size_t sz = rs_decode_record(r->copy + off, lim, &ev, scratch);
		if (sz == 0)
			break;
		if (ev.type != RS_EV_PAD)
			k++;
		off += sz;
	}
	*stop = off;
	return k;
}

/* Records decoded ahead of delivery. Decoding a run of records in a loop
 * with no call in it keeps the loop's state in registers; the callback
 * then runs over the finished events. 64 events are 5 KiB, in L1. */
#define BATCH 64

/*
 * Decode records from copy[*offp, end), where copy[0] is ring position
 * `start`, into ev[], numbered from seq: at most BATCH, across chunk
 * boundaries, each bounded by the end of its chunk (*stopp, carried
 * between calls). Stops after a string cut into strbuf (the next would
 * overwrite it) and at an invalid record, with *bad set and *offp on it.
 * PAD is decoded into the next slot and not counted, so the slot is
 * reused. Out of line and free of calls on its hot path, so its state
 * lives in registers.
 */
static __attribute__((noinline)) size_t
decode_batch(const uint8_t *copy, char *strbuf, uint64_t start, size_t *offp,
	     size_t *stopp, size_t end, uint64_t chunk, uint16_t cpu,
	     uint64_t seq, struct rs_event *ev, int *bad)
{
	size_t off = *offp, stop = *stopp, k = 0;
	int used = 0;

	while (k < BATCH && !used) {
		if (off >= stop) {
			if (off >= end)
				break;
			stop = off + chunk_limit(start, off, end, chunk);
		}
		const size_t sz = decode_record(copy + off, stop - off, &ev[k],
						strbuf, 1, &used, cpu, seq + k);
		if (sz == 0) {
			*bad = 1;
			break;
		}
		off += sz;
		k += ev[k].type != RS_EV_PAD;
	}
	*offp = off;
	*stopp = stop;
	return k;
}

/*
 * Deliver the records of copy[off, end), where copy[0] is ring position
 * `start`, numbering them from *seq. PAD is skipped; an invalid record
 * skips to the next chunk, where records start again. Returns 0, or the
 * callback's non-zero value: the record it stopped at still counts as
 * delivered, and *resume is the copy offset just past it, where the next
 * poll must start so that nothing is delivered twice or skipped.
 *
 * Ring positions [pf, pf_end) are what the next window will copy: as
 * each batch is decoded, as many bytes of it are prefetched, so the next
 * copy finds them in cache instead of waiting on memory with nothing
 * else to do. A prefetch is only a hint (it never faults, and nothing
 * read through it is trusted: the copy is checked as always); it stays
 * inside the ring, below the published head.
 */
static int deliver_span(struct rs_reader *r, unsigned cpu, uint64_t start,
			size_t off, size_t end, uint64_t chunk, uint64_t *seqp,
			const struct sink *sk, long *delivered, uint64_t pf,
			uint64_t pf_end, size_t *resume)
{
	const uint64_t ring = r->layout.cpu[cpu].data_size;
	const volatile uint8_t *data =
		r->region + r->layout.cpu[cpu].data_offset;
	struct rs_reader_cpu *rc = &r->cpu[cpu];
	struct rs_event ev[BATCH];
	uint64_t seq = *seqp;
	size_t stop = off;
	int ret = 0;

	while (off < end) {
		int bad = 0;
		const size_t was = off;
		const size_t k = decode_batch(r->copy, r->strbuf, start, &off,
					      &stop, end, chunk, (uint16_t)cpu,
					      seq, ev, &bad);
		for (const uint64_t lim = pf + (off - was);
		     pf < lim && pf < pf_end; pf += 64)
			__builtin_prefetch((const void *)(data +
							  (pf & (ring - 1))));
		const size_t i = k ? emit(sk, ev, k, &ret) : 0;
		seq += i;
		rc->stats.accepted += i;
		*delivered += (long)i;
		if (i)
			rc->last_tsc = ev[i - 1].tsc;
		if (ret) {
			/* emit hands out at least one event before a stop;
			 * every event lies in the copy (decode_record) */
			assert(i >= 1 && ev[i - 1].raw >= r->copy);
			*resume = (size_t)(ev[i - 1].raw - r->copy) +
				  ev[i - 1].raw_size;
			break;
		}
		if (bad) {
			anomaly(r, cpu, "invalid record; skipped to the next "
				"chunk");
			off = stop;
		}
	}
	*seqp = seq;
	return ret;
}

/* What the reader may trust of a copy made before it read `reserve`:
 * the writer reuses ring position q only after reserving past
 * q + data_size, so bytes at positions >= reserve - data_size were not
 * touched during the copy (RING.md, "Why the copy is trustworthy"). */
static uint64_t intact_from(const volatile struct rs_cpu_ring *cr,
			    uint64_t head, uint64_t size)
{
	uint64_t reserve = cr->reserve;
	if (reserve < head)
		reserve = head;  /* a lie; the data below head is ours */
	return reserve > size ? reserve - size : 0;
}

/* The reader copies and checks a live ring this many bytes at a time
 * (rounded down to a chunk boundary, so no record spans two copies).
 * Copying a whole lap first, then decoding it, sent every byte through
 * memory three times and faulted in a lap-sized buffer on the first
 * poll; a window this size stays in the L2 cache between the copy and
 * the decode. It must be at least the largest chunk (32 KiB). */
#define COPY_WINDOW (128u * 1024)

/*
 * A callback stopped the poll: the reader keeps its place right after the
 * event it stopped at (ring position `pos`, `seen` records accounted for),
 * as if the poll had ended there, so the next one resumes exactly. The
 * value returned is negative, never a count (rs_decode.h).
 */
static long stopped(struct rs_reader_cpu *rc, uint64_t pos, uint64_t seen,
		    int cb_ret)
{
	assert(cb_ret != 0);
	rc->pos = pos;
	rc->seen = seen;
	return cb_ret < 0 ? cb_ret : -(long)cb_ret;
}

static long poll_cpu(struct rs_reader *r, unsigned cpu,
		     const struct sink *sk)
{
	struct rs_reader_cpu *rc = &r->cpu[cpu];
	const uint64_t size = r->layout.cpu[cpu].data_size;
	const uint64_t chunk = r->layout.cpu[cpu].chunk_size;
	const volatile struct rs_cpu_ring *cr =
		&((const volatile struct rs_header *)r->region)->cpu[cpu];
	uint64_t head, n;
	long delivered = 0;
	size_t resume = 0;
	int rc_cb;

	if (read_published(r, cpu, &head, &n) != 0) {
		anomaly(r, cpu, "packed head pair contradicts the published head");
		return 0;
	}
	if (head < rc->pos || n < rc->seen) {
		anomaly(r, cpu, "published position went backwards");
		return 0;
	}

	if (head > rc->pos) {
		/* `at`: ring position delivered up to in this poll; `seq`:
		 * records accounted for below it. Together they are what a
		 * reader that had stopped at `at` would hold in (pos, seen). */
		uint64_t at = rc->pos, seq = rc->seen, intact = 0;
		int copied = 0;

		/* 1. Stream, while we still have our place: copy a window,
		 * re-read the reservation point, and deliver the window only
		 * if none of it can have been reused during its copy. Each
		 * window is checked on its own, exactly as a whole-lap copy
		 * is, so what is delivered is what was written. */
		if (head - at <= size) {
			while (at < head) {
				uint64_t to = (at + COPY_WINDOW) & ~(chunk - 1);
				if (to > head)
					to = head;
				copy_out(r, cpu, at, to);
				RMB();
				intact = intact_from(cr, head, size);
				if (intact > at) {
					/* Overwritten under us: the rest is
					 * a gap, handled as after a lap. If
					 * this copy reached head it is the
					 * whole-lap copy step 2 would make. */
					copied = to == head;
					break;
				}
				rc_cb = deliver_span(r, cpu, at, 0,
						     (size_t)(to - at), chunk,
						     &seq, sk, &delivered, to,
						     head, &resume);
				if (rc_cb)
					return stopped(rc, at + resume, seq,
						       rc_cb);
				at = to;
			}
		}

		if (at < head) {
			/* 2. We lost our place (the writer lapped us before
			 * or during this poll). Copy what the writer
			 * published since `at`, at most one lap, then
			 * re-read the reservation point. */
			const uint64_t start = head - at > size ? head - size : at;
			if (!copied) {
				copy_out(r, cpu, start, head);
				RMB();
				intact = intact_from(cr, head, size);
			}

			/* 3. Resume where we stopped, or after a gap at the
			 * first chunk start that survived: records never span
			 * chunks. */
			uint64_t from = at;
			if (intact > from || start > from) {
				uint64_t lo = intact > start ? intact : start;
				from = (lo + chunk - 1) & ~(chunk - 1);
			}

			size_t off = from >= head ? (size_t)(head - start)
						  : (size_t)(from - start);
			const size_t end = (size_t)(head - start);
			if (from != at) {
				size_t stop;
				uint64_t k = count_records(r, start, off, end,
							   chunk, &stop);
				uint64_t first = n >= k ? n - k : 0;
				if (stop != end)
					first = seq;  /* corrupt: cannot number */
				if (first < seq)
					first = seq;
				if (first > seq) {
					uint64_t to_tsc = 0;
					struct rs_event ev;
					if (off < end &&
					    rs_decode_record(r->copy + off,
							     end - off, &ev,
							     r->strbuf))
						to_tsc = ev.tsc;
					rc_cb = deliver_lost(r, cpu, first - seq,
							     rc->last_tsc ? rc->last_tsc
									  : r->layout.boot_tsc,
							     to_tsc, sk,
							     &delivered);
					/* the gap is counted: resume after it */
					if (rc_cb)
						return stopped(rc, start + off,
							       first, rc_cb);
				}
				seq = first;
			}

			/* 4. Deliver. */
			rc_cb = deliver_span(r, cpu, start, off, end, chunk,
					     &seq, sk, &delivered, 0, 0, &resume);
			if (rc_cb)
				return stopped(rc, start + resume, seq, rc_cb);
		}

		/* 5. Account: every record below head is now either
		 * delivered or counted lost, exactly. */
		if (n >= seq) {
			if (n > seq) {
				/* Records the writer published that did not
				 * parse: only a lying guest gets here. They
				 * are still counted, never silently gone. */
				anomaly(r, cpu, "published records that did "
					"not decode");
				rc_cb = deliver_lost(r, cpu, n - seq,
						     rc->last_tsc, rc->last_tsc,
						     sk, &delivered);
				if (rc_cb)
					return stopped(rc, head, n, rc_cb);
			}
			rc->seen = n;
		} else {
			anomaly(r, cpu, "more records than the writer "
				"published");
			rc->seen = seq;
		}
		rc->pos = head;
	}

	/* Discard mode: the writer counted what it dropped; report the new
	 * drops once, after the records that preceded them. */
	if (r->layout.mode == RS_MODE_DISCARD) {
		uint64_t dropped = cr->dropped;
		if (dropped > rc->dropped_seen) {
			uint64_t first = cr->first_drop_tsc;
			rc_cb = deliver_lost(r, cpu, dropped - rc->dropped_seen,
					     first ? first : rc->last_tsc,
					     rc->last_tsc, sk,
					     &delivered);
			rc->dropped_seen = dropped;
			if (rc_cb)   /* pos and seen are final already */
				return stopped(rc, rc->pos, rc->seen, rc_cb);
		}
	}
	return delivered;
}

static long poll(struct rs_reader *r, const struct sink *sk)
{
	long total = 0;

	for (unsigned cpu = 0; cpu < r->layout.ncpus; cpu++) {
		long got = poll_cpu(r, cpu, sk);
		if (got < 0)
			return got;
		total += got;
	}
	return total;
}

long rs_reader_poll(struct rs_reader *r, rs_event_cb cb, void *opaque)
{
	const struct sink sk = { .one = cb, .opaque = opaque };
	return poll(r, &sk);
}

long rs_reader_poll_batch(struct rs_reader *r, rs_batch_cb cb, void *opaque)
{
	const struct sink sk = { .many = cb, .opaque = opaque };
	return poll(r, &sk);
}

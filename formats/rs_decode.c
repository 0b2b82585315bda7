/*
 * rs_decode.c - the one decoder: header validation, region discovery,
 * record decoding and the incremental lock-free reader.
 *
 * The reader side of the protocol in formats/RING.md runs here. Every value
 * that comes from guest memory is copied out first and checked after the
 * copy, so a guest that rewrites its memory while we look cannot make us
 * use a value we did not check (no double fetch).
 */
#include "rs_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RMB() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define VREAD(x) (*(const volatile __typeof__(x) *)&(x))

/* ---- the vocabulary ---------------------------------------------------- */

/* The vocabulary, in one place: how many u64 arguments each type carries,
 * what they mean, and what its string is. Exporters and tools take field
 * names from here so every output calls a field the same thing. */
struct type_info {
	const char *name;
	int8_t nargs;
	const char *arg[3];
	const char *str;       /* name of the string field, or NULL */
};

static const struct type_info types[RS_EV_TYPE_LIMIT] = {
	[RS_EV_PAD]             = { "pad", 0, { 0 }, 0 },
	[RS_EV_LOST]            = { "lost", 3, { "count", "from_tsc", "to_tsc" }, 0 },
	[RS_EV_THREAD_CREATE]   = { "thread_create", 2, { "tid", "parent" }, "name" },
	[RS_EV_THREAD_EXIT]     = { "thread_exit", 1, { "tid" }, 0 },
	[RS_EV_THREAD_SWITCH]   = { "thread_switch", 2, { "prev_tid", "next_tid" }, 0 },
	[RS_EV_THREAD_BLOCK]    = { "thread_block", 3, { "tid", "reason", "object" }, 0 },
	[RS_EV_THREAD_WAKE]     = { "thread_wake", 2, { "tid", "waker" }, 0 },
	[RS_EV_THREAD_YIELD]    = { "thread_yield", 1, { "tid" }, 0 },
	[RS_EV_RUNQ_LEN]        = { "runq_len", 1, { "runnable" }, 0 },
	[RS_EV_PROMISE_CREATE]  = { "promise_create", 3, { "promise", "parent", "type" }, 0 },
	[RS_EV_PROMISE_READ]    = { "promise_read", 2, { "promise", "reader" }, 0 },
	[RS_EV_PROMISE_TRY_READ] = { "promise_try_read", 2, { "promise", "reader" }, 0 },
	[RS_EV_PROMISE_RESOLVE] = { "promise_resolve", 2, { "promise", "resolver" }, 0 },
	[RS_EV_PROMISE_FAIL]    = { "promise_fail", 2, { "promise", "resolver" }, "message" },
	[RS_EV_PROMISE_BECOMES] = { "promise_becomes", 2, { "promise", "follows" }, 0 },
	[RS_EV_PROMISE_LABEL]   = { "promise_label", 1, { "promise" }, "label" },
	[RS_EV_PROMISE_SIGNAL]  = { "promise_signal", 2, { "promise", "signaller" }, 0 },
	[RS_EV_PROMISE_CANCEL]  = { "promise_cancel", 2, { "promise", "canceller" }, 0 },
	[RS_EV_PAGE_ALLOC]      = { "page_alloc", 2, { "addr", "order" }, 0 },
	[RS_EV_PAGE_FREE]       = { "page_free", 2, { "addr", "order" }, 0 },
	[RS_EV_HEAP]            = { "heap", 2, { "in_use", "delta" }, 0 },
	[RS_EV_IRQ_ENTER]       = { "irq_enter", 1, { "vector" }, 0 },
	[RS_EV_IRQ_EXIT]        = { "irq_exit", 1, { "vector" }, 0 },
	[RS_EV_TIMER_FIRE]      = { "timer_fire", 2, { "timer", "due_tsc" }, 0 },
	[RS_EV_EVTCHN_NOTIFY]   = { "evtchn_notify", 1, { "port" }, 0 },
	[RS_EV_IDLE_ENTER]      = { "idle_enter", 0, { 0 }, 0 },
	[RS_EV_IDLE_EXIT]       = { "idle_exit", 0, { 0 }, 0 },
	[RS_EV_COUNTER]         = { "counter", 1, { "value" }, "name" },
	[RS_EV_MARK]            = { "mark", 1, { "value" }, "text" },
};

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

size_t rs_decode_record(const uint8_t *p, size_t avail, struct rs_event *ev,
			char *strbuf)
{
	uint64_t w0;

	if (avail < RS_PAD_MIN)
		return 0;
	memcpy(&w0, p, 8);
	const uint16_t type = (uint16_t)w0;
	const size_t size = (uint16_t)(w0 >> 16);

	if (size < RS_PAD_MIN || (size & 7) || size > avail)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->ctx = (uint32_t)(w0 >> 32);
	ev->raw = p;
	ev->raw_size = (uint32_t)size;
	if (type == RS_EV_PAD)
		return size;

	const int nargs = rs_event_nargs(type);
	/* LOST is synthesized by readers; a guest that writes one is lying
	 * about losses we count ourselves. */
	if (nargs < 0 || type == RS_EV_LOST || size > RS_MAX_RECORD)
		return 0;
	const size_t fixed = RS_RECORD_HDR + 8u * (size_t)nargs;
	const int has_str = types[type].str != NULL;
	if (size < fixed + (has_str ? 1 : 0))
		return 0;

	memcpy(&ev->tsc, p + 8, 8);
	uint64_t args[3] = { 0, 0, 0 };
	memcpy(args, p + RS_RECORD_HDR, 8u * (size_t)nargs);
	ev->a = args[0];
	ev->b = args[1];
	ev->c = args[2];
	if (has_str) {
		const size_t max = size - fixed;
		size_t n = 0;
		while (n < max && p[fixed + n] != 0)
			n++;
		memcpy(strbuf, p + fixed, n);
		strbuf[n] = '\0';
		ev->str = strbuf;
		ev->str_len = (uint32_t)n;
	}
	return size;
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
	r->copy = malloc(max);
	if (!r->copy) {
		snprintf(r->err, sizeof(r->err), "out of memory for a %zu-byte "
			 "ring copy", max);
		return -1;
	}
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

static int deliver_lost(struct rs_reader *r, unsigned cpu, uint64_t count,
			uint64_t from_tsc, uint64_t to_tsc, rs_event_cb cb,
			void *opaque, long *delivered)
{
	struct rs_event ev = {
		.seq = UINT64_MAX, .tsc = from_tsc, .type = RS_EV_LOST,
		.cpu = (uint16_t)cpu, .a = count, .b = from_tsc, .c = to_tsc,
	};
	r->cpu[cpu].stats.lost += count;
	(*delivered)++;
	return cb(opaque, &ev);
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

static long poll_cpu(struct rs_reader *r, unsigned cpu, rs_event_cb cb,
		     void *opaque)
{
	struct rs_reader_cpu *rc = &r->cpu[cpu];
	const uint64_t size = r->layout.cpu[cpu].data_size;
	const uint64_t chunk = r->layout.cpu[cpu].chunk_size;
	const volatile struct rs_cpu_ring *cr =
		&((const volatile struct rs_header *)r->region)->cpu[cpu];
	uint64_t head, n;
	long delivered = 0;
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
		/* 1. Copy what the writer published, at most one lap. */
		const uint64_t start = head - rc->pos > size ? head - size : rc->pos;
		copy_out(r, cpu, start, head);

		/* 2. Re-read the reservation point. Bytes at ring positions
		 * below reserve - size may have been reused while we copied;
		 * everything at or above was intact during the copy. */
		RMB();
		uint64_t reserve = cr->reserve;
		if (reserve < head)
			reserve = head;  /* a lie; the data below head is ours */
		const uint64_t intact = reserve > size ? reserve - size : 0;

		/* 3. Resume where we stopped, or after a gap at the first
		 * chunk start that survived: records never span chunks. */
		uint64_t from = rc->pos;
		if (intact > from || start > from) {
			uint64_t lo = intact > start ? intact : start;
			from = (lo + chunk - 1) & ~(chunk - 1);
		}

		size_t off = from >= head ? (size_t)(head - start)
					  : (size_t)(from - start);
		const size_t end = (size_t)(head - start);
		uint64_t seq = rc->seen;
		if (from != rc->pos) {
			size_t stop;
			uint64_t k = count_records(r, start, off, end, chunk,
						   &stop);
			uint64_t first = n >= k ? n - k : 0;
			if (stop != end)
				first = rc->seen;  /* corrupt: cannot number */
			if (first < rc->seen)
				first = rc->seen;
			if (first > rc->seen) {
				uint64_t to_tsc = 0;
				struct rs_event ev;
				if (off < end &&
				    rs_decode_record(r->copy + off, end - off,
						     &ev, r->strbuf))
					to_tsc = ev.tsc;
				rc_cb = deliver_lost(r, cpu, first - rc->seen,
						     rc->last_tsc ? rc->last_tsc
								  : r->layout.boot_tsc,
						     to_tsc, cb, opaque,
						     &delivered);
				if (rc_cb)
					return rc_cb < 0 ? rc_cb : -rc_cb;
			}
			seq = first;
		}

		/* 4. Deliver. */
		struct rs_event ev;
		while (off < end) {
			size_t lim = chunk_limit(start, off, end, chunk);
			size_t sz = rs_decode_record(r->copy + off, lim, &ev,
						     r->strbuf);
			if (sz == 0) {
				/* A corrupt record: skip to the next chunk,
				 * where records start again. */
				anomaly(r, cpu, "invalid record; skipped to the "
					"next chunk");
				off += lim;
				continue;
			}
			off += sz;
			if (ev.type == RS_EV_PAD)
				continue;
			ev.cpu = (uint16_t)cpu;
			ev.seq = seq++;
			rc->last_tsc = ev.tsc;
			rc->stats.accepted++;
			delivered++;
			rc_cb = cb(opaque, &ev);
			if (rc_cb)
				return rc_cb < 0 ? rc_cb : -rc_cb;
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
						     cb, opaque, &delivered);
				if (rc_cb)
					return rc_cb < 0 ? rc_cb : -rc_cb;
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
					     rc->last_tsc, cb, opaque,
					     &delivered);
			rc->dropped_seen = dropped;
			if (rc_cb)
				return rc_cb < 0 ? rc_cb : -rc_cb;
		}
	}
	return delivered;
}

long rs_reader_poll(struct rs_reader *r, rs_event_cb cb, void *opaque)
{
	long total = 0;

	for (unsigned cpu = 0; cpu < r->layout.ncpus; cpu++) {
		long got = poll_cpu(r, cpu, cb, opaque);
		if (got < 0)
			return got;
		total += got;
	}
	return total;
}

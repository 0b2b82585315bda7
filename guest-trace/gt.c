/*
 * gt.c - the out-of-line half of the guest-trace writer: laying out the
 * region, state and heartbeat updates, the panic record, and string
 * records. The hot fixed-size emit lives inline in guest_trace.h.
 *
 * Freestanding: only memcpy/memset from the embedding kernel.
 */
#include "guest_trace.h"

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

static int is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static uint64_t pow2_floor(uint64_t x)
{
	uint64_t p = 1;
	while (p <= x / 2)
		p <<= 1;
	return p;
}

int gt_region_init(void *base, const struct gt_config *cfg)
{
	struct rs_header *h = base;

	if (cfg->ncpus == 0 || cfg->ncpus > RS_MAX_CPUS)
		return -1;
	/* With several CPUs and cpu_regs asked for, a page for their
	 * registers on a panic follows the header; otherwise the layout is
	 * as it always was. */
	const uint64_t regs_size = cfg->cpu_regs && cfg->ncpus > 1 ?
				   RS_PAGE_SIZE : 0;
	const uint64_t rings_at = RS_HEADER_SIZE + regs_size;
	if (cfg->region_size < rings_at + cfg->ncpus * 2ull * RS_PAGE_SIZE)
		return -1;
	if (((uintptr_t)base & (RS_PAGE_SIZE - 1)) != 0)
		return -1;

	/* Every CPU gets the same power-of-two ring; what does not divide
	 * evenly is left unused rather than making ring sizes differ. */
	uint64_t per_cpu = (cfg->region_size - rings_at) / cfg->ncpus;
	uint64_t data_size = pow2_floor(per_cpu);
	if (data_size < 2 * RS_PAGE_SIZE)
		return -1;

	uint64_t chunk = cfg->chunk_size;
	if (chunk == 0) {
		chunk = data_size / 16;
		if (chunk > 32768)
			chunk = 32768;
	}
	/* A chunk must hold the largest record, there must be at least two
	 * (a reader resyncs at the next chunk), and PAD sizes fit in u16. */
	if (!is_pow2(chunk) || chunk < RS_MIN_CHUNK || chunk > 32768 ||
	    chunk > data_size / 2 || chunk < RS_MAX_RECORD)
		return -1;

	/* The magic goes last; clear it first so a reader never sees an old
	 * magic over a half-built header. */
	((volatile struct rs_header *)h)->magic = 0;
	gt_barrier();
	memset((uint8_t *)h + 8, 0, RS_HEADER_SIZE - 8);

	h->abi_version = RS_ABI_VERSION;
	h->header_size = RS_HEADER_SIZE;
	h->nonce = cfg->nonce;
	h->region_gpa = cfg->region_gpa;
	h->region_size = rings_at + data_size * cfg->ncpus;
	h->ncpus = cfg->ncpus;
	h->cpu_regs_offset = regs_size ? RS_HEADER_SIZE : 0;
	if (regs_size)
		memset((uint8_t *)h + RS_HEADER_SIZE, 0, regs_size);
	h->mode = cfg->mode;
	h->tsc_hz = cfg->tsc_hz;
	h->boot_tsc = cfg->boot_tsc;
	h->boot_wall_ns = cfg->boot_wall_ns;
	h->tsc_source = cfg->tsc_source;
	h->tick_method = cfg->tick_method;
	h->tick_hz = cfg->tick_hz;
	h->timer_hz = cfg->timer_hz;
	h->state = RS_STATE_BOOTING;

	for (uint32_t i = 0; i < cfg->ncpus; i++) {
		struct rs_cpu_ring *r = &h->cpu[i];
		r->data_offset = rings_at + data_size * i;
		r->data_size = data_size;
		r->chunk_size = (uint32_t)chunk;
		/* Stale bytes from an earlier boot must not parse as records
		 * of this one; the reader never looks past `head`, but a
		 * zeroed ring also makes dumps easier to read. */
		memset((uint8_t *)h + r->data_offset, 0, data_size);
	}

	gt_barrier();
	GT_WRITE_ONCE(h->magic, RS_MAGIC);
	return 0;
}

void gt_set_state(struct rs_header *h, uint32_t state)
{
	gt_barrier();
	GT_WRITE_ONCE(h->state, state);
}

void gt_heartbeat(struct rs_header *h, uint64_t ticks, uint64_t tsc)
{
	/* tsc first: a reader that sees the new tick count also sees a tsc
	 * at least as new (x86 keeps store order). */
	GT_WRITE_ONCE(h->heartbeat_tsc, tsc);
	gt_barrier();
	GT_WRITE_ONCE(h->heartbeat_ticks, ticks);
}

void gt_heartbeat_cpu(struct rs_header *h, unsigned cpu, uint64_t ticks,
		      uint64_t tsc)
{
	if (cpu >= h->ncpus)
		return;
	struct rs_cpu_ring *r = &h->cpu[cpu];
	/* the same order as the header's: tsc, then the count */
	GT_WRITE_ONCE(r->hb_tsc, tsc);
	gt_barrier();
	GT_WRITE_ONCE(r->hb_ticks, ticks);
}

int gt_cpu_regs_set(struct rs_header *h, unsigned cpu, uint32_t state,
		    uint64_t tsc, const uint64_t regs[RS_REG_COUNT])
{
	if (!h->cpu_regs_offset || cpu >= h->ncpus)
		return -1;
	struct rs_cpu_regs *r = (struct rs_cpu_regs *)((uint8_t *)h +
		h->cpu_regs_offset) + cpu;
	GT_WRITE_ONCE(r->state, RS_CPU_REGS_NONE);
	gt_barrier();
	r->cpu = cpu;
	r->tsc = tsc;
	for (unsigned i = 0; i < RS_REG_COUNT; i++)
		r->regs[i] = regs ? regs[i] : 0;
	gt_barrier();
	GT_WRITE_ONCE(r->state, state);
	return 0;
}

void gt_set_stall(struct rs_header *h, uint64_t tsc, uint64_t nthreads)
{
	/* A reader that sees a non-zero count sees its tsc (x86 keeps store
	 * order): publish the tsc first, clear the count first. */
	if (nthreads) {
		GT_WRITE_ONCE(h->stall_tsc, tsc);
		gt_barrier();
		GT_WRITE_ONCE(h->stall_threads, nthreads);
	} else {
		GT_WRITE_ONCE(h->stall_threads, 0);
		gt_barrier();
		GT_WRITE_ONCE(h->stall_tsc, 0);
	}
}

struct rs_panic *gt_panic_begin(struct rs_header *h)
{
	struct rs_panic *p = &h->panic;
	uint32_t depth = GT_READ_ONCE(p->depth);

	GT_WRITE_ONCE(p->depth, depth + 1);
	gt_barrier();
	/* The first panic owns the record. A panic raised while it is being
	 * filled (or after) only bumps `depth`, so the first, usually more
	 * useful, record survives intact. */
	if (depth != 0)
		return 0;
	GT_WRITE_ONCE(p->valid, 0);
	return p;
}

void gt_panic_commit(struct rs_header *h, struct rs_panic *p)
{
	p->reason[RS_REASON_LEN - 1] = '\0';
	if (p->backtrace_len > RS_BACKTRACE_MAX)
		p->backtrace_len = RS_BACKTRACE_MAX;
	gt_barrier();
	GT_WRITE_ONCE(p->valid, 1);
	gt_set_state(h, RS_STATE_CRASHED);
}

void gt_emit_str(struct rs_header *h, unsigned cpu, uint16_t type,
		 uint32_t ctx, unsigned nargs, uint64_t a, uint64_t b,
		 const char *s)
{
	gt_emit_str_at(h, cpu, GT_TSC_NOW, type, ctx, nargs, a, b, s);
}

void gt_emit_str_at(struct rs_header *h, unsigned cpu, uint64_t tsc,
		    uint16_t type, uint32_t ctx, unsigned nargs, uint64_t a,
		    uint64_t b, const char *s)
{
	struct rs_cpu_ring *r = gt_ring_of(h, cpu);
	uint8_t *data = (uint8_t *)h + r->data_offset;
	uint32_t len = 0;

	if (nargs > 2)
		nargs = 2;  /* the API carries at most two before the string */
	const uint32_t fixed = RS_RECORD_HDR + 8u * nargs;

	/* Room for at least one NUL; a long string is cut, never asserted. */
	while (s && s[len] && fixed + len + 1 < RS_MAX_RECORD)
		len++;
	const uint32_t size = (fixed + len + 1 + 7) & ~7u;

	gt_local_inc32(&r->nesting);
	gt_barrier();
	uint64_t off = gt_reserve(h, r, data, size, &tsc, tsc == GT_TSC_NOW);
	if (off != GT_DROPPED) {
		gt_write_fixed((uint64_t *)(data + off), type, size, ctx, tsc,
			       nargs, a, b, 0);
		char *str = (char *)(data + off + fixed);
		memcpy(str, s ? s : "", len);
		memset(str + len, 0, size - fixed - len);
		gt_barrier();
		gt_local_inc64(&r->written);
	}
	gt_commit(r);
}

void gt_emit_slow(struct rs_header *h, struct rs_cpu_ring *r, uint32_t size,
		  uint64_t tsc, int now, uint16_t type, uint32_t ctx,
		  unsigned nargs, uint64_t a, uint64_t b, uint64_t c)
{
	uint8_t *data = (uint8_t *)h + r->data_offset;
	uint64_t off = gt_reserve(h, r, data, size, &tsc, now);

	if (off != GT_DROPPED) {
		gt_write_fixed((uint64_t *)(data + off), type, size, ctx, tsc,
			       nargs, a, b, c);
		gt_barrier();
		gt_local_inc64(&r->written);
	}
	gt_commit(r);
}

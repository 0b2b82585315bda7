/*
 * rs_layout.c - the region header, read as the one decoder reads it:
 * validation against the mapping (rs_layout_read), discovery by magic
 * scan (rs_region_find), the header's live status (rs_status_read) and
 * the clock (rs_tsc_to_ns). One copy of the header, then every check on
 * the copy (formats/contract/RING.md, "Hostile memory").
 */
#include "rs_decode_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

/* ---- the header -------------------------------------------------------- */

static int is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* The register page, if any (RING.md, "Several CPUs"): inside the
 * region, after the header, clear of every ring already checked. */
static int regs_page_check(const struct rs_header *hp,
			   const struct rs_layout *out, char *err, size_t errlen)
{
	const uint64_t ro = hp->cpu_regs_offset;
	const uint64_t rsize = hp->ncpus * (uint64_t)sizeof(struct rs_cpu_regs);
	if (!ro)
		return 0;
	if (ro < RS_HEADER_SIZE || (ro & (RS_PAGE_SIZE - 1)) ||
	    ro > hp->region_size || rsize > hp->region_size - ro)
		FAIL("register page at 0x%llx lies outside the %llu-byte "
		     "region or inside the header", (unsigned long long)ro,
		     (unsigned long long)hp->region_size);
	for (uint32_t j = 0; j < hp->ncpus; j++) {
		const uint64_t o2 = out->cpu[j].data_offset;
		if (ro < o2 + out->cpu[j].data_size && o2 < ro + rsize)
			FAIL("register page overlaps cpu %u's ring", j);
	}
	return 0;
}

int rs_layout_read(const volatile void *base, size_t avail, uint64_t expect_gpa,
		   struct rs_layout *out, char *err, size_t errlen)
{
	assert(out && err && errlen > 0 && (base || avail == 0));
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

	if (regs_page_check(hp, out, err, errlen) != 0)
		return -1;
	out->cpu_regs_offset = hp->cpu_regs_offset;
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
	assert(out && err && errlen > 0 && (map || len == 0));
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
	/* l was validated by rs_layout_read: ncpus bounds the arrays below. */
	assert(region && l && out && l->ncpus <= RS_MAX_CPUS);
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
		/* count first, as the header's heartbeat is read */
		out->hb_ticks[i] = VREAD(h->cpu[i].hb_ticks);
		RMB();
		out->hb_tsc[i] = VREAD(h->cpu[i].hb_tsc);
	}
	if (!l->cpu_regs_offset)
		return;
	/* l->cpu_regs_offset and ncpus were checked against the region */
	const volatile struct rs_cpu_regs *r = (const volatile struct rs_cpu_regs *)
		((const volatile uint8_t *)region + l->cpu_regs_offset);
	for (uint32_t i = 0; i < l->ncpus; i++) {
		uint32_t st = VREAD(r[i].state);
		if (st == RS_CPU_REGS_NONE)
			continue;
		RMB();
		memcpy(&out->cpu_regs[i], (const void *)&r[i], sizeof(r[i]));
		/* what the state said when we looked, whatever it says now */
		out->cpu_regs[i].state = st;
		out->cpu_regs[i].cpu = i;
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

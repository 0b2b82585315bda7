/*
 * acpi.c - the CPUs the firmware describes (acpi.h). The tables are
 * treated as hostile: every pointer goes through the caller's map
 * function, every length is bounded before anything under it is read,
 * every table used is checksummed, and a MADT entry that does not fit its
 * table or its type is a bad table, not something to step over.
 *
 * Layouts from the ACPI spec (6.5): 5.2.5 RSDP, 5.2.6 the table header,
 * 5.2.7/5.2.8 RSDT/XSDT, 5.2.12 MADT (type 0 processor local APIC, 5
 * local APIC address override, 9 processor local x2APIC).
 */
#include "acpi.h"

#include <stdbool.h>
#include <stddef.h>

#define SDT_HEADER 36u
#define SDT_MAX (1u << 20)              /* no real table comes near */
#define ROOT_MAX_ENTRIES 256u
#define RSDP_V1_LEN 20u
#define RSDP_V2_LEN 36u
#define MADT_ENTRIES_AT 44u
#define MADT_ENABLED 1u
#define EBDA_PTR 0x40eu
#define BIOS_ROM_LO 0xe0000u
#define BIOS_ROM_HI 0x100000u

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool sum_ok(const uint8_t *p, uint64_t len)
{
	uint8_t s = 0;

	for (uint64_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s == 0;
}

static bool sig_is(const uint8_t *p, const char *sig, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] != (uint8_t)sig[i])
			return false;
	return true;
}

/* Adds a CPU unless it is the boot CPU (slot 0, already there) or seen
 * before. */
static void add_cpu(struct acpi_cpus *o, uint32_t apic, uint32_t uid,
		    uint32_t bsp, bool *bsp_seen)
{
	if (apic == bsp) {
		if (!*bsp_seen)
			o->enabled++;
		*bsp_seen = true;
		o->acpi_uid[0] = uid;
		return;
	}
	for (unsigned i = 1; i < o->n; i++)
		if (o->apic_id[i] == apic)
			return;         /* listed twice (type 0 and 9) */
	o->enabled++;
	if (o->n < ACPI_MAX_CPUS) {
		o->apic_id[o->n] = apic;
		o->acpi_uid[o->n] = uid;
		o->n++;
	}
}

static void reset(struct acpi_cpus *o, uint32_t bsp)
{
	*o = (struct acpi_cpus){ .n = 1 };
	o->apic_id[0] = bsp;
}

const char *acpi_madt_cpus(const uint8_t *madt, uint64_t len, uint32_t bsp,
			   struct acpi_cpus *out)
{
	bool bsp_seen = false;

	reset(out, bsp);
	if (len < MADT_ENTRIES_AT || len > SDT_MAX || !sig_is(madt, "APIC", 4))
		return "MADT: bad signature or length";
	if (rd32(madt + 4) != len)
		return "MADT: length disagrees with its header";
	if (!sum_ok(madt, len))
		return "MADT: bad checksum";
	out->lapic_addr = rd32(madt + SDT_HEADER);
	for (uint64_t at = MADT_ENTRIES_AT; at < len;) {
		if (len - at < 2)
			return "MADT: entry header past the end";
		uint8_t type = madt[at], elen = madt[at + 1];
		const uint8_t *e = madt + at;
		if (elen < 2 || elen > len - at)
			return "MADT: entry length runs past the end";
		if (type == 0) {                /* processor local APIC */
			if (elen != 8)
				return "MADT: local APIC entry of bad length";
			/* 0xff is no CPU (broadcast), whatever its flags */
			if ((rd32(e + 4) & MADT_ENABLED) && e[3] != 0xff)
				add_cpu(out, e[3], e[2], bsp, &bsp_seen);
		} else if (type == 9) {         /* processor local x2APIC */
			if (elen != 16)
				return "MADT: x2APIC entry of bad length";
			uint32_t id = rd32(e + 4);
			if ((rd32(e + 8) & MADT_ENABLED) && id != 0xffffffffu)
				add_cpu(out, id, rd32(e + 12), bsp, &bsp_seen);
		} else if (type == 5) {         /* 64-bit LAPIC address */
			if (elen != 12)
				return "MADT: LAPIC address override of bad length";
			out->lapic_addr = rd64(e + 4);
		}
		at += elen;
	}
	if (!bsp_seen) {
		reset(out, bsp);
		return "MADT: the boot CPU is not among its enabled CPUs";
	}
	return NULL;
}

/* A checksummed table of `sig` (NULL: any) at paddr; its length in *len. */
static const uint8_t *map_sdt(uint64_t paddr, const char *sig,
			      acpi_map_fn map, void *ctx, uint32_t *len)
{
	const uint8_t *h = map(paddr, SDT_HEADER, ctx);

	if (!h || (sig && !sig_is(h, sig, 4)))
		return NULL;
	*len = rd32(h + 4);
	if (*len < SDT_HEADER || *len > SDT_MAX)
		return NULL;
	const uint8_t *t = map(paddr, *len, ctx);
	if (!t || !sig_is(t, (const char *)h, 4) || rd32(t + 4) != *len)
		return NULL;
	return t;
}

static bool rsdp_ok(const uint8_t *p, acpi_map_fn map, void *ctx,
		    uint64_t paddr)
{
	if (!sig_is(p, "RSD PTR ", 8) || !sum_ok(p, RSDP_V1_LEN))
		return false;
	if (p[15] < 2)
		return true;
	/* ACPI 2.0+: the extended part has its own length and checksum. */
	uint32_t len = rd32(p + 20);
	if (len < RSDP_V2_LEN || len > 4096)
		return false;
	const uint8_t *full = map(paddr, len, ctx);
	return full && sum_ok(full, len);
}

/* The RSDP in [lo, hi) on its 16-byte boundaries, 0 if none. */
static uint64_t rsdp_scan(uint64_t lo, uint64_t hi, acpi_map_fn map,
			  void *ctx)
{
	for (uint64_t a = lo; a + RSDP_V1_LEN <= hi; a += 16) {
		const uint8_t *p = map(a, RSDP_V1_LEN, ctx);
		if (p && rsdp_ok(p, map, ctx, a))
			return a;
	}
	return 0;
}

static uint64_t rsdp_search(acpi_map_fn map, void *ctx)
{
	const uint8_t *bda = map(EBDA_PTR, 2, ctx);
	uint64_t ebda = bda ? (uint64_t)(bda[0] | bda[1] << 8) << 4 : 0;
	uint64_t a = 0;

	/* The EBDA's first KiB, if the BDA points somewhere plausible. */
	if (ebda >= 0x80000 && ebda < 0xa0000)
		a = rsdp_scan(ebda, ebda + 1024, map, ctx);
	return a ? a : rsdp_scan(BIOS_ROM_LO, BIOS_ROM_HI, map, ctx);
}

/* The MADT listed in the RSDT (entries of `esize` 4) or XSDT (8). */
static const char *find_madt(const uint8_t *root, uint32_t rlen,
			     unsigned esize, acpi_map_fn map, void *ctx,
			     uint32_t bsp, struct acpi_cpus *out)
{
	uint32_t n = (rlen - SDT_HEADER) / esize;

	if (n > ROOT_MAX_ENTRIES)
		n = ROOT_MAX_ENTRIES;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = root + SDT_HEADER + i * esize;
		uint64_t pa = esize == 8 ? rd64(e) : rd32(e);
		const uint8_t *h = map(pa, SDT_HEADER, ctx);
		if (!h || !sig_is(h, "APIC", 4))
			continue;
		uint32_t len;
		const uint8_t *madt = map_sdt(pa, "APIC", map, ctx, &len);
		if (!madt)
			return "MADT: length out of bounds or unmapped";
		return acpi_madt_cpus(madt, len, bsp, out);
	}
	return "no MADT in the root table";
}

const char *acpi_find_cpus(uint64_t rsdp_paddr, acpi_map_fn map, void *ctx,
			   uint32_t bsp, struct acpi_cpus *out)
{
	reset(out, bsp);
	if (!rsdp_paddr)
		rsdp_paddr = rsdp_search(map, ctx);
	const uint8_t *rsdp = rsdp_paddr ?
			      map(rsdp_paddr, RSDP_V1_LEN, ctx) : NULL;
	if (!rsdp)
		return "no RSDP";
	if (!rsdp_ok(rsdp, map, ctx, rsdp_paddr))
		return "RSDP: bad signature, length or checksum";

	/* The XSDT when there is one (ACPI 2.0+), else the RSDT. */
	uint64_t xsdt = 0;
	if (rsdp[15] >= 2) {
		const uint8_t *full = map(rsdp_paddr, RSDP_V2_LEN, ctx);
		xsdt = full ? rd64(full + 24) : 0;
	}
	uint32_t len;
	const uint8_t *root;
	unsigned esize;
	if (xsdt) {
		root = map_sdt(xsdt, "XSDT", map, ctx, &len);
		esize = 8;
	} else {
		root = map_sdt(rd32(rsdp + 16), "RSDT", map, ctx, &len);
		esize = 4;
	}
	if (!root)
		return "root table (RSDT/XSDT): bad signature or length";
	if (!sum_ok(root, len))
		return "root table (RSDT/XSDT): bad checksum";
	const char *why = find_madt(root, len, esize, map, ctx, bsp, out);
	if (why)
		reset(out, bsp);
	return why;
}

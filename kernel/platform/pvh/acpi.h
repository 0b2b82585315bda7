/*
 * acpi.h - finding the CPUs in the firmware's ACPI tables: RSDP, then
 * RSDT or XSDT, then the MADT's enabled local APIC (type 0) and x2APIC
 * (type 9) entries.
 *
 * Plain C with no platform dependency: every physical range is reached
 * through a caller's map function, so the host tests (tests/kernel/
 * test_acpi_madt.c) run the very same code on hand-made tables.
 */
#ifndef PVH_ACPI_H
#define PVH_ACPI_H

#include <stdint.h>

#define ACPI_MAX_CPUS 16u               /* KERNEL_MAX_CPUS */

struct acpi_cpus {
	unsigned n;             /* CPUs kept: the boot CPU first, then MADT
				 * order; 1..ACPI_MAX_CPUS on success */
	unsigned enabled;       /* distinct enabled CPUs in the MADT: more
				 * than n when there are over ACPI_MAX_CPUS */
	uint32_t apic_id[ACPI_MAX_CPUS];
	uint32_t acpi_uid[ACPI_MAX_CPUS];       /* Xen: the vCPU id */
	uint64_t lapic_addr;    /* the MADT's, or its 64-bit override */
};

/*
 * Returns a pointer through which [paddr, paddr + len) can be read, or
 * NULL if that range is not addressable (a table pointing outside memory
 * is refused, never followed).
 */
typedef const void *(*acpi_map_fn)(uint64_t paddr, uint64_t len, void *ctx);

/*
 * Finds the MADT from the RSDP at `rsdp_paddr` (0: search the EBDA, then
 * 0xE0000-0xFFFFF, as the ACPI spec says for BIOS systems) and fills
 * `out` with its CPUs, `bsp_apic_id` first. Every length and checksum is
 * checked. NULL on success, else why not (then out->n is 1: the boot CPU
 * alone).
 */
const char *acpi_find_cpus(uint64_t rsdp_paddr, acpi_map_fn map, void *ctx,
			   uint32_t bsp_apic_id, struct acpi_cpus *out);

/* The MADT part alone: `madt` is `len` bytes (the whole table, header
 * included), its checksum not yet checked. */
const char *acpi_madt_cpus(const uint8_t *madt, uint64_t len,
			   uint32_t bsp_apic_id, struct acpi_cpus *out);

#endif /* PVH_ACPI_H */

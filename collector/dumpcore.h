/*
 * dumpcore.h - parsing an `xl dump-core` file (Xen's libxenguest format,
 * tools/libs/guest/xg_core.h) with every field checked against the file.
 *
 * The format: an ELF64 core with no program headers and these sections:
 *   .note.Xen      notes named "Xen"; the header note (type 0x2000001)
 *                  holds magic (0xF00FEBEE for HVM/PVH, 0xF00FEBED for
 *                  PV), nr_vcpus, nr_pages, page_size
 *   .xen_prstatus  nr_vcpus x vcpu_guest_context (online vCPUs, in order)
 *   .xen_pages     nr_pages x 4096 bytes of guest memory
 *   .xen_pfn       HVM/PVH: nr_pages x u64, the gfn of each page,
 *                  ascending; pages the dumper could not map are left out
 *                  (holes), and the unused entries at the end are all ones
 *                  (padding pages)
 *   .xen_p2m       PV, instead of .xen_pfn: nr_pages x { u64 pfn; u64
 *                  gmfn }, the guest's pseudo-physical frame of each page
 *                  (and the machine frame it had, not needed here), with
 *                  the same order and padding rules
 * A dump has exactly one of the two, the one its header's magic says.
 * Below, "gfn" is a guest frame in the guest's own physical space: the
 * gfn of an HVM/PVH guest, the pfn of a PV guest, which is what a PV
 * guest (Mini-OS) writes as its ring's region_gpa.
 */
#ifndef RS_COLLECTOR_DUMPCORE_H
#define RS_COLLECTOR_DUMPCORE_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

#define RS_XC_CORE_MAGIC      0xF00FEBEDull  /* PV */
#define RS_XC_CORE_MAGIC_HVM  0xF00FEBEEull  /* HVM and PVH */
#define RS_XC_CORE_INVALID_PFN UINT64_MAX
/* The largest region a Xen guest publishes: the PVH kernel's 65536 ring
 * pages plus the header page. Bounds every copy and map of a region. */
#define RS_XEN_REGION_PAGES_MAX (65536u + 1u)

struct rs_dumpcore {
	const uint8_t *file;
	size_t len;
	uint64_t pages_off;     /* .xen_pages: page k at pages_off + k*4096 */
	uint64_t pfn_off;       /* .xen_pfn or .xen_p2m */
	uint64_t pfn_stride;    /* 8 (.xen_pfn) or 16 (.xen_p2m) */
	uint64_t npages;        /* entries in both */
	int pv;                 /* a PV domain's dump (.xen_p2m) */
	uint64_t nvalid;        /* entries before the all-ones padding */
	struct rs_vcpu_regs *vcpu;  /* from .xen_prstatus; NULL if none */
	unsigned nvcpu;
};

/*
 * Does this look like an xl dump-core file rather than a QEMU core? (an
 * ELF64 core with a .note.Xen/.xen_* section, or with no program headers
 * but a section table: QEMU cores always have program headers.) The
 * answer only picks the parser; rs_dumpcore_parse checks everything.
 */
int rs_dumpcore_is(const uint8_t *file, size_t len);

/* Parse `len` bytes at `file` (which must outlive `out`). 0, or -1 with a
 * one-line reason in err. */
int rs_dumpcore_parse(const uint8_t *file, size_t len, struct rs_dumpcore *out,
		      char *err, size_t errlen);
void rs_dumpcore_free(struct rs_dumpcore *d);

/* gfn of page index k (k < nvalid). */
uint64_t rs_dumpcore_gfn(const struct rs_dumpcore *d, uint64_t k);
/* Index of the page holding `gfn` (binary search), or -1 if not dumped. */
int64_t rs_dumpcore_find(const struct rs_dumpcore *d, uint64_t gfn);
/* The 4096 bytes of page index k (k < npages; checked at parse time). */
const uint8_t *rs_dumpcore_page(const struct rs_dumpcore *d, uint64_t k);

/*
 * The "core:" source for an xl dump-core file already mapped at `file`
 * (source_xlcore.c). The source keeps a private copy of what it needs, so
 * the caller may unmap the file afterwards. 0, or -1 with err set.
 */
int rs_source_xlcore_open(const uint8_t *file, size_t len, const char *path,
			  struct rs_source *src, char *err, size_t errlen);

#endif /* RS_COLLECTOR_DUMPCORE_H */

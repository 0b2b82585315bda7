/*
 * grant.c - the trace region shared with dom0 by grant references
 * (issue 16): one grant-table entry per page of the region says "domain 0
 * may map this page, read-only", and the collector maps those references
 * with libxengnttab (collector/source_xen.c) instead of mapping the
 * guest's gfns as a foreign domain. That is the guest's own consent, page
 * by page, and the one way that works for PV, PVH and HVM guests alike;
 * the gfn keys stay published for collectors that do not use it.
 *
 * Grant table version 1, which every domain starts with (Xen's public
 * grant_table.h): 8-byte entries, 512 to a 4 KiB frame, the first
 * GNTTAB_NR_RESERVED_ENTRIES (8) the toolstack's (console, xenstore), so
 * page i of the region gets reference 8 + i. The table lives in Xen; a
 * PVH guest is a translated guest, which sees its frames only once it has
 * asked Xen to place them in its own physical address space
 * (XENMEM_add_to_physmap with XENMAPSPACE_grant_table, memory.h). They go
 * at the top of the allocator's range, taken out of it before the core
 * sees it: Xen replaces the RAM page at each of those gfns with a frame
 * of the table, so nothing else may ever write there.
 *
 * Every failure is reported on the console, and the kernel runs on as it
 * did before grants: the ring is published by gfn only, and the collector
 * reads it that way (tests/xen's gfn scenario boots one whose table Xen
 * keeps too small).
 */
#include "pvh.h"

#include "../../core/klib.h"

#define PAGE                    4096u
#define XENMEM_add_to_physmap   7
#define XENMAPSPACE_grant_table 1
#define GNTTABOP_query_size     6
#define DOMID_SELF              0x7ff0u
#define DOMID_DOM0              0u
#define GTF_permit_access       (1u << 0)
#define GTF_readonly            (1u << 2)
#define FIRST_REF               8u      /* GNTTAB_NR_RESERVED_ENTRIES */

/* grant_table.h, struct grant_entry_v1: flags last written, by us. */
struct grant_entry_v1 {
	uint16_t flags;
	uint16_t domid;
	uint32_t frame;         /* a translated guest's gfn */
};

/* memory.h, struct xen_add_to_physmap (64-bit: xen_ulong_t, xen_pfn_t). */
struct add_to_physmap_arg {
	uint16_t domid;
	uint16_t size;          /* only for XENMAPSPACE_gmfn_range */
	uint32_t space;
	uint64_t idx;           /* the table's frame number */
	uint64_t gpfn;          /* where it appears in our address space */
};

/* grant_table.h, struct gnttab_query_size. */
struct query_size_arg {
	uint16_t dom;
	uint32_t nr_frames;
	uint32_t max_nr_frames;
	int16_t status;
};

#define ENTRIES_PER_FRAME (PAGE / sizeof(struct grant_entry_v1))

_Static_assert(sizeof(struct grant_entry_v1) == 8, "grant_entry_v1");
_Static_assert(sizeof(struct add_to_physmap_arg) == 24, "xen_add_to_physmap");
_Static_assert(sizeof(struct query_size_arg) == 16, "gnttab_query_size");

static volatile struct grant_entry_v1 *table; /* NULL: no table mapped */
static uint64_t capacity;       /* pages the mapped frames have room for */
static uint64_t granted;        /* pages granted, from reference FIRST_REF */

/* Places the table's first `frames` frames at gfn `gfn` onwards. */
static int map_table(uint64_t gfn, uint64_t frames)
{
	for (uint64_t i = 0; i < frames; i++) {
		struct add_to_physmap_arg a = {
			.domid = DOMID_SELF, .space = XENMAPSPACE_grant_table,
			.idx = i, .gpfn = gfn + i,
		};
		long rc = xen_memory_op(XENMEM_add_to_physmap, &a);
		if (rc) {
			kprintf("grant: placing grant-table frame %lu at gfn "
				"0x%lx failed (%ld)\n", (unsigned long)i,
				(unsigned long)(gfn + i), rc);
			return -1;
		}
	}
	return 0;
}

int grant_table_init(uint64_t max_pages, uint64_t *free_start,
		     uint64_t *free_end)
{
	const uint64_t frames = (FIRST_REF + max_pages + ENTRIES_PER_FRAME - 1) /
				ENTRIES_PER_FRAME;
	struct query_size_arg q = { .dom = DOMID_SELF };

	if (!xen_present())
		return -1;
	long rc = xen_grant_table_op(GNTTABOP_query_size, &q, 1);
	if (rc || q.status) {
		kprintf("grant: GNTTABOP_query_size failed (%ld, status %d)\n",
			rc, q.status);
		return -1;
	}
	if (frames > q.max_nr_frames) {
		kprintf("grant: %lu pages need %lu grant-table frames, Xen allows"
			" this domain %u (xl's max_grant_frames)\n",
			(unsigned long)max_pages, (unsigned long)frames,
			q.max_nr_frames);
		return -1;
	}
	/* As smp_reserve: the allocator keeps at least 1 MiB. */
	if (*free_end - *free_start < frames * PAGE + (1u << 20)) {
		kprintf("grant: no room for %lu grant-table frames\n",
			(unsigned long)frames);
		return -1;
	}
	/* Out of the allocator first: a frame Xen did place before a later
	 * one failed is the table's now, whatever happens next. */
	*free_end -= frames * PAGE;
	if (map_table(*free_end >> 12, frames))
		return -1;
	table = (volatile struct grant_entry_v1 *)(uintptr_t)*free_end;
	capacity = frames * ENTRIES_PER_FRAME - FIRST_REF;
	kprintf("grant: grant table v1, %lu of at most %u frames at 0x%lx\n",
		(unsigned long)frames, q.max_nr_frames,
		(unsigned long)*free_end);
	return 0;
}

int grant_share(uint64_t gpa, uint64_t pages)
{
	if (!table || pages == 0 || pages > capacity || gpa % PAGE) {
		kprintf("grant: cannot grant %lu pages at 0x%lx (room for %lu)\n",
			(unsigned long)pages, (unsigned long)gpa,
			(unsigned long)capacity);
		return -1;
	}
	/* A v1 entry's frame is 32 bits: the region is below 4 GiB anyway
	 * (start_info.c), but a gfn cut short would grant another page. */
	if ((gpa >> 12) + pages > (1ull << 32)) {
		kprintf("grant: the region's gfns do not fit a v1 entry\n");
		return -1;
	}
	for (uint64_t i = 0; i < pages; i++) {
		volatile struct grant_entry_v1 *e = &table[FIRST_REF + i];
		e->domid = DOMID_DOM0;
		e->frame = (uint32_t)((gpa >> 12) + i);
		/* Xen must never see the permission before the frame it
		 * grants: x86 keeps stores in order, the compiler must too. */
		__asm__ __volatile__("" ::: "memory");
		e->flags = GTF_permit_access | GTF_readonly;
	}
	granted = pages;
	kprintf("grant: %lu pages granted read-only to dom0, references %u to "
		"%lu\n", (unsigned long)pages, FIRST_REF,
		(unsigned long)(FIRST_REF + pages - 1));
	return 0;
}

int grant_refs_text(char *buf, size_t len)
{
	size_t o = 0;

	if (!granted || len == 0)
		return -1;
	for (uint64_t i = 0; i < granted; i++) {
		int n = ksnprintf(buf + o, len - o, i ? " %lu" : "%lu",
				  (unsigned long)(FIRST_REF + i));
		if (n < 0 || (size_t)n >= len - o)
			return -1;
		o += (size_t)n;
	}
	return 0;
}

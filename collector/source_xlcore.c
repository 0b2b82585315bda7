/*
 * source_xlcore.c - "core:PATH" when PATH is an `xl dump-core` file:
 * guest memory by gfn from the dump's .xen_pages/.xen_pfn (dumpcore.c).
 *
 * The dump leaves out pages the dumper could not map, so page index and
 * gfn differ; the region is found by its magic page by page, using each
 * page's gfn, and must be contiguous in gfn space (as the guest laid it
 * out). Its pages are copied, each found by a binary search of .xen_pfn,
 * into one private page-aligned buffer of region_size bytes: the view
 * handed to the collect loop is that copy at the region's guest-physical
 * address, so the header's self-address is checked as for a live guest,
 * and nothing depends on where the pages sit in the file. vCPU contexts
 * from .xen_prstatus ride along.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dumpcore.h"
#include "rs_decode.h"
#include "source.h"


struct xlcore {
	void *region;
	struct rs_vcpu_regs *vcpu;
};

static void xlcore_close(struct rs_source *src)
{
	struct xlcore *x = src->priv;

	if (x) {
		free(x->region);
		free(x->vcpu);
		free(x);
	}
	src->priv = NULL;
}

/*
 * Try the candidate header on page index k: copy region_size bytes of
 * gfn-consecutive pages and validate. 0 with *out (malloc'd) and *l, -1
 * with a reason in why.
 */
static int try_candidate(const struct rs_dumpcore *d, uint64_t k, void **out,
			 struct rs_layout *l, char *why, size_t whylen)
{
	const uint8_t *hdr = rs_dumpcore_page(d, k);
	uint64_t gfn = rs_dumpcore_gfn(d, k), size, npages;
	void *buf = NULL;

	memcpy(&size, hdr + offsetof(struct rs_header, region_size), sizeof(size));
	npages = size / RS_PAGE_SIZE + (size % RS_PAGE_SIZE != 0);
	if (size < RS_HEADER_SIZE || npages > RS_XEN_REGION_PAGES_MAX ||
	    npages > d->nvalid - k) {
		snprintf(why, whylen, "header at gfn 0x%llx claims a region of %llu"
			 " bytes, more than the dump holds from there",
			 (unsigned long long)gfn, (unsigned long long)size);
		return -1;
	}
	/*
	 * Cheap checks before the copy, so a dump full of pages that merely
	 * start with the magic costs one look each instead of a region copy
	 * each (quadratic in a hostile dump). The header page alone decides
	 * whether a region could start here: rs_layout_read reads only the
	 * header. And since the dump's gfns are strictly ascending
	 * (rs_dumpcore_parse checks), the region is contiguous in gfn space
	 * exactly when its last page sits npages - 1 entries after its first.
	 */
	_Static_assert(sizeof(struct rs_header) <= RS_PAGE_SIZE,
		       "the header fits the page that is looked at");
	if (rs_layout_read(hdr, (size_t)(npages * RS_PAGE_SIZE),
			   gfn * RS_PAGE_SIZE, l, why, whylen) != 0)
		return -1;
	if (rs_dumpcore_gfn(d, k + npages - 1) != gfn + npages - 1) {
		snprintf(why, whylen, "the region at gfn 0x%llx is not in the"
			 " dump whole (it must be contiguous in gfn space, up"
			 " to gfn 0x%llx)",
			 (unsigned long long)gfn,
			 (unsigned long long)(gfn + npages - 1));
		return -1;
	}
	if (posix_memalign(&buf, RS_PAGE_SIZE, (size_t)(npages * RS_PAGE_SIZE)) != 0) {
		snprintf(why, whylen, "out of memory for a %llu-page region copy",
			 (unsigned long long)npages);
		return -1;
	}
	for (uint64_t i = 0; i < npages; i++)
		memcpy((uint8_t *)buf + i * RS_PAGE_SIZE,
		       rs_dumpcore_page(d, k + i), RS_PAGE_SIZE);
	if (rs_layout_read(buf, (size_t)(npages * RS_PAGE_SIZE),
			   gfn * RS_PAGE_SIZE, l, why, whylen) != 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

int rs_source_xlcore_open(const uint8_t *file, size_t len, const char *path,
			  struct rs_source *src, char *err, size_t errlen)
{
	struct rs_dumpcore d;
	struct xlcore *x = NULL;
	struct rs_layout l;
	char why[300] = "";
	uint64_t candidates = 0;
	void *region = NULL;

	if (rs_dumpcore_parse(file, len, &d, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	/* The region is page aligned, so its magic opens a page. */
	for (uint64_t k = 0; k < d.nvalid && !region; k++) {
		uint64_t magic;
		memcpy(&magic, rs_dumpcore_page(&d, k), sizeof(magic));
		if (magic != RS_MAGIC)
			continue;
		candidates++;
		if (try_candidate(&d, k, &region, &l, why, sizeof(why)) == 0)
			break;
	}
	if (!region) {
		if (candidates)
			snprintf(err, errlen, "%s: xl dump-core: found %llu ringside"
				 " magic(s) but no valid region: %s", path,
				 (unsigned long long)candidates, why);
		else
			snprintf(err, errlen, "%s: xl dump-core: no ringside region in"
				 " %llu dumped pages", path,
				 (unsigned long long)d.nvalid);
		rs_dumpcore_free(&d);
		return -1;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "out of memory");
		free(region);
		rs_dumpcore_free(&d);
		return -1;
	}
	/* Keep the registers and the region; the file mapping may go. */
	x->region = region;
	x->vcpu = d.vcpu;
	src->base = region;
	src->len = (size_t)l.region_size;
	src->gpa = l.region_gpa;
	src->live = 0;
	src->hint_offset = 0;
	src->check_gpa = 1;
	src->vcpu = d.vcpu;
	src->nvcpu = d.nvcpu;
	src->vcpu_origin = "xl dump-core .xen_prstatus";
	src->close = xlcore_close;
	src->priv = x;
	return 0;
}

/*
 * fuzz_xlcore.c - libFuzzer target: the `xl dump-core` reader
 * (collector/dumpcore.c, source_xlcore.c).
 *
 * An xl dump-core is an ELF64 with sections instead of segments, pages
 * indexed by a sorted .xen_pfn table that may have holes and all-ones
 * padding, and vCPU contexts in .xen_prstatus; the collector
 * binary-searches that table and copies the region page by page, so a
 * lying table is the thing to try. The input is the file, copied to a
 * page-aligned buffer as the mmap in source_core.c gives it:
 *   - rs_dumpcore_is, then rs_dumpcore_parse; for a parsed dump, every
 *     valid entry must be found again by rs_dumpcore_find at its own gfn
 *     and its page must lie in the file;
 *   - rs_source_xlcore_open (what `collect core:` calls for these files)
 *     and, when it finds a region, the collect loop's read of it.
 * Seeds: the real dump of a crashed PVH guest from the Xen harness,
 * trimmed to the notes, contexts, one page of RAM and the ring.
 */
#include <stdlib.h>
#include <string.h>

#include "dumpcore.h"
#include "fuzz.h"
#include "rs_decode.h"
#include "source.h"

static void parse_bytes(const uint8_t *file, size_t size)
{
	struct rs_dumpcore d;
	char err[300];

	(void)rs_dumpcore_is(file, size);
	if (rs_dumpcore_parse(file, size, &d, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	FUZZ_CHECK(d.nvalid <= d.npages && d.npages > 0);
	FUZZ_CHECK(d.nvcpu <= RS_VCPUS_MAX);
	for (uint64_t k = 0; k < d.nvalid; k++) {
		uint64_t gfn = rs_dumpcore_gfn(&d, k);
		FUZZ_CHECK(rs_dumpcore_find(&d, gfn) == (int64_t)k);
		const uint8_t *pg = rs_dumpcore_page(&d, k);
		FUZZ_CHECK(pg >= file && pg + 4096 <= file + size);
	}
	/* Between and beyond the dumped gfns, nothing may be found. */
	if (d.nvalid) {
		uint64_t g0 = rs_dumpcore_gfn(&d, 0);
		if (g0 > 0)
			FUZZ_CHECK(rs_dumpcore_find(&d, g0 - 1) < 0);
		FUZZ_CHECK(rs_dumpcore_find(&d, rs_dumpcore_gfn(&d, d.nvalid - 1) + 1) < 0);
	}
	rs_dumpcore_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_source src = { 0 };
	char err[600];
	uint8_t *file = fuzz_aligned_copy(data, size);

	if (!file)
		return 0;
	parse_bytes(file, size);
	if (rs_source_xlcore_open(file, size, "fuzz.core", &src, err,
				  sizeof(err)) == 0) {
		/* The source keeps its own copy: the file can go first. */
		free(file);
		file = NULL;
		FUZZ_CHECK(src.base != NULL && src.check_gpa);
		fuzz_read_ring(src.base, src.len, src.gpa);
		rs_source_close(&src);
	} else {
		FUZZ_CHECK(err[0] != '\0');
	}
	free(file);
	return 0;
}

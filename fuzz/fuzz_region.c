/*
 * fuzz_region.c - libFuzzer target: region discovery, i.e. the magic scan
 * over guest RAM and the header validation behind it (rs_region_find,
 * rs_layout_read in formats/contract/rs_decode.c).
 *
 * Input: 8 bytes, little-endian, the guest-physical address of the first
 * byte of the mapping (map_gpa; real sources start at 0, at a PT_LOAD's
 * p_paddr, or mid-page), then the memory image. The scan aligns pages by
 * gpa and checks each header's self-address against where it was found,
 * so map_gpa is part of what an attacker-shaped dump controls. A found
 * region must lie inside the mapping, at a page-aligned gpa equal to the
 * one its header claims, and must validate again on its own.
 * Seeds: real guest memory (ring files, and the page before the region
 * plus the region from real QEMU and xl dumps) with their real map_gpa.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_layout l, again;
	uint64_t map_gpa;
	char err[200];

	if (size < 8)
		return 0;
	memcpy(&map_gpa, data, 8);
	data += 8;
	size -= 8;
	uint8_t *img = fuzz_aligned_copy(data, size);
	if (!img)
		return 0;
	err[0] = '\0';
	int64_t at = rs_region_find(img, size, map_gpa, &l, err, sizeof(err));
	if (at < 0) {
		FUZZ_CHECK(err[0] != '\0');
	} else {
		FUZZ_CHECK((uint64_t)at < size);
		FUZZ_CHECK(l.region_size <= size - (uint64_t)at);
		FUZZ_CHECK(l.region_gpa == map_gpa + (uint64_t)at);
		FUZZ_CHECK(l.region_gpa % RS_PAGE_SIZE == 0);
		FUZZ_CHECK(rs_layout_read(img + at, size - (size_t)at, l.region_gpa,
					  &again, err, sizeof(err)) == 0);
		FUZZ_CHECK(memcmp(&l, &again, sizeof(l)) == 0);
		for (uint32_t i = 0; i < l.ncpus; i++)
			FUZZ_CHECK(l.cpu[i].data_offset + l.cpu[i].data_size <=
				   l.region_size);
	}
	free(img);
	return 0;
}

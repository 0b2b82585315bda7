/*
 * fuzz_decode.c - libFuzzer target: the ring decoder (formats/contract/rs_decode.c)
 * over an arbitrary guest-memory image.
 *
 * The input is the region as a collector would map it: header page, then
 * the per-CPU rings. This is the code that reads memory a hung, crashed or
 * hostile guest controls, so it is the first place a lie could send the
 * host outside its mapping or into a loop. Two paths are exercised:
 *   - rs_decode_record at every 8-byte offset of the image, checking what
 *     it promises (size a multiple of 8 within what is readable, strings
 *     NUL-terminated inside RS_MAX_RECORD);
 *   - rs_layout_read + rs_status_read + rs_reader_init and several
 *     rs_reader_poll passes (fuzz_read_ring), both with any self-address
 *     (a ring file) and with the address 0 a hosted ring claims.
 * Seeds: real rings from ringside-hosted workloads and the regions cut out
 * of real QEMU and xl dumps (fuzz.mk).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rs_decode.h"

static void decode_records(const uint8_t *img, size_t size)
{
	char strbuf[RS_MAX_RECORD + 1];
	struct rs_event ev;

	for (size_t off = 0; off + 8 <= size; off += 8) {
		size_t n = rs_decode_record(img + off, size - off, &ev, strbuf);
		if (n == 0)
			continue;
		FUZZ_CHECK(n >= 8 && n % 8 == 0 && n <= size - off);
		/* PAD fills the rest of a chunk, so only it may be larger. */
		if (ev.type == RS_EV_PAD)
			continue;
		FUZZ_CHECK(n <= RS_MAX_RECORD);
		FUZZ_CHECK(ev.type != RS_EV_LOST && rs_event_nargs(ev.type) >= 0);
		if (ev.str) {
			FUZZ_CHECK(ev.str == strbuf);
			FUZZ_CHECK(strlen(ev.str) == ev.str_len);
			FUZZ_CHECK(ev.str_len < n);
		}
		/* The names the exporters print for it must exist. */
		FUZZ_CHECK(rs_event_name(ev.type) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img = fuzz_aligned_copy(data, size);

	if (!img)
		return 0;
	decode_records(img, size);
	fuzz_read_ring(img, size, RS_GPA_ANY);
	fuzz_read_ring(img, size, 0);
	free(img);
	return 0;
}

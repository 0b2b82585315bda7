/*
 * fuzz_xenrefs.c - libFuzzer target: the parser of a guest's
 * data/ringside/ring-ref (collector/xen_refs.c), the list of grant
 * references the collector maps with libxengnttab (source_xen.c).
 *
 * The input's first byte picks how many references the caller has room
 * for (as source_xen.c's array bounds it); the rest is the xenstore value,
 * which xenstore hands over as bytes that may hold a NUL. Besides "does
 * not crash or read past the text", an accepted list must be exactly
 * what was written: at most that many, all different, and printed back
 * (decimal, single spaces) it parses to the same references; a refused
 * one always says why.
 * Seeds: Mini-OS's list as the port writes it (129 references), and
 * short ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "xen_refs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t *refs, *again;
	size_t max, n = 0, n2 = 0, at = 0;
	char err[200], *text, *back;

	if (size < 1)
		return 0;
	max = (size_t)data[0] * 9 + 1;  /* 1 .. 2296: more than 4096/2 + 1 */
	text = malloc(size);
	refs = malloc(max * sizeof(*refs));
	again = malloc(max * sizeof(*again));
	back = malloc(max * 11 + 1);
	if (!text || !refs || !again || !back)
		goto out;
	/* As rs_xen_guest_key delivers it: NUL-terminated, cut at a NUL */
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	err[0] = '\0';
	if (rs_xen_parse_refs(text, refs, max, &n, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0' && n == 0);
		goto out;
	}
	FUZZ_CHECK(n >= 1 && n <= max);
	for (size_t i = 0; i < n; i++)
		at += (size_t)sprintf(back + at, "%s%u", i ? " " : "", refs[i]);
	/* printed back it is no longer than what was read (no leading zeros) */
	FUZZ_CHECK(at <= strlen(text));
	FUZZ_CHECK(rs_xen_parse_refs(back, again, max, &n2, err, sizeof(err)) == 0);
	FUZZ_CHECK(n2 == n && memcmp(refs, again, n * sizeof(*refs)) == 0);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n && n <= 512; j++)
			FUZZ_CHECK(refs[i] != refs[j]);
out:
	free(text);
	free(refs);
	free(again);
	free(back);
	return 0;
}

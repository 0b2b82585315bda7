/*
 * xen_refs.c - parsing data/ringside/ring-ref (xen_refs.h): the list a
 * guest that shares its ring by grant references writes to xenstore, and
 * the collector maps with libxengnttab (source_xen.c).
 *
 * Everything in it is the guest's word: the text is bounded before it is
 * read, every number is checked digit by digit (no strtoul, which takes
 * signs, spaces and overflow quietly), and the count is bounded by the
 * caller's array. A repeated reference is refused: mapping one page twice
 * is harmless, but it cannot be a real ring, whose pages are distinct.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen_refs.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A repeated reference, found on a sorted copy: n log n whatever the
 * guest wrote. 1 if so (and *dup), 0 if none, -1 out of memory. */
static int find_repeat(const uint32_t *refs, size_t n, uint32_t *dup)
{
	uint32_t *s = malloc(n * sizeof(*s));

	if (!s)
		return -1;
	memcpy(s, refs, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	for (size_t i = 1; i < n; i++) {
		if (s[i] == s[i - 1]) {
			*dup = s[i];
			free(s);
			return 1;
		}
	}
	free(s);
	return 0;
}

int rs_xen_parse_refs(const char *s, uint32_t *refs, size_t max, size_t *n,
		      char *err, size_t errlen)
{
	size_t len = strnlen(s, RS_XEN_REFS_TEXT_MAX + 1), count = 0, i = 0;
	uint32_t dup;

	*n = 0;
	if (len == 0) {
		snprintf(err, errlen, "ring-ref is empty");
		return -1;
	}
	if (len > RS_XEN_REFS_TEXT_MAX) {
		snprintf(err, errlen, "ring-ref is longer than xenstore's %u bytes",
			 RS_XEN_REFS_TEXT_MAX);
		return -1;
	}
	while (i < len) {
		uint64_t v = 0;
		size_t start = i;

		while (i < len && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (uint64_t)(s[i] - '0');
			if (v > UINT32_MAX) {
				snprintf(err, errlen, "ring-ref: reference %zu is"
					 " above 2^32", count);
				return -1;
			}
			i++;
		}
		if (i == start) {
			snprintf(err, errlen, "ring-ref: byte %zu is not a digit"
				 " where reference %zu should start", i, count);
			return -1;
		}
		if (count == max) {
			snprintf(err, errlen, "ring-ref: more than %zu references",
				 max);
			return -1;
		}
		refs[count++] = (uint32_t)v;
		if (i == len)
			break;
		/* exactly one space, and something after it */
		if (s[i] != ' ' || i + 1 == len) {
			snprintf(err, errlen, "ring-ref: byte %zu after reference"
				 " %zu is not a single space between numbers", i,
				 count - 1);
			return -1;
		}
		i++;
	}
	int r = find_repeat(refs, count, &dup);
	if (r != 0) {
		if (r < 0)
			snprintf(err, errlen, "out of memory");
		else
			snprintf(err, errlen, "ring-ref: reference %u is given"
				 " twice", dup);
		return -1;
	}
	*n = count;
	return 0;
}

/*
 * source.c - picks the source kind from a "kind:argument" spec, so main.c
 * and collect.c never need to know which kinds exist.
 */
#include <stdio.h>
#include <string.h>

#include "source.h"

int rs_source_open(const char *spec, struct rs_source *src, char *err,
		   size_t errlen)
{
	memset(src, 0, sizeof(*src));
	if (strncmp(spec, "file:", 5) == 0) {
		if (spec[5] == '\0') {
			snprintf(err, errlen, "file: needs a path");
			return -2;
		}
		if (rs_source_file_open(spec + 5, src, err, errlen) != 0)
			return -1;
	} else {
		snprintf(err, errlen,
			 "unknown source '%s' (expected file:PATH)", spec);
		return -2;
	}
	snprintf(src->spec, sizeof(src->spec), "%s", spec);
	return 0;
}

void rs_source_close(struct rs_source *src)
{
	if (src->close)
		src->close(src);
	memset(src, 0, sizeof(*src));
}

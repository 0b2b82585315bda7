/*
 * source.c - picks the source kind from a "kind:argument" spec, so main.c
 * and collect.c never need to know which kinds exist; plus the small
 * helpers for the registers a source may carry.
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
			return RS_SOURCE_USAGE;
		}
		int rc = rs_source_file_open(spec + 5, src, err, errlen);
		if (rc != 0)
			return rc;
	} else if (strncmp(spec, "core:", 5) == 0) {
		if (spec[5] == '\0') {
			snprintf(err, errlen, "core: needs a path");
			return RS_SOURCE_USAGE;
		}
		int rc = rs_source_core_open(spec + 5, src, err, errlen);
		if (rc != 0)
			return rc;
	} else {
		snprintf(err, errlen,
			 "unknown source '%s' (expected file:PATH, core:PATH or"
			 " xen:DOMAIN)",
			 spec);
		return RS_SOURCE_USAGE;
	}
	snprintf(src->spec, sizeof(src->spec), "%s", spec);
	return 0;
}

void rs_vcpu_regs_add(struct rs_vcpu_regs *r, const char *name, uint64_t v)
{
	if (r->n >= RS_VCPU_REGS_MAX)
		return;
	snprintf(r->reg[r->n].name, sizeof(r->reg[r->n].name), "%s", name);
	r->reg[r->n].value = v;
	r->n++;
}

int rs_vcpu_regs_get(const struct rs_vcpu_regs *r, const char *name,
		     uint64_t *v)
{
	for (unsigned i = 0; i < r->n && i < RS_VCPU_REGS_MAX; i++)
		if (strcmp(r->reg[i].name, name) == 0) {
			*v = r->reg[i].value;
			return 0;
		}
	return -1;
}

void rs_source_close(struct rs_source *src)
{
	if (src->close)
		src->close(src);
	memset(src, 0, sizeof(*src));
}

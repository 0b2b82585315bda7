/*
 * import_internal.h - what the importers share (import_common.c): turning
 * one foreign event into a ringside record that the one decoder accepts,
 * and handing it to the sink. Private to formats/interchange/import_*.c.
 */
#ifndef RS_IMPORT_INTERNAL_H
#define RS_IMPORT_INTERNAL_H

#include "import.h"

struct rs_imp {
	const struct rs_import_sink *sink;   /* NULL: count only */
	struct rs_import_stats *st;
	char *err;
	size_t errlen;
	uint64_t seq[RS_MAX_CPUS];
	/* A gap waits for the first event after it (its to_ns). */
	int gap_pending[RS_MAX_CPUS];
	struct rs_import_gap gap[RS_MAX_CPUS];
	char gap_what[RS_MAX_CPUS][160];
	int64_t last_ns[RS_MAX_CPUS];        /* -1: no event yet */
	uint8_t rec[RS_MAX_RECORD];
	char strbuf[RS_MAX_RECORD + 1];
};

void rs_imp_init(struct rs_imp *im, const struct rs_import_sink *sink,
		 struct rs_import_stats *st, char *err, size_t errlen);

/* One line into im->err; returns -1. */
int rs_imp_fail(struct rs_imp *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Emit one record of `type` on `cpu` at `ns`, with arguments a, b, c (as
 * many as the type has) and, for a type with a string, `str` of `len`
 * bytes (cut at a NUL, and to what fits in RS_MAX_RECORD, as a guest's
 * writer cuts it). Returns 0, or -1 (err set) if the sink refused.
 */
int rs_imp_emit(struct rs_imp *im, uint16_t cpu, uint64_t ns, uint16_t type,
		uint32_t ctx, uint64_t a, uint64_t b, uint64_t c,
		const char *str, size_t len);

/* A loss of unknown size on `cpu` after the events emitted so far; its
 * end is the next event's time. `what` is copied. */
void rs_imp_gap(struct rs_imp *im, uint16_t cpu, const char *what);
/* Hand over gaps still waiting (at the end: no event after them). */
int rs_imp_finish(struct rs_imp *im);

/* FNV-1a, 64 bits, continued from h (start with RS_IMP_HASH0). */
#define RS_IMP_HASH0 0xcbf29ce484222325ull
uint64_t rs_imp_hash(uint64_t h, const uint8_t *p, size_t n);

/* A regular file's bytes (malloc'd; *len may be 0). -1 with a reason. */
int rs_imp_read_file(const char *path, uint8_t **buf, size_t *len,
		     char *err, size_t errlen);

static inline uint64_t rs_imp_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}
static inline uint32_t rs_imp_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static inline uint16_t rs_imp_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

#endif

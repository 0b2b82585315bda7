/*
 * import_common.c - the importers' one way into ringside's events: a
 * foreign event becomes a record in the ring's wire format (RING.md),
 * which the one decoder then reads back, so an imported record is
 * exactly what a guest could have written and the store keeps it
 * verbatim like any other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import_internal.h"

void rs_imp_init(struct rs_imp *im, const struct rs_import_sink *sink,
		 struct rs_import_stats *st, char *err, size_t errlen)
{
	memset(im, 0, sizeof(*im));
	im->sink = sink;
	im->st = st;
	im->err = err;
	im->errlen = errlen;
	for (unsigned c = 0; c < RS_MAX_CPUS; c++)
		im->last_ns[c] = -1;
	if (errlen)
		err[0] = '\0';
}

int rs_imp_fail(struct rs_imp *im, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(im->err, im->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int flush_gap(struct rs_imp *im, uint16_t cpu, int64_t to_ns)
{
	if (!im->gap_pending[cpu])
		return 0;
	im->gap_pending[cpu] = 0;
	im->gap[cpu].to_ns = to_ns;
	im->st->gaps++;
	if (im->sink && im->sink->gap &&
	    im->sink->gap(im->sink->opaque, &im->gap[cpu]) != 0)
		return rs_imp_fail(im, "storing a gap failed");
	return 0;
}

int rs_imp_emit(struct rs_imp *im, uint16_t cpu, uint64_t ns, uint16_t type,
		uint32_t ctx, uint64_t a, uint64_t b, uint64_t c,
		const char *str, size_t len)
{
	const int nargs = rs_event_nargs(type);
	if (cpu >= RS_MAX_CPUS || nargs < 0 || type == RS_EV_LOST)
		return rs_imp_fail(im, "internal: cannot emit type %u on cpu %u",
				   type, cpu);
	size_t size = RS_RECORD_HDR + 8u * (unsigned)nargs;
	const uint64_t args[3] = { a, b, c };
	uint8_t *r = im->rec;
	for (int i = 0; i < nargs; i++)
		put64(r + RS_RECORD_HDR + 8 * i, args[i]);
	if (rs_event_has_str(type) == 1) {
		const char *nul = str ? memchr(str, 0, len) : NULL;
		size_t n = str ? (nul ? (size_t)(nul - str) : len) : 0;
		/* Room for the string and at least one NUL, as the writer cuts. */
		if (n > RS_MAX_RECORD - size - 1)
			n = RS_MAX_RECORD - size - 1;
		const size_t padded = (n + 1 + 7) & ~(size_t)7;
		memset(r + size, 0, padded);
		if (n)
			memcpy(r + size, str, n);
		size += padded;
	}
	put64(r, (uint64_t)type | (uint64_t)size << 16 | (uint64_t)ctx << 32);
	put64(r + 8, ns);

	struct rs_event ev;
	if (rs_decode_record(r, size, &ev, im->strbuf) != size)
		return rs_imp_fail(im, "internal: record of type %u does not"
				   " decode", type);
	ev.cpu = cpu;
	ev.seq = im->seq[cpu]++;
	if (flush_gap(im, cpu, (int64_t)ns) != 0)
		return -1;
	struct rs_import_stats *st = im->st;
	st->events++;
	st->by_type[type]++;
	if (!st->has_ts || (int64_t)ns < st->first_ns)
		st->first_ns = (int64_t)ns;
	if (!st->has_ts || (int64_t)ns > st->last_ns)
		st->last_ns = (int64_t)ns;
	st->has_ts = 1;
	if (cpu + 1u > st->ncpus)
		st->ncpus = cpu + 1u;
	im->last_ns[cpu] = (int64_t)ns;
	if (im->sink && im->sink->event(im->sink->opaque, &ev) != 0)
		return rs_imp_fail(im, "storing an event failed");
	return 0;
}

void rs_imp_gap(struct rs_imp *im, uint16_t cpu, const char *what)
{
	if (cpu >= RS_MAX_CPUS)
		return;
	/* Two gaps with no event between are one gap. */
	if (im->gap_pending[cpu])
		return;
	im->gap_pending[cpu] = 1;
	snprintf(im->gap_what[cpu], sizeof(im->gap_what[cpu]), "%s", what);
	im->gap[cpu] = (struct rs_import_gap){
		.cpu = cpu, .from_ns = im->last_ns[cpu], .to_ns = -1,
		.what = im->gap_what[cpu],
	};
	if (cpu + 1u > im->st->ncpus)
		im->st->ncpus = cpu + 1u;
}

int rs_imp_finish(struct rs_imp *im)
{
	for (uint16_t c = 0; c < RS_MAX_CPUS; c++)
		if (flush_gap(im, c, -1) != 0)
			return -1;
	return 0;
}

uint64_t rs_imp_hash(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

int rs_imp_read_file(const char *path, uint8_t **buf, size_t *len,
		     char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	size_t size = (size_t)sb.st_size;
	uint8_t *b = malloc(size ? size : 1);
	if (!b) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, b + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", path,
				 n < 0 ? strerror(errno) : "shrank while read");
			free(b);
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	*buf = b;
	*len = size;
	return 0;
}

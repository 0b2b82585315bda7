/*
 * rs_chunk.c - packing runs of ring records into zstd frames and decoding
 * them back through the one record decoder (see rs_chunk.h).
 */
#include "rs_chunk.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

/* Level 1: ~40 M records/s to compress here, within a few percent of the
 * ratio of level 3 on ring records (bench/README.md). */
#define PACK_LEVEL 1

struct rs_chunk_reader {
	ZSTD_DCtx *dctx;
	uint8_t *raw;             /* RS_CHUNK_MAX_RAW bytes */
	char strbuf[RS_MAX_RECORD + 1];
	char err[160];
};

int rs_chunk_pack(const uint8_t *raw, size_t len, void **out, size_t *outlen)
{
	assert(out && outlen && (raw || len == 0));
	if (len > RS_CHUNK_MAX_RAW)
		return -1;
	size_t cap = ZSTD_compressBound(len);
	void *buf = malloc(cap);
	if (!buf)
		return -1;
	size_t n = ZSTD_compress(buf, cap, raw, len, PACK_LEVEL);
	if (ZSTD_isError(n)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

struct rs_chunk_reader *rs_chunk_reader_new(void)
{
	struct rs_chunk_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->dctx = ZSTD_createDCtx();
	r->raw = malloc(RS_CHUNK_MAX_RAW);
	if (!r->dctx || !r->raw) {
		rs_chunk_reader_free(r);
		return NULL;
	}
	return r;
}

void rs_chunk_reader_free(struct rs_chunk_reader *r)
{
	if (!r)
		return;
	ZSTD_freeDCtx(r->dctx);
	free(r->raw);
	free(r);
}

const char *rs_chunk_reader_error(const struct rs_chunk_reader *r)
{
	return r->err;
}

static const uint8_t *corrupt(struct rs_chunk_reader *r,
			      const struct rs_chunk *c, const char *why)
{
	snprintf(r->err, sizeof(r->err),
		 "corrupt chunk (cpu %u, records from %llu): %s", c->cpu,
		 (unsigned long long)c->first_seq, why);
	return NULL;
}

const uint8_t *rs_chunk_unpack(struct rs_chunk_reader *r,
			       const struct rs_chunk *c)
{
	assert(r && c);
	if (c->raw_size > RS_CHUNK_MAX_RAW)
		return corrupt(r, c, "declared size over the limit");
	/* The smallest record is 8 bytes: a count the bytes cannot hold is a
	 * lie, and checking it here keeps seq arithmetic below from wrapping. */
	if (c->count == 0 || c->count > c->raw_size / RS_PAD_MIN)
		return corrupt(r, c, "record count does not fit its size");
	if (c->first_seq > UINT64_MAX - c->count)
		return corrupt(r, c, "record numbers overflow");
	if (!c->blob && c->blob_len)
		return corrupt(r, c, "no data");
	unsigned long long framed = ZSTD_getFrameContentSize(c->blob,
							     c->blob_len);
	if (framed != c->raw_size)
		return corrupt(r, c, "frame size differs from the row's");
	size_t n = ZSTD_decompressDCtx(r->dctx, r->raw, RS_CHUNK_MAX_RAW,
				       c->blob, c->blob_len);
	if (ZSTD_isError(n) || n != c->raw_size)
		return corrupt(r, c, ZSTD_isError(n) ? ZSTD_getErrorName(n)
			       : "short frame");
	return r->raw;
}

int rs_chunk_next(struct rs_chunk_reader *r, const struct rs_chunk *c,
		  const uint8_t *raw, size_t *off, uint64_t *index,
		  struct rs_event *ev)
{
	assert(r && c && raw && off && index && ev);
	/* The caller walks one unpacked chunk: off never passes its end. */
	assert(*off <= c->raw_size);
	if (*off >= c->raw_size) {
		if (*index != c->count) {
			corrupt(r, c, "fewer records than the row says");
			return RS_CHUNK_CORRUPT;
		}
		return 0;
	}
	size_t sz = rs_decode_record(raw + *off, c->raw_size - *off, ev,
				     r->strbuf);
	/* Writers store only records the reader accepted, never PAD. */
	if (sz == 0 || ev->type == RS_EV_PAD) {
		corrupt(r, c, "not a valid record");
		return RS_CHUNK_CORRUPT;
	}
	if (*index == c->count) {
		corrupt(r, c, "more records than the row says");
		return RS_CHUNK_CORRUPT;
	}
	ev->cpu = c->cpu;
	ev->seq = c->first_seq + (*index)++;
	*off += sz;
	return 1;
}

int rs_chunk_decode(struct rs_chunk_reader *r, const struct rs_chunk *c,
		    rs_event_cb cb, void *opaque)
{
	assert(r && c && cb);
	const uint8_t *raw = rs_chunk_unpack(r, c);
	if (!raw)
		return RS_CHUNK_CORRUPT;

	size_t off = 0;
	uint64_t i = 0;
	struct rs_event ev;
	int got;
	while ((got = rs_chunk_next(r, c, raw, &off, &i, &ev)) == 1) {
		int rc = cb(opaque, &ev);
		if (rc)
			return rc;
	}
	return got;
}

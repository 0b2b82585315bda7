/*
 * rs_chunk.h - how a trace database keeps events: runs of ring records,
 * verbatim, compressed.
 *
 * The collector stores what the guest wrote, byte for byte, in chunks: a
 * chunk is consecutive records of one CPU (record numbers first_seq ..
 * first_seq + count - 1), concatenated as they sat in the ring and
 * compressed as one zstd frame. Reading a chunk back decompresses it and
 * hands every record to rs_decode_record(), the same function the ring
 * reader validates guest memory with, so there is still exactly one
 * decoder of records (formats/contract/RING.md) and no second event encoding.
 *
 * Why not one row per event: a row costs SQLite ~0.5-1 us and ~40-60
 * bytes; the guest writes 32-40 byte records at millions per second.
 * Records compress about 8x (timestamps and ids move slowly), so a chunk
 * costs ~4 bytes and ~50 ns per event to store. SCHEMA.md shows how SQL
 * still sees rows.
 *
 * A database is as hostile as guest memory (anyone can hand us a file):
 * rs_chunk_decode checks the declared sizes before allocating, the frame's
 * own size against the declared one, and that the records fill the chunk
 * exactly and number `count`.
 */
#ifndef RS_CHUNK_H
#define RS_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "rs_decode.h"

/* A writer closes a chunk once it holds this many bytes of records: big
 * enough that zstd sees repetition, small enough that a reader wanting a
 * time window decompresses little it does not need. */
#define RS_CHUNK_TARGET   (64u << 10)
/* No stored chunk may be larger (readers allocate this much scratch). */
#define RS_CHUNK_MAX_RAW  (1u << 20)

/* A stored chunk, as read from the chunks table. */
struct rs_chunk {
	uint16_t cpu;
	uint64_t first_seq;
	uint64_t count;
	uint64_t raw_size;       /* bytes of records once decompressed */
	const void *blob;        /* the zstd frame */
	size_t blob_len;
};

/* Compress `len` (<= RS_CHUNK_MAX_RAW) bytes of records. On success sets
 * *out to a malloc'd blob of *outlen bytes and returns 0; -1 otherwise. */
int rs_chunk_pack(const uint8_t *raw, size_t len, void **out, size_t *outlen);

/* Reusable decoding state: one per thread. */
struct rs_chunk_reader;
struct rs_chunk_reader *rs_chunk_reader_new(void);
void rs_chunk_reader_free(struct rs_chunk_reader *r);
/* Why the last decode returned RS_CHUNK_CORRUPT. */
const char *rs_chunk_reader_error(const struct rs_chunk_reader *r);

/* Decompress a stored chunk into the reader's scratch, exactly; returns
 * the raw bytes (valid until the next call) or NULL if corrupt. */
const uint8_t *rs_chunk_unpack(struct rs_chunk_reader *r,
			       const struct rs_chunk *c);

#define RS_CHUNK_CORRUPT (-0x7c0)

/*
 * Walk an unpacked chunk one record at a time (for cursors that cannot
 * take a callback, like the SQL module): decode the record at *off of
 * `raw` (from rs_chunk_unpack) as record number *index, with cpu and seq
 * filled in, and advance both. Returns 1 with *ev (its string lives in the
 * reader until its next call), 0 after the last record, or
 * RS_CHUNK_CORRUPT if the chunk is not what its row says.
 */
int rs_chunk_next(struct rs_chunk_reader *r, const struct rs_chunk *c,
		  const uint8_t *raw, size_t *off, uint64_t *index,
		  struct rs_event *ev);

/*
 * Deliver every record of `c` to `cb`, with cpu and seq filled in, in
 * record order. Returns 0; the callback's value if it returned non-zero
 * (delivery stops); or RS_CHUNK_CORRUPT if the chunk is not what its row
 * says (reason in rs_chunk_reader_error), in which case records already
 * delivered were nonetheless valid records.
 */
int rs_chunk_decode(struct rs_chunk_reader *r, const struct rs_chunk *c,
		    rs_event_cb cb, void *opaque);

#endif /* RS_CHUNK_H */

/*
 * import.h - other tracers' files read into ringside's events: a
 * mirage-profile CTF ring (import_mirage.c) and the Fuchsia trace format
 * (import_fxt.c).
 *
 * An importer never writes SQL. It turns each foreign event into a
 * ringside record (the ring's own wire format, checked by the one
 * decoder, rs_decode_record) and hands it to a sink; the collector's
 * `ringside import` stores what the sink receives through the store's
 * ingest path, exactly as a collect stores a ring. So an imported trace
 * is an ordinary trace for info, report, export and the viewer.
 *
 * Clock: every imported trace has tsc_hz = 1e9 and boot_tsc = 0, so a
 * record's tsc is its time in ns, and ts_ns is the foreign file's own
 * time (mirage-profile: the guest's monotonic clock; FXT: ticks scaled by
 * the initialization record).
 *
 * Input is hostile: every size, offset and reference is checked against
 * the buffer before it is used, and bad input ends the import with one
 * line in `err` (the caller prints it) and no event after it.
 */
#ifndef RS_IMPORT_H
#define RS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "rs_decode.h"

/* Events lost in numbers nobody can know (a mirage ring's overwritten
 * packets): a gap with no count, between two times when they are known. */
struct rs_import_gap {
	uint16_t cpu;
	int64_t from_ns;      /* last event before the gap; -1: none */
	int64_t to_ns;        /* first event after it; -1: none */
	const char *what;     /* one line: why and how much is known */
};

/* Where imported events go. `event` gets every record in order per CPU
 * (ev->seq counts from 0 per CPU); a non-zero return stops the import. */
struct rs_import_sink {
	int (*event)(void *opaque, const struct rs_event *ev);
	int (*gap)(void *opaque, const struct rs_import_gap *g);
	void *opaque;
};

#define RS_IMPORT_MAX_OPS 16

/* What an import read and made of it. */
struct rs_import_stats {
	uint64_t bytes;                 /* input size */
	uint64_t hash;                  /* FNV-1a of the input: the trace's nonce */
	unsigned ncpus;                 /* CPUs (streams) the events are on */
	uint64_t events;                /* records handed to the sink */
	uint64_t by_type[RS_EV_TYPE_LIMIT];
	/* The foreign file's own events, by its kind (mirage: op 0-11;
	 * fxt: record type 0-15), before mapping. */
	uint64_t source_ops[RS_IMPORT_MAX_OPS];
	uint64_t skipped;               /* records of unknown kind, skipped */
	/* fxt: records of ringside's own export that restate others (runs,
	 * CPUs' occupants, pseudo-threads), not imported */
	uint64_t derived;
	uint64_t gaps;                  /* losses of unknown size */
	uint64_t packets;               /* mirage: packets with events */
	uint64_t ticks_per_second;      /* fxt: from its initialization record */
	int has_ts;
	int64_t first_ns, last_ns;
};

/* mirage-profile. `path` is the raw ring file (packets, no metadata) or a
 * directory holding `metadata` and one or more stream files (one CPU
 * each, in name order). Returns 0, or -1 with a one-line reason. The
 * sink may be NULL (a check pass that only counts). */
int rs_import_mirage(const char *path, const struct rs_import_sink *sink,
		     struct rs_import_stats *st, char *err, size_t errlen);
/* One stream (a ring file's bytes) as CPU 0. */
int rs_import_mirage_mem(const uint8_t *buf, size_t len,
			 const struct rs_import_sink *sink,
			 struct rs_import_stats *st, char *err, size_t errlen);

/* The Fuchsia trace format, from a file or from memory. */
int rs_import_fxt(const char *path, const struct rs_import_sink *sink,
		  struct rs_import_stats *st, char *err, size_t errlen);
int rs_import_fxt_mem(const uint8_t *buf, size_t len,
		      const struct rs_import_sink *sink,
		      struct rs_import_stats *st, char *err, size_t errlen);

/* Names of a mirage op (0-11) and an FXT record type, for summaries. */
const char *rs_import_mirage_op_name(unsigned op);
const char *rs_import_fxt_record_name(unsigned type);

#endif

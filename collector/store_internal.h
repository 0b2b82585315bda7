/*
 * store_internal.h - the store's private state, shared by the store_*.c
 * files (opening, ingest, summaries) and nothing else.
 */
#ifndef RS_COLLECTOR_STORE_INTERNAL_H
#define RS_COLLECTOR_STORE_INTERNAL_H

#include <sqlite3.h>

#include "rs_u64map.h"
#include "store.h"

/* Generated from formats/store/schema.sql by collector.mk. */
extern const char rs_schema_sql[];

/* Prepared once per store: the ingest path runs them per batch. */
enum rs_stmt {
	ST_CHUNK_INSERT, ST_CHUNK_EXTEND, ST_CHUNK_READ, ST_CHUNK_TAIL,
	ST_LOST, ST_THREAD_CREATE, ST_THREAD_EXIT, ST_PROMISE, ST_TYPE_COUNT,
	ST_COUNT
};

/* One CPU's records since its last chunk was written (store_ingest.c). */
struct rs_open_chunk {
	uint8_t *raw;               /* 2 * RS_CHUNK_TARGET bytes, or NULL */
	size_t len;
	uint64_t first_seq, count;
	int64_t min_ns, max_ns;
};

/* One CPU's last stored chunk, and the dedup line. */
struct rs_chunk_tail {
	int64_t rowid;              /* 0: the CPU has no chunk yet */
	uint64_t first_seq, count, raw_size;
	int64_t min_ns, max_ns;
	uint64_t next_seq;          /* records below this are stored */
};

/* Promise rows changed by the batch: the deltas, and by id their index. */
struct promise_delta;
struct rs_promise_map {
	struct rs_u64map index;     /* promise id -> index in delta */
	struct promise_delta *delta;
	size_t n, cap;
};

struct rs_chunk_reader;

struct rs_store {
	sqlite3 *db;
	int writable;
	int lock_fd;                /* writable: holds the collector's flock */
	int in_txn;
	int64_t trace_id;           /* current trace, 0 before trace_begin */
	struct rs_layout layout;    /* current trace's clock, for ts_ns */
	sqlite3_stmt *stmt[ST_COUNT];
	struct rs_store_counts counts;
	/* the batch being ingested (store_ingest.c) */
	struct rs_open_chunk open[RS_MAX_CPUS];
	struct rs_chunk_tail tail[RS_MAX_CPUS];
	int tails_loaded;
	struct rs_promise_map promises;
	uint64_t type_count[RS_EV_TYPE_LIMIT];
	struct rs_chunk_reader *chunk_reader;
	char state[16];
	char err[320];
};

/* One integer from a one-row query (?1 bound to trace_id if the query
 * has a parameter); 0 for NULL or no row. 0, or -1 with st->err set. */
int rs_store_scalar(struct rs_store *st, const char *sql, int64_t trace_id,
		    int64_t *out);
/* Does `table` have `column`? (Older version 2 files lack some.) */
int rs_store_has_column(struct rs_store *st, const char *table,
			const char *column);
/* Set st->err from the connection's last error, prefixed. Returns -1. */
int rs_store_fail(struct rs_store *st, const char *what);
/* Prepare the ingest statements (after the schema exists). */
int rs_store_prepare_ingest(struct rs_store *st);
void rs_store_finalize_ingest(struct rs_store *st);
/* Batch edges: begin loads the per-CPU tails if needed; flush writes what
 * the batch holds (before COMMIT); reset forgets it (after ROLLBACK, or a
 * new trace) and makes the next begin reload the tails. */
int rs_store_ingest_begin(struct rs_store *st);
int rs_store_ingest_flush(struct rs_store *st);
void rs_store_ingest_reset(struct rs_store *st);

/* Guest u64s are stored bit for bit in SQLite's signed INTEGER. */
static inline sqlite3_int64 rs_i64(uint64_t v)
{
	return (sqlite3_int64)v;
}

#endif /* RS_COLLECTOR_STORE_INTERNAL_H */

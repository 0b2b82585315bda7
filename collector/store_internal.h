/*
 * store_internal.h - the store's private state, shared by the store_*.c
 * files (opening, ingest, summaries) and nothing else.
 */
#ifndef RS_COLLECTOR_STORE_INTERNAL_H
#define RS_COLLECTOR_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

/* Generated from formats/schema.sql by collector.mk. */
extern const char rs_schema_sql[];

/* Prepared once per store: the ingest path runs them per event. */
enum rs_stmt {
	ST_EVENT, ST_LOST, ST_THREAD_CREATE, ST_THREAD_EXIT,
	ST_PROMISE_CREATE, ST_PROMISE_END, ST_PROMISE_FAIL, ST_PROMISE_LABEL,
	ST_COUNTER, ST_COUNT
};

struct rs_store {
	sqlite3 *db;
	int writable;
	int in_txn;
	int64_t trace_id;           /* current trace, 0 before trace_begin */
	struct rs_layout layout;    /* current trace's clock, for ts_ns */
	sqlite3_stmt *stmt[ST_COUNT];
	struct rs_store_counts counts;
	char state[16];
	char err[320];
};

/* Set st->err from the connection's last error, prefixed. Returns -1. */
int rs_store_fail(struct rs_store *st, const char *what);
/* Prepare the ingest statements (after the schema exists). */
int rs_store_prepare_ingest(struct rs_store *st);
void rs_store_finalize_ingest(struct rs_store *st);

/* Guest u64s are stored bit for bit in SQLite's signed INTEGER. */
static inline sqlite3_int64 rs_i64(uint64_t v)
{
	return (sqlite3_int64)v;
}

#endif /* RS_COLLECTOR_STORE_INTERNAL_H */

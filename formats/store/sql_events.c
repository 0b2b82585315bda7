/*
 * sql_events.c - rs_events, the virtual table module that lets SQL see
 * the stored records as rows (the `events` table in schema.sql).
 *
 * Events are kept as compressed runs of raw records (rs_chunk.h), which
 * plain SQL cannot read. This module walks the chunks table and decodes
 * each chunk with rs_chunk_unpack + rs_decode_record, the one decoder, so
 * `SELECT ... FROM events` works in every ringside tool (they call
 * rs_sql_register) and in the sqlite3 shell (`.load
 * build/lib/libringside_sqlite`, built from this same file with
 * RS_SQLITE_LOADABLE).
 *
 * Constraints on trace_id and cpu (=), seq and ts_ns (ranges) are pushed
 * down to the chunks query, so a narrow query decodes only the chunks it
 * can touch. Rows come out ordered by (trace_id, cpu, seq), which the
 * planner is told so it can skip a sort.
 */
#ifdef RS_SQLITE_LOADABLE
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#else
#include <sqlite3.h>
#endif

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rs_chunk.h"
#include "sql_events.h"

enum col { C_TRACE, C_CPU, C_SEQ, C_TS, C_TYPE, C_CTX, C_A, C_B, C_C, C_STR };

/* Pushed-down bounds, in the order their values reach xFilter. */
enum slot { S_TRACE, S_CPU, S_SEQ_LO, S_SEQ_HI, S_TS_LO, S_TS_HI, S_COUNT };

/* idxNum layout: bit s = slot s used; bit 8+s = strict (> or <);
 * bit 16+s = equality (the lo slot also bounds hi). */
#define USED(s)   (1 << (s))
#define STRICT(s) (1 << (8 + (s)))
#define EQ(s)     (1 << (16 + (s)))

struct ev_vtab {
	sqlite3_vtab base;
	sqlite3 *db;           /* the connection the chunks are read through */
	char *schema;          /* "main", or the attached database it lives in */
};

struct ev_cursor {
	sqlite3_vtab_cursor base;
	sqlite3 *db;
	sqlite3_stmt *chunks;         /* the chunks still to read */
	struct rs_chunk_reader *rd;
	int64_t seq_lo, seq_hi, ts_lo, ts_hi;
	/* the chunk being walked */
	int64_t trace_id;
	struct rs_chunk chunk;
	struct rs_layout clock;       /* only tsc_hz and boot_tsc are used */
	const uint8_t *raw;
	size_t off;
	uint64_t index;               /* record number within the chunk */
	/* the current row; its string lives in the chunk reader */
	struct rs_event ev;
	int64_t ts;
	int eof;
};

static int ev_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **err)
{
	(void)aux; (void)err;
	int rc = sqlite3_declare_vtab(db,
		"CREATE TABLE x(trace_id INTEGER, cpu INTEGER, seq INTEGER,"
		" ts_ns INTEGER, type INTEGER, ctx INTEGER, a INTEGER,"
		" b INTEGER, c INTEGER, str TEXT)");
	if (rc != SQLITE_OK)
		return rc;
	struct ev_vtab *v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->db = db;
	/* argv[1] is the database the table is declared in: an `events`
	 * table in an ATTACHed file reads that file's chunks. */
	v->schema = sqlite3_mprintf("%s", argc > 1 ? argv[1] : "main");
	if (!v->schema) {
		sqlite3_free(v);
		return SQLITE_NOMEM;
	}
	*out = &v->base;
	return SQLITE_OK;
}

static int ev_disconnect(sqlite3_vtab *base)
{
	struct ev_vtab *v = (struct ev_vtab *)base;
	sqlite3_free(v->schema);
	sqlite3_free(v);
	return SQLITE_OK;
}

static int slot_for(int col, int op, int *strict, int *eq)
{
	*strict = op == SQLITE_INDEX_CONSTRAINT_GT ||
		  op == SQLITE_INDEX_CONSTRAINT_LT;
	*eq = op == SQLITE_INDEX_CONSTRAINT_EQ;
	const int lo = op == SQLITE_INDEX_CONSTRAINT_GT ||
		       op == SQLITE_INDEX_CONSTRAINT_GE || *eq;
	const int hi = op == SQLITE_INDEX_CONSTRAINT_LT ||
		       op == SQLITE_INDEX_CONSTRAINT_LE;
	switch (col) {
	case C_TRACE: return *eq ? S_TRACE : -1;
	case C_CPU:   return *eq ? S_CPU : -1;
	case C_SEQ:   return lo ? S_SEQ_LO : hi ? S_SEQ_HI : -1;
	case C_TS:    return lo ? S_TS_LO : hi ? S_TS_HI : -1;
	default:      return -1;
	}
}

static int ev_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	int which[S_COUNT];
	int idx = 0;
	double cost = 1e7;

	(void)v;
	for (int s = 0; s < S_COUNT; s++)
		which[s] = -1;
	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int strict, eq;
		int s = c->usable ? slot_for(c->iColumn, c->op, &strict, &eq) : -1;
		if (s < 0 || which[s] >= 0)
			continue;
		which[s] = i;
		idx |= USED(s) | (strict ? STRICT(s) : 0) | (eq ? EQ(s) : 0);
		cost /= s == S_TRACE ? 2 : s == S_CPU ? 4 : eq ? 1000 : 8;
	}
	int arg = 1;
	for (int s = 0; s < S_COUNT; s++)
		if (which[s] >= 0)
			info->aConstraintUsage[which[s]].argvIndex = arg++;
	info->idxNum = idx;
	info->estimatedCost = cost;
	info->estimatedRows = (sqlite3_int64)cost;

	/* Rows come out by (trace_id, cpu, seq): any ascending prefix of that
	 * needs no sort. */
	int consumed = info->nOrderBy > 0 && info->nOrderBy <= 3;
	for (int i = 0; consumed && i < info->nOrderBy; i++)
		consumed = info->aOrderBy[i].iColumn == i && !info->aOrderBy[i].desc;
	info->orderByConsumed = consumed;
	return SQLITE_OK;
}

static int ev_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	struct ev_cursor *c = sqlite3_malloc(sizeof(*c));
	(void)v;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->rd = rs_chunk_reader_new();
	if (!c->rd) {
		sqlite3_free(c);
		return SQLITE_NOMEM;
	}
	*out = &c->base;
	return SQLITE_OK;
}

static int ev_close(sqlite3_vtab_cursor *cur)
{
	struct ev_cursor *c = (struct ev_cursor *)cur;
	sqlite3_finalize(c->chunks);
	rs_chunk_reader_free(c->rd);
	sqlite3_free(c);
	return SQLITE_OK;
}

static int vtab_error(sqlite3_vtab_cursor *cur, const char *msg)
{
	sqlite3_free(cur->pVtab->zErrMsg);
	cur->pVtab->zErrMsg = sqlite3_mprintf("%s", msg);
	return SQLITE_CORRUPT;
}

/* Load the next chunk row; sets eof when there is none. */
static int next_chunk(struct ev_cursor *c)
{
	int rc = sqlite3_step(c->chunks);
	if (rc == SQLITE_DONE) {
		c->eof = 1;
		return SQLITE_OK;
	}
	if (rc != SQLITE_ROW)
		return vtab_error(&c->base, sqlite3_errmsg(c->db));
	sqlite3_stmt *s = c->chunks;
	c->trace_id = sqlite3_column_int64(s, 0);
	c->chunk.cpu = (uint16_t)sqlite3_column_int64(s, 1);
	c->chunk.first_seq = (uint64_t)sqlite3_column_int64(s, 2);
	c->chunk.count = (uint64_t)sqlite3_column_int64(s, 3);
	c->chunk.raw_size = (uint64_t)sqlite3_column_int64(s, 4);
	c->chunk.blob = sqlite3_column_blob(s, 5);
	c->chunk.blob_len = (size_t)sqlite3_column_bytes(s, 5);
	c->clock.tsc_hz = (uint64_t)sqlite3_column_int64(s, 6);
	c->clock.boot_tsc = (uint64_t)sqlite3_column_int64(s, 7);
	if (sqlite3_column_int64(s, 1) < 0 ||
	    sqlite3_column_int64(s, 1) >= RS_MAX_CPUS)
		return vtab_error(&c->base, "chunk with an impossible cpu");
	c->raw = rs_chunk_unpack(c->rd, &c->chunk);
	if (!c->raw)
		return vtab_error(&c->base, rs_chunk_reader_error(c->rd));
	c->off = 0;
	c->index = 0;
	return SQLITE_OK;
}

/* Advance to the next record inside the bounds, across chunks. */
static int advance(struct ev_cursor *c)
{
	while (!c->eof) {
		int got = c->raw ? rs_chunk_next(c->rd, &c->chunk, c->raw,
						 &c->off, &c->index, &c->ev)
				 : 0;
		if (got == RS_CHUNK_CORRUPT)
			return vtab_error(&c->base, rs_chunk_reader_error(c->rd));
		if (got == 0) {
			int rc = next_chunk(c);
			if (rc != SQLITE_OK)
				return rc;
			continue;
		}
		const int64_t seq = (int64_t)c->ev.seq;
		if (seq < c->seq_lo || seq > c->seq_hi)
			continue;
		c->ts = (int64_t)rs_tsc_to_ns(&c->clock, c->ev.tsc);
		if (c->ts < c->ts_lo || c->ts > c->ts_hi)
			continue;
		return SQLITE_OK;
	}
	return SQLITE_OK;
}

static int ev_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxstr,
		     int argc, sqlite3_value **argv)
{
	struct ev_cursor *c = (struct ev_cursor *)cur;
	sqlite3_value *val[S_COUNT] = { 0 };
	int64_t bound[S_COUNT];

	(void)idxstr;
	for (int s = 0, a = 0; s < S_COUNT; s++) {
		if (!(idx & USED(s)) || a >= argc)
			continue;
		val[s] = argv[a++];
	}
	/* A NULL or non-integer bound: compare as SQLite would, which for
	 * NULL means no row matches. */
	for (int s = 0; s < S_COUNT; s++) {
		bound[s] = 0;
		if (!val[s])
			continue;
		if (sqlite3_value_type(val[s]) == SQLITE_NULL) {
			c->eof = 1;
			return SQLITE_OK;
		}
		bound[s] = sqlite3_value_int64(val[s]);
	}
	c->seq_lo = val[S_SEQ_LO] ? bound[S_SEQ_LO] : INT64_MIN;
	c->seq_hi = val[S_SEQ_HI] ? bound[S_SEQ_HI] : INT64_MAX;
	c->ts_lo = val[S_TS_LO] ? bound[S_TS_LO] : INT64_MIN;
	c->ts_hi = val[S_TS_HI] ? bound[S_TS_HI] : INT64_MAX;
	if (idx & EQ(S_SEQ_LO))
		c->seq_hi = c->seq_lo;
	if (idx & EQ(S_TS_LO))
		c->ts_hi = c->ts_lo;
	/* Strict bounds, made inclusive (saturating: nothing is > MAX). */
	if (idx & STRICT(S_SEQ_LO)) {
		if (c->seq_lo == INT64_MAX) { c->eof = 1; return SQLITE_OK; }
		c->seq_lo++;
	}
	if (idx & STRICT(S_SEQ_HI)) {
		if (c->seq_hi == INT64_MIN) { c->eof = 1; return SQLITE_OK; }
		c->seq_hi--;
	}
	if (idx & STRICT(S_TS_LO)) {
		if (c->ts_lo == INT64_MAX) { c->eof = 1; return SQLITE_OK; }
		c->ts_lo++;
	}
	if (idx & STRICT(S_TS_HI)) {
		if (c->ts_hi == INT64_MIN) { c->eof = 1; return SQLITE_OK; }
		c->ts_hi--;
	}

	/* Only the clauses that have a value, so SQLite can use the
	 * (trace_id, cpu, first_seq) index for the equalities. */
	const struct ev_vtab *vt = (const struct ev_vtab *)cur->pVtab;
	char *sql = sqlite3_mprintf(
		"SELECT c.trace_id, c.cpu, c.first_seq, c.count, c.raw_size,"
		" c.records, t.tsc_hz, t.boot_tsc"
		" FROM \"%w\".chunks c JOIN \"%w\".trace t ON t.id = c.trace_id"
		" WHERE 1%s%s"
		" AND c.first_seq + c.count > ?3 AND c.first_seq <= ?4"
		" AND c.max_ns >= ?5 AND c.min_ns <= ?6"
		" ORDER BY c.trace_id, c.cpu, c.first_seq",
		vt->schema, vt->schema,
		val[S_TRACE] ? " AND c.trace_id = ?1" : "",
		val[S_CPU] ? " AND c.cpu = ?2" : "");
	if (!sql)
		return SQLITE_NOMEM;
	sqlite3_finalize(c->chunks);
	c->chunks = NULL;
	c->db = vt->db;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &c->chunks, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return vtab_error(cur, sqlite3_errmsg(c->db));
	if (val[S_TRACE])
		sqlite3_bind_int64(c->chunks, 1, bound[S_TRACE]);
	if (val[S_CPU])
		sqlite3_bind_int64(c->chunks, 2, bound[S_CPU]);
	sqlite3_bind_int64(c->chunks, 3, c->seq_lo);
	sqlite3_bind_int64(c->chunks, 4, c->seq_hi);
	sqlite3_bind_int64(c->chunks, 5, c->ts_lo);
	sqlite3_bind_int64(c->chunks, 6, c->ts_hi);
	c->eof = 0;
	c->raw = NULL;   /* no chunk yet: advance() loads the first */
	return advance(c);
}

static int ev_next(sqlite3_vtab_cursor *cur)
{
	return advance((struct ev_cursor *)cur);
}

static int ev_eof(sqlite3_vtab_cursor *cur)
{
	return ((struct ev_cursor *)cur)->eof;
}

static int ev_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	const struct ev_cursor *c = (const struct ev_cursor *)cur;
	const struct rs_event *ev = &c->ev;
	const int nargs = rs_event_nargs(ev->type);

	switch (col) {
	case C_TRACE: sqlite3_result_int64(ctx, c->trace_id); break;
	case C_CPU:   sqlite3_result_int64(ctx, ev->cpu); break;
	case C_SEQ:   sqlite3_result_int64(ctx, (sqlite3_int64)ev->seq); break;
	case C_TS:    sqlite3_result_int64(ctx, c->ts); break;
	case C_TYPE:  sqlite3_result_int64(ctx, ev->type); break;
	case C_CTX:   sqlite3_result_int64(ctx, ev->ctx); break;
	/* Arguments a type does not carry are NULL, not 0, so SQL can tell
	 * "absent" from "zero". */
	case C_A: case C_B: case C_C:
		if (col - C_A < nargs)
			sqlite3_result_int64(ctx, (sqlite3_int64)(col == C_A ? ev->a
					     : col == C_B ? ev->b : ev->c));
		else
			sqlite3_result_null(ctx);
		break;
	case C_STR:
		if (ev->str)
			sqlite3_result_text(ctx, ev->str, (int)ev->str_len,
					    SQLITE_TRANSIENT);
		else
			sqlite3_result_null(ctx);
		break;
	default:
		sqlite3_result_null(ctx);
	}
	return SQLITE_OK;
}

static int ev_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	const struct ev_cursor *c = (const struct ev_cursor *)cur;
	/* Unique within a trace, which is all a view over it needs. */
	*rowid = (sqlite3_int64)(c->ev.seq * RS_MAX_CPUS + c->ev.cpu);
	return SQLITE_OK;
}

static const sqlite3_module events_module = {
	.iVersion = 0,
	/* Nothing to create: a table of this module is a window on the
	 * chunks table of its own database. */
	.xCreate = ev_connect,
	.xConnect = ev_connect,
	.xDestroy = ev_disconnect,
	.xBestIndex = ev_best_index,
	.xDisconnect = ev_disconnect,
	.xOpen = ev_open,
	.xClose = ev_close,
	.xFilter = ev_filter,
	.xNext = ev_next,
	.xEof = ev_eof,
	.xColumn = ev_column,
	.xRowid = ev_rowid,
};

/*
 * rs_last(x): a window function, the last non-NULL x of its frame in the
 * window's order (SQL's last_value(x) IGNORE NULLS, which SQLite lacks).
 * The thread_state view (schema.sql) needs "the state its last state
 * record set" at every mark of a thread; with this it is one pass of the
 * window instead of a second sort. Frames must start UNBOUNDED PRECEDING
 * (a running value): a frame that drops rows at its start is an error,
 * not a wrong answer.
 */
struct last_acc {
	sqlite3_value *v;
	int dropped;
};

static void last_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct last_acc *acc = sqlite3_aggregate_context(ctx, sizeof(*acc));

	(void)argc;
	if (!acc || sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	sqlite3_value *v = sqlite3_value_dup(argv[0]);
	if (!v) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_value_free(acc->v);
	acc->v = v;
}

static void last_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct last_acc *acc = sqlite3_aggregate_context(ctx, sizeof(*acc));

	(void)argc; (void)argv;
	if (acc)
		acc->dropped = 1;
}

static void last_value(sqlite3_context *ctx)
{
	struct last_acc *acc = sqlite3_aggregate_context(ctx, 0);

	if (acc && acc->dropped)
		sqlite3_result_error(ctx, "rs_last: the frame must start"
				     " UNBOUNDED PRECEDING", -1);
	else if (acc && acc->v)
		sqlite3_result_value(ctx, acc->v);
	else
		sqlite3_result_null(ctx);
}

static void last_final(sqlite3_context *ctx)
{
	struct last_acc *acc = sqlite3_aggregate_context(ctx, 0);

	last_value(ctx);
	if (acc)
		sqlite3_value_free(acc->v);
}

int rs_sql_register(sqlite3 *db)
{
	assert(db);
	int rc = sqlite3_create_module_v2(db, "rs_events", &events_module, NULL,
					  NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_window_function(
			db, "rs_last", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
			NULL, last_step, last_final, last_value, last_inverse,
			NULL);
	return rc;
}

#ifdef RS_SQLITE_LOADABLE
/* The name the sqlite3 shell derives from libringside_sqlite.so. */
int sqlite3_ringsidesqlite_init(sqlite3 *db, char **err,
				const sqlite3_api_routines *api);
int sqlite3_ringsidesqlite_init(sqlite3 *db, char **err,
				const sqlite3_api_routines *api)
{
	(void)err;
	SQLITE_EXTENSION_INIT2(api);
	return rs_sql_register(db);
}
#else
static int auto_init(sqlite3 *db, char **err, const void *api)
{
	(void)err; (void)api;
	return rs_sql_register(db);
}

int rs_sql_register_everywhere(void)
{
	return sqlite3_auto_extension((void (*)(void))auto_init);
}
#endif

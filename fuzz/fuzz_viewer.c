/*
 * fuzz_viewer.c - libFuzzer target: the viewer's loader (viewer/model.c,
 * rv_model_load, which `ringside-view` and `--render` call), with the
 * derivation and layout it runs (derive.c, layout.c).
 *
 * The loader trusts nothing in the database: record numbers, counts and
 * sizes of chunks, the records inside them, the trace row and the lost
 * rows. A mutated database file mostly dies in SQLite's own checks or in
 * zstd, far from the loader, so the input here is not a file but a
 * description of the rows, written into a fresh copy of the real schema
 * (formats/store/schema.sql, as the collector creates it): the trace row, lost
 * rows, and chunks whose records come straight from the input and are
 * packed by the collector's own rs_chunk_pack, so they decompress and the
 * fuzzer's records reach the decoder and the derivation. Some chunks lie
 * on purpose (arbitrary first_seq, count, raw size, an unpacked blob).
 *
 * Checked on top of "no crash, no hang": a refused trace gets one line;
 * a loaded one has a sane CPU count and exactly the records of every
 * chunk it could see, no more and none fewer.
 *
 * Input: see struct cursor's readers below; missing bytes read as 0.
 * Seeds: fuzz/corpus/viewer, made from the sample traces' chunks
 * (make-seeds.sh).
 */
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model.h"
#include "rs_chunk.h"
#include "sql_events.h"
#include "store_internal.h"

#define MAX_CPUS    4     /* CPUs a chunk may name (one past ncpus too) */
#define MAX_CHUNKS  48    /* per input: enough for several ranges a CPU */
#define MAX_RAW     (16u << 10)

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct cursor *c, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++) {
		v |= (uint64_t)(c->n ? *c->p : 0) << (8 * i);
		if (c->n) {
			c->p++;
			c->n--;
		}
	}
	return v;
}

/* The schema, created once in memory; each input's rows are written into
 * it, the database is saved to a file, and the rows are deleted again.
 * One connection for the whole run: a fresh one parses the schema again,
 * which was a large share of an input's cost. */
static sqlite3 *build;

/* A GLib critical or warning is the loader misusing GLib (a string
 * stored into a freed range, say): a finding, with GLib's message. */
static void glib_complaint(const gchar *domain, GLogLevelFlags level,
			   const gchar *message, gpointer data)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL |
		     G_LOG_LEVEL_WARNING))
		fuzz_fail(domain ? domain : "glib", 0, message);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_log_set_default_handler(glib_complaint, NULL);
	/* the schema's `events` table needs its module */
	if (sqlite3_open(":memory:", &build) != SQLITE_OK ||
	    rs_sql_register(build) != SQLITE_OK ||
	    sqlite3_exec(build, rs_schema_sql, NULL, NULL, NULL) != SQLITE_OK)
		abort();
	return 0;
}

static void exec_bound(sqlite3 *db, const char *sql, const int64_t *v,
		       int nv, const char *text)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		abort();   /* our SQL against our schema: a harness bug */
	for (int i = 0; i < nv; i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
	if (text)
		sqlite3_bind_text(st, nv + 1, text, -1, SQLITE_STATIC);
	sqlite3_step(st);   /* a constraint may refuse it: that is input too */
	sqlite3_finalize(st);
}

static void put_trace(sqlite3 *db, struct cursor *c)
{
	static const char *const states[] = { "running", "exited", "hung",
					      "crashed", "unknown" };
	const unsigned flags = (unsigned)take(c, 1);
	int64_t v[6];   /* one statement each: the input's order is fixed */
	v[0] = (int64_t)take(c, 1) % 6;                  /* ncpus, 0..5 */
	v[1] = flags & 1 ? (int64_t)take(c, 8) : 1000000000;   /* tsc_hz */
	v[2] = (int64_t)take(c, flags & 2 ? 8 : 2);      /* boot_tsc */
	v[3] = (int64_t)take(c, 8);                      /* hung_at_ns */
	v[4] = (int64_t)take(c, 8);                      /* panic_ts_ns */
	v[5] = (int64_t)take(c, 2);                      /* panic_cpu */
	exec_bound(db, "INSERT INTO trace (id, source, nonce, region_gpa, "
		   "region_size, mode, collected_at, ncpus, tsc_hz, boot_tsc, "
		   "guest_state) VALUES (1, 'fuzz', 0, 0, 0, 'overwrite', 0, "
		   "?1, ?2, ?3, ?4)", v, 3, states[(flags >> 2) % 5]);
	if (flags & 0x20)
		exec_bound(db, "UPDATE trace SET hung_at_ns = ?1", v + 3, 1,
			   NULL);
	if (flags & 0x40)
		exec_bound(db, "UPDATE trace SET panic_ts_ns = ?1, panic_cpu = "
			   "?2, panic_reason = ?3, panic_regs = '{}', "
			   "panic_backtrace = '[]'", v + 4, 2, "fuzz panic");
	/* trace_cpu's highest CPU can widen the trace past ncpus */
	int64_t cpu[2] = { 1, 0 };
	cpu[1] = (int64_t)take(c, 1) % 8;
	exec_bound(db, "INSERT INTO trace_cpu (trace_id, cpu, data_size, pos,"
		   " seen, dropped_seen, last_tsc, accepted, lost, rejected) "
		   "VALUES (?1, ?2, 0, 0, 0, 0, 0, 0, 0, 0)", cpu, 2, NULL);
	for (unsigned i = (flags >> 7) + (unsigned)take(c, 1) % 3; i > 0; i--) {
		int64_t l[4];
		l[0] = (int64_t)take(c, 1) % MAX_CPUS;
		l[1] = (int64_t)take(c, 4);
		l[2] = (int64_t)take(c, 8);
		l[3] = (int64_t)take(c, 8);
		exec_bound(db, "INSERT INTO lost (trace_id, cpu, count, "
			   "from_ns, to_ns) VALUES (1, ?1, ?2, ?3, ?4)", l, 4,
			   NULL);
	}
}

/* Records that decode, from the start of raw, as the store would count
 * them; the count a truthful row gives. */
static uint64_t count_records(const uint8_t *raw, size_t len)
{
	static char strbuf[RS_MAX_RECORD + 1];
	struct rs_event ev;
	size_t off = 0, sz;
	uint64_t n = 0;
	while (off < len && (sz = rs_decode_record(raw + off, len - off, &ev,
						   strbuf)) != 0) {
		n++;
		off += sz;
	}
	return n;
}

/*
 * One chunk row. A header byte picks the CPU (bits 0-2, one past the
 * four counted), whether the row tells the truth (bits 3-4 below 2:
 * count = the records that decode, raw_size = the bytes) or takes count
 * and raw_size from the input, whether first_seq follows on from the
 * CPU's last chunk or comes from the input (bit 5), whether the bytes are
 * stored unpacked (bit 6), and whether the row belongs to another trace
 * than the one shown (bit 7). Counts in *s the records the row adds to
 * the shown trace if it was stored (whether the loader accepts it or not).
 */
/* Records stored per CPU, for the exactness check. */
struct stored {
	uint64_t records[MAX_CPUS + 1];
};

static void put_chunk(sqlite3 *db, struct cursor *c, uint64_t *next_seq,
		      struct stored *s)
{
	const unsigned h = (unsigned)take(c, 1);
	const unsigned cpu = (h & 7) % (MAX_CPUS + 1);
	const int other_trace = (h & 0x80) != 0;
	const unsigned lie = (h >> 3) & 3;   /* 0, 1: an honest row */
	const size_t len = (size_t)take(c, 2) % MAX_RAW;
	const size_t have = len < c->n ? len : c->n;
	const uint8_t *raw = c->p;
	c->p += have;
	c->n -= have;
	uint64_t count = count_records(raw, have), raw_size = have;
	uint64_t first = cpu < MAX_CPUS ? next_seq[cpu] : 0;
	if (h & 0x20)
		first = take(c, 8);
	if (lie >= 2) {
		count = take(c, 4);
		raw_size = lie == 3 ? take(c, 4) : have;
	}
	void *blob = NULL;
	size_t blob_len = 0;
	if (h & 0x40 || rs_chunk_pack(raw, have, &blob, &blob_len) != 0) {
		free(blob);
		blob = malloc(have ? have : 1);
		if (!blob)
			abort();
		memcpy(blob, raw, have);
		blob_len = have;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT INTO chunks (trace_id, cpu, "
			       "first_seq, count, min_ns, max_ns, raw_size, "
			       "records) VALUES (?6, ?1, ?2, ?3, 0, 0, ?4, ?5)",
			       -1, &st, NULL) != SQLITE_OK)
		abort();
	sqlite3_bind_int(st, 1, (int)cpu);
	sqlite3_bind_int64(st, 2, (int64_t)first);
	sqlite3_bind_int64(st, 3, (int64_t)count);
	sqlite3_bind_int64(st, 4, (int64_t)raw_size);
	sqlite3_bind_blob(st, 5, blob, (int)blob_len, free);
	sqlite3_bind_int(st, 6, other_trace ? 2 : 1);
	const int stored = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	if (cpu < MAX_CPUS)
		next_seq[cpu] = first + count;
	if (stored && !other_trace)
		s->records[cpu] += count;
}

static int build_db(const char *path, struct cursor *c, struct stored *s)
{
	sqlite3 *db = build;
	put_trace(db, c);
	uint64_t next_seq[MAX_CPUS] = { 0 };
	for (int i = 0; i < MAX_CHUNKS && c->n; i++)
		put_chunk(db, c, next_seq, s);
	sqlite3_int64 len = 0;
	unsigned char *bytes = sqlite3_serialize(db, "main", &len, 0);
	if (!bytes || sqlite3_exec(db, "DELETE FROM chunks; DELETE FROM lost; "
				   "DELETE FROM trace_cpu; DELETE FROM trace",
				   NULL, NULL, NULL) != SQLITE_OK)
		abort();
	int rc = fuzz_write_file(path, bytes, (size_t)len);
	sqlite3_free(bytes);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[300], err[512] = "";
	struct cursor c = { data, size };
	struct stored s = { { 0 } };

	fuzz_tmp_clean();
	fuzz_tmp_path("in.db", path, sizeof(path));
	if (build_db(path, &c, &s) != 0)
		abort();
	rv_model *m = rv_model_load(path, err, sizeof(err));
	if (!m) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strchr(err, '\n') == NULL);   /* one line */
	} else {
		FUZZ_CHECK(m->ncpus >= 1 && m->ncpus <= 256);
		/* Loaded means every record of every chunk of the CPUs it
		 * shows, exactly once (a chunk it could not read is an
		 * error, never a silent hole). */
		uint64_t want = 0;
		for (int cpu = 0; cpu <= MAX_CPUS && cpu < m->ncpus; cpu++)
			want += s.records[cpu];
		FUZZ_CHECK(m->nevents == want);
		FUZZ_CHECK(m->nevents == 0 || m->t_min <= m->t_max);
		rv_model_free(m);
	}
	fuzz_tmp_clean();
	return 0;
}

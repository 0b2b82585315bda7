/*
 * cmd_import.c - `ringside import mirage:PATH|fxt:PATH -o TRACE.db`:
 * another tracer's file into a trace database.
 *
 * The importers (formats/interchange/import_*.c) make ringside records;
 * this stores them through the store's ingest path, the same one a
 * collect uses, so the result is an ordinary trace. The file is read
 * twice: a first pass checks all of it and counts, and only a file that
 * reads to its end opens the database, so bad input never creates or
 * touches one. The second pass lands in one transaction.
 *
 * The trace row: source is the SOURCE given; nonce is the input's FNV-1a
 * hash and region_gpa says the format (so importing the same file again
 * finds its trace and adds nothing, while another file is another
 * trace); tsc_hz 1e9 and boot_tsc 0 (a record's tsc is its ns); state
 * unknown, the why saying what was imported and what was skipped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "import.h"
#include "store.h"

/* region_gpa of imported traces: "MIRG" / "FXT" in ASCII. */
#define GPA_MIRAGE 0x4d495247ull
#define GPA_FXT    0x00465854ull

struct kind {
	const char *prefix, *what;
	uint64_t gpa;
	uint32_t mode;
	int (*import)(const char *path, const struct rs_import_sink *sink,
		      struct rs_import_stats *st, char *err, size_t errlen);
};

static const struct kind kinds[] = {
	{ "mirage:", "a mirage-profile trace", GPA_MIRAGE, RS_MODE_OVERWRITE,
	  rs_import_mirage },
	{ "fxt:", "a Fuchsia trace (FXT)", GPA_FXT, RS_MODE_DISCARD,
	  rs_import_fxt },
};

struct sink_state {
	struct rs_store *store;
	int resumed;                /* the trace was imported before */
	uint64_t per_cpu[RS_MAX_CPUS];
};

static int on_event(void *opaque, const struct rs_event *ev)
{
	struct sink_state *s = opaque;
	s->per_cpu[ev->cpu]++;
	return rs_store_event(s->store, ev);
}

static int on_gap(void *opaque, const struct rs_import_gap *g)
{
	struct sink_state *s = opaque;
	/* The first import of this file stored its gaps already. */
	if (s->resumed)
		return 0;
	return rs_store_lost_unknown(s->store, g->cpu, g->from_ns, g->to_ns,
				     g->what);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Per-CPU counts as the store keeps a reader's (table trace_cpu). */
static int save_counts(struct rs_store *store, const struct sink_state *s,
		       unsigned ncpus)
{
	struct rs_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->layout.ncpus = ncpus;
	for (unsigned c = 0; c < ncpus; c++) {
		r->cpu[c].stats.accepted = s->per_cpu[c];
		r->cpu[c].seen = s->per_cpu[c];
	}
	int rc = rs_store_save_reader(store, r);
	free(r);
	return rc;
}

static int store_import(const struct kind *k, const char *spec,
			const char *path, const char *db,
			const struct rs_import_stats *check,
			struct rs_import_stats *st, struct rs_store_counts *c)
{
	char err[512], why[300];
	struct rs_store *store = rs_store_open(db, 1, err, sizeof(err));
	if (!store) {
		fprintf(stderr, "ringside: %s\n", err);
		return 1;
	}
	const struct rs_layout l = {
		.nonce = check->hash, .region_gpa = k->gpa,
		.region_size = check->bytes,
		.ncpus = check->ncpus ? check->ncpus : 1, .mode = k->mode,
		.tsc_hz = 1000000000ull,
	};
	struct rs_reader_cpu *resume = calloc(RS_MAX_CPUS, sizeof(*resume));
	struct sink_state s = { .store = store };
	const struct rs_import_sink sink = { on_event, on_gap, &s };
	int rc = 1;
	if (!resume ||
	    rs_store_trace_begin(store, spec, &l, resume, &s.resumed) != 0 ||
	    rs_store_begin(store) != 0)
		goto out;
	if (k->import(path, &sink, st, err, sizeof(err)) != 0) {
		rs_store_rollback(store);
		fprintf(stderr, "ringside: import: %s\n", *err ? err :
			rs_store_error(store));
		goto closed;
	}
	snprintf(why, sizeof(why), "imported from %s, which does not record"
		 " the guest's state", k->what);
	if (st->skipped)
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 "; %" PRIu64 " records of unknown type skipped by their"
			 " size", st->skipped);
	if (st->derived)
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 "; ringside's own export: %" PRIu64 " records that"
			 " restate others (runs, CPUs, pseudo-threads) not"
			 " imported", st->derived);
	const struct rs_status status = { 0 };
	const struct rs_verdict v = { .state = RS_GS_UNKNOWN, .why = why,
				      .hung_at_ns = UINT64_MAX };
	if (rs_store_set_status(store, &status, &v) != 0 ||
	    save_counts(store, &s, l.ncpus) != 0 || rs_store_commit(store) != 0) {
		rs_store_rollback(store);
		goto out;
	}
	rs_store_counts(store, c);
	rc = 0;
	goto closed;
out:
	fprintf(stderr, "ringside: import: %s\n", rs_store_error(store));
closed:
	free(resume);
	rs_store_close(store);
	return rc;
}

int rs_import_cmd(int argc, char **argv)
{
	struct cli_value v[IMP_NOPTS];
	const char *spec;
	int rc = cli_parse(&rs_ringside, &rs_cmd_import, argc, argv, v, &spec);
	if (rc)
		return cli_exit(rc);
	const struct kind *k = NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			k = &kinds[i];
	if (!k || !spec[strlen(k->prefix)])
		return cli_usage_error(&rs_ringside, &rs_cmd_import, "SOURCE is"
				       " mirage:PATH or fxt:PATH, not '%s'",
				       spec);
	const char *path = spec + strlen(k->prefix);

	char err[512];
	struct rs_import_stats *check = calloc(2, sizeof(*check));
	if (!check)
		return 1;
	struct rs_import_stats *st = check + 1;
	struct rs_store_counts c = { 0 };
	const double t0 = now_s();
	if (k->import(path, NULL, check, err, sizeof(err)) != 0) {
		fprintf(stderr, "ringside: import: %s\n", err);
		free(check);
		return 1;
	}
	rc = store_import(k, spec, path, v[IMP_OUTPUT].str, check, st, &c);
	const double secs = now_s() - t0;
	if (rc == 0) {
		uint64_t read = 0;
		for (unsigned i = 0; i < RS_IMPORT_MAX_OPS; i++)
			read += st->source_ops[i];
		fprintf(stderr, "ringside: imported %s: %" PRIu64 " records read,"
			" %" PRIu64 " events made (%" PRIu64 " stored, %" PRIu64
			" already there), %" PRIu64 " losses of unknown size, %"
			PRIu64 " records of unknown type skipped; %.3f s, %.0f"
			" events/s\n", spec, read, st->events, c.inserted,
			c.duplicates, st->gaps, st->skipped, secs,
			secs > 0 ? (double)st->events / secs : 0.0);
	}
	free(check);
	return rc;
}

/*
 * fuzz_db.c - libFuzzer target: opening a database ringside did not write,
 * through the very functions `ringside info`, `ringside report` and
 * `ringside export --ctf/--chrome` call (collector/info.c, store*.c,
 * formats/store/trace_read.c, collector/cmd_report.c, report*.c,
 * export_*.c).
 *
 * The README promises that a database that is not ours gets one line on
 * stderr and is never modified; a database that only looks like ours
 * (right application_id, tables with the wrong shape or contents that
 * lie) must still not crash, loop or read out of bounds. The input is the
 * database file, written into a private temp dir. Only public functions
 * are called, never SQL against the tables, so the harness outlives any
 * redesign of the storage layout. Each input is then removed with every
 * file SQLite or the exporters made next to it.
 * Seeds: the .db files in samples/traces, databases collected from real hosted runs,
 * and the Xen harness's crash databases when present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "export.h"
#include "fuzz.h"
#include "info.h"
#include "report.h"
#include "trace_read.h"

struct first_promise {
	int found;
	uint64_t id;
	int64_t rows;
};

static int find_promise(void *opaque, const struct rs_row *row)
{
	struct first_promise *f = opaque;

	f->rows++;
	if (!f->found && row->type == RS_EV_PROMISE_CREATE) {
		f->found = 1;
		f->id = row->a;
	}
	return 0;
}

static int count_gap(void *opaque, const struct rs_gap *g)
{
	FUZZ_CHECK(g != NULL);
	(*(int64_t *)opaque)++;
	return 0;
}

static void report(const char *db, const char *a, const char *b,
		   const char *c, const char *d)
{
	char *argv[8];
	int argc = 0;

	argv[argc++] = (char *)"report";
	if (a) argv[argc++] = (char *)a;
	if (b) argv[argc++] = (char *)b;
	if (c) argv[argc++] = (char *)c;
	if (d) argv[argc++] = (char *)d;
	argv[argc++] = (char *)db;
	argv[argc] = NULL;
	int rc = rs_report_cmd(argc, argv);
	FUZZ_CHECK(rc == 0 || rc == 1);   /* 2 would be a usage error: ours */
}

/* What `export` does with a database that opened: both formats. */
/* The read side every consumer shares: meta, every event in time order,
 * every gap; remembers the first promise for the critical path. */
static void read_all(const char *db, struct first_promise *fp)
{
	char err[512];
	struct rs_trace_meta m;
	int64_t gaps = 0;
	struct rs_trace_db *t = rs_trace_open(db, err, sizeof(err));

	if (!t) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	if (rs_trace_meta(t, 0, &m) == 0) {
		FUZZ_CHECK(memchr(m.source, 0, sizeof(m.source)) != NULL);
		FUZZ_CHECK(memchr(m.panic_reason, 0, sizeof(m.panic_reason)) != NULL);
		rs_trace_events(t, 0, RS_ORDER_TIME, INT64_MIN, INT64_MAX,
				find_promise, fp);
		rs_trace_gaps(t, 0, count_gap, &gaps);
	}
	rs_trace_close(t);
}

/* kind: 0 CTF, 1 Chrome JSON, 2 FXT (Chrome and FXT also over a window
 * when `window`). */
static void export(const char *db, int kind, int window)
{
	char err[512], out[300];
	uint64_t events = 0;
	struct rs_trace_db *t = rs_trace_open(db, err, sizeof(err));
	const struct rs_export_opts o = { 0, window ? 1000 : INT64_MIN,
					  window ? 1000000 : INT64_MAX };

	if (!t) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	fuzz_tmp_path(kind == 0 ? "ctf" : "out", out, sizeof(out));
	if ((kind == 0 ? rs_export_ctf(t, 0, out, &events, err, sizeof(err))
	     : kind == 1 ? rs_export_chrome_window(t, &o, out, &events, err,
						   sizeof(err))
	     : rs_export_fxt(t, &o, out, &events, err, sizeof(err))) != 0)
		FUZZ_CHECK(err[0] != '\0');
	rs_trace_close(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char db[300], id[32];
	struct first_promise fp = { 0 };

	fuzz_tmp_clean();
	fuzz_tmp_path("in.db", db, sizeof(db));
	if (fuzz_write_file(db, data, size) != 0)
		abort();
	/* Opening a database and walking it costs far more than the code
	 * under test, so an input takes one consumer, picked by its size:
	 * deterministic, so a finding replays, and every consumer and variant
	 * is reached (running all of them on every input ran at ~900 execs/s
	 * on two cores). */
	int rc;
	switch (size % 6) {
	case 0:
	case 1:
		rc = rs_info(db, 0, size & 1);
		FUZZ_CHECK(rc == 0 || rc == 1);
		break;
	case 2:
		switch ((size / 6) % 3) {
		case 0: report(db, NULL, NULL, NULL, NULL); break;
		case 1: report(db, "--json", "--by", "thread", NULL); break;
		default: report(db, "--by", "type", "--histogram", "runq_len");
		}
		break;
	case 3:
		export(db, (size / 6) % 2 ? 2 : 0, (size / 12) % 2);
		break;
	case 4:
		export(db, 1, (size / 6) % 2);
		break;
	default:
		read_all(db, &fp);
		if (fp.found) {
			snprintf(id, sizeof(id), "%llu", (unsigned long long)fp.id);
			report(db, "--critical-path", id, NULL, NULL);
		}
	}
	fuzz_tmp_clean();
	return 0;
}

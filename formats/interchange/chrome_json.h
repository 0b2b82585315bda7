/*
 * chrome_json.h - what the two halves of the Chrome JSON exporter share:
 * export_chrome.c (tracks, the event stream, losses, the panic) and
 * export_chrome_flows.c (promise lifetimes and the flows between them).
 * Not part of export.h's interface.
 */
#ifndef RS_CHROME_JSON_H
#define RS_CHROME_JSON_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "export.h"
#include "export_walk.h"

#define PID_THREADS  1
#define PID_CPUS     2
#define PID_PROMISES 3
#define PID_LOST     4

/* Categories. A flow phase event binds (DevTools: to the first event
 * with the same ts, pid, tid and cat; Perfetto: to the slice open on that
 * thread at ts) to a slice of its own category, so every flow end sits at
 * the very ts where a slice of category "ringside" starts: a run slice,
 * a promise's lifetime, or the 1 ns slice of a promise event. */
#define CAT_FLOW    "ringside"
#define CAT_CPU     "cpu"
#define CAT_LOST    "lost"

struct chrome {
	FILE *f;
	int first;
	int64_t from, to;        /* the window, ns; INT64_MIN/MAX: all */
	int64_t end;             /* where open slices end: min(last, to) */
	struct xw_cpus cpus;      /* who is running since when */
	int64_t last_ts;
	sqlite3_stmt *add_ev;     /* into temp.rs_cj_ev */
	int add_rc;               /* 0, or the first insert's failure */
	uint64_t flows;          /* flows written */
	uint64_t events;         /* events of the window */
};

void cj_sep(struct chrome *c);
void cj_str(FILE *f, const char *s);
void cj_u64(FILE *f, uint64_t v);
/* A time, ns since boot, as JSON microseconds (see export_chrome.c). */
void cj_ts(FILE *f, int64_t ns);
/* `"ts":T,"dur":D` of [from, to], with ts + dur exact in binary. */
void cj_span(FILE *f, int64_t from, int64_t to);
/* An X slice with category `cat` on (pid, tid); `args` is a JSON object
 * body without braces, or NULL. Clipped to the window; nothing if it
 * lies outside. */
void cj_slice(struct chrome *c, int pid, uint32_t tid, const char *cat,
	      const char *name, int64_t from, int64_t to, const char *args);

/* The promise events of the window are kept, as the stream passes, in a
 * temporary table, temp.rs_cj_ev (type, a, b, ts, tid, slice_ts), which
 * the Chrome and FXT exporters both make their flows from:
 * cj_events_begin makes it (and opens a transaction) and prepares *add;
 * cj_event adds one (with the start of the slice it happened in; the
 * first failure stays in *rc); cj_events_end ends the transaction and
 * drops the tables. cj_promises_and_flows writes the Chrome promise
 * lifetimes (pid 3, one lane per tid, so that the slices of a lane never
 * overlap) and the flows creates, reads, resolves and becomes, then
 * calls cj_events_end. Each returns 0 or -1 (SQLite's error is on
 * `sql`). */
struct rs_row;
int cj_events_begin(sqlite3 *sql, sqlite3_stmt **add);
void cj_event(sqlite3_stmt *add, int *rc, const struct rs_row *r,
	      uint32_t tid, int64_t slice_ts);
void cj_events_end(sqlite3 *sql);
int cj_promises_and_flows(sqlite3 *sql, int64_t trace, struct chrome *c);

#endif

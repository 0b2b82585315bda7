/*
 * report.h - `ringside report`: latency and size distributions of a
 * stored trace, and the critical path of one promise.
 *
 * The computation is kept apart from printing so the viewer can call it
 * too: rs_report_compute fills a struct rs_report with groups, each with
 * an HDR histogram (hdr.h); report_print.c turns that into text or JSON.
 * What every figure means, exactly, is in formats/analysis/REPORT.md.
 */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hdr.h"
#include "trace_read.h"

/* How promise lifetimes and wait times are grouped. */
enum rs_report_by {
	RS_REPORT_BY_LABEL,     /* the promise's label's pattern
				 * (rs_report_label_pattern; "(unlabelled)") */
	RS_REPORT_BY_TYPE,      /* wait, task, bind, ... */
	RS_REPORT_BY_THREAD,    /* creating thread (lifetime), waiting thread
				 * (wait time) */
};

/* The report's sections, in printing order. */
enum rs_report_section_id {
	RS_REPORT_LIFETIME,     /* promise create -> resolve/fail, ns */
	RS_REPORT_WAIT,         /* thread blocks on promise -> it settles, ns */
	RS_REPORT_WAKE,         /* thread woken -> switched to, ns, per thread */
	RS_REPORT_RUNQ,         /* run-queue length samples, plain numbers */
	RS_REPORT_IRQ,          /* irq enter -> exit, ns, per vector */
	RS_REPORT_TIMER,        /* timer fire - due, ns */
	RS_REPORT_WAKE_CPU,     /* wake -> run, ns: same CPU or across CPUs */
	RS_REPORT_LOCK,         /* lock_contend waits, ns, per lock */
	RS_REPORT_PAGE_ALLOC,   /* page block sizes, bytes */
	RS_REPORT_HEAP_ALLOC,   /* heap allocation sizes, bytes */
	RS_REPORT_SECTIONS
};

struct rs_report_group {
	char *name;             /* label, type, tid, vector, or the section's
				 * single group name */
	char *detail;           /* thread name for thread groups, else NULL */
	struct rs_hdr *h;
};

struct rs_report_section {
	const char *key;        /* JSON key and --histogram prefix */
	const char *title;
	const char *unit;       /* "ns", "bytes" or "" (a plain number) */
	int grouped;            /* 0: one group, printed as one line */
	struct rs_report_group *groups;  /* most samples first, then by name
					  * (numbers in order) */
	size_t n, cap;
	size_t *slots;          /* name hash -> group index + 1 (compute only) */
	size_t nslots;
};

struct rs_report_lost {
	uint64_t gaps;          /* gaps overlapping the range */
	uint64_t records;       /* records lost in them */
	uint64_t unknown;       /* of the gaps, those of unknown size
				 * (an imported file's, table lost_unknown) */
	int64_t ns;             /* union of their time spans, within the range */
	double fraction;        /* ns / range length */
};

/* Several CPUs (report_smp.c): where the time went and what crossed
 * between CPUs. */
#define RS_REPORT_LOCKS 6       /* enum rs_lock 1..5; 0: any other id */
#define RS_REPORT_IPIS 3        /* enum rs_ipi_reason 1..2; 0: other */
struct rs_report_smp {
	/* from each CPU's first event in the range to its last: time with
	 * a thread switched in and not idle, and time idle */
	struct rs_report_cpu {
		int64_t run_ns, idle_ns;
		int seen;
	} cpu[RS_MAX_CPUS];
	uint64_t migrations;
	struct rs_report_migr {
		uint64_t tid, n;
		char *name;             /* NULL if unknown */
	} *by_thread;               /* sorted by tid */
	size_t nthreads, cap;
	uint64_t ipi_sent[RS_REPORT_IPIS], ipi_recv[RS_REPORT_IPIS];
	uint64_t lock_total_ns[RS_REPORT_LOCKS];
	/* wake -> run pairs across CPUs whose run was stamped before the
	 * wake: the clocks disagree (ringside info states by how much) */
	uint64_t wake_before_cause;
	int any;                    /* any SMP event in the range */
};

/* How the guest ended, said before any figure (report_verdict.c). */
struct rs_report_verdict {
	struct rs_trace_row row;
	char function[128];     /* the panic rip's, from frames; "" if none */
	char file[160];         /* "file:line"; "" if none */
	struct rs_blocked_thread blocked[RS_BLOCKED_MAX];  /* deadlocked */
	int nblocked;
};

struct rs_report {
	struct rs_trace_meta meta;
	struct rs_report_verdict verdict;
	int64_t from_ns, to_ns; /* the range actually covered */
	enum rs_report_by by;
	struct rs_report_lost lost;
	struct rs_report_section sec[RS_REPORT_SECTIONS];
	int has_heap;
	uint64_t heap_high_water;         /* max HEAP `a` in the range */
	double page_allocs_per_sec, heap_allocs_per_sec;
	struct rs_report_smp smp;
};

/*
 * Compute everything for trace `trace_id` (0 = the latest) over events
 * with from_ns <= ts_ns <= to_ns (INT64_MIN / INT64_MAX for all).
 * Returns 0, or -1 with a one-line reason in `err`. Free with
 * rs_report_free (also after a failure).
 */
int rs_report_compute(struct rs_trace_db *db, int64_t trace_id,
		      int64_t from_ns, int64_t to_ns, enum rs_report_by by,
		      struct rs_report *out, char *err, size_t errlen);
void rs_report_free(struct rs_report *r);

/* The group `spec` names: "SECTION" (single-group sections) or
 * "SECTION:NAME", SECTION being a section key. NULL if none. */
const struct rs_report_group *rs_report_find(const struct rs_report *r,
					     const char *spec,
					     const struct rs_report_section **sec);

/* ---- critical path ------------------------------------------------------ */

/* How the next step was found (REPORT.md has the rules). */
enum rs_cpath_via {
	RS_CPATH_END = 0,       /* last step: see rs_cpath.root */
	RS_CPATH_BECOMES,       /* this promise followed the next (BECOMES) */
	RS_CPATH_RESOLVER,      /* its resolver, already settled, is next */
	RS_CPATH_READ,          /* its resolver had just read the next */
	RS_CPATH_BLOCKED,       /* its resolving thread had blocked on the next */
};

enum rs_cpath_root {
	RS_ROOT_NONE = 0,       /* no further edge */
	RS_ROOT_TIMER,          /* settled from a timer (TIMER_FIRE) */
	RS_ROOT_EVTCHN,         /* settled from an event channel notify */
	RS_ROOT_UNSETTLED,      /* the promise never settled in the trace */
	RS_ROOT_CYCLE,          /* the walk came back to a promise */
	RS_ROOT_LIMIT,          /* stopped after RS_CPATH_MAX steps */
};

#define RS_CPATH_MAX 1000

struct rs_cpath_step {
	uint64_t promise;
	char label[128];        /* "" if none */
	char type[16];          /* "" if unknown */
	int settled;            /* 0: never settled (last step) */
	const char *how;        /* "resolved", "failed", "cancelled" */
	int64_t ts_ns;          /* when it settled */
	uint16_t cpu;
	uint32_t thread;        /* ctx of the settle record */
	char thread_name[64];
	uint64_t resolver;      /* b of the settle record (0: none) */
	enum rs_cpath_via via;  /* how the next step was found */
	int64_t via_ts_ns;      /* time of the BECOMES / READ / BLOCK used */
};

struct rs_cpath {
	size_t n;
	struct rs_cpath_step *steps;
	enum rs_cpath_root root;
	uint64_t root_id;       /* timer id or event channel port */
	int64_t root_ts_ns;     /* when the timer fired / the port notified */
	int64_t root_late_ns;   /* timers: fire - due (-1 if unknown) */
};

/* Walk back from promise `id`. Returns 0, or -1 with a reason in `err`
 * (including "no promise ID in trace N"). Free with rs_cpath_free (also after a
 * failure). */
int rs_report_critical_path(struct rs_trace_db *db, int64_t trace_id,
			    uint64_t id, struct rs_cpath *out, char *err,
			    size_t errlen);
void rs_cpath_free(struct rs_cpath *p);
const char *rs_cpath_via_name(enum rs_cpath_via v);
const char *rs_cpath_root_name(enum rs_cpath_root r);

/* Losses overlapping [from_ns, to_ns] (see REPORT.md). Returns 0 or -1
 * (rs_trace_error says why). */
int rs_report_lost(struct rs_trace_db *db, const struct rs_trace_meta *m,
		   int64_t from_ns, int64_t to_ns, struct rs_report_lost *out);
/* Widen [*first, *last] to the known ends of the trace's gaps. */
void rs_report_lost_extent(struct rs_trace_db *db, int64_t trace_id,
			   int64_t *first, int64_t *last);

/* ---- printing (report_print.c, report_cpath.c) ---------------------------- */

/* A value in the unit that reads best: "812 ns", "12.3 us", "4.00 KiB";
 * unit is "ns", "bytes" or "" (plain). Returns buf. */
const char *rs_report_fmt(char *buf, size_t len, uint64_t v, const char *unit);
const char *rs_report_fmt_ns(char *buf, size_t len, int64_t ns);
/* A JSON string literal, escaped. */
void rs_report_json_str(FILE *o, const char *s);
/* The critical path as text or JSON. */
void rs_cpath_print(FILE *o, int json, uint64_t id, const struct rs_cpath *p);

/* ---- one report ---------------------------------------------------------- */

/* What `ringside report` was asked for, parsed (collector/cmd_report.c). */
struct rs_report_opts {
	int64_t trace_id;       /* 0: the latest */
	int json;
	enum rs_report_by by;
	int64_t from_ns, to_ns; /* INT64_MIN / INT64_MAX: all; from <= to */
	const char *histogram;  /* "SECTION[:GROUP]", or NULL */
	int has_cpath;          /* the critical path of promise `cpath`
				 * instead (not with a histogram) */
	uint64_t cpath;
	size_t top;             /* groups shown per section; 0: all */
};

/* ---- how the guest ended (report_verdict.c) ---------------------------- */

/* Fill r->verdict for r->meta.id. Returns 0, or -1 with a reason. */
int rs_report_verdict(struct rs_trace_db *db, struct rs_report *r,
		      char *err, size_t errlen);
/* The panic (reason, where) and a deadlock's blocked threads, first in
 * the report; the JSON's "panic" and "deadlock" members (null if none). */
void rs_report_verdict_text(FILE *o, const struct rs_report *r);
void rs_report_verdict_json(FILE *o, const struct rs_report *r);
/* One blocked thread, as `info` and `report` print it: a text line
 * ("thread 3 (http 0) waits on promise 12 \"rx 4\""), a JSON object. */
void rs_report_blocked_text(FILE *o, const struct rs_blocked_thread *b);
void rs_report_blocked_json(FILE *o, const struct rs_blocked_thread *b);

/* The group a label falls in with --by label: each 0x-prefixed hex
 * number and each other run of decimal digits replaced by '#' ("GET
 * /index 15" -> "GET /index #", "rx 0x1f" -> "rx #"). Writes at most
 * `len` bytes, NUL included. */
void rs_report_label_pattern(char *out, size_t len, const char *label);

/* Compute the report `o` asks for and print it to `out`. Returns 0, or
 * -1 with a one-line reason in `err` (nothing printed to stderr). */
int rs_report_run(struct rs_trace_db *db, const struct rs_report_opts *o,
		  FILE *out, char *err, size_t errlen);

#endif /* RS_REPORT_H */

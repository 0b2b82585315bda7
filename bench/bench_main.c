/*
 * bench_main.c - runs every benchmark, prints one table of side-by-side
 * figures and their ratios, and writes build/bench/results.json.
 *
 * The table and the JSON are both driven by tables below, so a new row is
 * a field in bench.h plus one line in each: no printf to hand-align.
 */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

void bench_note(struct bench_results *res, const char *fmt, ...)
{
	size_t used = strlen(res->notes);
	va_list ap;

	if (used + 2 >= sizeof(res->notes))
		return;
	va_start(ap, fmt);
	vsnprintf(res->notes + used, sizeof(res->notes) - used - 1, fmt, ap);
	va_end(ap);
	strcat(res->notes, "\n");
	/* Said as it happens too, next to the benchmark's own output. */
	fprintf(stderr, "bench: %s", res->notes + used);
}

int bench_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int bench_grep_last(const char *path, const char *prefix, char *buf,
		    size_t len)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(buf, len, "%s", line);
		found = 0;
	}
	fclose(f);
	return found;
}

long bench_ctf_count(const char *ctf, const char *dir)
{
	char out[1100], l[256];
	long n = -1;

	snprintf(out, sizeof(out), "%s/ctf-counter.txt", dir);
	if (bench_sh("babeltrace2 '%s' -c sink.utils.counter >'%s' 2>&1",
		     ctf, out) != 0)
		return -1;
	/* Running totals; the last "N Event messages" line is the final. */
	FILE *f = fopen(out, "r");
	while (f && fgets(l, sizeof(l), f))
		if (strstr(l, "Event messages"))
			n = strtol(l, NULL, 10);
	if (f)
		fclose(f);
	return n;
}

/* ---- results.json ------------------------------------------------------ */

#define FIELD(k) { #k, offsetof(struct bench_results, k) }
static const struct {
	const char *key;
	size_t off;
} json_fields[] = {
	FIELD(emit_ns), FIELD(bare_ns), FIELD(lttng_ust_ns),
	FIELD(emit_ir), FIELD(bare_ir), FIELD(emit_notsc_ns),
	FIELD(bare_notsc_ns),
	FIELD(overhead_pct), FIELD(overhead_ir_on), FIELD(overhead_ir_off),
	FIELD(xwake_ir_on), FIELD(xwake_ir_off),
	FIELD(overhead_demo_pct), FIELD(overhead_demo_ir_on),
	FIELD(overhead_demo_ir_off), FIELD(overhead_demo_pct_min),
	FIELD(overhead_demo_pct_max),
	FIELD(overhead_wall_pct), FIELD(overhead_wall_on_ns),
	FIELD(overhead_wall_off_ns),
	FIELD(decode_eps), FIELD(decode_cb_eps), FIELD(decode_events),
	FIELD(babeltrace_eps),
	FIELD(ingest_eps), FIELD(bare_insert_eps), FIELD(bytes_per_event),
	FIELD(lag_p50_ms), FIELD(lag_p99_ms), FIELD(lag_loadavg),
	FIELD(live_guest_eps), FIELD(live_lost_pct), FIELD(live_stored_eps),
	FIELD(live_guest_old_eps), FIELD(live_lost_old_pct),
	FIELD(live_stored_old_eps),
	FIELD(live_storm_guest_eps), FIELD(live_storm_lost_pct),
	FIELD(live_storm_stored_eps), FIELD(live_storm_guest_old_eps),
	FIELD(live_storm_lost_old_pct), FIELD(live_storm_stored_old_eps),
	FIELD(view_open_s), FIELD(view_frame_ms_max), FIELD(view_frame_ms_avg),
	FIELD(view_search_ms), FIELD(view_frame_cpu_ms_max),
	FIELD(view_bytes_per_event), FIELD(view100m_open_s),
	FIELD(decode100m_s), FIELD(view100m_rss_gib),
	FIELD(view100m_frame_ms_max), FIELD(view100m_open_first_s),
	FIELD(view100m_open_first_sys_s), FIELD(view100m_open_sys_s),
	FIELD(view_frame_one_ms_max), FIELD(view100m_frame_one_ms_max),
	FIELD(view_first_picture_s), FIELD(view_shown_open_s),
	FIELD(view100m_first_picture_s), FIELD(view100m_shown_open_s),
	FIELD(follow_cpu_pct), FIELD(follow_lag_ms), FIELD(follow_writer_eps),
	FIELD(emit_smp_ns), FIELD(emit_smp_one_ns), FIELD(emit_smp_ncpus),
	FIELD(emit_smp_clean), FIELD(emit_smp_cputime_ns),
	FIELD(emit_smp_one_cputime_ns), FIELD(emit_smp_ctl_own_ns),
	FIELD(emit_smp_ctl_shared_ns),
	FIELD(emit_smp2_ns), FIELD(emit_smp4_ns),
	FIELD(emit_smp_cpu0_ns), FIELD(emit_smp_cpu1_ns),
	FIELD(emit_smp_cpu2_ns), FIELD(emit_smp_cpu3_ns),
	FIELD(collect_smp_eps), FIELD(collect_one_eps),
	FIELD(collect_smp_ncpus), FIELD(collect_smp_cpu_eps),
	FIELD(collect_one_cpu_eps), FIELD(collect_smp_store_eps),
	FIELD(collect_one_store_eps), FIELD(import_eps),
};
#define NFIELDS (sizeof(json_fields) / sizeof(json_fields[0]))

static double *field(struct bench_results *r, size_t off)
{
	return (double *)((char *)r + off);
}

static void json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fprintf(f, "\\%c", s[i]);
		else if ((unsigned char)s[i] < 0x20)
			fprintf(f, "\\u%04x", s[i]);
		else
			fputc(s[i], f);
	}
	fputc('"', f);
}

static void write_json(struct bench_results *r, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		bench_fail("cannot write %s", path);
	fprintf(f, "{\n");
	for (size_t i = 0; i < NFIELDS; i++) {
		double v = *field(r, json_fields[i].off);
		fprintf(f, "  \"%s\": ", json_fields[i].key);
		if (isnan(v))
			fprintf(f, "null");
		else if (v == floor(v) && fabs(v) < 1e15)
			fprintf(f, "%.0f", v);
		else
			fprintf(f, "%.4f", v);
		fprintf(f, ",\n");
	}
	fprintf(f, "  \"notes\": [");
	const char *s = r->notes;
	for (int first = 1; *s; first = 0) {
		size_t n = strcspn(s, "\n");
		fprintf(f, "%s\n    ", first ? "" : ",");
		json_string(f, s, n);
		s += n + (s[n] == '\n');
	}
	fprintf(f, "%s]\n}\n", r->notes[0] ? "\n  " : "");
	fclose(f);
}

/* ---- the printed table ------------------------------------------------- */

enum unit { U_NS, U_EPS, U_IR, U_MS, U_B, U_S, U_N, U_PCT, U_GIB };
/* What the last column says: ours/reference, or (ours - ref)/ref in %. */
enum cmp { C_NONE, C_RATIO, C_PCT };

static const struct row {
	const char *label;
	size_t ours, ref;        /* ref == NO_REF: nothing side by side */
	enum unit unit;
	enum cmp cmp;
	const char *target;
} rows[] = {
#define NO_REF ((size_t)-1)
#define OFF(k) offsetof(struct bench_results, k)
	{ "emit vs bare rdtsc+store", OFF(emit_ns), OFF(bare_ns), U_NS,
	  C_RATIO, "<= 1.10" },
	{ "emit vs bare, no rdtsc", OFF(emit_notsc_ns), OFF(bare_notsc_ns),
	  U_NS, C_RATIO, "-" },
	{ "emit vs bare, Ir per record", OFF(emit_ir), OFF(bare_ir), U_IR,
	  C_RATIO, "<= 2" },
	{ "emit, N CPUs at once (worst) vs 1", OFF(emit_smp_ns),
	  OFF(emit_smp_one_ns), U_NS, C_RATIO, "<= 1.05" },
	{ "emit, N CPUs, thread CPU time", OFF(emit_smp_cputime_ns),
	  OFF(emit_smp_one_cputime_ns), U_NS, C_RATIO, "-" },
	{ "control: one line shared vs own", OFF(emit_smp_ctl_shared_ns),
	  OFF(emit_smp_ctl_own_ns), U_NS, C_RATIO, "> 1 (sees sharing)" },
	{ "emit, N = CPUs emitting at once", OFF(emit_smp_ncpus), NO_REF,
	  U_N, C_NONE, "-" },
	{ "emit vs LTTng-UST (snapshot)", OFF(emit_ns), OFF(lttng_ust_ns),
	  U_NS, C_RATIO, "<= 0.125" },
	{ "pingpong Ir/round, trace on/off", OFF(overhead_ir_on),
	  OFF(overhead_ir_off), U_IR, C_PCT, "<= 1 %" },
	{ "demo Ir/request, trace on/off", OFF(overhead_demo_ir_on),
	  OFF(overhead_demo_ir_off), U_IR, C_PCT, "<= 1 %" },
	{ "cross-CPU wake Ir, trace on/off", OFF(xwake_ir_on),
	  OFF(xwake_ir_off), U_IR, C_PCT, "-" },
	{ "pingpong ns/round, trace on/off", OFF(overhead_wall_on_ns),
	  OFF(overhead_wall_off_ns), U_NS, C_PCT, "-" },
	{ "decode vs babeltrace2 dummy", OFF(decode_eps), OFF(babeltrace_eps),
	  U_EPS, C_RATIO, ">= 50" },
	{ "decode, per-event callback", OFF(decode_cb_eps),
	  OFF(babeltrace_eps), U_EPS, C_RATIO, "-" },
	{ "ingest vs bare prepared insert", OFF(ingest_eps),
	  OFF(bare_insert_eps), U_EPS, C_RATIO, ">= 0.7, >= 3 M/s" },
	{ "collect file:, 4 rings vs 1 ring", OFF(collect_smp_eps),
	  OFF(collect_one_eps), U_EPS, C_RATIO, ">= 0.9" },
	{ "collect file:, CPU time, 4 vs 1", OFF(collect_smp_cpu_eps),
	  OFF(collect_one_cpu_eps), U_EPS, C_RATIO, "-" },
	{ "collect read+store, 4 rings vs 1", OFF(collect_smp_store_eps),
	  OFF(collect_one_store_eps), U_EPS, C_RATIO, "-" },
	{ "import mirage: vs collect file:", OFF(import_eps),
	  OFF(collect_one_eps), U_EPS, C_RATIO, "-" },
	{ "database bytes per event", OFF(bytes_per_event), NO_REF, U_B,
	  C_NONE, "-" },
	{ "live lag emit->row p50", OFF(lag_p50_ms), NO_REF, U_MS, C_NONE,
	  "-" },
	{ "live lag emit->row p99", OFF(lag_p99_ms), NO_REF, U_MS, C_NONE,
	  "<= 20" },
	{ "live pingpong: guest rate, new/old", OFF(live_guest_eps),
	  OFF(live_guest_old_eps), U_EPS, C_RATIO, "-" },
	{ "live pingpong: lost, new/old", OFF(live_lost_pct),
	  OFF(live_lost_old_pct), U_PCT, C_NONE, "<= 0.1 %" },
	{ "live pingpong: stored, new/old", OFF(live_stored_eps),
	  OFF(live_stored_old_eps), U_EPS, C_RATIO, ">= 1.5" },
	{ "live emitstorm x2: guest, new/old", OFF(live_storm_guest_eps),
	  OFF(live_storm_guest_old_eps), U_EPS, C_RATIO, "-" },
	{ "live emitstorm x2: lost, new/old", OFF(live_storm_lost_pct),
	  OFF(live_storm_lost_old_pct), U_PCT, C_NONE, "<= 0.1 %" },
	{ "live emitstorm x2: stored, new/old", OFF(live_storm_stored_eps),
	  OFF(live_storm_stored_old_eps), U_EPS, C_RATIO, ">= 1.5" },
	{ "viewer open, 10 M events", OFF(view_open_s), NO_REF, U_S, C_NONE,
	  "<= 1.0 s" },
	{ "viewer frame, worst, 2 bands/1 thread", OFF(view_frame_ms_max),
	  OFF(view_frame_one_ms_max), U_MS, C_RATIO, "<= 7 ms" },
	{ "viewer frame, worst, CPU, 2 threads", OFF(view_frame_cpu_ms_max),
	  NO_REF, U_MS, C_NONE, "-" },
	{ "viewer bytes per event", OFF(view_bytes_per_event), NO_REF, U_B,
	  C_NONE, "<= 24 B" },
	{ "viewer open 100 M vs decode alone", OFF(view100m_open_s),
	  OFF(decode100m_s), U_S, C_RATIO, "<= 3" },
	{ "viewer open 100 M, first vs second", OFF(view100m_open_first_s),
	  OFF(view100m_open_s), U_S, C_RATIO, "-" },
	{ "viewer open 100 M, sys, first/second",
	  OFF(view100m_open_first_sys_s), OFF(view100m_open_sys_s), U_S,
	  C_RATIO, "-" },
	{ "viewer first picture vs open, 10 M", OFF(view_first_picture_s),
	  OFF(view_shown_open_s), U_S, C_RATIO, "-" },
	{ "viewer first picture vs open, 100 M",
	  OFF(view100m_first_picture_s), OFF(view100m_shown_open_s), U_S,
	  C_RATIO, "-" },
	{ "viewer RSS, 100 M events", OFF(view100m_rss_gib), NO_REF,
	  U_GIB, C_NONE, "<= 4 GiB" },
	{ "viewer frame, 100 M, 2 bands/1 thread",
	  OFF(view100m_frame_ms_max), OFF(view100m_frame_one_ms_max), U_MS,
	  C_RATIO, "<= 7 ms" },
	{ "viewer frame, average", OFF(view_frame_ms_avg), NO_REF, U_MS,
	  C_NONE, "-" },
	{ "viewer search, 10 M events", OFF(view_search_ms), NO_REF, U_MS,
	  C_NONE, "-" },
	{ "follow: viewer CPU, writer at 1 M/s", OFF(follow_cpu_pct), NO_REF,
	  U_PCT, C_NONE, "< 50 %" },
	{ "follow: commit-to-screen lag, p99", OFF(follow_lag_ms), NO_REF,
	  U_MS, C_NONE, "<= 500 ms" },
	{ "follow: the writer's events/s", OFF(follow_writer_eps), NO_REF,
	  U_EPS, C_NONE, ">= 1 M/s" },
};

static void cell(char *buf, size_t len, double v, enum unit u)
{
	if (isnan(v)) {
		snprintf(buf, len, "n/a");
		return;
	}
	switch (u) {
	case U_NS: snprintf(buf, len, "%.2f ns", v); break;
	case U_EPS: snprintf(buf, len, "%.2f M/s", v / 1e6); break;
	case U_IR: snprintf(buf, len, "%.0f Ir", v); break;
	case U_MS: snprintf(buf, len, "%.2f ms", v); break;
	case U_B: snprintf(buf, len, "%.1f B", v); break;
	case U_S: snprintf(buf, len, "%.2f s", v); break;
	case U_N: snprintf(buf, len, "%.0f", v); break;
	case U_PCT: snprintf(buf, len, "%.3f %%", v); break;
	case U_GIB: snprintf(buf, len, "%.2f GiB", v); break;
	}
}

/* `partial`: leave out rows with no figure (a run of some rows only). */
static void print_table(struct bench_results *r, int partial)
{
	printf("%-34s %14s %14s %10s   %s\n", "benchmark", "ringside",
	       "reference", "ratio", "target");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		double a = *field(r, w->ours);
		double b = w->ref == NO_REF ? BENCH_NONE : *field(r, w->ref);
		char ca[32], cb[32], cc[32];

		if (partial && isnan(a) && isnan(b))
			continue;

		cell(ca, sizeof(ca), a, w->unit);
		if (w->ref == NO_REF)
			snprintf(cb, sizeof(cb), "-");
		else
			cell(cb, sizeof(cb), b, w->unit);
		if (w->cmp == C_NONE)
			snprintf(cc, sizeof(cc), "-");
		else if (isnan(a) || isnan(b) || b == 0)
			snprintf(cc, sizeof(cc), "n/a");
		else if (w->cmp == C_RATIO)
			snprintf(cc, sizeof(cc), "%.3f", a / b);
		else
			snprintf(cc, sizeof(cc), "%+.1f %%", (a - b) / b * 100);
		printf("%-34s %14s %14s %10s   %s\n", w->label, ca, cb, cc,
		       w->target);
	}
	if (r->notes[0])
		printf("\nnotes:\n%s", r->notes);
}

static const char usage[] =
	"usage: ringside-bench [--smp|--import|--live|--emit|--follow|--decode]"
	" [RESULTS.json [DIR]]\n"
	"       ringside-bench --gen-trace OUT.db EVENTS\n"
	"       ringside-bench --gen-live OUT.db EVENTS_PER_S SECONDS LOG\n"
	"       ringside-bench --emit-loops N\n"
	"       ringside-bench --decode-db DB EVENTS\n"
	"Without an option: every benchmark (make bench; minutes), its table on"
	" stdout\nand RESULTS.json (build/bench/results.json). bench/README.md"
	" says what each\nrow measures.\n";

int main(int argc, char **argv)
{
	struct bench_results r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "--gen-trace") == 0)
		return bench_gen_trace(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "--gen-live") == 0)
		return bench_gen_live(argv[2], strtod(argv[3], NULL),
				      strtod(argv[4], NULL), argv[5]);
	if (argc == 4 && strcmp(argv[1], "--decode-db") == 0)
		return bench_decode_db(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "--emit-loops") == 0)
		return bench_emit_loops((uint32_t)strtoul(argv[2], NULL, 10));
	/* --smp: only the rows of several CPUs (quick; no QEMU). --import:
	 * only the import row and the collect it is set beside. --live:
	 * only the live rows (about 90 s of QEMU). --emit: only the emit
	 * path's rows (ns, Ir, overheads). --follow: only the follow rows
	 * (a minute). --decode: only the decode rows (seconds). */
	const int smp_only = argc > 1 && strcmp(argv[1], "--smp") == 0;
	const int import_only = argc > 1 && strcmp(argv[1], "--import") == 0;
	const int live_only = argc > 1 && strcmp(argv[1], "--live") == 0;
	const int emit_only = argc > 1 && strcmp(argv[1], "--emit") == 0;
	const int follow_only = argc > 1 && strcmp(argv[1], "--follow") == 0;
	const int decode_only = argc > 1 && strcmp(argv[1], "--decode") == 0;
	const int partial = smp_only || import_only || live_only ||
			    emit_only || follow_only || decode_only;
	if (partial) {
		argc--;
		argv++;
	}
	/* Anything else that looks like an option is a mistake, not a
	 * results path: it would start the whole (minutes-long) bench. */
	if ((argc > 1 && argv[1][0] == '-') || (argc > 2 && argv[2][0] == '-') ||
	    argc > 3) {
		fputs(usage, stderr);
		return 2;
	}
	/* A partial run must not overwrite the full run's results. */
	const char *json = argc > 1 ? argv[1] : smp_only ?
			   "build/bench/results-smp.json" : import_only ?
			   "build/bench/results-import.json" : live_only ?
			   "build/bench/results-live.json" : emit_only ?
			   "build/bench/results-emit.json" : follow_only ?
			   "build/bench/results-follow.json" : decode_only ?
			   "build/bench/results-decode.json" :
			   "build/bench/results.json";
	const char *dir = argc > 2 ? argv[2] : "build/bench";

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < NFIELDS; i++)
		*field(&r, json_fields[i].off) = BENCH_NONE;
	/* Stdout is a pipe under make: keep progress and table in order
	 * with the helpers' output. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (import_only) {
		bench_collect_smp(&r, dir);
		bench_import(&r, dir);
	} else if (smp_only) {
		bench_emit_smp(&r);
		bench_collect_smp(&r, dir);
		bench_xwake(&r, dir);
	} else if (live_only) {
		bench_live(&r, dir);
	} else if (follow_only) {
		bench_follow(&r, dir);
	} else if (decode_only) {
		bench_decode(&r, dir);
	} else if (emit_only) {
		bench_emit(&r);
		bench_emit_ir(&r, BENCH_DIR "/ringside-bench", dir);
		bench_overhead(&r, dir);
		bench_overhead_demo(&r, dir);
	} else {
		bench_emit(&r);
		bench_emit_ir(&r, BENCH_DIR "/ringside-bench", dir);
		bench_emit_smp(&r);
		bench_lttng(&r, dir);
		bench_overhead(&r, dir);
		bench_overhead_demo(&r, dir);
		bench_xwake(&r, dir);
		bench_decode(&r, dir);
		bench_ingest(&r, dir);
		bench_collect_smp(&r, dir);
		bench_import(&r, dir);
		bench_lag(&r, dir);
		bench_live(&r, dir);
		bench_view(&r, dir);
		bench_follow(&r, dir);
	}

	printf("\n");
	print_table(&r, partial);
	write_json(&r, json);
	printf("results: %s\n", json);
	return 0;
}

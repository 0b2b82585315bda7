/*
 * bench.h - shared pieces of `make bench`: the results every benchmark
 * fills, timing, medians, running helper programs, and notes.
 *
 * Every figure is a double that starts as BENCH_NONE (NaN): a benchmark
 * that cannot run on this machine leaves it so, adds a note saying why,
 * and results.json records null. Benchmarks print and record; they never
 * fail a build on a figure (bench_fail is for a benchmark that measured
 * the wrong thing, e.g. decoded fewer events than it wrote).
 *
 * Adding a row: a field here, its key in bench_main.c's json_fields (same
 * name), and a line in its rows table if it belongs in the printed table.
 */
#ifndef RS_BENCH_H
#define RS_BENCH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_NONE NAN

struct bench_results {
	/* emit (bench_emit.c, bench_lttng.c): ns/event, medians */
	double emit_ns, bare_ns, lttng_ust_ns;
	/* the same two loops without rdtsc (a counter stands in), ns/event */
	double emit_notsc_ns, bare_notsc_ns;
	/* the same two loops in callgrind instructions per record */
	double emit_ir, bare_ir;
	/* kernel tracing overhead (bench_overhead.c): pingpong, callgrind
	 * instructions per round trip with tracing on and compiled out */
	double overhead_pct, overhead_ir_on, overhead_ir_off;
	double xwake_ir_on, xwake_ir_off;
	/* the demo workload, instructions per request (medians of
	 * several runs) and the smallest and largest overhead of a run */
	double overhead_demo_pct, overhead_demo_ir_on, overhead_demo_ir_off;
	double overhead_demo_pct_min, overhead_demo_pct_max;
	double overhead_wall_pct, overhead_wall_on_ns, overhead_wall_off_ns;
	/* decode (bench_decode.c): events/s on the same events; decode_eps
	 * through rs_reader_poll_batch, decode_cb_eps rs_reader_poll */
	double decode_eps, decode_cb_eps, decode_events, babeltrace_eps;
	/* ingest (bench_ingest.c) */
	double ingest_eps, bare_insert_eps, bytes_per_event;
	/* live lag (bench_lag.c), ms; the 1-minute load average before it */
	double lag_p50_ms, lag_p99_ms, lag_loadavg;
	/* keeping up with pingpong under QEMU (bench_live.c): the guest's
	 * events/s, % lost, events/s stored; default settings, and the
	 * design before the spool (_old) in the same run */
	double live_guest_eps, live_lost_pct, live_stored_eps;
	double live_guest_old_eps, live_lost_old_pct, live_stored_old_eps;
	/* the same with a guest that outruns the old design: emitstorm on
	 * two vCPUs (every CPU emitting at full speed) */
	double live_storm_guest_eps, live_storm_lost_pct, live_storm_stored_eps;
	double live_storm_guest_old_eps, live_storm_lost_old_pct;
	double live_storm_stored_old_eps;
	/* viewer on a generated 10 M-event trace (bench_view.c) */
	double view_open_s, view_frame_ms_max, view_frame_ms_avg;
	double view_search_ms;
	/* the worst frame in CPU time (both bands' threads); the model's RSS
	 * growth per event from a 1 M- to the 10 M-event trace */
	double view_frame_cpu_ms_max, view_bytes_per_event;
	/* the same sweep's worst frame drawn on one thread (rv_draw_whole),
	 * beside the window's two bands (viewer/split.c); 10 M and 100 M */
	double view_frame_one_ms_max, view100m_frame_one_ms_max;
	/* BENCH_BIG=1: a 100 M-event trace's open, the one decoder's time
	 * for its chunks on one thread, RSS (GiB) and worst frame; then
	 * view_bytes_per_event is from 10 M to 100 M */
	double view100m_open_s, decode100m_s, view100m_rss_gib;
	double view100m_frame_ms_max;
	/* view100m_open_s is the second of two opens; the first, and the
	 * system time of each (in a VM that hands freed memory back to its
	 * host, the first touch of it again waits for the host:
	 * bench_view.c) */
	double view100m_open_first_s, view100m_open_first_sys_s;
	double view100m_open_sys_s;
	/* the window's open (previews drawn as it goes): when its first
	 * picture was drawn, and the whole of it; 10 M and 100 M */
	double view_first_picture_s, view_shown_open_s;
	double view100m_first_picture_s, view100m_shown_open_s;
	/* --follow while a writer appends (bench_follow.c): the viewer's
	 * CPU over wall time (%), the p99 of commit-to-frame lag, and the
	 * rate the writer kept */
	double follow_cpu_pct, follow_lag_ms, follow_writer_eps;
	/* emit with several CPUs at once (bench_emit_smp.c): the worst CPU's
	 * ns/event at 2 and 4 CPUs (never more than are online), the
	 * headline at the largest N measured (emit_smp_ncpus) with each
	 * CPU's figure, the one-CPU reference of the same rounds (wall
	 * time, medians over clean slices: bench_emit_smp.c), the same two
	 * in the threads' CPU time, and the share of slices that were clean */
	double emit_smp_ns, emit_smp_one_ns, emit_smp_ncpus, emit_smp_clean;
	double emit_smp_cputime_ns, emit_smp_one_cputime_ns;
	/* its control: a bare loop with its position on a line of its own
	 * per CPU, and in one line all CPUs share (worst CPU, clean slices) */
	double emit_smp_ctl_own_ns, emit_smp_ctl_shared_ns;
	double emit_smp2_ns, emit_smp4_ns;
	double emit_smp_cpu0_ns, emit_smp_cpu1_ns, emit_smp_cpu2_ns,
	       emit_smp_cpu3_ns;
	/* `ringside collect file:` on N rings and on one ring, same events
	 * (bench_collect_smp.c): events/s of the whole collect, the same in
	 * CPU time, and of its read+store poll alone */
	double collect_smp_eps, collect_one_eps, collect_smp_ncpus;
	double collect_smp_cpu_eps, collect_one_cpu_eps;
	double collect_smp_store_eps, collect_one_store_eps;
	/* `ringside import mirage:` of 2^20 events (bench_import.c) */
	double import_eps;
	/* why a figure is missing or needs a caveat; one per line */
	char notes[2048];
};

double bench_now(void);
double bench_median(double *v, int n);
void bench_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void bench_note(struct bench_results *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Runs a shell command line; returns its exit status, or -1 if it did not
 * run or died on a signal. */
int bench_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last line of a (log) file that starts with `prefix` ("" for any),
 * without its newline, into buf; 0 if found. */
int bench_grep_last(const char *path, const char *prefix, char *buf,
		    size_t len);
/* Events babeltrace2 reads in a CTF trace (its counter sink), or -1; its
 * output goes to a file in dir. */
long bench_ctf_count(const char *ctf, const char *dir);

void bench_emit(struct bench_results *res);
/* instructions per record of emit and bare loop, callgrind running
 * `self --emit-loops N` */
void bench_emit_ir(struct bench_results *res, const char *self,
		   const char *dir);
int bench_emit_loops(uint32_t n);
void bench_lttng(struct bench_results *res, const char *dir);
void bench_overhead(struct bench_results *res, const char *dir);
/* the same on the demo workload, per request */
void bench_overhead_demo(struct bench_results *res, const char *dir);
/* instructions per cross-CPU wake (sched_wake), tracing on and off */
void bench_xwake(struct bench_results *res, const char *dir);
void bench_decode(struct bench_results *res, const char *dir);
void bench_ingest(struct bench_results *res, const char *dir);
void bench_lag(struct bench_results *res, const char *dir);
void bench_live(struct bench_results *res, const char *dir);
void bench_view(struct bench_results *res, const char *dir);
/* `--decode-db DB N`: the decoder alone over every chunk of DB, which must
 * hold N events (the decode100m_s row, on any database); 0 or 1. */
int bench_decode_db(const char *db, uint64_t n);
void bench_emit_smp(struct bench_results *res);
void bench_collect_smp(struct bench_results *res, const char *dir);
void bench_import(struct bench_results *res, const char *dir);
/* The synthetic N-event trace bench_view measures, into `out`. */
int bench_gen_trace(const char *out, uint64_t n);
/* The same guest live: eps events a second of wall time into `out` for
 * `seconds`, committed every 50 ms; `log` gets "EVENTS COMMIT_NS" per
 * commit (CLOCK_MONOTONIC) and "# eps N" at the end. */
int bench_gen_live(const char *out, double eps, double seconds,
		   const char *log);
void bench_follow(struct bench_results *res, const char *dir);

#endif

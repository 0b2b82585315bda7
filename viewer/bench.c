/*
 * bench.c - measuring the viewer on big traces: --bench loads a trace and
 * renders a sweep of zoom levels headlessly, printing the load time and
 * the slowest frame, then times a label search, then opens the trace again
 * as the window does, with previews, to time its first picture. `make
 * bench` runs it on a generated 10 M-event trace
 * (bench/bench_view.c makes it through the real writer and store).
 */
#include <cairo.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "draw.h"
#include "follow.h"
#include "lod.h"
#include "sum.h"
#include "ringside_ring.h"
#include "viewer.h"


static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This thread's CPU time: a follow's fetch and apply (bench_follow). */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The process's CPU time: the load decodes on several threads, and a
 * frame draws in two bands on two (split.c); on a machine others share,
 * the wall clock also counts the time a thread waited for a core. */
static double proc_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This process's system CPU seconds, all threads: of an open's CPU, what
 * the kernel spent (most of it backing the model's pages). */
static double proc_sys_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* VmRSS and VmHWM of this process in kB (0 where /proc says nothing):
 * what the loaded model holds, and the most the load ever held. */
static void rss_kb(long *rss, long *hwm)
{
	char l[256];
	FILE *f = fopen("/proc/self/status", "r");
	*rss = *hwm = 0;
	while (f && fgets(l, sizeof l, f)) {
		if (!strncmp(l, "VmRSS:", 6))
			*rss = strtol(l + 6, NULL, 10);
		else if (!strncmp(l, "VmHWM:", 6))
			*hwm = strtol(l + 6, NULL, 10);
	}
	if (f)
		fclose(f);
}

/* The window's open (window_load.c): previews drawn as it goes. */
typedef struct {
	double t0, first;
	int n, width, height;
} shown_state;

static void bench_preview(void *data, const rv_model *m, int64_t lo,
			  int64_t hi)
{
	shown_state *st = data;
	cairo_surface_destroy(rv_draw_fitted(m, lo, hi, st->width,
					     st->height));
	if (!st->n++)
		st->first = now_s() - st->t0;
}

/* The same trace opened as the window opens it: when its first picture
 * was drawn, and the whole open, previews included. */
static int bench_shown(const char *path, int width, int height)
{
	char err[512];
	shown_state st = { .t0 = now_s(), .width = width, .height = height };
	const rv_load_show show = { .preview = bench_preview,
				    .preview_data = &st,
				    .preview_ms = RV_PREVIEW_MS };
	rv_model *m = rv_model_load_shown(path, err, sizeof err, &show);
	if (!m) {
		fprintf(stderr, "ringside-view: %s\n", err);
		return 1;
	}
	const double open_s = now_s() - st.t0;
	long rss, hwm;
	rss_kb(&rss, &hwm);
	printf("shown_open_s %.3f  first_picture_s %.3f  previews %d  "
	       "(the window's open)\n", open_s, st.n ? st.first : open_s, st.n);
	printf("shown_rss_kb %ld  hwm_kb %ld\n", rss, hwm);
	rv_model_free(m);
	return 0;
}

/* The sweep's figures. */
typedef struct {
	double worst, sum, worst_w, worst_cpu, worst_cpu_w;
	int frames;
} sweep_result;

/* A frame as the window draws it (rv_draw: two bands on two threads where
 * it can), or on one thread (rv_draw_whole), its yardstick. */
static void draw_frame(cairo_t *cr, const rv_model *m, const rv_view *v,
		       bool one_thread)
{
	if (one_thread)
		rv_draw_whole(cr, m, v);
	else
		rv_draw(cr, m, v);
}

/* Frame `index` of the sweep alone (RV_BENCH_ONLY), drawn `reps` times
 * before it is timed, for the caches to hold what it reads, as a frame
 * the sweep draws finds them after the one before; with reps > 1 the
 * quickest of those draws is printed (RV_BENCH_REPEAT: on a shared
 * machine, the least disturbed; and a sampling profiler sees it warm). */
static void warm_frame(cairo_t *cr, const rv_model *m, const rv_view *v,
		       int index, int reps, bool one_thread)
{
	double rep_min = 1e9;
	for (int rep = 0; rep < reps; rep++) {
		const double r0 = proc_cpu_s();
		draw_frame(cr, m, v, one_thread);
		rep_min = MIN(rep_min, (proc_cpu_s() - r0) * 1e3);
	}
	if (reps > 1)
		printf("frame %d untimed draws: %d, the quickest %.2f ms of "
		       "CPU\n", index, reps, rep_min);
}

/* Zoom in x1.2 per step from the whole trace down to ~1 ns/px, at three
 * positions (start, middle, end), as wheel zooming would; only frame
 * `only` (from 0, in the order RV_BENCH_FRAMES prints them) if >= 0. */
static sweep_result sweep(cairo_t *cr, const rv_model *m, rv_view *v,
			  int only, int reps, bool one_thread)
{
	sweep_result r = { 0 };
	const int width = v->width;
	const double full = v->ns_per_px;
	int index = -1;
	for (int pos = 0; pos < 3; pos++) {
		for (double npp = full; npp >= 0.5; npp /= 1.2) {
			double span = npp * (width - RV_LEFT_W);
			double centre = (double)m->t_min +
				(double)(m->t_max - m->t_min) * (0.02 + 0.48 * pos);
			if (++index != only && only >= 0)
				continue;
			v->ns_per_px = npp;
			v->from = centre - span / 2;
			if (only >= 0)
				warm_frame(cr, m, v, index, reps, one_thread);
			struct rusage ru0, ru1;
			getrusage(RUSAGE_SELF, &ru0);
			double f0 = now_s(), c0 = proc_cpu_s();
			draw_frame(cr, m, v, one_thread);
			getrusage(RUSAGE_SELF, &ru1);
			cairo_surface_flush(cairo_get_target(cr));
			double ms = (now_s() - f0) * 1e3;
			double cpu_ms = (proc_cpu_s() - c0) * 1e3;
			r.sum += ms;
			r.frames++;
			if (getenv("RV_BENCH_FRAMES"))
				printf("%s %d pos %d npp %.4g ms %.2f "
				       "cpu_ms %.2f faults %ld\n",
				       one_thread ? "frame1" : "frame", index,
				       pos, npp, ms, cpu_ms,
				       ru1.ru_minflt - ru0.ru_minflt);
			if (cpu_ms > r.worst_cpu) {
				r.worst_cpu = cpu_ms;
				r.worst_cpu_w = span;
			}
			if (ms > r.worst) {
				r.worst = ms;
				r.worst_w = span;
			}
		}
	}
	return r;
}

int rv_bench(const char *path, int width, int height)
{
	char err[512];
	/* the window's open alone: its peak memory, undisturbed by a load
	 * before it (RV_BENCH_SHOWN_ONLY=1) */
	if (getenv("RV_BENCH_SHOWN_ONLY"))
		return bench_shown(path, width, height);
	/* as the window, whose area has its size, its images (the frame's
	 * and the split's bands', rv_draw_reserve) and "Loading..." drawn
	 * (which starts fontconfig, ~25 M instructions) before the trace is
	 * loaded: so the first frame of the trace is not timed with them */
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							width, height);
	cairo_t *cr = cairo_create(s);
	rv_view v = { .width = width, .height = height };
	rv_draw_reserve(width, height, 1);
	rv_draw(cr, NULL, &v);
	double t0 = now_s(), pc0 = proc_cpu_s(), ps0 = proc_sys_s();
	rv_model *m = rv_model_load(path, err, sizeof err);
	if (!m) {
		fprintf(stderr, "ringside-view: %s\n", err);
		cairo_destroy(cr);
		cairo_surface_destroy(s);
		return 1;
	}
	double open_s = now_s() - t0, open_cpu_s = proc_cpu_s() - pc0;
	const double open_sys_s = proc_sys_s() - ps0;
	long rss, hwm;
	rss_kb(&rss, &hwm);
	rv_view_fit(&v, m);
	/* RV_BENCH_ONLY=K draws only the sweep's frame K: one frame to
	 * profile under callgrind, whose instruction count repeats on a
	 * shared machine (with --dump-before=rv_draw, the last part is the
	 * timed draw: the window's open below is left out then) */
	const char *only_s = getenv("RV_BENCH_ONLY");
	const int only = only_s ? atoi(only_s) : -1;
	const char *reps_s = getenv("RV_BENCH_REPEAT");
	const int reps = reps_s ? atoi(reps_s) : 1;
	const sweep_result r = sweep(cr, m, &v, only, reps, false);
	/* the same sweep drawn on one thread, beside it: what the split
	 * into two bands (split.c) saves, on this machine, now (not for
	 * one frame alone, whose last draw a profile keeps) */
	sweep_result r1 = { 0 };
	if (only < 0) {
		rv_view_fit(&v, m);
		r1 = sweep(cr, m, &v, only, reps, true);
	}
	/* a search as the window runs it per keystroke (in a worker, but
	 * what it costs is how long the matches take to show) */
	static const char *needles[] = { "e", "4242", "no such label" };
	uint8_t *match = g_malloc(m->pp.n ? m->pp.n : 1);
	double search_worst = 0;
	for (size_t k = 0; k < G_N_ELEMENTS(needles); k++) {
		double f0 = now_s();
		rv_search(m, needles[k], match);
		search_worst = MAX(search_worst, (now_s() - f0) * 1e3);
	}
	g_free(match);
	char wbuf[48];
	rv_fmt_dur(wbuf, sizeof wbuf, r.worst_w);
	printf("events %llu  promises+threads %u  rows %u  arrows %u\n",
	       (unsigned long long)m->nevents, m->pp.n, m->nrows, m->arrows.n);
	printf("open_s %.3f  frames %d  avg_frame_ms %.2f  max_frame_ms %.2f "
	       "(window %s)  size %dx%d\n", open_s, r.frames,
	       r.sum / r.frames, r.worst, wbuf, width, height);
	rv_fmt_dur(wbuf, sizeof wbuf, r.worst_cpu_w);
	printf("max_frame_cpu_ms %.2f (window %s; both bands' threads)\n",
	       r.worst_cpu, wbuf);
	int split, slower, whole;
	rv_split_counts(&split, &slower, &whole);
	printf("split_frames %d of %d  (not quicker %d; then drawn whole "
	       "%d)\n", split, r.frames, slower, whole);
	if (r1.frames) {
		rv_fmt_dur(wbuf, sizeof wbuf, r1.worst_w);
		printf("one_thread avg_frame_ms %.2f  max_frame_ms %.2f "
		       "(window %s)  max_frame_cpu_ms %.2f\n",
		       r1.sum / r1.frames, r1.worst, wbuf, r1.worst_cpu);
	}
	printf("rss_kb %ld  hwm_kb %ld  (after load; most ever)\n", rss, hwm);
	/* what drawing's fingers (lod.c) add to the model */
	printf("lod_bytes %zu  (%.2f per event)\n", rv_lod_bytes(m),
	       m->nevents ? (double)rv_lod_bytes(m) / (double)m->nevents : 0);
	printf("sum_bytes %zu  (%.2f per event)\n", rv_sum_model_bytes(m),
	       m->nevents ? (double)rv_sum_model_bytes(m) /
			    (double)m->nevents : 0);
	printf("open_cpu_s %.3f  open_sys_s %.3f  (all threads)\n", open_cpu_s,
	       open_sys_s);
	printf("search_ms %.2f (worst of %d needles over %u labels)\n",
	       search_worst, (int)G_N_ELEMENTS(needles), m->pp.n);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	rv_model_free(m);
	return only >= 0 ? 0 : bench_shown(path, width, height);
}

/*
 * --bench-follow SECONDS: what the window does with --follow, headless:
 * every 200 ms the same probe (rv_db_event_count), reload (rv_follow,
 * which appends what is new) and one frame following the end (as
 * rv_win_follow_end slides it, 10 ms of trace wide), for SECONDS. One
 * line a tick: when the frame was drawn (CLOCK_MONOTONIC ns, for
 * bench_follow.c to set beside the writer's commits) and what it held;
 * then the process's CPU time over the wall time.
 */
#define BENCH_FOLLOW_SPAN_NS 10e6

int rv_bench_follow(const char *path, double seconds, int width, int height)
{
	char err[512];
	const double t0 = now_s(), pc0 = proc_cpu_s();
	rv_follow *f = rv_follow_open(path, err, sizeof err, NULL, NULL);
	if (!f) {
		fprintf(stderr, "ringside-view: %s\n", err);
		return 1;
	}
	rv_follow_set_slice(f, RV_FOLLOW_UI_SLICE);   /* as the window */
	printf("open_s %.3f events %llu\n", now_s() - t0,
	       (unsigned long long)rv_follow_model(f)->nevents);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							width, height);
	/* the newest 10 ms, at every tick: a frame's cost should not depend
	 * on how much there was when the follow began (the window keeps
	 * its first fit's width) */
	rv_view v = { .width = width, .height = height };
	rv_view_fit(&v, rv_follow_model(f));
	v.ns_per_px = BENCH_FOLLOW_SPAN_NS / (width - RV_LEFT_W);
	int64_t seen = rv_db_event_count(path);
	double next = now_s();
	while (now_s() - t0 < seconds) {
		next += 0.2;
		const double wait = next - now_s();
		if (wait > 0)
			g_usleep((gulong)(wait * 1e6));
		const double a0 = now_s(), c0 = cpu_s();
		double fetch_cpu = 0;
		const int64_t n = rv_db_event_count(path);
		if (n >= 0 && n != seen) {
			seen = n;
			/* as the window: decode (its worker), then apply */
			int r = rv_follow_fetch(f, err, sizeof err);
			fetch_cpu = cpu_s() - c0;
			bool ok = r >= 0;
			do {
				rv_model *old = NULL;
				ok = ok && (r == 0 || rv_follow_apply(f, &old, err,
								      sizeof err));
				rv_model_free(old);
			} while (ok && rv_follow_more(f));
			if (!ok) {
				fprintf(stderr, "ringside-view: %s\n", err);
				break;
			}
		}
		const double a1 = now_s(), c1 = cpu_s();
		const rv_model *m = rv_follow_model(f);
		const double page = v.ns_per_px * (v.width - RV_LEFT_W);
		v.from = (double)m->t_max + page * (0.02 / 1.02) - page;
		cairo_t *cr = cairo_create(s);
		rv_draw(cr, m, &v);
		cairo_destroy(cr);
		cairo_surface_flush(s);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		const rv_follow_stats *st = rv_follow_stats_get(f);
		printf("tick drawn_ns=%lld events=%llu decoded=%llu derived=%llu"
		       " rebuilt=%d reload_ms=%.2f fetch_cpu_ms=%.2f"
		       " apply_cpu_ms=%.2f draw_ms=%.2f\n",
		       (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec,
		       (unsigned long long)m->nevents,
		       (unsigned long long)st->events,
		       (unsigned long long)st->derived, st->rebuilt,
		       (a1 - a0) * 1e3, fetch_cpu * 1e3,
		       (c1 - c0 - fetch_cpu) * 1e3, (now_s() - a1) * 1e3);
	}
	const double wall = now_s() - t0, cpu = proc_cpu_s() - pc0;
	const rv_follow_stats *st = rv_follow_stats_get(f);
	long rss, hwm;
	rss_kb(&rss, &hwm);
	printf("rss_kb %ld  hwm_kb %ld\n", rss, hwm);
	printf("follow_cpu_pct %.1f wall_s %.2f reloads %llu rebuilds %llu\n",
	       100.0 * cpu / wall, wall, (unsigned long long)st->reloads,
	       (unsigned long long)st->rebuilds);
	cairo_surface_destroy(s);
	rv_follow_free(f, false);
	return 0;
}

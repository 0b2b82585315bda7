/*
 * bench.c - measuring the viewer on big traces: --bench loads a trace and
 * renders a sweep of zoom levels headlessly, printing the load time and
 * the slowest frame, then times a label search. `make bench` runs it on a generated 10 M-event trace
 * (bench/bench_view.c makes it through the real writer and store).
 */
#include <cairo.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "draw.h"
#include "lod.h"
#include "ringside_ring.h"
#include "viewer.h"


static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This thread's CPU time: a frame's cost on a machine others share,
 * where the wall clock also counts the time it waited for a core. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The process's CPU time: the load decodes on several threads. */
static double proc_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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

int rv_bench(const char *path, int width, int height)
{
	char err[512];
	double t0 = now_s(), pc0 = proc_cpu_s();
	rv_model *m = rv_model_load(path, err, sizeof err);
	if (!m) {
		fprintf(stderr, "ringside-view: %s\n", err);
		return 1;
	}
	double open_s = now_s() - t0, open_cpu_s = proc_cpu_s() - pc0;
	long rss, hwm;
	rss_kb(&rss, &hwm);
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
							width, height);
	cairo_t *cr = cairo_create(s);
	rv_view v = { .width = width, .height = height };
	rv_view_fit(&v, m);
	double full = v.ns_per_px, worst = 0, sum = 0, worst_w = 0;
	double worst_cpu = 0, worst_cpu_w = 0;
	int frames = 0;
	/* zoom in x1.2 per step from the whole trace down to ~1 ns/px, at
	 * three positions (start, middle, end), as wheel zooming would */
	for (int pos = 0; pos < 3; pos++) {
		for (double npp = full; npp >= 0.5; npp /= 1.2) {
			double span = npp * (width - RV_LEFT_W);
			double centre = (double)m->t_min +
				(double)(m->t_max - m->t_min) * (0.02 + 0.48 * pos);
			v.ns_per_px = npp;
			v.from = centre - span / 2;
			double f0 = now_s(), c0 = cpu_s();
			rv_draw(cr, m, &v);
			cairo_surface_flush(s);
			double ms = (now_s() - f0) * 1e3;
			double cpu_ms = (cpu_s() - c0) * 1e3;
			sum += ms;
			frames++;
			if (getenv("RV_BENCH_FRAMES"))
				printf("frame pos %d npp %.4g ms %.2f cpu_ms %.2f\n",
				       pos, npp, ms, cpu_ms);
			if (cpu_ms > worst_cpu) {
				worst_cpu = cpu_ms;
				worst_cpu_w = span;
			}
			if (ms > worst) {
				worst = ms;
				worst_w = span;
			}
		}
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
	rv_fmt_dur(wbuf, sizeof wbuf, worst_w);
	printf("events %llu  promises+threads %u  rows %u  arrows %u\n",
	       (unsigned long long)m->nevents, m->pp.n, m->nrows, m->arrows.n);
	printf("open_s %.3f  frames %d  avg_frame_ms %.2f  max_frame_ms %.2f "
	       "(window %s)  size %dx%d\n", open_s, frames, sum / frames, worst,
	       wbuf, width, height);
	rv_fmt_dur(wbuf, sizeof wbuf, worst_cpu_w);
	printf("max_frame_cpu_ms %.2f (window %s)\n", worst_cpu, wbuf);
	printf("rss_kb %ld  hwm_kb %ld  (after load; most ever)\n", rss, hwm);
	/* what drawing's fingers (lod.c) add to the model */
	printf("lod_bytes %zu  (%.2f per event)\n", rv_lod_bytes(m),
	       m->nevents ? (double)rv_lod_bytes(m) / (double)m->nevents : 0);
	printf("open_cpu_s %.3f  (all threads)\n", open_cpu_s);
	printf("search_ms %.2f (worst of %d needles over %u labels)\n",
	       search_worst, (int)G_N_ELEMENTS(needles), m->pp.n);
	cairo_destroy(cr);
	cairo_surface_destroy(s);
	rv_model_free(m);
	return 0;
}

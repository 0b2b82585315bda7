/*
 * split.c - a frame drawn in two bands, on two threads.
 *
 * Why: zoomed out over a 100 M-event trace a frame reads one summary entry
 * per pixel column for every lane, row and counter in view (sum.h), about
 * 10-12 ms of one core, spread over a dozen layers with no one of them
 * above a third (bench/README, session 12). The machine has two cores
 * and a frame has rows of pixels that do not depend on each other: the
 * top band (ruler, CPU lanes, threads, counters, the first promise rows)
 * is drawn on the calling thread while another draws the bottom band.
 *
 * How, and why the pixels are the same as one thread's:
 * - each band draws the frame (rv_draw_whole) into an image of its own
 *   of the target's size, at the same device positions: every shape is
 *   rasterised, and cut by the same clip and image edges, as on the
 *   target (cut by an edge of its own, a slanted antialiased arrow came
 *   out a few levels different, up to 26 rows from the cut); the threads
 *   share no cairo object;
 * - a layer skips the lanes, rows and arrows wholly outside its band
 *   (rv_body_rows), as it skips those out of view: that is where the time
 *   is saved. What crosses the split is drawn by both; what decides the
 *   look of the whole frame (whether arrows get heads) is counted over
 *   the whole view in both;
 * - each band then copies only its own rows, [0, y) and [y, height), of
 *   the view's columns into the target: no pixel is written by both.
 * test_viewer_split.c compares the two, byte for byte, at many splits and
 * at every row of models of slanted arrows, sparse and dense.
 *
 * The model is only read while drawing; each band has its own column
 * lookups (rv_cols), made by the band that asks.
 */
#include "draw.h"

#include <assert.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a lane or row costs a zoomed-out frame, in instructions over 0.2 M
 * (callgrind of the bench's frame 86 on its 10 M-event trace, session 12):
 * a CPU lane, four span lists and its texts, 3.7 M; a promise row with its
 * labels 1.2 M; a counter 0.9 M; a thread's state lane 0.75 M. */
#define COST_CPU     18
#define COST_ROW     6
#define COST_COUNTER 5
#define COST_THREAD  4

/* Bands thinner than this are not worth a thread. */
#define SPLIT_MIN_H  32

typedef struct {
	double y0, h;   /* where its first item starts, an item's height */
	uint32_t n;
	int cost;
} section;

/* The cost of sc's items in the pixel rows [top, bottom), and (*above)
 * of those of them whose middle is above y_cut. */
static double section_cost(const section *sc, double top, double bottom,
			   double y_cut, double *above)
{
	/* item i is in view where y0 + i h + h > top and y0 + i h < bottom */
	const double i0 = fmax(0, floor((top - sc->y0) / sc->h - 1) + 1);
	const double i1 = fmin(sc->n, ceil((bottom - sc->y0) / sc->h));
	if (i1 <= i0)
		return 0;
	const double ia = fmin(i1, fmax(i0, ceil((y_cut - sc->y0) / sc->h -
						  0.5)));
	*above += (ia - i0) * sc->cost;
	return (i1 - i0) * sc->cost;
}

/* The y whose lanes and rows above cost share (of 1) of those in view. */
static int split_y(const rv_model *m, const rv_view *v, double share)
{
	assert(m && v && share > 0 && share < 1);
	if (v->height < RV_RULER_H + 2 * SPLIT_MIN_H)
		return 0;
	rv_geom g;
	rv_geom_compute(m, &g);
	const double off = RV_RULER_H - v->yscroll;
	const section sc[4] = {
		{ off + g.cpu_y, RV_LANE_H, (uint32_t)m->ncpus, COST_CPU },
		{ off + g.thread_y, RV_THREAD_H,
		  m->show_threads ? m->nthreads : 0, COST_THREAD },
		{ off + g.counter_y, RV_COUNTER_H, g.ncounters_shown,
		  COST_COUNTER },
		{ off + g.rows_y, RV_ROW_H, m->nrows, COST_ROW },
	};
	/* bisected over whole pixels, as the cost above grows with y */
	int lo = RV_RULER_H + SPLIT_MIN_H, hi = v->height - SPLIT_MIN_H;
	while (lo < hi) {
		const int mid = lo + (hi - lo) / 2;
		double all = 0, above = 0;
		for (int k = 0; k < 4; k++)
			all += section_cost(&sc[k], RV_RULER_H, v->height, mid,
					    &above);
		if (above < share * all)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int rv_split_y(const rv_model *m, const rv_view *v)
{
	return split_y(m, v, 0.5);
}

typedef struct {
	const rv_model *m;
	rv_view v;              /* its band set */
	unsigned char *scratch; /* its image's pixels, the target's size */
	unsigned char *out;     /* the target's */
	int first, end;         /* its own device rows */
	size_t row_bytes;       /* a row's pixels in view */
	cairo_format_t format;
	int width, height, stride;   /* the image, in device pixels */
	double scale;
	double cpu_s;           /* the band's thread's CPU time for it */
} band;

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw_band(band *b)
{
	const double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	cairo_surface_t *s = cairo_image_surface_create_for_data(
		b->scratch, b->format, b->width, b->height, b->stride);
	cairo_surface_set_device_scale(s, b->scale, b->scale);
	cairo_t *cr = cairo_create(s);
	rv_draw_whole(cr, b->m, &b->v);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_surface_destroy(s);
	for (int y = b->first; y < b->end; y++)
		memcpy(b->out + (size_t)y * (size_t)b->stride,
		       b->scratch + (size_t)y * (size_t)b->stride,
		       b->row_bytes);
	b->cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
}

static gpointer band_thread(gpointer data)
{
	draw_band(data);
	return NULL;
}

/* The bands' images, kept from frame to frame (a fresh 3 MB each frame
 * would be page faults each frame); one split at a time uses them. */
static struct {
	GMutex lock;
	unsigned char *px[2];
	size_t size[2];
} scratch;

/* Band k's image of at least size bytes; *grown (if asked) when it was
 * made now. */
static unsigned char *scratch_get(int k, size_t size, bool *grown)
{
	const bool grow = scratch.size[k] < size;
	if (grow) {
		g_free(scratch.px[k]);
		scratch.px[k] = g_malloc(size);
		scratch.size[k] = size;
	}
	if (grown)
		*grown = grow;
	return scratch.px[k];
}

/*
 * Even the first split frame writes each band's image from top to bottom
 * (lines the height of the view cross every row), and the first touch of
 * a page is a page fault: on this VM, ~3 us each for a 1200x700 image's
 * 820 pages, 5-6 ms of the first split frame's CPU (1711 faults where a
 * later frame has 2-20). The window reserves the images when its area
 * gets its size, before and while the trace loads; the faults are taken
 * there, not in a frame.
 */
void rv_draw_reserve(int width, int height, int scale)
{
	assert(width > 0 && height > 0 && scale >= 1);
	const int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24,
							 width * scale);
	if (stride <= 0)
		return;
	const size_t size = (size_t)stride * (size_t)height * (size_t)scale;
	g_mutex_lock(&scratch.lock);
	for (int k = 0; k < 2; k++) {
		bool grown;
		unsigned char *px = scratch_get(k, size, &grown);
		if (grown)
			memset(px, 0, size);
	}
	g_mutex_unlock(&scratch.lock);
}

/* cr draws straight onto a whole RGB image, unclipped and unmoved, whose
 * rows can be handed out: device pixels an integer multiple of v's. */
static bool splittable(cairo_t *cr, const rv_view *v, double *scale)
{
	cairo_surface_t *s = cairo_get_target(cr);
	if (!rv_rgb_image(s))
		return false;
	double sx, sy, ox, oy;
	cairo_surface_get_device_scale(s, &sx, &sy);
	cairo_surface_get_device_offset(s, &ox, &oy);
	cairo_matrix_t mx;
	cairo_get_matrix(cr, &mx);
	if (sx != sy || sx < 1 || sx != floor(sx) || ox != 0 || oy != 0 ||
	    mx.xx != 1 || mx.yy != 1 || mx.xy != 0 || mx.yx != 0 ||
	    mx.x0 != 0 || mx.y0 != 0)
		return false;
	/* the clip: none, or one that holds the whole view */
	double x0, y0, x1, y1;
	cairo_clip_extents(cr, &x0, &y0, &x1, &y1);
	if (x0 > 0 || y0 > 0 || x1 < v->width || y1 < v->height)
		return false;
	if (cairo_image_surface_get_width(s) < v->width * sx ||
	    cairo_image_surface_get_height(s) < v->height * sy)
		return false;
	*scale = sx;
	return cairo_image_surface_get_data(s) != NULL;
}

/* RV_DRAW_THREADS: 1 draws every frame on one thread, 2 splits every
 * frame it can (no pacing: for measuring, as under valgrind, which runs
 * one thread at a time, every split frame is slower); unset, rv_draw
 * paces, where there are two cores. */
static int threads_asked(void)
{
	const char *e = getenv("RV_DRAW_THREADS");
	return e ? atoi(e) : 0;
}

/* What a split frame took: each band's thread's CPU time for it, and
 * how long the calling thread, done with its band, waited for the other
 * (drawing the frame whole would have added the other's CPU time). */
typedef struct {
	double top_cpu, bottom_cpu, waited;
} split_times;

/* rv_draw_split, its times in *t. */
static bool split_at(cairo_t *cr, const rv_model *m, const rv_view *v,
		     int y, split_times *t)
{
	assert(cr && m && v);
	double scale;
	if (y <= RV_RULER_H || y >= v->height || v->band_y1 != 0 ||
	    threads_asked() == 1 || !splittable(cr, v, &scale))
		return false;
	/* another thread splitting a frame now has the images: this one is
	 * drawn whole */
	if (!g_mutex_trylock(&scratch.lock))
		return false;
	cairo_surface_t *s = cairo_get_target(cr);
	cairo_surface_flush(s);
	const int stride = cairo_image_surface_get_stride(s);
	const int sc = (int)scale;
	const size_t size = (size_t)stride * (size_t)(v->height * sc);
	band top = { m, *v, scratch_get(0, size, NULL),
		     cairo_image_surface_get_data(s), 0, y * sc,
		     (size_t)v->width * (size_t)sc * 4,
		     cairo_image_surface_get_format(s), v->width * sc,
		     v->height * sc, stride, scale, 0 };
	top.v.share = rv_frame_share_new();
	band bottom = top;
	top.v.band_y0 = 0;
	top.v.band_y1 = y;
	bottom.v.band_y0 = y;
	bottom.v.band_y1 = v->height;
	bottom.scratch = scratch_get(1, size, NULL);
	bottom.first = y * sc;
	bottom.end = v->height * sc;
	GThread *th = g_thread_try_new("rv-band", band_thread, &bottom, NULL);
	if (!th) {
		rv_frame_share_free(top.v.share);
		g_mutex_unlock(&scratch.lock);
		return false;
	}
	draw_band(&top);
	const double w0 = clock_s(CLOCK_MONOTONIC);
	g_thread_join(th);
	t->waited = clock_s(CLOCK_MONOTONIC) - w0;
	t->top_cpu = top.cpu_s;
	t->bottom_cpu = bottom.cpu_s;
	rv_frame_share_free(top.v.share);
	g_mutex_unlock(&scratch.lock);
	cairo_surface_mark_dirty(s);
	return true;
}

bool rv_draw_split(cairo_t *cr, const rv_model *m, const rv_view *v, int y)
{
	split_times t;
	return split_at(cr, m, v, y, &t);
}

/*
 * Two things a frame learns for the next, process-wide, as the cores are.
 *
 * Where to split. The costs above are a zoomed-out frame's; zoomed in, a
 * promise row's labels cost more beside a lane (the top band's share of
 * the two bands' CPU time fell to a quarter at 70-1200 ns a pixel on the
 * bench's trace). So each split frame moves the share of the lanes' and
 * rows' costs the top band is given halfway towards what would have
 * evened out its measured times; consecutive frames are alike.
 *
 * Whether to split at all. Where cores are shared (a VM on a busy host)
 * the thread drawing the bottom band can wait for a core longer than its
 * band takes: in the bench's sweeps on such a machine, two bands against
 * one thread side by side, frames on two threads were slower on average
 * in runs whose guest saw 1.2-3.7 s of its 15 s stolen, and quicker in
 * those that saw none (the average frame by 2-30 %, a warm zoomed-out
 * one by a third: bench/README, session 12). A
 * split frame whose calling thread, done with its band, waited for the
 * other longer than the other's band took was slower than drawing it
 * whole, often by several ms; the next 4 frames are drawn whole, twice
 * as many after each such frame in a row (2048 at most, half a minute
 * of frames), and a split frame that was not slower starts that over.
 * Steal comes in bursts: one slow split says little about the frames
 * after it, and a sweep's zoomed-out frames drawn whole are its slowest
 * (7-11 ms at 10 M here). Starting at 32, four runs of the 10 M sweep
 * drew 32-205 frames whole after 1-6 slow splits; starting at 4, 0-24
 * (bench/README, session 13). Under steal that lasts, the doubling
 * makes the probes rare all the same: three more than from 32.
 */
bool rv_pace_whole(rv_pace *p)
{
	if (p->skip <= 0)
		return false;
	p->skip--;
	p->whole++;
	return true;
}

void rv_pace_note(rv_pace *p, double top_cpu, double bottom_cpu,
		  double waited)
{
	p->split++;
	if (top_cpu + bottom_cpu > 0) {
		const double got = top_cpu / (top_cpu + bottom_cpu);
		p->share = fmin(0.9, fmax(0.1, p->share + (0.5 - got) / 2));
	}
	if (waited > bottom_cpu) {
		p->slower++;
		p->skip = p->next;
		p->next = MIN(2 * p->next, RV_PACE_MAX);
	} else {
		p->next = RV_PACE_FIRST;
	}
}

/* The process's: the cores are. */
static struct {
	GMutex lock;
	rv_pace p;
} pace = { .p = RV_PACE_INIT };

void rv_split_counts(int *split, int *slower, int *whole)
{
	g_mutex_lock(&pace.lock);
	*split = pace.p.split;
	*slower = pace.p.slower;
	*whole = pace.p.whole;
	g_mutex_unlock(&pace.lock);
}

bool rv_draw_paced(cairo_t *cr, const rv_model *m, const rv_view *v)
{
	static gsize cores;
	if (g_once_init_enter(&cores))
		g_once_init_leave(&cores, (gsize)g_get_num_processors());
	if (cores < 2)
		return false;
	const bool always = threads_asked() == 2;
	g_mutex_lock(&pace.lock);
	const bool whole = !always && rv_pace_whole(&pace.p);
	const double share = pace.p.share;
	g_mutex_unlock(&pace.lock);
	split_times t;
	if (whole || !split_at(cr, m, v, split_y(m, v, share), &t))
		return false;
	g_mutex_lock(&pace.lock);
	rv_pace_note(&pace.p, t.top_cpu, t.bottom_cpu, always ? 0 : t.waited);
	g_mutex_unlock(&pace.lock);
	return true;
}

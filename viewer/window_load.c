/*
 * window_load.c - getting a model into the window: the load in a GTask
 * with its progress ("Loading... 37 %", from the ranges the loader has
 * used up), and --follow: waiting for a database that does not exist yet
 * (as `collect --wait-secs` waits for a guest), polling it every 200 ms,
 * reloading when it grew, and sliding the view with the newest data
 * until the user zooms or pans (End resumes: window.c).
 *
 * While the first load runs, the area shows the trace as far as it is
 * loaded: the loader calls back now and then with the model laid out for
 * show (follow.h, rv_load_show), and this file draws it, on the loading
 * thread, into an image of the area's size fitted to the whole trace's
 * extent, so the picture fills in from the left; the UI thread only
 * paints the latest image under the progress. A preview is drawn by the
 * same rv_draw as every frame, from a model published as a follow's is.
 *
 * A follow's model grows in place (follow.h): a worker decodes the new
 * chunks, and this thread derives them into the model between frames
 * (and not while a search worker reads it); when the follow must load
 * afresh, the new model is swapped in as the first one was. The view
 * keeps its from/zoom/scroll unless it is following the end.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "window.h"

/* Progress from the loading thread to the UI thread: one message per
 * range, in order, so the window (and a test script) sees each step. */
typedef struct {
	win_t *w;
	int permille;
} progress_msg;

static gboolean progress_ui(gpointer data)
{
	progress_msg *p = data;
	win_t *w = p->w;
	if (w->loading && p->permille < 1000) {
		g_snprintf(w->load_msg, sizeof w->load_msg, "Loading... %d %%",
			   p->permille / 10);
		if (!w->m) {
			w->v.message = w->load_msg;
			rv_win_status(w, "%s", w->load_msg);
			gtk_widget_queue_draw(w->area);
		}
		if (w->script) {
			printf("loading %d %%\n", p->permille / 10);
			fflush(stdout);
		}
	}
	return G_SOURCE_REMOVE;
}

static void progress_cb(void *data, int permille)
{
	progress_msg *p = g_new(progress_msg, 1);
	p->w = data;
	p->permille = permille;
	g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, progress_ui, p,
				   g_free);
}

typedef struct {
	win_t *w;
	cairo_surface_t *s;
	uint64_t events;
} preview_msg;

static void preview_msg_free(gpointer data)
{
	preview_msg *p = data;
	if (p->s)
		cairo_surface_destroy(p->s);
	g_free(p);
}

/* Written when the test asks (RINGSIDE_VIEW_PREVIEW_PNG=PREFIX: the
 * k-th preview into PREFIXk.png), so a test can look at what was shown. */
static void preview_save(const win_t *w, cairo_surface_t *s)
{
	const char *prefix = getenv("RINGSIDE_VIEW_PREVIEW_PNG");
	if (!prefix || !w->script)
		return;
	char *path = g_strdup_printf("%s%u.png", prefix, w->preview_n - 1);
	if (cairo_surface_write_to_png(s, path) != CAIRO_STATUS_SUCCESS)
		fprintf(stderr, "ringside-view: cannot write %s\n", path);
	g_free(path);
}

/* A script's loader waiting for previews to be painted (preview_cb)
 * waits no more for those up to n. */
static void preview_painted(win_t *w, unsigned n)
{
	g_mutex_lock(&w->preview_lock);
	if (n > w->preview_painted)
		w->preview_painted = n;
	g_cond_broadcast(&w->preview_cond);
	g_mutex_unlock(&w->preview_lock);
}

static gboolean preview_ui(gpointer data)
{
	preview_msg *p = data;
	win_t *w = p->w;
	if (!w->loading || w->m || w->done) {
		preview_painted(w, UINT_MAX);   /* never will be */
		return G_SOURCE_REMOVE;   /* the model is here: too late */
	}
	if (w->preview)
		cairo_surface_destroy(w->preview);
	w->preview = p->s;
	p->s = NULL;
	w->preview_events = p->events;
	w->preview_n++;
	w->preview_drawn = false;
	if (w->script) {
		printf("preview %u: %llu events\n", w->preview_n - 1,
		       (unsigned long long)p->events);
		fflush(stdout);
		preview_save(w, w->preview);
	}
	gtk_widget_queue_draw(w->area);
	return G_SOURCE_REMOVE;
}

/* On the loading thread: m is the trace so far, published for show
 * (follow.h); drawn as the window would draw it fitted to [lo, hi]. */
static void preview_cb(void *data, const rv_model *m, int64_t lo, int64_t hi)
{
	win_t *w = data;
	const int width = g_atomic_int_get(&w->area_w);
	const int height = g_atomic_int_get(&w->area_h);
	if (width <= RV_LEFT_W + 10 || height <= RV_RULER_H)
		return;   /* not shown yet: nothing to draw into */
	preview_msg *p = g_new(preview_msg, 1);
	p->w = w;
	p->s = rv_draw_fitted(m, lo, hi, width, height);
	p->events = m->nevents;
	g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, preview_ui, p,
				   preview_msg_free);
	if (!w->script)
		return;
	/* a test script sees each preview on screen before the load goes
	 * on (on a busy machine the load could otherwise end before the
	 * window's next frame): the window paints it first, 5 s at most */
	const unsigned want = ++w->preview_sent;
	const gint64 until = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
	g_mutex_lock(&w->preview_lock);
	while (w->preview_painted < want &&
	       g_cond_wait_until(&w->preview_cond, &w->preview_lock, until))
		;
	g_mutex_unlock(&w->preview_lock);
}

void rv_win_draw_preview(win_t *w, cairo_t *cr, int width, int height)
{
	cairo_set_source_surface(cr, w->preview, 0, 0);
	cairo_paint(cr);
	/* what is shown, in a box at the top of the plot */
	char s[128];
	g_snprintf(s, sizeof s, "%s  (%llu events so far)", w->load_msg,
		   (unsigned long long)w->preview_events);
	rv_win_badge(cr, s, RV_LEFT_W + 10, RV_RULER_H + 4, false);
	if (!w->preview_drawn && w->script) {
		printf("preview %u drawn\n", w->preview_n - 1);
		fflush(stdout);
		preview_painted(w, w->preview_n);
	}
	w->preview_drawn = true;
}

/* A load's own copy of the path (the window may go first), and the
 * window its progress messages go to (the window waits for the load). */
typedef struct {
	char *path;
	win_t *w;
	bool follow, first;
} load_req;

static void load_req_free(gpointer data)
{
	load_req *r = data;
	g_free(r->path);
	g_free(r);
}

static void follow_destroy(gpointer f)
{
	rv_follow_free(f, false);
}

static void load_thread(GTask *task, gpointer src, gpointer data,
			GCancellable *cancel)
{
	load_req *r = data;
	char err[512];
	const char *ms = getenv("RINGSIDE_VIEW_PREVIEW_MS");
	const rv_load_show show = {
		.progress = progress_cb, .progress_data = r->w,
		/* a whole load afresh while following replaces a model
		 * already shown: no previews then */
		.preview = r->first ? preview_cb : NULL, .preview_data = r->w,
		.preview_ms = ms ? atoi(ms) : RV_PREVIEW_MS,
	};
	if (r->follow) {
		rv_follow *f = rv_follow_open_shown(r->path, err, sizeof err,
						    &show);
		if (f)
			g_task_return_pointer(task, f, follow_destroy);
		else
			g_task_return_new_error(task, G_IO_ERROR,
						G_IO_ERROR_FAILED, "%s", err);
		return;
	}
	rv_model *m = rv_model_load_shown(r->path, err, sizeof err, &show);
	if (m)
		g_task_return_pointer(task, m, (GDestroyNotify)rv_model_free);
	else
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED,
					"%s", err);
}

/* Any promise marked (a search's or a bar's matches)? A byte each. */
static bool any_match(const win_t *w)
{
	for (uint32_t i = 0; w->match && i < w->m->pp.n; i++)
		if (w->match[i])
			return true;
	return false;
}

/* The model m is the window's now: old (NULL, or the one it replaced,
 * retired while a search may read it) or m itself grown in place; more:
 * a follow's apply has slices left (the pane and the search wait for the
 * last). */
static void install(win_t *w, rv_model *m, rv_model *old, uint32_t old_n,
		    bool more)
{
	if (!more)
		rv_hpanel_set_model(w->hp, NULL, NULL);
	if (old == m) {
		/* grown: the marks keep, the new promises start unmarked */
		w->match = g_realloc(w->match, m->pp.n + 1);
		w->chain = g_realloc(w->chain, m->pp.n + 1);
		memset(w->match + old_n, 0, m->pp.n + 1 - old_n);
		memset(w->chain + old_n, 0, m->pp.n + 1 - old_n);
		rv_match_rows_free(w->match_rows);
		w->match_rows = NULL;
		w->v.match_rows = NULL;
		if (any_match(w))
			rv_win_matches_changed(w);
	} else {
		/* keep counter toggles across reloads */
		for (uint32_t i = 0; old && i < m->ncounters; i++)
			for (uint32_t j = 0; j < old->ncounters; j++)
				if (!strcmp(m->counters[i].name, old->counters[j].name))
					m->counters[i].shown = old->counters[j].shown;
		w->m = m;
		rv_win_search_drop_model(w, old);
		g_free(w->match);
		g_free(w->chain);
		w->match = g_malloc0(m->pp.n + 1);
		w->chain = g_malloc0(m->pp.n + 1);
		w->cur_match = -1;
		rv_win_matches_changed(w);
	}
	if (!more)
		rv_hpanel_set_model(w->hp, m, w->match);
	w->v.message = NULL;
	if (w->v.width > RV_LEFT_W) {
		if (!w->fitted)
			rv_view_fit(&w->v, m);
		else if (w->following)
			rv_win_follow_end(w);
		w->fitted = true;
	}
	if (!more)
		rv_win_model_swapped(w);
	rv_win_redraw(w);
}

static void loaded(GObject *src, GAsyncResult *res, gpointer data)
{
	win_t *w = data;
	GError *e = NULL;
	void *got = g_task_propagate_pointer(G_TASK(res), &e);
	w->loading = false;
	if (w->preview) {
		cairo_surface_destroy(w->preview);
		w->preview = NULL;
	}
	if (!got) {
		if (!w->m) {
			/* first load failed: same contract as the CLI */
			fprintf(stderr, "ringside-view: %s\n", e->message);
			w->exit_code = 1;
			w->done = true;
		}
		g_error_free(e);
		return;
	}
	rv_model *m = got;
	if (w->follow) {
		w->fl = got;
		m = rv_follow_model(w->fl);
	}
	if (w->follow)
		rv_follow_set_slice(w->fl, RV_FOLLOW_UI_SLICE);
	install(w, m, w->m, 0, false);
	if (w->script && w->script_pos == 0)
		rv_win_script_start(w);
}

void rv_win_start_load(win_t *w)
{
	w->loading = true;
	GTask *t = g_task_new(NULL, NULL, loaded, w);
	load_req *r = g_new(load_req, 1);
	r->path = g_strdup(w->path);
	r->w = w;
	r->follow = w->follow;
	r->first = !w->m;
	g_task_set_task_data(t, r, load_req_free);
	g_task_run_in_thread(t, load_thread);
	g_object_unref(t);
}

void rv_win_follow_end(win_t *w)
{
	if (!w->m)
		return;
	/* the same 2 % to spare as rv_view_fit: a fitted view follows */
	double page = w->v.ns_per_px * (w->v.width - RV_LEFT_W);
	w->v.from = (double)w->m->t_max + page * (0.02 / 1.02) - page;
}

/* While waiting: is the file there and a ringside database yet? The
 * collector creates it and then writes its schema, so a file that is not
 * one yet is waited for too (the reason shown in the window). */
static void wait_poll(win_t *w)
{
	struct stat st;
	if (stat(w->path, &st) != 0)
		return;
	char err[512];
	if (!rv_model_check(w->path, err, sizeof err)) {
		g_free(w->wait_msg);
		w->wait_msg = g_strdup_printf("waiting for %s (%s)", w->path, err);
		w->v.message = w->wait_msg;
		gtk_widget_queue_draw(w->area);
		return;
	}
	w->waiting = false;
	w->v.message = "Loading...";
	rv_win_status(w, "Loading...");
	w->last_count = rv_db_event_count(w->path);
	rv_win_start_load(w);
}

static gboolean apply_idle(gpointer data);

/* What the worker found, into the model, here between frames: a slice
 * of RV_FOLLOW_UI_SLICE events at a time, the next one once GTK has had
 * its turn (an idle source runs after a pending redraw). */
static void apply(win_t *w)
{
	if (w->search_busy || w->done)
		return;   /* it reads the model: the next tick */
	rv_model *old = NULL, *m = w->m;
	const uint32_t old_n = m->pp.n;
	char err[512];
	if (!rv_follow_apply(w->fl, &old, err, sizeof err)) {
		w->apply_ready = false;
		rv_win_status(w, "reload failed: %s", err);
		return;
	}
	const bool more = rv_follow_more(w->fl);
	w->apply_ready = more;
	install(w, rv_follow_model(w->fl), old ? old : m, old ? 0 : old_n,
		more);
	if (more)
		g_idle_add(apply_idle, w);
	else if (rv_follow_behind(w->fl))
		w->last_count = -1;   /* a whole load, on the next tick */
}

static gboolean apply_idle(gpointer data)
{
	win_t *w = data;
	if (w->apply_ready && !w->fetching)
		apply(w);
	return G_SOURCE_REMOVE;
}

static void fetch_thread(GTask *task, gpointer src, gpointer data,
			 GCancellable *cancel)
{
	char err[512];
	int r = rv_follow_fetch(data, err, sizeof err);
	g_task_return_int(task, r);
}

static void fetched(GObject *src, GAsyncResult *res, gpointer data)
{
	win_t *w = data;
	gssize r = g_task_propagate_int(G_TASK(res), NULL);
	w->fetching = false;
	/* a failed read is tried again once the database has grown, as a
	 * failed reload always was */
	if (r == 1) {
		w->apply_ready = true;
		apply(w);
	}
}

static gboolean follow_tick(gpointer data)
{
	win_t *w = data;
	if (w->loading || w->fetching)
		return G_SOURCE_CONTINUE;
	if (w->waiting) {
		wait_poll(w);
		return G_SOURCE_CONTINUE;
	}
	if (!w->fl)
		return G_SOURCE_CONTINUE;
	if (w->apply_ready) {
		apply(w);
		return G_SOURCE_CONTINUE;
	}
	int64_t n = rv_db_event_count(w->path);
	if (n >= 0 && n != w->last_count) {
		w->last_count = n;
		w->fetching = true;
		GTask *t = g_task_new(NULL, NULL, fetched, w);
		g_task_set_task_data(t, w->fl, NULL);
		g_task_run_in_thread(t, fetch_thread);
		g_object_unref(t);
	}
	return G_SOURCE_CONTINUE;
}

guint rv_win_follow_start(win_t *w)
{
	return g_timeout_add(200, follow_tick, w);
}

int rv_win_precheck(win_t *w)
{
	/* Refuse bad input before any window appears: the check is cheap
	 * (header and pragmas), the full load happens in the background. */
	struct stat st;
	if (w->follow && stat(w->path, &st) != 0 && errno == ENOENT) {
		w->waiting = true;
		w->wait_msg = g_strdup_printf("waiting for %s", w->path);
		return 0;
	}
	char err[512];
	if (!rv_model_check(w->path, err, sizeof err)) {
		fprintf(stderr, "ringside-view: %s\n", err);
		return 1;
	}
	return 0;
}

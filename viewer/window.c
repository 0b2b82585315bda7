/*
 * window.c - the GTK 4 window: a GtkDrawingArea drawn by rv_draw, its
 * scrollbars, and the input that moves the view (wheel zoom around the
 * pointer, drag to pan, keys), selection of a time range (shift-drag or
 * right-drag), search/filter, double-click chains, counter toggles,
 * export, --follow polling, and the latency histogram pane
 * (histogram_panel.c: click a promise or thread lane, `h` toggles).
 *
 * Loading runs in a GTask thread; until it finishes the area draws
 * "Loading...". A reload (--follow) builds a whole new model off the UI
 * thread and swaps it in, keeping the view's from/zoom/scroll, so the
 * picture never changes under the user's hands except for new data.
 */
#include <assert.h>
#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "window.h"


void rv_win_status(win_t *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	gtk_label_set_text(GTK_LABEL(w->status), s);
	g_free(s);
}

static void sync_adjustments(win_t *w)
{
	if (!w->m)
		return;
	w->updating_adj = true;
	double span = (double)(w->m->t_max - w->m->t_min) * 1.02 + 1;
	double page = w->v.ns_per_px * (w->v.width - RV_LEFT_W);
	double val = w->v.from - (double)w->m->t_min;
	gtk_adjustment_configure(w->hadj, val, fmin(0, val),
				 fmax(span, val + page), page / 10, page, page);
	rv_geom g;
	rv_geom_compute(w->m, &g);
	double vpage = w->v.height - RV_RULER_H;
	gtk_adjustment_configure(w->vadj, w->v.yscroll, 0,
				 fmax(g.total_h, vpage), RV_ROW_H, vpage, vpage);
	w->updating_adj = false;
}

void rv_win_redraw(win_t *w)
{
	sync_adjustments(w);
	gtk_widget_queue_draw(w->area);
}

void rv_win_clamp(win_t *w)
{
	if (!w->m)
		return;
	/* the trace's ends stay in reach: at most 2 % of the page past
	 * either end (or, zoomed out past the whole trace, the trace stays
	 * inside the page) */
	double page = w->v.ns_per_px * (w->v.width - RV_LEFT_W);
	double margin = page * 0.02;
	double a = (double)w->m->t_min - margin;
	double b = (double)w->m->t_max + margin - page;
	double lo = fmin(a, b), hi = fmax(a, b);
	w->v.from = fmax(lo, fmin(hi, w->v.from));
}

/* The user moved the view: it stops following the end (End resumes). */
static void user_moved(win_t *w)
{
	w->following = false;
	rv_win_clamp(w);
	rv_win_redraw(w);
}

/* The F readout: the last frame's draw time and the worst of the last
 * RV_FRAMES_KEPT, top right over the ruler. */
static double frame_worst(const win_t *w)
{
	double worst = 0;
	for (int i = 0; i < w->frame_n; i++)
		worst = fmax(worst, w->frame_ms[i]);
	return worst;
}

static double frame_last(const win_t *w)
{
	return w->frame_n ? w->frame_ms[(w->frame_pos + RV_FRAMES_KEPT - 1) %
					RV_FRAMES_KEPT] : 0;
}

static void draw_frametime(win_t *w, cairo_t *cr, int width)
{
	char s[96];
	g_snprintf(s, sizeof s, "frame %.1f ms, worst %.1f ms of last %d",
		   frame_last(w), frame_worst(w), w->frame_n);
	rv_win_badge(cr, s, width - 10, RV_RULER_H + 4, true);
}

void rv_win_badge(cairo_t *cr, const char *s, double x, double y,
		  bool right)
{
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, 11);
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	if (right)
		x -= e.x_advance;
	cairo_set_source_rgba(cr, 0, 0, 0, 0.75);
	cairo_rectangle(cr, x - 4, y, e.x_advance + 8, 16);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_move_to(cr, x, y + 12);
	cairo_show_text(cr, s);
}

/*
 * GTK 4 hands a draw function a cairo context on a recording surface
 * (gsk_cairo_node_get_draw_context creates it with
 * cairo_recording_surface_create), which the renderer replays into an
 * image afterwards: every one of a frame's fills would be recorded, then
 * replayed. So the frame is drawn into an image of the window's own, at
 * the area's scale factor (HiDPI stays sharp), and that is painted into
 * GTK's context once. At scale 1 the drawing then also stores most of its
 * boxes straight into the image's pixels (pixels.c), as it does for
 * --render's PNG: the window shows the PNG's pixels. Opaque (rv_draw
 * paints the whole area), so RGB24. Kept between frames, remade when the
 * size or the scale changes.
 */
static cairo_surface_t *frame_image(win_t *w, int width, int height,
				    int scale)
{
	if (w->frame && (cairo_image_surface_get_width(w->frame) !=
			 width * scale ||
			 cairo_image_surface_get_height(w->frame) !=
			 height * scale)) {
		cairo_surface_destroy(w->frame);
		w->frame = NULL;
	}
	if (!w->frame)
		w->frame = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
						      width * scale,
						      height * scale);
	cairo_surface_set_device_scale(w->frame, scale, scale);
	return w->frame;
}

static void draw_cb(GtkDrawingArea *a, cairo_t *cr, int width, int height,
		    gpointer data)
{
	win_t *w = data;
	w->v.width = width;
	w->v.height = height;
	g_atomic_int_set(&w->area_w, width);
	g_atomic_int_set(&w->area_h, height);
	if (!w->m && w->preview) {
		rv_win_draw_preview(w, cr, width, height);
		return;
	}
	w->v.match = w->match;
	w->v.chain = w->chain;
	gint64 t0 = g_get_monotonic_time();
	cairo_surface_t *img = frame_image(w, width, height,
					   gtk_widget_get_scale_factor(
						   GTK_WIDGET(a)));
	cairo_t *fc = cairo_create(img);
	rv_draw(fc, w->m, &w->v);
	cairo_destroy(fc);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_paint(cr);
	if (w->m) {
		w->frame_ms[w->frame_pos] = (g_get_monotonic_time() - t0) / 1e3;
		w->frame_pos = (w->frame_pos + 1) % RV_FRAMES_KEPT;
		if (w->frame_n < RV_FRAMES_KEPT)
			w->frame_n++;
	}
	if (w->show_frametime)
		draw_frametime(w, cr, width);
}

/* The area's size is known here, before it is drawn: the first fit and
 * the scrollbars' adjustments are set now, not while drawing (changing
 * an adjustment in the draw function left the scrollbar's slider
 * unallocated while GTK drew it: "Trying to snapshot GtkGizmo without a
 * current allocation"). */
static void resize_cb(GtkDrawingArea *a, int width, int height, gpointer data)
{
	win_t *w = data;
	w->v.width = width;
	w->v.height = height;
	g_atomic_int_set(&w->area_w, width);
	g_atomic_int_set(&w->area_h, height);
	/* the frame's images made and touched now, while the trace loads,
	 * not as page faults in the first frame (rv_draw_reserve) */
	if (width > 0 && height > 0) {
		const int scale = gtk_widget_get_scale_factor(GTK_WIDGET(a));
		rv_draw_reserve(width, height, scale);
		cairo_t *fc = cairo_create(frame_image(w, width, height, scale));
		cairo_set_source_rgb(fc, 1, 1, 1);
		cairo_paint(fc);
		cairo_destroy(fc);
	}
	if (w->m && !w->fitted) {
		rv_view_fit(&w->v, w->m);
		w->fitted = true;
	} else if (w->m && w->following) {
		rv_win_follow_end(w);
	}
	sync_adjustments(w);
}

static void zoom_at(win_t *w, double x, double factor)
{
	if (x < RV_LEFT_W)
		x = RV_LEFT_W + (w->v.width - RV_LEFT_W) / 2.0;
	double t = rv_t(&w->v, x);
	double npp = w->v.ns_per_px * factor;
	if (npp < 0.01)
		npp = 0.01;
	w->v.ns_per_px = npp;
	w->v.from = t - (x - RV_LEFT_W) * npp;
	user_moved(w);
}

static void scroll_y(win_t *w, double dy)
{
	double upper = gtk_adjustment_get_upper(w->vadj) -
		       gtk_adjustment_get_page_size(w->vadj);
	w->v.yscroll = fmax(0, fmin(upper, w->v.yscroll + dy));
	rv_win_redraw(w);
}

static void export(win_t *w, const char *ext)
{
	if (!w->m)
		return;
	char *base = g_path_get_basename(w->path);
	char *dot = strrchr(base, '.');
	if (dot)
		*dot = 0;
	GDateTime *now = g_date_time_new_now_local();
	char *stamp = g_date_time_format(now, "%H%M%S");
	char *out = g_strdup_printf("%s-%s.%s", base, stamp, ext);
	char err[512];
	if (rv_export(w->m, &w->v, out, err, sizeof err))
		rv_win_status(w, "export failed: %s", err);
	else
		rv_win_status(w, "exported the view to %s", out);
	g_free(out); g_free(stamp); g_free(base);
	g_date_time_unref(now);
}

gboolean rv_win_handle_key(win_t *w, guint key, GdkModifierType mods)
{
	double page = w->v.ns_per_px * (w->v.width - RV_LEFT_W);
	bool ctrl = mods & GDK_CONTROL_MASK;
	switch (key) {
	case GDK_KEY_plus: case GDK_KEY_equal: case GDK_KEY_KP_Add:
		zoom_at(w, -1, 1 / 1.2); return TRUE;
	case GDK_KEY_minus: case GDK_KEY_KP_Subtract:
		zoom_at(w, -1, 1.2); return TRUE;
	case GDK_KEY_Left: w->v.from -= page / 10; user_moved(w); return TRUE;
	case GDK_KEY_Right: w->v.from += page / 10; user_moved(w); return TRUE;
	case GDK_KEY_End:
		/* the newest data, the same width; --follow slides with it */
		w->following = w->follow;
		rv_win_follow_end(w);
		rv_win_redraw(w);
		return TRUE;
	case GDK_KEY_Return: case GDK_KEY_KP_Enter:
		rv_win_search_step(w, mods & GDK_SHIFT_MASK ? -1 : 1);
		return TRUE;
	case GDK_KEY_F:
	case GDK_KEY_f:
		if (ctrl)
			break;
		w->show_frametime = !w->show_frametime;
		gtk_widget_queue_draw(w->area);
		return TRUE;
	case GDK_KEY_Up: scroll_y(w, -3 * RV_ROW_H); return TRUE;
	case GDK_KEY_Down: scroll_y(w, 3 * RV_ROW_H); return TRUE;
	case GDK_KEY_Home:
		if (w->m)
			rv_view_fit(&w->v, w->m);
		w->v.yscroll = 0;
		rv_win_redraw(w);
		return TRUE;
	case GDK_KEY_slash:
		gtk_search_bar_set_search_mode(GTK_SEARCH_BAR(w->search_bar), TRUE);
		gtk_widget_grab_focus(w->entry);
		return TRUE;
	case GDK_KEY_Escape:
		w->v.has_sel = false;
		rv_hpanel_clear_bar(w->hp);
		rv_win_search_clear(w);
		return TRUE;
	case GDK_KEY_t:
		if (w->m && !ctrl) {
			w->m->show_threads = !w->m->show_threads;
			rv_win_redraw(w);
			return TRUE;
		}
		break;
	case GDK_KEY_h:
		if (!ctrl) {
			rv_hpanel_toggle(w->hp);
			return TRUE;
		}
		break;
	case GDK_KEY_s:
		if (ctrl) { export(w, "svg"); return TRUE; }
		break;
	case GDK_KEY_p:
		if (ctrl) { export(w, "png"); return TRUE; }
		break;
	}
	return FALSE;
}

static gboolean key_cb(GtkEventControllerKey *c, guint key, guint code,
		       GdkModifierType mods, gpointer data)
{
	win_t *w = data;
	/* typing into the search entry must not zoom */
	if (gtk_widget_has_focus(w->entry) && key != GDK_KEY_Escape)
		return FALSE;
	return rv_win_handle_key(w, key, mods);
}

static gboolean wheel_cb(GtkEventControllerScroll *c, double dx, double dy,
			 gpointer data)
{
	win_t *w = data;
	GdkModifierType mods = gtk_event_controller_get_current_event_state(
		GTK_EVENT_CONTROLLER(c));
	if (mods & GDK_SHIFT_MASK)
		scroll_y(w, dy * 3 * RV_ROW_H);
	else if (dy != 0)
		zoom_at(w, w->px, dy > 0 ? 1.2 : 1 / 1.2);
	return TRUE;
}

static void motion_cb(GtkEventControllerMotion *c, double x, double y,
		      gpointer data)
{
	win_t *w = data;
	w->px = x;
	w->py = y;
}

static gboolean tooltip_cb(GtkWidget *wd, int x, int y, gboolean kb,
			   GtkTooltip *tip, gpointer data)
{
	win_t *w = data;
	char *s = rv_hit_describe(w->m, &w->v, x, y);
	if (!s)
		return FALSE;
	gtk_tooltip_set_text(tip, s);
	g_free(s);
	return TRUE;
}

static void drag_begin(GtkGestureDrag *g, double x, double y, gpointer data)
{
	win_t *w = data;
	guint button = gtk_gesture_single_get_current_button(GTK_GESTURE_SINGLE(g));
	GdkModifierType mods = gtk_event_controller_get_current_event_state(
		GTK_EVENT_CONTROLLER(g));
	w->selecting = button == 3 || (mods & GDK_SHIFT_MASK);
	w->drag_from = w->v.from;
	w->drag_scroll = w->v.yscroll;
	if (w->selecting && w->m) {
		w->v.has_sel = true;
		w->v.sel_a = w->v.sel_b = (int64_t)rv_t(&w->v, x);
	}
}

static void drag_update(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
	win_t *w = data;
	double sx, sy;
	gtk_gesture_drag_get_start_point(g, &sx, &sy);
	if (w->selecting) {
		w->v.sel_b = (int64_t)rv_t(&w->v, sx + dx);
		char d[48];
		rv_fmt_dur(d, sizeof d, fabs((double)(w->v.sel_b - w->v.sel_a)));
		rv_win_status(w, "selecting %s", d);
	} else {
		w->v.from = w->drag_from - dx * w->v.ns_per_px;
		w->v.yscroll = fmax(0, w->drag_scroll - dy);
		w->following = false;
		rv_win_clamp(w);
	}
	rv_win_redraw(w);
}

/* A selection's summary counts its events by type in the database (the
 * model keeps no per-event list; rv_db_type_counts decodes only the
 * chunks in the range): off the UI thread, as search is, since a whole
 * 10 M-event trace takes a while; a newer selection makes an older
 * count's answer stale. */
typedef struct {
	char *path;
	int64_t trace_id, a, b;
	guint gen;
	int rc;
	uint64_t counts[256];
	char err[300];
} sel_job;

static void sel_job_free(gpointer data)
{
	sel_job *j = data;
	g_free(j->path);
	g_free(j);
}

static void sel_thread(GTask *t, gpointer src, gpointer data,
		       GCancellable *c)
{
	sel_job *j = data;
	j->rc = rv_db_type_counts(j->path, j->trace_id, j->a, j->b, j->counts,
				  j->err, sizeof j->err);
	g_task_return_boolean(t, TRUE);
}

static void sel_done(GObject *src, GAsyncResult *res, gpointer data)
{
	win_t *w = data;
	sel_job *j = g_task_get_task_data(G_TASK(res));
	w->sel_busy = false;
	if (j->gen != w->sel_gen)
		return;
	if (j->rc != 0) {
		rv_win_status(w, "%s", j->err);
		return;
	}
	char *s = rv_range_summary(j->counts, j->a, j->b);
	rv_win_status(w, "%s", s);
	g_free(s);
}

void rv_win_count_selection(win_t *w)
{
	assert(w->m && w->v.has_sel);
	sel_job *j = g_new0(sel_job, 1);
	j->path = g_strdup(w->m->path);
	j->trace_id = w->m->trace_id;
	j->a = MIN(w->v.sel_a, w->v.sel_b);
	j->b = MAX(w->v.sel_a, w->v.sel_b);
	j->gen = ++w->sel_gen;
	char d[48];
	rv_fmt_dur(d, sizeof d, (double)(j->b - j->a));
	rv_win_status(w, "%s selected: counting its events...", d);
	w->sel_busy = true;
	GTask *t = g_task_new(NULL, NULL, sel_done, w);
	g_task_set_task_data(t, j, sel_job_free);
	g_task_run_in_thread(t, sel_thread);
	g_object_unref(t);
}

static void drag_end(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
	win_t *w = data;
	if (w->selecting && w->m && w->v.sel_a != w->v.sel_b)
		rv_win_count_selection(w);
	w->selecting = false;
}

static void click_cb(GtkGestureClick *g, int n, double x, double y,
		     gpointer data)
{
	win_t *w = data;
	if (!w->m)
		return;
	int64_t p = rv_hit_pp(w->m, &w->v, x, y);
	if (n == 1) {
		/* select: the pane shows the promise's (or thread's) group */
		int64_t t = rv_hit_thread_lane(w->m, &w->v, x, y);
		if (t >= 0)
			rv_hpanel_select_thread(w->hp, (uint32_t)t);
		else if (p >= 0)
			rv_hpanel_select_pp(w->hp, (uint32_t)p);
		return;
	}
	if (n != 2)
		return;
	memset(w->chain, 0, w->m->pp.n);
	if (p >= 0) {
		rv_chain_mark(w->m, (uint32_t)p, w->chain);
		uint32_t len = 0;
		for (uint32_t i = 0; i < w->m->pp.n; i++)
			len += w->chain[i];
		rv_win_status(w, "becomes chain of %u highlighted (Esc clears)", len);
	}
	rv_win_redraw(w);
}

static void hadj_cb(GtkAdjustment *a, gpointer data)
{
	win_t *w = data;
	if (w->updating_adj || !w->m)
		return;
	w->v.from = (double)w->m->t_min + gtk_adjustment_get_value(a);
	w->following = false;
	rv_win_clamp(w);
	gtk_widget_queue_draw(w->area);
}

static void vadj_cb(GtkAdjustment *a, gpointer data)
{
	win_t *w = data;
	if (w->updating_adj)
		return;
	w->v.yscroll = gtk_adjustment_get_value(a);
	gtk_widget_queue_draw(w->area);
}

static void counter_toggled(GtkCheckButton *b, gpointer data)
{
	win_t *w = data;
	int i = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(b), "counter"));
	if (w->m && i < (int)w->m->ncounters)
		w->m->counters[i].shown = gtk_check_button_get_active(b);
	rv_win_redraw(w);
}

static void rebuild_counter_toggles(win_t *w)
{
	GtkWidget *c;
	while ((c = gtk_widget_get_first_child(w->counter_box)))
		gtk_box_remove(GTK_BOX(w->counter_box), c);
	for (uint32_t i = 0; w->m && i < w->m->ncounters; i++) {
		GtkWidget *b = gtk_check_button_new_with_label(w->m->counters[i].name);
		gtk_check_button_set_active(GTK_CHECK_BUTTON(b),
					    w->m->counters[i].shown);
		g_object_set_data(G_OBJECT(b), "counter", GINT_TO_POINTER(i));
		g_signal_connect(b, "toggled", G_CALLBACK(counter_toggled), w);
		gtk_box_append(GTK_BOX(w->counter_box), b);
	}
}

/* Threads as `info` counts them: the boot context (tid 0) the viewer
 * draws as a lane of its own is no thread of the guest's. */
static uint32_t guest_threads(const rv_model *m)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->nthreads; i++)
		n += m->threads[i].tid != 0;
	return n;
}

static uint32_t guest_promises(const rv_model *m)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->pp.n; i++)
		n += !rv_pp_is_thread(&m->pp, i);
	return n;
}

void rv_win_model_swapped(win_t *w)
{
	rv_model *m = w->m;
	rebuild_counter_toggles(w);
	uint32_t nt = guest_threads(m), np = guest_promises(m);
	g_free(w->base_status);
	w->base_status = g_strdup_printf(
		"%s: %llu event%s, %u thread%s, %u promise%s, state %s; "
		"loaded in %.2f s%s", w->path, (unsigned long long)m->nevents,
		m->nevents == 1 ? "" : "s", nt, nt == 1 ? "" : "s", np,
		np == 1 ? "" : "s", m->guest_state, m->load_secs,
		w->following ? " (following the end)" : w->follow ?
		" (following; End: the newest data)" : "");
	rv_win_status(w, "%s", w->base_status);
	if (gtk_search_bar_get_search_mode(GTK_SEARCH_BAR(w->search_bar)))
		rv_win_search_run(w);
}

static void hp_changed(void *data, uint32_t n, const char *what)
{
	win_t *w = data;
	rv_win_matches_changed(w);
	rv_win_status(w, "%s", what);
	rv_win_redraw(w);
}

static void destroy_cb(GtkWidget *win, gpointer data)
{
	win_t *w = data;
	w->done = true;
	w->destroyed = true;
}

static void export_svg_cb(GtkButton *b, gpointer data)
{
	export(data, "svg");
}

static void export_png_cb(GtkButton *b, gpointer data)
{
	export(data, "png");
}

static GtkWidget *build_header(win_t *w)
{
	GtkWidget *hb = gtk_header_bar_new();
	GtkWidget *menu = gtk_menu_button_new();
	gtk_menu_button_set_label(GTK_MENU_BUTTON(menu), "Counters");
	GtkWidget *pop = gtk_popover_new();
	w->counter_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	gtk_popover_set_child(GTK_POPOVER(pop), w->counter_box);
	gtk_menu_button_set_popover(GTK_MENU_BUTTON(menu), pop);
	gtk_header_bar_pack_start(GTK_HEADER_BAR(hb), menu);
	GtkWidget *svg = gtk_button_new_with_label("Export SVG");
	GtkWidget *png = gtk_button_new_with_label("Export PNG");
	gtk_widget_set_tooltip_text(svg, "Ctrl+S: the current view as SVG");
	gtk_widget_set_tooltip_text(png, "Ctrl+P: the current view as PNG");
	g_signal_connect(svg, "clicked", G_CALLBACK(export_svg_cb), w);
	g_signal_connect(png, "clicked", G_CALLBACK(export_png_cb), w);
	gtk_header_bar_pack_end(GTK_HEADER_BAR(hb), png);
	gtk_header_bar_pack_end(GTK_HEADER_BAR(hb), svg);
	return hb;
}

static void add_input(win_t *w)
{
	GtkEventController *key = gtk_event_controller_key_new();
	g_signal_connect(key, "key-pressed", G_CALLBACK(key_cb), w);
	gtk_widget_add_controller(w->win, key);
	GtkEventController *sc = gtk_event_controller_scroll_new(
		GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
	g_signal_connect(sc, "scroll", G_CALLBACK(wheel_cb), w);
	gtk_widget_add_controller(w->area, sc);
	GtkEventController *mo = gtk_event_controller_motion_new();
	g_signal_connect(mo, "motion", G_CALLBACK(motion_cb), w);
	gtk_widget_add_controller(w->area, mo);
	GtkGesture *drag = gtk_gesture_drag_new();
	gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), 0);
	g_signal_connect(drag, "drag-begin", G_CALLBACK(drag_begin), w);
	g_signal_connect(drag, "drag-update", G_CALLBACK(drag_update), w);
	g_signal_connect(drag, "drag-end", G_CALLBACK(drag_end), w);
	gtk_widget_add_controller(w->area, GTK_EVENT_CONTROLLER(drag));
	GtkGesture *click = gtk_gesture_click_new();
	g_signal_connect(click, "pressed", G_CALLBACK(click_cb), w);
	gtk_widget_add_controller(w->area, GTK_EVENT_CONTROLLER(click));
	gtk_widget_set_has_tooltip(w->area, TRUE);
	g_signal_connect(w->area, "query-tooltip", G_CALLBACK(tooltip_cb), w);
}

/* The search bar, the timeline with its scrollbars beside the histogram
 * pane, and the status line. */
static GtkWidget *build_body(win_t *w)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	w->search_bar = gtk_search_bar_new();
	GtkWidget *sbox = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	w->entry = gtk_search_entry_new();
	w->filter_check = gtk_check_button_new_with_label("filter (hide the rest)");
	gtk_box_append(GTK_BOX(sbox), w->entry);
	gtk_box_append(GTK_BOX(sbox), w->filter_check);
	gtk_search_bar_set_child(GTK_SEARCH_BAR(w->search_bar), sbox);
	gtk_search_bar_connect_entry(GTK_SEARCH_BAR(w->search_bar),
				     GTK_EDITABLE(w->entry));
	rv_win_search_connect(w);
	gtk_box_append(GTK_BOX(box), w->search_bar);
	GtkWidget *grid = gtk_grid_new();
	w->area = gtk_drawing_area_new();
	gtk_widget_set_hexpand(w->area, TRUE);
	gtk_widget_set_vexpand(w->area, TRUE);
	gtk_widget_set_focusable(w->area, TRUE);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(w->area), draw_cb, w, NULL);
	g_signal_connect(w->area, "resize", G_CALLBACK(resize_cb), w);
	w->hadj = gtk_adjustment_new(0, 0, 1, 1, 1, 1);
	w->vadj = gtk_adjustment_new(0, 0, 1, 1, 1, 1);
	g_signal_connect(w->hadj, "value-changed", G_CALLBACK(hadj_cb), w);
	g_signal_connect(w->vadj, "value-changed", G_CALLBACK(vadj_cb), w);
	w->hbar = gtk_scrollbar_new(GTK_ORIENTATION_HORIZONTAL, w->hadj);
	w->vbar = gtk_scrollbar_new(GTK_ORIENTATION_VERTICAL, w->vadj);
	gtk_grid_attach(GTK_GRID(grid), w->area, 0, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), w->vbar, 1, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), w->hbar, 0, 1, 1, 1);
	w->hp = rv_hpanel_new(hp_changed, w);
	GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
	gtk_paned_set_start_child(GTK_PANED(paned), grid);
	gtk_paned_set_end_child(GTK_PANED(paned), rv_hpanel_widget(w->hp));
	gtk_paned_set_resize_end_child(GTK_PANED(paned), FALSE);
	gtk_paned_set_shrink_end_child(GTK_PANED(paned), FALSE);
	gtk_widget_set_vexpand(paned, TRUE);
	gtk_box_append(GTK_BOX(box), paned);
	w->status = gtk_label_new(w->v.message);
	gtk_label_set_xalign(GTK_LABEL(w->status), 0);
	gtk_label_set_ellipsize(GTK_LABEL(w->status), PANGO_ELLIPSIZE_END);
	gtk_widget_set_margin_start(w->status, 6);
	gtk_box_append(GTK_BOX(box), w->status);
	return box;
}

int rv_window_run(const char *path, bool follow, const char *test_script)
{
	win_t *w = g_new0(win_t, 1);
	w->path = g_strdup(path);
	w->follow = w->following = follow;
	w->cur_match = -1;
	g_mutex_init(&w->preview_lock);
	g_cond_init(&w->preview_cond);
	int rc = rv_win_precheck(w);
	if (!rc && !gtk_init_check()) {
		fprintf(stderr, "ringside-view: cannot open a display (try "
			"--render OUT.png for headless use)\n");
		rc = 1;
	}
	if (rc) {
		g_mutex_clear(&w->preview_lock);
		g_cond_clear(&w->preview_cond);
		g_free(w->wait_msg);
		g_free(w->path);
		g_free(w);
		return 1;
	}
	w->v.ns_per_px = 1;
	w->v.message = w->waiting ? w->wait_msg : "Loading...";
	w->last_count = rv_db_event_count(path);
	if (test_script)
		w->script = g_strsplit(test_script, ";", -1);

	w->win = gtk_window_new();
	char *title = g_strdup_printf("ringside-view - %s", path);
	gtk_window_set_title(GTK_WINDOW(w->win), title);
	g_free(title);
	gtk_window_set_default_size(GTK_WINDOW(w->win), 1200, 750);
	gtk_window_set_titlebar(GTK_WINDOW(w->win), build_header(w));
	g_signal_connect(w->win, "destroy", G_CALLBACK(destroy_cb), w);

	gtk_window_set_child(GTK_WINDOW(w->win), build_body(w));
	add_input(w);
	gtk_window_present(GTK_WINDOW(w->win));
	gtk_widget_grab_focus(w->area);

	if (!w->waiting)
		rv_win_start_load(w);
	guint follow_id = follow ? rv_win_follow_start(w) : 0;
	while (!w->done)
		g_main_context_iteration(NULL, TRUE);
	/* a load still running owns the path copy it was given; let it end */
	while (w->loading || w->fetching || rv_hpanel_busy(w->hp) ||
	       w->search_busy)
		g_main_context_iteration(NULL, TRUE);
	if (follow_id)
		g_source_remove(follow_id);
	rc = w->exit_code;
	if (!w->destroyed)
		gtk_window_destroy(GTK_WINDOW(w->win));
	while (g_main_context_iteration(NULL, FALSE))
		;
	rv_hpanel_free(w->hp);
	if (w->fl)
		rv_follow_free(w->fl, false);   /* it owns w->m */
	else
		rv_model_free(w->m);
	if (w->retired) {
		rv_win_search_drop_model(w, NULL);
		for (guint i = 0; i < w->retired->len; i++)
			rv_model_free(g_ptr_array_index(w->retired, i));
		g_ptr_array_free(w->retired, TRUE);
	}
	if (w->preview)
		cairo_surface_destroy(w->preview);
	g_mutex_clear(&w->preview_lock);
	g_cond_clear(&w->preview_cond);
	g_free(w->base_status);
	g_free(w->wait_msg);
	rv_match_rows_free(w->match_rows);
	g_free(w->match);
	g_free(w->chain);
	g_strfreev(w->script);
	g_free(w->path);
	if (w->frame)
		cairo_surface_destroy(w->frame);
	g_free(w);
	return rc;
}

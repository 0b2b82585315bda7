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
#include <gtk/gtk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "histogram_panel.h"
#include "viewer.h"

typedef struct {
	GtkWidget *win, *area, *hbar, *vbar, *status, *search_bar, *entry;
	GtkWidget *filter_check, *counter_box;
	GtkAdjustment *hadj, *vadj;
	rv_hpanel *hp;
	char *path;
	rv_model *m;
	rv_view v;
	uint8_t *match, *chain;
	bool loading, fitted, follow, updating_adj;
	int64_t last_count;
	double px, py;            /* pointer */
	double drag_from, drag_scroll;
	bool selecting;
	char **script;            /* --test-script steps */
	int script_pos;
	int exit_code;
	bool done, destroyed;
} win_t;

static void set_status(win_t *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void set_status(win_t *w, const char *fmt, ...)
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

static void redraw(win_t *w)
{
	sync_adjustments(w);
	gtk_widget_queue_draw(w->area);
}

static void draw_cb(GtkDrawingArea *a, cairo_t *cr, int width, int height,
		    gpointer data)
{
	win_t *w = data;
	w->v.width = width;
	w->v.height = height;
	if (w->m && !w->fitted) {
		rv_view_fit(&w->v, w->m);
		w->fitted = true;
		sync_adjustments(w);
	}
	w->v.match = w->match;
	w->v.chain = w->chain;
	rv_draw(cr, w->m, &w->v);
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
	redraw(w);
}

static void scroll_y(win_t *w, double dy)
{
	double upper = gtk_adjustment_get_upper(w->vadj) -
		       gtk_adjustment_get_page_size(w->vadj);
	w->v.yscroll = fmax(0, fmin(upper, w->v.yscroll + dy));
	redraw(w);
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
		set_status(w, "export failed: %s", err);
	else
		set_status(w, "exported the view to %s", out);
	g_free(out); g_free(stamp); g_free(base);
	g_date_time_unref(now);
}

static void run_search(win_t *w)
{
	if (!w->m)
		return;
	const char *q = gtk_editable_get_text(GTK_EDITABLE(w->entry));
	uint32_t n = rv_search(w->m, q, w->match);
	w->v.filter = gtk_check_button_get_active(GTK_CHECK_BUTTON(w->filter_check));
	set_status(w, "%u match%s for \"%s\"%s", n, n == 1 ? "" : "es", q,
		   w->v.filter ? " (filter: hiding the rest)" : "");
	redraw(w);
}

static gboolean handle_key(win_t *w, guint key, GdkModifierType mods)
{
	double page = w->v.ns_per_px * (w->v.width - RV_LEFT_W);
	bool ctrl = mods & GDK_CONTROL_MASK;
	switch (key) {
	case GDK_KEY_plus: case GDK_KEY_equal: case GDK_KEY_KP_Add:
		zoom_at(w, -1, 1 / 1.2); return TRUE;
	case GDK_KEY_minus: case GDK_KEY_KP_Subtract:
		zoom_at(w, -1, 1.2); return TRUE;
	case GDK_KEY_Left: w->v.from -= page / 10; redraw(w); return TRUE;
	case GDK_KEY_Right: w->v.from += page / 10; redraw(w); return TRUE;
	case GDK_KEY_Up: scroll_y(w, -3 * RV_ROW_H); return TRUE;
	case GDK_KEY_Down: scroll_y(w, 3 * RV_ROW_H); return TRUE;
	case GDK_KEY_Home:
		if (w->m)
			rv_view_fit(&w->v, w->m);
		w->v.yscroll = 0;
		redraw(w);
		return TRUE;
	case GDK_KEY_slash:
		gtk_search_bar_set_search_mode(GTK_SEARCH_BAR(w->search_bar), TRUE);
		gtk_widget_grab_focus(w->entry);
		return TRUE;
	case GDK_KEY_Escape:
		w->v.has_sel = false;
		rv_hpanel_clear_bar(w->hp);
		if (w->m) {
			memset(w->chain, 0, w->m->pp.n);
			memset(w->match, 0, w->m->pp.n);
		}
		w->v.filter = false;
		gtk_search_bar_set_search_mode(GTK_SEARCH_BAR(w->search_bar), FALSE);
		redraw(w);
		return TRUE;
	case GDK_KEY_t:
		if (w->m && !ctrl) {
			w->m->show_threads = !w->m->show_threads;
			redraw(w);
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
	return handle_key(w, key, mods);
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
		set_status(w, "selecting %s", d);
	} else {
		w->v.from = w->drag_from - dx * w->v.ns_per_px;
		w->v.yscroll = fmax(0, w->drag_scroll - dy);
	}
	redraw(w);
}

static void drag_end(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
	win_t *w = data;
	if (w->selecting && w->m && w->v.sel_a != w->v.sel_b) {
		char *s = rv_range_summary(w->m, w->v.sel_a, w->v.sel_b);
		set_status(w, "%s", s);
		g_free(s);
	}
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
		set_status(w, "becomes chain of %u highlighted (Esc clears)", len);
	}
	redraw(w);
}

static void hadj_cb(GtkAdjustment *a, gpointer data)
{
	win_t *w = data;
	if (w->updating_adj || !w->m)
		return;
	w->v.from = (double)w->m->t_min + gtk_adjustment_get_value(a);
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
	redraw(w);
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

static gboolean script_step(gpointer data);

static void load_thread(GTask *task, gpointer src, gpointer data,
			GCancellable *cancel)
{
	char err[512];
	rv_model *m = rv_model_load(data, err, sizeof err);
	if (m)
		g_task_return_pointer(task, m, (GDestroyNotify)rv_model_free);
	else
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED,
					"%s", err);
}

static void loaded(GObject *src, GAsyncResult *res, gpointer data)
{
	win_t *w = data;
	GError *e = NULL;
	rv_model *m = g_task_propagate_pointer(G_TASK(res), &e);
	w->loading = false;
	if (!m) {
		if (!w->m) {
			/* first load failed: same contract as the CLI */
			fprintf(stderr, "ringside-view: %s\n", e->message);
			w->exit_code = 1;
			w->done = true;
		}
		g_error_free(e);
		return;
	}
	/* keep counter toggles across reloads */
	for (uint32_t i = 0; w->m && i < m->ncounters; i++)
		for (uint32_t j = 0; j < w->m->ncounters; j++)
			if (!strcmp(m->counters[i].name, w->m->counters[j].name))
				m->counters[i].shown = w->m->counters[j].shown;
	rv_hpanel_set_model(w->hp, NULL, NULL);
	rv_model_free(w->m);
	w->m = m;
	g_free(w->match);
	g_free(w->chain);
	w->match = g_malloc0(m->pp.n + 1);
	w->chain = g_malloc0(m->pp.n + 1);
	rv_hpanel_set_model(w->hp, m, w->match);
	w->v.message = NULL;
	rebuild_counter_toggles(w);
	if (gtk_search_bar_get_search_mode(GTK_SEARCH_BAR(w->search_bar)))
		run_search(w);
	set_status(w, "%s: %llu events, %u threads, %u promise rows, state %s; "
		   "loaded in %.2f s%s", w->path,
		   (unsigned long long)m->nevents, m->nthreads, m->nrows,
		   m->guest_state, m->load_secs, w->follow ? " (following)" : "");
	redraw(w);
	if (w->script && w->script_pos == 0)
		g_timeout_add(300, script_step, w);
}

static void start_load(win_t *w)
{
	w->loading = true;
	GTask *t = g_task_new(NULL, NULL, loaded, w);
	g_task_set_task_data(t, g_strdup(w->path), g_free);
	g_task_run_in_thread(t, load_thread);
	g_object_unref(t);
}

static gboolean follow_tick(gpointer data)
{
	win_t *w = data;
	if (w->loading)
		return G_SOURCE_CONTINUE;
	int64_t n = rv_db_event_count(w->path);
	if (n >= 0 && n != w->last_count) {
		w->last_count = n;
		start_load(w);
	}
	return G_SOURCE_CONTINUE;
}

/* Screenshot of the whole window as GTK renders it (not rv_draw again),
 * so a test sees what a user would. */
static bool screenshot(win_t *w, const char *path)
{
	int wd = gtk_widget_get_width(w->win), ht = gtk_widget_get_height(w->win);
	GdkPaintable *p = gtk_widget_paintable_new(w->win);
	GtkSnapshot *snap = gtk_snapshot_new();
	gdk_paintable_snapshot(p, snap, wd, ht);
	GskRenderNode *node = gtk_snapshot_free_to_node(snap);
	bool ok = false;
	if (node) {
		GskRenderer *r = gtk_native_get_renderer(GTK_NATIVE(w->win));
		GdkTexture *tex = gsk_renderer_render_texture(
			r, node, &GRAPHENE_RECT_INIT(0, 0, wd, ht));
		ok = tex && gdk_texture_save_to_png(tex, path);
		if (tex)
			g_object_unref(tex);
		gsk_render_node_unref(node);
	}
	g_object_unref(p);
	return ok;
}

static void hp_changed(void *data, uint32_t n, const char *what)
{
	win_t *w = data;
	set_status(w, "%s", what);
	redraw(w);
}

/* The histogram pane's script steps; false if s is not one. */
static bool script_hist(win_t *w, const char *s)
{
	if (g_str_has_prefix(s, "select:") || g_str_has_prefix(s, "thread:")) {
		bool thr = s[0] == 't';
		uint64_t id = g_ascii_strtoull(strchr(s, ':') + 1, NULL, 10);
		for (uint32_t i = 0; thr && i < w->m->nthreads; i++)
			if (w->m->threads[i].tid == id)
				rv_hpanel_select_thread(w->hp, i);
		for (uint32_t i = 0; !thr && i < w->m->pp.n; i++)
			if (!w->m->pp.is_thread[i] && w->m->pp.id[i] == id)
				rv_hpanel_select_pp(w->hp, i);
		printf("selected %s %llu\n", thr ? "thread" : "promise",
		       (unsigned long long)id);
	} else if (g_str_has_prefix(s, "by:")) {
		rv_hpanel_set_by(w->hp, !strcmp(s + 3, "type") ? RS_REPORT_BY_TYPE
				 : !strcmp(s + 3, "thread") ? RS_REPORT_BY_THREAD
				 : RS_REPORT_BY_LABEL);
	} else if (!strcmp(s, "hist")) {
		const rv_hist *h = rv_hpanel_hist(w->hp);
		if (h)
			rv_hist_print(stdout, h);
		else
			printf("hist none\n");
	} else if (g_str_has_prefix(s, "bar:")) {
		bool ok = rv_hpanel_click_bar(w->hp, atoi(s + 4));
		uint32_t n = 0;
		GString *ids = g_string_new(NULL);
		for (uint32_t i = 0; w->m && i < w->m->pp.n; i++)
			if (w->match[i]) {
				n++;
				g_string_append_printf(ids, " %llu",
					(unsigned long long)w->m->pp.id[i]);
			}
		printf("bar %s: highlighted %u\nhighlighted_ids%s\nstatus %s\n",
		       ok ? "clicked" : "MISSING", n, ids->str,
		       gtk_label_get_text(GTK_LABEL(w->status)));
		g_string_free(ids, TRUE);
	} else
		return false;
	fflush(stdout);
	return true;
}

/* --test-script "key:plus;key:minus;shot:/tmp/x.png;quit": one step per
 * 150 ms once the trace has loaded; keys go through the same handler as
 * real key presses; each key prints the view so a test can check it.
 * Also "sleep:MS" and "events" (prints how many events are loaded), and
 * for the histogram pane "select:PROMISE_ID", "thread:TID",
 * "by:label|type|thread", "hist" (prints it, as --render-histogram does)
 * and "bar:I" (a click on bar I; prints the highlighted promise ids);
 * steps wait while a report is being computed. */
static gboolean script_step(gpointer data)
{
	win_t *w = data;
	if (!w->script[w->script_pos]) {
		w->done = true;
		return G_SOURCE_REMOVE;
	}
	const char *s = w->script[w->script_pos++];
	if (rv_hpanel_busy(w->hp)) {
		w->script_pos--;
		g_timeout_add(50, script_step, w);
		return G_SOURCE_REMOVE;
	}
	if (script_hist(w, s)) {
	} else if (g_str_has_prefix(s, "key:")) {
		guint k = gdk_keyval_from_name(s + 4);
		handle_key(w, k, 0);
		printf("view from=%.0f ns_per_px=%.6f\n", w->v.from, w->v.ns_per_px);
		fflush(stdout);
	} else if (g_str_has_prefix(s, "shot:")) {
		bool ok = screenshot(w, s + 5);
		printf("screenshot %s %s\n", s + 5, ok ? "written" : "FAILED");
		fflush(stdout);
		if (!ok)
			w->exit_code = 3;
	} else if (!strcmp(s, "events")) {
		printf("events %llu\n", w->m ? (unsigned long long)w->m->nevents
					     : 0ull);
		fflush(stdout);
	} else if (g_str_has_prefix(s, "sleep:")) {
		g_timeout_add((guint)atoi(s + 6), script_step, w);
		return G_SOURCE_REMOVE;
	} else if (!strcmp(s, "quit")) {
		w->done = true;
		return G_SOURCE_REMOVE;
	}
	g_timeout_add(150, script_step, w);
	return G_SOURCE_REMOVE;
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

static void search_changed(GtkSearchEntry *e, gpointer data)
{
	run_search(data);
}

static void filter_toggled(GtkCheckButton *b, gpointer data)
{
	run_search(data);
}

int rv_window_run(const char *path, bool follow, const char *test_script)
{
	/* Refuse bad input before any window appears: the check is cheap
	 * (header and pragmas), the full load happens in the background. */
	char err[512];
	if (!rv_model_check(path, err, sizeof err)) {
		fprintf(stderr, "ringside-view: %s\n", err);
		return 1;
	}
	if (!gtk_init_check()) {
		fprintf(stderr, "ringside-view: cannot open a display (try "
			"--render OUT.png for headless use)\n");
		return 1;
	}
	win_t *w = g_new0(win_t, 1);
	w->path = g_strdup(path);
	w->follow = follow;
	w->v.ns_per_px = 1;
	w->v.message = "Loading...";
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
	g_signal_connect(w->entry, "search-changed", G_CALLBACK(search_changed), w);
	g_signal_connect(w->filter_check, "toggled", G_CALLBACK(filter_toggled), w);
	gtk_box_append(GTK_BOX(box), w->search_bar);

	GtkWidget *grid = gtk_grid_new();
	w->area = gtk_drawing_area_new();
	gtk_widget_set_hexpand(w->area, TRUE);
	gtk_widget_set_vexpand(w->area, TRUE);
	gtk_widget_set_focusable(w->area, TRUE);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(w->area), draw_cb, w, NULL);
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
	w->status = gtk_label_new("Loading...");
	gtk_label_set_xalign(GTK_LABEL(w->status), 0);
	gtk_label_set_ellipsize(GTK_LABEL(w->status), PANGO_ELLIPSIZE_END);
	gtk_widget_set_margin_start(w->status, 6);
	gtk_box_append(GTK_BOX(box), w->status);
	gtk_window_set_child(GTK_WINDOW(w->win), box);
	add_input(w);
	gtk_window_present(GTK_WINDOW(w->win));
	gtk_widget_grab_focus(w->area);

	start_load(w);
	guint follow_id = follow ? g_timeout_add(200, follow_tick, w) : 0;
	while (!w->done)
		g_main_context_iteration(NULL, TRUE);
	/* a load still running owns the path copy it was given; let it end */
	while (w->loading || rv_hpanel_busy(w->hp))
		g_main_context_iteration(NULL, TRUE);
	if (follow_id)
		g_source_remove(follow_id);
	int rc = w->exit_code;
	if (!w->destroyed)
		gtk_window_destroy(GTK_WINDOW(w->win));
	while (g_main_context_iteration(NULL, FALSE))
		;
	rv_hpanel_free(w->hp);
	rv_model_free(w->m);
	g_free(w->match);
	g_free(w->chain);
	g_strfreev(w->script);
	g_free(w->path);
	g_free(w);
	return rc;
}

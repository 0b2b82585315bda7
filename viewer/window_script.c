/*
 * window_script.c - the window's hidden --test-script: steps that press
 * keys through the same handler as real key presses, type into the
 * search, drag, take a screenshot of what GTK drew, and print what a
 * test checks (the view, the status line, counts). Tests only; a user
 * never sees it.
 */
#include <stdlib.h>
#include <string.h>

#include "window.h"

static gboolean script_step(gpointer data);

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

static void print_view(win_t *w)
{
	double page = w->v.ns_per_px * (w->v.width - RV_LEFT_W);
	printf("view from=%.0f ns_per_px=%.6f to=%.0f data_end=%lld"
	       " following=%d\n", w->v.from, w->v.ns_per_px, w->v.from + page,
	       w->m ? (long long)w->m->t_max : 0ll, w->following);
	fflush(stdout);
}

/* Steps for the search, the status and the frame-time readout; false if
 * s is not one. */
static bool script_more(win_t *w, const char *s)
{
	if (!strcmp(s, "view")) {
		print_view(w);
	} else if (g_str_has_prefix(s, "search:")) {
		rv_win_handle_key(w, GDK_KEY_slash, 0);
		gtk_editable_set_text(GTK_EDITABLE(w->entry), s + 7);
		rv_win_search_run(w);   /* not after search-changed's delay */
	} else if (!strcmp(s, "filter")) {
		gtk_check_button_set_active(GTK_CHECK_BUTTON(w->filter_check),
					    TRUE);
	} else if (!strcmp(s, "shown")) {
		/* promise-like items drawn: draw_promises.c hides the
		 * unmatched ones while the filter is on */
		uint32_t n = 0, all = w->m ? w->m->pp.n : 0;
		for (uint32_t i = 0; i < all; i++)
			n += !(w->v.filter && !w->match[i]);
		printf("shown %u of %u filter=%d\n", n, all, w->v.filter);
	} else if (!strcmp(s, "indexed")) {
		/* matching segments as the packed rows count them (the
		 * window's match_rows) and as match[] says: equal unless the
		 * index missed a change of the matches */
		long long idx = w->match_rows ? 0 : -1, want = 0;
		for (uint32_t r = 0; w->m && r < w->m->nrows; r++) {
			const rv_row *row = &w->m->rows[r];
			for (uint32_t i = 0; i < row->n; i++)
				want += w->match[row->pp[i]] != 0;
			if (w->match_rows && w->match_rows->nrows == w->m->nrows)
				idx += w->match_rows->n[w->match_rows->off[r] +
							row->n];
		}
		printf("indexed %lld of %lld\n", idx, want);
	} else if (g_str_has_prefix(s, "search-delay:")) {
		w->search_delay_ms = (guint)atoi(s + 13);
	} else if (g_str_has_prefix(s, "range:")) {
		/* "range:A:B" (ns): selected as a drag selects it */
		char *end;
		w->v.sel_a = (int64_t)g_ascii_strtoll(s + 6, &end, 10);
		w->v.sel_b = *end == ':' ? (int64_t)g_ascii_strtoll(end + 1, NULL, 10)
					: w->v.sel_a;
		w->v.has_sel = true;
		rv_win_count_selection(w);
		rv_win_redraw(w);
	} else if (!strcmp(s, "status")) {
		printf("status %s\n", gtk_label_get_text(GTK_LABEL(w->status)));
	} else if (!strcmp(s, "frametime")) {
		printf("frametime shown=%d frames=%d\n", w->show_frametime,
		       w->frame_n);
	} else if (!strcmp(s, "selected")) {
		printf("selected pp=%lld id=%llu\n", (long long)w->cur_match,
		       w->cur_match >= 0 ? (unsigned long long)
		       rv_pp_id(&w->m->pp, w->cur_match) : 0ull);
	} else
		return false;
	fflush(stdout);
	return true;
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
			if (!rv_pp_is_thread(&w->m->pp, i) &&
			    rv_pp_id(&w->m->pp, i) == id)
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
					(unsigned long long)rv_pp_id(&w->m->pp, i));
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
 * steps wait while a report is being computed. And (script_more) "view",
 * "search:TEXT", "search-delay:MS" (each search's worker sleeps MS
 * first), "range:A:B" (a selection from A to B ns, as a drag makes),
 * "filter", "shown", "indexed", "status", "frametime",
 * "selected"; steps wait while a search or a load runs, but for "busy",
 * which prints whether a search is running. */
static gboolean script_step(gpointer data)
{
	win_t *w = data;
	if (!w->script[w->script_pos]) {
		w->done = true;
		return G_SOURCE_REMOVE;
	}
	const char *s = w->script[w->script_pos++];
	if (!strcmp(s, "busy")) {
		/* a step that runs while a search does, and how long after
		 * it began: under the search's time if the UI thread was free
		 * meanwhile (the search is on a worker) */
		printf("busy search=%d after_ms=%lld\n", w->search_busy,
		       w->search_busy ? (long long)(g_get_monotonic_time() -
				w->search_started_us) / 1000 : -1ll);
		fflush(stdout);
		g_timeout_add(150, script_step, w);
		return G_SOURCE_REMOVE;
	}
	if (rv_hpanel_busy(w->hp) || w->search_busy || w->sel_busy ||
	    w->loading) {
		w->script_pos--;
		g_timeout_add(50, script_step, w);
		return G_SOURCE_REMOVE;
	}
	if (script_hist(w, s)) {
	} else if (g_str_has_prefix(s, "key:")) {
		/* "key:S-Return": with Shift */
		bool shift = g_str_has_prefix(s + 4, "S-");
		guint k = gdk_keyval_from_name(s + 4 + (shift ? 2 : 0));
		rv_win_handle_key(w, k, shift ? GDK_SHIFT_MASK : 0);
		print_view(w);
	} else if (script_more(w, s)) {
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


void rv_win_script_start(win_t *w)
{
	g_timeout_add(300, script_step, w);
}

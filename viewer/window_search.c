/*
 * window_search.c - `/` search and its filter, off the UI thread.
 *
 * Matching every label of a 10 M-event trace costs 70-80 ms, too much
 * per keystroke on the UI thread: a GTask worker computes the match
 * array, one at a time (a query typed meanwhile runs when it ends), and a
 * generation counter drops results of a query that is no longer current.
 * A reload swaps the model while a worker may still read the old one, so
 * the old one is kept (retired) until no worker runs.
 *
 * Closing the search (Esc, in the entry or the timeline) clears it all:
 * matches, the filter, the status. Enter selects the next match (in
 * creation order), Shift+Enter the previous, and brings it into view.
 */
#include <math.h>
#include <string.h>

#include "window.h"

typedef struct {
	const rv_model *m;
	char *needle;
	guint gen;
	uint8_t *match;
	uint32_t n;
	guint delay_ms;
} search_job;

static void job_free(gpointer data)
{
	search_job *j = data;
	g_free(j->needle);
	g_free(j->match);
	g_free(j);
}

static void search_thread(GTask *t, gpointer src, gpointer data,
			  GCancellable *c)
{
	search_job *j = data;
	if (j->delay_ms)
		g_usleep((gulong)j->delay_ms * 1000);
	j->match = g_malloc0(j->m->pp.n + 1);
	j->n = rv_search(j->m, j->needle, j->match);
	g_task_return_boolean(t, TRUE);
}

static void free_retired(win_t *w)
{
	if (w->search_busy || !w->retired)
		return;
	for (guint i = 0; i < w->retired->len; i++)
		rv_model_free(g_ptr_array_index(w->retired, i));
	g_ptr_array_set_size(w->retired, 0);
}

void rv_win_matches_changed(win_t *w)
{
	rv_match_rows_free(w->match_rows);
	w->match_rows = rv_match_rows_new(w->m, w->match);
	w->v.match_rows = w->match_rows;
}

void rv_win_search_drop_model(win_t *w, rv_model *old)
{
	if (!old)
		return;
	if (!w->retired)
		w->retired = g_ptr_array_new();
	g_ptr_array_add(w->retired, old);
	free_retired(w);
}

static void show_result(win_t *w, const char *q, uint32_t n)
{
	if (!*q) {
		rv_win_status(w, "%s", w->base_status ? w->base_status : "");
		return;
	}
	rv_win_status(w, "%u match%s for \"%s\"%s", n, n == 1 ? "" : "es", q,
		      w->v.filter ? " (filter: hiding the rest; Esc clears)"
				  : " (Enter: next, Shift+Enter: previous)");
}

static void search_done(GObject *src, GAsyncResult *res, gpointer data)
{
	win_t *w = data;
	search_job *j = g_task_get_task_data(G_TASK(res));
	w->search_busy = false;
	bool current = j->gen == w->search_gen && j->m == w->m;
	if (current) {
		memcpy(w->match, j->match, w->m->pp.n);
		rv_win_matches_changed(w);
		w->cur_match = -1;
		w->v.filter = *j->needle && gtk_check_button_get_active(
			GTK_CHECK_BUTTON(w->filter_check));
		show_result(w, j->needle, j->n);
		rv_win_redraw(w);
	}
	free_retired(w);
	if (w->search_again) {
		w->search_again = false;
		rv_win_search_run(w);
	}
}

void rv_win_search_run(win_t *w)
{
	if (!w->m || w->search_quiet ||
	    !gtk_search_bar_get_search_mode(GTK_SEARCH_BAR(w->search_bar)))
		return;
	w->search_gen++;
	if (w->search_busy) {
		w->search_again = true;
		return;
	}
	search_job *j = g_new0(search_job, 1);
	j->m = w->m;
	j->needle = g_strdup(gtk_editable_get_text(GTK_EDITABLE(w->entry)));
	j->gen = w->search_gen;
	j->delay_ms = w->search_delay_ms;
	w->search_busy = true;
	w->search_started_us = g_get_monotonic_time();
	GTask *t = g_task_new(NULL, NULL, search_done, w);
	g_task_set_task_data(t, j, job_free);
	g_task_run_in_thread(t, search_thread);
	g_object_unref(t);
}

void rv_win_search_clear(win_t *w)
{
	w->search_gen++;          /* a running worker's result is stale */
	w->search_again = false;
	w->v.filter = false;
	w->cur_match = -1;
	if (w->m) {
		memset(w->match, 0, w->m->pp.n);
		memset(w->chain, 0, w->m->pp.n);
	}
	rv_win_matches_changed(w);
	/* quiet: these emit toggled / search-changed, which must not start
	 * a new search */
	w->search_quiet = true;
	gtk_check_button_set_active(GTK_CHECK_BUTTON(w->filter_check), FALSE);
	gtk_editable_set_text(GTK_EDITABLE(w->entry), "");
	if (gtk_search_bar_get_search_mode(GTK_SEARCH_BAR(w->search_bar)))
		gtk_search_bar_set_search_mode(GTK_SEARCH_BAR(w->search_bar),
					       FALSE);
	w->search_quiet = false;
	rv_win_status(w, "%s", w->base_status ? w->base_status : "");
	rv_win_redraw(w);
}

void rv_win_search_step(win_t *w, int dir)
{
	if (!w->m || w->search_busy)
		return;
	const uint32_t n = w->m->pp.n;
	uint32_t total = 0, k = 0;
	int64_t found = -1;
	for (uint32_t s = 1; s <= n && found < 0; s++) {
		/* from the current match onwards, wrapping around */
		int64_t i = ((w->cur_match < 0 ? (dir > 0 ? -1 : 0)
				: w->cur_match) + dir * (int64_t)s) % n;
		if (i < 0)
			i += n;
		if (w->match[i])
			found = i;
	}
	if (found < 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		total += w->match[i];
		if (i <= (uint32_t)found)
			k += w->match[i];
	}
	w->cur_match = found;
	/* the selected match is drawn as a chain is (orange) */
	memset(w->chain, 0, n);
	w->chain[found] = 1;
	double page = w->v.ns_per_px * (w->v.width - RV_LEFT_W);
	double t = (double)rv_pp_created(&w->m->pp, found);
	if (t < w->v.from || t > w->v.from + page) {
		w->v.from = t - page / 2;
		w->following = false;
		rv_win_clamp(w);
	}
	char when[48];
	rv_fmt_time(when, sizeof when, t);
	const char *l = w->m->pp.label[found];
	rv_win_status(w, "match %u of %u: %s at %s", k, total, l ? l : "?",
		      when);
	rv_win_redraw(w);
}

static void search_changed(GtkSearchEntry *e, gpointer data)
{
	rv_win_search_run(data);
}

static void filter_toggled(GtkCheckButton *b, gpointer data)
{
	rv_win_search_run(data);
}

static void mode_changed(GObject *bar, GParamSpec *ps, gpointer data)
{
	win_t *w = data;
	if (!w->search_quiet &&
	    !gtk_search_bar_get_search_mode(GTK_SEARCH_BAR(w->search_bar)))
		rv_win_search_clear(w);
}

static void activate(GtkSearchEntry *e, gpointer data)
{
	rv_win_search_step(data, 1);
}

/* Shift+Enter in the entry: "activate" does not say which modifiers. */
static gboolean entry_key(GtkEventControllerKey *c, guint key, guint code,
			  GdkModifierType mods, gpointer data)
{
	if ((key == GDK_KEY_Return || key == GDK_KEY_KP_Enter) &&
	    (mods & GDK_SHIFT_MASK)) {
		rv_win_search_step(data, -1);
		return TRUE;
	}
	return FALSE;
}

void rv_win_search_connect(win_t *w)
{
	g_signal_connect(w->entry, "search-changed", G_CALLBACK(search_changed), w);
	g_signal_connect(w->entry, "activate", G_CALLBACK(activate), w);
	g_signal_connect(w->filter_check, "toggled", G_CALLBACK(filter_toggled), w);
	g_signal_connect(w->search_bar, "notify::search-mode-enabled",
			 G_CALLBACK(mode_changed), w);
	GtkEventController *k = gtk_event_controller_key_new();
	gtk_event_controller_set_propagation_phase(k, GTK_PHASE_CAPTURE);
	g_signal_connect(k, "key-pressed", G_CALLBACK(entry_key), w);
	gtk_widget_add_controller(w->entry, k);
}

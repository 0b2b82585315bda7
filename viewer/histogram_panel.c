/*
 * histogram_panel.c - the latency histogram pane of the window (see
 * histogram_panel.h). What is selected is kept by guest id (promise id or
 * thread tid), so a --follow reload re-finds it in the new model; the
 * reports are computed in a GTask per grouping and cached until the model
 * changes. A result that arrives for an older model is dropped.
 */
#include "histogram_panel.h"

#include <inttypes.h>
#include <string.h>

enum { SEL_NONE, SEL_PP, SEL_THREAD };

struct rv_hpanel {
	GtkWidget *box, *by_dd, *area;
	rv_hpanel_cb cb;
	void *ud;
	const rv_model *m;
	uint8_t *mark;
	rv_hist_src *src[3];      /* by label, type, thread */
	enum rs_report_by by;
	bool computing, updating, dying;
	unsigned gen;             /* bumped when the model changes */
	int sel;
	uint64_t sel_id;          /* promise id or thread tid */
	rv_hist hist;
	bool has_hist;
	char msg[256];
};

typedef struct {
	char *path;
	int64_t trace_id;
	enum rs_report_by by;
	unsigned gen;
	char err[256];
} job_t;

static void job_free(gpointer d)
{
	job_t *j = d;
	g_free(j->path);
	g_free(j);
}

static void refresh(rv_hpanel *p);

static void compute_thread(GTask *t, gpointer src, gpointer data,
			   GCancellable *c)
{
	job_t *j = data;
	rv_hist_src *s = rv_hist_src_new(j->path, j->trace_id, j->by, j->err,
					 sizeof j->err);
	g_task_return_pointer(t, s, (GDestroyNotify)rv_hist_src_free);
}

static void computed(GObject *o, GAsyncResult *res, gpointer data)
{
	rv_hpanel *p = data;
	job_t *j = g_task_get_task_data(G_TASK(res));
	rv_hist_src *s = g_task_propagate_pointer(G_TASK(res), NULL);
	p->computing = false;
	if (p->dying) {
		rv_hist_src_free(s);
		return;
	}
	if (j->gen != p->gen || !p->m) {
		rv_hist_src_free(s);
	} else if (!s) {
		snprintf(p->msg, sizeof p->msg, "report failed: %.200s", j->err);
		p->sel = SEL_NONE;
	} else {
		rv_hist_src_bind(s, p->m);
		rv_hist_src_free(p->src[j->by]);
		p->src[j->by] = s;
	}
	refresh(p);
}

static void start_compute(rv_hpanel *p)
{
	job_t *j = g_new0(job_t, 1);
	j->path = g_strdup(p->m->path);
	j->trace_id = p->m->trace_id;
	j->by = p->by;
	j->gen = p->gen;
	p->computing = true;
	snprintf(p->msg, sizeof p->msg, "computing the latency report "
		 "(by %s)...", rv_hist_by_name(p->by));
	GTask *t = g_task_new(NULL, NULL, computed, p);
	g_task_set_task_data(t, j, job_free);
	g_task_run_in_thread(t, compute_thread);
	g_object_unref(t);
}

static int64_t find_pp(const rv_model *m, uint64_t id, bool thread)
{
	if (thread) {
		for (uint32_t i = 0; i < m->nthreads; i++)
			if (m->threads[i].tid == id)
				return i;
		return -1;
	}
	for (uint32_t i = 0; i < m->pp.n; i++)
		if (!rv_pp_is_thread(&m->pp, i) && rv_pp_id(&m->pp, i) == id)
			return i;
	return -1;
}

/* Rebuild the shown histogram from the selection and the cache, starting
 * a computation if the grouping in force has none yet. */
static void refresh(rv_hpanel *p)
{
	p->has_hist = false;
	if (p->sel == SEL_NONE || !p->m ||
	    !gtk_widget_get_visible(p->box)) {
		gtk_widget_queue_draw(p->area);
		return;
	}
	rv_hist_src *s = p->src[p->by];
	if (!s) {
		if (!p->computing)
			start_compute(p);
		gtk_widget_queue_draw(p->area);
		return;
	}
	int64_t i = find_pp(p->m, p->sel_id, p->sel == SEL_THREAD);
	char group[128];
	if (i < 0) {
		snprintf(p->msg, sizeof p->msg, "the selection is gone");
	} else if (p->sel == SEL_THREAD) {
		snprintf(group, sizeof group, "%" PRIu64, p->sel_id);
		p->has_hist = true;
		/* no settled promises of its own: its wake -> run latency */
		if (!rv_hist_build(&p->hist, s, RS_REPORT_LIFETIME, group))
			rv_hist_build(&p->hist, s, RS_REPORT_WAKE, group);
	} else if (!rv_hist_group_of(s, (uint32_t)i, group, sizeof group)) {
		snprintf(p->msg, sizeof p->msg, "promise %" PRIu64 " is not in "
			 "the promises table", p->sel_id);
	} else {
		p->has_hist = true;
		rv_hist_build(&p->hist, s, RS_REPORT_LIFETIME, group);
	}
	gtk_widget_queue_draw(p->area);
}

static void draw_cb(GtkDrawingArea *a, cairo_t *cr, int w, int h,
		    gpointer data)
{
	rv_hpanel *p = data;
	if (p->has_hist) {
		rv_hist_draw(cr, &p->hist, w, h);
		return;
	}
	rv_hist empty = { .sel = -1 };
	snprintf(empty.title, sizeof empty.title, "%s",
		 p->sel == SEL_NONE ? "click a promise or a thread lane"
				    : p->msg);
	rv_hist_draw(cr, &empty, w, h);
}

static void press(rv_hpanel *p, double x, double y)
{
	if (!p->has_hist || !p->mark)
		return;
	int w = gtk_widget_get_width(p->area), h = gtk_widget_get_height(p->area);
	int b = rv_hist_bar_at(&p->hist, w, h, x, y);
	if (b < 0)
		return;
	const rv_hist_src *s = p->src[p->by];
	p->hist.sel = b;
	uint32_t n = rv_hist_mark(&p->hist, s, b, p->mark);
	char lo[32], hi[32], what[384];
	rs_report_fmt(lo, sizeof lo, p->hist.lo[b], "ns");
	rs_report_fmt(hi, sizeof hi, p->hist.hi[b], "ns");
	if (p->hist.section == RS_REPORT_LIFETIME)
		snprintf(what, sizeof what, "%u promise%s of %s %s with a "
			 "lifetime of %s .. %s highlighted (Esc clears)", n,
			 n == 1 ? "" : "s", rv_hist_by_name(p->hist.by),
			 p->hist.group, lo, hi);
	else
		snprintf(what, sizeof what, "%" PRIu64 " wake-ups of thread %s "
			 "took %s .. %s (not promises: nothing to highlight)",
			 p->hist.cnt[b], p->hist.group, lo, hi);
	gtk_widget_queue_draw(p->area);
	p->cb(p->ud, n, what);
}

static void click_cb(GtkGestureClick *g, int n, double x, double y,
		     gpointer data)
{
	press(data, x, y);
}

static void by_changed(GObject *o, GParamSpec *ps, gpointer data)
{
	rv_hpanel *p = data;
	if (p->updating)
		return;
	p->by = (enum rs_report_by)gtk_drop_down_get_selected(
		GTK_DROP_DOWN(p->by_dd));
	refresh(p);
}

rv_hpanel *rv_hpanel_new(rv_hpanel_cb cb, void *ud)
{
	rv_hpanel *p = g_new0(rv_hpanel, 1);
	p->cb = cb;
	p->ud = ud;
	p->by = RS_REPORT_BY_LABEL;
	p->box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_widget_set_margin_start(row, 6);
	gtk_widget_set_margin_top(row, 4);
	gtk_box_append(GTK_BOX(row), gtk_label_new("Latency of promises grouped by"));
	static const char *const bys[] = { "label", "type", "creating thread",
					   NULL };
	p->by_dd = gtk_drop_down_new_from_strings(bys);
	gtk_widget_set_tooltip_text(p->by_dd, "Which promises form the "
				    "selected one's group (h hides the pane)");
	g_signal_connect(p->by_dd, "notify::selected", G_CALLBACK(by_changed), p);
	gtk_box_append(GTK_BOX(row), p->by_dd);
	gtk_box_append(GTK_BOX(p->box), row);
	p->area = gtk_drawing_area_new();
	gtk_widget_set_vexpand(p->area, TRUE);
	gtk_widget_set_hexpand(p->area, TRUE);
	gtk_widget_set_size_request(p->area, 420, 300);
	gtk_drawing_area_set_draw_func(GTK_DRAWING_AREA(p->area), draw_cb, p,
				       NULL);
	GtkGesture *click = gtk_gesture_click_new();
	g_signal_connect(click, "pressed", G_CALLBACK(click_cb), p);
	gtk_widget_add_controller(p->area, GTK_EVENT_CONTROLLER(click));
	gtk_box_append(GTK_BOX(p->box), p->area);
	gtk_widget_set_visible(p->box, FALSE);
	return p;
}

GtkWidget *rv_hpanel_widget(rv_hpanel *p)
{
	return p->box;
}

void rv_hpanel_set_model(rv_hpanel *p, const rv_model *m, uint8_t *mark)
{
	p->gen++;
	for (int i = 0; i < 3; i++) {
		rv_hist_src_free(p->src[i]);
		p->src[i] = NULL;
	}
	p->m = m;
	p->mark = mark;
	refresh(p);
}

static void show(rv_hpanel *p)
{
	gtk_widget_set_visible(p->box, TRUE);
}

void rv_hpanel_select_pp(rv_hpanel *p, uint32_t pp)
{
	if (!p->m || pp >= p->m->pp.n)
		return;
	if (rv_pp_is_thread(&p->m->pp, pp)) {
		rv_hpanel_select_thread(p,
					(uint32_t)rv_pp_thread(&p->m->pp, pp));
		return;
	}
	p->sel = SEL_PP;
	p->sel_id = rv_pp_id(&p->m->pp, pp);
	show(p);
	refresh(p);
}

void rv_hpanel_select_thread(rv_hpanel *p, uint32_t thread)
{
	if (!p->m || thread >= p->m->nthreads)
		return;
	p->sel = SEL_THREAD;
	p->sel_id = p->m->threads[thread].tid;
	show(p);
	rv_hpanel_set_by(p, RS_REPORT_BY_THREAD);
}

void rv_hpanel_set_by(rv_hpanel *p, enum rs_report_by by)
{
	p->updating = true;
	gtk_drop_down_set_selected(GTK_DROP_DOWN(p->by_dd), (guint)by);
	p->updating = false;
	p->by = by;
	refresh(p);
}

void rv_hpanel_toggle(rv_hpanel *p)
{
	gtk_widget_set_visible(p->box, !gtk_widget_get_visible(p->box));
	refresh(p);
}

void rv_hpanel_clear_bar(rv_hpanel *p)
{
	p->hist.sel = -1;
	gtk_widget_queue_draw(p->area);
}

bool rv_hpanel_busy(rv_hpanel *p)
{
	return p->computing;
}

bool rv_hpanel_click_bar(rv_hpanel *p, int i)
{
	if (!p->has_hist || i < 0 || i >= p->hist.nbars)
		return false;
	int w = gtk_widget_get_width(p->area), h = gtk_widget_get_height(p->area);
	double x, y;
	rv_hist_bar_centre(&p->hist, w, h, i, &x, &y);
	if (rv_hist_bar_at(&p->hist, w, h, x, y) != i)
		return false;
	press(p, x, y);
	return true;
}

const rv_hist *rv_hpanel_hist(rv_hpanel *p)
{
	return p->has_hist ? &p->hist : NULL;
}

void rv_hpanel_free(rv_hpanel *p)
{
	if (!p)
		return;
	p->dying = true;
	while (p->computing)
		g_main_context_iteration(NULL, TRUE);
	for (int i = 0; i < 3; i++)
		rv_hist_src_free(p->src[i]);
	g_free(p);
}

/*
 * bench_follow.c - `ringside-view --follow` while a guest writes: the
 * follow_cpu_pct and follow_lag_ms rows.
 *
 * A writer process is the synthetic guest of bench_view.c, live: it
 * writes 1 M events a second of wall time through guest-trace's writer,
 * the one decoder and the collector's store, committing a batch every
 * 50 ms as a collector does at its poll, and logs each commit (events
 * so far, CLOCK_MONOTONIC). Meanwhile the viewer follows the database
 * headlessly (`ringside-view --bench-follow SECONDS`: the window's
 * reload and one frame a 200 ms tick, viewer/bench.c), printing when
 * each frame was drawn and how many events it held. follow_cpu_pct is
 * the viewer's CPU time over its wall time; follow_lag_ms the p99, over
 * the batches, of (the first frame holding the batch) - (its commit).
 * Whether the writer kept 1 M/s on this machine is a row of its own.
 */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FOLLOW_EPS 1e6
#define FOLLOW_SECS 60

typedef struct {
	unsigned long long n;
	double t_ns;
} point;

/* "EVENTS NS" lines (the writer's commits) or the viewer's tick lines,
 * in order; NULL if the file cannot be read. */
static point *read_points(const char *path, const char *prefix, int *n,
			  double *eps)
{
	FILE *f = fopen(path, "r");
	char l[512];
	int cap = 0;
	point *v = NULL;
	*n = 0;
	if (!f)
		return NULL;
	while (fgets(l, sizeof l, f)) {
		point p;
		if (eps && sscanf(l, "# eps %lf", eps) == 1)
			continue;
		if (prefix ? sscanf(l, "tick drawn_ns=%lf events=%llu", &p.t_ns,
				    &p.n) != 2 || strncmp(l, prefix, strlen(prefix))
			   : sscanf(l, "%llu %lf", &p.n, &p.t_ns) != 2)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			v = realloc(v, (size_t)cap * sizeof(*v));
			if (!v)
				bench_fail("out of memory");
		}
		v[(*n)++] = p;
	}
	fclose(f);
	return v;
}

/* p99 of commit-to-frame over the batches some frame showed (a commit
 * that added nothing, as the writer's catching up makes, is no batch). */
static double lag_p99_ms(const point *w, int nw, const point *t, int nt)
{
	double *lag = malloc(sizeof(double) * (size_t)(nw ? nw : 1));
	int n = 0, k = 0;
	for (int i = 0; i < nw && lag; i++) {
		if (i && w[i].n == w[i - 1].n)
			continue;
		while (k < nt && t[k].n < w[i].n)
			k++;
		if (k == nt)
			break;   /* committed after the viewer's last frame */
		lag[n++] = (t[k].t_ns - w[i].t_ns) / 1e6;
	}
	double p = BENCH_NONE;
	if (n) {
		bench_median(lag, n);   /* sorts */
		p = lag[(int)((n - 1) * 0.99)];
	}
	free(lag);
	return p;
}

void bench_follow(struct bench_results *res, const char *dir)
{
	char db[512], wlog[600], vlog[600], line[512];
	const char *env = getenv("BENCH_FOLLOW_SECS");
	const int secs = env && atoi(env) > 0 ? atoi(env) : FOLLOW_SECS;
	snprintf(db, sizeof db, "%s/follow.db", dir);
	snprintf(wlog, sizeof wlog, "%s/follow-writer.log", dir);
	snprintf(vlog, sizeof vlog, "%s/follow-view.log", dir);
	unlink(wlog);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		/* past the viewer's end, so its last ticks still see commits */
		_exit(bench_gen_live(db, FOLLOW_EPS, secs + 3, wlog));
	}
	if (pid < 0) {
		bench_note(res, "follow: cannot fork the writer");
		return;
	}
	/* the viewer starts once the first batch is in */
	struct stat st;
	for (int i = 0; i < 3000 && (stat(wlog, &st) != 0 || !st.st_size); i++)
		usleep(10000);
	int rc = bench_sh("%s/ringside-view --bench-follow %d %s > %s 2>&1",
			  BENCH_BIN_DIR, secs, db, vlog);
	int wst = 0;
	waitpid(pid, &wst, 0);
	if (rc != 0 || bench_grep_last(vlog, "follow_cpu_pct", line,
				       sizeof line) != 0) {
		bench_note(res, "follow: ringside-view --bench-follow failed (%s)",
			   vlog);
		return;
	}
	unsigned long long reloads = 0, rebuilds = 0;
	sscanf(line, "follow_cpu_pct %lf wall_s %*f reloads %llu rebuilds %llu",
	       &res->follow_cpu_pct, &reloads, &rebuilds);
	int nw, nt;
	double eps = BENCH_NONE;
	point *w = read_points(wlog, NULL, &nw, &eps);
	point *t = read_points(vlog, "tick ", &nt, NULL);
	res->follow_lag_ms = w && t ? lag_p99_ms(w, nw, t, nt) : BENCH_NONE;
	res->follow_writer_eps = eps;
	bench_note(res, "follow: %d s, writer %.2f M events/s (asked %.0f M/s,"
		   " %s), %llu reloads, %llu of them whole loads", secs,
		   eps / 1e6, FOLLOW_EPS / 1e6, WIFEXITED(wst) &&
		   !WEXITSTATUS(wst) ? "lost none" : "writer failed", reloads,
		   rebuilds);
	free(w);
	free(t);
	unlink(db);
}

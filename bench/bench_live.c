/*
 * bench_live.c - keeping up with a busy guest: `ringside run --workload
 * pingpong --seconds 10` (the bare-metal kernel under QEMU TCG, its
 * busiest workload) with default settings, against the design before the
 * spool in the same run: `--store-sync --ring-pages 256`, where each poll
 * waits for its commit and the ring is the guest's own 1 MiB. Runs
 * alternate, LIVE_RUNS of each; the figures are medians.
 *
 *   guest rate    (stored + lost) / the stored trace's span of guest time
 *   lost          lost / (stored + lost), in %
 *   stored rate   stored / the same span
 *
 * The guest's rate depends on the CPU QEMU gets, which the collector
 * competes for on a small machine: compare the stored rates, and read the
 * guest rates beside them.
 *
 * Under TCG one vCPU writes ~2 M events/s, which both designs nearly
 * store, so the pingpong ratio says little about what the collector can
 * store. The same runs with emitstorm on two vCPUs (every CPU emitting at
 * full speed: ~3 M/s when the collector leaves QEMU the cores) give a
 * guest the old design cannot keep up with (the _storm_ fields).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_RUNS 3
#define LIVE_SECONDS 10

struct live {
	double guest, lost_pct, stored;
};

/* What the guest runs: a workload and its run options. */
struct live_guest {
	const char *workload, *opts;
};

static int live_run(struct bench_results *res, const char *dir,
		    const struct live_guest *g, int old, int run,
		    struct live *out)
{
	char log[1100], sum[512], span[512];
	unsigned long long stored, present, lost;
	double from, to;

	snprintf(log, sizeof(log), "%s/live.%s.%s.%d.log", dir, g->workload,
		 old ? "old" : "new", run);
	int rc = bench_sh("rm -f '%s/live.db'* && '%s/ringside' run --workload "
			  "%s %s --seconds %d -o '%s/live.db' %s >'%s' 2>&1",
			  dir, BENCH_BIN_DIR, g->workload, g->opts,
			  LIVE_SECONDS, dir,
			  old ? "--store-sync --ring-pages 256" : "", log);
	/* the session's summary line (the last "ringside: " line), then
	 * info's span of guest time */
	if (bench_grep_last(log, "ringside: ", sum, sizeof(sum)) != 0 ||
	    !strstr(sum, "events stored") ||
	    bench_grep_last(log, "  time: ", span, sizeof(span)) != 0)
		goto fail;
	if (sscanf(sum, "ringside: %llu events stored (%llu already present),"
		   " %llu lost",
		   &stored, &present, &lost) != 3 ||
	    sscanf(span, "  time: %lf s .. %lf s", &from, &to) != 2 ||
	    to <= from || stored + lost == 0)
		goto fail;
	out->guest = (double)(stored + lost) / (to - from);
	out->stored = (double)stored / (to - from);
	out->lost_pct = 100.0 * (double)lost / (double)(stored + lost);
	printf("live: %s, %s: %.2f M events/s written, %.3f %% lost, %.2f M/s "
	       "stored\n", g->workload, old ? "old (--store-sync --ring-pages "
	       "256)" : "default", out->guest / 1e6, out->lost_pct,
	       out->stored / 1e6);
	return 0;
fail:
	bench_note(res, "live: `ringside run --workload %s %s` gave no "
		   "figure (exit %d, see %s)", g->workload, g->opts, rc, log);
	return -1;
}

static double median_of(const struct live *v, size_t field)
{
	double x[LIVE_RUNS];
	for (int i = 0; i < LIVE_RUNS; i++)
		x[i] = *(const double *)((const char *)&v[i] + field);
	return bench_median(x, LIVE_RUNS);
}

/* The medians of LIVE_RUNS runs' figures. */
static void medians(const struct live *v, double *guest, double *lost_pct,
		    double *stored)
{
	*guest = median_of(v, offsetof(struct live, guest));
	*lost_pct = median_of(v, offsetof(struct live, lost_pct));
	*stored = median_of(v, offsetof(struct live, stored));
}

/* LIVE_RUNS of each design, alternating, into now[] and old[]. */
static int live_pairs(struct bench_results *res, const char *dir,
		      const struct live_guest *g, struct live *now,
		      struct live *old)
{
	double load[1] = { 0 };

	if (getloadavg(load, 1) != 1)
		load[0] = BENCH_NONE;
	printf("live: %s%s%s under QEMU for %d s, default settings against "
	       "the design before the spool, %d runs each, alternating (load "
	       "average %.2f)\n", g->workload, *g->opts ? " " : "", g->opts,
	       LIVE_SECONDS, LIVE_RUNS, load[0]);
	for (int r = 0; r < LIVE_RUNS; r++)
		if (live_run(res, dir, g, 0, r, &now[r]) != 0 ||
		    live_run(res, dir, g, 1, r, &old[r]) != 0)
			return -1;
	return 0;
}

void bench_live(struct bench_results *res, const char *dir)
{
	static const struct live_guest pingpong = { "pingpong", "" };
	static const struct live_guest storm = { "emitstorm", "--smp 2" };
	struct live now[LIVE_RUNS], old[LIVE_RUNS];

	if (live_pairs(res, dir, &pingpong, now, old) == 0) {
		medians(now, &res->live_guest_eps, &res->live_lost_pct,
			&res->live_stored_eps);
		medians(old, &res->live_guest_old_eps, &res->live_lost_old_pct,
			&res->live_stored_old_eps);
	}
	if (live_pairs(res, dir, &storm, now, old) == 0) {
		medians(now, &res->live_storm_guest_eps,
			&res->live_storm_lost_pct, &res->live_storm_stored_eps);
		medians(old, &res->live_storm_guest_old_eps,
			&res->live_storm_lost_old_pct,
			&res->live_storm_stored_old_eps);
	}
}

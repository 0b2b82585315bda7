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

static int live_run(struct bench_results *res, const char *dir, int old,
		    int run, struct live *out)
{
	char log[1100], sum[512], span[512];
	unsigned long long stored, present, lost;
	double from, to;

	snprintf(log, sizeof(log), "%s/live.%s.%d.log", dir, old ? "old" : "new",
		 run);
	int rc = bench_sh("rm -f '%s/live.db'* && '%s/ringside' run --workload "
			  "pingpong --seconds %d -o '%s/live.db' %s >'%s' 2>&1",
			  dir, BENCH_BIN_DIR, LIVE_SECONDS, dir,
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
	printf("live: %s: %.2f M events/s written, %.3f %% lost, %.2f M/s "
	       "stored\n", old ? "old (--store-sync --ring-pages 256)"
	       : "default", out->guest / 1e6, out->lost_pct, out->stored / 1e6);
	return 0;
fail:
	bench_note(res, "live: `ringside run --workload pingpong` gave no "
		   "figure (exit %d, see %s)", rc, log);
	return -1;
}

static double median_of(struct live *v, size_t field)
{
	double x[LIVE_RUNS];
	for (int i = 0; i < LIVE_RUNS; i++)
		x[i] = *(double *)((char *)&v[i] + field);
	return bench_median(x, LIVE_RUNS);
}

void bench_live(struct bench_results *res, const char *dir)
{
	struct live now[LIVE_RUNS], old[LIVE_RUNS];
	double load[1] = { 0 };

	if (getloadavg(load, 1) != 1)
		load[0] = BENCH_NONE;
	printf("live: pingpong under QEMU for %d s, default settings against "
	       "the design before the spool, %d runs each, alternating (load "
	       "average %.2f)\n", LIVE_SECONDS, LIVE_RUNS, load[0]);
	for (int r = 0; r < LIVE_RUNS; r++)
		if (live_run(res, dir, 0, r, &now[r]) != 0 ||
		    live_run(res, dir, 1, r, &old[r]) != 0)
			return;
	res->live_guest_eps = median_of(now, offsetof(struct live, guest));
	res->live_lost_pct = median_of(now, offsetof(struct live, lost_pct));
	res->live_stored_eps = median_of(now, offsetof(struct live, stored));
	res->live_guest_old_eps = median_of(old, offsetof(struct live, guest));
	res->live_lost_old_pct = median_of(old, offsetof(struct live, lost_pct));
	res->live_stored_old_eps = median_of(old, offsetof(struct live, stored));
}

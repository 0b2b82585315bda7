/*
 * bench_lag.c - live lag, from the guest's emit to its row being
 * committed in the database, as `ringside run --lag-report` measures it:
 * the real bare-metal kernel's demo workload booted under QEMU (TCG) and
 * collected live. The report's method and its bias (it slightly
 * underestimates, never overstates) are described in collector/lag.c.
 *
 * The 1-minute load average is recorded beside it: this figure depends on
 * the host far more than the others (QEMU, the collector and SQLite's
 * commits all compete for the same two vCPUs).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each run is about 2 s of guest time and 30 000 events; the median of a
 * few runs keeps one unlucky scheduling burst from being the figure. */
#define LAG_RUNS 3

static int lag_run(struct bench_results *res, const char *dir, int run,
		   double *p50, double *p99)
{
	char log[1100], line[512];
	double max;

	snprintf(log, sizeof(log), "%s/lag.%d.log", dir, run);
	int rc = bench_sh("rm -f '%s/lag.db'* && '%s/ringside' run --workload "
			  "demo -o '%s/lag.db' --lag-report >'%s' 2>&1",
			  dir, BENCH_BIN_DIR, dir, log);
	const char *key = "lag: emit -> committed row over ";
	const char *p;
	if (bench_grep_last(log, key, line, sizeof(line)) != 0 ||
	    !(p = strstr(line, "p50")) ||
	    sscanf(p, "p50 %lf us, p99 %lf us, max %lf us", p50, p99,
		   &max) != 3) {
		bench_note(res, "lag: `ringside run --lag-report` gave no "
			   "figure (exit %d, see %s)", rc, log);
		return -1;
	}
	printf("lag: %s\n", line + 5);
	return 0;
}

void bench_lag(struct bench_results *res, const char *dir)
{
	double load[1], p50[LAG_RUNS], p99[LAG_RUNS];

	if (getloadavg(load, 1) == 1)
		res->lag_loadavg = load[0];
	printf("lag: demo workload under QEMU, collected live, %d runs "
	       "(load average %.2f)\n", LAG_RUNS, res->lag_loadavg);
	for (int r = 0; r < LAG_RUNS; r++)
		if (lag_run(res, dir, r, &p50[r], &p99[r]) != 0)
			return;
	res->lag_p50_ms = bench_median(p50, LAG_RUNS) / 1e3;
	res->lag_p99_ms = bench_median(p99, LAG_RUNS) / 1e3;
}

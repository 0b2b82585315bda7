/*
 * stress_main.c - ringside-stress, the program behind `make stress`: the
 * full-speed writers-against-live-reader run of stress.c at a size too
 * long for `make check` (10^8 events by default), with its figures
 * printed. Exits 1 on any corrupt record, reader anomaly or accounting
 * mismatch, 2 on bad usage.
 *
 *   ringside-stress [EVENTS [CPUS [RING_BYTES]]]
 */
#include <stdio.h>
#include <stdlib.h>

#include "ringside_ring.h"
#include "stress.h"

static int parse(const char *s, unsigned long long *v)
{
	char *end;
	/* strtod: 1e8 is the natural way to write the size. */
	double d = strtod(s, &end);
	if (end == s || *end || d < 1 || d > 1e15)
		return -1;
	*v = (unsigned long long)d;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long events = 100000000ull, cpus = 4, ring = 64 * 1024;

	if (argc > 4 || (argc > 1 && parse(argv[1], &events)) ||
	    (argc > 2 && (parse(argv[2], &cpus) || cpus > RS_MAX_CPUS)) ||
	    (argc > 3 && (parse(argv[3], &ring) || (ring & (ring - 1)) ||
			  ring < 2 * RS_PAGE_SIZE))) {
		fprintf(stderr, "usage: ringside-stress [EVENTS [CPUS (1..%u) "
			"[RING_BYTES (power of two, >= 8192)]]]\n", RS_MAX_CPUS);
		return 2;
	}
	/* One string record in 16: varied sizes, so padding and chunk
	 * boundaries are exercised, not just one fixed stride. */
	struct rs_stress_opts o = {
		.events = events, .cpus = (unsigned)cpus, .ring_bytes = ring,
		.mode = RS_MODE_OVERWRITE, .str_every = 16,
	};
	struct rs_stress_result r;

	printf("ringside-stress: %llu events, %u writer threads (one ring each,"
	       " %llu bytes), one live reader\n", events, o.cpus, ring);
	fflush(stdout);
	int rc = rs_stress_run(&o, &r);
	printf("written   %llu\naccepted  %llu\nlost      %llu (in %llu gaps)\n"
	       "corrupt   %llu\nanomalies %llu\npolls     %llu\n"
	       "time      %.2f s (%.1f M events/s)\n",
	       (unsigned long long)r.written, (unsigned long long)r.accepted,
	       (unsigned long long)r.lost, (unsigned long long)r.lost_events,
	       (unsigned long long)r.corrupt, (unsigned long long)r.anomalies,
	       (unsigned long long)r.polls, r.secs,
	       r.secs > 0 ? (double)r.written / r.secs / 1e6 : 0.0);
	if (rc != 0) {
		printf("FAIL: %s\n", r.first_bad[0] ? r.first_bad : "setup");
		return 1;
	}
	printf("OK: accepted + lost == written on every CPU, no corrupt record\n");
	return 0;
}

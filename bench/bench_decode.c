/*
 * bench_decode.c - the one decoder against babeltrace2, on the same
 * events, in the same run.
 *
 * The events are real: the hosted kernel's pingpong workload writes about
 * two million records into a ring file (sized so nothing is overwritten).
 * Our side decodes that ring with the one decoder, a callback that only
 * counts, so the figure is the decoder's cost alone: once through
 * rs_reader_poll_batch (decode_eps: events handed over in arrays, as
 * babeltrace2 hands its sinks message arrays) and once through
 * rs_reader_poll (decode_cb_eps: one call per event). The reference side
 * is what a user of the standard tools would do with the same trace: the
 * ring goes through the real collector (`ringside collect`) into a
 * database, `ringside export --ctf` writes CTF 1.8, and babeltrace2 reads
 * it with its dummy sink (decode, no output). Only the command line is
 * used from here, so this survives changes to the store. Both figures
 * are events/s of wall time, medians; the babeltrace2 figure includes
 * its start-up, as a user would see it.
 */
#include "bench.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs_decode.h"

#define ROUNDS      100000     /* pingpong round trips: ~20 records each */
#define RING_PAGES  32768      /* 128 MiB: two million records fit */
#define DECODE_RUNS 5
#define BT_RUNS     3

static int count_cb(void *opaque, const struct rs_event *ev)
{
	uint64_t *n = opaque;
	*n += 1 + (ev->a & 0);
	return 0;
}

static int count_batch_cb(void *opaque, const struct rs_event *ev, size_t k)
{
	uint64_t *n = opaque;
	*n += k + (ev->a & 0);
	return 0;
}

/* One timed poll of the whole ring by a fresh reader; events/s. */
static double decode_once(void *base, size_t size, const struct rs_layout *l,
			  int batch, uint64_t *events)
{
	struct rs_reader rd;
	uint64_t n = 0;

	if (rs_reader_init(&rd, base, size, l) != 0)
		bench_fail("decode: reader init failed");
	double t0 = bench_now();
	if (batch)
		rs_reader_poll_batch(&rd, count_batch_cb, &n);
	else
		rs_reader_poll(&rd, count_cb, &n);
	double t1 = bench_now();
	rs_reader_free(&rd);
	if (*events && n != *events)
		bench_fail("decode: %llu events, then %llu",
			   (unsigned long long)*events, (unsigned long long)n);
	*events = n;
	return (double)n / (t1 - t0);
}

/* Decodes the ring file DECODE_RUNS times; returns the event count. */
static uint64_t decode_ring(struct bench_results *res, const char *ring)
{
	struct stat st;
	struct rs_layout l;
	char err[160];
	double rates[DECODE_RUNS], cb_rates[DECODE_RUNS];
	uint64_t events = 0;

	int fd = open(ring, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0)
		bench_fail("decode: cannot open %s", ring);
	size_t size = (size_t)st.st_size;
	void *base = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		bench_fail("decode: cannot map %s", ring);
	if (rs_layout_read(base, size, RS_GPA_ANY, &l, err, sizeof(err)) != 0)
		bench_fail("decode: %s: %s", ring, err);
	/* Interleaved, so both see the same machine. */
	for (int r = 0; r < DECODE_RUNS; r++) {
		rates[r] = decode_once(base, size, &l, 1, &events);
		cb_rates[r] = decode_once(base, size, &l, 0, &events);
	}
	munmap(base, size);
	res->decode_eps = bench_median(rates, DECODE_RUNS);
	res->decode_cb_eps = bench_median(cb_rates, DECODE_RUNS);
	res->decode_events = (double)events;
	return events;
}


static void babeltrace(struct bench_results *res, const char *dir,
		       uint64_t events)
{
	char ctf[1100], db[1100];
	double rates[BT_RUNS];

	snprintf(db, sizeof(db), "%s/decode.db", dir);
	snprintf(ctf, sizeof(ctf), "%s/decode-ctf", dir);
	if (bench_sh("command -v babeltrace2 >/dev/null") != 0) {
		bench_note(res, "decode: babeltrace2 not installed");
		return;
	}
	double t0 = bench_now();
	if (bench_sh("rm -rf '%s' '%s'* && '%s/ringside' collect "
		     "'file:%s/decode.ring' -o '%s' >'%s/decode.log' 2>&1",
		     ctf, db, BENCH_BIN_DIR, dir, db, dir) != 0)
		bench_fail("decode: ringside collect failed (%s/decode.log)",
			   dir);
	double t1 = bench_now();
	if (bench_sh("'%s/ringside' export '%s' --ctf '%s' >>'%s/decode.log' "
		     "2>&1", BENCH_BIN_DIR, db, ctf, dir) != 0)
		bench_fail("decode: ringside export --ctf failed "
			   "(%s/decode.log)", dir);
	double t2 = bench_now();
	printf("decode: collect %.1f s, export --ctf %.1f s\n", t1 - t0,
	       t2 - t1);

	/* A reference that read other events would compare nothing. */
	long n = bench_ctf_count(ctf, dir);
	if (n < 0 || (uint64_t)n != events) {
		bench_note(res, "decode: babeltrace2 counted %ld events in the "
			   "CTF export, the decoder %llu; no babeltrace figure",
			   n, (unsigned long long)events);
		return;
	}
	for (int r = 0; r < BT_RUNS; r++) {
		double s0 = bench_now();
		if (bench_sh("babeltrace2 --component=sink.utils.dummy '%s' "
			     ">/dev/null 2>&1", ctf) != 0) {
			bench_note(res, "decode: babeltrace2 failed on %s", ctf);
			return;
		}
		rates[r] = (double)n / (bench_now() - s0);
	}
	res->babeltrace_eps = bench_median(rates, BT_RUNS);
}

void bench_decode(struct bench_results *res, const char *dir)
{
	char ring[1100];

	snprintf(ring, sizeof(ring), "%s/decode.ring", dir);
	if (bench_sh("'%s/ringside-hosted' --workload pingpong --ring '%s' "
		     "--count %u --ring-pages %u --mode discard --tick-hz 0 "
		     "--quiet", BENCH_BIN_DIR, ring, ROUNDS, RING_PAGES) != 0)
		bench_fail("decode: ringside-hosted pingpong failed");
	uint64_t events = decode_ring(res, ring);
	printf("decode: %llu pingpong events, one decoder and babeltrace2\n",
	       (unsigned long long)events);
	babeltrace(res, dir, events);
}

/*
 * bench_collect_smp.c - `ringside collect file:` on a region of four
 * CPUs' rings, against the same events in one ring, in one run.
 *
 * Both ring files hold the same 2^20 events, written by the real writer
 * (gt_emit_at: the same timestamps on both sides, so only the layout
 * differs). The mix is bench_ingest's (promise create, read, switch,
 * resolve); in the N-ring file consecutive promises go to consecutive
 * CPUs, each promise's four events to one CPU. The collect is the
 * command's own code, in this process: a file source, a session attached
 * to it (store created), one final poll (the reader over every ring, each
 * event into the store, one transaction) and, as `ringside collect` does
 * when reading ends, the clock-skew measure (only for several CPUs: it
 * reads every stored event back merged by time), then the session closed.
 * collect_*_eps is events/s of all of that in wall time, collect_*_cpu_eps
 * in the process's CPU time (steadier on a busy machine: the collect is
 * one thread), collect_*_store_eps of the poll alone, the part both
 * layouts share. The figures are medians of rounds that alternate the
 * two files.
 */
#include "bench.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../collector/collect.h"
#include "guest_trace.h"

#define EVENTS  (1u << 20)
#define NCPUS   4
#define RUNS    5
/* 64 MiB of ring data on both sides: the 40 MiB of records fit. */
#define DATA    (64u << 20)

/* Writes the ring file: EVENTS records over ncpus rings, state exited. */
static void make_ring(const char *path, unsigned ncpus)
{
	const size_t size = RS_HEADER_SIZE + DATA;
	struct gt_config cfg = {
		.region_size = size, .ncpus = ncpus, .mode = RS_MODE_DISCARD,
		.tsc_hz = 1000000000, .boot_tsc = 1, .nonce = 0xc011ec7,
	};
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
		bench_fail("collect smp: cannot create %s", path);
	struct rs_header *h = mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
	close(fd);
	if (h == MAP_FAILED || gt_region_init(h, &cfg) != 0)
		bench_fail("collect smp: cannot lay out %s", path);
	for (uint64_t i = 0; i < EVENTS; i++) {
		const uint64_t p = i / 4 + 1, tsc = 1000 + i * 10;
		const unsigned cpu = (unsigned)((i / 4) % ncpus);
		switch (i & 3) {
		case 0: gt_emit_at(h, cpu, tsc, RS_EV_PROMISE_CREATE, 2,
				   RS_EV_NARGS(PROMISE_CREATE), p, p - 1, 2); break;
		case 1: gt_emit_at(h, cpu, tsc, RS_EV_PROMISE_READ, 2,
				   RS_EV_NARGS(PROMISE_READ), p, 3, 0); break;
		case 2: gt_emit_at(h, cpu, tsc, RS_EV_THREAD_SWITCH, 2,
				   RS_EV_NARGS(THREAD_SWITCH), 2, 3, 0); break;
		default: gt_emit_at(h, cpu, tsc, RS_EV_PROMISE_RESOLVE, 3,
				    RS_EV_NARGS(PROMISE_RESOLVE), p, 3, 0); break;
		}
	}
	for (unsigned c = 0; c < ncpus; c++)
		if (h->cpu[c].dropped)
			bench_fail("collect smp: ring %u of %s overflowed", c,
				   path);
	/* Done, so a one-shot read does not watch for a heartbeat. */
	gt_set_state(h, RS_STATE_EXITED);
	munmap(h, size);
}

/* What the database holds: events in chunks and CPUs they came from. */
static void check_db(const char *db_path, unsigned ncpus)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t events = -1, cpus = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT SUM(count), COUNT(DISTINCT cpu)"
			       " FROM chunks", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW) {
			events = sqlite3_column_int64(q, 0);
			cpus = sqlite3_column_int64(q, 1);
		}
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
	if (events != EVENTS || cpus != ncpus)
		bench_fail("collect smp: %s holds %lld events from %lld CPUs,"
			   " not %u from %u", db_path, (long long)events,
			   (long long)cpus, EVENTS, ncpus);
}

static void remove_db(const char *db)
{
	char p[1200];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One collect's seconds: wall and CPU time, whole and its parts. */
struct took {
	double wall, cpu;           /* the whole collect */
	double poll, poll_cpu;      /* the read+store poll */
	double skew_cpu, close_cpu; /* the skew measure; closing */
};

/* One collect of `ring` into a fresh `db`, as rs_collect runs it (no
 * --follow, no --kernel). */
static void collect_once(const char *ring, const char *db, struct took *t)
{
	char spec[1200], why[400];
	struct rs_collect_opts o = {
		.source = spec, .db_path = db, .poll_ms = 100,
		.hang_secs = 1, .wait_secs = 0,
	};
	struct rs_source src;
	enum rs_stop stop;

	snprintf(spec, sizeof(spec), "file:%s", ring);
	remove_db(db);
	const double t0 = bench_now(), c0 = cpu_now();
	struct rs_session *s = rs_session_new(&o);
	if (!s || rs_source_open(spec, &src, why, sizeof(why)) != 0)
		bench_fail("collect smp: %s: %s", spec, s ? why : "no memory");
	if (rs_session_attach(s, &src, why, sizeof(why)) != 0)
		bench_fail("collect smp: %s", why);
	const double t1 = bench_now(), c1 = cpu_now();
	if (rs_session_poll(s, 1, &stop) != 0)
		bench_fail("collect smp: %s", rs_session_error(s));
	const double t2 = bench_now(), c2 = cpu_now();
	if (rs_session_measure_skew(s) != 0)
		bench_fail("collect smp: %s", rs_session_error(s));
	const double c3 = cpu_now();
	rs_session_free(s);
	const double t4 = bench_now(), c4 = cpu_now();
	*t = (struct took){ .wall = t4 - t0, .cpu = c4 - c0, .poll = t2 - t1,
			    .poll_cpu = c2 - c1, .skew_cpu = c3 - c2,
			    .close_cpu = c4 - c3 };
}

/* Medians of RUNS collects, as events/s (and seconds for the parts). */
struct rates {
	double eps, cpu_eps, poll_eps, poll_cpu_eps, skew_s, close_s;
};

static void medians(const struct took *t, struct rates *r)
{
	double v[6][RUNS];

	for (int i = 0; i < RUNS; i++) {
		v[0][i] = EVENTS / t[i].wall;
		v[1][i] = EVENTS / t[i].cpu;
		v[2][i] = EVENTS / t[i].poll;
		v[3][i] = EVENTS / t[i].poll_cpu;
		v[4][i] = t[i].skew_cpu;
		v[5][i] = t[i].close_cpu;
	}
	*r = (struct rates){ bench_median(v[0], RUNS), bench_median(v[1], RUNS),
			     bench_median(v[2], RUNS), bench_median(v[3], RUNS),
			     bench_median(v[4], RUNS), bench_median(v[5], RUNS) };
}

static void print_rates(const char *what, const struct rates *r)
{
	printf("collect smp: %s: %.2f M/s (CPU time %.2f M/s); read+store"
	       " %.2f M/s (CPU time %.2f M/s); skew %.3f s, close %.3f s of"
	       " CPU\n", what, r->eps / 1e6, r->cpu_eps / 1e6,
	       r->poll_eps / 1e6, r->poll_cpu_eps / 1e6, r->skew_s, r->close_s);
}

void bench_collect_smp(struct bench_results *res, const char *dir)
{
	char ring1[1100], ringn[1100], db[1100], what[32];
	static struct took one[RUNS], smp[RUNS];
	struct rates r1, rn;

	snprintf(ring1, sizeof(ring1), "%s/collect-1cpu.ring", dir);
	snprintf(ringn, sizeof(ringn), "%s/collect-%ucpu.ring", dir, NCPUS);
	snprintf(db, sizeof(db), "%s/collect-smp.db", dir);
	make_ring(ring1, 1);
	make_ring(ringn, NCPUS);
	/* Alternate: the first round of either warms the page cache for
	 * both, and noise hits both alike. */
	for (int r = 0; r < RUNS; r++) {
		collect_once(ring1, db, &one[r]);
		check_db(db, 1);
		collect_once(ringn, db, &smp[r]);
		check_db(db, NCPUS);
	}
	medians(one, &r1);
	medians(smp, &rn);
	res->collect_one_eps = r1.eps;
	res->collect_smp_eps = rn.eps;
	res->collect_one_cpu_eps = r1.cpu_eps;
	res->collect_smp_cpu_eps = rn.cpu_eps;
	res->collect_one_store_eps = r1.poll_eps;
	res->collect_smp_store_eps = rn.poll_eps;
	res->collect_smp_ncpus = NCPUS;
	printf("collect smp: %u events, medians of %d collects each\n",
	       EVENTS, RUNS);
	snprintf(what, sizeof(what), "%u rings", NCPUS);
	print_rates(what, &rn);
	print_rates("one ring", &r1);
	remove_db(db);
	unlink(ring1);
	unlink(ringn);
}

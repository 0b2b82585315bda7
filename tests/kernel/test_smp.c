/*
 * test_smp.c - the SMP kernel suites' shared half (test_smp.h): decoding a
 * run's ring per CPU and merged by time, running ringside-hosted on N
 * CPUs, and the checks every SMP run's records must pass.
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_smp.h"

static int collect_cb(void *opaque, const struct rs_event *ev)
{
	struct smp_run *r = opaque;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4096;
		r->ev = realloc(r->ev, r->cap * sizeof(*r->ev));
		assert_non_null(r->ev);
	}
	struct smp_ev *e = &r->ev[r->n++];
	*e = (struct smp_ev){ ev->tsc, ev->seq, ev->type, ev->cpu, ev->ctx,
			      ev->a, ev->b, ev->c, "", ev->str != NULL };
	if (ev->str)
		snprintf(e->str, sizeof(e->str), "%s", ev->str);
	if (ev->cpu < RS_MAX_CPUS && ev->type < RS_EV_TYPE_LIMIT)
		r->by_cpu[ev->cpu][ev->type]++;
	return 0;
}

static int by_time(const void *x, const void *y)
{
	const struct smp_ev *a = x, *b = y;
	if (a->tsc != b->tsc)
		return a->tsc < b->tsc ? -1 : 1;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Decodes the ring at m (len bytes) into r: per CPU, then merged. */
void smp_decode_region(const void *m, size_t len, struct smp_run *r)
{
	struct rs_layout l;
	struct rs_reader *rd = calloc(1, sizeof(*rd));
	char err[160];
	assert_non_null(rd);
	assert_int_equal(rs_layout_read(m, len, RS_GPA_ANY, &l, err,
					sizeof(err)), 0);
	assert_int_equal(rs_reader_init(rd, m, len, &l), 0);
	assert_true(rs_reader_poll(rd, collect_cb, r) >= 0);
	rs_status_read(m, &l, &r->st);
	const struct rs_header *h = m;
	r->ncpus = h->ncpus;
	r->tsc_hz = h->tsc_hz;
	for (unsigned i = 0; i < r->ncpus && i < RS_MAX_CPUS; i++) {
		r->accepted[i] = rd->cpu[i].stats.accepted;
		r->lost[i] = rd->cpu[i].stats.lost;
		r->written[i] = h->cpu[i].head_written;
	}
	rs_reader_free(rd);
	free(rd);

	qsort(r->ev, r->n, sizeof(*r->ev), by_time);
	memset(&r->t, 0, sizeof(r->t));
	for (size_t i = 0; i < r->n; i++) {
		const struct smp_ev *e = &r->ev[i];
		struct rs_event ev = { .seq = e->seq, .tsc = e->tsc,
				       .type = e->type, .cpu = e->cpu,
				       .ctx = e->ctx, .a = e->a, .b = e->b,
				       .c = e->c,
				       .str = e->has_str ? e->str : NULL };
		tally_event(&r->t, &ev);
	}
}

void smp_decode(const char *path, struct smp_run *r)
{
	size_t len;
	const void *m = map_ring_file(path, &len);
	smp_decode_region(m, len, r);
	munmap((void *)m, len);
}

/* ringside-hosted --cpus `cpus` `extra`, to the end (its exit status
 * `want`: a crash aborts), decoded. */
struct smp_run *smp_run_workload_status(const char *workload,
					 unsigned cpus, const char *extra,
					 int want)
{
	struct smp_run *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	char *dir = rs_tmpdir();
	char ring[4200];
	snprintf(ring, sizeof(ring), "%s/%s.ring", dir, workload);
	char *out = NULL;
	r->rc = rs_run(&out, 120,
		       "%s --workload %s --ring %s --ring-pages 4096 "
		       "--cpus %u --quiet %s",
		       rs_bin("ringside-hosted"), workload, ring, cpus, extra);
	if (r->rc != want)
		fprintf(stderr, "%s", out ? out : "");
	free(out);
	assert_int_equal(r->rc, want);
	smp_decode(ring, r);
	rs_tmpdir_cleanup(dir);
	assert_int_equal(r->ncpus, cpus);
	return r;
}

struct smp_run *smp_run_workload(const char *workload, unsigned cpus,
				  const char *extra)
{
	return smp_run_workload_status(workload, cpus, extra, 0);
}

void smp_free_run(struct smp_run *r)
{
	free(r->ev);
	free(r);
}

/* Every CPU ran threads (switched to one) and lost nothing. */
void smp_check_every_cpu(const struct smp_run *r)
{
	for (unsigned i = 0; i < r->ncpus; i++) {
		if (r->by_cpu[i][RS_EV_THREAD_SWITCH] == 0)
			fail_msg("cpu %u never switched to a thread", i);
		assert_true(r->accepted[i] > 0);
		assert_int_equal(r->lost[i], 0);
		assert_int_equal(r->accepted[i] + r->lost[i], r->written[i]);
	}
}


/* Where thread `tid` runs next after event i: the CPU of the first
 * switch to it; -1 if it never runs again. */
int smp_next_run_cpu(const struct smp_run *r, size_t i, uint64_t tid)
{
	for (size_t j = i + 1; j < r->n; j++)
		if (r->ev[j].type == RS_EV_THREAD_SWITCH && r->ev[j].b == tid)
			return r->ev[j].cpu;
	return -1;
}

/* The SMP records against each other, in time order: a migration is
 * written on the CPU it moved to; an IPI arrives only after one was sent
 * to that CPU; a wake's thread runs next on some CPU (cross if it is not
 * the waker's). */
struct smp_counts smp_check_records(const struct smp_run *r)
{
	struct smp_counts k = { 0 };
	uint64_t sent_to[RS_MAX_CPUS] = { 0 }, got[RS_MAX_CPUS] = { 0 };
	for (size_t i = 0; i < r->n; i++) {
		const struct smp_ev *e = &r->ev[i];
		switch (e->type) {
		case RS_EV_THREAD_MIGRATE:
			assert_int_equal(e->c, e->cpu);
			assert_true(e->b < r->ncpus && e->b != e->c);
			k.migrations++;
			break;
		case RS_EV_IPI_SEND:
			assert_true(e->a < r->ncpus && e->a != e->cpu);
			assert_int_equal(e->b, RS_IPI_WAKE);
			sent_to[e->a]++;
			k.ipi_sent++;
			break;
		case RS_EV_IPI_RECV:
			if (++got[e->cpu] > sent_to[e->cpu])
				fail_msg("ipi_recv on cpu %u at tsc %lu with "
					 "no ipi_send to it before",
					 e->cpu, (unsigned long)e->tsc);
			k.ipi_recv++;
			break;
		case RS_EV_THREAD_WAKE: {
			int to = smp_next_run_cpu(r, i, e->a);
			k.wakes++;
			if (to >= 0 && to != e->cpu)
				k.cross_wakes++;
			break;
		}
		case RS_EV_LOCK_CONTEND:
			assert_true(e->a >= RS_LOCK_RUNQ &&
				    e->a <= RS_LOCK_OTHER);
			break;
		}
	}
	return k;
}

/*
 * Placement, which the scheduler guarantees: a thread is queued on the
 * online CPU with the least load, and its creator's CPU has at least the
 * creator on it, so each thread named `prefix` first runs on another CPU
 * whenever one was free. In fanout one always is (4 CPUs: main, the last
 * worker maybe still leaving its CPU, two free); demo's handlers sleep
 * most of their life, so most of them find one. Returns how many of the
 * threads ran first away from their creator, and sets *cpus_used to the
 * number of CPUs they ran on.
 *
 * Which CPU wakes a thread is not such a guarantee: due timers and
 * pending events go to whichever CPU comes round first, so a wake may
 * land on the waiter's own CPU every time on a loaded host (CI once saw
 * none of fanout's 80 cross CPUs). Cross-CPU wakes are pinned down by the
 * pingpong stress below, where the two sides are pinned apart.
 */
size_t smp_placed_away(const struct smp_run *r, const char *prefix,
		       size_t *threads, unsigned *cpus_used)
{
	size_t away = 0;
	bool used[RS_MAX_CPUS] = { false };
	*threads = 0;
	*cpus_used = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct smp_ev *e = &r->ev[i];
		if (e->type != RS_EV_THREAD_CREATE ||
		    strncmp(e->str, prefix, strlen(prefix)) != 0)
			continue;
		int cpu = smp_next_run_cpu(r, i, e->a);
		assert_true(cpu >= 0 && (unsigned)cpu < r->ncpus);
		(*threads)++;
		if (cpu != e->cpu)
			away++;
		if (!used[cpu]) {
			used[cpu] = true;
			(*cpus_used)++;
		}
	}
	return away;
}


/*
 * test_kernel.c - shared helpers for the kernel tests (test_kernel.h:
 * decoding rings, running ringside-hosted) and the small tests that need
 * neither a kernel nor a workload: command-line parsing and bad arguments.
 *
 * The rest lives next door: test_kernel_core.c (allocators, promises and
 * the scheduler in-process), test_kernel_workloads.c (clean workload runs)
 * and test_kernel_crashes.c (the ways a kernel dies or stalls).
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kernel/core/kernel.h"
#include "test_kernel.h"

/* ---- decoding a ring --------------------------------------------------------- */

void tally_event(struct tally *t, const struct rs_event *ev)
{
	if (ev->type < RS_EV_TYPE_LIMIT)
		t->n[ev->type]++;
	if (ev->ctx > t->max_ctx)
		t->max_ctx = ev->ctx;
	switch (ev->type) {
	case RS_EV_HEAP:
		t->last_heap = ev->a;
		break;
	case RS_EV_MARK:
		if (t->n[RS_EV_MARK] <= TALLY_MARKS) {
			unsigned k = (unsigned)t->n[RS_EV_MARK] - 1;
			t->mark_a[k] = ev->a;
			snprintf(t->marks[k], sizeof(t->marks[k]), "%s",
				 ev->str);
		}
		t->last_mark_a = ev->a;
		snprintf(t->last_mark, sizeof(t->last_mark), "%s", ev->str);
		break;
	case RS_EV_COUNTER:
		t->last_counter_a = ev->a;
		snprintf(t->last_counter, sizeof(t->last_counter), "%s",
			 ev->str);
		if (!strcmp(ev->str, "requests"))
			t->last_requests = ev->a;
		break;
	case RS_EV_IRQ_ENTER:
		if (ev->a < NELEM(t->irq_by_vector))
			t->irq_by_vector[ev->a]++;
		break;
	case RS_EV_THREAD_BLOCK:
		if (ev->b < NELEM(t->block_by_reason))
			t->block_by_reason[ev->b]++;
		break;
	case RS_EV_PROMISE_CREATE:
		if (ev->c < RS_PT_COUNT)
			t->promise_types[ev->c]++;
		break;
	case RS_EV_PROMISE_LABEL:
		if (!strcmp(ev->str, "req 3 part 7"))
			t->saw_label_req3_part7 = 1;
		if (!strcmp(ev->str, "GET /index 0"))
			t->saw_label_get_index = 1;
		break;
	case RS_EV_THREAD_CREATE:
		if (!strcmp(ev->str, "main") && ev->a == 1 && ev->b == 0)
			t->saw_names |= 1;
		if (!strcmp(ev->str, "ping") && ev->a == 2 && ev->b == 1)
			t->saw_names |= 2;
		if (!strcmp(ev->str, "pong") && ev->a == 3 && ev->b == 1)
			t->saw_names |= 4;
		break;
	case RS_EV_PAGE_ALLOC:
		t->page_alloc_pages += 1ull << ev->b;
		break;
	case RS_EV_PAGE_FREE:
		t->page_free_pages += 1ull << ev->b;
		break;
	}
}

static int tally_cb(void *opaque, const struct rs_event *ev)
{
	tally_event(opaque, ev);
	return 0;
}

/* Decodes everything published in a ring held in memory. */
void tally_region(const void *base, size_t len, struct tally *t,
			 struct rs_status *st)
{
	struct rs_layout l;
	struct rs_reader *r = calloc(1, sizeof(*r));
	char err[160];

	memset(t, 0, sizeof(*t));
	assert_non_null(r);
	assert_int_equal(rs_layout_read(base, len, RS_GPA_ANY, &l, err,
					sizeof(err)), 0);
	assert_int_equal(rs_reader_init(r, base, len, &l), 0);
	assert_true(rs_reader_poll(r, tally_cb, t) >= 0);
	if (st)
		rs_status_read(base, &l, st);
	rs_reader_free(r);
	free(r);
}

const void *map_ring_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat sb;
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	*len = (size_t)sb.st_size;
	return m;
}

void tally_file(const char *path, struct tally *t, struct rs_status *st)
{
	size_t len;
	const void *m = map_ring_file(path, &len);
	tally_region(m, len, t, st);
	munmap((void *)m, len);
}

/* ---- running the hosted binary ------------------------------------------------ */

int run_hosted_env(const char *env, const char *workload, const char *extra,
		   struct tally *t, struct rs_status *st, char **out)
{
	char *dir = rs_tmpdir();
	char ring[4200];
	snprintf(ring, sizeof(ring), "%s/%s.ring", dir, workload);
	int rc = rs_run(out, 120,
			"%s %s --workload %s --ring %s --ring-pages 4096 %s",
			env, rs_bin("ringside-hosted"), workload, ring, extra);
	if (access(ring, R_OK) == 0 && rc != 2)
		tally_file(ring, t, st);
	rs_tmpdir_cleanup(dir);
	return rc;
}

int run_hosted(const char *workload, const char *extra, struct tally *t,
	       struct rs_status *st, char **out)
{
	return run_hosted_env("", workload, extra, t, st, out);
}

void check_clean(const struct tally *t, const struct rs_status *st)
{
	assert_int_equal(st->state, RS_STATE_EXITED);
	assert_false(st->panic_valid);
	assert_int_equal(t->n[RS_EV_LOST], 0);
	/* Everything allocated was released. */
	assert_int_equal(t->n[RS_EV_PAGE_ALLOC], t->n[RS_EV_PAGE_FREE]);
	assert_int_equal(t->page_alloc_pages, t->page_free_pages);
	assert_int_equal(t->last_heap, 0);
	assert_int_equal(t->n[RS_EV_THREAD_CREATE], t->n[RS_EV_THREAD_EXIT]);
	assert_int_equal(t->n[RS_EV_IRQ_ENTER], t->n[RS_EV_IRQ_EXIT]);
	assert_int_equal(t->n[RS_EV_IDLE_ENTER], t->n[RS_EV_IDLE_EXIT]);
}

/* ---- a hosted kernel in the background ---------------------------------------------- */

pid_t spawn_hosted(const char *workload, const char *ring,
		   const char *const *extra)
{
	const char *argv[16] = { "ringside-hosted", "--workload", workload,
				 "--ring", ring };
	unsigned n = 5;
	for (; extra && *extra && n < NELEM(argv) - 1; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execv(rs_bin("ringside-hosted"), (char *const *)argv);
		_exit(127);
	}
	return pid;
}

void hosted_sleep_ms(long ms)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&d, NULL);
}

void wait_for_mark(pid_t pid, const char *ring, const char *mark)
{
	if (rs_wait_ring_magic(ring, 30) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("%s: no ring laid out in 30 s", ring);
	}
	for (int i = 0; i < 3000; i++) {
		struct tally t;
		struct rs_status st;
		tally_file(ring, &t, &st);
		if (strcmp(t.last_mark, mark) == 0)
			return;
		hosted_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("%s: no \"%s\" in 30 s", ring, mark);
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_hosted_bad_args(void **state)
{
	char *out = NULL;
	int rc = rs_run(&out, 30, "%s --workload nosuch --ring /dev/null",
			rs_bin("ringside-hosted"));
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "unknown workload 'nosuch'"));
	free(out);
	rc = rs_run(&out, 30, "%s --ring /dev/null", rs_bin("ringside-hosted"));
	assert_int_equal(rc, 2);
	free(out);
	/* --cpus: 1 to 16, a ring and a thread each. */
	static const char *const bad_cpus[] = { "0", "17", "-1", "x" };
	for (unsigned i = 0; i < NELEM(bad_cpus); i++) {
		rc = rs_run(&out, 30, "%s --workload pingpong --ring /dev/null"
			    " --cpus %s", rs_bin("ringside-hosted"),
			    bad_cpus[i]);
		assert_int_equal(rc, 2);
		assert_non_null(strstr(out, "bad --cpus"));
		free(out);
	}
	rc = rs_run(&out, 30, "%s --help", rs_bin("ringside-hosted"));
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "--cpus N"));
	free(out);
}

static void test_cmdline(void **state)
{
	struct kernel_options o = { 0 };
	char buf[128];
	uint64_t ns;

	assert_int_equal(kernel_parse_cmdline("workload=fanout count=7 "
					      "seconds=0.25 mode=discard quiet",
					      &o, buf, sizeof(buf)), 0);
	assert_string_equal(o.workload, "fanout");
	assert_int_equal(o.count, 7);
	assert_int_equal(o.duration_ns, 250000000);
	assert_int_equal(o.mode, RS_MODE_DISCARD);
	assert_true(o.quiet);
	assert_int_equal(kernel_parse_seconds("2", &ns), 0);
	assert_int_equal(ns, 2000000000ull);
	assert_int_equal(kernel_parse_seconds("x", &ns), -1);
	assert_int_equal(kernel_parse_cmdline("bogus=1", &o, buf, sizeof(buf)),
			 -1);
}

RS_TEST_SUITE(kernel,
	cmocka_unit_test(test_cmdline),
	cmocka_unit_test(test_hosted_bad_args))

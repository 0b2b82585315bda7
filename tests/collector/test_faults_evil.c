/*
 * test_faults_evil.c - a hostile guest (issue #8): the `evil` workload
 * (kernel/workloads/evil.c) rewrites its own ring header and records with
 * lies while it runs, and keeps emitting between them.
 *
 *   hosted, `collect --follow` alongside: the collector ends by itself
 *     with status 0, says it rejected inconsistent states and ignored a
 *     rewritten header, and stops when the guest fakes a reboot (magic
 *     cleared); a later snapshot resumes and stores every "evil: final"
 *     record exactly once: the reader recovered from every lie. No
 *     forged LOST and no record of an invalid type is stored; the
 *     database passes integrity_check.
 *   hosted, in process: the real decoder polls the live ring through a
 *     mapping fenced by PROT_NONE memory on both sides, so one byte read
 *     outside it would fault, while evil publishes valid records under
 *     every header lie (SANITIZE=1 additionally runs all of this
 *     under ASan).
 *   QEMU, `ringside run --workload evil`: ends normally, reports the
 *     rejections, names the fake reboot for what it is (no triple-fault
 *     verdict, and no line that says the guest rebooted), leaves no QEMU
 *     behind. The guest's lies are bounded the same way there: the
 *     collector maps the guest's RAM file once and reads only through
 *     the decoder's layout snapshot, checked against that mapping at
 *     attach.
 */
#include "testlib.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rs_decode.h"
#include "test_collector.h"
#include "test_faults.h"
#include "test_qemu.h"
#include "trace_read.h"

#define EVIL_COUNT 200   /* the workload's default count */

/* What the stored trace holds, read through the public API. */
struct tally {
	uint8_t normal[EVIL_COUNT], final[EVIL_COUNT];
	uint64_t bad_type, dup_final, events;
	uint64_t max_gap;
};

static int row_cb(void *opaque, const struct rs_row *r)
{
	struct tally *t = opaque;

	t->events++;
	if (rs_event_nargs(r->type) < 0 || r->type == RS_EV_LOST ||
	    r->type == RS_EV_PAD)
		t->bad_type++;
	if (r->type != RS_EV_MARK || !r->str || r->a >= EVIL_COUNT)
		return 0;
	if (strcmp(r->str, "evil: final") == 0) {
		if (t->final[r->a]++)
			t->dup_final++;
	} else if (strcmp(r->str, "evil: normal") == 0) {
		t->normal[r->a]++;
	}
	return 0;
}

static int gap_cb(void *opaque, const struct rs_gap *g)
{
	struct tally *t = opaque;

	if (g->count > t->max_gap)
		t->max_gap = g->count;
	return 0;
}

static void read_trace(const char *db, struct tally *t, const char *want_state)
{
	struct rs_trace_meta m;
	char err[300];

	memset(t, 0, sizeof(*t));
	struct rs_trace_db *d = rs_trace_open(db, err, sizeof(err));
	if (!d)
		fail_msg("%s", err);
	assert_int_equal(rs_trace_meta(d, 0, &m), 0);
	if (want_state)
		assert_string_equal(m.guest_state, want_state);
	assert_int_equal(rs_trace_events(d, m.id, RS_ORDER_CPU_TIME, INT64_MIN,
					 INT64_MAX, row_cb, t), 0);
	assert_int_equal(rs_trace_gaps(d, m.id, gap_cb, t), 0);
	rs_trace_close(d);
	assert_int_equal(t->bad_type, 0);
	/* The forged LOST of 10^12 was refused, not stored as a gap. */
	assert_true(t->max_gap < 1000000000000ull);
}

static unsigned marks(const uint8_t *seen)
{
	unsigned n = 0;
	for (unsigned i = 0; i < EVIL_COUNT; i++)
		n += seen[i] != 0;
	return n;
}

static void test_evil_hosted_follow(void **state)
{
	if (access(rs_bin("ringside-hosted"), X_OK) != 0)
		skip();
	char *dir = rs_tmpdir(), *out = NULL;
	char *ring = path_in(dir, "ring"), *db = path_in(dir, "t.db");
	struct tally t;

	int rc = rs_run(&out, 60,
			"'%s' --ring '%s' --workload evil --quiet >/dev/null 2>&1 & p=$!;"
			" '%s' collect 'file:%s' -o '%s' --follow --wait-secs 10"
			" 2>&1 >/dev/null; r=$?; wait $p || exit 99; exit $r",
			rs_bin("ringside-hosted"), ring, rs_bin("ringside"), ring, db);
	if (rc != 0 || !strstr(out, "inconsistent ring states seen and rejected") ||
	    !strstr(out, "rewrote its region header") ||
	    !strstr(out, "re-initialised its ring"))
		fail_msg("collect --follow of the evil guest: exit %d: %s", rc, out);
	free(out);
	faults_integrity_ok(db);
	read_trace(db, &t, NULL);
	assert_int_equal(marks(t.normal), EVIL_COUNT);

	/* The guest has exited; a snapshot resumes after the fake reboot. */
	assert_int_equal(collect(ring, db, NULL, &out), 0);
	free(out);
	faults_integrity_ok(db);
	read_trace(db, &t, "exited");
	assert_int_equal(marks(t.final), EVIL_COUNT);
	assert_int_equal(t.dup_final, 0);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

/* ---- the decoder alone, fenced in ----------------------------------------- */

struct fenced_tally {
	uint64_t finals, events;
};

static int fenced_cb(void *opaque, const struct rs_event *ev)
{
	struct fenced_tally *t = opaque;

	t->events++;
	if (ev->type == RS_EV_MARK && ev->str &&
	    strcmp(ev->str, "evil: final") == 0)
		t->finals++;
	return 0;
}

static void test_evil_decoder_fenced(void **state)
{
	if (access(rs_bin("ringside-hosted"), X_OK) != 0)
		skip();
	char *dir = rs_tmpdir();
	char *ring = path_in(dir, "ring");
	const size_t len = (1 + 64) * RS_PAGE_SIZE;   /* --ring-pages 64 */
	char *hosted = strdup(rs_bin("ringside-hosted"));

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(hosted, hosted, "--workload", "evil", "--ring", ring,
		      "--ring-pages", "64", "--quiet", (char *)NULL);
		_exit(127);
	}
	/* Wait for the kernel to lay out its ring (the file is created
	 * empty, then sized, then the magic goes in last): milliseconds
	 * here; 30 s only bounds a kernel that never starts. */
	int fd = rs_wait_ring_magic(ring, 30) == 0 ? open(ring, O_RDONLY) : -1;
	if (fd < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("evil never laid out %s", ring);
	}

	/* The file mapped between inaccessible memory: a page before, and
	 * after it more than the furthest offset evil's header claims. */
	const size_t fence_len = RS_PAGE_SIZE + len + (16u << 20);
	uint8_t *fence = mmap(NULL, fence_len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fence != MAP_FAILED);
	uint8_t *base = mmap(fence + RS_PAGE_SIZE, len, PROT_READ,
			     MAP_SHARED | MAP_FIXED, fd, 0);
	assert_true(base == fence + RS_PAGE_SIZE);
	close(fd);

	struct rs_layout l;
	struct rs_reader *rd = calloc(1, sizeof(*rd));
	struct fenced_tally t = { 0 };
	char err[160];
	assert_int_equal(rs_layout_read(base, len, RS_GPA_ANY, &l, err,
					sizeof(err)), 0);
	assert_int_equal(rs_reader_init(rd, base, len, &l), 0);
	int status = 0;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		rs_reader_poll(rd, fenced_cb, &t);
		usleep(2000);
	}
	rs_reader_poll(rd, fenced_cb, &t);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* It saw lies, refused them, and came back for the honest end. */
	assert_true(rd->anomalies > 0);
	assert_int_equal(t.finals, EVIL_COUNT);
	rs_reader_free(rd);
	free(rd);
	munmap(fence, fence_len);
	free(hosted);
	free(ring);
	rs_tmpdir_cleanup(dir);
}

/* ---- under QEMU ------------------------------------------------------------ */

static void test_evil_qemu(void **state)
{
	struct qrun q;
	struct tally t;

	qrun_begin(&q);
	qrun(&q, "--workload evil");
	/* One story about the new ring: run knows QEMU resets pause, so it
	 * was no reboot, and no other line may say the guest rebooted or
	 * that a new boot awaits collecting (QEMU is gone). */
	if (q.rc != 0 || !strstr(q.out, "inconsistent ring states seen and rejected") ||
	    !strstr(q.out, "cleared its ring's magic") ||
	    !strstr(q.out, "this was no reboot") || strstr(q.out, "rebooted") ||
	    strstr(q.out, "Collect again") || strstr(q.out, "triple fault"))
		fail_msg("ringside run --workload evil: exit %d: %s", q.rc, q.out);
	faults_integrity_ok(q.db);
	read_trace(q.db, &t, NULL);
	assert_int_equal(marks(t.normal), EVIL_COUNT);
	qrun_end(&q);
}

RS_TEST_SUITE(faults_evil,
	cmocka_unit_test(test_evil_hosted_follow),
	cmocka_unit_test(test_evil_decoder_fenced),
	cmocka_unit_test(test_evil_qemu))

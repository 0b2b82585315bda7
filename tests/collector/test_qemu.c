/*
 * test_qemu.c - `ringside run` on the real kernel under QEMU TCG, one
 * test per clean workload: what each workload documents it emits (the
 * exact counts at the top of each kernel/workloads file) is what the live
 * collect stored. Also the helpers the other QEMU test files share
 * (test_qemu.h). Crashes, hangs and dumps are in test_qemu_crash.c;
 * process hygiene, signals and a user-started QEMU in test_qemu_life.c.
 *
 * Every run uses a symlink to the kernel inside the test's temp dir, so
 * the temp dir's path appears on QEMU's command line: that is how
 * qrun_end finds any QEMU of ours that outlived its ringside.
 */
#include "testlib.h"

#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringside_ring.h"
#include "test_collector.h"
#include "test_qemu.h"

double now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *qemu_kernel(void)
{
	static char path[4096];
	const char *b = getenv("RS_BUILD_DIR");

	if (!b)
		return NULL;
	snprintf(path, sizeof(path), "%s/kernel/ringside-kernel.elf", b);
	return access(path, R_OK) == 0 ? path : NULL;
}

static int have_qemu(void)
{
	static int have = -1;
	char *out = NULL;

	if (have < 0) {
		have = rs_run(&out, 10, "command -v qemu-system-x86_64 >/dev/null") == 0;
		free(out);
	}
	return have && qemu_kernel();
}

void qrun_begin(struct qrun *q)
{
	memset(q, 0, sizeof(*q));
	if (!have_qemu())
		skip();
	q->dir = rs_tmpdir();
	q->kernel = path_in(q->dir, "kernel.elf");
	q->db = path_in(q->dir, "t.db");
	assert_int_equal(symlink(qemu_kernel(), q->kernel), 0);
}

int qrun(struct qrun *q, const char *fmt, ...)
{
	char args[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	free(q->out);
	q->out = NULL;
	double t0 = now_secs();
	/* The longest run here (hang, with its 2 s of silence and a dump)
	 * takes 3.4 s with two busy loops; 120 s is only a hang guard. */
	q->rc = rs_run(&q->out, 120, "cd '%s' && '%s' run --kernel '%s' -o '%s' %s 2>&1",
		       q->dir, rs_bin("ringside"), q->kernel, q->db, args);
	q->secs = now_secs() - t0;
	return q->rc;
}

void qemu_cmdline(char *cmd, size_t len, const struct qrun *q,
		  const char *machine, const char *shm, const char *append)
{
	snprintf(cmd, len, "qemu-system-x86_64 -accel tcg -display none"
		 " -vga none -nodefaults -machine q35,memory-backend=mem%s -m 64M"
		 " -no-reboot -object memory-backend-file,id=mem,size=64M,mem-path=%s,share=on"
		 " -kernel '%s' -append '%s'"
		 " -debugcon file:guest.log -device isa-debug-exit,iobase=0xf4,iosize=0x04"
		 " -device pvpanic -action reboot=shutdown,shutdown=pause,panic=pause",
		 machine, shm, q->kernel, append);
}

int qemu_by_hand(struct qrun *q, const char *machine, const char *append,
		 const char *collect_args)
{
	char shm[96], qemu[5000];

	snprintf(shm, sizeof(shm), "/dev/shm/rstest-%d-guest", (int)getpid());
	qemu_cmdline(qemu, sizeof(qemu), q, machine, shm, append);
	free(q->out);
	q->out = NULL;
	/* A guest that does not end by itself (hang) is stopped when the
	 * collect has its verdict. */
	q->rc = rs_run(&q->out, 60,
		       "cd '%s' && rm -f %s && { %s &"
		       " qp=$!; '%s' collect file:%s -o '%s' --follow --wait-secs 10 %s 2>&1;"
		       " r=$?; kill $qp 2>/dev/null; wait $qp; rm -f %s; exit $r; }",
		       q->dir, shm, qemu, rs_bin("ringside"), shm, q->db,
		       collect_args, shm);
	assert_false(exists(shm));
	return q->rc;
}

/* Is any process's command line mentioning `marker` still around? */
static int process_with(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	assert_non_null(d);
	while (!found && (e = readdir(d))) {
		char path[300], buf[8192];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = '\0';
		/* Not the shell that ran the test command itself. */
		found = strstr(buf, marker) && strstr(buf, "qemu-system");
	}
	closedir(d);
	return found;
}

void assert_no_leftovers(const char *marker)
{
	/* PR_SET_PDEATHSIG acts within milliseconds; a busy, slow host may
	 * take far longer to tear QEMU down: up to 30 s, polled. */
	for (int i = 0; i < 3000 && process_with(marker); i++)
		usleep(10000);
	if (process_with(marker))
		fail_msg("a QEMU started for %s is still running", marker);
	glob_t g;
	int rc = glob("/dev/shm/ringside-*", 0, NULL, &g);
	if (rc == 0)
		fail_msg("left behind in /dev/shm: %s", g.gl_pathv[0]);
	globfree(&g);
}

void qrun_end(struct qrun *q)
{
	assert_no_leftovers(q->dir);
	free(q->out);
	free(q->kernel);
	free(q->db);
	rs_tmpdir_cleanup(q->dir);
}

int64_t ev_count_where(const char *db, int type, const char *cond)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE trace_id ="
		 " (SELECT max(id) FROM trace) AND type = %d AND (%s)", type,
		 cond ? cond : "1");
	return sql_int(db, sql);
}

int64_t ev_count(const char *db, int type)
{
	return ev_count_where(db, type, NULL);
}

/* A clean run: exited, nothing lost, and the one MARK at the end. */
static void assert_exited_clean(struct qrun *q, const char *mark)
{
	if (q->rc != 0)
		fail_msg("ringside run: exit %d: %s", q->rc, q->out);
	char *js = info_json(q->db);
	if (!json_has(js, "guest_state", "\"exited\""))
		fail_msg("want exited: %s\n%s", js, q->out);
	assert_int_equal(json_int(js, "lost_events"), 0);
	free(js);
	assert_int_equal(ev_count(q->db, RS_EV_LOST), 0);
	char cond[128];
	snprintf(cond, sizeof(cond), "str = '%s'", mark);
	assert_int_equal(ev_count_where(q->db, RS_EV_MARK, cond), 1);
	/* The summary `info` prints closes the run's output. */
	assert_non_null(strstr(q->out, "guest state: exited"));
}

static void test_run_pingpong(void **state)
{
	struct qrun q;
	const int n = 50;

	qrun_begin(&q);
	qrun(&q, "--workload pingpong --count %d", n);
	assert_exited_clean(&q, "pingpong done");
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_CREATE), 2 * n);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_RESOLVE), 2 * n);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_READ), 2 * n);
	assert_int_equal(ev_count(q.db, RS_EV_THREAD_CREATE), 3);
	assert_int_equal(ev_count(q.db, RS_EV_THREAD_EXIT), 3);
	assert_int_equal(ev_count(q.db, RS_EV_THREAD_BLOCK), 2 * n);
	assert_int_equal(ev_count(q.db, RS_EV_THREAD_WAKE), 2 * n);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_FAIL), 0);
	qrun_end(&q);
}

static void test_run_fanout(void **state)
{
	struct qrun q;
	const int r = 5;

	qrun_begin(&q);
	qrun(&q, "--workload fanout --count %d", r);
	assert_exited_clean(&q, "fanout done");
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_CREATE), 14 * r);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_RESOLVE), 9 * r);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_FAIL), 4 * r);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_CANCEL), r);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_BECOMES), 2 * r);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_LABEL), 10 * r);
	assert_int_equal(ev_count(q.db, RS_EV_TIMER_FIRE), 4 * r);
	assert_int_equal(ev_count(q.db, RS_EV_EVTCHN_NOTIFY), r);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_SIGNAL), r);
	assert_int_equal(ev_count(q.db, RS_EV_THREAD_CREATE), r + 1);
	qrun_end(&q);
}

static void test_run_alloc(void **state)
{
	struct qrun q;
	const int i = 640;

	qrun_begin(&q);
	qrun(&q, "--workload alloc --count %d", i);
	assert_exited_clean(&q, "alloc done");
	assert_true(ev_count(q.db, RS_EV_PAGE_ALLOC) > 0);
	assert_int_equal(ev_count(q.db, RS_EV_PAGE_ALLOC), ev_count(q.db, RS_EV_PAGE_FREE));
	assert_int_equal(ev_count_where(q.db, RS_EV_COUNTER, "str = 'heap_in_use'"), i / 64 + 1);
	assert_int_equal(ev_count_where(q.db, RS_EV_COUNTER, "str = 'pages_free'"), i / 64 + 1);
	/* The last heap record says nothing is in use. */
	assert_int_equal(sql_int(q.db, "SELECT a FROM events WHERE type = 34"
				 " ORDER BY cpu, seq DESC LIMIT 1"), 0);
	qrun_end(&q);
}

static void test_run_demo(void **state)
{
	struct qrun q;
	const int n = 5, f = n / 5 + (n % 5 == 4), s = n - f;

	qrun_begin(&q);
	qrun(&q, "--workload demo --count %d", n);
	assert_exited_clean(&q, "demo done");
	assert_int_equal(ev_count(q.db, RS_EV_THREAD_CREATE), n + 2);
	assert_int_equal(ev_count(q.db, RS_EV_THREAD_EXIT), n + 2);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_CREATE), 7 * s + 6 * f + 1);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_RESOLVE), 7 * s + 2 * f + 1);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_FAIL), 4 * f);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_BECOMES), 2 * s);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_READ), 2 * n + 1);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_TRY_READ), n);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_SIGNAL), n);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_LABEL), 4 * s + 2 * f + n + 1);
	assert_int_equal(ev_count(q.db, RS_EV_TIMER_FIRE), 3 * s + f);
	assert_int_equal(ev_count(q.db, RS_EV_EVTCHN_NOTIFY), n);
	assert_int_equal(ev_count(q.db, RS_EV_COUNTER), 2 * n + 2);
	/* The "network card" (vector 34) and the LAPIC tick (vector 32). */
	assert_true(ev_count_where(q.db, RS_EV_IRQ_ENTER, "a = 34") >= n);
	assert_true(ev_count_where(q.db, RS_EV_IRQ_ENTER, "a = 32") > 0);
	assert_int_equal(ev_count(q.db, RS_EV_IRQ_ENTER), ev_count(q.db, RS_EV_IRQ_EXIT));
	qrun_end(&q);
}

/* --seconds does not hide a deadlock: the run ends on the verdict as soon
 * as the ticks go on after the stall (about 0.9 s here, boot included),
 * not when the 30 s run out. */
static void test_run_deadlock_seconds(void **state)
{
	struct qrun q;

	qrun_begin(&q);
	qrun(&q, "--workload deadlock --seconds 30");
	if (q.rc != 0)
		fail_msg("exit %d: %s", q.rc, q.out);
	char *js = info_json(q.db);
	if (!json_has(js, "guest_state", "\"deadlocked\""))
		fail_msg("want deadlocked: %s", js);
	free(js);
	assert_int_equal(ev_count_where(q.db, RS_EV_MARK, "str LIKE 'deadlock:%'"), 2);
	assert_int_equal(ev_count(q.db, RS_EV_PROMISE_CREATE), 2);
	assert_null(strstr(q.out, "--seconds ran out"));
	assert_true(q.secs < 30);
	qrun_end(&q);
}

RS_TEST_SUITE(qemu,
	cmocka_unit_test(test_run_pingpong),
	cmocka_unit_test(test_run_fanout),
	cmocka_unit_test(test_run_alloc),
	cmocka_unit_test(test_run_demo),
	cmocka_unit_test(test_run_deadlock_seconds))

/*
 * testlib.c - the test harness: suite registration, the single cmocka group
 * that runs them all, and helpers for temp dirs and child programs.
 *
 * RS_TEST_FILTER=glob selects tests by name (cmocka's own filter).
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "ringside_ring.h"
#include "sql_events.h"

#define MAX_TESTS 1024

static struct CMUnitTest all_tests[MAX_TESTS];
static size_t n_tests;

void rs_test_register(const char *suite, const struct CMUnitTest *tests,
		      size_t n)
{
	(void)suite;
	if (n_tests + n > MAX_TESTS) {
		fprintf(stderr, "testlib: too many tests, raise MAX_TESTS\n");
		abort();
	}
	memcpy(&all_tests[n_tests], tests, n * sizeof(*tests));
	n_tests += n;
}

char *rs_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/ringside-test-XXXXXX", base ? base : "/tmp") < 0)
		abort();
	if (!mkdtemp(path)) {
		perror("mkdtemp");
		abort();
	}
	return path;
}

void rs_tmpdir_cleanup(char *dir)
{
	char *out = NULL;
	if (dir && strstr(dir, "ringside-test-"))
		rs_run(&out, 30, "rm -rf '%s'", dir);
	free(out);
	free(dir);
}

const char *rs_bin(const char *name)
{
	static char slots[4][4096];
	static int next;
	const char *dir = getenv("RS_BIN_DIR");
	char *p = slots[next++ & 3];

	snprintf(p, sizeof(slots[0]), "%s/%s", dir ? dir : "build/bin", name);
	return p;
}

int rs_run(char **out, int timeout_s, const char *fmt, ...)
{
	char *cmd, tmpl[] = "/tmp/ringside-run-XXXXXX";
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);

	int fd = mkstemp(tmpl);
	if (fd < 0)
		abort();
	unlink(tmpl);

	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		setpgid(0, 0);  /* so a timeout kills the whole pipeline */
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);

	int status = 0, result = -1;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			result = WIFEXITED(status) ? WEXITSTATUS(status)
						   : 128 + WTERMSIG(status);
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			result = -1;
			break;
		}
		usleep(2000);
	}

	if (out) {
		off_t len = lseek(fd, 0, SEEK_END);
		*out = calloc(1, (size_t)len + 1);
		if (pread(fd, *out, (size_t)len, 0) < 0)
			(*out)[0] = '\0';
	}
	close(fd);
	return result;
}

int rs_wait_ring_magic(const char *path, int timeout_s)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		uint64_t magic = 0;
		int fd = open(path, O_RDONLY);
		if (fd >= 0) {
			if (pread(fd, &magic, 8, 0) != 8)
				magic = 0;
			close(fd);
		}
		if (magic == RS_MAGIC)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= timeout_s)
			return -1;
		usleep(1000);
	}
}

char *rs_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return buf;
}

char *rs_make_trace(const char *dir, const char *workload, int count,
		    int hosted_status)
{
	char *db, *out = NULL;

	if (asprintf(&db, "%s/%s.db", dir, workload) < 0)
		abort();
	int rc = rs_run(&out, 60, "'%s' --workload %s --count %d --ring"
			" '%s/%s.ring' --quiet", rs_bin("ringside-hosted"),
			workload, count, dir, workload);
	if (rc != hosted_status)
		fail_msg("ringside-hosted --workload %s: exit %d, want %d: %s",
			 workload, rc, hosted_status, out);
	free(out);
	rc = rs_run(&out, 60, "'%s' collect 'file:%s/%s.ring' -o '%s'",
		    rs_bin("ringside"), dir, workload, db);
	if (rc != 0)
		fail_msg("collect %s: exit %d: %s", workload, rc, out);
	free(out);
	return db;
}

char *rs_make_lossy_trace(const char *dir, const char *workload, int count,
			  int ring_pages)
{
	char *db, *out = NULL;

	if (asprintf(&db, "%s/lossy.db", dir) < 0)
		abort();
	int rc = rs_run(&out, 60, "'%s' --workload %s --count %d --ring-pages"
			" %d --ring '%s/lossy.ring' --quiet && '%s' collect"
			" 'file:%s/lossy.ring' -o '%s'", rs_bin("ringside-hosted"),
			workload, count, ring_pages, dir, rs_bin("ringside"), dir,
			db);
	if (rc != 0)
		fail_msg("a lossy %s trace: exit %d: %s", workload, rc, out);
	free(out);
	return db;
}

static pid_t xvfb_pid;
static char xvfb_display[32];

static void stop_xvfb(void)
{
	if (xvfb_pid > 0) {
		kill(xvfb_pid, SIGTERM);
		waitpid(xvfb_pid, NULL, 0);
		xvfb_pid = 0;
	}
}

/* Xvfb on the first free display number; 0, or -1 if none started. */
static int start_xvfb(void)
{
	for (int n = 91; n < 190; n++) {
		char lock[64], sock[64];
		snprintf(lock, sizeof lock, "/tmp/.X%d-lock", n);
		snprintf(sock, sizeof sock, "/tmp/.X11-unix/X%d", n);
		if (access(lock, F_OK) == 0 || access(sock, F_OK) == 0)
			continue;
		snprintf(xvfb_display, sizeof xvfb_display, ":%d", n);
		pid_t pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
			execlp("Xvfb", "Xvfb", xvfb_display, "-screen", "0",
			       "1280x800x24", "-nolisten", "tcp", (char *)NULL);
			_exit(127);
		}
		/* Xvfb has its socket up in well under a second here, even
		 * loaded; up to 30 s (600 x 50 ms) for a slow host, and a
		 * server that dies is noticed at once below. */
		for (int i = 0; i < 600; i++) {
			if (access(sock, F_OK) == 0) {
				xvfb_pid = pid;
				atexit(stop_xvfb);
				return 0;
			}
			if (waitpid(pid, NULL, WNOHANG) == pid)
				break;  /* died: try the next display */
			usleep(50000);
		}
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	xvfb_display[0] = '\0';
	return -1;
}

const char *rs_test_display(void)
{
	const char *d = getenv("RS_TEST_DISPLAY");

	if (d && *d)
		return d;
	if (!xvfb_display[0] && start_xvfb() != 0) {
		fprintf(stderr, "testlib: cannot start Xvfb (install xvfb); "
			"real windows cannot be tested\n");
		fail();
	}
	return xvfb_display;
}

int main(void)
{
	const char *filter = getenv("RS_TEST_FILTER");

	if (filter && *filter)
		cmocka_set_test_filter(filter);
	/* Suites query the `events` virtual table with their own connections. */
	if (rs_sql_register_everywhere() != SQLITE_OK) {
		fprintf(stderr, "testlib: cannot register rs_events\n");
		return 1;
	}
	return _cmocka_run_group_tests("ringside", all_tests, n_tests, NULL,
				       NULL);
}

const char *rs_src_path(const char *rel)
{
	static char path[PATH_MAX + 256];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		fail_msg("/proc/self/exe: %s", strerror(errno));
	exe[n] = 0;
	for (char *slash; (slash = strrchr(exe, '/')) != NULL;) {
		*slash = 0;
		snprintf(path, sizeof(path), "%s/%s", exe, rel);
		if (access(path, R_OK) == 0)
			return path;
	}
	fail_msg("%s not found above the test binary", rel);
	return NULL;
}

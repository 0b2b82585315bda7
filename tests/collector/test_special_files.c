/*
 * test_special_files.c - no path a user names can hang a tool (issue 12,
 * "Special files"). A FIFO, a socket, a character device (/dev/zero) and
 * a directory, given as a collect source (file:, core:), as collect's
 * -o, as the database of info, report and export, and to ringside-view
 * (window and --render), each get one line on stderr that says what the
 * path is, exit 1 or 2 at once, and are left as they were. Opening a FIFO
 * used to block forever, and --wait-secs retried a device or a directory
 * for as long as it was given.
 *
 * "At once" is checked by each run's timeout (TOOL_SECS): refusing takes
 * a few system calls, milliseconds even on a slow loaded machine, while
 * the old behaviour was forever (or the 600 s of --wait-secs given here).
 *
 * A regular file in /dev/shm, as QEMU's guest RAM is, still collects, and
 * a missing -o path is still created.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "test_collector.h"

/* Wide: a refusal takes milliseconds; what it replaces never ended. */
#define TOOL_SECS 20

struct special {
	const char *what;
	char *path;
	mode_t type;   /* S_IFIFO, ...: must be unchanged afterwards */
};

static char *make_socket(const char *dir)
{
	char *path = path_in(dir, "sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);  /* the socket file stays; open(2) of it fails (ENXIO) */
	return path;
}

static void make_specials(const char *dir, struct special sp[4])
{
	sp[0] = (struct special){ "a FIFO", path_in(dir, "fifo"), S_IFIFO };
	assert_int_equal(mkfifo(sp[0].path, 0600), 0);
	sp[1] = (struct special){ "a socket", make_socket(dir), S_IFSOCK };
	sp[2] = (struct special){ "a character device", strdup("/dev/zero"),
				  S_IFCHR };
	sp[3] = (struct special){ "a directory", path_in(dir, "subdir"),
				  S_IFDIR };
	assert_int_equal(mkdir(sp[3].path, 0700), 0);
}

/* Ran within TOOL_SECS, exit 1 or 2, one line naming what `sp` is. */
static void expect_refusal(const struct special *sp, const char *cmd,
			   int rc, const char *out, int is_ringside)
{
	struct stat st;

	if (rc != 1 && rc != 2)
		fail_msg("%s on %s: exit %d (-1: still running after %d s),"
			 " want 1 or 2: %s", cmd, sp->what, rc, TOOL_SECS, out);
	if (is_ringside)
		assert_one_line(out);
	else if (!strchr(out, '\n') || strchr(out, '\n')[1] != '\0')
		fail_msg("%s on %s: want one line, got '%s'", cmd, sp->what, out);
	if (!strstr(out, sp->what) || !strstr(out, "not a regular file"))
		fail_msg("%s on %s: the line does not say so: '%s'", cmd,
			 sp->what, out);
	assert_int_equal(lstat(sp->path, &st), 0);
	assert_int_equal(st.st_mode & S_IFMT, sp->type);
}

/* `ringside ARGS` where ARGS has %1$s for the special path. */
static void ringside_refuses(const struct special *sp, const char *args,
			     const char *db)
{
	char *out = NULL, cmd[1024];

	snprintf(cmd, sizeof(cmd), args, sp->path, db);
	int rc = rs_run(&out, TOOL_SECS, "'%s' %s 2>&1 >/dev/null </dev/null",
			rs_bin("ringside"), cmd);
	expect_refusal(sp, cmd, rc, out, 1);
	free(out);
}

static void test_special_sources(void **state)
{
	char *dir = rs_tmpdir();
	char *db = path_in(dir, "t.db");
	struct special sp[4];

	make_specials(dir, sp);
	for (int i = 0; i < 4; i++) {
		ringside_refuses(&sp[i], "collect 'file:%1$s' -o '%2$s'", db);
		ringside_refuses(&sp[i], "collect 'core:%1$s' -o '%2$s'", db);
		/* Waiting for a region cannot turn any of these into one. */
		ringside_refuses(&sp[i], "collect 'file:%1$s' -o '%2$s'"
				 " --wait-secs 600 --follow", db);
		ringside_refuses(&sp[i], "collect 'core:%1$s' -o '%2$s'"
				 " --wait-secs 600", db);
		assert_false(exists(db));
		free(sp[i].path);
	}
	free(db);
	rs_tmpdir_cleanup(dir);
}

static void test_special_databases(void **state)
{
	char *dir = rs_tmpdir();
	char *ring = make_ring(dir, "ring", RING_SIZE, 1, 100, RS_STATE_EXITED);
	char *json = path_in(dir, "t.json");
	struct special sp[4];

	make_specials(dir, sp);
	for (int i = 0; i < 4; i++) {
		ringside_refuses(&sp[i], "collect 'file:%2$s' -o '%1$s'", ring);
		ringside_refuses(&sp[i], "info '%1$s'", NULL);
		ringside_refuses(&sp[i], "info '%1$s' --json", NULL);
		ringside_refuses(&sp[i], "report '%1$s'", NULL);
		ringside_refuses(&sp[i], "export '%1$s' --chrome '%2$s'", json);
		assert_false(exists(json));
		free(sp[i].path);
	}
	free(json);
	free(ring);
	rs_tmpdir_cleanup(dir);
}

static void test_special_viewer(void **state)
{
	char *dir = rs_tmpdir();
	char *png = path_in(dir, "out.png");
	struct special sp[4];

	make_specials(dir, sp);
	for (int i = 0; i < 4; i++) {
		char *out = NULL;
		int rc = rs_run(&out, TOOL_SECS, "'%s' --render '%s' '%s'"
				" </dev/null", rs_bin("ringside-view"), png,
				sp[i].path);
		expect_refusal(&sp[i], "ringside-view --render", rc, out, 0);
		free(out);
		/* The window checks the file before it needs a display. */
		rc = rs_run(&out, TOOL_SECS, "DISPLAY= WAYLAND_DISPLAY= '%s' '%s'"
			    " </dev/null", rs_bin("ringside-view"), sp[i].path);
		expect_refusal(&sp[i], "ringside-view", rc, out, 0);
		free(out);
		assert_false(exists(png));
		free(sp[i].path);
	}
	free(png);
	rs_tmpdir_cleanup(dir);
}

/* What the checks must not refuse: QEMU's guest RAM is a regular file in
 * /dev/shm, and a database path that does not exist yet is created. */
static void test_regular_files_still_work(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL, name[64];
	char *db = path_in(dir, "new.db");

	snprintf(name, sizeof(name), "rs-test-special-%d", (int)getpid());
	char *ring = make_ring("/dev/shm", name, RING_SIZE, 1, 100,
			       RS_STATE_EXITED);
	int rc = collect(ring, db, NULL, &out);
	unlink(ring);
	if (rc != 0)
		fail_msg("collect of a /dev/shm ring into a new db: exit %d: %s",
			 rc, out);
	free(out);
	assert_int_equal(sql_int(db, "SELECT count(*) FROM events"), 100);
	free(ring);
	free(db);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(special_files,
	cmocka_unit_test(test_special_sources),
	cmocka_unit_test(test_special_databases),
	cmocka_unit_test(test_special_viewer),
	cmocka_unit_test(test_regular_files_still_work))

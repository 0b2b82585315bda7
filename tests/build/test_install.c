/*
 * test_install.c - `make install` (install.mk), checked by running it on
 * this tree into a scratch DESTDIR with PREFIX=/usr: every file a user
 * needs lands where the README says, nothing test-only does, the
 * installed guest-trace.pc points inside the prefix (not into the source
 * or build tree), another kernel compiles and links against the installed
 * copy alone, the installed `ringside run` finds its kernel, and
 * `make uninstall` removes all of it.
 *
 * It installs the build the suite itself runs from (RS_BUILD_DIR), which
 * `make check` has just brought up to date, so the install compiles
 * nothing: that is checked too. The whole test takes about half a second
 * here (each command has its own hang guard below).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* make as a user types it: nothing inherited from a make running this
 * suite (its jobserver fds and command-line variables). */
#define PLAIN_MAKE "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C ."

/* What the test's make names as BUILD: the suite's own build, relative
 * when it is under the tree (as the .d files name it), so make sees the
 * same targets the build made. Static buffer. */
static const char *suite_build(void)
{
	static char rel[4096];
	const char *build = getenv("RS_BUILD_DIR");
	char cwd[4096];

	if (!build)
		fail_msg("RS_BUILD_DIR is not set (make check sets it)");
	if (!getcwd(cwd, sizeof cwd))
		fail_msg("getcwd failed");
	size_t n = strlen(cwd);
	if (strncmp(build, cwd, n) == 0 && build[n] == '/')
		build += n + 1;
	snprintf(rel, sizeof rel, "%s", build);
	return rel;
}

/* `make GOAL DESTDIR=root PREFIX=/usr` on the suite's build; its output. */
static char *make_goal(const char *goal, const char *root)
{
	char *out = NULL;
	/* install copies about ten files after make has parsed the fragments
	 * and checked every object's dependencies: about a second here; 300 s
	 * is only a hang guard (it would also cover an unexpected rebuild). */
	int rc = rs_run(&out, 300, PLAIN_MAKE " BUILD='%s' %s DESTDIR='%s'"
			" PREFIX=/usr 2>&1", suite_build(), goal, root);
	if (rc != 0)
		fail_msg("make %s: exit %d: %s", goal, rc, out);
	return out;
}

static void assert_file(const char *root, const char *rel, mode_t exec)
{
	char path[8192];
	struct stat sb;

	snprintf(path, sizeof path, "%s%s", root, rel);
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		fail_msg("make install did not install %s", rel);
	if (exec && !(sb.st_mode & exec))
		fail_msg("%s is installed without its execute bit", rel);
}

static void assert_absent(const char *root, const char *rel)
{
	char path[8192];

	snprintf(path, sizeof path, "%s%s", root, rel);
	if (access(path, F_OK) == 0)
		fail_msg("make install installed %s, which is not for users", rel);
}

/* Every path in the installed .pc is under /usr; none names this tree. */
static void assert_pc_in_prefix(const char *root)
{
	char path[8192], cwd[4096];

	snprintf(path, sizeof path, "%s/usr/lib/pkgconfig/guest-trace.pc", root);
	char *pc = rs_read_file(path, NULL);
	if (!pc)
		fail_msg("no installed guest-trace.pc");
	if (!getcwd(cwd, sizeof cwd))
		fail_msg("getcwd failed");
	if (strstr(pc, cwd) || strstr(pc, "@"))
		fail_msg("the installed guest-trace.pc names the source tree or"
			 " an unfilled template field:\n%s", pc);
	static const char *const want[] = {
		"prefix=/usr\n", "libdir=/usr/lib\n",
		"includedir=/usr/include/guest-trace\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(pc, want[i]))
			fail_msg("guest-trace.pc lacks \"%.*s\":\n%s",
				 (int)strlen(want[i]) - 1, want[i], pc);
	free(pc);
}

/* tests/freestanding_embed.c, as another kernel builds it, with only the
 * flags the installed .pc gives. The sysroot makes pkg-config prefix
 * them with DESTDIR, so a .pc that pointed anywhere but the prefix would
 * name paths that do not exist. */
static void assert_embed_links(const char *root, const char *dir)
{
	char *out = NULL;
	/* One small file: well under a second; 120 s is only a hang guard. */
	int rc = rs_run(&out, 120, "flags=$(PKG_CONFIG_SYSROOT_DIR='%s'"
			" PKG_CONFIG_LIBDIR='%s/usr/lib/pkgconfig' PKG_CONFIG_PATH="
			" PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1"
			" pkg-config --cflags --libs guest-trace) || exit 1;"
			" echo \"$flags\"; cc -O2 -Wall -Wextra -Werror -ffreestanding"
			" -nostdlib -static -fno-stack-protector -o '%s/embed'"
			" tests/freestanding_embed.c $flags 2>&1",
			root, root, dir);
	if (rc != 0)
		fail_msg("the freestanding embed against the installed"
			 " guest-trace: exit %d: %s", rc, out);
	if (!strstr(out, root))
		fail_msg("pkg-config's flags do not point into DESTDIR: %s", out);
	free(out);
}

/* The installed ringside finds the kernel it boots beside itself
 * (lib/ringside/): given an -o it cannot create, it fails on that, before
 * QEMU, and not on a missing kernel. */
static void assert_run_finds_kernel(const char *root)
{
	char *out = NULL;
	/* Fails before starting anything: milliseconds; 60 s is a guard. */
	int rc = rs_run(&out, 60, "'%s/usr/bin/ringside' run --workload demo"
			" -o '%s/no/such/dir/t.db' 2>&1", root, root);
	if (rc != 1 || strstr(out, "ringside-kernel.elf") || !strstr(out, "-o"))
		fail_msg("installed ringside run: exit %d, want 1 on -o with the"
			 " kernel found: %s", rc, out);
	free(out);
}

static void test_make_install_and_uninstall(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
	/* This checks the Makefile and the plain build's files; the plain
	 * pass of `make check` ran it. Here it would install sanitized
	 * programs and an archive no freestanding kernel can link. */
	skip();
#endif
	if (access("Makefile", R_OK) != 0 || access("install.mk", R_OK) != 0)
		fail_msg("run the suite from the top of the tree (as make check does)");
	char *dir = rs_tmpdir(), root[4200];
	snprintf(root, sizeof root, "%s/root", dir);

	char *out = make_goal("install", root);
	/* Every compile and link in the fragments writes with -o; a copy
	 * never does. */
	if (strstr(out, " -o "))
		fail_msg("make install rebuilt something after make check:\n%s", out);
	free(out);

	assert_file(root, "/usr/bin/ringside", S_IXUSR);
	assert_file(root, "/usr/bin/ringside-view", S_IXUSR);
	assert_file(root, "/usr/lib/ringside/ringside-kernel.elf", 0);
	assert_file(root, "/usr/lib/ringside/libringside_sqlite.so", 0);
	assert_file(root, "/usr/lib/libguest-trace.a", 0);
	assert_file(root, "/usr/lib/pkgconfig/guest-trace.pc", 0);
	assert_file(root, "/usr/include/guest-trace/guest_trace.h", 0);
	assert_file(root, "/usr/include/guest-trace/ringside_ring.h", 0);
	assert_file(root, "/usr/include/guest-trace/rs_event_table.h", 0);
	assert_file(root, "/usr/share/man/man1/ringside.1", 0);
	assert_file(root, "/usr/share/man/man1/ringside-view.1", 0);
	assert_file(root, "/usr/share/man/man3/guest-trace.3", 0);
	assert_absent(root, "/usr/bin/ringside-hosted");
	assert_pc_in_prefix(root);
	assert_embed_links(root, dir);
	assert_run_finds_kernel(root);

	free(make_goal("uninstall", root));
	char *left = NULL;
	int rc = rs_run(&left, 30, "find '%s' ! -type d", root);
	assert_int_equal(rc, 0);
	if (left[0])
		fail_msg("make uninstall left files behind:\n%s", left);
	free(left);
	rs_tmpdir_cleanup(dir);
}

RS_TEST_SUITE(install,
	cmocka_unit_test(test_make_install_and_uninstall))

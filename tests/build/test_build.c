/*
 * test_build.c - promises of the build itself, checked by running make on
 * this tree: a fresh `make check` / `make demo`, before `make deps` has
 * installed anything, prints no pkg-config errors while it parses the
 * fragments (issue 12: "no errors that are not errors"), and a package
 * still missing when something is compiled stops the build with a message
 * naming it.
 *
 * "No package installed" is simulated without uninstalling anything:
 * pkg-config is pointed at an empty search path. The tests run from the
 * top of the tree (as `make check` runs them).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* make as a user would type it, with no package visible to pkg-config and
 * nothing inherited from a make that runs this suite (its jobserver fds
 * and variables). */
#define NO_PKGS "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL" \
		" PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH= "

static void assert_at_top_of_tree(void)
{
	if (access("Makefile", R_OK) != 0 || access("tests/tests.mk", R_OK) != 0)
		fail_msg("run the suite from the top of the tree (as make check does)");
}

/* `make -n GOAL` parses every fragment as the real goal would; nothing it
 * prints may be pkg-config complaining about an absent package. */
static void assert_quiet_parse(const char *goal)
{
	char *out = NULL;

	/* Parsing and printing the plan takes well under a second here; 120 s
	 * is only a hang guard. */
	int rc = rs_run(&out, 120, NO_PKGS "make -C . -n %s 2>&1", goal);
	if (rc != 0)
		fail_msg("make -n %s: exit %d: %s", goal, rc, out);
	if (strstr(out, "not found") || strstr(out, "was not found"))
		fail_msg("make -n %s before make deps prints pkg-config errors:\n%s",
			 goal, out);
	free(out);
}

static void test_fresh_make_prints_no_pkg_config_errors(void **state)
{
	assert_at_top_of_tree();
	assert_quiet_parse("deps");
	assert_quiet_parse("check");
	assert_quiet_parse("demo");
}

/* The quiet parse must not hide a package that is really missing: the
 * first hosted object fails, naming the packages and the fix. Built into
 * a scratch tree so the real build/ is untouched. */
static void test_missing_package_fails_loudly_at_build(void **state)
{
	assert_at_top_of_tree();
	char *dir = rs_tmpdir(), *out = NULL;
	/* One object that includes sqlite3.h: compiles in about a second
	 * here; 120 s is only a hang guard. */
	int rc = rs_run(&out, 120, NO_PKGS "make -C . BUILD='%s/b' '%s/b/obj/"
			"formats/store/sql_events.o' 2>&1", dir, dir);
	if (rc == 0 || !strstr(out, "sqlite3") || !strstr(out, "not found") ||
	    !strstr(out, "run 'make deps'"))
		fail_msg("a build without sqlite3's package: exit %d, want a"
			 " failure naming it: %s", rc, out);
	char obj[4200];
	snprintf(obj, sizeof obj, "%s/b/obj/formats/store/sql_events.o", dir);
	assert_int_not_equal(access(obj, F_OK), 0);
	free(out);
	rs_tmpdir_cleanup(dir);
}

/* Symbols the archive `user` needs that `lib` defines, one per line. */
static char *needs_from(const char *build, const char *user, const char *lib)
{
	char *out = NULL;
	/* nm over four small archives: well under a second; 60 s is only a
	 * hang guard. */
	int rc = rs_run(&out, 60, "bash -c 'comm -12 <(nm -u --format=just-symbols"
			" %s/lib/libringside-%s.a | sort -u) <(nm -g --defined-only"
			" --format=just-symbols %s/lib/libringside-%s.a | sort -u)'"
			" 2>&1", build, user, build, lib);
	if (rc != 0)
		fail_msg("nm on %s and %s: exit %d: %s", user, lib, rc, out);
	return out;
}

/* formats/ is four layers, each using only those before it (README.md
 * there, and ARCHITECTURE.md): the contract needs neither SQLite nor zstd
 * nor any later layer; the store needs neither exporters nor the report;
 * those two do not need each other. */
static void test_formats_layers_use_only_earlier_ones(void **state)
{
	const char *build = getenv("RS_BUILD_DIR");
	if (!build)
		fail_msg("RS_BUILD_DIR is not set (make check sets it)");
	static const char *const later[][2] = {
		{ "contract", "store" }, { "contract", "interchange" },
		{ "contract", "analysis" }, { "store", "interchange" },
		{ "store", "analysis" }, { "interchange", "analysis" },
		{ "analysis", "interchange" },
	};
	for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
		char *out = needs_from(build, later[i][0], later[i][1]);
		if (out[0])
			fail_msg("formats/%s uses formats/%s:\n%s", later[i][0],
				 later[i][1], out);
		free(out);
	}
	char *out = NULL;
	int rc = rs_run(&out, 60, "nm -u --format=just-symbols %s/lib/"
			"libringside-contract.a | grep -E '^(sqlite3|ZSTD)' ; true",
			build);
	assert_int_equal(rc, 0);
	if (out[0])
		fail_msg("formats/contract needs SQLite or zstd:\n%s", out);
	free(out);
}

RS_TEST_SUITE(build,
	cmocka_unit_test(test_formats_layers_use_only_earlier_ones),
	cmocka_unit_test(test_fresh_make_prints_no_pkg_config_errors),
	cmocka_unit_test(test_missing_package_fails_loudly_at_build))

/*
 * test_cli.c - the command-line layer (cli/) as users meet it: every
 * command of ringside and ringside-view answers --help (exit 0, on stdout,
 * every option of its table listed) and --version; an unknown option is a
 * usage error (2) in one line with the program's prefix; --trace is
 * refused alike by info, report and export; durations and times take
 * units (`10ms` is 10000000 ns in report and in the viewer's render); the
 * man pages render without warnings and name every option of the tables
 * they come from. The option tables are read from the libraries, so a new
 * option is checked without touching this file.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../collector/cmd.h"
#include "cli.h"
#include "options.h"

#define SAMPLE "samples/traces/pingpong.db"

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Run `prog args`, stdout and stderr apart; returns the exit status. */
static int run2(char **out, char **err, const char *prog, const char *args)
{
	char *dir = rs_tmpdir(), *junk = NULL;
	int rc = rs_run(&junk, 60, "'%s' %s >'%s/out' 2>'%s/err'", rs_bin(prog),
			args, dir, dir);
	free(junk);
	char path[4200];
	size_t len;
	snprintf(path, sizeof(path), "%s/out", dir);
	*out = rs_read_file(path, &len);
	snprintf(path, sizeof(path), "%s/err", dir);
	*err = rs_read_file(path, &len);
	assert_non_null(*out);
	assert_non_null(*err);
	rs_tmpdir_cleanup(dir);
	return rc;
}

/* `text` names every option of the command that --help shows. */
static void expect_options_listed(const char *what, const char *text,
				  const struct cli_command *c)
{
	char want[96];
	for (size_t i = 0; i < c->nopts; i++) {
		if (c->opts[i].hidden)
			continue;
		char brief[8];
		snprintf(want, sizeof(want), "--%s", c->opts[i].name);
		/* the usage lines may name an option by its short name */
		snprintf(brief, sizeof(brief), " -%c ", c->opts[i].short_name);
		if (!strstr(text, want) &&
		    !(c->opts[i].short_name && strstr(text, brief)))
			fail_msg("%s does not list %s:\n%s", what, want, text);
	}
}

static void test_cli_help_every_command(void **state)
{
	char *out, *err, args[64];

	for (const struct cli_command *const *c = rs_ringside.commands; *c; c++) {
		snprintf(args, sizeof(args), "%s --help", (*c)->name);
		if (run2(&out, &err, "ringside", args) != 0 || *err)
			fail_msg("ringside %s: not exit 0, or stderr: %s", args, err);
		expect_options_listed(args, out, *c);
		assert_non_null(strstr(out, "usage: ringside "));
		free(out), free(err);
		/* -h too, and --help after other arguments. */
		snprintf(args, sizeof(args), "%s x.db -h", (*c)->name);
		assert_int_equal(run2(&out, &err, "ringside", args), 0);
		expect_options_listed(args, out, *c);
		free(out), free(err);
	}
	/* ringside --help names every command and every command's options. */
	assert_int_equal(run2(&out, &err, "ringside", "--help"), 0);
	assert_string_equal(err, "");
	for (const struct cli_command *const *c = rs_ringside.commands; *c; c++) {
		snprintf(args, sizeof(args), "ringside %s", (*c)->name);
		assert_non_null(strstr(out, args));
		expect_options_listed("ringside --help", out, *c);
	}
	free(out), free(err);
	assert_int_equal(run2(&out, &err, "ringside-view", "--help"), 0);
	assert_string_equal(err, "");
	expect_options_listed("ringside-view --help", out, &rv_cmd);
	free(out), free(err);
}

static void test_cli_version(void **state)
{
	char *out, *err, want[128];
	static const char *const asks[][2] = {
		{ "ringside", "--version" }, { "ringside", "report --version" },
		{ "ringside-view", "--version" },
	};

	assert_true(strlen(cli_version()) > 0);
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		assert_int_equal(run2(&out, &err, asks[i][0], asks[i][1]), 0);
		snprintf(want, sizeof(want), "%s %s\n", asks[i][0], cli_version());
		assert_string_equal(out, want);
		assert_string_equal(err, "");
		free(out), free(err);
	}
}

/* One line on stderr, the program's prefix, naming `needle`; exit 2. */
static void expect_usage(const char *prog, const char *args, const char *needle)
{
	char *out, *err, prefix[32];
	int rc = run2(&out, &err, prog, args);

	snprintf(prefix, sizeof(prefix), "%s: ", prog);
	if (rc != 2 || lines(err) != 1 || strncmp(err, prefix, strlen(prefix)) ||
	    !strstr(err, needle) || *out)
		fail_msg("'%s %s': exit %d (want 2), stderr '%s' (want one '%s'"
			 " line with '%s'), stdout '%s'", prog, args, rc, err,
			 prefix, needle, out);
	free(out), free(err);
}

static void test_cli_unknown_option(void **state)
{
	char args[64];

	for (const struct cli_command *const *c = rs_ringside.commands; *c; c++) {
		snprintf(args, sizeof(args), "%s --bogus", (*c)->name);
		expect_usage("ringside", args, "unknown option '--bogus'");
		snprintf(args, sizeof(args), "%s -Z", (*c)->name);
		expect_usage("ringside", args, "unknown option '-Z'");
	}
	expect_usage("ringside", "--bogus", "unknown option '--bogus'");
	expect_usage("ringside", "frobnicate", "unknown command 'frobnicate'");
	expect_usage("ringside-view", "--bogus " SAMPLE, "unknown option '--bogus'");
	expect_usage("ringside-view", "", "missing TRACE.db");
	expect_usage("ringside-view", "--render", "--render wants");
	expect_usage("ringside", "info", "missing TRACE.db");
	expect_usage("ringside", "report " SAMPLE " --json=yes", "--json takes no value");
}

/* --trace ID: the same answer from every command that reads a trace. */
static void test_cli_trace_id_alike(void **state)
{
	static const char *const bad[] = { "0", "1e0", "-1", "abc", "0x1", "1.0",
					   "99999999999999999999" };
	static const char *const cmds[] = { "info", "report", "export --chrome /dev/null" };
	char args[256], needle[128];

	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
		for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
			snprintf(args, sizeof(args), "%s " SAMPLE " --trace '%s'",
				 cmds[c], bad[b]);
			snprintf(needle, sizeof(needle), "--trace wants a trace id"
				 " (a positive integer), not '%s'", bad[b]);
			expect_usage("ringside", args, needle);
		}
	/* A good id that is not there: bad input (1), not usage, alike. */
	for (size_t c = 0; c < 2; c++) {
		char *out, *err;
		snprintf(args, sizeof(args), "%s " SAMPLE " --trace 4242", cmds[c]);
		if (run2(&out, &err, "ringside", args) != 1)
			fail_msg("ringside %s: want exit 1: %s", args, err);
		free(out), free(err);
		snprintf(args, sizeof(args), "%s " SAMPLE " --trace 1", cmds[c]);
		if (run2(&out, &err, "ringside", args) != 0)
			fail_msg("ringside %s: want exit 0: %s", args, err);
		free(out), free(err);
	}
}

static void test_cli_units_parse(void **state)
{
	static const struct { const char *s; int64_t unit, want; } good[] = {
		{ "10ms", 1, 10000000 }, { "10", 1000000, 10000000 },
		{ "1.5s", 1, 1500000000 }, { "250us", 1, 250000 },
		{ "7ns", 1000000000, 7 }, { "0.001", 1000000000, 1000000 },
		{ "-3ms", 1, -3000000 }, { ".5ms", 1, 500000 },
		{ "9223372036854775807", 1, INT64_MAX },
	};
	static const char *const bad[] = { "", "ms", "1e3", "10 ms", "10m",
		"0.5ns", "1.", "+1", "9223372036854775808", "9999999999s",
		"1.0000000001s" };
	int64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (cli_parse_ns(good[i].s, good[i].unit, 1, &v) != 0 ||
		    v != good[i].want)
			fail_msg("'%s' should be %lld ns", good[i].s,
				 (long long)good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cli_parse_ns(bad[i], 1, 1, &v) == 0)
			fail_msg("'%s' should be refused", bad[i]);
	assert_int_equal(cli_parse_ns("-1", 1, 0, &v), -1);   /* a duration */
	/* Durations with units reach the commands: 500ms is a good
	 * --hang-secs (the run then fails on its source: 1, not 2), 5ms is
	 * under its 10 ms floor (2). */
	char *out, *err;
	assert_int_equal(run2(&out, &err, "ringside", "collect file:/nonexistent"
			      " -o /nonexistent/x.db --hang-secs 500ms"
			      " --poll-ms 1s --wait-secs 0ms"), 1);
	free(out), free(err);
	expect_usage("ringside", "collect file:/x -o x.db --hang-secs 5ms",
		     "--hang-secs wants a duration from 10ms to 86400s");
}

/* report --from 1ms is --from 1000000 (the JSON says the range). */
static void test_cli_report_units(void **state)
{
	char *a, *b, *err;

	assert_int_equal(run2(&a, &err, "ringside", "report " SAMPLE " --json"
			      " --from 1.18ms --to 1200us"), 0);
	free(err);
	assert_int_equal(run2(&b, &err, "ringside", "report " SAMPLE " --json"
			      " --from 1180000 --to 1200000"), 0);
	free(err);
	assert_string_equal(a, b);
	if (!strstr(a, "\"from_ns\":1180000,\"to_ns\":1200000,"))
		fail_msg("report --from 1.18ms --to 1200us: %s", a);
	free(a), free(b);
}

/* The viewer's --from/--to take the same units: the same picture. */
static void test_cli_viewer_units(void **state)
{
	char *dir = rs_tmpdir(), *out = NULL;

	for (int i = 0; i < 3; i++) {
		/* The sample's events lie between 1.17 and 1.23 ms. */
		static const char *const range[] = { "--from 1ms --to 1300us",
			"--from 1000000 --to 1300000", "--from 1 --to 1300" };
		assert_int_equal(rs_run(&out, 60, "'%s' --render '%s/%d.png' %s"
					" --size 400x200 " SAMPLE,
					rs_bin("ringside-view"), dir, i,
					range[i]), 0);
		free(out);
	}
	assert_int_equal(rs_run(&out, 10, "cmp '%s/0.png' '%s/1.png'", dir, dir), 0);
	free(out);
	/* ...and a plain number is ns: [1, 1300] ns draws something else
	 * (what `1ms` and `1300us` meant before: strtod stopped at the unit). */
	assert_int_not_equal(rs_run(&out, 10, "cmp '%s/0.png' '%s/2.png'", dir,
				    dir), 0);
	free(out);
	expect_usage("ringside-view", "--render x.png --from 1ms --to 1ms " SAMPLE,
		     "--to must be after --from");
	expect_usage("ringside-view", "--render x.png --from soon " SAMPLE,
		     "--from wants a time");
	rs_tmpdir_cleanup(dir);
}

/* groff's warnings (-ww) on `path`, none wanted; returns the roff. */
static char *check_roff(const char *path)
{
	char *out = NULL, *roff;
	size_t len;

	roff = rs_read_file(path, &len);
	if (!roff)
		fail_msg("no man page %s (make man)", path);
	int rc = rs_run(&out, 30, "groff -man -Tutf8 -ww '%s' 2>&1 >/dev/null",
			path);
	if (rc != 0 || (out && *out))
		fail_msg("%s: groff says (%d): %s", path, rc, out);
	free(out);
	return roff;
}

static void expect_roff_options(const char *page, const char *roff,
				const struct cli_command *c)
{
	char want[96];
	for (size_t i = 0; i < c->nopts; i++) {
		if (c->opts[i].hidden)
			continue;
		/* roff spells a hyphen \- */
		size_t at = (size_t)snprintf(want, sizeof(want), "\\-\\-");
		for (const char *s = c->opts[i].name; *s && at < sizeof(want) - 2; s++)
			at += (size_t)snprintf(want + at, sizeof(want) - at,
					       *s == '-' ? "\\-" : "%c", *s);
		if (!strstr(roff, want))
			fail_msg("%s does not mention %s", page, want);
	}
}

static void test_cli_man_pages(void **state)
{
	char path[4096];
	const char *build = getenv("RS_BUILD_DIR");

	assert_non_null(build);
	snprintf(path, sizeof(path), "%s/man/ringside.1", build);
	char *roff = check_roff(path);
	assert_non_null(strstr(roff, ".TH RINGSIDE 1"));
	for (const struct cli_command *const *c = rs_ringside.commands; *c; c++)
		expect_roff_options(path, roff, *c);
	assert_non_null(strstr(roff, cli_version()));
	free(roff);

	snprintf(path, sizeof(path), "%s/man/ringside-view.1", build);
	roff = check_roff(path);
	expect_roff_options(path, roff, &rv_cmd);
	free(roff);

	/* The hand-written one: renders, and names the API's functions. */
	static const char *const api[] = { "gt_region_init", "gt_set_state",
		"gt_heartbeat", "gt_set_stall", "gt_panic_begin",
		"gt_panic_commit", "gt_emit", "gt_emit_at", "gt_emit_str",
		"gt_emit_str_at", "gt_rdtsc" };
	roff = check_roff("guest-trace/guest-trace.3");
	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		if (!strstr(roff, api[i]))
			fail_msg("guest-trace.3 does not mention %s", api[i]);
	free(roff);
}

RS_TEST_SUITE(cli,
	cmocka_unit_test(test_cli_help_every_command),
	cmocka_unit_test(test_cli_version),
	cmocka_unit_test(test_cli_unknown_option),
	cmocka_unit_test(test_cli_trace_id_alike),
	cmocka_unit_test(test_cli_units_parse),
	cmocka_unit_test(test_cli_report_units),
	cmocka_unit_test(test_cli_viewer_units),
	cmocka_unit_test(test_cli_man_pages));

/*
 * main.c - the `ringside` command line: parses arguments, dispatches to a
 * subcommand, and owns the exit-status contract:
 *   0  success
 *   1  bad input or runtime error (one line on stderr)
 *   2  usage error (one line on stderr, then a usage hint)
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "info.h"

static const char usage_text[] =
	"usage: ringside collect SOURCE -o TRACE.db [--follow] [--poll-ms N]\n"
	"                        [--hang-secs S] [--wait-secs S]\n"
	"       ringside info TRACE.db [--json] [--trace ID]\n"
	"\n"
	"SOURCE is file:PATH (a ring file or a shared guest-RAM file).\n"
	"collect  stores the ring's events in TRACE.db (created, or merged into\n"
	"         without duplicates). --follow keeps reading until the guest\n"
	"         exits, crashes, hangs (no heartbeat for --hang-secs, default 2),\n"
	"         reboots, or ringside gets SIGINT/SIGTERM. --poll-ms defaults to 5.\n"
	"         --wait-secs waits that long for the region to appear.\n"
	"info     summarises a trace database (the latest trace, or --trace ID).\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "ringside: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see ringside --help)\n");
	return 2;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int cmd_collect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "follow", no_argument, NULL, 'f' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "hang-secs", required_argument, NULL, 'H' },
		{ "wait-secs", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct rs_collect_opts o = { .poll_ms = 5, .hang_secs = 2.0 };
	double v;
	int c;

	while ((c = getopt_long(argc, argv, "+o:f", opts, NULL)) != -1 ||
	       (optind < argc && !o.source && (o.source = argv[optind++]))) {
		if (c == -1)
			continue;  /* took the positional SOURCE; keep parsing */
		switch (c) {
		case 'o':
			o.db_path = optarg;
			break;
		case 'f':
			o.follow = 1;
			break;
		case 'p':
			if (parse_double(optarg, 1, 60000, &v) != 0)
				return usage_error("--poll-ms wants 1..60000, not '%s'", optarg);
			o.poll_ms = (unsigned)v;
			break;
		case 'H':
			if (parse_double(optarg, 0.01, 86400, &v) != 0)
				return usage_error("--hang-secs wants 0.01..86400, not '%s'", optarg);
			o.hang_secs = v;
			break;
		case 'w':
			if (parse_double(optarg, 0, 86400, &v) != 0)
				return usage_error("--wait-secs wants 0..86400, not '%s'", optarg);
			o.wait_secs = v;
			break;
		default:
			return usage_error("collect: bad option or missing value '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("collect: unexpected argument '%s'", argv[optind]);
	if (!o.source)
		return usage_error("%s", "collect: missing SOURCE (e.g. file:/dev/shm/guest)");
	if (!o.db_path)
		return usage_error("%s", "collect: missing -o TRACE.db");
	return rs_collect(&o);
}

static int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "trace", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL;
	int json = 0, c;
	double id = 0;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1 ||
	       (optind < argc && !db && (db = argv[optind++]))) {
		if (c == -1)
			continue;
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 't':
			if (parse_double(optarg, 1, 9e15, &id) != 0 || id != (double)(long long)id)
				return usage_error("--trace wants a trace id, not '%s'", optarg);
			break;
		default:
			return usage_error("info: bad option or missing value '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("info: unexpected argument '%s'", argv[optind]);
	if (!db)
		return usage_error("%s", "info: missing TRACE.db");
	return rs_info(db, (int64_t)id, json);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "missing command: collect or info");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	/* SQLite's page cache allocates and frees many page-sized blocks per
	 * batch; without padding, glibc grows and trims the heap with a brk
	 * call for most of them, which was a third of the ingest time. */
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	/* Subcommands parse their own options from argv[1] on. */
	opterr = 0;
	if (strcmp(cmd, "collect") == 0)
		return cmd_collect(argc - 1, argv + 1);
	if (strcmp(cmd, "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	return usage_error("unknown command '%s' (expected collect or info)", cmd);
}

/*
 * main.c - the `ringside` command line: parses arguments, dispatches to a
 * subcommand, and owns the exit-status contract:
 *   0  success
 *   1  bad input or runtime error (one line on stderr)
 *   2  usage error (one line on stderr, then a usage hint)
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "export.h"
#include "guest_cmdline.h"
#include "info.h"
#include "report.h"
#include "run.h"
#include "symbolize.h"
#include "xen.h"

static const char usage_text[] =
	"usage: ringside run --workload NAME -o TRACE.db [--seconds S] [--count N]\n"
	"                    [--kernel ELF] [--memory MB] [--ring-pages N]\n"
	"                    [--dump CORE [--force-dump]] [--gdb] [--hang-secs S]\n"
	"                    [--qemu PATH]\n"
	"       ringside collect SOURCE -o TRACE.db [--follow] [--poll-ms N]\n"
	"                        [--hang-secs S] [--wait-secs S]\n"
	"                        [--crash-on-triple-fault] [--kernel ELF]\n"
	"       ringside info TRACE.db [--json] [--trace ID] [--kernel ELF]\n"
	"       ringside report TRACE.db [--json] [--by label|type|thread]\n"
	"                       [--from T --to T] [--histogram SECTION[:GROUP]]\n"
	"                       [--critical-path PROMISE] [--trace ID]\n"
	"       ringside export TRACE.db (--ctf DIR | --chrome FILE.json) [--trace ID]\n"
	"\n"
	"run      boots the ringside kernel with workload NAME in QEMU (TCG; guest\n"
	"         RAM shared with ringside) and collects it live until it exits,\n"
	"         crashes (panic or triple fault), hangs (no heartbeat for\n"
	"         --hang-secs, default 2), deadlocks (ticks go on, no thread can\n"
	"         run) or --seconds of run time pass (S is also passed to the\n"
	"         guest). --dump writes a QEMU core before QEMU stops (not over\n"
	"         an existing file unless --force-dump; exit 1 if none was\n"
	"         written, as after a clean exit); --gdb starts halted with a gdb\n"
	"         stub on :1234. Prints the info summary at the end. --memory\n"
	"         defaults to 64 (MiB); --ring-pages is a power of two from 4 to\n"
	"         65536 (default 256).\n"
	"SOURCE is file:PATH (a ring file or a shared guest-RAM file, e.g. a QEMU\n"
	"         memory-backend-file), core:PATH (a QEMU dump-guest-memory core\n"
	"         or an xl dump-core file), or xen:DOMAIN (a live Xen HVM/PVH\n"
	"         domain by name or domid, read from dom0: the ring is found via\n"
	"         the guest's xenstore keys data/ringside/{gfn,pages,nonce} or a\n"
	"         scan of its RAM; a crashed domain's vCPU registers are stored,\n"
	"         and a preserved triple-fault reset counts as a crash).\n"
	"         --crash-on-triple-fault (xen: only) sets the domain's\n"
	"         HVM_PARAM_TRIPLE_FAULT_REASON so a triple fault is a crash.\n"
	"collect  stores the ring's events in TRACE.db (created, or merged into\n"
	"         without duplicates). --follow keeps reading until the guest\n"
	"         exits, crashes, hangs (no heartbeat for --hang-secs, default 2),\n"
	"         deadlocks, reboots, or ringside gets SIGINT/SIGTERM. --poll-ms\n"
	"         defaults to 5. --wait-secs waits that long for the region to\n"
	"         appear. Without --follow, a live guest that says it runs is\n"
	"         watched up to --hang-secs for a heartbeat (else: hung); a core\n"
	"         cannot show one (unknown, or deadlocked).\n"
	"         --kernel ELF (also run's) names the crash frames: function and\n"
	"         file:line of the panic rip, backtrace and vCPU rips, stored\n"
	"         with the trace (?? where the address is not the ELF's code).\n"
	"info     summarises a trace database (the latest trace, or --trace ID);\n"
	"         --kernel ELF names the frames of a trace stored without names.\n"
	"report   latency figures (count, min, p50, p90, p99, p99.9, max) from\n"
	"         HDR histograms: promise lifetimes and waits, wake-to-run,\n"
	"         run-queue length, interrupts, timer lateness, allocations; time\n"
	"         lost to gaps is stated first (formats/analysis/REPORT.md).\n"
	"export   writes CTF 1.8 for babeltrace2 and Trace Compass (--ctf), or\n"
	"         Chrome Trace Event JSON for the Perfetto UI (--chrome).\n";

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

/* --trace ID, shared by the commands that read a database. */
static int parse_trace_id(const char *s, double *id)
{
	return parse_double(s, 1, 9e15, id) != 0 || *id != (double)(long long)*id;
}

static int cmd_collect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "follow", no_argument, NULL, 'f' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "hang-secs", required_argument, NULL, 'H' },
		{ "wait-secs", required_argument, NULL, 'w' },
		{ "crash-on-triple-fault", no_argument, NULL, 'T' },
		{ "kernel", required_argument, NULL, 'k' },
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
		case 'T':
			o.crash_on_triple_fault = 1;
			break;
		case 'k':
			o.kernel = optarg;
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
	if (strncmp(o.source, "xen:", 4) == 0)
		return rs_xen_collect(&o);
	if (o.crash_on_triple_fault)
		return usage_error("%s", "collect: --crash-on-triple-fault is for xen:DOMAIN only");
	return rs_collect(&o);
}

/* Is `name` one of the kernel's workloads? An unknown one is a usage
 * error here, not a guest that boots and never publishes a ring. */
static int check_workload(const char *name)
{
#define WORKLOAD_NAME(w) #w,
	static const char *const names[] = { RS_WORKLOADS(WORKLOAD_NAME) };
#undef WORKLOAD_NAME
	char msg[512];
	size_t at = (size_t)snprintf(msg, sizeof(msg),
				     "--workload: no workload '%.64s'; known:", name);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0)
			return 0;
		at += (size_t)snprintf(msg + at, sizeof(msg) - at, " %s",
				       names[i]);
		assert(at < sizeof(msg));
	}
	return usage_error("%s", msg);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, 'W' },
		{ "output", required_argument, NULL, 'o' },
		{ "seconds", required_argument, NULL, 's' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "memory", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'c' },
		{ "ring-pages", required_argument, NULL, 'r' },
		{ "dump", required_argument, NULL, 'd' },
		{ "force-dump", no_argument, NULL, 'F' },
		{ "gdb", no_argument, NULL, 'g' },
		{ "hang-secs", required_argument, NULL, 'H' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "lag-report", no_argument, NULL, 'L' },  /* hidden: measurement */
		{ NULL, 0, NULL, 0 },
	};
	struct rs_run_opts o = { .mem_mb = 64, .hang_secs = 2.0, .poll_ms = 5 };
	double v;
	int c;

	while ((c = getopt_long(argc, argv, "+o:", opts, NULL)) != -1) {
		switch (c) {
		case 'W':
			/* Only known names reach the kernel command line. */
			if (check_workload(optarg) != 0)
				return 2;
			o.workload = optarg;
			break;
		case 'o':
			o.db_path = optarg;
			break;
		case 's':
			if (parse_double(optarg, 0.001, 86400, &o.seconds) != 0)
				return usage_error("--seconds wants 0.001..86400, not '%s'", optarg);
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'm':
			if (parse_double(optarg, 16, 2047, &v) != 0 || v != (unsigned)v)
				return usage_error("--memory wants 16..2047 (MiB), not '%s'", optarg);
			o.mem_mb = (unsigned)v;
			break;
		case 'c':
			if (parse_double(optarg, 1, 1e12, &v) != 0 || v != (double)(uint64_t)v)
				return usage_error("--count wants a positive integer, not '%s'", optarg);
			o.count = (uint64_t)v;
			break;
		case 'r':
			/* The guest's own rule (guest_cmdline.h), checked here so
			 * a bad value is a usage error, not a guest that stops. */
			if (parse_double(optarg, 0, RS_RING_PAGES_MAX, &v) != 0 ||
			    v != (unsigned)v || !rs_ring_pages_ok((uint64_t)v)) {
				char msg[160];
				snprintf(msg, sizeof(msg), "--ring-pages wants a power"
					 " of two from %u to %u, not '%.40s'",
					 RS_RING_PAGES_MIN, RS_RING_PAGES_MAX, optarg);
				return usage_error("%s", msg);
			}
			o.ring_pages = (unsigned)v;
			break;
		case 'd':
			o.dump_path = optarg;
			break;
		case 'F':
			o.force_dump = 1;
			break;
		case 'g':
			o.gdb = 1;
			break;
		case 'H':
			if (parse_double(optarg, 0.01, 86400, &o.hang_secs) != 0)
				return usage_error("--hang-secs wants 0.01..86400, not '%s'", optarg);
			break;
		case 'p':
			if (parse_double(optarg, 1, 60000, &v) != 0)
				return usage_error("--poll-ms wants 1..60000, not '%s'", optarg);
			o.poll_ms = (unsigned)v;
			break;
		case 'q':
			o.qemu = optarg;
			break;
		case 'L':
			o.lag_report = 1;
			break;
		default:
			return usage_error("run: bad option or missing value '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("run: unexpected argument '%s'", argv[optind]);
	if (!o.workload)
		return usage_error("%s", "run: missing --workload NAME (e.g. demo)");
	if (!o.db_path)
		return usage_error("%s", "run: missing -o TRACE.db");
	if (o.force_dump && !o.dump_path)
		return usage_error("%s", "run: --force-dump goes with --dump CORE");
	return rs_run(&o);
}

static int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "trace", required_argument, NULL, 't' },
		{ "kernel", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *kernel = NULL;
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
			if (parse_trace_id(optarg, &id) != 0)
				return usage_error("--trace wants a trace id, not '%s'", optarg);
			break;
		case 'k':
			kernel = optarg;
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
	if (kernel)
		return rs_info_kernel(db, (int64_t)id, json, kernel);
	return rs_info(db, (int64_t)id, json);
}

static int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ctf", required_argument, NULL, 'c' },
		{ "chrome", required_argument, NULL, 'j' },
		{ "trace", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *ctf = NULL, *chrome = NULL;
	double id = 0;
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1 ||
	       (optind < argc && !db && (db = argv[optind++]))) {
		if (c == -1)
			continue;
		switch (c) {
		case 'c':
			ctf = optarg;
			break;
		case 'j':
			chrome = optarg;
			break;
		case 't':
			if (parse_trace_id(optarg, &id) != 0)
				return usage_error("--trace wants a trace id, not '%s'", optarg);
			break;
		default:
			return usage_error("export: bad option or missing value '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("export: unexpected argument '%s'", argv[optind]);
	if (!db)
		return usage_error("%s", "export: missing TRACE.db");
	if (!ctf == !chrome)
		return usage_error("%s", "export: give exactly one of --ctf DIR or --chrome FILE");

	char err[512];
	uint64_t events = 0;
	struct rs_trace_db *t = rs_trace_open(db, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "ringside: %s\n", err);
		return 1;
	}
	int rc = ctf ? rs_export_ctf(t, (int64_t)id, ctf, &events, err, sizeof(err))
		     : rs_export_chrome(t, (int64_t)id, chrome, err, sizeof(err));
	rs_trace_close(t);
	if (rc != 0) {
		fprintf(stderr, "ringside: export: %s\n", err);
		return 1;
	}
	if (ctf)
		fprintf(stderr, "ringside: wrote %llu events as CTF 1.8 to %s\n",
			(unsigned long long)events, ctf);
	else
		fprintf(stderr, "ringside: wrote Chrome trace JSON to %s\n", chrome);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "missing command: run, collect, info, report or export");
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
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return rs_report_main(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	return usage_error("unknown command '%s' (expected run, collect, info,"
			   " report or export)", cmd);
}

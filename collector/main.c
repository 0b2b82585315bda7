/*
 * main.c - the `ringside` program: dispatches to a command, whose options
 * the command-line layer parses from its table (cmd_tables.c, cli/), and
 * turns them into each command's options struct. Owns the exit-status
 * contract:
 *   0  success
 *   1  bad input or runtime error (one line on stderr)
 *   2  usage error (one line on stderr, then a usage hint)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "collect.h"
#include "export.h"
#include "info.h"
#include "run.h"
#include "symbolize.h"
#include "xen.h"

static double secs(int64_t ns)
{
	return (double)ns / 1e9;
}

static int cmd_collect(int argc, char **argv)
{
	const struct cli_command *c = &rs_cmd_collect;
	struct cli_value v[COL_NOPTS];
	const char *source;
	int rc = cli_parse(&rs_ringside, c, argc, argv, v, &source);
	if (rc)
		return cli_exit(rc);

	struct rs_collect_opts o = {
		.source = source,
		.db_path = v[COL_OUTPUT].str,
		.follow = v[COL_FOLLOW].set,
		.poll_ms = (unsigned)(v[COL_POLL].ns / 1000000),
		.hang_secs = secs(v[COL_HANG].ns),
		.wait_secs = secs(v[COL_WAIT].ns),
		.crash_on_triple_fault = v[COL_TRIPLE_FAULT].set,
		.kernel = v[COL_KERNEL].str,
	};
	if (strncmp(o.source, "xen:", 4) == 0)
		return rs_xen_collect(&o);
	if (o.crash_on_triple_fault)
		return cli_usage_error(&rs_ringside, c, "--crash-on-triple-fault"
				       " is for xen:DOMAIN only");
	return rs_collect(&o);
}

static int cmd_run(int argc, char **argv)
{
	const struct cli_command *c = &rs_cmd_run;
	struct cli_value v[RUN_NOPTS];
	const char *none;
	int rc = cli_parse(&rs_ringside, c, argc, argv, v, &none);
	if (rc)
		return cli_exit(rc);

	struct rs_run_opts o = {
		/* Only the kernel's own names get past the table. */
		.workload = v[RUN_WORKLOAD].str,
		.db_path = v[RUN_OUTPUT].str,
		.kernel = v[RUN_KERNEL].str,
		.qemu = v[RUN_QEMU].str,
		.dump_path = v[RUN_DUMP].str,
		.force_dump = v[RUN_FORCE_DUMP].set,
		.seconds = secs(v[RUN_SECONDS].ns),
		.mem_mb = (unsigned)v[RUN_MEMORY].u,
		.smp = (unsigned)v[RUN_SMP].u,
		.count = v[RUN_COUNT].u,
		.ring_pages = (unsigned)v[RUN_RING_PAGES].u,
		.gdb = v[RUN_GDB].set,
		.hang_secs = secs(v[RUN_HANG].ns),
		.poll_ms = (unsigned)(v[RUN_POLL].ns / 1000000),
		.lag_report = v[RUN_LAG_REPORT].set,
		.store_sync = v[RUN_STORE_SYNC].set,
	};
	if (o.force_dump && !o.dump_path)
		return cli_usage_error(&rs_ringside, c, "--force-dump goes with"
				       " --dump CORE");
	return rs_run(&o);
}

static int cmd_info(int argc, char **argv)
{
	struct cli_value v[INFO_NOPTS];
	const char *db;
	int rc = cli_parse(&rs_ringside, &rs_cmd_info, argc, argv, v, &db);
	if (rc)
		return cli_exit(rc);
	if (v[INFO_KERNEL].str)
		return rs_info_kernel(db, (int64_t)v[INFO_TRACE].u,
				      v[INFO_JSON].set, v[INFO_KERNEL].str);
	return rs_info(db, (int64_t)v[INFO_TRACE].u, v[INFO_JSON].set);
}

static int cmd_export(int argc, char **argv)
{
	struct cli_value v[EXP_NOPTS];
	const char *db;
	int rc = cli_parse(&rs_ringside, &rs_cmd_export, argc, argv, v, &db);
	if (rc)
		return cli_exit(rc);
	const char *ctf = v[EXP_CTF].str, *chrome = v[EXP_CHROME].str;
	const char *out = v[EXP_OUT].str;
	const int fxt = v[EXP_FXT].set;
	const struct rs_export_opts o = {
		.trace_id = (int64_t)v[EXP_TRACE].u,
		.from_ns = v[EXP_FROM].set ? v[EXP_FROM].ns : INT64_MIN,
		.to_ns = v[EXP_TO].set ? v[EXP_TO].ns : INT64_MAX,
	};
	const char *why = NULL;
	if (!ctf + !chrome + !fxt != 2)
		why = "give exactly one of --ctf DIR, --chrome FILE.json or"
		      " --fxt -o FILE";
	else if (fxt != !!out)
		why = "-o FILE goes with --fxt (and --fxt needs it)";
	else if (ctf && (v[EXP_FROM].set || v[EXP_TO].set))
		why = "--from and --to go with --chrome or --fxt";
	else if (o.from_ns > o.to_ns)
		why = "--from is after --to";
	if (why)
		return cli_usage_error(&rs_ringside, &rs_cmd_export, why);

	char err[512];
	uint64_t events = 0;
	struct rs_trace_db *t = rs_trace_open(db, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "ringside: %s\n", err);
		return 1;
	}
	const char *what = ctf ? "CTF 1.8" : chrome ? "Chrome trace JSON"
			   : "Fuchsia trace format";
	const char *path = ctf ? ctf : chrome ? chrome : out;
	rc = ctf ? rs_export_ctf(t, o.trace_id, ctf, &events, err, sizeof(err))
	   : chrome ? rs_export_chrome_window(t, &o, chrome, &events, err,
					      sizeof(err))
	   : rs_export_fxt(t, &o, out, &events, err, sizeof(err));
	rs_trace_close(t);
	if (rc != 0) {
		fprintf(stderr, "ringside: export: %s\n", err);
		return 1;
	}
	fprintf(stderr, "ringside: wrote %llu events as %s to %s\n",
		(unsigned long long)events, what, path);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "run", cmd_run }, { "collect", cmd_collect },
		{ "info", cmd_info }, { "report", rs_report_cmd },
		{ "export", cmd_export }, { "import", rs_import_cmd },
	};
	if (argc < 2)
		return cli_usage_error(&rs_ringside, NULL, "missing command:"
				       " run, collect, import, info, report or export");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		cli_print_program_help(stdout, &rs_ringside);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("ringside %s\n", cli_version());
		return 0;
	}
	if (strcmp(cmd, "--man") == 0) {   /* hidden: the build's ringside.1 */
		cli_print_man(stdout, &rs_ringside, 1);
		return 0;
	}
	/* SQLite's page cache allocates and frees many page-sized blocks per
	 * batch; without padding, glibc grows and trims the heap with a brk
	 * call for most of them, which was a third of the ingest time. */
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	/* Each command parses its own options from argv[1] on. */
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return cli_usage_error(&rs_ringside, NULL, "unknown option '%s'",
				       cmd);
	return cli_usage_error(&rs_ringside, NULL, "unknown command '%s'"
			       " (expected run, collect, import, info, report"
			       " or export)", cmd);
}

/*
 * cmd_report.c - `ringside report` on the command line: its options
 * (rs_cmd_report in cmd_tables.c) into the report library's options
 * struct, the database opened, errors printed. The report itself is
 * formats/analysis/ (rs_report_run); this file is in the collector's
 * library, not main.c, so the fuzz harness and the tests reach it.
 */
#include <stdint.h>
#include <stdio.h>

#include "cmd.h"
#include "report.h"
#include "trace_read.h"

int rs_report_cmd(int argc, char **argv)
{
	const struct cli_command *c = &rs_cmd_report;
	struct cli_value v[REP_NOPTS];
	const char *db_path;
	int rc = cli_parse(&rs_ringside, c, argc, argv, v, &db_path);
	if (rc)
		return cli_exit(rc);

	struct rs_report_opts o = {
		.trace_id = (int64_t)v[REP_TRACE].u,
		.json = v[REP_JSON].set,
		.by = (enum rs_report_by)v[REP_BY].choice,
		.from_ns = v[REP_FROM].set ? v[REP_FROM].ns : INT64_MIN,
		.to_ns = v[REP_TO].set ? v[REP_TO].ns : INT64_MAX,
		.histogram = v[REP_HISTOGRAM].str,
		.has_cpath = v[REP_CPATH].set,
		.cpath = v[REP_CPATH].u,
		.top = (size_t)v[REP_TOP].u,
	};
	if (o.histogram && o.has_cpath)
		return cli_usage_error(&rs_ringside, c, "--histogram and"
				       " --critical-path are two reports: give"
				       " one");
	/* Only two given bounds can cross: the defaults are the extremes. */
	if (o.from_ns > o.to_ns)
		return cli_usage_error(&rs_ringside, c, "--from %s is after --to"
				       " %s: the range is empty",
				       v[REP_FROM].str, v[REP_TO].str);

	char err[512];
	struct rs_trace_db *db = rs_trace_open(db_path, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "ringside: %s\n", err);
		return 1;
	}
	rc = rs_report_run(db, &o, stdout, err, sizeof(err));
	rs_trace_close(db);
	if (rc != 0) {
		fprintf(stderr, "ringside: report: %s\n", err);
		return 1;
	}
	return 0;
}

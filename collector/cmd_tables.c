/*
 * cmd_tables.c - what `ringside` accepts, command by command: the option
 * tables the parser, --help and ringside(1) are all made from (cli/).
 * Data only, so the tests can check the man page against the tables.
 */
#include <stdint.h>

#include "cmd.h"
#include "guest_cmdline.h"

#define MS  1000000ull
#define SEC 1000000000ull

/* --trace means the same in every command that reads a database. */
#define OPT_TRACE {                                                       \
	.name = "trace", .kind = CLI_INT, .metavar = "ID",                \
	.min = 1, .max = INT64_MAX,                                       \
	.what = "a trace id (a positive integer)",                        \
	.help = "Read the trace with this id (info lists a database's"    \
		" traces); by default the latest one.",                   \
}
#define OPT_OUTPUT(what) {                                                \
	.name = "output", .short_name = 'o', .kind = CLI_PATH,            \
	.metavar = "TRACE.db", .required = 1,                             \
	.help = "The trace database to " what " (created if missing;"     \
		" a database that is not ringside's is refused).",        \
}
#define OPT_HANG {                                                        \
	.name = "hang-secs", .kind = CLI_DURATION, .metavar = "S",        \
	.unit_ns = SEC, .min = 10 * MS, .max = 86400 * SEC, .def = "2",   \
	.help = "A running guest whose heartbeat stays still this long"   \
		" is hung.",                                              \
}
#define OPT_POLL {                                                        \
	.name = "poll-ms", .kind = CLI_DURATION, .metavar = "MS",         \
	.unit_ns = MS, .min = 1 * MS, .max = 60000 * MS, .def = "5",      \
	.help = "Time between two reads of the ring (whole"               \
		" milliseconds).",                                        \
}
#define OPT_KERNEL(when) {                                                \
	.name = "kernel", .kind = CLI_PATH, .metavar = "ELF",             \
	.help = when,                                                     \
}

#define WORKLOAD_NAME(w) #w,
static const char *const workloads[] = { RS_WORKLOADS(WORKLOAD_NAME) 0 };
#undef WORKLOAD_NAME

/* The guest's own rule (guest_cmdline.h), checked before anything boots. */
static int ring_pages_ok(uint64_t pages)
{
	return rs_ring_pages_ok(pages);
}

static const struct cli_opt run_opts[] = {
	[RUN_WORKLOAD] = { .name = "workload", .kind = CLI_ENUM,
		.metavar = "NAME", .choices = workloads, .required = 1,
		.help = "The kernel's workload to boot." },
	[RUN_OUTPUT] = OPT_OUTPUT("collect into"),
	[RUN_SECONDS] = { .name = "seconds", .kind = CLI_DURATION,
		.metavar = "S", .unit_ns = SEC, .min = 1 * MS,
		.max = 86400 * SEC,
		.help = "Stop after this much run time (also passed to the"
			" guest); by default the run lasts until the guest"
			" ends." },
	[RUN_COUNT] = { .name = "count", .kind = CLI_INT, .metavar = "N",
		.min = 1, .max = 1000000000000ull,
		.help = "The workload's iteration count (its own default"
			" if not given)." },
	[RUN_KERNEL] = OPT_KERNEL("The kernel to boot (default: the one"
		" built next to ringside); it also names the crash frames."),
	[RUN_MEMORY] = { .name = "memory", .kind = CLI_INT, .metavar = "MB",
		.min = 16, .max = 2047, .def = "64",
		.help = "Guest RAM in MiB." },
	[RUN_SMP] = { .name = "smp", .kind = CLI_INT, .metavar = "N",
		.min = 1, .max = RS_MAX_CPUS, .def = "1",
		.help = "Virtual CPUs, 1 to 16 (QEMU's -smp N; the guest"
			" lays out a ring per CPU it uses)." },
	[RUN_RING_PAGES] = { .name = "ring-pages", .kind = CLI_INT,
		.metavar = "N", .min = RS_RING_PAGES_MIN,
		.max = RS_RING_PAGES_MAX, .valid = ring_pages_ok,
		.what = "a power of two from 4 to 65536",
		.help = "The guest's ring size in pages, a power of two from"
			" 4 to 65536 (default: what the fastest guest writes"
			" in --poll-ms plus 100 ms, times --smp, at most a"
			" quarter of --memory: 4096 with the other"
			" defaults)." },
	[RUN_DUMP] = { .name = "dump", .kind = CLI_PATH, .metavar = "CORE",
		.help = "Write a QEMU core here before QEMU stops; an"
			" existing file is refused, and the run exits 1 if"
			" no core was written (as after a clean exit)." },
	[RUN_FORCE_DUMP] = { .name = "force-dump", .kind = CLI_FLAG,
		.help = "--dump may overwrite CORE." },
	[RUN_GDB] = { .name = "gdb", .kind = CLI_FLAG,
		.help = "Start halted, with a gdb stub on :1234." },
	[RUN_HANG] = OPT_HANG,
	[RUN_POLL] = OPT_POLL,
	[RUN_QEMU] = { .name = "qemu", .kind = CLI_PATH, .metavar = "PATH",
		.help = "The QEMU to run (default: qemu-system-x86_64 from"
			" PATH)." },
	[RUN_LAG_REPORT] = { .name = "lag-report", .kind = CLI_FLAG,
		.hidden = 1, .help = "Print emit-to-row latency." },
	[RUN_STORE_SYNC] = { .name = "store-sync", .kind = CLI_FLAG,
		.hidden = 1, .help = "Each poll waits for its commit, as before"
			" the writer thread (a benchmark's reference)." },
};

const struct cli_command rs_cmd_run = {
	.name = "run",
	.summary = "boot the kernel with a workload in QEMU and collect it live",
	.description =
		"Boots the ringside kernel with workload NAME in QEMU (TCG;"
		" guest RAM shared with ringside) and collects it live until"
		" it exits, crashes (panic or triple fault), hangs (no"
		" heartbeat for --hang-secs), deadlocks (ticks go on, no thread"
		" can run), has a stuck CPU (its own heartbeat stopped while"
		" another CPU's went on) or --seconds of run time pass. Prints the info"
		" summary at the end. What can fail without the guest fails"
		" before QEMU starts, and no QEMU process or /dev/shm file is"
		" ever left behind.",
	.opts = run_opts, .nopts = CLI_NOPTS(run_opts),
};

static const struct cli_opt collect_opts[] = {
	[COL_OUTPUT] = OPT_OUTPUT("store into"),
	[COL_FOLLOW] = { .name = "follow", .short_name = 'f',
		.kind = CLI_FLAG,
		.help = "Keep reading until the guest exits, crashes, hangs,"
			" deadlocks, has a stuck CPU, reboots, or ringside"
			" gets SIGINT or SIGTERM." },
	[COL_POLL] = OPT_POLL,
	[COL_HANG] = OPT_HANG,
	[COL_WAIT] = { .name = "wait-secs", .kind = CLI_DURATION,
		.metavar = "S", .unit_ns = SEC, .min = 0, .max = 86400 * SEC,
		.def = "0",
		.help = "Wait this long for the region to appear (a file"
			" that does not exist yet, or holds no ring yet)." },
	[COL_TRIPLE_FAULT] = { .name = "crash-on-triple-fault",
		.kind = CLI_FLAG,
		.help = "xen: only. Set the domain's"
			" HVM_PARAM_TRIPLE_FAULT_REASON so a triple fault is"
			" a crash." },
	[COL_KERNEL] = OPT_KERNEL("Name the crash frames (function and"
		" file:line of the panic rip, backtrace and vCPU rips) from"
		" this kernel ELF, stored with the trace (?? where an address"
		" is not the ELF's code)."),
};

const struct cli_command rs_cmd_collect = {
	.name = "collect",
	.positional = "SOURCE",
	.summary = "store a guest's ring (file, core or Xen domain) in a"
		   " database",
	.description =
		"Stores the ring's events in TRACE.db (created, or merged"
		" into without duplicates). SOURCE is file:PATH (a ring file"
		" or a shared guest-RAM file, e.g. a QEMU memory-backend-file),"
		" core:PATH (a QEMU dump-guest-memory core or an xl dump-core"
		" file), or xen:DOMAIN (a live Xen domain by name or domid,"
		" read from dom0: the ring is mapped through the grant"
		" references the guest lists in data/ringside/ring-ref, the"
		" only way for a PV guest such as Mini-OS; else, for HVM/PVH,"
		" found via its xenstore keys data/ringside/{gfn,pages,nonce}"
		" or a scan of its RAM; a crashed domain's vCPU registers are"
		" stored, and a preserved triple-fault reset counts as a"
		" crash)."
		"\n\n"
		"Without --follow, a live guest that says it runs is watched"
		" up to --hang-secs for a heartbeat (else: hung), and for each"
		" CPU's own heartbeat, if the guest keeps one (a CPU that does"
		" not beat while another does: stuck-cpu); a core cannot show"
		" one (unknown, or deadlocked). When reading ends, the skew"
		" between the CPUs' clocks is measured from causal pairs and"
		" stored.",
	.opts = collect_opts, .nopts = CLI_NOPTS(collect_opts),
};

static const struct cli_opt info_opts[] = {
	[INFO_JSON] = { .name = "json", .kind = CLI_FLAG,
		.help = "Print JSON instead of text." },
	[INFO_TRACE] = OPT_TRACE,
	[INFO_KERNEL] = OPT_KERNEL("Name the crash frames of a trace"
		" stored without names, from this kernel ELF."),
};

const struct cli_command rs_cmd_info = {
	.name = "info",
	.positional = "TRACE.db",
	.summary = "summarise a trace",
	.description =
		"Summarises a trace: events, losses, threads, promises, CPUs,"
		" time span, how the guest calibrated its clocks, the final"
		" guest state and why (a stuck CPU named), whether the CPUs'"
		" clocks agree (flagged when one is seen over 1 us behind"
		" another), the panic record, the vCPU registers and a"
		" deadlock's blocked threads.",
	.opts = info_opts, .nopts = CLI_NOPTS(info_opts),
};

static const char *const report_by[] = { "label", "type", "thread", 0 };

static const struct cli_opt report_opts[] = {
	[REP_JSON] = { .name = "json", .kind = CLI_FLAG,
		.help = "Print JSON instead of text." },
	[REP_BY] = { .name = "by", .kind = CLI_ENUM, .choices = report_by,
		.def = "label",
		.help = "How promise lifetimes and waits are grouped; labels"
			" by pattern, numbers replaced by '#'." },
	[REP_FROM] = { .name = "from", .kind = CLI_TIME, .metavar = "T",
		.unit_ns = 1,
		.help = "Only events at or after this ts_ns." },
	[REP_TO] = { .name = "to", .kind = CLI_TIME, .metavar = "T",
		.unit_ns = 1,
		.help = "Only events at or before this ts_ns." },
	[REP_HISTOGRAM] = { .name = "histogram", .kind = CLI_STRING,
		.metavar = "SECTION[:GROUP]",
		.help = "Draw one group's histogram instead. SECTION is one of"
			" promise_lifetime, wait_time, wake_to_run, runq_len,"
			" irq, timer_lateness, page_alloc, heap_alloc." },
	[REP_CPATH] = { .name = "critical-path", .kind = CLI_INT,
		.metavar = "PROMISE", .min = 0, .max = UINT64_MAX,
		.what = "a promise id",
		.help = "Walk resolve and read edges back from this promise"
			" to the root cause, instead." },
	[REP_TRACE] = OPT_TRACE,
	[REP_TOP] = { .name = "top", .kind = CLI_INT, .metavar = "N",
		.min = 0, .max = 1000000000, .def = "10",
		.help = "Show the N groups of each section with the most"
			" samples, then a line for the rest and a total over"
			" all; 0 shows every group." },
};

const struct cli_command rs_cmd_report = {
	.name = "report",
	.positional = "TRACE.db",
	.summary = "latency figures from HDR histograms",
	.description =
		"Latency and size distributions (count, min, p50, p90, p99,"
		" p99.9, max) of promise lifetimes, waits, wake-to-run,"
		" run-queue length, interrupts, timer lateness and allocations;"
		" time lost to gaps is stated before any figure."
		" The rules are in formats/analysis/REPORT.md.",
	.opts = report_opts, .nopts = CLI_NOPTS(report_opts),
};

static const struct cli_opt export_opts[] = {
	[EXP_CTF] = { .name = "ctf", .kind = CLI_PATH, .metavar = "DIR",
		.help = "Write CTF 1.8 (for babeltrace2 and Trace Compass)"
			" into this directory." },
	[EXP_CHROME] = { .name = "chrome", .kind = CLI_PATH,
		.metavar = "FILE.json",
		.help = "Write Chrome Trace Event JSON (for the Perfetto UI and"
			" DevTools' Performance panel) to this file." },
	[EXP_FXT] = { .name = "fxt", .kind = CLI_FLAG,
		.help = "Write the Fuchsia trace format (for the Perfetto UI"
			" and eio-trace) to the file given with -o." },
	[EXP_OUT] = { .name = "output", .short_name = 'o', .kind = CLI_PATH,
		.metavar = "FILE",
		.help = "The file --fxt writes." },
	[EXP_FROM] = { .name = "from", .kind = CLI_TIME, .metavar = "T",
		.unit_ns = 1,
		.help = "--chrome, --fxt: only the part of the trace at or after"
			" this time since boot (ts_ns), e.g. 22ms; slices that"
			" began before it start here." },
	[EXP_TO] = { .name = "to", .kind = CLI_TIME, .metavar = "T",
		.unit_ns = 1,
		.help = "--chrome, --fxt: only the part at or before this time;"
			" slices still open end here." },
	[EXP_TRACE] = OPT_TRACE,
};

const struct cli_command rs_cmd_export = {
	.name = "export",
	.positional = "TRACE.db",
	.summary = "write a trace as CTF, Chrome JSON or Fuchsia FXT",
	.description =
		"Writes the trace as CTF 1.8 (--ctf), as Chrome Trace Event"
		" JSON (--chrome) or in the Fuchsia trace format (--fxt -o"
		" FILE): exactly one of the three. The mappings are in"
		" formats/interchange/README.md. The events stream from the"
		" database to the file: memory does not grow with the trace.",
	.opts = export_opts, .nopts = CLI_NOPTS(export_opts),
};

static const struct cli_opt import_opts[] = {
	[IMP_OUTPUT] = OPT_OUTPUT("store into"),
};

const struct cli_command rs_cmd_import = {
	.name = "import",
	.positional = "SOURCE",
	.summary = "read another tracer's file (mirage-profile, FXT) into a"
		   " database",
	.description =
		"Stores another tracer's trace in TRACE.db as ringside events,"
		" so info, report, export and ringside-view read it like any"
		" trace. SOURCE is mirage:PATH (a mirage-profile trace: the"
		" raw ring file MirageOS's Xen collector saves, or a directory"
		" with its CTF metadata and stream files; a ring that wrapped"
		" is read in order, and the packets it overwrote are stored"
		" as a loss of unknown size) or fxt:PATH (the Fuchsia trace"
		" format, as eio-trace and Perfetto write it; records of a"
		" type ringside does not read are skipped by their size and"
		" counted). The whole file is checked before the database is"
		" opened: bad input changes nothing. Importing the same file"
		" again adds nothing. The mappings are in"
		" formats/interchange/README.md.",
	.opts = import_opts, .nopts = CLI_NOPTS(import_opts),
};

static const struct cli_command *const commands[] = {
	&rs_cmd_run, &rs_cmd_collect, &rs_cmd_import, &rs_cmd_info,
	&rs_cmd_report, &rs_cmd_export, 0,
};

const struct cli_program rs_ringside = {
	.name = "ringside",
	.summary = "collect, summarise and export traces of a unikernel's"
		   " rings",
	.description =
		"ringside reads a guest's trace rings without the guest's"
		" help (from a ring file, a QEMU or Xen core, a live Xen"
		" domain, or a kernel it boots in QEMU), or imports another"
		" tracer's file (mirage-profile, FXT), stores them in an"
		" SQLite database, and reads them back: a summary, latency"
		" figures, CTF, Chrome JSON and Fuchsia FXT. Durations and"
		" times take a unit: ns, us, ms or s (a plain number is in the"
		" unit each option names).",
	.exit_status =
		"Exit status: 0 success, 1 bad input or runtime error, 2 usage"
		" error. Every error is one line on standard error starting"
		" with \"ringside:\".",
	.see_also = "ringside-view(1), guest-trace(3), sqlite3(1),"
		    " babeltrace2(1)",
	.commands = commands,
};

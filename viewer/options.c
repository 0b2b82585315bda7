/*
 * options.c - ringside-view's option table (options.h). Data only, in the
 * viewer's library so the tests can hold the man page against it.
 */
#include "options.h"

static const struct cli_opt opts[] = {
	[RV_OPT_FOLLOW] = { .name = "follow", .kind = CLI_FLAG,
		.help = "Keep polling the database (every 200 ms) for new"
			" events and follow the newest until you zoom or pan"
			" (End follows again). A database that does not exist"
			" yet is waited for." },
	[RV_OPT_RENDER] = { .name = "render", .kind = CLI_PATH,
		.metavar = "OUT.png|OUT.svg",
		.help = "Draw the timeline headlessly into a PNG or SVG file"
			" and exit. The plot starts at x = 130 and maps"
			" [--from, --to] onto [130, W)." },
	[RV_OPT_FROM] = { .name = "from", .kind = CLI_TIME, .metavar = "T",
		.unit_ns = 1,
		.help = "--render: the time since boot (ts_ns) at the plot's"
			" left edge, e.g. 22ms (default: the trace's first"
			" event)." },
	[RV_OPT_TO] = { .name = "to", .kind = CLI_TIME, .metavar = "T",
		.unit_ns = 1,
		.help = "--render: the time since boot at the right edge"
			" (default: the trace's last event)." },
	[RV_OPT_SIZE] = { .name = "size", .kind = CLI_STRING,
		.metavar = "WxH",
		.help = "The picture's size in pixels, at least 200x100"
			" (default: 1200x700; 640x400 for a histogram)." },
	[RV_OPT_HIST] = { .name = "render-histogram", .kind = CLI_PATH,
		.metavar = "OUT.png|OUT.svg", .metavar2 = "GROUPSPEC",
		.help = "Draw one group's latency histogram, as the window's"
			" pane does, and print its figures and bars. GROUPSPEC"
			" is [wait:]label:NAME, [wait:]type:NAME,"
			" [wait:]thread:TID (promise lifetimes, or with wait:"
			" wait times) or wake:TID." },
	[RV_OPT_BENCH] = { .name = "bench", .kind = CLI_FLAG,
		.help = "Print load seconds and the slowest of a sweep of"
			" frames." },
	[RV_OPT_BENCH_FOLLOW] = { .name = "bench-follow",
		.kind = CLI_DURATION, .metavar = "SECONDS",
		.unit_ns = 1000000000, .min = 1000000,
		.max = 86400ull * 1000000000,
		.help = "Follow the database headlessly for SECONDS as the"
			" window's --follow does (a reload and a frame every"
			" 200 ms, the view sliding with the newest data),"
			" printing each frame's time and the CPU used." },
	[RV_OPT_SCRIPT] = { .name = "test-script", .kind = CLI_PATH,
		.metavar = "FILE", .hidden = 1,
		.help = "Drive the window from a script (the tests')." },
};

const struct cli_command rv_cmd = {
	.positional = "TRACE.db",
	.description =
		"Opens a ringside trace database read-only and draws its"
		" timeline: CPU and thread lanes, promises, counters,"
		" interrupts, the panic, hangs and losses. Without --render,"
		" --render-histogram or --bench it opens a window.\n\n"
		"Keys in the window: wheel or + and - zoom, drag or the arrows"
		" pan, Home fits the whole trace, End shows the newest data"
		" (with --follow: and follows it again), / searches labels"
		" (Enter: next match, Shift+Enter: previous, Esc clears the"
		" search and its filter), t thread lanes, h the latency pane,"
		" F the frame-time readout (last frame, worst of the last 60),"
		" Ctrl+S and Ctrl+P export the view.",
	.opts = opts, .nopts = CLI_NOPTS(opts),
};

static const struct cli_command *const commands[] = { &rv_cmd, 0 };

const struct cli_program rv_program = {
	.name = "ringside-view",
	.summary = "the timeline of a ringside trace database",
	.description =
		"ringside-view draws a trace database written by ringside(1)"
		" as a GTK 4 timeline after MirageOS's mirage-trace-viewer,"
		" or headlessly as PNG or SVG. It reads databases only, never"
		" guests. Times take a unit: ns, us, ms or s (a plain number"
		" is in ns).",
	.exit_status =
		"Exit status: 0 success, 1 bad input or runtime error, 2 usage"
		" error. Every error is one line on standard error starting"
		" with \"ringside-view:\".",
	.see_also = "ringside(1)",
	.commands = commands,
};

/*
 * main.c - ringside-hosted: boots the kernel core as a Linux process, with
 * the trace ring in a MAP_SHARED file so a collector can read it live and
 * it survives the process (including a crash or a kill).
 *
 *   ringside-hosted --workload NAME --ring PATH [--seconds S] [--count N]
 *                   [--ring-pages N] [--mode overwrite|discard]
 *                   [--tick-hz N] [--cpus N] [--quiet]
 *
 * The file is (1 + ring pages) pages: the header page, then the ring; the
 * region's guest-physical address is 0, i.e. the file offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../core/kernel.h"
#include "../../core/mm.h"
#include "../../core/platform.h"
#include "../../workloads/workloads.h"
#include "hosted.h"
#include "guest_cmdline.h"
#include "ringside_ring.h"

#define DEFAULT_TICK_HZ    1000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ringside-hosted --workload NAME --ring PATH [--seconds S]\n"
		"                       [--count N] [--ring-pages N]\n"
		"                       [--mode overwrite|discard] [--tick-hz N]\n"
		"                       [--cpus N] [--quiet]\n"
		"--cpus N: run the kernel on N CPUs (1..%u, default 1), each a\n"
		"          thread with its own tick, and a ring each\n"
		"workloads:", KERNEL_MAX_CPUS);
	for (unsigned i = 0; workload_table[i]; i++)
		fprintf(f, " %s", workload_table[i]->name);
	fprintf(f, "\n");
}

static int parse_uint(const char *s, unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || s[0] == '-' ? -1 : 0;
}

/* What the command line asks for; the ring's path and size apart from
 * the kernel's own options. */
struct hosted_args {
	struct kernel_options ko;
	const char *ring;
	unsigned long long ring_pages, tick_hz, cpus;
};

/* One option's value into *a. 0, or the exit status (2: a usage error,
 * its line printed). */
static int parse_opt(int c, const char *arg, struct hosted_args *a)
{
	unsigned long long v;

	switch (c) {
	case 'w':
		a->ko.workload = arg;
		return 0;
	case 'r':
		a->ring = arg;
		return 0;
	case 's':
		if (!kernel_parse_seconds(arg, &a->ko.duration_ns))
			return 0;
		fprintf(stderr, "bad --seconds '%s'\n", arg);
		return 2;
	case 'n':
		if (parse_uint(arg, &v)) {
			fprintf(stderr, "bad --count '%s'\n", arg);
			return 2;
		}
		a->ko.count = v;
		return 0;
	case 'p':
		/* The bare-metal kernel's ring_pages= rule. */
		if (!parse_uint(arg, &a->ring_pages) &&
		    rs_ring_pages_ok(a->ring_pages))
			return 0;
		fprintf(stderr, "bad --ring-pages '%s' (a power of two from %u"
			" to %u)\n", arg, RS_RING_PAGES_MIN, RS_RING_PAGES_MAX);
		return 2;
	case 'm':
		if (!strcmp(arg, "overwrite"))
			a->ko.mode = RS_MODE_OVERWRITE;
		else if (!strcmp(arg, "discard"))
			a->ko.mode = RS_MODE_DISCARD;
		else {
			fprintf(stderr, "bad --mode '%s'\n", arg);
			return 2;
		}
		return 0;
	case 't':
		if (!parse_uint(arg, &a->tick_hz) && a->tick_hz <= 10000)
			return 0;
		fprintf(stderr, "bad --tick-hz '%s'\n", arg);
		return 2;
	case 'c':
		if (!parse_uint(arg, &a->cpus) && a->cpus >= 1 &&
		    a->cpus <= KERNEL_MAX_CPUS)
			return 0;
		fprintf(stderr, "bad --cpus '%s' (1 to %u)\n", arg,
			KERNEL_MAX_CPUS);
		return 2;
	case 'q':
		a->ko.quiet = true;
		return 0;
	default:
		usage(stderr);
		return 2;
	}
}

/* The ring file, created at its size and mapped shared: the collector
 * reads the same bytes with `collect file:`. NULL after one line. */
static void *map_ring(const char *path, size_t len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)len) != 0) {
		fprintf(stderr, "ringside-hosted: %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		fprintf(stderr, "ringside-hosted: mmap %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	return base;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "ring", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "ring-pages", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "tick-hz", required_argument, NULL, 't' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hosted_args a = {
		.ko = { .mode = RS_MODE_OVERWRITE },
		.ring_pages = RS_RING_PAGES_DEFAULT,
		.tick_hz = DEFAULT_TICK_HZ,
		.cpus = 1,
	};
	int c, rc;

	while ((c = getopt_long(argc, argv, "w:r:s:n:p:m:t:c:qh", opts, NULL)) !=
	       -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if ((rc = parse_opt(c, optarg, &a)) != 0)
			return rc;
	}
	if (optind != argc || !a.ko.workload || !a.ring) {
		usage(stderr);
		return 2;
	}
	if (!workload_find(a.ko.workload)) {
		fprintf(stderr, "ringside-hosted: unknown workload '%s'\n",
			a.ko.workload);
		usage(stderr);
		return 2;
	}

	/* the header, a page for every CPU's registers on a panic (used
	 * only with several CPUs: gt_region_init), then the rings */
	size_t len = (size_t)(2 + a.ring_pages) * RS_PAGE_SIZE;
	void *base = map_ring(a.ring, len);
	if (!base)
		return 2;
	struct hosted_config hc = {
		.ring_base = base,
		.ring_size = len,
		.tick_hz = (unsigned)a.tick_hz,
		.ncpus = (unsigned)a.cpus,
		.console_fd = 1,
	};
	if (hosted_platform_init(&hc) != 0) {
		perror("ringside-hosted: platform init");
		return 2;
	}
	/* stdout is shared with the kernel console (raw writes): keep the
	 * two from interleaving out of order. */
	setvbuf(stdout, NULL, _IONBF, 0);
	kernel_main(&a.ko);
}

/*
 * main.c - ringside-hosted: boots the kernel core as a Linux process, with
 * the trace ring in a MAP_SHARED file so a collector can read it live and
 * it survives the process (including a crash or a kill).
 *
 *   ringside-hosted --workload NAME --ring PATH [--seconds S] [--count N]
 *                   [--ring-pages N] [--mode overwrite|discard]
 *                   [--tick-hz N] [--quiet]
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
		"                       [--quiet]\n"
		"workloads:");
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
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kernel_options ko = { .mode = RS_MODE_OVERWRITE };
	const char *ring = NULL;
	unsigned long long ring_pages = RS_RING_PAGES_DEFAULT;
	unsigned long long tick_hz = DEFAULT_TICK_HZ, v;
	int c;

	while ((c = getopt_long(argc, argv, "w:r:s:n:p:m:t:qh", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'w':
			ko.workload = optarg;
			break;
		case 'r':
			ring = optarg;
			break;
		case 's':
			if (kernel_parse_seconds(optarg, &ko.duration_ns)) {
				fprintf(stderr, "bad --seconds '%s'\n", optarg);
				return 2;
			}
			break;
		case 'n':
			if (parse_uint(optarg, &v)) {
				fprintf(stderr, "bad --count '%s'\n", optarg);
				return 2;
			}
			ko.count = v;
			break;
		case 'p':
			/* The bare-metal kernel's ring_pages= rule. */
			if (parse_uint(optarg, &ring_pages) ||
			    !rs_ring_pages_ok(ring_pages)) {
				fprintf(stderr, "bad --ring-pages '%s' (a power of"
					" two from %u to %u)\n", optarg,
					RS_RING_PAGES_MIN, RS_RING_PAGES_MAX);
				return 2;
			}
			break;
		case 'm':
			if (!strcmp(optarg, "overwrite"))
				ko.mode = RS_MODE_OVERWRITE;
			else if (!strcmp(optarg, "discard"))
				ko.mode = RS_MODE_DISCARD;
			else {
				fprintf(stderr, "bad --mode '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (parse_uint(optarg, &tick_hz) || tick_hz > 10000) {
				fprintf(stderr, "bad --tick-hz '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q':
			ko.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !ko.workload || !ring) {
		usage(stderr);
		return 2;
	}
	if (!workload_find(ko.workload)) {
		fprintf(stderr, "ringside-hosted: unknown workload '%s'\n",
			ko.workload);
		usage(stderr);
		return 2;
	}

	size_t len = (size_t)(1 + ring_pages) * RS_PAGE_SIZE;
	int fd = open(ring, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)len) != 0) {
		fprintf(stderr, "ringside-hosted: %s: %s\n", ring,
			strerror(errno));
		return 2;
	}
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		fprintf(stderr, "ringside-hosted: mmap %s: %s\n", ring,
			strerror(errno));
		return 2;
	}

	struct hosted_config hc = {
		.ring_base = base,
		.ring_size = len,
		.tick_hz = (unsigned)tick_hz,
		.console_fd = 1,
	};
	if (hosted_platform_init(&hc) != 0) {
		perror("ringside-hosted: platform init");
		return 2;
	}
	/* stdout is shared with the kernel console (raw writes): keep the
	 * two from interleaving out of order. */
	setvbuf(stdout, NULL, _IONBF, 0);
	kernel_main(&ko);
}

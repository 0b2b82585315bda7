/*
 * fuzz_common.c - helpers shared by every fuzz harness (see fuzz.h): the
 * aligned copy, the collect-style ring read with its invariant checks,
 * and the private temp directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "import.h"
#include "rs_decode.h"

int fuzz_report_fd = 2;

void fuzz_fail(const char *file, int line, const char *what)
{
	dprintf(fuzz_report_fd, "fuzz: %s:%d: invariant broken: %s\n", file,
		line, what);
	abort();
}

uint8_t *fuzz_aligned_copy(const uint8_t *data, size_t size)
{
	void *p = NULL;

	/* posix_memalign(0) may return NULL; one byte keeps the pointer real
	 * while ASan still flags any read at or past `size`. */
	if (posix_memalign(&p, RS_PAGE_SIZE, size ? size : 1) != 0)
		return NULL;
	if (size)
		memcpy(p, data, size);
	return p;
}

struct ring_check {
	const struct rs_layout *l;
	long events;
};

/* What rs_decode.h promises of every delivered event, whatever the guest
 * wrote: a CPU the layout has, a known non-PAD type, the argument fields
 * of absent arguments zero, and a string that ends within RS_MAX_RECORD. */
static int check_event(void *opaque, const struct rs_event *ev)
{
	struct ring_check *c = opaque;
	int nargs = rs_event_nargs(ev->type);

	FUZZ_CHECK(ev->cpu < c->l->ncpus);
	FUZZ_CHECK(ev->type != RS_EV_PAD);
	FUZZ_CHECK(nargs >= 0 && rs_event_name(ev->type) != NULL);
	if (ev->type != RS_EV_LOST) {
		FUZZ_CHECK(nargs >= 3 || ev->c == 0);
		FUZZ_CHECK(nargs >= 2 || ev->b == 0);
		FUZZ_CHECK(nargs >= 1 || ev->a == 0);
	} else {
		FUZZ_CHECK(ev->a > 0);
	}
	FUZZ_CHECK(!!ev->str == !!rs_event_has_str(ev->type));
	if (ev->str)
		FUZZ_CHECK(ev->str_len <= RS_MAX_RECORD &&
			   strlen(ev->str) == ev->str_len);
	(void)rs_tsc_to_ns(c->l, ev->tsc);
	c->events++;
	return 0;
}

long fuzz_read_ring(const volatile void *region, size_t len, uint64_t gpa)
{
	struct rs_layout l;
	struct rs_status st;
	struct rs_reader r;
	struct ring_check c = { &l, 0 };
	char err[200];

	if (rs_layout_read(region, len, gpa, &l, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		return -1;
	}
	FUZZ_CHECK(l.region_size <= len && l.ncpus >= 1 && l.ncpus <= RS_MAX_CPUS);
	rs_status_read(region, &l, &st);
	FUZZ_CHECK(st.panic.reason[RS_REASON_LEN - 1] == '\0');
	FUZZ_CHECK(st.panic.backtrace_len <= RS_BACKTRACE_MAX);
	if (rs_reader_init(&r, region, len, &l) != 0)
		return -1;
	/* Later polls see the same memory: they must deliver nothing twice
	 * and never step outside the mapping while deciding so. */
	for (int pass = 0; pass < 3; pass++) {
		long got = rs_reader_poll(&r, check_event, &c);
		FUZZ_CHECK(got >= 0);
	}
	uint64_t accepted = 0;
	for (uint32_t i = 0; i < l.ncpus; i++)
		accepted += r.cpu[i].stats.accepted;
	FUZZ_CHECK(accepted <= (uint64_t)c.events);
	rs_reader_free(&r);
	return c.events;
}

/* ---- the temp dir ---------------------------------------------------- */

static char tmp_dir[256];

static void rm_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) == 0 || depth >= 2)
			continue;
		rm_tree(p, depth + 1);   /* a directory (the CTF export) */
		rmdir(p);
	}
	closedir(d);
}

static void tmp_remove(void)
{
	if (tmp_dir[0]) {
		rm_tree(tmp_dir, 0);
		rmdir(tmp_dir);
	}
}

const char *fuzz_tmp_path(const char *name, char *buf, size_t len)
{
	if (!tmp_dir[0]) {
		const char *base = getenv("FUZZ_TMPDIR");
		struct stat st;

		if (!base || !*base)
			base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ?
			       "/dev/shm" : "/tmp";
		mkdir(base, 0700);
		snprintf(tmp_dir, sizeof(tmp_dir), "%s/fuzz-ringside-XXXXXX", base);
		if (!mkdtemp(tmp_dir)) {
			fprintf(stderr, "fuzz: mkdtemp %s: %s\n", tmp_dir,
				strerror(errno));
			abort();
		}
		atexit(tmp_remove);
	}
	snprintf(buf, len, "%s/%s", tmp_dir, name);
	return buf;
}

void fuzz_tmp_clean(void)
{
	if (tmp_dir[0])
		rm_tree(tmp_dir, 0);
}

int fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (size) {
		ssize_t n = write(fd, data, size);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		data += n;
		size -= (size_t)n;
	}
	return close(fd);
}

/* ---- importers ------------------------------------------------------- */

struct import_seen {
	uint64_t next_seq[RS_MAX_CPUS];
	uint64_t events, gaps;
};

static int import_event(void *opaque, const struct rs_event *ev)
{
	struct import_seen *s = opaque;
	struct rs_event again;
	char buf[RS_MAX_RECORD + 1];

	FUZZ_CHECK(ev->cpu < RS_MAX_CPUS);
	FUZZ_CHECK(ev->seq == s->next_seq[ev->cpu]);
	s->next_seq[ev->cpu]++;
	FUZZ_CHECK(ev->type != RS_EV_PAD && ev->type != RS_EV_LOST &&
		   rs_event_nargs(ev->type) >= 0);
	FUZZ_CHECK(ev->raw && ev->raw_size >= RS_RECORD_HDR &&
		   ev->raw_size <= RS_MAX_RECORD && ev->raw_size % 8 == 0);
	FUZZ_CHECK(!ev->str == !(rs_event_has_str(ev->type) == 1));
	if (ev->str)
		FUZZ_CHECK(strlen(ev->str) == ev->str_len);
	FUZZ_CHECK(rs_decode_record(ev->raw, ev->raw_size, &again, buf) ==
		   ev->raw_size);
	FUZZ_CHECK(again.type == ev->type && again.tsc == ev->tsc &&
		   again.a == ev->a && again.b == ev->b && again.c == ev->c);
	FUZZ_CHECK(ev->tsc <= INT64_MAX);
	s->events++;
	return 0;
}

static int import_gap(void *opaque, const struct rs_import_gap *g)
{
	struct import_seen *s = opaque;
	FUZZ_CHECK(g->cpu < RS_MAX_CPUS && g->what && g->what[0]);
	FUZZ_CHECK(g->from_ns >= -1 && g->to_ns >= -1);
	s->gaps++;
	return 0;
}

void fuzz_import(fuzz_importer imp, const uint8_t *data, size_t size)
{
	struct import_seen seen;
	struct rs_import_stats st;
	const struct rs_import_sink sink = { import_event, import_gap, &seen };
	char err[256];

	memset(&seen, 0, sizeof(seen));
	err[0] = '\0';
	/* An exact-size copy, so ASan sees any read past the input. */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return;
	memcpy(copy, data, size);
	if (imp(copy, size, &sink, &st, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0' && !strchr(err, '\n'));
	} else {
		FUZZ_CHECK(st.events == seen.events && st.gaps == seen.gaps);
		FUZZ_CHECK(st.ncpus <= RS_MAX_CPUS);
		for (unsigned c = 0; c < RS_MAX_CPUS; c++)
			FUZZ_CHECK(c < st.ncpus || seen.next_seq[c] == 0);
	}
	free(copy);
}

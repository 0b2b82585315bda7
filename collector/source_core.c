/*
 * source_core.c - "core:PATH": guest memory from a QEMU dump-guest-memory
 * ELF64 core (paging off, so PT_LOAD p_paddr is guest-physical), or an
 * `xl dump-core` file, which this only recognises and hands to
 * source_xlcore.c.
 *
 * The file is mapped read-only and parsed by elfcore.c. The region is
 * found by its magic in each PT_LOAD in turn, and must lie within one
 * segment: QEMU writes one segment per RAM block, and the ring sits in
 * ordinary low RAM, so a region split across segments means the dump is
 * not one we understand. The view handed to the collect loop is that one
 * segment, with its guest-physical base, so the header's self-address is
 * checked as for a live guest. NT_PRSTATUS registers ride along.
 *
 * QEMU's segment file offsets are not page (or even 8-byte) aligned, and
 * the decoder reads ring words with aligned loads; a dump never changes,
 * so the region is copied once into a page-aligned buffer and the view
 * is that copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dumpcore.h"
#include "elfcore.h"
#include "rs_decode.h"
#include "rs_file.h"
#include "source.h"

struct core_map {
	void *addr;
	size_t len;
	struct rs_elfcore elf;
	void *region;      /* aligned copy of the region */
};

static void core_close(struct rs_source *src)
{
	struct core_map *m = src->priv;

	if (m) {
		free(m->region);
		rs_elfcore_free(&m->elf);
		munmap(m->addr, m->len);
		free(m);
	}
	src->priv = NULL;
}

static int map_file(const char *path, void **addr, size_t *len, char *err,
		    size_t errlen)
{
	struct stat st;
	int fd = rs_open_regular(path, &st, err, errlen);

	if (fd < 0)
		return fd == RS_NOT_REGULAR ? RS_SOURCE_NEVER : -1;
	if (st.st_size == 0 || (uint64_t)st.st_size > SIZE_MAX) {
		snprintf(err, errlen, "%s: %s", path, st.st_size ?
			 "too large to map" : "file is empty");
		close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	*addr = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (*addr == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int rs_source_core_open(const char *path, struct rs_source *src, char *err,
			size_t errlen)
{
	struct core_map *m = calloc(1, sizeof(*m));
	char why[300] = "", last[200] = "";
	uint64_t total = 0;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = map_file(path, &m->addr, &m->len, err, errlen);
	if (rc != 0) {
		free(m);
		return rc;
	}
	if (rs_dumpcore_is(m->addr, m->len)) {
		/* The xl source copies what it keeps: the file can go now. */
		rc = rs_source_xlcore_open(m->addr, m->len, path, src, err,
					   errlen);
		munmap(m->addr, m->len);
		free(m);
		return rc;
	}
	if (rs_elfcore_parse(m->addr, m->len, &m->elf, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	for (unsigned i = 0; i < m->elf.nload; i++) {
		const struct rs_elf_load *ld = &m->elf.load[i];
		const uint8_t *base = (const uint8_t *)m->addr + ld->offset;
		struct rs_layout l;

		total += ld->filesz;
		int64_t at = rs_region_find(base, (size_t)ld->filesz, ld->paddr,
					    &l, why, sizeof(why));
		if (at < 0) {
			/* Keep a reason that says more than "not found". */
			if (strncmp(why, "found", 5) == 0)
				snprintf(last, sizeof(last), "%s", why);
			continue;
		}
		/* rs_region_find checked region_size against the segment. */
		if (posix_memalign(&m->region, RS_PAGE_SIZE, (size_t)l.region_size) != 0) {
			snprintf(err, errlen, "%s: out of memory for the ring copy", path);
			goto fail;
		}
		memcpy(m->region, base + at, (size_t)l.region_size);
		src->base = m->region;
		src->len = (size_t)l.region_size;
		src->gpa = ld->paddr + (uint64_t)at;
		src->live = 0;
		src->hint_offset = 0;
		src->check_gpa = 1;
		src->vcpu = m->elf.vcpu;
		src->nvcpu = m->elf.nvcpu;
		src->vcpu_origin = "core NT_PRSTATUS";
		src->close = core_close;
		src->priv = m;
		return 0;
	}
	if (last[0])
		snprintf(err, errlen, "%s: %s (the region must lie within one"
			 " PT_LOAD segment)", path, last);
	else
		snprintf(err, errlen, "%s: no ringside region in %u PT_LOAD"
			 " segment(s), %llu bytes of guest memory (the region must"
			 " lie within one segment)", path, m->elf.nload,
			 (unsigned long long)total);
fail:
	rs_elfcore_free(&m->elf);
	munmap(m->addr, m->len);
	free(m);
	return -1;
}

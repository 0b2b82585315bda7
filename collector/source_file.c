/*
 * source_file.c - "file:PATH": a ring file or a shared guest-RAM file
 * (QEMU memory-backend-file), mapped read-only and shared so a live
 * guest's writes show up without re-reading. File offset 0 is
 * guest-physical address 0, which holds for QEMU RAM below the low-memory
 * split and is harmless for standalone ring files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rs_file.h"
#include "source.h"

struct file_map {
	void *addr;
	size_t len;
};

static void file_close(struct rs_source *src)
{
	struct file_map *m = src->priv;

	if (m) {
		munmap(m->addr, m->len);
		free(m);
	}
	src->priv = NULL;
}

/* Maps `fd`, already known to be a regular file (st is its stat). */
static int map_regular(int fd, const struct stat *st, const char *path,
		       struct rs_source *src, char *err, size_t errlen)
{
	struct file_map *map;

	if (st->st_size == 0) {
		snprintf(err, errlen, "%s: file is empty", path);
		return -1;
	}
	if ((uint64_t)st->st_size > SIZE_MAX) {
		snprintf(err, errlen, "%s: file too large to map", path);
		return -1;
	}
	void *addr = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
		return -1;
	}
	map = malloc(sizeof(*map));
	if (!map) {
		munmap(addr, (size_t)st->st_size);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	map->addr = addr;
	map->len = (size_t)st->st_size;
	src->base = addr;
	src->len = (size_t)st->st_size;
	src->gpa = 0;
	src->live = 1;
	src->hint_offset = 0;
	src->check_gpa = 0;
	src->close = file_close;
	src->priv = map;
	return 0;
}

int rs_source_fd_open(int fd, const char *path, struct rs_source *src,
		      char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return RS_SOURCE_NEVER;
	}
	return map_regular(fd, &st, path, src, err, errlen);
}

/*
 * A QEMU or xl core handed to file: holds guest memory at file offsets
 * that are not guest-physical addresses, so no region is found in it:
 * say what it is and how to read it instead.
 */
static int elf_given_to_file(struct rs_source *src, const char *path,
			     char *err, size_t errlen)
{
	if (src->len < 4 || memcmp((const void *)src->base, "\177ELF", 4) != 0)
		return 0;
	snprintf(err, errlen, "%s: an ELF file (a core dump?), not a ring or"
		 " guest-RAM file: read a core with core:%s", path, path);
	return 1;
}

int rs_source_file_open(const char *path, struct rs_source *src, char *err,
			size_t errlen)
{
	struct stat st;
	int fd = rs_open_regular(path, &st, err, errlen);

	if (fd < 0)
		return fd == RS_NOT_REGULAR ? RS_SOURCE_NEVER : -1;
	int rc = map_regular(fd, &st, path, src, err, errlen);
	close(fd);
	if (rc == 0 && elf_given_to_file(src, path, err, errlen)) {
		file_close(src);
		return RS_SOURCE_NEVER;
	}
	return rc;
}

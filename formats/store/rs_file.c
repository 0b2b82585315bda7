/*
 * rs_file.c - open a path a user named without blocking, and refuse what
 * is not a regular file (see rs_file.h).
 */
#include "rs_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "something else";
}

static int refuse(const char *path, mode_t mode, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: is %s, not a regular file", path,
		 kind_of(mode));
	return RS_NOT_REGULAR;
}

int rs_open_regular(const char *path, struct stat *st, char *err,
		    size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO for reading returns at once instead of
	 * waiting for a writer; O_NOCTTY: a terminal never becomes ours. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		int saved = errno;
		/* A socket cannot be opened at all (ENXIO): name it. */
		if (saved == ENXIO && stat(path, st) == 0 && !S_ISREG(st->st_mode))
			return refuse(path, st->st_mode, err, errlen);
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return refuse(path, st->st_mode, err, errlen);
	}
	/* Regular files ignore O_NONBLOCK; drop it so callers get a plain fd. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

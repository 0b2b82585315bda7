/*
 * rs_file.h - opening a file a user named, for tools that must never hang
 * on what they are pointed at.
 *
 * Every input ringside reads by path (a ring or guest-RAM file, a core, a
 * trace database) is mapped or handed to SQLite, which only makes sense
 * for a regular file. A plain open(2) of a FIFO blocks until a writer
 * comes, forever if none does; /dev/zero maps as endless zeros; a
 * directory or socket gives errors that do not say what is wrong. So each
 * such path is first opened here, once: without blocking, then refused
 * unless fstat says it is a regular file. QEMU's /dev/shm RAM files are
 * regular files and pass.
 */
#ifndef RS_FILE_H
#define RS_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/* rs_open_regular's refusal of an existing path that is not a regular
 * file: it will not become one by waiting (unlike a missing file). */
#define RS_NOT_REGULAR (-2)

/*
 * Open `path` read-only (O_CLOEXEC) as a regular file. Returns the fd,
 * an ordinary blocking one, with its stat in *st; or -1 if open failed
 * (errno kept, e.g. ENOENT) or RS_NOT_REGULAR, both with a one-line
 * reason "<path>: ..." in err.
 */
int rs_open_regular(const char *path, struct stat *st, char *err,
		    size_t errlen);

#endif /* RS_FILE_H */

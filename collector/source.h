/*
 * source.h - where guest memory comes from.
 *
 * A source is a read-only view of guest memory: a pointer, a length, and
 * the guest-physical address of its first byte. The collector finds and
 * reads the ring through this view only, so new kinds of guest memory
 * (core dumps, live Xen domains) plug in as new source files without the
 * collect loop changing. Sources never write guest memory.
 */
#ifndef RS_COLLECTOR_SOURCE_H
#define RS_COLLECTOR_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct rs_source {
	const volatile uint8_t *base;  /* byte 0 of the view */
	size_t len;                    /* readable bytes at base */
	uint64_t gpa;                  /* guest-physical address of base[0] */
	int live;                      /* 1 if the guest may still write it */
	/*
	 * Where to look for the region header first, relative to base, and
	 * whether its self-address can be trusted to match (a standalone
	 * ring file has no meaningful guest-physical address).
	 */
	uint64_t hint_offset;
	int check_gpa;
	char spec[256];                /* what the user asked for, for the db */
	void (*close)(struct rs_source *src);
	void *priv;
};

/*
 * Open the source named by `spec` ("file:PATH", ...). Returns 0, or -1
 * with a one-line reason in `err`; returns -2 if `spec` names no known
 * kind of source (a usage error, not bad input).
 */
int rs_source_open(const char *spec, struct rs_source *src, char *err,
		   size_t errlen);
void rs_source_close(struct rs_source *src);

/* One constructor per kind; rs_source_open dispatches on the prefix. */
int rs_source_file_open(const char *path, struct rs_source *src, char *err,
			size_t errlen);

#endif /* RS_COLLECTOR_SOURCE_H */

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

/*
 * One vCPU's registers as the host saw them (a core dump's NT_PRSTATUS
 * notes, or the QEMU monitor): named, because each origin has its own set.
 */
#define RS_VCPU_REGS_MAX 32
#define RS_VCPUS_MAX     64
struct rs_vcpu_regs {
	unsigned cpu;
	unsigned n;
	struct {
		char name[12];
		uint64_t value;
	} reg[RS_VCPU_REGS_MAX];
};

/* Append a register (ignored once full). */
void rs_vcpu_regs_add(struct rs_vcpu_regs *r, const char *name, uint64_t v);
/* Look one up by name: 0 and *v, or -1. */
int rs_vcpu_regs_get(const struct rs_vcpu_regs *r, const char *name,
		     uint64_t *v);

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
	/* Registers the source carries (core dumps), else nvcpu == 0. */
	const struct rs_vcpu_regs *vcpu;
	unsigned nvcpu;
	const char *vcpu_origin;       /* e.g. "core NT_PRSTATUS" */
	void (*close)(struct rs_source *src);
	void *priv;
};

/* rs_source_open's results, one meaning each, every failure with a
 * one-line reason in `err`:
 *   0                 open;
 *   -1                not there yet (it may appear: --wait-secs tries again);
 *   RS_SOURCE_USAGE   `spec` names no known kind of source, or no path: a
 *                     usage error (exit 2), not bad input;
 *   RS_SOURCE_NEVER   can never open, however long one waits: the path is a
 *                     FIFO, socket, device or directory, or a core given to
 *                     file:. */
#define RS_SOURCE_USAGE (-2)
#define RS_SOURCE_NEVER (-3)

/* Open the source named by `spec` ("file:PATH", ...): see above. */
int rs_source_open(const char *spec, struct rs_source *src, char *err,
		   size_t errlen);
void rs_source_close(struct rs_source *src);

/* One constructor per kind; rs_source_open dispatches on the prefix.
 * Each returns 0, -1 or RS_SOURCE_NEVER, as rs_source_open does. */
int rs_source_file_open(const char *path, struct rs_source *src, char *err,
			size_t errlen);
/* A file already open (ringside run's unlinked guest RAM): maps `fd`
 * read-only; `fd` stays the caller's. */
int rs_source_fd_open(int fd, const char *label, struct rs_source *src,
		      char *err, size_t errlen);
/* "core:PATH": a QEMU dump-guest-memory ELF64 core (source_core.c), or
 * an xl dump-core file (source_xlcore.c). "xen:DOMAIN" is not opened
 * here: it needs Xen's libraries, which only the ringside binary links
 * (xen.h, source_xen.c). */
int rs_source_core_open(const char *path, struct rs_source *src, char *err,
			size_t errlen);

#endif /* RS_COLLECTOR_SOURCE_H */

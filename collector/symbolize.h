/*
 * symbolize.h - names for guest code addresses: function and file:line
 * from the kernel's ELF (its symbol table and DWARF), read with elfutils'
 * libdwfl. The only collector file that includes libdw is symbolize.c;
 * this header is plain C, so the store, info and run can carry names
 * without knowing where they came from.
 *
 * The ELF is input like any other: a path that is not a regular file, not
 * a 64-bit x86-64 ELF, or that libelf cannot read is refused at open with
 * one line. An address outside the ELF's executable sections (a kernel
 * that does not match the trace) gets no name ("??"), never a guess.
 */
#ifndef RS_COLLECTOR_SYMBOLIZE_H
#define RS_COLLECTOR_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

/* What one address resolved to. */
struct rs_sym_name {
	int tried;              /* 0: never looked up (no kernel ELF known) */
	char function[128];     /* "" when unknown: print "??" */
	char file[256];         /* "" when there is no line information */
	int line;               /* 0 when there is no line information */
};

struct rs_symbolizer;

/* Open `path`; NULL with a one-line reason in `err` (without the
 * "ringside: " prefix). Never blocks on a FIFO or device. */
struct rs_symbolizer *rs_sym_open(const char *path, char *err,
				  size_t errlen);
/*
 * Name `addr`. A return address (`is_return`: a backtrace frame, or the
 * rip a software panic() records) points after its call, possibly into
 * the next function, so the call itself (addr - 1) is what is named.
 */
void rs_sym_lookup(struct rs_symbolizer *s, uint64_t addr, int is_return,
		   struct rs_sym_name *out);
void rs_sym_close(struct rs_symbolizer *s);
/* rs_sym_open for the command line: a refusal is printed as the one
 * "ringside: " line. */
struct rs_symbolizer *rs_sym_open_cli(const char *path);

struct rs_summary;
/* Name every code address of a summary: the panic rip, the backtrace and
 * each vCPU's rip (replacing names it already had). */
void rs_sym_summary(struct rs_symbolizer *s, struct rs_summary *sum);

/* `ringside info --kernel ELF`: rs_info with the frames named from the
 * ELF at print time. Returns the exit status. */
int rs_info_kernel(const char *db_path, int64_t trace_id, int json,
		   const char *kernel);

#endif /* RS_COLLECTOR_SYMBOLIZE_H */

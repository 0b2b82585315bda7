/*
 * elfcore.h - parsing an ELF64 core file (QEMU dump-guest-memory) with
 * every field checked against the file before use: the file may be
 * truncated, corrupt or made up, and nothing in it may send the reader
 * outside the mapping.
 */
#ifndef RS_COLLECTOR_ELFCORE_H
#define RS_COLLECTOR_ELFCORE_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/* One PT_LOAD: guest-physical address -> bytes in the file. */
struct rs_elf_load {
	uint64_t paddr;
	uint64_t offset;
	uint64_t filesz;
};

struct rs_elfcore {
	struct rs_elf_load *load;   /* in program-header order */
	unsigned nload;
	struct rs_vcpu_regs *vcpu;  /* one per NT_PRSTATUS note */
	unsigned nvcpu;
};

/*
 * Parse `len` bytes at `file`. Returns 0, or -1 with a one-line reason in
 * `err` (an xl dump-core file is refused by name: dumpcore.h reads those).
 */
int rs_elfcore_parse(const uint8_t *file, size_t len, struct rs_elfcore *out,
		     char *err, size_t errlen);
void rs_elfcore_free(struct rs_elfcore *c);

/* Shared by the ELF readers (QEMU cores here, xl dump-core in
 * dumpcore.c): does [off, off + size) lie inside a file of `len` bytes,
 * without overflow? And a one-line error, returning -1. */
int rs_elf_in_file(uint64_t off, uint64_t size, size_t len);
int rs_elf_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* RS_COLLECTOR_ELFCORE_H */

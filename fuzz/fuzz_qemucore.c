/*
 * fuzz_qemucore.c - libFuzzer target: the QEMU ELF core reader behind
 * `ringside collect core:PATH` (collector/elfcore.c, source_core.c).
 *
 * A core file is whatever the user points the collector at: truncated,
 * corrupt or made up. The input is that file. It goes through
 *   - rs_elfcore_parse on the bytes (program headers, PN_XNUM, notes,
 *     NT_PRSTATUS registers), checking that every PT_LOAD it returns lies
 *     inside the file;
 *   - rs_source_core_open on the same bytes as a file (a memfd opened by
 *     its /proc path, so nothing touches the disk), which also takes the
 *     xl dump-core branch when the bytes look like one, finds the region
 *     per PT_LOAD and copies it; then the region is read exactly as the
 *     collect loop reads a core (header at the view's gpa, every CPU
 *     polled) and the source is closed.
 * Seeds: real `ringside run --dump` cores, trimmed to the notes, one page
 * of RAM and the ring (seed_trim.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elfcore.h"
#include "fuzz.h"
#include "rs_decode.h"
#include "source.h"

static int core_fd = -1;
static char core_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	core_fd = memfd_create("ringside-fuzz-core", MFD_CLOEXEC);
	if (core_fd < 0) {
		perror("fuzz: memfd_create");
		abort();
	}
	snprintf(core_path, sizeof(core_path), "/proc/self/fd/%d", core_fd);
	return 0;
}

static void parse_bytes(const uint8_t *file, size_t size)
{
	struct rs_elfcore c;
	char err[300];

	if (rs_elfcore_parse(file, size, &c, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	for (unsigned i = 0; i < c.nload; i++)
		FUZZ_CHECK(rs_elf_in_file(c.load[i].offset, c.load[i].filesz, size));
	FUZZ_CHECK(c.nvcpu <= RS_VCPUS_MAX);
	for (unsigned i = 0; i < c.nvcpu; i++)
		FUZZ_CHECK(c.vcpu[i].n <= RS_VCPU_REGS_MAX);
	rs_elfcore_free(&c);
}

static void open_as_file(const uint8_t *data, size_t size)
{
	struct rs_source src = { 0 };
	char err[600];

	/* The memfd is the one file every input reuses: its contents are
	 * replaced in full, so nothing of the previous input remains. */
	if (ftruncate(core_fd, 0) != 0 || pwrite(core_fd, data, size, 0) != (ssize_t)size)
		abort();
	if (rs_source_core_open(core_path, &src, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	FUZZ_CHECK(src.base != NULL && src.len > 0 && src.check_gpa);
	FUZZ_CHECK(src.nvcpu == 0 || src.vcpu != NULL);
	fuzz_read_ring(src.base, src.len, src.gpa);
	rs_source_close(&src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *file = fuzz_aligned_copy(data, size);

	if (!file)
		return 0;
	parse_bytes(file, size);
	free(file);
	open_as_file(data, size);
	return 0;
}

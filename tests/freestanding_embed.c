/*
 * freestanding_embed.c - proves another kernel can link guest-trace the
 * way its README says: compiled and linked with -ffreestanding -nostdlib,
 * with only the flags `pkg-config guest-trace` gives plus the kernel's own
 * memcpy/memset, and no libc at all. Built by `make check`; it is never
 * run, linking is the test.
 */
#include <guest_trace.h>

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *s, int c, size_t n);

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;
	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

static unsigned char region[RS_HEADER_SIZE + 4 * RS_PAGE_SIZE]
	__attribute__((aligned(4096)));

void _start(void);
void _start(void)
{
	struct gt_config cfg = {
		.region_size = sizeof(region), .ncpus = 1, .tsc_hz = 1000000000,
		.nonce = 1,
	};
	struct rs_header *h = (struct rs_header *)region;

	if (gt_region_init(h, &cfg) == 0) {
		gt_emit(h, 0, RS_EV_MARK, 0, 0, 0, 0, 0);
		gt_emit_str(h, 0, RS_EV_MARK, 0, 1, 1, 0, "embedded");
	}
	for (;;)
		__asm__ __volatile__("hlt");
}

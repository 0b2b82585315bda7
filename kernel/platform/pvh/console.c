/*
 * console.c - boot and panic output to both QEMU's debug port 0xE9
 * (-debugcon; Xen forwards it too) and COM1. No interrupts, and no lock
 * that can hang: it must work from the panic path with everything else
 * broken. With several CPUs a line is written whole under a lock, so
 * lines do not interleave; but the lock is only waited for a bounded
 * time (a CPU stopped or stuck while holding it must not silence the
 * panic), and a CPU that already holds it (an NMI or fault in the middle
 * of a line) writes straight through.
 */
#include "pvh.h"

#include "../../core/platform.h"

#define DEBUGCON 0xe9
#define COM1 0x3f8

static bool com1_ok;

void console_init(void)
{
	/* The scratch register reads back only if a UART is there; PVH
	 * under Xen has none, and then every port reads 0xff. */
	outb(COM1 + 7, 0x5a);
	if (inb(COM1 + 7) != 0x5a)
		return;
	outb(COM1 + 1, 0x00);           /* no UART interrupts */
	outb(COM1 + 3, 0x80);           /* DLAB on */
	outb(COM1 + 0, 0x01);           /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);           /* 8n1, DLAB off */
	outb(COM1 + 2, 0xc7);           /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03);           /* DTR, RTS; OUT2 off: no IRQ */
	com1_ok = true;
}

static void com1_putc(char c)
{
	/* Bounded wait for the transmitter: a wedged UART must not hang
	 * the panic path. */
	for (unsigned i = 0; i < 100000; i++)
		if (inb(COM1 + 5) & 0x20)
			break;
	outb(COM1, (uint8_t)c);
}

#define LOCK_SPINS (1u << 22)

static volatile uint32_t owner;         /* 1 + the CPU writing, 0: free */

/* Takes the console for this CPU, waiting a bounded time; a holder that
 * kept it that long (stopped, or stuck with interrupts off) loses it, so
 * a panic's lines after the first do not wait again. */
static void console_lock(uint32_t me)
{
	for (unsigned spin = 0; spin < LOCK_SPINS; spin++) {
		uint32_t none = 0;
		if (__atomic_compare_exchange_n(&owner, &none, me, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		__asm__ __volatile__("pause");
	}
	__atomic_store_n(&owner, me, __ATOMIC_SEQ_CST);
}

void platform_console_write(const char *s, size_t n)
{
	uint32_t me = platform_cpu() + 1;
	/* Already ours: an NMI or a fault in the middle of this CPU's own
	 * line writes straight through and leaves the lock to that line. */
	bool nested = owner == me;

	if (!nested)
		console_lock(me);
	for (size_t i = 0; i < n; i++) {
		outb(DEBUGCON, (uint8_t)s[i]);
		if (com1_ok) {
			if (s[i] == '\n')
				com1_putc('\r');
			com1_putc(s[i]);
		}
	}
	/* Released only if nobody took it over meanwhile. */
	uint32_t mine = me;
	if (!nested)
		__atomic_compare_exchange_n(&owner, &mine, 0, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

void console_puts(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	platform_console_write(s, n);
}

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

void platform_console_write(const char *s, size_t n)
{
	uint32_t me = platform_cpu() + 1, none = 0;
	bool locked = false;

	for (unsigned i = 0; owner != me && i < LOCK_SPINS; i++) {
		none = 0;
		if (__atomic_compare_exchange_n(&owner, &none, me, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			locked = true;
			break;
		}
		__asm__ __volatile__("pause");
	}
	for (size_t i = 0; i < n; i++) {
		outb(DEBUGCON, (uint8_t)s[i]);
		if (com1_ok) {
			if (s[i] == '\n')
				com1_putc('\r');
			com1_putc(s[i]);
		}
	}
	if (locked)
		__atomic_store_n(&owner, 0, __ATOMIC_RELEASE);
}

void console_puts(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	platform_console_write(s, n);
}

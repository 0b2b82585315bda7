/*
 * console.c - boot and panic output to both QEMU's debug port 0xE9
 * (-debugcon; Xen forwards it too) and COM1. No locks and no interrupts:
 * it must work from the panic path with everything else broken.
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

void platform_console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		outb(DEBUGCON, (uint8_t)s[i]);
		if (com1_ok) {
			if (s[i] == '\n')
				com1_putc('\r');
			com1_putc(s[i]);
		}
	}
}

void console_puts(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	platform_console_write(s, n);
}

/*
 * klib.c - string helpers and a small printf for the freestanding core.
 *
 * Deliberately minimal: the kernel prints boot messages, panic reports and
 * labels, nothing that needs floating point or locale handling.
 */
#include "klib.h"
#include "platform.h"

size_t kstrlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t kstrnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int kstrcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int kstrncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++) {
		if (*a != *b || *a == '\0')
			return (unsigned char)*a - (unsigned char)*b;
	}
	return 0;
}

void kstrlcpy(char *dst, const char *src, size_t size)
{
	size_t i = 0;
	if (size == 0)
		return;
	for (; i + 1 < size && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

int kparse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Output cursor that counts everything but stores only what fits, so the
 * return value matches snprintf's contract. */
struct kout {
	char *buf;
	size_t size;
	size_t len;
};

static void kput(struct kout *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void kput_num(struct kout *o, uint64_t v, unsigned base, int upper,
		     int neg, unsigned width, char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	unsigned total = n + (neg ? 1u : 0u);
	if (neg && pad == '0')
		kput(o, '-');
	for (; total < width; total++)
		kput(o, pad);
	if (neg && pad != '0')
		kput(o, '-');
	while (n)
		kput(o, tmp[--n]);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct kout o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			kput(&o, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		unsigned width = 0, lng = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v
					     : (uint64_t)v;
			kput_num(&o, mag, 10, 0, v < 0, width, pad);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, uint64_t)
					 : va_arg(ap, unsigned int);
			kput_num(&o, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0,
				 width, pad);
			break;
		}
		case 'p':
			kput(&o, '0');
			kput(&o, 'x');
			kput_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16,
				 0, 0, width, pad);
			break;
		case 'c':
			kput(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = kstrlen(s);
			for (; n < width; n++)
				kput(&o, ' ');
			while (*s)
				kput(&o, *s++);
			break;
		}
		case '%':
			kput(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			kput(&o, '%');
			kput(&o, *fmt);
			break;
		}
	}
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	platform_console_write(buf, (size_t)n);
}

/*
 * klib.h - the tiny C library the kernel core is allowed to use.
 *
 * The core must build freestanding (it will run on bare metal), so it may
 * not include libc headers. memcpy/memset/memmove are declared here: the
 * hosted platform gets them from libc, bare metal supplies its own. The
 * rest (string length, formatted printing) is ours, in klib.c.
 */
#ifndef KERNEL_KLIB_H
#define KERNEL_KLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);

size_t kstrlen(const char *s);
size_t kstrnlen(const char *s, size_t max);
int kstrcmp(const char *a, const char *b);
int kstrncmp(const char *a, const char *b, size_t n);
/* Copies at most size-1 bytes and always terminates (if size > 0). */
void kstrlcpy(char *dst, const char *src, size_t size);
/* Parses a decimal unsigned number; returns 0 and sets *out, or -1. */
int kparse_u64(const char *s, uint64_t *out);

/*
 * printf subset: %s %c %d %i %u %x %X %p %% with l/ll/z modifiers, field
 * width and '0' padding. Returns the length the full output would have had,
 * like snprintf.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Formats into a bounded buffer and writes it to the platform console. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define KARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KUNUSED(x) ((void)(x))
#define KLIKELY(x) __builtin_expect(!!(x), 1)
#define KUNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* KERNEL_KLIB_H */

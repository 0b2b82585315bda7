/*
 * qmp.c - the QMP client `ringside run` talks to QEMU with (qmp.h).
 *
 * QMP is newline-delimited JSON over a Unix socket. Replies and events
 * interleave, so every read goes through one line handler that records
 * events and hands back the first reply. Lines are bounded (a longer one
 * drops the link rather than growing a buffer without end), every wait
 * has a deadline, and parsing is json_scan.c's bounded reader.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "json_scan.h"
#include "mono.h"
#include "qmp.h"
#include "ringside_ring.h"
#include "source.h"

static void on_event(struct rs_qmp *q, const char *line, size_t n)
{
	char name[48];
	size_t vlen;
	const char *v = rs_json_member(line, n, "event", &vlen);

	if (!v || rs_json_string(v, vlen, name, sizeof(name)) != 0)
		return;
	if (strcmp(name, "SHUTDOWN") == 0) {
		static const char *const path[] = { "data", "reason", NULL };
		q->shutdown = 1;
		v = rs_json_path(line, n, path, &vlen);
		if (!v || rs_json_string(v, vlen, q->shutdown_reason,
					 sizeof(q->shutdown_reason)) != 0)
			snprintf(q->shutdown_reason, sizeof(q->shutdown_reason),
				 "unknown");
	} else if (strcmp(name, "GUEST_PANICKED") == 0) {
		q->panicked = 1;
	} else if (strcmp(name, "STOP") == 0) {
		q->running = 0;
	} else if (strcmp(name, "RESUME") == 0) {
		q->running = 1;
	} else if (strcmp(name, "DUMP_COMPLETED") == 0) {
		q->dump_done = 1;
	}
}

/*
 * Read until a complete non-event line is in q->buf (returns its length,
 * NUL-terminated), or the deadline passes (0), or the link fails (-1).
 * deadline < 0: only handle what is already readable.
 */
static long read_reply(struct rs_qmp *q, double deadline)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			size_t n = (size_t)(nl - q->buf);
			*nl = '\0';
			size_t vlen;
			if (rs_json_member(q->buf, n, "event", &vlen)) {
				on_event(q, q->buf, n);
				memmove(q->buf, nl + 1, q->len - n - 1);
				q->len -= n + 1;
				continue;
			}
			return (long)n;  /* the caller consumes it */
		}
		if (q->len >= RS_QMP_LINE_MAX - 1) {
			q->closed = 1;  /* a line this long is not QMP */
			return -1;
		}
		int wait_ms = 0;
		if (deadline >= 0) {
			double left = deadline - rs_mono_now();
			if (left <= 0)
				return 0;
			wait_ms = (int)(left * 1000) + 1;
		}
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, wait_ms);
		if (pr < 0 && errno == EINTR)
			return 0;  /* a signal: let the caller look at it */
		if (pr <= 0)
			return pr < 0 ? -1 : 0;
		ssize_t r = read(q->fd, q->buf + q->len, RS_QMP_LINE_MAX - 1 - q->len);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				return 0;
			q->closed = 1;
			return -1;
		}
		q->len += (size_t)r;
	}
}

static void consume(struct rs_qmp *q, long n)
{
	memmove(q->buf, q->buf + n + 1, q->len - (size_t)n - 1);
	q->len -= (size_t)n + 1;
}

int rs_qmp_pump(struct rs_qmp *q, int timeout_ms)
{
	if (q->closed)
		return -1;
	double deadline = timeout_ms > 0 ? rs_mono_now() + timeout_ms / 1000.0 : -1;
	long n = read_reply(q, deadline);
	/* A reply nobody waits for (a late one after a timeout): drop it. */
	if (n > 0)
		consume(q, n);
	return q->closed ? -1 : 0;
}

static int send_all(struct rs_qmp *q, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = send(q->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			q->closed = 1;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int rs_qmp_command(struct rs_qmp *q, const char *cmd, double timeout,
		   char *ret, size_t retlen, char *err, size_t errlen)
{
	const double deadline = rs_mono_now() + timeout;
	size_t vlen;

	if (q->closed || send_all(q, cmd) != 0 || send_all(q, "\n") != 0) {
		snprintf(err, errlen, "QMP: QEMU closed the monitor connection");
		return -1;
	}
	for (;;) {
		long n = read_reply(q, deadline);
		if (n < 0) {
			snprintf(err, errlen, "QMP: QEMU closed the monitor connection");
			return -1;
		}
		if (n == 0) {
			if (rs_mono_now() < deadline)
				continue;  /* EINTR: keep waiting */
			snprintf(err, errlen, "QMP: no reply within %.0f s", timeout);
			return -1;
		}
		const char *v;
		if ((v = rs_json_member(q->buf, (size_t)n, "error", &vlen))) {
			char desc[200] = "unknown error";
			size_t dlen;
			const char *d = rs_json_member(v, vlen, "desc", &dlen);
			if (d)
				rs_json_string(d, dlen, desc, sizeof(desc));
			snprintf(err, errlen, "QMP: %s", desc);
			consume(q, n);
			return -1;
		}
		if ((v = rs_json_member(q->buf, (size_t)n, "return", &vlen))) {
			if (ret && retlen) {
				if (rs_json_string(v, vlen, ret, retlen) != 0)
					snprintf(ret, retlen, "%.*s", (int)vlen, v);
			}
			consume(q, n);
			return 0;
		}
		consume(q, n);  /* neither: the greeting, or noise */
	}
}

int rs_qmp_connect(struct rs_qmp *q, const char *path, double timeout,
		   char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const double deadline = rs_mono_now() + timeout;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	q->running = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "QMP socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	q->buf = malloc(RS_QMP_LINE_MAX);
	if (!q->buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			return -1;
		}
		if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		int e = errno;
		close(q->fd);
		q->fd = -1;
		if ((e != ENOENT && e != ECONNREFUSED) || rs_mono_now() >= deadline) {
			snprintf(err, errlen, "QMP: cannot connect to %s: %s", path,
				 strerror(e));
			return -1;
		}
		usleep(2000);
	}
	/* The greeting is a line with "QMP"; then command mode. */
	long n = read_reply(q, deadline);
	if (n <= 0) {
		snprintf(err, errlen, "QMP: no greeting from QEMU");
		return -1;
	}
	size_t vlen;
	if (!rs_json_member(q->buf, (size_t)n, "QMP", &vlen)) {
		snprintf(err, errlen, "QMP: unexpected greeting");
		return -1;
	}
	consume(q, n);
	return rs_qmp_command(q, "{\"execute\": \"qmp_capabilities\"}",
			      deadline - rs_mono_now() + 1, NULL, 0, err, errlen);
}

void rs_qmp_close(struct rs_qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->buf);
	q->buf = NULL;
	q->closed = 1;
}

/* ---- the monitor's register dump ---------------------------------------- */

/* One CPU's block [text, end): "RAX=0000... RBX=...". */
static void parse_hmp_block(const char *text, const char *end,
			    struct rs_vcpu_regs *r)
{
	static const struct { const char *tag, *name; } regs[] = {
		{ "RAX=", "rax" }, { "RBX=", "rbx" }, { "RCX=", "rcx" },
		{ "RDX=", "rdx" }, { "RSI=", "rsi" }, { "RDI=", "rdi" },
		{ "RBP=", "rbp" }, { "RSP=", "rsp" }, { "R8 =", "r8" },
		{ "R9 =", "r9" }, { "R10=", "r10" }, { "R11=", "r11" },
		{ "R12=", "r12" }, { "R13=", "r13" }, { "R14=", "r14" },
		{ "R15=", "r15" }, { "RIP=", "rip" }, { "RFL=", "rflags" },
		{ "CS =", "cs" }, { "SS =", "ss" }, { "CR0=", "cr0" },
		{ "CR2=", "cr2" }, { "CR3=", "cr3" }, { "CR4=", "cr4" },
		{ "EFER=", "efer" },
		/* a CPU not in long mode (an AP still waiting for its start
		 * IPI is in real mode) is shown with 32-bit names */
		{ "EAX=", "eax" }, { "EBX=", "ebx" }, { "ECX=", "ecx" },
		{ "EDX=", "edx" }, { "ESI=", "esi" }, { "EDI=", "edi" },
		{ "EBP=", "ebp" }, { "ESP=", "esp" }, { "EIP=", "eip" },
		{ "EFL=", "eflags" },
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		const size_t tl = strlen(regs[i].tag);
		const char *p = text;
		/* at a word start: "RAX=" must not hit inside "XRAX=" */
		while ((p = memmem(p, (size_t)(end - p), regs[i].tag, tl)) &&
		       p != text && p[-1] != ' ' && p[-1] != '\n')
			p++;
		if (!p || end - (p + tl) < 1)
			continue;
		/* a bounded copy: strtoull must not run into the next block */
		char num[24];
		size_t n = 0;
		for (const char *d = p + tl; d < end && n + 1 < sizeof num &&
		     strchr("0123456789abcdefABCDEF", *d) && *d; d++)
			num[n++] = *d;
		num[n] = '\0';
		if (n == 0)
			continue;
		rs_vcpu_regs_add(r, regs[i].name, strtoull(num, NULL, 16));
	}
}

unsigned rs_hmp_regs_parse(const char *text, struct rs_vcpu_regs *out,
			   unsigned max)
{
	unsigned n = 0;
	const char *at = strstr(text, "CPU#");
	if (!at) {
		if (max == 0)
			return 0;
		memset(&out[0], 0, sizeof out[0]);
		parse_hmp_block(text, text + strlen(text), &out[0]);
		return out[0].n ? 1 : 0;
	}
	while (at && n < max) {
		char *after;
		errno = 0;
		unsigned long cpu = strtoul(at + 4, &after, 10);
		const char *next = strstr(at + 4, "CPU#");
		const char *end = next ? next : at + strlen(at);
		if (!errno && after != at + 4 && cpu < RS_MAX_CPUS) {
			memset(&out[n], 0, sizeof out[n]);
			out[n].cpu = (unsigned)cpu;
			parse_hmp_block(after, end, &out[n]);
			n += out[n].n != 0;
		}
		at = next;
	}
	return n;
}

/*
 * qmp.h - a minimal QMP (QEMU Machine Protocol) client: connect, negotiate,
 * send a command and wait for its reply, and notice the asynchronous
 * events `ringside run` cares about, all with timeouts.
 */
#ifndef RS_COLLECTOR_QMP_H
#define RS_COLLECTOR_QMP_H

#include <stddef.h>

/* A QMP message longer than this is refused (and the link dropped). */
#define RS_QMP_LINE_MAX (256 * 1024)

struct rs_qmp {
	int fd;
	char *buf;                 /* RS_QMP_LINE_MAX bytes */
	size_t len;
	int closed;                /* EOF or error: QEMU went away */
	/* What the events said so far. */
	int shutdown;              /* SHUTDOWN seen */
	char shutdown_reason[48];  /* e.g. "guest-reset", "host-qmp-quit" */
	int panicked;              /* GUEST_PANICKED seen */
	int running;               /* -1 unknown, else from STOP / RESUME */
	int dump_done;             /* DUMP_COMPLETED seen */
};

/*
 * Connect to the socket at `path` (retrying while it does not exist yet,
 * up to `timeout` seconds), read the greeting and enter command mode.
 * Returns 0, or -1 with a reason in err.
 */
int rs_qmp_connect(struct rs_qmp *q, const char *path, double timeout,
		   char *err, size_t errlen);
/*
 * Send one command (a complete JSON object) and wait up to `timeout`
 * seconds for its reply, handling events that arrive meanwhile. On
 * success returns 0 and, if ret is not NULL, the reply's "return" value
 * decoded as a string when it is one (else the raw JSON), cut to retlen.
 * On an "error" reply, a timeout or a dropped link returns -1 with err.
 */
int rs_qmp_command(struct rs_qmp *q, const char *cmd, double timeout,
		   char *ret, size_t retlen, char *err, size_t errlen);
/* Handle whatever arrives within timeout_ms (0: only what is there).
 * Returns -1 once the link is closed. */
int rs_qmp_pump(struct rs_qmp *q, int timeout_ms);
void rs_qmp_close(struct rs_qmp *q);

struct rs_vcpu_regs;
/*
 * The registers in the human monitor's `info registers -a` text: a block
 * per "CPU#N" line (a text without one is CPU 0's alone), each named by
 * its N. Fills out[0..max) in the monitor's order and returns how many; a
 * block without a single register, or with N past RS_MAX_CPUS, is left out.
 */
unsigned rs_hmp_regs_parse(const char *text, struct rs_vcpu_regs *out,
			   unsigned max);

#endif /* RS_COLLECTOR_QMP_H */

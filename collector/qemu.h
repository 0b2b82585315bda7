/*
 * qemu.h - starting and stopping the QEMU that `ringside run` boots the
 * kernel in, with guest RAM the collector maps, and leaving nothing
 * behind: no process, no /dev/shm file, no temp files.
 */
#ifndef RS_COLLECTOR_QEMU_H
#define RS_COLLECTOR_QEMU_H

#include <stdio.h>
#include <sys/types.h>

#include "qmp.h"

struct rs_qemu_opts {
	const char *qemu;      /* binary, default qemu-system-x86_64 */
	const char *kernel;    /* PVH ELF */
	const char *append;    /* kernel command line */
	unsigned mem_mb;
	unsigned smp;          /* vCPUs: -smp N (0 taken as 1) */
	int gdb;               /* -s -S: wait for a debugger to continue */
};

struct rs_qemu {
	pid_t pid;             /* 0 once reaped */
	int wstatus;           /* QEMU's wait status once reaped */
	int mem_fd;            /* guest RAM (unlinked shm file) */
	int con_fd;            /* debugcon output (unlinked) */
	int err_fd;            /* QEMU's stdout+stderr (unlinked) */
	char shm_name[64];     /* what it was called in /dev/shm, for messages */
	struct rs_qmp qmp;
	double started;        /* CLOCK_MONOTONIC when QEMU was forked */
};

/*
 * Create guest RAM, start QEMU paused (-S), connect QMP. The VM does not
 * run until rs_qemu_cont (or, with gdb, the debugger continues). On
 * failure QEMU is stopped and err says why; the logs can still be
 * printed, then call rs_qemu_free.
 */
int rs_qemu_start(struct rs_qemu *q, const struct rs_qemu_opts *o, char *err,
		  size_t errlen);
int rs_qemu_cont(struct rs_qemu *q, char *err, size_t errlen);
/* Has QEMU exited? Reaps it (non-blocking). */
int rs_qemu_exited(struct rs_qemu *q);
/* Quit QEMU (QMP quit, then SIGKILL after a grace period), reap it and
 * unmap guest RAM; the logs stay readable. Safe to call twice. */
void rs_qemu_stop(struct rs_qemu *q);
/* rs_qemu_stop, then close the logs too. */
void rs_qemu_free(struct rs_qemu *q);
/* Print the last `lines` lines of the debug console and QEMU's output. */
void rs_qemu_print_logs(struct rs_qemu *q, FILE *out, int lines);

#endif /* RS_COLLECTOR_QEMU_H */

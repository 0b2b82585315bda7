/*
 * collect.h - reading a guest's ring through a source and storing its
 * events, once or while the guest runs.
 *
 * Two layers: `rs_collect` is the whole `ringside collect` command; the
 * session functions below are the loop it is made of, exposed so `ringside
 * run` (run.c) drives the very same polling, hang detection and storage
 * while it also watches QEMU.
 */
#ifndef RS_COLLECTOR_COLLECT_H
#define RS_COLLECTOR_COLLECT_H

#include <stdint.h>

#include "rs_decode.h"
#include "source.h"

struct rs_collect_opts {
	const char *source;    /* "file:PATH", "core:PATH", ... */
	const char *db_path;
	int follow;            /* keep polling until the guest stops */
	unsigned poll_ms;      /* follow: time between polls */
	double hang_secs;      /* heartbeat silence that means hung; also how
				* long a one-shot read of a live guest that
				* says running watches for its heartbeat */
	double wait_secs;      /* how long to wait for a region to appear */
	int crash_on_triple_fault;  /* xen: only (xen_collect.c) */
	const char *kernel;    /* --kernel ELF: name the crash frames, or NULL */
	size_t spool_bytes;    /* host memory for records read and not yet
				* committed (spool.h); 0: the default */
	int store_sync;        /* each poll waits for its commit (the design
				* before the spool, for benchmarks) */
};

/* Runs the whole command. Returns the process exit status (0, 1 or 2). */
int rs_collect(const struct rs_collect_opts *o);

/* Why a session stopped polling. */
enum rs_stop {
	RS_STOP_NONE,      /* not stopped: poll again */
	RS_STOP_SNAPSHOT,  /* a one-shot read (no --follow) is done */
	RS_STOP_STATE,     /* the guest says it exited or crashed */
	RS_STOP_HUNG,      /* the heartbeat stopped while the guest ran */
	RS_STOP_DEADLOCK,  /* ticks go on, but the guest says no thread can run */
	RS_STOP_STUCK_CPU, /* one CPU's own heartbeat stopped, others' went on */
	RS_STOP_SIGNAL,    /* SIGINT / SIGTERM / SIGHUP */
	RS_STOP_REBOOT,    /* the region was re-initialised */
};

struct rs_session;

/* SIGINT/SIGTERM/SIGHUP end the loop gracefully; SIGBUS while reading
 * guest memory becomes an error. Returns the signal seen, or 0. */
void rs_collect_install_signals(void);
int rs_collect_stop_signal(void);

/*
 * Errors: a session prints nothing. Every function below that can fail
 * returns -1 (or, for rs_session_attach, one of its codes) and leaves a
 * one-line reason, "<path>: ..." where a file is concerned, for the
 * command to print: rs_session_attach in its `err`, the others in
 * rs_session_error(). rs_session_print_summary is the one that prints,
 * as its name says.
 */
struct rs_session *rs_session_new(const struct rs_collect_opts *o);
/* The last failure of a session function, one line ("" if none). */
const char *rs_session_error(const struct rs_session *s);

/* rs_session_attach's failure that waiting will not mend (the value of
 * RS_SOURCE_NEVER, which means the same for a source). */
#define RS_ATTACH_FAIL (-3)
/*
 * Find the region in `src`, start a reader, open the database and its
 * trace row. On 0 the session owns `src` (closes it in rs_session_free).
 * On failure `src` is still the caller's, with the reason in err:
 * -1, no valid region yet (it may appear: try again); RS_ATTACH_FAIL, the
 * ring cannot be read, the database refused, or out of memory.
 */
int rs_session_attach(struct rs_session *s, struct rs_source *src, char *err,
		      size_t errlen);
/* One poll, stored as one transaction. `last` makes it the final one.
 * Sets *stop (RS_STOP_NONE to go on). 0, or -1 (rs_session_error). */
int rs_session_poll(struct rs_session *s, int last, enum rs_stop *stop);
/* Hang detection only runs while the VM runs (a paused VM beats no
 * heartbeat): run.c says when it is paused. */
void rs_session_set_running(struct rs_session *s, int running);
/* Heartbeat ticks and state as last read. */
uint64_t rs_session_heartbeat(const struct rs_session *s);
int rs_session_guest_done(const struct rs_session *s); /* exited or crashed */
/* The trace's guest_state as stored ("running", "exited", ...). */
const char *rs_session_state(struct rs_session *s);
/*
 * The host's own verdict when the ring cannot give one (a triple fault
 * leaves no panic record): mark the trace crashed with `reason`, and
 * `rip` as the panic address if has_rip. 0, or -1 (rs_session_error).
 */
int rs_session_host_crash(struct rs_session *s, const char *reason,
			  int has_rip, uint64_t rip);
/* Store vCPU registers the host read (QEMU monitor, core notes). 0, or
 * -1 (rs_session_error). */
int rs_session_vcpu_regs(struct rs_session *s, const struct rs_vcpu_regs *r,
			 unsigned n, const char *origin);
/* Name the current trace's code addresses (panic rip, backtrace, vCPU
 * rips as stored) from the kernel ELF and store the names (table frames).
 * 0, or -1 (rs_session_error). */
struct rs_symbolizer;
int rs_session_name_frames(struct rs_session *s, struct rs_symbolizer *sym);
/* When reading is over: measure how far the CPUs' clocks disagree from
 * the stored events (formats/analysis/skew.h) and store it (cpu_skew).
 * 0, or -1 (rs_session_error says why). */
int rs_session_measure_skew(struct rs_session *s);
/* Called with every event stored, after its batch is committed, on the
 * writer thread (spool.h). Set it after rs_session_attach. */
typedef void (*rs_committed_cb)(void *opaque, const uint64_t *tsc, size_t n);
void rs_session_on_commit(struct rs_session *s, rs_committed_cb cb,
			  void *opaque);
/* The spool between reading and committing (spool.h), NULL before
 * attach: for its figures, and for tests that hold its writer. */
struct rs_spool *rs_session_spool(struct rs_session *s);
/* The one-line stderr summary `collect` prints. */
void rs_session_print_summary(struct rs_session *s, enum rs_stop stop);
void rs_session_free(struct rs_session *s);

#endif /* RS_COLLECTOR_COLLECT_H */

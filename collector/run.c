/*
 * run.c - `ringside run`: the embedded default. Boots the kernel in QEMU
 * (qemu.c), collects its ring live through the same session loop as
 * `collect --follow` (collect.c), and decides how the run ended, from the
 * ring first and from QEMU (QMP events, its exit) where the ring cannot
 * know:
 *
 *   exited   the guest set state exited (then left via isa-debug-exit)
 *   crashed  a panic record (state crashed; pvpanic paused QEMU), or a
 *            triple fault (QMP SHUTDOWN reason guest-reset; QEMU paused
 *            with RAM intact, no panic record: the host records the
 *            verdict and the vCPU registers)
 *   hung     no heartbeat for --hang-secs while the VM was running
 *   deadlocked  the ticks went on after the guest published a stall (every
 *            thread blocked, nothing to wake one; RING.md)
 *   stuck-cpu  one CPU's own heartbeat stopped for --hang-secs while
 *            another CPU's went on (RING.md, "Several CPUs")
 *   running  --seconds ran out (plus grace) first, or we were signalled
 *
 * Before QEMU is stopped, a crashed, hung or stopped guest's registers
 * are read from the monitor, and --dump writes a core. What can fail
 * without the guest (the database, the dump path) is checked before QEMU
 * starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collect.h"
#include "host_tsc.h"
#include "mono.h"
#include "info.h"
#include "lag.h"
#include "qemu.h"
#include "run.h"
#include "store.h"
#include "symbolize.h"

/* A guest told seconds=S finishes by itself a little after S (it drains
 * work in flight); only one that ignores it needs stopping. */
#define SECONDS_GRACE 1.0
/* A booting kernel publishes its region within milliseconds of run time. */
#define BOOT_TIMEOUT 10.0

enum run_end {
	END_NONE, END_GUEST, END_HUNG, END_DEADLOCK, END_STUCK_CPU, END_RESET, END_PVPANIC, END_QEMU_GONE,
	END_SHUTDOWN, END_LIMIT, END_SIGNAL, END_REINIT,
};

/* The kernel beside this binary: <dir of /proc/self/exe>/../kernel/ in a
 * build tree (build/bin -> build/kernel, build/asan/bin -> ...), else
 * ../lib/ringside/ where `make install` and the Debian package put it.
 * The build tree's path is what `out` says when neither exists. */
static int default_kernel(char *out, size_t outlen)
{
	static const char *const rel[] = {
		"../kernel/ringside-kernel.elf", "../lib/ringside/ringside-kernel.elf",
	};
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(out, outlen, "%s/%s", exe, rel[i]);
		if (access(out, R_OK) == 0)
			return 0;
	}
	snprintf(out, outlen, "%s/%s", exe, rel[0]);
	return 0;
}

/* Every vCPU's registers from the monitor (`info registers -a`); the
 * count read, 0 if the monitor gave none. */
static unsigned monitor_regs(struct rs_qemu *q, struct rs_vcpu_regs *r,
			     unsigned max)
{
	static char text[64 * 1024];
	char err[200];

	if (rs_qmp_command(&q->qmp, "{\"execute\": \"human-monitor-command\","
			   " \"arguments\": {\"command-line\": \"info registers -a\"}}",
			   5, text, sizeof(text), err, sizeof(err)) != 0)
		return 0;
	return rs_hmp_regs_parse(text, r, max);
}

static int write_dump(struct rs_qemu *q, const char *path, int force)
{
	char cmd[4600], esc[4200], err[300];
	size_t o = 0;

	for (const char *p = path; *p && o + 2 < sizeof(esc); p++) {
		if (*p == '"' || *p == '\\')
			esc[o++] = '\\';
		esc[o++] = *p;
	}
	esc[o] = '\0';
	/* --force-dump: replace the old file rather than write into it, as
	 * QEMU creates cores owner-read-only and could not reopen its own.
	 * Without it, a file that appeared since the check before boot stays. */
	if (force ? unlink(path) != 0 && errno != ENOENT
		  : access(path, F_OK) == 0) {
		fprintf(stderr, "ringside: --dump %s: not written: %s\n", path,
			force ? strerror(errno) : "the file exists now (--force-dump"
			" overwrites it)");
		return -1;
	}
	/* Synchronous by default: the reply comes once the file is written. */
	snprintf(cmd, sizeof(cmd), "{\"execute\": \"dump-guest-memory\", \"arguments\":"
		 " {\"paging\": false, \"protocol\": \"file:%s\"}}", esc);
	if (rs_qmp_command(&q->qmp, cmd, 120, NULL, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "ringside: --dump %s: not written: %s\n", path, err);
		return -1;
	}
	fprintf(stderr, "ringside: wrote guest memory dump %s (read it with"
		" ringside collect core:%s)\n", path, path);
	return 0;
}

static void build_append(const struct rs_run_opts *o, char *buf, size_t len)
{
	size_t at = (size_t)snprintf(buf, len, "workload=%s", o->workload);
	const uint64_t khz = rs_host_tsc_khz();

	if (khz && at < len)
		at += (size_t)snprintf(buf + at, len - at, " tsc_khz=%llu",
				       (unsigned long long)khz);

	if (o->count && at < len)
		at += (size_t)snprintf(buf + at, len - at, " count=%llu",
				       (unsigned long long)o->count);
	if (o->seconds > 0 && at < len)
		at += (size_t)snprintf(buf + at, len - at, " seconds=%g", o->seconds);
	if (at < len)
		snprintf(buf + at, len - at, " ring_pages=%u", o->ring_pages ?
			 o->ring_pages : rs_run_ring_pages(o->poll_ms, o->mem_mb,
							   o->smp));
}

static const char *end_text(enum run_end e, const struct rs_qemu *q)
{
	switch (e) {
	case END_GUEST: return "the guest ended by itself (see guest state below)";
	case END_HUNG: return "the guest hung: its heartbeat stopped while the VM ran";
	case END_DEADLOCK: return "the guest deadlocked: its ticks went on while no"
		" thread could run";
	case END_STUCK_CPU: return "a CPU is stuck: its own heartbeat stopped while"
		" the other CPUs' went on (see guest state below)";
	case END_RESET: return "triple fault: the guest reset the CPU; QEMU paused with RAM intact";
	case END_PVPANIC: return "the guest signalled a panic (pvpanic)";
	case END_QEMU_GONE: return "QEMU exited";
	case END_SHUTDOWN: return q->qmp.shutdown_reason;
	case END_LIMIT: return "--seconds ran out; the guest was stopped";
	case END_SIGNAL: return "interrupted; the guest was stopped";
	case END_REINIT: return "the running guest cleared its ring's magic or changed"
		" its nonce (QEMU resets pause, so this was no reboot); the"
		" guest was stopped";
	default: return "?";
	}
}

struct run {
	const struct rs_run_opts *o;
	struct rs_collect_opts copts;
	struct rs_qemu q;
	struct rs_session *s;
	struct rs_source src;
	int src_open, attached;
	int dump_failed;        /* --dump was asked for and not written */
	double run_time, last_tick;
	struct rs_lag *lag;
	struct rs_symbolizer *sym;  /* the kernel's names for crash frames */
};

/* Wait for the VM to run (gdb) and the region to appear: 0, or
 * rs_session_attach's -1 (not yet) or RS_ATTACH_FAIL, with why. */
static int attach_step(struct run *r, char *why, size_t whylen)
{
	int rc = rs_session_attach(r->s, &r->src, why, whylen);

	if (rc == 0) {
		r->attached = 1;
		r->src_open = 0;  /* the session owns it now */
		if (r->lag)
			rs_session_on_commit(r->s, rs_lag_committed, r->lag);
		return 0;
	}
	return rc;
}

/* A session function failed: say why (the session prints nothing). */
static int session_failed(struct run *r)
{
	fprintf(stderr, "ringside: %s\n", rs_session_error(r->s));
	return -1;
}

/* One turn of the loop: what, if anything, ended the run. */
static enum run_end watch(struct run *r, enum rs_stop *stop, int *fail)
{
	char why[400];

	/* QMP events double as the poll sleep: an event wakes us at once. */
	rs_qmp_pump(&r->q.qmp, (int)r->o->poll_ms);
	double now = rs_mono_now();
	int running = r->q.qmp.running == 1;
	if (running)
		r->run_time += now - r->last_tick;
	r->last_tick = now;

	if (!r->attached) {
		/* Look at QEMU before the memory: if it had gone already, what
		 * the attach sees is final; if it goes meanwhile, try again. */
		int gone = rs_qemu_exited(&r->q) || r->q.qmp.closed;
		int rc = attach_step(r, why, sizeof(why));
		if (rc == RS_ATTACH_FAIL) {
			fprintf(stderr, "ringside: %s\n", why);
			*fail = 1;
			return END_QEMU_GONE;
		}
		if (rc != 0) {
			if (gone || r->run_time > BOOT_TIMEOUT) {
				fprintf(stderr, "ringside: the guest never published a"
					" ring: %s\n", why);
				*fail = 1;
				return END_QEMU_GONE;
			}
			return rs_collect_stop_signal() ? END_SIGNAL : END_NONE;
		}
	}
	rs_session_set_running(r->s, running);
	if (rs_session_poll(r->s, 0, stop) != 0) {
		session_failed(r);
		*fail = 1;
		return END_QEMU_GONE;
	}
	if (*stop == RS_STOP_STATE)
		return END_GUEST;
	if (*stop == RS_STOP_HUNG)
		return END_HUNG;
	if (*stop == RS_STOP_DEADLOCK)
		return END_DEADLOCK;
	if (*stop == RS_STOP_STUCK_CPU)
		return END_STUCK_CPU;
	/* With -action reboot=shutdown a reset pauses QEMU before the guest
	 * could lay out a new ring: a new ring here is the guest's doing. */
	if (*stop == RS_STOP_REBOOT)
		return END_REINIT;
	if (r->q.qmp.shutdown)
		return strcmp(r->q.qmp.shutdown_reason, "guest-reset") == 0
			       ? END_RESET : END_SHUTDOWN;
	if (r->q.qmp.panicked)
		return END_PVPANIC;
	if (r->q.qmp.closed || rs_qemu_exited(&r->q))
		return END_QEMU_GONE;
	if (rs_collect_stop_signal())
		return END_SIGNAL;
	if (r->o->seconds > 0 && r->run_time >= r->o->seconds + SECONDS_GRACE)
		return END_LIMIT;
	return END_NONE;
}

/* After the loop: final snapshot, host verdicts, registers, dump. */
static int finish(struct run *r, enum run_end end, enum rs_stop stop)
{
	int qemu_alive = !rs_qemu_exited(&r->q) && !r->q.qmp.closed;
	char err[300];

	/* Freeze the guest so the snapshot, registers and dump agree. */
	if (qemu_alive && r->q.qmp.running != 0)
		rs_qmp_command(&r->q.qmp, "{\"execute\": \"stop\"}", 5, NULL, 0,
			       err, sizeof(err));
	/* A verdict's poll was the last: the state it stored stands. */
	if (end != END_GUEST && end != END_HUNG && end != END_DEADLOCK &&
	    end != END_STUCK_CPU &&
	    rs_session_poll(r->s, 1, &stop) != 0)
		return session_failed(r);
	int done = rs_session_guest_done(r->s);
	if (done && end == END_QEMU_GONE)
		end = END_GUEST;  /* the last poll saw it leave; QEMU followed */
	/* every vCPU's (off the stack: 16 of them are 10 KiB) */
	static struct rs_vcpu_regs regs[RS_MAX_CPUS];
	unsigned nregs = 0;
	/* Where the vCPUs are matters for every end but a clean exit. */
	if (qemu_alive && strcmp(rs_session_state(r->s), "exited") != 0) {
		nregs = monitor_regs(&r->q, regs, RS_MAX_CPUS);
		if (nregs &&
		    rs_session_vcpu_regs(r->s, regs, nregs, "qemu monitor") != 0)
			return session_failed(r);
	}
	const int have_regs = nregs > 0;
	if (!done && (end == END_RESET || end == END_PVPANIC)) {
		uint64_t rip = 0;
		/* the boot CPU's, the monitor's first */
		int has_rip = have_regs && rs_vcpu_regs_get(&regs[0], "rip", &rip) == 0;
		const char *reason = end == END_RESET
			? "triple fault: guest reset, no panic record"
			: "guest panicked (pvpanic) without a complete panic record";
		if (rs_session_host_crash(r->s, reason, has_rip, rip) != 0)
			return session_failed(r);
	}
	if (rs_session_measure_skew(r->s) != 0 ||
	    rs_session_name_frames(r->s, r->sym) != 0)
		return session_failed(r);
	/* A guest that exited leaves QEMU (isa-debug-exit) at once: a dump
	 * would race it, so a clean exit never gets one, by rule. A dump that
	 * was asked for and not written fails the run. */
	if (r->o->dump_path) {
		if (!qemu_alive || !strcmp(rs_session_state(r->s), "exited")) {
			fprintf(stderr, "ringside: --dump %s: not written: %s\n",
				r->o->dump_path,
				strcmp(rs_session_state(r->s), "exited") == 0
					? "the guest exited, and QEMU with it"
					: "QEMU had already exited");
			r->dump_failed = 1;
		} else if (write_dump(&r->q, r->o->dump_path,
				      r->o->force_dump) != 0) {
			r->dump_failed = 1;
		}
	}
	fprintf(stderr, "ringside: run ended: %s\n", end_text(end, &r->q));
	/* On END_REINIT that line already told what the new ring was (no
	 * reboot) and that the guest is stopped: the session's own line
	 * about a re-initialised ring, with its "collect again", would only
	 * contradict it. */
	rs_session_print_summary(r->s, end == END_REINIT ? RS_STOP_NONE : stop);
	return 0;
}

/* Can `path`, absent now, be created? Tried for real (and removed), so
 * a missing or read-only directory shows before boot, not after. */
static int probe_create(const char *what, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "ringside: %s %s: %s\n", what, path, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(path);
	return 0;
}

/*
 * What can fail without the guest fails before QEMU starts: the database
 * is opened as the collect will open it (a foreign, locked or unreadable
 * one is refused now), or, if absent, must be creatable (it is created
 * only once a ring is found); a --dump file is never overwritten unless
 * --force-dump says so. 0, or -1 with one line printed.
 */
static int check_before_boot(const struct rs_run_opts *o)
{
	struct stat sb;
	char err[600];

	if (stat(o->db_path, &sb) != 0 && errno == ENOENT) {
		if (probe_create("-o", o->db_path) != 0)
			return -1;
	} else {
		struct rs_store *st = rs_store_open(o->db_path, 1, err, sizeof(err));
		if (!st) {
			fprintf(stderr, "ringside: %s\n", err);
			return -1;
		}
		rs_store_close(st);
	}
	if (!o->dump_path)
		return 0;
	if (stat(o->dump_path, &sb) != 0) {
		if (errno == ENOENT)
			return probe_create("--dump", o->dump_path);
		fprintf(stderr, "ringside: --dump %s: %s\n", o->dump_path,
			strerror(errno));
		return -1;
	}
	if (!o->force_dump || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "ringside: --dump %s: %s\n", o->dump_path,
			S_ISREG(sb.st_mode) ? "the file exists; --force-dump"
			" overwrites it" : "exists and is not a regular file");
		return -1;
	}
	return 0;
}

int rs_run(const struct rs_run_opts *o)
{
	static struct run r;
	char kernel[PATH_MAX], append[200], err[600], label[256];
	int status = 1, fail = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	rs_collect_install_signals();
	if (o->kernel)
		snprintf(kernel, sizeof(kernel), "%s", o->kernel);
	else if (default_kernel(kernel, sizeof(kernel)) != 0)
		snprintf(kernel, sizeof(kernel), "ringside-kernel.elf");
	if (access(kernel, R_OK) != 0) {
		fprintf(stderr, "ringside: kernel %s: %s (build it with make, or pass"
			" --kernel ELF)\n", kernel, strerror(errno));
		return 1;
	}
	if (check_before_boot(o) != 0)
		return 1;
	/* The ELF we boot names the frames; one that libelf cannot read
	 * would not boot either. */
	r.sym = rs_sym_open_cli(kernel);
	if (!r.sym)
		return 1;
	build_append(o, append, sizeof(append));
	struct rs_qemu_opts qo = { .qemu = o->qemu, .kernel = kernel,
				   .append = append, .mem_mb = o->mem_mb,
				   .smp = o->smp, .gdb = o->gdb };
	if (rs_qemu_start(&r.q, &qo, err, sizeof(err)) != 0) {
		fprintf(stderr, "ringside: %s\n", err);
		rs_qemu_print_logs(&r.q, stderr, 10);
		rs_qemu_free(&r.q);
		rs_sym_close(r.sym);
		return 1;
	}
	snprintf(label, sizeof(label), "qemu:%s", append);
	r.copts = (struct rs_collect_opts){ .source = label, .db_path = o->db_path,
		.follow = 1, .poll_ms = o->poll_ms, .hang_secs = o->hang_secs,
		.store_sync = o->store_sync };
	r.s = rs_session_new(&r.copts);
	if (!r.s || rs_source_fd_open(r.q.mem_fd, r.q.shm_name, &r.src, err,
				      sizeof(err)) != 0) {
		fprintf(stderr, "ringside: guest RAM: %s\n", r.s ? err : "out of memory");
		goto out;
	}
	memcpy(r.src.spec, label, sizeof(label));
	r.src_open = 1;
	/* QEMU RAM: file offset == guest-physical address (below 2 GiB). */
	r.src.check_gpa = 1;
	if (o->lag_report)
		r.lag = rs_lag_new(r.q.started);

	if (o->gdb) {
		fprintf(stderr,
			"ringside: QEMU is waiting for a debugger on :1234. Attach with\n"
			"    gdb %s -ex 'target remote :1234'\n"
			"then type `continue` (c) in gdb to boot; collecting starts then.\n",
			kernel);
	} else {
		rs_lag_vm_started(r.lag);
		if (rs_qemu_cont(&r.q, err, sizeof(err)) != 0) {
			fprintf(stderr, "ringside: starting the VM: %s\n", err);
			goto out;
		}
	}
	r.last_tick = rs_mono_now();
	enum run_end end = END_NONE;
	enum rs_stop stop = RS_STOP_NONE;
	while ((end = watch(&r, &stop, &fail)) == END_NONE)
		;
	if (fail) {
		rs_qemu_print_logs(&r.q, stderr, 10);
		goto out;
	}
	if (finish(&r, end, stop) != 0)
		goto out;
	if (end == END_QEMU_GONE && !rs_session_guest_done(r.s)) {
		fprintf(stderr, "ringside: QEMU exited while the guest was running\n");
		rs_qemu_print_logs(&r.q, stderr, 10);
	}
	status = 0;
out:
	rs_sym_close(r.sym);
	rs_qemu_free(&r.q);
	rs_session_free(r.s);
	if (r.src_open)
		rs_source_close(&r.src);
	if (r.lag) {
		rs_lag_report(r.lag, stderr);
		rs_lag_free(r.lag);
	}
	if (status == 0)
		status = rs_info(o->db_path, 0, 0);
	return status == 0 && r.dump_failed ? 1 : status;
}

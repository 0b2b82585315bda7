/*
 * qemu.c - the QEMU process behind `ringside run` (qemu.h).
 *
 * Leaving nothing behind is designed in, not cleaned up after:
 *   - guest RAM is a fresh /dev/shm file (O_EXCL, unique name) that is
 *     unlinked the moment it is created and sized; QEMU opens it through
 *     /proc/self/fd/3, so a stale file from an earlier run can never be
 *     read and no name survives us whatever happens;
 *   - the debug console and QEMU's own output go to files unlinked the
 *     same way (read back through our descriptors for error messages);
 *   - the QMP socket lives in a private temp dir removed once connected;
 *   - QEMU gets PR_SET_PDEATHSIG(SIGKILL), so it dies with us even if we
 *     are killed with SIGKILL, and its own process group, so a terminal's
 *     Ctrl-C reaches only us and we stop QEMU in order (final snapshot,
 *     optional dump) instead of racing its exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "qemu.h"
#include "mono.h"

#define MEM_FD 3
#define CON_FD 4

/* An anonymous file: created under `dir` with a unique name, unlinked at
 * once. Signals are blocked meanwhile so Ctrl-C cannot leave the name. */
static int anon_file(const char *dir, const char *tag, char *name,
		     size_t namelen, off_t size, char *err, size_t errlen)
{
	sigset_t all, old;
	char path[4200];
	int fd = -1;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	for (int tries = 0; tries < 16 && fd < 0; tries++) {
		unsigned r;
		if (getentropy(&r, sizeof(r)) != 0)
			r = (unsigned)rand() ^ (unsigned)time(NULL);
		snprintf(name, namelen, "ringside-%d-%08x%s", (int)getpid(), r, tag);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd >= 0) {
		unlink(path);
		if (size && ftruncate(fd, size) != 0) {
			snprintf(err, errlen, "%s: cannot size to %lld bytes: %s", path,
				 (long long)size, strerror(errno));
			close(fd);
			fd = -1;
		}
	} else {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return fd;
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void child_exec(const struct rs_qemu *q, char *const argv[],
		       pid_t parent, int status_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);  /* the parent died before prctl took effect */
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int devnull = open("/dev/null", O_RDONLY);
	/* Move our fds above the fixed slots before placing them. */
	int mem = fcntl(q->mem_fd, F_DUPFD_CLOEXEC, 10);
	int con = fcntl(q->con_fd, F_DUPFD_CLOEXEC, 10);
	if (devnull < 0 || mem < 0 || con < 0 || dup2(devnull, 0) < 0 ||
	    dup2(q->err_fd, 1) < 0 || dup2(q->err_fd, 2) < 0 ||
	    dup2(mem, MEM_FD) < 0 || dup2(con, CON_FD) < 0)
		goto fail;
	execvp(argv[0], argv);
fail:;
	int e = errno;
	if (write(status_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

static void build_argv(const struct rs_qemu_opts *o, const char *qmp_path,
		       char *buf, size_t buflen, char *argv[], int max)
{
	int n = 0;
	size_t at = 0;
	/* Strings that need formatting live in buf. */
#define FMT(...) (argv[n++] = buf + at, \
		  at += (size_t)snprintf(buf + at, buflen - at, __VA_ARGS__) + 1)
	argv[n++] = (char *)(o->qemu ? o->qemu : "qemu-system-x86_64");
	static const char *const fixed[] = {
		"-accel", "tcg", "-display", "none", "-vga", "none", "-nodefaults",
		"-machine", "q35,memory-backend=mem", "-no-reboot",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-device", "pvpanic",
		"-action", "reboot=shutdown,shutdown=pause,panic=pause",
		"-debugcon", "file:/proc/self/fd/4",
		"-S", NULL,
	};
	for (int i = 0; fixed[i]; i++)
		argv[n++] = (char *)fixed[i];
	argv[n++] = "-m";
	FMT("%uM", o->mem_mb);
	argv[n++] = "-smp";
	FMT("%u", o->smp ? o->smp : 1);
	argv[n++] = "-object";
	FMT("memory-backend-file,id=mem,size=%uM,mem-path=/proc/self/fd/%d,share=on",
	    o->mem_mb, MEM_FD);
	argv[n++] = "-kernel";
	argv[n++] = (char *)o->kernel;
	argv[n++] = "-append";
	argv[n++] = (char *)o->append;
	argv[n++] = "-qmp";
	FMT("unix:%s,server=on,wait=off", qmp_path);
	if (o->gdb)
		argv[n++] = "-s";
	argv[n] = NULL;
	(void)max;
#undef FMT
}

int rs_qemu_start(struct rs_qemu *q, const struct rs_qemu_opts *o, char *err,
		  size_t errlen)
{
	char dir[4096], qmp_path[4200], buf[10000], name[64];
	char *argv[48];
	const char *tmp = getenv("TMPDIR");
	int pipefd[2] = { -1, -1 };

	memset(q, 0, sizeof(*q));
	q->mem_fd = q->con_fd = q->err_fd = -1;
	q->qmp.fd = -1;
	q->mem_fd = anon_file("/dev/shm", "", q->shm_name, sizeof(q->shm_name),
			      (off_t)o->mem_mb << 20, err, errlen);
	if (q->mem_fd < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/ringside-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	q->con_fd = anon_file(dir, ".con", name, sizeof(name), 0, err, errlen);
	q->err_fd = anon_file(dir, ".err", name, sizeof(name), 0, err, errlen);
	if (q->con_fd < 0 || q->err_fd < 0)
		goto fail_dir;
	snprintf(qmp_path, sizeof(qmp_path), "%s/qmp.sock", dir);
	build_argv(o, qmp_path, buf, sizeof(buf), argv, 48);
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail_dir;
	}
	pid_t parent = getpid();
	q->started = rs_mono_now();
	q->pid = fork();
	if (q->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		q->pid = 0;
		goto fail_dir;
	}
	if (q->pid == 0) {
		close(pipefd[0]);
		child_exec(q, argv, parent, pipefd[1]);
	}
	close(pipefd[1]);
	int e = 0;
	ssize_t r;
	do
		r = read(pipefd[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(pipefd[0]);
	if (r == (ssize_t)sizeof(e)) {
		snprintf(err, errlen, "cannot run %s: %s%s", argv[0], strerror(e),
			 e == ENOENT ? " (install qemu-system-x86, or pass --qemu PATH)" : "");
		goto fail_dir;
	}
	/* QEMU creates the socket once its machine is set up; until then
	 * connect fails and rs_qmp_connect retries. */
	if (rs_qmp_connect(&q->qmp, qmp_path, 20, err, errlen) != 0) {
		if (rs_qemu_exited(q)) {
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, " (QEMU exited at startup)");
		}
		goto fail_dir;
	}
	unlink(qmp_path);
	rmdir(dir);
	return 0;
fail_dir:
	unlink(qmp_path);
	rmdir(dir);
fail:
	rs_qemu_stop(q);
	return -1;
}

int rs_qemu_cont(struct rs_qemu *q, char *err, size_t errlen)
{
	return rs_qmp_command(&q->qmp, "{\"execute\": \"cont\"}", 10, NULL, 0,
			      err, errlen);
}

int rs_qemu_exited(struct rs_qemu *q)
{
	if (q->pid <= 0)
		return 1;
	pid_t r = waitpid(q->pid, &q->wstatus, WNOHANG);
	if (r == q->pid || (r < 0 && errno == ECHILD)) {
		q->pid = 0;
		return 1;
	}
	return 0;
}

void rs_qemu_stop(struct rs_qemu *q)
{
	if (q->pid > 0) {
		char err[200];
		if (!q->qmp.closed && q->qmp.fd >= 0)
			rs_qmp_command(&q->qmp, "{\"execute\": \"quit\"}", 2, NULL, 0,
				       err, sizeof(err));
		const double deadline = rs_mono_now() + 2;
		while (!rs_qemu_exited(q) && rs_mono_now() < deadline)
			usleep(2000);
		if (q->pid > 0) {
			kill(q->pid, SIGKILL);
			while (waitpid(q->pid, &q->wstatus, 0) < 0 && errno == EINTR)
				;
			q->pid = 0;
		}
	}
	if (q->qmp.buf || q->qmp.fd >= 0)
		rs_qmp_close(&q->qmp);
	if (q->mem_fd >= 0)
		close(q->mem_fd);
	q->mem_fd = -1;
	/* con_fd and err_fd stay readable for rs_qemu_print_logs. */
}

void rs_qemu_free(struct rs_qemu *q)
{
	rs_qemu_stop(q);
	if (q->con_fd >= 0)
		close(q->con_fd);
	if (q->err_fd >= 0)
		close(q->err_fd);
	q->con_fd = q->err_fd = -1;
}

static void print_tail(int fd, const char *what, FILE *out, int lines)
{
	char buf[4096];
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0)
		return;
	off_t from = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *p = buf + n;
	int seen = 0;
	if (p > buf && p[-1] == '\n')
		p--;
	while (p > buf && seen < lines)
		if (*--p == '\n')
			seen++;
	if (*p == '\n')
		p++;
	fprintf(out, "ringside: last lines of %s:\n", what);
	for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(out, "  | %s\n", line);
}

void rs_qemu_print_logs(struct rs_qemu *q, FILE *out, int lines)
{
	print_tail(q->con_fd, "the guest console (debugcon)", out, lines);
	print_tail(q->err_fd, "QEMU's output", out, lines);
}

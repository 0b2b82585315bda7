/*
 * bench_lttng.c - the LTTng-UST side of the emit row: the same record
 * written through an LTTng-UST tracepoint into a live session in
 * flight-recorder (snapshot, overwrite) mode, LTTng's equivalent of our
 * always-on ring.
 *
 * The timing itself runs in ringside-bench-lttng (lttng_loop.c); this
 * file sets the stage around it: a session daemon (our own, started here
 * and stopped here, unless one already answers), a snapshot session with
 * ringside_bench:* enabled, the run, then one snapshot read back with
 * babeltrace2's counter sink to prove the events really were recorded.
 * Anything missing on the machine records null and a note, never a
 * failure. LTTNG_HOME points under build/ so that session output and
 * per-user configuration stay out of $HOME. (As root, the daemon's
 * sockets are always in /var/run/lttng; LTTNG_HOME cannot move those.)
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LTTNG "lttng --no-sessiond"

struct stage {
	struct bench_results *res;
	char home[1024], log[1100], session[64];
	pid_t sessiond;          /* ours to stop, or 0 */
	int session_made;
};

/* The last line of the log, for a note that says why. */
static const char *last_log_line(struct stage *s, char *buf, size_t len)
{
	if (bench_grep_last(s->log, "", buf, len) != 0)
		snprintf(buf, len, "(no output)");
	return buf;
}

static int lttng(struct stage *s, const char *what, const char *args)
{
	char line[512];

	if (bench_sh(LTTNG " %s >>'%s' 2>&1", args, s->log) == 0)
		return 0;
	bench_note(s->res, "lttng: %s failed: %s", what,
		   last_log_line(s, line, sizeof(line)));
	return -1;
}

/* Our own daemon, as a direct child so we stop exactly the one we
 * started. --no-kernel: there are no LTTng kernel modules to load. */
static int start_sessiond(struct stage *s)
{
	char line[512];

	if (bench_sh(LTTNG " list >>'%s' 2>&1", s->log) == 0) {
		printf("lttng: using the session daemon already running\n");
		return 0;
	}
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(s->log, O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execlp("lttng-sessiond", "lttng-sessiond", "--no-kernel",
		       (char *)NULL);
		_exit(127);
	}
	s->sessiond = pid;
	/* Ready when the client socket answers; 10 s is generous. */
	for (int i = 0; i < 200; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			s->sessiond = 0;
			bench_note(s->res, "lttng: lttng-sessiond exited: %s",
				   last_log_line(s, line, sizeof(line)));
			return -1;
		}
		if (bench_sh(LTTNG " list >>'%s' 2>&1", s->log) == 0)
			return 0;
		usleep(50000);
	}
	bench_note(s->res, "lttng: lttng-sessiond did not answer in 10 s");
	return -1;
}

static void stop_sessiond(struct stage *s)
{
	int st;

	if (!s->sessiond)
		return;
	kill(s->sessiond, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(s->sessiond, &st, WNOHANG) == s->sessiond) {
			s->sessiond = 0;
			return;
		}
		usleep(50000);
	}
	kill(s->sessiond, SIGKILL);
	waitpid(s->sessiond, &st, 0);
	s->sessiond = 0;
}

/* Events in the snapshot, by babeltrace2's counter sink (not timed). */
static long snapshot_events(struct stage *s)
{
	char ctf[1100];

	snprintf(ctf, sizeof(ctf), "%s/snapshot", s->home);
	return bench_ctf_count(ctf, s->home);
}

static void run(struct stage *s, const char *prog)
{
	char args[1400], out[1200], line[512];
	double ns = BENCH_NONE;

	if (start_sessiond(s) != 0)
		return;
	snprintf(args, sizeof(args), "create %s --snapshot --output='%s/snapshot'",
		 s->session, s->home);
	if (lttng(s, "create --snapshot", args) != 0)
		return;
	s->session_made = 1;
	snprintf(args, sizeof(args), "enable-event -u 'ringside_bench:*' -s %s",
		 s->session);
	if (lttng(s, "enable-event", args) != 0)
		return;
	snprintf(args, sizeof(args), "start %s", s->session);
	if (lttng(s, "start", args) != 0)
		return;

	snprintf(out, sizeof(out), "%s/loop.txt", s->home);
	int rc = bench_sh("'%s' >'%s' 2>>'%s'", prog, out, s->log);
	if (rc == 0 && bench_grep_last(out, "lttng_ust_ns ", line,
				       sizeof(line)) == 0)
		ns = strtod(line + strlen("lttng_ust_ns "), NULL);
	else
		bench_note(s->res, "lttng: the timed loop failed (exit %d): %s",
			   rc, last_log_line(s, line, sizeof(line)));

	snprintf(args, sizeof(args), "snapshot record -s %s", s->session);
	if (lttng(s, "snapshot record", args) != 0)
		return;
	snprintf(args, sizeof(args), "stop %s", s->session);
	lttng(s, "stop", args);

	long n = snapshot_events(s);
	if (n <= 0) {
		bench_note(s->res, "lttng: the snapshot holds no events "
			   "(babeltrace2 counter: %ld); LTTng figure dropped", n);
		return;
	}
	printf("lttng: snapshot of the flight-recorder buffers holds %ld "
	       "ringside_bench events\n", n);
	s->res->lttng_ust_ns = ns;
}

void bench_lttng(struct bench_results *res, const char *dir)
{
	struct stage s = { .res = res };
	char prog[1024], args[128], absdir[900];

	snprintf(prog, sizeof(prog), "%s/ringside-bench-lttng", BENCH_DIR);
	if (access(prog, X_OK) != 0) {
		bench_note(res, "lttng: %s not built (liblttng-ust-dev missing "
			   "at build time)", prog);
		return;
	}
	if (bench_sh("command -v lttng-sessiond >/dev/null && "
		     "command -v lttng >/dev/null") != 0) {
		bench_note(res, "lttng: lttng-tools not installed");
		return;
	}
	if (!realpath(dir, absdir))
		bench_fail("%s: %s", dir, strerror(errno));
	snprintf(s.home, sizeof(s.home), "%s/lttng", absdir);
	snprintf(s.log, sizeof(s.log), "%s/lttng.log", s.home);
	snprintf(s.session, sizeof(s.session), "ringside-bench-%d",
		 (int)getpid());
	/* A fresh home each run: old snapshots would be counted too. */
	if (bench_sh("rm -rf '%s' && mkdir -p '%s'", s.home, s.home) != 0)
		bench_fail("cannot make %s", s.home);
	setenv("LTTNG_HOME", s.home, 1);

	printf("lttng: LTTng-UST tracepoint in a snapshot session "
	       "(log: %s)\n", s.log);
	run(&s, prog);
	if (s.session_made) {
		snprintf(args, sizeof(args), "destroy %s", s.session);
		lttng(&s, "destroy", args);
	}
	stop_sessiond(&s);
	unsetenv("LTTNG_HOME");
}

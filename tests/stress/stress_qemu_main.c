/*
 * stress_qemu_main.c - ringside-stress-qemu, the SMP half of `make
 * stress`: the real kernel under QEMU with every CPU emitting at full
 * speed (the emitstorm workload) into the guest's own default ring (1 MiB,
 * --ring-pages 256: run's larger default is meant not to overrun), collected live by
 * `ringside run`, which is stopped after SECONDS + 1 s and dumps the
 * frozen guest. Then every CPU's accepted + lost must equal what the
 * guest's own ring header says it wrote, and every record kept must fit
 * the pattern (stress_qemu.h). Prints the figures per CPU. Exits 1 on
 * any failed check, 2 on bad usage or a run that did not happen.
 *
 *   ringside-stress-qemu RINGSIDE KERNEL [CPUS [SECONDS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stress_qemu.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs `ringside run` in a fresh temp dir; its paths in db, core. */
static int run(const char *ringside, const char *kernel, unsigned cpus,
	       double secs, const char *dir)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' run --kernel '%s' --smp %u"
		 " --ring-pages 256 --workload emitstorm --seconds %g"
		 " --dump '%s/guest.core'"
		 " -o '%s/t.db' > '%s/run.log' 2>&1", dir, ringside, kernel,
		 cpus, secs, dir, dir, dir);
	int rc = system(cmd);
	if (rc != 0) {
		fprintf(stderr, "ringside-stress-qemu: ringside run failed"
			" (status %d); its output:\n", rc);
		snprintf(cmd, sizeof(cmd), "cat '%s/run.log' >&2", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "(no output)\n");
	}
	return rc;
}

static void print(const struct rs_smp_stress_result *r, double secs)
{
	uint64_t w = 0, a = 0, l = 0;

	for (unsigned i = 0; i < r->ncpus; i++) {
		const struct rs_smp_stress_cpu *c = &r->cpu[i];
		printf("cpu %u: written %llu, accepted %llu, lost %llu in %llu"
		       " gaps; emitstorm records kept %llu, done mark %lld\n", i,
		       (unsigned long long)c->written,
		       (unsigned long long)c->accepted,
		       (unsigned long long)c->lost,
		       (unsigned long long)c->gaps,
		       (unsigned long long)c->storm, (long long)c->done);
		w += c->written;
		a += c->accepted;
		l += c->lost;
	}
	printf("all %u cpus: written %llu, accepted %llu, lost %llu; %.1f s\n",
	       r->ncpus, (unsigned long long)w, (unsigned long long)a,
	       (unsigned long long)l, secs);
}

int main(int argc, char **argv)
{
	unsigned long cpus = 2;
	double secs = 10;
	char *end;

	if (argc < 3 || argc > 5 ||
	    (argc > 3 && ((cpus = strtoul(argv[3], &end, 10)) < 2 ||
			  cpus > RS_MAX_CPUS || *end)) ||
	    (argc > 4 && ((secs = strtod(argv[4], &end)) <= 0 || secs > 3600 ||
			  *end))) {
		fprintf(stderr, "usage: ringside-stress-qemu RINGSIDE KERNEL"
			" [CPUS (2..%u) [SECONDS]]\n", RS_MAX_CPUS);
		return 2;
	}
	char dir[] = "/tmp/ringside-stress-qemu.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("ringside-stress-qemu: mkdtemp");
		return 2;
	}
	const double t0 = now();
	int rc = run(argv[1], argv[2], (unsigned)cpus, secs, dir) ? 2 : 0;
	const double took = now() - t0;
	if (rc == 0) {
		char db[256], core[256];
		struct rs_smp_stress_result r;
		snprintf(db, sizeof(db), "%s/t.db", dir);
		snprintf(core, sizeof(core), "%s/guest.core", dir);
		int c = rs_smp_stress_check(db, core, &r);
		print(&r, took);
		/* Without losses on a CPU its accounting was never put to
		 * the test: the storm must overrun every ring. */
		for (unsigned i = 0; c == 0 && i < r.ncpus; i++)
			if (r.cpu[i].lost == 0 || r.cpu[i].storm == 0) {
				snprintf(r.first_bad, sizeof(r.first_bad), "cpu %u"
					 " lost nothing or kept no emitstorm record:"
					 " the storm did not overrun its ring", i);
				c = 1;
			}
		if (c != 0) {
			fprintf(stderr, "ringside-stress-qemu: FAILED: %s (kept in"
				" %s)\n", r.first_bad, dir);
			return c < 0 ? 2 : 1;
		}
	}
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (rc == 0 && system(cmd) != 0)
		fprintf(stderr, "ringside-stress-qemu: could not remove %s\n", dir);
	return rc;
}

/*
 * replay.c - runs a fuzz harness over saved inputs without libFuzzer, so
 * `make check` (and `make check SANITIZE=1`) replays every crash
 * reproducer and seed with the normal compiler:
 *
 *   fuzz-replay-TARGET DIR|FILE...
 *
 * Each file is passed to the harness's LLVMFuzzerTestOneInput, in one
 * process, as libFuzzer would. The code under test prints one line per bad
 * input, which is expected and would bury the result, so stdout and
 * stderr go to /dev/null while inputs run; a crash still names its input
 * (signal handler, or the sanitizer's death callback) on the real stderr,
 * where the sanitizer report also goes.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Present only in sanitized builds. */
void __sanitizer_set_report_fd(void *fd) __attribute__((weak));
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static int real_err = 2;
static const char *current = "(none)";

static void say(const char *a, const char *b)
{
	/* Async-signal-safe: called from the crash handler too. */
	if (write(real_err, a, strlen(a)) < 0 || write(real_err, b, strlen(b)) < 0 ||
	    write(real_err, "\n", 1) < 0)
		return;
}

static void on_death(void)
{
	say("fuzz replay: crashed on ", current);
}

static void on_signal(int sig)
{
	on_death();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		say("fuzz replay: cannot read ", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		say("fuzz replay: cannot read ", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	current = path;
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's regular files, in name order so a run is repeatable. */
static int replay_path(const char *path, unsigned *count)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return 0;   /* an empty corpus dir that git does not keep */
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		size_t plen = strlen(path);
		while (plen > 1 && path[plen - 1] == '/')
			plen--;
		if (!names || asprintf(&names[n], "%.*s/%s", (int)plen, path,
				       e->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			rc |= replay_file(names[i]);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0, null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", name);
		return 2;
	}
	real_err = dup(2);
	if (real_err < 0 || null < 0)
		return 1;
	if (__sanitizer_set_report_fd)
		__sanitizer_set_report_fd((void *)(long)real_err);
	fuzz_report_fd = real_err;
	/* A sanitizer has its own SEGV handler with the better report; it
	 * calls the death callback. Without one, name the input ourselves. */
	if (__sanitizer_set_death_callback) {
		__sanitizer_set_death_callback(on_death);
		signal(SIGABRT, on_signal);
	} else {
		signal(SIGSEGV, on_signal);
		signal(SIGBUS, on_signal);
		signal(SIGABRT, on_signal);
		signal(SIGFPE, on_signal);
		signal(SIGILL, on_signal);
	}
	LLVMFuzzerInitialize(&argc, &argv);
	fflush(stdout);
	fflush(stderr);
	dup2(null, 1);
	dup2(null, 2);
	for (int i = 1; i < argc; i++)
		rc |= replay_path(argv[i], &count);
	fflush(stdout);
	fflush(stderr);
	dup2(real_err, 2);
	fprintf(stderr, "%s: %u input(s) replayed%s\n", name, count,
		rc ? ", some unreadable" : ", no crash");
	return rc ? 1 : 0;
}

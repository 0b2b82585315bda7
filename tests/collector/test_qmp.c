/*
 * test_qmp.c - the QMP client (collector/qmp.c) against a fake QMP peer:
 * a thread in the test listens on a Unix socket and plays a script, so
 * greeting, negotiation, replies, errors, events interleaved with
 * replies, silence, an overlong line and a hang-up are each seen without
 * a QEMU.
 */
#include "testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../collector/qmp.h"
#include "../collector/source.h"
#include "ringside_ring.h"

/*
 * A script is a list of steps: "<TEXT" reads one line from the client
 * and checks it contains TEXT; ">TEXT" sends TEXT and a newline; "L"
 * sends a line longer than RS_QMP_LINE_MAX; "W" waits until the client
 * hangs up. After the last step the peer closes its end.
 */
struct peer {
	int listen_fd;
	const char *const *script;
	pthread_t thread;
	char bad[200];   /* what went wrong on the peer's side, "" if nothing */
};

static int read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return 0;
}

static void send_str(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void *peer_main(void *opaque)
{
	struct peer *p = opaque;
	int fd = accept(p->listen_fd, NULL, NULL);
	char line[512];

	if (fd < 0) {
		snprintf(p->bad, sizeof(p->bad), "accept failed");
		return NULL;
	}
	for (const char *const *s = p->script; *s; s++) {
		if (**s == '<') {
			if (read_line(fd, line, sizeof(line)) != 0 ||
			    !strstr(line, *s + 1)) {
				snprintf(p->bad, sizeof(p->bad), "expected %s", *s + 1);
				break;
			}
		} else if (**s == '>') {
			send_str(fd, *s + 1);
			send_str(fd, "\n");
		} else if (**s == 'L') {
			char *big = malloc(RS_QMP_LINE_MAX + 2);
			memset(big, 'x', RS_QMP_LINE_MAX + 1);
			big[RS_QMP_LINE_MAX + 1] = '\0';
			send_str(fd, big);
			free(big);
		} else if (**s == 'W') {
			while (read(fd, line, sizeof(line)) > 0)
				;
		}
	}
	close(fd);
	return NULL;
}

static void peer_start(struct peer *p, const char *sock,
		       const char *const *script)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(p, 0, sizeof(*p));
	p->script = script;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	p->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(p->listen_fd >= 0);
	assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

static void peer_join(struct peer *p)
{
	pthread_join(p->thread, NULL);
	close(p->listen_fd);
	if (p->bad[0])
		fail_msg("fake QMP peer: %s", p->bad);
}

static char *sock_in(const char *dir)
{
	static char path[108];
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	return path;
}

#define GREETING ">{\"QMP\": {\"version\": {}, \"capabilities\": []}}"
#define NEGOTIATE "<qmp_capabilities", ">{\"return\": {}}"

/* Events that arrive before a reply are recorded; the reply's string
 * value comes back decoded. */
static void test_qmp_reply_and_events(void **state)
{
	static const char *const script[] = {
		GREETING, NEGOTIATE,
		"<query-status",
		">{\"timestamp\": {}, \"event\": \"STOP\"}",
		">{\"event\": \"GUEST_PANICKED\", \"data\": {\"action\": \"pause\"}}",
		">{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true,"
		" \"reason\": \"guest-reset\"}}",
		">{\"event\": \"DUMP_COMPLETED\"}",
		">{\"return\": \"hello \\\"qmp\\\"\"}",
		"<human-monitor-command",
		">{\"event\": \"RESUME\"}",
		">{\"return\": {\"status\": \"running\"}}",
		"W", NULL,
	};
	char *dir = rs_tmpdir(), err[200], ret[64];
	struct peer p;
	struct rs_qmp q;

	peer_start(&p, sock_in(dir), script);
	if (rs_qmp_connect(&q, sock_in(dir), 10, err, sizeof(err)) != 0)
		fail_msg("connect: %s", err);
	assert_int_equal(q.running, -1);
	assert_int_equal(rs_qmp_command(&q, "{\"execute\": \"query-status\"}", 10,
					ret, sizeof(ret), err, sizeof(err)), 0);
	assert_string_equal(ret, "hello \"qmp\"");
	assert_int_equal(q.running, 0);
	assert_int_equal(q.panicked, 1);
	assert_int_equal(q.shutdown, 1);
	assert_string_equal(q.shutdown_reason, "guest-reset");
	assert_int_equal(q.dump_done, 1);
	/* Not a string: the raw JSON. */
	assert_int_equal(rs_qmp_command(&q, "{\"execute\": \"human-monitor-command\"}",
					10, ret, sizeof(ret), err, sizeof(err)), 0);
	assert_string_equal(ret, "{\"status\": \"running\"}");
	assert_int_equal(q.running, 1);
	rs_qmp_close(&q);
	peer_join(&p);
	rs_tmpdir_cleanup(dir);
}

/* An error reply says QEMU's description; silence times out; a hang-up
 * is told as such, and the link stays closed. */
static void test_qmp_error_timeout_hangup(void **state)
{
	static const char *const script[] = {
		GREETING, NEGOTIATE,
		"<cont",
		">{\"error\": {\"class\": \"GenericError\", \"desc\": \"no way\"}}",
		"<stop",     /* and no reply */
		"<quit",
		NULL,        /* hang up */
	};
	char *dir = rs_tmpdir(), err[200];
	struct peer p;
	struct rs_qmp q;

	peer_start(&p, sock_in(dir), script);
	if (rs_qmp_connect(&q, sock_in(dir), 10, err, sizeof(err)) != 0)
		fail_msg("connect: %s", err);
	assert_int_equal(rs_qmp_command(&q, "{\"execute\": \"cont\"}", 10, NULL, 0,
					err, sizeof(err)), -1);
	assert_string_equal(err, "QMP: no way");
	assert_int_equal(rs_qmp_command(&q, "{\"execute\": \"stop\"}", 0.2, NULL,
					0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no reply within"));
	assert_int_equal(rs_qmp_command(&q, "{\"execute\": \"quit\"}", 10, NULL, 0,
					err, sizeof(err)), -1);
	assert_non_null(strstr(err, "closed the monitor connection"));
	assert_int_equal(q.closed, 1);
	assert_int_equal(rs_qmp_pump(&q, 0), -1);
	rs_qmp_close(&q);
	peer_join(&p);
	rs_tmpdir_cleanup(dir);
}

/* A line longer than any QMP message drops the link instead of growing a
 * buffer; a greeting that is not QMP's is refused. */
static void test_qmp_hostile_peer(void **state)
{
	static const char *const longline[] = { GREETING, NEGOTIATE, "L", "W",
						NULL };
	static const char *const notqmp[] = { ">{\"hello\": 1}", "W", NULL };
	char *dir = rs_tmpdir(), err[200];
	struct peer p;
	struct rs_qmp q;

	peer_start(&p, sock_in(dir), longline);
	if (rs_qmp_connect(&q, sock_in(dir), 10, err, sizeof(err)) != 0)
		fail_msg("connect: %s", err);
	int rc = 0;
	for (int i = 0; i < 200 && rc == 0; i++)
		rc = rs_qmp_pump(&q, 50);
	assert_int_equal(rc, -1);
	assert_int_equal(q.closed, 1);
	rs_qmp_close(&q);
	peer_join(&p);

	unlink(sock_in(dir));
	peer_start(&p, sock_in(dir), notqmp);
	assert_int_equal(rs_qmp_connect(&q, sock_in(dir), 10, err, sizeof(err)), -1);
	assert_string_equal(err, "QMP: unexpected greeting");
	rs_qmp_close(&q);
	peer_join(&p);
	rs_tmpdir_cleanup(dir);
}

/* `info registers -a` as QEMU 7.2 prints it for three vCPUs (trimmed),
 * then texts that lie or wander. */
static void test_hmp_registers_of_every_vcpu(void **state)
{
	static const char two[] =
		"CPU#0\r\nRAX=0000000000000001 RBX=0000000000000002 "
		"RCX=0000000000000003 RDX=0000000000000004\r\n"
		"R8 =0000000000000008 R9 =0000000000000009\r\n"
		"RIP=ffffffff81000010 RFL=00000246 [---Z-P-] CPL=0\r\n"
		"CS =0010 0000000000000000 ffffffff 00a09b00 DPL=0\r\n"
		"CPU#1\r\nRAX=00000000000000aa RBX=0000000000000000 "
		"RIP=000000000000fff0 RFL=00000002\r\n"
		"CPU#2\r\nEAX=00000000 EBX=00000000 ECX=00000000 EDX=00050656\r\n"
		"EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1\r\n";
	struct rs_vcpu_regs r[RS_MAX_CPUS];
	uint64_t v;
	assert_int_equal(rs_hmp_regs_parse(two, r, RS_MAX_CPUS), 3);
	assert_int_equal(r[0].cpu, 0);
	assert_int_equal(rs_vcpu_regs_get(&r[0], "rax", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(rs_vcpu_regs_get(&r[0], "r9", &v), 0);
	assert_int_equal(v, 9);
	assert_int_equal(rs_vcpu_regs_get(&r[0], "rip", &v), 0);
	assert_int_equal(v, 0xffffffff81000010ull);
	assert_int_equal(rs_vcpu_regs_get(&r[0], "cs", &v), 0);
	assert_int_equal(v, 0x10);
	/* CPU 1's block is its own: not CPU 0's values, nor they its */
	assert_int_equal(r[1].cpu, 1);
	assert_int_equal(rs_vcpu_regs_get(&r[1], "rax", &v), 0);
	assert_int_equal(v, 0xaa);
	assert_int_equal(rs_vcpu_regs_get(&r[1], "rip", &v), 0);
	assert_int_equal(v, 0xfff0);
	assert_int_not_equal(rs_vcpu_regs_get(&r[1], "rcx", &v), 0);
	/* an AP in real mode, waiting for its start IPI: 32-bit names */
	assert_int_equal(r[2].cpu, 2);
	assert_int_equal(rs_vcpu_regs_get(&r[2], "eip", &v), 0);
	assert_int_equal(v, 0xfff0);
	assert_int_equal(rs_vcpu_regs_get(&r[2], "edx", &v), 0);
	assert_int_equal(v, 0x50656);
	/* at most max */
	assert_int_equal(rs_hmp_regs_parse(two, r, 1), 1);
	/* one vCPU: QEMU prints no CPU# line */
	assert_int_equal(rs_hmp_regs_parse("RAX=0000000000000005 RIP=10\n", r,
					   RS_MAX_CPUS), 1);
	assert_int_equal(r[0].cpu, 0);
	/* lies: a CPU past the ring's, a block with nothing, no digits */
	assert_int_equal(rs_hmp_regs_parse("CPU#99\nRAX=1\nCPU#2\nnothing\n"
					   "CPU#\nRAX=5\nCPU#3\nRAX= RIP=zz\n",
					   r, RS_MAX_CPUS), 0);
	assert_int_equal(rs_hmp_regs_parse("", r, RS_MAX_CPUS), 0);
}

RS_TEST_SUITE(qmp,
	cmocka_unit_test(test_qmp_reply_and_events),
	cmocka_unit_test(test_qmp_error_timeout_hangup),
	cmocka_unit_test(test_qmp_hostile_peer),
	cmocka_unit_test(test_hmp_registers_of_every_vcpu),
)

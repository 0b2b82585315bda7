/*
 * store.h - the trace database (SQLite), the only place the collector
 * talks SQL. The schema is formats/store/schema.sql, embedded at build time;
 * readers see it documented in formats/store/SCHEMA.md.
 *
 * A store is opened for writing (collect) or reading (info). Opening never
 * modifies a file that is not already a ringside database: a foreign file
 * is refused before SQLite writes anything to it.
 */
#ifndef RS_COLLECTOR_STORE_H
#define RS_COLLECTOR_STORE_H

#include <stdint.h>

#include "rs_db.h"
#include "rs_decode.h"
#include "source.h"
#include "symbolize.h"

/* The store's identity (application id, schema version) is
 * RS_DB_APP_ID / RS_DB_VERSION in formats/store/rs_db.h. */

/* The guest states a store records (trace.guest_state). */
#define RS_GS_RUNNING "running"
#define RS_GS_EXITED  "exited"
#define RS_GS_HUNG    "hung"
#define RS_GS_CRASHED "crashed"
#define RS_GS_UNKNOWN "unknown"
/* Ticks go on but every thread is blocked with nothing to wake one: the
 * guest published a stall in its header (RING.md). */
#define RS_GS_DEADLOCKED "deadlocked"
/* The guest-wide heartbeat goes on, but one CPU's own heartbeat stopped
 * (RING.md, "Several CPUs"): that CPU spins or has interrupts off. */
#define RS_GS_STUCK_CPU "stuck-cpu"

struct rs_store;

/* Returns NULL with a one-line reason in `err`. */
struct rs_store *rs_store_open(const char *path, int writable, char *err,
			       size_t errlen);
void rs_store_close(struct rs_store *st);
/* The last error, one line. */
const char *rs_store_error(const struct rs_store *st);

/*
 * Find (by nonce and region gpa) or create the trace row for `l`, make it
 * the store's current trace, and fill `resume` with the per-CPU reader
 * state a previous collect left (zeroes for a new trace). Sets *resumed to
 * 1 if the trace existed. Returns 0 or -1.
 */
int rs_store_trace_begin(struct rs_store *st, const char *source,
			 const struct rs_layout *l,
			 struct rs_reader_cpu resume[RS_MAX_CPUS], int *resumed);

/* Batches: everything between begin and commit lands atomically. */
int rs_store_begin(struct rs_store *st);
int rs_store_commit(struct rs_store *st);
void rs_store_rollback(struct rs_store *st);

/*
 * Store one decoded event of the current trace (and what derives from it:
 * threads, promises, counters, lost). Duplicates are skipped. Returns 0,
 * or -1 on a database error.
 */
int rs_store_event(struct rs_store *st, const struct rs_event *ev);

/*
 * Record a loss of unknown size on `cpu` of the current trace (table
 * lost_unknown): events an imported file lost without counting them.
 * from_ns / to_ns < 0: not known. Returns 0 or -1.
 */
int rs_store_lost_unknown(struct rs_store *st, uint16_t cpu, int64_t from_ns,
			  int64_t to_ns, const char *what);

/* Events inserted / duplicates skipped / records lost, since open. */
struct rs_store_counts {
	uint64_t inserted;
	uint64_t duplicates;
	uint64_t lost;
};
void rs_store_counts(const struct rs_store *st, struct rs_store_counts *out);

/* Save the reader's per-CPU resume state for the current trace. */
int rs_store_save_reader(struct rs_store *st, const struct rs_reader *r);

/* What the collector concluded about the guest from one look (collect.c). */
struct rs_verdict {
	const char *state;      /* one of RS_GS_* */
	uint64_t hung_at_ns;    /* hung: the last heartbeat; UINT64_MAX: none */
	const char *why;        /* why, when the ring did not say it; or NULL */
	/* stuck-cpu: the CPU, and its last own heartbeat (UINT64_MAX: none) */
	uint32_t stuck_cpu;
	uint64_t stuck_at_ns;
};

/*
 * Record the guest's state. With `deadlocked`, the stall itself (when,
 * how many threads) comes from `s`. A snapshot that says running or
 * unknown does not clear an earlier hung, deadlocked or host-crashed
 * verdict while the heartbeat has not moved since.
 */
int rs_store_set_status(struct rs_store *st, const struct rs_status *s,
			const struct rs_verdict *v);
/* The state the current trace has in the database now. */
const char *rs_store_trace_state(struct rs_store *st);

/* ---- what the host saw (store_host.c) ------------------------------- */

/* Store `n` vCPUs' registers for the current trace (replacing any). */
int rs_store_set_vcpu_regs(struct rs_store *st, const struct rs_vcpu_regs *r,
			   unsigned n, const char *origin);
/*
 * The host's verdict that the guest crashed without a panic record (a
 * triple fault): guest_state crashed, panic_reason = `reason`, panic_rip
 * from the vCPU if known, every guest-written panic column NULL. A later
 * snapshot that still says running keeps it while the heartbeat has not
 * moved (like hung). Does nothing over a guest-written panic record.
 */
int rs_store_set_host_crash(struct rs_store *st, const char *reason,
			    int has_rip, uint64_t rip);

struct rs_skew;
/* Store the measured disagreement of the CPUs' clocks (table cpu_skew)
 * for the current trace, replacing its earlier rows. */
int rs_store_set_skew(struct rs_store *st, const struct rs_skew *k);

struct rs_summary;
/* Store the names `sum` carries for its trace's code addresses (table
 * frames), replacing the trace's earlier ones. */
int rs_store_set_frames(struct rs_store *st, const struct rs_summary *sum);
/* The current trace (rs_store_trace_begin), 0 before any. */
int64_t rs_store_trace_id(const struct rs_store *st);

/* ---- summaries (info) ------------------------------------------------ */

struct rs_type_count {
	char name[32];
	int64_t count;
};

struct rs_summary {
	int64_t trace_id;
	int64_t ntraces;
	char source[256];
	uint64_t nonce, region_gpa, region_size, tsc_hz, boot_wall_ns;
	/* How the clocks were calibrated; "" and 0 where unknown. */
	char tsc_source[16], tick_method[16];
	int64_t tick_hz, timer_hz;
	int64_t ncpus;
	char mode[16];
	char guest_state[16];
	char state_why[200];          /* "" when the ring said it itself */
	int has_hung_at;
	int64_t hung_at_ns;
	int has_stuck;                /* stuck-cpu: which CPU, since when */
	int64_t stuck_cpu, stuck_at_ns;  /* stuck_at_ns < 0: unknown */
	int has_stall;                /* deadlocked: the stall the guest published */
	int64_t stalled_at_ns, stalled_threads;
	/* deadlocked: threads whose last scheduling event is a block */
	struct rs_blocked_thread blocked[RS_BLOCKED_MAX];
	int nblocked;
	int64_t collected_at;
	int64_t events, lost_events, threads, promises;
	/* losses of unknown size (table lost_unknown), and the first's why */
	int64_t lost_unknown;
	char lost_unknown_what[160];
	int64_t promises_by_state[4];  /* pending, resolved, failed, cancelled */
	int has_ts;
	int64_t first_ts_ns, last_ts_ns;
	struct rs_type_count by_type[RS_EV_TYPE_LIMIT];
	int nby_type;
	int has_panic;
	char panic_reason[RS_REASON_LEN + 1];
	uint64_t panic_rip, panic_vector, panic_error_code, panic_fault_addr;
	int64_t panic_cpu, panic_depth;
	char panic_regs[RS_REG_COUNT][2][24];  /* name, "0x..." */
	int npanic_regs;
	uint64_t backtrace[RS_BACKTRACE_MAX];
	int nbacktrace;
	int has_vector;               /* 0 for a host verdict (triple fault) */
	int has_rip;
	struct rs_vcpu_regs vcpu[RS_MAX_CPUS];
	char vcpu_origin[RS_MAX_CPUS][32];
	int nvcpu;
	/* Every CPU's registers the guest's panic path recorded (table
	 * panic_cpus), by CPU: state "stopped", "no answer" or "panicked";
	 * regs.n == 0 when it left none (no answer) */
	struct rs_panic_cpu {
		char state[16];
		int64_t ts_ns;          /* < 0: unknown */
		struct rs_vcpu_regs regs;   /* regs.cpu is the CPU */
	} panic_cpus[RS_MAX_CPUS];
	int npanic_cpus;
	/* How far the CPUs' clocks disagree (table cpu_skew): causal pairs
	 * across CPUs, and per CPU the most it is seen behind another */
	int64_t skew_pairs;
	/* per CPU, over all collects (trace_cpu): records stored and lost */
	int nper_cpu;
	struct rs_cpu_count {
		int64_t cpu, accepted, lost;
	} per_cpu[RS_MAX_CPUS];
	struct rs_cpu_behind {
		int64_t ns;             /* at least this; 0: not seen behind */
		int64_t of_cpu;
	} behind[RS_MAX_CPUS];
	/* Names of the code addresses above (table frames, or named at
	 * print time by info --kernel); .tried is 0 where none is known. */
	struct rs_sym_name panic_rip_name;
	struct rs_sym_name backtrace_name[RS_BACKTRACE_MAX];
	struct rs_sym_name vcpu_rip_name[RS_MAX_CPUS];
	struct rs_sym_name panic_cpu_rip_name[RS_MAX_CPUS];
};

/* Summarize trace `trace_id` (0 = the most recently created). Returns 0,
 * or -1 (no such trace, or a database error) with rs_store_error set. */
int rs_store_summary(struct rs_store *st, int64_t trace_id,
		     struct rs_summary *out);

#endif /* RS_COLLECTOR_STORE_H */

# tests/unikraft/unikraft.mk - `make check-unikraft`: ringside's tracer
# (guest-trace/ports/unikraft) inside a real Unikraft under QEMU TCG,
# collected live (tests/unikraft/run.sh says how). Needs the Unikraft
# sources from the peers directory (PEERS=DIR, default ../shared/peers
# from the repository's root); without them it says so and passes.
# Part of `make check` beside the cmocka suite and check-xen; it tests
# the programs as shipped, so the sanitized pass does not repeat it.

PEERS ?= ../shared/peers

.PHONY: check-unikraft
check-unikraft: $(COLLECTOR_BIN) $(SQLITE_EXT)
	BUILD=$(BUILD) PEERS=$(PEERS) tests/unikraft/run.sh

ifneq ($(SANITIZE),1)
check-run: check-unikraft
endif

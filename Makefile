# SPDX-License-Identifier: MIT
# vtep - the only build file. GNU make, no recursion into directories, safe with -j.

CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
DESTDIR ?=

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE -MMD -MP
CFLAGS += -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wmissing-declarations -Wpointer-arith -Wcast-qual -Wsign-compare
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

PKGS := liburing libconfig libpcap libsystemd
# Deferred (=) so a missing package only matters to targets that compile.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build
CONF_SRCS := $(wildcard conf/*.c)
PROTO_SRCS := $(wildcard proto/*.c)
IO_SRCS := $(wildcard io/*.c)
# Top level: vtep.c plus the daemon pieces split out of it (log, dump, ...).
TOP_SRCS := $(wildcard *.c)
DAEMON_SRCS := $(TOP_SRCS) $(CONF_SRCS) $(PROTO_SRCS) $(IO_SRCS)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(B)/obj/%.o)

# Unit tests: tests/unit/test_conf*.c link conf/ objects, test_vtep*.c link
# nothing (vtep.h helpers), every other test_*.c links proto/ objects.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)
CONF_SAN_OBJS := $(CONF_SRCS:%.c=$(B)/san/%.o)
PROTO_SAN_OBJS := $(PROTO_SRCS:%.c=$(B)/san/%.o)

NETNS_TESTS := $(sort $(wildcard tests/netns/t[0-9]*.sh))
HEADERS := $(wildcard *.h conf/*.h proto/*.h io/*.h)

.PHONY: all test check check-run check-sanitized check-valgrind check-compat install uninstall clean \
	deps demo bench bench-run fuzz lint-headers lint-includes netns unit-bins

all: vtep

vtep: $(DAEMON_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PKG_LIBS)

# The version the binary reports is the tree's at the last build: vtep.o
# depends on a stamp that is rewritten only when `git describe` changes
# (a commit, a dirty tree), not on every run.
VERSION_STAMP := $(B)/version
$(shell { mkdir -p $(B) && [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = '$(VERSION)' ] || \
	echo '$(VERSION)' >$(VERSION_STAMP); } 2>/dev/null)

$(B)/obj/vtep.o: CFLAGS += -DVTEP_VERSION='"$(VERSION)"'
$(B)/obj/vtep.o: $(VERSION_STAMP)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# Sanitized objects for unit tests (proto/ and conf/ only: they are pure).
$(B)/san/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC-SAN  $<"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(shell $(PKG_CONFIG) --cflags libconfig cmocka 2>/dev/null) -c -o $@ $<

UNIT_CONF_BINS := $(filter $(B)/unit/test_conf%,$(UNIT_BINS))
UNIT_HDR_BINS := $(filter $(B)/unit/test_vtep%,$(UNIT_BINS))
UNIT_PROTO_BINS := $(filter-out $(UNIT_CONF_BINS) $(UNIT_HDR_BINS),$(UNIT_BINS))
LINK_INPUTS = $(filter %.c %.o,$^)

$(UNIT_CONF_BINS): $(B)/unit/%: tests/unit/%.c $(CONF_SAN_OBJS)
	@mkdir -p $(@D)
	@echo "  TEST-CC $<"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $(LINK_INPUTS) $(shell $(PKG_CONFIG) --cflags --libs libconfig cmocka)

$(UNIT_HDR_BINS): $(B)/unit/%: tests/unit/%.c
	@mkdir -p $(@D)
	@echo "  TEST-CC $<"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $(LINK_INPUTS) $(shell $(PKG_CONFIG) --cflags --libs cmocka)

$(UNIT_PROTO_BINS): $(B)/unit/%: tests/unit/%.c $(PROTO_SAN_OBJS)
	@mkdir -p $(@D)
	@echo "  TEST-CC $<"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $(LINK_INPUTS) $(shell $(PKG_CONFIG) --cflags --libs cmocka) $(UNIT_WRAP)

# test_vcap makes allocations fail on demand.
$(B)/unit/test_vcap: UNIT_WRAP := -Wl,--wrap=calloc

# Keep the sanitized objects between builds (they are not intermediates).
.SECONDARY: $(PROTO_SAN_OBJS) $(CONF_SAN_OBJS)

unit-bins: $(UNIT_BINS)

# Unprivileged and fast: every cmocka program under ASan+UBSan.
test: unit-bins
	$(Q)tests/run.sh unit $(UNIT_BINS)

# Each header compiles on its own (STYLE.md 4).
lint-headers:
	$(Q)set -e; for h in $(HEADERS); do \
		echo '#include "'$$h'"' | $(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(PKG_CFLAGS) \
			-I. -x c -fsyntax-only - \
		|| { echo "header $$h does not compile on its own"; exit 1; }; \
	done; echo "  LINT    headers self-contained"

# Include edges (STYLE.md 2): conf/, proto/ and io/ never include each other.
lint-includes:
	$(Q)tests/lint-includes.sh

netns: vtep
	$(Q)tests/run.sh netns $(NETNS_TESTS)

# $(call need_root,TARGET): stop before anything is built or installed,
# saying how, unless root (the netns tests, the demo and the benchmarks make
# namespaces and taps; deps.sh runs apt-get).
need_root = if [ "$$(id -u)" -ne 0 ]; then \
	echo "make $(1): needs root (network namespaces, taps, apt-get); sudo is not needed:" >&2; \
	echo "  from a root shell in this directory: make $(1)" >&2; \
	echo "  or: su -c 'make $(1)' (then the build output belongs to root)" >&2; \
	echo "  as yourself, 'make' builds and 'make test' runs the unit tests" >&2; \
	exit 2; fi

# make check = install what is missing, then unit tests, lints and netns tests.
check:
	$(Q)$(call need_root,check)
	$(Q)packaging/deps.sh --ensure
	$(Q)$(MAKE) --no-print-directory check-run

check-run: vtep unit-bins lint-headers lint-includes
	$(Q)tests/run.sh all $(UNIT_BINS) -- $(NETNS_TESTS)

# The daemon itself under ASan+UBSan (every error fatal, leaks reported at
# exit): $(B)/asan/vtep, from its own objects so it never mixes with ./vtep.
ASAN_VTEP := $(B)/asan/vtep
ASAN_OBJS := $(DAEMON_SRCS:%.c=$(B)/asan/obj/%.o)

$(B)/asan/obj/vtep.o: CFLAGS += -DVTEP_VERSION='"$(VERSION)-asan"'

$(B)/asan/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC-ASAN $<"
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(ASAN_VTEP): $(ASAN_OBJS)
	@echo "  LD-ASAN $@"
	$(Q)$(CC) $(LDFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

# The daemon-driving netns tests against the sanitized daemon (t61/t62 test
# packaging, not the daemon, and are left to make check). lib.sh fails a test
# whose daemon log holds a sanitizer report; a leak also makes the exit
# status after SIGTERM non-zero.
SAN_NETNS_TESTS := $(filter-out %/t61-install.sh %/t62-deb.sh,$(NETNS_TESTS))
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87 \
	LSAN_OPTIONS=exitcode=88

check-sanitized:
	$(Q)$(call need_root,check-sanitized)
	$(Q)packaging/deps.sh --ensure
	$(Q)$(MAKE) --no-print-directory vtep $(ASAN_VTEP)
	$(Q)$(SAN_ENV) VTEP=$(CURDIR)/$(ASAN_VTEP) TEST_LOG_DIR=$(B)/test-logs-asan \
		tests/run.sh netns $(SAN_NETNS_TESTS)

# Three scenarios with every daemon under valgrind memcheck: multicast
# flood-and-learn, faults (a tap lost and back, underlay outage, SIGKILL and
# restart) and hitless reloads. Any error or any leak (definite, indirect,
# possible) makes valgrind exit 99, which vtep_stop reports as a non-zero
# exit status; lib.sh also fails a test whose daemon log holds a report.
VALGRIND_TESTS ?= tests/netns/t10-multicast.sh tests/netns/t74-faults.sh tests/netns/t80-reload.sh
VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible \
	--track-origins=yes

check-valgrind:
	$(Q)$(call need_root,check-valgrind)
	$(Q)packaging/deps.sh --ensure
	$(Q)$(MAKE) --no-print-directory vtep
	$(Q)VTEP_WRAP='$(VALGRIND)' VTEP_START_TIMEOUT=60 TEST_LOG_DIR=$(B)/test-logs-valgrind \
		tests/run.sh netns $(VALGRIND_TESTS)

# What a kernel before 6.7 makes the daemon do (Debian 12's own kernel is
# 6.1), forced through the environment on this one: taps read by single
# reads re-armed each time (no io_uring READ_MULTISHOT) and tap offloads
# without USO (Linux before 6.2). lib.sh checks that every daemon that got
# ready took both paths. The scenarios: multicast and unicast flooding,
# kernel vxlan interop, TCP segmentation and coalescing, workers with
# multi-queue taps (and one that fails), PMTU, the IPv6 underlay, ARP
# suppression, VLAN trunks, faults (a tap lost and back), chaos and reloads.
COMPAT_TESTS ?= tests/netns/t10-multicast.sh tests/netns/t11-unicast.sh \
	tests/netns/t20-kernel-interop-mcast.sh tests/netns/t21-kernel-interop-unicast.sh \
	tests/netns/t22-tcp-offload.sh tests/netns/t23-workers.sh tests/netns/t27-pmtu.sh \
	tests/netns/t28-ipv6-underlay.sh tests/netns/t50-arp-suppress.sh \
	tests/netns/t74-faults.sh tests/netns/t75-chaos.sh tests/netns/t78-vlan-trunk.sh \
	tests/netns/t80-reload.sh tests/netns/t88-worker-fault.sh

check-compat:
	$(Q)$(call need_root,check-compat)
	$(Q)packaging/deps.sh --ensure
	$(Q)$(MAKE) --no-print-directory vtep
	$(Q)VTEP_READ_MULTISHOT=0 VTEP_TAP_OFFLOAD=3 TEST_LOG_DIR=$(B)/test-logs-compat \
		tests/run.sh netns $(COMPAT_TESTS)

deps:
	$(Q)packaging/deps.sh

# Installs what is missing, builds, runs the three-host demo in namespaces.
demo:
	$(Q)$(call need_root,demo)
	$(Q)packaging/deps.sh --ensure
	$(Q)$(MAKE) --no-print-directory vtep
	$(Q)packaging/demo.sh

# The microbenchmarks (ns per packet, the FDB at 1M MACs), vtep against the
# kernel vxlan driver side by side (small-packet rate included, sent by
# build/bench/pktgen), the ARP measurement (8 hosts x 4 VMs, suppression off
# and on), then one daemon's VmRSS with 1M learned MACs (sent by
# build/bench/vxspray).
bench:
	$(Q)$(call need_root,bench)
	$(Q)packaging/deps.sh --ensure
	$(Q)$(MAKE) --no-print-directory bench-run

bench-run: vtep $(B)/bench/micro $(B)/bench/pktgen $(B)/bench/vxspray
	$(Q)tests/bench/micro.sh $(B)/bench/micro
	$(Q)PKTGEN=$(CURDIR)/$(B)/bench/pktgen tests/bench/netns-bench.sh
	$(Q)tests/bench/arp-suppress.sh
	$(Q)VXSPRAY=$(CURDIR)/$(B)/bench/vxspray tests/bench/fdb-rss.sh

# Not sanitized: it measures (proto/ only, like the unit tests).
$(B)/bench/micro: tests/bench/micro.c $(PROTO_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -I. -o $@ tests/bench/micro.c $(PROTO_SRCS)

# Traffic generators for the benchmarks (standalone, libc only).
$(B)/bench/pktgen: tests/bench/pktgen.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $<

$(B)/bench/vxspray: tests/tools/vxspray.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $<

# libFuzzer harnesses (STYLE.md 9): each one compiled with the module sources
# it drives (conf/ for fuzz_conf, proto/ for the rest), then run for FUZZ_TIME
# seconds on a copy of its seeds in tests/data/fuzz/; tests/fuzz/run.sh
# prints a line per harness and fails on any crash, leak or UB.
FUZZ_CC ?= clang
FUZZ_TIME ?= 10
FUZZ_ARGS ?=
FUZZ_CFLAGS ?= -g -O1
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_NAMES := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))

fuzz:
	@mkdir -p $(B)/fuzz
	$(Q)set -e; for h in $(FUZZ_NAMES); do \
		case $$h in \
		conf) srcs="$(CONF_SRCS)"; libs="$$($(PKG_CONFIG) --cflags --libs libconfig)";; \
		*) srcs="$(PROTO_SRCS)"; libs=;; \
		esac; \
		echo "  FUZZ-CC $(B)/fuzz/fuzz_$$h"; \
		$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra \
			-o $(B)/fuzz/fuzz_$$h tests/fuzz/fuzz_$$h.c $$srcs $$libs; \
	done
	$(Q)FUZZ_TIME='$(FUZZ_TIME)' FUZZ_ARGS='$(FUZZ_ARGS)' tests/fuzz/run.sh $(B)/fuzz $(FUZZ_NAMES)

# Unit files get the install paths substituted (@SBINDIR@, @SYSCONFDIR@);
# $(SYSCONFDIR)/vtep holds the NAME.conf files of vtep@NAME instances. An
# existing $(SYSCONFDIR)/vtep.conf is the operator's: never overwritten.
install: vtep
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(SYSCONFDIR)/vtep \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 vtep $(DESTDIR)$(SBINDIR)/vtep
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/vtep.conf ]; then \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/vtep.conf (yours; the example is packaging/vtep.conf)"; \
	else \
		echo "install -m 0644 packaging/vtep.conf $(DESTDIR)$(SYSCONFDIR)/vtep.conf"; \
		install -m 0644 packaging/vtep.conf $(DESTDIR)$(SYSCONFDIR)/vtep.conf; \
	fi
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		packaging/vtep.service > $(DESTDIR)$(SYSTEMDUNITDIR)/vtep.service
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		packaging/vtep@.service > $(DESTDIR)$(SYSTEMDUNITDIR)/vtep@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vtep.service $(DESTDIR)$(SYSTEMDUNITDIR)/vtep@.service
	install -m 0644 packaging/vtep.8 $(DESTDIR)$(MANDIR)/man8/vtep.8
	install -m 0644 packaging/vtep.conf.5 $(DESTDIR)$(MANDIR)/man5/vtep.conf.5

# Leaves $(SYSCONFDIR)/vtep.conf and $(SYSCONFDIR)/vtep/ (operator data) alone.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vtep $(DESTDIR)$(SYSTEMDUNITDIR)/vtep.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vtep@.service \
		$(DESTDIR)$(MANDIR)/man8/vtep.8 $(DESTDIR)$(MANDIR)/man5/vtep.conf.5

clean:
	rm -rf $(B) vtep

-include $(shell find $(B) -name '*.d' 2>/dev/null)

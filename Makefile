# offload-sec: top-level build.
#
#   make            module + every userspace program
#   make check      all tests (installs missing dependencies first)
#   make demo       an attested launch of a tiny VM in the VM harness (same)
#   make style      checkpatch --strict on the kernel sources
#   make bench      benchmarks, each against this machine's own limit:
#                   bench-host (the data path, crypto, the card model) and
#                   bench-launch (attested launches in the VM harness,
#                   against a plain copy of the same bytes)
#   make dkms-install / dkms-remove   the module through DKMS on this host
#
# Userspace builds are non-recursive; objects go to build/.  The module is
# built by kbuild against the installed Debian headers whose ABI
# tools/install-deps recorded (never uname -r: the build host's own kernel
# is not the one the module is for).

CC ?= cc
B := build
NPROC := $(shell nproc 2>/dev/null || echo 2)
CFLAGS ?= -O2 -g
WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -Iinclude/uapi -Iinclude -Ilib -D_GNU_SOURCE
ALL_CFLAGS = -std=gnu11 $(WARNFLAGS) $(CFLAGS) -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -MMD -MP

PKGS := libcrypto json-c libsystemd cmocka libcbor libnl-genl-3.0 libcurl libkmod liburing
pc = $(shell pkg-config $(1) $(2) 2>/dev/null)

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

KABI = $(shell cat $(B)/kernel/abi 2>/dev/null)
KDIR ?= /lib/modules/$(KABI)/build

LIB_SRCS := $(wildcard lib/*.c)
CLI_SRCS := $(wildcard tools/cli/*.c)
EMU_SRCS := $(filter-out tools/emu/main.c,$(wildcard tools/emu/*.c))
SECD_SRCS := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
UNIT_SRCS := $(wildcard tests/unit/test-*.c)
GUEST_SRCS := $(wildcard tests/vm/guest/*.c)
BENCH_SRCS := $(wildcard bench/bench-*.c)

# ---- offload-ras (tools/ras): sources, used by the unit-test rule below ----
RAS_SRCS := $(filter-out tools/ras/main.c,$(wildcard tools/ras/*.c))
RAS_LIBS := libmicrohttpd json-c sqlite3 libcbor libcrypto libsystemd

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
asan_obj = $(patsubst %.c,$(B)/asan/%.o,$(1))

LIBOFS := $(B)/lib/libofs.a
CLI := $(B)/bin/offload-sec
EMU := $(B)/bin/offload-sec-emu
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRCS))
GUEST_TESTS := $(patsubst tests/vm/guest/%.c,$(B)/tests/vm/%,$(GUEST_SRCS))
BENCHES := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_SRCS))
INTEROP := $(B)/tests/interop/make-sample
MODULE := kernel/offload_sec.ko

.PHONY: all userspace module check demo bench bench-host bench-launch style deps clean dkms-install dkms-remove
all: userspace module
userspace: $(CLI) $(EMU) $(UNIT_TESTS) $(GUEST_TESTS) $(BENCHES) $(INTEROP)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(call pc,--cflags,$(PKGS)) -c -o $@ $<

$(B)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -O1 $(call pc,--cflags,$(PKGS)) \
		-c -o $@ $<

$(LIBOFS): $(call obj,$(LIB_SRCS))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(CLI): $(call obj,$(CLI_SRCS)) $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(call pc,--libs,json-c libcbor libcrypto libnl-genl-3.0)

$(EMU): $(call obj,tools/emu/main.c $(EMU_SRCS)) $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(call pc,--libs,libsystemd libcbor libcrypto)

# Unit tests link the sources under test, built with ASan and UBSan.
$(B)/tests/unit/%: tests/unit/%.c $(call asan_obj,$(EMU_SRCS) $(LIB_SRCS) $(RAS_SRCS) $(SECD_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itools/ras -Idaemon $(ALL_CFLAGS) $(SAN) -O1 -o $@ $< $(filter %.o,$^) \
		$(call pc,--cflags --libs,cmocka libsystemd libcbor libcrypto json-c libnl-genl-3.0) \
		$(call pc,--libs,libmicrohttpd sqlite3 $(SECD_LIBS)) -pthread

$(B)/tests/vm/%: tests/vm/guest/%.c $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c %.a,$^) \
		$(call pc,--cflags --libs,libcbor libcrypto libnl-genl-3.0)

# Writes the sample evidence that tests/interop/verify-report.py checks.
$(INTEROP): tests/interop/make-sample.c $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c %.a,$^) \
		$(call pc,--libs,libcbor libcrypto)

# The daemon's data path: io_uring reads, hashing and sealing.
$(B)/bench/bench-pipeline: $(call obj,bench/bench-pipeline.c bench/bench.c \
		daemon/pipeline.c) $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(call pc,--libs,liburing libcrypto)

# Benchmarks link the code they measure, optimised as shipped.
$(B)/bench/%: $(call obj,bench/%.c bench/bench.c $(EMU_SRCS)) $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(call pc,--libs,libsystemd libcbor libcrypto)

# ---- offload-ras: the service, its HTTP test client, load client, fuzzers ----
RAS := $(B)/bin/offload-ras
RAS_TEST := $(B)/tests/ras/ras-http-test
RAS_BENCH := $(B)/bench/ras-load
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz-*.c)
FUZZERS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

.PHONY: fuzz clean-ras bench-ras
userspace: $(RAS) $(RAS_TEST) $(B)/tests/ras/offload-ras-asan $(RAS_BENCH) $(FUZZERS)
fuzz: $(FUZZERS)

# Closed-loop load on the service from a separate process (not in check).
bench-ras: $(B)/.deps-ok
	@$(MAKE) -s $(RAS) $(RAS_BENCH)
	@$(RAS_BENCH) $(RAS)

$(RAS): $(call obj,tools/ras/main.c $(RAS_SRCS)) $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -pthread -o $@ $^ $(call pc,--libs,$(RAS_LIBS))

# The service as the HTTP tests run it: ASan and UBSan.
$(B)/tests/ras/offload-ras-asan: $(call asan_obj,tools/ras/main.c $(RAS_SRCS) $(LIB_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) -pthread -o $@ $^ $(call pc,--libs,$(RAS_LIBS) libnl-genl-3.0 libcurl)

$(B)/tests/ras/%: tests/ras/%.c tests/ras/evidence.h $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c %.a,$^) \
		$(call pc,--libs,json-c libcbor libcrypto)

$(RAS_BENCH): bench/ras-load.c tests/ras/evidence.h $(call obj,bench/bench.c) $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests/ras -pthread -o $@ \
		$(filter %.c %.o %.a,$^) $(call pc,--libs,json-c libcbor libcrypto)

# libFuzzer (clang) over the whole library and the RAS request decoders.
$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) tools/ras/request.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -Itools/ras $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) \
		$(call pc,--cflags --libs,json-c libcbor libcrypto libnl-genl-3.0 libcurl)

# The daemon's configuration reader (the fuzzer brings its own secd_log).
$(B)/fuzz/fuzz-secd-config: tests/fuzz/fuzz-secd-config.c lib/conf.c lib/cert-io.c lib/ecdh.c \
		daemon/config.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -Idaemon $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) \
		$(call pc,--cflags,libsystemd json-c) $(call pc,--libs,libcrypto)

# The API's call decoder and Launch's parameter checks.
$(B)/fuzz/fuzz-varlink-call: tests/fuzz/fuzz-varlink-call.c $(LIB_SRCS) daemon/api-request.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -Idaemon $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) \
		$(call pc,--cflags --libs,json-c libcbor libcrypto libnl-genl-3.0 libcurl) \
		$(call pc,--cflags,libsystemd)

# ---- offload-secd (daemon/) ----
SECD := $(B)/bin/offload-secd
SECD_LIBS := libsystemd libcurl json-c libcrypto libcbor libnl-genl-3.0 libkmod liburing
userspace: $(SECD)

$(SECD): $(call obj,daemon/main.c $(SECD_SRCS)) $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -pthread -o $@ $^ $(call pc,--libs,$(SECD_LIBS))

# api.c assembles the interface description in (.incbin).
$(call obj,daemon/api.c) $(call asan_obj,daemon/api.c): daemon/io.offload-sec.Launcher.varlink

# ---- the demo (demo/): the tiny VM, its memfd loader ----
# A 32-bit freestanding ELF for the nested boot, no libc.  objcopy makes
# it one flat file that starts with head.S's hand-written ELF headers:
# its flat SHA-256 is then the digest of the bytes loaded at 1 MiB.
TINYVM := $(B)/demo/tinyvm.elf
TINYVM_SRCS := $(wildcard demo/tinyvm/*.S demo/tinyvm/*.c)
TINYVM_OBJS := $(patsubst demo/tinyvm/%,$(B)/obj/demo/tinyvm/%.o,$(basename $(TINYVM_SRCS)))
TINYVM_CFLAGS := -std=gnu11 -m32 -march=i686 -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fcf-protection=none -fno-asynchronous-unwind-tables \
	-mgeneral-regs-only -O2 $(WARNFLAGS) -MMD -MP
MEMFD_LOAD := $(B)/demo/memfd-load
userspace: $(TINYVM) $(MEMFD_LOAD)
$(B)/tests/unit/test-tinyvm: $(TINYVM)

$(B)/obj/demo/tinyvm/%.o: demo/tinyvm/%.c
	@mkdir -p $(@D)
	$(CC) $(TINYVM_CFLAGS) -c -o $@ $<

$(B)/obj/demo/tinyvm/%.o: demo/tinyvm/%.S
	@mkdir -p $(@D)
	$(CC) $(TINYVM_CFLAGS) -c -o $@ $<

$(B)/demo/tinyvm.sym: $(TINYVM_OBJS) demo/tinyvm/tinyvm.ld
	@mkdir -p $(@D)
	ld -m elf_i386 -nostdlib --no-warn-rwx-segments -T demo/tinyvm/tinyvm.ld -o $@ $(TINYVM_OBJS)

$(TINYVM): $(B)/demo/tinyvm.sym
	objcopy -O binary $< $@

$(MEMFD_LOAD): $(call obj,demo/memfd-load.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^

clean: clean-demo
clean-demo:
	rm -rf $(B)/demo

clean: clean-ras
clean-ras:
	rm -rf $(B)/fuzz

$(B)/.deps-ok: tools/install-deps
	tools/install-deps

deps:
	tools/install-deps

module: $(B)/.deps-ok
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel modules

style: $(B)/.deps-ok
	tests/style

# The module through DKMS, rebuilt for every kernel the host installs.
DKMS_VERSION = $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
dkms-install: $(B)/.deps-ok
	tools/dkms-stage /usr/src/offload-sec-$(DKMS_VERSION)
	dkms add -m offload-sec -v $(DKMS_VERSION)
	dkms install -m offload-sec -v $(DKMS_VERSION)
	install -D -m 0644 systemd/60-offload-sec.rules /etc/udev/rules.d/60-offload-sec.rules

dkms-remove:
	-dkms remove -m offload-sec -v $(DKMS_VERSION) --all
	rm -rf /usr/src/offload-sec-$(DKMS_VERSION)
	rm -f /etc/udev/rules.d/60-offload-sec.rules

# ---- make install / make uninstall: the programs, units, man pages ----
# DESTDIR stages the tree (packaging); PREFIX moves the programs, man
# pages and docs, and the installed units are rewritten to match.
# offload-secd goes where its unit's ExecStart= runs it (under PREFIX).
# The configuration is installed only where none exists, and kept by
# uninstall.
PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/offload-sec
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
UDEVRULESDIR ?= /lib/udev/rules.d
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
SECD_UNIT_PATH := $(or $(shell sed -n 's|^ExecStart=[-@:+!]*\(/[^ ]*/offload-secd\)\( .*\)*$$|\1|p' \
	systemd/offload-secd.service 2>/dev/null | head -n1),/usr/libexec/offload-secd)
SECD_PATH ?= $(patsubst /usr/%,$(PREFIX)/%,$(SECD_UNIT_PATH))
INSTALL_UNITS = $(wildcard systemd/*.service systemd/*.socket)
INSTALL_RULES = $(wildcard systemd/*.rules)
MANPAGES = $(wildcard man/*.[1-8])
UNIT_PATHS := -e 's|/usr/bin/\(offload-[a-z-]*\)|$(BINDIR)/\1|g' \
	-e 's|$(SECD_UNIT_PATH)|$(SECD_PATH)|g' \
	-e 's|/usr/share/doc/offload-sec|$(DOCDIR)|g'

.PHONY: install uninstall
install: $(CLI) $(SECD) $(RAS) $(EMU)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(CLI) $(RAS) $(EMU) $(DESTDIR)$(BINDIR)/
	install -D -m 0755 $(SECD) $(DESTDIR)$(SECD_PATH)
	for u in $(INSTALL_UNITS); do \
		sed $(UNIT_PATHS) $$u >$(DESTDIR)$(UNITDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	for f in $(wildcard systemd/*.sysusers); do \
		install -D -m 0644 $$f $(DESTDIR)$(SYSUSERSDIR)/$$(basename $$f .sysusers).conf || exit 1; \
	done
	for f in $(wildcard systemd/*.tmpfiles); do \
		install -D -m 0644 $$f $(DESTDIR)$(TMPFILESDIR)/$$(basename $$f .tmpfiles).conf || exit 1; \
	done
	for f in $(INSTALL_RULES); do \
		install -D -m 0644 $$f $(DESTDIR)$(UDEVRULESDIR)/$${f##*/} || exit 1; \
	done
	for m in $(MANPAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/offload-sec
	[ -e $(DESTDIR)$(SYSCONFDIR)/offload-sec/offload-secd.conf ] || \
		install -m 0644 docs/examples/offload-secd.conf \
		$(DESTDIR)$(SYSCONFDIR)/offload-sec/offload-secd.conf
	@[ -n "$(DESTDIR)" ] || echo "installed; now: systemd-sysusers; systemd-tmpfiles" \
		"--create; udevadm control --reload; systemctl daemon-reload"

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,offload-sec offload-ras offload-sec-emu)
	rm -f $(DESTDIR)$(SECD_PATH)
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(INSTALL_UNITS)))
	rm -f $(addprefix $(DESTDIR)$(UDEVRULESDIR)/,$(notdir $(INSTALL_RULES)))
	rm -f $(patsubst systemd/%.sysusers,$(DESTDIR)$(SYSUSERSDIR)/%.conf,$(wildcard systemd/*.sysusers))
	rm -f $(patsubst systemd/%.tmpfiles,$(DESTDIR)$(TMPFILESDIR)/%.conf,$(wildcard systemd/*.tmpfiles))
	for m in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/offload-sec (the configuration)"

check: $(B)/.deps-ok
	$(MAKE) -j$(NPROC) all
	tests/run

# Every benchmark: the host-side ones (seconds each), then the launches in
# the VM harness (~10 min under TCG).  bench-host and bench-launch run one
# half.
bench: bench-host bench-launch

bench-host: $(B)/.deps-ok
	@$(MAKE) -s -j$(NPROC) userspace
	@bench/run

demo: $(B)/.deps-ok
	@$(MAKE) -s -j$(NPROC) all
	@demo/run

bench-launch: $(B)/.deps-ok
	@$(MAKE) -s -j$(NPROC) all
	@bench/launch-run

clean:
	rm -rf $(B)/obj $(B)/asan $(B)/bin $(B)/lib $(B)/tests $(B)/vm $(B)/bench
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean >/dev/null 2>&1

-include $(shell find $(B)/obj $(B)/asan $(B)/tests -name '*.d' 2>/dev/null)

# offload-sec: top-level build.
#
#   make            module + every userspace program
#   make check      all tests (installs missing dependencies first)
#   make demo       the main job in the VM harness (same)
#   make style      checkpatch --strict on the kernel sources
#   make bench      benchmarks, each against this machine's own limit
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

PKGS := libcrypto json-c libsystemd cmocka libcbor libnl-genl-3.0
pc = $(shell pkg-config $(1) $(2) 2>/dev/null)

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

KABI = $(shell cat $(B)/kernel/abi 2>/dev/null)
KDIR ?= /lib/modules/$(KABI)/build

LIB_SRCS := $(wildcard lib/*.c)
CLI_SRCS := $(wildcard tools/cli/*.c)
EMU_SRCS := $(filter-out tools/emu/main.c,$(wildcard tools/emu/*.c))
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

.PHONY: all userspace module check demo bench style deps clean dkms-install dkms-remove
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
$(B)/tests/unit/%: tests/unit/%.c $(call asan_obj,$(EMU_SRCS) $(LIB_SRCS) $(RAS_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itools/ras $(ALL_CFLAGS) $(SAN) -O1 -o $@ $(filter %.c %.o,$^) \
		$(call pc,--cflags --libs,cmocka libsystemd libcbor libcrypto json-c libnl-genl-3.0) \
		$(call pc,--libs,libmicrohttpd sqlite3) -pthread

$(B)/tests/vm/%: tests/vm/guest/%.c $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c %.a,$^) \
		$(call pc,--cflags --libs,libcbor libcrypto libnl-genl-3.0)

# Writes the sample evidence that tests/interop/verify-report.py checks.
$(INTEROP): tests/interop/make-sample.c $(LIBOFS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c %.a,$^) \
		$(call pc,--libs,libcbor libcrypto)

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
	$(CC) $(CFLAGS) $(SAN) -pthread -o $@ $^ $(call pc,--libs,$(RAS_LIBS) libnl-genl-3.0)

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
		$(call pc,--cflags --libs,json-c libcbor libcrypto libnl-genl-3.0)

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

check: $(B)/.deps-ok
	$(MAKE) -j$(NPROC) all
	tests/run

bench: $(B)/.deps-ok
	@$(MAKE) -s -j$(NPROC) userspace
	@bench/run

demo: $(B)/.deps-ok
	@$(MAKE) -s -j$(NPROC) all
	@tests/vm/run --demo

clean:
	rm -rf $(B)/obj $(B)/asan $(B)/bin $(B)/lib $(B)/tests $(B)/vm $(B)/bench
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean >/dev/null 2>&1

-include $(shell find $(B)/obj $(B)/asan $(B)/tests -name '*.d' 2>/dev/null)

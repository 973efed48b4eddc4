# cgview: one entry point for everything. `make help` lists the targets.

SHELL := /bin/bash
BUILD := build
PYTEST := /usr/bin/python3 -m pytest -p no:cacheprovider
VM_RUN := tests/vm/run
KERNEL := $(BUILD)/kernel-debug/arch/x86/boot/bzImage

CC := gcc
VERSION := $(shell cat VERSION)
DEB := $(BUILD)/deb/cgview_$(VERSION)_amd64.deb
CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-DCGVIEW_VERSION='"$(VERSION)"'
# Library flags are looked up when a recipe runs (=, not :=): on a fresh
# machine `make deps` installs the libraries and pkg-config after make has
# read this file
LIBBPF_LIBS = $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)
# BPF objects: clang 15 or later emits the btf_type_tag of a kptr
# (scripts/deps.sh installs Debian's clang-19)
BPF_CC := clang-19
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I$(BUILD)/views -Iviews

VIEWS := $(patsubst views/%.bpf.c,%,$(wildcard views/*.bpf.c))
# lib/: what both programs need, compiled into each
LIB_SRCS := $(wildcard lib/*.c)
LIB_HDRS := $(wildcard lib/*.h)
CGVIEW_SRCS := $(wildcard cgview/*.c) $(LIB_SRCS)
SKELS := $(VIEWS:%=$(BUILD)/views/%.skel.h)

.PHONY: all help deps bpftool kernel kernel-bench kernel-src kernel-patches kernel-each kernel-matrix checkpatch selftests-bpf test-selftests-bpf \
	cgview test test-unit test-host test-vm bench demo clean \
	exporter test-exporter fuzz bench-exporter bench-recorders bench-cgroups demo-host \
	bench-peers bench-plot bench-views-host bench-top install deb
.DELETE_ON_ERROR:
# keep the BPF objects between the skeletons and their sources
.SECONDARY:

all: cgview exporter

help:
	@echo "make deps           install the Debian packages cgview needs"
	@echo "make demo           boot the patched kernel: every view, --inherit, cat of the files"
	@echo "make test           all tests: unit, host (stock kernel), vm (patched kernel)"
	@echo "make test-unit|test-host|test-vm   one tier"
	@echo "make                build every program: $(BUILD)/cgview and $(BUILD)/cgview-exporter"
	@echo "make cgview         build $(BUILD)/cgview"
	@echo "make kernel         build the patched debug (test) kernel"
	@echo "make kernel-bench   build the patched kernel without debug options"
	@echo "make bench          benchmarks on the non-debug kernel (bench/README.md)"
	@echo "make bench-views-host each view's read cost against cpu.stat (host, stock mode)"
	@echo "make bench-recorders what each view's recorders add per event (host)"
	@echo "make bench-cgroups  mkdir/rmdir of 10,000 cgroups without and with the series"
	@echo "make demo-host      every view on the running kernel (stock mode)"
	@echo "make kernel-src     $(BUILD)/linux ready for editing (series as commits)"
	@echo "make kernel-patches export $(BUILD)/linux's commits to kernel-patches/"
	@echo "make bpftool        $(BUILD)/bpftool/bpftool, the series' bpftool (it shows views)"
	@echo "make checkpatch     scripts/checkpatch.pl --strict over the series, and docutils"
	@echo "                    over the reStructuredText it adds (scripts/check-rst.sh)"
	@echo "make kernel-each    build the series patch by patch (each must build alone)"
	@echo "make selftests-bpf  build the series' BPF selftests for views (test_progs)"
	@echo "make test-selftests-bpf   run them in the VM on the debug kernel"
	@echo "make kernel-matrix  build the series in four tinyconfig configurations"
	@echo "make exporter       build $(BUILD)/cgview-exporter"
	@echo "make install        install the programs, views, schemas, rules, man pages and"
	@echo "                    systemd units (PREFIX=$(PREFIX), DESTDIR, SYSCONFDIR=$(SYSCONFDIR))"
	@echo "make deb            $(DEB): the same as a Debian package"
	@echo "make test-exporter  the exporter's tests (host, real cgroups, real Prometheus)"
	@echo "make fuzz           fuzz the exporter's parser for longer (FUZZ_SECONDS=300)"
	@echo "make bench-exporter the exporter's CPU per scrape against a bare read loop"
	@echo "make bench-top      cgview top -b's CPU per refresh against its exporter's scrape"
	@echo "make bench-peers    netdata's and PCP's CPU per cgroup against the exporter"
	@echo "make bench-plot     bench/cpu-per-cgroup.png from build/bench/*.dat"

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/kernel-build.sh debug

kernel-bench: deps
	@scripts/kernel-build.sh bench

kernel-src: deps
	@scripts/kernel-tree.sh
	@echo "kernel-src: edit and commit in $(BUILD)/linux (branch cgview), then 'make kernel-patches'"

kernel-patches:
	@scripts/kernel-patches.sh

kernel-each: deps
	@scripts/kernel-each.sh

kernel-matrix: deps
	@scripts/kernel-matrix.sh

checkpatch: deps
	@scripts/checkpatch.sh
	@scripts/check-rst.sh

# Views (views/: what runs in the kernel) and the cgview tool (cgview/),
# which carries them built in. vmlinux.h comes from the running kernel's BTF;
# CO-RE relocations make the programs load on other kernels too.
$(BUILD)/views/vmlinux.h: | deps
	@mkdir -p $(@D)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/views/%.bpf.o: views/%.bpf.c $(wildcard views/*.bpf.h) $(BUILD)/views/vmlinux.h
	$(BPF_CC) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/views/%.skel.h: $(BUILD)/views/%.bpf.o
	bpftool gen skeleton $< name $* > $@

# cgview top reads cgview-exporter's snapshot stream (proto/cgview.proto)
CGVIEW_PROTO := $(BUILD)/proto/cgview.pb-c.c
CGVIEW_LIBS = $(LIBBPF_LIBS) $(shell pkg-config --libs libprotobuf-c ncurses 2>/dev/null || \
	echo -lprotobuf-c -lncurses -ltinfo)
# cgview pins and queries views through libbpf where its bpf/bpf.h has the
# series' view fields (the series' libbpf), through bpf(2) elsewhere
libbpf_views = $(shell printf '\043include <bpf/bpf.h>\nint x = sizeof(((struct bpf_obj_pin_opts *)0)->expected_view_revision);\n' | \
	$(CC) $(1) -x c -fsyntax-only - 2>/dev/null && echo -DCGVIEW_LIBBPF_VIEWS)
CGVIEW_DEPS := $(CGVIEW_SRCS) $(wildcard cgview/*.h) $(LIB_HDRS) $(SKELS) $(CGVIEW_PROTO) \
	$(CGVIEW_PROTO:.c=.h)
CGVIEW_CC = $(CC) $(CFLAGS) $(1) $(call libbpf_views,$(1)) -Icgview -Ilib -I$(BUILD)/views \
	-I$(BUILD)/proto -o $@ $(CGVIEW_SRCS) $(CGVIEW_PROTO)
$(BUILD)/cgview: $(CGVIEW_DEPS)
	$(call CGVIEW_CC,) $(CGVIEW_LIBS)

# The same cgview built against the series' libbpf, statically: it pins and
# queries views through the series' libbpf API (tests/vm/guest/test_cgview_libbpf.py)
$(BUILD)/cgview-series-libbpf: $(CGVIEW_DEPS) $(BUILD)/libbpf/libbpf.so
	$(call CGVIEW_CC,-I$(BUILD)/libbpf/include) $(BUILD)/libbpf/libbpf.a \
		$(filter-out -lbpf,$(CGVIEW_LIBS)) -lelf -lz

cgview: deps $(BUILD)/cgview

# libbpf as the series patches it (tools/lib/bpf), for the tests that check
# SEC("view/...") support in libbpf itself
$(BUILD)/libbpf/libbpf.so: kernel-patches/series $(wildcard kernel-patches/*.patch) | deps
	@scripts/kernel-tree.sh
	@mkdir -p $(@D)
	$(MAKE) -s -C $(BUILD)/linux/tools/lib/bpf OUTPUT=$(abspath $(@D))/ $(abspath $@) \
		$(abspath $(@D))/libbpf.a
	$(MAKE) -s -C $(BUILD)/linux/tools/lib/bpf OUTPUT=$(abspath $(@D))/ \
		DESTDIR=$(abspath $(@D)) prefix= install_headers

# bpftool as the series patches it (tools/bpf/bpftool), which shows view
# links and the views in a cgroup
bpftool: deps $(BUILD)/bpftool/bpftool

$(BUILD)/bpftool/bpftool: kernel-patches/series $(wildcard kernel-patches/*.patch) | deps
	@scripts/kernel-tree.sh
	@mkdir -p $(@D)
	$(MAKE) -s -C $(BUILD)/linux/tools/bpf/bpftool OUTPUT=$(abspath $(@D))/

# Views that only tests load, from their object files
TEST_VIEWS := $(patsubst tests/vm/views/%.bpf.c,$(BUILD)/tests/%.bpf.o,$(wildcard tests/vm/views/*.bpf.c))
$(BUILD)/tests/%.bpf.o: tests/vm/views/%.bpf.c views/view.bpf.h tests/vm/views/refused.h \
		$(BUILD)/views/vmlinux.h
	@mkdir -p $(@D)
	$(BPF_CC) $(BPF_CFLAGS) -c $< -o $@
# io_latency recording loop devices' requests only (major 7), with a table
# of one window (4 slots), where any two loop devices' requests share the
# window, and with the stock table of 16,384 slots, which counts what the
# small one must count (tests/host/test_io_latency_collisions.py); and the
# small one seeing no read's completion, so that each read leaves its
# slot stale (tests/host/test_io_latency_stale.py)
TEST_VIEWS += $(BUILD)/tests/io_latency_tiny.bpf.o $(BUILD)/tests/io_latency_loop.bpf.o \
	$(BUILD)/tests/io_latency_stale.bpf.o
$(BUILD)/tests/io_latency_tiny.bpf.o: IO_LATENCY_FLAGS := -DINFLIGHT_SHIFT=2
$(BUILD)/tests/io_latency_stale.bpf.o: IO_LATENCY_FLAGS := -DINFLIGHT_SHIFT=2 \
	-DCGVIEW_TEST_LOSE_READS
$(BUILD)/tests/io_latency_tiny.bpf.o $(BUILD)/tests/io_latency_loop.bpf.o \
		$(BUILD)/tests/io_latency_stale.bpf.o: \
		views/io_latency.bpf.c $(wildcard views/*.bpf.h) $(BUILD)/views/vmlinux.h
	@mkdir -p $(@D)
	$(BPF_CC) $(BPF_CFLAGS) $(IO_LATENCY_FLAGS) -DINFLIGHT_ONLY_MAJOR=7 -c $< -o $@

# the id view as views built before the bulk walk resumed by cgroup id
# answer cgview-exporter (tests/host/test_view_records.py)
TEST_VIEWS += $(BUILD)/tests/old/id.bpf.o
$(BUILD)/tests/old/id.bpf.o: views/id.bpf.c $(wildcard views/*.bpf.h) $(BUILD)/views/vmlinux.h
	@mkdir -p $(@D)
	$(BPF_CC) $(BPF_CFLAGS) -DCGVIEW_TEST_OLD_BULK -c $< -o $@

# Each tier runs even when an earlier one failed; `make test` fails if any did.
test:
	@rc=0; for t in test-unit test-host test-exporter test-vm; do \
		$(MAKE) --no-print-directory $$t || { echo "*** $$t FAILED"; rc=1; }; \
	done; exit $$rc

test-unit: deps cgview $(BUILD)/tests/top-cells
	$(PYTEST) tests/unit

# cgview top's value cells for given values (tests/unit/test_top_cells.py)
$(BUILD)/tests/top-cells: tests/unit/top_cells.c cgview/top_view.c cgview/top_model.c \
		$(wildcard cgview/*.h) lib/escape.c $(LIB_HDRS) $(CGVIEW_PROTO:.c=.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Icgview -Ilib -I$(BUILD)/views -I$(BUILD)/proto -o $@ $< \
		cgview/top_model.c lib/escape.c -lm

test-host: deps cgview exporter $(TEST_VIEWS) $(DEB)
	$(PYTEST) tests/host

test-vm: deps cgview exporter kernel $(TEST_VIEWS) $(BUILD)/libbpf/libbpf.so $(BUILD)/bpftool/bpftool \
		$(BUILD)/cgview-series-libbpf selftests-bpf
	@rc=0; \
	$(VM_RUN) -- $(PYTEST) tests/vm/guest || rc=1; \
	echo "test-vm: the series' BPF selftests for views (test_progs -t bpf_view)"; \
	$(VM_RUN) -- $(BUILD)/selftests-bpf/test_progs -t bpf_view || rc=1; \
	$(PYTEST) tests/vm/selftest || rc=1; \
	exit $$rc

# The series' own BPF selftests for views (tools/testing/selftests/bpf in
# the kernel tree): a test_progs with only those tests, for the debug kernel
selftests-bpf: deps kernel
	@scripts/kernel-tree.sh >/dev/null
	@scripts/selftests-bpf.sh

test-selftests-bpf: selftests-bpf
	$(VM_RUN) -- $(BUILD)/selftests-bpf/test_progs -t bpf_view

# Install (README.md, "Install"). SYSCONFDIR holds the exporter's options
# file, kept if it is there; systemd finds units under PREFIX/lib/systemd.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR = $(PREFIX)/bin
SHARE = $(PREFIX)/share/cgview
UNITDIR = $(PREFIX)/lib/systemd/system
UNITS := cgview-exporter.service cgview-watch.service

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PREFIX)/lib/cgview/views \
		$(DESTDIR)$(SHARE)/schemas $(DESTDIR)$(SHARE)/prometheus \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/default \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(BUILD)/cgview $(BUILD)/cgview-exporter $(DESTDIR)$(BINDIR)
	install -m 644 $(VIEWS:%=$(BUILD)/views/%.bpf.o) $(DESTDIR)$(PREFIX)/lib/cgview/views
	install -m 644 views/*.schema exporter/schemas/*.schema $(DESTDIR)$(SHARE)/schemas
	install -m 644 dist/cgview.rules.yml dist/cgview.rules.test.yml $(DESTDIR)$(SHARE)/prometheus
	install -m 644 exporter/cgview-exporter.1 $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 cgview/cgview.8 $(DESTDIR)$(PREFIX)/share/man/man8
	for u in $(UNITS); do \
		sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			dist/$$u.in > $(DESTDIR)$(UNITDIR)/$$u && chmod 644 $(DESTDIR)$(UNITDIR)/$$u; \
	done
	[ -e $(DESTDIR)$(SYSCONFDIR)/default/cgview-exporter ] || \
		install -m 644 dist/cgview-exporter.default $(DESTDIR)$(SYSCONFDIR)/default/cgview-exporter

deb: $(DEB)
$(DEB): all VERSION dist/debian/control.in dist/debian/copyright dist/debian/changelog \
		$(wildcard dist/*.in dist/*.yml dist/*.default views/*.schema exporter/schemas/*.schema) \
		cgview/cgview.8 exporter/cgview-exporter.1
	@scripts/deb.sh $(VERSION) $@

# Benchmarks: never part of `make test`. See bench/README.md.
$(BUILD)/bench/read_cost: bench/read_cost.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

# TCG's TSC is the host's clock, but the watchdog finds it unstable against
# late jiffies and falls back to them (4 ms steps): tsc=reliable keeps it.
# READ_COST_OBJECTS="DIR/NAME.bpf.o ...": views from object files as well.
bench: deps cgview kernel-bench $(BUILD)/bench/read_cost
	$(VM_RUN) --quiet --append tsc=reliable \
		--kernel $(BUILD)/kernel-bench/arch/x86/boot/bzImage -- \
		bench/read-cost $(READ_COST_OBJECTS)

# The same views' read cost on the running kernel, as stock-mode pins
bench-views-host: deps cgview $(BUILD)/bench/read_cost
	bench/read-cost --stock $(READ_COST_OBJECTS)

# mkdir and rmdir of 10,000 cgroups, without the series and with it
$(BUILD)/bench/cgroup_churn: bench/cgroup_churn.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

bench-cgroups: deps cgview kernel-bench $(BUILD)/bench/cgroup_churn
	@scripts/kernel-base.sh
	bench/cgroups

# cgview-exporter: protobuf-c for the protos, the schemas compiled in
EXPORTER_SRCS := $(filter-out exporter/fuzz_%.c exporter/%.bpf.c,$(wildcard exporter/*.c)) \
	$(LIB_SRCS)
EXPORTER_PROTOS := $(patsubst proto/%.proto,$(BUILD)/proto/%.pb-c.c,$(wildcard proto/*.proto))
EXPORTER_SCHEMAS := $(sort $(wildcard exporter/schemas/*.schema)) $(sort $(wildcard views/*.schema))
EXPORTER_CFLAGS := $(CFLAGS) -Iexporter -Ilib -I$(BUILD)/proto -I$(BUILD)/exporter
EXPORTER_LIBS = $(shell pkg-config --libs libprotobuf-c libcurl libmicrohttpd zlib 2>/dev/null || \
	echo -lprotobuf-c -lcurl -lmicrohttpd -lz) \
	-lsnappy -lm -lpthread $(LIBBPF_LIBS)
PARSER_SRCS := exporter/parse.c exporter/model.c exporter/schema.c exporter/self.c \
	exporter/util.c exporter/names.c $(BUILD)/exporter/schemas.c \
	$(LIB_SRCS)
FUZZ_SECONDS ?= 300

$(BUILD)/proto/%.pb-c.c: proto/%.proto | deps
	@mkdir -p $(@D)
	protoc-c --c_out=$(@D) -Iproto $<
$(BUILD)/proto/%.pb-c.h: $(BUILD)/proto/%.pb-c.c ;

# every schema as one C string: a 'file NAME' line starts each
$(BUILD)/exporter/schemas.c: $(EXPORTER_SCHEMAS)
	@mkdir -p $(@D)
	{ echo 'const char builtin_schemas[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&\\n"/' $^; echo ';'; } > $@

# the bulk read's program, CO-RE like the views
$(BUILD)/exporter/bulk.bpf.o: exporter/bulk.bpf.c exporter/bulk_rec.h views/walk.bpf.h $(BUILD)/views/vmlinux.h
	@mkdir -p $(@D)
	$(BPF_CC) $(BPF_CFLAGS) -Iexporter -c $< -o $@
$(BUILD)/exporter/bulk.skel.h: $(BUILD)/exporter/bulk.bpf.o
	bpftool gen skeleton $< name bulk_bpf > $@

$(BUILD)/cgview-exporter: $(EXPORTER_SRCS) exporter/exporter.h exporter/bulk_rec.h $(LIB_HDRS) VERSION \
		$(BUILD)/exporter/bulk.skel.h $(EXPORTER_PROTOS) \
		$(EXPORTER_PROTOS:.c=.h) $(BUILD)/exporter/schemas.c
	$(CC) $(EXPORTER_CFLAGS) -o $@ $(EXPORTER_SRCS) $(EXPORTER_PROTOS) \
		$(BUILD)/exporter/schemas.c $(EXPORTER_LIBS)

# the parser alone under ASan+UBSan, and as a libFuzzer target
$(BUILD)/exporter/parse-asan: exporter/fuzz_parse.c $(PARSER_SRCS) exporter/exporter.h $(LIB_HDRS)
	clang $(EXPORTER_CFLAGS) -DPARSE_MAIN -fsanitize=address,undefined \
		-fno-sanitize-recover=all -o $@ exporter/fuzz_parse.c $(PARSER_SRCS) -lm
$(BUILD)/exporter/fuzz-parse: exporter/fuzz_parse.c $(PARSER_SRCS) exporter/exporter.h $(LIB_HDRS)
	clang $(EXPORTER_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $@ exporter/fuzz_parse.c $(PARSER_SRCS) -lm

$(BUILD)/py/%_pb2.py: proto/%.proto | deps
	@mkdir -p $(@D)
	protoc --python_out=$(@D) -Iproto $<

exporter: deps $(BUILD)/cgview-exporter $(BUILD)/py/cgview_pb2.py

# The official opentelemetry-proto definitions, to decode what the exporter
# sends in tests (proto/otlp.proto is our subset): the .proto files that the
# npm package below ships, checked against the digest recorded here
OTEL_NPM := @opentelemetry/otlp-grpc-exporter-base@0.38.0
OTEL_SHA512 := c301b1789b7cd30fa6200d1a13e2bd3ac864c84a1842b5eec179754cd641b3d2bba84e0002212ec54f5c6dddd55f7053b29fb1ccd70345621bf565a4894f7e90
OTEL_PY := $(BUILD)/otel-py/opentelemetry/proto/collector/metrics/v1/metrics_service_pb2.py
$(OTEL_PY): | deps
	rm -rf $(BUILD)/otel-npm $(BUILD)/otel-py
	mkdir -p $(BUILD)/otel-npm $(BUILD)/otel-py
	@command -v npm > /dev/null || { echo "npm is missing: install Node.js with npm" >&2; exit 1; }
	cd $(BUILD)/otel-npm && npm pack --silent $(OTEL_NPM) > /dev/null
	echo "$(OTEL_SHA512)  $$(ls $(BUILD)/otel-npm/*.tgz)" | sha512sum -c --quiet
	tar xzf $(BUILD)/otel-npm/*.tgz -C $(BUILD)/otel-npm
	cd $(BUILD)/otel-npm/package/build/protos && protoc --python_out=$(CURDIR)/$(BUILD)/otel-py \
		opentelemetry/proto/collector/metrics/v1/metrics_service.proto \
		opentelemetry/proto/metrics/v1/metrics.proto \
		opentelemetry/proto/common/v1/common.proto \
		opentelemetry/proto/resource/v1/resource.proto

# client_model's metrics.proto (Debian), to decode /metrics' protobuf format;
# as client_model_metrics_pb2 (a module path io/... would hide Python's io)
PROM_PY := $(BUILD)/prom-py/client_model_metrics_pb2.py
CLIENT_MODEL := /usr/share/gocode/src/github.com/prometheus/client_model
$(PROM_PY): | deps
	@mkdir -p $(BUILD)/prom-py
	cp $(CLIENT_MODEL)/io/prometheus/client/metrics.proto $(BUILD)/prom-py/client_model_metrics.proto
	protoc --python_out=$(BUILD)/prom-py -I$(BUILD)/prom-py -I/usr/include \
		$(BUILD)/prom-py/client_model_metrics.proto

test-exporter: deps cgview exporter $(BUILD)/exporter/parse-asan $(BUILD)/exporter/fuzz-parse $(OTEL_PY) $(PROM_PY)
	$(PYTEST) tests/exporter

fuzz: deps $(BUILD)/exporter/fuzz-parse
	@mkdir -p $(BUILD)/fuzz-corpus
	$(BUILD)/exporter/fuzz-parse -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(BUILD)/fuzz- \
		$(BUILD)/fuzz-corpus tests/exporter/fixtures

$(BUILD)/bench/bare_scrape: bench/bare_scrape.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

bench-exporter: deps exporter cgview $(BUILD)/bench/bare_scrape
	bench/exporter-cost

# cgview top -b's CPU per refresh against its exporter's scrape (host)
bench-top: deps exporter cgview
	bench/top-cost

# netdata's cgroups plugin and PCP's pmdaproc on the same tree (host)
bench-peers: deps exporter $(BUILD)/bench/bare_scrape
	@scripts/deps.sh peers
	bench/peers

# CPU per cgroup of each path and peer: bench-peers' figures first
bench-plot:
	@scripts/deps.sh plot
	bench/plot bench/cpu-per-cgroup.png $(wildcard $(BUILD)/bench/exporter.dat) \
		$(wildcard $(BUILD)/bench/peers.dat)

demo: deps cgview exporter kernel
	@$(VM_RUN) --quiet -- tests/vm/demo

# What each view's recorders add per event, on the host (stock) kernel
$(BUILD)/bench/recorders: bench/recorders.c bench/empty.c bench/empty.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ bench/recorders.c bench/empty.c -lbpf

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(BUILD)/views/vmlinux.h
	@mkdir -p $(@D)
	$(BPF_CC) $(BPF_CFLAGS) -c $< -o $@

bench-recorders: deps cgview $(BUILD)/bench/recorders $(BUILD)/bench/empty.bpf.o \
		$(BUILD)/bench/floor.bpf.o
	bench/recorders

# The demo on the running (stock) kernel: every view, --inherit, cat
demo-host: deps cgview exporter
	@tests/host/demo

clean:
	rm -rf $(BUILD)/views $(BUILD)/cgview $(BUILD)/vm $(BUILD)/exporter \
		$(BUILD)/cgview-exporter $(BUILD)/proto

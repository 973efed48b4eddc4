#!/bin/bash
# Build the series' BPF selftests for views: a test_progs that holds only
# the tests named in $TESTS (default: every prog_tests/bpf_view*.c), made
# from the kernel tree's own tools/testing/selftests/bpf sources, its
# libbpf and its bootstrap bpftool, with Debian's clang and gcc.
#
# The selftests' Makefile cannot build a subset: it compiles every test and
# program (1,100 files), needs bpf_testmod.ko and other modules, and the
# selftests' kernel config (IPv6, netfilter, ...); our test kernels are
# small tinyconfig ones without modules. This script follows that
# Makefile's rules and flags for the few files these tests need, and the
# result is the same test_progs runner (-t, -a, subtests, its summary).
#
# usage: scripts/selftests-bpf.sh [--ksrc DIR] [--btf FILE] [--out DIR]
#   --ksrc  kernel tree (default build/linux, the series applied)
#   --btf   the test kernel's BTF, for vmlinux.h: a vmlinux or the raw
#           .BTF section (default build/kernel-debug/vmlinux.btf)
#   --out   build directory (default build/selftests-bpf)
# Incremental: a second run rebuilds only what changed.
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

btf=$top/build/kernel-debug/vmlinux.btf
out=$top/build/selftests-bpf
while [ $# -gt 0 ]; do
	case $1 in
	--ksrc) ksrc=$2; shift 2 ;;
	--btf) btf=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) die "usage: scripts/selftests-bpf.sh [--ksrc DIR] [--btf FILE] [--out DIR]" ;;
	esac
done
ksrc=$(realpath "$ksrc")
out=$(realpath -m "$out")
st=$ksrc/tools/testing/selftests/bpf
[ -f "$btf" ] || die "no kernel BTF at $btf; run 'make kernel' first"
[ -d "$st" ] || die "no selftests in $ksrc; run 'make kernel-src' first"
if [ -z "${TESTS:-}" ]; then
	TESTS=$(cd "$st/prog_tests" && ls bpf_view*.c 2>/dev/null | sed 's/\.c$//' | tr '\n' ' ')
fi
[ -n "$TESTS" ] || die "no view selftests in $st/prog_tests"
jobs=$(nproc)
mkdir -p "$out/libbpf" "$out/bpftool" "$out/include" "$out/obj" "$out/prog_tests"

# libbpf (static, with its headers) and the bootstrap bpftool, which has
# what the build needs (btf dump, gen object, gen skeleton)
build_tools() {
	make -s -C "$ksrc/tools/lib/bpf" OUTPUT="$out/libbpf/" DESTDIR="$out" \
		prefix= EXTRA_CFLAGS='-g -O0' -j"$jobs" "$out/libbpf/libbpf.a" \
		install_headers >/dev/null
	make -s -C "$ksrc/tools/bpf/bpftool" OUTPUT="$out/bpftool/" -j"$jobs" \
		bootstrap >/dev/null
	bpftool=$out/bpftool/bootstrap/bpftool
}

build_vmlinux_h() {
	local h=$out/include/vmlinux.h
	[ -f "$h" ] && [ "$h" -nt "$btf" ] && return 0
	"$bpftool" btf dump file "$btf" format c >"$h.tmp"
	mv "$h.tmp" "$h"
}

# progs/<test>.c and progs/<test>_*.c, each to an object and a skeleton,
# as the Makefile's rules for test_progs' BPF objects
build_bpf_objects() {
	local sysinc t p n obj
	sysinc=$(clang -v -E - </dev/null 2>&1 |
		sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
	# shellcheck disable=SC2086
	set -- -g -O2 --target=bpf -mcpu=v3 -Wall -Werror -D__TARGET_ARCH_x86 \
		-mlittle-endian -I"$out/include" -I"$st" -I"$ksrc/tools/include/uapi" \
		-Wno-compare-distinct-pointer-types $sysinc
	for t in $TESTS; do
		for p in "$st/progs/$t.c" "$st/progs/${t}"_*.c; do
			[ -f "$p" ] || continue
			n=$(basename "$p" .c)
			# progs/bpf_view_x.c belongs to test bpf_view_x if there is one
			[ "$n" != "$t" ] && [ -f "$st/prog_tests/$n.c" ] && continue
			obj=$out/$n.bpf.o
			if [ "$obj" -nt "$p" ] && [ "$obj" -nt "$out/include/vmlinux.h" ] &&
			   [ "$out/$n.skel.h" -nt "$obj" ]; then
				continue
			fi
			clang "$@" -c "$p" -o "$obj"
			"$bpftool" gen object "$out/$n.linked.o" "$obj"
			"$bpftool" gen skeleton "$out/$n.linked.o" name "$n" >"$out/$n.skel.h"
			rm -f "$out/$n.linked.o"
		done
	done
}

# prog_tests/tests.h lists the chosen tests only (the Makefile's sed)
write_tests_h() {
	local t
	for t in $TESTS; do
		sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2)/p' \
			"$st/prog_tests/$t.c"
	done | sort >"$out/prog_tests/tests.h.tmp"
	if cmp -s "$out/prog_tests/tests.h.tmp" "$out/prog_tests/tests.h"; then
		rm "$out/prog_tests/tests.h.tmp"
	else
		mv "$out/prog_tests/tests.h.tmp" "$out/prog_tests/tests.h"
	fi
}

# test_progs and the Makefile's TRUNNER_EXTRA_SOURCES, with its CFLAGS,
# through a generated makefile so that only what changed is compiled
build_test_progs() {
	local extra s t objs=""
	extra="test_progs cgroup_helpers trace_helpers network_helpers
		testing_helpers btf_helpers cap_helpers unpriv_helpers
		netlink_helpers jit_disasm_helpers test_loader xsk disasm
		disasm_helpers json_writer"
	for s in $extra; do objs="$objs $out/obj/$s.o"; done
	for t in $TESTS; do objs="$objs $out/obj/$t.test.o"; done
	{
		echo "$out/test_progs: $objs $out/libbpf/libbpf.a"
		printf '\tgcc -o $@ $^ -lelf -lz -lrt -lpthread\n'
		for s in $extra; do
			echo "$out/obj/$s.o: $st/$s.c $out/prog_tests/tests.h"
			printf '\tgcc $(CFLAGS) -c $< -o $@\n'
		done
		for t in $TESTS; do
			echo "$out/obj/$t.test.o: $st/prog_tests/$t.c $(ls "$out/$t"*.skel.h | tr '\n' ' ')"
			printf '\tgcc $(CFLAGS) -c $< -o $@\n'
		done
		echo "-include $out/obj/*.d"
	} >"$out/Makefile.gen"
	make -s -f "$out/Makefile.gen" -j"$jobs" CFLAGS="-g -O0 -rdynamic -Wall \
		-Werror -fno-omit-frame-pointer -I$out -I$st -I$out/include \
		-I$ksrc/tools/lib -I$ksrc/tools/include -I$ksrc/tools/arch/x86/include \
		-I$ksrc/tools/include/uapi -MMD"
}

build_tools
build_vmlinux_h
build_bpf_objects
write_tests_h
build_test_progs
echo "selftests-bpf: $out/test_progs ($TESTS)"

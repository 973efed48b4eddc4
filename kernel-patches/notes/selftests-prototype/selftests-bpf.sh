#!/bin/sh
# Prototype: build a test_progs with only the tests in $TESTS (default bpf_view)
# from the tree's tools/testing/selftests/bpf, into build/selftests-bpf.
# usage: scripts/selftests-bpf.sh [KSRC [VMLINUX]]
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
KSRC=$(realpath "${1:-$REPO/build/linux}")
VMLINUX=$(realpath "${2:-$REPO/build/kernel-debug/vmlinux}")
TESTS=${TESTS:-bpf_view}
O=$REPO/build/selftests-bpf
ST=$KSRC/tools/testing/selftests/bpf
J=${J:-2}
mkdir -p "$O/libbpf" "$O/bpftool" "$O/include" "$O/obj" "$O/prog_tests"

# 1. libbpf (static) + headers; 2. bpftool bootstrap (make is incremental)
make -s -C "$KSRC/tools/lib/bpf" OUTPUT="$O/libbpf/" DESTDIR="$O" prefix= \
	EXTRA_CFLAGS='-g -O0' -j"$J" "$O/libbpf/libbpf.a" install_headers
make -s -C "$KSRC/tools/bpf/bpftool" OUTPUT="$O/bpftool/" -j"$J" bootstrap >/dev/null
BPFTOOL=$O/bpftool/bootstrap/bpftool
# 3. vmlinux.h from the kernel under test
if [ ! -e "$O/include/vmlinux.h" ] || [ "$VMLINUX" -nt "$O/include/vmlinux.h" ]; then
	"$BPFTOOL" btf dump file "$VMLINUX" format c >"$O/include/vmlinux.h.tmp"
	mv "$O/include/vmlinux.h.tmp" "$O/include/vmlinux.h"
fi

# 4. BPF objects and skeletons, as the selftests Makefile's rules
SYSINC=$(clang -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS="-g -Wall -Werror -D__TARGET_ARCH_x86 -mlittle-endian -I$O/include -I$ST \
	-I$KSRC/tools/include/uapi -Wno-compare-distinct-pointer-types $SYSINC -DENABLE_ATOMICS_TESTS"
for t in $TESTS; do
	for p in "$ST"/progs/"$t".c "$ST"/progs/"$t"_*.c; do
		[ -e "$p" ] || continue
		n=$(basename "$p" .c) b=$O/$n.bpf.o
		[ "$b" -nt "$p" ] && [ "$O/$n.skel.h" -nt "$b" ] && continue
		# shellcheck disable=SC2086
		clang $BPF_CFLAGS -O2 --target=bpf -mcpu=v3 -c "$p" -o "$b"
		"$BPFTOOL" gen object "$O/$n.linked.o" "$b"
		"$BPFTOOL" gen skeleton "$O/$n.linked.o" name "$n" >"$O/$n.skel.h"
		rm -f "$O/$n.linked.o"
	done
done

# 5. tests.h for the chosen tests only, then test_progs with the Makefile's CFLAGS
for t in $TESTS; do
	sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2)/p' "$ST/prog_tests/$t.c"
done | sort >"$O/prog_tests/tests.h.tmp"
cmp -s "$O/prog_tests/tests.h.tmp" "$O/prog_tests/tests.h" 2>/dev/null &&
	rm "$O/prog_tests/tests.h.tmp" || mv "$O/prog_tests/tests.h.tmp" "$O/prog_tests/tests.h"
CFLAGS="-g -O0 -rdynamic -Wall -Werror -fno-omit-frame-pointer -I$O -I$ST -I$O/include \
	-I$KSRC/tools/lib -I$KSRC/tools/include -I$KSRC/tools/arch/x86/include \
	-I$KSRC/tools/include/uapi -MMD"
EXTRA="test_progs cgroup_helpers trace_helpers network_helpers testing_helpers btf_helpers
	cap_helpers unpriv_helpers netlink_helpers jit_disasm_helpers test_loader xsk disasm
	disasm_helpers json_writer"
objs=
for s in $EXTRA; do objs="$objs $O/obj/$s.o"; done
for t in $TESTS; do objs="$objs $O/obj/$t.test.o"; done
{
	echo ".PHONY: all"
	echo "all: $O/test_progs"
	echo "$O/test_progs: $objs $O/libbpf/libbpf.a"
	printf '\tgcc -o $@ $^ -lelf -lz -lrt -lpthread\n'
	for s in $EXTRA; do
		echo "$O/obj/$s.o: $ST/$s.c $O/prog_tests/tests.h"
		printf '\tgcc $(CFLAGS) -c $< -o $@\n'
	done
	for t in $TESTS; do
		echo "$O/obj/$t.test.o: $ST/prog_tests/$t.c $O/$t.skel.h"
		printf '\tgcc $(CFLAGS) -c $< -o $@\n'
	done
	echo "-include $O/obj/*.d"
} >"$O/Makefile.gen"
make -s -f "$O/Makefile.gen" -j"$J" CFLAGS="$CFLAGS"
echo "built $O/test_progs"

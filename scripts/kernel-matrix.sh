#!/bin/bash
# Build the whole series in the configurations that a series touching
# bpf, cgroup and kernfs must survive, each from tinyconfig (small, so the
# matrix takes minutes, not hours):
#
#   view          BPF_VIEW=y (with the JIT, cgroup BPF, BPF events)
#   cgroup-nobpf  CGROUPS=y, BPF_SYSCALL=n
#   bpf-nocgroup  BPF_SYSCALL=y, CGROUPS=n
#   view-nojit    BPF_VIEW=y, BPF_JIT=n, with BTF: every kfunc the view
#                 allowlist names must resolve (resolve_btfids) without
#                 the JIT's kfuncs
#
# vmlinux must build without an error or a warning, and every option a
# configuration asks for must end up in its .config. A configuration that
# built for the same series, script, compiler and pahole is not built
# again (the record is in ~/.cache/cgview/matrix, or $CGVIEW_CACHE).
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

out_root=$top/build/kernel-matrix
# configurations that built, by stamp, kept outside the clone as kernel
# images are: a fresh clone of the same series does not build them again
done_root=${CGVIEW_CACHE:-$HOME/.cache/cgview}/matrix
common=(CONFIG_64BIT=y CONFIG_PRINTK=y CONFIG_MULTIUSER=y)
# view programs are tracing programs: BPF_EVENTS, through kprobe events
events=(CONFIG_PERF_EVENTS=y CONFIG_FTRACE=y CONFIG_KPROBES=y
	CONFIG_KPROBE_EVENTS=y CONFIG_BPF_EVENTS=y)

# The options of configuration $1, one a line, after the common ones
fragment() {
	printf '%s\n' "${common[@]}"
	case $1 in
	view) printf '%s\n' "${events[@]}" CONFIG_BPF_SYSCALL=y \
		CONFIG_BPF_JIT=y CONFIG_CGROUPS=y CONFIG_CGROUP_BPF=y \
		CONFIG_BPF_VIEW=y ;;
	cgroup-nobpf) printf '%s\n' CONFIG_CGROUPS=y \
		'# CONFIG_BPF_SYSCALL is not set' ;;
	bpf-nocgroup) printf '%s\n' CONFIG_BPF_SYSCALL=y \
		'# CONFIG_CGROUPS is not set' ;;
	view-nojit) printf '%s\n' "${events[@]}" CONFIG_BPF_SYSCALL=y \
		'# CONFIG_BPF_JIT is not set' CONFIG_CGROUPS=y \
		CONFIG_CGROUP_BPF=y CONFIG_BPF_VIEW=y \
		CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y \
		CONFIG_DEBUG_INFO_BTF=y ;;
	*) die "unknown configuration '$1'" ;;
	esac
}

stamp() {
	{
		kernel_hash
		cat "$0"
		gcc --version | head -n 1
		pahole --version
	} | sha256sum | cut -c1-24
}

# True when resolve_btfids could not resolve a BTF id that bpf_view.c
# names (a small config leaves other files' ids unresolved, harmlessly)
unresolved_view_ids() {
	local sym
	for sym in $(sed -n 's/^BTF_ID([a-z]*, \(.*\))$/\1/p' \
		"$ksrc/kernel/bpf/bpf_view.c"); do
		if grep -q "unresolved symbol $sym\$" "$1"; then
			return 0
		fi
	done
	return 1
}

build_one() {
	local name=$1 out=$out_root/$1 start
	local kmake=(make -C "$ksrc" O="$out" ARCH=x86_64 -j"$(nproc)")
	if [ -f "$done_root/$name-$(stamp)" ]; then
		echo "kernel-matrix: $name: built already for this series"
		return 0
	fi
	start=$(date +%s)
	mkdir -p "$out" "$done_root"
	fragment "$name" >"$out/fragment.config"
	"${kmake[@]}" -s tinyconfig
	"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$out/fragment.config" >/dev/null
	"${kmake[@]}" -s olddefconfig
	config_holds "$out/.config" "$out/fragment.config" ||
		die "kernel-matrix: $name: the configuration is not what it asks"
	if ! "${kmake[@]}" vmlinux >"$out/build.log" 2>&1 ||
	   grep -qE 'warning:|error:' "$out/build.log" ||
	   unresolved_view_ids "$out/build.log"; then
		grep -E 'warning:|WARN:|error:' "$out/build.log" | head -20 >&2
		die "kernel-matrix: $name does not build cleanly (log: $out/build.log)"
	fi
	touch "$done_root/$name-$(stamp)"
	echo "kernel-matrix: $name: built in $(($(date +%s) - start)) s"
}

"$top/scripts/kernel-tree.sh" >/dev/null
for name in ${CGVIEW_MATRIX:-view cgroup-nobpf bpf-nocgroup view-nojit}; do
	build_one "$name"
done
echo "kernel-matrix: every configuration builds"

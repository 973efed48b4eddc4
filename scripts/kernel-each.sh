#!/bin/bash
# Build the series one patch at a time, so that each patch is known to
# build on its own (bisectable): a worktree of build/linux is moved from
# patch to patch, and after each vmlinux and libbpf are built, and from the
# patch that adds them on, the view selftests (scripts/selftests-bpf.sh,
# with that vmlinux's BTF). The kernel gets the bench config (no debug
# options: the same code, built faster) and CONFIG_BPF_VIEW wherever the
# tree has it.
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

wt=$top/build/linux-each
out=$top/build/kernel-each
config=$top/build/kernel-bench/.config
kmake=(make -C "$wt" O="$out" ARCH=x86_64 -j"$(nproc)")

"$top/scripts/kernel-tree.sh"
[ -f "$config" ] || "$top/scripts/kernel-build.sh" bench
if [ ! -d "$wt" ]; then
	git -C "$ksrc" worktree add -q --detach "$wt" base
fi
mkdir -p "$out/libbpf"

for commit in $(git -C "$ksrc" rev-list --reverse base..cgview); do
	subject=$(git -C "$ksrc" log -1 --format=%s "$commit")
	echo "kernel-each: building '$subject'"
	git -C "$wt" checkout -q --detach "$commit"
	cp "$config" "$out/.config"
	"$wt/scripts/config" --file "$out/.config" --enable BPF_VIEW
	"${kmake[@]}" -s olddefconfig
	if ! "${kmake[@]}" -s vmlinux >"$out/build.log" 2>&1 ||
	   grep -q 'warning:' "$out/build.log"; then
		grep -E 'warning:|error:' "$out/build.log" | head -20 >&2
		die "'$subject' does not build on its own (log: $out/build.log)"
	fi
	make -s -C "$wt/tools/lib/bpf" OUTPUT="$out/libbpf/" >/dev/null ||
		die "'$subject': tools/lib/bpf does not build"
	# the view selftests that exist at this patch, against its own BTF
	if ls "$wt"/tools/testing/selftests/bpf/prog_tests/bpf_view*.c >/dev/null 2>&1; then
		objcopy -O binary --only-section=.BTF "$out/vmlinux" "$out/vmlinux.btf"
		"$top/scripts/selftests-bpf.sh" --ksrc "$wt" --btf "$out/vmlinux.btf" \
			--out "$out/selftests" >"$out/selftests.log" 2>&1 || {
			tail -20 "$out/selftests.log" >&2
			die "'$subject': the view selftests do not build (log: $out/selftests.log)"
		}
	fi
done
echo "kernel-each: every patch builds on its own"

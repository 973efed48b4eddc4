#!/bin/bash
# The bench kernel without the series, for benchmarks that compare the two:
# Debian's pristine tree (tag base of build/linux, in a worktree at
# build/linux-base) built with the bench kernel's config in
# build/kernel-base. The config loses only what the series adds.
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

wt=$top/build/linux-base
out=$top/build/kernel-base
config=$top/build/kernel-bench/.config
kmake=(make -C "$wt" O="$out" ARCH=x86_64 -j"$(nproc)")

"$top/scripts/kernel-tree.sh" >/dev/null
[ -f "$config" ] || "$top/scripts/kernel-build.sh" bench
[ -d "$wt" ] || git -C "$ksrc" worktree add -q --detach "$wt" base
mkdir -p "$out"
if ! cmp -s "$config" "$out/.config.bench"; then
	cp "$config" "$out/.config"
	"${kmake[@]}" -s olddefconfig
	cp "$config" "$out/.config.bench"
fi
"${kmake[@]}" -s bzImage
echo "kernel-base: $out/arch/x86/boot/bzImage (no series)"

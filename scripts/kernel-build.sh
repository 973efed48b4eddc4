#!/bin/bash
# Build the patched kernel: scripts/kernel-build.sh debug|bench
#
#   debug  the test kernel (KASAN, lockdep, kmemleak, ...) in build/kernel-debug
#   bench  the same tree without debug options, in build/kernel-bench
#
# The config is tinyconfig merged with Kconfig.frag, tests/vm/guest.config
# and, for debug, tests/vm/debug.config; every option the fragments ask for
# is checked in the result. Finished images are kept in a cache outside the
# clone ($CGVIEW_CACHE, default ~/.cache/cgview), keyed by everything that
# goes into them, and reused only while the tree is exactly the series.
# Beside the image: vmlinux.btf, the kernel's BTF (for make selftests).
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

flavor=${1:?usage: kernel-build.sh debug|bench}
case $flavor in
debug) frags=("$top/Kconfig.frag" "$top/tests/vm/guest.config" "$top/tests/vm/debug.config") ;;
bench) frags=("$top/Kconfig.frag" "$top/tests/vm/guest.config") ;;
*) die "unknown kernel flavor '$flavor' (debug or bench)" ;;
esac
out=$top/build/kernel-$flavor
cache_root=${CGVIEW_CACHE:-$HOME/.cache/cgview}/kernel
kmake=(make -C "$ksrc" O="$out" ARCH=x86_64 -j"$(nproc)")

config_hash() {
	{
		echo "$base_version $flavor"
		cat "${frags[@]}" "$0"
		gcc --version | head -n 1
		pahole --version
	} | sha256sum | cut -d' ' -f1
}

cache_key() {
	echo "$(kernel_hash) $(config_hash)" | sha256sum | cut -c1-24
}

configure() {
	local hash
	hash=$(config_hash)
	if [ -f "$out/.config" ] && [ "$(cat "$out/.cgview-config" 2>/dev/null)" = "$hash" ]; then
		return 0
	fi
	echo "kernel-build: configuring $flavor (tinyconfig + fragments)"
	mkdir -p "$out"
	"${kmake[@]}" -s tinyconfig
	"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
	"${kmake[@]}" -s olddefconfig
	config_holds "$out/.config" "${frags[@]}" ||
		die "kernel config for $flavor is not what the fragments ask"
	echo "$hash" >"$out/.cgview-config"
}

from_cache() {
	local dir=$cache_root/$1
	[ -f "$dir/bzImage" ] && [ -f "$dir/vmlinux.btf" ] || return 1
	if [ "$(cat "$out/.cgview-cache" 2>/dev/null)" = "$1" ]; then
		echo "kernel-build: $flavor kernel is up to date (from cache $1)"
		return 0
	fi
	echo "kernel-build: using cached $flavor kernel $dir"
	rm -rf "$out"
	mkdir -p "$out/arch/x86/boot"
	cp "$dir/bzImage" "$out/arch/x86/boot/bzImage"
	cp "$dir/config" "$out/.config"
	cp "$dir/kernelrelease" "$out/kernelrelease"
	cp "$dir/vmlinux.btf" "$out/vmlinux.btf"
	echo "$1" >"$out/.cgview-cache"
}

to_cache() {
	local dir=$cache_root/$1
	mkdir -p "$dir.tmp"
	cp "$out/arch/x86/boot/bzImage" "$dir.tmp/bzImage"
	cp "$out/.config" "$dir.tmp/config"
	cp "$out/kernelrelease" "$dir.tmp/kernelrelease"
	cp "$out/vmlinux.btf" "$dir.tmp/vmlinux.btf"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
}

build() {
	"$top/scripts/kernel-tree.sh"
	rm -f "$out/.cgview-cache"
	configure
	echo "kernel-build: building $flavor kernel in $out"
	"${kmake[@]}" bzImage
	"${kmake[@]}" -s kernelrelease >"$out/kernelrelease"
	# The kernel's BTF alone: what the selftests' vmlinux.h is made from
	# (make selftests), kept in the cache beside the image
	objcopy -O binary --only-section=.BTF "$out/vmlinux" "$out/vmlinux.btf"
	echo "kernel-build: $(cat "$out/kernelrelease") -> $out/arch/x86/boot/bzImage"
}

main() {
	local key
	key=$(cache_key)
	# A tree with local edits is built as it is and never cached.
	if [ -d "$ksrc/.git" ] && has_local_work; then
		build
		return
	fi
	if [ ! -f "$out/vmlinux" ] && from_cache "$key"; then
		return
	fi
	build
	if tree_matches_series; then
		to_cache "$key"
	fi
}

main "$@"

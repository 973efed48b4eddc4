#!/bin/bash
# Export the commits of build/linux (base..HEAD) back to kernel-patches/ with
# git format-patch, and rewrite the series file to list them in order.
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

[ -d "$ksrc/.git" ] || die "no kernel tree at $ksrc; run 'make kernel-src' first"
[ -z "$(git -C "$ksrc" status --porcelain --untracked-files=no)" ] ||
	die "$ksrc has uncommitted changes; commit them (git -C $ksrc commit) first"

rm -f "$patches"/*.patch
git -C "$ksrc" format-patch -q --zero-commit --no-signature -o "$patches" base..HEAD
{
	sed -n '/^#/p' "$patches/series"
	(cd "$patches" && ls -1 -- *.patch 2>/dev/null || true)
} >"$patches/series.new"
mv "$patches/series.new" "$patches/series"
git -C "$ksrc" update-ref refs/cgview/applied HEAD
git -C "$ksrc" config cgview.series "$(series_hash)"
echo "kernel-patches: exported $(series_patches | wc -l) patch(es) to $patches"

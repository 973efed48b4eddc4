#!/bin/bash
# Export the commits of build/linux (base..HEAD) back to kernel-patches/ with
# git format-patch, with the subject prefix in kernel-patches/subject-prefix
# and the cover letter from kernel-patches/cover-letter.txt, and rewrite the
# series file to list the patches in order.
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

[ -d "$ksrc/.git" ] || die "no kernel tree at $ksrc; run 'make kernel-src' first"
[ -z "$(git -C "$ksrc" status --porcelain --untracked-files=no)" ] ||
	die "$ksrc has uncommitted changes; commit them (git -C $ksrc commit) first"

# The cover letter (0000-cover-letter.patch) is made from cover-letter.txt,
# its subject on the first line, through the branch description, so that
# git adds the shortlog and diffstat of the series itself.
cover=()
if [ -f "$patches/cover-letter.txt" ]; then
	branch=$(git -C "$ksrc" symbolic-ref --short HEAD)
	git -C "$ksrc" config "branch.$branch.description" \
		"$(cat "$patches/cover-letter.txt")"
	cover=(--cover-letter --cover-from-description=subject)
fi
prefix=PATCH
if [ -f "$patches/subject-prefix" ]; then
	prefix=$(cat "$patches/subject-prefix")
fi
rm -f "$patches"/*.patch
git -C "$ksrc" format-patch -q --zero-commit --no-signature \
	--subject-prefix="$prefix" "${cover[@]}" \
	-o "$patches" base..HEAD
# the letter is dated now; give it its last patch's date, so that an
# export of the same series writes the same files
if [ ${#cover[@]} != 0 ]; then
	sed -i "s/^Date: .*/Date: $(git -C "$ksrc" log -1 --format=%aD HEAD)/" \
		"$patches/0000-cover-letter.patch"
fi
{
	sed -n '/^#/p' "$patches/series"
	(cd "$patches" && ls -1 -- *.patch 2>/dev/null | grep -v '^0000-cover-letter' || true)
} >"$patches/series.new"
mv "$patches/series.new" "$patches/series"
git -C "$ksrc" update-ref refs/cgview/applied HEAD
git -C "$ksrc" config cgview.series "$(series_hash)"
echo "kernel-patches: exported $(series_patches | wc -l) patch(es) to $patches"

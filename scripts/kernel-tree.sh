#!/bin/bash
# Make build/linux hold Debian's pristine linux-source-6.12 as a git
# repository (tag "base") with kernel-patches/series applied on branch
# "cgview".
#
# The series is applied the way `git am` applies mail (git mailinfo, then
# git apply), but into a scratch index, so the new commits are made without
# touching the work tree; the work tree then moves to them with one
# checkout, which rewrites only the files whose content differs. A changed
# patch therefore rebuilds only what it changes.
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

unpack() {
	local have
	if [ "$tarball" = "$default_tarball" ]; then
		have=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
		[ "$have" = "$base_version" ] ||
			die "linux-source-6.12 $base_version is needed, found '${have:-none}'; run 'make deps'"
	fi
	echo "kernel-tree: unpacking linux-source-6.12 $base_version into $ksrc"
	rm -rf "$ksrc" "$ksrc.tmp"
	mkdir -p "$ksrc.tmp"
	tar -xJf "$tarball" -C "$ksrc.tmp" --strip-components=1
	git -C "$ksrc.tmp" init -q -b cgview
	git -C "$ksrc.tmp" config gc.auto 0
	git -C "$ksrc.tmp" config core.untrackedCache true
	git -C "$ksrc.tmp" config user.name "cgview developers"
	git -C "$ksrc.tmp" config user.email "dev@cgview.invalid"
	git -C "$ksrc.tmp" config cgview.base "$base_version"
	echo "kernel-tree: committing the pristine tree"
	git -C "$ksrc.tmp" add -A -f  # Debian's .gitignore ignores the top level
	GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z git -C "$ksrc.tmp" commit -q \
		-m "linux-source-6.12 $base_version (Debian, pristine)"
	git -C "$ksrc.tmp" tag base
	git -C "$ksrc.tmp" update-ref refs/cgview/applied base
	mv "$ksrc.tmp" "$ksrc"
}

# Print the value of header field $1 from a git-mailinfo info file $2.
info_field() {
	sed -n "s/^$1: //p" "$2" | head -n 1
}

# Commit patch $1 on top of commit $2 in the scratch index; print the commit.
commit_patch() {
	local patch=$1 parent=$2 work=$3 tree
	git -C "$ksrc" mailinfo "$work/msg" "$work/diff" <"$patch" >"$work/info"
	git -C "$ksrc" apply --cached "$work/diff" ||
		die "$(basename "$patch") does not apply on top of the patches before it"
	tree=$(git -C "$ksrc" write-tree)
	{
		info_field Subject "$work/info"
		echo
		cat "$work/msg"
	} | GIT_AUTHOR_NAME=$(info_field Author "$work/info") \
		GIT_AUTHOR_EMAIL=$(info_field Email "$work/info") \
		GIT_AUTHOR_DATE=$(info_field Date "$work/info") \
		GIT_COMMITTER_DATE=$(info_field Date "$work/info") \
		git -C "$ksrc" commit-tree "$tree" -p "$parent"
}

apply_series() {
	local work head p
	work=$(mktemp -d)
	export GIT_INDEX_FILE=$work/index
	git -C "$ksrc" read-tree base
	head=$(git -C "$ksrc" rev-parse base)
	while read -r p; do
		[ -f "$patches/$p" ] || die "series names $p, which is not in kernel-patches/"
		echo "kernel-tree: applying $p"
		head=$(commit_patch "$patches/$p" "$head" "$work")
	done < <(series_patches)
	unset GIT_INDEX_FILE
	git -C "$ksrc" checkout -q -B cgview "$head"
	git -C "$ksrc" update-ref refs/cgview/applied "$head"
	git -C "$ksrc" config cgview.series "$(series_hash)"
	rm -rf "$work"
}

main() {
	if [ -d "$ksrc/.git" ] &&
	   [ "$(git -C "$ksrc" config --get cgview.base || true)" != "$base_version" ]; then
		echo "kernel-tree: base changed to $base_version; unpacking again"
		rm -rf "$ksrc"
	fi
	if [ ! -d "$ksrc/.git" ]; then
		unpack
	fi
	if [ "$(git -C "$ksrc" config --get cgview.series || true)" = "$(series_hash)" ]; then
		if has_local_work; then
			echo "kernel-tree: building local changes in $ksrc (not yet exported)"
		fi
		return 0
	fi
	if has_local_work; then
		die "$ksrc has commits or edits not exported to kernel-patches/, and the series changed.
Export them with 'make kernel-patches', or drop them with
'git -C $ksrc reset --hard refs/cgview/applied', then run make again."
	fi
	apply_series
}

main "$@"

# Shared settings for the kernel scripts. Sourced, not run.
# shellcheck shell=bash

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
patches=${CGVIEW_PATCHES:-$top/kernel-patches}
ksrc=${CGVIEW_KSRC:-$top/build/linux}
base_version=$(cat "$patches/base")
default_tarball=/usr/src/linux-source-6.12.tar.xz
tarball=${CGVIEW_KERNEL_TARBALL:-$default_tarball}

die() {
	echo "error: $*" >&2
	exit 1
}

# Lines of the series file that name patches, in order.
series_patches() {
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$patches/series"
}

# Hash of the series as applied: base version, then each patch in order.
series_hash() {
	{
		echo "$base_version"
		series_patches | while read -r p; do
			echo "$p"
			cat "$patches/$p"
		done
	} | sha256sum | cut -d' ' -f1
}

# Hash of what the series changes in what a kernel build reads: the base
# version and each patch's diff, without commit messages and without the
# files no kernel image depends on: Documentation/, MAINTAINERS, the
# selftests, bpftool and libbpf (which a kernel build compiles only into
# resolve_btfids, to read BTF; the series adds program sections, opts
# fields and helpers there, nothing resolve_btfids calls).
# Kernel images and build records are keyed by it, so a patch that only
# edits a message, the documentation or those tools does not cost a kernel
# build.
kernel_hash() {
	{
		echo "$base_version"
		series_patches | while read -r p; do
			awk '/^diff --git /{ keep = $3 !~ "^a/(Documentation/|tools/testing/|tools/bpf/bpftool/|tools/lib/bpf/|MAINTAINERS$)" }
			     /^-- $/{ keep = 0 }
			     keep' "$patches/$p"
		done
	} | sha256sum | cut -d' ' -f1
}

# True when the kernel tree holds exactly what the series says: HEAD is the
# commit built from the current series and nothing is modified.
tree_matches_series() {
	[ -d "$ksrc/.git" ] || return 1
	[ "$(git -C "$ksrc" config --get cgview.series || true)" = "$(series_hash)" ] || return 1
	[ "$(git -C "$ksrc" rev-parse -q --verify HEAD)" = \
	  "$(git -C "$ksrc" rev-parse -q --verify refs/cgview/applied)" ] || return 1
	[ -z "$(git -C "$ksrc" status --porcelain --untracked-files=no)" ]
}

# True when build/linux has commits or edits that the series does not hold.
has_local_work() {
	[ "$(git -C "$ksrc" rev-parse HEAD)" != \
	  "$(git -C "$ksrc" rev-parse refs/cgview/applied)" ] ||
		[ -n "$(git -C "$ksrc" status --porcelain --untracked-files=no)" ]
}

# True when every "CONFIG_X=v" and "# CONFIG_X is not set" line of the
# fragments ($2...) holds in the config file $1; says which do not.
config_holds() {
	local config=$1 want name bad=0
	shift
	while read -r want; do
		if [[ $want == "# CONFIG_"* ]]; then
			name=${want#\# }
			name=${name%% *}
			if grep -q "^$name=" "$config"; then
				echo "config: $name is set, the fragments want it off" >&2
				bad=1
			fi
		elif ! grep -qx -- "$want" "$config"; then
			echo "config: $want did not stick (a dependency is missing)" >&2
			bad=1
		fi
	done < <(grep -hE '^(CONFIG_|# CONFIG_.* is not set)' "$@")
	[ $bad = 0 ]
}

#!/bin/bash
# scripts/checkpatch.pl --strict over every patch of the series, and over
# the cover letter's text; any error, warning or check fails. One warning is answered here instead:
# FILE_PATH_CHANGES asks "does MAINTAINERS need updating?" of any patch
# that adds a file without touching MAINTAINERS, whatever MAINTAINERS
# already covers (Documentation/bpf/ is BPF [GENERAL]'s, say). Every file
# the series adds must instead be in a MAINTAINERS section other than
# THE REST.
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

# spdxcheck.py needs the python3-ply of Debian's python3
export PATH=/usr/bin:$PATH
"$top/scripts/kernel-tree.sh" >/dev/null
n=0
bad=0
while read -r p; do
	n=$((n + 1))
	report=$(cd "$ksrc" && perl scripts/checkpatch.pl --strict --quiet \
		--show-types --ignore FILE_PATH_CHANGES "$patches/$p" 2>&1) ||
		true
	if [ -n "$report" ]; then
		echo "checkpatch: $p:"
		echo "$report"
		bad=$((bad + 1))
	fi
done < <(series_patches)
# The cover letter's text (its headers and body, up to git's shortlog and
# diffstat) as checkpatch checks a commit message: spelling, repeated
# words, line length. It has no diff and no sign-off.
cover=$patches/0000-cover-letter.patch
if [ -f "$cover" ]; then
	n=$((n + 1))
	awk '/^[^ ].* \([0-9]+\):$/ { exit } { print }' "$cover" >"$ksrc/.cover-letter.tmp"
	report=$(cd "$ksrc" && perl scripts/checkpatch.pl --strict --quiet \
		--show-types --ignore NOT_UNIFIED_DIFF,MISSING_SIGN_OFF \
		.cover-letter.tmp 2>&1) || true
	rm -f "$ksrc/.cover-letter.tmp"
	if [ -n "$report" ]; then
		echo "checkpatch: 0000-cover-letter.patch:"
		echo "$report"
		bad=$((bad + 1))
	fi
fi
# The files the patches add, and whether MAINTAINERS has them
added=0
orphans=0
while read -r f; do
	added=$((added + 1))
	# section names, not their M:, L:, F:... lines
	sections=$(cd "$ksrc" && perl scripts/get_maintainer.pl --no-git \
		--no-git-fallback --sections -f "$f" |
		grep -v -e '^[A-Z]:' -e '^$' -e '^THE REST$' || true)
	if [ -z "$sections" ]; then
		echo "checkpatch: $f, which the series adds, is in no MAINTAINERS section"
		orphans=$((orphans + 1))
	fi
done < <(series_patches | while read -r p; do
		awk '/^diff --git / { f = substr($4, 3) }
		     /^new file mode / { print f }' "$patches/$p"
	done)
if [ $bad != 0 ]; then
	die "checkpatch: $bad of $n patch(es) are not clean"
fi
if [ $orphans != 0 ]; then
	die "checkpatch: $orphans of $added new file(s) are in no MAINTAINERS section"
fi
echo "checkpatch: $n patch(es) clean (--strict); $added new file(s), all in MAINTAINERS"

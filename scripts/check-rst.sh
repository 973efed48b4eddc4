#!/bin/bash
# The reStructuredText the series adds to Documentation/ must be valid:
# docutils (python3-docutils) reads it with warnings as errors. Plain
# docutils knows no Sphinx roles or directives (:ref:, :c:func:, toctree,
# kernel-doc), so the series writes its own pages in plain
# reStructuredText, which Sphinx reads too, and they are checked whole;
# of pages that use Sphinx markup elsewhere, only the sections the series
# adds are checked. Run by `make checkpatch`.
set -euo pipefail
. "$(dirname "$0")/kernel-lib.sh"

# Pages of the series, checked whole
pages=(
	Documentation/bpf/bpf_view.rst
)
# "page:section title": a section the series adds to a Sphinx page, up to
# the next title of the same or a higher level
sections=(
	"Documentation/admin-guide/cgroup-v2.rst:BPF View Files"
)

# Debian's docutils, not whatever python another PATH entry brings
export PATH=/usr/bin:$PATH
command -v rst2html >/dev/null ||
	die "check-rst: rst2html not found; run 'make deps' (python3-docutils)"
"$top/scripts/kernel-tree.sh" >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# rst2html halts, and exits non-zero, on the first warning or error
check() {
	rst2html --halt=warning --report=warning --no-file-insertion \
		--no-raw "$1" >/dev/null
}

# Print section $2 of page $1 with the lines before it blanked, so that
# docutils' line numbers are the page's; nothing if there is no such
# section. The section ends at the next title of its level or above:
# levels are the order in which title underlines first appear.
extract() {
	python3 - "$1" "$2" <<-'EOF'
	import re, sys
	lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
	def underline(i):
	    """The underline character if lines[i] is a title, else None"""
	    if i + 1 >= len(lines) or not lines[i].strip():
	        return None
	    u = lines[i + 1]
	    if re.fullmatch(r"([=~*^\"#+-])\1*", u) and len(u) >= len(lines[i]):
	        return u[0]
	    return None
	levels = []
	for i in range(len(lines)):
	    c = underline(i)
	    if c and c not in levels:
	        levels.append(c)
	    if c and lines[i] == sys.argv[2]:
	        break
	else:
	    sys.exit(0)
	level = levels.index(c)
	end = len(lines)
	for j in range(i + 2, len(lines)):
	    d = underline(j)
	    if d and d in levels[:level + 1]:
	        end = j
	        break
	print("\n" * (i - 1))
	print("\n".join(lines[i:end]))
	EOF
}

bad=0
for p in "${pages[@]}"; do
	if ! check "$ksrc/$p"; then
		echo "check-rst: $p is not valid reStructuredText"
		bad=$((bad + 1))
	fi
done
for s in "${sections[@]}"; do
	p=${s%%:*}
	title=${s#*:}
	out=$tmp/$(basename "$p")
	extract "$ksrc/$p" "$title" >"$out"
	if [ ! -s "$out" ]; then
		echo "check-rst: $p has no section \"$title\""
		bad=$((bad + 1))
	elif ! check "$out"; then
		echo "check-rst: section \"$title\" of $p is not valid reStructuredText"
		bad=$((bad + 1))
	fi
done
[ $bad = 0 ] || die "check-rst: $bad page(s) or section(s) are not valid"
echo "check-rst: ${#pages[@]} page(s) and ${#sections[@]} section(s) valid (docutils, warnings as errors)"

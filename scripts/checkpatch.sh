#!/bin/bash
# scripts/checkpatch.pl --strict over every patch of the series; any error,
# warning or check fails.
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
		--show-types "$patches/$p" 2>&1) || true
	if [ -n "$report" ]; then
		echo "checkpatch: $p:"
		echo "$report"
		bad=$((bad + 1))
	fi
done < <(series_patches)
if [ $bad != 0 ]; then
	die "checkpatch: $bad of $n patch(es) are not clean"
fi
echo "checkpatch: $n patch(es) clean (--strict)"

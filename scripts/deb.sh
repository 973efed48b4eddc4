#!/bin/bash
# make deb: VERSION OUT. `make install` (PREFIX=/usr) into a staging root,
# then the control files of dist/debian/ and dpkg-deb: OUT, a package that
# lintian passes without errors.
set -euo pipefail
version=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$(dirname "$out")"
stage=$(cd "$(dirname "$out")" && pwd)/root

head -1 "$top/dist/debian/changelog" | grep -q "^cgview ($version) " || {
	echo "deb: dist/debian/changelog's first entry is not version $version (VERSION); add one" >&2
	exit 1
}
rm -rf "$stage"
make -s -C "$top" install DESTDIR="$stage" PREFIX=/usr SYSCONFDIR=/etc >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$stage/usr/bin/cgview" "$stage/usr/bin/cgview-exporter"
doc=$stage/usr/share/doc/cgview
install -d "$doc"
install -m 644 "$top/dist/debian/copyright" "$doc/copyright"
gzip -9n <"$top/dist/debian/changelog" >"$doc/changelog.gz"
chmod 644 "$doc/changelog.gz"
find "$stage/usr/share/man" -type f -name '*.[18]' -exec gzip -9n {} +
install -d "$stage/usr/share/lintian/overrides"
install -m 644 "$top/dist/debian/lintian-overrides" \
	"$stage/usr/share/lintian/overrides/cgview"

# Depends: the shared libraries the programs use, as dpkg-shlibdeps finds
# their packages (it wants a debian/control beside it)
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
mkdir "$src/debian"
printf 'Source: cgview\n\nPackage: cgview\nArchitecture: any\n' >"$src/debian/control"
depends=$(cd "$src" && dpkg-shlibdeps -O -e"$stage/usr/bin/cgview" \
	-e"$stage/usr/bin/cgview-exporter" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')

install -d "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
	"$top/dist/debian/control.in" >"$stage/DEBIAN/control"
echo /etc/default/cgview-exporter >"$stage/DEBIAN/conffiles"
(cd "$stage" && find usr -type f -exec md5sum {} + | sort -k2) >"$stage/DEBIAN/md5sums"
chmod 644 "$stage/DEBIAN/"*
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "deb: $out"

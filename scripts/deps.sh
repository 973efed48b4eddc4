#!/bin/bash
# Install the Debian packages cgview needs (idempotent; run as root).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kernel_version=$(cat "$top/kernel-patches/base")

packages=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev dwarves cpio git
	"linux-source-6.12=$kernel_version"
	# the test VM
	qemu-system-x86 iproute2 util-linux
	# views and the cgview tool (cgview top: ncurses; its tests drive it
	# in tmux). BPF objects are built with clang-19: clang 14 drops the
	# btf_type_tag that marks a kptr (views keep cgroup references)
	clang clang-19 llvm bpftool libbpf-dev pkg-config clang-format
	libncurses-dev tmux
	# checkpatch (spdxcheck.py); the series' reStructuredText pages are
	# checked with docutils (scripts/check-rst.sh)
	python3-ply python3-git python3-docutils
	# tests
	python3 python3-pytest
	# cgview-exporter: protobuf-c, HTTP push, snappy, /metrics; its tests
	# (python3-protobuf decodes, a real Prometheus server and its Python
	# text parser, libFuzzer)
	protobuf-c-compiler libprotobuf-c-dev protobuf-compiler python3-protobuf
	libcurl4-openssl-dev libsnappy-dev libmicrohttpd-dev zlib1g-dev prometheus
	python3-prometheus-client
	libclang-rt-14-dev
	# make deb and its tests; the rules' tests read YAML
	lintian systemd dpkg-dev python3-yaml
	# the /metrics tests parse with the Prometheus text parser, and decode
	# the protobuf format with client_model's metrics.proto (it imports
	# google/protobuf/timestamp.proto). The machine's npm (Node.js comes
	# with it here) fetches the official OTLP .proto files: Makefile,
	# OTEL_NPM
	python3-prometheus-client golang-github-prometheus-client-model-dev
	libprotobuf-dev
)

# `deps.sh peers`: what `make bench-peers` needs instead (bench only).
# pcp's configure step starts pmcd with systemctl, which fails where
# systemd is not init: a stub answers for the install only (apt-get runs
# dpkg with DPkg::Path).
apt_opts=()
case "${1:-}" in
peers)
	packages=(netdata-core pcp python3-pcp)
	stub=$(mktemp -d)
	trap 'rm -rf "$stub"' EXIT
	printf '#!/bin/sh\nexit 0\n' >"$stub/systemctl"
	chmod +x "$stub/systemctl"
	apt_opts=(-o "DPkg::Path=$stub:/usr/sbin:/usr/bin:/sbin:/bin")
	;;
plot) packages=(gnuplot-nox) ;;
esac

missing=()
for p in "${packages[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	have=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$name" 2>/dev/null || true)
	if [ "${have%% *}" != installed ] || { [ "$want" != "$p" ] && [ "${have#* }" != "$want" ]; }; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} = 0 ]; then
	echo "deps: all ${#packages[@]} packages are installed"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${apt_opts[@]}" "${missing[@]}"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
#
# Prepare a Debian 12 machine to build and test dsrlb, then build it.
# Idempotent: packages already installed are not fetched again, existing
# build directories are reused.
#
#   dts/setup.sh            install packages, build build/
#   dts/setup.sh --all      also build-asan/ (ASan + UBSan, gcc) and
#                           build-fuzz/ (libFuzzer targets, clang), and
#                           the packaging tools dts/pkgtest.sh uses
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(gcc clang libclang-rt-14-dev meson ninja-build pkg-config
	libdpdk-dev dpdk-dev libnuma-dev libjansson-dev libcmocka-dev libsodium-dev
	python3 python3-scapy iproute2 iputils-ping procps tcpdump sip-tester
	nftables nftlb keepalived bird2
	prometheus systemd)
# dts/pkgtest.sh: the Debian package built, checked, and booted in a
# fresh root under systemd
PKGTEST_PACKAGES=(dpkg-dev debhelper lintian mmdebstrap systemd-container git)
if [ "${1:-}" = "--all" ]; then
	PACKAGES+=("${PKGTEST_PACKAGES[@]}")
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "dts/setup.sh: run as root (it installs packages; the tests create network namespaces)" >&2
	exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "== installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# the tests run keepalived, BIRD and nftlb themselves, in namespaces
# (and only promtool of prometheus);
# the services their packages enable would run on the host
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl disable --now keepalived bird nftlb prometheus >/dev/null 2>&1 || true
fi

build() {
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		echo "== meson setup $dir $*"
		meson setup "$dir" "$@" || return 1
	fi
	echo "== building $dir"
	ninja -C "$dir"
}

build build -Dtests=enabled
if [ "${1:-}" = "--all" ]; then
	build build-asan -Dtests=enabled -Dbuildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false
	CC=clang build build-fuzz -Dtests=disabled -Dfuzz=true \
		-Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
		-Db_lundef=false
fi

#!/bin/sh
# SPDX-License-Identifier: MIT
# deps.sh - install the Debian 12 packages vtep needs to build, test and demo.
#   packaging/deps.sh            install every missing package (apt-get)
#   packaging/deps.sh --ensure   the same, but quiet when nothing is missing
#   packaging/deps.sh --list     print the package list
set -eu

PACKAGES="build-essential pkg-config git liburing-dev libconfig-dev libpcap-dev libsystemd-dev
libcmocka-dev iproute2 iputils-ping iperf3 ethtool tcpdump tshark python3 procps kmod mandoc nftables
man-db systemd debhelper dpkg-dev clang libclang-rt-14-dev valgrind ndisc6"

case "${1:-}" in
--list)
	echo $PACKAGES
	exit 0
	;;
esac

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	[ "${1:-}" = "--ensure" ] || echo "deps: every package is installed"
	exit 0
fi

echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: installing needs root; run this as root (sudo is not required):" >&2
	echo "      su -c 'apt-get update && apt-get install -y$missing'" >&2
	echo "      or, as root, in this directory: make deps" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing

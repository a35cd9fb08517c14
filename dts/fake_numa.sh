#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
#
# Run a command in a private mount namespace that sees two NUMA nodes:
# CPU 0 on node 0, CPU 1 on node 1. The EAL and libnuma learn the
# topology from /sys/devices/system/node, so this lets a one-node test
# machine show what dsrlb does on a two-socket server (an lcore whose CPU
# set spans both nodes has no socket: SOCKET_ID_ANY).
#
#   unshare -m dts/fake_numa.sh COMMAND [ARGS...]
set -euo pipefail
node=/sys/devices/system/node
mount --make-rprivate /
mount -t tmpfs fake-numa "$node"
mkdir -p "$node/node0/cpu0" "$node/node1/cpu1"
for f in possible online has_cpu has_normal_memory has_memory; do
	echo 0-1 > "$node/$f"
done
exec "$@"

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
#
# The Debian package as an operator meets it (doc/install.md): built
# from this tree, installed with apt into a fresh Debian 12 that runs
# systemd, started with the configuration it ships, beside keepalived.
#
#   1. dpkg-buildpackage -b on a copy of the tree; lintian on the result
#   2. a fresh root: mmdebstrap --variant=minbase bookworm with systemd,
#      dbus, keepalived and iproute2; the package's dependencies are
#      downloaded into its apt cache (the container has no network)
#   3. the root booted with systemd-nspawn --boot, on a private network
#   4. apt-get install ./dsrlb_*.deb under the running systemd: the
#      unit is enabled and was never started, the group dsrlb exists,
#      the files under /etc are conffiles
#   5. the shipped configuration, changed only where a container must
#      differ (below), keepalived's shipped configuration and drop-in
#      enabled as doc/install.md says; systemctl start dsrlb
#   6. from outside, in the container's namespaces (nsenter):
#      - dsrlb.service active, keepalived.service pulled in and active
#      - dsrlbctl status over /run/dsrlb/control.sock as a user in
#        group dsrlb who is not root; the read-only socket answers
#        reads and refuses a change; a user outside the group is
#        refused; /run/dsrlb 0755 root, the sockets 0660 root:dsrlb
#      - keepalived became MASTER and its notify hook activated dsrlb
#        (dsrlb starts standby in mode vrrp: only the hook makes it
#        active)
#      - systemctl reload dsrlb (ExecReload: dsrlbctl reload) applies
#        a VIP added to /etc/dsrlb/vipaddrs, and dsrlb logs it
#      - dsrlb-metrics.socket, started by hand, serves /metrics
#      - systemctl stop dsrlb stops keepalived too (BindsTo), and
#        first (After=dsrlb.service): keepalived is gone before dsrlb
#        is sent SIGTERM, so its last advert leaves through dsrlb
#   The container and the root are removed at the end, whatever happens.
#
# What the container changes in the shipped files, and why:
#   /etc/dsrlb/dsrlb.json  ports[0].device "0000:03:00.0" -> "net_tap0":
#                          there is no NIC; net_tap0 is the DPDK TAP
#                          device given in DSRLB_EAL
#                          "high_availability": {"mode": "vrrp"} added:
#                          what keepalived-dsrlb.conf asks of dsrlb
#   /etc/default/dsrlb     DSRLB_EAL set: no hugepages (--no-huge, and
#                          -m 2048 for the shipped flows.capacity, 4M
#                          flows over two workers), no PCI bus, the TAP
#                          device, a main lcore and two workers
#                          floating over the machine's CPUs
#   /etc/dsrlb/vipaddrs    one VIP added, after the start, to see the
#                          reload apply it
#   keepalived.conf, its drop-in, the unit: as shipped.
#
# Run as root on Debian 12 after dts/setup.sh --all (debhelper,
# lintian, mmdebstrap, systemd-container and the build dependencies),
# with deb.debian.org reachable; dts/check.sh runs it as one step.
# About 40 s on an idle 2-CPU machine. Exit status 0 only if every
# check passed.
#
#   PKGTEST_MIRROR   Debian mirror for the root (default
#                    http://deb.debian.org/debian)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
TREE=$PWD
MIRROR=${PKGTEST_MIRROR:-http://deb.debian.org/debian}
MACHINE=dsrlb-pkgtest
# the container's DSRLB_EAL (the shipped file has only comments)
EAL="--no-huge -m 2048 --no-pci --vdev net_tap0,iface=lan0 --lcores (0-2)@(0-$(($(nproc) - 1))) --file-prefix dsrlb"

WORK=
NSPAWN=
LEADER=
CGROUPS=()
failed=0

log() { echo "pkgtest: [${SECONDS}s] $*"; }

# a check that failed: noted, the others still run
fail() {
	echo "pkgtest: FAIL: $*" >&2
	failed=1
}

# a step that the rest depends on failed
die() {
	echo "pkgtest: FAIL: $*" >&2
	exit 1
}

# run in the container: every namespace, root and cwd of its PID 1
ct() {
	nsenter --target "$LEADER" --all --root --wd \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# as a user of the container (setpriv: its groups from /etc/group)
ct_as() {
	local user=$1
	shift
	ct setpriv --reuid="$user" --regid="$user" --init-groups "$@"
}

# poll until "$@" succeeds, at most $2 seconds; readiness only
wait_for() {
	local what=$1 secs=$2 end
	shift 2
	end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $end ]; then
			fail "$what: not within ${secs} s"
			return 1
		fi
		sleep 0.2
	done
}

# "$1" expected, "$2" got, the rest says what
expect() {
	local want=$1 got=$2
	shift 2
	if [ "$want" = "$got" ]; then
		log "ok: $* ($got)"
	else
		fail "$*: expected \"$want\", got \"$got\""
	fi
}

# the container's journal for these units, when something failed
diagnose() {
	[ -n "$LEADER" ] || return 0
	echo "---- the container's journal: dsrlb, keepalived, metrics"
	ct journalctl --no-pager -o short-monotonic -u dsrlb.service \
		-u keepalived.service -u 'dsrlb-metrics*' 2>&1 | tail -n 80
}

# nspawn in a cgroup of its own (this host's PID 1 is not systemd, so
# nspawn makes its payload and supervisor cgroups under the one it is
# in), removed at the end
cgroup_make() {
	local h name="$MACHINE.$$"
	for h in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
		[ -f "$h/cgroup.procs" ] || continue
		mkdir "$h/$name" || return 1
		CGROUPS+=("$h/$name")
	done
}

cgroup_remove() {
	local cg pid
	for cg in "${CGROUPS[@]}"; do
		# only what this script started can be there
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null
		done < <(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
}

cleanup() {
	local rc=$? _
	if [ $failed -ne 0 ] || [ $rc -ne 0 ]; then
		diagnose
	fi
	if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
		# SIGTERM: nspawn has the container's systemd power off
		kill -TERM "$NSPAWN"
		for _ in $(seq 300); do
			kill -0 "$NSPAWN" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$NSPAWN" 2>/dev/null
		wait "$NSPAWN" 2>/dev/null
	fi
	cgroup_remove
	if [ -n "$WORK" ]; then
		rm -rf --one-file-system "$WORK"
	fi
	if [ $rc -eq 0 ] && [ $failed -ne 0 ]; then
		rc=1
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "run as root"
WORK=$(mktemp -d /var/tmp/dsrlb-pkgtest.XXXXXX) || die "mktemp"

# ---- 1. the package

log "building the package from a copy of the tree"
mkdir -p "$WORK/src/dsrlb"
# the tree's files, committed or not, without build directories
tree_files() {
	if git -C "$TREE" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$TREE" ls-files -z --cached --others --exclude-standard
	else
		find . -path './build*' -prune -o -name __pycache__ -prune \
			-o -type f -print0
	fi
}
tree_files | tar -C "$TREE" --null -T - --ignore-failed-read -cf - |
	tar -C "$WORK/src/dsrlb" -xf - || die "copying the tree"
(cd "$WORK/src/dsrlb" &&
	DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -b -uc -us) >"$WORK/build.log" 2>&1 ||
	{ tail -n 40 "$WORK/build.log"; die "dpkg-buildpackage failed"; }
DEB=$(ls "$WORK"/src/dsrlb_*_*.deb) || die "no .deb built"
CHANGES=$(ls "$WORK"/src/dsrlb_*.changes) || die "no .changes"
log "built $(basename "$DEB")"

# errors and warnings fail; overrides are in debian/dsrlb.lintian-overrides
if lintian --fail-on error,warning "$CHANGES" >"$WORK/lintian.log" 2>&1; then
	log "ok: lintian"
else
	cat "$WORK/lintian.log"
	fail "lintian"
fi

# ---- 2. a fresh root

log "making a Debian 12 root ($MIRROR)"
ROOT=$WORK/root
cp "$DEB" "$WORK/dsrlb.deb"
# the lists and the downloaded .debs stay: apt installs the package
# later, offline (not with --no-download, which apt 2.6 refuses for a
# .deb given by its path)
mmdebstrap --variant=minbase --quiet \
	--include=systemd,systemd-sysv,dbus,keepalived,iproute2 \
	--skip=cleanup/apt/lists --skip=cleanup/apt/cache \
	--customize-hook="cp '$WORK/dsrlb.deb' \"\$1/root/$(basename "$DEB")\"" \
	--customize-hook="chroot \"\$1\" apt-get install -y -qq --download-only --no-install-recommends /root/$(basename "$DEB")" \
	bookworm "$ROOT" "$MIRROR" >"$WORK/mmdebstrap.log" 2>&1 ||
	{ tail -n 40 "$WORK/mmdebstrap.log"; die "mmdebstrap failed"; }

# ---- 3. boot

log "booting it (systemd-nspawn)"
cgroup_make || die "cannot make a cgroup for the container"
(
	for cg in "${CGROUPS[@]}"; do
		echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
	done
	# --register=no, --keep-unit: no machined, no systemd on this host
	# --private-network: lan0 and dsrlb0 stay in the container (a
	# private network brings /dev/net/tun along)
	# /sys/module: nspawn mounts only parts of /sys, and the EAL stops
	# ("Cannot init VFIO") when it cannot see whether vfio is loaded
	exec systemd-nspawn --quiet --boot --directory="$ROOT" \
		--machine="$MACHINE" --register=no --keep-unit \
		--private-network --bind-ro=/sys/module --console=read-only
) </dev/null >"$WORK/console.log" 2>&1 &
NSPAWN=$!

find_leader() {
	local pid
	for pid in $(pgrep -P "$NSPAWN"); do
		if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ]; then
			LEADER=$pid
			return 0
		fi
	done
	return 1
}
wait_for "the container's systemd" 60 find_leader || die "no container"
wait_for "the container's service manager" 60 \
	ct test -S /run/systemd/private || die "no systemd in the container"
# running, or degraded: what failed is shown below, not a reason to stop
ct timeout 120 systemctl is-system-running --wait >/dev/null
state=$(ct systemctl is-system-running)
log "container booted: $state"
if [ "$state" = degraded ]; then
	ct systemctl --failed --no-pager --no-legend
fi

# ---- 4. install

log "installing the package with apt"
ct apt-get install -y --no-install-recommends \
	"/root/$(basename "$DEB")" >"$WORK/install.log" 2>&1 ||
	{ cat "$WORK/install.log"; die "apt-get install failed"; }
expect enabled "$(ct systemctl is-enabled dsrlb.service)" \
	"dsrlb.service enabled by the install"
expect inactive "$(ct systemctl is-active dsrlb.service)" \
	"dsrlb.service not started by the install"
# 0: it never left the inactive state (a start that failed would show)
expect 0 "$(ct systemctl show -P InactiveExitTimestampMonotonic dsrlb.service)" \
	"dsrlb.service never started"
expect disabled "$(ct systemctl is-enabled dsrlb-metrics.socket)" \
	"dsrlb-metrics.socket not enabled"
gid=$(ct getent group dsrlb | cut -d: -f3)
if [ -n "$gid" ] && [ "$gid" -lt 1000 ]; then
	log "ok: system group dsrlb (gid $gid)"
else
	fail "no system group dsrlb (gid \"$gid\")"
fi
# shellcheck disable=SC2016 # dpkg-query's ${Conffiles}
conffiles=$(ct dpkg-query -W -f='${Conffiles}\n' dsrlb |
	awk 'NF {print $1}' | sort | tr '\n' ' ')
expect "/etc/default/dsrlb /etc/dsrlb/dsrlb.json /etc/dsrlb/vipaddrs " \
	"$conffiles" "conffiles"

# ---- 5. configure and start

log "configuring with the shipped files"
json=$ROOT/etc/dsrlb/dsrlb.json
cp "$json" "$WORK/dsrlb.json.shipped"
sed -i -e 's|"device": "0000:03:00.0"|"device": "net_tap0"|' \
	-e 's|^\(  "exception_interface": "dsrlb0",\)$|\1\n  "high_availability": {"mode": "vrrp"},|' \
	"$json"
# exactly those two: a shipped file that changed fails here, loudly
expect "2 1" "$(diff "$WORK/dsrlb.json.shipped" "$json" | grep -c '^>') $(diff "$WORK/dsrlb.json.shipped" "$json" | grep -c '^<')" \
	"dsrlb.json: lines added, removed"
echo "DSRLB_EAL=\"$EAL\"" >>"$ROOT/etc/default/dsrlb"
ct cp /usr/share/doc/dsrlb/examples/keepalived-dsrlb.conf \
	/etc/keepalived/keepalived.conf || die "keepalived.conf"
# keepalived's drop-in, enabled as doc/install.md says
ct mkdir -p /etc/systemd/system/keepalived.service.d
ct ln -s /usr/share/dsrlb/keepalived-dsrlb.service.conf \
	/etc/systemd/system/keepalived.service.d/dsrlb.conf
ct systemctl daemon-reload
ct systemctl reenable keepalived.service >/dev/null 2>&1 ||
	fail "systemctl reenable keepalived"
case " $(ct systemctl show -P Wants dsrlb.service) " in
*" keepalived.service "*) log "ok: dsrlb.service wants keepalived.service" ;;
*) fail "the drop-in's [Install] did not make dsrlb want keepalived" ;;
esac
ct useradd --no-create-home --groups dsrlb operator1 || die "useradd operator1"
ct useradd --no-create-home outsider || die "useradd outsider"

log "systemctl start dsrlb"
ct systemctl start dsrlb.service || fail "systemctl start dsrlb"

# ---- 6. checks

# dsrlb answers root first: then what a member of dsrlb gets is about
# the group, not about a dsrlb that is not there
st_root() { ct dsrlbctl status; }
if ! wait_for "dsrlb answering on /run/dsrlb/control.sock" 60 st_root; then
	st_root 2>&1 | sed 's/^/pkgtest:   /'
	die "dsrlb does not answer on its control socket"
fi
expect active "$(ct systemctl is-active dsrlb.service)" "dsrlb.service"
if ct_as operator1 dsrlbctl status >"$WORK/status.txt" 2>&1; then
	log "ok: dsrlbctl status as operator1 (group dsrlb, not root) over /run/dsrlb/control.sock"
	sed 's/^/pkgtest:   /' "$WORK/status.txt"
else
	fail "dsrlbctl status as operator1 (group dsrlb, not root): $(cat "$WORK/status.txt")"
fi
expect "755 root root" "$(ct stat -c '%a %U %G' /run/dsrlb)" "/run/dsrlb"
expect "660 root dsrlb" "$(ct stat -c '%a %U %G' /run/dsrlb/control.sock)" \
	"control.sock"
expect "660 root dsrlb" "$(ct stat -c '%a %U %G' /run/dsrlb/monitor.sock)" \
	"monitor.sock"
if ct_as operator1 dsrlbctl -s /run/dsrlb/monitor.sock list \
	>"$WORK/ro.txt" 2>&1; then
	log "ok: dsrlbctl list on the read-only socket as operator1"
else
	fail "dsrlbctl list on the read-only socket as operator1: $(cat "$WORK/ro.txt")"
fi
ct_as operator1 dsrlbctl -s /run/dsrlb/monitor.sock reload >"$WORK/ro.txt" 2>&1
expect 1 $? "dsrlbctl reload on the read-only socket refused: $(cat "$WORK/ro.txt")"
ct_as outsider dsrlbctl status >"$WORK/out.txt" 2>&1
expect 2 $? "dsrlbctl status as outsider (not in group dsrlb)"
if grep -q 'Permission denied' "$WORK/out.txt"; then
	log "ok: outsider: $(cat "$WORK/out.txt")"
else
	fail "outsider: expected \"Permission denied\", got: $(cat "$WORK/out.txt")"
fi

# keepalived: started with dsrlb once dsrlb0 had its address, MASTER
# alone on its segment, and the hook's "dsrlbctl activate"
# (grep on what was read, not on a pipe: with pipefail, grep -q
# leaving early would fail the writer)
active() { grep -Eq '^state +active$' <<<"$(st_root)"; }
wait_for "keepalived active" 60 ct systemctl is-active --quiet keepalived.service
wait_for "dsrlb active (keepalived's notify hook)" 60 active &&
	log "ok: dsrlb active"
if grep -q 'MASTER.*activate' <<<"$(ct journalctl --no-pager -t dsrlb-vrrp)"; then
	log "ok: the notify hook ran dsrlbctl activate on MASTER"
else
	fail "no \"MASTER ... activate\" from the notify hook in the journal"
fi

# reload: the installed vip_file, relative to /etc/dsrlb/dsrlb.json
vips() { st_root | awk '$1 == "vips" {print $2}'; }
before=$(vips)
# the journal's position before the reload: its last entry's cursor
cursor=$(ct journalctl -u dsrlb.service -n 1 --show-cursor --no-pager |
	sed -n 's/^-- cursor: //p')
echo 198.51.100.102 >>"$ROOT/etc/dsrlb/vipaddrs"
ct systemctl reload dsrlb.service
expect 0 $? "systemctl reload dsrlb"
expect "$((before + 1))" "$(vips)" "VIPs after the reload"
# ExecReload's dsrlbctl said what changed, and dsrlb logged it (the
# journal takes them in from their output streams a moment later)
since_reload() {
	grep -q "$1" <<<"$(ct journalctl -u dsrlb.service \
		--after-cursor="$cursor" --no-pager)"
}
wait_for "ExecReload's \"dsrlbctl: configuration reloaded\" in the unit's journal" \
	10 since_reload 'dsrlbctl\[[0-9]*\]: configuration reloaded' &&
	wait_for "dsrlb's \"dsrlb.json: reloaded\" in the unit's journal" \
	10 since_reload 'dsrlb\[[0-9]*\]: .*dsrlb.json: reloaded' &&
	log "ok: the journal has ExecReload's dsrlbctl and dsrlb's reload"

# Prometheus' endpoint: a socket-activated dsrlbctl per scrape, as a
# dynamic user in group dsrlb over the read-only socket
ct systemctl start dsrlb-metrics.socket || fail "start dsrlb-metrics.socket"
scrape() {
	ct bash -c 'exec 3<>/dev/tcp/127.0.0.1/9199 &&
		printf "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 &&
		cat <&3'
}
if grep -q '^dsrlb_up 1' <<<"$(scrape 2>&1)"; then
	log "ok: /metrics on port 9199 says dsrlb_up 1"
else
	fail "/metrics on port 9199 did not say dsrlb_up 1"
fi

# stop: keepalived follows (BindsTo=dsrlb.service)
ct systemctl stop dsrlb.service || fail "systemctl stop dsrlb"
expect inactive "$(ct systemctl is-active dsrlb.service)" "dsrlb.service after stop"
keepalived_stopped() { ! ct systemctl is-active --quiet keepalived.service; }
wait_for "keepalived stopped with dsrlb" 30 keepalived_stopped
expect inactive "$(ct systemctl is-active keepalived.service)" \
	"keepalived.service after dsrlb stopped"
# and before dsrlb began to stop: keepalived inactive (its priority-0
# advert sent, through a dsrlb still forwarding) when dsrlb's stop job
# left "active" (SIGTERM)
ka_gone=$(ct systemctl show --value -p InactiveEnterTimestampMonotonic keepalived.service)
lb_stop=$(ct systemctl show --value -p ActiveExitTimestampMonotonic dsrlb.service)
if [ "${ka_gone:-0}" -gt 0 ] && [ "${lb_stop:-0}" -gt 0 ] &&
	[ "$ka_gone" -le "$lb_stop" ]; then
	log "ok: keepalived stopped before dsrlb was sent SIGTERM ($ka_gone <= $lb_stop us)"
else
	fail "keepalived did not stop before dsrlb: keepalived inactive at ${ka_gone:-?} us, dsrlb stopping at ${lb_stop:-?} us"
fi
if grep -q 'SIGTERM: stopping' <<<"$(ct journalctl --no-pager -u dsrlb.service)"; then
	log "ok: dsrlb logged its stop"
else
	fail "dsrlb's journal has no \"SIGTERM: stopping\" line"
fi

if [ $failed -eq 0 ]; then
	log "all checks passed"
fi

#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The dsrlb authors
#
# Run every libFuzzer target (build-fuzz/, from dts/setup.sh --all) for a
# fixed number of inputs from a generated seed corpus, with ASan and
# UBSan stopping at the first error, as many targets at once as there
# are CPUs. A bounded regression run, not a fuzzing campaign: for that,
# run a target without -runs.
#
#   dts/fuzz.sh [RUNS_MULTIPLIER]
set -euo pipefail

cd "$(dirname "$0")/.."
FUZZ=build-fuzz/app/fuzz
mult=${1:-1}
work=$(mktemp -d /tmp/dsrlb-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 app/fuzz/make_corpus.py "$work/corpus"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

TARGETS="fuzz_pkt:2000000 fuzz_health:1000000 fuzz_config:300000
	fuzz_ctl:300000 fuzz_dp:30000 fuzz_sync:2000000"

# One target: its inputs, its log in $work/NAME.log, its exit status in
# $work/NAME.rc.
run_one() {
	local name=$1 runs=$2 rc=0

	mkdir -p "$work/corpus/$name"   # a target without seeds starts empty
	(cd "$work" && "$ROOT/$FUZZ/$name" -runs="$runs" \
		-artifact_prefix="$work/$name-" "$work/corpus/$name" \
		> "$work/$name.log" 2>&1) || rc=$?
	echo "$rc" > "$work/$name.rc"
}

# The targets are independent: as many at once as there are CPUs (the
# inputs are the same, the wall time shorter); reported in order.
ROOT=$PWD
jobs_max=$(nproc)
for t in $TARGETS; do
	name=${t%%:*}
	runs=$(( ${t##*:} * mult ))
	echo "== $name: $runs inputs"
	run_one "$name" "$runs" &
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n || true
	done
done
wait

status=0
for t in $TARGETS; do
	name=${t%%:*}
	echo "== $name"
	if [ "$(cat "$work/$name.rc" 2>/dev/null)" != 0 ]; then
		tail -40 "$work/$name.log"
		mkdir -p dts/output
		cp "$work/$name"-* dts/output/ 2>/dev/null || true
		echo "$name FAILED (reproducer, if any, in dts/output/)"
		status=1
	else
		grep -E "^#[0-9]+.*DONE" "$work/$name.log" | tail -1
	fi
	# fuzz_dp must have reached what it is there for: a full table
	# that evicts and refuses, sweeps and flushes (its invariants
	# are checked after every burst)
	if [ "$name" = fuzz_dp ]; then
		line=$(grep -E "^fuzz_dp: [0-9]+ bursts" "$work/$name.log" | tail -1)
		echo "$line"
		if ! echo "$line" | grep -qE "table full after [1-9][0-9]*,.* [1-9][0-9]* evicted, [1-9][0-9]* refused, [1-9][0-9]* sweeps, [1-9][0-9]* flushes, 0 table errors"; then
			echo "fuzz_dp FAILED: never filled, swept or flushed its flow table"
			status=1
		fi
		if ! echo "$line" | grep -qE "; [1-9][0-9]* IPv6 packets, IPv6 table full after [1-9][0-9]*$"; then
			echo "fuzz_dp FAILED: never filled its IPv6 flow table"
			status=1
		fi
	fi
done
exit $status

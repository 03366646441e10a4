#!/bin/bash
# SPDX-License-Identifier: MIT
# t31-ipv6-dad: an IPv6 local address still tentative when the daemon
# starts (duplicate address detection runs for a second or so after the
# address is added, as at boot when vtep.service starts right after the
# network) is waited for, instead of failing the start; one that never
# passes DAD (a duplicate) fails it after the wait, saying why.
#
#   vthA: d0 fd00:31::1/64 (with DAD) --- veth --- vthB: d1 (fd00:31::2, or the duplicate fd00:31::1)
#
# Checks:
#   - right after the address is added it is tentative; vtep started then
#     comes up ("ready", pidfile), its log says it waited and for how long;
#     SIGHUP and SIGUSR1 sent while it waits (its pidfile is written) are
#     acted on once it is up, a reload and a dump; it exits 0 on SIGTERM;
#   - with B holding the same address (nodad), A's DAD fails: vtep exits 2
#     within 15 s, its log names the address as still tentative and points
#     at dadfailed.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "vtep's own start (VTEP_IMPL=kernel)"
require
NA=$(hns A) NB=$(hns B)
ns_new "$NA"
ns_new "$NB"
for ns in "$NA" "$NB"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0
done
ip -n "$NA" link add d0 type veth peer name d1 netns "$NB"
ip -n "$NA" link set d0 up
ip -n "$NB" link set d1 up
mkdir -p "$WORK/A"

# start_a LOG: write A's config and start vtep in A's namespace, its log in
# $WORK/A/LOG; PID in $pid.
start_a()
{
	cat >"$WORK/A/vtep.conf" <<CONF
local = "fd00:31::1";
pidfile = "$WORK/A/vtep.pid";
dumpdir = "$WORK/A";
vnis = ( { vni = 100; taps = ( { name = "tapD"; } ); } );
CONF
	rm -f "$WORK/A/vtep.pid"
	ip netns exec "$NA" "$VTEP" -c "$WORK/A/vtep.conf" -v >"$WORK/A/$1" 2>&1 &
	pid=$!
	BG_PIDS+=("$pid")
}

ip -n "$NB" -6 addr add fd00:31::2/64 dev d1 nodad
ip -n "$NA" -6 addr add fd00:31::1/64 dev d0
check "fd00:31::1 is tentative right after it was added" \
	test -n "$(ip -n "$NA" -6 addr show dev d0 tentative)"
start_a vtep.log
# While it waits, its pidfile is written already: `vtep reload` and `vtep
# dump` signal it then, and the signals must wait for it, not end it.
if check "while it waits for DAD, the pidfile is written" poll 5 bash -c \
	"grep -q 'local fd00:31::1 is still tentative' '$WORK/A/vtep.log' && test -s '$WORK/A/vtep.pid'"; then
	check "it is still waiting then" bash -c "! grep -q 'ready: 1 VNIs' '$WORK/A/vtep.log'"
	kill -HUP "$pid"
	kill -USR1 "$pid"
fi
check "vtep comes up once DAD has passed (ready)" poll 15 grep -q "ready: 1 VNIs" "$WORK/A/vtep.log"
check "its log says it waited" grep -q "local fd00:31::1 is still tentative" "$WORK/A/vtep.log"
check "and for how long" grep -qE "local fd00:31::1 usable after [0-9]+ ms" "$WORK/A/vtep.log"
check "pidfile written" test -s "$WORK/A/vtep.pid"
check "SIGHUP sent during the start: a reload once it is up" \
	poll 5 grep -q "reload of '$WORK/A/vtep.conf' applied" "$WORK/A/vtep.log"
check "SIGUSR1 sent during the start: a dump once it is up" poll 5 test -s "$WORK/A/vtep.json"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
check_eq "exit status after SIGTERM" "$rc" 0

# A duplicate: B answers A's DAD probes for fd00:31::1.
ip -n "$NA" -6 addr del fd00:31::1/64 dev d0
ip -n "$NB" -6 addr add fd00:31::1/64 dev d1 nodad
ip -n "$NA" -6 addr add fd00:31::1/64 dev d0
start_a vtep2.log
t0=$(now_ms)
rc=0
timeout 20 tail --pid="$pid" -f /dev/null || true
wait "$pid" || rc=$?
check_eq "a duplicate address: vtep exits 2 (cannot bind)" "$rc" 2
check_ge "after waiting (ms)" "$(($(now_ms) - t0))" 9000
check "its log says the address stayed tentative" \
	grep -q "still tentative after 10 s: a duplicate address?" "$WORK/A/vtep2.log"
check "A's kernel says dadfailed" test -n "$(ip -n "$NA" -6 addr show dev d0 dadfailed)"
finish

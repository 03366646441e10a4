#!/bin/bash
# SPDX-License-Identifier: MIT
# t84-flush: `vtep flush` removes learned FDB and snooped ARP/ND entries at
# run time, by VNI, MAC, remote VTEP, tap or IP, through the control socket
# DUMPDIR/vtep.ctl; static entries stay, and so does everything else.
#
#   vtvA1 .100.1 vtvA2 .100.4 (VNI 100)   vtvB1 .100.2 (100)   vtvC1 .100.3 (100)
#   vtvA3 .200.1 (VNI 200)                vtvB3 .200.2 (200)
#   vthA: vtep 10.0.0.1, workers = 2; VNI 100 has a static FDB entry (behind
#         10.0.0.8) and a static ARP entry     vthB: vtep 10.0.0.2   vthC: vtep 10.0.0.3
#
# Checks:
#   - usage errors are told without a daemon (exit 1); with none running,
#     exit 2 and where it looked;
#   - the socket is mode 0600; a user other than root is refused (exit 2);
#   - after pings, each selector removes exactly its entries: remote (FDB
#     only), tap (FDB only), arp + ip, vni (both tables), mac (any VNI),
#     then everything learned; static entries never go; the answer, the
#     log line and the per-VNI flushed / arp_flushed counters agree;
#   - a VNI or tap the configuration does not have is an error (exit 1);
#   - requests vtep would not send (a word left open, three fds passed)
#     are answered or refused and leak no fd;
#   - traffic goes on and is learned again after a flush, and flushes
#     during a ping flood across both workers, and ARP/ND flushes while
#     both workers snoop ARP storms, leave the daemon well;
#   - SIGTERM removes the socket; after SIGKILL the next start replaces
#     the one left behind.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a vtep command (VTEP_IMPL=kernel)"
require

A=10.0.0.1 B=10.0.0.2 C=10.0.0.3
SMAC=52:54:00:aa:bb:cc SIP=192.168.100.250
host_add A 1
host_add B 2
host_add C 3
vni_add A 100 flood=unicast "peers=$B,$C"
vni_add A 200 flood=unicast "peers=$B"
vni_add B 100 flood=unicast "peers=$A,$C"
vni_add B 200 flood=unicast "peers=$A"
vni_add C 100 flood=unicast "peers=$A,$B"
vni_keys A 100 "fdb = ( { mac = \"$SMAC\"; remote = \"10.0.0.8\"; } );
    arp = ( { ip = \"$SIP\"; mac = \"$SMAC\"; } );"
conf_set A workers 2
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.4/24
vm_add A3 A 200 192.168.200.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add B3 B 200 192.168.200.2/24
vm_add C1 C 100 192.168.100.3/24

# vf ARGS...: vtep flush on A; OUT and RC hold what it said and its status.
vf()
{
	RC=0
	OUT=$("$VTEP" flush -c "$WORK/A/vtep.conf" "$@" 2>&1) || RC=$?
}
# n_fdb VNI TYPE, n_arp VNI TYPE: entries of that type in A's last dump.
n_fdb() { jget A "len([e for e in (vni($1) or {}).get('fdb', []) if e['type'] == '$2'])"; }
n_arp() { jget A "len([e for e in (vni($1) or {}).get('arp', []) if e['type'] == '$2'])"; }
arp_of() { jget A "next((e['mac'] for e in (vni($1) or {}).get('arp', []) if e['ip'] == '$2'), 'missing')"; }
vcount() { jget A "(vni($1) or {}).get('counters', {}).get('$2')"; }

# Usage errors need no daemon; the configuration is written first.
conf_write A "$WORK/A/vtep.conf"
HOST_CONF[A]=$WORK/A/vtep.conf
for args in "vni" "vni 0" "vni 16777216" "mac 52:54:00:zz:00:01" "remote 239.1.1.1" \
	"bogus" "ip 192.168.100.2 remote $B" "arp tap tapA1" "fdb ip 192.168.100.2" \
	"vni 100 vni 200" "tap 0123456789abcdefg"; do
	# shellcheck disable=SC2086 # words
	vf $args
	check_eq "'vtep flush $args' is a usage error (exit 1) with no daemon asked" \
		"$RC $(grep -c 'no daemon' <<<"$OUT")" "1 0"
done
vf vni
check "... and says why ('vni' needs a value)" grep -q "'vni' needs a value" <<<"$OUT"
vf vni 100
check_eq "no daemon: exit 2" "$RC" 2
check "... and says where it looked" grep -q "no daemon listens on '$WORK/A/vtep.ctl'" <<<"$OUT"

for h in A B C; do
	vtep_start $h || finish
done
check_eq "the control socket is a socket of mode 0600" \
	"$(stat -c '%F %a' "$WORK/A/vtep.ctl")" "socket 600"
if command -v setpriv >/dev/null 2>&1; then
	# The way to the socket is open to all, as /run/vtep is: its own mode
	# is what refuses.
	chmod o+x "$WORK" "$WORK/A"
	chmod o+r "$WORK/A/vtep.conf"
	RC=0
	OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$VTEP" flush \
		-c "$WORK/A/vtep.conf" 2>&1) || RC=$?
	check_eq "a user other than root: exit 2" "$RC" 2
	check "... told to run as root" grep -q "run as root" <<<"$OUT"
else
	note "setpriv missing: the unprivileged user is not tried"
fi

# learn: pings that A learns from and snoops ARP from; then every VM knows
# its peers for good, so that no ARP probe of theirs later brings back an
# entry a check expects gone.
learn()
{
	local v
	for v in A1 A2 A3 B1 B3 C1; do
		in_vm "$v" ip neigh flush dev "$(vtap "$v")" nud permanent
		in_vm "$v" ip neigh flush dev "$(vtap "$v")"
	done
	check "ping A1 -> B1" vm_ping A1 192.168.100.2 2
	check "ping A1 -> C1" vm_ping A1 192.168.100.3 2
	check "ping A2 -> B1" vm_ping A2 192.168.100.2 2
	check "ping A3 -> B3" vm_ping A3 192.168.200.2 2
	for v in A1 A2 B1 C1; do
		for p in A1 A2 B1 C1; do
			[ "$v" = "$p" ] || in_vm "$v" ip neigh replace "$(vm_addr "$p")" \
				lladdr "$(vm_mac "$p")" dev "$(vtap "$v")" nud permanent
		done
	done
	in_vm A3 ip neigh replace 192.168.200.2 lladdr "$(vm_mac B3)" dev tapA3 nud permanent
	in_vm B3 ip neigh replace 192.168.200.1 lladdr "$(vm_mac A3)" dev tapB3 nud permanent
}
learn
dump_json A || finish
check_eq "learned: VNI 100 local A1 A2, remote B1 C1, 1 static" \
	"$(n_fdb 100 local) $(n_fdb 100 remote) $(n_fdb 100 static)" "2 2 1"
check_eq "learned: VNI 200 local A3, remote B3" "$(n_fdb 200 local) $(n_fdb 200 remote)" "1 1"
check_eq "snooped: VNI 100 .1 .2 .3 .4, 1 static" "$(n_arp 100 snooped) $(n_arp 100 static)" "4 1"
check_eq "snooped: VNI 200 .1 .2" "$(n_arp 200 snooped)" 2

vf remote $C
check_eq "flush remote C: exit 0" "$RC" 0
check_eq "... answers what it removed" "$OUT" \
	"flushed 1 FDB entries and 0 ARP/ND entries (remote $C, FDB only)"
dump_json A || finish
check_eq "... C1's MAC gone" "$(fdb_of A 100 "$(vm_mac C1)")" missing
check_eq "... B1's stays" "$(fdb_of A 100 "$(vm_mac B1)")" "remote $B null"
check_eq "... ARP/ND entries stay (4 snooped)" "$(n_arp 100 snooped)" 4
check_eq "... VNI 100 counts flushed 1, arp_flushed 0" \
	"$(vcount 100 flushed) $(vcount 100 arp_flushed)" "1 0"
check "... logged" grep -q "flush remote $C, FDB only (uid 0): 1 FDB and 0 ARP/ND entries removed" \
	"$WORK/A/vtep.log"

vf tap tapA2
check_eq "flush tap tapA2" "$RC $OUT" "0 flushed 1 FDB entries and 0 ARP/ND entries (tap tapA2, FDB only)"
dump_json A || finish
check_eq "... A2's MAC gone, A1's stays" \
	"$(fdb_of A 100 "$(vm_mac A2)") / $(fdb_of A 100 "$(vm_mac A1)")" "missing / local null tapA1"

vf arp ip 192.168.100.2
check_eq "flush arp ip .100.2" "$RC $OUT" \
	"0 flushed 0 FDB entries and 1 ARP/ND entries (ip 192.168.100.2, ARP/ND only)"
dump_json A || finish
check_eq "... its entry gone, .100.3 stays" \
	"$(arp_of 100 192.168.100.2) $(arp_of 100 192.168.100.3)" "missing $(vm_mac C1)"
check_eq "... B1's FDB entry stays" "$(fdb_of A 100 "$(vm_mac B1)")" "remote $B null"

vf vni 200
check_eq "flush vni 200: both tables" "$RC $OUT" \
	"0 flushed 2 FDB entries and 2 ARP/ND entries (vni 200)"
dump_json A || finish
check_eq "... VNI 200 holds nothing learned" "$(n_fdb 200 local) $(n_fdb 200 remote) $(n_arp 200 snooped)" "0 0 0"
check_eq "... VNI 100 untouched" "$(n_fdb 100 local) $(n_fdb 100 remote) $(n_arp 100 snooped)" "1 1 3"
check_eq "... VNI 200 counts flushed 2, arp_flushed 2" \
	"$(vcount 200 flushed) $(vcount 200 arp_flushed)" "2 2"

vf vni 999
check_eq "flush vni 999 (not configured): exit 1" "$RC" 1
check "... says so" grep -q "no VNI 999 in the running configuration" <<<"$OUT"
vf tap nosuch
check_eq "flush tap nosuch: exit 1" "$RC" 1
check "... says so" grep -q "no tap 'nosuch'" <<<"$OUT"
vf mac "$SMAC"
check_eq "flush mac of the static entries: nothing removed" "$RC $OUT" \
	"0 flushed 0 FDB entries and 0 ARP/ND entries (mac $SMAC)"

learn
vf mac "$(vm_mac B1)"
check_eq "flush mac B1 (any VNI): its FDB entry and its ARP entry" "$RC $OUT" \
	"0 flushed 1 FDB entries and 1 ARP/ND entries (mac $(vm_mac B1))"

vf
check_eq "flush (everything learned): exit 0" "$RC" 0
dump_json A || finish
check_eq "... only static entries are left" \
	"$(n_fdb 100 local) $(n_fdb 100 remote) $(n_arp 100 snooped) $(n_fdb 200 local) $(n_fdb 200 remote) $(n_arp 200 snooped) / $(n_fdb 100 static) $(n_arp 100 static)" \
	"0 0 0 0 0 0 / 1 1"
check_eq "... static ARP entry intact" "$(arp_of 100 $SIP)" "$SMAC"

check "after the flush: ping A1 -> B1" vm_ping A1 192.168.100.2 2
dump_json A || finish
check_eq "... B1 learned again" "$(fdb_of A 100 "$(vm_mac B1)")" "remote $B null"

# Requests not from vtep: a word left open, and one passing three fds (the
# answer goes to the first, the others are closed); then the daemon holds
# as many fds as before.
nfds() { find "/proc/${HOST_PID[A]}/fd" -mindepth 1 2>/dev/null | wc -l; }
fds0=$(nfds)
python3 - "$WORK/A/vtep.ctl" >"$WORK/raw.out" 2>&1 <<'PYEOF2'
import socket, sys
def ask(req, nfd):
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(nfd)]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendmsg([req], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                       bytes().join(p[1].fileno().to_bytes(4, sys.byteorder) for p in pairs))],
               0, sys.argv[1])
    for p in pairs:
        p[1].close()
    pairs[0][0].settimeout(5)
    print(pairs[0][0].recv(512).decode())
    for p in pairs[1:]:
        p[0].settimeout(5)
        print("other fd: %r" % p[0].recv(512))
ask(b"flush\0vni", 1)
ask(b"flush\0vni\0" b"100\0", 3)
PYEOF2
check_eq "a word left open: 'error malformed request'" "$(sed -n 1p "$WORK/raw.out")" \
	"error malformed request"
check_eq "three fds passed: answered on the first, the others closed unanswered" \
	"$(sed -n 2,4p "$WORK/raw.out" | sed 's/[0-9][0-9]*/N/g' | tr '\n' '|')" \
	"ok flushed N FDB entries and N ARP/ND entries (vni N)|other fd: b''|other fd: b''|"
check_eq "... and the daemon holds no more fds than before" "$(nfds)" "$fds0"

# Flushes while a ping flood runs through both workers of A.
in_vm A1 ping -q -f -w 4 192.168.100.2 >"$WORK/flood.out" 2>&1 &
FLOOD=$!
in_vm A3 ping -q -f -w 4 192.168.200.2 >"$WORK/flood3.out" 2>&1 &
FLOOD3=$!
fails=0
for _ in $(seq 40); do
	vf
	[ "$RC" = 0 ] || fails=$((fails + 1))
	sleep 0.05
done
wait "$FLOOD" || true
wait "$FLOOD3" || true
check_eq "40 flushes during ping floods all answered" "$fails" 0
check_eq "... and the daemon holds no more fds than before" "$(nfds)" "$fds0"
check "A still alive" vtep_alive A
check "ping A1 -> B1 after the floods" vm_ping A1 192.168.100.2 2

# ARP/ND flushes while the workers snoop: gratuitous ARP for 120 addresses
# each, over and over, from A1 (read from a tap queue) and from B1 (received
# from the underlay; each address at a MAC of its own, so that B sends them
# from several source ports and both of A's workers get some), so that
# entries are added while others are removed. (The cache is shared under a
# lock: a flush that skipped it corrupted it.)
arp_storm()
{
	in_vm "$1" python3 - "$(vtap "$1")" "$2" "$3" "${4:-}" <<'EOF'
import socket, struct, sys, time
dev, first, secs, vary = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
own = s.getsockname()[4][:6]
end = time.monotonic() + secs
while time.monotonic() < end:
    for i in range(first, first + 120):
        ip = socket.inet_aton("192.168.100.%d" % i)
        mac = bytes((2, 0x84, 0, 0, 0, i)) if vary else own
        arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac + ip + b"\xff" * 6 + ip
        try:
            s.send(b"\xff" * 6 + mac + b"\x08\x06" + arp + bytes(18))
        except OSError:
            pass
EOF
}
af0=$(dump_json A && vcount 100 arp_flushed)
w0=$(jget A '" ".join(str(w["rx_packets"]) for w in d["workers"])')
arp_storm A1 10 4 &
STORM_A=$!
arp_storm B1 130 4 vary &
STORM_B=$!
sleep 0.5
fails=0
for _ in $(seq 40); do
	vf arp vni 100
	if [ "$RC" != 0 ]; then         # a daemon hung in the cache waits no more
		fails=$((fails + 1))
		note "flush: $OUT"
		break
	fi
	sleep 0.05
done
wait "$STORM_A" || true
wait "$STORM_B" || true
check_eq "40 ARP/ND flushes during ARP storms from A1 and B1 all answered" "$fails" 0
check "A still alive" vtep_alive A
dump_json A || finish
note "frames each worker took in during the storms: $(jget A \
	"' '.join(str(w['rx_packets'] - int(b)) for w, b in zip(d['workers'], '$w0'.split()))")"
check_ge "... and they removed snooped entries (arp_flushed)" \
	"$(($(vcount 100 arp_flushed) - af0))" 1
check "ping A1 -> B1 after the storms" vm_ping A1 192.168.100.2 2

vtep_stop A
check "SIGTERM removed the socket" test ! -e "$WORK/A/vtep.ctl"
vtep_start A || finish
kill -KILL "${HOST_PID[A]}"
wait "${HOST_PID[A]}" 2>/dev/null || true
HOST_PID[A]=""
check "SIGKILL left the socket" test -S "$WORK/A/vtep.ctl"
# The dead daemon's ring lets go of the socket a moment after it exits: a
# request sent meanwhile is dropped unanswered ("went away").
for _ in $(seq 20); do
	vf
	grep -q 'went away' <<<"$OUT" || break
	sleep 0.1
done
check_eq "... which refuses: exit 2, no daemon" "$RC $(grep -c 'no daemon listens' <<<"$OUT")" "2 1"
vtep_start A || finish
vf vni 100
check_eq "the next start replaced it: flush answers" "$RC" 0
check "... and no warning about it" test "$(grep -c 'no control socket' "$WORK/A/vtep.log")" = 0
finish

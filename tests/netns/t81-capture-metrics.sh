#!/bin/bash
# SPDX-License-Identifier: MIT
# t81-capture-metrics: libpcap capture and the Prometheus textfile:
#
#    vm A1 -- host A (vtep: capture + metrics) -- underlay -- host B (vtep) -- vm B1
#
# The capture file (point "both", filter "icmp") reads back in tcpdump with
# the inner ICMP and the outer packets decoded as VXLAN VNI 100, and nothing
# the filter excludes; SIGUSR2 stops and restarts it; a small max_size
# rotates it; a reload changing the filter goes on in the same file (and a
# refused one leaves the file alone); a reload moving it to another file
# truncates that one only once applied (refused, the file stays as it was; a
# FIFO without a reader is refused rather than hanging the daemon); one
# stopped with SIGUSR2 stays stopped through reloads. The metrics file has
# vtep_..._total counters with vni/reason labels and no MAC anywhere; a
# reload moving it removes the old file, the daemon's exit the last one.
set -eu
. "$(dirname "$0")/lib.sh"
require vtep

host_add A 1
host_add B 2
vni_add A 100 peers=10.0.0.2
vni_add B 100 peers=10.0.0.1
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
CAP=$WORK/A/cap.pcap
conf_set A capture "{ file = \"$CAP\"; filter = \"icmp\"; point = \"both\"; }"
conf_set A metrics "\"$WORK/A/vtep.prom\""
vtep_start A || finish
vtep_start B || finish
pid=${HOST_PID[A]}

check "ping A1 -> B1" vm_ping A1 192.168.100.2 4
dump_json A                                 # SIGUSR1 also flushes the metrics
sleep 1.2                                   # the capture is flushed every second
tcpdump -r "$CAP" -n -v >"$WORK/cap.txt" 2>/dev/null || true
check "capture holds inner ICMP echo requests" grep -q "ICMP echo request" "$WORK/cap.txt"
check "capture holds outer packets decoded as VXLAN VNI 100" \
	grep -q "VXLAN, flags \[I\] (0x08), vni 100" "$WORK/cap.txt"
check_eq "the filter kept ARP out" "$(tcpdump -r "$CAP" -n arp 2>/dev/null | wc -l)" "0"
n1=$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)
check_ge "packets captured (4 pings, both points, both directions)" "$n1" 16
if command -v tshark >/dev/null 2>&1; then
	check "tshark decodes the outer side as VXLAN" bash -c \
		"tshark -r '$CAP' -Y vxlan 2>/dev/null | grep -q ."
fi

kill -USR2 "$pid"
check "SIGUSR2 stops the capture" poll 5 grep -q "capture stopped" "$WORK/A/vtep.log"
vm_ping A1 192.168.100.2 2 >/dev/null || true
sleep 1.2                                   # a running capture would be flushed by now
check_eq "no packets added while stopped" "$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)" "$n1"
kill -USR2 "$pid"
check "SIGUSR2 starts it again" poll 5 bash -c "grep -c 'capturing inner and outer' '$WORK/A/vtep.log' | grep -q 2"
vm_ping A1 192.168.100.2 2 >/dev/null || true
sleep 1.2
check_ge "the restarted capture records" "$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)" 4

# A reload that changes the filter of the capture to the same file: refused
# (a bad key beside it), it leaves the file alone; applied, the capture goes
# on in the same file, nothing truncated or overwritten.
# reads_clean [FILE]: tcpdump reads the whole file ($CAP), with no complaint.
reads_clean()
{
	local rc=0
	tcpdump -r "${1:-$CAP}" -n >/dev/null 2>"$WORK/tcpdump.err" || rc=$?
	[ "$rc" = 0 ] && ! grep -Eqi "invalid|truncated|pcap_loop|bogus" "$WORK/tcpdump.err"
}
n2=$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)
conf_write A "${HOST_CONF[A]}"
sed -i "s|^capture = .*|capture = { file = \"$CAP\"; filter = \"icmp or arp\"; point = \"both\"; };|" \
	"${HOST_CONF[A]}"
# (a tap in a namespace that does not exist fails in the daemon, after the
# capture was staged)
sed -i "s|^vnis = (|vnis = ( { vni = 300; taps = ( { name = \"tapX\"; netns = \"$(vns A1)-none\"; } ); },|" \
	"${HOST_CONF[A]}"
check_fails "a reload changing the filter, with a tap it cannot make, is refused" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "... by the daemon" grep -q "reload of .* rejected" "$WORK/A/vtep.log"
check "... naming the tap and where it is configured" grep -q \
	"rejected: ${HOST_CONF[A]}:[0-9]*: vni 300: tap 'tapX' in netns $(vns A1)-none: " \
	"$WORK/A/vtep.reload"
vm_ping A1 192.168.100.2 2 >/dev/null || true
sleep 1.2
check "... the capture file still reads back whole" reads_clean
n3=$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)
check_ge "... and the running capture went on in it" "$n3" $((n2 + 8))
sed -i "s|^vnis = ( { vni = 300; [^,]*,|vnis = (|" "${HOST_CONF[A]}"
check "a reload changing the filter to the same file is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
vm_ping A1 192.168.100.2 2 >/dev/null || true
sleep 1.2
check "... the capture file reads back whole" reads_clean
check_ge "... nothing was lost, and the new capture writes on" \
	"$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)" $((n3 + 8))

# A filter libpcap cannot compile: `vtep reload` refuses it with FILE:LINE
# and sends nothing; the daemon, signalled directly, rejects it the same
# way; the running capture goes on.
conf_write A "${HOST_CONF[A]}"
sed -i "s|^capture = .*|capture = { file = \"$CAP\"; filter = \"icmp and\"; point = \"both\"; };|" \
	"${HOST_CONF[A]}"
line=$(grep -n '^capture = ' "${HOST_CONF[A]}" | cut -d: -f1)
where="${HOST_CONF[A]}:$line: capture.filter: not a capture filter"
gen=$(sed -n 's/^pid [0-9]* generation \([0-9]*\) .*/\1/p' "$WORK/A/vtep.reload" || true)
rc=0
ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1 || rc=$?
check_eq "a filter libpcap cannot compile: vtep reload exits 1" "$rc" 1
check "... saying where" grep -q "^$where" "$WORK/reload.out"
check "... and sends nothing" grep -q " generation $gen " "$WORK/A/vtep.reload"
kill -HUP "${HOST_PID[A]}"
check "signalled directly, the daemon rejects it, saying where" \
	poll 5 grep -q "rejected: $where" "$WORK/A/vtep.reload"
n4=$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)
vm_ping A1 192.168.100.2 2 >/dev/null || true
sleep 1.2
check_ge "... and the capture goes on" "$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)" $((n4 + 4))

# A reload that moves the capture to another file only truncates that file
# once it is applied: refused, it leaves the file as it was (one holding
# something else stays whole, one that did not exist is not left behind),
# and so does a rejected SIGHUP for a FIFO that nobody reads (which must not
# hang the daemon either).
OTHER=$WORK/other.pcap
echo "the operator's own notes" >"$OTHER"
for target in "$OTHER" "$WORK/new.pcap"; do
	conf_write A "${HOST_CONF[A]}"
	sed -i "s|^capture = .*|capture = { file = \"$target\"; filter = \"icmp\"; point = \"both\"; };|" \
		"${HOST_CONF[A]}"
	sed -i "s|^vnis = (|vnis = ( { vni = 300; taps = ( { name = \"tapX\"; netns = \"$(vns A1)-none\"; } ); },|" \
		"${HOST_CONF[A]}"
	check_fails "a reload moving the capture to $(basename "$target"), with a tap it cannot make, is refused" \
		ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
done
check "... a file that held something holds it still" grep -qx "the operator's own notes" "$OTHER"
check "... one that did not exist was not left behind" test ! -e "$WORK/new.pcap"
mkfifo "$WORK/fifo"
conf_write A "${HOST_CONF[A]}"
sed -i "s|^capture = .*|capture = { file = \"$WORK/fifo\"; point = \"both\"; };|" "${HOST_CONF[A]}"
check_fails "a reload moving the capture to a FIFO nobody reads is refused" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
line=$(grep -n '^capture = ' "${HOST_CONF[A]}" | cut -d: -f1)
check "... saying where and why" grep -q \
	"rejected: ${HOST_CONF[A]}:$line: capture.file: '$WORK/fifo': a FIFO with no reader" \
	"$WORK/A/vtep.reload"
n5=$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)
check "... and the daemon goes on forwarding" vm_ping A1 192.168.100.2 1
sleep 1.2
check_ge "... and capturing to the file it had" "$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)" \
	$((n5 + 4))
conf_write A "${HOST_CONF[A]}"
sed -i "s|^capture = .*|capture = { file = \"$OTHER\"; filter = \"icmp\"; point = \"both\"; };|" \
	"${HOST_CONF[A]}"
check "applied, it starts the new file afresh" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
n5=$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)
vm_ping A1 192.168.100.2 2 >/dev/null || true
sleep 1.2
check "... which reads back whole" reads_clean "$OTHER"
check_ge "... and records the pings" "$(tcpdump -r "$OTHER" -n 2>/dev/null | grep -c ICMP || true)" 8
check "... the old file left whole" reads_clean
check_eq "... with nothing added since" "$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)" "$n5"

# A capture stopped with SIGUSR2 stays stopped through a reload that changes
# it, its file as it was; SIGUSR2 then starts it with the new settings.
kill -USR2 "$pid"
check "SIGUSR2 stops the capture again" poll 5 bash -c \
	"grep -c 'capture stopped after' '$WORK/A/vtep.log' | grep -q 2"
n6=$(tcpdump -r "$OTHER" -n 2>/dev/null | wc -l)
sed -i "s|^capture = .*|capture = { file = \"$OTHER\"; filter = \"icmp or arp\"; point = \"inner\"; };|" \
	"${HOST_CONF[A]}"
check "a reload changing the stopped capture is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "... saying the capture stays stopped" grep -q "capture stopped by SIGUSR2 stays stopped" \
	"$WORK/A/vtep.log"
vm_ping A1 192.168.100.2 2 >/dev/null || true
sleep 1.2
check "... its file reads back whole" reads_clean "$OTHER"
check_eq "... and nothing was written to it" "$(tcpdump -r "$OTHER" -n 2>/dev/null | wc -l)" "$n6"
kill -USR2 "$pid"
check "SIGUSR2 starts it with the new settings" poll 5 grep -q \
	"SIGUSR2: capturing inner packets matching 'icmp or arp' to '$OTHER'" "$WORK/A/vtep.log"
vm_ping A1 192.168.100.2 2 >/dev/null || true
sleep 1.2
check_ge "... and it records again (inner only: one frame per packet)" \
	"$(tcpdump -r "$OTHER" -n 2>/dev/null | grep -c ICMP || true)" 4
check_eq "... no outer packets" "$(tcpdump -r "$OTHER" -n 2>/dev/null | grep -c VXLAN || true)" 0

# Rotation, through a reload that changes the capture section.
conf_write A "${HOST_CONF[A]}"
sed -i "s|^capture = .*|capture = { file = \"$CAP\"; point = \"outer\"; max_size = 3000; max_files = 3; };|" \
	"${HOST_CONF[A]}"
check "reload changing the capture is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
vm_ping A1 192.168.100.2 20 >/dev/null || true
sleep 1.2
check "the capture rotated to $CAP.1" test -s "$CAP.1"
check "and to $CAP.2" test -s "$CAP.2"
check "no more files than max_files" test ! -e "$CAP.3"
check "a rotated file reads back" bash -c "tcpdump -r '$CAP.1' -n 2>/dev/null | grep -q VXLAN"

P=$WORK/A/vtep.prom
check "metrics file written" test -s "$P"
check "per-VNI counter with a vni label" grep -q '^vtep_rx_packets_total{vni="100"} [1-9]' "$P"
check "drops by reason" grep -q '^vtep_drops_total{vni="100",reason="malformed"} 0$' "$P"
check "instance-level drops" grep -q '^vtep_drops_total{vni="",reason="unknown_vni"} 0$' "$P"
check "FDB gauge" grep -q '^vtep_fdb_entries{type="remote"} 1$' "$P"
check "per-tap counter with vni, tap and vlan labels" \
	grep -q '^vtep_tap_rx_packets_total{vni="100",tap="tapA1",vlan=""} [1-9]' "$P"
check "per-tap drops" grep -q '^vtep_tap_rx_dropped_total{vni="100",tap="tapA1",vlan=""} 0$' "$P"
check "per-tap up gauge" grep -q '^vtep_tap_up{vni="100",tap="tapA1",vlan=""} 1$' "$P"
check "every sample is a HELP, TYPE or NAME{...} VALUE line" bash -c \
	"! grep -vE '^(# (HELP|TYPE) vtep_[a-z_]+ .*|vtep_[a-z_]+(\{[a-z]+=\"[^\"]*\"(,[a-z]+=\"[^\"]*\")*\})? [0-9]+)$' '$P'"
check "no MAC address in the metrics" bash -c "! grep -qiE '([0-9a-f]{2}:){5}[0-9a-f]{2}' '$P'"
check "no temp file left" bash -c "! ls '$WORK/A/' | grep -q 'prom.tmp'"

# A metrics file no longer written would read as a live, idle VTEP: a
# reload that moves it removes the old one and writes the new one at once;
# the daemon's exit removes it.
P2=$WORK/A/vtep2.prom
conf_write A "${HOST_CONF[A]}"
sed -i "s|^metrics = .*|metrics = \"$P2\";|" "${HOST_CONF[A]}"
check "a reload moving the metrics file is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "... the old file is gone" test ! -e "$P"
check "... the new one is written at once" test -s "$P2"
vtep_stop A
check "the daemon's exit removes the metrics file" test ! -e "$P2"
vtep_stop B
finish

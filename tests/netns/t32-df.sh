#!/bin/bash
# SPDX-License-Identifier: MIT
# t32-df: the outer DF bit (`df`, as the kernel vxlan driver's `df set|unset`).
# The underlay path between A and B runs through a router R whose routes to
# them have mtu 1400, and which sends no ICMP "fragmentation needed" (a
# filter, as on many real paths): path MTU discovery cannot work there. With
# DF set (vtep's default) frames that do not fit vanish; with DF clear R
# fragments them, as it does for the kernel driver's default (unset), and
# they arrive.
#
#   vtvA1 192.168.100.1               vtvB1 192.168.100.2
#   vthA: vtep 10.0.0.1               vthB: kernel vxlan 10.0.0.2 (df unset,
#     VNI 100 peers [10.0.0.2]          the kernel's default), VNI 100
#        \  route to B via R              /  route to A via R
#         ---------- vtul: br0 ----------
#                        |
#              vthR 10.0.0.3: forwards; routes to A and B mtu 1400;
#              nftables drops the ICMP it would send
#
# Checks:
#   - vtep -t refuses df = "inherit" (not offered: one DF setting per send
#     socket), df = "unset" with an IPv6 local, and another word, each with
#     FILE:LINE;
#   - df set by default: A's datagrams leave with DF, dump and text dump say
#     "df set"; ping -s 1000 A1 -> B1 passes; ping -s 1400 (1478-byte
#     datagrams) gets no answer, and R fragments none of A's; B's datagrams
#     (the kernel's default) carry no DF;
#   - a reload to df = "unset" is refused ("changing 'df' needs a restart")
#     and A keeps running;
#   - restarted with df = "unset": A logs "DF clear", its datagrams carry
#     no DF, the dump says "df unset"; ping -s 1400 A1 -> B1 and B1 -> A1
#     pass, R sent fragments of A's datagrams; TCP both ways moves >= 1 MB;
#   - A's own interface still bounds a send (vtep never fragments): ul0 at
#     1400 with a locked route mtu of 1300 to B, ping -M "do" -s 1400 is
#     answered "Frag needed ... (mtu = 1350)", the interface's 1400 less 50,
#     not the route's; ping -M "do" -s 1322 (1350 bytes of IP) passes.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a vtep key (VTEP_IMPL=kernel)"
require
command -v nft >/dev/null 2>&1 || skip "nft (nftables) not installed"
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"
command -v ethtool >/dev/null 2>&1 || skip "ethtool not installed (packaging/deps.sh installs it)"

A=10.0.0.1 B=10.0.0.2 R=10.0.0.3

conf_refused "df inherit" "local = \"$A\";
df = \"inherit\";
vnis = ( { vni = 1; } );" 2 "df: 'inherit' is not supported"
conf_refused "df unset over IPv6" "local = \"fd00::1\";
df = \"unset\";
vnis = ( { vni = 1; } );" 2 "df: 'unset' needs an IPv4 local"
conf_refused "df word" "local = \"$A\";
df = \"clear\";
vnis = ( { vni = 1; } );" 2 "df: invalid value 'clear' (set or unset)"

host_add A 1
host_add B 2
host_add R 3
host_kernel B
unicast_pair A B 100
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24

# R: a router on the same segment, with narrower routes to A and B.
in_host R sysctl -qw net.ipv4.ip_forward=1
for k in all.send_redirects ul0.send_redirects; do
	in_host R sysctl -qw "net.ipv4.conf.$k=0"
done
in_host R ip route add "$A/32" dev ul0 mtu 1400
in_host R ip route add "$B/32" dev ul0 mtu 1400
in_host R nft -f - <<'EOF'
table ip t32 {
	chain out {
		type filter hook output priority 0;
		icmp type destination-unreachable drop
	}
}
EOF
in_host A ip route add "$B/32" via "$R"
in_host B ip route add "$A/32" via "$R"
for h in A B; do
	in_host "$h" sysctl -qw net.ipv4.conf.all.accept_redirects=0
done

vtep_start A || finish
vtep_start B || finish
# Over veth the kernel's vxlan leaves inner checksums of offloaded packets
# unfinished (t21): vtep would rightly refuse them.
in_host B ethtool -K vx100 tx off >/dev/null
B1=$(vm_addr B1) A1=$(vm_addr A1)
# Outer packets of H's (on R's side: fragments after the first have no UDP).
from() { echo "src host $1 and $F_VX"; }
DF="(ip[6] & 0x40) != 0"
FRAG="(ip[6:2] & 0x3fff) != 0"

# ------------------------------------------------ df set (the default)
dump_json A || finish
check_eq "A's dump: df set (the default)" "$(jget A "d['underlay']['df']")" set
check "A's text dump: df set" grep -q "^underlay $A port 4789 dev ul0 df set\$" \
	"$WORK/A/vtep.dump"
cap_start r1 "$(hns R)" ul0 || finish
check "df set: ping -s 1000 A1 -> B1" in_vm A1 ping -n -q -c 3 -i 0.2 -w 10 -s 1000 "$B1"
check_fails "df set: ping -s 1400 A1 -> B1 gets no answer (DF, and no ICMP from R)" \
	in_vm A1 ping -n -q -c 3 -i 0.2 -w 3 -s 1400 "$B1"
cap_stop r1
check_ge "df set: A's datagrams carry DF" "$(cap_count r1 "$(from $A) and $DF")" 3
check_eq "... all of them" "$(cap_count r1 "$(from $A) and not $DF")" 0
check_ge "... the 1400-byte pings among them, whole (1478 bytes of IP), reached R" \
	"$(cap_count r1 "$(from $A) and $DF and ip[2:2] = 1478")" 3
check_ge "the kernel's (B, df unset by default) go without DF" \
	"$(cap_count r1 "$(from $B) and not $DF")" 3
check_eq "... all of them" "$(cap_count r1 "$(from $B) and $DF")" 0
check_eq "R fragmented none of A's" "$(cap_count r1 "src host $A and $FRAG")" 0

# A reload cannot change it.
conf_set A df '"unset"'
conf_write A "${HOST_CONF[A]}"
rc=0
ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1 || rc=$?
check_eq "a reload to df unset is refused (exit 1)" "$rc" 1
check "with the reason" grep -q "changing 'df' needs a restart" "$WORK/reload.out"
check "A is still running" vtep_alive A

# ------------------------------------------------ df unset
vtep_stop A
vtep_start A || finish
check "A logs DF clear" grep -q "DF clear (df unset)" "$WORK/A/vtep.log"
dump_json A || finish
check_eq "A's dump: df unset" "$(jget A "d['underlay']['df']")" unset
cap_start r2 "$(hns R)" ul0 || finish
check "df unset: ping -s 1400 A1 -> B1" in_vm A1 ping -n -q -c 3 -i 0.2 -w 10 -s 1400 "$B1"
check "df unset: ping -s 1400 B1 -> A1" in_vm B1 ping -n -q -c 3 -i 0.2 -w 10 -s 1400 "$A1"
cap_stop r2
check_eq "df unset: no datagram of A's carries DF" "$(cap_count r2 "$(from $A) and $DF")" 0
check_ge "R fragmented A's 1478-byte datagrams" \
	"$(cap_count r2 "src host $A and dst host $B and $FRAG")" 6
check_ge "TCP A1 -> B1: bytes (every full segment fragmented by R)" \
	"$(tcp_bytes A1 "$B1" B1)" 1000000
check_ge "TCP B1 -> A1: bytes" "$(tcp_bytes B1 "$A1" A1)" 1000000

# ------------------------------------------------ the interface still bounds a send
in_host A ip link set ul0 mtu 1400
in_host A ip route replace "$B/32" via "$R" mtu lock 1300
out=$(in_vm A1 ping -n -c 3 -i 0.2 -w 5 -M "do" -s 1400 "$B1" 2>&1 || true)
check "df unset, ul0 at 1400: ping -M do -s 1400 is answered with mtu 1350 (the interface's)" \
	grep -q "Frag needed and DF set (mtu = 1350)" <<<"$out"
note "$(grep -m 1 "Frag needed" <<<"$out")"
in_vm A1 ip route flush cache
check "... and 1350 bytes of IP pass (not the route's 1300)" \
	in_vm A1 ping -n -q -c 3 -i 0.2 -w 10 -M "do" -s 1322 "$B1"
in_host A ip link set ul0 mtu 1500
vtep_stop A
finish

#!/bin/bash
# SPDX-License-Identifier: MIT
# t89-reload-exhausted: a reload that runs out of file descriptors part-way
# is rejected and leaves the daemon exactly as it was, wherever it stops.
#
#    vm A1 -- host A (vtep) -- underlay -- host B (vtep) -- vm B1
#              + vm A3 (VNI 300): added by the reload
#
# A runs VNI 100 (group 239.1.1.100). The reload adds VNIs 200 and 300, each
# with a group of its own (flood = multicast: a group it cannot join is an
# error), and a tap in a VM namespace to VNI 300. A's open-file limit is lowered
# (prlimit) so that 1, 2, 3 ... more descriptors fit, until the reload
# applies: each rejected attempt says where and why, and leaves A with the
# same descriptors and memberships as before, no new tap behind, and
# forwarding (with none at all, the daemon cannot even read the file or
# write the result: its log says why); the one that fits applies in full.
set -eu
. "$(dirname "$0")/lib.sh"
require vtep

host_add A 1
host_add B 2
for h in A B; do vni_add $h 100 group=239.1.1.100 flood=multicast; done
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish
pid=${HOST_PID[A]}
check "ping A1 -> B1" vm_ping A1 192.168.100.2 3

# fds: A's descriptors (number and target); groups: its memberships
# (/proc/net/igmp in hex: 239.1.1.200 is C80101EF, 239.1.1.201 C90101EF).
fds() { find "/proc/$pid/fd" -mindepth 1 -printf '%f %l\n' 2>/dev/null | sort -n; }
groups() { in_host A cat /proc/net/igmp | awk '/^[0-9]/ { dev = $2 } /^\t/ { print dev, $1 }' | sort; }
# limit_for N: the limit under which exactly N more descriptors fit (the
# N+1-th lowest free number).
limit_for()
{
	fds | awk -v n="$1" '{ used[$1] = 1 } END { for (i = 0; ; i++) if (!(i in used) && n-- == 0) { print i; exit } }'
}
fds >"$WORK/fds.before"
groups >"$WORK/igmp.before"
note "A: $(wc -l <"$WORK/fds.before") descriptors, groups: $(tr '\n' ' ' <"$WORK/igmp.before")"
soft=$(prlimit --pid "$pid" --nofile -o SOFT --noheadings | tr -d ' ')
hard=$(prlimit --pid "$pid" --nofile -o HARD --noheadings | tr -d ' ')

vni_add A 200 group=239.1.1.200 flood=multicast
vni_add A 300 group=239.1.1.201 flood=multicast
vm_add A3 A 300 192.168.201.1/24
conf_write A "${HOST_CONF[A]}"
rejected=0 applied=0 reasons=""
for n in $(seq 0 12); do
	limit=$(limit_for "$n")
	prlimit --pid "$pid" --nofile="$limit:$hard"
	rc=0
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1 || rc=$?
	prlimit --pid "$pid" --nofile="$soft:$hard"
	if [ "$rc" = 0 ]; then
		applied=$n
		break
	fi
	rejected=$((rejected + 1))
	reason=$(sed -n 's/^reload rejected: //p' "$WORK/reload.out")
	note "$n more descriptors (limit $limit): exit $rc: ${reason:-$(head -c 300 "$WORK/reload.out")}"
	reasons+="$reason"$'\n'
	if [ "$n" = 0 ]; then
		# Not even the file can be read, nor the result written: the
		# command gives up after 10 s, the log says why.
		check_eq "$n more: the command finds no result (exit 2)" "$rc" 2
		check "$n more: ... the log says why" grep -q "rejected, keeping the running configuration: ${HOST_CONF[A]}: cannot open: Too many open files" "$WORK/A/vtep.log"
		check "$n more: ... and why there is no result" grep -q \
			"cannot write the reload result to '$WORK/A/vtep.reload': Too many open files" \
			"$WORK/A/vtep.log"
	else
		check_eq "$n more: rejected (exit 1)" "$rc" 1
		check "$n more: ... saying where, with the reason" bash -c \
			"grep -q '^${HOST_CONF[A]}:[0-9]*: .*Too many open files' <<<'$reason'"
	fi
	fds >"$WORK/fds.after"
	check "$n more: ... the same descriptors" diff "$WORK/fds.before" "$WORK/fds.after"
	groups >"$WORK/igmp.after"
	check "$n more: ... the same memberships" diff "$WORK/igmp.before" "$WORK/igmp.after"
	check "$n more: ... no new tap left" bash -c "! ip -n $(vns A3) link show tapA3"
	check "$n more: ... and A still forwards" vm_ping A1 192.168.100.2 1
done
check_ge "attempts rejected before one fits" "$rejected" 2
check "a group it cannot join was one reason" grep -q "vni 300: cannot join group 239.1.1.201" <<<"$reasons"
check "a tap it cannot open was another" grep -q "vni 300: tap 'tapA3'" <<<"$reasons"
check "with $applied more descriptors the reload applies" test "$applied" -gt 0
check_eq "... joining both new groups" "$(groups | grep -c 'ul0 C[89]0101EF' || true)" 2
check "... and the new tap" ip -n "$(vns A3)" link show tapA3
finish

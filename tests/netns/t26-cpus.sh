#!/bin/bash
# SPDX-License-Identifier: MIT
# t26-cpus: the cpus key pins each packet worker to one CPU.
#
#   vtvA1                 vtvB1
#   tapA1                 tapB1
#     vthA: vtep workers=2, cpus=[LAST, FIRST]   vthB: vtep (not pinned)
#            \                                  /
#             pA --------- vtul: br0 --------- pB
#
# FIRST and LAST are the lowest and highest CPU this shell may run on (the
# same one twice on a one-CPU machine). Checks: the main thread runs on LAST
# only and worker 1 on FIRST only, as the dump's "cpu" fields say; traffic
# flows; a reload naming a CPU vtep may not use is rejected with FILE:LINE
# and leaves the pinning as it was; a reload without cpus gives every thread
# back the CPUs it started with (dump: null); a one-entry list puts both
# workers on that CPU; a daemon started with an unusable CPU exits 1
# saying which, and so does one started by taskset on another CPU than the
# one cpus names; the daemons exit 0.
set -eu
. "$(dirname "$0")/lib.sh"
require
[ "$VTEP_IMPL" = vtep ] || skip "checks vtep's own threads (VTEP_IMPL=$VTEP_IMPL)"

# expand "0-2,5" into "0 1 2 5"
expand_cpus()
{
	local part out=""
	for part in ${1//,/ }; do
		if [[ $part == *-* ]]; then
			out+=" $(seq -s ' ' "${part%-*}" "${part#*-}")"
		else
			out+=" $part"
		fi
	done
	echo $out
}
ALLOWED_LIST=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)
read -r -a ALLOWED <<<"$(expand_cpus "$ALLOWED_LIST")"
FIRST=${ALLOWED[0]}
LAST=${ALLOWED[${#ALLOWED[@]} - 1]}
BAD=
for c in $(seq 0 1023); do
	case " ${ALLOWED[*]} " in *" $c "*) ;; *) BAD=$c; break ;; esac
done
[ -n "$BAD" ] || skip "this process may run on all 1024 CPUs: no CPU to refuse"
note "CPUs allowed: $ALLOWED_LIST (first $FIRST, last $LAST; $BAD is not)"

host_add A 1
host_add B 2
conf_set A workers 2
conf_set A cpus "[ $LAST, $FIRST ]"
vni_add A 100 flood=unicast peers=10.0.0.2
vni_add B 100 flood=unicast peers=10.0.0.1
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish

# threads H: "TID:CPUS" for each of H's packet threads (the main thread
# first), leaving out io_uring's own workers (iou-*).
threads()
{
	local pid=${HOST_PID[$1]} t tid
	for t in /proc/"$pid"/task/*; do
		case $(cat "$t/comm") in iou-*) continue ;; esac
		tid=${t##*/}
		echo "$([ "$tid" = "$pid" ] && echo 0 || echo 1):$(awk '/^Cpus_allowed_list:/ { print $2 }' "$t/status")"
	done | sort | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//'
}
reload_a()
{
	sed -i '/^cpus = /d' "${HOST_CONF[A]}"
	[ -z "$1" ] || sed -i "s/^vnis = (/cpus = $1;\nvnis = (/" "${HOST_CONF[A]}"
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1
}

check_eq "A: main thread on CPU $LAST, worker 1 on CPU $FIRST" "$(threads A)" "$LAST $FIRST"
check "A: 2 packet workers" grep -q "2 packet workers" "$WORK/A/vtep.log"
check "A: the log says where they run" \
	grep -q "packet workers pinned: 0 on CPU $LAST, 1 on CPU $FIRST$" "$WORK/A/vtep.log"
check "B (no cpus): the log says nothing of pinning" bash -c "! grep -q pinned '$WORK/B/vtep.log'"
check_eq "B (no cpus): its thread may run on every allowed CPU" "$(threads B)" "$ALLOWED_LIST"
dump_json A
check_eq "A: the dump says where each worker runs" \
	"$(jget A '[w["cpu"] for w in d["workers"]]')" "[$LAST, $FIRST]"
dump_json B
check_eq "B: the dump says its worker is not pinned" "$(jget B '[w["cpu"] for w in d["workers"]]')" "[null]"
check "ping A1 -> B1 (pinned workers)" vm_ping A1 "$(vm_addr B1)" 3
check "ping B1 -> A1" vm_ping B1 "$(vm_addr A1)" 3

check_fails "A: a reload naming CPU $BAD is rejected" reload_a "[ $FIRST, $BAD ]"
line=$(grep -n '^cpus = ' "${HOST_CONF[A]}" | cut -d: -f1)
check "A: the rejection names the file, line and CPU" grep -q \
	"${HOST_CONF[A]}:$line: cpus\[1\]: CPU $BAD is not one vtep may run on (it may use $ALLOWED_LIST)" \
	"$WORK/reload.out"
sed 's/^/#   /' "$WORK/reload.out"
check_eq "A: the pinning is as it was" "$(threads A)" "$LAST $FIRST"
check "ping A1 -> B1 after the rejected reload" vm_ping A1 "$(vm_addr B1)" 3

check "A: a reload without cpus is applied" reload_a ""
check_eq "A: both threads may run on every allowed CPU again" "$(threads A)" \
	"$ALLOWED_LIST $ALLOWED_LIST"
dump_json A
check_eq "A: the dump says no worker is pinned" \
	"$(jget A '[w["cpu"] for w in d["workers"]]')" "[null, null]"
check "ping A1 -> B1 unpinned" vm_ping A1 "$(vm_addr B1)" 3
check "A: the log says the workers are no longer pinned" \
	grep -q "packet workers no longer pinned" "$WORK/A/vtep.log"

check "A: a reload with cpus = [ $LAST ] is applied" reload_a "[ $LAST ]"
check_eq "A: both workers on CPU $LAST (worker i runs on cpus[i % 1])" "$(threads A)" "$LAST $LAST"
check "A: the log says so" grep -q "packet workers pinned: 0 on CPU $LAST, 1 on CPU $LAST$" \
	"$WORK/A/vtep.log"
check "ping A1 -> B1 with both workers on one CPU" vm_ping A1 "$(vm_addr B1)" 3

vtep_stop A
# Started with a CPU it may not use: vtep -t cannot know, startup says.
sed -i '/^cpus = /d; s/^vnis = (/cpus = [ '"$BAD"' ];\nvnis = (/' "${HOST_CONF[A]}"
check "vtep -t accepts cpus = [ $BAD ] (the running machine decides)" \
	"$VTEP" -t -c "${HOST_CONF[A]}"
rc=0
timeout 10 ip netns exec "$(hns A)" "$VTEP" -c "${HOST_CONF[A]}" >"$WORK/bad-start.log" 2>&1 || rc=$?
check_eq "a daemon started with cpus = [ $BAD ] exits 1 (a configuration error)" "$rc" 1
check "... and says which CPU, where" grep -q "cpus\[0\]: CPU $BAD is not one vtep may run on" \
	"$WORK/bad-start.log"
sed 's/^/#   /' "$WORK/bad-start.log"
# "May run on" is the affinity the daemon was started with (taskset, systemd).
if [ "$FIRST" != "$LAST" ]; then
	sed -i '/^cpus = /d; s/^vnis = (/cpus = [ '"$FIRST"' ];\nvnis = (/' "${HOST_CONF[A]}"
	rc=0
	timeout 10 ip netns exec "$(hns A)" taskset -c "$LAST" "$VTEP" -c "${HOST_CONF[A]}" \
		>"$WORK/taskset-start.log" 2>&1 || rc=$?
	check_eq "started with taskset -c $LAST, cpus = [ $FIRST ] is refused (exit 1)" "$rc" 1
	check "... as not among the CPUs it may use ($LAST)" grep -q \
		"cpus\[0\]: CPU $FIRST is not one vtep may run on (it may use $LAST)" "$WORK/taskset-start.log"
fi
vtep_stop B
finish

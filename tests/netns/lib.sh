# SPDX-License-Identifier: MIT
# lib.sh - shared helpers for the netns integration tests (sourced, not run).
#
# Every test builds the same kind of topology: one "underlay" namespace holding
# a bridge (multicast snooping off, so IGMP-joined groups flood to every port),
# a veth from it to each host namespace (10.0.0.X/24 on "ul0"), a vtep (or, for
# the interop tests and VTEP_IMPL=kernel, a Linux kernel vxlan device and a
# bridge) in each host namespace, and one namespace per VM holding that VM's tap.
#
#       vm namespaces        vtv<VM>-PID   tap<VM> 192.168.x.y, MAC from the IP
#             |  (tap moved into the vm namespace by vtep, "netns" tap key)
#       host namespaces      vth<H>-PID    vtep -c H/vtep.conf, ul0 10.0.0.X/24
#             |  veth ul0 <-> p<H>
#       underlay namespace   vtul-PID      br0 (mcast_snooping 0)
#
# Names end in the test's PID ($$) so parallel runs never collide; nothing is
# created in the root namespace; `trap cleanup EXIT` (set here) removes it all.
#
# Environment:
#   VTEP=path          the binary [TOP/vtep]
#   VTEP_WRAP="cmd .." run every daemon under this prefix (make check-valgrind
#                      sets "valgrind --error-exitcode=99 ...")
#   VTEP_START_TIMEOUT=S  seconds a daemon may take to come up, and to exit
#                      after SIGTERM [10]
#   VTEP_IMPL=kernel   run every "vtep" host as a kernel vxlan + bridge instead
#                      (proves the topology and the assertions without the daemon)
#   CI=true            a would-be skip (exit 77) fails instead (exit 1)
#   KEEP=1             keep the work directory (configs, logs, dumps, captures);
#                      it is kept anyway when the test fails, unless KEEP=0
#   VERBOSE=1          echo every command run in a namespace
#
# Output: "ok - ..." / "not ok - ..." per check, "# ..." for commentary, and a
# final "N passed, N failed" line from finish (tests/run.sh adds these up).

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VTEP=${VTEP:-$TOP/vtep}
VTEP_IMPL=${VTEP_IMPL:-vtep}
VTEP_WRAP=${VTEP_WRAP:-}
START_TENTHS=$((${VTEP_START_TIMEOUT:-10} * 10))
VXSEND=$TOP/tests/tools/vxsend.py
TEST_NAME=$(basename "$0" .sh)
SUF=$$
NS_UL=vtul-$SUF
UL_PREFIX=10.0.0
UL_PREFIX6=fd00:1
WORK=
UL_MADE=0
PASSED=0
FAILED=0
NAMESPACES=()
BG_PIDS=()           # tcpdump, ping, ...: SIGTERM on cleanup
declare -A HOST_IP=() HOST_IMPL=() HOST_PID=() HOST_CONF=() HOST_VNIS=() HOST_KEYS=() KVX_ARGS=()
declare -A VNI_OPT=()          # "H:VNI" -> "group=.. peers=a,b flood=.."
declare -A VNI_FLOOD=()        # "H:VNI" -> flood mode in effect (kernel hosts)
declare -A VNI_TAPS=()         # "H:VNI" -> more tap entries (vni_tap)
declare -A VNI_KEYS=()         # "H:VNI" -> more keys of the VNI entry (vni_keys)
declare -A VM_HOST=() VM_VNI=() VM_IP=() VM_MAC=()
declare -A VM_TAPKEYS=()        # V -> more keys of its tap entry ('macs = [ ... ];')
declare -A CAP_PID=() CAP_FILE=()
declare -A HOST_COMPAT=()       # H -> "VTEP_READ_MULTISHOT VTEP_TAP_OFFLOAD" its daemon started with

# ---------------------------------------------------------------- reporting

note() { echo "# $*"; }

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }

not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check DESC CMD...: ok when CMD succeeds; otherwise not ok plus CMD's output.
check()
{
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $rc)"
		[ -z "$out" ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
	fi
	return 0
}

# check_fails DESC CMD...: ok when CMD fails.
check_fails()
{
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then not_ok "$desc (it succeeded)"; else ok "$desc"; fi
}

check_eq()
{
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else not_ok "$1: got '$2', want '$3'"; fi
}

check_ge()
{
	if [ "$2" -ge "$3" ] 2>/dev/null; then ok "$1 ($2 >= $3)"; else not_ok "$1: got '$2', want >= $3"; fi
}

# finish: the closing count line; exit status 1 on any failure (or no check).
finish()
{
	local h
	for h in "${!HOST_CONF[@]}"; do
		san_check "$h"
		compat_check "$h"
	done
	if [ "$FAILED" -gt 0 ]; then
		show_logs
	fi
	echo "$PASSED passed, $FAILED failed ($TEST_NAME)"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ] && exit 0
	exit 1
}

# Reports of AddressSanitizer, LeakSanitizer, UBSan and valgrind memcheck
# (make check-sanitized, make check-valgrind) in a daemon's log.
SAN_REPORT='ERROR: (Address|Leak)Sanitizer|runtime error:|==[0-9]+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|[0-9,]+ bytes in [0-9,]+ blocks are (definitely|indirectly|possibly) lost)'

# san_check H: not ok when H's daemon log holds such a report (checked at
# the end of the test, and before a restart moves the log to vtep.log.old).
san_check()
{
	local log=$WORK/$1/vtep.log n
	[ -s "$log" ] || return 0
	n=$(grep -Ec "$SAN_REPORT" "$log" || true)
	if [ "$n" -gt 0 ]; then
		not_ok "host $1: $n sanitizer/valgrind report(s) in the daemon log"
		grep -E -A 12 "$SAN_REPORT" "$log" | head -n 40 | sed 's/^/#   /'
	elif [ -n "$VTEP_WRAP$(strings_san)" ]; then
		ok "host $1: no sanitizer/valgrind report in the daemon log"
	fi
}

# compat_check H: under make check-compat (the paths of kernels before 6.7
# forced through the environment), H's daemon, once ready, must have taken
# them: it logged single tap reads (VTEP_READ_MULTISHOT=0), and no tap got
# more offloads than VTEP_TAP_OFFLOAD=3 allows (no USO: Linux before 6.2).
# The variables are those the daemon was started with (a test may set them
# for one start); without them, nothing is checked.
compat_check()
{
	local log=$WORK/$1/vtep.log mshot off
	[ -s "$log" ] && grep -q "ready:" "$log" || return 0
	read -r mshot off <<<"${HOST_COMPAT[$1]:-- -}"
	if [ "$mshot" = 0 ]; then
		check "host $1: taps read by single reads (VTEP_READ_MULTISHOT=0)" \
			grep -q "taps are read by single reads" "$log"
	fi
	if [ "$off" = 3 ] && grep -q ", offloads " "$log"; then
		check_fails "host $1: no tap with USO offloads (VTEP_TAP_OFFLOAD=3)" \
			grep -q ", offloads .*uso" "$log"
	fi
}

# Non-empty when the daemon binary is built with a sanitizer.
strings_san() { grep -qa '__asan_init\|__ubsan_handle' "$VTEP" 2>/dev/null && echo san; }

show_logs()
{
	local h
	for h in "${!HOST_PID[@]}"; do
		[ -f "$WORK/$h/vtep.log" ] || continue
		note "---- last lines of host $h's vtep log ($WORK/$h/vtep.log)"
		tail -n 25 "$WORK/$h/vtep.log" | sed 's/^/#   /'
	done
}

# skip REASON: exit 77, or under CI=true fail loudly instead.
skip()
{
	if [ "${CI:-}" = "true" ]; then
		echo "not ok - $TEST_NAME cannot run: $* (CI=true: a skip is a failure)" >&2
		echo "0 passed, 1 failed ($TEST_NAME)"
		exit 1
	fi
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

# require: the environment checks every test makes first (io_uring and the
# binary only matter when some host runs vtep, i.e. unless VTEP_IMPL=kernel).
require()
{
	local tool
	[ "$(id -u)" -eq 0 ] || skip "not root"
	for tool in ip bridge tcpdump python3 ping timeout; do
		command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed"
	done
	ip netns add "vtchk-$SUF" >/dev/null 2>&1 || skip "no network namespace support (ip netns add failed)"
	ip netns del "vtchk-$SUF"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	if [ "$VTEP_IMPL" = "vtep" ]; then
		if [ -r /proc/sys/kernel/io_uring_disabled ] &&
			[ "$(cat /proc/sys/kernel/io_uring_disabled)" != 0 ]; then
			skip "io_uring disabled (kernel.io_uring_disabled=$(cat /proc/sys/kernel/io_uring_disabled))"
		fi
		if [ ! -x "$VTEP" ]; then
			echo "not ok - $VTEP not built (run make)"
			echo "0 passed, 1 failed ($TEST_NAME)"
			exit 1
		fi
	fi
	WORK=$(mktemp -d "/tmp/vtep-$TEST_NAME.XXXXXX")
	trap cleanup EXIT
	note "$TEST_NAME: impl=$VTEP_IMPL work=$WORK suffix=$SUF"
}

# bg_kill PID...: SIGTERM to background jobs of this script and to their
# children: `in_vm V cmd &` runs cmd under a subshell whose PID is $!, and
# killing only that would leave cmd running.
bg_kill()
{
	local pid
	for pid in "$@"; do
		pkill -TERM -P "$pid" 2>/dev/null || true      # gone already: fine
		kill -TERM "$pid" 2>/dev/null || true
	done
}

cleanup()
{
	local rc=$? pid h ns i
	set +e
	bg_kill "${BG_PIDS[@]}"
	for h in "${!HOST_PID[@]}"; do
		pid=${HOST_PID[$h]}
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null || continue
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}" "${HOST_PID[@]}"; do
		[ -n "$pid" ] && wait "$pid" 2>/dev/null
	done
	for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do
		ns=${NAMESPACES[$i]}
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "${KEEP:-}" != 0 ]; }; then
			echo "# kept $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- namespaces

hns() { echo "vth$1-$SUF"; }     # host namespace of host H
vns() { echo "vtv$1-$SUF"; }     # namespace of VM V
vtap() { echo "tap$1"; }         # VM V's tap

nsx()
{
	local ns=$1
	shift
	[ "${VERBOSE:-0}" = 1 ] && echo "# [$ns] $*" >&2
	ip netns exec "$ns" "$@"
}
in_ul() { nsx "$NS_UL" "$@"; }
in_host() { local h=$1; shift; nsx "$(hns "$h")" "$@"; }
in_vm() { local v=$1; shift; nsx "$(vns "$v")" "$@"; }

# ns_new NAME: a namespace with lo up and IPv6 off (no DAD/MLD/RS noise in
# the captures or the learned tables).
ns_new()
{
	ip netns add "$1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	ip netns exec "$1" sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1' >/dev/null 2>&1 || true
}

underlay_new()
{
	ns_new "$NS_UL"
	UL_MADE=1
	ip -n "$NS_UL" link add br0 type bridge mcast_snooping 0
	ip -n "$NS_UL" link set br0 up
}

# host_add H N [ADDR/24...]: host namespace H with ul0 = 10.0.0.N/24 (plus any
# extra addresses) on a veth to the underlay bridge (port p<H> there), and a
# route for 224.0.0.0/4 via ul0 so multicast sends need no default route.
# With UL_V6=1 the underlay is IPv6 only: ul0 = fd00:1::N/64 (no DAD, no
# link-local address, IPv6 on ul0 alone; IPv6 multicast is routed to ul0 by
# the kernel itself) and no IPv4 address at all.
host_add()
{
	local h=$1 n=$2 ns a
	shift 2
	ns=$(hns "$h")
	[ "$UL_MADE" = 1 ] || underlay_new
	ns_new "$ns"
	ip -n "$NS_UL" link add "p$h" type veth peer name ul0 netns "$ns"
	ip -n "$NS_UL" link set "p$h" master br0 up
	if [ "${UL_V6:-0}" = 1 ]; then
		ip -n "$ns" link set ul0 addrgenmode none
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.ul0.disable_ipv6=0
		ip -n "$ns" -6 addr add "$UL_PREFIX6::$n/64" dev ul0 nodad
	else
		ip -n "$ns" addr add "$UL_PREFIX.$n/24" dev ul0
	fi
	for a in "$@"; do
		ip -n "$ns" addr add "$a" dev ul0
	done
	ip -n "$ns" link set ul0 up
	if [ "${UL_V6:-0}" = 1 ]; then
		HOST_IP[$h]=$UL_PREFIX6::$n
	else
		ip -n "$ns" route add 224.0.0.0/4 dev ul0
		HOST_IP[$h]=$UL_PREFIX.$n
	fi
	HOST_IMPL[$h]=$VTEP_IMPL
	HOST_VNIS[$h]=""
	HOST_KEYS[$h]=""
	mkdir -p "$WORK/$h"
}

# conf_refused NAME TEXT LINE MESSAGE: `vtep -t` on a file holding TEXT
# exits 1 and reports MESSAGE (a grep pattern) at FILE:LINE.
conf_refused()
{
	local f=$WORK/refused.conf rc=0 out
	printf '%s\n' "$2" >"$f"
	out=$("$VTEP" -t -c "$f" 2>&1) || rc=$?
	check_eq "vtep -t: $1: exit status" "$rc" 1
	check "vtep -t: $1: FILE:LINE and message" grep -q "^$f:$3: $4" <<<"$out"
}

# rcvbuf_errors H: UDP datagrams host H's kernel dropped for a full receive
# buffer (Udp RcvbufErrors in its namespace).
# shellcheck disable=SC2016 # awk's own $
rcvbuf_errors()
{
	in_host "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 }
		else print $col["RcvbufErrors"] }' /proc/net/snmp
}

# vxspray_build: build tests/tools/vxspray.c into $SPRAY (skip without cc).
vxspray_build()
{
	command -v cc >/dev/null 2>&1 || skip "no C compiler (cc) to build tests/tools/vxspray.c"
	SPRAY=$WORK/vxspray
	cc -O2 -o "$SPRAY" "$TOP/tests/tools/vxspray.c" || { not_ok "build vxspray"; finish; }
}

# host_kernel H: host H runs the kernel vxlan driver whatever VTEP_IMPL says.
host_kernel() { HOST_IMPL[$1]=kernel; }

# kvx_args H WORD...: more options for every vxlan device of H when it runs
# the kernel driver (`kvx_args C udp6zerocsumtx`); a vtep host ignores them.
# The kernel's devices on one port share a socket: their receive options
# (udp6zerocsumrx, ...) must agree.
kvx_args() { local h=$1; shift; KVX_ARGS[$h]="$*"; }

# conf_set H KEY VALUE: a top-level config key, VALUE in libconfig syntax
# (conf_set A ageing 5; conf_set A allow '[ "10.0.0.0/29" ]').
conf_set() { HOST_KEYS[$1]+="$2 = $3;"$'\n'; }

conf_get()
{
	printf '%s' "${HOST_KEYS[$1]}" | sed -n "s/^$2 = \\(.*\\);\$/\\1/p" | tail -n 1
}

# vni_add H VNI [group=G] [peers=IP,IP] [flood=MODE] [tos=0xb8|inherit]
vni_add()
{
	local h=$1 vni=$2
	shift 2
	HOST_VNIS[$h]+=" $vni"
	VNI_OPT[$h:$vni]="$*"
}

vni_opt()
{
	local kv
	for kv in ${VNI_OPT[$1:$2]}; do
		case $kv in "$3="*) echo "${kv#*=}"; return ;; esac
	done
}

# unicast_pair H1 H2 VNI...: each VNI on both hosts, flooding by unicast to
# the other.
unicast_pair()
{
	local a=$1 b=$2 vni
	shift 2
	for vni in "$@"; do
		vni_add "$a" "$vni" flood=unicast "peers=${HOST_IP[$b]}"
		vni_add "$b" "$vni" flood=unicast "peers=${HOST_IP[$a]}"
	done
}

# vni_keys H VNI TEXT: more keys in H's VNI entry, in libconfig syntax
# (vni_keys A 100 "learning = false;"); "" removes them.
vni_keys() { VNI_KEYS[$1:$2]=$3; }

# vni_tap H VNI ENTRY: one more tap entry (libconfig group) in H's VNI, after
# its VMs' taps: a trunk VM's VLAN sub-port (vni_tap A 100 "{ name = ...;
# vlan = 10; }").
vni_tap() { VNI_TAPS[$1:$2]+="${VNI_TAPS[$1:$2]:+, }$3"; }

# vm_add V H VNI IP/PLEN: VM V (own namespace) with a tap in host H's VNI.
# Its MAC is 52:54:00 plus the last three bytes of its IP address.
vm_add()
{
	local v=$1 h=$2 vni=$3 ip=$4 a
	ns_new "$(vns "$v")"
	VM_HOST[$v]=$h
	VM_VNI[$v]=$vni
	VM_IP[$v]=$ip
	a=${ip%/*}
	IFS=. read -r _ b c d <<<"$a"
	VM_MAC[$v]=$(printf '52:54:00:%02x:%02x:%02x' "$b" "$c" "$d")
}

vm_addr() { echo "${VM_IP[$1]%/*}"; }

declare -A VM_IP6=()
# v6_up V ADDR: IPv6 back on in VM V's namespace and tap (ns_new turns it
# off), ADDR/64 without DAD and without a link-local address; vm_addr6 V
# gives ADDR back.
v6_up()
{
	local v=$1 t
	t=$(vtap "$v")
	VM_IP6[$v]=$2
	in_vm "$v" ip link set "$t" addrgenmode none
	in_vm "$v" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
		"net.ipv6.conf.$t.disable_ipv6=0"
	in_vm "$v" ip -6 addr replace "$2/64" dev "$t" nodad
}
vm_addr6() { echo "${VM_IP6[$1]}"; }
vm_mac() { echo "${VM_MAC[$1]}"; }

host_vms()
{
	local v
	for v in "${!VM_HOST[@]}"; do
		[ "${VM_HOST[$v]}" = "$1" ] && echo "$v"
	done | sort
}

# ---------------------------------------------------------------- vtep hosts

conf_write()
{
	local h=$1 f=$2 vni v g p fl t first_vni=1 first_tap taps q peers
	{
		echo "# generated by tests/netns/lib.sh ($TEST_NAME, host $h)"
		echo "local = \"${HOST_IP[$h]}\";"
		printf '%s' "${HOST_KEYS[$h]}" | grep -q '^dev = ' || echo 'dev = "ul0";'
		echo "pidfile = \"$WORK/$h/vtep.pid\";"
		echo "dumpdir = \"$WORK/$h\";"
		printf '%s' "${HOST_KEYS[$h]}"
		echo "vnis = ("
		for vni in ${HOST_VNIS[$h]}; do
			[ "$first_vni" = 1 ] || echo "  ,"
			first_vni=0
			echo "  { vni = $vni;"
			g=$(vni_opt "$h" "$vni" group)
			[ -z "$g" ] || echo "    group = \"$g\";"
			p=$(vni_opt "$h" "$vni" peers)
			if [ -n "$p" ]; then
				peers=""
				for q in ${p//,/ }; do peers+="${peers:+, }\"$q\""; done
				echo "    peers = [ $peers ];"
			fi
			fl=$(vni_opt "$h" "$vni" flood)
			[ -z "$fl" ] || echo "    flood = \"$fl\";"
			t=$(vni_opt "$h" "$vni" tos)
			case $t in
			'') ;;
			inherit) echo "    tos = \"inherit\";" ;;
			*) echo "    tos = $t;" ;;
			esac
			[ -z "${VNI_KEYS[$h:$vni]:-}" ] || echo "    ${VNI_KEYS[$h:$vni]}"
			taps=""
			first_tap=1
			for v in $(host_vms "$h"); do
				[ "${VM_VNI[$v]}" = "$vni" ] || continue
				[ "$first_tap" = 1 ] || taps+=", "
				first_tap=0
				taps+="{ name = \"$(vtap "$v")\"; netns = \"$(vns "$v")\";${VM_TAPKEYS[$v]:+ ${VM_TAPKEYS[$v]}} }"
			done
			[ -z "${VNI_TAPS[$h:$vni]:-}" ] || taps+="${taps:+, }${VNI_TAPS[$h:$vni]}"
			echo "    taps = ( $taps );"
			echo "  }"
		done
		echo ");"
	} >"$f"
}

# vtep_start H: write H's config, check it (vtep -t), start the daemon in H's
# namespace, wait until every tap is in its VM namespace and the pidfile names
# the daemon, then give each VM its MAC and address and bring the tap up.
vtep_start()
{
	local h=$1 conf=$WORK/$1/vtep.conf ns pid v i ready out rc=0
	ns=$(hns "$h")
	if [ "${HOST_IMPL[$h]}" = kernel ]; then
		kvx_start "$h"
		return
	fi
	HOST_CONF[$h]=$conf
	conf_write "$h" "$conf"
	out=$("$VTEP" -t -c "$conf" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "host $h: vtep -t accepts the generated config (exit $rc)"
		printf '%s\n' "$out" | sed 's/^/#   /'
		sed 's/^/#   | /' "$conf"
		return 1
	fi
	if [ -s "$WORK/$h/vtep.log" ]; then
		san_check "$h"
		compat_check "$h"
		cat "$WORK/$h/vtep.log" >>"$WORK/$h/vtep.log.old"
	fi
	# shellcheck disable=SC2086 # VTEP_WRAP is a command line
	ip netns exec "$ns" $VTEP_WRAP "$VTEP" -c "$conf" -v >"$WORK/$h/vtep.log" 2>&1 &
	pid=$!
	HOST_COMPAT[$h]="${VTEP_READ_MULTISHOT:--} ${VTEP_TAP_OFFLOAD:--}"
	HOST_PID[$h]=$pid
	ready=0
	for i in $(seq "$START_TENTHS"); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" || rc=$?
			HOST_PID[$h]=""
			not_ok "host $h: vtep started (exited early with status $rc)"
			sed 's/^/#   /' "$WORK/$h/vtep.log" | tail -n 20
			return 1
		fi
		ready=1
		for v in $(host_vms "$h"); do
			ip -n "$(vns "$v")" link show "$(vtap "$v")" >/dev/null 2>&1 || ready=0
		done
		[ "$(cat "$WORK/$h/vtep.pid" 2>/dev/null)" = "$pid" ] || ready=0
		[ "$ready" = 1 ] && break
		sleep 0.1
	done
	if [ "$ready" != 1 ]; then
		not_ok "host $h: vtep ready within $((START_TENTHS / 10)) s (taps in their VM namespaces, pidfile written)"
		for v in $(host_vms "$h"); do
			ip -n "$(vns "$v")" link show "$(vtap "$v")" >/dev/null 2>&1 ||
				note "tap $(vtap "$v") not in namespace $(vns "$v")"
		done
		[ -f "$WORK/$h/vtep.pid" ] || note "no pidfile $WORK/$h/vtep.pid"
		return 1
	fi
	ok "host $h: vtep running (pid $pid, $(host_vms "$h" | wc -l) taps)"
	for v in $(host_vms "$h"); do
		vm_setup "$v"
	done
}

vm_setup()
{
	local v=$1 t
	t=$(vtap "$v")
	ip -n "$(vns "$v")" link set "$t" address "${VM_MAC[$v]}"
	ip -n "$(vns "$v")" addr replace "${VM_IP[$v]}" dev "$t"
	ip -n "$(vns "$v")" link set "$t" up
}

vtep_alive() { [ -n "${HOST_PID[$1]:-}" ] && kill -0 "${HOST_PID[$1]}" 2>/dev/null; }

# vtep_stop H: SIGTERM, wait up to 10 s, and check the exit status is 0.
vtep_stop()
{
	local h=$1 pid rc=0 i v
	if [ "${HOST_IMPL[$h]}" = kernel ]; then
		return 0
	fi
	pid=${HOST_PID[$h]}
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		not_ok "host $h: vtep still running at the end"
		return 0
	fi
	kill -TERM "$pid"
	for i in $(seq "$START_TENTHS"); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		not_ok "host $h: vtep exits within $((START_TENTHS / 10)) s of SIGTERM"
		kill -KILL "$pid"
	fi
	wait "$pid" || rc=$?
	HOST_PID[$h]=""
	check_eq "host $h: vtep exit status after SIGTERM" "$rc" 0
	# Taps outlive the daemon (persist_taps, the default), with no carrier
	# until one runs again; with persist_taps = false the test checks.
	[ "$(conf_get "$h" persist_taps)" != false ] || return 0
	for v in $(host_vms "$h"); do
		if poll 3 tap_detached "$v"; then
			ok "host $h: tap $(vtap "$v") kept after exit, no carrier"
		else
			not_ok "host $h: tap $(vtap "$v") in $(vns "$v") 3 s after exit, without carrier"
		fi
	done
}

# tap_detached V: V's tap is there with no daemon on it: carrier off, or
# down (a test took it down).
tap_detached() { ip -n "$(vns "$1")" -o link show dev "$(vtap "$1")" 2>/dev/null | grep -q 'state DOWN'; }

tap_gone() { ! ip -n "$(vns "$1")" link show "$(vtap "$1")" >/dev/null 2>&1; }

# ---------------------------------------------------------------- kernel vxlan hosts

# kvx_start H: the same VNIs and VMs as a vtep config would give, built from
# kernel parts: per VNI a vxlan device vx<VNI> (group on ul0, or an all-zero
# FDB entry per peer for head-end replication) in a bridge br<VNI>, and per
# VM a veth whose far end, named like the tap, sits in the VM's namespace.
# flood=auto tries the group and falls back to the peers when the join fails.
kvx_start()
{
	local h=$1 ns vni g p fl ageing q v args tos t
	ns=$(hns "$h")
	ageing=$(conf_get "$h" ageing)
	tos=$(conf_get "$h" tos)
	tos=${tos//\"/}
	for vni in ${HOST_VNIS[$h]}; do
		g=$(vni_opt "$h" "$vni" group)
		p=$(vni_opt "$h" "$vni" peers)
		fl=$(vni_opt "$h" "$vni" flood)
		fl=${fl:-auto}
		args="id $vni dstport 4789 local ${HOST_IP[$h]} dev ul0"
		[ -z "$ageing" ] || args+=" ageing $ageing"
		t=$(vni_opt "$h" "$vni" tos)
		t=${t:-$tos}
		[ -z "$t" ] || args+=" tos $t"
		[ -z "${KVX_ARGS[$h]:-}" ] || args+=" ${KVX_ARGS[$h]}"
		ip -n "$ns" link add "br$vni" type bridge mcast_snooping 0 \
			${ageing:+ageing_time $((ageing * 100))}
		ip -n "$ns" link set "br$vni" up
		if [ -n "$g" ] && [ "$fl" != unicast ]; then
			ip -n "$ns" link add "vx$vni" type vxlan $args group "$g"
			ip -n "$ns" link set "vx$vni" master "br$vni"
			if ip -n "$ns" link set "vx$vni" up 2>/dev/null; then
				VNI_FLOOD[$h:$vni]=multicast
			elif [ "$fl" = auto ]; then
				ip -n "$ns" link del "vx$vni"
				VNI_FLOOD[$h:$vni]=unicast
			else
				not_ok "host $h (kernel): vx$vni up (group join failed)"
				return 1
			fi
		else
			VNI_FLOOD[$h:$vni]=unicast
		fi
		if [ "${VNI_FLOOD[$h:$vni]}" = unicast ]; then
			[ -n "$p" ] || VNI_FLOOD[$h:$vni]=local
			ip -n "$ns" link add "vx$vni" type vxlan $args
			ip -n "$ns" link set "vx$vni" master "br$vni"
			ip -n "$ns" link set "vx$vni" up
			for q in ${p//,/ }; do
				bridge -n "$ns" fdb append 00:00:00:00:00:00 dev "vx$vni" dst "$q"
			done
		fi
	done
	for v in $(host_vms "$h"); do
		ip -n "$ns" link add "k$v" type veth peer name "$(vtap "$v")" netns "$(vns "$v")"
		ip -n "$ns" link set "k$v" master "br${VM_VNI[$v]}" up
		# The kernel's own default on a vxlan device: 50 bytes of
		# headers over IPv4, 70 over IPv6.
		ip -n "$(vns "$v")" link set "$(vtap "$v")" mtu $((${UL_V6:-0} == 1 ? 1430 : 1450))
		vm_setup "$v"
	done
	ok "host $h: kernel vxlan up (VNIs${HOST_VNIS[$h]})"
}

# kvx_dump H FILE: a vtep.json look-alike (format_version, vnis[].flood,
# vnis[].fdb[] with type local/remote) from the kernel's FDBs, so the same
# assertions run against a kernel host. No counters.
kvx_dump()
{
	local h=$1 f=$2 ns vni spec=""
	ns=$(hns "$h")
	for vni in ${HOST_VNIS[$h]}; do
		spec+="$vni:${VNI_FLOOD[$h:$vni]}:$(vni_opt "$h" "$vni" group):$(vni_opt "$h" "$vni" peers) "
	done
	bridge -n "$ns" -j fdb show >"$f.fdb"
	python3 - "$f.fdb" "$spec" >"$f" <<'EOF'
import json, sys
fdb = json.load(open(sys.argv[1]))
vnis = []
for item in sys.argv[2].split():
    vni, flood, group, peers = item.split(":")
    ents = []
    for e in fdb:
        mac = e.get("mac", "")
        if mac == "00:00:00:00:00:00":
            continue
        if e.get("ifname") == "vx" + vni and "dst" in e:
            ents.append({"mac": mac, "type": "remote", "remote": e["dst"],
                         "tap": None, "age_s": None})
        elif (e.get("master") == "br" + vni and e.get("ifname", "").startswith("k")
              and e.get("state") != "permanent"):
            ents.append({"mac": mac, "type": "local", "remote": None,
                         "tap": "tap" + e["ifname"][1:], "age_s": None})
    vnis.append({"vni": int(vni), "flood": flood, "group": group or None,
                 "peers": [p for p in peers.split(",") if p],
                 "fdb": ents, "counters": {"drops": {}}})
print(json.dumps({"format_version": 1, "kernel": True, "vnis": vnis,
                  "counters": {"drops": {}}}))
EOF
}

# ---------------------------------------------------------------- dumps

# dump_json H: refresh $WORK/H/dump.json (vtep dump --json, which signals the
# daemon and waits for the new vtep.json). Returns 1 if there is none.
dump_json()
{
	local h=$1 f=$WORK/$1/dump.json rc=0
	if [ "${HOST_IMPL[$h]}" = kernel ]; then
		kvx_dump "$h" "$f"
		return
	fi
	rm -f "$f"
	timeout 10 ip netns exec "$(hns "$h")" "$VTEP" dump --json -c "${HOST_CONF[$h]}" \
		>"$f" 2>"$f.err" || rc=$?
	if [ "$rc" -ne 0 ] || ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" 2>/dev/null; then
		not_ok "host $h: vtep dump --json (exit $rc)"
		sed 's/^/#   /' "$f.err" | tail -n 5
		head -c 300 "$f" | sed 's/^/#   /'
		return 1
	fi
}

# jget H EXPR: evaluate a python expression over H's last dump (d = the JSON;
# vni(N), fdb(N, MAC), drops(REASON) and counter(NAME) help). None prints as null.
jget()
{
	python3 - "$WORK/$1/dump.json" "$2" <<'EOF'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("<no dump: %s>" % e); sys.exit(0)
def vni(n):
    return next((v for v in d.get("vnis", []) if v.get("vni") == n), None)
def fdb(n, mac):
    v = vni(n) or {}
    return next((e for e in v.get("fdb", []) if str(e.get("mac", "")).lower() == mac.lower()), None)
def drops(reason):
    return d.get("counters", {}).get("drops", {}).get(reason, 0)
def counter(name):
    return d.get("counters", {}).get(name, 0)
try:
    r = eval(sys.argv[2])
except Exception as e:
    r = "<error: %r>" % e
print("null" if r is None else json.dumps(r) if isinstance(r, (dict, list, bool)) else r)
EOF
}

# fdb_of H VNI MAC: "TYPE REMOTE TAP" of that FDB entry in H's last dump, or "missing".
fdb_of()
{
	jget "$1" "(lambda e: 'missing' if e is None else ' '.join('null' if e.get(k) is None else str(e.get(k)) for k in ('type', 'remote', 'tap')))(fdb($2, '$3'))"
}

is_kernel() { [ "${HOST_IMPL[$1]}" = kernel ]; }

# ---------------------------------------------------------------- traffic

# vm_ping V DST [COUNT] [DEADLINE]: COUNT replies within DEADLINE seconds.
vm_ping()
{
	local v=$1 dst=$2 n=${3:-3} w=${4:-10}
	in_vm "$v" ping -n -q -c "$n" -i 0.2 -w "$w" "$dst"
}

# tcp_bytes V DST SRV [IPERF3_ARGS...]: bytes a 2 s iperf3 TCP transfer from
# VM V to DST (an address of VM SRV) delivered (all streams: -P N; -R
# reverses; -6), the receiver's count, 0 when the transfer failed. The server is ended afterwards either way, so the port is free
# for the next call (this runs in $(...): no counter would survive it).
tcp_bytes()
{
	local v=$1 dst=$2 srv=$3 out pid
	shift 3
	in_vm "$srv" iperf3 -s -1 -p 5401 >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 30); do
		in_vm "$srv" ss -Hltn "sport = :5401" | grep -q . && break
		sleep 0.1
	done
	out=$(in_vm "$v" timeout 10 iperf3 "$@" -c "$dst" -p 5401 -t 2 -J \
		--connect-timeout 3000 2>/dev/null) || true
	bg_kill "$pid"
	wait "$pid" 2>/dev/null || true
	printf '%s' "$out" | python3 -c 'import json, sys
try:
    print(int(json.load(sys.stdin)["end"]["sum_received"]["bytes"]))
except Exception:
    print(0)'
}

# cap_start NAME NS IFACE: tcpdump (packet-buffered, to $WORK/NAME.pcap) in
# the background; returns once tcpdump is listening.
cap_start()
{
	local name=$1 ns=$2 dev=$3 f=$WORK/$1.pcap i
	ip netns exec "$ns" tcpdump -i "$dev" --immediate-mode -U -n -Z root -s 256 -w "$f" \
		>/dev/null 2>"$WORK/$name.tcpdump.err" &
	CAP_PID[$name]=$!
	CAP_FILE[$name]=$f
	BG_PIDS+=("$!")
	for i in $(seq 50); do
		grep -q "listening on" "$WORK/$name.tcpdump.err" 2>/dev/null && return 0
		sleep 0.1
	done
	not_ok "capture $name: tcpdump listening on $dev"
	sed 's/^/#   /' "$WORK/$name.tcpdump.err"
	return 1
}

cap_stop()
{
	local pid=${CAP_PID[$1]}
	sleep 0.2       # let the last packets in flight land
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# cap_count NAME FILTER: packets in capture NAME matching the pcap FILTER.
# (tcpdump prints a VXLAN packet's inner frame on a second line: count only
# the lines that start with a timestamp.)
cap_count()
{
	tcpdump -r "${CAP_FILE[$1]}" -n -tt "$2" 2>/dev/null |
		awk '/^[0-9]+\.[0-9]+ /{n++} END{print n+0}'
}

# cap_first NAME FILTER: the first matching packet, as tcpdump prints it.
cap_first() { tcpdump -r "${CAP_FILE[$1]}" -n -c 1 "$2" 2>/dev/null; }

# cap_first_is NAME SELECT TEST: 1 if the first packet matching SELECT also
# matches TEST, else 0.
cap_first_is()
{
	tcpdump -r "${CAP_FILE[$1]}" -c 1 -w - "$2" 2>/dev/null |
		tcpdump -r - -n -tt "$3" 2>/dev/null |
		awk '/^[0-9]+\.[0-9]+ /{n++} END{print n+0}'
}

# Filters over the VXLAN payload (offsets from the outer UDP header, which is
# 8 bytes, then 8 bytes of VXLAN, then the inner Ethernet header).
F_VX="udp dst port 4789"
F_ARP="udp[28:2] = 0x0806"
F_ICMP="(udp[28:2] = 0x0800 and udp[39] = 1)"
f_vni() { echo "(udp[12:4] >> 8) = $1"; }
# f_inner_src MAC: the inner frame's source MAC is MAC.
f_inner_src()
{
	local m=${1//:/}
	echo "(udp[22:4] = 0x${m:0:8} and udp[26:2] = 0x${m:8:4})"
}

# poll TIMEOUT_S CMD...: run CMD every 0.2 s until it succeeds or time runs out.
poll()
{
	local t=$1 end
	shift
	end=$(($(date +%s%N) / 1000000 + t * 1000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(($(date +%s%N) / 1000000))" -lt "$end" ] || return 1
		sleep 0.2
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

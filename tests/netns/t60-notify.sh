#!/bin/bash
# SPDX-License-Identifier: MIT
# t60-notify: the sd_notify protocol (Type=notify) seen by a listener on
# NOTIFY_SOCKET, as systemd would see it: READY=1 only once the tap exists,
# the VNI's group is joined and the UDP socket is bound; STATUS=; a watchdog
# ping at least every WATCHDOG_USEC/2 from the running loop; SIGHUP and
# "vtep reload" each give RELOADING=1 with a fresh MONOTONIC_USEC= and then
# READY=1; SIGTERM gives STOPPING=1. Every message comes from the main pid
# (vtep.service has NotifyAccess=main).
#
# The listener runs inside the VM's namespace: on each message it records,
# right after receiving it, whether the tap exists (if_nametoindex) and
# whether the daemon's own namespace (/proc/PID/net) has the group joined and
# port 4789 bound; a thread also notes when the tap appears (1 ms polling).
set -u
VTEP_IMPL=vtep          # the protocol is the daemon's: no kernel variant
. "$(dirname "$0")/lib.sh"

require vtep

GROUP=239.1.1.100
WD_USEC=2000000

host_add A 1
vni_add A 100 group=$GROUP
vm_add v1 A 100 192.168.7.1/24

SOCK=$WORK/notify.sock
LOG=$WORK/notify.log
cat >"$WORK/listener.py" <<'EOF'
# listener.py SOCK LOG TAP PIDFILE GROUP: log every sd_notify datagram as one
# JSON line {t_us, pid, msg, tap, group, udp}; the first line is
# {"tap_seen_us": T} once the tap appears (t_us: CLOCK_MONOTONIC microseconds).
import json, os, socket, struct, sys, threading, time

sock_path, log_path, tap, pidfile, group = sys.argv[1:6]
out = open(log_path, "w", buffering=1)
lock = threading.Lock()

def now_us():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000

def emit(d):
    with lock:
        out.write(json.dumps(d) + "\n")

def tap_exists():
    try:
        socket.if_nametoindex(tap)
        return True
    except OSError:
        return False

def watch_tap():
    while not tap_exists():
        time.sleep(0.001)
    emit({"tap_seen_us": now_us()})

def daemon_view(pid):
    # /proc/PID/net is the daemon's network namespace (the host's).
    g = socket.inet_aton(group)
    want = "%08X" % struct.unpack("<I", g)[0]
    try:
        igmp = want in open("/proc/%d/net/igmp" % pid).read()
        udp = any(l.split()[1].endswith(":12B5")
                  for l in open("/proc/%d/net/udp" % pid).read().splitlines()[1:])
    except OSError:
        return None, None
    return igmp, udp

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sock_path)
threading.Thread(target=watch_tap, daemon=True).start()
emit({"listening": True})
while True:
    data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    t = now_us()
    tap_now = tap_exists()
    pid = None
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", cdata[:12])[0]
    igmp, udp = daemon_view(pid) if pid else (None, None)
    emit({"t_us": t, "pid": pid, "msg": data.decode(errors="replace"),
          "tap": tap_now, "group": igmp, "udp": udp})
EOF

# q EXPR: evaluate a python expression over the log (msgs = the notify
# messages in order, each a dict; tap_seen = when the tap appeared, or None).
q()
{
	python3 - "$LOG" "$1" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
msgs = [l for l in lines if "msg" in l]
tap_seen = next((l["tap_seen_us"] for l in lines if "tap_seen_us" in l), None)
def has(m, kv):
    return kv in m["msg"].split("\n")
def first(kv, after=0):
    return next((i for i, m in enumerate(msgs) if i >= after and has(m, kv)), None)
def field(m, key):
    return next((l[len(key) + 1:] for l in m["msg"].split("\n") if l.startswith(key + "=")), None)
def count(kv):
    return sum(1 for m in msgs if has(m, kv))
def gaps(kv):
    ts = [m["t_us"] for m in msgs if has(m, kv)]
    return [b - a for a, b in zip(ts, ts[1:])]
try:
    r = eval(sys.argv[2])
except Exception as e:
    r = "<error: %r>" % e
print("null" if r is None else json.dumps(r) if isinstance(r, (bool, list, dict)) else r)
EOF
}

# mono_us: CLOCK_MONOTONIC now, in microseconds (the clock of MONOTONIC_USEC).
mono_us() { python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)'; }

# has_n KV N: the log holds at least N messages with the line KV.
has_n() { [ "$(q "count('$1')")" -ge "$2" ] 2>/dev/null; }

# ready_after I: a READY=1 message follows message I.
ready_after() { [ "$(q "first('READY=1', $1 + 1) is not None")" = true ]; }

ip netns exec "$(vns v1)" python3 "$WORK/listener.py" "$SOCK" "$LOG" "$(vtap v1)" \
	"$WORK/A/vtep.pid" "$GROUP" 2>"$WORK/listener.err" &
BG_PIDS+=("$!")
if ! poll 5 test -S "$SOCK"; then
	not_ok "notify listener up on $SOCK"
	sed 's/^/#   /' "$WORK/listener.err"
	finish
fi

conf=$WORK/A/vtep.conf
HOST_CONF[A]=$conf
conf_write A "$conf"
check "vtep -t accepts the config" "$VTEP" -t -c "$conf"

# WATCHDOG_PID must be the daemon's own pid: bash exports its $$ and execs vtep.
NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=$WD_USEC ip netns exec "$(hns A)" \
	bash -c 'export WATCHDOG_PID=$$; exec "$0" -c "$1" -v' "$VTEP" "$conf" \
	>"$WORK/A/vtep.log" 2>&1 &
pid=$!
HOST_PID[A]=$pid

if poll 10 has_n READY=1 1; then
	ok "READY=1 received"
else
	not_ok "READY=1 within 10 s"
	sed 's/^/#   /' "$LOG"
	finish
fi
check_eq "pidfile names the process that was started" "$(cat "$WORK/A/vtep.pid" 2>/dev/null)" "$pid"

r=$(q "first('READY=1')")
check_eq "tap existed when READY=1 arrived" "$(q "msgs[$r]['tap']")" true
# (The poller's time is only good to its 1 ms period, so it is commentary.)
note "the poller saw the tap $(q "(msgs[$r]['t_us'] - tap_seen) / 1000.0 if tap_seen else 'never'") ms before READY=1 arrived"
check_eq "group $GROUP joined in the daemon's namespace when READY=1 arrived" "$(q "msgs[$r]['group']")" true
check_eq "UDP port 4789 bound when READY=1 arrived" "$(q "msgs[$r]['udp']")" true
check_eq "no message before READY=1 claims readiness" "$(q "count('READY=1')")" 1
check_eq "every message comes from the main pid (NotifyAccess=main)" \
	"$(q "sorted(set(m['pid'] for m in msgs))")" "[$pid]"
st=$(q "next((field(m, 'STATUS') for m in msgs if field(m, 'STATUS')), '')")
if [ -n "$st" ]; then ok "STATUS= sent ($st)"; else not_ok "STATUS= sent"; fi

# Watchdog: about 5 s of pings at WATCHDOG_USEC/2 = 1 s.
sleep 5
n=$(q "count('WATCHDOG=1')")
check_ge "WATCHDOG=1 pings in ~5 s (WATCHDOG_USEC=$WD_USEC)" "$n" 4
maxgap=$(q "max(gaps('WATCHDOG=1') or [0]) // 1000")
note "watchdog gaps (ms): $(q "[g // 1000 for g in gaps('WATCHDOG=1')]")"
if [ "$maxgap" -le 1500 ] 2>/dev/null; then
	ok "watchdog pings at most 1.5 s apart (max $maxgap ms, timeout $((WD_USEC / 1000)) ms)"
else
	not_ok "watchdog pings at most 1.5 s apart: max gap $maxgap ms (timeout $((WD_USEC / 1000)) ms)"
fi

# reload_cycle HOW: ask for a reload (HOW = SIGHUP: the signal, sent right
# after reading the clock; HOW = "vtep reload": the CLI, as ExecReload runs it)
# and expect RELOADING=1 with a MONOTONIC_USEC= no older than the moment the
# reload was asked for (systemd >= 253 ignores an older one as stale), then
# READY=1, then STATUS=.
reload_cycle()
{
	local how=$1 before t0 ri rd mu
	before=$(q "len(msgs)")
	if [ "$how" = SIGHUP ]; then
		t0=$(python3 -c 'import os, signal, sys, time
t = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
os.kill(int(sys.argv[1]), signal.SIGHUP)
print(t)' "$pid")
	else
		t0=$(mono_us)
		check "vtep reload exits 0" ip netns exec "$(hns A)" "$VTEP" reload -c "$conf"
	fi
	RELOADS=$((RELOADS + 1))
	if ! poll 10 has_n RELOADING=1 "$RELOADS"; then
		not_ok "$how: RELOADING=1 within 10 s"
		return
	fi
	ri=$(q "first('RELOADING=1', $before)")
	ok "$how: RELOADING=1"
	mu=$(q "field(msgs[$ri], 'MONOTONIC_USEC')")
	if [[ "$mu" =~ ^[0-9]+$ ]]; then
		ok "$how: MONOTONIC_USEC= in the RELOADING=1 message ($mu)"
		if [ "$mu" -ge "$t0" ] && [ "$mu" -le "$(q "msgs[$ri]['t_us']")" ]; then
			ok "$how: MONOTONIC_USEC is CLOCK_MONOTONIC, not before the reload was asked for"
		else
			not_ok "$how: MONOTONIC_USEC=$mu outside [$t0 (reload asked), $(q "msgs[$ri]['t_us']") (received)] µs: systemd would take it for a stale reload"
		fi
	else
		not_ok "$how: MONOTONIC_USEC= in the RELOADING=1 message (got '$mu')"
	fi
	if poll 10 ready_after "$ri"; then
		ok "$how: READY=1 after RELOADING=1"
	else
		not_ok "$how: READY=1 after RELOADING=1 within 10 s"
	fi
	rd=$(q "first('READY=1', $ri + 1)")
	check_eq "$how: STATUS= after the reload's READY=1" \
		"$(q "any(field(m, 'STATUS') for m in msgs[$rd:])")" true
}

RELOADS=0
reload_cycle SIGHUP
reload_cycle "vtep reload"

# Still pinging after the reloads, from the same loop.
n=$(q "count('WATCHDOG=1')")
sleep 2.5
check_ge "WATCHDOG=1 still arrives after the reloads" "$(($(q "count('WATCHDOG=1')") - n))" 2

vtep_stop A
check_eq "STOPPING=1 on SIGTERM" "$(q "count('STOPPING=1')")" 1
check_eq "STOPPING=1 is the last state message" \
	"$(q "max(i for i, m in enumerate(msgs) if has(m, 'STOPPING=1')) >= max(i for i, m in enumerate(msgs) if has(m, 'READY=1'))")" true

finish

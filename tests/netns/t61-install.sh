#!/bin/bash
# SPDX-License-Identifier: MIT
# t61-install: what "make install" stages and how good it is, without root:
#   - make install DESTDIR=... installs exactly the expected files, with the
#     install paths substituted into the units; make uninstall leaves only the
#     configuration;
#   - systemd-analyze verify accepts vtep.service and an instance of
#     vtep@.service, and "systemd-analyze security --offline=true" rates
#     their exposure at most MAX_EXPOSURE;
#   - the man pages lint clean (mandoc -T lint, warnings and up) and render
#     without warnings (man --warnings -l).
# It needs no namespaces: it lives here so that "make check" runs it.
set -u
. "$(dirname "$0")/lib.sh"

MAX_EXPOSURE=${MAX_EXPOSURE:-3.0}
MANS="packaging/vtep.8 packaging/vtep.conf.5"
UNITS="vtep.service vtep@.service"

for tool in make sed python3; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed"
done
WORK=$(mktemp -d "/tmp/vtep-$TEST_NAME.XXXXXX")
trap cleanup EXIT
note "$TEST_NAME: work=$WORK"

# files DIR: every file and symlink under DIR, relative, sorted.
files() { (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort); }

# mode DIR FILE: octal permission bits.
mode() { stat -c %a "$1/$2"; }

# stage NAME VAR=VALUE...: make install into $WORK/NAME.
stage()
{
	local name=$1 out rc=0
	shift
	out=$(make --no-print-directory -C "$TOP" install DESTDIR="$WORK/$name" "$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "make install $* (exit $rc)"
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   /'
		return 1
	fi
	ok "make install DESTDIR=$name $*"
}

# ---------------------------------------------------------------- the Debian layout

D=$WORK/deb
if stage deb PREFIX=/usr SYSCONFDIR=/etc SYSTEMDUNITDIR=/lib/systemd/system; then
	want="etc/vtep.conf
lib/systemd/system/vtep.service
lib/systemd/system/vtep@.service
usr/sbin/vtep
usr/share/man/man5/vtep.conf.5
usr/share/man/man8/vtep.8"
	got=$(files "$D")
	if [ "$got" = "$want" ]; then
		ok "staged files are exactly: $(echo $want)"
	else
		not_ok "staged files"
		diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'
	fi
	check "etc/vtep/ (vtep@NAME configurations) created" test -d "$D/etc/vtep"
	check_eq "usr/sbin/vtep mode" "$(mode "$D" usr/sbin/vtep)" 755
	for f in etc/vtep.conf lib/systemd/system/vtep.service lib/systemd/system/vtep@.service \
		usr/share/man/man5/vtep.conf.5 usr/share/man/man8/vtep.8; do
		check_eq "$f mode" "$(mode "$D" "$f")" 644
	done
	check_eq "etc/vtep.conf is packaging/vtep.conf" \
		"$(cmp -s "$TOP/packaging/vtep.conf" "$D/etc/vtep.conf" && echo same)" same
	for u in $UNITS; do
		check_fails "$u: no @VAR@ left unsubstituted" grep -q '@[A-Z]*@' "$D/lib/systemd/system/$u"
	done
	u=$D/lib/systemd/system/vtep.service
	check_eq "vtep.service ExecStart" "$(sed -n 's/^ExecStart=//p' "$u")" "/usr/sbin/vtep -c /etc/vtep.conf"
	check_eq "vtep.service ExecStartPre" "$(sed -n 's/^ExecStartPre=//p' "$u")" "/usr/sbin/vtep -t -c /etc/vtep.conf"
	check_eq "vtep.service ExecReload" "$(sed -n 's/^ExecReload=//p' "$u")" "/usr/sbin/vtep reload -c /etc/vtep.conf"
	check_eq "vtep.service Type" "$(sed -n 's/^Type=//p' "$u")" notify
	check "vtep.service has a WatchdogSec" grep -q '^WatchdogSec=[1-9]' "$u"
	u=$D/lib/systemd/system/vtep@.service
	check_eq "vtep@.service ExecStart" "$(sed -n 's/^ExecStart=//p' "$u")" "/usr/sbin/vtep -c /etc/vtep/%i.conf"
	check_eq "vtep@.service RuntimeDirectory" "$(sed -n 's/^RuntimeDirectory=//p' "$u")" "vtep-%i"

	out=$(make --no-print-directory -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr \
		SYSCONFDIR=/etc SYSTEMDUNITDIR=/lib/systemd/system 2>&1)
	check_eq "make uninstall leaves only the configuration" "$(files "$D" | tr '\n' ' ')" "etc/vtep.conf "
	# An operator's configuration survives installing again.
	echo '# edited by the operator' >>"$D/etc/vtep.conf"
	stage deb PREFIX=/usr SYSCONFDIR=/etc SYSTEMDUNITDIR=/lib/systemd/system || true
	check "make install again keeps an edited etc/vtep.conf" \
		grep -q '^# edited by the operator$' "$D/etc/vtep.conf"
	check "and installs the rest again" test -x "$D/usr/sbin/vtep"
fi

# ---------------------------------------------------------------- the default layout

if stage default; then
	unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
	want="${unitdir#/}/vtep.service
${unitdir#/}/vtep@.service
etc/vtep.conf
usr/local/sbin/vtep
usr/local/share/man/man5/vtep.conf.5
usr/local/share/man/man8/vtep.8"
	want=$(echo "$want" | LC_ALL=C sort)
	check_eq "default layout (PREFIX=/usr/local)" "$(files "$WORK/default" | tr '\n' ' ')" \
		"$(echo "$want" | tr '\n' ' ')"
	check_eq "default layout: ExecStart" \
		"$(sed -n 's/^ExecStart=//p' "$WORK/default/$unitdir/vtep.service")" \
		"/usr/local/sbin/vtep -c /etc/vtep.conf"
fi

# ---------------------------------------------------------------- systemd-analyze

if command -v systemd-analyze >/dev/null 2>&1; then
	# Installed with the stage directory as the paths themselves, so that
	# verify finds the binary the units run and the man pages they cite.
	R=$WORK/root
	if make --no-print-directory -C "$TOP" install DESTDIR= PREFIX="$R/usr" \
		SYSCONFDIR="$R/etc" SYSTEMDUNITDIR="$R/units" >"$WORK/root.log" 2>&1; then
		cp "$R/units/vtep@.service" "$R/units/vtep@blue.service"
		# verify exits 0 on unknown keys and syscall groups: want no output.
		check "systemd-analyze verify vtep.service vtep@blue.service: exit 0, no messages" \
			sh -c 'out=$(MANPATH="$1/usr/share/man" systemd-analyze verify \
				"$1/units/vtep.service" "$1/units/vtep@blue.service" 2>&1) || rc=$?
			 [ -z "$out" ] && [ "${rc:-0}" -eq 0 ] || { echo "$out"; exit 1; }' sh "$R"
		for u in vtep.service vtep@blue.service; do
			out=$(systemd-analyze security --offline=true "$R/units/$u" 2>&1)
			score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
			if [ -n "$score" ] && python3 -c "import sys; sys.exit(not float('$score') <= $MAX_EXPOSURE)"; then
				ok "systemd-analyze security $u: exposure $score <= $MAX_EXPOSURE"
			else
				not_ok "systemd-analyze security $u: exposure '$score', want <= $MAX_EXPOSURE"
				printf '%s\n' "$out" | grep '✗' | sed 's/^/#   /'
			fi
		done
		# The daemon's needs (io_uring, setns, its address families) stay allowed.
		u=$R/units/vtep.service
		check "SystemCallFilter keeps @system-service (io_uring is in @aio) and setns" \
			grep -q '^SystemCallFilter=@system-service setns$' "$u"
		check_fails "SystemCallFilter does not deny @aio or io_uring" \
			grep -Eq '^SystemCallFilter=~.*(@aio|io_uring)' "$u"
		check "RestrictAddressFamilies allows AF_UNIX AF_INET AF_INET6 AF_NETLINK" \
			grep -q '^RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK$' "$u"
		check "DeviceAllow=/dev/net/tun rw" grep -q '^DeviceAllow=/dev/net/tun rw$' "$u"
	else
		not_ok "make install PREFIX=$R/usr ... (for systemd-analyze)"
		tail -n 15 "$WORK/root.log" | sed 's/^/#   /'
	fi
else
	if [ "${CI:-}" = true ]; then
		not_ok "systemd-analyze not installed (CI=true)"
	else
		note "systemd-analyze not installed: unit checks not run"
	fi
fi

# ---------------------------------------------------------------- man pages

if command -v mandoc >/dev/null 2>&1; then
	for m in $MANS; do
		# STYLE messages (cross-references to pages not installed, mandoc.db
		# state) depend on the machine: warnings and worse must be none.
		check "mandoc -T lint -W warning $m" sh -c \
			'out=$(mandoc -T lint -W warning "$1" 2>&1); [ -z "$out" ] || { echo "$out"; exit 1; }' \
			sh "$TOP/$m"
	done
elif [ "${CI:-}" = true ]; then
	not_ok "mandoc not installed (CI=true)"
else
	note "mandoc not installed: lint not run"
fi
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	for m in $MANS; do
		check "man --warnings -l $m: renders without warnings" sh -c \
			'out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$1" 2>&1 >/dev/null)
			 [ -z "$out" ] || { echo "$out"; exit 1; }' sh "$TOP/$m"
	done
elif [ "${CI:-}" = true ]; then
	not_ok "man (man-db) or groff not installed (CI=true)"
else
	note "man-db/groff not installed: rendering not checked"
fi

finish

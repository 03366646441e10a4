#!/bin/bash
# SPDX-License-Identifier: MIT
# t62-deb: build the .deb with dpkg-buildpackage -us -uc -b (nocheck: the unit
# tests run elsewhere) in a copy of the tree, so that nothing lands in the
# checkout, and check what it holds: the binary, /etc/vtep.conf as a conffile,
# both units (with dh_installsystemd's maintainer scripts), the man pages,
# and shared-library dependencies. Needs no root (Rules-Requires-Root: no).
# Skips (77; a failure under CI=true) without dpkg-buildpackage, debhelper or
# the build dependencies: packaging/deps.sh installs them.
set -u
. "$(dirname "$0")/lib.sh"

for tool in dpkg-buildpackage dpkg-deb dh dpkg-checkbuilddeps; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (dpkg-dev, debhelper)"
done
[ -f "$TOP/debian/control" ] || skip "no debian/ directory"
out=$(cd "$TOP" && dpkg-checkbuilddeps -P nocheck 2>&1) ||
	skip "build dependencies missing: ${out##*: }"

WORK=$(mktemp -d "/tmp/vtep-$TEST_NAME.XXXXXX")
trap cleanup EXIT
note "$TEST_NAME: work=$WORK"

# The tree as git sees it (tracked and untracked, not ignored): sources, never
# build output.
SRC=$WORK/vtep
mkdir -p "$SRC"
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$TOP" && xargs -0 sh -c 'for f; do [ -e "$f" ] && cp -P --parents -- "$f" "$0"; done' "$SRC")
else
	tar -C "$TOP" --exclude=./build --exclude=./vtep --exclude=./.git -cf - . | tar -C "$SRC" -xf -
fi
check "copy of the tree has debian/rules and no build output" \
	sh -c 'test -x "$1/debian/rules" && ! test -e "$1/build" && ! test -e "$1/vtep"' sh "$SRC"

t0=$(date +%s)
rc=0
(cd "$SRC" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=$(nproc)" dpkg-buildpackage -us -uc -b --build-profiles=nocheck) \
	>"$WORK/build.log" 2>&1 || rc=$?
t1=$(date +%s)
if [ "$rc" -ne 0 ]; then
	not_ok "dpkg-buildpackage -us -uc -b (exit $rc)"
	tail -n 30 "$WORK/build.log" | sed 's/^/#   /'
	finish
fi
ok "dpkg-buildpackage -us -uc -b ($((t1 - t0)) s)"

debs=("$WORK"/vtep_*.deb)
DEB=${debs[0]}
check "one vtep_*.deb built" test "${#debs[@]}" -eq 1 -a -f "$DEB"
note "built $(basename "$DEB")"

contents=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/sbin/vtep /etc/vtep.conf /lib/systemd/system/vtep.service \
	/lib/systemd/system/vtep@.service /usr/share/man/man8/vtep.8.gz \
	/usr/share/man/man5/vtep.conf.5.gz /usr/share/doc/vtep/copyright /etc/vtep/; do
	if grep -qxF "$f" <<<"$contents"; then ok "package holds $f"; else not_ok "package holds $f"; fi
done
check_eq "nothing under /usr/local or /build" "$(grep -cE '^/(usr/local|build)' <<<"$contents")" 0

CTL=$WORK/control
dpkg-deb -e "$DEB" "$CTL"
check_eq "conffiles is /etc/vtep.conf" "$(cat "$CTL/conffiles" 2>/dev/null)" /etc/vtep.conf
check "dpkg-deb -I lists conffiles" sh -c 'dpkg-deb -I "$1" | grep -qw conffiles' sh "$DEB"
check "postinst from dh_installsystemd (deb-systemd-helper vtep.service)" \
	grep -q "deb-systemd-helper.*'vtep.service'" "$CTL/postinst"
check "postinst enables vtep.service only if it was enabled before (--no-enable)" \
	grep -q "deb-systemd-helper debian-installed 'vtep.service'" "$CTL/postinst"
check "prerm stops vtep.service on removal" grep -q "deb-systemd-invoke stop 'vtep.service'" "$CTL/prerm"
depends=$(dpkg-deb -f "$DEB" Depends)
for lib in liburing libconfig libpcap libsystemd0; do
	if [[ "$depends" == *"$lib"* ]]; then ok "Depends names $lib"; else not_ok "Depends names $lib: $depends"; fi
done

X=$WORK/x
dpkg-deb -x "$DEB" "$X"
ver=$(dpkg-deb -f "$DEB" Version)
check "packaged vtep -V reports the package version $ver" \
	sh -c '"$1" -V 2>&1 | grep -qF -- "$2"' sh "$X/usr/sbin/vtep" "$ver"
check_eq "packaged vtep.service ExecStart" \
	"$(sed -n 's/^ExecStart=//p' "$X/lib/systemd/system/vtep.service")" "/usr/sbin/vtep -c /etc/vtep.conf"
check_eq "packaged /etc/vtep.conf is packaging/vtep.conf" \
	"$(cmp -s "$X/etc/vtep.conf" "$TOP/packaging/vtep.conf" && echo same)" same
check "packaged binary is built with _FORTIFY_SOURCE (CPPFLAGS reach the compiler)" \
	sh -c 'nm -D "$1" | grep -q "_chk@"' sh "$X/usr/sbin/vtep"

# dpkg-buildpackage ran in the copy: the checkout must not have changed.
leftovers=$(cd "$TOP" && ls -d debian/vtep debian/.debhelper debian/files debian/debhelper-build-stamp \
	debian/*.substvars debian/*.log ../vtep_*.deb ../vtep_*.changes ../vtep_*.buildinfo 2>/dev/null)
check_eq "no build artifacts in the checkout" "$leftovers" ""

finish

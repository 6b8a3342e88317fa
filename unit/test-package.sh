#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Package tier: build the Debian package from a copy of the source tree
# (DEB_BUILD_OPTIONS=nocheck: no test suite inside the package build), then
# install it into a throwaway root with dpkg and check what is there.
#
# What is checked, and how: dpkg --root installs into an empty directory
# and runs the maintainer scripts outside a chroot (--force-script-chrootless,
# the root has no shell) with DPKG_ROOT set, as debhelper's scripts expect:
# systemd-sysusers and systemd-tmpfiles work inside DPKG_ROOT, so the group
# netdev, the run directory and the resolv.conf link are checked there. The
# installed nfconnd runs from the root against the machine's libraries
# (--version only: nothing is started). Removal runs the scripts again
# and must leave only the conffile, purge nothing of ours. Lintian runs when
# NFC_PACKAGE_LINTIAN=1 (about 40 s on a loaded machine).
#   test-package.sh SOURCE_ROOT
set -eu

src=$1
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (dpkg --root, maintainer scripts)"
	exit 77
fi
for tool in dpkg-buildpackage dh systemd-sysusers systemd-tmpfiles; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool missing (tools/setup-deps installs it)"
		exit 77
	fi
done

work=$(mktemp -d /tmp/nfc-package.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
fail() { echo "not ok - $*"; exit 1; }
step=0
ok() { step=$((step + 1)); echo "ok $step - $*"; }
start=$(date +%s)

# the tree as git sees it (tracked and new files, not the build directories)
mkdir "$work/src"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z -co --exclude-standard) |
		(cd "$src" && tar --null -T - -cf -) | tar -C "$work/src" -xf -
else
	tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$work/src" -xf -
fi
version=$(sed -n '1s/^nfconn (\([^)]*\)).*/\1/p' "$src/debian/changelog")
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb="$work/nfconn_${version}_${arch}.deb"

(cd "$work/src" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" \
	dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) ||
	{ tail -40 "$work/build.log"; fail "dpkg-buildpackage"; }
[ -f "$deb" ] || fail "no $deb"
ok "dpkg-buildpackage built nfconn_${version}_${arch}.deb in $(($(date +%s) - start)) s"

# The scripts run on this machine (DPKG_ROOT set): debhelper's postrm
# calls "systemctl daemon-reload" where systemd runs, unguarded; this
# machine's systemd is none of the test's business.
mkdir "$work/shim"
printf '#!/bin/sh\necho "$*" >> "%s/systemctl.log"\n' "$work" >"$work/shim/systemctl"
chmod 755 "$work/shim/systemctl"
PATH="$work/shim:$PATH"
export PATH

root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
dpkg --root="$root" --force-depends --force-script-chrootless -i "$deb" >"$work/dpkg.log" 2>&1 ||
	{ cat "$work/dpkg.log"; fail "dpkg -i"; }
status=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' nfconn)
[ "$status" = "install ok installed" ] || fail "package status: $status"
ok "installed into a throwaway root, maintainer scripts done"

for f in usr/sbin/nfconnd usr/bin/nfconnctl \
	lib/systemd/system/nfconnd.service \
	usr/share/dbus-1/system.d/nfconn.conf \
	usr/share/man/man8/nfconnd.8.gz usr/share/man/man1/nfconnctl.1.gz \
	usr/share/bash-completion/completions/nfconnctl \
	usr/lib/sysusers.d/nfconn.conf usr/lib/tmpfiles.d/nfconn.conf \
	etc/nfconn/main.conf \
	usr/share/doc/nfconn/copyright usr/share/doc/nfconn/README.Debian; do
	[ -f "$root/$f" ] || fail "missing /$f"
done
# every doc/*.md of the tree, compressed or not
for md in "$src"/doc/*.md; do
	name=$(basename "$md")
	[ -f "$root/usr/share/doc/nfconn/$name" ] || [ -f "$root/usr/share/doc/nfconn/$name.gz" ] ||
		fail "missing /usr/share/doc/nfconn/$name"
done
cmp -s "$src/dbus/nfconn.conf" "$root/usr/share/dbus-1/system.d/nfconn.conf" ||
	fail "the bus policy differs from dbus/nfconn.conf"
grep -q '^Conflicts=connman.service$' "$root/lib/systemd/system/nfconnd.service" ||
	fail "the unit does not conflict with connman.service"
grep -q '^ExecStart=/usr/sbin/nfconnd ' "$root/lib/systemd/system/nfconnd.service" ||
	fail "the unit does not start /usr/sbin/nfconnd"
dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Conffiles}\n' nfconn |
	grep -q '^ /etc/nfconn/main.conf ' || fail "/etc/nfconn/main.conf is not a conffile"
ok "files in place: daemon, client, unit, bus policy, man pages, completion, conffile, docs"

# what the maintainer scripts did inside the root
grep -q '^netdev:x:[0-9]*:' "$root/etc/group" || fail "postinst created no group netdev"
[ -d "$root/run/nfconn" ] || fail "tmpfiles.d made no /run/nfconn"
[ "$(readlink "$root/etc/resolv.conf")" = /run/nfconn/resolv.conf ] ||
	fail "tmpfiles.d made no /etc/resolv.conf link to nfconnd's"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/nfconnd.service" ] ||
	fail "the package enabled nfconnd.service at install"
ok "postinst: group netdev, /run/nfconn, /etc/resolv.conf -> /run/nfconn/resolv.conf, unit not enabled"

out=$("$root/usr/sbin/nfconnd" --version) || fail "installed nfconnd --version exits $?"
[ "$out" = "$version" ] || fail "installed nfconnd --version says '$out', not '$version'"
out=$("$root/usr/bin/nfconnctl" --version) || fail "installed nfconnctl --version exits $?"
[ "$out" = "nfconnctl $version" ] || fail "installed nfconnctl --version says '$out'"
ok "the installed nfconnd and nfconnctl run: $version"

if [ "${NFC_PACKAGE_LINTIAN:-0}" = 1 ]; then
	lint=$(lintian "$deb" 2>&1 | grep -v '^running with root privileges') || true
	[ -z "$lint" ] || { echo "$lint"; fail "lintian"; }
	ok "lintian clean"
fi

dpkg --root="$root" --force-depends --force-script-chrootless -r nfconn >"$work/dpkg.log" 2>&1 ||
	{ cat "$work/dpkg.log"; fail "dpkg -r"; }
[ ! -e "$root/usr/sbin/nfconnd" ] || fail "nfconnd left after removal"
[ -f "$root/etc/nfconn/main.conf" ] || fail "removal took the conffile"
dpkg --root="$root" --force-depends --force-script-chrootless -P nfconn >"$work/dpkg.log" 2>&1 ||
	{ cat "$work/dpkg.log"; fail "dpkg -P"; }
[ ! -e "$root/etc/nfconn/main.conf" ] || fail "purge left the conffile"
ok "removal keeps the conffile, purge takes it"

echo "1..$step"
echo "# took $(($(date +%s) - start)) s"

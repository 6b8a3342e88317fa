# SPDX-License-Identifier: GPL-2.0-or-later
# Shell version of the test lab for the demo and the benchmarks: network
# namespaces with unique names, a private dbus-daemon, nfconnd. Everything
# started here is recorded and removed by lab_cleanup (run on exit, also
# on Ctrl-C). Source it; needs root.

LAB_PREFIX="nfcdemo$$"
LAB_DIR=""
LAB_PIDS=""
LAB_NETNS=""
LAB_CGROUPS=""
LAB_BUS=""

lab_init() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
	LAB_DIR=$(mktemp -d /tmp/nfconn-demo-XXXXXX)
	chmod 755 "$LAB_DIR"
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}

lab_cleanup() {
	set +e
	for pid in $LAB_PIDS; do
		kill "$pid" 2>/dev/null
	done
	for pid in $LAB_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	for ns in $LAB_NETNS; do
		ip netns delete "$ns" 2>/dev/null
	done
	# cgroups go once their processes are gone: the deepest first
	for cg in $LAB_CGROUPS; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	[ -n "$LAB_DIR" ] && rm -rf --one-file-system "$LAB_DIR"
	LAB_PIDS="" LAB_NETNS="" LAB_DIR="" LAB_CGROUPS=""
}

# lab_cgroup NAME: creates the cgroup v2 directory "<prefix>-NAME" under the
# cgroup2 mount, its path in LAB_CGROUP (not in a subshell: it is recorded
# here); removed with everything below it
lab_cgroup() {
	root=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
	[ -n "$root" ] || { echo "no cgroup2 mount" >&2; return 1; }
	cg="$root/$LAB_PREFIX-$1"
	mkdir "$cg" || return 1
	LAB_CGROUPS="$cg $LAB_CGROUPS"
	LAB_CGROUP=$cg
}

# lab_netns ROLE: creates "<prefix>-ROLE" with lo up; prints nothing
lab_netns() {
	ns="$LAB_PREFIX-$1"
	ip netns add "$ns" || exit 1
	LAB_NETNS="$ns $LAB_NETNS"
	ip -n "$ns" link set lo up
}

lab_ns() { echo "$LAB_PREFIX-$1"; }

# lab_wait SECONDS WHAT CMD...: until CMD succeeds (polled every 50 ms);
# after SECONDS it says that WHAT did not happen and fails
lab_wait() {
	wait_end=$(($(date +%s) + $1))
	wait_what=$2
	shift 2
	until "$@"; do
		if [ "$(date +%s)" -ge "$wait_end" ]; then
			echo "lab: timed out waiting for $wait_what" >&2
			return 1
		fi
		sleep 0.05
	done
}

# ---- a mount namespace as on a fresh install ----------------------------
# These run inside a private mount namespace ("unshare --mount", whose
# propagation is private by default) and change nothing on the host. They
# let a test see what a machine where connmand and nfconnd never ran
# shows, whatever this one has, and give a daemon a directory of its own
# where the host may have none to mount over.

# the state directories of connman and nfconn: absent in lab_fresh
LAB_FRESH_PATHS="/var/lib/connman /var/lib/nfconn /etc/nfconn /run/connman /run/nfconn"

# refuses unless this shell runs in a mount namespace other than its
# parent's (as "unshare --mount sh -c ..." does) that does not propagate
# mounts: a tmpfs over /etc must never reach the host
lab_private_mountns() {
	own_ns=$(readlink /proc/$$/ns/mnt)
	parent_ns=$(readlink /proc/$PPID/ns/mnt)
	if [ -z "$own_ns" ] || [ -z "$parent_ns" ] || [ "$own_ns" = "$parent_ns" ]; then
		echo "lab: $1: not in a mount namespace of our own (unshare --mount sh -c ...)" >&2
		return 1
	fi
	case $(findmnt -n -o PROPAGATION --target "$1") in
	*shared*)
		echo "lab: $1: its mount propagates to the host (unshare --propagation private)" >&2
		return 1 ;;
	esac
}

# lab_hide DIR NAME...: DIR becomes a tmpfs showing what DIR holds (each
# entry bind-mounted back with what is mounted below it, symlinks copied)
# except NAME...: those are absent whether the host has them or not. What
# is created in DIR itself then stays in this namespace.
lab_hide() {
	hide_dir=$1
	shift
	lab_private_mountns "$hide_dir" || return 1
	case $hide_dir in
	/tmp | /tmp/* | / | "")
		echo "lab: cannot hide entries of $hide_dir (the stage is in /tmp)" >&2
		return 1 ;;
	esac
	hide_stage=$(mktemp -d /tmp/nfconn-hide-XXXXXX) || return 1
	hide_ok=no
	# the original stays reachable through the stage while DIR is covered
	# -n: no record in /run/mount/utab, which would appear in a covered /run
	if mount -n --rbind "$hide_dir" "$hide_stage" &&
		mount -n -t tmpfs -o "mode=$(stat -c %a "$hide_dir"),uid=$(stat -c %u "$hide_dir"),gid=$(stat -c %g "$hide_dir")" \
			lab-hide "$hide_dir"; then
		hide_ok=yes
		for hide_e in "$hide_stage"/* "$hide_stage"/.[!.]* "$hide_stage"/..?*; do
			# a pattern that matched nothing stays as written
			[ -e "$hide_e" ] || [ -L "$hide_e" ] || continue
			hide_name=${hide_e##*/}
			hide_skip=no
			for hide_h in "$@"; do
				[ "$hide_name" = "$hide_h" ] && hide_skip=yes
			done
			[ $hide_skip = yes ] && continue
			hide_to="$hide_dir/$hide_name"
			if [ -L "$hide_e" ]; then
				cp -P "$hide_e" "$hide_to"
			elif [ -d "$hide_e" ]; then
				mkdir "$hide_to" && mount -n --rbind "$hide_e" "$hide_to"
			else
				# files, sockets, fifos, devices: a bind needs a file to cover
				: >"$hide_to" && mount -n --bind "$hide_e" "$hide_to"
			fi || { hide_ok=no; break; }
		done
	fi
	umount -n -R "$hide_stage" 2>/dev/null
	rmdir "$hide_stage"
	[ $hide_ok = yes ] || { echo "lab: cannot hide $* in $hide_dir" >&2; return 1; }
}

# lab_absent PATH...: fails loudly when one of them is visible
lab_absent() {
	for absent_p in "$@"; do
		if [ -e "$absent_p" ] || [ -L "$absent_p" ]; then
			echo "lab: $absent_p is visible, it should be absent here" >&2
			return 1
		fi
	done
}

# lab_fresh: every path of LAB_FRESH_PATHS absent, as on a fresh install
# (one lab_hide per parent directory), and checked
lab_fresh() {
	fresh_done=""
	for fresh_p in $LAB_FRESH_PATHS; do
		fresh_parent=${fresh_p%/*}
		case " $fresh_done " in *" $fresh_parent "*) continue ;; esac
		fresh_names=""
		for fresh_q in $LAB_FRESH_PATHS; do
			[ "${fresh_q%/*}" = "$fresh_parent" ] && fresh_names="$fresh_names ${fresh_q##*/}"
		done
		# shellcheck disable=SC2086
		lab_hide "$fresh_parent" $fresh_names || return 1
		fresh_done="$fresh_done $fresh_parent"
	done
	# shellcheck disable=SC2086
	lab_absent $LAB_FRESH_PATHS
}

# lab_empty_dir PATH...: each PATH an empty directory of this namespace
# only, whether the host has it or not (never a mount over a host path
# that a fresh install may lack)
lab_empty_dir() {
	for empty_p in "$@"; do
		lab_hide "${empty_p%/*}" "${empty_p##*/}" && mkdir "$empty_p" || return 1
	done
}

# lab_in ROLE CMD...: run a command in a lab namespace (nsenter keeps /sys
# and cgroups as they are, unlike "ip netns exec")
lab_in() {
	ns="$LAB_PREFIX-$1"
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# lab_bg ROLE NAME CMD...: start a background process in a namespace
lab_bg() {
	role=$1 name=$2
	shift 2
	nsenter --net="/run/netns/$LAB_PREFIX-$role" "$@" >"$LAB_DIR/$name.log" 2>&1 &
	LAB_PIDS="$! $LAB_PIDS"
	eval "LAB_PID_$name=$!"
}

# lab_bus_policy FILE: nfconnd's bus policy (dbus/nfconn.conf) without its
# <policy group="..."> blocks: a fresh install may lack the group (netdev),
# and dbus-daemon warns about every unknown one. What the lab's clients
# run as (root, or a uid without those groups) gets the same answers.
lab_bus_policy() {
	sed '/<policy group=/,/<\/policy>/d' "$LAB_TOP/dbus/nfconn.conf" >"$1" || return 1
	if grep -q 'group=' "$1"; then
		echo "lab: $1 still names a group: teach lab_bus_policy its syntax" >&2
		return 1
	fi
}

# lab_bus_config FILE SOCKET [EXTRA]: a bus configuration like the system
# bus (default deny, nfconnd's own policy), listening on SOCKET; EXTRA
# (XML) goes in before the end
lab_bus_config() {
	lab_bus_policy "$1.policy" || exit 1
	cat >"$1" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$2</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>$1.policy</include>
${3:-}
</busconfig>
EOC
}

lab_bus() {
	lab_bus_config "$LAB_DIR/bus.conf" "$LAB_DIR/bus"
	dbus-daemon --config-file="$LAB_DIR/bus.conf" --nofork --nopidfile --nosyslog \
		>"$LAB_DIR/dbus.log" 2>&1 &
	LAB_PIDS="$! $LAB_PIDS"
	lab_bus_use "$LAB_DIR/bus" "$LAB_DIR/dbus.log"
}

# lab_bus_use SOCKET [LOG]: once the bus listens there, it is LAB_BUS, and
# every client in this shell talks to it as if it were the system bus
# (connmanctl, nfconnctl, dbus-send --system). LOG, the bus's output, must
# not report a user or group that this machine lacks (the configuration
# was read before the bus listened).
lab_bus_use() {
	LAB_BUS="unix:path=$1"
	for _ in $(seq 100); do
		[ -S "$1" ] && break
		sleep 0.05
	done
	[ -S "$1" ] || { echo "lab: no bus at $1:" >&2; cat "${2:-/dev/null}" >&2; exit 1; }
	if [ -n "${2:-}" ] && grep -q 'Unknown ' "$2"; then
		echo "lab: the bus configuration names what this machine lacks:" >&2
		cat "$2" >&2
		exit 1
	fi
	export DBUS_SYSTEM_BUS_ADDRESS="$LAB_BUS"
}

# lab_nfconnd ROLE [ARGS...]: start nfconnd in a namespace, wait for its name
lab_nfconnd() {
	role=$1
	shift
	lab_bg "$role" nfconnd "$LAB_BUILD/nfconnd" -n --bus="$LAB_BUS" \
		--state-dir="$LAB_DIR/state" --run-dir="$LAB_DIR/run" "$@"
	for _ in $(seq 200); do
		if dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
			org.freedesktop.DBus.NameHasOwner string:net.connman 2>/dev/null | grep -q true; then
			return 0
		fi
		sleep 0.05
	done
	echo "nfconnd did not start:" >&2
	cat "$LAB_DIR/nfconnd.log" >&2
	exit 1
}

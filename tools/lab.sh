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

# lab_bus_config FILE SOCKET [EXTRA]: a bus configuration like the system
# bus (default deny, nfconnd's own policy file), listening on SOCKET;
# EXTRA (XML) goes in before the end
lab_bus_config() {
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
  <include>$LAB_TOP/dbus/nfconn.conf</include>
${3:-}
</busconfig>
EOC
}

lab_bus() {
	lab_bus_config "$LAB_DIR/bus.conf" "$LAB_DIR/bus"
	dbus-daemon --config-file="$LAB_DIR/bus.conf" --nofork --nopidfile --nosyslog \
		>"$LAB_DIR/dbus.log" 2>&1 &
	LAB_PIDS="$! $LAB_PIDS"
	lab_bus_use "$LAB_DIR/bus"
}

# lab_bus_use SOCKET: once the bus listens there, it is LAB_BUS, and every
# client in this shell talks to it as if it were the system bus
# (connmanctl, nfconnctl, dbus-send --system)
lab_bus_use() {
	LAB_BUS="unix:path=$1"
	for _ in $(seq 100); do
		[ -S "$1" ] && break
		sleep 0.05
	done
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

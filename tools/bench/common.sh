# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the benchmarks: the shell lab of tools/lab.sh (unique
# namespaces, recorded processes, cleanup on exit and Ctrl-C) plus a bus
# with raised limits, router namespaces with dnsmasq, connmand in a lab
# namespace, the client program and table printing. Source it after
# setting BENCH_NAME; needs root and a built tree (meson setup build &&
# ninja -C build).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TOP=$(cd "$BENCH_DIR/../.." && pwd)
LAB_BUILD=${NFCONN_BUILD:-$LAB_TOP/build}

. "$LAB_TOP/tools/lab.sh"
# short and unique: namespaces are "<prefix>-<role>"
LAB_PREFIX="nfcb${BENCH_NAME:-x}$$"

bench_init() {
	[ -x "$LAB_BUILD/nfconnd" ] || {
		echo "no $LAB_BUILD/nfconnd: run 'meson setup build && ninja -C build' first" >&2
		exit 1
	}
	lab_init
	# lab.sh's trap runs lab_cleanup on EXIT; Ctrl-C exits through it
	BENCH_T0=$(date +%s)
}

# Milliseconds since the epoch, with fractions (for logs only)
bench_now() { date +%s.%N; }

bench_build_client() {
	cc -O2 -Wall -o "$LAB_DIR/bench-client" "$BENCH_DIR/bench-client.c" || exit 1
	chmod 755 "$LAB_DIR/bench-client"
	BENCH_CLIENT="$LAB_DIR/bench-client"
}

# bench_bus [NAME]: a private system bus like lab_bus, with limits raised
# for tens of thousands of connections and calls in flight.
bench_bus() {
	bus="$LAB_DIR/bus${1:+-$1}"
	lab_bus_config "$bus.conf" "$bus" '  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">33554432</limit>
  <limit name="max_completed_connections">200000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">200000</limit>
  <limit name="max_replies_per_connection">200000</limit>
  <limit name="max_match_rules_per_connection">200000</limit>
  <limit name="max_names_per_connection">1000</limit>
  <limit name="reply_timeout">300000</limit>'
	# one descriptor per connection: as many as the hard limit allows.
	# dbus-daemon refuses uids without a passwd entry: with
	# BENCH_BUS_PASSWD set it sees that file as /etc/passwd (a bind mount
	# in a mount namespace of its own; the host's file is untouched)
	if [ -n "${BENCH_BUS_PASSWD:-}" ]; then
		(ulimit -n "$(ulimit -Hn)"; exec unshare --mount sh -c \
			"mount --bind $BENCH_BUS_PASSWD /etc/passwd && exec dbus-daemon \
			 --config-file=$bus.conf --nofork --nopidfile --nosyslog") >"$bus.log" 2>&1 &
	else
		(ulimit -n "$(ulimit -Hn)"; exec dbus-daemon --config-file="$bus.conf" --nofork \
			--nopidfile --nosyslog) >"$bus.log" 2>&1 &
	fi
	LAB_PIDS="$! $LAB_PIDS"
	BENCH_PID_bus=$!
	lab_bus_use "$bus" "$bus.log"
}

bench_name_owned() {
	dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:net.connman 2>/dev/null | grep -q true
}

# bench_veth HOSTROLE IF ROUTERROLE RIF: a veth between two namespaces
bench_veth() {
	ip -n "$(lab_ns "$1")" link add "$2" type veth peer name "$4" netns "$(lab_ns "$3")" || exit 1
}

# bench_router ROLE RIF ADDR/LEN POOL GW: the router end up with an address,
# dnsmasq serving POOL ("first,last,mask,lease") with router GW, and the
# "server" 203.0.113.10/32 on lo
bench_router() {
	role=$1 rif=$2 addr=$3 pool=$4 gw=$5
	ip -n "$(lab_ns "$role")" addr add "$addr" dev "$rif"
	ip -n "$(lab_ns "$role")" addr add 203.0.113.10/32 dev lo
	ip -n "$(lab_ns "$role")" link set "$rif" up
	lab_bg "$role" "dnsmasq_$role" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
		--bind-interfaces --except-interface=lo --log-facility=- --conf-file=/dev/null \
		--user=root --interface="$rif" --dhcp-range="$pool" \
		--dhcp-option=option:router,"$gw" --dhcp-leasefile="$LAB_DIR/$role.leases" \
		--pid-file="$LAB_DIR/$role.pid"
}

# bench_nfconnd ROLE CONF: nfconnd with a main.conf, waits for its name
bench_nfconnd() {
	lab_nfconnd "$1" --config="$2"
	BENCH_PID_daemon=$LAB_PID_nfconnd
}

# bench_connmand ROLE CONF IFACES: Debian's connmand in a lab namespace,
# with empty state and run directories and resolv.conf of its own (the
# host may have none of them: lab_empty_dir, lab_hide) and a sysfs of its
# namespace (it looks links up there; the root namespace's /sys would not
# show them), all in a mount namespace of its own, on the lab bus only
bench_connmand() {
	role=$1 conf=$2 ifaces=$3
	lab_bg "$role" connmand unshare --mount --uts sh -c \
		". '$LAB_TOP/tools/lab.sh' && lab_empty_dir /var/lib/connman /run/connman && \
		 mount -t sysfs none /sys && \
		 lab_hide /etc resolv.conf && : >/etc/resolv.conf && \
		 exec env DBUS_SYSTEM_BUS_ADDRESS=$LAB_BUS connmand -n -r -c $conf -i $ifaces -p ethernet"
	BENCH_PID_daemon=$LAB_PID_connmand
	for _ in $(seq 200); do
		bench_name_owned && return 0
		sleep 0.05
	done
	echo "connmand did not start:" >&2
	cat "$LAB_DIR/connmand.log" >&2
	return 1
}

# bench_stop PID [SECONDS]: SIGTERM, wait up to SECONDS (5), then SIGKILL
# (only our own). BENCH_STOPPED says how long it took: "N.N s", or
# "killed after N s".
bench_stop() {
	pid=$1
	t0=$(date +%s.%N)
	kill "$pid" 2>/dev/null
	for _ in $(seq $((${2:-5} * 10))); do
		if ! kill -0 "$pid" 2>/dev/null; then
			BENCH_STOPPED="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
			return 0
		fi
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	BENCH_STOPPED="killed after ${2:-5} s"
}

bench_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# the service states, one "id state" a line (connmanctl works against
# both daemons on the lab bus)
bench_states() {
	dbus-send --system --print-reply --dest=net.connman / net.connman.Manager.GetServices \
		2>/dev/null | awk '
		/object path "\/net\/connman\/service\// { split($3, p, "/"); id = p[5]; gsub(/"/, "", id) }
		/string "State"/ { getline; gsub(/"/, "", $3); print id, $3 }'
}

# bench_wait_states N REGEX SECONDS: until N services match
bench_wait_states() {
	n=$1 re=$2 secs=$3
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -le "$end" ]; do
		[ "$(bench_states | grep -cE " ($re)\$")" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "timeout: wanted $n services in state $re, have:" >&2
	bench_states >&2
	return 1
}

bench_elapsed() { echo $(($(date +%s) - BENCH_T0)); }

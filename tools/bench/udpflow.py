#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The failover benchmark's traffic: a paced UDP flow with timestamps.

  udpflow.py echo ADDR PORT
      an echo server (runs in each router namespace)
  udpflow.py flow ADDR PORT RATE MAX_SECONDS [--links-in NETNS] IFNAME...
      sends RATE packets/s (64 bytes, sequence number inside) from an
      unconnected socket, so every packet takes the current default route,
      and records each echo. It watches the kernel's link events for the
      given interfaces on rtnetlink (in the network namespace NETNS, a
      path such as /run/netns/NAME, when the uplinks are another
      namespace's, as a tethered client's are): the moment an uplink loses carrier is
      the start of an outage. Stops at MAX_SECONDS or on SIGTERM and prints,
      per carrier loss, how long until the first echo of a packet sent after
      it and after the last packet lost around it (echoes flow again), and
      how many packets around it got no echo; then the medians. With
      UDPFLOW_CUTS=FILE (the cuts' CLOCK_MONOTONIC times, one a line) a
      return's window ends at the next cut, not at the kernel's notice of it.
"""
import ctypes
import json
import os
import select
import signal
import socket
import statistics
import struct
import sys
import time

RTMGRP_LINK = 1
RTM_NEWLINK = 16
IFF_LOWER_UP = 0x10000


def echo(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(2048)
        try:
            s.sendto(data, peer)
        except OSError:
            # the router's own link is down (a cut): this echo is lost,
            # the server must live on for the uplink's return
            pass


def link_events(nl, watched, state, events, now):
    data = nl.recv(65536)
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        if kind == RTM_NEWLINK and off + 32 <= len(data):
            _fam, _type, index, flags, _change = struct.unpack_from("=BxHiII", data, off + 16)
            if index in watched:
                up = bool(flags & IFF_LOWER_UP)
                if state.get(index) is not None and state[index] != up:
                    events.append((now, watched[index], "up" if up else "down"))
                state[index] = up
        off += (length + 3) & ~3


def in_netns(path, fn):
    """fn() run in the network namespace at path, then back: a socket made
    there stays there"""
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet = 0x40000000
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    other = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(other, clone_newnet):
            raise OSError(ctypes.get_errno(), "setns " + path)
        try:
            return fn()
        finally:
            if libc.setns(own, clone_newnet):
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(own)
        os.close(other)


def watch_links(ifnames):
    watched = {socket.if_nametoindex(n): n for n in ifnames}
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    nl.bind((0, RTMGRP_LINK))
    return watched, nl


def flow(addr, port, rate, max_seconds, ifnames, links_in=None):
    if links_in:
        watched, nl = in_netns(links_in, lambda: watch_links(ifnames))
    else:
        watched, nl = watch_links(ifnames)
    # both uplinks have carrier when the flow starts (the caller waits for
    # that); /sys is the root namespace's under nsenter, so no peeking there
    state = {i: True for i in watched}
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setblocking(False)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    sent, echoed, events, send_errors = [], {}, [], 0
    interval = 1.0 / rate
    t0 = time.monotonic()
    next_send = t0
    pad = b"\0" * 52
    while not stop and time.monotonic() - t0 < max_seconds:
        now = time.monotonic()
        if now >= next_send:
            seq = len(sent)
            sent.append(now)
            try:
                udp.sendto(struct.pack("!Id", seq, now) + pad, (addr, port))
            except OSError:
                send_errors += 1   # no route at all: lost as well
            next_send += interval
            if next_send < now - 0.1:   # we were descheduled: do not burst
                next_send = now + interval
            continue
        try:
            r, _, _ = select.select([udp, nl], [], [], max(0.0, next_send - now))
        except InterruptedError:
            continue
        now = time.monotonic()
        if nl in r:
            link_events(nl, watched, state, events, now)
        if udp in r:
            while True:
                try:
                    data = udp.recv(2048)
                except BlockingIOError:
                    break
                seq = struct.unpack_from("!I", data)[0]
                echoed.setdefault(seq, now)
    # late echoes
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        r, _, _ = select.select([udp], [], [], 0.05)
        if r:
            data = udp.recv(2048)
            echoed.setdefault(struct.unpack_from("!I", data)[0], time.monotonic())

    # the cuts' times (CLOCK_MONOTONIC, one a line), if the caller keeps
    # them: the kernel notices a cut up to a second later, and what is lost
    # in between belongs to that cut, not to the return before it
    cuts = []
    if os.environ.get("UDPFLOW_CUTS"):
        try:
            with open(os.environ["UDPFLOW_CUTS"]) as f:
                cuts = sorted(float(line) for line in f if line.strip())
        except (OSError, ValueError):
            cuts = []
    results = []
    for k, (t, ifname, kind) in enumerate(events):
        nxt = events[k + 1][0] if k + 1 < len(events) else sent[-1] + 1
        if kind == "up":
            nxt = min([nxt] + [c + 0.05 for c in cuts if c > t])
        # the loss window: from 0.2 s before the event to the next event
        window = [s for s, ts in enumerate(sent) if t - 0.2 <= ts < nxt - 0.05]
        lost_seqs = [s for s in window if s not in echoed]
        # echoes flow again once a packet sent after the event, and after
        # the last lost one, comes back
        after = max([s for s in lost_seqs if sent[s] >= t] or [-1])
        first = next((echoed[s] for s in window if sent[s] >= t and s > after and s in echoed),
                     None)
        lost = len(lost_seqs)
        # mono: the event on CLOCK_MONOTONIC, to set beside the cut's own
        # time; lost_after: lost ones sent once the kernel had noticed
        results.append({"event": kind, "ifname": ifname, "at": round(t - t0, 3),
                        "mono": round(t, 4),
                        "outage_ms": None if first is None else round((first - t) * 1e3, 2),
                        "lost": lost, "lost_after": sum(1 for s in lost_seqs if sent[s] >= t)})
    for r in results:
        print(json.dumps(r))
    downs = [r for r in results if r["event"] == "down"]
    ups = [r for r in results if r["event"] == "up"]
    summary = {
        "summary": True, "sent": len(sent), "echoed": len(echoed), "send_errors": send_errors,
        "cuts": len(downs),
        "unrecovered": sum(1 for r in downs if r["outage_ms"] is None),
        "outage_ms_median": statistics.median([r["outage_ms"] for r in downs
                                               if r["outage_ms"] is not None] or [0]),
        "outage_ms_max": max([r["outage_ms"] for r in downs if r["outage_ms"] is not None] or [0]),
        "lost_median": statistics.median([r["lost"] for r in downs] or [0]),
        "lost_max": max([r["lost"] for r in downs] or [0]),
        "restore_lost_median": statistics.median([r["lost"] for r in ups] or [0]),
        "lost_after_median": statistics.median([r["lost_after"] for r in downs] or [0]),
        "lost_after_max": max([r["lost_after"] for r in downs] or [0]),
        "restore_unrecovered": sum(1 for r in ups if r["outage_ms"] is None),
    }
    print(json.dumps(summary))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "echo":
        echo(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 9 and sys.argv[1] == "flow" and sys.argv[6] == "--links-in":
        flow(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[8:],
             links_in=sys.argv[7])
    elif len(sys.argv) >= 7 and sys.argv[1] == "flow":
        flow(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

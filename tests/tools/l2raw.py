#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""l2raw - hand-built ARP and ND frames on an interface (standard library only).

  l2raw.py arp IFACE --op request|reply --spa IP --tpa IP [--sha MAC] [--tha MAC]
                     [--src MAC] [--dst MAC]          one ARP frame (GARP, probe, forgery)
  l2raw.py resolve IFACE --spa IP [--dst MAC] [--timeout S] [--ready F --go F]
                     [--serve [--done F --stop F]] IP[=MAC]...
                     one ARP request per IP (broadcast, or to --dst), wait for the
                     reply; prints "IP MAC" or "IP none"; exit 1 if any is missing
                     or differs from the expected MAC; --ready/--go: create file F
                     once the socket is open, then wait for the go file to exist;
                     --serve: answer ARP requests for --spa meanwhile (for a tap
                     with "arp off"), and after the last target create the done
                     file and go on answering until the stop file exists
  l2raw.py na IFACE --src IP6 --target IP6 [--dst IP6] [--mac MAC] [--flags ROS]
                     an unsolicited NA (to ff02::1 by default) with a target
                     link-layer option
  l2raw.py ns IFACE --src IP6 --target IP6 [--slla MAC]
                     an NS to the target's solicited-node address (src :: = DAD,
                     which never carries a source link-layer option)
MACs default to the interface's own.
"""
import argparse, ipaddress, os, select, socket, struct, sys, time

from inet import csum

ETH_P_ARP, ETH_P_IPV6 = 0x0806, 0x86DD
BCAST = b"\xff" * 6


def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    assert len(b) == 6, s
    return b


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def if_mac(ifname):
    with open("/sys/class/net/%s/address" % ifname) as f:
        return mac(f.read().strip())


def sock(ifname, proto):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    s.bind((ifname, proto))
    return s


def pad(frame):
    return frame + bytes(max(0, 60 - len(frame)))


def arp_frame(op, sha, spa, tha, tpa, src, dst):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha,
                       socket.inet_aton(spa), tha, socket.inet_aton(tpa))
    return pad(dst + src + struct.pack("!H", ETH_P_ARP) + body)


def ip6_frame(src_mac, dst_mac, src, dst, icmp):
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    pseudo = s + d + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 255) + s + d
    return pad(dst_mac + src_mac + struct.pack("!H", ETH_P_IPV6) + ip6 + icmp)


def mcast_mac(a6):
    return b"\x33\x33" + ipaddress.IPv6Address(a6).packed[12:]


def solicited_node(a6):
    return str(ipaddress.IPv6Address(b"\xff\x02" + bytes(9) + b"\x01\xff"
                                     + ipaddress.IPv6Address(a6).packed[13:]))


def cmd_arp(a):
    own = if_mac(a.iface)
    sha = mac(a.sha) if a.sha else own
    src = mac(a.src) if a.src else own
    dst = mac(a.dst) if a.dst else BCAST
    tha = mac(a.tha) if a.tha else bytes(6)
    op = {"request": 1, "reply": 2}[a.op]
    s = sock(a.iface, ETH_P_ARP)
    for _ in range(a.count):
        s.send(arp_frame(op, sha, a.spa, tha, a.tpa, src, dst))
    return 0


def cmd_resolve(a):
    own = if_mac(a.iface)
    dst = mac(a.dst) if a.dst else BCAST
    spa = socket.inet_aton(a.spa)
    s = sock(a.iface, ETH_P_ARP)
    if a.ready:
        open(a.ready, "w").close()
        while not os.path.exists(a.go):
            time.sleep(0.005)

    def poll(until, tpa):
        """Read ARP until the deadline; answer requests for our own address
        with --serve; return the MAC that answered for tpa (None: no reply)."""
        while True:
            left = until - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                return None
            f, addr = s.recvfrom(2048)
            if addr[2] == socket.PACKET_OUTGOING or len(f) < 42:
                continue
            op, sha, spa_, tha, tpa_ = struct.unpack("!H6s4s6s4s", f[20:42])
            if op == 2 and tpa is not None and spa_ == tpa:
                return mac_str(sha)
            if op == 1 and a.serve and tpa_ == spa and spa_ != bytes(4):
                s.send(arp_frame(2, own, a.spa, sha, socket.inet_ntoa(spa_), own, sha))

    bad = 0
    for t in a.targets:
        ip, _, want = t.partition("=")
        s.send(arp_frame(1, own, a.spa, bytes(6), ip, own, dst))
        got = poll(time.monotonic() + a.timeout, socket.inet_aton(ip))
        print(ip, got or "none", flush=True)
        if got is None or (want and got != want.lower()):
            bad += 1
    if a.serve:
        if a.done:
            open(a.done, "w").close()
        while not (a.stop and os.path.exists(a.stop)):
            poll(time.monotonic() + 0.05, None)
    return 1 if bad else 0


def cmd_na(a):
    m = mac(a.mac) if a.mac else if_mac(a.iface)
    flags = (0x80 if "R" in a.flags else 0) | (0x40 if "S" in a.flags else 0) | \
            (0x20 if "O" in a.flags else 0)
    icmp = struct.pack("!BBHB3x", 136, 0, 0, flags) + \
        ipaddress.IPv6Address(a.target).packed + struct.pack("!BB6s", 2, 1, m)
    dst_mac = mac(a.eth_dst) if a.eth_dst else mcast_mac(a.dst)
    src_mac = mac(a.eth_src) if a.eth_src else if_mac(a.iface)
    sock(a.iface, ETH_P_IPV6).send(ip6_frame(src_mac, dst_mac, a.src, a.dst, icmp))
    return 0


def cmd_ns(a):
    own = if_mac(a.iface)
    icmp = struct.pack("!BBH4x", 135, 0, 0) + ipaddress.IPv6Address(a.target).packed
    if not ipaddress.IPv6Address(a.src).is_unspecified:
        icmp += struct.pack("!BB6s", 1, 1, mac(a.slla) if a.slla else own)
    dst = solicited_node(a.target)
    sock(a.iface, ETH_P_IPV6).send(ip6_frame(own, mcast_mac(dst), a.src, dst, icmp))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("arp")
    q.add_argument("iface")
    q.add_argument("--op", choices=("request", "reply"), default="request")
    q.add_argument("--spa", required=True)
    q.add_argument("--tpa", required=True)
    q.add_argument("--sha")
    q.add_argument("--tha")
    q.add_argument("--src")
    q.add_argument("--dst")
    q.add_argument("--count", type=int, default=1)
    q = sub.add_parser("resolve")
    q.add_argument("iface")
    q.add_argument("--spa", required=True)
    q.add_argument("--dst")
    q.add_argument("--timeout", type=float, default=1.0)
    q.add_argument("--ready")
    q.add_argument("--go")
    q.add_argument("--serve", action="store_true")
    q.add_argument("--done")
    q.add_argument("--stop")
    q.add_argument("targets", nargs="+")
    q = sub.add_parser("na")
    q.add_argument("iface")
    q.add_argument("--src", required=True)
    q.add_argument("--dst", default="ff02::1")
    q.add_argument("--target", required=True)
    q.add_argument("--mac")
    q.add_argument("--flags", default="O")
    q.add_argument("--eth-src")
    q.add_argument("--eth-dst")
    q = sub.add_parser("ns")
    q.add_argument("iface")
    q.add_argument("--src", required=True)
    q.add_argument("--target", required=True)
    q.add_argument("--slla")
    a = p.parse_args()
    return {"arp": cmd_arp, "resolve": cmd_resolve, "na": cmd_na, "ns": cmd_ns}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vxtrain.py - one UDP GSO train of hand-made VXLAN datagrams, and a sniffer
that reports which of them came out of a tap. Standard library only.

    vxtrain.py send --dst IP [--vni N] [--size S] SPEC...
        one sendmsg with UDP_SEGMENT: every SPEC is one VXLAN datagram of
        exactly 8 + S bytes (inner frames padded to S), so the receiver's
        UDP GRO socket gets them as one train. SPEC is
            TAG:KIND:DSTMAC:SRCMAC[:VNI]
        KIND "tcp" (IPv4 TCP segment, valid checksums, source port and
        sequence number from TAG), "udp" (IPv4 UDP), "tcp6" (IPv6 TCP),
        "arp" (ARP request) or "na" (IPv6 neighbour advertisement for
        fd00::50 with SRCMAC as its link-layer address, to DSTMAC); every
        frame carries MAGIC and its TAG after the headers.
    vxtrain.py sniff --ifname IF --out FILE [--seconds T]
        AF_PACKET on IF: prints "ready", then for T seconds collects the
        incoming frames that carry MAGIC and writes their TAGs, sorted and
        space-separated, to FILE (through FILE.tmp and a rename).

The sniffer ignores what the namespace itself sends (a TCP reset to one of
the segments, its own ARP), so its list is exactly what the VTEP wrote.
"""

import argparse
import os
import socket
import struct
import sys
import time

from inet import csum

MAGIC = b"VXTRAIN:"
UDP_SEGMENT = 103
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC address: %s" % text)
    return bytes(int(p, 16) for p in parts)


IP4_SRC, IP4_DST = bytes([192, 168, 100, 250]), bytes([192, 168, 100, 251])
IP6_SRC = socket.inet_pton(socket.AF_INET6, "fd00::50")
IP6_DST = socket.inet_pton(socket.AF_INET6, "fd00::51")


def padded_body(tag, size, headers):
    """MAGIC, TAG and zeros: what fills a frame of SIZE after HEADERS bytes."""
    body = MAGIC + tag.encode() + b";"
    room = size - headers
    if room < len(body):
        raise ValueError("--size too small for %s" % tag)
    return body + bytes(room - len(body))


def l4(tag, proto, pseudo_addrs, payload):
    """A TCP or UDP header for PAYLOAD, checksummed over the pseudo-header
    (PSEUDO_ADDRS: source and destination address, IPv4 or IPv6)."""
    sport = 20000 + (sum(tag.encode()) % 20000)
    if proto == 6:
        seq = 1000003 * (sum(tag.encode()) + 1) & 0xFFFFFFFF
        hdr = struct.pack("!HHIIBBHHH", sport, 9, seq, 0, 5 << 4, 0x18, 65535, 0, 0)
        at = 16
    else:
        hdr = struct.pack("!HHHH", sport, 9, 8 + len(payload), 0)
        at = 6
    length = len(hdr) + len(payload)
    if len(pseudo_addrs) == 8:
        pseudo = pseudo_addrs + struct.pack("!BBH", 0, proto, length)
    else:
        pseudo = pseudo_addrs + struct.pack("!I3xB", length, proto)
    return hdr[:at] + struct.pack("!H", csum(pseudo + hdr + payload)) + hdr[at + 2:]


def ip4_frame(tag, dst, src, size, proto):
    hl = 20 if proto == 6 else 8
    payload = padded_body(tag, size, 14 + 20 + hl)
    seg = l4(tag, proto, IP4_SRC + IP4_DST, payload) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0, 64, proto, 0,
                     IP4_SRC, IP4_DST)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst + src + b"\x08\x00" + ip + seg


def tcp_frame(tag, dst, src, size):
    return ip4_frame(tag, dst, src, size, 6)


def udp_frame(tag, dst, src, size):
    return ip4_frame(tag, dst, src, size, 17)


def ip6_frame(dst, src, next_header, hop_limit, ip_src, ip_dst, l4_bytes):
    ip6 = struct.pack("!IHBB", 6 << 28, len(l4_bytes), next_header, hop_limit) + ip_src + ip_dst
    return dst + src + b"\x86\xdd" + ip6 + l4_bytes


def tcp6_frame(tag, dst, src, size):
    payload = padded_body(tag, size, 14 + 40 + 20)
    seg = l4(tag, 6, IP6_SRC + IP6_DST, payload) + payload
    return ip6_frame(dst, src, 6, 64, IP6_SRC, IP6_DST, seg)


def na_frame(tag, dst, src, size):
    """Solicited, override NA for fd00::50 (RFC 4861 4.4) with a target
    link-layer option of SRC; MAGIC and TAG ride in padding after it."""
    msg = struct.pack("!BBHB3x", 136, 0, 0, 0x60) + IP6_SRC + struct.pack("!BB", 2, 1) + src
    msg = msg[:2] + struct.pack("!H", csum(IP6_SRC + IP6_DST + struct.pack("!I3xB", len(msg), 58)
                                           + msg)) + msg[4:]
    frame = ip6_frame(dst, src, 58, 255, IP6_SRC, IP6_DST, msg)
    return frame + padded_body(tag, size, len(frame))


def arp_frame(tag, dst, src, size):
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, src, IP4_SRC, bytes(6), IP4_DST)
    frame = dst + src + b"\x08\x06" + arp
    return frame + padded_body(tag, size, len(frame))


def send(args):
    datagrams = []
    for spec in args.spec:
        parts = spec.split(":")
        if len(parts) not in (14, 15):
            sys.exit("vxtrain.py: bad SPEC %s (TAG:KIND:DSTMAC:SRCMAC[:VNI])" % spec)
        tag, kind = parts[0], parts[1]
        dst, src = mac_bytes(":".join(parts[2:8])), mac_bytes(":".join(parts[8:14]))
        vni = int(parts[14]) if len(parts) == 15 else args.vni
        build = {"tcp": tcp_frame, "udp": udp_frame, "tcp6": tcp6_frame, "arp": arp_frame,
                 "na": na_frame}.get(kind)
        if not build:
            sys.exit("vxtrain.py: unknown KIND %s" % kind)
        vxlan = struct.pack("!II", 0x08000000, vni << 8)
        datagrams.append(vxlan + build(tag, dst, src, args.size))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    seg = 8 + args.size
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, seg)
    s.sendto(b"".join(datagrams), (args.dst, args.port))
    print(len(datagrams))


def sniff(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((args.ifname, 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    tags = []
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        try:
            frame, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        i = frame.find(MAGIC)
        if i < 0:
            continue
        j = frame.find(b";", i)
        tags.append(frame[i + len(MAGIC):j].decode())
    with open(args.out + ".tmp", "w") as f:
        f.write(" ".join(sorted(tags)) + "\n")
    os.rename(args.out + ".tmp", args.out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("send")
    a.add_argument("--dst", required=True)
    a.add_argument("--port", type=int, default=4789)
    a.add_argument("--vni", type=int, default=100)
    a.add_argument("--size", type=int, default=128)
    a.add_argument("spec", nargs="+")
    b = sub.add_parser("sniff")
    b.add_argument("--ifname", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--seconds", type=float, default=3.0)
    args = p.parse_args()
    if args.cmd == "send":
        send(args)
    else:
        sniff(args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vxsend.py - send hand-made VXLAN datagrams (good or deliberately broken).

Builds the 8-byte VXLAN header (RFC 7348 section 5) and an inner Ethernet
frame byte by byte and sends them over an ordinary UDP socket, so the outer
IP/UDP headers are the kernel's. Standard library only.

    VXLAN header:  flags(8) reserved(24) | VNI(24) reserved(8)
                   flags 0x08 = I (VNI valid); every other bit is reserved

Examples (from inside a test namespace):
    vxsend.py --dst 10.0.0.1 --vni 100                      a valid frame
    vxsend.py --dst 10.0.0.1 --length 4 --count 5           truncated header
    vxsend.py --dst 10.0.0.1 --flags 0x00                   I flag clear
    vxsend.py --dst 10.0.0.1 --rsvd1 0x000001 --rsvd2 0x01  reserved bits set
    vxsend.py --dst 10.0.0.1 --src 10.0.0.200 --vni 100     from another address
    vxsend.py --dst 10.0.0.1 --inner-src 02:66:66:66:66:66 \
        --arp reply,02:66:66:66:66:66,192.168.100.2,ff:ff:ff:ff:ff:ff,192.168.100.2
                                                            a (forged) ARP reply
    vxsend.py --dst 10.0.0.1 --inner-src 02:66:66:66:66:66 \
        --na fd00::2,02:66:66:66:66:66                      an unsolicited NA (O=1)
    vxsend.py --dst 10.0.0.1 --ipv4 192.168.100.9,192.168.100.1,0x00
                                                            an IPv4 packet, not ECN-capable
"""

import argparse
import socket
import struct
import sys
import time

import inet


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError("bad MAC address: %s" % text)
    return bytes(int(p, 16) for p in parts)


def int_any(text):
    return int(text, 0)


def vxlan_header(flags, rsvd1, vni, rsvd2):
    if not 0 <= vni < 1 << 24:
        raise ValueError("VNI out of range: %d" % vni)
    return struct.pack("!B3sI", flags & 0xFF, (rsvd1 & 0xFFFFFF).to_bytes(3, "big"),
                       (vni << 8) | (rsvd2 & 0xFF))


def inner_frame(dst, src, ethertype, payload_len):
    body = bytes((i & 0xFF) for i in range(payload_len))
    frame = dst + src + struct.pack("!H", ethertype) + body
    return frame + bytes(max(0, 60 - len(frame)))      # pad to the Ethernet minimum


def arp_frame(dst, src, spec):
    """OP,SHA,SPA,THA,TPA, OP request|reply (RFC 826)."""
    op, sha, spa, tha, tpa = spec.split(",")
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, {"request": 1, "reply": 2}[op])
    body += mac_bytes(sha) + socket.inet_aton(spa) + mac_bytes(tha) + socket.inet_aton(tpa)
    frame = dst + src + struct.pack("!H", 0x0806) + body
    return frame + bytes(max(0, 60 - len(frame)))


def icmp6_csum(src, dst, msg):
    return inet.csum(src + dst + struct.pack("!IxxxB", len(msg), 58) + msg)


def na_frame(src_mac, spec):
    """TARGET,TLLA[,FLAGS]: an unsolicited NA from TARGET to all-nodes with a
    target link-layer option (RFC 4861 4.4); FLAGS a combination of R S O [O]."""
    parts = spec.split(",")
    target = socket.inet_pton(socket.AF_INET6, parts[0])
    tlla = mac_bytes(parts[1])
    flags = parts[2] if len(parts) > 2 else "O"
    bits = (0x80 if "R" in flags else 0) | (0x40 if "S" in flags else 0) | \
        (0x20 if "O" in flags else 0)
    dst_ip = socket.inet_pton(socket.AF_INET6, "ff02::1")
    msg = struct.pack("!BBHB3x", 136, 0, 0, bits) + target + struct.pack("!BB", 2, 1) + tlla
    csum = icmp6_csum(target, dst_ip, msg)
    msg = msg[:2] + struct.pack("!H", csum) + msg[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(msg), 58, 255) + target + dst_ip
    return bytes.fromhex("333300000001") + src_mac + struct.pack("!H", 0x86DD) + ip6 + msg


def ipv4_frame(dst, src, spec):
    """SRC,DST,TOS: an IPv4 packet of protocol 253 (RFC 3692 experiments)
    with 8 bytes of payload and a correct header checksum."""
    a, b, tos = spec.split(",")
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, int(tos, 0) & 0xFF, 28, 0, 0, 64, 253, 0,
                      socket.inet_aton(a), socket.inet_aton(b))
    hdr = hdr[:10] + struct.pack("!H", inet.csum(hdr)) + hdr[12:]
    frame = dst + src + struct.pack("!H", 0x0800) + hdr + bytes(8)
    return frame + bytes(max(0, 60 - len(frame)))


def build(args):
    pkt = vxlan_header(args.flags, args.rsvd1, args.vni, args.rsvd2)
    if args.arp:
        pkt += arp_frame(args.inner_dst, args.inner_src, args.arp)
    elif args.na:
        pkt += na_frame(args.inner_src, args.na)
    elif args.ipv4:
        pkt += ipv4_frame(args.inner_dst, args.inner_src, args.ipv4)
    else:
        pkt += inner_frame(args.inner_dst, args.inner_src, args.ethertype, args.payload_len)
    if args.length is not None:
        pkt = pkt[:args.length]
    return pkt


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dst", required=True, help="VTEP address to send to")
    p.add_argument("--port", type=int, default=4789, help="UDP destination port [4789]")
    p.add_argument("--src", default="", help="source address to bind [kernel's choice]")
    p.add_argument("--sport", type=int, default=0, help="UDP source port [ephemeral]")
    p.add_argument("--vni", type=int_any, default=100, help="VNI [100]")
    p.add_argument("--flags", type=int_any, default=0x08, help="flags byte [0x08]")
    p.add_argument("--rsvd1", type=int_any, default=0, help="24 reserved bits after the flags [0]")
    p.add_argument("--rsvd2", type=int_any, default=0, help="8 reserved bits after the VNI [0]")
    p.add_argument("--inner-dst", type=mac_bytes, default=mac_bytes("ff:ff:ff:ff:ff:ff"))
    p.add_argument("--inner-src", type=mac_bytes, default=mac_bytes("02:00:00:00:00:01"))
    p.add_argument("--ethertype", type=int_any, default=0x88B5,
                   help="inner EtherType [0x88b5, local experimental]")
    p.add_argument("--payload-len", type=int, default=46, help="inner payload bytes [46]")
    p.add_argument("--arp", default=None,
                   help="inner frame is ARP: OP,SHA,SPA,THA,TPA (OP request|reply)")
    p.add_argument("--na", default=None,
                   help="inner frame is an IPv6 NA: TARGET,TLLA[,FLAGS of RSO, default O]")
    p.add_argument("--ipv4", default=None,
                   help="SRC,DST,TOS: an inner IPv4 packet (protocol 253) with that TOS byte")
    p.add_argument("--length", type=int, default=None,
                   help="truncate the UDP payload to this many bytes")
    p.add_argument("--count", type=int, default=1, help="datagrams to send [1]")
    p.add_argument("--interval", type=float, default=0.0, help="seconds between datagrams [0]")
    p.add_argument("--hex", action="store_true", help="print the payload in hex")
    args = p.parse_args()

    pkt = build(args)
    if args.hex:
        print(pkt.hex())
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.src or args.sport:
        s.bind((args.src, args.sport))
    for i in range(args.count):
        s.sendto(pkt, (args.dst, args.port))
        if args.interval and i + 1 < args.count:
            time.sleep(args.interval)
    s.close()
    print("sent %d datagram(s) of %d bytes to %s:%d" % (args.count, len(pkt), args.dst, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())

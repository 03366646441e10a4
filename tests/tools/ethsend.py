#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ethsend.py - send raw Ethernet frames out of an interface (AF_PACKET).

Run inside a VM namespace to play a misbehaving guest: a broadcast storm,
a forged ARP reply or gratuitous ARP. Standard library only; needs root.

    ethsend.py --dev tapA1 --rate 5000 --duration 4          broadcast storm
    ethsend.py --dev tapA1 --dst 52:54:00:64:00:01 --tag 0x8100:10 --count 5
                                                             tagged frames (VLAN 10)
    ethsend.py --dev tapA1 --arp reply,52:54:00:66:66:66,192.168.100.2,\\
        52:54:00:64:00:01,192.168.100.1 --dst 52:54:00:64:00:01  forged ARP reply

Prints one line: "sent N frames in S s".
"""

import argparse
import socket
import struct
import sys
import time


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError("bad MAC address: %s" % text)
    return bytes(int(p, 16) for p in parts)


def vlan_tag(text):
    """TPID:VID, e.g. 0x8100:10, as the 4 bytes of the tag (PCP 0)."""
    try:
        tpid, vid = text.split(":")
        return struct.pack("!HH", int(tpid, 0), int(vid, 0) & 0x0FFF)
    except ValueError:
        raise argparse.ArgumentTypeError("bad tag (TPID:VID): %s" % text)


def arp_body(spec, htype=1):
    """OP,SHA,SPA,THA,TPA with OP request|reply (RFC 826), hardware type
    HTYPE (1 Ethernet; Linux takes 6, IEEE 802, on Ethernet too)."""
    op, sha, spa, tha, tpa = spec.split(",")
    code = {"request": 1, "reply": 2}[op]
    return struct.pack("!HHBBH", htype, 0x0800, 6, 4, code) + mac_bytes(sha) + \
        socket.inet_aton(spa) + mac_bytes(tha) + socket.inet_aton(tpa)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dev", required=True, help="interface to send on")
    p.add_argument("--dst", type=mac_bytes, default=mac_bytes("ff:ff:ff:ff:ff:ff"))
    p.add_argument("--src", type=mac_bytes, default=None, help="[the interface's MAC]")
    p.add_argument("--ethertype", type=lambda s: int(s, 0), default=0x88B5)
    p.add_argument("--tag", type=vlan_tag, action="append", default=[],
                   help="TPID:VID, a VLAN tag after the MACs; repeat for more, outer first")
    p.add_argument("--payload-len", type=int, default=46)
    p.add_argument("--arp", default=None, help="OP,SHA,SPA,THA,TPA: an ARP frame instead")
    p.add_argument("--arp-htype", type=lambda s: int(s, 0), default=1,
                   help="the ARP hardware type [1]")
    p.add_argument("--count", type=int, default=0, help="frames to send [0: until --duration]")
    p.add_argument("--duration", type=float, default=0.0, help="seconds to send for")
    p.add_argument("--rate", type=float, default=0.0, help="frames per second [0: flat out]")
    args = p.parse_args()
    if not args.count and not args.duration:
        args.count = 1

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.dev, 0))
    src = args.src or s.getsockname()[4][:6]
    if args.arp:
        body, etype = arp_body(args.arp, args.arp_htype), 0x0806
    else:
        body, etype = bytes(i & 0xFF for i in range(args.payload_len)), args.ethertype
    frame = args.dst + src + b"".join(args.tag) + struct.pack("!H", etype) + body
    frame += bytes(max(0, 60 - len(frame)))

    sent = 0
    start = time.monotonic()
    end = start + args.duration if args.duration else None
    gap = 1.0 / args.rate if args.rate else 0.0
    while True:
        now = time.monotonic()
        if (args.count and sent >= args.count) or (end is not None and now >= end):
            break
        if gap:
            due = start + sent * gap
            if due > now:
                time.sleep(due - now)
        try:
            s.send(frame)
            sent += 1
        except (BlockingIOError, OSError):
            # the device queue is full: a storm does not care
            pass
    elapsed = time.monotonic() - start
    print("sent %d frames in %.3f s" % (sent, elapsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())

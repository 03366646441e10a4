#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vlansplit.py - the VLAN end of a trunk inside a VM namespace.

A guest with a trunk vNIC terminates each VLAN on an 802.1Q device. This
kernel has neither 8021q nor bridge VLAN filtering, so this plays that part
in userspace: for each VLAN a tap device of its own in the namespace (no
tag), and between those and the trunk interface, tags put on and taken off.

    vlansplit.py --trunk tapT --vlan 10:tapT10 --vlan 20:tapT20

Frames the namespace's stack sends out of tapT10 leave tapT tagged 10;
frames arriving on tapT tagged 10 come in on tapT10 untagged. Untagged
frames on tapT are left to the stack (the trunk's native VLAN). TCP
super-frames (TSO, virtio-net headers on both sides) cross as they are,
their header offsets moved past the tag; a frame whose partial checksum
does not start at its L4 header is dropped and reported on stderr. Runs
until killed; prints "ready" once the taps exist. Standard library only;
needs root.
"""

import argparse
import fcntl
import os
import select
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_VNET_HDR = 15
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 = 0x01, 0x02, 0x04
VNET_HLEN = 10
VNET_F_NEEDS_CSUM = 1
TPID = 0x8100


def vnet_shift(vnet, delta):
    """The virtio-net header of a frame whose L3 header moved by delta."""
    flags, gso_type, hdr_len, gso_size, csum_start, csum_off = struct.unpack("<BBHHHH", vnet)
    if flags & VNET_F_NEEDS_CSUM:
        csum_start += delta
    if gso_type & 0x7F and hdr_len:
        hdr_len += delta
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, csum_start, csum_off)


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
    fcntl.ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
    return fd


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trunk", required=True, help="the trunk interface")
    p.add_argument("--vlan", action="append", default=[], help="VID:TAPNAME")
    a = p.parse_args()

    taps = {}                                   # vid -> fd
    for spec in a.vlan:
        vid, name = spec.split(":")
        taps[int(vid)] = open_tap(name)
    vid_of = {fd: vid for vid, fd in taps.items()}

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((a.trunk, ETH_P_ALL))
    print("ready", flush=True)

    while True:
        ready, _, _ = select.select([s] + list(taps.values()), [], [])
        for fd in ready:
            if fd is s:
                from_trunk(s, taps)
            else:
                to_trunk(s, fd, vid_of[fd])


def from_trunk(s, taps):
    data, anc, _, addr = s.recvmsg(70000, socket.CMSG_SPACE(32))
    if addr[2] == PACKET_OUTGOING or len(data) < VNET_HLEN + 14:
        return
    vnet, frame = data[:VNET_HLEN], data[VNET_HLEN:]
    vid = None
    for level, kind, cdata in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA:
            status, _, _, _, _, tci = struct.unpack("IIIHHH", cdata[:18])
            if status & TP_STATUS_VLAN_VALID:
                vid = tci & 0x0FFF      # the kernel took the tag off already
    if vid is None and struct.unpack("!H", frame[12:14])[0] == TPID:
        vid = struct.unpack("!H", frame[14:16])[0] & 0x0FFF
        frame = frame[:12] + frame[16:]
        vnet = vnet_shift(vnet, -4)
    if vid in taps and csum_start_ok(vnet, frame):
        os.write(taps[vid], vnet + frame)


def csum_start_ok(vnet, frame):
    """A partial checksum must start at the L4 header. The guest's stack
    would not notice a wrong offset (it trusts a partial checksum of a
    frame it receives), so a wrongly shifted header is refused here, loudly."""
    flags, _, _, _, csum_start, _ = struct.unpack("<BBHHHH", vnet)
    if not flags & VNET_F_NEEDS_CSUM:
        return True
    etype = struct.unpack("!H", frame[12:14])[0]
    l4 = 14 + (4 * (frame[14] & 0x0F) if etype == 0x0800 else 40)
    if csum_start == l4:
        return True
    print("bad csum_start %d (L4 header at %d): frame dropped" % (csum_start, l4),
          file=sys.stderr, flush=True)
    return False


def to_trunk(s, fd, vid):
    data = os.read(fd, 70000)
    if len(data) < VNET_HLEN + 14:
        return
    vnet, frame = data[:VNET_HLEN], data[VNET_HLEN:]
    s.send(vnet_shift(vnet, 4) + frame[:12] + struct.pack("!HH", TPID, vid) + frame[12:])


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)

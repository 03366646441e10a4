#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""udpburst.py - bursts of numbered UDP datagrams of changing sizes, and a
receiver that checks every one arrived, intact and in order. Standard
library only.

    udpburst.py recv --port P --count N --out FILE
        bind 0.0.0.0:P (receive buffer forced to 8 MiB), print "listening",
        read until N datagrams arrived or nothing came for --idle seconds,
        write "received R reordered O corrupt C" to FILE (through FILE.tmp
        and a rename)
    udpburst.py send --dst IP --port P --bursts B
        B bursts of the sizes in SIZES, back to back, a pause of --gap
        seconds after each; prints the number of datagrams sent

Each datagram is its sequence number (4 bytes, network order) followed by
bytes that depend on the number and the length, so a datagram cut short,
merged or mixed up with another fails the check. The sizes of a burst come
in runs of one size, a shorter one between them, and a longer one after:
what a sender that batches equal-size datagrams must split correctly.
"""

import argparse
import os
import socket
import struct
import sys
import time

# Runs of equal sizes; a shorter datagram ends a run, a longer one starts a new one.
SIZES = [200] * 20 + [50] + [1000] * 20 + [1400] * 5 + [60] * 10 + [1400] + [300] * 7
SO_RCVBUFFORCE = 33


def payload(seq, size):
    head = struct.pack("!I", seq)
    body = bytes(((seq * 7 + size + i) & 0xFF) for i in range(size - len(head)))
    return head + body


def recv(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", args.port))
    s.settimeout(args.idle)
    print("listening", flush=True)
    got = reordered = corrupt = 0
    last = -1
    while got < args.count:
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        got += 1
        if len(data) < 4:
            corrupt += 1
            continue
        seq = struct.unpack("!I", data[:4])[0]
        if data != payload(seq, len(data)):
            corrupt += 1
        if seq <= last:
            reordered += 1
        last = max(last, seq)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("received %d reordered %d corrupt %d\n" % (got, reordered, corrupt))
    os.rename(tmp, args.out)
    return 0


def send(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((args.dst, args.port))
    seq = 0
    for _ in range(args.bursts):
        # Built first, so that the burst leaves as fast as send() goes.
        burst = [payload(seq + i, size) for i, size in enumerate(SIZES)]
        for data in burst:
            s.send(data)
        seq += len(burst)
        time.sleep(args.gap)
    print(seq)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--idle", type=float, default=5.0)
    t = sub.add_parser("send")
    t.add_argument("--dst", required=True)
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--bursts", type=int, default=40)
    t.add_argument("--gap", type=float, default=0.005)
    a = p.parse_args()
    return recv(a) if a.cmd == "recv" else send(a)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tcpxfer.py - one bulk TCP transfer with a digest at each end, and the
tap's offload features as the kernel sees them. Standard library only.

    tcpxfer.py recv --port P --out FILE     accept one connection, read to
                                            EOF, write "SHA256 BYTES" to FILE
                                            (through FILE.tmp and a rename);
                                            prints "listening" once bound
    tcpxfer.py send --dst IP --port P --file F
                                            send F with sendfile(2) (so the
                                            stack builds TSO super-frames when
                                            the device allows), half-close, wait
                                            for the peer's close; prints
                                            "SHA256 BYTES SECONDS"
    tcpxfer.py features IFNAME [--tx-csum on|off]
                                            "csum=0|1 tso=0|1" from the
                                            ETHTOOL_GTXCSUM/GTSO ioctls, after
                                            ETHTOOL_STXCSUM when asked

Every socket operation times out (--timeout, 30 s): a stalled transfer
exits 1 instead of hanging the test.
"""

import argparse
import ctypes
import fcntl
import hashlib
import os
import socket
import struct
import sys
import time

SIOCETHTOOL = 0x8946
ETHTOOL_GTXCSUM = 0x16
ETHTOOL_STXCSUM = 0x17
ETHTOOL_GTSO = 0x1E


def do_recv(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(1)
    ls.settimeout(a.timeout)
    print("listening", flush=True)
    conn, _ = ls.accept()
    conn.settimeout(a.timeout)
    h = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    total = 0
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        h.update(view[:n])
        total += n
    with open(a.out + ".tmp", "w") as f:
        f.write("%s %d\n" % (h.hexdigest(), total))
    os.rename(a.out + ".tmp", a.out)
    conn.close()
    ls.close()


def do_send(a):
    h = hashlib.sha256()
    with open(a.file, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    s = socket.create_connection((a.dst, a.port), timeout=a.timeout)
    t0 = time.monotonic()
    with open(a.file, "rb") as f:
        sent = s.sendfile(f)
    s.shutdown(socket.SHUT_WR)
    # The receiver closes once it has read everything: wait for that.
    while s.recv(4096):
        pass
    dt = time.monotonic() - t0
    s.close()
    print("%s %d %.3f" % (h.hexdigest(), sent, dt))


def ethtool_value(sock, ifname, cmd, data=0):
    val = ctypes.create_string_buffer(struct.pack("II", cmd, data), 8)
    ifr = struct.pack("16sP", ifname.encode(), ctypes.addressof(val))
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifr)
    return struct.unpack("II", val.raw)[1]


def do_features(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.tx_csum:
        ethtool_value(s, a.ifname, ETHTOOL_STXCSUM, 1 if a.tx_csum == "on" else 0)
    csum = ethtool_value(s, a.ifname, ETHTOOL_GTXCSUM)
    tso = ethtool_value(s, a.ifname, ETHTOOL_GTSO)
    print("csum=%d tso=%d" % (1 if csum else 0, 1 if tso else 0))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--timeout", type=float, default=30)
    s = sub.add_parser("send")
    s.add_argument("--dst", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--file", required=True)
    s.add_argument("--timeout", type=float, default=30)
    f = sub.add_parser("features")
    f.add_argument("ifname")
    f.add_argument("--tx-csum", choices=("on", "off"))
    a = p.parse_args()
    try:
        {"recv": do_recv, "send": do_send, "features": do_features}[a.cmd](a)
    except (OSError, socket.timeout) as e:
        print("tcpxfer %s: %s" % (a.cmd, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
